/* luf: Lazy Unmap Flush (Byungchul Park, LUF v10, May 2024; seed 004,
 * policy-semantics.md §6). Reclaim and migration unmap as mainline's
 * batched flush (§3), but a folio whose every cleared PTE lacked PTE_WRITE
 * (mapped read-only everywhere) is not flushed before it is freed: its
 * stale read-only TLB entries can only read the page, whose content does
 * not change while it sits on the pcp or buddy lists. Its flush is recorded
 * in one global pending batch (the union of the mm_cpumasks, and a 16-bit
 * generation stamped into the frame's luf_gen; wraparound compare) and done
 * as one full batched flush of the recorded mask (sd_flush_batch), charged
 * to the task that triggers it, when
 *   1. a frame with a pending generation leaves the free lists (the
 *      page_alloc hook: fault, readahead and migration-target allocations;
 *      v10's check_flush_task_ugen in prep_new_page),
 *   2. a read-only PTE becomes writable (the pte_writable hook: the write
 *      fault on a present read-only PTE, v10's do_wp_page),
 *   3. only with reclaim_flush: on, direct reclaim starts (the
 *      reclaim_start hook). migrc RFC v2..v8 paused the mechanism under
 *      memory pressure, when deferred folios were still held back from the
 *      free lists. LUF v10 frees them at once and has no such point: its
 *      only mm/vmscan.c change is the free_folios_luf batch in
 *      shrink_folio_list ([RESEND PATCH v10 12/12],
 *      <20240520021734.21527-13-byungchul@sk.com>), so it is off by default.
 * v10's third rule, a new writable mapping (do_mmap with PROT_WRITE), has no
 * call site: the model creates VMAs only at set-up (munmap's re-added VMA is
 * covered by flush_tlb_batched_pending, which LUF's deferred PTEs arm as
 * mainline's do). v11/v12's extra points (file writes, truncate, any write
 * fault that installs a writable PTE) are not modelled.
 * A folio with a writable PTE anywhere takes the normal batch (batch_full's
 * rules, dirty rule on). rw_too: on lets such folios defer too: the broken
 * variant of validation target T7, whose hazards the checker must find.
 * A flush in progress covers its generation only when it completes; a task
 * that needs a generation in flight issues the same flush again (targets done
 * skip it by tlb_gen): v10's luf_on_flushing wait, modelled as a re-flush.
 * v10 bookkeeping ([RESEND PATCH v10 09/12] mm/rmap.c,
 * <20240520021734.21527-10-byungchul@sk.com>; 01/12 arch_tlbbatch_done):
 * - Read-only folios gather in the task's tlb_ubc_luf and join the global
 *   luf_ubc, stamped with its generation, at try_to_unmap_luf(): before
 *   each free batch and at the end of shrink_folio_list (12/12), before
 *   migrate_pages_batch's flush (11/12); here at every flush_pending.
 * - try_to_unmap_luf gives up (the batch takes the normal flush) while any
 *   try_to_unmap_flush or deferred flush is in progress (on_flushing,
 *   luf_on_flushing); luf_lock contention, its other give-up, is not modelled.
 * - try_to_unmap_flush folds tlb_ubc_luf into the normal batch, and its
 *   rmap_flush_end() removes the flushed CPUs from luf_ubc (x86
 *   cpumask_andnot; arm64's v10 hook does nothing); emptied, luf_ubc needs
 *   no flush and check_luf_flush returns without one.
 * - The deferred flush is try_to_unmap_flush of luf_ubc folded into the
 *   task's own batch (check_luf_flush).
 * - Freed frames go to the pcp head like any other (06/12's
 *   free_unref_page_commit): a direct reclaimer's next allocation takes a
 *   frame it has just deferred. The counters say where allocation flushes
 *   come from: frames deferred on the allocating CPU, by kswapd, or
 *   already covered by normal flushes (no flush).
 * arm64: the TLBIs are broadcast at unmap (sd_tlbi_page, as mainline), so
 * only the DSB is deferred: the deferred flush is a DSB ISH on the CPU of
 * the task that triggers it. Per H4 a DSB completes only the issuing CPU's
 * TLBIs; LUF on arm64 relies on the unmapping CPU executing a later DSB (its
 * next flush, or a context switch). The model applies a TLBI at its issuer's
 * DSB, so the gap shows (tests/test_policy_contract.c; §6 (v)). */
