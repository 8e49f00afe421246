/* The engine's pending-event queue: a 4-ary min-heap ordered by (when, seq).
 * Sifts move a hole instead of swapping, so each level costs one 40-byte copy.
 * The array doubles when full and never shrinks (a run's peak is its steady
 * state). Removal of arbitrary entries is left out: engine.c cancels lazily. */
#include "sim/event_queue.h"

#include <glib.h>

#define EVQ_ARITY 4
#define EVQ_MIN_CAP 64
/* Entries (40 bytes each) beyond which pops prefetch: about 640 KiB. */
#define EVQ_PREFETCH_MIN 16384

/* seq breaks ties, so equal times pop in insertion order. Written with
 * bitwise operators so that it compiles to flag arithmetic: heap comparisons
 * are data-dependent coin flips, and a mispredicted branch costs more than
 * evaluating both halves. */
static inline size_t evq_less(const struct evq_entry *a, const struct evq_entry *b)
{
    return (size_t)(a->when < b->when) |
           ((size_t)(a->when == b->when) & (size_t)(a->seq < b->seq));
}

void evq_init(struct evq *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
}

void evq_destroy(struct evq *q)
{
    g_free(q->heap);
    evq_init(q);
}

static void evq_grow(struct evq *q)
{
    size_t cap = q->cap ? q->cap * 2 : EVQ_MIN_CAP;

    q->heap = g_realloc_n(q->heap, cap, sizeof(*q->heap));
    q->cap = cap;
}

void evq_push(struct evq *q, const struct evq_entry *e)
{
    /* Copy first: e may point into the heap, which evq_grow() can move. */
    struct evq_entry x = *e;
    struct evq_entry *h;
    size_t i;

    if (q->len == q->cap)
        evq_grow(q);
    h = q->heap;
    i = q->len++;
    while (i > 0) {
        size_t p = (i - 1) / EVQ_ARITY;

        if (!evq_less(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Index of the least of the children [c, end), end - c in 1..4. */
static inline size_t evq_min_child(const struct evq_entry *h, size_t c, size_t end)
{
    size_t m = c;

    if (end - c == EVQ_ARITY) {
        /* Full family (the common case): a two-round tournament. */
        size_t a = c + evq_less(&h[c + 1], &h[c]);
        size_t b = c + 2 + evq_less(&h[c + 3], &h[c + 2]);
        size_t b_wins = evq_less(&h[b], &h[a]);

        return a + b_wins * (b - a);
    }
    for (size_t j = c + 1; j < end; j++)
        if (evq_less(&h[j], &h[m]))
            m = j;
    return m;
}

/* Places x into the hole at index 0 of a heap of n entries. Once the heap
 * outgrows the caches, the four grandchild families start loading while this
 * level's comparisons run; below that prefetching only costs (about 5% at
 * 1000 entries). */
static void evq_sift_down(struct evq_entry *h, size_t n, const struct evq_entry *x)
{
    bool prefetch = n >= EVQ_PREFETCH_MIN;
    size_t i = 0;

    for (;;) {
        size_t c = EVQ_ARITY * i + 1;
        size_t m;

        if (c >= n)
            break;
        if (prefetch && EVQ_ARITY * c + 1 < n) {
            /* Kept inline: GCC 12 deletes a separate prefetch-only function
             * as side-effect free. A family is 160 bytes; three lines cover
             * most of it, and prefetching past the array never faults. */
            for (size_t k = 0; k < EVQ_ARITY; k++) {
                const char *g = (const char *)&h[EVQ_ARITY * (c + k) + 1];

                __builtin_prefetch(g);
                __builtin_prefetch(g + 64);
                __builtin_prefetch(g + 128);
            }
        }
        m = evq_min_child(h, c, c + EVQ_ARITY < n ? c + EVQ_ARITY : n);
        if (!evq_less(&h[m], x))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = *x;
}

bool evq_pop(struct evq *q, struct evq_entry *out)
{
    size_t n;

    if (q->len == 0)
        return false;
    *out = q->heap[0];
    n = --q->len;
    if (n > 0) {
        struct evq_entry last = q->heap[n];

        evq_sift_down(q->heap, n, &last);
    }
    return true;
}

const struct evq_entry *evq_peek(const struct evq *q)
{
    return q->len ? &q->heap[0] : NULL;
}
