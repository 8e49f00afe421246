/* A machine as its YAML describes it: topology, TLB geometry, the shootdown
 * mechanism, and every hardware and kernel cost the models charge. Plain data:
 * machine_cfg_load() fills it from a cfg tree, tests may fill it in C. All
 * times are in nanoseconds (the YAML may give cycles: converted with clock_mhz). */
#ifndef MODELS_MACHINE_CFG_H
#define MODELS_MACHINE_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cfg.h"

#define MACHINE_MAX_CPUS   4096
#define MACHINE_MAX_NODES  64
#define MACHINE_MAX_NAME   64
#define MACHINE_MAX_SOCKETS 256

enum machine_arch { ARCH_X86, ARCH_ARM64 };
enum shootdown_mech { SHOOTDOWN_IPI, SHOOTDOWN_BROADCAST_TLBI };

struct tlb_level_cfg {
    uint32_t entries;        /* 0: level absent */
    uint32_t ways;           /* divides entries; entries/ways is a power of two */
};

struct node_cfg {
    uint64_t mem_bytes;      /* multiple of 4 KiB */
    bool has_cpus;           /* false for CPU-less memory nodes (CXL expanders) */
    /* watermarks, in pages; computed from the node size when the YAML is silent,
     * as mm/page_alloc.c does: min_free_kbytes = int_sqrt(16 * total KiB)
     * clamped to [128, 262144] KiB, split across nodes by size; then
     * gap = max(min / 4, pages * watermark_scale_factor(10) / 10000),
     * low = min + gap, high = low + gap (see machine_cfg_node.c). */
    uint64_t wmark_min_pages, wmark_low_pages, wmark_high_pages;
};

struct machine_costs {
    /* IPIs (x86 shootdown path) */
    uint64_t ipi_send_ns;                 /* initiator: per destination APIC write */
    uint64_t ipi_deliver_smt_ns;          /* send-to-handler-entry latency, SMT sibling */
    uint64_t ipi_deliver_same_socket_ns;
    uint64_t ipi_deliver_remote_socket_ns;
    uint64_t irq_entry_exit_ns;           /* target: interrupt entry + exit */
    uint64_t ack_same_socket_ns;          /* csd unlock seen by the initiator */
    uint64_t ack_remote_socket_ns;
    /* local TLB maintenance */
    uint64_t invlpg_ns;                   /* one page */
    uint64_t full_flush_ns;               /* CR3 write, excluding later refills */
    uint32_t flush_ceiling_pages;         /* > this many pages: full flush (33) */
    uint64_t page_walk_ns;                /* TLB miss, page tables in local memory */
    uint64_t page_walk_remote_extra_ns;   /* added per remote distance step (distance/10 - 1) */
    /* arm64 broadcast maintenance */
    uint64_t tlbi_issue_ns;               /* one TLBI ...IS at the issuer */
    uint64_t dsb_base_ns;                 /* DSB ISH with nothing outstanding */
    uint64_t dsb_per_cpu_ns;              /* growth per CPU in the inner-shareable domain */
    uint64_t dsb_per_pending_tlbi_ns;     /* per outstanding TLBI being waited for */
    uint64_t dsb_per_concurrent_ns;       /* per other CPU broadcasting at the same time */
    /* kernel work */
    uint64_t page_fault_ns;               /* fault entry, PTE install, exit */
    uint64_t page_zero_ns;                /* clearing one 4 KiB page */
    uint64_t page_copy_ns;                /* copying one 4 KiB page, local */
    uint64_t page_copy_remote_extra_ns;   /* added per remote distance step */
    uint64_t reclaim_scan_ns;             /* isolate + check references, per page */
    uint64_t rmap_unmap_ns;               /* rmap walk + PTE clear, per mapping */
    uint64_t page_free_ns;                /* per page returned to the allocator */
    uint64_t page_alloc_ns;               /* per page taken from the allocator */
    uint64_t swap_write_ns;               /* device latency of one 4 KiB write */
    uint64_t swap_read_ns;
    uint64_t file_read_ns;
    uint64_t file_write_ns;
    uint64_t context_switch_ns;
    uint64_t lru_move_ns;                 /* one folio on/off an LRU list, under lru_lock */
    uint64_t pagecache_insert_ns;         /* page-cache insertion + readahead bookkeeping, per page */
};

