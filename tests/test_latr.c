/* The rules of the latr policy (models/policies/latr.c): at unmap the
 * unmapping CPU invalidates its own entry and queues (mm, vpn) for every
 * other CPU of mm_cpumask, with no IPI; a CPU drains its queue at its next
 * tick or context switch (one INVLPG per entry, a full flush after an
 * overflow); a freed frame is held until every running CPU that had queued
 * entries has drained, idle and lazy CPUs excepted (they drain at their
 * next switch); dirty PTEs before pageout and migration copies stay
 * synchronous; direct reclaim interrupts the CPUs holding frames back.
 * Machine: tests/machine_fixture.h (tick_hz 0: ticks are delivered by the
 * tests). Application threads of mm A run on cpus 1 and 2 (cpu 1 shares
 * cpu 0's socket, cpu 2 does not); the reclaimer is a kernel thread on
 * cpu 0 from FX_KTHREAD_START. */
#include "tests/machine_fixture.h"

#include "models/memory.h"

#define END 100000000
#define RUN_LONG 50000000       /* the app threads' one long step */

struct lt {
    struct fx *f;
    struct mm *A;
    struct fx_script *k;        /* reclaimer, cpu 0 */
    pfn_t pfn;                  /* the frame being unmapped and freed */
    bool deferred;
};

static struct lt *lt_new(const char *params, const unsigned *app_cpus, unsigned n_app)
{
    struct lt *l = g_new0(struct lt, 1);

    l->f = fx_new(fx_cfg_x86(), NULL, "latr", params);
    l->A = machine_new_mm(l->f->m);
    for (unsigned i = 0; i < n_app; i++) {
        struct fx_script *a = fx_task(l->f, app_cpus[i], l->A, "app");

        fx_op_step(a, RUN_LONG, CT_APP);
        fx_start(a);
    }
    l->k = fx_task(l->f, 0, NULL, "kswapd");
    l->pfn = mem_alloc(l->f->m->mem, 0, 0);
    return l;
}

static void lt_free(struct lt *l)
{
    fx_free(l->f);
    g_free(l);
}

/* Caches A's vpn 100 -> l->pfn (writable, dirty) on cpu c in its ASID. */
static void cache(struct lt *l, unsigned c, uint64_t vpn, pfn_t pfn)
{
    struct cpu *cpu = &l->f->m->cpu[c];

    tlb_insert(cpu->tlb, cpu->loaded_asid, vpn, pfn, true, true, TLB_LOAD);
}

static bool cached(struct lt *l, unsigned c, uint64_t vpn)
{
    struct tlb_hit h;

    return tlb_probe(l->f->m->cpu[c].tlb, l->f->m->cpu[c].loaded_asid, vpn, &h);
}

static bool do_defer(struct fx_script *s, void *arg)
{
    struct lt *l = arg;
    struct machine *m = s->t->m;

    l->deferred = m->policy->defer_free(m->policy_priv, s->t, l->pfn);
    return false;
}

static bool do_before_copy(struct fx_script *s, void *arg)
{
    struct machine *m = s->t->m;

    (void)arg;
    return m->policy->flush_pending(m->policy_priv, s->t, FLUSH_BEFORE_COPY, &s->cost[s->pc - 1]);
}

static bool do_reclaim_start(struct fx_script *s, void *arg)
{
    struct machine *m = s->t->m;

    (void)arg;
    return m->policy->reclaim_start(m->policy_priv, s->t, &s->cost[s->pc - 1]);
}

static uint64_t counter(struct fx *f, const char *name)
{
    stats_id id;

    assert_true(stats_find(f->st, name, &id));
    return stats_total(f->st, id);
}

static pte_t pte_of(pfn_t pfn, bool dirty)
{
    return pte_make(pfn, PTE_PRESENT | PTE_WRITE | PTE_ACCESSED | (dirty ? PTE_DIRTY : 0));
}

