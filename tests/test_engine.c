/* Tests for the engine: run order, ties, cancellation, run_until limits,
 * stopping from a handler, handlers that schedule, and the counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/engine.h"

/* A log of (time, arg) pairs written by handlers. */
struct trace {
    size_t n;
    sim_time_t when[64];
    uint64_t arg[64];
};

static void record(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct trace *t = ctx;

    assert_true(t->n < 64);
    t->when[t->n] = sim_now(eng);
    t->arg[t->n] = arg;
    t->n++;
}

static void test_engine_runs_in_time_order(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 30, record, &t, 3);
    sim_schedule(eng, 10, record, &t, 1);
    sim_schedule_at(eng, 20, record, &t, 2);
    assert_int_equal(sim_events_pending(eng), 3);
    assert_int_equal(sim_run(eng), SIM_RUN_EMPTY);
    assert_int_equal(t.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t.arg[i], i + 1);
        assert_int_equal(t.when[i], (i + 1) * 10);
    }
    assert_int_equal(sim_now(eng), 30);
    assert_int_equal(sim_events_handled(eng), 3);
    assert_int_equal(sim_events_pending(eng), 0);
    sim_engine_free(eng);
}

static void test_engine_equal_times_run_in_schedule_order(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    for (uint64_t i = 0; i < 20; i++)
        sim_schedule(eng, 5, record, &t, i);
    sim_run(eng);
    assert_int_equal(t.n, 20);
    for (uint64_t i = 0; i < 20; i++)
        assert_int_equal(t.arg[i], i);
    sim_engine_free(eng);
}

static void test_engine_ids_start_at_one_and_increase(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    assert_int_equal(sim_schedule(eng, 1, record, &t, 0), 1);
    assert_int_equal(sim_schedule(eng, 1, record, &t, 0), 2);
    sim_engine_free(eng);
}

static void test_engine_cancel_drops_event_and_is_not_counted(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    sim_event_id a, b;

    (void)state;
    a = sim_schedule(eng, 10, record, &t, 1);
    b = sim_schedule(eng, 20, record, &t, 2);
    sim_schedule(eng, 30, record, &t, 3);
    assert_true(sim_cancel(eng, b));
    assert_false(sim_cancel(eng, b));           /* twice */
    assert_int_equal(sim_events_pending(eng), 2);
    assert_int_equal(sim_run(eng), SIM_RUN_EMPTY);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.arg[0], 1);
    assert_int_equal(t.arg[1], 3);
    assert_int_equal(sim_events_handled(eng), 2);
    assert_false(sim_cancel(eng, a));           /* already run */
    assert_false(sim_cancel(eng, b));           /* cancelled and dropped */
    assert_false(sim_cancel(eng, 0));
    assert_false(sim_cancel(eng, 999));         /* never issued */
    sim_engine_free(eng);
}

static void test_engine_cancel_pending_drops_event(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    sim_event_id b;

    (void)state;
    sim_schedule(eng, 10, record, &t, 1);
    b = sim_schedule(eng, 20, record, &t, 2);
    sim_schedule(eng, 30, record, &t, 3);
    sim_cancel_pending(eng, b);
    sim_cancel_pending(eng, 0);                 /* no event: ignored */
    assert_int_equal(sim_run(eng), SIM_RUN_EMPTY);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.arg[0], 1);
    assert_int_equal(t.arg[1], 3);
    assert_int_equal(sim_events_handled(eng), 2);
    sim_engine_free(eng);
}

static void noop(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)ctx;
    (void)arg;
}

static void test_engine_cancel_many_then_run(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    sim_event_id id[200];

    (void)state;
    for (int i = 0; i < 200; i++)
        id[i] = sim_schedule(eng, (sim_time_t)(200 - i), record, &t, (uint64_t)i);
    /* Cancel all but every 10th: grows the cancel set several times. */
    for (int i = 0; i < 200; i++)
        if (i % 10 != 0)
            assert_true(sim_cancel(eng, id[i]));
    assert_int_equal(sim_events_pending(eng), 20);
    sim_run(eng);
    assert_int_equal(t.n, 20);
    for (size_t k = 0; k < 20; k++)
        assert_int_equal(t.arg[k], 190 - 10 * k);
    assert_int_equal(sim_events_pending(eng), 0);
    sim_engine_free(eng);
}

/* Ids outlive the queue's slot growth (which re-encodes every pending key). */
static void test_engine_cancel_after_queue_growth(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    sim_event_id first, last = 0;

    (void)state;
    first = sim_schedule(eng, 10, record, &t, 1);
    for (int i = 0; i < 5000; i++)
        last = sim_schedule(eng, 20 + (sim_time_t)(i % 7), noop, NULL, 0);
    assert_int_equal(last, first + 5000);
    assert_true(sim_cancel(eng, first));
    assert_true(sim_cancel(eng, last));
    assert_int_equal(sim_events_pending(eng), 4999);
    sim_run(eng);
    assert_int_equal(t.n, 0);
    assert_int_equal(sim_events_handled(eng), 4999);
    sim_engine_free(eng);
}

/* A run event's slot is reused by the next one: the old id stays dead. */
static void test_engine_cancel_of_run_event_with_reused_slot(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    sim_event_id a, b;

    (void)state;
    a = sim_schedule(eng, 1, record, &t, 1);
    sim_run(eng);
    b = sim_schedule(eng, 1, record, &t, 2);
    assert_true(b > a);
    assert_false(sim_cancel(eng, a));
    sim_run(eng);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.arg[1], 2);
    assert_false(sim_cancel(eng, b));
    sim_engine_free(eng);
}

