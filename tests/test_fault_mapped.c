/* The fault path (models/fault.c, handle_mm_fault) against the kernel's
 * rules, faults on a page that is already there: do_wp_page on a writable
 * VMA (the policy's pte_writable hook, then W and D) and a store to a
 * read-only VMA, migration_entry_wait, and do_numa_page (in place, or a
 * promotion under memory tiering and its hot threshold). Faults that bring
 * a page in (anonymous, swap, file): test_fault.c. The faulting task is a
 * scripted app thread of mm A on cpu 0 (node 0), first running at
 * FX_APP_START. Costs: tests/fault_fixture.h; machine and costs:
 * tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/fault_fixture.h"

/* do_wp_page on a read-only PTE of a writable VMA (the page is exclusive):
 * the policy's pte_writable hook runs first (LUF flushes there), then the
 * PTE becomes W + D and the folio dirty. No allocation. The hook's CPU time
 * is charged; a load through the same PTE faults for nothing (spurious). */
static void test_write_protect_fault(void **state)
{
    static const sim_time_t hook_cost[] = { 0, 250 };

    for (unsigned k = 0; k < 2; k++) {
        struct mm *A;
        struct fx_script *s;
        struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
        struct fault_op ld = { ANON_V + 2, TLB_LOAD, 0 }, st = { ANON_V + 2, TLB_STORE, 0 };
        unsigned i = fx_op_call(s, op_fault, &ld), j = fx_op_call(s, op_fault, &st);
        pfn_t pfn = fx_anon_page(f, A, ANON_V + 2, 0, PTE_ACCESSED, true);
        const struct fx_hook_call *c;

        fx_spy(f)->writable_cost = hook_cost[k];
        fx_start(s);
        fx_run_until(f, 100000);
        FX_EQ(s->ended[i], TA + C_FAULT);
        FX_EQ(s->ended[j], TA + 2 * C_FAULT + hook_cost[k]);
        FX_EQ(fx_spy(f)->n[FX_H_PTE_WRITABLE], 1);
        c = fx_spy_nth(fx_spy(f), FX_H_PTE_WRITABLE, 0);
        FX_EQ(c->at, TA + 2 * C_FAULT);
        FX_EQ(c->mm_id, A->id);
        FX_EQ(c->vpn, ANON_V + 2);
        FX_EQ(fx_pte(A, ANON_V + 2),
              pte_make(pfn, PTE_PRESENT | PTE_ACCESSED | PTE_WRITE | PTE_DIRTY));
        FX_EQ(mem_frame(f->m->mem, pfn)->flags, FRAME_ANON | FRAME_DIRTY);
        FX_EQ(FX_TOTAL(f, pgalloc), 0);
        FX_EQ(FX_TOTAL(f, pgfault), 2);
        FX_EQ(A->rss_pages, 1);
        fx_free(f);
    }
}

/* A store to a read-only PTE of a read-only VMA changes nothing (the
 * kernel would deliver SIGSEGV; the model only must not make it writable),
 * and the policy's hook is not called. */
static void test_write_to_readonly_vma(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ, &s);
    struct fault_op st = { ANON_V + 4, TLB_STORE, 0 };
    unsigned i = fx_op_call(s, op_fault, &st);
    pfn_t pfn = fx_anon_page(f, A, ANON_V + 4, 0, PTE_ACCESSED, true);

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], TA + C_FAULT);
    FX_EQ(fx_pte(A, ANON_V + 4), pte_make(pfn, PTE_PRESENT | PTE_ACCESSED));
    FX_EQ(mem_frame(f->m->mem, pfn)->flags, FRAME_ANON);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_WRITABLE], 0);
    fx_free(f);
}

/* migration_entry_wait: a fault on a migration entry waits (retrying every
 * microsecond) until the migration replaces the entry, then completes
 * without allocating; the retries are one fault, not several. */
struct replace_arg {
    struct fx *f;
    struct mm *mm;
    uint64_t vpn;
    pfn_t to;
};