/* No IPI at unmap or at the free point: the entries stay on cpus 1 and 2,
 * each queued once; the frame is held. Cpu 1's tick drains it (one INVLPG
 * in the interrupt), cpu 2's entry stays and the frame is still held; cpu
 * 2's tick frees it to the pcp list. */
static void test_latr_lazy_until_every_cpu_drained(void **state)
{
    static const unsigned apps[] = { 1, 2 };
    struct lt *l = lt_new(NULL, apps, 2);
    struct fx *f = l->f;
    unsigned c, fp;

    (void)state;
    fx_run_until(f, 10000);
    cache(l, 1, 100, l->pfn);
    cache(l, 2, 100, l->pfn);
    fx_op_step_to(l->k, 20000);
    c = fx_op_pte_cleared(l->k, l->A, 100, pte_of(l->pfn, false));
    fp = fx_op_flush_pending(l->k);
    fx_op_call(l->k, do_defer, l);
    fx_start(l->k);
    fx_irq_at(f, 30000, 1, IRQ_TIMER);
    fx_irq_at(f, 40000, 2, IRQ_TIMER);
    fx_run_until(f, 25000);

    assert_true(l->k->done);
    assert_false(l->k->waited[c] || l->k->waited[fp]);
    assert_true(l->deferred);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(counter(f, "latr_entries_queued"), 2);
    /* cpu 1 shares cpu 0's socket, cpu 2 does not: one line each */
    FX_EQ(l->k->cost[c], FX_ACK_SOCKET + FX_ACK_REMOTE);
    assert_true(cached(l, 1, 100) && cached(l, 2, 100));
    FX_EQ(mem_frame(f->m->mem, l->pfn)->state, FRAME_ALLOCATED);

    fx_run_until(f, 35000);
    assert_false(cached(l, 1, 100));
    assert_true(cached(l, 2, 100));
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_one, 1), 1);
    FX_EQ(mem_frame(f->m->mem, l->pfn)->state, FRAME_ALLOCATED);
    FX_EQ(FX_TOTAL(f, pgfree), 0);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ + FX_INVLPG);

    fx_run_until(f, 45000);
    assert_false(cached(l, 2, 100));
    FX_EQ(mem_frame(f->m->mem, l->pfn)->state, FRAME_PCP);
    FX_EQ(FX_TOTAL(f, pgfree), 1);
    FX_EQ(counter(f, "latr_drains"), 2);
    lt_free(l);
}

/* The unmapping CPU flushes its own entry at once (an app thread of A on
 * cpu 1 paging out its own page, MADV_PAGEOUT-style): INVLPG locally, and
 * cpu 2 is queued. */
static bool clear_own(struct fx_script *s, void *arg)
{
    struct lt *l = arg;
    struct machine *m = s->t->m;
    sim_time_t cost = 0;

    assert_false(m->policy->pte_cleared(m->policy_priv, s->t, l->A, 100,
                                        pte_of(l->pfn, false), &cost));
    s->cost[s->pc - 1] = cost;
    return false;
}

static void test_latr_local_entry_flushed_at_once(void **state)
{
    static const unsigned apps[] = { 2 };
    struct lt *l = lt_new(NULL, apps, 1);
    struct fx *f = l->f;
    struct fx_script *self = fx_task(f, 1, l->A, "pager");
    unsigned c;

    (void)state;
    fx_op_step_to(self, 20000);
    c = fx_op_call(self, clear_own, l);
    fx_start(self);
    fx_run_until(f, 10000);
    cache(l, 1, 100, l->pfn);
    cache(l, 2, 100, l->pfn);
    fx_run_until(f, 25000);

    assert_true(self->done);
    assert_false(cached(l, 1, 100));
    assert_true(cached(l, 2, 100));
    FX_EQ(self->cost[c], FX_INVLPG + FX_ACK_REMOTE);
    FX_EQ(counter(f, "latr_entries_queued"), 1);
    lt_free(l);
}

