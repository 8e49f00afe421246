/* mmu_gather paths: see mmu_gather.h. Costs: rmap_unmap_ns per present PTE
 * cleared or changed, a PTE scan of reclaim_scan_ns / 8 per PTE (eight PTEs
 * per cache line), page_free_ns per page freed after the flush. */
#include "models/mmu_gather.h"

#include <glib.h>

#include "models/alloc.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/reclaim_page.h"
#include "models/shootdown.h"
#include "models/spinlock.h"

/* MAX_GATHER_BATCH_COUNT x ~510 pages: past this a flush is forced. */
#define GATHER_MAX_PAGES 10000

enum zstate { Z_TABLE, Z_PENDING, Z_WALK, Z_FORCE_FLUSH, Z_FREE_FORCED, Z_FINISH, Z_FREE, Z_DONE };

struct zap_ctx {
    enum zstate state;
    enum zap_kind kind;
    uint64_t start, end, cur;
    uint64_t range_lo, range_hi;     /* PTEs changed since the last flush */
    bool force_flush;
    uint32_t pending_seen;           /* mm->flush_batched_pending at the last check */
    pfn_t *gathered;                 /* pages to free after the flush */
    uint32_t n_gathered, cap_gathered;
    task_run_fn *done;
};

static void zap_run(struct task *t);

void zap_ctx_free(struct zap_ctx *z)
{
    if (!z)
        return;
    g_free(z->gathered);
    g_free(z);
}

void mmu_gather_call(struct task *t, enum zap_kind kind, uint64_t start_vpn, uint64_t n_pages,
                     task_run_fn *done)
{
    struct zap_ctx *z = t->zap ? t->zap : (t->zap = g_new0(struct zap_ctx, 1));

    z->state = Z_TABLE;
    z->kind = kind;
    z->start = z->cur = start_vpn;
    z->end = start_vpn + n_pages;
    z->range_lo = UINT64_MAX;
    z->range_hi = 0;
    z->force_flush = false;
    z->n_gathered = 0;
    z->done = done;
    t->mm->tlb_flush_pending++;     /* tlb_gather_mmu: inc_tlb_flush_pending */
    t->in_user = false;
    t->run = zap_run;
    zap_run(t);
}

static void gather(struct zap_ctx *z, pfn_t pfn)
{
    if (z->n_gathered == z->cap_gathered) {
        z->cap_gathered = z->cap_gathered ? z->cap_gathered * 2 : 512;
        z->gathered = g_renew(pfn_t, z->gathered, z->cap_gathered);
    }
    z->gathered[z->n_gathered++] = pfn;
    if (z->n_gathered >= GATHER_MAX_PAGES)
        z->force_flush = true;
}

/* zap_present_pte: clear, drop the rmap; anon pages are freed after the
 * flush, file pages stay cached (a dirty one dirties the folio and forces a
 * flush before the page table lock is dropped, v6.1). */
static void zap_one(struct machine *m, unsigned cpu, struct mm *mm, struct zap_ctx *z,
                    uint64_t vpn, pte_t *pte)
{
    pte_t old = *pte;
    pfn_t pfn = (pfn_t)pte_pfn(old);
    struct frame *f = mem_frame(m->mem, pfn);

    *pte = 0;
    mem_rmap_remove(m->mem, pfn, mm->id, vpn);
    hazard_note(m, HZ_UNMAP, cpu, pfn, mm->id, vpn);
    mm->rss_pages--;
    if (f->flags & FRAME_ANON) {
        /* The gather holds the page until after its flush (tlb_remove_page
         * takes a reference). A page not on an LRU list (in an LRU-add batch,
         * or isolated by reclaim or migration) is marked, so that neither
         * the batch's drain nor reclaim frees it before the flush; the
         * gather frees it afterwards if it is back on an LRU list, else the
         * mark goes and its holder frees it. */
        if (f->mapcount == 0 && f->state != FRAME_LRU)
            f->flags |= FRAME_GATHERED;
        if (f->mapcount == 0)
            gather(z, pfn);
    } else if (old & PTE_DIRTY) {
        f->flags |= FRAME_DIRTY;
        z->force_flush = true;
    }
}

