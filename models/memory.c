/* Physical memory (see memory.h): the frame array, each node's free list,
 * the per-CPU (pcp) lists in front of it, and watermarks. LRU lists are in
 * memory_lru.c and the reverse map in rmap.c.
 * Node i owns one contiguous pfn range, in node order. All lists are linked
 * through frame.next and used LIFO, so allocation order depends only on the
 * sequence of calls (deterministic). pcp refills move a chain of
 * pcp_batch frames in one splice that keeps its order, so a fresh node hands
 * out frames in increasing pfn order; drains return the oldest frames. */
#include "models/memory.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/machine_cfg.h"
#include "models/machine_cfg_node.h"
#include "models/memory_priv.h"

#define MEM_PAGE_SIZE   4096u
#define MEM_PAGE_KIB    (MEM_PAGE_SIZE / 1024u)

_Static_assert(sizeof(struct frame) == 32, "struct frame must stay 32 bytes (16M frames = 512 MiB)");

/* Configured watermarks, or the defaults the machine loader computes (the
 * kernel's init_per_zone_wmark_min and __setup_per_zone_wmarks), for
 * machines built in C without the loader. */
static void mem_node_wmarks(struct mem_node *n, const struct node_cfg *cfg, uint64_t total_pages)
{
    uint64_t min = cfg->wmark_min_pages ? cfg->wmark_min_pages
                                        : machine_cfg_wmark_min_default(n->pages, total_pages);
    uint64_t gap = machine_cfg_wmark_gap(n->pages, min);

    n->wmark[WMARK_MIN] = min;
    n->wmark[WMARK_LOW] = cfg->wmark_low_pages ? cfg->wmark_low_pages : min + gap;
    n->wmark[WMARK_HIGH] = cfg->wmark_high_pages ? cfg->wmark_high_pages
                                                 : n->wmark[WMARK_LOW] + gap;
    /* __setup_per_zone_wmarks: promo = high + tmp, the low - min gap */
    n->wmark[WMARK_PROMO] = n->wmark[WMARK_HIGH] + (n->wmark[WMARK_LOW] - min);
}

/* Frames of one node start free, chained in increasing pfn order. */
static void mem_node_init(struct memory *m, unsigned nid, pfn_t start, uint32_t pages)
{
    struct mem_node *n = &m->node[nid];

    n->start = start;
    n->pages = pages;
    n->free_head = pages ? start : PFN_NONE;
    n->buddy_pages = pages;
    n->pcp_pages = 0;
    for (uint32_t i = 0; i < pages; i++) {
        struct frame *f = &m->frames[start + i];

        f->prev = PFN_NONE;
        f->next = i + 1 < pages ? start + i + 1 : PFN_NONE;
        f->rmap = RMAP_NONE;
        f->state = FRAME_FREE;
    }
    for (unsigned l = 0; l < LRU_NR; l++)
        n->lru[l] = (struct mem_lru){ .head = PFN_NONE, .tail = PFN_NONE };
}

static uint64_t mem_cfg_total_pages(const struct machine_cfg *cfg)
{
    uint64_t total = 0;

    for (uint32_t i = 0; i < cfg->n_nodes; i++) {
        MEM_BUG_ON(cfg->node[i].mem_bytes % MEM_PAGE_SIZE != 0,
                   "node %" PRIu32 " mem_bytes %" PRIu64 " not a multiple of 4 KiB",
                   i, cfg->node[i].mem_bytes);
        total += cfg->node[i].mem_bytes / MEM_PAGE_SIZE;
    }
    return total;
}

/* cfg->n_cpus == 0 is taken as one CPU. pcp_batch must be at least 1. */
struct memory *memory_new(const struct machine_cfg *cfg, uint32_t pcp_batch, uint32_t pcp_high)
{
    struct memory *m;
    uint64_t total = mem_cfg_total_pages(cfg);
    pfn_t start = 0;

