/* Reclaim (models/reclaim*.c) after the shrink pass itself: kswapd's
 * balancing to the high watermark, putback order of kept folios, demotion to
 * a CPU-less node, and anon reclaim without swap. The passes themselves are
 * in test_reclaim.c. Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/reclaim_fixture.h"

/* ---- kswapd ---- */

/* Node 0 at 300 free pages (below low 320) with 200 clean file folios:
 * woken, kswapd reclaims whole passes of 32 until the node's free list (the
 * kernel's NR_FREE_PAGES, without pcp frames) is at or above its high
 * watermark (384). It frees to its CPU's pcp list; with pcp_batch 4 and
 * pcp_high 8 the list gives its 4 oldest frames back each time it passes 8,
 * so 8 frames stay there: 3 passes (96 frees), 388 free, 8 on the pcp list,
 * then it sleeps. Woken again above high, it goes back to sleep without
 * scanning. */
static void test_kswapd_stops_at_high_watermark(void **state)
{
    struct kernel_cfg kc;
    struct mm *A;
    struct fx *f;
    struct task *k;
    uint32_t file;
    const sim_time_t pass = C_SCAN + 32 * C_SCAN + 32 * C_FREE;

    kernel_cfg_defaults(&kc);
    kc.pcp_batch = 4;
    kc.pcp_high = 8;
    f = setup(&kc, &A);
    k = f->m->kswapd[0];
    file = machine_new_file(f->m, 300, false);
    for (unsigned i = 0; i < 200; i++)
        fx_file_page(f, file, i, 0, true);
    fx_fill_node(f, 0, 300);
    FX_EQ(k->cpu, 0);
    alloc_wake_kswapd(f->m, 0);
    fx_run_until(f, 1000000);
    FX_EQ(k->state, TASK_SLEEPING);
    FX_EQ(mem_node_free(f->m->mem, 0), 388);
    FX_EQ(mem_pcp_count(f->m->mem, 0, 0), 8);
    FX_EQ(FX_CPU(f, pgscan_kswapd, 0), 96);
    FX_EQ(FX_CPU(f, pgsteal_kswapd, 0), 96);
    FX_EQ(FX_TOTAL(f, pgscan_direct), 0);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 1);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_FILE), 104);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_RECLAIM), 3 * pass);

    alloc_wake_kswapd(f->m, 0);
    fx_run_until(f, 2000000);
    FX_EQ(k->state, TASK_SLEEPING);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 2);
    FX_EQ(FX_CPU(f, pgscan_kswapd, 0), 96);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_RECLAIM), 3 * pass);
    fx_free(f);
}

/* The same node in NUMA tiering mode: kswapd balances to the promo
 * watermark, high + (low - min) = 384 + 64 = 448 (pgdat_balanced, v5.18+),
 * leaving room above high for promotions: 5 passes (160 frees; 152 reach
 * the free list), 452 free, 8 on the pcp list. */
static void test_kswapd_balances_to_promo_when_tiering(void **state)
{
    struct kernel_cfg kc;
    struct mm *A;
    struct fx *f;
    uint32_t file;

    kernel_cfg_defaults(&kc);
    kc.pcp_batch = 4;
    kc.pcp_high = 8;
    kc.numa_tiering = true;
    f = setup(&kc, &A);
    file = machine_new_file(f->m, 300, false);
    for (unsigned i = 0; i < 200; i++)
        fx_file_page(f, file, i, 0, true);
    fx_fill_node(f, 0, 300);
    FX_EQ(mem_wmark(f->m->mem, 0, WMARK_PROMO), 448);
    alloc_wake_kswapd(f->m, 0);
    fx_run_until(f, 1000000);
    FX_EQ(f->m->kswapd[0]->state, TASK_SLEEPING);
    FX_EQ(mem_node_free(f->m->mem, 0), 452);
    FX_EQ(mem_pcp_count(f->m->mem, 0, 0), 8);
    FX_EQ(FX_CPU(f, pgsteal_kswapd, 0), 160);
    fx_free(f);
}

/* ---- putback ---- */

/* Kept folios (young, mapped) stay isolated until the end of the pass and
 * then go back to the head of the inactive list in the order the pass met
 * them (the oldest first, so it ends up deepest), above the folios the pass
 * did not isolate. */
struct putback_probe {
    struct fx *f;
    pfn_t k[3];
    unsigned isolated_at_end;
};