#include <glib.h>

#include "models/bug.h"
#include "models/machine.h"
#include "models/memory.h"
#include "models/policies/unmap_batch.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/task.h"

enum luf_reason { LUF_ALLOC, LUF_WRITABLE, LUF_RECLAIM, LUF_NR };

/* luf.freer[pfn]: who deferred the frame's flush, for the breakdown. */
#define FREER_KSWAPD 0x8000u        /* | the deferring CPU + 1 */

struct luf {
    bool rw_too, reclaim_flush;
    /* The pending batch (v10's luf_ubc): folios deferred since the last
     * deferred flush carry gen_cur, and their CPUs are in mask. */
    struct cpumask mask;
    bool gathering;                 /* luf_ubc.flush_required */
    uint16_t gen_cur, gen_issued, gen_done;
    /* union of the masks of the flushes issued and not completed */
    struct cpumask issued_mask;
    uint32_t on_flushing;           /* normal flushes in flight, all tasks */
    uint16_t *freer;                /* per frame */
    stats_id c_deferred, c_normal, c_given_up, c_flush[LUF_NR], c_wait_ns;
    stats_id c_alloc_same_cpu, c_alloc_kswapd, c_alloc_covered;
};

/* Per task: mainline's tlb_ubc (the normal batch) and the folio whose
 * mappings are being cleared (its verdict is known after its last one). */
struct luf_ubc {
    struct unmap_batch normal;      /* mainline's batch (unmap_batch.c) */
    struct cpumask cur_mask;
    uint32_t cur_pfn;
    bool cur_active, cur_ro, cur_dirty, cur_any;
    /* tlb_ubc_luf: read-only folios not yet given to luf_ubc */
    struct cpumask luf_mask;
    bool luf_required;
    GArray *luf_pfns;               /* uint32_t */
    /* a flush this task issued: complete when t runs again */
    enum { IN_FLIGHT_NONE, IN_FLIGHT_LUF, IN_FLIGHT_NORMAL } in_flight;
    struct cpumask flushed;         /* the normal flush's targets, for the diet */
    uint16_t flush_gen;
    sim_time_t flush_at;
    task_run_fn *resume;
};

static const struct policy_param luf_params[] = {
    { "rw_too", "off", "defer folios mapped writable too (unsafe; validation target T7's negative case)" },
    { "reclaim_flush", "off", "flush the deferred batch when direct reclaim starts (migrc RFC v2..v8's pause; not in LUF v10)" },
    { NULL, NULL, NULL },
};

/* 16-bit generations compare with wraparound (v10's ugen). */
static bool gen_after(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b) > 0;
}

static uint16_t gen_next(uint16_t g)
{
    return (uint16_t)(g + 1) ? (uint16_t)(g + 1) : 1;     /* 0 means "none" */
}

static int luf_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct luf *p = priv;

    p->rw_too = false;
    p->reclaim_flush = false;
    return cfg_get_bool(map, "rw_too", false, &p->rw_too, err) ||
           cfg_get_bool(map, "reclaim_flush", false, &p->reclaim_flush, err);
}

static void luf_attach(void *priv, struct machine *m)
{
    static const char *const names[LUF_NR] = { "luf_flush_alloc", "luf_flush_writable",
                                               "luf_flush_reclaim" };
    struct luf *p = priv;

    cpumask_init(&p->mask, m->n_cpus);
    cpumask_init(&p->issued_mask, m->n_cpus);
    p->gen_cur = 1;
    p->gen_issued = p->gen_done = 0;
    p->freer = g_new0(uint16_t, mem_n_frames(m->mem));
    p->c_deferred = stats_counter(m->st, "luf_folios_deferred");
    p->c_normal = stats_counter(m->st, "luf_folios_flushed_normally");
    p->c_given_up = stats_counter(m->st, "luf_folios_given_up");
    p->c_alloc_same_cpu = stats_counter(m->st, "luf_flush_alloc_same_cpu");
    p->c_alloc_kswapd = stats_counter(m->st, "luf_flush_alloc_kswapd_freed");
    p->c_alloc_covered = stats_counter(m->st, "luf_alloc_covered");
    for (int i = 0; i < LUF_NR; i++)
        p->c_flush[i] = stats_counter(m->st, names[i]);
    p->c_wait_ns = stats_counter(m->st, "luf_flush_time_ns");
}

