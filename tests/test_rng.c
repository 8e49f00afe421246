/* Tests for the random streams: pinned outputs (any change to seeding or the
 * generator shows up here), stream independence, and distribution sanity of
 * every sampler with fixed seeds and generous bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "sim/rng.h"

/* Computed once with this implementation; they pin the output for good. */
static const uint64_t seed42_stream0[] = {
    0xd469c81cc8cc0c29u, 0xf32feba53743e4ffu,
    0x255770afbb65ac54u, 0x1aa74c6088172e0bu,
};
static const uint64_t seed42_stream1[] = {
    0xc2c1073d082d7815u, 0x17eac6fc8c9b9066u,
    0x6195e1497fc69099u, 0xb84e187f09681887u,
};

static void test_rng_known_outputs_seed42(void **state)
{
    struct rng r0, r1;

    (void)state;
    rng_stream_init(&r0, 42, 0);
    rng_stream_init(&r1, 42, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rng_next_u64(&r0), seed42_stream0[i]);
        assert_int_equal(rng_next_u64(&r1), seed42_stream1[i]);
    }
}

/* The generator itself against the xoshiro256** reference (state 1,2,3,4). */
static void test_rng_xoshiro_matches_reference(void **state)
{
    struct rng r = { { 1, 2, 3, 4 } };

    (void)state;
    assert_int_equal(rng_next_u64(&r), 11520u);
    assert_int_equal(rng_next_u64(&r), 0u);
    assert_int_equal(rng_next_u64(&r), 1509978240u);
    assert_int_equal(rng_next_u64(&r), 1215971899390074240u);
}

static void test_rng_same_seed_same_sequence(void **state)
{
    struct rng a, b;

    (void)state;
    rng_stream_init(&a, 12345, RNG_STREAM_ID(3, 9));
    rng_stream_init(&b, 12345, RNG_STREAM_ID(3, 9));
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rng_next_u64(&a), rng_next_u64(&b));
}

/* Streams (and seeds) one bit apart share no early outputs and differ in
 * about half of their bits. */
static void test_rng_streams_differ(void **state)
{
    uint64_t diff_bits = 0;

    (void)state;
    for (int bit = 0; bit < 64; bit++) {
        struct rng a, b, c;

        rng_stream_init(&a, 7, 0);
        rng_stream_init(&b, 7, (uint64_t)1 << bit);
        rng_stream_init(&c, 7 ^ ((uint64_t)1 << bit), 0);
        for (int i = 0; i < 16; i++) {
            uint64_t x = rng_next_u64(&a), y = rng_next_u64(&b), z = rng_next_u64(&c);

            assert_true(x != y && x != z);
            diff_bits += (uint64_t)__builtin_popcountll(x ^ y);
        }
    }
    /* 64 * 16 words of 64 bits: expect 32768 differing bits, sd about 90. */
    assert_in_range(diff_bits, 32768 - 1000, 32768 + 1000);
}

static void test_rng_uniform_bound_coverage_and_chi_square(void **state)
{
    enum { BOUND = 10, DRAWS = 100000 };
    uint64_t count[BOUND] = { 0 };
    double expected = (double)DRAWS / BOUND, chi2 = 0.0;
    struct rng r;

    (void)state;
    rng_stream_init(&r, 42, 0);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = rng_uniform_u64(&r, BOUND);

        assert_true(v < BOUND);
        count[v]++;
    }
    for (int k = 0; k < BOUND; k++) {
        double d = (double)count[k] - expected;

        chi2 += d * d / expected;
    }
    /* 9 degrees of freedom: P(chi2 > 40) is about 1e-5. */
    assert_true(chi2 < 40.0);
    assert_int_equal(rng_uniform_u64(&r, 0), 0);
    assert_int_equal(rng_uniform_u64(&r, 1), 0);
}

static void test_rng_uniform_large_bound_stays_below(void **state)
{
    /* Just above 2^63: about half of raw draws fall in the rejection zone. */
    const uint64_t bound = ((uint64_t)1 << 63) + 12345;
    uint64_t high = 0;
    struct rng r;

    (void)state;
    rng_stream_init(&r, 1, 2);
    for (int i = 0; i < 10000; i++) {
        uint64_t v = rng_uniform_u64(&r, bound);

        assert_true(v < bound);
        high += v >= ((uint64_t)1 << 62);
    }
    assert_in_range(high, 4700, 5300);   /* expect 5000, sd 50 */
}

static void test_rng_uniform_double_in_unit_interval(void **state)
{
    struct rng r;
    double sum = 0.0;

    (void)state;
    rng_stream_init(&r, 42, 0);
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform_double(&r);

        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.005);
}

