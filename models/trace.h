/* An ftrace-style record of tlb:tlb_flush events (docs: ecosystem
 * conventions §1), written to trace.txt when a scenario sets
 * output.trace_events: the same text `cat /sys/kernel/tracing/trace` shows,
 * so scripts written for real traces read it unchanged. Only events inside
 * the trace window (output.trace_window; default the measured window) are
 * kept, up to the configured number. */
#ifndef MODELS_TRACE_H
#define MODELS_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_time.h"

struct machine;

/* The simulated-time interval [start_ns, end_ns) that trace.txt and
 * timeline.json cover (times since the start of the run, warm-up included). */
struct trace_window {
    sim_time_t start_ns, end_ns;
};

static inline bool trace_window_has(const struct trace_window *w, sim_time_t t)
{
    return t >= w->start_ns && t < w->end_ns;
}

/* pages: the number invalidated, or -1 for TLB_FLUSH_ALL. reason: the
 * kernel's enum tlb_flush_reason value. Costs one pointer test when off. */
void trace_tlb_flush(struct machine *m, unsigned cpu, int64_t pages, int reason);
/* Starts recording events inside `w`, keeping at most max_events (0: off). */
void trace_start(struct machine *m, uint64_t max_events, const struct trace_window *w);
/* The recorded text with its header (g_malloc'd; NULL when not tracing). */
char *trace_take(struct machine *m, uint64_t *events, uint64_t *dropped);
/* Frees an unclaimed record (a run that stopped early). */
void trace_discard(struct machine *m);
/* The kernel's string for a tlb_flush_reason ("remote shootdown"), or NULL
 * for a value the tracepoint does not name. */
const char *trace_reason_name(int reason);

#endif
