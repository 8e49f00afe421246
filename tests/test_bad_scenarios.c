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
#include "tests/bad_corpus.h"
#include "sim/cfg.h"

#define BAD_DIR "tests/data/bad/scenario"
#define MIN_BAD_FILES 50

/* Loads path as a scenario; returns the printed error, or NULL when it loaded. */
static char *load_error(const char *path)
{
    struct scenario *sc = NULL;
    struct cfg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = run_load(path, NULL, 0, false, 0, &sc, &err);
    if (rc == 0) {
        run_scenario_free(sc);
        return NULL;
    }
    assert_null(sc);
    return bad_corpus_error_text(&err);
}

static void test_bad_scenarios_each_fails_as_expected(void **state)
{
    (void)state;
    bad_corpus_run(BAD_DIR, MIN_BAD_FILES, load_error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scenarios_each_fails_as_expected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
