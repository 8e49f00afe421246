/* Tests for run statistics: counters (total and per CPU, lookup, reset),
 * histogram buckets and percentiles on known data, and time-series rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "sim/stats.h"

static void test_stats_counters_total_and_per_cpu(void **state)
{
    struct stats *st = stats_new(4);
    stats_id a, b;

    (void)state;
    a = stats_counter(st, "ipis_sent");
    b = stats_counter(st, "flushes");
    assert_int_not_equal(a, b);
    stats_add(st, a, 0, 3);
    stats_add(st, a, 3, 4);
    stats_add_global(st, a, 10);
    stats_add(st, b, 1, 1);
    assert_int_equal(stats_total(st, a), 17);
    assert_int_equal(stats_cpu(st, a, 0), 3);
    assert_int_equal(stats_cpu(st, a, 1), 0);
    assert_int_equal(stats_cpu(st, a, 3), 4);
    assert_int_equal(stats_total(st, b), 1);
    assert_int_equal(stats_cpu(st, b, 1), 1);
    assert_int_equal(stats_n_cpus(st), 4);
    stats_free(st);
}

static void test_stats_find_by_name_and_reregister(void **state)
{
    struct stats *st = stats_new(0);
    stats_id id, found;
    char name[32];

    (void)state;
    /* Enough counters to grow the value array several times. */
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(stats_counter(st, name), (stats_id)i);
        stats_add_global(st, (stats_id)i, (uint64_t)i);
    }
    id = stats_counter(st, "c42");
    assert_int_equal(id, 42);                       /* same id again */
    assert_int_equal(stats_n_counters(st), 100);
    assert_true(stats_find(st, "c99", &found));
    assert_int_equal(found, 99);
    assert_int_equal(stats_total(st, found), 99);
    assert_false(stats_find(st, "nope", &found));
    assert_string_equal(stats_counter_name(st, 7), "c7");
    assert_null(stats_counter_name(st, 100));
    stats_free(st);
}

static void test_stats_name_is_copied(void **state)
{
    struct stats *st = stats_new(1);
    char name[] = "tlb_miss";
    stats_id id;

    (void)state;
    id = stats_counter(st, name);
    name[0] = 'X';
    assert_string_equal(stats_counter_name(st, id), "tlb_miss");
    assert_true(stats_find(st, "tlb_miss", &id));
    stats_free(st);
}

static void test_stats_reset_zeroes_everything(void **state)
{
    struct stats *st = stats_new(2);
    stats_id c = stats_counter(st, "c");
    stats_id h = stats_hist(st, "lat");

    (void)state;
    stats_series_track(st, c);
    stats_add(st, c, 1, 5);
    stats_hist_record(st, h, 100);
    stats_series_sample(st, 1000);
    stats_reset(st);
    assert_int_equal(stats_total(st, c), 0);
    assert_int_equal(stats_cpu(st, c, 1), 0);
    assert_int_equal(stats_hist_get(st, h)->count, 0);
    assert_int_equal(stats_hist_get(st, h)->bucket[7], 0);
    assert_int_equal(stats_series_rows(st), 0);
    assert_int_equal(stats_series_width(st), 1);    /* tracking kept */
    assert_int_equal(stats_n_counters(st), 1);      /* names kept */
    stats_add(st, c, 0, 2);
    assert_int_equal(stats_total(st, c), 2);
    stats_free(st);
}

static void test_stats_hist_buckets(void **state)
{
    struct stats_hist h = { 0 };

    (void)state;
    hist_record(&h, 0);
    hist_record(&h, 1);
    hist_record(&h, 2);
    hist_record(&h, 3);
    hist_record(&h, 4);
    hist_record(&h, 1023);
    hist_record(&h, 1024);
    hist_record(&h, UINT64_MAX);
    assert_int_equal(h.bucket[0], 1);
    assert_int_equal(h.bucket[1], 1);
    assert_int_equal(h.bucket[2], 2);    /* [2, 4) */
    assert_int_equal(h.bucket[3], 1);
    assert_int_equal(h.bucket[10], 1);   /* [512, 1024) */
    assert_int_equal(h.bucket[11], 1);
    assert_int_equal(h.bucket[64], 1);
    assert_int_equal(h.count, 8);
    assert_int_equal(h.min, 0);
    assert_int_equal(h.max, UINT64_MAX);
}

