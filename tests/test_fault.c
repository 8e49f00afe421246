/* The fault path (models/fault.c, handle_mm_fault) against the kernel's
 * rules, faults that bring a page in: do_anonymous_page (a new zeroed page,
 * PTE writable per the VMA, dirty on a write fault), do_swap_page (swap-in,
 * or a minor fault on the swap cache), and do_read_fault with readahead and
 * do_fault_around (only the aligned window, only cached pages). Faults on a
 * page that is already there (do_wp_page, migration_entry_wait,
 * do_numa_page): test_fault_mapped.c. The faulting task is a scripted app
 * thread of mm A on cpu 0 (node 0), first running at FX_APP_START. Costs:
 * tests/fault_fixture.h; machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"
#include "tests/fault_fixture.h"

/* do_anonymous_page, write fault: a zeroed page of the local node, PTE
 * present + W (VMA writable) + D (write) + A, frame anon and dirty, owned by
 * A at the faulting vpn, one rmap entry, rss 1, pgfault 1, queued in the
 * CPU's LRU-add batch. Cost: entry + alloc + zero + PTE install. */
static void test_anon_write_fault(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    struct fault_op o = { ANON_V + 3, TLB_STORE, 0 };
    unsigned i = fx_op_call(s, op_fault, &o);
    const struct fx_hook_call *c;
    struct frame *fr;
    pfn_t pfn;

    fx_start(s);
    fx_run_until(f, 100000);
    assert_true(s->done);
    FX_EQ(s->began[i], TA);
    FX_EQ(s->ended[i], TA + C_FAULT + C_ALLOC + C_ZERO + C_RMAP);
    pfn = (pfn_t)pte_pfn(fx_pte(A, o.vpn));
    FX_EQ(fx_pte(A, o.vpn), pte_make(pfn, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_ACCESSED));
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 0);
    fr = mem_frame(f->m->mem, pfn);
    FX_EQ(fr->flags, FRAME_ANON | FRAME_DIRTY);
    FX_EQ(fr->owner, A->id);
    FX_EQ(fr->index, o.vpn);
    FX_EQ(fr->mapcount, 1);
    assert_true(fx_rmap_has(f, pfn, A, o.vpn));
    FX_EQ(fr->state, FRAME_ALLOCATED);          /* in the LRU-add batch */
    FX_EQ(f->m->lru_add_len[0], 1);
    FX_EQ(f->m->lru_add_buf[0], pfn);
    FX_EQ(A->rss_pages, 1);
    FX_EQ(FX_CPU(f, pgfault, 0), 1);
    FX_EQ(FX_TOTAL(f, pgfault), 1);
    FX_EQ(FX_TOTAL(f, pgalloc), 1);
    FX_EQ(FX_TOTAL(f, pgmajfault), 0);
    FX_EQ(FX_TOTAL(f, pgpgin), 0);
    /* the policy sees the allocation once the entry cost has elapsed */
    FX_EQ(fx_spy(f)->n[FX_H_PAGE_ALLOC], 1);
    c = fx_spy_nth(fx_spy(f), FX_H_PAGE_ALLOC, 0);
    FX_EQ(c->at, TA + C_FAULT);
    FX_EQ(c->pfn, pfn);
    FX_EQ(fx_spy(f)->n[FX_H_PTE_WRITABLE], 0);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FAULT), C_FAULT + C_ALLOC + C_ZERO + C_RMAP);
    fx_free(f);
}

/* Read faults: W follows the VMA (a private writable anon VMA maps its new
 * page writable), D is not set, the frame is clean. */
static void test_anon_read_fault(void **state)
{
    for (int rw = 0; rw < 2; rw++) {
        struct mm *A;
        struct fx_script *s;
        struct fx *f = setup(&A, rw ? VMA_READ | VMA_WRITE : VMA_READ, &s);
        struct fault_op o = { ANON_V + 63, TLB_LOAD, 0 };
        unsigned i = fx_op_call(s, op_fault, &o);
        pfn_t pfn;

        fx_start(s);
        fx_run_until(f, 100000);
        FX_EQ(s->ended[i], TA + C_FAULT + C_ALLOC + C_ZERO + C_RMAP);
        pfn = (pfn_t)pte_pfn(fx_pte(A, o.vpn));
        FX_EQ(fx_pte(A, o.vpn),
              pte_make(pfn, PTE_PRESENT | PTE_ACCESSED | (rw ? PTE_WRITE : 0)));
        FX_EQ(mem_frame(f->m->mem, pfn)->flags, FRAME_ANON);
        FX_EQ(A->rss_pages, 1);
        FX_EQ(FX_TOTAL(f, pgfault), 1);
        fx_free(f);
    }
}

/* A fault found late (credit_ns already elapsed) charges only the rest of
 * its entry cost; a credit beyond the entry cost charges none of it. */
