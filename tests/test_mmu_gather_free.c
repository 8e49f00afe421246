/* mmu_gather paths (models/mmu_gather.c) against policy-semantics.md §2 and
 * mm/memory.c, mm/mmu_gather.c, when the pages a gather unmapped are freed:
 * MADV_DONTNEED clears the PTEs, flushes once and frees anon pages only
 * after that flush completes ("unhook -> invalidate -> free"); pages still
 * in a CPU's LRU-add batch are held until then, pages reclaim has isolated
 * are marked and left to reclaim, and a page whose last reference is the
 * LRU-add batch is freed when the batch drains. When a gather flushes and
 * whom it interrupts: test_mmu_gather.c.
 * The caller is a scripted thread of mm A on cpu 0 (running A in slot 0 at
 * generation 1 from FX_APP_START); cpu 2 runs A (slot 0, gen 1) and caches
 * the range; cpu 3 is lazy with A loaded (tests/mmu_gather_fixture.h).
 * Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/mmu_gather_fixture.h"

#include "models/alloc.h"

struct free_probe {
    struct env *e;
    unsigned n;
    unsigned free_seen;         /* frames found free by the probe */
    unsigned present_seen;      /* PTEs found present */
};

static void probe_frames(struct fx *f, void *arg)
{
    struct free_probe *fp = arg;

    for (unsigned i = 0; i < fp->n; i++) {
        fp->free_seen += fx_is_free(f, fp->e->p[i]);
        fp->present_seen += pte_present(fx_pte(fp->e->A, V + i));
    }
}

/* MADV_DONTNEED of 8 anon pages: one walk, then one range flush at the end
 * (gen 1 -> 2): cpu 2 INVLPGs the 8 pages (its other entries stay), cpu 0
 * does the same locally, lazy cpu 3 is left alone (no tables freed). The
 * pages are freed only once the flush has completed: a probe just before
 * finds the PTEs cleared and every frame still allocated. */
static void test_dontneed_flushes_once_then_frees(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V, 8 };
    unsigned i;
    const sim_time_t flush_at = TA + WALK(8, 8), flushed = flush_at + RT_REMOTE(8 * FX_INVLPG);
    struct free_probe before = { &e, 8, 0, 0 }, after = { &e, 8, 0, 0 };

    setup(&e, 8);
    i = fx_op_call(e.s, op_zap, &o);
    fx_probe_at(e.f, flushed - 1, probe_frames, &before);
    fx_probe_at(e.f, flushed + 1, probe_frames, &after);
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(e.s->ended[i], flushed + 8 * C_FREE);
    FX_EQ(before.present_seen, 0);
    FX_EQ(before.free_seen, 0);
    FX_EQ(after.free_seen, 8);
    FX_EQ(e.A->tlb_gen, 2);
    FX_EQ(e.A->tlb_flush_pending, 0);
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(e.f, ipi_sent), 1);
    FX_EQ(FX_CPU(e.f, irq_call, 2), 1);
    FX_EQ(FX_CPU(e.f, irq_call, 3), 0);
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_one, 0), 8);
    FX_EQ(FX_CPU(e.f, nr_tlb_local_flush_all, 0), 0);
    FX_EQ(fx_count(e.f, 2, 0, V, 8), 0);
    FX_EQ(fx_count(e.f, 2, 0, V + 8, 56), 56);
    FX_EQ(fx_latency(e.f)->count, 1);
    for (unsigned k = 0; k < 8; k++) {
        FX_EQ(fx_pte(e.A, V + k), 0);
        assert_true(fx_is_free(e.f, e.p[k]));
    }
    FX_EQ(e.A->rss_pages, 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 8);
    /* flush_tlb_batched_pending ran once (one table), nothing pending */
    FX_EQ(fx_spy(e.f)->n[FX_H_BATCHED_PENDING], 1);
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_BATCHED_PENDING, 0)->at, TA);
    fx_free(e.f);
}

struct drain_probe {
    struct env *e;
    unsigned cpu, n, free_after_drain;
};

static void drain_then_look(struct fx *f, void *arg)
{
    struct drain_probe *dp = arg;

    (void)lru_add_drain(f->m, dp->cpu);
    for (unsigned i = 0; i < dp->n; i++)
        dp->free_after_drain += fx_is_free(f, dp->e->p[i]);
}

/* Pages still in a CPU's LRU-add batch (faulted in, not yet on a list) when
 * MADV_DONTNEED unmaps them: the gather holds them until its flush, so a
 * drain of that batch before the flush (cpu 1 entering reclaim) must not
 * free them; they go on the LRU and the gather frees them after the flush.
 * (A drain that freed them let cpu 2 read freed pages: hazard checker.) */
