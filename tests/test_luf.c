/* The rules of the luf policy (models/policies/luf.c, policy-semantics.md
 * §6): a folio whose cleared PTEs all lacked PTE_WRITE is freed without a
 * flush and stamped with the pending generation; one writable mapping sends
 * the folio to the normal batch; the deferred flush is one batched flush of
 * the union of the recorded mm_cpumasks, done at the allocation of a
 * pending frame, at a read-only -> writable fault and at direct reclaim, and
 * a generation in flight is flushed again rather than trusted. What the
 * hazard checker allows LUF is in test_luf_hazards.c.
 * Machine: tests/machine_fixture.h. Initiators are kernel threads on cpu 0
 * (no mm loaded) starting at FX_KTHREAD_START. A cleared PTE of page v maps
 * frame 1000 + v, as fx_fill's entries do. */
#include "tests/luf_fixture.h"

#include "models/memory.h"

#define PTE_RO(vpn) pte_make(1000 + (vpn), PTE_PRESENT | PTE_ACCESSED)
#define PTE_RW(vpn) (PTE_RO(vpn) | PTE_WRITE)
#define PFN(vpn) (1000u + (uint32_t)(vpn))
#define T0 FX_KTHREAD_START
#define END 10000000

static uint64_t counter(struct fx *f, const char *name)
{
    stats_id id;

    assert_true(stats_find(f->st, name, &id));
    return stats_total(f->st, id);
}

static uint16_t gen_of(struct fx *f, uint64_t vpn)
{
    return mem_frame(f->m->mem, PFN(vpn))->luf_gen;
}

/* A read-only folio mapped in A (cpus 1, 2 cache it): pte_cleared and both
 * flush points return at once, nothing is sent, the remote entries stay,
 * the frame carries the pending generation; the page allocator's check
 * then flushes cpus 1 and 2 (one IPI each, a full flush each: the batch is
 * mm-less) and clears the frame's generation. A second allocation of a
 * frame of the same, now completed, generation flushes nothing. */
static void test_luf_read_only_deferred_until_alloc(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct fx_script *a = fx_task(f, 7, NULL, "allocator");
    struct hook_call first = { H_ALLOC, NULL, PFN(100) }, again = { H_ALLOC, NULL, PFN(101) };
    unsigned c1, c2, fp, fd, al, al2;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, A, 0, 1, false);
    fx_fill(f, 1, 0, 100, 2);
    fx_fill(f, 2, 0, 100, 2);
    c1 = fx_op_pte_cleared(s, A, 100, PTE_RO(100));
    c2 = fx_op_pte_cleared(s, A, 101, PTE_RO(101));
    fd = fx_op_flush_dirty(s);
    fp = fx_op_flush_pending(s);
    fx_op_step_to(a, 100000);
    al = fx_op_call(a, call_hook, &first);
    al2 = fx_op_call(a, call_hook, &again);
    fx_start(s);
    fx_start(a);
    fx_run_until(f, 50000);

    assert_true(s->done);
    assert_false(s->waited[c1] || s->waited[c2] || s->waited[fd] || s->waited[fp]);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    FX_EQ(fx_count(f, 1, 0, 100, 2), 2);
    FX_EQ(fx_count(f, 2, 0, 100, 2), 2);
    assert_true(gen_of(f, 100) != 0);
    FX_EQ(gen_of(f, 100), gen_of(f, 101));
    FX_EQ(counter(f, "luf_folios_deferred"), 2);
    FX_EQ(A->flush_batched_pending, 2);     /* flush_tlb_batched_pending still sees them */

    fx_run_until(f, END);
    assert_true(a->done);
    assert_true(a->waited[al]);
    assert_false(a->waited[al2]);
    /* flushed: no longer pending (a frame keeps its generation while its
     * allocation waits, so the checker knows it is untouched) */
    assert_false(f->m->policy->stale_read_ok(f->m->policy_priv, f->m, PFN(100)));
    assert_false(f->m->policy->stale_read_ok(f->m->policy_priv, f->m, PFN(101)));
    FX_EQ(FX_TOTAL(f, ipi_sent), 2);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);
    FX_EQ(fx_count(f, 1, 0, 100, 2), 0);
    FX_EQ(fx_count(f, 2, 0, 100, 2), 0);
    FX_EQ(counter(f, "luf_flush_alloc"), 1);
    FX_EQ(counter(f, "luf_flush_alloc_kswapd_freed"), 1);   /* deferred by a kernel thread */
    FX_EQ(counter(f, "luf_flush_alloc_same_cpu"), 0);       /* on cpu 0, allocated on 7 */
    /* cpu 7 -> cpu 1 crosses sockets: its ICR write (the first), delivery,
     * half entry, CR3, ack. cpu 2 (cpu 7's socket) gets its IPI one write
     * later and still acks first: 2 * send + 300 + 50 < send + 500 + 150. */
    FX_EQ(a->ended[al] - a->began[al],
          FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ / 2 + FX_FULL_FLUSH + FX_ACK_REMOTE);
    fx_free(f);
}

