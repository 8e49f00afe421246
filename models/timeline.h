/* A Chrome/Perfetto timeline of a window of the run (timeline.json, Trace
 * Event Format): one track per CPU ("CPU N", grouped by NUMA node as
 * processes) with a slice for whatever runs there (an application thread
 * under its own name, or the kernel work the CPU's time accounting names:
 * reclaim, page fault, flush wait, DSB stall, local flush, context switch,
 * migration), interrupt handler slices on top, and a flow arrow from each
 * shootdown IPI's send on the initiator to its handler on the receiver.
 * Opt-in (output.timeline_events: the cap); recording costs one pointer test
 * per hook when off. Events are kept as small records and written, sorted,
 * at the end (timeline_json.c). */
#ifndef MODELS_TIMELINE_H
#define MODELS_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpu.h"
#include "models/trace.h"

struct machine;

/* Starts recording inside `w`, keeping at most max_events slices and flow
 * events (0: off). When the next event would pass the cap, recording
 * stops there and the timeline says it was truncated. */
void timeline_start(struct machine *m, uint64_t max_events, const struct trace_window *w);
void timeline_free(struct machine *m);

/* Hooks (each a no-op unless m->timeline). cpu c's time accounting moves to
 * `cat` now, for its current task (cpu_account_switch). */
void timeline_cpu_state(struct machine *m, const struct cpu *c, enum cpu_time_cat cat);
/* An interrupt of `kind` runs on c during [start, start + dur). */
void timeline_irq(struct machine *m, const struct cpu *c, enum irq_kind kind, sim_time_t start,
                  sim_time_t dur);
/* A shootdown IPI from `from` to `to` leaves at `at` (its ICR write done). */
void timeline_ipi_sent(struct machine *m, unsigned from, unsigned to, sim_time_t at);

/* What the recorded timeline holds, for the summary and the checks. */
struct timeline_stats {
    uint64_t events;          /* slices + flow starts + flow ends (the capped count) */
    uint64_t slices, irqs;    /* what ran (task or kernel work), interrupt handlers */
    uint64_t flows;           /* IPIs with both ends drawn */
    uint64_t cap;
    bool truncated;
    sim_time_t truncated_at_ns;
    struct trace_window win;  /* as configured */
};

/* Run facts written into the file's otherData. */
struct timeline_meta {
    const char *scenario, *machine, *policy;
    uint64_t seed;
};

/* Closes the slices still open at the end of the run and returns the JSON
 * text (g_malloc'd; NULL when not recording); frees the recorder. */
char *timeline_take(struct machine *m, const struct timeline_meta *meta,
                    struct timeline_stats *st);

#endif
