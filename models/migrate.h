/* Page migration (migrate_pages_batch, v6.3+): per folio allocate a frame
 * on the target node, then unmap the folio (try_to_migrate with
 * TTU_BATCH_FLUSH: each PTE becomes a migration entry and the flush policy
 * records it); one try_to_unmap_flush for the batch before any copy (S4 of
 * policy-semantics.md §3), then per folio: copy, point every former PTE at
 * the new frame and free the old one. Faults on a migration entry wait
 * until it is replaced. */
#ifndef MODELS_MIGRATE_H
#define MODELS_MIGRATE_H

#include <stdint.h>

#include "models/memory.h"
#include "models/task.h"

#define MIGRATE_BATCH 512    /* NR_MAX_BATCHED_MIGRATION = HPAGE_PMD_NR */

enum migrate_reason { MR_SYSCALL, MR_DEMOTION, MR_NUMA_MISPLACED };

struct migrate_ctx;

/* Migrates n (<= MIGRATE_BATCH) isolated, locked folios to target_node,
 * then sets t->run = done and calls it. Folios that cannot get a frame on
 * the target stay where they are, mapped, and go back to the LRU; for
 * MR_DEMOTION they stay isolated and locked instead, for the caller to take
 * with migrate_take_failed (shrink_folio_list reclaims them). */
void migrate_list_start(struct task *t, const pfn_t *pfns, uint32_t n, unsigned target_node,
                        enum migrate_reason why, task_run_fn *done);
/* Folios the last call of t moved. */
uint32_t migrate_last_moved(const struct task *t);
/* MR_DEMOTION: the folios of the last call that got no frame, copied to
 * out (room for MIGRATE_BATCH); returns how many. */
uint32_t migrate_take_failed(struct task *t, pfn_t *out);
void migrate_ctx_free(struct migrate_ctx *c);

#endif
