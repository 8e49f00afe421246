/* An ftrace-style record of tlb:tlb_flush events (docs: ecosystem
 * conventions §1), written to trace.txt when a scenario sets
 * output.trace_events: the same text `cat /sys/kernel/tracing/trace` shows,
 * so scripts written for real traces read it unchanged. Only events in the
 * measured window are kept, up to the configured number. */
#ifndef MODELS_TRACE_H
#define MODELS_TRACE_H

#include <stdint.h>

struct machine;

/* pages: the number invalidated, or -1 for TLB_FLUSH_ALL. reason: the
 * kernel's enum tlb_flush_reason value. */
void trace_tlb_flush(struct machine *m, unsigned cpu, int64_t pages, int reason);
/* Starts recording (at the window start), keeping at most max_events. */
void trace_start(struct machine *m, uint64_t max_events);
/* The recorded text with its header (g_malloc'd; NULL when not tracing). */
char *trace_take(struct machine *m, uint64_t *events, uint64_t *dropped);

#endif
