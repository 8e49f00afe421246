/* The rules of each flush policy (models/policies/), at the hooks: what is
 * deferred, what forces a flush, which CPUs are interrupted and what each
 * invalidates. pfn_batch flushes when its list reaches batch_pages and each
 * target INVLPGs the listed pages of its mm; dirty_batch flushes once for N
 * dirty folios of a pass (through reclaim itself). arm64_batch, invlpgb,
 * ideal and seed 003 at scale: test_policies_broadcast.c. Machine and
 * costs: tests/machine_fixture.h. Initiators are kernel threads on cpu 0
 * (no mm loaded: no local flush) starting at FX_KTHREAD_START; ASID slot s
 * is TLB tag s on x86, the mm's ASID on arm64. A recorded PTE of page
 * v maps frame 1000 + v, as fx_fill's entries do. */
#include "tests/machine_fixture.h"
#include "tests/policies_fixture.h"

/* ---- pfn_batch ---- */

/* batch_pages 4: three deferred pages send nothing; the fourth fills the
 * list and flushes inside pte_cleared. The non-lazy CPUs of mm_cpumask (1
 * and 5, both on cpu 0's socket) get
 * one IPI each and INVLPG exactly the four pages (their other entries stay);
 * the lazy CPU gets none and keeps its entries behind a stale generation,
 * which the targets' generation advanced past (1 + 4 pages = 5). */
static void test_pfn_batch_flushes_when_full(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "pfn_batch", "batch_pages: 4");
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct clear_run three = { A, 100, 3, false };
    uint64_t ipis_before_full = 99;
    unsigned full;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 5, A, 0, 1, false);
    fx_load(f, 4, A, 0, 1, true);
    fx_fill(f, 1, 0, 100, 8);
    fx_fill(f, 5, 0, 100, 8);
    fx_fill(f, 4, 0, 100, 8);
    fx_op_call(s, clear_pages, &three);
    fx_op_call(s, snap_ipis, &ipis_before_full);
    full = fx_op_pte_cleared(s, A, 103, PTE_AT(103));
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->done);
    FX_EQ(ipis_before_full, 0);
    assert_true(s->waited[full]);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    FX_EQ(FX_CPU(f, ipi_received, 5), 1);
    FX_EQ(FX_CPU(f, ipi_received, 4), 0);
    for (unsigned c = 1; c <= 5; c += 4) {
        FX_EQ(fx_count(f, c, 0, 100, 4), 0);
        FX_EQ(fx_count(f, c, 0, 104, 4), 4);
        FX_EQ(FX_CPU(f, tlb_flush_remote_shootdown, c), 1);
        FX_EQ(f->m->cpu[c].ctx[0].gen, 5);
    }
    FX_EQ(A->tlb_gen, 5);
    FX_EQ(fx_count(f, 4, 0, 100, 8), 8);
    FX_EQ(f->m->cpu[4].ctx[0].gen, 1);
    FX_EQ(FX_TOTAL(f, nr_tlb_local_flush_all), 0);
    /* the slower target is cpu 5: its IPI leaves after the ICR writes to
     * cpu 1 and to it; then delivery, half the entry/exit, 4 INVLPGs, ack */
    FX_EQ(s->ended[full],
          T0 + 2 * FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + 4 * FX_INVLPG + FX_ACK_SOCKET);
    fx_free(f);
}

/* A list longer than the 33-page ceiling is a full flush on each target. */
static void test_pfn_batch_full_flush_past_ceiling(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "pfn_batch", "batch_pages: 40");
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct clear_run run = { A, 100, 39, false };
    unsigned full;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_fill(f, 1, 0, 100, 48);
    fx_op_call(s, clear_pages, &run);
    full = fx_op_pte_cleared(s, A, 139, PTE_AT(139));
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->waited[full]);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    FX_EQ(fx_count(f, 1, 0, 100, 48), 0);
    FX_EQ(f->m->cpu[1].ctx[0].gen, A->tlb_gen);
    FX_EQ(s->ended[full],
          T0 + FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + FX_FULL_FLUSH + FX_ACK_SOCKET);
    fx_free(f);
}

