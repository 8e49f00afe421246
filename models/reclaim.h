/* Reclaim: shrink_node's passes for kswapd and direct reclaim, and
 * shrink_folio_list over an explicit list for MADV_PAGEOUT. A pass isolates
 * up to swap_cluster_max folios from the inactive tail, checks references,
 * unmaps each through the reverse map (calling the flush policy after each
 * PTE clear), writes dirty folios out and frees clean ones, flushing
 * where the kernel does (policy-semantics.md §3 (iii)). */
#ifndef MODELS_RECLAIM_H
#define MODELS_RECLAIM_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memory.h"
#include "models/task.h"

struct reclaim_ctx;

/* Reclaims on `node` until nr_to_reclaim pages were freed (direct reclaim)
 * or the node is above its high watermark (kswapd), then sets t->run = done
 * and calls it. */
void reclaim_start(struct task *t, unsigned node, bool kswapd, uint32_t nr_to_reclaim,
                   task_run_fn *done);
/* One shrink_folio_list pass over n isolated pages (n <= 512), references
 * ignored (MADV_PAGEOUT's reclaim_pages), then done. */
void reclaim_list_start(struct task *t, const pfn_t *pfns, uint32_t n, task_run_fn *done);
void reclaim_ctx_free(struct reclaim_ctx *rc);
/* Pages this task's reclaim freed since it was created. */
uint64_t reclaim_pages_freed(const struct task *t);
/* Pages its last (or current) reclaim_start reclaimed, demoted ones
 * included: the kernel's nr_reclaimed, returned by __perform_reclaim as
 * did_some_progress. */
uint32_t reclaim_last_reclaimed(const struct task *t);

#endif