/* A writable PTE takes the normal batch: flush_pending interrupts cpus 1
 * and 2, no generation is stamped. A folio mapped read-only in A and
 * writable in B is disqualified by its second mapping: both mms' CPUs are
 * flushed at flush_pending, and a read-only folio of A that follows is still
 * deferred. */
static void test_luf_writable_anywhere_flushes_normally(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    unsigned fp;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    fx_fill(f, 1, 0, 100, 3);
    fx_fill(f, 2, 0, 100, 3);
    fx_op_pte_cleared(s, A, 100, PTE_RO(100));  /* the same frame 1100 ... */
    fx_op_pte_cleared(s, B, 100, PTE_RW(100));  /* ... mapped writable in B */
    fx_op_pte_cleared(s, A, 102, PTE_RO(102));  /* another folio, read-only */
    fp = fx_op_flush_pending(s);
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->waited[fp]);
    FX_EQ(gen_of(f, 100), 0);
    assert_true(gen_of(f, 102) != 0);
    FX_EQ(counter(f, "luf_folios_deferred"), 1);
    FX_EQ(counter(f, "luf_folios_flushed_normally"), 1);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);
    FX_EQ(fx_count(f, 1, 0, 100, 3), 0);    /* full flushes: the deferred one too */
    FX_EQ(fx_count(f, 2, 0, 100, 3), 0);
    fx_free(f);
}

/* The deferred flush targets the union of the mm_cpumasks recorded at
 * unmap (A on 1, B on 2 and 5), not a CPU running another mm (3); it is
 * triggered by a read-only -> writable fault, then by direct reclaim (only
 * with reclaim_flush: on, as LUF v10 has no such point), each time only
 * when something is pending. */
static void test_luf_union_and_triggers(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", "reclaim_flush: on");
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m), *C = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct hook_call wr = { H_WRITABLE, C, 0 }, rc = { H_RECLAIM, NULL, 0 };
    unsigned w1, w2, r1, r2;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    fx_load(f, 5, B, 0, 1, false);
    fx_load(f, 3, C, 0, 1, false);
    fx_fill(f, 3, 0, 100, 1);
    fx_op_pte_cleared(s, A, 100, PTE_RO(100));
    fx_op_pte_cleared(s, B, 101, PTE_RO(101));
    fx_op_flush_pending(s);
    w1 = fx_op_call(s, call_hook, &wr);
    w2 = fx_op_call(s, call_hook, &wr);
    fx_op_pte_cleared(s, A, 102, PTE_RO(102));
    fx_op_flush_pending(s);
    r1 = fx_op_call(s, call_hook, &rc);
    r2 = fx_op_call(s, call_hook, &rc);
    fx_start(s);
    fx_run_until(f, END);

    assert_true(s->done);
    assert_true(s->waited[w1]);
    assert_false(s->waited[w2]);
    assert_true(s->waited[r1]);
    assert_false(s->waited[r2]);
    FX_EQ(FX_CPU(f, ipi_received, 1), 2);
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);
    FX_EQ(FX_CPU(f, ipi_received, 5), 1);
    FX_EQ(FX_CPU(f, ipi_received, 3), 0);
    FX_EQ(fx_count(f, 3, 0, 100, 1), 1);
    FX_EQ(counter(f, "luf_flush_writable"), 1);
    FX_EQ(counter(f, "luf_flush_reclaim"), 1);
    fx_free(f);
}

/* A frame of a generation whose flush is still in flight is not trusted:
 * task b allocates it while a's flush waits for its acks, and sends the
 * flush again (its targets are then up to date and skip the work). */