static void probe_putback(struct fx_spy *sp, const struct fx_hook_call *c, struct task *t)
{
    struct putback_probe *pp = sp->arg;

    (void)t;
    if (c->hook != FX_H_FLUSH_PENDING || c->why != FLUSH_END_OF_PASS)
        return;
    for (unsigned i = 0; i < 3; i++)
        pp->isolated_at_end += mem_frame(pp->f->m->mem, pp->k[i])->state == FRAME_ISOLATED;
}

static void test_putback_at_end_of_pass_in_batch_order(void **state)
{
    struct mm *A;
    struct fx *f = setup(NULL, &A);
    struct mm *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "direct");
    struct reclaim_op o = { 0, false, 29 };
    uint32_t file = machine_new_file(f->m, 100, false);
    struct putback_probe pp = { .f = f };
    pfn_t n[4], out[7];
    unsigned idx = 0;

    (void)fx_op_call(s, op_reclaim, &o);
    assert_non_null(mm_add_vma(B, V, 512, true, true, VMA_READ, file, 0));
    for (unsigned i = 0; i < 3; i++) {
        pp.k[i] = fx_file_page(f, file, idx, 0, true);
        fx_map(f, B, V + idx++, pp.k[i], PTE_ACCESSED);
        (void)fx_file_page(f, file, idx++, 0, true);
    }
    for (unsigned i = 0; i < 26; i++)
        (void)fx_file_page(f, file, idx++, 0, true);
    for (unsigned i = 0; i < 4; i++)
        n[i] = fx_file_page(f, file, idx++, 0, true);
    fx_spy(f)->probe = probe_putback;
    fx_spy(f)->arg = &pp;
    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->done);
    FX_EQ(pp.isolated_at_end, 3);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 29);
    FX_EQ(fx_lru_from_tail(f, 0, LRU_INACTIVE_FILE, out, 7), 7);
    for (unsigned i = 0; i < 4; i++)
        FX_EQ(out[i], n[i]);
    for (unsigned i = 0; i < 3; i++) {
        FX_EQ(out[4 + i], pp.k[i]);
        FX_EQ(mem_frame(f->m->mem, pp.k[i])->flags, FRAME_REFERENCED);
    }
    fx_free(f);
}

/* ---- demotion and no swap ---- */

/* Memory tiering: node 1 is CPU-less (all CPUs on node 0), kernel.demotion
 * on, swap off. kswapd of node 0 (at 380 free, below high) demotes its 8
 * cold anon folios to node 1 instead of reclaiming them: one batched
 * migration (the 8 PTEs cleared with the flush deferred, one flush before
 * the copies), PTEs then point to node-1 frames with W/D kept, the old
 * frames are free, pgdemote_kswapd 8; demoted folios count as reclaimed
 * (pgsteal_kswapd includes them, as shrink_inactive_list counts
 * nr_reclaimed, which includes nr_demoted). The 8 old frames go to
 * kswapd's pcp list (below pcp_high), where the watermarks do not count
 * them: the free list stays at 380 and, with nothing left to reclaim,
 * kswapd sleeps. Nothing is written to swap. */
static void test_demotion_to_cpuless_node(void **state)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A;
    pfn_t old[8];

    cfg->node[1].has_cpus = false;
    for (unsigned c = 0; c < cfg->n_cpus; c++)
        cfg->cpu_node[c] = 0;
    kernel_cfg_defaults(&k);
    k.demotion = true;
    k.swap = false;
    f = fx_new(cfg, &k, "batch_full", NULL);
    fx_spy_install(f);
    FX_EQ(f->m->demote_target[0], 1);
    A = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(A, V, 512, false, false, VMA_READ | VMA_WRITE, 0, 0));
    for (unsigned i = 0; i < 8; i++)
        old[i] = fx_anon_page(f, A, V + i, 0, i % 2 ? PTE_WRITE | PTE_DIRTY : PTE_WRITE, true);
    fx_load(f, 1, A, 0, 1, false);
    fx_fill_node(f, 0, 380);
    alloc_wake_kswapd(f->m, 0);
    fx_run_until(f, 1000000);

    FX_EQ(f->m->kswapd[0]->state, TASK_SLEEPING);
    FX_EQ(mem_node_free(f->m->mem, 0), 380);
    FX_EQ(mem_node_pcp(f->m->mem, 0), 8);
    for (unsigned i = 0; i < 8; i++) {
        pfn_t to = (pfn_t)pte_pfn(fx_pte(A, V + i));

        FX_EQ(mem_pfn_node(f->m->mem, to), 1);
        FX_EQ(fx_pte(A, V + i),
              pte_make(to, PTE_PRESENT | PTE_WRITE | (i % 2 ? PTE_DIRTY : 0)));
        assert_true(fx_is_free(f, old[i]));
        assert_true(fx_rmap_has(f, to, A, V + i));
        FX_EQ(mem_frame(f->m->mem, to)->state, FRAME_LRU);
        FX_EQ(mem_frame(f->m->mem, to)->flags & FRAME_LOCKED, 0);
    }
    FX_EQ(FX_TOTAL(f, pgdemote_kswapd), 8);
    FX_EQ(FX_TOTAL(f, pgmigrate_success), 8);
    FX_EQ(FX_TOTAL(f, pgsteal_kswapd), 8);
    FX_EQ(FX_TOTAL(f, pgscan_kswapd), 8);
    FX_EQ(FX_TOTAL(f, pgpgout), 0);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 8);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_CPU(f, irq_call, 1), 1);
    FX_EQ(fx_spy_nth(fx_spy(f), FX_H_FLUSH_PENDING, 0)->why, FLUSH_BEFORE_COPY);
    FX_EQ(A->rss_pages, 8);
    fx_free(f);
}

