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
#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

struct arm64_batch {
    bool dirty_rule;
    uint32_t min_cpus;
};

/* Per task: struct tlbflush_unmap_batch (arm64 keeps no arch state; the
 * mask is x86's). */
struct arm64_batch_ubc {
    struct cpumask mask;
    bool flush_required, writable;
};

static const struct policy_param arm64_batch_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { "min_cpus", "0", "defer only on machines with at least this many CPUs (v5/v6 of the series: 8; merged: 0)" },
    { NULL, NULL, NULL },
};

static int arm64_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct arm64_batch *p = priv;

    p->dirty_rule = true;
    p->min_cpus = 0;
    if (cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err))
        return -1;
    return cfg_get_u32(map, "min_cpus", false, 0, 1u << 20, &p->min_cpus, err);
}

static void arm64_batch_task_init(void *priv, struct machine *m, void *ts)
{
    struct arm64_batch_ubc *u = ts;

    (void)priv;
    cpumask_init(&u->mask, m->n_cpus);
}

static void arm64_batch_task_destroy(void *priv, void *ts)
{
    struct arm64_batch_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
}

/* arch_tlbbatch_should_defer. */
static bool should_defer(const struct arm64_batch *p, struct task *t, struct mm *mm)
{
    struct machine *m = t->m;

    if (m->arm64)
        return m->n_cpus >= p->min_cpus;
    /* x86: only when another CPU may cache the entry. */
    return cpumask_weight(&mm->cpumask) != (cpumask_test(&mm->cpumask, t->cpu) ? 1u : 0u);
}

static bool arm64_batch_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                    pte_t old, sim_time_t *cost_ns)
{
    struct arm64_batch *p = priv;
    struct arm64_batch_ubc *u = t->policy_state;
    struct machine *m = t->m;

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached (v6.4) */
    if (!should_defer(p, t, mm))
        return sd_flush_mm_range(m, t, mm, vpn, 1, false);     /* TLBI + DSB on arm64 */
    if (m->arm64)
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);    /* broadcast now, complete later */
    else
        sd_batch_add_mm(m, mm, &u->mask);
    u->flush_required = true;
    mm->flush_batched_pending++;
    if (p->dirty_rule && (old & PTE_DIRTY))
        u->writable = true;
    return false;
}

static bool arm64_batch_flush(struct task *t, struct arm64_batch_ubc *u)
{
    struct machine *m = t->m;
    bool waited;

    if (!u->flush_required)
        return false;
    u->flush_required = false;
    u->writable = false;
    if (m->arm64)
        return sd_dsb(m, t, false);
    waited = sd_flush_batch(m, t, &u->mask);
    cpumask_clear_all(&u->mask);
    return waited;
}

static bool arm64_batch_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct arm64_batch_ubc *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    if (!u->writable)
        return false;
    return arm64_batch_flush(t, u);
}

static bool arm64_batch_flush_pending(void *priv, struct task *t, enum flush_point why,
                                      sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return arm64_batch_flush(t, t->policy_state);
}

const struct flush_policy_ops flush_policy_arm64_batch = {
    .name = "arm64_batch",
    .help = "arm64 (v6.5): TLBI at unmap without waiting, one DSB ISH per flush point; on x86 machines the same as batch_full",
    .params = arm64_batch_params,
    .priv_size = sizeof(struct arm64_batch),
    .task_state_size = sizeof(struct arm64_batch_ubc),
    .configure = arm64_batch_configure,
    .task_init = arm64_batch_task_init,
    .task_destroy = arm64_batch_task_destroy,
    .pte_cleared = arm64_batch_pte_cleared,
    .flush_dirty = arm64_batch_flush_dirty,
    .flush_pending = arm64_batch_flush_pending,
};
