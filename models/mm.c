/* Address spaces (see mm.h). VMAs live in one array sorted by start_vpn, so
 * lookups are a binary search and iteration is in address order. The array
 * grows by doubling: any struct vma pointer is invalidated by mm_add_vma and
 * mm_remove_vma (hold a vpn, not a pointer, across them).
 * Each VMA owns its PTE tables, one pointer per 512-page span aligned to
 * absolute multiples of 512 pages (a PMD): table index = (vpn >> 9) -
 * (start_vpn >> 9). Two VMAs sharing a PMD span get a table each, where the
 * kernel would share one; table_pages may count that span twice. */
#include "models/mm.h"

#include <glib.h>
#include <string.h>

#define MM_PMD_SHIFT 9          /* log2(PTES_PER_TABLE) */
#define MM_MIN_VMAS  8

_Static_assert(PTES_PER_TABLE == 1u << MM_PMD_SHIFT, "PMD span must match PTES_PER_TABLE");

struct mm *mm_new(uint32_t id, uint32_t n_cpus)
{
    struct mm *mm = g_new0(struct mm, 1);

    mm->id = id;
    mm->asid = (uint16_t)id;    /* default; the machine may assign another */
    mm->tlb_gen = 1;            /* as the kernel's init_new_context */
    cpumask_init(&mm->cpumask, n_cpus);
    return mm;
}

static void mm_vma_free_tables(struct mm *mm, struct vma *v)
{
    for (uint32_t i = 0; i < v->n_tables; i++) {
        if (v->table[i]) {
            g_free(v->table[i]);
            mm->table_pages--;
        }
    }
    g_free(v->table);
    v->table = NULL;
    v->n_tables = 0;
}

void mm_free(struct mm *mm)
{
    if (!mm)
        return;
    for (uint32_t i = 0; i < mm->n_vmas; i++)
        mm_vma_free_tables(mm, &mm->vmas[i]);
    g_free(mm->vmas);
    cpumask_destroy(&mm->cpumask);
    g_free(mm);
}

/* Index of the first VMA with start_vpn > vpn (0..n_vmas). */
static uint32_t mm_upper_bound(const struct mm *mm, uint64_t vpn)
{
    uint32_t lo = 0, hi = mm->n_vmas;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (mm->vmas[mid].start_vpn <= vpn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct vma *mm_find_vma(struct mm *mm, uint64_t vpn)
{
    uint32_t i = mm_upper_bound(mm, vpn);

    if (i == 0 || vpn >= mm->vmas[i - 1].end_vpn)
        return NULL;
    return &mm->vmas[i - 1];
}

static void mm_grow_vmas(struct mm *mm)
{
    if (mm->n_vmas < mm->cap_vmas)
        return;
    mm->cap_vmas = mm->cap_vmas ? mm->cap_vmas * 2 : MM_MIN_VMAS;
    mm->vmas = g_renew(struct vma, mm->vmas, mm->cap_vmas);
}

/* Also NULL when start + n_pages overflows. */
struct vma *mm_add_vma(struct mm *mm, uint64_t start_vpn, uint64_t n_pages, bool is_file,
                       bool is_shared, uint8_t prot, uint32_t file_id, uint64_t file_pgoff)
{
    uint64_t end_vpn = start_vpn + n_pages;
    uint32_t i;
    struct vma *v;

    if (n_pages == 0 || end_vpn < start_vpn)
        return NULL;
    i = mm_upper_bound(mm, start_vpn);
    if (i > 0 && mm->vmas[i - 1].end_vpn > start_vpn)
        return NULL;
    if (i < mm->n_vmas && mm->vmas[i].start_vpn < end_vpn)
        return NULL;
    mm_grow_vmas(mm);
    memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->n_vmas - i) * sizeof(*mm->vmas));
    mm->n_vmas++;
    v = &mm->vmas[i];
    *v = (struct vma){
        .start_vpn = start_vpn,
        .end_vpn = end_vpn,
        .is_file = is_file,
        .is_shared = is_shared,
        .prot = prot,
        .file_id = file_id,
        .file_pgoff = file_pgoff,
        .n_tables = (uint32_t)(((end_vpn - 1) >> MM_PMD_SHIFT) - (start_vpn >> MM_PMD_SHIFT) + 1),
    };
    v->table = g_new0(pte_t *, v->n_tables);
    return v;
}

bool mm_remove_vma(struct mm *mm, uint64_t start_vpn)
{
    uint32_t i = mm_upper_bound(mm, start_vpn);

    if (i == 0 || mm->vmas[i - 1].start_vpn != start_vpn)
        return false;
    i--;
    mm_vma_free_tables(mm, &mm->vmas[i]);
    memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->n_vmas - i - 1) * sizeof(*mm->vmas));
    mm->n_vmas--;
    return true;
}

pte_t *mm_pte_table(struct mm *mm, uint64_t vpn, bool alloc)
{
    struct vma *v = mm_find_vma(mm, vpn);
    pte_t **slot;

    if (!v)
        return NULL;
    slot = &v->table[(vpn >> MM_PMD_SHIFT) - (v->start_vpn >> MM_PMD_SHIFT)];
    if (!*slot) {
        if (!alloc)
            return NULL;
        *slot = g_new0(pte_t, PTES_PER_TABLE);
        mm->table_pages++;
    }
    return *slot;
}

pte_t *mm_pte(struct mm *mm, uint64_t vpn, bool alloc)
{
    pte_t *table = mm_pte_table(mm, vpn, alloc);

    return table ? &table[vpn & (PTES_PER_TABLE - 1)] : NULL;
}
