/* Mainline's batched unmap flush (struct tlbflush_unmap_batch and the
 * try_to_unmap_flush family, policy-semantics.md §3), shared by the policies
 * that differ from it only in where reclaim calls it (dirty_batch) or in
 * parameters (arm64_batch's CPU threshold). The functions have the hook
 * signatures of struct flush_policy_ops, so a policy's ops point at them.
 * priv is a struct unmap_batch_cfg; the per-task state a struct unmap_batch. */
#ifndef MODELS_POLICIES_UNMAP_BATCH_H
#define MODELS_POLICIES_UNMAP_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpumask.h"
#include "models/policy.h"

struct unmap_batch_cfg {
    bool dirty_rule;           /* flush before pageout of a folio whose PTE was dirty */
    uint32_t min_cpus;         /* arm64: defer only with at least this many CPUs */
};

struct unmap_batch {
    struct cpumask mask;       /* x86: union of the mm_cpumasks of deferred PTEs */
    bool flush_required, writable;
};

extern const struct policy_param unmap_batch_params[];   /* dirty_rule */

/* Reads dirty_rule (and nothing else). */
int unmap_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err);
void unmap_batch_task_init(void *priv, struct machine *m, void *ts);
void unmap_batch_task_destroy(void *priv, void *ts);
/* set_tlb_ubc_flush_pending: defer (x86: cpumask + gen(mm)++; arm64: TLBI
 * now) when arch_tlbbatch_should_defer, else flush this page at once. */
bool unmap_batch_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                             pte_t old, sim_time_t *cost_ns);
/* try_to_unmap_flush_dirty: flush only if a dirty PTE was deferred. */
bool unmap_batch_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns);
/* Flushes u if anything was deferred (x86: one IPI per CPU of the mask,
 * full flush on each; arm64: one DSB) and empties it; false if nothing was
 * needed. For policies that keep a mainline batch inside their own state. */
bool unmap_batch_flush(struct task *t, struct unmap_batch *u);
/* try_to_unmap_flush: x86 one IPI per CPU of the mask; arm64 one DSB. */
bool unmap_batch_flush_pending(void *priv, struct task *t, enum flush_point why,
                               sim_time_t *cost_ns);

#endif
