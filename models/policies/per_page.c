/* per_page: ptep_clear_flush for every unmapped page (no batching). On x86 a
 * synchronous flush_tlb_mm_range of one page to every CPU of mm_cpumask; on
 * arm64 TLBI VALE1IS plus DSB ISH per page (seed 002's baseline). A PTE that
 * was not accessible (not present) needs no flush (pte_accessible). */
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

static bool per_page_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                 pte_t old, sim_time_t *cost_ns)
{
    (void)priv;
    (void)cost_ns;
    if (!pte_present(old))
        return false;
    return sd_flush_mm_range(t->m, t, mm, vpn, 1, false);
}

static bool per_page_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    (void)priv;
    (void)t;
    (void)cost_ns;
    return false;
}

static bool per_page_flush_pending(void *priv, struct task *t, enum flush_point why,
                                   sim_time_t *cost_ns)
{
    (void)priv;
    (void)t;
    (void)why;
    (void)cost_ns;
    return false;
}

const struct flush_policy_ops flush_policy_per_page = {
    .name = "per_page",
    .help = "flush each unmapped page at once on every CPU of mm_cpumask (ptep_clear_flush)",
    .pte_cleared = per_page_pte_cleared,
    .flush_dirty = per_page_flush_dirty,
    .flush_pending = per_page_flush_pending,
};
