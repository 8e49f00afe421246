/* mmu_gather paths (models/mmu_gather.c) against policy-semantics.md §2 and
 * mm/memory.c, mm/mmu_gather.c, mm/mprotect.c, when a gather flushes and
 * whom it interrupts: MADV_DONTNEED flushes once at tlb_finish_mmu (INVLPG
 * up to the 33-page ceiling, a full flush past it, nothing when nothing was
 * present); flush_tlb_batched_pending runs at every PTE table and flushes
 * the whole mm (lazy CPUs too) when a reclaim batch of the mm is pending;
 * munmap flushes with freed_tables (lazy CPUs get an IPI); concurrent
 * gathers of one mm (tlb_flush_pending > 1) force a full flush
 * (mm_tlb_flush_nested); a dirty file PTE forces a flush at the end of its
 * table (v6.1 delayed rmap); mprotect flushes only when a PTE lost W
 * (pte_needs_flush). When the unmapped pages are freed:
 * test_mmu_gather_free.c.
 * The caller is a scripted thread of mm A on cpu 0 (running A in slot 0 at
 * generation 1 from FX_APP_START); cpu 2 runs A (slot 0, gen 1) and caches
 * the range; cpu 3 is lazy with A loaded (tests/mmu_gather_fixture.h).
 * Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/mmu_gather_fixture.h"

#include "models/hazard.h"

/* The ceiling: a 33-page range is flushed page by page (33 INVLPGs on cpu 2
 * and locally), a 34-page range with full flushes (cpu 2 loses the entries
 * outside the range too). */
static void test_dontneed_ceiling(void **state)
{
    for (unsigned n = FX_CEILING; n <= FX_CEILING + 1; n++) {
        struct env e;
        struct zap_op o = { ZAP_DONTNEED, V, n };
        unsigned i;
        bool full = n > FX_CEILING;
        sim_time_t h = full ? FX_FULL_FLUSH : n * FX_INVLPG;

        setup(&e, n);
        i = fx_op_call(e.s, op_zap, &o);
        fx_start(e.s);
        fx_run_until(e.f, 100000);
        FX_EQ(e.s->ended[i], TA + WALK(n, n) + RT_REMOTE(h) + n * C_FREE);
        FX_EQ(fx_count(e.f, 2, 0, V, n), 0);
        FX_EQ(fx_count(e.f, 2, 0, V + n, 64 - n), full ? 0 : 64 - n);
        FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_one, 0), full ? 0 : n);
        FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_all, 0), full ? 1 : 0);
        FX_EQ(FX_CPU(e.f, tlb_flush_remote_shootdown, 2), 1);
        FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 1);
        FX_EQ(FX_TOTAL(e.f, pgfree), n);
        fx_free(e.f);
    }
}

/* A reclaim batch of A is pending (pending 1, flushed 0): the first PTE
 * table's flush_tlb_batched_pending flushes all of A first (x86
 * flush_tlb_mm: full flush, freed_tables, so lazy cpu 3 is interrupted
 * too), before any PTE is touched, and marks it flushed; the second table's
 * call finds nothing pending. The range flush at the end follows as usual
 * (20 pages across the table boundary: INVLPG on cpu 2, not lazy cpu 3,
 * which left A at the first IPI). */
struct pending_probe {
    struct env *e;
    unsigned present_at_first;
};

static void probe_pending(struct fx_spy *sp, const struct fx_hook_call *c, struct task *t)
{
    struct pending_probe *pp = sp->arg;

    (void)t;
    if (c->hook != FX_H_BATCHED_PENDING || sp->n[FX_H_BATCHED_PENDING] != 1)
        return;
    for (unsigned k = 0; k < 20; k++)
        pp->present_at_first += pte_present(fx_pte(pp->e->A, V + 500 + k));
}

