/* Shootdown mechanics (models/shootdown.c) against policy-semantics.md §1
 * and §3, which CPUs are interrupted: lazy CPUs (v4.3 / v4.19 / v6.14
 * behaviour: skipped, or IPI'd when tables are freed, catching up at
 * switch_mm), stale mm_cpumask bits and the once-a-second trim (v6.14), and
 * an initiator on a CPU lazy on the mm. The IPI path and the initiator's
 * wait: test_shootdown.c; what each target flushes: test_shootdown_gen.c.
 * Machine and costs: tests/machine_fixture.h; times: tests/shootdown_times.h.
 * Initiators are kernel threads (no mm loaded, so no local flush) starting
 * at FX_KTHREAD_START unless a test says otherwise; ASID slot s is TLB tag s
 * on x86. */
#include "tests/machine_fixture.h"
#include "tests/shootdown_times.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_cpu_skipped_then_catches_up),
        cmocka_unit_test(test_only_lazy_others_no_ipi),
        cmocka_unit_test(test_lazy_cpu_ipid_when_tables_freed),
        cmocka_unit_test(test_lazy_cpu_ipid_v4_3),
        cmocka_unit_test(test_stale_cpumask_bit_cleared_no_flush),
        cmocka_unit_test(test_trim_only_with_other_cpus),
        cmocka_unit_test(test_lazy_initiator_cpu_skipped),
        cmocka_unit_test(test_lazy_initiator_cpu_freed_tables),
        cmocka_unit_test(test_lazy_initiator_cpu_alone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
