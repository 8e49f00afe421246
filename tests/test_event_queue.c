/* Tests for the event queue: ordering by time, ties by sequence number,
 * payloads, growth (with key re-encoding), slot reuse, the seq limit, and a
 * random stress run checked against a sorted reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/event_queue.h"
#include "sim/rng.h"

static void dummy_fn(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)ctx;
    (void)arg;
}

/* Pushes an event whose arg records its time; returns its seq. */
static uint64_t push(struct evq *q, sim_time_t when)
{
    return evq_push(q, when, dummy_fn, q, when * 10 + 3);
}

static void assert_payload(const struct evq *q, const struct evq_event *e)
{
    assert_ptr_equal(e->fn, dummy_fn);
    assert_ptr_equal(e->ctx, q);
    assert_int_equal(e->arg, e->when * 10 + 3);
}

static void test_evq_entries_are_16_bytes(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct evq_entry), 16);
}

static void test_evq_empty_pop_and_peek(void **state)
{
    struct evq q;
    struct evq_event out = { 0 };

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
    struct evq_event out = { 0 };
    sim_time_t last = 0;

    (void)state;
    evq_init(&q);
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        assert_int_equal(push(&q, times[i]), i + 1);   /* seqs from 1 */
    assert_int_equal(evq_len(&q), 7);
    assert_int_equal(evq_peek(&q)->when, 0);
    assert_int_equal(evq_key_seq(&q, evq_peek(&q)->key), 6);
    for (int i = 0; i < 7; i++) {
        assert_true(evq_pop(&q, &out));
        assert_true(out.when >= last);
        assert_payload(&q, &out);                       /* payload intact */
        assert_int_equal(times[out.seq - 1], out.when);
        last = out.when;
    }
    assert_int_equal(last, 60);
    assert_false(evq_pop(&q, &out));
    evq_destroy(&q);
}

static void test_evq_ties_pop_in_insertion_order(void **state)
{
    struct evq q;
    struct evq_event out = { 0 };
    sim_time_t last_when = 0;
    uint64_t last_seq = 0;

    (void)state;
    evq_init(&q);
    /* 300 events on 5 times, pushed in a scrambled time order. */
    for (uint64_t i = 0; i < 300; i++)
        push(&q, (i * 37) % 5);
    for (int i = 0; i < 300; i++) {
        assert_true(evq_pop(&q, &out));
        assert_true(out.when > last_when ||
                    (out.when == last_when && out.seq > last_seq));
        assert_int_equal((out.seq - 1) * 37 % 5, out.when);
        last_when = out.when;
        last_seq = out.seq;
    }
    evq_destroy(&q);
}

/* Growing the slab re-encodes every pending key: order and payloads must
 * survive growth with a half-drained heap. */
static void test_evq_growth_keeps_order_and_payloads(void **state)
{
    struct evq q;
    struct evq_event out = { 0 };
    sim_time_t last = 0;

    (void)state;
    evq_init(&q);
    for (uint64_t i = 0; i < 100; i++)
        push(&q, 1000 - i);
    for (int i = 0; i < 50; i++)
        assert_true(evq_pop(&q, &out));
    last = out.when;
    for (uint64_t i = 0; i < 5000; i++)             /* grows several times */
        push(&q, last + (i * 7919) % 3000);
    assert_int_equal(evq_len(&q), 5050);
    assert_true(q.slot_bits > 6);
    for (uint64_t seq = 0; evq_pop(&q, &out); seq = out.seq) {
        assert_true(out.when >= last);
        assert_payload(&q, &out);
        if (out.when == last)
            assert_true(out.seq > seq);
        last = out.when;
    }
    evq_destroy(&q);
}

/* Hold model: a pop then a push per step reuses the freed slot. */
static void test_evq_steady_state_reuses_slots(void **state)
{
    struct evq q;
    struct evq_event out = { 0 };
    size_t slab_cap, heap_cap;

    (void)state;
    evq_init(&q);
    for (sim_time_t t = 0; t < 200; t++)
        push(&q, t * 3);
    slab_cap = q.slab_cap;
    heap_cap = q.cap;
    for (int i = 0; i < 100000; i++) {
        assert_true(evq_pop(&q, &out));
        assert_payload(&q, &out);
        push(&q, out.when + 1 + (sim_time_t)(i % 613));
    }
    assert_int_equal(q.slab_cap, slab_cap);
    assert_int_equal(q.cap, heap_cap);
    assert_int_equal(q.slab_used, 200);
    evq_destroy(&q);
}

/* Running out of seq bits is reported and aborts (in a child). */
static void test_evq_seq_overflow_aborts(void **state)
{
    struct evq q;
    int status = 0;
    pid_t pid;

    (void)state;
    evq_init(&q);
    push(&q, 1);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDERR_FILENO);   /* the expected message */
        q.next_seq = q.seq_limit - 1;
        push(&q, 2);                    /* the last seq that fits */
        push(&q, 3);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    evq_destroy(&q);
}

/* A reference event: what the queue should hand back. */
struct ref_event {
    sim_time_t when;
    uint64_t seq;
};

/* Inserts e into the sorted ref[head, len): its seq is the largest yet, so it
 * goes after every entry with when <= its own. */
static void ref_insert(struct ref_event *ref, size_t head, size_t *len,
                       struct ref_event e)
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
    struct ref_event *ref = malloc(OPS * sizeof(*ref));
    size_t ref_len = 0, ref_head = 0;
    sim_time_t now = 0;

    (void)state;
    assert_non_null(ref);
    evq_init(&q);
    rng_stream_init(&r, 42, 7);
    for (int op = 0; op < OPS; op++) {
        struct ref_event e;
        struct evq_event out = { 0 };

        if (ref_head < ref_len && rng_uniform_u64(&r, 3) == 0) {
            assert_true(evq_pop(&q, &out));
            assert_int_equal(out.when, ref[ref_head].when);
            assert_int_equal(out.seq, ref[ref_head].seq);
            assert_payload(&q, &out);
            now = out.when;
            ref_head++;
            continue;
        }
        /* Small delay range so that equal times are common. */
        e.when = now + rng_uniform_u64(&r, 50);
        e.seq = push(&q, e.when);
        ref_insert(ref, ref_head, &ref_len, e);
    }
    assert_int_equal(evq_len(&q), ref_len - ref_head);
    while (ref_head < ref_len) {
        struct evq_event out = { 0 };

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
        cmocka_unit_test(test_evq_entries_are_16_bytes),
        cmocka_unit_test(test_evq_empty_pop_and_peek),
        cmocka_unit_test(test_evq_pops_in_time_order),
        cmocka_unit_test(test_evq_ties_pop_in_insertion_order),
        cmocka_unit_test(test_evq_growth_keeps_order_and_payloads),
        cmocka_unit_test(test_evq_steady_state_reuses_slots),
        cmocka_unit_test(test_evq_seq_overflow_aborts),
        cmocka_unit_test(test_evq_random_stress_matches_sorted_reference),
    };

    return cmocka_run_group_tests_name("event_queue", tests, NULL, NULL);
}
