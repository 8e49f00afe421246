/* The command line end to end: runs build/tlbsim (built by `make`) as a child
 * process and checks exit statuses (0 ok, 1 runtime failure, 2 bad input),
 * what goes to stdout and stderr, and the result files of `run`: the full
 * set on success, nothing at all on bad input. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "tests/tmp_tree.h"

#define TLBSIM "build/tlbsim"
#define DEFAULT_SCENARIO "configs/scenarios/default.yaml"
#define GOOD_MACHINE "configs/machines/x86-1s-8c.yaml"
#define BAD_SCENARIO "tests/data/bad/scenario/unknown-top-key.yaml"
#define BAD_MACHINE "tests/data/bad/machine/unknown-key.yaml"
#include "tests/cli_run.h"
#include "models/workload.h"

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* True when `text` has a line matching the (anchored per line) regex. */
static bool has_line(const char *text, const char *regex)
{
    return g_regex_match_simple(regex, text, G_REGEX_MULTILINE, 0);
}

static char *make_tmpdir(void)
{
    GError *gerr = NULL;
    char *dir = g_dir_make_tmp("tlbsim-test-cli-XXXXXX", &gerr);

    if (!dir)
        fail_msg("g_dir_make_tmp: %s", gerr->message);
    return dir;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir joined with spaces ("" when empty or absent). */
static char *dir_listing(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    GString *s = g_string_new(NULL);

    if (d) {
        while ((name = g_dir_read_name(d)))
            g_ptr_array_add(names, g_strdup(name));
        g_dir_close(d);
    }
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(names, i));
    g_ptr_array_free(names, TRUE);
    return g_string_free(s, FALSE);
}

static void test_version(void **state)
{
    struct result r = run_tlbsim("--version", NULL);

    (void)state;
    assert_int_equal(r.status, 0);
    assert_true(g_str_has_prefix(r.out, "tlbsim "));
    assert_int_equal(count_lines(r.out), 1);
    assert_string_equal(r.err, "");
    result_free(&r);
}

