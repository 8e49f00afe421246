/* The engine's pending-event queue: a 4-ary min-heap of 16-byte (when, key)
 * entries plus a payload slab (see event_queue.h for the key and its limits).
 * The heap is placed so that &heap[1] is 64-byte aligned: the four children
 * of node i, heap[4i+1..4i+4], then fill exactly one cache line, so a level
 * of a sift costs one line. Sifts move a hole instead of swapping. The heap
 * array doubles when full and never shrinks (a run's peak is its steady
 * state); so does the slab. */
#include "sim/event_queue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#define EVQ_ARITY 4
#define EVQ_MIN_CAP 64
#define EVQ_MIN_SLOT_BITS 6
#define EVQ_LINE 64
/* Entries before heap[1] in the allocation, so that &heap[1] is aligned. */
#define EVQ_HEAD_PAD (EVQ_LINE / sizeof(struct evq_entry) - 1)
/* Entries (16 bytes each) beyond which pops prefetch: 1 MiB. */
#define EVQ_PREFETCH_MIN 65536

/* Arrays from this size up are 2 MiB aligned and asked to use huge pages. */
#define EVQ_HUGE (2u << 20)

_Static_assert(sizeof(struct evq_entry) == 16, "heap entries are 16 bytes");
_Static_assert(EVQ_LINE % sizeof(struct evq_entry) == 0, "entries tile a line");
_Static_assert(EVQ_LINE % sizeof(struct evq_payload) == 0, "slots tile a line");

/* (when, key) order; keys are unique. Heap comparisons are data-dependent
 * coin flips, and a mispredicted branch costs more than evaluating both
 * halves, so this must compile to flag arithmetic: as one 128-bit compare
 * (cmp, sbb) where the compiler has the type, else with bitwise operators. */
static inline size_t evq_less(const struct evq_entry *a, const struct evq_entry *b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 evq_u128;

    return ((evq_u128)a->when << 64 | a->key) < ((evq_u128)b->when << 64 | b->key);
#else
    return (size_t)(a->when < b->when) |
           ((size_t)(a->when == b->when) & (size_t)(a->key < b->key));
#endif
}

/* bytes of memory aligned to a cache line. A large queue is touched at random
 * (the bottom levels of the heap, the slab), so with 4 KiB pages nearly every
 * access there misses the TLB too; where the kernel gives transparent huge
 * pages on request (madvise mode), ask for them. Aborts when out of memory,
 * as g_malloc() does. */
