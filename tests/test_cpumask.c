/* cpumask: set/clear/test, weight and emptiness, combining masks, and
 * iteration in increasing CPU order across word boundaries and up to a
 * size that is not a multiple of 64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/cpumask.h"

static void test_cpumask_init_is_empty(void **state)
{
    struct cpumask m;

    cpumask_init(&m, 130);
    assert_int_equal(m.nbits, 130);
    assert_true(cpumask_empty(&m));
    assert_int_equal(cpumask_weight(&m), 0);
    assert_int_equal(cpumask_next(&m, 0), 130);
    cpumask_destroy(&m);
}

static void test_cpumask_set_clear_test(void **state)
{
    struct cpumask m;

    cpumask_init(&m, 200);
    cpumask_set(&m, 0);
    cpumask_set(&m, 63);
    cpumask_set(&m, 64);
    cpumask_set(&m, 199);
    assert_true(cpumask_test(&m, 0));
    assert_true(cpumask_test(&m, 63));
    assert_true(cpumask_test(&m, 64));
    assert_true(cpumask_test(&m, 199));
    assert_false(cpumask_test(&m, 1));
    assert_false(cpumask_test(&m, 65));
    assert_int_equal(cpumask_weight(&m), 4);
    cpumask_clear(&m, 63);
    assert_false(cpumask_test(&m, 63));
    assert_int_equal(cpumask_weight(&m), 3);
    cpumask_clear_all(&m);
    assert_true(cpumask_empty(&m));
    cpumask_destroy(&m);
}

static void test_cpumask_next_crosses_words(void **state)
{
    struct cpumask m;

    cpumask_init(&m, 300);
    cpumask_set(&m, 5);
    cpumask_set(&m, 128);
    cpumask_set(&m, 299);
    assert_int_equal(cpumask_next(&m, 0), 5);
    assert_int_equal(cpumask_next(&m, 5), 5);
    assert_int_equal(cpumask_next(&m, 6), 128);
    assert_int_equal(cpumask_next(&m, 129), 299);
    assert_int_equal(cpumask_next(&m, 300), 300);
    assert_int_equal(cpumask_next(&m, 5000), 300);
    cpumask_destroy(&m);
}

static void test_cpumask_for_each_in_order(void **state)
{
    const uint32_t want[] = { 1, 2, 63, 64, 511, 512, 1000, 1023 };
    struct cpumask m;
    uint32_t cpu, n = 0;

    cpumask_init(&m, 1024);
    for (size_t i = sizeof(want) / sizeof(want[0]); i-- > 0;)
        cpumask_set(&m, want[i]);
    cpumask_for_each(cpu, &m) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_int_equal(cpu, want[n]);
        n++;
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_int_equal(cpumask_weight(&m), n);
    cpumask_destroy(&m);
}

static void test_cpumask_copy_or_and_equal(void **state)
{
    struct cpumask a, b, c;

    cpumask_init(&a, 100);
    cpumask_init(&b, 100);
    cpumask_init(&c, 100);
    cpumask_set(&a, 3);
    cpumask_set(&a, 70);
    cpumask_set(&b, 70);
    cpumask_set(&b, 99);
    cpumask_copy(&c, &a);
    assert_true(cpumask_equal(&c, &a));
    assert_false(cpumask_equal(&c, &b));
    cpumask_or(&c, &b);
    assert_int_equal(cpumask_weight(&c), 3);
    assert_true(cpumask_test(&c, 99));
    cpumask_and(&c, &b);
    assert_true(cpumask_equal(&c, &b));
    cpumask_and(&a, &b);
    assert_int_equal(cpumask_weight(&a), 1);
    assert_int_equal(cpumask_next(&a, 0), 70);
    cpumask_destroy(&a);
    cpumask_destroy(&b);
    cpumask_destroy(&c);
}

static void test_cpumask_small_and_empty_sizes(void **state)
{
    struct cpumask m;
    uint32_t cpu, n = 0;

    cpumask_init(&m, 1);
    cpumask_set(&m, 0);
    assert_int_equal(cpumask_next(&m, 0), 0);
    assert_int_equal(cpumask_next(&m, 1), 1);
    cpumask_destroy(&m);

    cpumask_init(&m, 0);
    assert_true(cpumask_empty(&m));
    cpumask_for_each(cpu, &m)
        n++;
    assert_int_equal(n, 0);
    cpumask_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpumask_init_is_empty),
        cmocka_unit_test(test_cpumask_set_clear_test),
        cmocka_unit_test(test_cpumask_next_crosses_words),
        cmocka_unit_test(test_cpumask_for_each_in_order),
        cmocka_unit_test(test_cpumask_copy_or_and_equal),
        cmocka_unit_test(test_cpumask_small_and_empty_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
