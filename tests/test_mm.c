/* mm: VMAs stay sorted and never overlap, lookups by binary search, PTE
 * tables allocated on first use per 512-page span aligned to absolute vpn
 * multiples of 512, the PTE helpers, and removal with its tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/mm.h"

static struct vma *add_anon(struct mm *mm, uint64_t start, uint64_t n)
{
    return mm_add_vma(mm, start, n, false, false, VMA_READ | VMA_WRITE, 0, 0);
}

static void test_mm_new_defaults(void **state)
{
    struct mm *mm = mm_new(7, 96);

    assert_int_equal(mm->id, 7);
    assert_int_equal(mm->tlb_gen, 1);
    assert_int_equal(mm->cpumask.nbits, 96);
    assert_true(cpumask_empty(&mm->cpumask));
    assert_int_equal(mm->n_vmas, 0);
    assert_int_equal(mm->table_pages, 0);
    assert_null(mm_find_vma(mm, 0));
    assert_null(mm_pte(mm, 0, true));
    mm_free(mm);
    mm_free(NULL);
}

static void test_mm_add_find_sorted(void **state)
{
    struct mm *mm = mm_new(1, 4);
    struct vma *v;

    assert_non_null(add_anon(mm, 1000, 10));
    assert_non_null(mm_add_vma(mm, 100, 5, true, true, VMA_READ, 42, 7));
    assert_non_null(add_anon(mm, 2000, 1));
    assert_int_equal(mm->n_vmas, 3);
    assert_int_equal(mm->vmas[0].start_vpn, 100);
    assert_int_equal(mm->vmas[1].start_vpn, 1000);
    assert_int_equal(mm->vmas[2].start_vpn, 2000);
    v = mm_find_vma(mm, 104);
    assert_non_null(v);
    assert_true(v->is_file && v->is_shared);
    assert_int_equal(v->file_id, 42);
    assert_int_equal(v->file_pgoff, 7);
    assert_int_equal(v->prot, VMA_READ);
    assert_null(mm_find_vma(mm, 105));
    assert_null(mm_find_vma(mm, 99));
    assert_int_equal(mm_find_vma(mm, 1009)->start_vpn, 1000);
    assert_null(mm_find_vma(mm, 1010));
    assert_int_equal(mm_find_vma(mm, 2000)->end_vpn, 2001);
    assert_null(mm_find_vma(mm, UINT64_MAX));
    mm_free(mm);
}

static void test_mm_add_rejects_overlap(void **state)
{
    struct mm *mm = mm_new(1, 4);

    assert_non_null(add_anon(mm, 100, 100));       /* [100, 200) */
    assert_null(add_anon(mm, 150, 10));
    assert_null(add_anon(mm, 50, 51));              /* ends at 101 */
    assert_null(add_anon(mm, 199, 5));
    assert_null(add_anon(mm, 0, 1000));             /* covers it */
    assert_null(add_anon(mm, 300, 0));
    assert_null(add_anon(mm, UINT64_MAX - 1, 5));   /* wraps */
    assert_non_null(add_anon(mm, 50, 50));          /* touches below */
    assert_non_null(add_anon(mm, 200, 1));          /* touches above */
    assert_int_equal(mm->n_vmas, 3);
    mm_free(mm);
}

static void test_mm_many_vmas_grow(void **state)
{
    struct mm *mm = mm_new(1, 4);

    /* reverse order: every insert goes to the front */
    for (uint64_t i = 100; i-- > 0;)
        assert_non_null(add_anon(mm, i * 10, 5));
    assert_int_equal(mm->n_vmas, 100);
    for (uint32_t i = 1; i < mm->n_vmas; i++)
        assert_true(mm->vmas[i - 1].end_vpn <= mm->vmas[i].start_vpn);
    for (uint64_t i = 0; i < 100; i++) {
        assert_int_equal(mm_find_vma(mm, i * 10 + 4)->start_vpn, i * 10);
        assert_null(mm_find_vma(mm, i * 10 + 5));
    }
    mm_free(mm);
}