struct machine_cfg {
    char name[MACHINE_MAX_NAME];
    enum machine_arch arch;
    enum shootdown_mech shootdown;
    uint32_t sockets, cores_per_socket, threads_per_core;
    uint32_t n_cpus;                      /* sockets * cores_per_socket * threads_per_core */
    uint32_t clock_mhz;                   /* for costs given in cycles */
    uint32_t tick_hz;                     /* scheduler tick (timer interrupts) */
    uint32_t ipi_cluster_cpus;            /* x2APIC cluster mode: one IPI send per cluster
                                           * of this many logical CPUs; 0: per destination */
    uint32_t n_nodes;
    struct node_cfg node[MACHINE_MAX_NODES];
    uint8_t distance[MACHINE_MAX_NODES][MACHINE_MAX_NODES]; /* SLIT: 10 local */
    /* CPU -> node; by default a socket's CPUs are on the socket's node. */
    uint16_t cpu_node[MACHINE_MAX_CPUS];
    uint32_t cpu_socket[MACHINE_MAX_CPUS];  /* Linux numbering, see machine_cfg_cpu_* */
    uint32_t cpu_core[MACHINE_MAX_CPUS];    /* core index within the socket */
    uint32_t cpu_thread[MACHINE_MAX_CPUS];  /* SMT thread index within the core */
    struct tlb_level_cfg l1d, l1i, l2;
    uint32_t asid_slots;                  /* x86: 6 dynamic PCIDs; arm64: 65536 */
    struct machine_costs cost;
};

/* Fills *cfg from a machine mapping. Every key is checked; unknown keys, bad
 * types, out-of-range and inconsistent values fail with a positioned error.
 * Returns 0, or -1 with *err. Never exits or aborts. */
int machine_cfg_load(struct cfg_node *machine, struct machine_cfg *cfg, struct cfg_error *err);
/* One line, e.g. "x86-4s-48c: x86, 4 sockets x 6 cores x 2 threads = 48 CPUs,
 * 4 nodes (4 with CPUs), 64 GiB, shootdown ipi"; truncated to len - 1. */
void machine_cfg_summary(const struct machine_cfg *cfg, char *buf, size_t len);
uint64_t machine_cfg_total_mem(const struct machine_cfg *cfg);

/* Linux CPU id of (socket, core, thread). x86 follows the MADT order of Intel
 * servers: the first thread of every core, socket-major, then the second
 * threads in the same order, so cpu = thread * (S * C) + socket * C + core
 * (on the 4 x 6 x 2 machine cpu 24 is cpu 0's SMT sibling). arm64 numbers the
 * cores in order, socket-major (threads_per_core is 1). Arguments must be in
 * range; the result is below cfg->n_cpus. */
uint32_t machine_cfg_cpu_id(const struct machine_cfg *cfg, uint32_t socket, uint32_t core,
                            uint32_t thread);
/* Cycles at clock_mhz to ns, rounded to nearest (half up). clock_mhz > 0,
 * cycles <= 10^12. */
uint64_t machine_cfg_cycles_to_ns(uint64_t cycles, uint32_t clock_mhz);
/* Marks the NULL-terminated `known` keys of mapping `map` as looked up, then
 * fails at the first other key. Called before reading a mapping so that a
 * typo is reported as an unknown key rather than as a missing one. */
int machine_cfg_check_keys(struct cfg_node *map, const char *const *known,
                           struct cfg_error *err);

#endif
