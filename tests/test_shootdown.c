/* Shootdown mechanics (models/shootdown.c) against policy-semantics.md §1
 * and §3, the IPI path: IPI coalescing through the csd queues, the serial
 * ICR writes (physical and x2APIC cluster mode) and the initiator's exact
 * wait, its local flush overlapping the remote ones. What each target
 * flushes (the 33-page ceiling, tlb_gen): test_shootdown_gen.c; which CPUs
 * are interrupted (lazy CPUs, stale mm_cpumask bits):
 * test_shootdown_lazy.c; the policies and arm64: test_shootdown_policies.c.
 * Machine and costs: tests/machine_fixture.h; times: tests/shootdown_times.h.
 * Initiators are kernel threads (no mm loaded, so no local flush) starting
 * at FX_KTHREAD_START unless a test says otherwise; ASID slot s is TLB tag s
 * on x86. */
#include "tests/machine_fixture.h"
#include "tests/shootdown_times.h"

/* ---- IPIs and csd queues ---- */

/* Two initiators flush the same target before its interrupt runs: one IPI,
 * one interrupt, two requests handled in it. The first finds the target two
 * generations behind (gen 1, mm at 3) and does a full flush; the second is
 * then covered (new_gen 3 <= local 3). Both initiators wake after it. */
static void test_ipi_coalescing(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s0 = fx_task(f, 0, NULL, "init0"), *s1 = fx_task(f, 1, NULL, "init1");
    unsigned i0 = fx_op_flush_range(s0, A, 100, 1, false);
    unsigned i1 = fx_op_flush_range(s1, A, 101, 1, false);
    const sim_time_t done = T0 + RT_REMOTE(FX_FULL_FLUSH);

    fx_load(f, 2, A, 0, 1, false);
    fx_fill(f, 2, 0, 100, 8);
    fx_start(s0);
    fx_start(s1);
    fx_run_until(f, 100000);

    assert_true(s0->done && s1->done);
    assert_true(s0->waited[i0] && s1->waited[i1]);
    FX_EQ(s0->began[i0], T0);
    FX_EQ(s1->began[i1], T0);
    FX_EQ(s0->ended[i0], done);
    FX_EQ(s1->ended[i1], done);
    FX_EQ(FX_TOTAL(f, ipi_sent), 1);
    FX_EQ(FX_CPU(f, ipi_sent, 0), 1);
    FX_EQ(FX_TOTAL(f, irq_call), 1);
    FX_EQ(FX_CPU(f, irq_call, 2), 1);
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 2);
    FX_EQ(FX_CPU(f, nr_tlb_remote_flush_received, 2), 2);
    /* irq_tlb_count (the TLB row) counts handler calls, as the kernel's. */
    FX_EQ(FX_CPU(f, ipi_received, 2), 2);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 2), 1);
    FX_EQ(FX_CPU(f, tlb_flush_remote_shootdown, 2), 1);
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_all, 2), 0);
    FX_EQ(A->tlb_gen, 3);
    FX_EQ(f->m->cpu[2].ctx[0].gen, 3);
    FX_EQ(fx_count(f, 2, 0, 100, 8), 0);
    FX_EQ(fx_latency(f)->count, 2);
    FX_EQ(fx_latency(f)->min, done - T0);
    FX_EQ(fx_latency(f)->max, done - T0);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 2, CT_IRQ), FX_IRQ + FX_FULL_FLUSH);
    FX_EQ(fx_cpu_time(f, 0, CT_FLUSH_WAIT), done - T0);
    fx_free(f);
}

/* The initiator's ICR writes are serial. cpu 2 (socket 1) flushes one page
 * of A on cpus 0, 1 (socket 0, one generation behind: INVLPG) and 3, 6, 7
 * (its own socket, two behind: full flush). Physical mode: one write per
 * target in CPU order, the k-th target's IPI leaves k writes after the
 * issue. x2APIC cluster mode with 4 CPUs per cluster (here one per socket:
 * {0, 1, 4, 5}, {2, 3, 6, 7}): one write per cluster, 2 instead of 5, so
 * cpus 3, 6, 7 get theirs after the second write instead of the 3rd to 5th.
 * Each target's interrupt ends at issue + its writes + delivery + entry/exit
 * + handler; the initiator resumes at the last ack (cpu 7: same socket, full
 * flush, the last write). */
