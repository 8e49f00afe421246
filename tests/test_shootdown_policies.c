/* The batch_full and per_page policies on x86 and arm64's broadcast TLBI +
 * DSB, against policy-semantics.md §1 and §3 (the shared mechanics are in
 * test_shootdown.c, test_shootdown_gen.c and test_shootdown_lazy.c).
 * Machine and costs: tests/machine_fixture.h; times: tests/shootdown_times.h. */
#include "tests/machine_fixture.h"
#include "tests/shootdown_times.h"

/* ---- batch_full ---- */

/* cpus 1, 2 run A; cpu 3 runs B; cpu 2 also holds B in slot 1 (stale bit in
 * B's mask); cpu 5 runs C, not batched. Each caches 8 pages per slot. */
struct batch_world {
    struct fx *f;
    struct mm *A, *B, *C;
};

static void batch_setup(struct batch_world *w, const char *params)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", params);

    w->f = f;
    w->A = machine_new_mm(f->m);
    w->B = machine_new_mm(f->m);
    w->C = machine_new_mm(f->m);
    fx_load(f, 1, w->A, 0, 1, false);
    fx_load(f, 2, w->A, 0, 1, false);
    fx_slot(f, 2, w->B, 1, 1);
    cpumask_set(&w->B->cpumask, 2);
    fx_load(f, 3, w->B, 0, 1, false);
    fx_load(f, 5, w->C, 0, 1, false);
    for (unsigned c = 1; c <= 5; c++)
        fx_fill(f, c, 0, 10, 8);
    fx_fill(f, 2, 1, 10, 8);
}

static void test_batch_full_union_one_ipi_per_cpu(void **state)
{
    struct batch_world w;
    struct fx *f;
    struct fx_script *s;
    unsigned p[3], fl, again;

    batch_setup(&w, NULL);
    f = w.f;
    s = fx_task(f, 0, NULL, "kswapd-like");
    p[0] = fx_op_pte_cleared(s, w.A, 10, PTE_OLD(77));
    p[1] = fx_op_pte_cleared(s, w.A, 11, PTE_OLD(78));
    p[2] = fx_op_pte_cleared(s, w.B, 12, PTE_OLD(79));
    fl = fx_op_flush_pending(s);
    again = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, 100000);

    for (unsigned k = 0; k < 3; k++) {
        assert_false(s->waited[p[k]]);
        FX_EQ(s->ended[p[k]], T0);
        FX_EQ(s->cost[p[k]], 0);
    }
    FX_EQ(w.A->tlb_gen, 3);
    FX_EQ(w.B->tlb_gen, 2);
    FX_EQ(w.A->flush_batched_pending, 2);
    FX_EQ(w.B->flush_batched_pending, 1);
    assert_true(s->waited[fl]);
    FX_EQ(s->ended[fl], T0 + SEND_AFTER(3) + RT_REMOTE(FX_FULL_FLUSH));
    assert_false(s->waited[again]);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(f, ipi_sent), 3);
    FX_EQ(FX_CPU(f, irq_call, 1) + FX_CPU(f, irq_call, 2) + FX_CPU(f, irq_call, 3), 3);
    FX_EQ(FX_CPU(f, irq_call, 5), 0);
    FX_EQ(FX_TOTAL(f, tlb_flush_remote_shootdown), 3);
    FX_EQ(fx_count(f, 1, 0, 10, 8), 0);
    FX_EQ(fx_count(f, 2, 0, 10, 8), 0);
    FX_EQ(fx_count(f, 2, 1, 10, 8), 8);     /* B's slot on cpu 2: not loaded */
    FX_EQ(fx_count(f, 3, 0, 10, 8), 0);
    FX_EQ(fx_count(f, 5, 0, 10, 8), 8);
    FX_EQ(f->m->cpu[1].ctx[0].gen, 3);
    FX_EQ(f->m->cpu[3].ctx[0].gen, 2);
    /* cpu 2 catches up on B when it switches to it */
    FX_EQ(switch_mm_to(f->m, &f->m->cpu[2], w.B), FX_FULL_FLUSH);
    FX_EQ(fx_count(f, 2, 1, 10, 8), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 2), 1);
    fx_free(f);
}