static void test_rng_exponential_mean_within_2_percent(void **state)
{
    struct rng r;
    double sum = 0.0;

    (void)state;
    rng_stream_init(&r, 42, 5);
    for (int i = 0; i < 1000000; i++) {
        double x = rng_exponential(&r, 1000.0);

        assert_true(x >= 0.0 && isfinite(x));
        sum += x;
    }
    assert_true(fabs(sum / 1e6 - 1000.0) < 20.0);
}

static void test_rng_bernoulli_rate(void **state)
{
    struct rng r;
    int hits = 0;

    (void)state;
    rng_stream_init(&r, 42, 6);
    for (int i = 0; i < 100000; i++)
        hits += rng_bernoulli(&r, 0.3);
    /* sd = sqrt(1e5 * 0.21), about 145. */
    assert_in_range(hits, 30000 - 1000, 30000 + 1000);
    for (int i = 0; i < 1000; i++) {
        assert_false(rng_bernoulli(&r, 0.0));
        assert_true(rng_bernoulli(&r, 1.0));
    }
}

static void test_rng_zipf_rank0_frequency(void **state)
{
    enum { N = 1000, DRAWS = 1000000 };
    struct rng_zipf z;
    struct rng r;
    double harmonic = 0.0;
    uint64_t rank0 = 0, rank1 = 0;

    (void)state;
    assert_int_equal(rng_zipf_init(&z, N, 1.0), 0);
    rng_stream_init(&r, 42, 8);
    for (int k = 1; k <= N; k++)
        harmonic += 1.0 / k;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = rng_zipf_next(&z, &r);

        assert_true(k < N);
        rank0 += k == 0;
        rank1 += k == 1;
    }
    assert_true(fabs((double)rank0 / DRAWS * harmonic - 1.0) < 0.03);
    assert_true(fabs((double)rank1 / DRAWS * harmonic * 2.0 - 1.0) < 0.03);
}

/* An exponent other than 1 (the power form rather than the log form). */
static void test_rng_zipf_exponent_two(void **state)
{
    enum { N = 100, DRAWS = 200000 };
    struct rng_zipf z;
    struct rng r;
    double norm = 0.0;
    uint64_t rank0 = 0;

    (void)state;
    assert_int_equal(rng_zipf_init(&z, N, 2.0), 0);
    rng_stream_init(&r, 42, 9);
    for (int k = 1; k <= N; k++)
        norm += 1.0 / ((double)k * k);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t k = rng_zipf_next(&z, &r);

        assert_true(k < N);
        rank0 += k == 0;
    }
    assert_true(fabs((double)rank0 / DRAWS * norm - 1.0) < 0.03);
}

static void test_rng_zipf_rejects_bad_parameters(void **state)
{
    struct rng_zipf z;
    struct rng r;

    (void)state;
    assert_int_equal(rng_zipf_init(&z, 0, 1.0), -1);
    assert_int_equal(rng_zipf_init(&z, 10, 0.0), -1);
    assert_int_equal(rng_zipf_init(&z, 10, -1.0), -1);
    assert_int_equal(rng_zipf_init(&z, 10, NAN), -1);
    assert_int_equal(rng_zipf_init(&z, 10, INFINITY), -1);
    assert_int_equal(rng_zipf_init(&z, 1, 1.0), 0);
    rng_stream_init(&r, 42, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(rng_zipf_next(&z, &r), 0);
    assert_int_equal(rng_zipf_init(&z, UINT64_MAX, 1.2), 0);
    for (int i = 0; i < 1000; i++)
        (void)rng_zipf_next(&z, &r);   /* must stay in range, no UB */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_known_outputs_seed42),
        cmocka_unit_test(test_rng_xoshiro_matches_reference),
        cmocka_unit_test(test_rng_same_seed_same_sequence),
        cmocka_unit_test(test_rng_streams_differ),
        cmocka_unit_test(test_rng_uniform_bound_coverage_and_chi_square),
        cmocka_unit_test(test_rng_uniform_large_bound_stays_below),
        cmocka_unit_test(test_rng_uniform_double_in_unit_interval),
        cmocka_unit_test(test_rng_exponential_mean_within_2_percent),
        cmocka_unit_test(test_rng_bernoulli_rate),
        cmocka_unit_test(test_rng_zipf_rank0_frequency),
        cmocka_unit_test(test_rng_zipf_exponent_two),
        cmocka_unit_test(test_rng_zipf_rejects_bad_parameters),
    };

    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
