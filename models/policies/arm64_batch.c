/* arm64_batch: batched and deferred TLB shootdown during reclaim on arm64
 * (seed 002: Barry Song and Yicong Yang, v5 2022; merged in v6.5 as
 * 43b3dfdd0455; policy-semantics.md §3). arch_tlbbatch_add_pending issues
 * DSB ISHST + TLBI VALE1IS for the page at unmap and does not wait;
 * arch_tlbbatch_flush is a single DSB ISH at the flush points, which
 * completes every TLBI the CPU issued. No IPIs and no cpumask. The dirty
 * rule (dirty_rule: on) is mainline's try_to_unmap_flush_dirty before
 * pageout. min_cpus is the series' abandoned threshold (v4: more than 4
 * CPUs, v5/v6: CONFIG_ARM64_NR_CPUS_FOR_BATCHED_TLB = 8): below it every
 * page is flushed at once (TLBI + DSB); the merged code has none (0).
 * On an IPI (x86) machine the arm64 hooks do not exist and this is x86's
 * mainline batch: cpumask + gen(mm) per page, one IPI per CPU per flush,
 * full flush on each target, as batch_full. */
#include "models/policies/unmap_batch.h"

static const struct policy_param arm64_batch_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { "min_cpus", "0", "defer only on machines with at least this many CPUs (v5/v6 of the series: 8; merged: 0)" },
    { NULL, NULL, NULL },
};

static int arm64_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct unmap_batch_cfg *p = priv;

    p->min_cpus = 0;
    if (unmap_batch_configure(priv, map, err))
        return -1;
    return cfg_get_u32(map, "min_cpus", false, 0, 1u << 20, &p->min_cpus, err);
}

const struct flush_policy_ops flush_policy_arm64_batch = {
    .name = "arm64_batch",
    .help = "arm64 (v6.5): TLBI at unmap without waiting, one DSB ISH per flush point; on x86 machines the same as batch_full",
    .params = arm64_batch_params,
    .priv_size = sizeof(struct unmap_batch_cfg),
    .task_state_size = sizeof(struct unmap_batch),
    .configure = arm64_batch_configure,
    .task_init = unmap_batch_task_init,
    .task_destroy = unmap_batch_task_destroy,
    .pte_cleared = unmap_batch_pte_cleared,
    .flush_dirty = unmap_batch_flush_dirty,
    .flush_pending = unmap_batch_flush_pending,
};
