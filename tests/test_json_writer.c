/* Tests for the streaming JSON writer: exact layout of nested containers,
 * commas, string escaping, UTF-8 passthrough and number formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "sim/json_writer.h"

static void test_jw_nesting_and_commas(void **state)
{
    GString *out = g_string_new(NULL);
    struct json_writer w;

    (void)state;
    jw_init(&w, out);
    assert_false(jw_done(&w));
    jw_begin_object(&w);
    jw_key(&w, "name");
    jw_string(&w, "run");
    jw_key(&w, "cpus");
    jw_begin_array(&w);
    jw_u64(&w, 0);
    jw_begin_object(&w);
    jw_key(&w, "id");
    jw_i64(&w, -1);
    jw_end_object(&w);
    jw_end_array(&w);
    jw_key(&w, "empty_obj");
    jw_begin_object(&w);
    jw_end_object(&w);
    jw_key(&w, "empty_arr");
    jw_begin_array(&w);
    jw_end_array(&w);
    jw_key(&w, "ok");
    jw_bool(&w, true);
    jw_key(&w, "no");
    jw_bool(&w, false);
    jw_key(&w, "nothing");
    jw_null(&w);
    jw_end_object(&w);
    assert_true(jw_done(&w));
    assert_string_equal(out->str,
        "{\n"
        "  \"name\": \"run\",\n"
        "  \"cpus\": [\n"
        "    0,\n"
        "    {\n"
        "      \"id\": -1\n"
        "    }\n"
        "  ],\n"
        "  \"empty_obj\": {},\n"
        "  \"empty_arr\": [],\n"
        "  \"ok\": true,\n"
        "  \"no\": false,\n"
        "  \"nothing\": null\n"
        "}\n");
    g_string_free(out, TRUE);
}

static char *one_string(const char *s)
{
    GString *out = g_string_new(NULL);
    struct json_writer w;

    jw_init(&w, out);
    jw_string(&w, s);
    return g_string_free(out, FALSE);
}

static void test_jw_escapes_quotes_backslash_and_controls(void **state)
{
    char *s;

    (void)state;
    s = one_string("say \"hi\" \\ back");
    assert_string_equal(s, "\"say \\\"hi\\\" \\\\ back\"\n");
    g_free(s);
    s = one_string("a\nb\tc\rd\be\ff\x01g\x1fh\x7f");
    assert_string_equal(s, "\"a\\nb\\tc\\rd\\be\\ff\\u0001g\\u001fh\x7f\"\n");
    g_free(s);
    s = one_string("/ stays");
    assert_string_equal(s, "\"/ stays\"\n");
    g_free(s);
}

static void test_jw_unicode_passes_through(void **state)
{
    char *s;

    (void)state;
    s = one_string("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");
    assert_string_equal(s, "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\"\n");
    g_free(s);
}

static void test_jw_keys_are_escaped_and_null_string(void **state)
{
    GString *out = g_string_new(NULL);
    struct json_writer w;

    (void)state;
    jw_init(&w, out);
    jw_begin_object(&w);
    jw_key(&w, "a\"b");
    jw_string(&w, NULL);
    jw_end_object(&w);
    assert_string_equal(out->str, "{\n  \"a\\\"b\": null\n}\n");
    g_string_free(out, TRUE);
}

static void test_jw_numbers(void **state)
{
    GString *out = g_string_new(NULL);
    struct json_writer w;

    (void)state;
    jw_init(&w, out);
    jw_begin_array(&w);
    jw_u64(&w, UINT64_MAX);
    jw_i64(&w, INT64_MIN);
    jw_double(&w, 0.1);
    jw_double(&w, 1.0 / 3.0);
    jw_double(&w, 1e300);
    jw_double(&w, -2.5);
    jw_double(&w, NAN);
    jw_double(&w, INFINITY);
    jw_end_array(&w);
    assert_string_equal(out->str,
        "[\n"
        "  18446744073709551615,\n"
        "  -9223372036854775808,\n"
        "  0.1,\n"
        "  0.333333333,\n"
        "  1e+300,\n"
        "  -2.5,\n"
        "  null,\n"
        "  null\n"
        "]\n");
    g_string_free(out, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jw_nesting_and_commas),
        cmocka_unit_test(test_jw_escapes_quotes_backslash_and_controls),
        cmocka_unit_test(test_jw_unicode_passes_through),
        cmocka_unit_test(test_jw_keys_are_escaped_and_null_string),
        cmocka_unit_test(test_jw_numbers),
    };

    return cmocka_run_group_tests_name("json_writer", tests, NULL, NULL);
}
