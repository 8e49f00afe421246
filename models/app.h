/* Application threads: user-mode memory accesses through the CPU's TLB.
 * A thread runs in quanta of CPU time; its accesses are processed lazily, up
 * to the current time, whenever something could observe or change what they
 * see (the end of a quantum, an interrupt on its CPU, the kernel reading or
 * clearing PTEs of its mm). So a flush lands between exactly the right two
 * accesses, and a thread costs one event per quantum, not one per access.
 * A TLB hit costs access_ns; a miss adds a page walk; a non-present PTE
 * faults (fault.c). A store through an entry cached with D=0 re-walks (H2). */
#ifndef MODELS_APP_H
#define MODELS_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "models/task.h"
#include "sim/sim_time.h"

struct machine;
struct mm;

enum app_pattern_kind { PAT_SEQUENTIAL, PAT_UNIFORM, PAT_ZIPF, PAT_HOTCOLD };

struct app_region {
    uint64_t start_vpn, n_pages;
};

/* How the threads of one workload access memory; shared, read-only. */
struct app_pattern {
    enum app_pattern_kind kind;
    double zipf_exponent;
    double hot_fraction, hot_access_fraction;
    double write_fraction, ifetch_fraction;
    sim_time_t access_ns;          /* CPU time of one access that hits the TLB */
    sim_time_t quantum_ns;
    uint64_t text_start_vpn, text_pages;
    struct app_region *regions;    /* the data the pattern covers, in order */
    uint32_t n_regions;
    uint64_t total_pages;
    /* After every `syscall_every` accesses the thread calls syscall() on the
     * data pages those accesses walked (sequential patterns over one
     * mapping); 0: never. Used for madvise loops. */
    uint64_t syscall_every;
    void (*syscall)(struct task *t, uint64_t start_vpn, uint64_t n_pages, task_run_fn *done);
};

/* Creates a thread of mm pinned to cpu; `index` of `n_siblings` threads of
 * the same process spreads sequential cursors over the data. */
struct task *app_thread_create(struct machine *m, struct mm *mm, unsigned cpu,
                               const struct app_pattern *pat, uint32_t index,
                               uint32_t n_siblings, const char *name);
void app_thread_free(struct task *t);
/* The adversarial hazard probe (hazard_probe.c): thread t, in user mode on
 * its CPU, accesses vpn now through whatever its TLB caches for it (a store
 * if the entry is writable and dirty), after the accesses it made up to
 * now. No CPU time is charged: the probe stands for an access the thread
 * could have made at this moment. */
void app_probe_access(struct task *t, uint64_t vpn);
/* Accesses this thread completed. */
uint64_t app_thread_accesses(const struct task *t);

#endif
