/* ideal: a lower bound on shootdown work, not a kernel scheme. It needs an
 * oracle no kernel has: which CPUs' TLBs hold a translation of a page.
 * PTEs are cleared without a flush and the pages recorded; at each of
 * mainline's flush points (policy-semantics.md §3 (iii): before pageout of
 * a folio whose PTE was dirty, before freeing, at the end of a pass; and
 * for another path's flush_tlb_batched_pending) it looks into every CPU's
 * TLB, in every ASID slot, and interrupts exactly the CPUs that still cache
 * one of the recorded pages, one IPI each; each invalidates only those pages
 * (INVPCID, so a switched-away slot is cleaned too). No cpumask, no lazy
 * CPUs interrupted for nothing, no gen(mm), no full flushes; a page nobody
 * caches costs nothing. Flush points and batching are mainline's: compare
 * with dirty_batch for fewer flush points. On arm64 the broadcast TLBI is
 * already exact (only caching TLBs act on it): TLBI at unmap and one DSB
 * per flush point, as arm64_batch. */
#include <glib.h>

#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/tlb.h"

/* A recorded page and the frame its cleared PTE mapped: only an entry to
 * that frame is stale (a CPU that has faulted the page in again holds a
 * valid one). */
struct ideal_page {
    struct mm *mm;
    uint64_t vpn;
    uint32_t pfn;
};

struct ideal {
    bool dirty_rule;
    GPtrArray *ubcs;            /* every task's state: the batched_pending oracle */
    struct cpumask mask;        /* scratch: the CPUs to interrupt */
    GArray *list;               /* scratch: struct sd_page, the pages to invalidate */
};

struct ideal_ubc {
    GArray *pages;              /* struct ideal_page */
    bool flush_required, writable;
};

static const struct policy_param ideal_params[] = {
    { "dirty_rule", "on", "flush before pageout of a folio whose PTE was dirty (off: the race of seeds 000/001)" },
    { NULL, NULL, NULL },
};

static int ideal_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct ideal *p = priv;

    p->dirty_rule = true;
    return cfg_get_bool(map, "dirty_rule", false, &p->dirty_rule, err);
}

static void ideal_attach(void *priv, struct machine *m)
{
    struct ideal *p = priv;

    p->ubcs = g_ptr_array_new();
    cpumask_init(&p->mask, m->n_cpus);
    p->list = g_array_new(FALSE, FALSE, sizeof(struct sd_page));
}

static void ideal_detach(void *priv, struct machine *m)
{
    struct ideal *p = priv;

    (void)m;
    g_ptr_array_free(p->ubcs, TRUE);
    cpumask_destroy(&p->mask);
    g_array_free(p->list, TRUE);
}

static void ideal_task_init(void *priv, struct machine *m, void *ts)
{
    struct ideal *p = priv;
    struct ideal_ubc *u = ts;

    (void)m;
    u->pages = g_array_new(FALSE, FALSE, sizeof(struct ideal_page));
    g_ptr_array_add(p->ubcs, u);
}

static void ideal_task_destroy(void *priv, void *ts)
{
    struct ideal *p = priv;
    struct ideal_ubc *u = ts;

    g_ptr_array_remove_fast(p->ubcs, u);
    g_array_free(u->pages, TRUE);
}

/* The oracle: adds to p->mask every CPU caching a stale translation of a
 * page of `pages` (of mm `only`, when not NULL) and to p->list each such
 * page once. */
static void ideal_probe(struct ideal *p, struct machine *m, const GArray *pages,
                        const struct mm *only)
{
    for (guint i = 0; i < pages->len; i++) {
        const struct ideal_page *e = &g_array_index(pages, struct ideal_page, i);
        bool cached = false;

        if (only && e->mm != only)
            continue;
        for (unsigned c = 0; c < m->n_cpus; c++) {
            uint32_t asid = switch_mm_asid_of(m, &m->cpu[c], e->mm);
            struct tlb_hit h;

            if (asid != ASID_NONE && tlb_probe(m->cpu[c].tlb, (uint16_t)asid, e->vpn, &h) &&
                h.pfn == e->pfn) {
                cpumask_set(&p->mask, c);
                cached = true;
            }
        }
        if (cached) {
            struct sd_page sp = { .mm = e->mm, .vpn = e->vpn, .gen = 0 };

            g_array_append_val(p->list, sp);
        }
    }
}

