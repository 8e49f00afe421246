/* The target side of a shootdown (flush_tlb_func in arch/x86/mm/tlb.c):
 * the lazy and stale-cpumask cases, the tlb_gen skip, INVLPG per page or a
 * full flush past the ceiling, and page-list requests; plus the
 * tlb:tlb_flush accounting every flush goes through. */
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

/* One tlb:tlb_flush event: counted by reason, traced, and journalled for
 * the hazard checker. pages: invalidated count, or -1 for a full flush. */
void sd__count_flush_event(struct machine *m, unsigned cpu, enum tlb_flush_reason why,
                           int64_t pages)
{
    static const size_t off[] = {
        [TLB_FLUSH_ON_TASK_SWITCH] = offsetof(struct machine_counters, tlb_flush_task_switch),
        [TLB_REMOTE_SHOOTDOWN] = offsetof(struct machine_counters, tlb_flush_remote_shootdown),
        [TLB_LOCAL_SHOOTDOWN] = offsetof(struct machine_counters, tlb_flush_local_shootdown),
        [TLB_LOCAL_MM_SHOOTDOWN] = offsetof(struct machine_counters, tlb_flush_local_mm_shootdown),
        [TLB_REMOTE_SEND_IPI] = offsetof(struct machine_counters, tlb_flush_remote_send_ipi),
    };
    stats_id id = *(const stats_id *)((const char *)&m->ctr + off[why]);

    stats_add(m->st, m->ctr.tlb_flush, cpu, 1);
    stats_add(m->st, id, cpu, 1);
    trace_tlb_flush(m, cpu, pages, why);
    if (why != TLB_REMOTE_SEND_IPI)
        hazard_note(m, HZ_FLUSH, cpu, PFN_NONE, m->cpu[cpu].loaded_mm, 0);
}

sim_time_t sd_local_full_flush(struct machine *m, unsigned cpu, enum tlb_flush_reason why)
{
    struct cpu *c = &m->cpu[cpu];

    tlb_invalidate_asid(c->tlb, c->loaded_asid);
    stats_add(m->st, m->ctr.nr_tlb_local_flush_all, cpu, 1);
    sd__count_flush_event(m, cpu, why, -1);
    return m->cfg->cost.full_flush_ns;
}

/* The flush itself once the handler decided to do work (flush_tlb_func's
 * tail): INVLPG per page when this brings the CPU exactly to the newest
 * generation and the range is under the ceiling, a full flush otherwise. */
static sim_time_t do_flush(struct machine *m, struct cpu *c, const struct flush_req *req,
                           uint64_t local_gen, uint64_t mm_gen, bool local)
{
    enum tlb_flush_reason why = !local ? TLB_REMOTE_SHOOTDOWN
                              : req->mm ? TLB_LOCAL_MM_SHOOTDOWN : TLB_LOCAL_SHOOTDOWN;
    bool partial = req->end_vpn != FLUSH_ALL && (!m->kcfg.tlb_gen ||
                   (req->new_gen == local_gen + 1 && req->new_gen == mm_gen));
    uint64_t n;

    if (!partial) {
        tlb_invalidate_asid(c->tlb, c->loaded_asid);
        if (local)
            stats_add(m->st, m->ctr.nr_tlb_local_flush_all, c->id, 1);
        sd__count_flush_event(m, c->id, why, -1);
        return m->cfg->cost.full_flush_ns;
    }
    n = req->end_vpn - req->start_vpn;
    for (uint64_t v = req->start_vpn; v < req->end_vpn; v++)
        tlb_invalidate_page(c->tlb, c->loaded_asid, v);
    if (local)
        stats_add(m->st, m->ctr.nr_tlb_local_flush_one, c->id, n);
    sd__count_flush_event(m, c->id, why, (int64_t)n);
    return n * m->cfg->cost.invlpg_ns;
}

/* A page-list flush with an oracle (any_asid): INVPCID of each listed page
 * in whatever slot holds its mm, counting only pages this CPU caches. */
static sim_time_t handle_pages_any_asid(struct machine *m, struct cpu *c,
                                        const struct flush_req *req, bool local)
{
    uint64_t n = 0;

    for (uint32_t i = 0; i < req->n_pages; i++) {
        const struct sd_page *p = &req->pages[i];
        uint32_t asid = switch_mm_asid_of(m, c, p->mm);

        if (asid != ASID_NONE && tlb_invalidate_page(c->tlb, (uint16_t)asid, p->vpn))
            n++;
    }
    if (!n)
        return 0;
    if (local)
        stats_add(m->st, m->ctr.nr_tlb_local_flush_one, c->id, n);
    sd__count_flush_event(m, c->id, local ? TLB_LOCAL_SHOOTDOWN : TLB_REMOTE_SHOOTDOWN, (int64_t)n);
    return n * m->cfg->cost.invlpg_ns;
}