static void luf_detach(void *priv, struct machine *m)
{
    struct luf *p = priv;

    (void)m;
    cpumask_destroy(&p->mask);
    cpumask_destroy(&p->issued_mask);
    g_free(p->freer);
}

static void luf_task_init(void *priv, struct machine *m, void *ts)
{
    struct luf_ubc *u = ts;

    (void)priv;
    cpumask_init(&u->normal.mask, m->n_cpus);
    cpumask_init(&u->cur_mask, m->n_cpus);
    cpumask_init(&u->luf_mask, m->n_cpus);
    cpumask_init(&u->flushed, m->n_cpus);
    u->luf_pfns = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

static void luf_task_destroy(void *priv, void *ts)
{
    struct luf_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->normal.mask);
    cpumask_destroy(&u->cur_mask);
    cpumask_destroy(&u->luf_mask);
    cpumask_destroy(&u->flushed);
    g_array_free(u->luf_pfns, TRUE);
}

/* The verdict on the folio whose mappings were just cleared (v10's fold of
 * tlb_ubc_ro into tlb_ubc_luf or into tlb_ubc after try_to_unmap). */
static void commit(struct luf *p, struct task *t, struct luf_ubc *u)
{
    struct machine *m = t->m;

    if (!u->cur_active)
        return;
    u->cur_active = false;
    if (!u->cur_any)
        return;
    u->cur_any = false;
    if (u->cur_ro) {
        cpumask_or(&u->luf_mask, &u->cur_mask);
        u->luf_required = true;
        g_array_append_val(u->luf_pfns, u->cur_pfn);
    } else {
        cpumask_or(&u->normal.mask, &u->cur_mask);
        u->normal.flush_required = true;
        if (u->cur_dirty)
            u->normal.writable = true;
        stats_add(m->st, p->c_normal, t->cpu, 1);
    }
    cpumask_clear_all(&u->cur_mask);
}

static bool luf_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn, pte_t old,
                            sim_time_t *cost_ns)
{
    struct luf *p = priv;
    struct luf_ubc *u = t->policy_state;
    struct machine *m = t->m;
    uint32_t pfn = (uint32_t)pte_pfn(old);

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached */
    if (u->cur_active && u->cur_pfn != pfn)
        commit(p, t, u);
    if (!u->cur_active) {
        u->cur_active = true;
        u->cur_pfn = pfn;
        u->cur_ro = true;
        u->cur_dirty = false;
    }
    if ((old & PTE_WRITE) && !p->rw_too)
        u->cur_ro = false;
    if (old & PTE_DIRTY)
        u->cur_dirty = true;
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
    } else {
        /* should_defer_flush: only when another CPU may cache the entry. */
        if (!sd_x86_should_defer(t, mm))
            return sd_flush_mm_range(m, t, mm, vpn, 1, false);
        sd_batch_add_mm(m, mm, &u->cur_mask);
    }
    u->cur_any = true;
    mm->flush_batched_pending++;
    return false;
}

/* rmap_flush_end: CPUs a completed flush covered leave luf_ubc. */
static void diet(struct luf *p, const struct cpumask *flushed)
{
    for (uint32_t i = 0; i < CPUMASK_WORDS(p->mask.nbits); i++)
        p->mask.w[i] &= ~flushed->w[i];
    if (cpumask_empty(&p->mask))
        p->gathering = false;
}

/* Folds tlb_ubc_luf into the normal batch (try_to_unmap_flush's first step,
 * and try_to_unmap_luf's give-up). Its folios keep their place on luf_pfns. */
static void luf_into_normal(struct luf_ubc *u)
{
    if (!u->luf_required)
        return;
    cpumask_or(&u->normal.mask, &u->luf_mask);
    cpumask_clear_all(&u->luf_mask);
    u->normal.flush_required = true;
    u->luf_required = false;
}

