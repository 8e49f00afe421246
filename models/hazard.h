/* The hazard log: accesses that used a TLB entry the kernel had already
 * invalidated in the page table (policy-semantics.md §7). A stale hit is
 * classified by what the frame has become: freed or reused (use after free,
 * H-b), under writeback or cleaned by a store (lost write, H-a), or still
 * owned (stale but harmless so far). The first reports keep the sequence of
 * events on that frame that led to them. */
#ifndef MODELS_HAZARD_H
#define MODELS_HAZARD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memory.h"
#include "models/tlb.h"
#include "sim/sim_time.h"

struct machine;
struct run_output;

struct hazard_log;

/* Frame events kept in a ring (the last 64K) so that a hazard report shows
 * the sequence that led to it. HZ_FLUSH records a CPU's TLB flush (pfn
 * PFN_NONE). */
enum hazard_event { HZ_MAP, HZ_UNMAP, HZ_WRITEBACK, HZ_WRITEBACK_DONE, HZ_FREE, HZ_ALLOC, HZ_FLUSH };

struct hazard_log *hazard_log_new(uint32_t max_reports);
void hazard_note(struct machine *m, enum hazard_event ev, unsigned cpu, uint32_t pfn,
                 uint32_t mm_id, uint64_t vpn);
void hazard_log_free(struct hazard_log *h);
/* A TLB hit of `cpu` on (mm, vpn) cached -> pfn whose PTE no longer maps
 * it that way; pte_now is the current PTE (0 if none). */
/* As hazard_stale_hit, for an access that happened at `when` (an app
 * thread's accesses are processed lazily, up to a quantum after). */
void hazard_stale_hit_at(struct machine *m, sim_time_t when, unsigned cpu, uint32_t mm_id,
                         uint64_t vpn, uint32_t pfn, enum tlb_access kind, uint64_t pte_now);
void hazard_stale_hit(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                      uint32_t pfn, enum tlb_access kind, uint64_t pte_now);
uint64_t hazard_count(const struct hazard_log *h);
/* Moves the reports into out (hazard, n_hazard). */
void hazard_log_export(struct hazard_log *h, struct run_output *out);

#endif
