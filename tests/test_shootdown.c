/* Shootdown mechanics (models/shootdown.c) against policy-semantics.md §1
 * and §3: IPI coalescing through the csd queues, the 33-page ceiling, the
 * tlb_gen skip and the partial-flush rule, lazy CPUs (v4.3 / v4.19 / v6.14
 * behaviour), stale mm_cpumask bits and the initiator's exact wait (the
 * policies and arm64: test_shootdown_policies.c).
 * Machine and costs: tests/machine_fixture.h. Initiators are kernel threads
 * (no mm loaded, so no local flush) starting at FX_KTHREAD_START unless a
 * test says otherwise; ASID slot s is TLB tag s on x86. */
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

/* ---- the 33-page ceiling ---- */

/* CPU 2 runs A in slot 1 and holds B in slot 0, 41 pages of each cached. */
static struct fx *ceiling_setup(struct mm **A, struct mm **B)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);

    *A = machine_new_mm(f->m);
    *B = machine_new_mm(f->m);
    fx_slot(f, 2, *B, 0, 1);
    fx_load(f, 2, *A, 1, 1, false);
    fx_fill(f, 2, 1, 1000, 41);
    fx_fill(f, 2, 0, 1000, 41);
    return f;
}

static void test_ceiling_33_pages_invlpg(void **state)
{
    struct mm *A, *B;
    struct fx *f = ceiling_setup(&A, &B);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 1000, FX_CEILING, false);

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + RT_REMOTE(FX_CEILING * FX_INVLPG));
    FX_EQ(fx_count(f, 2, 1, 1000, FX_CEILING), 0);
    FX_EQ(fx_count(f, 2, 1, 1000 + FX_CEILING, 41 - FX_CEILING), 41 - FX_CEILING);
    FX_EQ(fx_count(f, 2, 0, 1000, 41), 41);
    FX_EQ(FX_CPU(f, tlb_flush_remote_shootdown, 2), 1);
    FX_EQ(f->m->cpu[2].ctx[1].gen, 2);
    FX_EQ(f->m->cpu[2].ctx[0].gen, 1);
    fx_free(f);
    (void)B;
}

static void test_ceiling_34_pages_full_flush(void **state)
{
    struct mm *A, *B;
    struct fx *f = ceiling_setup(&A, &B);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 1000, FX_CEILING + 1, false);

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(fx_count(f, 2, 1, 1000, 41), 0);
    /* PCID: the full flush drops only the loaded ASID. */
    FX_EQ(fx_count(f, 2, 0, 1000, 41), 41);
    FX_EQ(FX_CPU(f, tlb_flush_remote_shootdown, 2), 1);
    FX_EQ(f->m->cpu[2].ctx[1].gen, 2);
    fx_free(f);
    (void)B;
}

/* ---- tlb_gen ---- */

/* An mm-less batch flush: cpu 1 (A, gen == gen(A)) skips; cpu 2 (B, one
 * behind) does a full flush. Both take the interrupt. */
static void test_batch_flush_skips_up_to_date_cpu(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    struct cpumask mask;
    unsigned i;

    cpumask_init(&mask, 8);
    cpumask_set(&mask, 1);
    cpumask_set(&mask, 2);
    i = fx_op_flush_batch(s, &mask);
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    B->tlb_gen = 2;
    fx_fill(f, 1, 0, 200, 8);
    fx_fill(f, 2, 0, 200, 8);
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(s->ended[i], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, irq_call, 1), 1);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 1), 1);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 2), 0);
    FX_EQ(fx_count(f, 1, 0, 200, 8), 8);
    FX_EQ(fx_count(f, 2, 0, 200, 8), 0);
    FX_EQ(f->m->cpu[2].ctx[0].gen, 2);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ);
    FX_EQ(fx_cpu_time(f, 2, CT_IRQ), FX_IRQ + FX_FULL_FLUSH);
    cpumask_destroy(&mask);
    fx_free(f);
}

/* The target side directly: a request whose new_gen <= local gen skips; one
 * that brings the CPU exactly to gen(mm) invalidates its page; a batch
 * request (new_gen 0) to an up-to-date CPU skips. */