static void test_mm_pte_alloc_on_demand(void **state)
{
    struct mm *mm = mm_new(1, 4);
    pte_t *p;

    add_anon(mm, 0, 2048);
    assert_null(mm_pte(mm, 10, false));
    assert_int_equal(mm->table_pages, 0);
    p = mm_pte(mm, 10, true);
    assert_non_null(p);
    assert_int_equal(*p, 0);
    assert_int_equal(mm->table_pages, 1);
    *p = pte_make(77, PTE_PRESENT | PTE_WRITE);
    assert_ptr_equal(mm_pte(mm, 10, false), p);
    assert_ptr_equal(mm_pte(mm, 511, false), p + 501);    /* same table */
    assert_null(mm_pte(mm, 512, false));                   /* next table */
    assert_non_null(mm_pte(mm, 1023, true));
    assert_int_equal(mm->table_pages, 2);
    assert_null(mm_pte(mm, 2048, true));                    /* outside */
    mm_free(mm);
}

static void test_mm_table_aligned_to_absolute_512(void **state)
{
    struct mm *mm = mm_new(1, 4);
    struct vma *v = add_anon(mm, 500, 600);    /* [500, 1100): spans 0, 1, 2 */
    pte_t *t0, *t1;

    assert_int_equal(v->n_tables, 3);
    t0 = mm_pte_table(mm, 510, true);
    assert_ptr_equal(mm_pte(mm, 500, false), t0 + 500);
    assert_ptr_equal(mm_pte(mm, 511, false), t0 + 511);
    t1 = mm_pte_table(mm, 512, true);
    assert_ptr_not_equal(t0, t1);
    assert_ptr_equal(mm_pte(mm, 1023, false), t1 + 511);
    assert_ptr_equal(mm_find_vma(mm, 500)->table[0], t0);
    assert_ptr_equal(mm_find_vma(mm, 500)->table[1], t1);
    assert_null(mm_find_vma(mm, 500)->table[2]);
    assert_non_null(mm_pte(mm, 1099, true));
    assert_int_equal(mm->table_pages, 3);
    /* a one-page VMA in the middle of a span still gets one table */
    v = add_anon(mm, 5000, 1);
    assert_int_equal(v->n_tables, 1);
    t0 = mm_pte(mm, 5000, true);
    assert_ptr_equal(t0, mm_pte_table(mm, 5000, false) + (5000 & 511));
    mm_free(mm);
}

static void test_mm_pte_helpers(void **state)
{
    pte_t p = pte_make(0x123456789ull, PTE_PRESENT | PTE_WRITE | PTE_DIRTY);
    pte_t s = pte_make(42, PTE_SWAP);

    assert_true(pte_present(p));
    assert_int_equal(pte_pfn(p), 0x123456789ull);
    assert_int_equal(p & PTE_FLAGS_MASK, PTE_PRESENT | PTE_WRITE | PTE_DIRTY);
    assert_false(pte_present(s));
    assert_int_equal(pte_pfn(s), 42);
    assert_false(pte_present(0));
}

static void test_mm_remove_frees_tables(void **state)
{
    struct mm *mm = mm_new(1, 4);

    add_anon(mm, 0, 1024);
    add_anon(mm, 4096, 512);
    add_anon(mm, 8192, 10);
    assert_non_null(mm_pte(mm, 0, true));
    assert_non_null(mm_pte(mm, 600, true));
    assert_non_null(mm_pte(mm, 4096, true));
    assert_int_equal(mm->table_pages, 3);
    assert_false(mm_remove_vma(mm, 1));          /* not a start */
    assert_false(mm_remove_vma(mm, 100000));
    assert_true(mm_remove_vma(mm, 0));
    assert_int_equal(mm->table_pages, 1);
    assert_int_equal(mm->n_vmas, 2);
    assert_null(mm_find_vma(mm, 0));
    assert_null(mm_pte(mm, 0, true));
    assert_int_equal(mm_find_vma(mm, 4096)->start_vpn, 4096);
    assert_true(mm_remove_vma(mm, 8192));
    assert_false(mm_remove_vma(mm, 8192));
    assert_int_equal(mm->n_vmas, 1);
    assert_non_null(add_anon(mm, 0, 4096));      /* the hole is free again */
    mm_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm_new_defaults),
        cmocka_unit_test(test_mm_add_find_sorted),
        cmocka_unit_test(test_mm_add_rejects_overlap),
        cmocka_unit_test(test_mm_many_vmas_grow),
        cmocka_unit_test(test_mm_pte_alloc_on_demand),
        cmocka_unit_test(test_mm_table_aligned_to_absolute_512),
        cmocka_unit_test(test_mm_pte_helpers),
        cmocka_unit_test(test_mm_remove_frees_tables),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
