/* A loaded, fully validated scenario (opaque to the command line, which
 * sees only run.h). */
#ifndef MODELS_SCENARIO_H
#define MODELS_SCENARIO_H

#include <stdint.h>

#include "models/hazard.h"
#include "models/kernel_cfg.h"
#include "models/machine_cfg.h"
#include "models/policy.h"
#include "models/trace.h"
#include "models/workload.h"
#include "sim/cfg.h"

struct scenario {
    char *path, *name, *machine_path;
    struct cfg_node *root, *machine_tree;
    struct machine_cfg *mcfg;
    struct kernel_cfg kcfg;
    const struct flush_policy_ops *policy;
    void *policy_priv;              /* configured; handed to the machine by run_execute */
    uint64_t seed;
    sim_time_t duration_ns, warmup_ns, bucket_ns, snapshot_ns;
    uint64_t trace_events;          /* output.trace_events: 0 = no trace.txt */
    struct hazard_cfg hazards;      /* the `hazards:` section */
    uint64_t timeline_events;       /* output.timeline_events: 0 = no timeline.json */
    struct trace_window trace_window;   /* output.trace_window: both files' window */
    struct workload_cfg *wl;
    uint32_t n_wl;
};

#endif