static void test_fault_entry_credit(void **state)
{
    static const sim_time_t credit[] = { 300, 5000 };

    for (unsigned k = 0; k < 2; k++) {
        struct mm *A;
        struct fx_script *s;
        struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
        struct fault_op o = { ANON_V, TLB_STORE, credit[k] };
        unsigned i = fx_op_call(s, op_fault, &o);
        sim_time_t entry = credit[k] < C_FAULT ? C_FAULT - credit[k] : 0;

        fx_start(s);
        fx_run_until(f, 100000);
        FX_EQ(s->ended[i], TA + entry + C_ALLOC + C_ZERO + C_RMAP);
        FX_EQ(fx_spy_nth(fx_spy(f), FX_H_PAGE_ALLOC, 0)->at, TA + entry);
        fx_free(f);
    }
}

/* do_swap_page on a swap PTE whose slot is not in the swap cache: a new
 * page, swap_read_ns instead of zeroing, pswpin 1, mapped present. */
static void test_swapin_fault(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    struct fault_op o = { ANON_V + 7, TLB_LOAD, 0 };
    unsigned i = fx_op_call(s, op_fault, &o);
    pfn_t pfn;

    *mm_pte(A, o.vpn, true) = pte_make(77, PTE_SWAP);
    fx_start(s);
    fx_run_until(f, 200000);
    FX_EQ(s->ended[i], TA + C_FAULT + C_ALLOC + C_SWAPIN + C_RMAP);
    pfn = (pfn_t)pte_pfn(fx_pte(A, o.vpn));
    assert_int_not_equal(pfn, 77);
    FX_EQ(fx_pte(A, o.vpn), pte_make(pfn, PTE_PRESENT | PTE_WRITE | PTE_ACCESSED));
    FX_EQ(mem_frame(f->m->mem, pfn)->flags, FRAME_ANON);
    FX_EQ(mem_frame(f->m->mem, pfn)->owner, A->id);
    assert_true(fx_rmap_has(f, pfn, A, o.vpn));
    FX_EQ(A->rss_pages, 1);
    FX_EQ(FX_TOTAL(f, pgpgin), 1);
    FX_EQ(FX_CPU(f, pgpgin, 0), 1);
    FX_EQ(FX_TOTAL(f, pgalloc), 1);
    FX_EQ(FX_TOTAL(f, pgfault), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FAULT), C_FAULT + C_ALLOC + C_SWAPIN + C_RMAP);
    fx_free(f);
}

/* do_swap_page when the slot is still in the swap cache: a minor fault that
 * maps the cached page (no allocation, no I/O, no pswpin); a write fault
 * maps it writable and dirty. */
static void test_swapin_from_swap_cache(void **state)
{
    for (int w = 0; w < 2; w++) {
        struct mm *A;
        struct fx_script *s;
        struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
        struct fault_op o = { ANON_V + 8, w ? TLB_STORE : TLB_LOAD, 0 };
        unsigned i = fx_op_call(s, op_fault, &o);
        pfn_t pfn = fx_frame(f, 0);
        struct frame *fr = mem_frame(f->m->mem, pfn);

        fr->flags = FRAME_ANON | FRAME_SWAPCACHE;
        fr->owner = A->id;
        fr->index = 55;
        pagecache_insert(f->m->pc, SWAP_FILE_ID, 55, pfn);
        mem_lru_add(f->m->mem, pfn, LRU_INACTIVE_ANON);
        *mm_pte(A, o.vpn, true) = pte_make(55, PTE_SWAP);
        fx_start(s);
        fx_run_until(f, 100000);
        FX_EQ(s->ended[i], TA + C_FAULT + C_RMAP);
        FX_EQ(fx_pte(A, o.vpn),
              pte_make(pfn, PTE_PRESENT | PTE_ACCESSED | (w ? PTE_WRITE | PTE_DIRTY : 0)));
        assert_true(fx_rmap_has(f, pfn, A, o.vpn));
        FX_EQ(fr->mapcount, 1);
        FX_EQ(fr->state, FRAME_LRU);
        FX_EQ(A->rss_pages, 1);
        FX_EQ(FX_TOTAL(f, pgpgin), 0);
        FX_EQ(FX_TOTAL(f, pgalloc), 0);
        FX_EQ(FX_TOTAL(f, pgfault), 1);
        fx_free(f);
    }
}

/* A file mapping of a 100-page file at FILE_V (pgoff 0). */
static uint32_t add_file_vma(struct fx *f, struct mm *A, bool shared, uint8_t prot)
{
    uint32_t file = machine_new_file(f->m, 100, false);

    assert_non_null(mm_add_vma(A, FILE_V, 100, true, shared, prot, file, 0));
    return file;
}

/* do_read_fault on an uncached page: page_cache_sync_readahead reads
 * readahead_pages (32) pages from the faulting index into the page cache
 * (one allocation each; 31 reach the LRU when the LRU-add batch fills), one
 * I/O of file_read_ns with the task asleep (a major fault), then
 * do_fault_around maps the cached pages of the aligned 16-page window
 * [FILE_V, FILE_V + 16): indices 5..15 only; 0..4 are not cached and 16..36
 * are outside the window. Only the faulting PTE is young; none is writable
 * (a read fault). */