/* kernel.swap off, no demotion target: direct reclaim never isolates anon
 * (the file list is empty, so each pass isolates nothing) and gives up
 * after 4 empty passes; the anon folios stay mapped on their list. */
static void test_no_swap_anon_not_reclaimed(void **state)
{
    struct kernel_cfg k;
    struct mm *A;
    struct fx *f;
    struct fx_script *s;
    struct reclaim_op o = { 0, false, 32 };
    unsigned i;
    pfn_t p[4];

    kernel_cfg_defaults(&k);
    k.swap = false;
    f = setup(&k, &A);
    s = fx_task(f, 0, NULL, "direct");
    i = fx_op_call(s, op_reclaim, &o);
    for (unsigned j = 0; j < 4; j++)
        p[j] = fx_anon_page(f, A, V + j, 0, PTE_WRITE | PTE_DIRTY, true);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + 4 * C_SCAN);
    FX_EQ(FX_TOTAL(f, pgscan_direct), 0);
    FX_EQ(FX_TOTAL(f, pgsteal_direct), 0);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_ANON), 4);
    for (unsigned j = 0; j < 4; j++) {
        FX_EQ(fx_pte(A, V + j), pte_make(p[j], PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
        FX_EQ(mem_frame(f->m->mem, p[j])->state, FRAME_LRU);
    }
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 0);
    fx_free(f);
}

/* Without swap, an anon folio handed to shrink_folio_list (MADV_PAGEOUT)
 * cannot get a slot: it is activated (add_to_swap fails ->
 * activate_locked), stays mapped, and nothing is flushed. */
static void test_no_swap_list_mode_activates_anon(void **state)
{
    struct kernel_cfg k;
    struct mm *A;
    struct fx *f;
    struct fx_script *s;
    struct list_op l = { .n = 1, .isolate = true };
    unsigned i;

    kernel_cfg_defaults(&k);
    k.swap = false;
    f = setup(&k, &A);
    s = fx_task(f, 0, NULL, "pageout");
    i = fx_op_call(s, op_reclaim_list, &l);
    l.pfn[0] = fx_anon_page(f, A, V, 0, PTE_WRITE | PTE_DIRTY, true);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + C_SCAN);
    FX_EQ(mem_frame(f->m->mem, l.pfn[0])->state, FRAME_LRU);
    FX_EQ(mem_frame(f->m->mem, l.pfn[0])->lru, LRU_ACTIVE_ANON);
    FX_EQ(mem_frame(f->m->mem, l.pfn[0])->flags, FRAME_ANON | FRAME_DIRTY);
    FX_EQ(fx_pte(A, V), pte_make(l.pfn[0], PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
    FX_EQ(FX_TOTAL(f, pgpgout), 0);
    FX_EQ(FX_TOTAL(f, pgactivate), 1);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_CLEARED], 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kswapd_stops_at_high_watermark),
        cmocka_unit_test(test_kswapd_balances_to_promo_when_tiering),
        cmocka_unit_test(test_putback_at_end_of_pass_in_batch_order),
        cmocka_unit_test(test_demotion_to_cpuless_node),
        cmocka_unit_test(test_no_swap_anon_not_reclaimed),
        cmocka_unit_test(test_no_swap_list_mode_activates_anon),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