/* dirty_rule on: flush_dirty does nothing until a dirty PTE was batched,
 * then flushes the whole batch; flush_pending has nothing left. */
static void test_batch_full_flush_dirty_rule_on(void **state)
{
    struct batch_world w;
    struct fx *f;
    struct fx_script *s;
    unsigned d1, d2, fp;

    batch_setup(&w, "dirty_rule: on");
    f = w.f;
    s = fx_task(f, 0, NULL, "kswapd-like");
    fx_op_pte_cleared(s, w.A, 10, PTE_OLD(77));
    d1 = fx_op_flush_dirty(s);
    fx_op_pte_cleared(s, w.A, 11, PTE_OLD(78) | PTE_DIRTY);
    d2 = fx_op_flush_dirty(s);
    fp = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, 100000);

    assert_false(s->waited[d1]);
    FX_EQ(s->ended[d1], T0);
    assert_true(s->waited[d2]);
    FX_EQ(s->ended[d2], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    assert_false(s->waited[fp]);
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 1);
    FX_EQ(fx_count(f, 1, 0, 10, 8), 0);
    fx_free(f);
}

/* dirty_rule off (the seeds' race): flush_dirty never flushes. */
static void test_batch_full_flush_dirty_rule_off(void **state)
{
    struct batch_world w;
    struct fx *f;
    struct fx_script *s;
    unsigned d, fp;

    batch_setup(&w, "dirty_rule: off");
    f = w.f;
    s = fx_task(f, 0, NULL, "kswapd-like");
    fx_op_pte_cleared(s, w.A, 11, PTE_OLD(78) | PTE_DIRTY);
    d = fx_op_flush_dirty(s);
    fp = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, 100000);

    assert_false(s->waited[d]);
    assert_true(s->waited[fp]);
    FX_EQ(s->began[fp], T0);
    FX_EQ(s->ended[fp], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    fx_free(f);
}

/* A PTE that was not present was not cached: nothing batched. */
static void test_batch_full_not_present_not_batched(void **state)
{
    struct batch_world w;
    struct fx *f;
    struct fx_script *s;
    unsigned p, fp;

    batch_setup(&w, NULL);
    f = w.f;
    s = fx_task(f, 0, NULL, "kswapd-like");
    p = fx_op_pte_cleared(s, w.A, 10, pte_make(5, PTE_SWAP));
    fp = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, 100000);
    assert_false(s->waited[p]);
    assert_false(s->waited[fp]);
    FX_EQ(w.A->tlb_gen, 1);
    FX_EQ(w.A->flush_batched_pending, 0);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    fx_free(f);
}

/* should_defer_flush is false when no other CPU is in mm_cpumask: the PTE
 * is flushed at once (locally), nothing is left for flush_pending. */
static void test_batch_full_no_other_cpu_flushes_now(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, A, "app");
    unsigned p, fp;

    fx_op_call(s, fill_cpu0_asid0, NULL);
    p = fx_op_pte_cleared(s, A, 500, PTE_OLD(9));
    fp = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->waited[p]);
    FX_EQ(s->ended[p], FX_APP_START + FX_INVLPG);
    assert_false(s->waited[fp]);
    FX_EQ(A->flush_batched_pending, 0);
    FX_EQ(fx_count(f, 0, 0, 500, 4), 3);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    fx_free(f);
}

/* ---- per_page ---- */

static void test_per_page_present_flushes_sync(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "per_page", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned p = fx_op_pte_cleared(s, A, 100, PTE_OLD(5));
    unsigned q = fx_op_pte_cleared(s, A, 101, pte_make(6, PTE_SWAP));
    unsigned fp = fx_op_flush_pending(s);

    fx_load(f, 1, A, 0, 1, false);
    fx_fill(f, 1, 0, 100, 2);
    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->waited[p]);
    FX_EQ(s->ended[p], T0 + RT_SOCKET(FX_INVLPG));
    assert_false(s->waited[q]);
    assert_false(s->waited[fp]);
    FX_EQ(A->tlb_gen, 2);
    FX_EQ(FX_TOTAL(f, ipi_sent), 1);
    assert_false(fx_has(f, 1, 0, 100));
    assert_true(fx_has(f, 1, 0, 101));
    fx_free(f);
}

