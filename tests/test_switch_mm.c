/* switch_mm and lazy TLB mode (models/switch_mm.c) against
 * policy-semantics.md §1 "Context switch and lazy mode": x86 PCID slots
 * with a generation each (a flush only when a slot is new or behind; other
 * slots' entries survive), round-robin slot reuse, mm_cpumask kept (v6.14)
 * or cleared (before) on switching away, leaving lazy mode, the lazy CPU's
 * switch to init_mm, no PCID (every CR3 write flushes), and arm64's global
 * ASIDs. Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"

static struct fx *new_fx(const struct kernel_cfg *k)
{
    return fx_new(fx_cfg_x86(), k, "batch_full", NULL);
}

/* A fresh CPU switching to A takes slot 0 and flushes it (whatever a
 * previous user of the slot left there goes). */
static void test_new_mm_takes_slot_and_flushes(void **state)
{
    struct fx *f = new_fx(NULL);
    struct mm *A = machine_new_mm(f->m);
    struct cpu *c = &f->m->cpu[1];

    fx_fill(f, 1, 0, 10, 4);
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH);
    FX_EQ(c->loaded_mm, A->id);
    FX_EQ(c->loaded_asid, 0);
    assert_false(c->is_lazy);
    FX_EQ(c->ctx[0].mm_id, A->id);
    FX_EQ(c->ctx[0].gen, 1);
    assert_true(cpumask_test(&A->cpumask, 1));
    FX_EQ(fx_count(f, 1, 0, 10, 4), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 1);
    FX_EQ(FX_CPU(f, tlb_flush, 1), 1);
    /* the tracepoint only: switch_mm counts no vmstat flush event */
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_all, 1), 0);
    FX_EQ(switch_mm_asid_of(f->m, c, A), 0);
    fx_free(f);
}

/* A -> B -> A with A up to date: B gets slot 1; back in A no flush, A's
 * entries survive (PCID), the CR3 write is still paid. */
static void test_switch_back_up_to_date_keeps_entries(void **state)
{
    struct fx *f = new_fx(NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct cpu *c = &f->m->cpu[1];

    switch_mm_to(f->m, c, A);
    fx_fill(f, 1, 0, 10, 4);
    FX_EQ(switch_mm_to(f->m, c, B), FX_FULL_FLUSH);
    FX_EQ(c->loaded_asid, 1);
    fx_fill(f, 1, 1, 10, 4);
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH);
    FX_EQ(c->loaded_asid, 0);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 4);
    FX_EQ(fx_count(f, 1, 1, 10, 4), 4);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 2);
    /* v6.14: switching away leaves the bits set */
    assert_true(cpumask_test(&A->cpumask, 1));
    assert_true(cpumask_test(&B->cpumask, 1));
    /* switching to the loaded, non-lazy mm is a no-op */
    FX_EQ(switch_mm_to(f->m, c, A), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 2);
    fx_free(f);
}

/* A's generation moved while the CPU ran B: switching back flushes A's
 * slot only and catches its generation up. */
static void test_switch_back_stale_flushes_slot(void **state)
{
    struct fx *f = new_fx(NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct cpu *c = &f->m->cpu[1];

    switch_mm_to(f->m, c, A);
    fx_fill(f, 1, 0, 10, 4);
    switch_mm_to(f->m, c, B);
    fx_fill(f, 1, 1, 10, 4);
    A->tlb_gen = 5;
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH);
    FX_EQ(c->ctx[0].gen, 5);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 0);
    FX_EQ(fx_count(f, 1, 1, 10, 4), 4);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 3);
    fx_free(f);
}

/* Seven mms on six slots: the seventh evicts slot 0 (round-robin) and the
 * first mm, switched to again, needs a new slot and a flush. */
static void test_seven_mms_reuse_slots_round_robin(void **state)
{
    struct fx *f = new_fx(NULL);
    struct cpu *c = &f->m->cpu[1];
    struct mm *mm[7];

    for (unsigned i = 0; i < 7; i++)
        mm[i] = machine_new_mm(f->m);
    for (unsigned i = 0; i < 6; i++) {
        switch_mm_to(f->m, c, mm[i]);
        FX_EQ(c->loaded_asid, i);
        fx_fill(f, 1, (uint16_t)i, 10, 2);
    }
    switch_mm_to(f->m, c, mm[6]);
    FX_EQ(c->loaded_asid, 0);
    FX_EQ(c->ctx[0].mm_id, mm[6]->id);
    FX_EQ(fx_count(f, 1, 0, 10, 2), 0);
    FX_EQ(switch_mm_asid_of(f->m, c, mm[0]), ASID_NONE);
    FX_EQ(switch_mm_to(f->m, c, mm[0]), FX_FULL_FLUSH);
    FX_EQ(c->loaded_asid, 1);
    FX_EQ(fx_count(f, 1, 1, 10, 2), 0);
    FX_EQ(fx_count(f, 1, 2, 10, 2), 2);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 8);
    fx_free(f);
}

/* Before v6.14 switching away clears the CPU's bit in the old mm. */
static void test_cpumask_cleared_on_switch_before_6_14(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A, *B;
    struct cpu *c;

    kernel_cfg_defaults(&k);
    k.lazy_cpumask = false;
    f = new_fx(&k);
    A = machine_new_mm(f->m);
    B = machine_new_mm(f->m);
    c = &f->m->cpu[1];
    switch_mm_to(f->m, c, A);
    switch_mm_to(f->m, c, B);
    assert_false(cpumask_test(&A->cpumask, 1));
    assert_true(cpumask_test(&B->cpumask, 1));
    fx_free(f);
}

