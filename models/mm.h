/* An address space (mm): its VMAs, a page table of 512-PTE tables allocated
 * on first use (one per PMD), and the per-mm TLB state the kernel keeps:
 * tlb_gen, mm_cpumask, tlb_flush_batched (pending/flushed) and
 * tlb_flush_pending (policy-semantics.md §0). VMAs are kept sorted by start.
 * Leaves out: huge pages, page-table freeing, mmap_lock. */
#ifndef MODELS_MM_H
#define MODELS_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpumask.h"

typedef uint64_t pte_t;

/* x86-like bit positions; the model only needs the flags and the frame. */
#define PTE_PRESENT   (1ull << 0)
#define PTE_WRITE     (1ull << 1)
#define PTE_ACCESSED  (1ull << 5)
#define PTE_DIRTY     (1ull << 6)
#define PTE_SWAP      (1ull << 9)   /* not present; the frame field holds a swap slot */
#define PTE_MIGRATION (1ull << 10)  /* not present; a migration of the frame is in flight */
#define PTE_NUMA      (1ull << 11)  /* present but PROT_NONE for NUMA hinting: accesses fault */
/* Software bit: write-protected by an mprotect(PROT_READ) that has returned
 * (set on present, swap and migration entries, as change_pte_range covers
 * all three); a PTE made anew or writable again does not carry it. The
 * hazard checker uses it to tell H-c1 / H-c4 stores from a racing mprotect. */
#define PTE_MPROTECTED (1ull << 8)
#define PTE_PFN_SHIFT 12
#define PTE_FLAGS_MASK ((1ull << PTE_PFN_SHIFT) - 1)
#define PTES_PER_TABLE 512u

static inline uint64_t pte_pfn(pte_t p) { return p >> PTE_PFN_SHIFT; }
static inline pte_t pte_make(uint64_t pfn, uint64_t flags) { return (pfn << PTE_PFN_SHIFT) | flags; }
static inline bool pte_present(pte_t p) { return p & PTE_PRESENT; }

enum vma_prot { VMA_READ = 1, VMA_WRITE = 2, VMA_EXEC = 4 };

struct vma {
    uint64_t start_vpn, end_vpn;   /* [start, end), in 4 KiB pages */
    bool is_file, is_shared;
    uint8_t prot;                  /* enum vma_prot bits */
    uint32_t file_id;              /* file mappings: which file */
    uint64_t file_pgoff;           /* file page of start_vpn */
    pte_t **table;                 /* one pointer per PMD span, NULL until used */
    uint32_t n_tables;
};

struct mm {
    uint32_t id;
    uint16_t asid;                 /* arm64: the mm's ASID (default: low 16 bits of id);
                                      x86 uses per-CPU slots */
    struct vma *vmas;              /* sorted by start_vpn, n_vmas of them */
    uint32_t n_vmas, cap_vmas;
    uint64_t tlb_gen;              /* starts at 1, as the kernel's */
    struct cpumask cpumask;        /* mm_cpumask */
    uint32_t flush_batched_pending, flush_batched_flushed;
    uint32_t tlb_flush_pending;    /* in-flight mmu_gathers */
    uint64_t next_trim_ns;         /* once-a-second cpumask trim (v6.14) */
    uint64_t rss_pages;
    uint64_t table_pages;          /* PTE tables now allocated (mm_remove_vma subtracts) */
    uint64_t numa_next_scan_ns;    /* NUMA balancing: when task_numa_work runs next */
    uint64_t numa_scan_vpn;        /* ... and where it resumes */
};

struct mm *mm_new(uint32_t id, uint32_t n_cpus);
void mm_free(struct mm *mm);

/* Adds [start_vpn, start_vpn + n_pages). Returns the VMA, or NULL if it
 * overlaps an existing one or n_pages is 0. The pointer stays valid until
 * the next mm_add_vma/mm_remove_vma. */
struct vma *mm_add_vma(struct mm *mm, uint64_t start_vpn, uint64_t n_pages, bool is_file,
                       bool is_shared, uint8_t prot, uint32_t file_id, uint64_t file_pgoff);
/* Removes the VMA that starts at start_vpn with its page tables (the caller
 * has already unmapped the frames). Returns false if none starts there. */
bool mm_remove_vma(struct mm *mm, uint64_t start_vpn);
struct vma *mm_find_vma(struct mm *mm, uint64_t vpn);

/* The PTE for vpn, or NULL when no VMA covers vpn, or when its table is not
 * allocated and alloc is false. Tables are zeroed (all PTEs none) when made. */
pte_t *mm_pte(struct mm *mm, uint64_t vpn, bool alloc);
/* The 512-entry table holding vpn (entry 0 maps vpn & ~511), or NULL. */
pte_t *mm_pte_table(struct mm *mm, uint64_t vpn, bool alloc);

/* x86 pte_accessible(): a TLB may cache the old PTE only if it was present
 * and not PROT_NONE (NUMA hinting), or PROT_NONE while an mmu_gather of the
 * mm is in flight (the PROT_NONE change may not be flushed yet). Reclaim and
 * migration ask the flush policy about a cleared PTE only when it was
 * accessible (set_tlb_ubc_flush_pending, Huang Ying 4d4b6d66db63). */
static inline bool pte_accessible(const struct mm *mm, pte_t p)
{
    return pte_present(p) && (!(p & PTE_NUMA) || mm->tlb_flush_pending);
}

#endif