static void test_request_gen_rules(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct flush_req r = { .mm = A, .start_vpn = 10, .end_vpn = 11, .new_gen = 3 };
    struct flush_req batch = { .mm = NULL, .start_vpn = 0, .end_vpn = FLUSH_ALL };

    fx_load(f, 1, A, 0, 3, false);
    A->tlb_gen = 4;
    fx_fill(f, 1, 0, 10, 2);

    FX_EQ(sd_handle_request(f->m, 1, &r, false), 0);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 1), 1);
    FX_EQ(f->m->cpu[1].ctx[0].gen, 3);
    assert_true(fx_has(f, 1, 0, 10));

    r.new_gen = 4;      /* == local + 1 == gen(A): INVLPG */
    FX_EQ(sd_handle_request(f->m, 1, &r, false), FX_INVLPG);
    FX_EQ(f->m->cpu[1].ctx[0].gen, 4);
    assert_false(fx_has(f, 1, 0, 10));
    assert_true(fx_has(f, 1, 0, 11));

    FX_EQ(sd_handle_request(f->m, 1, &r, false), 0);     /* now covered */
    FX_EQ(sd_handle_request(f->m, 1, &batch, false), 0); /* up to date */
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 1), 3);
    FX_EQ(FX_CPU(f, nr_tlb_remote_flush_received, 1), 4);
    assert_true(fx_has(f, 1, 0, 11));

    /* local == initiator's own CPU: no received counters, local counters. */
    A->tlb_gen = 5;
    r.new_gen = 5;
    r.start_vpn = 11;
    r.end_vpn = 12;
    FX_EQ(sd_handle_request(f->m, 1, &r, true), FX_INVLPG);
    FX_EQ(FX_CPU(f, nr_tlb_remote_flush_received, 1), 4);
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_one, 1), 1);
    FX_EQ(FX_CPU(f, tlb_flush_local_mm_shootdown, 1), 1);   /* local, user mm: reason 3 */
    assert_false(fx_has(f, 1, 0, 11));
    fx_free(f);
}

/* A flush of one page: cpu 1 is one generation behind (INVLPG), cpu 2 two
 * behind (full flush, kernel rule: partial only when new_gen == local + 1
 * == gen(mm)). */
static void test_two_generations_behind_full_flush(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 300, 1, false);

    A->tlb_gen = 2;
    fx_load(f, 1, A, 0, 2, false);
    fx_load(f, 2, A, 0, 1, false);
    fx_fill(f, 1, 0, 300, 4);
    fx_fill(f, 2, 0, 300, 4);
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(A->tlb_gen, 3);
    FX_EQ(s->ended[i], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(fx_count(f, 1, 0, 300, 4), 3);
    assert_false(fx_has(f, 1, 0, 300));
    FX_EQ(fx_count(f, 2, 0, 300, 4), 0);
    FX_EQ(f->m->cpu[1].ctx[0].gen, 3);
    FX_EQ(f->m->cpu[2].ctx[0].gen, 3);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ + FX_INVLPG);
    FX_EQ(fx_cpu_time(f, 2, CT_IRQ), FX_IRQ + FX_FULL_FLUSH);
    fx_free(f);
}

/* Before v4.13 (no tlb_gen) every request is honoured as asked: a CPU two
 * generations behind still does INVLPG, an up-to-date one still flushes. */
static void test_no_tlb_gen_before_4_13(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A;
    struct fx_script *s;
    unsigned i;

    kernel_cfg_defaults(&k);
    k.tlb_gen = false;
    f = fx_new(fx_cfg_x86(), &k, "batch_full", NULL);
    A = machine_new_mm(f->m);
    s = fx_task(f, 0, NULL, "init");
    i = fx_op_flush_range(s, A, 300, 1, false);
    A->tlb_gen = 2;
    fx_load(f, 2, A, 0, 1, false);
    fx_fill(f, 2, 0, 300, 4);
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(s->ended[i], T0 + RT_REMOTE(FX_INVLPG));
    FX_EQ(fx_count(f, 2, 0, 300, 4), 3);
    FX_EQ(FX_TOTAL(f, shootdown_skipped_gen), 0);
    fx_free(f);
}

/* ---- lazy CPUs ---- */

/* cpu 1 runs A; cpu 2 is lazy on A; both cache A's pages 100..107. */
static struct fx *lazy_setup(const struct kernel_cfg *k, struct mm **A)
{
    struct fx *f = fx_new(fx_cfg_x86(), k, "batch_full", NULL);

    *A = machine_new_mm(f->m);
    fx_load(f, 1, *A, 0, 1, false);
    fx_load(f, 2, *A, 0, 1, true);
    fx_fill(f, 1, 0, 100, 8);
    fx_fill(f, 2, 0, 100, 8);
    return f;
}

/* v4.19+: no IPI to a lazy CPU for a range flush; it catches up with a full
 * flush when it switches back to the mm (switch_mm leaving lazy mode). */