static bool flush_in_progress(const struct luf *p)
{
    return p->on_flushing || p->gen_issued != p->gen_done;
}

/* try_to_unmap_luf: the task's read-only folios join luf_ubc and are
 * stamped with its generation, unless a flush is in progress. */
static void try_to_unmap_luf(struct luf *p, struct task *t, struct luf_ubc *u)
{
    struct machine *m = t->m;
    uint16_t freer = (uint16_t)((t->cpu + 1) | (t->kind == TASK_KSWAPD ? FREER_KSWAPD : 0));

    if (!u->luf_pfns->len)
        return;
    if (flush_in_progress(p)) {
        luf_into_normal(u);
        stats_add(m->st, p->c_given_up, t->cpu, u->luf_pfns->len);
        g_array_set_size(u->luf_pfns, 0);
        return;
    }
    if (u->luf_required) {
        cpumask_or(&p->mask, &u->luf_mask);
        cpumask_clear_all(&u->luf_mask);
        p->gathering = true;
        u->luf_required = false;
    }
    for (guint i = 0; i < u->luf_pfns->len; i++) {
        uint32_t pfn = g_array_index(u->luf_pfns, uint32_t, i);

        mem_frame(m->mem, pfn)->luf_gen = p->gen_cur;
        p->freer[pfn] = freer;
    }
    stats_add(m->st, p->c_deferred, t->cpu, u->luf_pfns->len);
    g_array_set_size(u->luf_pfns, 0);
}

static void luf_resume(struct task *t);

/* try_to_unmap_flush: the normal batch with tlb_ubc_luf folded in; when it
 * completes, its CPUs leave luf_ubc. */
static bool normal_flush(struct luf *p, struct task *t, struct luf_ubc *u)
{
    luf_into_normal(u);
    if (!u->normal.flush_required)
        return false;
    cpumask_copy(&u->flushed, &u->normal.mask);
    if (!unmap_batch_flush(t, &u->normal)) {
        if (!t->m->arm64)
            diet(p, &u->flushed);
        return false;
    }
    p->on_flushing++;
    u->in_flight = IN_FLIGHT_NORMAL;
    u->resume = t->run;
    t->run = luf_resume;
    return true;
}

static bool luf_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct luf_ubc *u = t->policy_state;

    (void)cost_ns;
    commit(priv, t, u);
    if (!u->normal.writable)
        return false;
    return normal_flush(priv, t, u);
}

/* try_to_unmap_luf, then try_to_unmap_flush for the normal batch; the
 * deferred folios are freed with their generation and no flush. */
static bool luf_flush_pending(void *priv, struct task *t, enum flush_point why,
                              sim_time_t *cost_ns)
{
    struct luf_ubc *u = t->policy_state;

    (void)why;
    (void)cost_ns;
    commit(priv, t, u);
    try_to_unmap_luf(priv, t, u);
    return normal_flush(priv, t, u);
}

static void complete(struct luf *p, uint16_t g)
{
    if (gen_after(g, p->gen_done))
        p->gen_done = g;
    if (p->gen_done == p->gen_issued)
        cpumask_clear_all(&p->issued_mask);
}

/* Runs when the task that issued a flush continues: the flush is complete
 * (rmap_flush_end). Then the task goes on where its path left off. */
static void luf_resume(struct task *t)
{
    struct luf_ubc *u = t->policy_state;
    struct machine *m = t->m;
    struct luf *p = m->policy_priv;

    if (u->in_flight == IN_FLIGHT_NORMAL) {
        p->on_flushing--;
        if (!m->arm64)
            diet(p, &u->flushed);
    } else {
        complete(p, u->flush_gen);
        stats_add(m->st, p->c_wait_ns, t->cpu, sim_now(m->eng) - u->flush_at);
    }
    u->in_flight = IN_FLIGHT_NONE;
    t->run = u->resume;
    t->run(t);
}

/* Flushes everything deferred so far (v10's luf_flush): the pending batch
 * and any flush still in flight, with the task's own batches folded in. */
