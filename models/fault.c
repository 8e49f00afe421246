/* The fault path as a state machine (see fault.h). Costs: page_fault_ns for
 * entry, walk and exit; page_alloc_ns + page_zero_ns per new page;
 * swap_read_ns per swap-in (synchronous, as zram is); per file page read
 * page_alloc_ns + pagecache_insert_ns, plus page_zero_ns for a sparse
 * file's hole, or file_read_ns per readahead request of another file
 * (device time: the task sleeps);
 * rmap_unmap_ns per PTE installed. */
#include "models/fault.h"

#include <glib.h>

#include "models/alloc.h"
#include "models/bug.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/machine_cfg_node.h"
#include "models/migrate.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/reclaim.h"
#include "models/reclaim_page.h"

enum fstate { F_ENTRY, F_RESOLVE, F_ALLOC, F_MAP_ANON, F_RA_ALLOC, F_RA_IO, F_MAP_FILE, F_DONE };

struct fault_ctx {
    enum fstate state;
    uint64_t vpn;
    enum tlb_access kind;
    sim_time_t credit;
    task_run_fn *done;
    pfn_t pfn;
    bool swapin, major;
    uint64_t swap_slot;
    uint64_t ra_start, ra_n, ra_i;     /* readahead window, file pages */
    uint32_t file_id;
    uint32_t reclaim_tries;
    bool have_pfn;                     /* allocated; the page_alloc hook made us wait */
    sim_time_t alloc_cost;             /* the page_alloc hook's CPU time */
};

static void fault_run(struct task *t);

void fault_ctx_free(struct fault_ctx *fc)
{
    g_free(fc);
}

void fault_start(struct task *t, uint64_t vpn, enum tlb_access kind, sim_time_t credit_ns,
                 task_run_fn *done)
{
    struct fault_ctx *fc = t->fault ? t->fault : (t->fault = g_new0(struct fault_ctx, 1));

    *fc = (struct fault_ctx){ .state = F_ENTRY, .vpn = vpn, .kind = kind, .credit = credit_ns,
                              .done = done };
    t->in_user = false;
    t->run = fault_run;
    stats_add(t->m->st, t->m->ctr.pgfault, t->cpu, 1);
    fault_run(t);
}

static bool step(struct task *t, sim_time_t cost)
{
    cpu_step(t, cost, CT_FAULT);
    return true;
}

static void map_pte(struct task *t, uint64_t vpn, pfn_t pfn, pte_t flags)
{
    struct machine *m = t->m;
    struct mm *mm = t->mm;
    pte_t *pte = mm_pte(mm, vpn, true);

    *pte = pte_make(pfn, PTE_PRESENT | flags);
    mem_rmap_add(m->mem, pfn, mm->id, vpn);
    hazard_note(m, HZ_MAP, t->cpu, pfn, mm->id, vpn);
    mm->rss_pages++;
}

/* A present PTE: a write to a read-only entry makes it writable if the VMA
 * allows (the LUF hook runs first); anything else was fixed meanwhile. */
static bool resolve_present(struct task *t, struct fault_ctx *fc, struct vma *v, pte_t *pte)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;

    fc->state = F_DONE;
    if (fc->kind != TLB_STORE || (*pte & PTE_WRITE) || !(v->prot & VMA_WRITE))
        return false;
    if (m->policy->pte_writable &&
        m->policy->pte_writable(m->policy_priv, t, t->mm, fc->vpn, &cost))
        return true;    /* F_DONE after the flush; the access retries and faults again */
    *pte = (*pte & ~PTE_MPROTECTED) | PTE_WRITE | PTE_DIRTY | PTE_ACCESSED;
    mem_frame(m->mem, (pfn_t)pte_pfn(*pte))->flags |= FRAME_DIRTY;
    hazard_note(m, HZ_MADE_WRITABLE, t->cpu, (pfn_t)pte_pfn(*pte), t->mm->id, fc->vpn);
    return cost ? step(t, cost) : false;
}

/* should_numa_migrate_memory in tiering mode (v5.18+): a slow-tier page is
 * promoted at once while the target node has plenty free
 * (pgdat_free_space_enough: promo watermark + max(1 GiB, node / 16));
 * otherwise only if its hint fault came within the hot threshold of the
 * scan that armed it (numa_hint_fault_latency, which also restamps the
 * page). The promotion rate limit (default 64 GiB/s) and its threshold
 * adjustment are not modelled. */