/* The batch is the union of the mms' cpumasks: pages of A (cpu 1) and B
 * (cpus 2, 3) interrupt cpus 1-3, each INVLPGs its own mm's page, and cpu 4
 * (running C, in no batched mask) is left alone. A dirty PTE makes
 * flush_dirty flush; then nothing is left for flush_pending. */
static void test_pfn_batch_union_and_dirty_rule(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "pfn_batch", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m), *C = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    unsigned d, p;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    fx_load(f, 3, B, 1, 1, false);
    fx_load(f, 4, C, 0, 1, false);
    fx_fill(f, 1, 0, 100, 2);
    fx_fill(f, 2, 0, 200, 2);
    fx_fill(f, 3, 1, 200, 2);
    fx_fill(f, 4, 0, 100, 2);
    fx_op_pte_cleared(s, A, 100, PTE_AT(100));
    fx_op_pte_cleared(s, B, 200, PTE_DIRTY_AT(200));
    d = fx_op_flush_dirty(s);
    p = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->waited[d]);
    assert_false(s->waited[p]);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(f, ipi_received), 3);
    FX_EQ(FX_CPU(f, ipi_received, 4), 0);
    assert_false(fx_has(f, 1, 0, 100));
    assert_true(fx_has(f, 1, 0, 101));
    assert_false(fx_has(f, 2, 0, 200));
    assert_false(fx_has(f, 3, 1, 200));
    assert_true(fx_has(f, 3, 1, 201));
    FX_EQ(fx_count(f, 4, 0, 100, 2), 2);
    fx_free(f);
}

/* dirty_rule off: a dirty PTE is deferred past pageout (flush_dirty does
 * nothing); only flush_pending flushes. With no dirty PTE recorded,
 * flush_dirty does nothing either way. */
static void test_pfn_batch_dirty_rule_off(void **state)
{
    const char *params[] = { "dirty_rule: off", NULL };

    (void)state;
    for (unsigned k = 0; k < 2; k++) {
        struct fx *f = fx_new(fx_cfg_x86(), NULL, "pfn_batch", params[k]);
        struct mm *A = machine_new_mm(f->m);
        struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
        unsigned d, p;

        fx_load(f, 1, A, 0, 1, false);
        fx_op_pte_cleared(s, A, 100, k ? PTE_AT(100) : PTE_DIRTY_AT(100));
        d = fx_op_flush_dirty(s);
        p = fx_op_flush_pending(s);
        fx_start(s);
        fx_run_until(f, END);

        assert_false(s->waited[d]);
        assert_true(s->waited[p]);
        FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
        fx_free(f);
    }
}

/* The target's generation advances only over the run of consecutive
 * generations it flushed: our pages are gens 2, 3 and 5, another
 * initiator's unflushed page is gen 4, so cpu 1 INVLPGs our three pages and
 * stops at gen 3 (it will catch up on 4 through its own flush, or at a
 * switch). Pages its generation already covers are skipped. */
struct gap_ctx {
    struct mm *mm;
    struct cpumask mask;
};

static bool flush_with_gap(struct fx_script *s, void *arg)
{
    struct gap_ctx *g = arg;
    const struct sd_page pages[] = {
        { g->mm, 99, 1 }, { g->mm, 100, 2 }, { g->mm, 101, 3 }, { g->mm, 103, 5 },
    };

    g->mm->tlb_gen = 5;
    return sd_flush_pages(s->t->m, s->t, &g->mask, pages, 4, false);
}

static void test_pfn_batch_generation_gap(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "pfn_batch", NULL);
    struct gap_ctx g = { .mm = machine_new_mm(f->m) };
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    unsigned i;

    (void)state;
    cpumask_init(&g.mask, f->m->n_cpus);
    cpumask_set(&g.mask, 1);
    fx_load(f, 1, g.mm, 0, 1, false);
    fx_fill(f, 1, 0, 99, 6);
    i = fx_op_call(s, flush_with_gap, &g);
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->waited[i]);
    assert_true(fx_has(f, 1, 0, 99));       /* gen 1: covered already */
    assert_false(fx_has(f, 1, 0, 100));
    assert_false(fx_has(f, 1, 0, 101));
    assert_true(fx_has(f, 1, 0, 102));      /* gen 4: not in this list */
    assert_false(fx_has(f, 1, 0, 103));
    FX_EQ(f->m->cpu[1].ctx[0].gen, 3);
    FX_EQ(s->ended[i],
          T0 + FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + 3 * FX_INVLPG + FX_ACK_SOCKET);
    cpumask_destroy(&g.mask);
    fx_free(f);
}

