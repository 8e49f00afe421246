/* Broadcast invalidation: arm64 TLBI ...IS, completed only by a DSB ISH on
 * the issuing CPU (policy-semantics.md H4), and the same pair reused for AMD
 * INVLPGB/TLBSYNC. A TLBI is queued on its issuer and applied to every TLB
 * when the issuer's DSB (TLBSYNC) starts: before it, the architecture does
 * not promise the invalidation, so the model keeps the entries usable and a
 * missing DSB shows as stale hits (the hazard checker). Applying at the
 * DSB's start rather than its end is safe for the checker: the issuer is
 * stalled in the DSB and changes no page state meanwhile. The issuer pays
 * for completion in the DSB. */
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

static void tlbi_queue(struct cpu *c, uint32_t mm_id, uint64_t vpn)
{
    if (c->n_tlbi_q == c->cap_tlbi_q) {
        c->cap_tlbi_q = c->cap_tlbi_q ? 2 * c->cap_tlbi_q : 64;
        c->tlbi_q = g_renew(struct tlbi_pending, c->tlbi_q, c->cap_tlbi_q);
    }
    c->tlbi_q[c->n_tlbi_q++] = (struct tlbi_pending){ .mm_id = mm_id, .vpn = vpn };
}

/* The queued TLBIs of c take effect in every TLB (c's DSB). */
static void tlbi_complete(struct machine *m, struct cpu *c)
{
    for (uint32_t k = 0; k < c->n_tlbi_q; k++) {
        const struct tlbi_pending *q = &c->tlbi_q[k];
        struct mm *mm = q->mm_id ? machine_mm(m, q->mm_id) : NULL;

        for (unsigned i = 0; i < m->n_cpus; i++) {
            uint32_t asid = mm ? switch_mm_asid_of(m, &m->cpu[i], mm) : 0;

            if (!mm)
                tlb_flush_all(m->cpu[i].tlb);
            else if (asid == ASID_NONE)
                continue;
            else if (q->vpn == TLBI_ALL_VPN)
                tlb_invalidate_asid(m->cpu[i].tlb, (uint16_t)asid);
            else
                tlb_invalidate_page(m->cpu[i].tlb, (uint16_t)asid, q->vpn);
        }
    }
    c->n_tlbi_q = 0;
}

bool sd__arm64_flush_range(struct machine *m, struct task *t, struct mm *mm,
                           uint64_t start_vpn, uint64_t n_pages)
{
    sim_time_t cost = 0;

    if (n_pages > ARM64_MAX_DVM_OPS) {
        tlbi_queue(&m->cpu[t->cpu], mm->id, TLBI_ALL_VPN);
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
    tlbi_queue(&m->cpu[t->cpu], mm->id, vpn);
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

    tlbi_complete(m, c);
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

sim_time_t sd_switch_barrier(struct machine *m, struct cpu *c)
{
    sim_time_t cost;

    if (!m->arm64 || !c->tlbi_outstanding)
        return 0;
    cost = dsb_cost(m, c);
    tlbi_complete(m, c);
    c->tlbi_outstanding = 0;
    stats_add(m->st, m->ctr.dsb_ish, c->id, 1);
    return cost;
}

bool sd_dsb_after(struct machine *m, struct task *t, sim_time_t issue_ns)
{
    dsb_step(m, t, issue_ns);
    return true;
}

sim_time_t sd_tlbi_all(struct machine *m, struct task *t, struct mm *mm)
{
    tlbi_queue(&m->cpu[t->cpu], mm ? mm->id : 0, TLBI_ALL_VPN);
    m->cpu[t->cpu].tlbi_outstanding++;
    stats_add(m->st, m->ctr.tlbi_broadcast, t->cpu, 1);
    return m->cfg->cost.tlbi_issue_ns;
}
