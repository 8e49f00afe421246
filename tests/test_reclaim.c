/* Reclaim (models/reclaim.c, reclaim_page.c, kswapd.c) against mm/vmscan.c
 * and policy-semantics.md §3: isolate_lru_folios takes swap_cluster_max
 * folios from the inactive tail; folio_check_references keeps a young file
 * folio once (PG_referenced) and activates it the next time, activates
 * young anon at once; try_to_unmap calls the flush policy once per mapping
 * with the old PTE; a clean file folio leaves the page cache and is freed
 * only after try_to_unmap_flush; a dirty anon folio gets a swap slot, its
 * PTE becomes a swap entry, try_to_unmap_flush_dirty runs before pageout,
 * writeback completes after swap_write_ns and a later pass frees it.
 * kswapd, putback order, demotion and swap-less anon: test_reclaim_lists.c.
 * Reclaimers are scripted kernel threads on cpu 0 first running at
 * FX_KTHREAD_START (or kswapd0, also on cpu 0); mapped pages belong to mms
 * loaded on other CPUs, so batch_full defers their flushes. Machine and
 * costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/reclaim_fixture.h"

/* ---- isolation and folio_check_references ---- */

/* isolate_lru_folios: the 32 oldest of 40 inactive file folios, tail first,
 * each isolated and locked; pgscan_direct 32; one lru_lock section for the
 * batch (32 x lru_move_ns) plus the scan cost. */
static void test_isolate_swap_cluster_max_from_tail(void **state)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;
    struct task *t;
    struct reclaim_ctx *rc = g_new0(struct reclaim_ctx, 1);
    uint32_t file;
    pfn_t p[40];

    cfg->cost.lru_move_ns = 5;
    f = fx_new(cfg, NULL, "batch_full", NULL);
    t = machine_new_task(f->m, TASK_KSWAPD, 0, NULL, "r");
    file = machine_new_file(f->m, 100, false);
    for (unsigned i = 0; i < 40; i++)
        p[i] = fx_file_page(f, file, i, 0, true);
    rc->node = 0;
    FX_EQ(reclaim_isolate(t, rc), 32 * 5 + C_SCAN);
    FX_EQ(rc->n, 32);
    FX_EQ(rc->i, 0);
    for (unsigned i = 0; i < 32; i++) {
        FX_EQ(rc->list[i], p[i]);
        FX_EQ(mem_frame(f->m->mem, p[i])->state, FRAME_ISOLATED);
        assert_true(mem_frame(f->m->mem, p[i])->flags & FRAME_LOCKED);
    }
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_FILE), 8);
    FX_EQ(mem_lru_tail(f->m->mem, 0, LRU_INACTIVE_FILE), p[32]);
    FX_EQ(FX_CPU(f, pgscan_direct, 0), 32);
    FX_EQ(FX_TOTAL(f, pgscan_kswapd), 0);
    g_free(rc);
    fx_free(f);
}

/* With no inactive file folios left (and swap on), the anon list is
 * scanned; a kswapd pass counts pgscan_kswapd. */
static void test_isolate_anon_when_file_is_empty(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct task *t = machine_new_task(f->m, TASK_KSWAPD, 0, NULL, "r");
    struct reclaim_ctx *rc = g_new0(struct reclaim_ctx, 1);
    pfn_t a0 = fx_anon_page(f, A, V, 0, PTE_WRITE | PTE_DIRTY, true);
    pfn_t a1 = fx_anon_page(f, A, V + 1, 0, PTE_WRITE | PTE_DIRTY, true);

    rc->node = 0;
    rc->kswapd = true;
    reclaim_isolate(t, rc);
    FX_EQ(rc->n, 2);
    FX_EQ(rc->list[0], a0);
    FX_EQ(rc->list[1], a1);
    FX_EQ(FX_CPU(f, pgscan_kswapd, 0), 2);
    g_free(rc);
    fx_free(f);
}

/* folio_check_references on one isolated folio, case by case: the
 * decision (next state, putback to the active or inactive list) and the
 * accessed bits cleared in every mapping. */
