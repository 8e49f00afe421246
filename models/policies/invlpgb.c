/* invlpgb: AMD's broadcast TLB invalidation in the x86 batched unmap flush
 * (Rik van Riel's series, merged in v6.15; policy-semantics.md §1 (iii) and
 * §3 arch_flush). INVLPGB invalidates a translation in every CPU's TLB
 * without an interrupt; TLBSYNC stalls the issuing CPU until every INVLPGB it
 * issued has completed everywhere. Here a deferred PTE records its page (and
 * bumps mm's tlb_flush_batched, so other paths still flush first); at each
 * flush point the initiator issues one INVLPGB per recorded page, or past
 * flush_ceiling_pages one INVLPGB of every non-global translation (what
 * v6.15's arch_tlbbatch_flush always issues), then TLBSYNC. No IPIs, no
 * cpumask, no gen(mm): the model's INVLPGB reaches the mm in every CPU's
 * ASID slot, as the kernel's global ASIDs make it. Another path's
 * flush_tlb_batched_pending becomes one INVLPGB of the mm's ASID + TLBSYNC
 * (broadcast_tlb_flush). Costs: an INVLPGB is charged as the machine's
 * tlbi_issue and TLBSYNC as its DSB model (dsb_*), counted as
 * tlbi_broadcast and dsb_ish. Left out: the kernel gives an mm a global
 * ASID only once it runs on 3 or more CPUs (others keep IPIs), and
 * INVLPGB's multi-page count. Intel has no INVLPGB: on Intel machine files
 * the costs are AMD estimates for what-if runs. On arm64 (broadcast TLBI)
 * this is arm64_batch: TLBI at unmap, one DSB per flush point. */
#include <glib.h>

#include "models/machine.h"
#include "models/policies/unmap_batch.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

/* priv is a struct unmap_batch_cfg (dirty_rule), shared with mainline's batch. */
struct invlpgb_ubc {
    GArray *pages;              /* struct sd_page, gen unused */
    bool flush_required, writable;
};

static void invlpgb_task_init(void *priv, struct machine *m, void *ts)
{
    struct invlpgb_ubc *u = ts;

    (void)priv;
    (void)m;
    u->pages = g_array_new(FALSE, FALSE, sizeof(struct sd_page));
}

static void invlpgb_task_destroy(void *priv, void *ts)
{
    struct invlpgb_ubc *u = ts;

    (void)priv;
    g_array_free(u->pages, TRUE);
}

static bool invlpgb_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                pte_t old, sim_time_t *cost_ns)
{
    struct unmap_batch_cfg *p = priv;     /* dirty_rule */
    struct invlpgb_ubc *u = t->policy_state;
    struct machine *m = t->m;

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached (v6.4) */
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
    } else {
        struct sd_page e = { .mm = mm, .vpn = vpn, .gen = 0 };

        /* should_defer_flush: a page only this CPU may cache is flushed
         * locally at once (ptep_clear_flush). */
        if (!sd_x86_should_defer(t, mm))
            return sd_flush_mm_range(m, t, mm, vpn, 1, false);
        g_array_append_val(u->pages, e);
    }
    u->flush_required = true;
    mm->flush_batched_pending++;
    if (p->dirty_rule && (old & PTE_DIRTY))
        u->writable = true;
    return false;
}

static bool invlpgb_flush(struct task *t, struct invlpgb_ubc *u)
{
    struct machine *m = t->m;
    sim_time_t issue = 0;

    if (!u->flush_required)
        return false;
    u->flush_required = false;
    u->writable = false;
    if (m->arm64)
        return sd_dsb(m, t, false);
    if (u->pages->len > m->cfg->cost.flush_ceiling_pages) {
        issue = sd_tlbi_all(m, t, NULL);
    } else {
        for (guint i = 0; i < u->pages->len; i++) {
            const struct sd_page *e = &g_array_index(u->pages, struct sd_page, i);

            issue += sd_tlbi_page(m, t, e->mm, e->vpn);
        }
    }
    g_array_set_size(u->pages, 0);
    return sd_dsb_after(m, t, issue);       /* TLBSYNC */
}

static bool invlpgb_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct invlpgb_ubc *u = t->policy_state;

    (void)priv;
    (void)cost_ns;
    if (!u->writable)
        return false;
    return invlpgb_flush(t, u);
}

static bool invlpgb_flush_pending(void *priv, struct task *t, enum flush_point why,
                                  sim_time_t *cost_ns)
{
    (void)priv;
    (void)why;
    (void)cost_ns;
    return invlpgb_flush(t, t->policy_state);
}

/* flush_tlb_batched_pending: flush_tlb_mm of an mm with a global ASID is one
 * INVLPGB of that ASID and TLBSYNC, no IPIs. */
static bool invlpgb_batched_pending(void *priv, struct task *t, struct mm *mm,
                                    sim_time_t *cost_ns)
{
    struct machine *m = t->m;

    (void)priv;
    if (m->arm64)
        return policy_default_batched_pending(m, t, mm, cost_ns);
    if (!policy_batched_pending_take(mm))
        return false;
    return sd_dsb_after(m, t, sd_tlbi_all(m, t, mm));
}

const struct flush_policy_ops flush_policy_invlpgb = {
    .name = "invlpgb",
    .help = "AMD INVLPGB (x86 v6.15+): no IPIs; at the flush point one broadcast INVLPGB per page (all past the ceiling), then TLBSYNC",
    .params = unmap_batch_params,
    .priv_size = sizeof(struct unmap_batch_cfg),
    .task_state_size = sizeof(struct invlpgb_ubc),
    .configure = unmap_batch_configure,
    .task_init = invlpgb_task_init,
    .task_destroy = invlpgb_task_destroy,
    .pte_cleared = invlpgb_pte_cleared,
    .flush_dirty = invlpgb_flush_dirty,
    .flush_pending = invlpgb_flush_pending,
    .batched_pending = invlpgb_batched_pending,
};
