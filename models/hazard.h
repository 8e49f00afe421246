/* The hazard checker (policy-semantics.md §7). Every access that hits in a
 * TLB is compared with the current PTE (app.c); an entry whose PTE was
 * cleared or changed since it was filled, and whose flush has not completed
 * on that CPU, is stale, and a hit on it is classified by what the frame has
 * become since: freed, reallocated, cleaned for I/O, write-protected by an
 * mprotect that returned, or copied by a migration. A classified hit is a
 * hazard; the first `witnesses` of each class keep the ordered events on
 * that frame from the PTE change to the bad access (the witness). */
#ifndef MODELS_HAZARD_H
#define MODELS_HAZARD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memory.h"
#include "models/tlb.h"
#include "sim/cfg.h"
#include "sim/sim_time.h"

struct machine;
struct run_output;

struct hazard_log;

/* The classes of §7 that the model can produce, in the order results.json
 * lists them. */
enum hazard_class {
    HC_LOST_WRITE,                /* H-a, H-c5: store after clean / I/O start / free */
    HC_STALE_READ_FREED,          /* H-b: load of a free page (LUF's exception aside) */
    HC_STALE_READ_REALLOCATED,    /* H-b, H-c9: load of a page now another owner's */
    HC_STALE_WRITE_REALLOCATED,   /* H-b: store into another owner's page */
    HC_WRITE_AFTER_MPROTECT,      /* H-c1, H-c4: store after mprotect(RO) returned */
    HC_WRITE_AFTER_MIGRATION_COPY,/* H-c6: store to a source page being copied */
    HC_NR
};

const char *hazard_class_name(enum hazard_class c);

/* Scenario section `hazards:` (configs/README.md). */
struct hazard_cfg {
    bool adversarial;       /* probe stale entries at the worst moments */
    uint32_t witnesses;     /* witnesses kept per class */
    int remove_flush;       /* checker self-test: enum removable_flush, or -1 */
};

/* Flushes that `hazards.remove_flush` can take out of the kernel paths, so
 * that a test (or a user checking the checker) sees what each one prevents. */
enum removable_flush {
    RF_PAGEOUT_DIRTY,       /* try_to_unmap_flush_dirty before pageout */
    RF_BEFORE_FREE,         /* try_to_unmap_flush before a free batch */
    RF_END_OF_PASS,         /* try_to_unmap_flush at the end of a pass */
    RF_BEFORE_COPY,         /* try_to_unmap_flush before migration copies */
    RF_BATCHED_PENDING,     /* flush_tlb_batched_pending before a PTE walk */
    RF_ALLOC,               /* the policy's flush at page allocation (LUF) */
    RF_PTE_WRITABLE,        /* the policy's flush when a PTE becomes writable (LUF) */
    RF_ZAP,                 /* tlb_finish_mmu of munmap / MADV_DONTNEED */
    RF_MPROTECT,            /* tlb_finish_mmu of mprotect */
    RF_NR
};

const char *removable_flush_name(enum removable_flush f);
/* Reads the optional `hazards` mapping of a scenario (defaults when NULL). */
int hazard_cfg_load(struct cfg_node *map, struct hazard_cfg *out, struct cfg_error *err);
void hazard_cfg_defaults(struct hazard_cfg *out);

/* Frame events kept in a ring (the last 64K) so that a witness shows the
 * sequence that led to it. HZ_FLUSH records a CPU's TLB flush (pfn
 * PFN_NONE); HZ_MPROTECT_DONE an mprotect returning (pfn PFN_NONE, vpn the
 * range start). */
enum hazard_event {
    HZ_MAP, HZ_UNMAP, HZ_WRPROTECT, HZ_WRITEBACK, HZ_WRITEBACK_DONE, HZ_FREE, HZ_ALLOC,
    HZ_FLUSH, HZ_COPY, HZ_MPROTECT_DONE, HZ_PROBE, HZ_MADE_WRITABLE,
};

struct hazard_log *hazard_log_new(const struct hazard_cfg *cfg);
/* Gives machine m a log configured by cfg and, with cfg->remove_flush, the
 * kernel with that flush taken out (hazard_mutant.c). */
void hazard_attach(struct machine *m, const struct hazard_cfg *cfg);
void hazard_log_free(struct hazard_log *h);
void hazard_note(struct machine *m, enum hazard_event ev, unsigned cpu, uint32_t pfn,
                 uint32_t mm_id, uint64_t vpn);
/* mprotect of [vpn, vpn + n) in mm returned: adversarial probes of the
 * range's writable entries. */
void hazard_mprotect_done(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                          uint64_t n);
/* A TLB hit of `cpu` on (mm, vpn) cached -> pfn whose PTE no longer maps it
 * that way, at `when` (app threads process accesses lazily); pte_now is the
 * current PTE (0 if none). */
void hazard_stale_hit_at(struct machine *m, sim_time_t when, unsigned cpu, uint32_t mm_id,
                         uint64_t vpn, uint32_t pfn, enum tlb_access kind, uint64_t pte_now);
void hazard_stale_hit(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                      uint32_t pfn, enum tlb_access kind, uint64_t pte_now);
/* The census: TLB entries (all CPUs, all levels) whose translation the page
 * table no longer backs, and how many of them are writable. */
void hazard_census(const struct machine *m, uint64_t *stale, uint64_t *stale_writable);
uint64_t hazard_count(const struct hazard_log *h);
uint64_t hazard_class_count(const struct hazard_log *h, enum hazard_class c);
/* Moves the witnesses and counts into out. */
void hazard_log_export(struct hazard_log *h, struct run_output *out);

#endif