static void test_engine_run_until_limit_is_inclusive(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 100, record, &t, 1);
    sim_schedule(eng, 101, record, &t, 2);
    assert_int_equal(sim_run_until(eng, 50), SIM_RUN_TIME_LIMIT);
    assert_int_equal(sim_now(eng), 50);
    assert_int_equal(t.n, 0);
    assert_int_equal(sim_run_until(eng, 100), SIM_RUN_TIME_LIMIT);
    assert_int_equal(t.n, 1);                   /* the event at 100 ran */
    assert_int_equal(sim_now(eng), 100);
    assert_int_equal(sim_run_until(eng, 1000), SIM_RUN_EMPTY);
    assert_int_equal(t.n, 2);
    assert_int_equal(sim_now(eng), 101);        /* empty: clock stays */
    sim_engine_free(eng);
}

static void test_engine_run_until_ignores_cancelled_head(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_cancel(eng, sim_schedule(eng, 500, record, &t, 1));
    assert_int_equal(sim_run_until(eng, 100), SIM_RUN_EMPTY);
    assert_int_equal(sim_events_handled(eng), 0);
    sim_engine_free(eng);
}

static void stopper(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    record(eng, ctx, arg);
    sim_stop(eng);
}

static void test_engine_stop_from_handler(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 1, record, &t, 1);
    sim_schedule(eng, 2, stopper, &t, 2);
    sim_schedule(eng, 3, record, &t, 3);
    assert_int_equal(sim_run(eng), SIM_RUN_STOPPED);
    assert_int_equal(t.n, 2);
    assert_int_equal(sim_now(eng), 2);
    assert_int_equal(sim_events_pending(eng), 1);
    assert_int_equal(sim_run(eng), SIM_RUN_EMPTY);   /* resumes */
    assert_int_equal(t.n, 3);
    sim_engine_free(eng);
}

/* Schedules arg more generations, 10 ns apart, plus one at the same time. */
static void spawner(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    record(eng, ctx, arg);
    if (arg > 0) {
        sim_schedule(eng, 10, spawner, ctx, arg - 1);
        sim_schedule(eng, 0, record, ctx, 100 + arg);
    }
}

static void test_engine_handler_schedules_more(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 0, spawner, &t, 3);
    sim_run(eng);
    /* 4 spawner calls (3, 2, 1, 0) and 3 zero-delay records. */
    assert_int_equal(sim_events_handled(eng), 7);
    assert_int_equal(t.n, 7);
    assert_int_equal(t.arg[0], 3);
    assert_int_equal(t.arg[1], 103);   /* same time, scheduled later */
    assert_int_equal(t.when[1], 0);
    assert_int_equal(t.arg[2], 2);
    assert_int_equal(t.when[2], 10);
    assert_int_equal(t.arg[6], 0);
    assert_int_equal(sim_now(eng), 30);
    sim_engine_free(eng);
}

static sim_event_id victim_id;

static void canceller(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    record(eng, ctx, arg);
    assert_true(sim_cancel(eng, victim_id));
}

static void test_engine_handler_cancels_later_event(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 1, canceller, &t, 1);
    victim_id = sim_schedule(eng, 1, record, &t, 2);
    sim_schedule(eng, 2, record, &t, 3);
    sim_run(eng);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.arg[1], 3);
    assert_int_equal(sim_events_handled(eng), 2);
    sim_engine_free(eng);
}

static void test_engine_schedule_saturates_at_never(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };

    (void)state;
    sim_schedule(eng, 10, record, &t, 1);
    sim_run(eng);
    sim_schedule(eng, SIM_TIME_NEVER, record, &t, 2);
    assert_int_equal(sim_run_until(eng, SIM_TIME_NEVER - 1), SIM_RUN_TIME_LIMIT);
    assert_int_equal(sim_run(eng), SIM_RUN_EMPTY);
    assert_int_equal(t.when[1], SIM_TIME_NEVER);
    sim_engine_free(eng);
}

/* Scheduling in the past is a caller bug: the engine aborts (in a child). */
static void test_engine_schedule_in_past_aborts(void **state)
{
    struct sim_engine *eng = sim_engine_new();
    struct trace t = { 0 };
    int status = 0;
    pid_t pid;

    (void)state;
    sim_schedule(eng, 50, record, &t, 1);
    sim_run(eng);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDERR_FILENO);   /* the expected message */
        sim_schedule_at(eng, 49, record, &t, 2);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    sim_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_runs_in_time_order),
        cmocka_unit_test(test_engine_cancel_pending_drops_event),
        cmocka_unit_test(test_engine_equal_times_run_in_schedule_order),
        cmocka_unit_test(test_engine_ids_start_at_one_and_increase),
        cmocka_unit_test(test_engine_cancel_drops_event_and_is_not_counted),
        cmocka_unit_test(test_engine_cancel_many_then_run),
        cmocka_unit_test(test_engine_cancel_after_queue_growth),
        cmocka_unit_test(test_engine_cancel_of_run_event_with_reused_slot),
        cmocka_unit_test(test_engine_run_until_limit_is_inclusive),
        cmocka_unit_test(test_engine_run_until_ignores_cancelled_head),
        cmocka_unit_test(test_engine_stop_from_handler),
        cmocka_unit_test(test_engine_handler_schedules_more),
        cmocka_unit_test(test_engine_handler_cancels_later_event),
        cmocka_unit_test(test_engine_schedule_saturates_at_never),
        cmocka_unit_test(test_engine_schedule_in_past_aborts),
    };

    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
