/* Page migration (migrate_pages_batch, v6.3+): unmap every folio of a batch
 * (try_to_migrate with TTU_BATCH_FLUSH: each PTE becomes a migration entry
 * and the flush policy records it), one try_to_unmap_flush for the batch
 * before any copy (S4 of policy-semantics.md §3), then per folio: allocate on
 * the target node, copy, point every former PTE at the new frame and free
 * the old one. Faults on a migration entry wait until it is replaced. */
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
 * the target stay where they are and go back to the LRU. */
void migrate_list_start(struct task *t, const pfn_t *pfns, uint32_t n, unsigned target_node,
                        enum migrate_reason why, task_run_fn *done);
/* Folios the last call of t moved. */
uint32_t migrate_last_moved(const struct task *t);
void migrate_ctx_free(struct migrate_ctx *c);

#endif