static void test_file_fault_readahead_and_fault_around(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    uint32_t file = add_file_vma(f, A, false, VMA_READ);
    struct fault_op o = { FILE_V + 5, TLB_LOAD, 0 };
    unsigned i = fx_op_call(s, op_fault, &o);
    const sim_time_t ra = 32 * C_ALLOC, map = 11 * C_RMAP;

    fx_start(s);
    fx_run_until(f, 200000);
    /* entry, readahead, the I/O, switched back in (no CR3 flush: same mm,
     * generation unchanged), fault-around */
    FX_EQ(s->ended[i], TA + C_FAULT + ra + C_FILE_READ + FX_CTX_SWITCH + map);
    FX_EQ(pagecache_pages(f->m->pc), 32);
    for (uint64_t idx = 0; idx < 100; idx++) {
        pfn_t pfn = pagecache_lookup(f->m->pc, file, idx);

        if (idx < 5 || idx > 36) {
            FX_EQ(pfn, PFN_NONE);
            continue;
        }
        assert_int_not_equal(pfn, PFN_NONE);
        FX_EQ(mem_frame(f->m->mem, pfn)->owner, file);
        FX_EQ(mem_frame(f->m->mem, pfn)->index, idx);
        FX_EQ(mem_frame(f->m->mem, pfn)->flags, 0);
    }
    for (uint64_t v = FILE_V; v < FILE_V + 100; v++) {
        pte_t want = 0;

        if (v >= FILE_V + 5 && v < FILE_V + 16)
            want = pte_make(pagecache_lookup(f->m->pc, file, v - FILE_V),
                            PTE_PRESENT | (v == o.vpn ? PTE_ACCESSED : 0));
        FX_EQ(fx_pte(A, v), want);
    }
    FX_EQ(A->rss_pages, 11);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_FILE), 31);
    FX_EQ(f->m->lru_add_len[0], 1);
    FX_EQ(FX_TOTAL(f, pgalloc), 32);
    FX_EQ(FX_TOTAL(f, pgmajfault), 1);
    FX_EQ(FX_TOTAL(f, pgfault), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FAULT), C_FAULT + ra + map);
    /* asleep for the I/O, then idle after the script from its end */
    FX_EQ(fx_cpu_time(f, 0, CT_IDLE), C_FILE_READ + (200000 - s->ended[i]));
    fx_free(f);
}

/* A fault on a cached file page is minor: no readahead, no I/O; fault-around
 * maps the cached pages of its window that are not mapped yet. A write
 * fault on a shared writable mapping maps the faulting page W + D and
 * dirties the page cache folio. */
static void test_file_fault_cached_shared_write(void **state)
{
    struct mm *A;
    struct fx_script *s;
    struct fx *f = setup(&A, VMA_READ | VMA_WRITE, &s);
    uint32_t file = add_file_vma(f, A, true, VMA_READ | VMA_WRITE);
    struct fault_op o = { FILE_V + 20, TLB_STORE, 0 };
    unsigned i = fx_op_call(s, op_fault, &o);
    pfn_t p18 = fx_file_page(f, file, 18, 0, true), p20 = fx_file_page(f, file, 20, 0, true);
    pfn_t p31 = fx_file_page(f, file, 31, 0, true), p32 = fx_file_page(f, file, 32, 0, true);

    fx_map(f, A, FILE_V + 18, p18, PTE_ACCESSED);   /* already mapped: left alone */
    fx_start(s);
    fx_run_until(f, 100000);
    FX_EQ(s->ended[i], TA + C_FAULT + 2 * C_RMAP);
    FX_EQ(fx_pte(A, FILE_V + 18), pte_make(p18, PTE_PRESENT | PTE_ACCESSED));
    FX_EQ(fx_pte(A, FILE_V + 20),
          pte_make(p20, PTE_PRESENT | PTE_ACCESSED | PTE_WRITE | PTE_DIRTY));
    FX_EQ(fx_pte(A, FILE_V + 31), pte_make(p31, PTE_PRESENT));
    FX_EQ(fx_pte(A, FILE_V + 32), 0);               /* next window */
    FX_EQ(mem_frame(f->m->mem, p20)->flags, FRAME_DIRTY);
    FX_EQ(mem_frame(f->m->mem, p31)->flags, 0);
    FX_EQ(A->rss_pages, 3);
    FX_EQ(FX_TOTAL(f, pgalloc), 0);
    FX_EQ(FX_TOTAL(f, pgmajfault), 0);
    FX_EQ(pagecache_pages(f->m->pc), 4);
    (void)p32;
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anon_write_fault),
        cmocka_unit_test(test_anon_read_fault),
        cmocka_unit_test(test_fault_entry_credit),
        cmocka_unit_test(test_swapin_fault),
        cmocka_unit_test(test_swapin_from_swap_cache),
        cmocka_unit_test(test_file_fault_readahead_and_fault_around),
        cmocka_unit_test(test_file_fault_cached_shared_write),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
