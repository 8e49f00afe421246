/* The discrete-event engine: a clock and an event queue (which numbers the
 * events: an event's id is its seq, see event_queue.h).
 * Cancellation is lazy: a cancelled id goes into a small open-addressing set
 * and the event is dropped when it reaches the head of the queue. The set is
 * only consulted while non-empty, so runs that never cancel pay one branch.
 * Left out: wall-clock pacing, priorities other than (time, seq). */
#include "sim/engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "sim/event_queue.h"

#define CANCEL_MIN_CAP 16

/* Linear-probing set of cancelled, still-queued ids; 0 marks a free slot
 * (ids start at 1). cap is a power of two, kept at most half full. */
struct cancel_set {
    uint64_t *slot;
    size_t cap, count;
};

struct sim_engine {
    sim_time_t now;         /* ns */
    uint64_t handled;
    bool stop;
    struct evq q;
    struct cancel_set cancelled;
};

static size_t cancel_home(const struct cancel_set *cs, uint64_t id)
{
    /* Fibonacci hashing: ids are consecutive, so spread them. */
    return (size_t)((id * 0x9E3779B97F4A7C15u) >> 32) & (cs->cap - 1);
}

static size_t cancel_find(const struct cancel_set *cs, uint64_t id)
{
    size_t i = cancel_home(cs, id);

    while (cs->slot[i] != 0 && cs->slot[i] != id)
        i = (i + 1) & (cs->cap - 1);
    return i;
}

static bool cancel_contains(const struct cancel_set *cs, uint64_t id)
{
    return cs->count > 0 && cs->slot[cancel_find(cs, id)] == id;
}

static void cancel_insert(struct cancel_set *cs, uint64_t id);

static void cancel_grow(struct cancel_set *cs)
{
    uint64_t *old = cs->slot;
    size_t old_cap = cs->cap;

    cs->cap = old_cap ? old_cap * 2 : CANCEL_MIN_CAP;
    cs->slot = g_new0(uint64_t, cs->cap);
    cs->count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] != 0)
            cancel_insert(cs, old[i]);
    g_free(old);
}

static void cancel_insert(struct cancel_set *cs, uint64_t id)
{
    size_t i;

    if (2 * (cs->count + 1) > cs->cap)
        cancel_grow(cs);
    i = cancel_find(cs, id);
    if (cs->slot[i] == 0) {
        cs->slot[i] = id;
        cs->count++;
    }
}

/* Removes id if present; returns whether it was. Backward-shift deletion
 * keeps probe chains intact without tombstones. */
static bool cancel_remove(struct cancel_set *cs, uint64_t id)
{
    size_t mask = cs->cap - 1;
    size_t i, j;

    if (cs->count == 0)
        return false;
    i = cancel_find(cs, id);
    if (cs->slot[i] != id)
        return false;
    for (j = (i + 1) & mask; cs->slot[j] != 0; j = (j + 1) & mask) {
        size_t home = cancel_home(cs, cs->slot[j]);

        /* Move slot j into the hole at i unless its home lies in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            cs->slot[i] = cs->slot[j];
            i = j;
        }
    }
    cs->slot[i] = 0;
    cs->count--;
    return true;
}

struct sim_engine *sim_engine_new(void)
{
    struct sim_engine *eng = g_new0(struct sim_engine, 1);

    evq_init(&eng->q);
    return eng;
}

void sim_engine_free(struct sim_engine *eng)
{
    if (!eng)
        return;
    evq_destroy(&eng->q);
    g_free(eng->cancelled.slot);
    g_free(eng);
}

sim_time_t sim_now(const struct sim_engine *eng)
{
    return eng->now;
}

sim_event_id sim_schedule_at(struct sim_engine *eng, sim_time_t when_ns,
                             sim_handler_fn *fn, void *ctx, uint64_t arg)
{
    if (when_ns < eng->now) {
        fprintf(stderr, "%s:%d: sim_schedule_at: time %" PRIu64
                " ns is before now %" PRIu64 " ns\n",
                __FILE__, __LINE__, when_ns, eng->now);
        abort();
    }
    return evq_push(&eng->q, when_ns, fn, ctx, arg);
}

sim_event_id sim_schedule(struct sim_engine *eng, sim_time_t delay_ns,
                          sim_handler_fn *fn, void *ctx, uint64_t arg)
{
    /* Saturate rather than wrap: a huge delay means "at the end of time". */
    sim_time_t when = delay_ns > SIM_TIME_NEVER - eng->now
                      ? SIM_TIME_NEVER : eng->now + delay_ns;

    return sim_schedule_at(eng, when, fn, ctx, arg);
}

static bool engine_is_queued(const struct sim_engine *eng, uint64_t id)
{
    for (size_t i = 0; i < eng->q.len; i++)
        if (evq_key_seq(&eng->q, eng->q.heap[i].key) == id)
            return true;
    return false;
}

/* Whether an id is still queued needs a scan of the heap, O(pending): cancel
 * is rare (timeouts that did not fire), and the scan keeps the hot path free
 * of any per-event bookkeeping. */
bool sim_cancel(struct sim_engine *eng, sim_event_id id)
{
    if (id == 0 || id >= eng->q.next_seq)
        return false;
    if (cancel_contains(&eng->cancelled, id))
        return false;
    if (!engine_is_queued(eng, id))
        return false;
    cancel_insert(&eng->cancelled, id);
    return true;
}

void sim_cancel_pending(struct sim_engine *eng, sim_event_id id)
{
    if (id != 0 && id < eng->q.next_seq)
        cancel_insert(&eng->cancelled, id);
}

/* A stop requested outside a run is forgotten: sim_stop() is for handlers.
 * A cancelled head is dropped before the limit is checked, so a queue holding
 * only cancelled events reports SIM_RUN_EMPTY. */
enum sim_run_result sim_run_until(struct sim_engine *eng, sim_time_t limit_ns)
{
    struct evq *q = &eng->q;

    eng->stop = false;
    while (q->len > 0) {
        const struct evq_entry *head = &q->heap[0];
        struct evq_payload p;

        if (G_UNLIKELY(eng->cancelled.count > 0) &&
            cancel_remove(&eng->cancelled, evq_key_seq(q, head->key))) {
            evq_pop_payload(q);
            continue;
        }
        if (head->when > limit_ns) {
            /* Never move the clock backwards for a limit already passed. */
            if (limit_ns > eng->now)
                eng->now = limit_ns;
            return SIM_RUN_TIME_LIMIT;
        }
        eng->now = head->when;
        p = evq_pop_payload(q);
        eng->handled++;
        p.fn(eng, p.ctx, p.arg);
        if (eng->stop) {
            eng->stop = false;
            return SIM_RUN_STOPPED;
        }
    }
    return SIM_RUN_EMPTY;
}

enum sim_run_result sim_run(struct sim_engine *eng)
{
    return sim_run_until(eng, SIM_TIME_NEVER);
}
void sim_stop(struct sim_engine *eng)
{
    eng->stop = true;
}

uint64_t sim_events_handled(const struct sim_engine *eng)
{
    return eng->handled;
}

size_t sim_events_pending(const struct sim_engine *eng)
{
    /* Each cancelled id is still in the heap exactly once. */
    return eng->q.len - eng->cancelled.count;
}