static bool op_replace(struct fx_script *s, void *arg)
{
    struct replace_arg *r = arg;

    (void)s;
    *mm_pte(r->mm, r->vpn, false) = pte_make(r->to, PTE_PRESENT | PTE_WRITE | PTE_DIRTY);
    mem_rmap_add(r->f->m->mem, r->to, r->mm->id, r->vpn);
    return false;
}

static void test_fault_waits_for_migration_entry(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    struct fx_script *k = fx_task(f, 2, NULL, "migrator");
    struct fault_op o = { ANON_V + 9, TLB_STORE, 0 };
    unsigned i = fx_op_call(s, op_fault, &o), r;
    pfn_t old = fx_frame(f, 0), to = fx_frame(f, 1);
    struct replace_arg ra = { f, A, ANON_V + 9, to };

    mem_frame(f->m->mem, to)->flags = FRAME_ANON | FRAME_DIRTY;
    *mm_pte(A, o.vpn, true) = pte_make(old, PTE_MIGRATION | PTE_WRITE | PTE_DIRTY);
    fx_op_step_to(k, 10000);
    r = fx_op_call(k, op_replace, &ra);
    fx_start(s);
    fx_start(k);
    fx_run_until(f, 100000);
    FX_EQ(k->ended[r], 10000);
    /* entry at TA + 700, then polls every 1 us: the first after 10000 */
    FX_EQ(s->ended[i], TA + C_FAULT + 7 * SIM_US);
    assert_true(s->ended[i] > 10000 && s->ended[i] - SIM_US < 10000);
    FX_EQ(fx_pte(A, o.vpn), pte_make(to, PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
    FX_EQ(FX_TOTAL(f, pgalloc), 0);
    FX_EQ(FX_TOTAL(f, pgfault), 1);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_WRITABLE], 0);
    fx_free(f);
}

/* do_numa_page on a page of a node with CPUs: the PTE is made accessible
 * again (PTE_NUMA cleared), nothing moves. */
static void test_numa_hinting_fault_top_tier(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    struct fault_op o = { ANON_V + 1, TLB_LOAD, 0 };
    unsigned i = fx_op_call(s, op_fault, &o);
    pfn_t pfn = fx_anon_page(f, A, ANON_V + 1, 1, PTE_WRITE | PTE_DIRTY | PTE_NUMA, true);

    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], TA + C_FAULT);
    FX_EQ(fx_pte(A, o.vpn), pte_make(pfn, PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
    FX_EQ(FX_TOTAL(f, pgmigrate_success), 0);
    fx_free(f);
}

/* Memory tiering (kernel.numa_tiering, with k's other settings): node 1 is
 * CPU-less, every CPU on node 0; mm *A with a 64-page anonymous VMA at
 * ANON_V. */
static struct fx *tiering_fx(struct kernel_cfg *k, struct mm **A)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;

    cfg->node[1].has_cpus = false;
    for (unsigned c = 0; c < cfg->n_cpus; c++)
        cfg->cpu_node[c] = 0;
    k->numa_tiering = true;
    f = fx_new(cfg, k, "batch_full", NULL);
    *A = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(*A, ANON_V, 64, false, false, VMA_READ | VMA_WRITE, 0, 0));
    return f;
}

/* Memory tiering (tiering_fx). A hinting fault on a node-1 page mapped
 * once, right after the scan armed it (hot: within the 1 s threshold),
 * promotes it to the faulting CPU's node when that node is above its high
 * watermark: migration unmaps it (a migration entry; the PTE is still
 * PROT_NONE, so nothing can be cached and there is no flush:
 * pte_accessible, 4d4b6d66db63), copies it with the remote-distance extra,
 * and maps the new frame with W/D kept; the old frame is freed. */