static void test_check_references_rules(void **state)
{
    struct mm *A, *B;
    struct fx *f = setup(NULL, &A);
    struct task *t = machine_new_task(f->m, TASK_KSWAPD, 0, NULL, "r");
    struct reclaim_ctx *rc = g_new0(struct reclaim_ctx, 1);
    uint32_t file = machine_new_file(f->m, 100, false);
    pfn_t pfn;
    sim_time_t cost;

    B = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(B, V, 512, true, true, VMA_READ, file, 0));
    rc->node = 0;
#define CHECK_ONE(p)                                                                     \
    do {                                                                                 \
        if (mem_frame(f->m->mem, (p))->state == FRAME_LRU)                               \
            isolate(f, (p));                                                             \
        rc->list[0] = (p);                                                               \
        rc->n = 1;                                                                       \
        rc->i = rc->n_putback = rc->n_demote = 0;                                        \
        cost = reclaim_check(t, rc);                                                     \
    } while (0)

    /* young anon: activated at once (anon is not given a second round) */
    pfn = fx_anon_page(f, A, V, 0, PTE_ACCESSED | PTE_WRITE, true);
    CHECK_ONE(pfn);
    FX_EQ(cost, C_SCAN + C_RMAP);
    FX_EQ(rc->state, R_NEXT);
    FX_EQ(rc->n_putback, 1);
    assert_true(rc->putback_active[0]);
    FX_EQ(fx_pte(A, V), pte_make(pfn, PTE_PRESENT | PTE_WRITE));
    FX_EQ(FX_TOTAL(f, pgactivate), 1);

    /* young file folio, first time: kept on the inactive list, marked
     * PG_referenced */
    pfn = fx_file_page(f, file, 1, 0, true);
    fx_map(f, B, V + 1, pfn, PTE_ACCESSED);
    CHECK_ONE(pfn);
    FX_EQ(rc->state, R_NEXT);
    FX_EQ(rc->n_putback, 1);
    assert_false(rc->putback_active[0]);
    FX_EQ(mem_frame(f->m->mem, pfn)->flags & FRAME_REFERENCED, FRAME_REFERENCED);
    FX_EQ(fx_pte(B, V + 1), pte_make(pfn, PTE_PRESENT));
    /* ... young again with PG_referenced: activated, PG_referenced cleared */
    *mm_pte(B, V + 1, false) |= PTE_ACCESSED;
    CHECK_ONE(pfn);
    FX_EQ(rc->n_putback, 1);
    assert_true(rc->putback_active[0]);
    FX_EQ(mem_frame(f->m->mem, pfn)->flags & FRAME_REFERENCED, 0);
    FX_EQ(FX_TOTAL(f, pgactivate), 2);

    /* a file folio young in two mappings: activated (referenced_ptes > 1) */
    pfn = fx_file_page(f, file, 2, 0, true);
    fx_map(f, B, V + 2, pfn, PTE_ACCESSED);
    fx_map(f, A, V + 2, pfn, PTE_ACCESSED);
    CHECK_ONE(pfn);
    FX_EQ(cost, C_SCAN + 2 * C_RMAP);
    assert_true(rc->n_putback == 1 && rc->putback_active[0]);

    /* not young, mapped: to be unmapped */
    pfn = fx_file_page(f, file, 3, 0, true);
    fx_map(f, B, V + 3, pfn, 0);
    CHECK_ONE(pfn);
    FX_EQ(rc->state, R_UNMAP);
    FX_EQ(rc->n_putback, 0);

    /* not mapped (and clean): straight to freeing */
    pfn = fx_file_page(f, file, 4, 0, true);
    CHECK_ONE(pfn);
    FX_EQ(rc->state, R_AFTER_UNMAP);
    FX_EQ(cost, C_SCAN);

    /* under writeback: kept (inactive), references not even looked at */
    pfn = fx_file_page(f, file, 5, 0, true);
    fx_map(f, B, V + 5, pfn, PTE_ACCESSED);
    mem_frame(f->m->mem, pfn)->flags |= FRAME_WRITEBACK;
    CHECK_ONE(pfn);
    FX_EQ(cost, C_SCAN);
    assert_true(rc->n_putback == 1 && !rc->putback_active[0]);
    FX_EQ(fx_pte(B, V + 5), pte_make(pfn, PTE_PRESENT | PTE_ACCESSED));
    FX_EQ(FX_TOTAL(f, pgactivate), 3);