static void test_stats_hist_percentiles_on_known_data(void **state)
{
    struct stats *st = stats_new(0);
    stats_id id = stats_hist(st, "lat_ns");
    const struct stats_hist *h;

    (void)state;
    for (uint64_t v = 1; v <= 100; v++)
        stats_hist_record(st, id, v);
    h = stats_hist_get(st, id);
    assert_int_equal(h->count, 100);
    assert_int_equal(h->sum, 5050);
    /* p50: rank 50 is the 19th of 32 values in [32, 64): 32 + 19/32 * 32. */
    assert_int_equal(hist_percentile(h, 50), 51);
    /* p90: rank 90 is the 27th of 37 in [64, 128) narrowed to [64, 100]:
     * 64 + 27/37 * 36 = 90.3. p99: 64 + 36/37 * 36 = 99.03. */
    assert_int_equal(hist_percentile(h, 90), 90);
    assert_int_equal(hist_percentile(h, 99), 99);
    assert_int_equal(hist_percentile(h, 100), 100);
    assert_int_equal(hist_percentile(h, 0.5), 1);   /* clamped to min */
    assert_string_equal(stats_hist_name(st, id), "lat_ns");
    assert_int_equal(stats_hist(st, "lat_ns"), id);
    assert_int_equal(stats_n_hists(st), 1);
    stats_free(st);
}

static void test_stats_hist_percentile_clamps_and_empty(void **state)
{
    struct stats_hist h = { 0 };

    (void)state;
    assert_int_equal(hist_percentile(&h, 50), 0);
    /* All values inside one bucket: the answer stays within [min, max]. */
    for (int i = 0; i < 10; i++)
        hist_record(&h, 1000);
    assert_int_equal(hist_percentile(&h, 1), 1000);
    assert_int_equal(hist_percentile(&h, 50), 1000);
    assert_int_equal(hist_percentile(&h, 99.9), 1000);
    hist_record(&h, 1010);
    assert_in_range(hist_percentile(&h, 95), 1000, 1010);
}

static void test_stats_series_rows(void **state)
{
    struct stats *st = stats_new(1);
    stats_id a = stats_counter(st, "a");
    stats_id b = stats_counter(st, "b");

    (void)state;
    stats_series_set_bucket(st, 1000);
    assert_int_equal(stats_series_bucket(st), 1000);
    stats_series_track(st, b);
    stats_series_track(st, a);
    stats_series_track(st, b);                      /* duplicate ignored */
    assert_int_equal(stats_series_width(st), 2);
    assert_int_equal(stats_series_counter(st, 0), b);
    assert_int_equal(stats_series_counter(st, 1), a);
    for (int i = 1; i <= 3; i++) {
        stats_add(st, a, 0, 1);
        stats_add_global(st, b, 10);
        stats_series_sample(st, (sim_time_t)i * 1000);
    }
    assert_int_equal(stats_series_rows(st), 3);
    assert_int_equal(stats_series_time(st, 2), 3000);
    assert_int_equal(stats_series_value(st, 0, 0), 10);   /* cumulative */
    assert_int_equal(stats_series_value(st, 2, 0), 30);
    assert_int_equal(stats_series_value(st, 1, 1), 2);
    stats_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_counters_total_and_per_cpu),
        cmocka_unit_test(test_stats_find_by_name_and_reregister),
        cmocka_unit_test(test_stats_name_is_copied),
        cmocka_unit_test(test_stats_reset_zeroes_everything),
        cmocka_unit_test(test_stats_hist_buckets),
        cmocka_unit_test(test_stats_hist_percentiles_on_known_data),
        cmocka_unit_test(test_stats_hist_percentile_clamps_and_empty),
        cmocka_unit_test(test_stats_series_rows),
    };

    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