static void test_batched_pending_flushes_mm_at_first_table(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V + 500, 20 };
    unsigned i;
    struct pending_probe pp = { &e, 0 };
    const struct fx_hook_call *c;
    /* cpu 3's IPI leaves after the ICR writes to cpu 2 and to it */
    const sim_time_t mm_flushed = TA + FX_IPI_SEND + RT_REMOTE(FX_FULL_FLUSH);
    const sim_time_t walked = mm_flushed + WALK(12, 12) + WALK(8, 8);

    setup(&e, 0);
    for (unsigned k = 0; k < 20; k++)
        e.p[k] = fx_anon_page(e.f, e.A, V + 500 + k, 0, PTE_WRITE | PTE_DIRTY, true);
    e.A->flush_batched_pending = 1;
    i = fx_op_call(e.s, op_zap, &o);
    fx_spy(e.f)->probe = probe_pending;
    fx_spy(e.f)->arg = &pp;
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(fx_spy(e.f)->n[FX_H_BATCHED_PENDING], 2);
    c = fx_spy_nth(fx_spy(e.f), FX_H_BATCHED_PENDING, 0);
    FX_EQ(c->at, TA);
    FX_EQ(c->mm_id, e.A->id);
    FX_EQ(pp.present_at_first, 20);
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_BATCHED_PENDING, 1)->at, mm_flushed + WALK(12, 12));
    FX_EQ(e.A->flush_batched_flushed, 1);
    FX_EQ(e.A->flush_batched_pending, 1);
    FX_EQ(e.s->ended[i], walked + RT_REMOTE(20 * FX_INVLPG) + 20 * C_FREE);
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 2);
    FX_EQ(e.A->tlb_gen, 3);
    FX_EQ(FX_CPU(e.f, irq_call, 2), 2);
    FX_EQ(FX_CPU(e.f, irq_call, 3), 1);
    FX_EQ(e.f->m->cpu[3].loaded_mm, ASID_NONE);     /* left lazy mode for init_mm */
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_all, 0), 1);
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_one, 0), 20);
    FX_EQ(FX_TOTAL(e.f, pgfree), 20);
    fx_free(e.f);
}

/* munmap: the final flush has freed_tables, so lazy cpu 3 gets an IPI (and
 * switches to init_mm: a full flush); the VMA is back (empty) afterwards. */
static void test_munmap_ipis_lazy_cpus(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_MUNMAP, V, 1024 };
    unsigned i;
    /* 2 tables; only the first 8 PTEs present; one range flush of 8 pages */
    const sim_time_t walked = TA + WALK(512, 8) + WALK(512, 0);

    setup(&e, 8);
    i = fx_op_call(e.s, op_zap, &o);
    fx_start(e.s);
    fx_run_until(e.f, 100000);
    /* cpu 3's switch to init_mm (1000) is the slowest target; its IPI
     * leaves after the ICR writes to cpu 2 and to it */
    FX_EQ(e.s->ended[i], walked + FX_IPI_SEND + RT_REMOTE(FX_FULL_FLUSH) + 8 * C_FREE);
    FX_EQ(FX_CPU(e.f, irq_call, 3), 1);
    FX_EQ(FX_CPU(e.f, irq_call, 2), 1);
    FX_EQ(FX_TOTAL(e.f, ipi_sent), 2);
    FX_EQ(e.f->m->cpu[3].loaded_mm, ASID_NONE);
    FX_EQ(fx_count(e.f, 2, 0, V, 8), 0);
    FX_EQ(fx_count(e.f, 2, 0, V + 8, 56), 56);
    assert_non_null(mm_find_vma(e.A, V));
    FX_EQ(mm_find_vma(e.A, V)->end_vpn, V + 1024);
    FX_EQ(fx_pte(e.A, V), 0);
    FX_EQ(e.A->rss_pages, 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 8);
    fx_free(e.f);
}

/* Two threads of A zap the same 8 pages at the same time (H-c3): thread 0
 * (cpu 0) clears them; thread 1 (cpu 1) finds them already none. Thread 1
 * finishes first while thread 0's gather is still in flight, so its
 * tlb_finish_mmu sees tlb_flush_pending 2 and does a full flush of A with
 * freed_tables although it cleared nothing: when its DONTNEED returns, no
 * CPU caches the range (cpu 0 took the IPI in the middle of its walk). By
 * the time thread 0 finishes, thread 1's gather is over: thread 0 does its
 * ordinary range flush, then frees the pages. */
struct nested_arg {
    struct env *e;
    unsigned cached_on_cpu2;
    uint32_t pending_seen;
};

static bool op_after_zap(struct fx_script *s, void *arg)
{
    struct nested_arg *na = arg;

    (void)s;
    na->cached_on_cpu2 = fx_count(na->e->f, 2, 0, V, 8);
    na->pending_seen = na->e->A->tlb_flush_pending;
    return false;
}

