/* batch_full: mainline x86 batched unmap flush (v4.3+, policy-semantics.md
 * §3). A deferred PTE adds its mm's cpumask to the task's batch and bumps
 * the mm's generation; try_to_unmap_flush sends one IPI per CPU of the mask
 * and each target does a full flush (or nothing when already up to date).
 * The dirty-PTE rule (dirty_rule: on) flushes before pageout of a folio
 * whose PTE was dirty. On arm64 the same hooks issue TLBI at unmap and one
 * DSB at the flush point (the arm64_batch scheme of seed 002). */
#include <glib.h>

#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

struct batch_full {
    bool dirty_rule;
};

/* Per task: struct tlbflush_unmap_batch. */
struct batch_full_ubc {
    struct cpumask mask;
    bool flush_required, writable;
};

static const struct policy_param batch_full_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { NULL, NULL, NULL },
};

static int batch_full_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct batch_full *p = priv;

    p->dirty_rule = true;
    return cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err);
}

static void batch_full_task_init(void *priv, struct machine *m, void *ts)
{
    struct batch_full_ubc *u = ts;

    (void)priv;
    cpumask_init(&u->mask, m->n_cpus);
}

static void batch_full_task_destroy(void *priv, void *ts)
{
    struct batch_full_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
}

static bool batch_full_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                   pte_t old, sim_time_t *cost_ns)
{
    struct batch_full *p = priv;
    struct batch_full_ubc *u = t->policy_state;
    struct machine *m = t->m;

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached (v6.4) */
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
    } else {
        /* should_defer_flush: only when another CPU may cache the entry. */
        if (cpumask_weight(&mm->cpumask) == (cpumask_test(&mm->cpumask, t->cpu) ? 1u : 0u))
            return sd_flush_mm_range(m, t, mm, vpn, 1, false);
        sd_batch_add_mm(m, mm, &u->mask);
    }
    u->flush_required = true;
    mm->flush_batched_pending++;
    if (p->dirty_rule && (old & PTE_DIRTY))
        u->writable = true;
    return false;
}

static bool batch_full_flush(struct task *t, struct batch_full_ubc *u)
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

static bool batch_full_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct batch_full_ubc *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    if (!u->writable)
        return false;
    return batch_full_flush(t, u);
}

static bool batch_full_flush_pending(void *priv, struct task *t, enum flush_point why,
                                     sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return batch_full_flush(t, t->policy_state);
}

const struct flush_policy_ops flush_policy_batch_full = {
    .name = "batch_full",
    .help = "mainline batched unmap flush: one IPI per CPU per pass, full flush on each target",
    .params = batch_full_params,
    .priv_size = sizeof(struct batch_full),
    .task_state_size = sizeof(struct batch_full_ubc),
    .configure = batch_full_configure,
    .task_init = batch_full_task_init,
    .task_destroy = batch_full_task_destroy,
    .pte_cleared = batch_full_pte_cleared,
    .flush_dirty = batch_full_flush_dirty,
    .flush_pending = batch_full_flush_pending,
};
