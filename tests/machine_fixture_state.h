/* Machine state helpers of the test fixture (a part of
 * tests/machine_fixture.h, which includes it: include that header, not this
 * one): they set up and inspect state directly, without running the engine.
 * What CPUs have loaded and their TLBs cache; frames, mappings, PTEs, the
 * page cache, free and LRU lists. */
#ifndef TESTS_MACHINE_FIXTURE_STATE_H
#define TESTS_MACHINE_FIXTURE_STATE_H

#include "models/alloc.h"
#include "models/cpu.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/reclaim_page.h"
#include "models/switch_mm.h"
#include "models/tlb.h"
#include "tests/machine_fixture_core.h"

/* ---- CPU and TLB state ---- */

/* Puts CPU `cpu` in the state of running (or, lazy, having run) mm in ASID
 * slot `slot`, flushed up to generation `gen`, and sets its mm_cpumask bit.
 * On arm64 the TLB tag is the mm's global ASID and slot/gen are ignored. */
static inline void fx_load(struct fx *f, unsigned cpu, struct mm *mm, uint16_t slot, uint64_t gen,
                           bool lazy)
{
    struct cpu *c = &f->m->cpu[cpu];

    c->loaded_mm = mm->id;
    c->is_lazy = lazy;
    if (f->m->arm64) {
        c->loaded_asid = mm->asid;
    } else {
        c->loaded_asid = slot;
        c->ctx[slot] = (struct asid_ctx){ .mm_id = mm->id, .gen = gen };
    }
    cpumask_set(&mm->cpumask, cpu);
}

/* A slot that holds mm without mm being loaded (switched away under PCID). */
static inline void fx_slot(struct fx *f, unsigned cpu, struct mm *mm, uint16_t slot, uint64_t gen)
{
    f->m->cpu[cpu].ctx[slot] = (struct asid_ctx){ .mm_id = mm->id, .gen = gen };
}

/* Inserts n translations (asid, vpn0 + i) -> pfn 1000 + vpn0 + i. */
static inline void fx_fill(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn0, unsigned n)
{
    struct tlb *t = f->m->cpu[cpu].tlb;
    struct tlb_hit h;

    for (unsigned i = 0; i < n; i++) {
        tlb_insert(t, asid, vpn0 + i, (uint32_t)(1000 + vpn0 + i), true, false, TLB_LOAD);
        assert_true(tlb_probe(t, asid, vpn0 + i, &h));
    }
}

static inline bool fx_has(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn)
{
    struct tlb_hit h;

    return tlb_probe(f->m->cpu[cpu].tlb, asid, vpn, &h);
}

/* How many of (asid, vpn0 .. vpn0 + n - 1) CPU cpu still caches. */
static inline unsigned fx_count(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn0,
                                unsigned n)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n; i++)
        k += fx_has(f, cpu, asid, vpn0 + i);
    return k;
}

/* ---- kernel paths: frames, mappings, memory pressure ----
 * Used by the tests of fault.c, alloc.c, reclaim*.c, mmu_gather.c,
 * migrate.c and app.c. Frames are taken with cpu 0's pcp lists. */

/* A new frame of `node` (FRAME_ALLOCATED, nothing set). */
static inline pfn_t fx_frame(struct fx *f, unsigned node)
{
    pfn_t pfn = mem_alloc(f->m->mem, node, 0);

    assert_int_not_equal(pfn, PFN_NONE);
    return pfn;
}

/* Maps pfn at vpn of mm with PTE flags `flags` (PTE_PRESENT added), as the
 * kernel's set_pte + rmap add + rss do. */
static inline void fx_map(struct fx *f, struct mm *mm, uint64_t vpn, pfn_t pfn, pte_t flags)
{
    pte_t *pte = mm_pte(mm, vpn, true);

    assert_non_null(pte);
    *pte = pte_make(pfn, PTE_PRESENT | flags);
    mem_rmap_add(f->m->mem, pfn, mm->id, vpn);
    mm->rss_pages++;
}

