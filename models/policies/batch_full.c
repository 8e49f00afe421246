/* batch_full: mainline x86 batched unmap flush (v4.3+, policy-semantics.md
 * §3). A deferred PTE adds its mm's cpumask to the task's batch and bumps
 * the mm's generation; try_to_unmap_flush sends one IPI per CPU of the mask
 * and each target does a full flush (or nothing when already up to date).
 * The dirty-PTE rule (dirty_rule: on) flushes before pageout of a folio
 * whose PTE was dirty. On arm64 the same hooks issue TLBI at unmap and one
 * DSB at the flush point (the arm64_batch scheme of seed 002). */
#include "models/policies/unmap_batch.h"

const struct flush_policy_ops flush_policy_batch_full = {
    .name = "batch_full",
    .help = "mainline batched unmap flush: one IPI per CPU per pass, full flush on each target",
    .params = unmap_batch_params,
    .priv_size = sizeof(struct unmap_batch_cfg),
    .task_state_size = sizeof(struct unmap_batch),
    .configure = unmap_batch_configure,
    .task_init = unmap_batch_task_init,
    .task_destroy = unmap_batch_task_destroy,
    .pte_cleared = unmap_batch_pte_cleared,
    .flush_dirty = unmap_batch_flush_dirty,
    .flush_pending = unmap_batch_flush_pending,
};
