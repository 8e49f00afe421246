/* The per-folio work of shrink_folio_list and the isolation of a pass
 * (isolate_lru_folios, shrink_active_list). Costs come from the machine's
 * cost table: reclaim_scan_ns per folio looked at, rmap_unmap_ns per mapping
 * walked or cleared, page_free_ns per folio freed. */
#include "models/reclaim_page.h"

#include "models/alloc.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/shootdown.h"

static void count_scan(struct task *t, bool kswapd, uint64_t n)
{
    struct machine *m = t->m;

    stats_add(m->st, kswapd ? m->ctr.pgscan_kswapd : m->ctr.pgscan_direct, t->cpu, n);
}

/* Clears the accessed bits of every PTE mapping pfn; returns how many were
 * set and adds the cost to *cost (page_referenced). */
static unsigned reclaim_referenced(struct task *t, pfn_t pfn, sim_time_t *cost)
{
    struct machine *m = t->m;
    struct frame *f = mem_frame(m->mem, pfn);
    unsigned young = 0;

    for (uint32_t r = f->rmap; r != RMAP_NONE; r = mem_rmap_entry(m->mem, r)->next) {
        const struct rmap_entry *e = mem_rmap_entry(m->mem, r);
        struct mm *mm = machine_mm(m, e->mm_id);
        pte_t *pte;

        machine_sync_mm(m, mm);
        pte = mm_pte(mm, e->vpn, false);
        *cost += m->cfg->cost.rmap_unmap_ns;
        if (!pte || !(*pte & PTE_ACCESSED))
            continue;
        young++;
        *pte &= ~PTE_ACCESSED;
        /* x86 clears A with no flush (since v3.18); arm64's
         * ptep_clear_flush_young issues a TLBI without waiting for it. */
        if (m->arm64)
            *cost += sd_tlbi_page(m, t, mm, e->vpn);
    }
    return young;
}

/* shrink_active_list: deactivate from the active tail when the inactive
 * list is smaller than the active one (inactive_is_low with ratio 1).
 * `cost` is the pass's time so far; returns it with this work added. */
static sim_time_t age_active(struct task *t, unsigned node, enum lru_list active, sim_time_t cost)
{
    struct machine *m = t->m;
    enum lru_list inactive = active == LRU_ACTIVE_FILE ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;

    for (uint32_t k = 0; k < m->kcfg.swap_cluster_max; k++) {
        pfn_t pfn;

        if (mem_lru_len(m->mem, node, inactive) >= mem_lru_len(m->mem, node, active))
            break;
        pfn = mem_lru_tail(m->mem, node, active);
        mem_lru_del(m->mem, pfn);
        cost += m->cfg->cost.reclaim_scan_ns;
        (void)reclaim_referenced(t, pfn, &cost);
        mem_frame(m->mem, pfn)->flags &= ~FRAME_REFERENCED;
        mem_lru_add(m->mem, pfn, inactive);
        stats_add(m->st, m->ctr.pgdeactivate, t->cpu, 1);
        stats_add(m->st, m->ctr.pgrefill, t->cpu, 1);
        /* isolate from the active list and move back: two list moves */
        cost = spinlock_irq_section(m, &m->lru_lock[node], t->cpu, cost,
                                    2 * m->cfg->cost.lru_move_ns);
    }
    return cost;
}

sim_time_t reclaim_isolate(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    unsigned node = rc->node;
    enum lru_list l = LRU_INACTIVE_FILE;
    sim_time_t cost;

    cost = lru_add_drain(m, t->cpu);
    cost = age_active(t, node, LRU_ACTIVE_FILE, cost);
    cost = age_active(t, node, LRU_ACTIVE_ANON, cost);
    /* Anon is scanned only when it can go somewhere (swap or a lower tier). */
    if (!mem_lru_len(m->mem, node, l) &&
        (m->kcfg.swap || (m->kcfg.demotion && m->demote_target[node] >= 0)))
        l = LRU_INACTIVE_ANON;
    rc->n = rc->i = rc->n_free = rc->n_pageout = rc->n_putback = rc->n_demote = 0;
    rc->n_writeback = 0;
    rc->no_demote = false;
    while (rc->n < m->kcfg.swap_cluster_max && mem_lru_len(m->mem, node, l)) {
        pfn_t pfn = mem_lru_tail(m->mem, node, l);
        struct frame *f = mem_frame(m->mem, pfn);

        mem_lru_del(m->mem, pfn);
        f->flags |= FRAME_LOCKED;
        rc->list[rc->n++] = pfn;
    }
    count_scan(t, rc->kswapd, rc->n);
    if (!rc->n)
        rc->idle_passes++;
    else
        cost = spinlock_irq_section(m, &m->lru_lock[node], t->cpu, cost,
                                    rc->n * m->cfg->cost.lru_move_ns);
    return cost + m->cfg->cost.reclaim_scan_ns;
}

