/* switch_mm_irqs_off and lazy TLB mode. x86: a CPU keeps asid_slots (6)
 * contexts, each remembering the tlb_gen it has flushed up to; switching to
 * an mm whose slot is behind the mm's generation, or taking a new slot, costs
 * a flush of that ASID. Entries of other slots survive (PCID). arm64: every
 * mm has a global ASID and switching never flushes (rollover is left out). */
#include "models/switch_mm.h"

#include "models/cpu.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/shootdown.h"
#include "models/task.h"
#include "models/tlb.h"
#include "models/trace.h"

/* The tlb:tlb_flush tracepoint only: switch_mm_irqs_off counts no vmstat
 * event (NR_TLB_LOCAL_FLUSH_ALL is flush_tlb_func's, for a local full flush). */
static void count_task_switch_flush(struct machine *m, struct cpu *c)
{
    stats_add(m->st, m->ctr.tlb_flush, c->id, 1);
    stats_add(m->st, m->ctr.tlb_flush_task_switch, c->id, 1);
    trace_tlb_flush(m, c->id, -1, 0);
}

uint32_t switch_mm_asid_of(const struct machine *m, const struct cpu *c, const struct mm *mm)
{
    uint32_t slots = m->kcfg.pcid ? m->cfg->asid_slots : 1;

    if (m->arm64)
        return mm->asid;
    for (uint32_t i = 0; i < slots; i++)
        if (c->ctx[i].mm_id == mm->id)
            return i;
    return ASID_NONE;
}

void switch_mm_enter_lazy(struct machine *m, struct cpu *c)
{
    (void)m;
    if (c->loaded_mm != ASID_NONE)
        c->is_lazy = true;
}

sim_time_t switch_mm_leave_lazy_to_init(struct machine *m, struct cpu *c)
{
    struct mm *old = c->loaded_mm != ASID_NONE ? machine_mm(m, c->loaded_mm) : NULL;

    /* Loading init_mm's CR3 drops this CPU's user translations of the lazy
     * mm (it is not in init_mm's PCID); the slot's generation stays behind,
     * which forces a flush if the mm is switched back in. */
    if (old && !m->kcfg.lazy_cpumask)
        cpumask_clear(&old->cpumask, c->id);
    if (old)
        tlb_invalidate_asid(c->tlb, c->loaded_asid);
    c->loaded_mm = ASID_NONE;
    c->is_lazy = false;
    return m->cfg->cost.full_flush_ns;
}

static sim_time_t switch_same_mm(struct machine *m, struct cpu *c, struct mm *next)
{
    struct asid_ctx *slot;

    if (!c->is_lazy)
        return 0;
    c->is_lazy = false;
    if (m->arm64)
        return 0;
    /* Leaving lazy mode: catch up if a flush was skipped while lazy. */
    slot = &c->ctx[c->loaded_asid];
    if (slot->gen == next->tlb_gen)
        return 0;
    tlb_invalidate_asid(c->tlb, c->loaded_asid);
    slot->gen = next->tlb_gen;
    count_task_switch_flush(m, c);
    return m->cfg->cost.full_flush_ns;
}

static uint32_t choose_slot(struct machine *m, struct cpu *c, struct mm *next, bool *need_flush)
{
    uint32_t slots = m->kcfg.pcid ? m->cfg->asid_slots : 1;
    uint32_t i;

    for (i = 0; i < slots; i++) {
        if (c->ctx[i].mm_id == next->id) {
            *need_flush = c->ctx[i].gen < next->tlb_gen || !m->kcfg.pcid;
            return i;
        }
    }
    i = c->next_asid++ % slots;
    *need_flush = true;
    return i;
}

sim_time_t switch_mm_to(struct machine *m, struct cpu *c, struct mm *next)
{
    struct mm *prev = c->loaded_mm != ASID_NONE ? machine_mm(m, c->loaded_mm) : NULL;
    bool need_flush = false;
    uint32_t slot;

    if (prev == next)
        return switch_same_mm(m, c, next);
    if (prev && !m->kcfg.lazy_cpumask)
        cpumask_clear(&prev->cpumask, c->id);
    cpumask_set(&next->cpumask, c->id);
    c->loaded_mm = next->id;
    c->is_lazy = false;
    if (m->arm64) {
        c->loaded_asid = next->asid;
        return m->cfg->cost.full_flush_ns / 2;   /* TTBR write, no flush */
    }
    slot = choose_slot(m, c, next, &need_flush);
    if (need_flush) {
        tlb_invalidate_asid(c->tlb, (uint16_t)slot);
        c->ctx[slot].mm_id = next->id;
        c->ctx[slot].gen = next->tlb_gen;
        count_task_switch_flush(m, c);
    }
    c->loaded_asid = (uint16_t)slot;
    return m->cfg->cost.full_flush_ns;
}

sim_time_t switch_mm_task(struct machine *m, struct cpu *c, struct task *next)
{
    if (!next->mm) {
        switch_mm_enter_lazy(m, c);
        return 0;
    }
    return switch_mm_to(m, c, next->mm);
}