/* A private anonymous page of mm at vpn on `node`, mapped with `flags`
 * (FRAME_DIRTY when the PTE is dirty), on the inactive anon LRU if lru. */
static inline pfn_t fx_anon_page(struct fx *f, struct mm *mm, uint64_t vpn, unsigned node,
                                 pte_t flags, bool lru)
{
    pfn_t pfn = fx_frame(f, node);
    struct frame *fr = mem_frame(f->m->mem, pfn);

    fr->flags = FRAME_ANON | ((flags & PTE_DIRTY) ? FRAME_DIRTY : 0);
    fr->owner = mm->id;
    fr->index = (uint32_t)vpn;
    fr->version++;
    fx_map(f, mm, vpn, pfn, flags);
    if (lru)
        mem_lru_add(f->m->mem, pfn, LRU_INACTIVE_ANON);
    return pfn;
}

/* Page `index` of file `file_id` in the page cache on `node` (clean), on
 * the inactive file LRU if lru. Not mapped. */
static inline pfn_t fx_file_page(struct fx *f, uint32_t file_id, uint64_t index, unsigned node,
                                 bool lru)
{
    pfn_t pfn = fx_frame(f, node);
    struct frame *fr = mem_frame(f->m->mem, pfn);

    fr->flags = 0;
    fr->owner = file_id;
    fr->index = (uint32_t)index;
    fr->version++;
    pagecache_insert(f->m->pc, file_id, index, pfn);
    if (lru)
        mem_lru_add(f->m->mem, pfn, LRU_INACTIVE_FILE);
    return pfn;
}

/* Takes frames of `node` (kept FRAME_ALLOCATED, as kernel memory) until it
 * has exactly `free_pages` free on its free list and none on pcp lists
 * (the last refill's leftover drained back). */
static inline void fx_fill_node(struct fx *f, unsigned node, uint64_t free_pages)
{
    while (mem_node_free(f->m->mem, node) + mem_node_pcp(f->m->mem, node) > free_pages)
        (void)fx_frame(f, node);
    mem_drain_pcp(f->m->mem, node);
    FX_EQ(mem_node_free(f->m->mem, node), free_pages);
}

static inline pte_t fx_pte(struct mm *mm, uint64_t vpn)
{
    pte_t *pte = mm_pte(mm, vpn, false);

    return pte ? *pte : 0;
}

/* Whether pfn is on the free lists (node list or a pcp list). */
static inline bool fx_is_free(struct fx *f, pfn_t pfn)
{
    uint8_t st = mem_frame(f->m->mem, pfn)->state;

    return st == FRAME_FREE || st == FRAME_PCP;
}

/* Whether (mm, vpn) is among pfn's reverse-map entries. */
static inline bool fx_rmap_has(struct fx *f, pfn_t pfn, struct mm *mm, uint64_t vpn)
{
    for (uint32_t r = mem_frame(f->m->mem, pfn)->rmap; r != RMAP_NONE;
         r = mem_rmap_entry(f->m->mem, r)->next) {
        const struct rmap_entry *e = mem_rmap_entry(f->m->mem, r);

        if (e->mm_id == mm->id && e->vpn == vpn)
            return true;
    }
    return false;
}

/* The LRU list `l` of node from its tail (oldest) toward its head: fills
 * out[] (at most n) and returns the list's length. */
static inline uint64_t fx_lru_from_tail(struct fx *f, unsigned node, enum lru_list l, pfn_t *out,
                                        unsigned n)
{
    pfn_t p = mem_lru_tail(f->m->mem, node, l);

    for (unsigned i = 0; i < n && p != PFN_NONE; i++, p = mem_frame(f->m->mem, p)->prev)
        out[i] = p;
    return mem_lru_len(f->m->mem, node, l);
}

#endif
