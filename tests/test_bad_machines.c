/* The bad-machine corpus: every YAML file in tests/data/bad/machine starts with
 * `# expect: LINE:COL: message`; loading it (cfg_load_file, then
 * machine_cfg_load) must fail, and the printed error must start with
 * "<path>:LINE:COL: error: message". One file per error class. Run from the
 * repository root; run under ASan too, so error paths must not leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "models/machine_cfg.h"
#include "tests/bad_corpus.h"
#include "sim/cfg.h"

#define BAD_DIR "tests/data/bad/machine"
#define MIN_BAD_FILES 15

/* Loads path; returns the printed error, or NULL when it loaded. */
static char *load_error(const char *path)
{
    struct machine_cfg *cfg = g_new0(struct machine_cfg, 1);
    struct cfg_node *root = NULL;
    struct cfg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = cfg_load_file(path, &root, &err);
    if (rc == 0)
        rc = machine_cfg_load(root, cfg, &err);
    cfg_free(root);
    g_free(cfg);
    if (rc == 0)
        return NULL;
    return bad_corpus_error_text(&err);
}

static void test_bad_machines_each_fails_as_expected(void **state)
{
    (void)state;
    bad_corpus_run(BAD_DIR, MIN_BAD_FILES, load_error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_machines_each_fails_as_expected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
