/* Internals of the physical-memory model shared by memory.c (frames, free
 * and pcp lists, watermarks), memory_lru.c (LRU lists) and rmap.c (reverse
 * map). Not for use outside those files: everything else goes through
 * memory.h. */
#ifndef MODELS_MEMORY_PRIV_H
#define MODELS_MEMORY_PRIV_H

#include <stdint.h>

#include <glib.h>

#include "models/bug.h"
#include "models/memory.h"

/* A per-CPU free list for one node: 8 bytes, so 1024 CPUs x 16 nodes is
 * 128 KiB. Linked through frame.next; head is the most recently freed. */
struct mem_pcp {
    pfn_t head;
    uint32_t count;
};

struct mem_lru {
    pfn_t head, tail;      /* head = most recently added */
    uint64_t len;
};

struct mem_node {
    pfn_t start;           /* first pfn; the node owns [start, start + pages) */
    uint32_t pages;
    pfn_t free_head;       /* LIFO free list ("buddy"), linked through frame.next */
    /* Frames on free_head: the kernel's NR_FREE_PAGES, which counts buddy
     * pages only (account_freepages() runs as pages enter or leave the
     * buddy free lists, in __free_one_page and rmqueue_bulk; a page on a
     * pcp list is not in it), so watermark checks see these alone. */
    uint64_t buddy_pages;
    uint64_t pcp_pages;    /* every CPU's pcp frames of this node */
    uint64_t wmark[WMARK_NR];  /* enum wmark, pages */
    struct mem_lru lru[LRU_NR];
};

struct memory {
    struct frame *frames;
    uint64_t n_frames;
    uint32_t n_nodes, n_cpus;
    uint32_t pcp_batch, pcp_high;  /* pages */
    struct mem_node *node;
    struct mem_pcp *pcp;           /* [cpu * n_nodes + node] */
    /* reverse-map pool: entries linked per frame; freed ones on rmap_free */
    struct rmap_entry *rmap;
    uint32_t rmap_len, rmap_cap;
    uint32_t rmap_free;            /* free-list head, RMAP_NONE if empty */
};

#define MEM_BUG_ON BUG_ON     /* models/bug.h: print file:line and values, abort */

void mem__rmap_destroy(struct memory *m);

#endif
