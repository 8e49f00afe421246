/* Sweep specs and their points (cli/sweep_spec.c, cli/sweep_points.c):
 * a good spec's cross product (count, order, names, --set assignments,
 * seeds per repeat), ranges (arithmetic, decimal, geometric), each class of
 * bad spec with its exact position and message, and the helpers that
 * quote values for --set and for the shell. Specs are written into a
 * temporary directory and name the shipped files by absolute path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "cli/sweep.h"
#include "tests/tmp_tree.h"

struct fixture {
    char *dir, *scenario, *mach_8c, *mach_6c;
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    char *cwd = g_get_current_dir();

    f->dir = g_dir_make_tmp("tlbsim-test-sweep-spec-XXXXXX", NULL);
    f->scenario = g_build_filename(cwd, "configs/scenarios/default.yaml", NULL);
    f->mach_8c = g_build_filename(cwd, "configs/machines/x86-1s-8c.yaml", NULL);
    f->mach_6c = g_build_filename(cwd, "configs/machines/x86-desktop-6c.yaml", NULL);
    g_free(cwd);
    *state = f;
    return f->dir ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    rm_tree(f->dir);
    g_free(f->dir);
    g_free(f->scenario);
    g_free(f->mach_8c);
    g_free(f->mach_6c);
    g_free(f);
    return 0;
}

/* Writes spec text (printf format) to <dir>/spec.yaml; returns the path. */
static char *write_spec(const struct fixture *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *write_spec(const struct fixture *f, const char *fmt, ...)
{
    char *path = g_build_filename(f->dir, "spec.yaml", NULL);
    va_list ap;
    char *text;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    g_free(text);
    return path;
}

static struct sweep_spec *load_ok(const char *path)
{
    struct sweep_spec *spec = NULL;
    struct cfg_error err;

    if (sweep_spec_load(path, &spec, &err) != 0)
        fail_msg("%s:%u:%u: %s", err.file, err.line, err.col, err.msg);
    return spec;
}

static const struct sweep_point *point(GPtrArray *points, size_t i)
{
    return points->pdata[i];
}

static bool has_set(const struct sweep_point *p, const char *set)
{
    for (size_t i = 0; i < p->sets->len; i++)
        if (strcmp(p->sets->pdata[i], set) == 0)
            return true;
    return false;
}

static void test_cross_product(void **state)
{
    struct fixture *f = *state;
    char *path = write_spec(f,
        "scenario: %s\n"
        "repeats: 2\n"
        "set: {duration_ms: 5, 'output.snapshot_ms': 1}\n"
        "axes:\n"
        "  policy: [per_page, batch_full]\n"
        "  machine:\n"
        "    - %s\n"
        "    - {path: %s, nodes: [{memory: 256MiB, cpus: socket 0}], set: {workloads.0.processes: 6}}\n"
        "  kernel.lru_add_batch: {from: 14, to: 31, step: 17}\n",
        f->scenario, f->mach_8c, f->mach_6c);
    struct sweep_spec *spec = load_ok(path);
    GPtrArray *points = NULL;
    struct cfg_error err;
    char *mpath = g_strdup_printf("machine.path=%s", f->mach_6c);

    assert_int_equal(sweep_points_expand(spec, &points, &err), 0);
    assert_int_equal(points->len, 2 * 2 * 2 * 2);
    assert_string_equal(spec->out_dir, "results/sweeps/spec");
    /* first axis slowest, repeats fastest */
    assert_string_equal(point(points, 0)->name, "per_page__x86-1s-8c__kernel.lru_add_batch=14__r0");
    assert_string_equal(point(points, 1)->name, "per_page__x86-1s-8c__kernel.lru_add_batch=14__r1");
    assert_string_equal(point(points, 2)->name, "per_page__x86-1s-8c__kernel.lru_add_batch=31__r0");
    assert_string_equal(point(points, 4)->name, "per_page__x86-desktop-6c__kernel.lru_add_batch=14__r0");
    assert_string_equal(point(points, 15)->name,
                        "batch_full__x86-desktop-6c__kernel.lru_add_batch=31__r1");
    /* default.yaml says seed: 1; repeat r runs seed 1 + r */
    assert_int_equal(point(points, 0)->seed, 1);
    assert_int_equal(point(points, 1)->seed, 2);
    /* fixed sets first, then each axis's */
    assert_string_equal(point(points, 4)->sets->pdata[0], "duration_ms=5");
    assert_string_equal(point(points, 4)->sets->pdata[1], "output.snapshot_ms=1");
    assert_true(has_set(point(points, 4), "policy.name=per_page"));
    assert_true(has_set(point(points, 4), mpath));
    assert_true(has_set(point(points, 4), "machine.nodes=[{memory: 256MiB, cpus: socket 0}]"));
    assert_true(has_set(point(points, 4), "workloads.0.processes=6"));
    assert_true(has_set(point(points, 4), "kernel.lru_add_batch=14"));
    assert_int_equal(point(points, 4)->sets->len, 7);
    assert_string_equal(point(points, 15)->labels[0], "batch_full");
    assert_string_equal(point(points, 15)->labels[1], "x86-desktop-6c");
    assert_string_equal(point(points, 15)->labels[2], "31");
    sweep_points_free(points);
    sweep_spec_free(spec);
    g_free(mpath);
    g_free(path);
}

/* The values of the single axis `key` of a spec (labels joined by ' '). */
static char *axis_values(const struct fixture *f, const char *axis_text)
{
    char *path = write_spec(f, "scenario: %s\naxes:\n  %s\n", f->scenario, axis_text);
    struct sweep_spec *spec = load_ok(path);
    const struct sweep_axis *axis = spec->axes->pdata[0];
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < axis->values->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "",
                               ((struct sweep_value *)axis->values->pdata[i])->label);
    sweep_spec_free(spec);
    g_free(path);
    return g_string_free(s, FALSE);
}

