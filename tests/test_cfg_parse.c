/* cfg scalar parsers: integers (separators, hex, overflow, signs), doubles,
 * durations (exact decimal scaling, "1.5ns" refused) and sizes (binary and
 * decimal suffixes, fractions, overflow). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/cfg.h"

static void u64_ok(const char *text, uint64_t want)
{
    struct cfg_error err;
    uint64_t v = 0;

    if (cfg_parse_u64(text, &v, &err))
        fail_msg("'%s': %s", text, err.msg);
    assert_int_equal(v, want);
}

static void u64_bad(const char *text, const char *msg)
{
    struct cfg_error err;
    uint64_t v = 99;

    assert_int_equal(cfg_parse_u64(text, &v, &err), -1);
    assert_int_equal(v, 99);
    assert_string_equal(err.msg, msg);
}

static void test_integers(void **state)
{
    (void)state;
    u64_ok("0", 0);
    u64_ok("42", 42);
    u64_ok("007", 7);
    u64_ok("1_000_000", 1000000);
    u64_ok("0x1F", 31);
    u64_ok("0xffff_ffff", 0xffffffffu);
    u64_ok("18446744073709551615", UINT64_MAX);
    u64_ok("0000000000000000000000000000000000000000000000000000000000000000000001", 1);
    u64_bad("18446744073709551616", "integer overflows 64 bits: '18446744073709551616'");
    u64_bad("0x10000000000000000", "integer overflows 64 bits: '0x10000000000000000'");
    u64_bad("123456789012345678901234567890123456789012345678901234567890123456789",
            "integer overflows 64 bits: "
            "'123456789012345678901234567890123456789012345678...'");
    u64_bad("-1", "expected a non-negative integer, got '-1'");
    u64_bad("+1", "expected an integer, got '+1'");
    u64_bad(" 1", "expected an integer, got ' 1'");
    u64_bad("1 ", "expected an integer, got '1 '");
    u64_bad("", "expected an integer, got ''");
    u64_bad("1__0", "expected an integer, got '1__0'");
    u64_bad("_1", "expected an integer, got '_1'");
    u64_bad("1_", "expected an integer, got '1_'");
    u64_bad("0x", "expected an integer, got '0x'");
    u64_bad("0x_1", "expected an integer, got '0x_1'");
    u64_bad("1.5", "expected an integer, got '1.5'");
    u64_bad("12abc", "expected an integer, got '12abc'");
    u64_bad("1\n2", "expected an integer, got '1?2'");
}

static void test_doubles(void **state)
{
    struct cfg_error err;
    double d = 0;

    (void)state;
    assert_int_equal(cfg_parse_double("0.5", &d, &err), 0);
    assert_true(d == 0.5);
    assert_int_equal(cfg_parse_double("-2", &d, &err), 0);
    assert_true(d == -2);
    assert_int_equal(cfg_parse_double("1e3", &d, &err), 0);
    assert_true(d == 1000);
    assert_int_equal(cfg_parse_double("inf", &d, &err), -1);
    assert_string_equal(err.msg, "expected a finite number, got 'inf'");
    assert_int_equal(cfg_parse_double("nan", &d, &err), -1);
    assert_int_equal(cfg_parse_double("1e999", &d, &err), -1);
    assert_int_equal(cfg_parse_double("", &d, &err), -1);
    assert_string_equal(err.msg, "expected a number, got ''");
    assert_int_equal(cfg_parse_double(" 1", &d, &err), -1);
    assert_int_equal(cfg_parse_double("1x", &d, &err), -1);
    assert_true(d == 1000);
}

static void time_ok(const char *text, uint64_t unit, uint64_t want)
{
    struct cfg_error err;
    uint64_t v = 0;

    if (cfg_parse_time_ns(text, unit, &v, &err))
        fail_msg("'%s': %s", text, err.msg);
    assert_int_equal(v, want);
}

static void time_bad(const char *text, uint64_t unit, const char *msg)
{
    struct cfg_error err;
    uint64_t v = 99;

    assert_int_equal(cfg_parse_time_ns(text, unit, &v, &err), -1);
    assert_int_equal(v, 99);
    assert_string_equal(err.msg, msg);
}

static void test_durations(void **state)
{
    (void)state;
    time_ok("1.5us", 1, 1500);
    time_ok("2ms", 1, 2000000);
    time_ok("3s", 1, 3000000000u);
    time_ok("250ns", 1000, 250);
    time_ok("1_000ns", 1, 1000);
    time_ok("0.000000001s", 1, 1);
    time_ok("1.250000us", 1, 1250);
    time_ok("2 us", 1, 2000);
    time_ok("250", 1, 250);
    time_ok("250", 1000, 250000);
    time_ok("1.5", 1000, 1500);
    time_ok("18446744073709551615ns", 1, UINT64_MAX);
    time_ok("18446744073.709551615s", 1, UINT64_MAX);
    time_bad("1.5ns", 1, "'1.5ns' is not a whole number of nanoseconds");
    time_bad("1.5", 1, "'1.5' is not a whole number of nanoseconds");
    time_bad("1.00000000000000000001s", 1,
             "'1.00000000000000000001s' is not a whole number of nanoseconds");
    time_bad("18446744073709551616ns", 1, "duration overflows 64 bits: '18446744073709551616ns'");
    time_bad("18446744074s", 1, "duration overflows 64 bits: '18446744074s'");
    time_bad("18446744073.709551616s", 1, "duration overflows 64 bits: '18446744073.709551616s'");
    time_bad("10", 0, "'10' needs a unit (ns, us, ms or s)");
    time_bad("us", 1, "expected a duration (a number with ns, us, ms or s), got 'us'");
    time_bad("1.us", 1, "expected a duration (a number with ns, us, ms or s), got '1.us'");
    time_bad(".5us", 1, "expected a duration (a number with ns, us, ms or s), got '.5us'");
    time_bad("-1us", 1, "expected a duration (a number with ns, us, ms or s), got '-1us'");
    time_bad("1.5 ", 1, "expected a duration (a number with ns, us, ms or s), got '1.5 '");
    time_bad("1min", 1, "expected a duration (a number with ns, us, ms or s), got '1min'");
    time_bad("1e3ns", 1, "expected a duration (a number with ns, us, ms or s), got '1e3ns'");
    time_bad("", 1, "expected a duration (a number with ns, us, ms or s), got ''");
}

static void size_ok(const char *text, uint64_t unit, uint64_t want)
{
    struct cfg_error err;
    uint64_t v = 0;

    if (cfg_parse_size(text, unit, &v, &err))
        fail_msg("'%s': %s", text, err.msg);
    assert_int_equal(v, want);
}

static void size_bad(const char *text, uint64_t unit, const char *msg)
{
    struct cfg_error err;
    uint64_t v = 99;

    assert_int_equal(cfg_parse_size(text, unit, &v, &err), -1);
    assert_int_equal(v, 99);
    assert_string_equal(err.msg, msg);
}

static void test_sizes(void **state)
{
    (void)state;
    size_ok("64GiB", 0, (uint64_t)64 << 30);
    size_ok("42GB", 0, 42000000000u);
    size_ok("1.5GiB", 0, (uint64_t)3 << 29);
    size_ok("0.5KiB", 0, 512);
    size_ok("4 KiB", 0, 4096);
    size_ok("1B", 0, 1);
    size_ok("2TB", 0, 2000000000000u);
    size_ok("16777215TiB", 0, (uint64_t)16777215 << 40);
    size_ok("10", 4096, 40960);
    size_ok("10B", 4096, 10);
    size_bad("20000000TiB", 0, "size overflows 64 bits: '20000000TiB'");
    size_bad("16777216TiB", 0, "size overflows 64 bits: '16777216TiB'");
    size_bad("0.5B", 0, "'0.5B' is not a whole number of bytes");
    size_bad("0.001KiB", 0, "'0.001KiB' is not a whole number of bytes");
    size_bad("4096", 0, "'4096' needs a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
    size_bad("1.5", 4096, "'1.5' needs a unit to have a fraction");
    size_bad("1EiB", 0,
             "expected a size (a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB), "
             "got '1EiB'");
    size_bad("1kib", 0,
             "expected a size (a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB), "
             "got '1kib'");
    size_bad("-1GiB", 0,
             "expected a size (a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB), "
             "got '-1GiB'");
}

static void test_excerpt(void **state)
{
    char buf[64], small[8];

    (void)state;
    assert_string_equal(cfg_excerpt("a\tb", buf, sizeof(buf)), "a?b");
    assert_string_equal(cfg_excerpt("abcdefghijk", small, sizeof(small)), "abcd...");
    assert_string_equal(cfg_excerpt(NULL, buf, sizeof(buf)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_excerpt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