static void test_lazy_cpu_skipped_then_catches_up(void **state)
{
    struct mm *A;
    struct fx *f = lazy_setup(NULL, &A);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 100, 1, false);
    struct cpu *c2 = &f->m->cpu[2];

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + RT_SOCKET(FX_INVLPG));
    FX_EQ(FX_TOTAL(f, ipi_sent), 1);
    FX_EQ(FX_CPU(f, irq_call, 2), 0);
    FX_EQ(c2->loaded_mm, A->id);
    assert_true(c2->is_lazy);
    FX_EQ(fx_count(f, 2, 0, 100, 8), 8);
    FX_EQ(fx_count(f, 1, 0, 100, 8), 7);

    FX_EQ(switch_mm_to(f->m, c2, A), FX_FULL_FLUSH);
    assert_false(c2->is_lazy);
    FX_EQ(fx_count(f, 2, 0, 100, 8), 0);
    FX_EQ(c2->ctx[0].gen, 2);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 2), 1);
    fx_free(f);
}

/* The only other CPU in the mask is lazy: nothing to send, nothing to wait
 * for, but native_flush_tlb_multi still counts a remote flush. */
static void test_only_lazy_others_no_ipi(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 100, 1, false);

    fx_load(f, 2, A, 0, 1, true);
    fx_fill(f, 2, 0, 100, 2);
    fx_start(s);
    fx_run_until(f, 100000);
    assert_false(s->waited[i]);
    FX_EQ(s->ended[i], T0);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(FX_CPU(f, nr_tlb_remote_flush, 0), 1);
    FX_EQ(FX_CPU(f, tlb_flush_remote_send_ipi, 0), 1);
    FX_EQ(fx_count(f, 2, 0, 100, 2), 2);
    FX_EQ(fx_latency(f)->count, 0);
    fx_free(f);
}

/* freed_tables: the lazy CPU is interrupted and switches to init_mm (its
 * ASID's entries go; v6.14 keeps its mm_cpumask bit). Switching back finds
 * the slot behind and flushes. */
static void test_lazy_cpu_ipid_when_tables_freed(void **state)
{
    struct mm *A;
    struct fx *f = lazy_setup(NULL, &A);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i = fx_op_flush_range(s, A, 100, 1, true);
    struct cpu *c2 = &f->m->cpu[2];

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, irq_call, 2), 1);
    FX_EQ(c2->loaded_mm, ASID_NONE);
    assert_false(c2->is_lazy);
    FX_EQ(fx_count(f, 2, 0, 100, 8), 0);
    FX_EQ(fx_count(f, 1, 0, 100, 8), 7);
    assert_true(cpumask_test(&A->cpumask, 2));
    FX_EQ(c2->ctx[0].gen, 1);

    fx_fill(f, 2, 0, 100, 2);   /* stale entries must not survive the switch */
    FX_EQ(switch_mm_to(f->m, c2, A), FX_FULL_FLUSH);
    FX_EQ(c2->loaded_mm, A->id);
    FX_EQ(c2->loaded_asid, 0);
    FX_EQ(c2->ctx[0].gen, 2);
    FX_EQ(fx_count(f, 2, 0, 100, 2), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 2), 1);
    fx_free(f);
}

/* v4.3 (no tlb_gen, no PCID, lazy CPUs IPI'd, bits cleared on switch): the
 * lazy CPU takes the IPI for a plain range flush, leaves the mm and drops
 * out of its cpumask. */
static void test_lazy_cpu_ipid_v4_3(void **state)
{
    struct kernel_cfg k;
    struct mm *A;
    struct fx *f;
    struct fx_script *s;
    struct cpu *c2;
    unsigned i;

    kernel_cfg_defaults(&k);
    k.tlb_gen = false;
    k.pcid = false;
    k.skip_lazy_ipi = false;
    k.lazy_cpumask = false;
    f = lazy_setup(&k, &A);
    c2 = &f->m->cpu[2];
    s = fx_task(f, 0, NULL, "init");
    i = fx_op_flush_range(s, A, 100, 1, false);
    fx_start(s);
    fx_run_until(f, 100000);

    FX_EQ(s->ended[i], T0 + SEND_AFTER(2) + RT_REMOTE(FX_FULL_FLUSH));
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, irq_call, 2), 1);
    FX_EQ(c2->loaded_mm, ASID_NONE);
    assert_false(cpumask_test(&A->cpumask, 2));
    assert_true(cpumask_test(&A->cpumask, 1));
    FX_EQ(fx_count(f, 2, 0, 100, 8), 0);
    /* no PCID: switching back always flushes, and sets the bit again */
    FX_EQ(switch_mm_to(f->m, c2, A), FX_FULL_FLUSH);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 2), 1);
    assert_true(cpumask_test(&A->cpumask, 2));
    fx_free(f);
}