static void test_ranges(void **state)
{
    static const char *const cases[][2] = {
        { "duration_ms: {from: 10, to: 50, step: 20}", "10 30 50" },
        { "duration_ms: {from: 10, to: 55, step: 20}", "10 30 50" },
        { "kernel.x: {from: 1, to: 2, step: 0.25}", "1 1.25 1.5 1.75 2" },
        /* 0.1 + 2 * 0.1 is 0.30000000000000004: the end is still included */
        { "kernel.x: {from: 0.1, to: 0.3, step: 0.1}", "0.1 0.2 0.3" },
        { "kernel.x: {from: 1, to: 1000, factor: 10}", "1 10 100 1000" },
        { "kernel.x: {from: 4, to: 40, factor: 2}", "4 8 16 32" },
        { "kernel.x: [a, 2, '3 4']", "a 2 3 4" },
        { "kernel.x: [[1, 2], {k: v}]", "[1, 2] {k: v}" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *v = axis_values(*state, cases[i][0]);

        if (strcmp(v, cases[i][1]) != 0)
            fail_msg("%s: got '%s', want '%s'", cases[i][0], v, cases[i][1]);
        g_free(v);
    }
}

static void test_seed_from_set(void **state)
{
    struct fixture *f = *state;
    char *path = write_spec(f, "scenario: %s\nrepeats: 3\nset: {seed: 40}\naxes: {policy: [ideal]}\n",
                            f->scenario);
    struct sweep_spec *spec = load_ok(path);
    GPtrArray *points = NULL;
    struct cfg_error err;

    assert_int_equal(sweep_points_expand(spec, &points, &err), 0);
    assert_int_equal(points->len, 3);
    for (unsigned r = 0; r < 3; r++) {
        assert_int_equal(point(points, r)->seed, 40 + r);
        assert_int_equal(point(points, r)->repeat, r);
    }
    assert_string_equal(point(points, 2)->name, "ideal__r2");
    sweep_points_free(points);
    sweep_spec_free(spec);
    g_free(path);
}

/* Each bad spec: its text after "scenario: <abs>\n" (line 1), and the
 * expected line, column and message. */
static void test_bad_specs(void **state)
{
    static const struct { const char *text; unsigned line, col; const char *msg; } cases[] = {
        { "", 1, 1, "missing key 'axes'" },
        { "axes: {policy: [a]}\nfoo: 1\n", 3, 1, "unknown key 'foo'" },
        { "axes: []\n", 2, 7, "'axes' must be a mapping of axis: values" },
        { "axes:\n  policy: []\n", 3, 11, "axis 'policy' needs a non-empty list" },
        { "axes:\n  duration_ms: 5\n", 3, 16,
          "axis 'duration_ms' needs a non-empty list or a range {from:, to:, step: | factor:}" },
        { "axes:\n  seed: [1, 2]\n", 3, 3, "use 'repeats: N' for seeds" },
        { "axes:\n  policy.name: [a]\n", 3, 3, "use the axis 'policy' instead" },
        { "axes:\n  a..b: [1]\n", 3, 3, "axis 'a..b' is not a dotted key" },
        { "axes:\n  x: {from: 1, to: 5, step: 0}\n", 3, 6, "a range needs step > 0" },
        { "axes:\n  x: {from: 5, to: 1, step: 1}\n", 3, 6, "a range needs to >= from" },
        { "axes:\n  x: {from: 0, to: 8, factor: 2}\n", 3, 6,
          "a geometric range needs from > 0 and factor > 1" },
        { "axes:\n  x: {from: 1, to: 8}\n", 3, 6, "missing key 'step' in the range" },
        { "axes:\n  x: {from: a, to: 8, step: 1}\n", 3, 13, "'from' must be a number" },
        { "axes:\n  x: {from: 1, to: 8, step: 1, by: 2}\n", 3, 32, "unknown key 'by'" },
        { "axes:\n  machine: [no-such.yaml]\n", 3, 13,
          "machine file 'no-such.yaml' not found (paths are relative to the spec file)" },
        { "axes:\n  machine: [{nodes: 1}]\n", 3, 13, "a machine given as a mapping needs 'path'" },
        { "axes:\n  policy: [[a]]\n", 3, 12, "a policy is a name (see `tlbsim list`)" },
        { "repeats: 0\naxes: {policy: [a]}\n", 2, 10, NULL },
        { "set: [1]\naxes: {policy: [a]}\n", 2, 6, "'set' must be a mapping of dotted keys to values" },
        { "axes:\n  policy: [a/b, a_b]\n", 3, 3,
          "two points would share the directory 'a_b'; make the values differ in [A-Za-z0-9._=+-]" },
        { "axes:\n  x: {from: 1, to: 1000, step: 1}\n  y: {from: 1, to: 1000, step: 1}\n", 3, 3,
          "the sweep has more than 100000 points" },
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = write_spec(f, "scenario: %s\n%s", f->scenario, cases[i].text);
        struct sweep_spec *spec = NULL;
        GPtrArray *points = NULL;
        struct cfg_error err;
        int rc;

        memset(&err, 0, sizeof(err));
        rc = sweep_spec_load(path, &spec, &err);
        if (rc == 0) {
            rc = sweep_points_expand(spec, &points, &err);
            sweep_spec_free(spec);
        }
        if (rc == 0)
            fail_msg("case %zu loaded: %s", i, cases[i].text);
        assert_string_equal(err.file, path);
        if (err.line != cases[i].line || err.col != cases[i].col ||
            (cases[i].msg && strcmp(err.msg, cases[i].msg) != 0))
            fail_msg("case %zu: got %u:%u: %s; want %u:%u: %s", i, err.line, err.col, err.msg,
                     cases[i].line, cases[i].col, cases[i].msg ? cases[i].msg : "(any)");
        g_free(path);
    }
}

static void test_missing_scenario(void **state)
{
    struct fixture *f = *state;
    char *path = write_spec(f, "scenario: nowhere.yaml\naxes: {policy: [a]}\n");
    struct sweep_spec *spec = NULL;
    struct cfg_error err;

    assert_int_equal(sweep_spec_load(path, &spec, &err), -1);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 11);
    assert_string_equal(err.msg, "scenario 'nowhere.yaml' not found (paths are relative to "
                        "the spec file)");
    g_free(path);
}