static void test_luf_generation_in_flight_is_flushed_again(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct fx_script *a = fx_task(f, 6, NULL, "alloc-a");
    struct fx_script *b = fx_task(f, 7, NULL, "alloc-b");
    struct hook_call ha = { H_ALLOC, NULL, PFN(100) }, hb = { H_ALLOC, NULL, PFN(101) };
    unsigned ia, ib;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_fill(f, 1, 0, 100, 2);
    fx_op_pte_cleared(s, A, 100, PTE_RO(100));
    fx_op_pte_cleared(s, A, 101, PTE_RO(101));
    fx_op_flush_pending(s);
    fx_op_step_to(a, 100000);
    ia = fx_op_call(a, call_hook, &ha);
    fx_op_step_to(b, 100100);               /* a's IPI is still on its way */
    ib = fx_op_call(b, call_hook, &hb);
    fx_start(s);
    fx_start(a);
    fx_start(b);
    fx_run_until(f, END);

    assert_true(a->waited[ia]);
    assert_true(b->waited[ib]);
    FX_EQ(FX_CPU(f, ipi_received, 1), 2);
    FX_EQ(FX_CPU(f, tlb_flush_remote_shootdown, 1), 1);
    FX_EQ(FX_CPU(f, shootdown_skipped_gen, 1), 1);
    FX_EQ(fx_count(f, 1, 0, 100, 2), 0);
    fx_free(f);
}

/* v10's rmap_flush_end (arch_tlbbatch_done on x86): a normal batched flush
 * removes its CPUs from the pending LUF batch. Here kswapd defers read-only
 * frame 1100 (A on cpu 1), then flushes a writable folio of A normally
 * (cpu 1 again): nothing is left pending, so the allocation of 1100 sends
 * no flush. A later deferral (B on cpu 2) is flushed at its allocation as
 * usual: the emptied batch gathers again, under the same generation (v10
 * advances luf_gen only when a deferred flush is done). */
static void test_luf_normal_flush_covers_pending_cpus(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct fx_script *a = fx_task(f, 7, NULL, "allocator");
    struct hook_call covered = { H_ALLOC, NULL, PFN(100) }, pending = { H_ALLOC, NULL, PFN(102) };
    unsigned fp, ic, ip;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    fx_op_pte_cleared(s, A, 100, PTE_RO(100));
    fx_op_flush_pending(s);
    fx_op_pte_cleared(s, A, 101, PTE_RW(101));
    fp = fx_op_flush_pending(s);
    fx_op_step_to(s, 200000);
    fx_op_pte_cleared(s, B, 102, PTE_RO(102));
    fx_op_flush_pending(s);
    fx_op_step_to(a, 100000);
    ic = fx_op_call(a, call_hook, &covered);
    fx_op_step_to(a, 300000);
    ip = fx_op_call(a, call_hook, &pending);
    fx_start(s);
    fx_start(a);
    fx_run_until(f, END);

    assert_true(s->waited[fp]);
    assert_false(a->waited[ic]);
    assert_true(a->waited[ip]);
    FX_EQ(counter(f, "luf_alloc_covered"), 1);
    FX_EQ(counter(f, "luf_flush_alloc"), 1);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);   /* the normal flush only */
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);   /* the deferred flush of B's folio */
    fx_free(f);
}

/* try_to_unmap_luf gives up while a flush is in progress: kswapd on cpu 0
 * waits for its normal flush of A's writable folio (cpu 1) when a
 * reclaimer on cpu 6 reaches its flush point with a read-only folio of B
 * (cpu 2). That folio gets no generation and is flushed normally at once;
 * a read-only folio after both flushes completed is deferred again. */
static void test_luf_gives_up_while_a_flush_is_in_flight(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m), *B = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct fx_script *r = fx_task(f, 6, NULL, "reclaimer");
    unsigned fs, fr, later;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_load(f, 2, B, 0, 1, false);
    fx_op_pte_cleared(s, A, 100, PTE_RW(100));
    fs = fx_op_flush_pending(s);
    fx_op_pte_cleared(r, B, 101, PTE_RO(101));
    fx_op_step_to(r, T0 + 100);              /* s's IPI is on its way */
    fr = fx_op_flush_pending(r);
    fx_op_step_to(r, 100000);
    fx_op_pte_cleared(r, B, 102, PTE_RO(102));
    later = fx_op_flush_pending(r);
    fx_start(s);
    fx_start(r);
    fx_run_until(f, END);

    assert_true(s->waited[fs]);
    assert_true(r->waited[fr]);
    assert_false(r->waited[later]);
    FX_EQ(gen_of(f, 101), 0);
    assert_true(gen_of(f, 102) != 0);
    FX_EQ(counter(f, "luf_folios_given_up"), 1);
    FX_EQ(counter(f, "luf_folios_deferred"), 1);
    FX_EQ(FX_CPU(f, ipi_received, 2), 1);
    fx_free(f);
}