static void test_dontneed_holds_pages_of_an_lru_add_batch(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V, 8 };
    const sim_time_t flush_at = TA + WALK(8, 8), flushed = flush_at + RT_REMOTE(8 * FX_INVLPG);
    struct drain_probe dp = { &e, 1, 8, 0 };
    struct machine *m;
    unsigned i;

    setup(&e, 0);
    m = e.f->m;
    for (unsigned k = 0; k < 8; k++) {
        e.p[k] = fx_anon_page(e.f, e.A, V + k, 0, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, false);
        m->lru_add_buf[(size_t)1 * m->kcfg.lru_add_batch + k] = e.p[k];
    }
    m->lru_add_len[1] = 8;
    fx_fill(e.f, 2, 0, V, 8);
    i = fx_op_call(e.s, op_zap, &o);
    fx_probe_at(e.f, flushed - 1, drain_then_look, &dp);
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(dp.free_after_drain, 0);
    FX_EQ(m->lru_add_len[1], 0);
    /* freed after the flush (later still by the drain's hold of lru_lock) */
    assert_true(e.s->ended[i] >= flushed + 8 * C_FREE);
    for (unsigned k = 0; k < 8; k++) {
        assert_true(fx_is_free(e.f, e.p[k]));
        assert_false(mem_frame(m->mem, e.p[k])->flags & FRAME_GATHERED);
    }
    FX_EQ(FX_TOTAL(e.f, pgfree), 8);
    fx_free(e.f);
}

struct mark_probe {
    struct env *e;
    unsigned marked;
};

static void count_marked(struct fx *f, void *arg)
{
    struct mark_probe *mp = arg;

    for (unsigned i = 0; i < 4; i++)
        mp->marked += !!(mem_frame(f->m->mem, mp->e->p[i])->flags & FRAME_GATHERED);
}

/* Pages reclaim had isolated when MADV_DONTNEED unmapped them: the gather
 * marks them (reclaim must not free them before the flush: it keeps a
 * marked folio, see reclaim_free_page) and drops the mark once flushed,
 * leaving them to reclaim, which still holds them. */
static void test_dontneed_marks_pages_reclaim_holds(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V, 4 };
    const sim_time_t flush_at = TA + WALK(4, 4), flushed = flush_at + RT_REMOTE(4 * FX_INVLPG);
    struct mark_probe before = { &e, 0 };
    struct machine *m;

    setup(&e, 4);
    m = e.f->m;
    for (unsigned k = 0; k < 4; k++)
        mem_lru_del(m->mem, e.p[k]);            /* isolated by reclaim */
    fx_op_call(e.s, op_zap, &o);
    fx_probe_at(e.f, flushed - 1, count_marked, &before);
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(before.marked, 4);
    for (unsigned k = 0; k < 4; k++) {
        const struct frame *fr = mem_frame(m->mem, e.p[k]);

        FX_EQ(fr->state, FRAME_ISOLATED);
        assert_false(fr->flags & FRAME_GATHERED);
    }
    FX_EQ(FX_TOTAL(e.f, pgfree), 0);
    fx_free(e.f);
}

/* An anon page zapped while still in the CPU's LRU-add batch (a fault just
 * mapped it): the batch holds the last reference, so the page is freed
 * when the batch drains (folio_batch_move_lru drops it), never put on the
 * LRU as an unmapped anon page (which reclaim would then write to swap). */
static void test_dontneed_of_page_in_lru_add_batch(void **state)
{
    struct env e;
    struct zap_op o = { ZAP_DONTNEED, V, 1 };
    unsigned i;
    pfn_t p;

    setup(&e, 0);
    p = fx_anon_page(e.f, e.A, V, 0, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, false);
    lru_add(e.f->m, 0, p);
    i = fx_op_call(e.s, op_zap, &o);
    fx_start(e.s);
    fx_run_until(e.f, 100000);
    FX_EQ(e.s->ended[i], TA + WALK(1, 1) + RT_REMOTE(FX_INVLPG));
    FX_EQ(fx_pte(e.A, V), 0);
    FX_EQ(mem_frame(e.f->m->mem, p)->mapcount, 0);
    lru_add_drain(e.f->m, 0);
    assert_true(fx_is_free(e.f, p));
    FX_EQ(mem_lru_len(e.f->m->mem, 0, LRU_INACTIVE_ANON), 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 1);
    fx_free(e.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dontneed_flushes_once_then_frees),
        cmocka_unit_test(test_dontneed_holds_pages_of_an_lru_add_batch),
        cmocka_unit_test(test_dontneed_marks_pages_reclaim_holds),
        cmocka_unit_test(test_dontneed_of_page_in_lru_add_batch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
