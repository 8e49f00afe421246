/* MADV_PAGEOUT: see madvise.h. */
#include "models/madvise.h"

#include <glib.h>

#include "models/alloc.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/policy.h"
#include "models/reclaim.h"
#include "models/shootdown.h"

enum mstate { M_TABLE, M_PENDING, M_ISOLATE, M_RECLAIM, M_FINISH, M_DONE };

struct madv_ctx {
    enum mstate state;
    uint64_t start, end, cur;      /* vpns */
    uint64_t young_cleared;
    sim_time_t lock_ns;            /* lru_lock time of the last isolation */
    task_run_fn *done;
    pfn_t list[PTES_PER_TABLE];
    uint32_t n;                    /* folios isolated from the current table */
};

static void madv_run(struct task *t);

static struct madv_ctx *ctx_get(struct task *t)
{
    if (!t->madv)
        t->madv = g_new0(struct madv_ctx, 1);
    return t->madv;
}

void madvise_pageout(struct task *t, uint64_t start_vpn, uint64_t n_pages, task_run_fn *done)
{
    struct madv_ctx *c = ctx_get(t);

    c->state = M_TABLE;
    c->start = c->cur = start_vpn;
    c->end = start_vpn + n_pages;
    c->young_cleared = 0;
    c->done = done;
    t->in_user = false;
    t->run = madv_run;
    c->lock_ns = lru_add_drain(t->m, t->cpu);
    madv_run(t);
}

/* Isolates the private, LRU-resident folios of one PTE table. */
static uint32_t isolate_table(struct task *t, struct madv_ctx *c, uint64_t lo, uint64_t hi)
{
    struct machine *m = t->m;
    uint32_t n = 0;

    machine_sync_mm(m, t->mm);
    for (uint64_t vpn = lo; vpn < hi; vpn++) {
        pte_t *pte = mm_pte(t->mm, vpn, false);
        struct frame *f;

        if (!pte || !pte_present(*pte))
            continue;
        if (*pte & PTE_ACCESSED) {
            *pte &= ~PTE_ACCESSED;
            c->young_cleared++;
        }
        f = mem_frame(m->mem, (pfn_t)pte_pfn(*pte));
        if (f->state != FRAME_LRU || f->mapcount != 1 || (f->flags & FRAME_LOCKED))
            continue;
        mem_lru_del(m->mem, (pfn_t)pte_pfn(*pte));
        f->flags |= FRAME_LOCKED;
        c->list[n++] = (pfn_t)pte_pfn(*pte);
        /* folio_isolate_lru takes the lruvec lock for each folio */
        c->lock_ns = spinlock_irq_section(m, &m->lru_lock[mem_pfn_node(m->mem, c->list[n - 1])],
                                          t->cpu, c->lock_ns, m->cfg->cost.lru_move_ns);
    }
    return n;
}

static bool madv_advance(struct task *t, struct madv_ctx *c)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;
    uint64_t hi;
    uint32_t n;

    switch (c->state) {
    case M_TABLE:
        c->state = c->cur < c->end ? M_PENDING : M_FINISH;
        return false;
    case M_PENDING:
        c->state = M_ISOLATE;
        if (m->policy->batched_pending
                ? m->policy->batched_pending(m->policy_priv, t, t->mm, &cost)
                : policy_default_batched_pending(m, t, t->mm, &cost))
            return true;
        return cost && (cpu_step(t, cost, CT_RECLAIM), true);  /* the hook's time (policy.h) */
    case M_ISOLATE:
        hi = (c->cur | (PTES_PER_TABLE - 1)) + 1;
        hi = hi < c->end ? hi : c->end;
        n = isolate_table(t, c, c->cur, hi);
        cost = (hi - c->cur) * m->cfg->cost.reclaim_scan_ns / 8 + c->lock_ns;  /* PTE scan, ~8 per line */
        c->lock_ns = 0;
        c->cur = hi;
        c->n = n;
        /* The scan and the isolations take their time before reclaim of the
         * table starts (they were dropped when the table had folios). */
        c->state = n ? M_RECLAIM : M_TABLE;
        cpu_step(t, cost ? cost : 1, CT_RECLAIM);
        return true;
    case M_RECLAIM:
        c->state = M_TABLE;
        reclaim_list_start(t, c->list, c->n, madv_run);
        return true;
    case M_FINISH:
        c->state = M_DONE;
        /* tlb_finish_mmu: the accessed-bit clears were gathered. */
        if (c->young_cleared)
            return sd_flush_mm_range(m, t, t->mm, c->start, c->end - c->start, false);
        return false;
    case M_DONE:
        break;
    }
    return false;
}

static void madv_run(struct task *t)
{
    struct madv_ctx *c = ctx_get(t);

    if (t->m->failure)
        return;
    t->run = madv_run;
    while (c->state != M_DONE) {
        if (madv_advance(t, c))
            return;
    }
    t->run = c->done;
    t->run(t);
}
