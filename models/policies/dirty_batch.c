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
#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

struct dirty_batch {
    bool dirty_rule;
};

/* Per task: struct tlbflush_unmap_batch. */
struct dirty_batch_ubc {
    struct cpumask mask;
    bool flush_required, writable;
};

static const struct policy_param dirty_batch_params[] = {
    { "dirty_rule", "on", "flush once before the pass's pageouts when a PTE was dirty (off: the race of seeds 000/001)" },
    { NULL, NULL, NULL },
};

static int dirty_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct dirty_batch *p = priv;

    p->dirty_rule = true;
    return cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err);
}

static void dirty_batch_task_init(void *priv, struct machine *m, void *ts)
{
    struct dirty_batch_ubc *u = ts;

    (void)priv;
    cpumask_init(&u->mask, m->n_cpus);
}

static void dirty_batch_task_destroy(void *priv, void *ts)
{
    struct dirty_batch_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
}

static bool dirty_batch_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                    pte_t old, sim_time_t *cost_ns)
{
    struct dirty_batch *p = priv;
    struct dirty_batch_ubc *u = t->policy_state;
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

static bool dirty_batch_flush(struct task *t, struct dirty_batch_ubc *u)
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

/* Called once per pass, before the pageout of every deferred dirty folio. */
static bool dirty_batch_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct dirty_batch_ubc *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    if (!u->writable)
        return false;
    return dirty_batch_flush(t, u);
}

static bool dirty_batch_flush_pending(void *priv, struct task *t, enum flush_point why,
                                      sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return dirty_batch_flush(t, t->policy_state);
}

const struct flush_policy_ops flush_policy_dirty_batch = {
    .name = "dirty_batch",
    .help = "Vinay Banakar / Rik van Riel 2025: dirty folios stay locked, one flush before all pageouts of a pass",
    .params = dirty_batch_params,
    .priv_size = sizeof(struct dirty_batch),
    .task_state_size = sizeof(struct dirty_batch_ubc),
    .defers_pageout = true,
    .configure = dirty_batch_configure,
    .task_init = dirty_batch_task_init,
    .task_destroy = dirty_batch_task_destroy,
    .pte_cleared = dirty_batch_pte_cleared,
    .flush_dirty = dirty_batch_flush_dirty,
    .flush_pending = dirty_batch_flush_pending,
};