static void test_nested_gathers_force_full_flush(void **state)
{
    struct env e;
    struct fx_script *s1;
    struct zap_op o = { ZAP_DONTNEED, V, 8 };
    struct nested_arg na = { &e, 99, 99 };
    unsigned i0, i1;

    setup(&e, 8);
    s1 = fx_task(e.f, 1, e.A, "caller1");
    i0 = fx_op_call(e.s, op_zap, &o);
    i1 = fx_op_call(s1, op_zap, &o);
    (void)fx_op_call(s1, op_after_zap, &na);
    fx_start(e.s);
    fx_start(s1);
    fx_run_until(e.f, 100000);

    assert_true(e.s->done && s1->done);
    FX_EQ(e.s->began[i0], TA);
    FX_EQ(s1->began[i1], TA);
    /* cpu 1 writes ICRs for cpus 0, 2, 3 in turn: cpu 3's (remote, full
     * flush) is the third write and the slowest round trip */
    FX_EQ(s1->ended[i1], TA + WALK(8, 0) + 2 * FX_IPI_SEND + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(na.cached_on_cpu2, 0);
    FX_EQ(na.pending_seen, 1);      /* thread 0 still in its gather */
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_all, 1), 1);   /* thread 1's own flush: full */
    FX_EQ(FX_CPU(e.f, irq_call, 3), 1);                 /* freed_tables: lazy cpu 3 too */
    FX_EQ(FX_CPU(e.f, irq_call, 0), 1);
    FX_EQ(fx_count(e.f, 2, 0, V + 8, 56), 0);           /* a full flush */
    /* thread 0: its walk stretched by the interrupt (entry/exit + full
     * flush), then a range flush (8 INVLPGs on cpu 2 and locally), then
     * the frees */
    FX_EQ(e.s->ended[i0], TA + WALK(8, 8) + FX_IRQ + FX_FULL_FLUSH + RT_REMOTE(8 * FX_INVLPG) +
                              8 * C_FREE);
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_one, 0), 8);
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_all, 0), 0);
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 2);
    FX_EQ(e.A->tlb_flush_pending, 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 8);
    FX_EQ(e.A->tlb_gen, 3);
    fx_free(e.f);
}

/* A lone gather over a range with nothing present flushes nothing. */
static void test_dontneed_of_nothing_does_not_flush(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V + 100, 8 };
    unsigned i;

    setup(&e, 8);
    i = fx_op_call(e.s, op_zap, &o);
    fx_start(e.s);
    fx_run_until(e.f, 100000);
    FX_EQ(e.s->ended[i], TA + WALK(8, 0));
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 0);
    FX_EQ(e.A->tlb_gen, 1);
    FX_EQ(fx_count(e.f, 2, 0, V, 64), 64);
    fx_free(e.f);
}

/* Zapping a shared file mapping: file pages stay in the page cache (not
 * freed); the dirty PTE dirties its folio and forces a flush at the end of
 * the table, before the page table lock is dropped, so tlb_finish_mmu has
 * nothing left to flush (one flush in all). A swap PTE in the range is
 * cleared and its swap cache entry dropped. */
static void test_dontneed_dirty_file_forces_flush_at_table_end(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V + 512, 8 };
    unsigned i;
    uint32_t file;
    struct vma *v;
    pfn_t clean, dirty;

    setup(&e, 0);
    file = machine_new_file(e.f->m, 100, false);
    mm_remove_vma(e.A, V);
    assert_non_null(mm_add_vma(e.A, V, 512, false, false, VMA_READ | VMA_WRITE, 0, 0));
    v = mm_add_vma(e.A, V + 512, 512, true, true, VMA_READ | VMA_WRITE, file, 0);
    assert_non_null(v);
    clean = fx_file_page(e.f, file, 0, 0, true);
    dirty = fx_file_page(e.f, file, 1, 0, true);
    fx_map(e.f, e.A, V + 512, clean, PTE_ACCESSED);
    fx_map(e.f, e.A, V + 513, dirty, PTE_ACCESSED | PTE_WRITE | PTE_DIRTY);
    *mm_pte(e.A, V + 514, true) = pte_make(9, PTE_SWAP);
    pagecache_insert(e.f->m->pc, SWAP_FILE_ID, 9, clean);   /* any frame: only the entry */
    i = fx_op_call(e.s, op_zap, &o);
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(e.s->ended[i], TA + WALK(8, 2) + RT_REMOTE(2 * FX_INVLPG));
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 1);
    FX_EQ(e.A->tlb_gen, 2);
    FX_EQ(mem_frame(e.f->m->mem, dirty)->flags, FRAME_DIRTY);
    FX_EQ(mem_frame(e.f->m->mem, clean)->flags, 0);
    FX_EQ(mem_frame(e.f->m->mem, dirty)->mapcount, 0);
    assert_false(fx_is_free(e.f, dirty));
    assert_false(fx_is_free(e.f, clean));
    FX_EQ(pagecache_lookup(e.f->m->pc, file, 1), dirty);
    FX_EQ(pagecache_lookup(e.f->m->pc, SWAP_FILE_ID, 9), PFN_NONE);
    FX_EQ(fx_pte(e.A, V + 514), 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 0);
    fx_free(e.f);
}

/* mprotect(PROT_READ): PTEs that are already read-only need no flush
 * (pte_needs_flush), so a range without writable PTEs flushes nothing; one
 * writable PTE in the range loses W (keeping D and A) and is flushed (its
 * one page) at the end. Nothing is freed, nothing leaves the page tables. */