/* The task is blocked (spinning in CT_FLUSH_WAIT) while the IPI is out. */
static bool check_blocked(struct fx_script *s, void *arg)
{
    struct fx *f = s->f;
    struct task *t = s->t;

    (void)arg;
    assert_true(f->m->policy->pte_cleared(f->m->policy_priv, t, t->m->mms[1], 100,
                                          PTE_OLD(5), &s->cost[0]));
    assert_true(t->blocked);
    FX_EQ(f->m->cpu[t->cpu].cat, CT_FLUSH_WAIT);
    return true;
}

static void test_per_page_blocks_task(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "per_page", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned i = fx_op_call(s, check_blocked, NULL);

    fx_load(f, 1, A, 0, 1, false);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + RT_SOCKET(FX_INVLPG));
    assert_false(s->t->blocked);
    fx_free(f);
}

/* ---- arm64 ---- */

/* Every CPU caches A (asid 1) pages 50..51 and 60..63; cpu 3 also B (asid 2). */
static struct fx *arm64_setup(struct mm **A, struct mm **B, const char *policy)
{
    struct fx *f = fx_new(fx_cfg_arm64(), NULL, policy, NULL);

    *A = machine_new_mm(f->m);
    *B = machine_new_mm(f->m);
    FX_EQ((*A)->asid, 1);
    FX_EQ((*B)->asid, 2);
    for (unsigned c = 0; c < 8; c++) {
        fx_load(f, c, *A, 0, 0, false);
        fx_fill(f, c, 1, 50, 2);
        fx_fill(f, c, 1, 60, 4);
    }
    fx_fill(f, 3, 2, 50, 2);
    return f;
}

/* After the TLBI, before any DSB: the architecture promises nothing yet,
 * so every TLB still holds the entry (shootdown_tlbi.c). */
static bool check_tlbi_issued(struct fx_script *s, void *arg)
{
    struct fx *f = s->f;

    (void)arg;
    for (unsigned c = 0; c < 8; c++)
        assert_true(fx_has(f, c, 1, 50));
    FX_EQ(f->m->cpu[0].n_tlbi_q, 1);
    FX_EQ(f->m->cpu[0].tlbi_outstanding, 1);
    FX_EQ(FX_CPU(f, tlbi_broadcast, 0), 1);
    f->m->cpu[5].tlbi_outstanding = 2;     /* another CPU broadcasting */
    return false;
}

/* The DSB completed cpu 0's TLBI in every TLB, for A's ASID only. */
static bool cpu5_done(struct fx_script *s, void *arg)
{
    struct fx *f = s->f;

    (void)arg;
    for (unsigned c = 0; c < 8; c++) {
        assert_false(fx_has(f, c, 1, 50));
        assert_true(fx_has(f, c, 1, 51));
    }
    assert_true(fx_has(f, 3, 2, 50));
    FX_EQ(f->m->cpu[0].n_tlbi_q, 0);
    FX_EQ(s->f->m->cpu[0].tlbi_outstanding, 0);
    s->f->m->cpu[5].tlbi_outstanding = 0;
    return false;
}