/* ---- dirty_batch, through reclaim ---- */

/* n dirty anon pages of mm, mapped writable and isolated for reclaim. */
static void map_dirty_pages(struct fx *f, struct mm *mm, uint64_t vpn0, unsigned n, pfn_t *out)
{
    struct machine *m = f->m;

    assert_non_null(mm_add_vma(mm, vpn0, n, false, false, VMA_READ | VMA_WRITE, 0, 0));
    for (unsigned i = 0; i < n; i++) {
        pfn_t pfn = mem_alloc(m->mem, 0, 0);
        struct frame *fr = mem_frame(m->mem, pfn);

        assert_int_not_equal(pfn, PFN_NONE);
        fr->flags |= FRAME_ANON;
        fr->owner = mm->id;
        fr->index = (uint32_t)(vpn0 + i);
        mem_rmap_add(m->mem, pfn, mm->id, vpn0 + i);
        *mm_pte(mm, vpn0 + i, true) = pte_make(pfn, PTE_PRESENT | PTE_WRITE | PTE_ACCESSED |
                                                         PTE_DIRTY);
        mm->rss_pages++;
        mem_lru_add(m->mem, pfn, LRU_INACTIVE_ANON);
        mem_lru_del(m->mem, pfn);
        fr->flags |= FRAME_LOCKED;
        out[i] = pfn;
    }
}

struct reclaim_arg {
    pfn_t pfns[16];
    unsigned n;
};

static bool do_reclaim(struct fx_script *s, void *arg)
{
    struct reclaim_arg *r = arg;

    reclaim_list_start(s->t, r->pfns, r->n, fx_script_run);
    return true;
}

/* One shrink_folio_list pass over 8 dirty folios of an mm running on cpus
 * 1-3: mainline flushes before each pageout (8 rounds of 3 IPIs); per_page
 * at each unmap (8 rounds); dirty_batch keeps them locked and flushes once
 * for all 8 (1 round), and nothing is left at the end of the pass. All
 * page out the 8 folios. */
static void test_dirty_batch_one_flush_for_n_dirty(void **state)
{
    static const struct { const char *policy; uint64_t rounds; } c[] = {
        { "batch_full", 8 }, { "per_page", 8 }, { "dirty_batch", 1 },
    };

    (void)state;
    for (unsigned k = 0; k < 3; k++) {
        struct fx *f = fx_new(fx_cfg_x86(), NULL, c[k].policy, NULL);
        struct mm *A = machine_new_mm(f->m);
        struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
        struct reclaim_arg r = { .n = 8 };

        for (unsigned cpu = 1; cpu <= 3; cpu++)
            fx_load(f, cpu, A, 0, 1, false);
        map_dirty_pages(f, A, 0x1000, r.n, r.pfns);
        fx_op_call(s, do_reclaim, &r);
        fx_start(s);
        fx_run_until(f, END);

        assert_true(s->done);
        FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), c[k].rounds);
        FX_EQ(FX_TOTAL(f, ipi_received), 3 * c[k].rounds);
        FX_EQ(FX_TOTAL(f, pgpgout), 8);
        FX_EQ(FX_TOTAL(f, pages_unmapped), 8);
        fx_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pfn_batch_flushes_when_full),
        cmocka_unit_test(test_pfn_batch_full_flush_past_ceiling),
        cmocka_unit_test(test_pfn_batch_union_and_dirty_rule),
        cmocka_unit_test(test_pfn_batch_dirty_rule_off),
        cmocka_unit_test(test_pfn_batch_generation_gap),
        cmocka_unit_test(test_dirty_batch_one_flush_for_n_dirty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