/* An idle CPU (cpu 3, A loaded lazily) is queued but does not hold the
 * frame back: cpu 1's tick frees it. Cpu 3 drains when it next switches to
 * a task. */
static void test_latr_idle_cpu_drains_at_switch(void **state)
{
    static const unsigned apps[] = { 1 };
    struct lt *l = lt_new(NULL, apps, 1);
    struct fx *f = l->f;
    struct fx_script *later = fx_task(f, 3, NULL, "later");
    stats_id drains;

    (void)state;
    fx_op_step(later, 1000, CT_RECLAIM);
    fx_run_until(f, 10000);
    fx_load(f, 3, l->A, 0, 1, true);
    cache(l, 1, 100, l->pfn);
    cache(l, 3, 100, l->pfn);
    fx_op_step_to(l->k, 20000);
    fx_op_pte_cleared(l->k, l->A, 100, pte_of(l->pfn, false));
    fx_op_flush_pending(l->k);
    fx_op_call(l->k, do_defer, l);
    fx_start(l->k);
    fx_irq_at(f, 30000, 1, IRQ_TIMER);
    fx_run_until(f, 35000);

    assert_true(l->deferred);
    FX_EQ(counter(f, "latr_entries_queued"), 2);
    FX_EQ(mem_frame(f->m->mem, l->pfn)->state, FRAME_PCP);
    assert_true(cached(l, 3, 100));
    assert_true(stats_find(f->st, "latr_drains", &drains));
    FX_EQ(stats_cpu(f->st, drains, 3), 0);
    fx_start(later);
    fx_run_until(f, 60000);
    FX_EQ(stats_cpu(f->st, drains, 3), 1);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    lt_free(l);
}

/* A dirty PTE is flushed synchronously before pageout (IPIs to cpus 1 and
 * 2, the page INVLPG'd there); nothing is left for flush_pending. The flush
 * before a migration copy is synchronous too. */
static void test_latr_dirty_and_copy_are_synchronous(void **state)
{
    static const unsigned apps[] = { 1, 2 };
    struct lt *l = lt_new(NULL, apps, 2);
    struct fx *f = l->f;
    pfn_t other = mem_alloc(f->m->mem, 0, 0);
    unsigned fd, fp, bc;

    (void)state;
    fx_run_until(f, 10000);
    cache(l, 1, 100, l->pfn);
    cache(l, 2, 100, l->pfn);
    cache(l, 1, 101, other);
    cache(l, 2, 101, other);
    fx_op_step_to(l->k, 20000);
    fx_op_pte_cleared(l->k, l->A, 100, pte_of(l->pfn, true));
    fd = fx_op_flush_dirty(l->k);
    fp = fx_op_flush_pending(l->k);
    fx_op_pte_cleared(l->k, l->A, 101, pte_of(other, false));
    bc = fx_op_call(l->k, do_before_copy, NULL);
    fx_start(l->k);
    fx_run_until(f, END);

    assert_true(l->k->done);
    assert_true(l->k->waited[fd]);
    assert_false(l->k->waited[fp]);
    assert_true(l->k->waited[bc]);
    FX_EQ(FX_CPU(f, ipi_received, 1), 2);
    FX_EQ(FX_CPU(f, ipi_received, 2), 2);
    assert_false(cached(l, 1, 100) || cached(l, 2, 100));
    assert_false(cached(l, 1, 101) || cached(l, 2, 101));
    FX_EQ(counter(f, "latr_sync_flushes"), 2);
    lt_free(l);
}

/* queue_len 2: a third entry overflows cpu 1's queue; its drain is a full
 * flush (an unrelated entry goes too). */
