/* madvise(MADV_PAGEOUT) over a range (mm/madvise.c): one PTE table at a
 * time, flush_tlb_batched_pending first, the accessed bits of the range
 * cleared into an mmu_gather, the table's private folios isolated and handed
 * to shrink_folio_list (reclaim_pages), and the gathered range flushed at
 * tlb_finish_mmu. */
#ifndef MODELS_MADVISE_H
#define MODELS_MADVISE_H

#include <stdint.h>

#include "models/task.h"

void madvise_pageout(struct task *t, uint64_t start_vpn, uint64_t n_pages, task_run_fn *done);

#endif
