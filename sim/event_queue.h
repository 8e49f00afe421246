/* A 4-ary min-heap of events keyed by (time, seq). Entries are stored by value
 * in one array that grows geometrically, so steady-state scheduling allocates
 * nothing. Used by engine.c; exposed for tests and the benchmark. */
#ifndef SIM_EVENT_QUEUE_H
#define SIM_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

struct evq_entry {
    sim_time_t when;
    uint64_t seq;          /* insertion order; also the event id */
    sim_handler_fn *fn;
    void *ctx;
    uint64_t arg;
};

struct evq {
    struct evq_entry *heap;
    size_t len, cap;
};

void evq_init(struct evq *q);
void evq_destroy(struct evq *q);
void evq_push(struct evq *q, const struct evq_entry *e);
/* Removes the least (when, seq) entry into *out; false when empty. */
bool evq_pop(struct evq *q, struct evq_entry *out);
/* The least entry without removing it, or NULL when empty. */
const struct evq_entry *evq_peek(const struct evq *q);
static inline size_t evq_len(const struct evq *q) { return q->len; }

#endif