static void test_ipi_send_serial_cluster_mode(void **state)
{
    static const unsigned tgt[5] = { 0, 1, 3, 6, 7 };
    static const sim_time_t writes_phys[5] = { 1, 2, 3, 4, 5 };
    static const sim_time_t writes_cluster[5] = { 1, 1, 2, 2, 2 };

    (void)state;
    for (unsigned cluster = 0; cluster < 2; cluster++) {
        struct machine_cfg *cfg = fx_cfg_x86();
        struct fx *f;
        struct mm *A;
        struct fx_script *s;
        const sim_time_t *writes = cluster ? writes_cluster : writes_phys;
        unsigned i;

        cfg->ipi_cluster_cpus = cluster ? 4 : 0;
        f = fx_new(cfg, NULL, "batch_full", NULL);
        A = machine_new_mm(f->m);
        s = fx_task(f, 2, NULL, "init");
        i = fx_op_flush_range(s, A, 300, 1, false);
        A->tlb_gen = 2;
        fx_load(f, 0, A, 0, 2, false);
        fx_load(f, 1, A, 0, 2, false);
        fx_load(f, 3, A, 0, 1, false);
        fx_load(f, 6, A, 0, 1, false);
        fx_load(f, 7, A, 0, 1, false);
        fx_start(s);
        fx_run_until(f, 100000);

        assert_true(s->waited[i]);
        FX_EQ(FX_TOTAL(f, ipi_sent), 5);
        FX_EQ(FX_CPU(f, ipi_sent, 2), 5);
        for (unsigned k = 0; k < 5; k++)
            FX_EQ(FX_CPU(f, irq_call, tgt[k]), 1);
        FX_EQ(f->m->cpu[0].irq_busy_until,
              T0 + writes[0] * FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ + FX_INVLPG);
        FX_EQ(f->m->cpu[1].irq_busy_until,
              T0 + writes[1] * FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ + FX_INVLPG);
        FX_EQ(f->m->cpu[3].irq_busy_until,
              T0 + writes[2] * FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ + FX_FULL_FLUSH);
        FX_EQ(f->m->cpu[6].irq_busy_until,      /* cpu 2's SMT sibling */
              T0 + writes[3] * FX_IPI_SEND + FX_DELIVER_SMT + FX_IRQ + FX_FULL_FLUSH);
        FX_EQ(f->m->cpu[7].irq_busy_until,
              T0 + writes[4] * FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ + FX_FULL_FLUSH);
        FX_EQ(s->ended[i], T0 + SEND_AFTER(writes[4]) + RT_SOCKET(FX_FULL_FLUSH));
        FX_EQ(s->ended[i], cluster ? T0 + 2 * FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 +
                                         FX_FULL_FLUSH + FX_ACK_SOCKET
                                   : T0 + 5 * FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 +
                                         FX_FULL_FLUSH + FX_ACK_SOCKET);
        FX_EQ(A->tlb_gen, 3);
        fx_free(f);
    }
}

/* ---- the initiator's wait ---- */

/* One target, one page: the initiator resumes at issue + delivery + half the
 * interrupt entry/exit + INVLPG + ack; the histogram gets that latency. */
static sim_time_t one_target_wait(unsigned target)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 100, 1, false);
    sim_time_t wait;

    fx_load(f, target, A, 0, 1, false);
    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->waited[i]);
    FX_EQ(s->began[i], T0);
    wait = s->ended[i] - s->began[i];
    FX_EQ(fx_latency(f)->count, 1);
    FX_EQ(fx_latency(f)->min, wait);
    FX_EQ(fx_latency(f)->max, wait);
    FX_EQ(FX_CPU(f, ipi_sent, 0), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FLUSH_WAIT), wait);
    fx_free(f);
    return wait;
}

static void test_initiator_wait_exact(void **state)
{
    sim_time_t same = one_target_wait(1), remote = one_target_wait(2), smt = one_target_wait(4);

    FX_EQ(same, RT_SOCKET(FX_INVLPG));
    FX_EQ(remote, RT_REMOTE(FX_INVLPG));
    FX_EQ(smt, RT_SMT(FX_INVLPG));
    FX_EQ(remote - same, (FX_DELIVER_REMOTE - FX_DELIVER_SOCKET) + (FX_ACK_REMOTE - FX_ACK_SOCKET));
}

/* Only the initiator runs the mm: a local INVLPG as a step, no IPI, no
 * latency sample. */
static void test_local_only_flush(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, A, "app");
    unsigned i;

    fx_op_call(s, fill_cpu0_asid0, NULL);
    i = fx_op_flush_range(s, A, 500, 1, false);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->began[i], FX_APP_START);
    assert_true(s->waited[i]);
    FX_EQ(s->ended[i], FX_APP_START + FX_INVLPG);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_one, 0), 1);
    FX_EQ(FX_CPU(f, tlb_flush_local_mm_shootdown, 0), 1);   /* local, user mm: reason 3 */
    FX_EQ(FX_TOTAL(f, nr_tlb_remote_flush), 0);
    FX_EQ(fx_latency(f)->count, 0);
    FX_EQ(fx_count(f, 0, 0, 500, 4), 3);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FLUSH_LOCAL), FX_INVLPG);
    fx_free(f);
}

/* After the task's switch_mm (which sets its slot to the mm's gen). */
static bool bump_gen(struct fx_script *s, void *arg)
{
    struct mm *mm = arg;

    (void)s;
    mm->tlb_gen++;
    return false;
}

/* The local flush overlaps the remote ones: the initiator resumes at the
 * later of (sends + local flush) and the last ack. */
static void test_local_flush_overlaps_remote(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, A, "app");
    struct cpumask mask;
    unsigned i;

    cpumask_init(&mask, 8);
    cpumask_set(&mask, 0);
    cpumask_set(&mask, 4);
    fx_op_call(s, fill_cpu0_asid0, NULL);
    fx_op_call(s, bump_gen, A);      /* the batch's pending unmap of A */
    i = fx_op_flush_batch(s, &mask);
    fx_load(f, 4, B, 0, 1, false);   /* SMT sibling runs B: up to date */
    fx_start(s);
    fx_run_until(f, 100000);

    /* the sibling's ack comes at +RT_SMT(0) = 450, the local full flush ends
     * at +100 (one send) + 1000 */
    FX_EQ(s->ended[i], FX_APP_START + FX_IPI_SEND + FX_FULL_FLUSH);
    FX_EQ(fx_count(f, 0, 0, 500, 4), 0);
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_all, 0), 1);
    FX_EQ(FX_CPU(f, tlb_flush_local_shootdown, 0), 1);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 4), 1);
    FX_EQ(f->m->cpu[0].ctx[0].gen, 2);
    FX_EQ(fx_latency(f)->max, FX_IPI_SEND + FX_FULL_FLUSH);
    cpumask_destroy(&mask);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipi_coalescing),
        cmocka_unit_test(test_ipi_send_serial_cluster_mode),
        cmocka_unit_test(test_initiator_wait_exact),
        cmocka_unit_test(test_local_only_flush),
        cmocka_unit_test(test_local_flush_overlaps_remote),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
