/* Mainline's batched unmap flush: see unmap_batch.h. */
#include "models/policies/unmap_batch.h"

#include "models/machine.h"
#include "models/shootdown.h"
#include "models/task.h"

const struct policy_param unmap_batch_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { NULL, NULL, NULL },
};

int unmap_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct unmap_batch_cfg *p = priv;

    p->dirty_rule = true;
    return cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err);
}

void unmap_batch_task_init(void *priv, struct machine *m, void *ts)
{
    struct unmap_batch *u = ts;

    (void)priv;
    cpumask_init(&u->mask, m->n_cpus);
}

void unmap_batch_task_destroy(void *priv, void *ts)
{
    struct unmap_batch *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
}

/* arch_tlbbatch_should_defer: arm64 always (v6.5; the series' thresholds
 * as min_cpus); x86 only when another CPU may cache the entry. */
static bool should_defer(const struct unmap_batch_cfg *p, struct task *t, struct mm *mm)
{
    struct machine *m = t->m;

    if (m->arm64)
        return m->n_cpus >= p->min_cpus;
    return sd_x86_should_defer(t, mm);
}

bool unmap_batch_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                             pte_t old, sim_time_t *cost_ns)
{
    struct unmap_batch_cfg *p = priv;
    struct unmap_batch *u = t->policy_state;
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
        u->writable = true;     /* "dirty => assume writable" */
    return false;
}

bool unmap_batch_flush(struct task *t, struct unmap_batch *u)
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

bool unmap_batch_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct unmap_batch *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    return u->writable && unmap_batch_flush(t, u);
}

bool unmap_batch_flush_pending(void *priv, struct task *t, enum flush_point why,
                               sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return unmap_batch_flush(t, t->policy_state);
}
