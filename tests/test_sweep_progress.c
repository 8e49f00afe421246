/* Sweep progress (cli/sweep_progress.c): the ETA format, and the plain
 * lines written when stderr is not a terminal (one per finished point, with
 * counts that include points done by an earlier invocation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/sweep.h"

static void test_eta_format(void **state)
{
    static const struct { double s; const char *text; } cases[] = {
        { 0, "0:00" }, { -3, "0:00" }, { 59.4, "0:59" }, { 59.6, "1:00" },
        { 754, "12:34" }, { 3600, "1:00:00" }, { 3 * 3600 + 62, "3:01:02" },
    };
    char buf[32];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sweep_format_eta(cases[i].s, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_plain_lines(void **state)
{
    FILE *f = tmpfile();
    struct sweep_progress pr;
    char text[1024];
    size_t n;

    (void)state;
    assert_non_null(f);
    sweep_progress_init(&pr, f, 5, 2);
    assert_false(pr.tty);
    sweep_progress_point(&pr, "a__b", true, 1.5);
    sweep_progress_point(&pr, "c", false, 0.5);
    sweep_progress_tick(&pr);              /* nothing when not a terminal */
    sweep_progress_end(&pr);
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_true(g_str_has_prefix(text, "sweep: 5 points, 2 already done, 3 to run\n"
                                       "sweep: [3/5] a__b done (1.5 s), ETA "));
    assert_non_null(strstr(text, "\nsweep: [4/5] c FAILED (0.5 s), ETA "));
    assert_non_null(strstr(text, "\nsweep: 1 done, 1 failed, 2 skipped (already done), "));
    assert_null(strchr(text, '\r'));
    assert_int_equal(pr.done, 1);
    assert_int_equal(pr.failed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_format),
        cmocka_unit_test(test_plain_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
