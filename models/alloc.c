/* Page allocator front end and the per-CPU LRU-add batch. See alloc.h. */
#include "models/alloc.h"

#include "models/hazard.h"
#include "models/machine.h"
#include "models/task.h"

/* select_task_rq at wakeup: kswapd may run on any CPU of its node (any CPU
 * at all for a CPU-less node); it stays on the CPU it last ran on when that
 * is idle, else goes to the first idle one, else stays put and preempts. */
static unsigned kswapd_wake_cpu(const struct machine *m, const struct task *k, unsigned node)
{
    bool node_has_cpus = m->cfg->node[node].has_cpus;
    const struct cpu *prev = &m->cpu[k->cpu];

    if (!prev->curr && !prev->rq_head)
        return k->cpu;
    for (unsigned c = 0; c < m->n_cpus; c++) {
        const struct cpu *cpu = &m->cpu[c];

        if ((!node_has_cpus || cpu->node == node) && !cpu->curr && !cpu->rq_head)
            return c;
    }
    return k->cpu;
}

void alloc_wake_kswapd(struct machine *m, unsigned node)
{
    struct task *k = m->kswapd[node];

    if (!k || k->state != TASK_SLEEPING)
        return;
    stats_add_global(m->st, m->ctr.kswapd_wakeups, 1);
    k->cpu = kswapd_wake_cpu(m, k, node);
    /* A long-sleeping kernel thread has little vruntime: CFS lets it
     * preempt at once (wakeup preemption). */
    cpu_wakeup(k, true);
}

static pfn_t take(struct machine *m, struct task *t, unsigned node)
{
    pfn_t pfn = mem_alloc(m->mem, node, t->cpu);

    if (pfn != PFN_NONE)
        stats_add(m->st, m->ctr.pgalloc, t->cpu, 1);
    return pfn;
}

/* get_page_from_freelist at the low watermark, then (kswapd woken) at min.
 * The caller counts the allocstall when it fails. */
static enum alloc_result freelist_try(struct machine *m, struct task *t, unsigned pref_node,
                                      pfn_t *pfn, unsigned *reclaim_node)
{
    const uint16_t *zl = &m->zonelist[pref_node * m->cfg->n_nodes];
    unsigned n = m->cfg->n_nodes, i;

    for (i = 0; i < n; i++) {
        if (mem_node_free(m->mem, zl[i]) > mem_wmark(m->mem, zl[i], WMARK_LOW)) {
            *pfn = take(m, t, zl[i]);
            if (*pfn != PFN_NONE)
                return ALLOC_OK;
        }
    }
    /* Slow path: wake kswapd everywhere we looked, then dip to min. */
    for (i = 0; i < n; i++)
        alloc_wake_kswapd(m, zl[i]);
    for (i = 0; i < n; i++) {
        if (mem_node_free(m->mem, zl[i]) > mem_wmark(m->mem, zl[i], WMARK_MIN)) {
            *pfn = take(m, t, zl[i]);
            if (*pfn != PFN_NONE)
                return ALLOC_OK;
        }
    }
    *reclaim_node = pref_node;
    return ALLOC_RECLAIM;
}

enum alloc_result alloc_page_try(struct machine *m, struct task *t, unsigned pref_node,
                                 pfn_t *pfn, unsigned *reclaim_node)
{
    if (freelist_try(m, t, pref_node, pfn, reclaim_node) == ALLOC_OK)
        return ALLOC_OK;
    stats_add(m->st, m->ctr.allocstall, t->cpu, 1);
    return ALLOC_RECLAIM;
}

void alloc_drain_all_pages(struct machine *m, unsigned cpu)
{
    for (unsigned node = 0; node < m->cfg->n_nodes; node++)
        mem_drain_pcp(m->mem, node);
    stats_add(m->st, m->ctr.drain_all_pages, cpu, 1);
}

/* __alloc_pages_direct_reclaim (mm/page_alloc.c): "If an allocation failed
 * after direct reclaim, it could be because pages are pinned on the
 * per-cpu lists ... drain_all_pages(NULL); drained = true; goto retry",
 * only when __perform_reclaim made progress. A reclaimer frees to its own
 * pcp list, which the watermarks do not count, so this drain is what
 * makes its pages, and every other CPU's, allocatable under pressure. The
 * drain's own cost (work items on every CPU) is not modelled. */
enum alloc_result alloc_page_after_reclaim(struct machine *m, struct task *t, unsigned pref_node,
                                           uint32_t progress, pfn_t *pfn,
                                           unsigned *reclaim_node)
{
    if (freelist_try(m, t, pref_node, pfn, reclaim_node) == ALLOC_OK)
        return ALLOC_OK;
    if (progress) {
        alloc_drain_all_pages(m, t->cpu);
        if (freelist_try(m, t, pref_node, pfn, reclaim_node) == ALLOC_OK)
            return ALLOC_OK;
    }
    stats_add(m->st, m->ctr.allocstall, t->cpu, 1);
    return ALLOC_RECLAIM;
}

enum lru_list lru_list_of(const struct frame *f, bool active)
{
    if (f->flags & FRAME_ANON)
        return active ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
    return active ? LRU_ACTIVE_FILE : LRU_INACTIVE_FILE;
}

/* Moves the CPU's batch onto the LRU lists, taking each node's lru_lock
 * once per run of pages of that node (as folio_batch_move_lru relocks only
 * when the lruvec changes). An anon page unmapped while it waited here
 * (zapped by MADV_DONTNEED or munmap right after its fault) had its last
 * reference in the batch: folio_batch_move_lru's folios_put frees it. */
sim_time_t lru_add_drain(struct machine *m, unsigned cpu)
{
    pfn_t *buf = &m->lru_add_buf[(size_t)cpu * m->kcfg.lru_add_batch];
    sim_time_t cost = 0;
    uint32_t run = 0, freed = 0;

    for (uint32_t i = 0; i < m->lru_add_len[cpu]; i++) {
        struct frame *f = mem_frame(m->mem, buf[i]);
        unsigned node = mem_pfn_node(m->mem, buf[i]);

        /* A page a zap gathered is still referenced by its mmu_gather,
         * which frees it after the TLB flush: it goes on the LRU here. */
        if ((f->flags & FRAME_ANON) && !f->mapcount &&
            !(f->flags & (FRAME_SWAPCACHE | FRAME_GATHERED))) {
            f->flags = 0;
            hazard_note(m, HZ_FREE, cpu, buf[i], 0, 0);
            mem_free(m->mem, buf[i], cpu);
            stats_add(m->st, m->ctr.pgfree, cpu, 1);
            freed++;
        } else {
            /* New pages start on the inactive list (workingset detection
             * and refault activation are left out). */
            mem_lru_add(m->mem, buf[i], lru_list_of(f, false));
            run++;
        }
        if (run && (i + 1 == m->lru_add_len[cpu] || mem_pfn_node(m->mem, buf[i + 1]) != node)) {
            cost = spinlock_irq_section(m, &m->lru_lock[node], cpu, cost,
                                        run * m->cfg->cost.lru_move_ns);
            run = 0;
        }
    }
    m->lru_add_len[cpu] = 0;
    return cost + freed * m->cfg->cost.page_free_ns;
}

sim_time_t lru_add(struct machine *m, unsigned cpu, pfn_t pfn)
{
    pfn_t *buf = &m->lru_add_buf[(size_t)cpu * m->kcfg.lru_add_batch];

    buf[m->lru_add_len[cpu]++] = pfn;
    if (m->lru_add_len[cpu] == m->kcfg.lru_add_batch)
        return lru_add_drain(m, cpu);
    return 0;
}