    MEM_BUG_ON(cfg->n_nodes == 0 || cfg->n_nodes > MACHINE_MAX_NODES, "n_nodes %" PRIu32,
               cfg->n_nodes);
    MEM_BUG_ON(total >= PFN_NONE, "%" PRIu64 " frames do not fit 32-bit pfns", total);
    MEM_BUG_ON(pcp_batch == 0, "pcp_batch %" PRIu32 " (high %" PRIu32 ")", pcp_batch, pcp_high);
    m = g_new0(struct memory, 1);
    m->n_frames = total;
    m->n_nodes = cfg->n_nodes;
    m->n_cpus = cfg->n_cpus ? cfg->n_cpus : 1;
    m->pcp_batch = pcp_batch;
    m->pcp_high = pcp_high;
    m->frames = g_new0(struct frame, total);
    m->node = g_new0(struct mem_node, m->n_nodes);
    m->pcp = g_new(struct mem_pcp, (size_t)m->n_cpus * m->n_nodes);
    for (size_t i = 0; i < (size_t)m->n_cpus * m->n_nodes; i++)
        m->pcp[i] = (struct mem_pcp){ .head = PFN_NONE, .count = 0 };
    for (uint32_t i = 0; i < m->n_nodes; i++) {
        uint32_t pages = (uint32_t)(cfg->node[i].mem_bytes / MEM_PAGE_SIZE);

        mem_node_init(m, i, start, pages);
        mem_node_wmarks(&m->node[i], &cfg->node[i], total);
        start += pages;
    }
    m->rmap_free = RMAP_NONE;
    return m;
}

void memory_free(struct memory *m)
{
    if (!m)
        return;
    mem__rmap_destroy(m);
    g_free(m->pcp);
    g_free(m->node);
    g_free(m->frames);
    g_free(m);
}

uint32_t mem_n_nodes(const struct memory *m)
{
    return m->n_nodes;
}

uint64_t mem_n_frames(const struct memory *m)
{
    return m->n_frames;
}

struct frame *mem_frame(struct memory *m, pfn_t pfn)
{
    MEM_BUG_ON(pfn >= m->n_frames, "pfn %" PRIu32 " of %" PRIu64, pfn, m->n_frames);
    return &m->frames[pfn];
}

/* Binary search for the last node starting at or below pfn; an empty node
 * shares its start with the next one, and the later node wins. */
unsigned mem_pfn_node(const struct memory *m, pfn_t pfn)
{
    unsigned lo = 0, hi = m->n_nodes;

    MEM_BUG_ON(pfn >= m->n_frames, "pfn %" PRIu32 " of %" PRIu64, pfn, m->n_frames);
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;

        if (m->node[mid].start <= pfn)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static struct mem_pcp *mem_pcp(struct memory *m, unsigned cpu, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes || cpu >= m->n_cpus, "cpu %u node %u (of %" PRIu32
               " cpus, %" PRIu32 " nodes)", cpu, node, m->n_cpus, m->n_nodes);
    return &m->pcp[(size_t)cpu * m->n_nodes + node];
}

/* Moves the first n frames of list *src, in order, to the front of *dst,
 * marking them `state`. The caller guarantees *src holds at least n. */
static void mem_splice(struct memory *m, pfn_t *src, pfn_t *dst, uint32_t n,
                       enum frame_state state)
{
    pfn_t first = *src, last = PFN_NONE, p = *src;

    if (n == 0)
        return;
    for (uint32_t i = 0; i < n; i++) {
        MEM_BUG_ON(p == PFN_NONE, "list ended after %" PRIu32 " of %" PRIu32 " frames", i, n);
        m->frames[p].state = (uint8_t)state;
        last = p;
        p = m->frames[p].next;
    }
    *src = p;
    m->frames[last].next = *dst;
    *dst = first;
}

/* Returns the oldest n frames of a pcp list to the node's free list, as
 * free_pcppages_bulk takes from the list tail (mem_free past pcp_high; all
 * of them for mem_drain_pcp): recently freed frames stay on the CPU, which
 * matters to policies that track freed frames (LUF). Walks the list once,
 * at most pcp_high frames. */
static void mem_pcp_drain_oldest(struct memory *m, struct mem_pcp *pcp, unsigned node,
                                 uint32_t n)
{
    pfn_t *tail = &pcp->head;

    for (uint32_t keep = pcp->count - n; keep; keep--)
        tail = &m->frames[*tail].next;
    mem_splice(m, tail, &m->node[node].free_head, n, FRAME_FREE);
    pcp->count -= n;
    m->node[node].pcp_pages -= n;
    m->node[node].buddy_pages += n;
}

/* Returns every CPU's pcp frames of `node` to its free list, as the kernel's
 * drain_all_pages() (mm/page_alloc.c) does. The allocator calls it only
 * from __alloc_pages_direct_reclaim, when an allocation still fails after
 * direct reclaim made progress ("it could be because pages are pinned on
 * the per-cpu lists"); see alloc_page_after_reclaim. */
