/* Page allocation as get_page_from_freelist does it: try the nodes of the
 * zonelist (by distance) above their low watermark; if none, wake kswapd
 * of those nodes and retry above the min watermark; if that fails too, the
 * caller must reclaim directly. Also the per-CPU LRU-add batch (pagevec /
 * folio_batch) through which new pages reach the LRU lists. */
#ifndef MODELS_ALLOC_H
#define MODELS_ALLOC_H

#include <stdbool.h>

#include "models/memory.h"
#include "sim/sim_time.h"

struct machine;
struct task;

enum alloc_result { ALLOC_OK, ALLOC_RECLAIM };

/* On ALLOC_OK *pfn is a FRAME_ALLOCATED frame. On ALLOC_RECLAIM the caller
 * runs direct reclaim on *reclaim_node and tries again. */
enum alloc_result alloc_page_try(struct machine *m, struct task *t, unsigned pref_node,
                                 pfn_t *pfn, unsigned *reclaim_node);
/* Wakes node's kswapd if it sleeps. */
void alloc_wake_kswapd(struct machine *m, unsigned node);
/* Queues a new page for the LRU on `cpu`; the batch drains when full.
 * Returns the CPU time of the drain (lru_lock sections), 0 if none. */
sim_time_t lru_add(struct machine *m, unsigned cpu, pfn_t pfn);
sim_time_t lru_add_drain(struct machine *m, unsigned cpu);
/* The LRU list a page belongs on when it is added or put back. */
enum lru_list lru_list_of(const struct frame *f, bool active);

#endif