#undef CHECK_ONE
    g_free(rc);
    fx_free(f);
}

/* ---- whole passes ---- */

/* One direct-reclaim pass over 40 clean, unmapped file folios asked for 32:
 * isolates the 32 oldest, frees the first 31 as a free batch after a
 * try_to_unmap_flush (FLUSH_BEFORE_FREE, nothing pending here), the 32nd at
 * the end of the pass (FLUSH_END_OF_PASS), removes them from the page
 * cache, and stops. */
static void test_pass_frees_clean_file_in_batches(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct fx_script *s = fx_task(f, 0, NULL, "direct");
    struct reclaim_op o = { 0, false, 32 };
    unsigned i = fx_op_call(s, op_reclaim, &o);
    uint32_t file = machine_new_file(f->m, 100, false);
    const struct fx_hook_call *c;
    pfn_t p[40];

    for (unsigned k = 0; k < 40; k++)
        p[k] = fx_file_page(f, file, k, 0, true);
    fx_start(s);
    fx_run_until(f, 100000);
    /* isolate; 32 checks; 31 freed; 1 freed at the end */
    FX_EQ(s->ended[i], T0 + C_SCAN + 32 * C_SCAN + 31 * C_FREE + C_FREE);
    FX_EQ(fx_spy(f)->n[FX_H_FLUSH_PENDING], 2);
    c = fx_spy_nth(fx_spy(f), FX_H_FLUSH_PENDING, 0);
    FX_EQ(c->why, FLUSH_BEFORE_FREE);
    FX_EQ(c->at, T0 + C_SCAN + 31 * C_SCAN);
    c = fx_spy_nth(fx_spy(f), FX_H_FLUSH_PENDING, 1);
    FX_EQ(c->why, FLUSH_END_OF_PASS);
    FX_EQ(c->at, T0 + C_SCAN + 32 * C_SCAN + 31 * C_FREE);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 0);
    for (unsigned k = 0; k < 40; k++) {
        FX_EQ(fx_is_free(f, p[k]), k < 32);
        FX_EQ(pagecache_lookup(f->m->pc, file, k) == PFN_NONE, k < 32);
    }
    FX_EQ(FX_CPU(f, pgscan_direct, 0), 32);
    FX_EQ(FX_CPU(f, pgsteal_direct, 0), 32);
    FX_EQ(FX_CPU(f, pgfree, 0), 32);
    FX_EQ(reclaim_pages_freed(s->t), 32);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_FILE), 8);
    fx_free(f);
}

/* A young mapped file folio is kept once (PG_referenced, accessed bit
 * cleared, still mapped), and activated when found young again. Each run of
 * direct reclaim asks for the 31 clean folios behind it. */
struct young_arg {
    struct fx *f;
    struct mm *mm;
    uint32_t file;
};

static bool op_touch_and_refill(struct fx_script *s, void *arg)
{
    struct young_arg *y = arg;

    (void)s;
    *mm_pte(y->mm, V, false) |= PTE_ACCESSED;
    for (unsigned k = 0; k < 31; k++)
        fx_file_page(y->f, y->file, 50 + k, 0, true);
    return false;
}