static void test_mprotect_flushes_only_if_w_lost(void **state)
{
    for (int one_writable = 0; one_writable < 2; one_writable++) {
        struct env e;
        struct zap_op o = { ZAP_PROTECT_RO, V, 8 };
        unsigned i;

        setup(&e, 0);
        for (unsigned k = 0; k < 8; k++)
            e.p[k] = fx_anon_page(e.f, e.A, V + k, 0,
                                  PTE_ACCESSED | (one_writable && k == 5 ? PTE_WRITE | PTE_DIRTY
                                                                         : 0), true);
        i = fx_op_call(e.s, op_zap, &o);
        fx_start(e.s);
        fx_run_until(e.f, 100000);
        if (one_writable) {
            FX_EQ(e.s->ended[i], TA + WALK(8, 1) + RT_REMOTE(FX_INVLPG));
            FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 1);
            FX_EQ(e.A->tlb_gen, 2);
            FX_EQ(fx_count(e.f, 2, 0, V, 8), 7);
            assert_false(fx_has(e.f, 2, 0, V + 5));
        } else {
            FX_EQ(e.s->ended[i], TA + WALK(8, 0));
            FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 0);
            FX_EQ(e.A->tlb_gen, 1);
            FX_EQ(fx_count(e.f, 2, 0, V, 8), 8);
        }
        for (unsigned k = 0; k < 8; k++)
            FX_EQ(fx_pte(e.A, V + k),
                  pte_make(e.p[k], PTE_PRESENT | PTE_ACCESSED | PTE_MPROTECTED |
                                       (one_writable && k == 5 ? PTE_DIRTY : 0)));
        FX_EQ(FX_CPU(e.f, irq_call, 3), 0);
        FX_EQ(FX_TOTAL(e.f, pgfree), 0);
        FX_EQ(e.A->rss_pages, 8);
        fx_free(e.f);
    }
}

/* H-c1 / H-c4: reclaim cleared A's PTE at V (a swap entry now, its flush
 * deferred: pending 1) while cpu 2 caches V writable and dirty; then
 * mprotect(V, 8). flush_tlb_batched_pending flushes all of A before the
 * walk, so no writable entry outlives the call. With hazards.remove_flush:
 * batched_pending the entry survives the return, and the hazard checker
 * calls a store through it write_after_mprotect (mprotect marked the swap
 * entry too). */
static void test_mprotect_after_reclaim_batch(void **state)
{
    for (int removed = 0; removed < 2; removed++) {
        struct env e;
        struct zap_op o = { ZAP_PROTECT_RO, V, 8 };
        struct hazard_cfg hc;
        struct frame *fr;
        pte_t *pte;

        setup(&e, 0);
        hazard_cfg_defaults(&hc);
        hc.remove_flush = removed ? RF_BATCHED_PENDING : -1;
        hazard_attach(e.f->m, &hc);
        for (unsigned k = 0; k < 8; k++)
            e.p[k] = fx_anon_page(e.f, e.A, V + k, 0, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED,
                                  true);
        fr = mem_frame(e.f->m->mem, e.p[0]);
        fr->flags |= FRAME_SWAPCACHE;
        fr->index = 77;                         /* its swap slot */
        pte = mm_pte(e.A, V, false);
        *pte = pte_make(77, PTE_SWAP);
        e.A->flush_batched_pending = 1;
        tlb_insert(e.f->m->cpu[2].tlb, 0, V, e.p[0], true, true, TLB_STORE);
        fx_op_call(e.s, op_zap, &o);
        fx_start(e.s);
        fx_run_until(e.f, 100000);

        assert_true(e.s->done);
        assert_true(*pte & PTE_MPROTECTED);
        FX_EQ(fx_has(e.f, 2, 0, V), removed);
        FX_EQ(e.A->flush_batched_flushed, removed ? 0 : 1);
        if (removed) {
            hazard_stale_hit(e.f->m, 2, e.A->id, V, e.p[0], TLB_STORE, *pte);
            FX_EQ(hazard_class_count(e.f->m->hazards, HC_WRITE_AFTER_MPROTECT), 1);
        }
        fx_free(e.f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dontneed_ceiling),
        cmocka_unit_test(test_batched_pending_flushes_mm_at_first_table),
        cmocka_unit_test(test_munmap_ipis_lazy_cpus),
        cmocka_unit_test(test_nested_gathers_force_full_flush),
        cmocka_unit_test(test_dontneed_of_nothing_does_not_flush),
        cmocka_unit_test(test_dontneed_dirty_file_forces_flush_at_table_end),
        cmocka_unit_test(test_mprotect_flushes_only_if_w_lost),
        cmocka_unit_test(test_mprotect_after_reclaim_batch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
