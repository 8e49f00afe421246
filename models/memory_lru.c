/* The four LRU lists of each node (see memory.h): doubly linked through
 * frame.prev/next with the head the most recently added, so reclaim takes
 * from the tail and can walk toward the head through frame.prev. A frame on
 * a list is FRAME_LRU; taking it off makes it FRAME_ISOLATED, as reclaim and
 * migration isolate folios before working on them. */
#include "models/memory.h"

#include <inttypes.h>

#include "models/memory_priv.h"

static struct mem_lru *mem_lru_list(struct memory *m, unsigned node, unsigned l)
{
    MEM_BUG_ON(node >= m->n_nodes || l >= LRU_NR, "node %u lru %u", node, l);
    return &m->node[node].lru[l];
}

/* Allowed from FRAME_ALLOCATED (a new page) or FRAME_ISOLATED (putback). */
void mem_lru_add(struct memory *m, pfn_t pfn, enum lru_list l)
{
    struct frame *f = mem_frame(m, pfn);
    struct mem_lru *list = mem_lru_list(m, mem_pfn_node(m, pfn), (unsigned)l);

    MEM_BUG_ON(f->state != FRAME_ALLOCATED && f->state != FRAME_ISOLATED,
               "pfn %" PRIu32 " state %u added to LRU %d", pfn, f->state, (int)l);
    f->prev = PFN_NONE;
    f->next = list->head;
    if (list->head != PFN_NONE)
        m->frames[list->head].prev = pfn;
    else
        list->tail = pfn;
    list->head = pfn;
    list->len++;
    f->state = FRAME_LRU;
    f->lru = (uint8_t)l;
}

void mem_lru_del(struct memory *m, pfn_t pfn)
{
    struct frame *f = mem_frame(m, pfn);
    struct mem_lru *list;

    MEM_BUG_ON(f->state != FRAME_LRU, "pfn %" PRIu32 " state %u is not on an LRU", pfn, f->state);
    list = mem_lru_list(m, mem_pfn_node(m, pfn), f->lru);
    if (f->prev != PFN_NONE)
        m->frames[f->prev].next = f->next;
    else
        list->head = f->next;
    if (f->next != PFN_NONE)
        m->frames[f->next].prev = f->prev;
    else
        list->tail = f->prev;
    list->len--;
    f->prev = f->next = PFN_NONE;
    f->state = FRAME_ISOLATED;
}

pfn_t mem_lru_tail(const struct memory *m, unsigned node, enum lru_list l)
{
    MEM_BUG_ON(node >= m->n_nodes || (unsigned)l >= LRU_NR, "node %u lru %d", node, (int)l);
    return m->node[node].lru[l].tail;
}

uint64_t mem_lru_len(const struct memory *m, unsigned node, enum lru_list l)
{
    MEM_BUG_ON(node >= m->n_nodes || (unsigned)l >= LRU_NR, "node %u lru %d", node, (int)l);
    return m->node[node].lru[l].len;
}
