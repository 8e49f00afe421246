/* The engine's pending events: a 4-ary min-heap of 16-byte entries ordered by
 * (time, seq), and a slab holding each event's handler, ctx and arg.
 *
 * A heap entry is { when, key } with key = seq << slot_bits | slot: seq is the
 * event's insertion number (also its id; unique, from 1), slot its index in
 * the slab. Seqs are unique, so comparing (when, key) orders by (when, seq)
 * and equal times pop in insertion order. slot_bits is log2 of the slab's
 * capacity: it starts at 6 and grows by one each time the slab doubles (the
 * pending keys are re-encoded then, which keeps their order). So:
 *   - at most 2^slot_bits events are pending at once, with no fixed limit:
 *     the slab just grows;
 *   - seqs must fit in the other 64 - slot_bits bits: a run may schedule at
 *     most 2^(64 - slot_bits) - 1 events, e.g. 2^44 (1.7e13) with up to 1M
 *     pending and 2^40 (1.1e12) with up to 16M. Going past it aborts with a
 *     message (file:line and the numbers).
 * Both arrays grow geometrically and never shrink; freed slots go on a free
 * list and are reused, so steady-state scheduling allocates nothing. Removal
 * of arbitrary entries is left out: engine.c cancels lazily. */
#ifndef SIM_EVENT_QUEUE_H
#define SIM_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

/* One heap entry; see above for key. */
struct evq_entry {
    sim_time_t when;
    uint64_t key;
};

/* What an event runs: one slab slot. next_free links free slots; it also
 * pads a slot to 32 bytes, so that in the line-aligned slab no slot straddles
 * two cache lines (the pop reads it cold at large N). */
struct evq_payload {
    sim_handler_fn *fn;
    void *ctx;
    uint64_t arg;
    size_t next_free;
};

/* A popped event. */
struct evq_event {
    sim_time_t when;
    uint64_t seq;
    sim_handler_fn *fn;
    void *ctx;
    uint64_t arg;
};

struct evq {
    struct evq_entry *heap;     /* &heap[1] is 64-byte aligned: see .c */
    size_t len, cap;
    struct evq_payload *slab;
    size_t slab_cap;            /* 1 << slot_bits, or 0 before the first push */
    size_t slab_used;           /* slots [0, slab_used) have been handed out */
    size_t free_head;           /* first free slot below slab_used, or SIZE_MAX */
    unsigned slot_bits;
    uint64_t slot_mask;
    uint64_t next_seq;          /* the next push's seq */
    uint64_t seq_limit;         /* seqs must be below 2^(64 - slot_bits) */
};

void evq_init(struct evq *q);
void evq_destroy(struct evq *q);

/* Queues fn(ctx, arg) at `when`; returns its seq (1, 2, 3, ...). */
uint64_t evq_push(struct evq *q, sim_time_t when, sim_handler_fn *fn, void *ctx,
                  uint64_t arg);

/* The least (when, seq) entry without removing it, or NULL when empty. */
static inline const struct evq_entry *evq_peek(const struct evq *q)
{
    return q->len ? &q->heap[0] : NULL;
}

static inline uint64_t evq_key_seq(const struct evq *q, uint64_t key)
{
    return key >> q->slot_bits;
}

static inline size_t evq_len(const struct evq *q) { return q->len; }

/* Removes heap[0] (the heap must not be empty) after its slot was freed. */
void evq_remove_head(struct evq *q);

/* Removes the head of a non-empty queue; returns what it runs. */
static inline struct evq_payload evq_pop_payload(struct evq *q)
{
    size_t slot = (size_t)(q->heap[0].key & q->slot_mask);
    struct evq_payload *p = &q->slab[slot];
    struct evq_payload out = *p;

    p->next_free = q->free_head;
    q->free_head = slot;
    evq_remove_head(q);
    return out;
}

/* Removes the least (when, seq) event into *out; false when empty. */
static inline bool evq_pop(struct evq *q, struct evq_event *out)
{
    struct evq_payload p;

    if (q->len == 0)
        return false;
    out->when = q->heap[0].when;
    out->seq = evq_key_seq(q, q->heap[0].key);
    p = evq_pop_payload(q);
    out->fn = p.fn;
    out->ctx = p.ctx;
    out->arg = p.arg;
    return true;
}

#endif
