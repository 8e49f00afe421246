/* Tests for the 4-ary event heap: ordering by time, ties by sequence number,
 * growth, and a random stress run checked against a sorted reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sim/event_queue.h"
#include "sim/rng.h"

static struct evq_entry entry(sim_time_t when, uint64_t seq)
{
    struct evq_entry e = { .when = when, .seq = seq, .arg = seq * 10 };

    return e;
}

static void test_evq_empty_pop_and_peek(void **state)
{
    struct evq q;
    struct evq_entry out;

    (void)state;
    evq_init(&q);
    assert_null(evq_peek(&q));
    assert_false(evq_pop(&q, &out));
    assert_int_equal(evq_len(&q), 0);
    evq_destroy(&q);
}

static void test_evq_pops_in_time_order(void **state)
{
    static const sim_time_t times[] = { 50, 10, 40, 30, 20, 0, 60 };
    struct evq q;
    struct evq_entry e, out;
    sim_time_t last = 0;

    (void)state;
    evq_init(&q);
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        e = entry(times[i], i + 1);
        evq_push(&q, &e);
    }
    assert_int_equal(evq_len(&q), 7);
    assert_int_equal(evq_peek(&q)->when, 0);
    for (int i = 0; i < 7; i++) {
        assert_true(evq_pop(&q, &out));
        assert_true(out.when >= last);
        assert_int_equal(out.arg, out.seq * 10);   /* payload moved intact */
        last = out.when;
    }
    assert_int_equal(last, 60);
    assert_false(evq_pop(&q, &out));
    evq_destroy(&q);
}

static void test_evq_ties_pop_in_insertion_order(void **state)
{
    struct evq q;
    struct evq_entry e, out;

    (void)state;
    evq_init(&q);
    /* Push sequence numbers in a scrambled order, all at one time. */
    for (uint64_t i = 0; i < 100; i++) {
        e = entry(7, (i * 37) % 100 + 1);
        evq_push(&q, &e);
    }
    for (uint64_t seq = 1; seq <= 100; seq++) {
        assert_true(evq_pop(&q, &out));
        assert_int_equal(out.when, 7);
        assert_int_equal(out.seq, seq);
    }
    evq_destroy(&q);
}

static void test_evq_push_from_own_head_survives_growth(void **state)
{
    struct evq q;
    struct evq_entry e = entry(5, 1), out;

    (void)state;
    evq_init(&q);
    evq_push(&q, &e);
    /* Pushing a pointer into the heap itself while it reallocates. */
    for (uint64_t i = 0; i < 1000; i++)
        evq_push(&q, evq_peek(&q));
    assert_int_equal(evq_len(&q), 1001);
    while (evq_pop(&q, &out))
        assert_int_equal(out.when, 5);
    evq_destroy(&q);
}

/* Inserts e into the sorted ref[head, len): its seq is the largest yet, so it
 * goes after every entry with when <= its own. */
static void ref_insert(struct evq_entry *ref, size_t head, size_t *len,
                       struct evq_entry e)
{
    size_t i = *len;

    while (i > head && ref[i - 1].when > e.when) {
        ref[i] = ref[i - 1];
        i--;
    }
    ref[i] = e;
    (*len)++;
}

/* Interleaved pushes and pops against a reference kept sorted by insertion. */
static void test_evq_random_stress_matches_sorted_reference(void **state)
{
    enum { OPS = 20000 };
    struct evq q;
    struct rng r;
    struct evq_entry *ref = malloc(OPS * sizeof(*ref));
    size_t ref_len = 0, ref_head = 0;
    uint64_t seq = 1;
    sim_time_t now = 0;

    (void)state;
    assert_non_null(ref);
    evq_init(&q);
    rng_stream_init(&r, 42, 7);
    for (int op = 0; op < OPS; op++) {
        struct evq_entry e, out;

        if (ref_head < ref_len && rng_uniform_u64(&r, 3) == 0) {
            assert_true(evq_pop(&q, &out));
            assert_int_equal(out.when, ref[ref_head].when);
            assert_int_equal(out.seq, ref[ref_head].seq);
            now = out.when;
            ref_head++;
            continue;
        }
        /* Small delay range so that equal times are common. */
        e = entry(now + rng_uniform_u64(&r, 50), seq++);
        evq_push(&q, &e);
        ref_insert(ref, ref_head, &ref_len, e);
    }
    assert_int_equal(evq_len(&q), ref_len - ref_head);
    while (ref_head < ref_len) {
        struct evq_entry out;

        assert_true(evq_pop(&q, &out));
        assert_int_equal(out.seq, ref[ref_head++].seq);
    }
    assert_int_equal(evq_len(&q), 0);
    evq_destroy(&q);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evq_empty_pop_and_peek),
        cmocka_unit_test(test_evq_pops_in_time_order),
        cmocka_unit_test(test_evq_ties_pop_in_insertion_order),
        cmocka_unit_test(test_evq_push_from_own_head_survives_growth),
        cmocka_unit_test(test_evq_random_stress_matches_sorted_reference),
    };

    return cmocka_run_group_tests_name("event_queue", tests, NULL, NULL);
}
