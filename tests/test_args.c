/* Tests for the tlbsim command-line parser: every option in both spellings,
 * repeated --set, missing values, junk seeds, unknown options and commands,
 * operand counts, and --help / --version at program and command level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/args.h"

#define ARGV(...) ((char *const[]){ "tlbsim", __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof((char *const[]){ "tlbsim", __VA_ARGS__ }) / sizeof(char *)))
/* Parses a literal argument list; evaluates to args_parse's result. */
#define PARSE(a, err, ...) \
    args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (a), (err), sizeof(err))

static void test_run_minimal(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(PARSE(&a, err, "run", "s.yaml"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_RUN);
    assert_int_equal(a.action, ARGS_ACT_COMMAND);
    assert_int_equal(a.n_files, 1);
    assert_string_equal(a.files[0], "s.yaml");
    assert_int_equal(a.n_sets, 0);
    assert_false(a.has_seed);
    assert_null(a.out_dir);
    assert_false(a.quiet);
    args_free(&a);
}

static void test_run_every_option(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(PARSE(&a, err, "run", "--seed", "42", "--set", "a.b=1", "s.yaml",
                           "--out", "/tmp/o", "--quiet", "--set", "machine.x=2"), 0);
    assert_string_equal(a.files[0], "s.yaml");
    assert_true(a.has_seed);
    assert_int_equal(a.seed, 42);
    assert_int_equal(a.n_sets, 2);
    assert_string_equal(a.sets[0], "a.b=1");
    assert_string_equal(a.sets[1], "machine.x=2");
    assert_string_equal(a.out_dir, "/tmp/o");
    assert_true(a.quiet);
    args_free(&a);
}

static void test_run_equals_and_short_forms(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(PARSE(&a, err, "run", "--seed=18446744073709551615",
                           "--set=x.y=a=b", "--out=d", "-q", "s.yaml"), 0);
    assert_int_equal(a.seed, UINT64_MAX);
    assert_int_equal(a.n_sets, 1);
    assert_string_equal(a.sets[0], "x.y=a=b");   /* value may hold '=' */
    assert_string_equal(a.out_dir, "d");
    assert_true(a.quiet);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "run", "-o", "dir2", "s.yaml"), 0);
    assert_string_equal(a.out_dir, "dir2");
    args_free(&a);
}

static void test_run_repeated_set_keeps_order(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(PARSE(&a, err, "run", "s.yaml", "--set", "k=1", "--set", "k=2",
                           "--set", "j=3", "--set=k=4"), 0);
    assert_int_equal(a.n_sets, 4);
    assert_string_equal(a.sets[0], "k=1");
    assert_string_equal(a.sets[1], "k=2");
    assert_string_equal(a.sets[2], "j=3");
    assert_string_equal(a.sets[3], "k=4");
    args_free(&a);
}

static void expect_error(int rc, struct args *a, const char *err, const char *needle)
{
    assert_int_equal(rc, -1);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
    args_free(a);
}

static void test_missing_values(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    expect_error(PARSE(&a, err, "run", "s.yaml", "--seed"), &a, err, "'--seed' needs a value");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--set"), &a, err, "'--set' needs a value");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--out"), &a, err, "'--out' needs a value");
    expect_error(PARSE(&a, err, "run", "--out", "--quiet", "s.yaml"), &a, err,
                 "'--out' needs a value");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--out="), &a, err, "non-empty");
}

static void test_bad_set(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    expect_error(PARSE(&a, err, "run", "s.yaml", "--set", "novalue"), &a, err,
                 "invalid --set 'novalue'");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--set", "=3"), &a, err, "key.path=value");
}