static void putback(struct reclaim_ctx *rc, pfn_t pfn, bool active)
{
    rc->putback[rc->n_putback] = pfn;
    rc->putback_active[rc->n_putback++] = active;
}

sim_time_t reclaim_putback(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;
    uint32_t run = 0;

    for (uint32_t k = 0; k < rc->n_putback; k++) {
        struct frame *f = mem_frame(m->mem, rc->putback[k]);
        unsigned node = mem_pfn_node(m->mem, rc->putback[k]);

        f->flags &= ~FRAME_LOCKED;
        mem_lru_add(m->mem, rc->putback[k], lru_list_of(f, rc->putback_active[k]));
        run++;
        if (k + 1 == rc->n_putback || mem_pfn_node(m->mem, rc->putback[k + 1]) != node) {
            cost = spinlock_irq_section(m, &m->lru_lock[node], t->cpu, cost,
                                         run * m->cfg->cost.lru_move_ns);
            run = 0;
        }
    }
    rc->n_putback = 0;
    return cost;
}

/* folio_check_references: activate, keep, or reclaim. */
sim_time_t reclaim_check(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    pfn_t pfn = rc->list[rc->i];
    struct frame *f = mem_frame(m->mem, pfn);
    sim_time_t cost = m->cfg->cost.reclaim_scan_ns;
    bool was_referenced = f->flags & FRAME_REFERENCED;
    unsigned young;

    rc->state = R_NEXT;
    /* A zap's mmu_gather holds the folio until its flush (mmu_gather.c):
     * the refcount freeze in __remove_mapping fails, so it is kept. */
    if (f->flags & FRAME_GATHERED) {
        putback(rc, pfn, false);
        return cost;
    }
    if (f->flags & FRAME_WRITEBACK) {
        rc->n_writeback++;
        putback(rc, pfn, false);
        return cost;
    }
    if (!rc->list_mode) {
        f->flags &= ~FRAME_REFERENCED;
        young = reclaim_referenced(t, pfn, &cost);
        if (young && ((f->flags & FRAME_ANON) || was_referenced || young > 1)) {
            stats_add(m->st, m->ctr.pgactivate, t->cpu, 1);
            putback(rc, pfn, true);
            return cost;
        }
        if (young) {
            f->flags |= FRAME_REFERENCED;
            putback(rc, pfn, false);
            return cost;
        }
    }
    /* Demotion instead of reclaim (shrink_folio_list's demote_folios):
     * kswapd and direct reclaim of a top-tier node move cold folios down. */
    if (m->kcfg.demotion && !rc->list_mode && !rc->no_demote && m->demote_target[rc->node] >= 0) {
        rc->demote[rc->n_demote++] = pfn;
        return cost;
    }
    if ((f->flags & FRAME_ANON) && !m->kcfg.swap) {
        /* no swap: add_to_swap fails, activate_locked (counts pgactivate) */
        stats_add(m->st, m->ctr.pgactivate, t->cpu, 1);
        putback(rc, pfn, true);
        return cost;
    }
    if ((f->flags & FRAME_ANON) && !(f->flags & FRAME_SWAPCACHE)) {
        /* add_to_swap: a slot, the swap cache, and dirty so it is written. */
        f->index = (uint32_t)m->next_swap_slot++;
        pagecache_insert(m->pc, SWAP_FILE_ID, f->index, pfn);
        f->flags |= FRAME_SWAPCACHE | FRAME_DIRTY;
    }
    rc->state = f->rmap != RMAP_NONE ? R_UNMAP : R_AFTER_UNMAP;
    return cost;
}

