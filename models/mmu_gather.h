/* PTE-changing system calls with mmu_gather semantics (policy-semantics.md
 * §2): MADV_DONTNEED and munmap zap a range (flush_tlb_batched_pending per
 * PTE table, PTEs cleared and pages gathered, a forced flush at the end of a
 * table when a dirty file PTE was zapped or the gather is full, the rest at
 * tlb_finish_mmu -- a full flush when another gather of the mm is in flight
 * -- and only then are pages freed); mprotect(PROT_READ) write-protects
 * (change_pte_range: a flush only when a PTE lost its write bit, at the end). */
#ifndef MODELS_MMU_GATHER_H
#define MODELS_MMU_GATHER_H

#include <stdbool.h>
#include <stdint.h>

#include "models/task.h"

enum zap_kind {
    ZAP_DONTNEED, ZAP_MUNMAP, ZAP_PROTECT_RO,
    ZAP_PROT_NUMA,      /* change_prot_numa: PROT_NONE on slow-tier pages (tiering mode) */
};

struct zap_ctx;

/* Runs the call on [start_vpn, start_vpn + n_pages) of t's mm, then sets
 * t->run = done and calls it. munmap removes the VMA and maps it again
 * (fresh, empty) so that loops can continue; mprotect restores write
 * permission on the VMA afterwards (PTEs stay read-only until a write
 * fault), as a mprotect(RO)/mprotect(RW) pair does. */
void mmu_gather_call(struct task *t, enum zap_kind kind, uint64_t start_vpn, uint64_t n_pages,
                     task_run_fn *done);
void zap_ctx_free(struct zap_ctx *z);

/* NUMA balancing (memory-tiering mode): task_numa_work runs in a thread of
 * each mm once per kcfg.numa_scan_period_ns; numa_scan_due says whether t
 * should run it now, numa_scan_start runs it (change_prot_numa over the next
 * numa_scan_pages of the mm's mappings) and then calls done. */
bool numa_scan_due(const struct task *t);
void numa_scan_start(struct task *t, task_run_fn *done);

#endif