static void test_latr_overflow_drains_with_full_flush(void **state)
{
    static const unsigned apps[] = { 1 };
    struct lt *l = lt_new("queue_len: 2", apps, 1);
    struct fx *f = l->f;

    (void)state;
    fx_run_until(f, 10000);
    for (uint64_t v = 100; v < 104; v++)
        cache(l, 1, v, (pfn_t)(1000 + v));
    fx_op_step_to(l->k, 20000);
    for (uint64_t v = 100; v < 103; v++)
        fx_op_pte_cleared(l->k, l->A, v, pte_of((pfn_t)(1000 + v), false));
    fx_op_flush_pending(l->k);
    fx_start(l->k);
    fx_irq_at(f, 30000, 1, IRQ_TIMER);
    fx_run_until(f, 25000);
    FX_EQ(counter(f, "latr_queue_overflows"), 1);
    FX_EQ(fx_count(f, 1, f->m->cpu[1].loaded_asid, 100, 4), 4);
    fx_run_until(f, 35000);
    FX_EQ(fx_count(f, 1, f->m->cpu[1].loaded_asid, 100, 4), 0);
    FX_EQ(FX_CPU(f, nr_tlb_local_flush_all, 1), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ + FX_FULL_FLUSH);
    lt_free(l);
}

/* Direct reclaim with frames held: the CPUs they wait for are interrupted
 * (one batched flush) and the frames are free when it completes, with no
 * tick. Without held frames, reclaim_start does nothing. */
static void test_latr_memory_pressure_releases_frames(void **state)
{
    static const unsigned apps[] = { 1, 2 };
    struct lt *l = lt_new(NULL, apps, 2);
    struct fx *f = l->f;
    unsigned r1, r2;

    (void)state;
    fx_run_until(f, 10000);
    cache(l, 1, 100, l->pfn);
    cache(l, 2, 100, l->pfn);
    fx_op_step_to(l->k, 20000);
    fx_op_pte_cleared(l->k, l->A, 100, pte_of(l->pfn, false));
    fx_op_flush_pending(l->k);
    fx_op_call(l->k, do_defer, l);
    r1 = fx_op_call(l->k, do_reclaim_start, NULL);
    r2 = fx_op_call(l->k, do_reclaim_start, NULL);
    fx_start(l->k);
    fx_run_until(f, 100000);

    assert_true(l->k->done);
    assert_true(l->deferred);
    assert_true(l->k->waited[r1]);
    assert_false(l->k->waited[r2]);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);
    FX_EQ(mem_frame(f->m->mem, l->pfn)->state, FRAME_PCP);
    assert_false(cached(l, 1, 100) || cached(l, 2, 100));
    FX_EQ(counter(f, "latr_pressure_flushes"), 1);
    lt_free(l);
}

/* arm64 has no IPIs to avoid: TLBI at unmap, a DSB at the flush point, and
 * frames are freed at once. */
static void test_latr_arm64_is_mainline_batch(void **state)
{
    struct fx *f = fx_new(fx_cfg_arm64(), NULL, "latr", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *k = fx_task(f, 0, NULL, "kswapd");
    struct lt l = { .f = f, .A = A, .k = k, .pfn = 1100 };
    unsigned fp;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_fill(f, 1, A->asid, 100, 1);
    fx_op_pte_cleared(k, A, 100, pte_of(1100, false));
    fp = fx_op_flush_pending(k);
    fx_op_call(k, do_defer, &l);
    fx_start(k);
    fx_run_until(f, END);

    assert_true(k->waited[fp]);
    assert_false(l.deferred);
    FX_EQ(fx_count(f, 1, A->asid, 100, 1), 0);
    FX_EQ(FX_TOTAL(f, dsb_ish), 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latr_lazy_until_every_cpu_drained),
        cmocka_unit_test(test_latr_local_entry_flushed_at_once),
        cmocka_unit_test(test_latr_idle_cpu_drains_at_switch),
        cmocka_unit_test(test_latr_dirty_and_copy_are_synchronous),
        cmocka_unit_test(test_latr_overflow_drains_with_full_flush),
        cmocka_unit_test(test_latr_memory_pressure_releases_frames),
        cmocka_unit_test(test_latr_arm64_is_mainline_batch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
