/* Private to the shootdown files (shootdown.c, shootdown_flush.c,
 * shootdown_tlbi.c): helpers one of them defines and another calls. */
#ifndef MODELS_SHOOTDOWN_PRIV_H
#define MODELS_SHOOTDOWN_PRIV_H

#include <stdint.h>

#include "models/shootdown.h"

struct machine;
struct mm;
struct task;

/* arm64 MAX_DVM_OPS (= PTRS_PER_PTE): longer ranges become one ASID flush. */
#define ARM64_MAX_DVM_OPS 512

/* One tlb:tlb_flush event: counted by reason, traced, and journalled for
 * the hazard checker. pages: invalidated count, or -1 for a full flush. */
void sd__count_flush_event(struct machine *m, unsigned cpu, enum tlb_flush_reason why,
                           int64_t pages);
/* flush_tlb_mm_range on arm64: TLBI per page (or by ASID past the DVM
 * limit), then DSB ISH. Always puts t into a step; returns true. */
bool sd__arm64_flush_range(struct machine *m, struct task *t, struct mm *mm,
                           uint64_t start_vpn, uint64_t n_pages);

#endif
