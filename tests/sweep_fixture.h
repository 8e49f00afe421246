/* Shared by the `tlbsim sweep` end-to-end tests (test_sweep_run.c,
 * test_sweep_jobs.c): a temporary directory with two 4-point specs of
 * default.yaml, a tiny one (2 ms warm-up, 3 ms window: milliseconds a run)
 * and a slow one to signal mid-sweep, and file helpers. The tests run
 * build/tlbsim as a child, from the repo root. */
#ifndef TESTS_SWEEP_FIXTURE_H
#define TESTS_SWEEP_FIXTURE_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "cli/sweep.h"
#include "tests/tmp_tree.h"

#define TLBSIM "build/tlbsim"
#include "tests/cli_run.h"

#define N_POINTS 4      /* both specs: 2 policies x 2 LRU-add batch sizes */

struct fixture {
    char *dir, *spec, *slow_spec;
};

static inline char *write_spec(const char *dir, const char *name, const char *window)
{
    char *cwd = g_get_current_dir();
    char *path = g_build_filename(dir, name, NULL);
    char *text = g_strdup_printf(
        "scenario: %s/configs/scenarios/default.yaml\n"
        "set: {%s, output.snapshot_ms: 1}\n"
        "axes:\n"
        "  policy: [per_page, batch_full]\n"
        "  kernel.lru_add_batch: [14, 31]\n", cwd, window);

    assert_true(g_file_set_contents(path, text, -1, NULL));
    g_free(text);
    g_free(cwd);
    return path;
}

static inline int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);

    f->dir = g_dir_make_tmp("tlbsim-test-sweep-run-XXXXXX", NULL);
    if (!f->dir)
        return -1;
    f->spec = write_spec(f->dir, "tiny.yaml", "warmup_ms: 2, duration_ms: 3");
    /* long enough (~0.2-0.5 s a point) to be signalled mid-sweep */
    f->slow_spec = write_spec(f->dir, "slow.yaml", "warmup_ms: 20, duration_ms: 150");
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fixture *f = *state;

    rm_tree(f->dir);
    g_free(f->dir);
    g_free(f->spec);
    g_free(f->slow_spec);
    g_free(f);
    return 0;
}

static inline char *path_in(const struct fixture *f, const char *a, const char *b, const char *c)
{
    return g_build_filename(f->dir, a, b, c, NULL);
}

static inline char *slurp(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        fail_msg("cannot read %s", path);
    return text;
}

#endif
