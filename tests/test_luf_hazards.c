/* The hazard checker and the luf policy (models/policies/luf.c,
 * policy-semantics.md §6): a load through a stale read-only entry may read a
 * free frame whose flush is pending and nothing else; with rw_too on (folios
 * mapped writable defer too), a write-heavy MADV_PAGEOUT run has hazards,
 * with it off none (validation target T7's LUF rows).
 * Machine: tests/machine_fixture.h. */
#include "tests/luf_fixture.h"

#include "models/hazard.h"
#include "models/memory.h"
#include "models/run.h"
#include "models/scenario.h"

#define END 10000000     /* ns: the allocator has long run */

/* The checker's LUF exception: a load through a stale read-only entry of a
 * free frame with a pending generation is no hazard; the same load through
 * a writable entry, a store, a load after the frame's flush completed, or
 * a load once the VA is writable again are. */
static void test_luf_hazard_exception(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "luf", NULL);
    struct machine *m = f->m;
    struct mm *A = machine_new_mm(m);
    struct fx_script *s = fx_task(f, 0, NULL, "kswapd");
    struct fx_script *a = fx_task(f, 7, NULL, "allocator");
    pfn_t pfn = mem_alloc(m->mem, 0, 0), other = mem_alloc(m->mem, 0, 0);
    struct hook_call al = { H_ALLOC, NULL, other };
    struct tlb *tlb = m->cpu[1].tlb;

    (void)state;
    fx_load(f, 1, A, 0, 1, false);
    fx_op_pte_cleared(s, A, 100, pte_make(pfn, PTE_PRESENT));
    fx_op_pte_cleared(s, A, 101, pte_make(other, PTE_PRESENT));
    fx_op_flush_pending(s);
    fx_op_step_to(a, 200000);
    fx_op_call(a, call_hook, &al);          /* flushes the generation */
    fx_start(s);
    fx_start(a);
    fx_run_until(f, 100000);
    mem_free(m->mem, pfn, 0);
    mem_free(m->mem, other, 0);

    tlb_insert(tlb, 0, 100, pfn, false, false, TLB_LOAD);
    hazard_stale_hit(m, 1, A->id, 100, pfn, TLB_LOAD, 0);
    hazard_stale_hit(m, 1, A->id, 100, pfn, TLB_IFETCH, 0);
    FX_EQ(hazard_count(m->hazards), 0);
    /* the VA was made writable in a new frame meanwhile */
    hazard_stale_hit(m, 1, A->id, 100, pfn, TLB_LOAD, pte_make(5, PTE_PRESENT | PTE_WRITE));
    FX_EQ(hazard_count(m->hazards), 1);
    /* a writable stale entry is never covered */
    tlb_insert(tlb, 0, 100, pfn, true, false, TLB_LOAD);
    hazard_stale_hit(m, 1, A->id, 100, pfn, TLB_LOAD, 0);
    FX_EQ(hazard_count(m->hazards), 2);
    /* a store changes the free page: later loads read changed content */
    tlb_insert(tlb, 0, 101, other, false, false, TLB_LOAD);
    hazard_stale_hit(m, 1, A->id, 101, other, TLB_STORE, 0);
    FX_EQ(hazard_count(m->hazards), 3);
    mem_frame(m->mem, other)->version++;    /* as app.c does after the call */
    hazard_stale_hit(m, 1, A->id, 101, other, TLB_LOAD, 0);
    FX_EQ(hazard_count(m->hazards), 4);
    /* once the deferred flush ran, the generation is no longer pending */
    fx_run_until(f, END);
    assert_true(a->done);
    tlb_insert(tlb, 0, 100, pfn, false, false, TLB_LOAD);
    hazard_stale_hit(m, 1, A->id, 100, pfn, TLB_LOAD, 0);
    FX_EQ(hazard_count(m->hazards), 5);
    fx_free(f);
}

/* Validation target T7's LUF rows, on a write-heavy MADV_PAGEOUT loop whose
 * second thread keeps the pages in its TLB (tests/data/good/luf-rw-x86.yaml):
 * LUF as specified has no hazard; rw_too on (folios mapped writable defer
 * too) has hazards. */
static uint64_t run_rw(bool rw_too, uint64_t *deferred)
{
    const char *sets[] = { rw_too ? "policy.rw_too=on" : "policy.rw_too=off" };
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    stats_id h, d;
    uint64_t n;

    if (run_load("tests/data/good/luf-rw-x86.yaml", sets, 1, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail_msg("luf-rw-x86.yaml does not load");
    }
    if (run_execute(sc, &out, errbuf, sizeof(errbuf)))
        fail_msg("run failed: %s", errbuf);
    assert_true(stats_find(out.st, "hazards_found", &h));
    assert_true(stats_find(out.st, "luf_folios_deferred", &d));
    *deferred = stats_total(out.st, d);
    n = stats_total(out.st, h);
    run_output_destroy(&out);
    run_scenario_free(sc);
    return n;
}

static void test_luf_rw_too_hazards(void **state)
{
    uint64_t deferred_off, deferred_on;

    (void)state;
    FX_EQ(run_rw(false, &deferred_off), 0);
    assert_true(run_rw(true, &deferred_on) > 0);
    assert_true(deferred_on > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luf_hazard_exception),
        cmocka_unit_test(test_luf_rw_too_hazards),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
