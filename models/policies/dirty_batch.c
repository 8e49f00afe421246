/* dirty_batch: one flush for all dirty folios of a shrink_folio_list pass
 * (seed 003: Vinay Banakar, Jan 2025, reposted by Rik van Riel as "mm/vmscan:
 * batch TLB flush during memory reclaim" v1/v2, Mar 2025; not merged;
 * policy-semantics.md §5). The unmap side is mainline's (§3): on x86 the
 * mm's cpumask joins the task's batch and gen(mm) is bumped; on arm64 a
 * TLBI is issued at unmap. What changes is the caller: a dirty folio is
 * not paged out at once but kept locked on a list (defers_pageout), and
 * after the pass reclaim calls try_to_unmap_flush_dirty once, then pages
 * out each folio. MADV_PAGEOUT hands shrink_folio_list one PTE table
 * (up to 512 folios) per call, hence the patch's "one IPI per PMD"; kswapd
 * passes SWAP_CLUSTER_MAX (32). The folio lock held from unmap to pageout
 * keeps the safety condition: the flush still precedes every folio's I/O.
 * dirty_rule off drops that flush (flush_dirty does nothing): the pageouts
 * then start with stale writable entries alive (the race of seeds 000/001). */
#include "models/policies/unmap_batch.h"

/* Mainline's batch; only the caller changes (defers_pageout): reclaim keeps
 * the pass's dirty folios locked and calls flush_dirty once for them. */
const struct flush_policy_ops flush_policy_dirty_batch = {
    .name = "dirty_batch",
    .help = "Vinay Banakar / Rik van Riel 2025: dirty folios stay locked, one flush before all pageouts of a pass",
    .params = unmap_batch_params,
    .priv_size = sizeof(struct unmap_batch_cfg),
    .task_state_size = sizeof(struct unmap_batch),
    .defers_pageout = true,
    .configure = unmap_batch_configure,
    .task_init = unmap_batch_task_init,
    .task_destroy = unmap_batch_task_destroy,
    .pte_cleared = unmap_batch_pte_cleared,
    .flush_dirty = unmap_batch_flush_dirty,
    .flush_pending = unmap_batch_flush_pending,
};