/* ---- stale mm_cpumask bits (v6.14) ---- */

static bool set_cpu3_in_A(struct fx_script *s, void *arg)
{
    struct mm *A = arg;

    /* the first flush's IPI cleared it */
    assert_false(cpumask_test(&A->cpumask, 3));
    cpumask_set(&A->cpumask, 3);
    return false;
}

/* cpu 3 switched from A (slot 1) to B (slot 0) and kept A's bit. The first
 * flush of the second trims: cpu 3 gets the IPI, clears its bit, flushes
 * nothing. A second flush in the same second does not trim: no IPI. */
static void test_stale_cpumask_bit_cleared_no_flush(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "init");
    unsigned i1, i2;
    struct cpu *c3 = &f->m->cpu[3];

    i1 = fx_op_flush_range(s, A, 100, 1, false);
    fx_op_call(s, set_cpu3_in_A, A);
    i2 = fx_op_flush_range(s, A, 101, 1, false);
    fx_load(f, 1, A, 0, 1, false);
    fx_slot(f, 3, A, 1, 1);
    cpumask_set(&A->cpumask, 3);
    fx_load(f, 3, B, 0, 1, false);
    fx_fill(f, 3, 0, 100, 8);
    fx_fill(f, 3, 1, 100, 8);
    fx_start(s);
    fx_run_until(f, 100000);

    /* cpu 3 (remote, no handler work) is the slower of the two */
    FX_EQ(s->ended[i1], T0 + SEND_AFTER(2) + RT_REMOTE(0));
    FX_EQ(s->ended[i2], s->ended[i1] + RT_SOCKET(FX_INVLPG));
    FX_EQ(FX_CPU(f, irq_call, 3), 1);
    FX_EQ(FX_CPU(f, shootdown_stale_cpumask, 3), 1);
    FX_EQ(FX_TOTAL(f, ipi_sent), 3);
    FX_EQ(FX_CPU(f, tlb_flush, 3), 0);
    FX_EQ(fx_count(f, 3, 0, 100, 8), 8);
    FX_EQ(fx_count(f, 3, 1, 100, 8), 8);
    FX_EQ(A->next_trim_ns, T0 + SIM_S);
    FX_EQ(c3->ctx[1].gen, 1);
    /* ... and A's stale slot is flushed when cpu 3 switches back */
    FX_EQ(switch_mm_to(f->m, c3, A), FX_FULL_FLUSH);
    FX_EQ(c3->loaded_asid, 1);
    FX_EQ(fx_count(f, 3, 1, 100, 8), 0);
    FX_EQ(fx_count(f, 3, 0, 100, 8), 8);
    fx_free(f);
}

static bool stale_cpu3_in_A(struct fx_script *s, void *arg)
{
    struct mm *A = arg;
    struct mm *B = s->f->m->mms[2];

    FX_EQ(A->next_trim_ns, 0);      /* the local-only flush did not trim */
    fx_load(s->f, 3, B, 0, 1, false);
    cpumask_set(&A->cpumask, 3);
    return false;
}

/* should_trim_cpumask is evaluated only when other CPUs are in the mask
 * (policy-semantics.md §1 (iii)): a local-only flush does not use up the
 * once-a-second trim. */
static void test_trim_only_with_other_cpus(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, A, "app");
    unsigned i1, i2;

    machine_new_mm(f->m);   /* B, id 2 */
    fx_op_call(s, fill_cpu0_asid0, NULL);
    i1 = fx_op_flush_range(s, A, 500, 1, false);
    fx_op_call(s, stale_cpu3_in_A, A);
    i2 = fx_op_flush_range(s, A, 501, 1, false);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i1], FX_APP_START + FX_INVLPG);
    FX_EQ(s->began[i2], FX_APP_START + FX_INVLPG);
    FX_EQ(A->next_trim_ns, s->began[i2] + SIM_S);
    FX_EQ(FX_CPU(f, irq_call, 3), 1);
    FX_EQ(FX_CPU(f, shootdown_stale_cpumask, 3), 1);
    assert_false(cpumask_test(&A->cpumask, 3));
    /* local INVLPG (overlapping the send) vs cpu 3's round trip */
    FX_EQ(s->ended[i2], s->began[i2] + RT_REMOTE(0));
    fx_free(f);
}