static bool numa_page_hot(struct machine *m, pfn_t pfn, unsigned to)
{
    uint64_t enough = MAX((uint64_t)(1u << 30) / MACHINE_PAGE_BYTES, mem_node_pages(m->mem, to) / 16);
    uint32_t now, latency_us;

    if (mem_node_free(m->mem, to) > mem_wmark(m->mem, to, WMARK_PROMO) + enough)
        return true;
    now = (uint32_t)(sim_now(m->eng) / SIM_US);
    latency_us = now - m->numa_access_us[pfn];
    m->numa_access_us[pfn] = now;
    return (uint64_t)latency_us * SIM_US < m->kcfg.numa_hot_threshold_ns;
}

/* do_numa_page (PTE_NUMA is set only by the tiering-mode scan): make the
 * PTE accessible again; a hot page (numa_page_hot) on a CPU-less (slow) node is promoted to the
 * faulting CPU's node when that node has room above its high watermark
 * (otherwise kswapd is woken to demote and make room). */
static bool numa_hinting_fault(struct task *t, struct fault_ctx *fc, pte_t *pte)
{
    struct machine *m = t->m;
    pfn_t pfn = (pfn_t)pte_pfn(*pte);
    struct frame *f = mem_frame(m->mem, pfn);
    unsigned from = mem_pfn_node(m->mem, pfn), to = m->cpu[t->cpu].node;

    fc->state = F_DONE;
    if (m->cfg->node[from].has_cpus || f->state != FRAME_LRU || f->mapcount != 1 ||
        !numa_page_hot(m, pfn, to)) {
        *pte &= ~PTE_NUMA;
        return false;
    }
    if (mem_node_free(m->mem, to) <= mem_wmark(m->mem, to, WMARK_HIGH)) {
        *pte &= ~PTE_NUMA;
        alloc_wake_kswapd(m, to);
        return false;
    }
    /* do_numa_page migrates with the PTE still PROT_NONE, so unmapping it
     * needs no flush (pte_accessible); remove_migration_pte (remap)
     * restores the protection, also when the migration fails. */
    /* numamigrate_isolate_folio (its one lru_lock section is left out) */
    mem_lru_del(m->mem, pfn);
    f->flags |= FRAME_LOCKED;
    migrate_list_start(t, &pfn, 1, to, MR_NUMA_MISPLACED, fault_run);
    return true;
}

static bool resolve(struct task *t, struct fault_ctx *fc)
{
    struct machine *m = t->m;
    struct vma *v = mm_find_vma(t->mm, fc->vpn);
    pte_t *pte;
    pfn_t pfn;

    BUG_ON(!v, "%s faulted outside its mappings at vpn %#llx", t->name,
           (unsigned long long)fc->vpn);
    pte = mm_pte(t->mm, fc->vpn, true);
    if (*pte & PTE_MIGRATION)
        return step(t, SIM_US);     /* migration_entry_wait */
    if (pte_present(*pte) && (*pte & PTE_NUMA))
        return numa_hinting_fault(t, fc, pte);
    if (pte_present(*pte))
        return resolve_present(t, fc, v, pte);
    if (v->is_file) {
        uint64_t idx = v->file_pgoff + (fc->vpn - v->start_vpn);

        fc->file_id = v->file_id;
        pfn = pagecache_lookup(m->pc, v->file_id, idx);
        if (pfn != PFN_NONE && (mem_frame(m->mem, pfn)->flags & FRAME_LOCKED))
            return step(t, SIM_US);     /* lock_page: wait for reclaim to finish */
        if (pfn != PFN_NONE) {
            fc->state = F_MAP_FILE;
            return false;
        }
        fc->ra_start = idx;
        fc->ra_n = m->files[v->file_id].size_pages - idx;
        if (fc->ra_n > m->kcfg.readahead_pages)
            fc->ra_n = m->kcfg.readahead_pages;
        fc->ra_i = 0;
        fc->state = F_RA_ALLOC;
        return false;
    }
    fc->swapin = (*pte & PTE_SWAP) != 0;
    if (fc->swapin) {
        fc->swap_slot = pte_pfn(*pte);
        pfn = pagecache_lookup(m->pc, SWAP_FILE_ID, fc->swap_slot);
        if (pfn != PFN_NONE && (mem_frame(m->mem, pfn)->flags & FRAME_LOCKED))
            return step(t, SIM_US);
        if (pfn != PFN_NONE) {      /* still in the swap cache: a minor fault */
            map_pte(t, fc->vpn, pfn, PTE_ACCESSED |
                    ((v->prot & VMA_WRITE) && fc->kind == TLB_STORE ? PTE_WRITE | PTE_DIRTY : 0));
            fc->state = F_DONE;
            return step(t, m->cfg->cost.rmap_unmap_ns);
        }
    }
    fc->state = F_ALLOC;
    return false;
}