/* A direct reclaimer (an app thread) that allocates a frame it deferred
 * itself is counted as same-CPU reuse, not as a kswapd frame. */
static void test_luf_same_cpu_reuse_is_counted(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m), *C = machine_new_mm(f->m);
    struct fx_script *d = fx_task(f, 3, C, "direct-reclaim");
    struct hook_call al = { H_ALLOC, NULL, PFN(100) };
    unsigned ia;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_op_pte_cleared(d, A, 100, PTE_RO(100));
    fx_op_flush_pending(d);
    ia = fx_op_call(d, call_hook, &al);
    fx_start(d);
    fx_run_until(f, END);

    assert_true(d->waited[ia]);
    FX_EQ(counter(f, "luf_flush_alloc_same_cpu"), 1);
    FX_EQ(counter(f, "luf_flush_alloc_kswapd_freed"), 0);
    FX_EQ(FX_CPU(f, ipi_received, 1), 1);
    fx_free(f);
}

/* 16-bit generations wrap: 70000 defer / flush / allocate rounds (cpu 1 is
 * lazy, so each flush completes at once) keep "pending until flushed". */
static bool wrap_rounds(struct fx_script *s, void *arg)
{
    struct machine *m = s->t->m;
    struct mm *A = arg;
    const struct flush_policy_ops *p = m->policy;
    struct frame *fr = mem_frame(m->mem, PFN(100));

    for (unsigned i = 0; i < 70000; i++) {
        sim_time_t cost = 0;

        assert_false(p->pte_cleared(m->policy_priv, s->t, A, 100, PTE_RO(100), &cost));
        assert_false(p->flush_pending(m->policy_priv, s->t, FLUSH_END_OF_PASS, &cost));
        assert_true(fr->luf_gen != 0);
        assert_true(p->stale_read_ok(m->policy_priv, m, PFN(100)));
        assert_false(p->page_alloc(m->policy_priv, s->t, PFN(100), &cost));
        assert_true(fr->luf_gen == 0);
        assert_false(p->stale_read_ok(m->policy_priv, m, PFN(100)));
    }
    return false;
}

static void test_luf_generation_wraps(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");

    (void)state;
    fx_load(f, 1, A, 0, 1, true);
    fx_op_call(s, wrap_rounds, A);
    fx_start(s);
    fx_run_until(f, END);
    assert_true(s->done);
    FX_EQ(counter(f, "luf_flush_alloc"), 70000);
    FX_EQ(FX_TOTAL(f, ipi_sent), 0);
    fx_free(f);
}

/* arm64: the TLBI goes out at unmap (entries gone everywhere), no DSB at
 * the flush points for a read-only folio; the deferred flush is one DSB by
 * the allocating CPU. */
static void test_luf_arm64_defers_the_dsb(void **state)
{
    struct fx *f = fx_new(fx_cfg_arm64(), NULL, "luf", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct hook_call al = { H_ALLOC, NULL, PFN(100) };
    unsigned fp, ia;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_fill(f, 1, A->asid, 100, 1);
    fx_op_pte_cleared(s, A, 100, PTE_RO(100));
    fp = fx_op_flush_pending(s);
    ia = fx_op_call(s, call_hook, &al);
    fx_start(s);
    fx_run_until(f, END);

    assert_false(s->waited[fp]);
    assert_true(s->waited[ia]);
    FX_EQ(fx_count(f, 1, A->asid, 100, 1), 0);
    FX_EQ(FX_TOTAL(f, tlbi_broadcast), 1);
    FX_EQ(FX_TOTAL(f, dsb_ish), 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luf_read_only_deferred_until_alloc),
        cmocka_unit_test(test_luf_writable_anywhere_flushes_normally),
        cmocka_unit_test(test_luf_union_and_triggers),
        cmocka_unit_test(test_luf_generation_in_flight_is_flushed_again),
        cmocka_unit_test(test_luf_normal_flush_covers_pending_cpus),
        cmocka_unit_test(test_luf_gives_up_while_a_flush_is_in_flight),
        cmocka_unit_test(test_luf_same_cpu_reuse_is_counted),
        cmocka_unit_test(test_luf_generation_wraps),
        cmocka_unit_test(test_luf_arm64_defers_the_dsb),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