static void test_young_file_kept_once_then_activated(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct fx_script *s = fx_task(f, 0, NULL, "direct");
    struct reclaim_op o = { 0, false, 31 };
    uint32_t file = machine_new_file(f->m, 100, false);
    struct young_arg y = { f, NULL, file };
    pfn_t p;
    struct frame *fr;

    (void)fx_op_call(s, op_reclaim, &o);
    (void)fx_op_step(s, 100000, CT_RECLAIM);       /* the state is looked at in here */
    (void)fx_op_call(s, op_touch_and_refill, &y);
    (void)fx_op_call(s, op_reclaim, &o);
    y.mm = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(y.mm, V, 512, true, true, VMA_READ, file, 0));
    p = fx_file_page(f, file, 0, 0, true);
    fx_map(f, y.mm, V, p, PTE_ACCESSED);
    for (unsigned k = 1; k < 32; k++)
        fx_file_page(f, file, k, 0, true);
    fr = mem_frame(f->m->mem, p);

    fx_start(s);
    fx_run_until(f, 50000);
    FX_EQ(s->pc, 2);
    FX_EQ(fr->state, FRAME_LRU);
    FX_EQ(fr->lru, LRU_INACTIVE_FILE);
    FX_EQ(fr->flags, FRAME_REFERENCED);
    FX_EQ(fr->mapcount, 1);
    FX_EQ(fx_pte(y.mm, V), pte_make(p, PTE_PRESENT));
    FX_EQ(FX_TOTAL(f, pgactivate), 0);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 31);
    FX_EQ(mem_lru_tail(f->m->mem, 0, LRU_INACTIVE_FILE), p);

    fx_run_until(f, 1000000);
    assert_true(s->done);
    FX_EQ(fr->state, FRAME_LRU);
    FX_EQ(fr->lru, LRU_ACTIVE_FILE);
    FX_EQ(fr->flags & FRAME_REFERENCED, 0);
    FX_EQ(fr->mapcount, 1);
    FX_EQ(FX_TOTAL(f, pgactivate), 1);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 62);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 0);
    fx_free(f);
}

/* A clean file folio mapped by A (loaded on cpu 2) and B (on cpu 3), not
 * young: try_to_unmap clears both PTEs (B's first: rmap newest first),
 * calling pte_cleared once per mapping with the old PTE (deferred:
 * batch_full adds both mms to the batch). The folio leaves the page cache,
 * and is freed only after try_to_unmap_flush at the end of the pass (one
 * IPI to each of cpus 2 and 3, both a full flush). */
struct frame_probe {
    pfn_t pfn;
    uint8_t state;
    bool in_cache;
    uint32_t file;
    unsigned seen;
};

static void probe_end_of_pass(struct fx_spy *sp, const struct fx_hook_call *c, struct task *t)
{
    struct frame_probe *fp = sp->arg;

    (void)t;
    if (c->hook != FX_H_FLUSH_PENDING || c->why != FLUSH_END_OF_PASS)
        return;
    fp->state = mem_frame(sp->f->m->mem, fp->pfn)->state;
    fp->in_cache = pagecache_lookup(sp->f->m->pc, fp->file, 7) != PFN_NONE;
    fp->seen++;
}

static void test_clean_file_unmapped_then_freed_after_flush(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct mm *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "direct");
    struct reclaim_op o = { 0, false, 1 };
    unsigned i = fx_op_call(s, op_reclaim, &o);
    uint32_t file = machine_new_file(f->m, 100, false);
    struct frame_probe fp = { .file = file };
    const struct fx_hook_call *c;
    pfn_t p;
    pte_t oldA, oldB;
    sim_time_t flush_at = T0 + C_SCAN + (C_SCAN + 2 * C_RMAP) + 2 * C_RMAP;

    assert_non_null(mm_add_vma(B, V + 512, 512, true, true, VMA_READ, file, 0));
    mm_remove_vma(A, V);
    assert_non_null(mm_add_vma(A, V, 512, true, true, VMA_READ, file, 0));
    p = fx_file_page(f, file, 7, 0, true);
    fx_map(f, A, V + 7, p, 0);
    fx_map(f, B, V + 512 + 7, p, 0);
    oldA = fx_pte(A, V + 7);
    oldB = fx_pte(B, V + 512 + 7);
    fx_load(f, 2, A, 0, 1, false);
    fx_load(f, 3, B, 0, 1, false);
    fx_fill(f, 2, 0, V, 4);
    fx_fill(f, 3, 0, V + 512, 4);
    fp.pfn = p;
    fx_spy(f)->probe = probe_end_of_pass;
    fx_spy(f)->arg = &fp;
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 2);
    c = fx_spy_nth(fx_spy(f), FX_H_PTE_CLEARED, 0);
    FX_EQ(c->mm_id, B->id);
    FX_EQ(c->vpn, V + 512 + 7);
    FX_EQ(c->old, oldB);
    FX_EQ(c->at, flush_at - C_RMAP);
    c = fx_spy_nth(fx_spy(f), FX_H_PTE_CLEARED, 1);
    FX_EQ(c->mm_id, A->id);
    FX_EQ(c->vpn, V + 7);
    FX_EQ(c->old, oldA);
    FX_EQ(c->at, flush_at);
    /* at try_to_unmap_flush: out of the page cache, not yet freed */
    FX_EQ(fp.seen, 1);
    FX_EQ(fp.state, FRAME_ISOLATED);
    assert_false(fp.in_cache);
    FX_EQ(fx_spy_nth(fx_spy(f), FX_H_FLUSH_PENDING, 0)->at, flush_at);
    /* cpu 3's IPI leaves after the ICR writes to cpu 2 and to it */
    FX_EQ(s->ended[i], flush_at + FX_IPI_SEND + RT_REMOTE_FULL + C_FREE);
    assert_true(fx_is_free(f, p));
    FX_EQ(fx_pte(A, V + 7), 0);
    FX_EQ(fx_pte(B, V + 512 + 7), 0);
    FX_EQ(A->rss_pages, 0);
    FX_EQ(B->rss_pages, 0);
    FX_EQ(FX_TOTAL(f, pages_unmapped), 2);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, irq_call, 2), 1);
    FX_EQ(FX_CPU(f, irq_call, 3), 1);
    FX_EQ(fx_count(f, 2, 0, V, 4), 0);
    FX_EQ(fx_count(f, 3, 0, V + 512, 4), 0);
    FX_EQ(A->tlb_gen, 2);
    FX_EQ(B->tlb_gen, 2);
    FX_EQ(A->flush_batched_pending, 1);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 1);
    fx_free(f);
}