static bool luf_flush(struct luf *p, struct task *t, enum luf_reason why)
{
    struct luf_ubc *u = t->policy_state;
    struct machine *m = t->m;
    uint16_t g;
    bool waited;

    if (!p->gathering && p->gen_issued == p->gen_done)
        return false;
    BUG_ON(u->in_flight, "%s: LUF flush while its own is in flight", t->name);
    luf_into_normal(u);
    if (u->normal.flush_required) {
        cpumask_or(&p->issued_mask, &u->normal.mask);
        cpumask_clear_all(&u->normal.mask);
        u->normal.flush_required = false;
        u->normal.writable = false;
    }
    cpumask_or(&p->issued_mask, &p->mask);
    if (p->gathering) {
        g = p->gen_cur;
        p->gen_issued = g;
        p->gen_cur = gen_next(g);
        p->gathering = false;
        cpumask_clear_all(&p->mask);
    } else {
        g = p->gen_issued;
    }
    stats_add(m->st, p->c_flush[why], t->cpu, 1);
    waited = m->arm64 ? sd_dsb(m, t, true) : sd_flush_batch(m, t, &p->issued_mask);
    if (!waited) {
        complete(p, g);
        return false;
    }
    u->in_flight = IN_FLIGHT_LUF;
    u->flush_gen = g;
    u->flush_at = sim_now(m->eng);
    u->resume = t->run;
    t->run = luf_resume;
    return true;
}

static bool frame_pending(const struct luf *p, uint16_t g)
{
    return g && gen_after(g, p->gen_done);
}

static bool luf_page_alloc(void *priv, struct task *t, uint32_t pfn, sim_time_t *cost_ns)
{
    struct luf *p = priv;
    struct machine *m = t->m;
    struct frame *f = mem_frame(m->mem, pfn);
    uint16_t g = f->luf_gen, freer = p->freer[pfn];

    (void)cost_ns;
    if (!frame_pending(p, g) || (!p->gathering && p->gen_issued == p->gen_done)) {
        if (frame_pending(p, g))
            stats_add(m->st, p->c_alloc_covered, t->cpu, 1);
        f->luf_gen = 0;
        return false;
    }
    if ((freer & ~FREER_KSWAPD) == t->cpu + 1)
        stats_add(m->st, p->c_alloc_same_cpu, t->cpu, 1);
    if (freer & FREER_KSWAPD)
        stats_add(m->st, p->c_alloc_kswapd, t->cpu, 1);
    if (luf_flush(p, t, LUF_ALLOC))
        return true;    /* luf_gen kept while waiting: the checker's stale_read_ok */
    f->luf_gen = 0;
    return false;
}

static bool luf_pte_writable(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                             sim_time_t *cost_ns)
{
    (void)mm;
    (void)vpn;
    (void)cost_ns;
    return luf_flush(priv, t, LUF_WRITABLE);
}

static bool luf_reclaim_start(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct luf *p = priv;

    (void)cost_ns;
    if (!p->reclaim_flush)
        return false;
    return luf_flush(p, t, LUF_RECLAIM);
}

static bool luf_stale_read_ok(const void *priv, const struct machine *m, uint32_t pfn)
{
    return frame_pending(priv, mem_frame(m->mem, pfn)->luf_gen);
}

const struct flush_policy_ops flush_policy_luf = {
    .name = "luf",
    .help = "Lazy Unmap Flush (LUF v10): read-only folios are freed unflushed; flush at allocation, RO->W fault (and direct reclaim with reclaim_flush: on)",
    .params = luf_params,
    .priv_size = sizeof(struct luf),
    .task_state_size = sizeof(struct luf_ubc),
    .configure = luf_configure,
    .attach = luf_attach,
    .detach = luf_detach,
    .task_init = luf_task_init,
    .task_destroy = luf_task_destroy,
    .pte_cleared = luf_pte_cleared,
    .flush_dirty = luf_flush_dirty,
    .flush_pending = luf_flush_pending,
    .page_alloc = luf_page_alloc,
    .pte_writable = luf_pte_writable,
    .reclaim_start = luf_reclaim_start,
    .stale_read_ok = luf_stale_read_ok,
};
