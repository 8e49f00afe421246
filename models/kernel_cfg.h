/* Kernel tunables and version-dependent behaviour a scenario may set under
 * `kernel:`. Defaults are mainline's (values in the comments of kernel_cfg.c
 * name their source). */
#ifndef MODELS_KERNEL_CFG_H
#define MODELS_KERNEL_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cfg.h"

struct kernel_cfg {
    uint32_t swap_cluster_max;      /* pages isolated per shrink pass (32) */
    uint32_t free_batch;            /* folios freed per try_to_unmap_flush (31); 0: only at the end */
    uint32_t lru_add_batch;         /* per-CPU LRU-add batch (15 pagevec, 31 folio_batch) */
    uint32_t pcp_batch, pcp_high;   /* per-CPU free list refill batch and limit */
    uint32_t fault_around_pages;    /* fault_around_bytes / 4 KiB (16) */
    uint32_t readahead_pages;       /* ra_pages (32 = 128 KiB) */
    uint64_t sched_slice_ns;        /* CFS slice with two runnable tasks */
    /* Version-dependent behaviour; `version:` sets all four, each may be
     * overridden. */
    uint32_t version_major, version_minor;
    bool tlb_gen;                   /* v4.13+: flush_tlb_func skips up-to-date CPUs */
    bool pcid;                      /* v4.14+: ASID slots; false: every CR3 write flushes */
    bool skip_lazy_ipi;             /* v4.19+: lazy CPUs get no IPI unless tables were freed */
    bool lazy_cpumask;              /* v6.14+: switched-away CPUs stay in mm_cpumask */
    /* Memory tiering (off by default, as in mainline): */
    bool swap;                      /* a swap device exists: anon pages can be reclaimed */
    bool demotion;                  /* kswapd demotes to the next tier (numa_demotion_enabled) */
    bool numa_tiering;              /* NUMA balancing in memory-tiering mode: promote hot pages */
    uint64_t numa_scan_period_ns;   /* task_numa_work period */
    uint32_t numa_scan_pages;       /* pages made PROT_NONE per scan (sysctl scan_size_mb) */
    /* Tiering: a page on a slow node is promoted only if its hint fault
     * comes within this long of the scan that armed it
     * (sysctl numa_balancing_hot_threshold_ms, v5.18+). */
    uint64_t numa_hot_threshold_ns;
};

void kernel_cfg_defaults(struct kernel_cfg *k);
/* Reads the optional `kernel:` mapping (may be NULL). */
int kernel_cfg_load(struct cfg_node *map, struct kernel_cfg *k, struct cfg_error *err);

#endif
