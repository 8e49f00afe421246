/* The bad-scenario corpus: every YAML file in tests/data/bad/scenario starts
 * with `# expect: LINE:COL: message` (an error in the scenario itself) or
 * `# expect: REL/PATH.yaml:LINE:COL: message` (an error in another file, a
 * machine the scenario names; REL/PATH relative to the scenario's directory).
 * run_load must fail, and cfg_error_print must print a line starting with
 * "<file>:LINE:COL: error: message". One file per error class. Run from the
 * repository root; run under ASan too, so error paths must not leak. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "models/run.h"
#include "sim/cfg.h"

#define BAD_DIR "tests/data/bad/scenario"
#define EXPECT_TAG "# expect: "
#define MIN_BAD_FILES 15

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<file>:LINE:COL: error: message" from the first line of `path`, or NULL. */
static char *expected_error(const char *path)
{
    char *text = NULL, *nl, *out = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    if (strncmp(text, EXPECT_TAG, strlen(EXPECT_TAG)) == 0) {
        char *pos = text + strlen(EXPECT_TAG);
        char *file = NULL, *c1, *c2;

        if (!isdigit((unsigned char)*pos)) {
            /* REL/PATH:LINE:COL: message */
            char *dir = g_path_get_dirname(path);
            char *colon = strchr(pos, ':');

            if (colon) {
                *colon = '\0';
                file = g_build_filename(dir, pos, NULL);
                pos = colon + 1;
            }
            g_free(dir);
        } else {
            file = g_strdup(path);
        }
        /* LINE:COL, then ": message" */
        c1 = strchr(pos, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (file && c2 && c2[1] == ' ') {
            *c2 = '\0';
            out = g_strdup_printf("%s:%s: error: %s", file, pos, c2 + 2);
        }
        g_free(file);
    }
    g_free(text);
    return out;
}

/* Loads path as a scenario; returns the printed error, or NULL when it loaded. */
static char *load_error(const char *path)
{
    struct scenario *sc = NULL;
    struct cfg_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *out;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = run_load(path, NULL, 0, false, 0, &sc, &err);
    if (rc == 0) {
        run_scenario_free(sc);
        return NULL;
    }
    assert_null(sc);
    out = open_memstream(&buf, &len);
    assert_non_null(out);
    cfg_error_print(&err, out);
    fclose(out);
    return buf;
}

static int check_one(const char *path)
{
    char *want = expected_error(path), *got;
    int bad = 0;

    if (!want) {
        print_error("%s: first line is not '" EXPECT_TAG "[FILE:]LINE:COL: message'\n", path);
        return 1;
    }
    got = load_error(path);
    if (!got) {
        print_error("%s: loaded, expected: %s\n", path, want);
        bad = 1;
    } else if (strncmp(got, want, strlen(want)) != 0) {
        print_error("%s:\n  want: %s\n  got:  %s", path, want, got);
        bad = 1;
    }
    g_free(want);
    free(got);
    return bad;
}

static void test_bad_scenarios_each_fails_as_expected(void **state)
{
    GDir *dir = g_dir_open(BAD_DIR, 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    int failures = 0;

    (void)state;
    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(paths, g_build_filename(BAD_DIR, name, NULL));
    g_dir_close(dir);
    g_ptr_array_sort(paths, cmp_str);
    if (paths->len < MIN_BAD_FILES) {
        print_error("only %u files in %s, want at least %d\n", paths->len, BAD_DIR,
                    MIN_BAD_FILES);
        failures++;
    }
    for (guint i = 0; i < paths->len; i++)
        failures += check_one(g_ptr_array_index(paths, i));
    g_ptr_array_free(paths, TRUE);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scenarios_each_fails_as_expected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