static bool ideal_send(struct ideal *p, struct task *t)
{
    bool waited = sd_flush_pages(t->m, t, &p->mask, (const struct sd_page *)(void *)p->list->data,
                                 p->list->len, true);

    cpumask_clear_all(&p->mask);
    g_array_set_size(p->list, 0);
    return waited;
}

static bool ideal_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                              pte_t old, sim_time_t *cost_ns)
{
    struct ideal *p = priv;
    struct ideal_ubc *u = t->policy_state;
    struct machine *m = t->m;

    if (!pte_present(old))
        return false;       /* nothing can be cached */
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
        mm->flush_batched_pending++;    /* for the default batched_pending */
    } else {
        struct ideal_page e = { .mm = mm, .vpn = vpn, .pfn = (uint32_t)pte_pfn(old) };

        g_array_append_val(u->pages, e);
    }
    u->flush_required = true;
    if (p->dirty_rule && (old & PTE_DIRTY))
        u->writable = true;
    return false;
}

static bool ideal_flush(struct ideal *p, struct task *t, struct ideal_ubc *u)
{
    struct machine *m = t->m;

    if (!u->flush_required)
        return false;
    u->flush_required = false;
    u->writable = false;
    if (m->arm64)
        return sd_dsb(m, t, false);
    ideal_probe(p, m, u->pages, NULL);
    g_array_set_size(u->pages, 0);
    return ideal_send(p, t);
}

static bool ideal_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct ideal_ubc *u = t->policy_state;

    (void)cost_ns;
    if (!u->writable)
        return false;
    return ideal_flush(priv, t, u);
}

static bool ideal_flush_pending(void *priv, struct task *t, enum flush_point why,
                                sim_time_t *cost_ns)
{
    (void)why;
    (void)cost_ns;
    return ideal_flush(priv, t, t->policy_state);
}

/* flush_tlb_batched_pending with the oracle: the recorded pages of mm that
 * any task has not flushed yet and some CPU still caches. They stay on
 * their owner's list; its own flush later finds them gone and costs
 * nothing. On arm64 a DSB by another CPU completes nothing (H4), so there
 * the mainline default (a full flush of mm) is used. */
static bool ideal_batched_pending(void *priv, struct task *t, struct mm *mm, sim_time_t *cost_ns)
{
    struct ideal *p = priv;
    struct machine *m = t->m;

    if (m->arm64)
        return policy_default_batched_pending(m, t, mm, cost_ns);
    for (guint i = 0; i < p->ubcs->len; i++)
        ideal_probe(p, m, ((struct ideal_ubc *)g_ptr_array_index(p->ubcs, i))->pages, mm);
    return ideal_send(p, t);
}

const struct flush_policy_ops flush_policy_ideal = {
    .name = "ideal",
    .help = "lower bound (needs an oracle, no real kernel): at each flush point one IPI to exactly the CPUs caching a recorded page, INVLPG of those pages only",
    .params = ideal_params,
    .priv_size = sizeof(struct ideal),
    .task_state_size = sizeof(struct ideal_ubc),
    .configure = ideal_configure,
    .attach = ideal_attach,
    .detach = ideal_detach,
    .task_init = ideal_task_init,
    .task_destroy = ideal_task_destroy,
    .pte_cleared = ideal_pte_cleared,
    .flush_dirty = ideal_flush_dirty,
    .flush_pending = ideal_flush_pending,
    .batched_pending = ideal_batched_pending,
};