static void test_arm64_tlbi_and_dsb(void **state)
{
    struct mm *A, *B;
    struct fx *f = arm64_setup(&A, &B, "batch_full");
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned ti = fx_op_tlbi(s, A, 50);
    unsigned d1, d2, d3;
    const sim_time_t dsb1 = FX_DSB_BASE + FX_DSB_PER_CPU * 8 + FX_DSB_PER_TLBI * 1 +
                            FX_DSB_CONCURRENT * 1;
    const sim_time_t dsb3 = FX_DSB_BASE + FX_DSB_PER_CPU * 8;

    fx_op_call(s, check_tlbi_issued, NULL);
    d1 = fx_op_dsb(s, false);
    fx_op_call(s, cpu5_done, NULL);
    d2 = fx_op_dsb(s, false);
    d3 = fx_op_dsb(s, true);
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(s->cost[ti], FX_TLBI);
    assert_true(s->waited[d1]);
    FX_EQ(s->ended[d1], T0 + dsb1);
    assert_false(s->waited[d2]);
    assert_true(s->waited[d3]);
    FX_EQ(s->ended[d3], T0 + dsb1 + dsb3);
    FX_EQ(FX_CPU(f, dsb_ish, 0), 2);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(FX_TOTAL(f, irq_call), 0);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_DSB_STALL), dsb1 + dsb3);
    fx_free(f);
}

/* sd_flush_mm_range on arm64: TLBI per page, then one DSB whose stall
 * includes the TLBIs' issue time; past 512 pages one ASID-wide TLBI. */
static void test_arm64_flush_range(void **state)
{
    struct mm *A, *B;
    struct fx *f = arm64_setup(&A, &B, "batch_full");
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned r1 = fx_op_flush_range(s, A, 60, 3, false);
    unsigned r2 = fx_op_flush_range(s, A, 0, 513, false);
    const sim_time_t c1 = 3 * FX_TLBI + FX_DSB_BASE + FX_DSB_PER_CPU * 8 + 3 * FX_DSB_PER_TLBI;
    const sim_time_t c2 = FX_TLBI + FX_DSB_BASE + FX_DSB_PER_CPU * 8 + FX_DSB_PER_TLBI;

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[r1], T0 + c1);
    FX_EQ(s->ended[r2], T0 + c1 + c2);
    FX_EQ(FX_CPU(f, tlbi_broadcast, 0), 4);
    FX_EQ(FX_CPU(f, dsb_ish, 0), 2);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_count(f, c, 1, 50, 2) + fx_count(f, c, 1, 60, 4), 0);
    FX_EQ(fx_count(f, 3, 2, 50, 2), 2);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(A->tlb_gen, 1);
    fx_free(f);
}

/* batch_full on arm64: TLBI at unmap (cost reported to the caller, no wait),
 * one DSB at the flush point. */
static void test_arm64_batch_full(void **state)
{
    struct mm *A, *B;
    struct fx *f = arm64_setup(&A, &B, "batch_full");
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned p1 = fx_op_pte_cleared(s, A, 60, PTE_OLD(1));
    unsigned p2 = fx_op_pte_cleared(s, A, 61, PTE_OLD(2));
    unsigned fp = fx_op_flush_pending(s);
    unsigned fp2 = fx_op_flush_pending(s);
    const sim_time_t dsb = FX_DSB_BASE + FX_DSB_PER_CPU * 8 + 2 * FX_DSB_PER_TLBI;

    fx_start(s);
    fx_run_until(f, 100000);
    assert_false(s->waited[p1]);
    assert_false(s->waited[p2]);
    FX_EQ(s->cost[p1], FX_TLBI);
    FX_EQ(s->cost[p2], FX_TLBI);
    assert_true(s->waited[fp]);
    FX_EQ(s->ended[fp], T0 + dsb);
    assert_false(s->waited[fp2]);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_count(f, c, 1, 60, 4), 2);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_full_union_one_ipi_per_cpu),
        cmocka_unit_test(test_batch_full_flush_dirty_rule_on),
        cmocka_unit_test(test_batch_full_flush_dirty_rule_off),
        cmocka_unit_test(test_batch_full_not_present_not_batched),
        cmocka_unit_test(test_batch_full_no_other_cpu_flushes_now),
        cmocka_unit_test(test_per_page_present_flushes_sync),
        cmocka_unit_test(test_per_page_blocks_task),
        cmocka_unit_test(test_arm64_tlbi_and_dsb),
        cmocka_unit_test(test_arm64_flush_range),
        cmocka_unit_test(test_arm64_batch_full),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