static void test_junk_seed(void **state)
{
    static const char *const junk[] = {
        "", "abc", "12abc", "-1", "+1", " 1", "1 ", "0x10", "1.5", "1e3",
        "18446744073709551616", "99999999999999999999999",
    };
    struct args a;
    char err[256];
    uint64_t v;

    (void)state;
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        char *argv[] = { "tlbsim", "run", "s.yaml", "--seed", (char *)junk[i] };
        int rc = args_parse(5, argv, &a, err, sizeof(err));

        if (rc != -1)
            fail_msg("seed '%s' accepted", junk[i]);
        args_free(&a);
        assert_int_equal(args_parse_u64(junk[i], &v), -1);
    }
    assert_int_equal(args_parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(args_parse_u64("007", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(args_parse_u64("18446744073709551615", &v), 0);
    assert_int_equal(v, UINT64_MAX);
    expect_error(PARSE(&a, err, "run", "s.yaml", "--seed=x1"), &a, err, "invalid --seed 'x1'");
}

static void test_unknown_option_and_command(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    expect_error(PARSE(&a, err, "run", "s.yaml", "--bogus"), &a, err,
                 "unknown option '--bogus' for 'run'");
    expect_error(PARSE(&a, err, "check", "f.yaml", "--seed", "1"), &a, err,
                 "unknown option '--seed' for 'check'");
    expect_error(PARSE(&a, err, "list", "--quiet"), &a, err,
                 "unknown option '--quiet' for 'list'");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--quiet=yes"), &a, err, "takes no value");
    expect_error(PARSE(&a, err, "run", "s.yaml", "--se", "1"), &a, err, "unknown option");
    expect_error(PARSE(&a, err, "--bogus"), &a, err, "unknown option '--bogus'");
    expect_error(PARSE(&a, err, "frobnicate"), &a, err, "unknown command 'frobnicate'");
    assert_int_equal(args_parse(1, ARGV(NULL), &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "missing command"));
    args_free(&a);
}

static void test_operand_counts(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    expect_error(PARSE(&a, err, "run"), &a, err, "missing scenario file");
    assert_int_equal(PARSE(&a, err, "run", "a.yaml", "b.yaml"), -1);
    assert_int_equal(a.cmd, ARGS_CMD_RUN);   /* for the usage hint */
    assert_non_null(strstr(err, "unexpected argument 'b.yaml'"));
    args_free(&a);
    expect_error(PARSE(&a, err, "check"), &a, err, "no files to check");
    expect_error(PARSE(&a, err, "list", "x"), &a, err, "unexpected argument 'x'");
    assert_int_equal(PARSE(&a, err, "check", "a.yaml", "b.yaml", "c.yaml"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_CHECK);
    assert_int_equal(a.n_files, 3);
    assert_string_equal(a.files[2], "c.yaml");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "list"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_LIST);
    args_free(&a);
}

static void test_double_dash_ends_options(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    assert_int_equal(PARSE(&a, err, "check", "--", "--odd.yaml", "-"), 0);
    assert_int_equal(a.n_files, 2);
    assert_string_equal(a.files[0], "--odd.yaml");
    assert_string_equal(a.files[1], "-");
    args_free(&a);
}

static void test_sweep_options(void **state)
{
    struct args a;
    char err[256] = "";

    (void)state;
    assert_int_equal(PARSE(&a, err, "sweep", "s.yaml"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_SWEEP);
    assert_int_equal(a.jobs, 0);
    assert_string_equal(a.argv0, "tlbsim");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "-j2", "s.yaml", "-o", "d", "--dry-run"), 0);
    assert_int_equal(a.jobs, 2);
    assert_string_equal(a.out_dir, "d");
    assert_true(a.dry_run);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "s.yaml", "--jobs=16", "--emit-jobs", "j.txt"), 0);
    assert_int_equal(a.jobs, 16);
    assert_string_equal(a.emit_jobs, "j.txt");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "s.yaml", "--merge", "m", "--only", "p"), -1);
    assert_string_equal(err, "sweep: --emit-jobs, --merge, --only and --dry-run exclude each other");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "s.yaml", "--merge", "m", "-o", "o"), -1);
    assert_string_equal(err, "sweep: --merge DIR is the output directory; drop --out");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "s.yaml", "-j", "0"), -1);
    assert_string_equal(err, "invalid --jobs '0': expected 1 to 4096");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep"), -1);
    assert_string_equal(err, "sweep: missing spec file");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "sweep", "a.yaml", "b.yaml"), -1);
    assert_string_equal(err, "sweep: unexpected argument 'b.yaml'");
    args_free(&a);
    /* sweep options belong to sweep; -q takes no attached value */
    assert_int_equal(PARSE(&a, err, "run", "s.yaml", "-j2"), -1);
    assert_string_equal(err, "unknown option '-j2' for 'run'");
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "run", "s.yaml", "-qh"), -1);
    args_free(&a);
}

static void test_help_and_version(void **state)
{
    struct args a;
    char err[256];

    (void)state;
    assert_int_equal(PARSE(&a, err, "--help"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_NONE);
    assert_int_equal(a.action, ARGS_ACT_HELP);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "-h"), 0);
    assert_int_equal(a.action, ARGS_ACT_HELP);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "--version"), 0);
    assert_int_equal(a.action, ARGS_ACT_VERSION);
    args_free(&a);
    /* command help wins over missing operands and later junk */
    assert_int_equal(PARSE(&a, err, "run", "--help", "--bogus"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_RUN);
    assert_int_equal(a.action, ARGS_ACT_HELP);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "check", "-h"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_CHECK);
    assert_int_equal(a.action, ARGS_ACT_HELP);
    args_free(&a);
    assert_int_equal(PARSE(&a, err, "list", "--version"), 0);
    assert_int_equal(a.cmd, ARGS_CMD_LIST);
    assert_int_equal(a.action, ARGS_ACT_VERSION);
    args_free(&a);
    assert_string_equal(args_cmd_name(ARGS_CMD_RUN), "run");
    assert_string_equal(TLBSIM_VERSION, "0.1.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_minimal),
        cmocka_unit_test(test_run_every_option),
        cmocka_unit_test(test_run_equals_and_short_forms),
        cmocka_unit_test(test_run_repeated_set_keeps_order),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_bad_set),
        cmocka_unit_test(test_junk_seed),
        cmocka_unit_test(test_unknown_option_and_command),
        cmocka_unit_test(test_operand_counts),
        cmocka_unit_test(test_double_dash_ends_options),
        cmocka_unit_test(test_sweep_options),
        cmocka_unit_test(test_help_and_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
