/* pfn_batch: Mel Gorman's 2015 RFC "TLB flush multiple pages with a single
 * IPI" (seed 000; policy-semantics.md §4 modes M-PFN32 and M-PFNPAGE). A
 * deferred PTE adds its mm's cpumask to the task's batch and its (mm, page)
 * to a list of up to batch_pages entries: BATCH_TLBFLUSH_SIZE = 32 in v1
 * patch 2 (= SWAP_CLUSTER_MAX), "one page of PFNs" (about 500) in patch 3.
 * The list flushes when full, before pageout of a folio whose PTE was dirty
 * (dirty_rule: the v6 try_to_unmap_flush_dirty), before freeing and at the
 * end of a pass: one IPI per non-lazy CPU of the mask, and each target
 * INVLPGs every listed page of the mm it runs (the RFC passed the PFN's
 * physical address to the INVLPG helper; this records the user address, as
 * a working version must). Unlike the RFC (v4.1, no tlb_gen), pages bump
 * gen(mm) as mainline does, so switched-away and lazy CPUs catch up at their
 * next switch_mm. With dirty_rule off, dirty PTEs are deferred past pageout:
 * the race of the RFC's "last minute note" (seeds 000, 001). On arm64 the
 * scheme has no meaning (no IPIs): TLBI at unmap, DSB at the flush points. */
#include <glib.h>

#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

#define PFN_BATCH_MAX 4096      /* more than a page of PFNs: accept any 1..4096 */

struct pfn_batch {
    bool dirty_rule;
    uint32_t batch_pages;
};

/* Per task: the RFC's tlbflush_unmap_batch (cpumask + nr + pfns[]). */
struct pfn_batch_ubc {
    struct cpumask mask;
    struct sd_page *pages;      /* batch_pages slots */
    uint32_t n;
    bool flush_required, writable;
};

static const struct policy_param pfn_batch_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { "batch_pages", "32", "pages per list, 1..4096: 32 = BATCH_TLBFLUSH_SIZE (RFC patch 2), ~500 = one page of PFNs (patch 3)" },
    { NULL, NULL, NULL },
};

static int pfn_batch_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct pfn_batch *p = priv;

    p->dirty_rule = true;
    p->batch_pages = 32;
    if (cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err))
        return -1;
    return cfg_get_u32(map, "batch_pages", false, 1, PFN_BATCH_MAX, &p->batch_pages, err);
}

static void pfn_batch_task_init(void *priv, struct machine *m, void *ts)
{
    struct pfn_batch *p = priv;
    struct pfn_batch_ubc *u = ts;

    cpumask_init(&u->mask, m->n_cpus);
    u->pages = g_new(struct sd_page, p->batch_pages);
}

static void pfn_batch_task_destroy(void *priv, void *ts)
{
    struct pfn_batch_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
    g_free(u->pages);
}

static bool pfn_batch_flush(struct task *t, struct pfn_batch_ubc *u)
{
    struct machine *m = t->m;
    uint32_t n = u->n;
    bool waited;

    if (!u->flush_required)
        return false;
    u->flush_required = false;
    u->writable = false;
    if (m->arm64)
        return sd_dsb(m, t, false);
    u->n = 0;       /* sd_flush_pages keeps its own copy of the list */
    waited = sd_flush_pages(m, t, &u->mask, u->pages, n, false);
    cpumask_clear_all(&u->mask);
    return waited;
}

static bool pfn_batch_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                  pte_t old, sim_time_t *cost_ns)
{
    struct pfn_batch *p = priv;
    struct pfn_batch_ubc *u = t->policy_state;
    struct machine *m = t->m;

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached (v6.4) */
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
    } else {
        /* The RFC deferred only when another CPU may cache the entry. */
        if (!sd_x86_should_defer(t, mm))
            return sd_flush_mm_range(m, t, mm, vpn, 1, false);
        sd_batch_add_mm(m, mm, &u->mask);
        u->pages[u->n++] = (struct sd_page){ .mm = mm, .vpn = vpn, .gen = mm->tlb_gen };
    }
    u->flush_required = true;
    mm->flush_batched_pending++;
    if (p->dirty_rule && (old & PTE_DIRTY))
        u->writable = true;
    /* A full list is flushed at once, inside try_to_unmap_one. */
    if (u->n == p->batch_pages)
        return pfn_batch_flush(t, u);
    return false;
}

static bool pfn_batch_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct pfn_batch_ubc *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    if (!u->writable)
        return false;
    return pfn_batch_flush(t, u);
}

static bool pfn_batch_flush_pending(void *priv, struct task *t, enum flush_point why,
                                    sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return pfn_batch_flush(t, t->policy_state);
}

const struct flush_policy_ops flush_policy_pfn_batch = {
    .name = "pfn_batch",
    .help = "Mel Gorman's 2015 RFC: a list of up to batch_pages pages, one IPI per CPU, INVLPG per page on each target",
    .params = pfn_batch_params,
    .priv_size = sizeof(struct pfn_batch),
    .task_state_size = sizeof(struct pfn_batch_ubc),
    .configure = pfn_batch_configure,
    .task_init = pfn_batch_task_init,
    .task_destroy = pfn_batch_task_destroy,
    .pte_cleared = pfn_batch_pte_cleared,
    .flush_dirty = pfn_batch_flush_dirty,
    .flush_pending = pfn_batch_flush_pending,
};
