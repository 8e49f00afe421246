/* Shootdown mechanics (models/shootdown.c) against policy-semantics.md §1
 * and §3, what each target flushes: the 33-page ceiling (INVLPG up to it, a
 * full flush past it), the tlb_gen skip and the partial-flush rule (a
 * partial flush only when new_gen == local + 1 == gen(mm)), and before
 * v4.13 (no tlb_gen) every request honoured as asked. The IPI path and the
 * initiator's wait: test_shootdown.c; lazy CPUs and stale mm_cpumask bits:
 * test_shootdown_lazy.c.
 * Machine and costs: tests/machine_fixture.h; times: tests/shootdown_times.h.
 * Initiators are kernel threads (no mm loaded, so no local flush) starting
 * at FX_KTHREAD_START unless a test says otherwise; ASID slot s is TLB tag s
 * on x86. */
#include "tests/machine_fixture.h"
#include "tests/shootdown_times.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_33_pages_invlpg),
        cmocka_unit_test(test_ceiling_34_pages_full_flush),
        cmocka_unit_test(test_batch_flush_skips_up_to_date_cpu),
        cmocka_unit_test(test_request_gen_rules),
        cmocka_unit_test(test_two_generations_behind_full_flush),
        cmocka_unit_test(test_no_tlb_gen_before_4_13),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
