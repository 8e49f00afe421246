/* Workloads of a scenario: parsed and checked at load time into plain
 * structs (workload_parse), then instantiated on a machine at run time
 * (workload_start): processes (mms) with their mappings and threads pinned
 * to CPUs. Types: `app` (threads accessing memory in a pattern), and
 * syscall loops, apps that after every window of accesses make one call on
 * the window they walked: `madv_pageout` (madvise(MADV_PAGEOUT), seeds 002
 * and 003), `madv_dontneed`, `munmap` (unmap and map again) and `mprotect`
 * (read-only, then writable again), `migrate` (migrate_pages of the window to
 * the next NUMA node, so the pages travel round the nodes). */
#ifndef MODELS_WORKLOAD_H
#define MODELS_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/app.h"
#include "sim/cfg.h"

struct machine;
struct machine_cfg;

enum workload_type {
    WL_APP, WL_MADV_PAGEOUT, WL_MADV_DONTNEED, WL_MUNMAP, WL_MPROTECT, WL_MIGRATE, WL_NR
};

struct mapping_cfg {
    bool is_file, is_shared, sparse, populate;
    uint8_t prot;                  /* enum vma_prot */
    uint64_t size_pages;
};

struct workload_cfg {
    enum workload_type type;
    char name[32];
    uint32_t processes, threads_per_process;
    uint32_t *cpus;                /* expanded CPU list; threads go round-robin */
    uint32_t n_cpus;
    struct mapping_cfg *maps;
    uint32_t n_maps;
    struct app_pattern pattern;    /* regions filled per process at start */
    uint64_t window_pages;         /* syscall loops: pages per call (0: all data) */
};

/* Parses the `workloads:` sequence. Returns 0 or -1 with *err. */
int workload_parse(struct cfg_node *seq, const struct machine_cfg *mc,
                   struct workload_cfg **out, uint32_t *n_out, struct cfg_error *err);
void workload_cfg_free(struct workload_cfg *w, uint32_t n);
/* Creates the processes and threads. Returns 0, or -1 with a message in
 * *msg (g_malloc'd) when memory runs out while populating. */
int workload_start(struct machine *m, struct workload_cfg *w, uint32_t n, char **msg);
/* A workload type's name in scenarios, and what it does (`tlbsim list`). */
const char *workload_type_name(enum workload_type type);
const char *workload_type_what(enum workload_type type);
/* One line: "2 workloads: readers (app, 48 processes x 1 thread), ...". */
void workload_summary(const struct workload_cfg *w, uint32_t n, char *buf, size_t len);

#endif