/* kswapd-like initiator on a CPU lazy on A (a thread of A ran there): with
 * other CPUs to interrupt, its own CPU is skipped like any lazy CPU
 * (should_flush_tlb) and stays lazy on A with its entries; with
 * freed_tables it leaves A; alone in the mask it runs the handler directly,
 * which switches it to init_mm. */
static struct fx *lazy_initiator(struct mm **A, bool with_cpu1)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);

    *A = machine_new_mm(f->m);
    fx_load(f, 0, *A, 0, 1, false);     /* enters lazy mode as the kthread starts */
    fx_fill(f, 0, 0, 100, 4);
    if (with_cpu1) {
        fx_load(f, 1, *A, 0, 1, false);
        fx_fill(f, 1, 0, 100, 4);
    }
    return f;
}

static void test_lazy_initiator_cpu_skipped(void **state)
{
    struct mm *A;
    struct fx *f = lazy_initiator(&A, true);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    struct cpumask mask;
    unsigned i, j;

    cpumask_init(&mask, 8);
    cpumask_set(&mask, 0);
    cpumask_set(&mask, 1);
    i = fx_op_flush_range(s, A, 100, 1, false);
    j = fx_op_flush_batch(s, &mask);
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], T0 + RT_SOCKET(FX_INVLPG));
    /* cpu 1 is up to date for the batch: interrupt, no flush */
    FX_EQ(s->ended[j], s->ended[i] + RT_SOCKET(0));
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 1), 1);
    assert_true(f->m->cpu[0].is_lazy);
    FX_EQ(f->m->cpu[0].loaded_mm, A->id);
    FX_EQ(fx_count(f, 0, 0, 100, 4), 4);
    FX_EQ(FX_CPU(f, tlb_flush, 0), 2);      /* the two remote_send_ipi events */
    FX_EQ(FX_CPU(f, tlb_flush_local_shootdown, 0), 0);
    FX_EQ(fx_count(f, 1, 0, 100, 4), 3);
    cpumask_destroy(&mask);
    fx_free(f);
}

static void test_lazy_initiator_cpu_freed_tables(void **state)
{
    struct mm *A;
    struct fx *f = lazy_initiator(&A, true);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned i = fx_op_flush_range(s, A, 100, 1, true);

    fx_start(s);
    fx_run_until(f, 100000);
    /* the local switch to init_mm (1000) ends after cpu 1's ack (560) */
    FX_EQ(s->ended[i], T0 + FX_IPI_SEND + FX_FULL_FLUSH);
    FX_EQ(f->m->cpu[0].loaded_mm, ASID_NONE);
    FX_EQ(fx_count(f, 0, 0, 100, 4), 0);
    fx_free(f);
}

static void test_lazy_initiator_cpu_alone(void **state)
{
    struct mm *A;
    struct fx *f = lazy_initiator(&A, false);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd-like");
    unsigned i = fx_op_flush_range(s, A, 100, 1, false);

    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->waited[i]);
    FX_EQ(s->ended[i], T0 + FX_FULL_FLUSH);
    FX_EQ(f->m->cpu[0].loaded_mm, ASID_NONE);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    fx_free(f);
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
        cmocka_unit_test(test_ceiling_33_pages_invlpg),
        cmocka_unit_test(test_ceiling_34_pages_full_flush),
        cmocka_unit_test(test_batch_flush_skips_up_to_date_cpu),
        cmocka_unit_test(test_request_gen_rules),
        cmocka_unit_test(test_two_generations_behind_full_flush),
        cmocka_unit_test(test_no_tlb_gen_before_4_13),
        cmocka_unit_test(test_lazy_cpu_skipped_then_catches_up),
        cmocka_unit_test(test_only_lazy_others_no_ipi),
        cmocka_unit_test(test_lazy_cpu_ipid_when_tables_freed),
        cmocka_unit_test(test_lazy_cpu_ipid_v4_3),
        cmocka_unit_test(test_stale_cpumask_bit_cleared_no_flush),
        cmocka_unit_test(test_trim_only_with_other_cpus),
        cmocka_unit_test(test_lazy_initiator_cpu_skipped),
        cmocka_unit_test(test_lazy_initiator_cpu_freed_tables),
        cmocka_unit_test(test_lazy_initiator_cpu_alone),
        cmocka_unit_test(test_initiator_wait_exact),
        cmocka_unit_test(test_local_only_flush),
        cmocka_unit_test(test_local_flush_overlaps_remote),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