static void test_quoting(void **state)
{
    static const char *const shell[][2] = {
        { "build/tlbsim", "build/tlbsim" },
        { "kernel.x=14", "kernel.x=14" },
        { "a b", "'a b'" },
        { "it's", "'it'\\''s'" },
        { "", "''" },
        { "machine.nodes=[{memory: 1GiB}]", "'machine.nodes=[{memory: 1GiB}]'" },
    };
    struct cfg_node *root;
    struct cfg_error err;
    char *s;

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(shell); i++) {
        s = sweep_shell_quote(shell[i][0]);
        assert_string_equal(s, shell[i][1]);
        g_free(s);
    }
    assert_int_equal(cfg_load_string("t", "[{memory: 512MiB, cpus: socket 0}, 'a: b', \"q\\\"\", -1]",
                                     &root, &err), 0);
    s = sweep_flow_text(root);
    assert_string_equal(s, "[{memory: 512MiB, cpus: socket 0}, \"a: b\", \"q\\\"\", \"-1\"]");
    g_free(s);
    cfg_free(root);
    s = sweep_safe_name("kernel.x=[1, 2]/a");
    assert_string_equal(s, "kernel.x=_1__2__a");
    g_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cross_product, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_from_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_scenario, setup, teardown),
        cmocka_unit_test(test_quoting),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
