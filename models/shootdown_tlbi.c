/* Broadcast invalidation: arm64 TLBI ...IS, completed only by a DSB ISH on
 * the issuing CPU (policy-semantics.md H4), and the same pair reused for AMD
 * INVLPGB/TLBSYNC. The TLBI is applied to every TLB at once; the issuer
 * pays for completion in the DSB. */
#include "models/shootdown.h"
#include "models/shootdown_priv.h"

#include <glib.h>
#include <string.h>

#include "models/bug.h"
#include "models/cpu.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/tlb.h"
#include "models/trace.h"
#include "sim/engine.h"

static void dsb_step(struct machine *m, struct task *t, sim_time_t extra_ns);

bool sd__arm64_flush_range(struct machine *m, struct task *t, struct mm *mm,
                           uint64_t start_vpn, uint64_t n_pages)
{
    sim_time_t cost = 0;

    if (n_pages > ARM64_MAX_DVM_OPS) {
        for (unsigned i = 0; i < m->n_cpus; i++)
            tlb_invalidate_asid(m->cpu[i].tlb, mm->asid);
        m->cpu[t->cpu].tlbi_outstanding++;
        stats_add(m->st, m->ctr.tlbi_broadcast, t->cpu, 1);
        cost = m->cfg->cost.tlbi_issue_ns;
    } else {
        for (uint64_t v = start_vpn; v < start_vpn + n_pages; v++)
            cost += sd_tlbi_page(m, t, mm, v);
    }
    /* The TLBIs' issue time is charged with the DSB: both are what
     * ptep_clear_flush costs the unmapping CPU (seed 002's profile). */
    dsb_step(m, t, cost);
    return true;
}


sim_time_t sd_tlbi_page(struct machine *m, struct task *t, struct mm *mm, uint64_t vpn)
{
    for (unsigned i = 0; i < m->n_cpus; i++) {
        uint32_t asid = switch_mm_asid_of(m, &m->cpu[i], mm);   /* arm64: mm->asid */

        if (asid != ASID_NONE)
            tlb_invalidate_page(m->cpu[i].tlb, (uint16_t)asid, vpn);
    }
    m->cpu[t->cpu].tlbi_outstanding++;
    stats_add(m->st, m->ctr.tlbi_broadcast, t->cpu, 1);
    return m->cfg->cost.tlbi_issue_ns;
}

/* DSB ISH waits for every TLBI this CPU broadcast to be acknowledged by all
 * CPUs of the inner-shareable domain: a base, growth with the domain size,
 * per outstanding TLBI, and contention with other broadcasters. */
static sim_time_t dsb_cost(struct machine *m, struct cpu *c)
{
    const struct machine_costs *k = &m->cfg->cost;
    unsigned others = 0;

    for (unsigned i = 0; i < m->n_cpus; i++)
        if (i != c->id && m->cpu[i].tlbi_outstanding)
            others++;
    return k->dsb_base_ns + k->dsb_per_cpu_ns * m->n_cpus +
           k->dsb_per_pending_tlbi_ns * c->tlbi_outstanding + k->dsb_per_concurrent_ns * others;
}

static void dsb_step(struct machine *m, struct task *t, sim_time_t extra_ns)
{
    struct cpu *c = &m->cpu[t->cpu];
    sim_time_t cost = dsb_cost(m, c);

    c->tlbi_outstanding = 0;
    stats_add(m->st, m->ctr.dsb_ish, c->id, 1);
    cpu_step(t, extra_ns + cost, CT_DSB_STALL);
}

bool sd_dsb(struct machine *m, struct task *t, bool always)
{
    if (!m->cpu[t->cpu].tlbi_outstanding && !always)
        return false;
    dsb_step(m, t, 0);
    return true;
}

bool sd_dsb_after(struct machine *m, struct task *t, sim_time_t issue_ns)
{
    dsb_step(m, t, issue_ns);
    return true;
}

sim_time_t sd_tlbi_all(struct machine *m, struct task *t, struct mm *mm)
{
    for (unsigned i = 0; i < m->n_cpus; i++) {
        uint32_t asid = mm ? switch_mm_asid_of(m, &m->cpu[i], mm) : 0;

        if (!mm)
            tlb_flush_all(m->cpu[i].tlb);
        else if (asid != ASID_NONE)
            tlb_invalidate_asid(m->cpu[i].tlb, (uint16_t)asid);
    }
    m->cpu[t->cpu].tlbi_outstanding++;
    stats_add(m->st, m->ctr.tlbi_broadcast, t->cpu, 1);
    return m->cfg->cost.tlbi_issue_ns;
}
