/* cfg lookups and typed getters: good values, range and syntax errors with
 * their positions, missing keys (at the mapping), unknown keys (at the key),
 * kind checks and dotted paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/cfg.h"

static const char doc[] = "machine:\n"           /* 1 */
                          "  tlb:\n"             /* 2 */
                          "    ways: 4\n"        /* 3 */
                          "    entries: 1_536\n" /* 4 */
                          "    bad: x\n"         /* 5 */
                          "    big: 100\n"       /* 6 */
                          "    ratio: 0.25\n"    /* 7 */
                          "    flag: on\n"       /* 8 */
                          "    name: skylake\n"  /* 9 */
                          "    mech: foo\n"      /* 10 */
                          "    mode: broadcast_tlbi\n"
                          "    lat_ns: 250\n"    /* 12 */
                          "    lat: 1.5us\n"     /* 13 */
                          "    frac_ns: 1.5ns\n" /* 14 */
                          "    mem: 64GiB\n"     /* 15 */
                          "    swap_pages: 10\n" /* 16 */
                          "    sub: {a: 1}\n"    /* 17 */
                          "    wayz: 8\n"        /* 18 */
                          "  list: [a, {rate: 5}]\n";

static int setup(void **state)
{
    struct cfg_node *root;
    struct cfg_error err;

    if (cfg_load_string("m.yaml", doc, &root, &err))
        return -1;
    *state = root;
    return 0;
}

static int teardown(void **state)
{
    cfg_free(*state);
    return 0;
}

static struct cfg_node *tlb(void **state)
{
    return cfg_path(*state, "machine.tlb");
}

static void assert_err(const struct cfg_error *err, unsigned line, unsigned col,
                       const char *msg)
{
    assert_string_equal(err->msg, msg);
    assert_string_equal(err->file, "m.yaml");
    assert_int_equal(err->line, line);
    assert_int_equal(err->col, col);
}

static void test_integers(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    uint32_t v32 = 0;
    uint64_t v64 = 7;

    assert_int_equal(cfg_get_u32(t, "ways", true, 1, 64, &v32, &err), 0);
    assert_int_equal(v32, 4);
    assert_int_equal(cfg_get_u64(t, "entries", true, 1, UINT64_MAX, &v64, &err), 0);
    assert_int_equal(v64, 1536);
    assert_int_equal(cfg_get_u32(t, "big", true, 1, 64, &v32, &err), -1);
    assert_err(&err, 6, 10, "'big' must be in [1, 64], got 100");
    assert_int_equal(cfg_get_u32(t, "bad", true, 1, 64, &v32, &err), -1);
    assert_err(&err, 5, 10, "'bad' must be an integer in [1, 64], got 'x'");
    assert_int_equal(cfg_get_u32(t, "sub", true, 1, 64, &v32, &err), -1);
    assert_err(&err, 17, 10, "'sub' must be an integer in [1, 64], got a mapping");
    assert_int_equal(v32, 4);
}

static void test_missing(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    uint64_t v = 7;
    const char *s = "keep";

    assert_int_equal(cfg_get_u64(t, "sockets", true, 1, 8, &v, &err), -1);
    assert_err(&err, 3, 5, "missing key 'sockets'");
    assert_int_equal(cfg_get_u64(t, "sockets", false, 1, 8, &v, &err), 0);
    assert_int_equal(v, 7);
    assert_int_equal(cfg_get_str(t, "nope", false, &s, &err), 0);
    assert_string_equal(s, "keep");
    assert_int_equal(cfg_get_str(*state, "nope", true, &s, &err), -1);
    assert_err(&err, 1, 1, "missing key 'nope'");
}

static void test_double(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    double d = 0;

    assert_int_equal(cfg_get_double(t, "ratio", true, 0, 1, &d, &err), 0);
    assert_true(d == 0.25);
    assert_int_equal(cfg_get_double(t, "ratio", true, 0.5, 1, &d, &err), -1);
    assert_err(&err, 7, 12, "'ratio' must be in [0.5, 1], got 0.25");
    assert_int_equal(cfg_get_double(t, "name", true, 0, 1, &d, &err), -1);
    assert_err(&err, 9, 11, "'name' must be a number in [0, 1], got 'skylake'");
}

static void test_bool(void **state)
{
    static const char *const good[] = { "true", "false", "on", "off", "yes", "no" };
    char text[32];

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        struct cfg_node *root;
        struct cfg_error err;
        bool b = i % 2 == 1 ? true : false;

        snprintf(text, sizeof(text), "f: %s\n", good[i]);
        assert_int_equal(cfg_load_string("b.yaml", text, &root, &err), 0);
        assert_int_equal(cfg_get_bool(root, "f", true, &b, &err), 0);
        assert_int_equal(b, i % 2 == 0);
        cfg_free(root);
    }
}

static void test_bool_error(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    bool b = false;

    assert_int_equal(cfg_get_bool(t, "flag", true, &b, &err), 0);
    assert_true(b);
    assert_int_equal(cfg_get_bool(t, "name", true, &b, &err), -1);
    assert_err(&err, 9, 11,
               "'name' must be true or false (or on/off, yes/no), got 'skylake'");
}