/* try_to_unmap_one for the first remaining mapping of the current folio. */
sim_time_t reclaim_unmap_one(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    pfn_t pfn = rc->list[rc->i];
    struct frame *f = mem_frame(m->mem, pfn);
    const struct rmap_entry *e = mem_rmap_entry(m->mem, f->rmap);
    struct mm *mm = machine_mm(m, e->mm_id);
    uint64_t vpn = e->vpn;
    pte_t *pte;

    machine_sync_mm(m, mm);
    pte = mm_pte(mm, vpn, false);
    rc->old_pte = *pte;
    *pte = (f->flags & FRAME_ANON) ? pte_make(f->index, PTE_SWAP) : 0;
    if (rc->old_pte & PTE_DIRTY)
        f->flags |= FRAME_DIRTY;
    mem_rmap_remove(m->mem, pfn, mm->id, vpn);
    hazard_note(m, HZ_UNMAP, t->cpu, pfn, mm->id, vpn);
    mm->rss_pages--;
    rc->cur_mm = mm;
    rc->cur_vpn = vpn;
    stats_add(m->st, m->ctr.pages_unmapped, t->cpu, 1);
    return m->cfg->cost.rmap_unmap_ns;
}

void reclaim_after_unmap(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    pfn_t pfn = rc->list[rc->i];
    struct frame *f = mem_frame(m->mem, pfn);

    if (!(f->flags & FRAME_DIRTY)) {
        rc->state = R_FREE_PAGE;
        return;
    }
    if (m->policy->defers_pageout) {
        rc->pageout[rc->n_pageout++] = pfn;    /* stays locked */
        rc->state = R_NEXT;
        return;
    }
    rc->state = R_FLUSH_DIRTY;
}

static void writeback_done_ev(struct sim_engine *eng, void *ctx, uint64_t pfn)
{
    struct machine *m = ctx;
    struct frame *f = mem_frame(m->mem, (pfn_t)pfn);

    (void)eng;
    f->flags &= ~FRAME_WRITEBACK;
    hazard_note(m, HZ_WRITEBACK_DONE, 0, (pfn_t)pfn, 0, 0);
}

/* pageout(): clear dirty for I/O, start writeback, unlock; the folio goes
 * back on the inactive list and is freed by a later pass once clean. */
sim_time_t reclaim_pageout(struct task *t, struct reclaim_ctx *rc, pfn_t pfn)
{
    struct machine *m = t->m;
    struct frame *f = mem_frame(m->mem, pfn);
    bool anon = f->flags & FRAME_ANON;
    sim_time_t io = anon ? m->cfg->cost.swap_write_ns : m->cfg->cost.file_write_ns;

    f->flags &= ~FRAME_DIRTY;
    f->flags |= FRAME_WRITEBACK;
    hazard_note(m, HZ_WRITEBACK, t->cpu, pfn, 0, 0);
    if (anon)
        stats_add(m->st, m->ctr.pgpgout, t->cpu, 1);
    sim_schedule(m->eng, io, writeback_done_ev, m, pfn);
    putback(rc, pfn, false);
    return m->cfg->cost.reclaim_scan_ns;
}

void reclaim_free_page(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    pfn_t pfn = rc->list[rc->i];
    struct frame *f = mem_frame(m->mem, pfn);

    /* A zap's gather took it meanwhile: the refcount freeze fails and the
     * folio is kept (the gather frees it after its flush). */
    if (f->flags & FRAME_GATHERED) {
        putback(rc, pfn, false);
        rc->state = R_NEXT;
        return;
    }
    if (f->flags & FRAME_ANON)
        pagecache_remove(m->pc, SWAP_FILE_ID, f->index);
    else
        pagecache_remove(m->pc, f->owner, f->index);
    f->flags &= (uint16_t)~(FRAME_LOCKED | FRAME_SWAPCACHE | FRAME_REFERENCED);
    rc->free_batch[rc->n_free++] = pfn;
    rc->nr_reclaimed++;
    rc->idle_passes = 0;
    stats_add(m->st, rc->kswapd ? m->ctr.pgsteal_kswapd : m->ctr.pgsteal_direct, t->cpu, 1);
    rc->state = m->kcfg.free_batch && rc->n_free >= m->kcfg.free_batch ? R_FLUSH_FREE : R_NEXT;
}

sim_time_t reclaim_free_batch(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;

    for (uint32_t k = 0; k < rc->n_free; k++) {
        /* A policy may keep the frame and free it later (LATR). */
        if (m->policy->defer_free &&
            m->policy->defer_free(m->policy_priv, t, rc->free_batch[k])) {
            cost += m->cfg->cost.page_free_ns;
            continue;
        }
        hazard_note(m, HZ_FREE, t->cpu, rc->free_batch[k], 0, 0);
        mem_free(m->mem, rc->free_batch[k], t->cpu);
        stats_add(m->st, m->ctr.pgfree, t->cpu, 1);
        cost += m->cfg->cost.page_free_ns;
    }
    rc->freed_total += rc->n_free;
    rc->n_free = 0;
    return cost;
}