void mem_drain_pcp(struct memory *m, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes, "node %u of %" PRIu32, node, m->n_nodes);
    for (uint32_t cpu = 0; cpu < m->n_cpus; cpu++) {
        struct mem_pcp *pcp = mem_pcp(m, cpu, node);

        mem_pcp_drain_oldest(m, pcp, node, pcp->count);
    }
}

/* rmqueue_bulk: up to pcp_batch frames from the node's free list. An empty
 * free list leaves the pcp list empty (rmqueue fails for this zone); other
 * CPUs' pcp frames stay where they are. */
static void mem_pcp_refill(struct memory *m, struct mem_pcp *pcp, unsigned node)
{
    struct mem_node *nd = &m->node[node];
    uint32_t n = (uint32_t)MIN((uint64_t)m->pcp_batch, nd->buddy_pages);

    mem_splice(m, &nd->free_head, &pcp->head, n, FRAME_PCP);
    nd->buddy_pages -= n;
    nd->pcp_pages += n;
    pcp->count += n;
}

pfn_t mem_alloc(struct memory *m, unsigned node, unsigned cpu)
{
    struct mem_pcp *pcp = mem_pcp(m, cpu, node);
    struct frame *f;
    pfn_t pfn;

    if (pcp->count == 0)
        mem_pcp_refill(m, pcp, node);
    if (pcp->count == 0)
        return PFN_NONE;
    pfn = pcp->head;
    f = &m->frames[pfn];
    MEM_BUG_ON(f->state != FRAME_PCP, "pfn %" PRIu32 " state %u on a pcp list", pfn, f->state);
    pcp->head = f->next;
    pcp->count--;
    m->node[node].pcp_pages--;
    f->prev = f->next = PFN_NONE;
    f->rmap = RMAP_NONE;
    f->flags = 0;
    f->mapcount = 0;
    f->state = FRAME_ALLOCATED;
    return pfn;
}

static void mem_check_freeable(const struct frame *f, pfn_t pfn)
{
    MEM_BUG_ON(f->state == FRAME_FREE || f->state == FRAME_PCP,
               "double free of pfn %" PRIu32 " (state %u)", pfn, f->state);
    MEM_BUG_ON(f->state == FRAME_LRU, "freeing pfn %" PRIu32 " still on LRU %u", pfn, f->lru);
    MEM_BUG_ON(f->state != FRAME_ALLOCATED && f->state != FRAME_ISOLATED,
               "freeing pfn %" PRIu32 " in state %u", pfn, f->state);
    MEM_BUG_ON(f->mapcount != 0 || f->rmap != RMAP_NONE,
               "freeing mapped pfn %" PRIu32 " (mapcount %u, rmap %" PRIu32 ")",
               pfn, f->mapcount, f->rmap);
    MEM_BUG_ON(f->flags & (FRAME_LOCKED | FRAME_WRITEBACK),
               "freeing pfn %" PRIu32 " with flags %#x", pfn, f->flags);
}

void mem_free(struct memory *m, pfn_t pfn, unsigned cpu)
{
    struct frame *f = mem_frame(m, pfn);
    unsigned node = mem_pfn_node(m, pfn);
    struct mem_pcp *pcp = mem_pcp(m, cpu, node);

    mem_check_freeable(f, pfn);
    f->state = FRAME_PCP;
    f->prev = PFN_NONE;
    f->next = pcp->head;
    pcp->head = pfn;
    pcp->count++;
    m->node[node].pcp_pages++;
    if (pcp->count > m->pcp_high)
        mem_pcp_drain_oldest(m, pcp, node, MIN(m->pcp_batch, pcp->count));
}

uint32_t mem_pcp_count(const struct memory *m, unsigned cpu, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes || cpu >= m->n_cpus, "cpu %u node %u", cpu, node);
    return m->pcp[(size_t)cpu * m->n_nodes + node].count;
}

uint64_t mem_node_free(const struct memory *m, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes, "node %u of %" PRIu32, node, m->n_nodes);
    return m->node[node].buddy_pages;
}

uint64_t mem_node_pcp(const struct memory *m, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes, "node %u of %" PRIu32, node, m->n_nodes);
    return m->node[node].pcp_pages;
}

uint64_t mem_node_pages(const struct memory *m, unsigned node)
{
    MEM_BUG_ON(node >= m->n_nodes, "node %u of %" PRIu32, node, m->n_nodes);
    return m->node[node].pages;
}

uint64_t mem_wmark(const struct memory *m, unsigned node, enum wmark w)
{
    MEM_BUG_ON(node >= m->n_nodes || (unsigned)w >= WMARK_NR, "node %u wmark %d", node, (int)w);
    return m->node[node].wmark[w];
}
