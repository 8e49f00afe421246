/* One CPU's TLB: L1 dTLB, L1 iTLB and a shared L2 (STLB), each set-associative
 * with true LRU replacement, for 4 KiB pages. Entries are tagged with an ASID
 * (x86 PCID slot or arm64 ASID) and record the frame, W, and D as it was at fill
 * time (hardware rule H1 of policy-semantics.md). A lookup that misses L1 but
 * hits L2 refills L1. Invalidation removes matching entries from every level.
 * Leaves out: 2 MiB pages, paging-structure caches, global pages. */
#ifndef MODELS_TLB_H
#define MODELS_TLB_H

#include <stdbool.h>
#include <stdint.h>

struct tlb_level_cfg;

enum tlb_access { TLB_LOAD, TLB_STORE, TLB_IFETCH, TLB_NR_ACCESS };

struct tlb_hit {
    uint32_t pfn;
    bool writable;
    bool dirty;       /* D as cached at fill time */
};

struct tlb_counts {
    uint64_t hit[TLB_NR_ACCESS];    /* in L1 or L2 */
    uint64_t l2_hit[TLB_NR_ACCESS]; /* of those, served by L2 */
    uint64_t miss[TLB_NR_ACCESS];   /* missed every level: a page walk follows */
};

struct tlb;

/* Any level with entries == 0 is absent. Geometry must be valid (checked by
 * the machine loader): ways divides entries, entries/ways a power of two. */
struct tlb *tlb_new(const struct tlb_level_cfg *l1d, const struct tlb_level_cfg *l1i,
                    const struct tlb_level_cfg *l2);
void tlb_free(struct tlb *t);

/* Looks up (asid, vpn) for an access of `kind`; on a hit fills *out, updates
 * LRU and counts a hit; on a miss counts a miss and returns false. */
bool tlb_lookup(struct tlb *t, uint16_t asid, uint64_t vpn, enum tlb_access kind,
                struct tlb_hit *out);
/* As tlb_lookup without counting or LRU update (for checkers and tests). */
bool tlb_probe(const struct tlb *t, uint16_t asid, uint64_t vpn, struct tlb_hit *out);
/* Installs a translation after a walk into the L1 of `kind` and into L2,
 * replacing an existing entry for (asid, vpn) or the LRU way. */
void tlb_insert(struct tlb *t, uint16_t asid, uint64_t vpn, uint32_t pfn,
                bool writable, bool dirty, enum tlb_access kind);

/* Page and full invalidations return the number of entries removed (all
 * levels). An ASID invalidation is O(1) for the low ASIDs (tlb.c: epochs)
 * and returns nothing; tlb_occupancy shows its effect. */
unsigned tlb_invalidate_page(struct tlb *t, uint16_t asid, uint64_t vpn);
void tlb_invalidate_asid(struct tlb *t, uint16_t asid);
unsigned tlb_flush_all(struct tlb *t);

/* Number of valid entries in all levels, and whether any entry maps pfn
 * (O(entries): for checkers and tests only). */
unsigned tlb_occupancy(const struct tlb *t);
bool tlb_maps_pfn(const struct tlb *t, uint32_t pfn, bool *writable_dirty);

/* Calls fn once for every translation the TLB holds (an entry in L1 and
 * L2 counts once). For checkers: O(entries). */
typedef void tlb_entry_fn(void *arg, uint16_t asid, uint64_t vpn, uint32_t pfn, bool writable);
void tlb_for_each(const struct tlb *t, tlb_entry_fn *fn, void *arg);

const struct tlb_counts *tlb_counts(const struct tlb *t);
void tlb_reset_counts(struct tlb *t);

/* Tests only: sets every set's LRU counter, to exercise its wrap-around
 * (which otherwise takes 2^32 uses of one set). */
void tlb__set_lru_clocks(struct tlb *t, uint32_t value);

#endif