/* A dirty anon folio through two shrink_folio_list passes (list mode, as
 * MADV_PAGEOUT runs them): pass 1 gives it swap slot 1 (swap cache), makes
 * its PTE a swap entry, calls try_to_unmap_flush_dirty before pageout (the
 * remote entry is gone before the I/O starts), clears dirty and starts
 * writeback (pswpout 1), and puts it back; writeback ends swap_write_ns
 * later; pass 2 then frees it and drops the swap cache entry. */
struct anon_probe {
    struct fx *f;
    pfn_t pfn;
    uint16_t flags_at_flush_dirty;
    bool cached_at_flush_dirty;
    uint64_t pswpout_at_flush_dirty;
};

static void probe_flush_dirty(struct fx_spy *sp, const struct fx_hook_call *c, struct task *t)
{
    struct anon_probe *ap = sp->arg;

    (void)t;
    if (c->hook != FX_H_FLUSH_DIRTY)
        return;
    ap->flags_at_flush_dirty = mem_frame(sp->f->m->mem, ap->pfn)->flags;
    ap->cached_at_flush_dirty = fx_has(sp->f, 2, 0, V + 3);
    ap->pswpout_at_flush_dirty = FX_TOTAL(sp->f, pgpgout);
}

static void probe_writeback(struct fx *f, void *arg)
{
    struct anon_probe *ap = arg;
    uint16_t fl = mem_frame(f->m->mem, ap->pfn)->flags;
    sim_time_t now = sim_now(f->eng);

    if (now == T0 + C_SCAN + C_RMAP + RT_REMOTE_FULL - 1) {         /* before pageout */
        FX_EQ(fl & (FRAME_DIRTY | FRAME_WRITEBACK), FRAME_DIRTY);
    } else if (now == T0 + C_SCAN + C_RMAP + RT_REMOTE_FULL + 1) {  /* I/O started */
        FX_EQ(fl & (FRAME_DIRTY | FRAME_WRITEBACK), FRAME_WRITEBACK);
        assert_false(fx_has(f, 2, 0, V + 3));
    } else if (now < T0 + C_SCAN + C_RMAP + RT_REMOTE_FULL + C_SWAP_WRITE) {
        FX_EQ(fl & FRAME_WRITEBACK, FRAME_WRITEBACK);
    } else {
        FX_EQ(fl & FRAME_WRITEBACK, 0);
    }
}