static void test_str_enum(void **state)
{
    static const char *const mechs[] = { "ipi", "broadcast_tlbi" };
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    const char *s = NULL;
    int e = -1;

    assert_int_equal(cfg_get_str(t, "name", true, &s, &err), 0);
    assert_string_equal(s, "skylake");
    assert_int_equal(cfg_get_enum(t, "mode", true, mechs, 2, &e, &err), 0);
    assert_int_equal(e, 1);
    assert_int_equal(cfg_get_enum(t, "mech", true, mechs, 2, &e, &err), -1);
    assert_err(&err, 10, 11, "'mech' must be one of: ipi, broadcast_tlbi; got 'foo'");
    assert_int_equal(cfg_get_str(t, "sub", true, &s, &err), -1);
    assert_err(&err, 17, 10, "'sub' must be a string, got a mapping");
}

static void test_time(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    uint64_t ns = 0;

    assert_int_equal(cfg_get_time_ns(t, "lat_ns", true, 1, 0, UINT64_MAX, &ns, &err), 0);
    assert_int_equal(ns, 250);
    assert_int_equal(cfg_get_time_ns(t, "lat_ns", true, 1000, 0, UINT64_MAX, &ns, &err), 0);
    assert_int_equal(ns, 250000);
    assert_int_equal(cfg_get_time_ns(t, "lat", true, 1, 0, UINT64_MAX, &ns, &err), 0);
    assert_int_equal(ns, 1500);
    assert_int_equal(cfg_get_time_ns(t, "lat", true, 1, 0, 1000, &ns, &err), -1);
    assert_err(&err, 13, 10, "'lat' must be in [0, 1000] ns, got 1500 ns");
    assert_int_equal(cfg_get_time_ns(t, "frac_ns", true, 1, 0, 1000, &ns, &err), -1);
    assert_err(&err, 14, 14, "'frac_ns': '1.5ns' is not a whole number of nanoseconds");
}

static void test_size(void **state)
{
    struct cfg_node *t = tlb(state);
    struct cfg_error err;
    uint64_t b = 0;

    assert_int_equal(cfg_get_size_bytes(t, "mem", true, 0, 0, UINT64_MAX, &b, &err), 0);
    assert_int_equal(b, (uint64_t)64 << 30);
    assert_int_equal(cfg_get_size_bytes(t, "swap_pages", true, 4096, 0, UINT64_MAX, &b,
                                        &err),
                     0);
    assert_int_equal(b, 40960);
    assert_int_equal(cfg_get_size_bytes(t, "swap_pages", true, 0, 0, UINT64_MAX, &b, &err),
                     -1);
    assert_err(&err, 16, 17,
               "'swap_pages': '10' needs a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
    assert_int_equal(cfg_get_size_bytes(t, "mem", true, 0, 0, 1 << 20, &b, &err), -1);
    assert_err(&err, 15, 10, "'mem' must be in [0, 1048576] bytes, got 68719476736 bytes");
}

static void test_unknown(void **state)
{
    struct cfg_node *root, *t;
    struct cfg_error err;
    uint32_t v;

    (void)state;
    assert_int_equal(cfg_load_string("u.yaml", "tlb:\n  ways: 4\n  wayz: 8\n", &root, &err),
                     0);
    t = cfg_get(root, "tlb");
    assert_int_equal(cfg_check_unknown(root, &err), 0);
    assert_int_equal(cfg_get_u32(t, "ways", true, 1, 64, &v, &err), 0);
    assert_int_equal(cfg_check_unknown(t, &err), -1);
    assert_string_equal(err.msg, "unknown key 'wayz'");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 3);
    assert_non_null(cfg_get(t, "wayz"));
    assert_int_equal(cfg_check_unknown(t, &err), 0);
    cfg_free(root);
}

static void test_expect_and_path(void **state)
{
    struct cfg_node *root = *state, *n;
    struct cfg_error err;

    assert_int_equal(cfg_expect(tlb(state), CFG_MAP, "tlb", &err), 0);
    n = cfg_path(root, "machine.tlb.ways");
    assert_int_equal(cfg_expect(n, CFG_MAP, "ways", &err), -1);
    assert_err(&err, 3, 11, "'ways' must be a mapping");
    assert_false(n->used);
    assert_string_equal(cfg_path(root, "machine.list.1.rate")->value, "5");
    assert_string_equal(cfg_path(root, "machine.list.0")->value, "a");
    assert_null(cfg_path(root, "machine.list.2"));
    assert_null(cfg_path(root, "machine.list.x"));
    assert_null(cfg_path(root, "machine.nope.x"));
    assert_null(cfg_path(root, "machine.tlb.ways.x"));
    assert_null(cfg_get(n, "x"));
    assert_null(cfg_get(NULL, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double, setup, teardown),
        cmocka_unit_test(test_bool),
        cmocka_unit_test_setup_teardown(test_bool_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_str_enum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size, setup, teardown),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test_setup_teardown(test_expect_and_path, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