static sim_time_t walk_table(struct task *t, struct zap_ctx *z, uint64_t lo, uint64_t hi)
{
    struct machine *m = t->m;
    sim_time_t cost = (hi - lo) * m->cfg->cost.reclaim_scan_ns / 8;

    machine_sync_mm(m, t->mm);
    for (uint64_t vpn = lo; vpn < hi; vpn++) {
        pte_t *pte = mm_pte(t->mm, vpn, false);

        if (!pte)
            continue;
        if (z->kind != ZAP_PROTECT_RO && (*pte & PTE_SWAP)) {
            pagecache_remove(m->pc, SWAP_FILE_ID, pte_pfn(*pte));   /* free_swap_and_cache */
            *pte = 0;
            continue;
        }
        if (!pte_present(*pte))
            continue;   /* none, or a migration entry (the migration restores it) */
        if (z->kind == ZAP_PROTECT_RO) {
            if (!(*pte & PTE_WRITE))
                continue;       /* pte_needs_flush: nothing changed */
            *pte &= ~PTE_WRITE;
            hazard_note(m, HZ_WRPROTECT, t->cpu, (pfn_t)pte_pfn(*pte), t->mm->id, vpn);
        } else if (z->kind == ZAP_PROT_NUMA) {
            /* tiering mode skips top-tier pages (they are not promoted) */
            if ((*pte & PTE_NUMA) ||
                m->cfg->node[mem_pfn_node(m->mem, (pfn_t)pte_pfn(*pte))].has_cpus)
                continue;
            *pte |= PTE_NUMA;
            /* change_pte_range: folio_xchg_access_time, for the hint
             * fault's latency (should_numa_migrate_memory) */
            m->numa_access_us[pte_pfn(*pte)] = (uint32_t)(sim_now(m->eng) / SIM_US);
        } else {
            zap_one(m, t->cpu, t->mm, z, vpn, pte);
        }
        cost += m->cfg->cost.rmap_unmap_ns;
        z->range_lo = vpn < z->range_lo ? vpn : z->range_lo;
        z->range_hi = vpn + 1 > z->range_hi ? vpn + 1 : z->range_hi;
    }
    return cost;
}

static sim_time_t free_gathered(struct task *t, struct zap_ctx *z)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;

    for (uint32_t i = 0; i < z->n_gathered; i++) {
        pfn_t pfn = z->gathered[i];
        struct frame *f = mem_frame(m->mem, pfn);

        if (f->state != FRAME_LRU || f->mapcount) {
            /* taken by reclaim, mapped again meanwhile, or still in an
             * LRU-add batch, whose drain frees it now that it is flushed */
            f->flags &= (uint16_t)~FRAME_GATHERED;
            continue;
        }
        mem_lru_del(m->mem, pfn);
        cost = spinlock_irq_section(m, &m->lru_lock[mem_pfn_node(m->mem, pfn)], t->cpu, cost,
                                     m->cfg->cost.lru_move_ns);
        if (f->flags & FRAME_SWAPCACHE)
            pagecache_remove(m->pc, SWAP_FILE_ID, f->index);
        f->flags = 0;
        hazard_note(m, HZ_FREE, t->cpu, pfn, 0, 0);
        mem_free(m->mem, pfn, t->cpu);
        stats_add(m->st, m->ctr.pgfree, t->cpu, 1);
        cost += m->cfg->cost.page_free_ns;
    }
    z->n_gathered = 0;
    return cost;
}

/* Whether hazards.remove_flush took this gather's flush out (a checker
 * self-test, hazard_mutant.c). */
static bool flush_removed(const struct machine *m, const struct zap_ctx *z)
{
    if (m->removed_flush == RF_MPROTECT)
        return z->kind == ZAP_PROTECT_RO;
    return m->removed_flush == RF_ZAP && (z->kind == ZAP_MUNMAP || z->kind == ZAP_DONTNEED);
}

static bool flush_range(struct task *t, struct zap_ctx *z, bool fullmm)
{
    bool freed_tables = z->kind == ZAP_MUNMAP;
    uint64_t lo = z->range_lo, hi = z->range_hi;

    z->range_lo = UINT64_MAX;
    z->range_hi = 0;
    z->force_flush = false;
    if (flush_removed(t->m, z))
        return false;
    if (fullmm)
        return sd_flush_mm_range(t->m, t, t->mm, 0, UINT64_MAX / 2, true);
    if (hi <= lo)
        return false;
    return sd_flush_mm_range(t->m, t, t->mm, lo, hi - lo, freed_tables);
}