static void test_numa_hinting_fault_promotes(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A;
    struct fx_script *s;
    struct fault_op o = { ANON_V + 1, TLB_LOAD, 0 };
    unsigned i;
    pfn_t old, to;

    kernel_cfg_defaults(&k);
    f = tiering_fx(&k, &A);
    s = fx_task(f, 0, A, "app");
    i = fx_op_call(s, op_fault, &o);
    old = fx_anon_page(f, A, ANON_V + 1, 1, PTE_WRITE | PTE_DIRTY | PTE_NUMA, true);
    fx_start(s);
    fx_run_until(f, 100000);
    /* entry; unmap (no flush); alloc + copy + 1 distance step + remap +
     * free */
    FX_EQ(s->ended[i], TA + C_FAULT + C_RMAP + (C_ALLOC + 900 + 90 + C_RMAP + 130));
    to = (pfn_t)pte_pfn(fx_pte(A, o.vpn));
    FX_EQ(mem_pfn_node(f->m->mem, to), 0);
    FX_EQ(fx_pte(A, o.vpn), pte_make(to, PTE_PRESENT | PTE_WRITE | PTE_DIRTY));
    assert_true(fx_is_free(f, old));
    assert_true(fx_rmap_has(f, to, A, o.vpn));
    FX_EQ(mem_frame(f->m->mem, to)->state, FRAME_LRU);
    FX_EQ(FX_TOTAL(f, pgpromote_success), 1);
    FX_EQ(FX_TOTAL(f, pgmigrate_success), 1);
    FX_EQ(FX_TOTAL(f, pgdemote_kswapd), 0);
    fx_free(f);
}

/* The NUMA scan arming a page again (change_prot_numa sets PROT_NONE). */
struct arm_op {
    struct mm *mm;
    uint64_t vpn;
};

static bool op_arm_numa(struct fx_script *s, void *arg)
{
    const struct arm_op *a = arg;

    (void)s;
    *mm_pte(a->mm, a->vpn, false) |= PTE_NUMA;
    return false;
}

/* Tiering mode, hot threshold 1 ms: a node-1 page whose PTE the scan armed
 * 5 ms before its hint fault is not hot (should_numa_migrate_memory: the
 * target node is far below promo + 1 GiB free): the PTE is made accessible
 * where it is, nothing migrates, and the fault restamps the page, so a
 * second hint fault 0.5 ms later promotes it. */
static void test_numa_hinting_fault_hot_threshold(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct mm *A;
    struct fx_script *s;
    struct fault_op o = { ANON_V + 1, TLB_LOAD, 0 };
    struct arm_op arm;
    unsigned first;
    pfn_t old;

    kernel_cfg_defaults(&k);
    k.numa_hot_threshold_ns = SIM_MS;
    f = tiering_fx(&k, &A);
    arm = (struct arm_op){ A, ANON_V + 1 };
    s = fx_task(f, 0, A, "app");
    first = fx_op_call(s, op_fault, &o);
    fx_op_call(s, op_arm_numa, &arm);
    fx_op_step(s, 500 * SIM_US, CT_APP);
    fx_op_call(s, op_fault, &o);
    old = fx_anon_page(f, A, ANON_V + 1, 1, PTE_WRITE | PTE_DIRTY | PTE_NUMA, true);
    f->m->numa_access_us[old] = (uint32_t)-5000;    /* armed 5 ms before time 0 */
    fx_start(s);
    fx_run_until(f, TA + C_FAULT);
    FX_EQ(s->ended[first], TA + C_FAULT);
    FX_EQ(f->m->numa_access_us[old], TA / SIM_US);
    FX_EQ(FX_TOTAL(f, pgmigrate_success), 0);
    fx_run_until(f, 10 * SIM_MS);
    assert_true(s->done);
    FX_EQ(mem_pfn_node(f->m->mem, (pfn_t)pte_pfn(fx_pte(A, o.vpn))), 0);
    assert_true(fx_is_free(f, old));
    FX_EQ(FX_TOTAL(f, pgpromote_success), 1);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_protect_fault),
        cmocka_unit_test(test_write_to_readonly_vma),
        cmocka_unit_test(test_fault_waits_for_migration_entry),
        cmocka_unit_test(test_numa_hinting_fault_top_tier),
        cmocka_unit_test(test_numa_hinting_fault_promotes),
        cmocka_unit_test(test_numa_hinting_fault_hot_threshold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