static void test_usage_errors_exit_2(void **state)
{
    struct result r;

    (void)state;
    r = run_tlbsim("run", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_true(has_line(r.err, "^tlbsim: error: .*missing scenario file"));
    result_free(&r);

    r = run_tlbsim(NULL);
    assert_int_equal(r.status, 2);
    result_free(&r);

    r = run_tlbsim("frobnicate", NULL);
    assert_int_equal(r.status, 2);
    assert_true(has_line(r.err, "^tlbsim: error: unknown command 'frobnicate'"));
    result_free(&r);

    r = run_tlbsim("run", DEFAULT_SCENARIO, "--seed", "x1", NULL);
    assert_int_equal(r.status, 2);
    assert_true(has_line(r.err, "^tlbsim: error: invalid --seed"));
    result_free(&r);

    r = run_tlbsim("check", NULL);
    assert_int_equal(r.status, 2);
    result_free(&r);
}

static void test_help(void **state)
{
    struct result r = run_tlbsim("run", "--help", NULL);

    (void)state;
    assert_int_equal(r.status, 0);
    assert_true(g_str_has_prefix(r.out, "Usage: tlbsim run"));
    result_free(&r);
}

static void test_check_good_files(void **state)
{
    struct result r;

    (void)state;
    r = run_tlbsim("check", GOOD_MACHINE, NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(g_str_has_prefix(r.out, GOOD_MACHINE ": machine: x86-1s-8c: "));
    assert_string_equal(r.err, "");
    result_free(&r);

    r = run_tlbsim("check", DEFAULT_SCENARIO, NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 1);
    assert_true(g_str_has_prefix(r.out, DEFAULT_SCENARIO ": scenario: default: "));
    assert_non_null(strstr(r.out, "x86-1s-8c"));
    assert_non_null(strstr(r.out, "batch_full"));
    assert_string_equal(r.err, "");
    result_free(&r);

    r = run_tlbsim("check", GOOD_MACHINE, DEFAULT_SCENARIO, NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(count_lines(r.out), 2);
    result_free(&r);
}

static void test_check_bad_files(void **state)
{
    struct result r;

    (void)state;
    r = run_tlbsim("check", BAD_SCENARIO, NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    assert_true(has_line(r.err, "^" BAD_SCENARIO ":[0-9]+:[0-9]+: error: unknown key"));
    result_free(&r);

    r = run_tlbsim("check", BAD_MACHINE, NULL);
    assert_int_equal(r.status, 2);
    assert_true(has_line(r.err, "^" BAD_MACHINE ":[0-9]+:[0-9]+: error: "));
    result_free(&r);

    /* every file is checked: the good ones still get their line */
    r = run_tlbsim("check", BAD_SCENARIO, GOOD_MACHINE, BAD_MACHINE, NULL);
    assert_int_equal(r.status, 2);
    assert_int_equal(count_lines(r.out), 1);
    assert_int_equal(count_lines(r.err), 2);
    result_free(&r);
}

/* Bad input is reported before anything is written: no --out directory. */
static void test_run_bad_input_writes_nothing(void **state)
{
    char *tmp = make_tmpdir();
    char *out = g_build_filename(tmp, "out", NULL);
    char *listing;
    struct result r;

    (void)state;
    r = run_tlbsim("run", BAD_SCENARIO, "--out", out, "--quiet", NULL);
    assert_int_equal(r.status, 2);
    assert_true(has_line(r.err, "^" BAD_SCENARIO ":[0-9]+:[0-9]+: error: "));
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    result_free(&r);

    r = run_tlbsim("run", DEFAULT_SCENARIO, "--out", out, "--set",
                   "machine.cost.ipi_send_ns=abc", NULL);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_true(has_line(r.err, "^--set machine.cost.ipi_send_ns: error: "));
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    result_free(&r);

    /* an existing directory stays empty */
    assert_int_equal(g_mkdir(out, 0755), 0);
    r = run_tlbsim("run", DEFAULT_SCENARIO, "--out", out, "--set", "nosuch.key=1", NULL);
    assert_int_equal(r.status, 2);
    listing = dir_listing(out);
    assert_string_equal(listing, "");
    g_free(listing);
    result_free(&r);

    listing = dir_listing(tmp);
    assert_string_equal(listing, "out");
    g_free(listing);
    rm_tree(tmp);
    g_free(out);
    g_free(tmp);
}

static char *read_file(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        fail_msg("cannot read %s", path);
    g_free(path);
    return text;
}

static void test_run_writes_the_result_set(void **state)
{
    char *tmp = make_tmpdir();
    char *out = g_build_filename(tmp, "a", "b", NULL);   /* parents created */
    char *listing, *json, *summary;
    struct result r;

    (void)state;
    r = run_tlbsim("run", DEFAULT_SCENARIO, "--out", out, "--quiet", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    listing = dir_listing(out);
    assert_string_equal(listing, "hazards.txt interrupts.txt latency.tsv perf-stat.csv "
                                 "results.json summary.txt timeseries.tsv vmstat.txt");
    g_free(listing);
    result_free(&r);

    json = read_file(out, "results.json");
    assert_non_null(strstr(json, "\"policy\""));
    assert_non_null(strstr(json, "\"batch_full\""));
    assert_non_null(strstr(json, "\"wall_time_s\""));
    g_free(json);

    /* without --quiet, stdout is summary.txt; a rerun replaces the set */
    r = run_tlbsim("run", DEFAULT_SCENARIO, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    summary = read_file(out, "summary.txt");
    assert_true(strlen(summary) > 0);
    assert_string_equal(r.out, summary);
    g_free(summary);
    listing = dir_listing(out);
    assert_string_equal(listing, "hazards.txt interrupts.txt latency.tsv perf-stat.csv "
                                 "results.json summary.txt timeseries.tsv vmstat.txt");
    g_free(listing);
    result_free(&r);

    rm_tree(tmp);
    g_free(out);
    g_free(tmp);
}

/* A result file that cannot be written: exit 1 and none of the set is left. */
static void test_run_write_failure_leaves_nothing(void **state)
{
    char *tmp = make_tmpdir();
    char *out = g_build_filename(tmp, "out", NULL);
    char *blocker = g_build_filename(out, "timeseries.tsv", "x", NULL);
    char *listing;
    struct result r;

    (void)state;
    assert_int_equal(g_mkdir_with_parents(blocker, 0755), 0);   /* a directory in the way */
    r = run_tlbsim("run", DEFAULT_SCENARIO, "--out", out, "--quiet", NULL);
    assert_int_equal(r.status, 1);
    assert_true(has_line(r.err, "^tlbsim: error: .*timeseries.tsv"));
    listing = dir_listing(out);
    assert_string_equal(listing, "timeseries.tsv");
    g_free(listing);
    result_free(&r);
    rm_tree(tmp);
    g_free(blocker);
    g_free(out);
    g_free(tmp);
}

static void test_list(void **state)
{
    struct result r = run_tlbsim("list", NULL);

    (void)state;
    assert_int_equal(r.status, 0);
    assert_true(has_line(r.out, "^ +batch_full "));
    assert_true(has_line(r.out, "^ +per_page "));
    assert_true(has_line(r.out, "^ +x86-1s-8c: "));
    for (unsigned w = 0; w < WL_NR; w++) {     /* every type a scenario may name */
        char *re = g_strdup_printf("^  %s +[a-z.]", workload_type_name((enum workload_type)w));

        assert_true(has_line(r.out, re));
        g_free(re);
    }
    assert_string_equal(r.err, "");
    result_free(&r);

    r = run_tlbsim("list", "extra", NULL);
    assert_int_equal(r.status, 2);
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_check_good_files),
        cmocka_unit_test(test_check_bad_files),
        cmocka_unit_test(test_run_bad_input_writes_nothing),
        cmocka_unit_test(test_run_writes_the_result_set),
        cmocka_unit_test(test_run_write_failure_leaves_nothing),
        cmocka_unit_test(test_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
