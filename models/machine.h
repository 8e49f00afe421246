/* The simulated machine: CPUs with their TLBs, physical memory, address
 * spaces, the flush policy instance and the counters. It owns every model
 * object of a run and is the single context that handlers reach. */
#ifndef MODELS_MACHINE_H
#define MODELS_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpu.h"
#include <glib.h>

#include "models/kernel_cfg.h"
#include "models/memory.h"
#include "models/spinlock.h"
#include "models/machine_cfg.h"
#include "sim/rng.h"
#include "sim/stats.h"

struct memory;
struct mm;
struct flush_policy_ops;
struct pagecache;
struct hazard_log;
struct trace_state;
struct timeline;

/* A file that workloads map: its size and whether reading it needs I/O. */
struct file_info {
    uint64_t size_pages;
    bool sparse;            /* holes: reading a page is zeroing it (no I/O) */
};

struct machine_counters {
#define C(field, name) stats_id field;
#include "models/counters.def"
#undef C
    stats_id shootdown_latency;     /* histogram: initiator's wait, ns */
    stats_id stale_entries, stale_entries_writable;   /* histograms: the hazard census */
};

/* Stream kinds for rng_stream_init (see sim/rng.h). */
enum rng_kind { RNG_KIND_ENGINE = 1, RNG_KIND_CPU, RNG_KIND_WORKLOAD, RNG_KIND_POLICY, RNG_KIND_THREAD };

struct machine {
    const struct machine_cfg *cfg;
    struct kernel_cfg kcfg;
    struct sim_engine *eng;
    struct stats *st;
    struct machine_counters ctr;
    uint64_t seed;
    unsigned n_cpus;
    struct cpu *cpu;
    struct memory *mem;
    struct pagecache *pc;
    struct mm **mms;                /* by id; id 0 unused */
    uint32_t n_mms;
    struct task **tasks;            /* by id */
    uint32_t n_tasks;
    struct task **kswapd;           /* per node; NULL for CPU-less nodes */
    /* the flush policy */
    const struct flush_policy_ops *policy;
    void *policy_priv;
    struct hazard_log *hazards;
    /* hazards.remove_flush (checker self-test): the flush taken out (enum
     * removable_flush, -1 none); policy then points at mutant_ops, a copy of
     * policy_orig with that hook replaced (hazard_mutant.c). */
    int removed_flush;
    const struct flush_policy_ops *policy_orig;
    struct flush_policy_ops *mutant_ops;
    struct flush_req *req_free;     /* pooled shootdown requests */
    struct flush_req *req_all;      /* every request allocated (freed at the end, in flight or not) */
    uint16_t *zonelist;             /* n_nodes x n_nodes: fallback order by distance */
    uint32_t *lru_add_len;          /* per CPU: pages in its LRU-add batch */
    pfn_t *lru_add_buf;             /* per CPU: kcfg.lru_add_batch slots */
    GPtrArray **mm_threads;         /* by mm id: app tasks of that mm */
    uint32_t cap_mms;
    uint64_t next_swap_slot;
    struct sim_spinlock *lru_lock;  /* per node */
    int *demote_target;             /* per node: next memory tier, -1 if none */
    /* NUMA tiering: per frame, when the scan last armed one of its PTEs
     * (folio_xchg_access_time), in us, wrapping; NULL without tiering. The
     * kernel keeps ms at jiffy resolution; us lets scaled-down scenarios
     * use scaled-down hot thresholds. */
    uint32_t *numa_access_us;
    uint64_t *cluster_stamp;        /* per APIC cluster: last IPI send that reached it */
    sim_time_t *cluster_sent_at;    /* ... and when its ICR write was done */
    uint64_t send_stamp;
    struct file_info *files;        /* by file id; id 0 is the swap cache */
    uint32_t n_files;
    char *failure;                  /* set when the run must stop: out of memory */
    struct trace_state *trace;      /* tlb_flush events in ftrace text (trace.c); NULL: off */
    struct timeline *timeline;      /* timeline.json recorder (timeline.c); NULL: off */
    bool arm64;                     /* broadcast TLBI machine */
};

/* Builds the machine (CPUs, TLBs, memory, a kswapd per node) with its flush
 * policy; the machine owns policy_priv (g_malloc'd, configured) from here on. */
struct machine *machine_new(const struct machine_cfg *cfg, const struct kernel_cfg *k,
                            const struct flush_policy_ops *policy, void *policy_priv,
                            struct sim_engine *eng, struct stats *st, uint64_t seed);
void machine_free(struct machine *m);
struct mm *machine_new_mm(struct machine *m);
struct task *machine_new_task(struct machine *m, enum task_kind kind, unsigned cpu,
                              struct mm *mm, const char *name);
static inline struct mm *machine_mm(struct machine *m, uint32_t id) { return m->mms[id]; }
/* A *_remote_extra_ns cost scaled by distance: per_step_ns for every 10 of
 * SLIT distance beyond the local 10 (21 -> 1.1 steps, 14 -> 0.4). */
sim_time_t machine_remote_extra(const struct machine *m, unsigned from_node, unsigned to_node,
                                sim_time_t per_step_ns);
/* Processes the user-mode work of every thread of mm up to now, before the
 * kernel reads or changes PTEs of mm (accessed/dirty bits, clears). */
void machine_sync_mm(struct machine *m, struct mm *mm);
uint32_t machine_new_file(struct machine *m, uint64_t size_pages, bool sparse);
/* Stops the run with a runtime failure (exit status 1). */
void machine_fail(struct machine *m, const char *msg);
/* Counter helpers */
static inline void machine_count(struct machine *m, stats_id id, unsigned cpu, uint64_t d)
{
    stats_add(m->st, id, cpu, d);
}

#endif