/* Allocates into fc->pfn; false with t reclaiming when memory is short, or
 * waiting for the flush the policy's page_alloc hook started (LUF); the
 * state then runs again and finds the frame allocated. The hook's CPU time
 * is in fc->alloc_cost, for the caller to charge with the allocation. */
static bool get_page(struct task *t, struct fault_ctx *fc)
{
    struct machine *m = t->m;
    unsigned node = m->cpu[t->cpu].node, rnode;

    if (fc->have_pfn) {
        fc->have_pfn = false;
        return true;
    }
    /* Back from direct reclaim: the allocation __alloc_pages_direct_reclaim
     * makes, which drains the pcp lists if reclaim made progress. */
    if ((fc->reclaim_tries ? alloc_page_after_reclaim(m, t, node, reclaim_last_reclaimed(t),
                                                      &fc->pfn, &rnode)
                           : alloc_page_try(m, t, node, &fc->pfn, &rnode)) == ALLOC_RECLAIM) {
        if (fc->reclaim_tries++ >= 8) {
            /* Past the watermarks, frames on pcp lists included. */
            alloc_drain_all_pages(m, t->cpu);
            fc->pfn = mem_alloc(m->mem, rnode, t->cpu);
            if (fc->pfn == PFN_NONE) {
                machine_fail(m, "out of memory: reclaim frees nothing and no frame is left");
                return false;
            }
        } else {
            reclaim_start(t, rnode, false, m->kcfg.swap_cluster_max, fault_run);
            return false;
        }
    }
    fc->reclaim_tries = 0;
    hazard_note(m, HZ_ALLOC, t->cpu, fc->pfn, t->mm->id, fc->vpn);
    fc->alloc_cost = 0;
    if (m->policy->page_alloc &&
        m->policy->page_alloc(m->policy_priv, t, fc->pfn, &fc->alloc_cost)) {
        fc->have_pfn = true;
        return false;
    }
    return true;
}

static bool map_anon(struct task *t, struct fault_ctx *fc)
{
    struct machine *m = t->m;
    struct vma *v = mm_find_vma(t->mm, fc->vpn);
    struct frame *f = mem_frame(m->mem, fc->pfn);
    pte_t flags = PTE_ACCESSED, *pte = mm_pte(t->mm, fc->vpn, true);

    /* pte_same under the page table lock: another thread of the mm faulted
     * the page in while this one allocated; drop ours and retry the access. */
    if (fc->swapin ? (*pte & ~PTE_MPROTECTED) != pte_make(fc->swap_slot, PTE_SWAP) : *pte != 0) {
        f->flags = 0;
        mem_free(m->mem, fc->pfn, t->cpu);
        fc->state = F_DONE;
        return step(t, m->cfg->cost.page_free_ns);
    }

    f->flags = FRAME_ANON;
    f->owner = t->mm->id;
    f->index = (uint32_t)fc->vpn;
    f->version++;
    if (v->prot & VMA_WRITE)
        flags |= PTE_WRITE;
    if (fc->kind == TLB_STORE) {
        flags |= PTE_DIRTY;
        f->flags |= FRAME_DIRTY;
    }
    if (fc->swapin)
        stats_add(m->st, m->ctr.pgpgin, t->cpu, 1);
    map_pte(t, fc->vpn, fc->pfn, flags);
    fc->state = F_DONE;
    return step(t, m->cfg->cost.rmap_unmap_ns + lru_add(m, t->cpu, fc->pfn));
}