static void *evq_alloc(size_t bytes)
{
    size_t align = bytes >= EVQ_HUGE ? EVQ_HUGE : EVQ_LINE;
    void *p = NULL;

    if (posix_memalign(&p, align, bytes) != 0)
        g_error("%s:%d: event queue: out of memory for %zu bytes",
                __FILE__, __LINE__, bytes);
#ifdef MADV_HUGEPAGE
    if (align == EVQ_HUGE)
        (void)madvise(p, bytes & ~(size_t)(EVQ_HUGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

static struct evq_entry *evq_heap_base(const struct evq *q)
{
    return q->heap ? q->heap - EVQ_HEAD_PAD : NULL;
}

void evq_init(struct evq *q)
{
    q->heap = NULL;
    q->len = 0;
    q->cap = 0;
    q->slab = NULL;
    q->slab_cap = 0;
    q->slab_used = 0;
    q->free_head = SIZE_MAX;
    q->slot_bits = EVQ_MIN_SLOT_BITS;
    q->slot_mask = ((uint64_t)1 << EVQ_MIN_SLOT_BITS) - 1;
    q->next_seq = 1;
    q->seq_limit = (uint64_t)1 << (64 - EVQ_MIN_SLOT_BITS);
}

void evq_destroy(struct evq *q)
{
    free(evq_heap_base(q));
    free(q->slab);
    evq_init(q);
}

static void evq_grow_heap(struct evq *q)
{
    size_t cap = q->cap ? q->cap * 2 : EVQ_MIN_CAP;
    struct evq_entry *base = evq_alloc((cap + EVQ_HEAD_PAD) * sizeof(*base));

    if (q->len)
        memcpy(base + EVQ_HEAD_PAD, q->heap, q->len * sizeof(*q->heap));
    free(evq_heap_base(q));
    q->heap = base + EVQ_HEAD_PAD;
    q->cap = cap;
}

/* Doubles the slab and widens the slot field by one bit. Every pending key is
 * re-encoded; seqs keep their relative order, so the heap stays valid. */
static void evq_grow_slab(struct evq *q)
{
    unsigned old_bits = q->slot_bits;
    struct evq_payload *slab;

    if (q->slab_cap == 0) {
        q->slab_cap = (size_t)1 << old_bits;
        q->slab = evq_alloc(q->slab_cap * sizeof(*q->slab));
        return;
    }
    q->slot_bits = old_bits + 1;
    q->slot_mask = ((uint64_t)1 << q->slot_bits) - 1;
    q->seq_limit = (uint64_t)1 << (64 - q->slot_bits);
    slab = evq_alloc(2 * q->slab_cap * sizeof(*slab));
    memcpy(slab, q->slab, q->slab_cap * sizeof(*slab));
    free(q->slab);
    q->slab = slab;
    q->slab_cap *= 2;
    for (size_t i = 0; i < q->len; i++) {
        uint64_t k = q->heap[i].key;
        uint64_t slot = k & (((uint64_t)1 << old_bits) - 1);

        q->heap[i].key = (k >> old_bits) << q->slot_bits | slot;
    }
}

static size_t evq_alloc_slot(struct evq *q)
{
    size_t slot = q->free_head;

    if (slot != SIZE_MAX) {
        q->free_head = q->slab[slot].next_free;
        return slot;
    }
    if (q->slab_used == q->slab_cap)
        evq_grow_slab(q);
    return q->slab_used++;
}

static G_NORETURN void evq_seq_overflow(const struct evq *q, uint64_t seq)
{
    fprintf(stderr, "%s:%d: event queue: event #%" PRIu64 " does not fit the %u"
            " seq bits left by %u slot bits (%zu pending): at most %" PRIu64
            " events per run\n", __FILE__, __LINE__, seq, 64 - q->slot_bits,
            q->slot_bits, q->len, q->seq_limit - 1);
    abort();
}

uint64_t evq_push(struct evq *q, sim_time_t when, sim_handler_fn *fn, void *ctx,
                  uint64_t arg)
{
    uint64_t seq = q->next_seq++;
    size_t slot = evq_alloc_slot(q);
    struct evq_entry x, *h;
    size_t i;

    /* After evq_alloc_slot(): growing the slab lowers the limit. Every
     * pending seq is below this one, so checking it covers them all. */
    if (G_UNLIKELY(seq >= q->seq_limit))
        evq_seq_overflow(q, seq);
    q->slab[slot].fn = fn;
    q->slab[slot].ctx = ctx;
    q->slab[slot].arg = arg;
    x.when = when;
    x.key = seq << q->slot_bits | slot;

    if (q->len == q->cap)
        evq_grow_heap(q);
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
    return seq;
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
 * outgrows the caches, the four grandchild families (one line each) start
 * loading while this level's comparisons run; below that prefetching only
 * costs. As soon as the new head is known (after the first level), its
 * payload starts loading too: the next pop reads it, and by then the rest of
 * this sift and the caller's handler have hidden most of the miss. */
static void evq_sift_down(struct evq *q, size_t n, struct evq_entry x)
{
    struct evq_entry *h = q->heap;
    bool prefetch = n >= EVQ_PREFETCH_MIN;
    size_t i = 0;

    for (;;) {
        size_t c = EVQ_ARITY * i + 1;
        size_t m;

        if (c >= n)
            break;
        if (prefetch && EVQ_ARITY * c + 1 < n) {
            /* Kept inline: GCC 12 deletes a separate prefetch-only function
             * as side-effect free. Prefetching past the array never faults. */
            for (size_t k = 0; k < EVQ_ARITY; k++)
                __builtin_prefetch(&h[EVQ_ARITY * (c + k) + 1]);
        }
        m = evq_min_child(h, c, c + EVQ_ARITY < n ? c + EVQ_ARITY : n);
        if (!evq_less(&h[m], &x))
            break;
        h[i] = h[m];
        if (i == 0)
            __builtin_prefetch(&q->slab[h[0].key & q->slot_mask]);
        i = m;
    }
    h[i] = x;
    if (i == 0)
        __builtin_prefetch(&q->slab[x.key & q->slot_mask]);
}

void evq_remove_head(struct evq *q)
{
    size_t n = --q->len;

    if (n > 0)
        evq_sift_down(q, n, q->heap[n]);
}