/* A kernel thread enters lazy mode on the loaded mm; switching back to that
 * mm costs nothing when no flush was missed, a full flush when one was. */
static void test_leave_lazy_same_mm(void **state)
{
    struct fx *f = new_fx(NULL);
    struct mm *A = machine_new_mm(f->m);
    struct task *kt = machine_new_task(f->m, TASK_KSWAPD, 1, NULL, "kthread");
    struct cpu *c = &f->m->cpu[1];

    switch_mm_to(f->m, c, A);
    fx_fill(f, 1, 0, 10, 4);
    FX_EQ(switch_mm_task(f->m, c, kt), 0);
    assert_true(c->is_lazy);
    FX_EQ(c->loaded_mm, A->id);
    FX_EQ(switch_mm_to(f->m, c, A), 0);
    assert_false(c->is_lazy);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 4);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 1);

    switch_mm_enter_lazy(f->m, c);
    A->tlb_gen = 2;                 /* a flush skipped this lazy CPU */
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH);
    assert_false(c->is_lazy);
    FX_EQ(c->ctx[0].gen, 2);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 2);
    fx_free(f);
}

/* An idle CPU that never loaded an mm does not become lazy. */
static void test_enter_lazy_without_mm(void **state)
{
    struct fx *f = new_fx(NULL);
    struct cpu *c = &f->m->cpu[3];

    switch_mm_enter_lazy(f->m, c);
    assert_false(c->is_lazy);
    FX_EQ(c->loaded_mm, ASID_NONE);
    fx_free(f);
}

/* The flush handler on a lazy CPU switches it to init_mm: the lazy mm's
 * entries go, its slot stays behind; v6.14 keeps the cpumask bit, older
 * kernels clear it. */
static void leave_lazy_to_init(bool lazy_cpumask)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A;
    struct cpu *c;

    kernel_cfg_defaults(&k);
    k.lazy_cpumask = lazy_cpumask;
    f = new_fx(&k);
    A = machine_new_mm(f->m);
    c = &f->m->cpu[2];
    fx_load(f, 2, A, 0, 1, true);
    fx_fill(f, 2, 0, 10, 4);
    fx_fill(f, 2, 1, 10, 4);
    FX_EQ(switch_mm_leave_lazy_to_init(f->m, c), FX_FULL_FLUSH);
    FX_EQ(c->loaded_mm, ASID_NONE);
    assert_false(c->is_lazy);
    FX_EQ(fx_count(f, 2, 0, 10, 4), 0);
    FX_EQ(fx_count(f, 2, 1, 10, 4), 4);
    FX_EQ(c->ctx[0].gen, 1);
    FX_EQ(cpumask_test(&A->cpumask, 2), lazy_cpumask);
    fx_free(f);
}

static void test_leave_lazy_to_init_v6_14(void **state)
{
    leave_lazy_to_init(true);
}

static void test_leave_lazy_to_init_before_6_14(void **state)
{
    leave_lazy_to_init(false);
}

/* Without PCID there is one context: every switch to another mm flushes,
 * including back to an up-to-date one. */
static void test_no_pcid_every_switch_flushes(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A, *B;
    struct cpu *c;

    kernel_cfg_defaults(&k);
    k.pcid = false;
    f = new_fx(&k);
    A = machine_new_mm(f->m);
    B = machine_new_mm(f->m);
    c = &f->m->cpu[1];
    switch_mm_to(f->m, c, A);
    fx_fill(f, 1, 0, 10, 4);
    switch_mm_to(f->m, c, B);
    FX_EQ(c->loaded_asid, 0);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 0);
    fx_fill(f, 1, 0, 10, 4);
    switch_mm_to(f->m, c, A);
    FX_EQ(c->loaded_asid, 0);
    FX_EQ(fx_count(f, 1, 0, 10, 4), 0);
    FX_EQ(FX_CPU(f, tlb_flush_task_switch, 1), 3);
    fx_free(f);
}

/* arm64: global ASIDs, a TTBR write and never a flush. */
static void test_arm64_switch_never_flushes(void **state)
{
    struct fx *f = fx_new(fx_cfg_arm64(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct cpu *c = &f->m->cpu[1];

    fx_fill(f, 1, A->asid, 10, 4);
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH / 2);
    FX_EQ(c->loaded_asid, A->asid);
    FX_EQ(switch_mm_to(f->m, c, B), FX_FULL_FLUSH / 2);
    FX_EQ(c->loaded_asid, B->asid);
    A->tlb_gen = 7;
    FX_EQ(switch_mm_to(f->m, c, A), FX_FULL_FLUSH / 2);
    switch_mm_enter_lazy(f->m, c);
    FX_EQ(switch_mm_to(f->m, c, A), 0);
    FX_EQ(fx_count(f, 1, A->asid, 10, 4), 4);
    FX_EQ(FX_CPU(f, tlb_flush, 1), 0);
    FX_EQ(switch_mm_asid_of(f->m, c, B), B->asid);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_mm_takes_slot_and_flushes),
        cmocka_unit_test(test_switch_back_up_to_date_keeps_entries),
        cmocka_unit_test(test_switch_back_stale_flushes_slot),
        cmocka_unit_test(test_seven_mms_reuse_slots_round_robin),
        cmocka_unit_test(test_cpumask_cleared_on_switch_before_6_14),
        cmocka_unit_test(test_leave_lazy_same_mm),
        cmocka_unit_test(test_enter_lazy_without_mm),
        cmocka_unit_test(test_leave_lazy_to_init_v6_14),
        cmocka_unit_test(test_leave_lazy_to_init_before_6_14),
        cmocka_unit_test(test_no_pcid_every_switch_flushes),
        cmocka_unit_test(test_arm64_switch_never_flushes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
