/* Page allocation as get_page_from_freelist does it: try the nodes of the
 * zonelist (by distance) above their low watermark; if none, wake kswapd
 * of those nodes and retry above the min watermark; if that fails too, the
 * caller must reclaim directly. Watermarks see a node's free list only
 * (NR_FREE_PAGES), and a node whose free list and the CPU's pcp list are
 * empty is skipped: frames on other CPUs' pcp lists come back only by
 * drain_all_pages, after direct reclaim. Also the per-CPU LRU-add batch (pagevec /
 * folio_batch) through which new pages reach the LRU lists. */
#ifndef MODELS_ALLOC_H
#define MODELS_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memory.h"
#include "sim/sim_time.h"

struct machine;
struct task;

enum alloc_result { ALLOC_OK, ALLOC_RECLAIM };

/* On ALLOC_OK *pfn is a FRAME_ALLOCATED frame. On ALLOC_RECLAIM the caller
 * runs direct reclaim on *reclaim_node and tries again. */
enum alloc_result alloc_page_try(struct machine *m, struct task *t, unsigned pref_node,
                                 pfn_t *pfn, unsigned *reclaim_node);
/* The allocation __alloc_pages_direct_reclaim makes after direct reclaim:
 * alloc_page_try, and if that fails although reclaim made progress
 * (`progress`: pages it reclaimed), drain_all_pages (every CPU's pcp
 * frames back to the free lists, where the watermarks count them) and one
 * more try. */
enum alloc_result alloc_page_after_reclaim(struct machine *m, struct task *t, unsigned pref_node,
                                           uint32_t progress, pfn_t *pfn,
                                           unsigned *reclaim_node);
/* drain_all_pages(NULL): every node's pcp lists to its free list. */
void alloc_drain_all_pages(struct machine *m, unsigned cpu);
/* Wakes node's kswapd if it sleeps. */
void alloc_wake_kswapd(struct machine *m, unsigned node);
/* Queues a new page for the LRU on `cpu`; the batch drains when full.
 * Returns the CPU time of the drain (lru_lock sections), 0 if none. */
sim_time_t lru_add(struct machine *m, unsigned cpu, pfn_t pfn);
sim_time_t lru_add_drain(struct machine *m, unsigned cpu);
/* The LRU list a page belongs on when it is added or put back. */
enum lru_list lru_list_of(const struct frame *f, bool active);

#endif