static void test_dirty_anon_swapped_out_then_freed(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct fx_script *s = fx_task(f, 0, NULL, "pageout");
    struct list_op l1 = { .n = 1, .isolate = true }, l2 = { .n = 1, .isolate = true };
    unsigned i1 = fx_op_call(s, op_reclaim_list, &l1), i2;
    pfn_t p = fx_anon_page(f, A, V + 3, 0, PTE_WRITE | PTE_DIRTY, true);
    struct anon_probe ap = { f, p, 0, false, 0 };
    const sim_time_t pageout_at = T0 + C_SCAN + C_RMAP + RT_REMOTE_FULL;
    const struct fx_hook_call *c;
    struct frame *fr = mem_frame(f->m->mem, p);

    (void)fx_op_step_to(s, 60000);
    i2 = fx_op_call(s, op_reclaim_list, &l2);
    l1.pfn[0] = l2.pfn[0] = p;
    fx_load(f, 2, A, 0, 1, false);
    tlb_insert(f->m->cpu[2].tlb, 0, V + 3, p, true, true, TLB_STORE);
    fx_spy(f)->probe = probe_flush_dirty;
    fx_spy(f)->arg = &ap;
    fx_probe_at(f, pageout_at - 1, probe_writeback, &ap);
    fx_probe_at(f, pageout_at + 1, probe_writeback, &ap);
    fx_probe_at(f, pageout_at + C_SWAP_WRITE - 1, probe_writeback, &ap);
    fx_probe_at(f, pageout_at + C_SWAP_WRITE + 1, probe_writeback, &ap);
    fx_start(s);
    fx_run_until(f, 59000);

    /* pass 1 */
    FX_EQ(s->ended[i1], pageout_at + C_SCAN);
    FX_EQ(fx_pte(A, V + 3), pte_make(1, PTE_SWAP));
    FX_EQ(fr->index, 1);
    FX_EQ(pagecache_lookup(f->m->pc, SWAP_FILE_ID, 1), p);
    FX_EQ(fr->flags, FRAME_ANON | FRAME_SWAPCACHE);       /* written, unlocked */
    FX_EQ(fr->state, FRAME_LRU);
    FX_EQ(fr->lru, LRU_INACTIVE_ANON);
    FX_EQ(fr->mapcount, 0);
    FX_EQ(A->rss_pages, 0);
    c = fx_spy_nth(fx_spy(f), FX_H_PTE_CLEARED, 0);
    FX_EQ(c->old, pte_make(p, PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
    FX_EQ(c->at, T0 + C_SCAN + C_RMAP);
    FX_EQ(fx_spy(f)->n[FX_H_FLUSH_DIRTY], 1);
    FX_EQ(fx_spy_nth(fx_spy(f), FX_H_FLUSH_DIRTY, 0)->at, T0 + C_SCAN + C_RMAP);
    /* at try_to_unmap_flush_dirty: still dirty, no I/O yet, still cached */
    FX_EQ(ap.flags_at_flush_dirty,
          FRAME_ANON | FRAME_SWAPCACHE | FRAME_DIRTY | FRAME_LOCKED);
    assert_true(ap.cached_at_flush_dirty);
    FX_EQ(ap.pswpout_at_flush_dirty, 0);
    FX_EQ(FX_TOTAL(f, pgpgout), 1);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(fx_spy_nth(fx_spy(f), FX_H_FLUSH_PENDING, 0)->at, pageout_at + C_SCAN);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 0);
    assert_false(fx_is_free(f, p));

    /* pass 2, after the writeback */
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i2], 60000 + C_SCAN + C_FREE);
    assert_true(fx_is_free(f, p));
    FX_EQ(pagecache_lookup(f->m->pc, SWAP_FILE_ID, 1), PFN_NONE);
    FX_EQ(fx_pte(A, V + 3), pte_make(1, PTE_SWAP));
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 1);
    FX_EQ(FX_TOTAL(f, pgpgout), 1);
    FX_EQ(fx_spy(f)->n[FX_H_FLUSH_DIRTY], 1);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolate_swap_cluster_max_from_tail),
        cmocka_unit_test(test_isolate_anon_when_file_is_empty),
        cmocka_unit_test(test_check_references_rules),
        cmocka_unit_test(test_pass_frees_clean_file_in_batches),
        cmocka_unit_test(test_young_file_kept_once_then_activated),
        cmocka_unit_test(test_clean_file_unmapped_then_freed_after_flush),
        cmocka_unit_test(test_dirty_anon_swapped_out_then_freed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
