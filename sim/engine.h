/* The discrete-event engine: a clock and a queue of typed handlers.
 * Events are ordered by (time, sequence number given at schedule time), so
 * equal times resolve in insertion order on every machine. The engine knows
 * nothing of what it simulates: models reach it only through sim_schedule(). */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_time.h"

struct sim_engine;

/* A handler runs at its event's time. `ctx` and `arg` are what was given to
 * sim_schedule(); `arg` lets a model pass a small value without allocating. */
typedef void sim_handler_fn(struct sim_engine *eng, void *ctx, uint64_t arg);

/* Identifies a scheduled event for sim_cancel(); never 0 for a real event. */
typedef uint64_t sim_event_id;

enum sim_run_result {
    SIM_RUN_EMPTY,      /* no events left */
    SIM_RUN_TIME_LIMIT, /* next event lies after the limit; clock set to the limit */
    SIM_RUN_STOPPED,    /* a handler called sim_stop() */
};

/* Returns a new engine at time 0. Aborts (g_malloc) only when out of memory. */
struct sim_engine *sim_engine_new(void);
void sim_engine_free(struct sim_engine *eng);

sim_time_t sim_now(const struct sim_engine *eng);

/* Schedules fn(eng, ctx, arg) at now + delay_ns. Allocates nothing in steady
 * state (the queue grows geometrically and is reused). */
sim_event_id sim_schedule(struct sim_engine *eng, sim_time_t delay_ns,
                          sim_handler_fn *fn, void *ctx, uint64_t arg);
/* As sim_schedule(), at an absolute time; a time in the past is a bug. */
sim_event_id sim_schedule_at(struct sim_engine *eng, sim_time_t when_ns,
                             sim_handler_fn *fn, void *ctx, uint64_t arg);

/* Cancels a pending event (lazily: it is dropped when it reaches the head).
 * Returns false when the id is not pending (already run or cancelled). */
bool sim_cancel(struct sim_engine *eng, sim_event_id id);
/* As sim_cancel for a caller that knows the event is still pending (it
 * clears its copy of the id when the event runs): O(1), where sim_cancel
 * scans the queue to tell a pending id from one that already ran.
 * Cancelling an id that already ran is a bug this cannot detect. */
void sim_cancel_pending(struct sim_engine *eng, sim_event_id id);

/* Runs events whose time is <= limit_ns in order. */
enum sim_run_result sim_run_until(struct sim_engine *eng, sim_time_t limit_ns);
/* Runs until the queue is empty or a handler stops the engine. */
enum sim_run_result sim_run(struct sim_engine *eng);
/* Called from a handler: the run returns after this handler. */
void sim_stop(struct sim_engine *eng);

uint64_t sim_events_handled(const struct sim_engine *eng);
size_t sim_events_pending(const struct sim_engine *eng);

#endif