/* The target side of a page-list flush: the pages of the loaded mm that the
 * CPU's generation does not cover yet. The list holds each mm's pages in
 * increasing generation order, so the generation can advance over the run
 * of consecutive generations flushed here; a gap (another initiator's page
 * not flushed yet) stops it, and the CPU stays behind for that page. */
static sim_time_t handle_pages(struct machine *m, struct cpu *c, const struct flush_req *req,
                               bool local)
{
    struct asid_ctx *slot;
    struct mm *lmm;
    uint64_t local_gen, covered, n = 0, mine = 0;

    if (req->any_asid)
        return handle_pages_any_asid(m, c, req, local);
    if (c->loaded_mm == ASID_NONE)
        return 0;
    if (c->is_lazy)
        return switch_mm_leave_lazy_to_init(m, c);
    lmm = machine_mm(m, c->loaded_mm);
    slot = &c->ctx[c->loaded_asid];
    local_gen = covered = slot->gen;
    for (uint32_t i = 0; i < req->n_pages; i++) {
        const struct sd_page *p = &req->pages[i];

        if (p->mm != lmm)
            continue;
        mine++;
        if (m->kcfg.tlb_gen && p->gen <= local_gen)
            continue;
        n++;
        if (p->gen == covered + 1)
            covered++;
    }
    if (!n) {
        if (mine)
            stats_add(m->st, m->ctr.shootdown_skipped_gen, c->id, 1);
        return 0;
    }
    if (n > m->cfg->cost.flush_ceiling_pages) {
        slot->gen = lmm->tlb_gen;
        if (local)
            return sd_local_full_flush(m, c->id, TLB_LOCAL_SHOOTDOWN);
        tlb_invalidate_asid(c->tlb, c->loaded_asid);
        sd__count_flush_event(m, c->id, TLB_REMOTE_SHOOTDOWN, -1);
        return m->cfg->cost.full_flush_ns;
    }
    for (uint32_t i = 0; i < req->n_pages; i++) {
        const struct sd_page *p = &req->pages[i];

        if (p->mm == lmm && (!m->kcfg.tlb_gen || p->gen > local_gen))
            tlb_invalidate_page(c->tlb, c->loaded_asid, p->vpn);
    }
    slot->gen = covered;
    if (local)
        stats_add(m->st, m->ctr.nr_tlb_local_flush_one, c->id, n);
    sd__count_flush_event(m, c->id, local ? TLB_LOCAL_SHOOTDOWN : TLB_REMOTE_SHOOTDOWN, (int64_t)n);
    return n * m->cfg->cost.invlpg_ns;
}

sim_time_t sd_handle_request(struct machine *m, unsigned cpu, struct flush_req *req, bool local)
{
    struct cpu *c = &m->cpu[cpu];
    struct asid_ctx *slot;
    struct mm *lmm;
    uint64_t local_gen, mm_gen;

    if (!local) {
        stats_add(m->st, m->ctr.nr_tlb_remote_flush_received, cpu, 1);
        stats_add(m->st, m->ctr.ipi_received, cpu, 1);
    }
    if (req->n_pages)
        return handle_pages(m, c, req, local);
    if (req->mm && req->mm->id != c->loaded_mm) {
        /* A stale mm_cpumask bit: the CPU switched away. Clear it, no flush. */
        cpumask_clear(&req->mm->cpumask, cpu);
        stats_add(m->st, m->ctr.shootdown_stale_cpumask, cpu, 1);
        return 0;
    }
    if (c->loaded_mm == ASID_NONE)
        return 0;
    if (c->is_lazy)
        return switch_mm_leave_lazy_to_init(m, c);
    lmm = machine_mm(m, c->loaded_mm);
    slot = &c->ctx[c->loaded_asid];
    local_gen = slot->gen;
    mm_gen = lmm->tlb_gen;
    if (m->kcfg.tlb_gen && ((req->new_gen && req->new_gen <= local_gen) || local_gen == mm_gen)) {
        stats_add(m->st, m->ctr.shootdown_skipped_gen, cpu, 1);
        return 0;
    }
    slot->gen = mm_gen;
    return do_flush(m, c, req, local_gen, mm_gen, local);
}

void sd_count_flush(struct machine *m, unsigned cpu, enum tlb_flush_reason why, int64_t pages)
{
    sd__count_flush_event(m, cpu, why, pages);
}