static bool zap_advance(struct task *t, struct zap_ctx *z)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;
    uint64_t hi;

    switch (z->state) {
    case Z_TABLE:
        z->state = z->cur < z->end ? Z_PENDING : Z_FINISH;
        return false;
    case Z_PENDING:
        z->state = Z_WALK;
        z->pending_seen = t->mm->flush_batched_pending;
        if (m->policy->batched_pending
                ? m->policy->batched_pending(m->policy_priv, t, t->mm, &cost)
                : policy_default_batched_pending(m, t, t->mm, &cost))
            return true;
        /* the hook's time when it did not wait (policy.h) */
        return cost && (cpu_step(t, cost, z->kind == ZAP_PROT_NUMA ? CT_MIGRATION : CT_RECLAIM),
                        true);
    case Z_WALK:
        /* The kernel checks and walks under one page table lock, so reclaim
         * cannot clear a PTE of this table in between; here the check may
         * have ended a step earlier. For mprotect that would let a
         * reclaim-cleared PTE (its writable entries still cached) slip past
         * the return unflushed, so it checks again; the other walks find
         * such a PTE not present and have nothing to flush for it. */
        if (z->kind == ZAP_PROTECT_RO && t->mm->flush_batched_pending != z->pending_seen) {
            z->state = Z_PENDING;
            return false;
        }
        hi = (z->cur | (PTES_PER_TABLE - 1)) + 1;
        hi = hi < z->end ? hi : z->end;
        cost = walk_table(t, z, z->cur, hi);
        z->cur = hi;
        z->state = z->force_flush ? Z_FORCE_FLUSH : Z_TABLE;
        cpu_step(t, cost ? cost : 1, z->kind == ZAP_PROT_NUMA ? CT_MIGRATION : CT_RECLAIM);
        return true;
    case Z_FORCE_FLUSH:
        z->state = Z_FREE_FORCED;
        return flush_range(t, z, false);
    case Z_FREE_FORCED:
        z->state = Z_TABLE;
        cost = free_gathered(t, z);
        if (!cost)
            return false;
        cpu_step(t, cost, CT_RECLAIM);
        return true;
    case Z_FINISH:
        z->state = Z_FREE;
        /* mm_tlb_flush_nested: another gather is in flight: flush all. */
        return flush_range(t, z, t->mm->tlb_flush_pending > 1);
    case Z_FREE:
        z->state = Z_DONE;
        cost = free_gathered(t, z);
        if (!cost)
            return false;
        cpu_step(t, cost, CT_RECLAIM);
        return true;
    case Z_DONE:
        break;
    }
    return false;
}

/* mprotect(PROT_READ) returns: from now on a store through a writable TLB
 * entry of the range is a hazard (H-c1), however the PTE changed since
 * (reclaim may have made it a swap entry with its flush still deferred,
 * H-c4), so every read-only entry of the range is marked. */
static void mprotect_returns(struct task *t, struct zap_ctx *z)
{
    for (uint64_t vpn = z->start; vpn < z->end; vpn++) {
        pte_t *pte = mm_pte(t->mm, vpn, false);

        if (pte && *pte && !(*pte & PTE_WRITE))
            *pte |= PTE_MPROTECTED;
    }
    hazard_mprotect_done(t->m, t->cpu, t->mm->id, z->start, z->end - z->start);
}

static void finish(struct task *t, struct zap_ctx *z)
{
    struct vma *v = mm_find_vma(t->mm, z->start);

    t->mm->tlb_flush_pending--;
    if (z->kind == ZAP_PROTECT_RO)
        mprotect_returns(t, z);
    if (z->kind == ZAP_MUNMAP && v && v->start_vpn == z->start && v->end_vpn == z->end) {
        struct vma copy = *v;

        mm_remove_vma(t->mm, copy.start_vpn);
        mm_add_vma(t->mm, copy.start_vpn, copy.end_vpn - copy.start_vpn, copy.is_file,
                   copy.is_shared, copy.prot, copy.file_id, copy.file_pgoff);
    }
    t->run = z->done;
    t->run(t);
}

static void zap_run(struct task *t)
{
    struct zap_ctx *z = t->zap;

    if (t->m->failure)
        return;
    t->run = zap_run;
    while (z->state != Z_DONE) {
        if (zap_advance(t, z))
            return;
    }
    finish(t, z);
}

bool numa_scan_due(const struct task *t)
{
    const struct machine *m = t->m;
    GPtrArray *threads = m->mm_threads[t->mm->id];

    return m->kcfg.numa_tiering && threads->len && g_ptr_array_index(threads, 0) == t &&
           sim_now(m->eng) >= t->mm->numa_next_scan_ns;
}

/* The next numa_scan_pages of the mm's mappings, from where the last scan
 * stopped, clipped to one VMA (task_numa_work walks VMAs the same way). */
void numa_scan_start(struct task *t, task_run_fn *done)
{
    struct mm *mm = t->mm;
    struct vma *v = mm_find_vma(mm, mm->numa_scan_vpn);
    uint64_t n;

    mm->numa_next_scan_ns = sim_now(t->m->eng) + t->m->kcfg.numa_scan_period_ns;
    if (!v) {
        v = &mm->vmas[0];
        for (uint32_t i = 0; i < mm->n_vmas; i++)
            if (mm->vmas[i].start_vpn > mm->numa_scan_vpn) {
                v = &mm->vmas[i];
                break;
            }
        mm->numa_scan_vpn = v->start_vpn;
    }
    n = v->end_vpn - mm->numa_scan_vpn;
    n = n < t->m->kcfg.numa_scan_pages ? n : t->m->kcfg.numa_scan_pages;
    mmu_gather_call(t, ZAP_PROT_NUMA, mm->numa_scan_vpn, n, done);
    mm->numa_scan_vpn += n;
}
