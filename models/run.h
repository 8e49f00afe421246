/* The boundary between the models and the command line: a scenario loaded
 * and validated (run_load), then executed (run_execute) into a run_output that
 * the writers in cli/ turn into files. Loading does every input check, so a
 * run that starts never fails on bad input and never leaves partial output. */
#ifndef MODELS_RUN_H
#define MODELS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/hazard.h"
#include "models/timeline.h"
#include "sim/cfg.h"
#include "sim/sim_time.h"

struct stats;
struct scenario;

/* Interrupt counts per CPU at one moment, as /proc/interrupts shows them. */
enum irq_row { IRQ_ROW_LOC, IRQ_ROW_RES, IRQ_ROW_CAL, IRQ_ROW_TLB, IRQ_ROW_NR };

struct irq_snapshot {
    sim_time_t time_ns;
    uint64_t *count[IRQ_ROW_NR];  /* each n_cpus values, cumulative since t=0 */
};

/* One detected hazard (lost write, stale-entry use after free, ...). */
struct hazard_report {
    char kind[32];            /* hazard_class_name(): "lost_write", ... */
    sim_time_t time_ns;
    unsigned cpu;
    uint32_t mm_id;
    uint64_t vpn;
    uint32_t pfn;
    char *trace;              /* the event sequence that led to it, one line each */
};

struct run_output {
    /* metadata */
    char *scenario_name, *scenario_path, *machine_name, *machine_summary;
    char *policy_name, *arch;
    uint64_t seed;
    unsigned n_cpus, n_nodes, n_sockets;
    sim_time_t warmup_ns, duration_ns;   /* measured window: [warmup, warmup+duration) */
    sim_time_t sim_time_ns;              /* clock at the end */
    double wall_time_s;
    uint64_t events;
    /* results: counters cover the measured window only */
    struct stats *st;
    struct irq_snapshot *snap;           /* every snapshot_ns, from the window start */
    size_t n_snap;
    struct hazard_report *hazard;
    size_t n_hazard;
    uint64_t hazards_checked;            /* accesses the checker examined */
    uint64_t hazards_found;              /* over the whole run, warm-up included */
    uint64_t hazard_by_class[HC_NR];     /* the same, by enum hazard_class */
    char *trace;                         /* trace.txt text, NULL when not tracing */
    uint64_t trace_events, trace_dropped;
    struct trace_window trace_window;    /* what trace.txt and timeline.json cover */
    char *timeline;                      /* timeline.json text, NULL when not recorded */
    struct timeline_stats timeline_st;
};

/* Loads a scenario file, applies `--set` assignments (scenario keys, and
 * machine.* keys to the machine it names), and validates everything.
 * seed_override: used when has_seed. Returns 0, or -1 with *err. */
int run_load(const char *path, const char *const *sets, size_t n_sets, bool has_seed,
             uint64_t seed_override, struct scenario **out, struct cfg_error *err);
/* One line for `tlbsim check`. */
void run_scenario_summary(const struct scenario *sc, char *buf, size_t len);
const char *run_scenario_name(const struct scenario *sc);
void run_scenario_free(struct scenario *sc);

/* Runs the scenario to completion. Returns 0, or -1 on a runtime failure
 * (message in errbuf). */
int run_execute(struct scenario *sc, struct run_output *out, char *errbuf, size_t errlen);
void run_output_destroy(struct run_output *out);

#endif