/* One page of the readahead window: allocate, fill, insert, queue for LRU. */
static bool readahead_one(struct task *t, struct fault_ctx *fc)
{
    struct machine *m = t->m;
    uint64_t idx = fc->ra_start + fc->ra_i;
    struct frame *f;

    if (fc->ra_i == fc->ra_n) {
        fc->state = m->files[fc->file_id].sparse ? F_MAP_FILE : F_RA_IO;
        return false;
    }
    if (pagecache_lookup(m->pc, fc->file_id, idx) != PFN_NONE) {
        fc->ra_i++;
        return false;
    }
    if (!get_page(t, fc))
        return true;
    f = mem_frame(m->mem, fc->pfn);
    f->flags = 0;
    f->owner = fc->file_id;
    f->index = (uint32_t)idx;
    f->version++;
    pagecache_insert(m->pc, fc->file_id, idx, fc->pfn);
    fc->ra_i++;
    return step(t, m->cfg->cost.page_alloc_ns + fc->alloc_cost + m->cfg->cost.pagecache_insert_ns +
                   lru_add(m, t->cpu, fc->pfn) +
                   (m->files[fc->file_id].sparse ? m->cfg->cost.page_zero_ns : 0));
}

static void io_done_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    cpu_wakeup(ctx, true);
}

/* do_fault_around: map the cached, unlocked pages of the aligned window. */
static bool map_file(struct task *t, struct fault_ctx *fc)
{
    struct machine *m = t->m;
    struct vma *v = mm_find_vma(t->mm, fc->vpn);
    uint64_t fa = m->kcfg.fault_around_pages ? m->kcfg.fault_around_pages : 1;
    uint64_t lo = fc->vpn & ~(fa - 1), hi = lo + fa;
    sim_time_t cost = 0;

    lo = lo < v->start_vpn ? v->start_vpn : lo;
    hi = hi > v->end_vpn ? v->end_vpn : hi;
    for (uint64_t vpn = lo; vpn < hi; vpn++) {
        pte_t *pte = mm_pte(t->mm, vpn, true);
        pfn_t pfn = pagecache_lookup(m->pc, v->file_id, v->file_pgoff + (vpn - v->start_vpn));
        pte_t flags = vpn == fc->vpn ? PTE_ACCESSED : 0;

        if (pte_present(*pte) || pfn == PFN_NONE ||
            (mem_frame(m->mem, pfn)->flags & FRAME_LOCKED))
            continue;
        if (vpn == fc->vpn && fc->kind == TLB_STORE && (v->prot & VMA_WRITE) && v->is_shared) {
            flags |= PTE_WRITE | PTE_DIRTY;
            mem_frame(m->mem, pfn)->flags |= FRAME_DIRTY;
        }
        map_pte(t, vpn, pfn, flags);
        cost += m->cfg->cost.rmap_unmap_ns;
    }
    fc->state = F_DONE;
    return step(t, cost);
}

static bool fault_advance(struct task *t, struct fault_ctx *fc)
{
    sim_time_t entry = t->m->cfg->cost.page_fault_ns;

    switch (fc->state) {
    case F_ENTRY:
        fc->state = F_RESOLVE;
        return step(t, entry > fc->credit ? entry - fc->credit : 0);
    case F_RESOLVE:
        return resolve(t, fc);
    case F_ALLOC:
        if (!get_page(t, fc))
            return true;
        fc->state = F_MAP_ANON;
        return step(t, t->m->cfg->cost.page_alloc_ns + fc->alloc_cost +
                       (fc->swapin ? t->m->cfg->cost.swap_read_ns : t->m->cfg->cost.page_zero_ns));
    case F_MAP_ANON:
        return map_anon(t, fc);
    case F_RA_ALLOC:
        return readahead_one(t, fc);
    case F_RA_IO:
        fc->state = F_MAP_FILE;
        stats_add(t->m->st, t->m->ctr.pgmajfault, t->cpu, 1);
        sim_schedule(t->m->eng, t->m->cfg->cost.file_read_ns, io_done_ev, t, 0);
        cpu_sleep(t);
        return true;
    case F_MAP_FILE:
        return map_file(t, fc);
    case F_DONE:
        break;
    }
    return false;
}

static void fault_run(struct task *t)
{
    struct fault_ctx *fc = t->fault;

    if (t->m->failure)
        return;
    while (fc->state != F_DONE) {
        if (fault_advance(t, fc))
            return;
    }
    t->run = fc->done;
    t->run(t);
}
