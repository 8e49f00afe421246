/* tlb:tlb_flush in ftrace text: see trace.h. Line layout as the kernel
 * prints it: "%16s-%-7d [%03d] %s %12llu.%06lu: tlb_flush: pages:%ld
 * reason:%s (%d)", with the task and pid of what runs on the CPU. */
#include "models/trace.h"

#include <glib.h>
#include <inttypes.h>

#include "models/machine.h"
#include "sim/engine.h"

static const char *const reason_names[] = {
    "flush on task switch", "remote shootdown", "local shootdown", "local mm shootdown",
    "remote ipi send",
};

void trace_start(struct machine *m, uint64_t max_events)
{
    if (!max_events)
        return;
    if (m->trace)
        g_string_truncate(m->trace, 0);
    else
        m->trace = g_string_new(NULL);
    m->trace_max = max_events;
    m->trace_n = m->trace_dropped = 0;
}

void trace_tlb_flush(struct machine *m, unsigned cpu, int64_t pages, int reason)
{
    const struct task *t = m->cpu[cpu].curr;
    sim_time_t now = sim_now(m->eng);

    if (!m->trace)
        return;
    if (m->trace_n >= m->trace_max) {
        m->trace_dropped++;
        return;
    }
    m->trace_n++;
    g_string_append_printf(m->trace, "%16.16s-%-7u [%03u] d..1. %5" PRIu64 ".%06" PRIu64
                           ": tlb_flush: pages:%" PRId64 " reason:%s (%d)\n",
                           t ? t->name : "<idle>", t ? t->id + 1 : 0, cpu, now / SIM_S,
                           now % SIM_S / SIM_US, pages,
                           reason >= 0 && reason < 5 ? reason_names[reason] : "?", reason);
}

char *trace_take(struct machine *m, uint64_t *events, uint64_t *dropped)
{
    GString *out;

    *events = m->trace_n;
    *dropped = m->trace_dropped;
    if (!m->trace)
        return NULL;
    out = g_string_new(NULL);
    g_string_append_printf(out, "# tracer: nop\n#\n# entries-in-buffer/entries-written: %" PRIu64
                           "/%" PRIu64 "   #P:%u\n#\n", m->trace_n, m->trace_n + m->trace_dropped,
                           m->n_cpus);
    g_string_append(out, "#                                _-----=> irqs-off/BH-disabled\n"
                         "#                               / _----=> need-resched\n"
                         "#                              | / _---=> hardirq/softirq\n"
                         "#                              || / _--=> preempt-depth\n"
                         "#                              ||| / _-=> migrate-disable\n"
                         "#                              |||| /     delay\n"
                         "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
                         "#              | |         |   |||||     |         |\n");
    g_string_append_len(out, m->trace->str, (gssize)m->trace->len);
    g_string_free(m->trace, TRUE);
    m->trace = NULL;
    return g_string_free(out, FALSE);
}
