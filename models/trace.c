/* tlb:tlb_flush in ftrace text: see trace.h. Line layout as the kernel's
 * trace_print_context() and trace_print_lat_fmt() print it (kernel/trace/
 * trace_output.c): "%16s-%-7d [%03d] " comm and pid of the task running on
 * the CPU (an interrupt shows the interrupted task, <idle>-0 on an idle
 * CPU), the 5-character flags column, " %5llu.%06lu: " seconds, then the
 * event and its print fmt "pages:%ld reason:%s (%d)" (include/trace/events/
 * tlb.h). */
#include "models/trace.h"

#include <glib.h>
#include <inttypes.h>

#include "models/machine.h"
#include "sim/engine.h"

/* The kernel's comm is TASK_COMM_LEN (16) bytes with its NUL. */
#define COMM_MAX 15

struct trace_state {
    GString *text;
    uint64_t max, n, dropped;
    struct trace_window win;
};

/* __print_symbolic's table for enum tlb_flush_reason (include/linux/
 * mm_types.h); 5 (remote wrong CPU, 2024) is not modelled. */
static const char *const reason_names[] = {
    "flush on task switch", "remote shootdown", "local shootdown", "local mm shootdown",
    "remote ipi send",
};

const char *trace_reason_name(int reason)
{
    return reason >= 0 && reason < (int)G_N_ELEMENTS(reason_names) ? reason_names[reason]
                                                                     : NULL;
}

void trace_discard(struct machine *m)
{
    if (!m->trace)
        return;
    g_string_free(m->trace->text, TRUE);
    g_free(m->trace);
    m->trace = NULL;
}

void trace_start(struct machine *m, uint64_t max_events, const struct trace_window *w)
{
    trace_discard(m);
    if (!max_events)
        return;
    m->trace = g_new0(struct trace_state, 1);
    m->trace->text = g_string_new(NULL);
    m->trace->max = max_events;
    m->trace->win = *w;
}

/* irqs-off, need-resched, hardirq/softirq, preempt-depth, migrate-disable
 * (tracing_gen_ctx: the depth excludes the tracepoint's own preempt_disable).
 * In an interrupt handler (flush_tlb_func from the call-function IPI, or
 * a tick): irqs off, hardirq, no preemption count of its own. The initiator
 * sends under get_cpu() with interrupts on, and flushes locally under
 * get_cpu() + local_irq_disable() (flush_tlb_mm_range, arch_tlbbatch_flush).
 * switch_mm_irqs_off runs in __schedule with irqs off under schedule()'s
 * preempt_disable and the runqueue lock: depth 2. */
static const char *context_flags(const struct machine *m, unsigned cpu, int reason)
{
    if (m->cpu[cpu].in_irq)
        return "d.h..";
    switch (reason) {
    case 0:
        return "d..2.";
    case 4:
        return "...1.";
    default:
        return "d..1.";
    }
}

void trace_tlb_flush(struct machine *m, unsigned cpu, int64_t pages, int reason)
{
    struct trace_state *ts = m->trace;
    const struct task *t;
    const char *name;
    sim_time_t now;

    if (!ts)
        return;
    now = sim_now(m->eng);
    if (!trace_window_has(&ts->win, now))
        return;
    if (ts->n >= ts->max) {
        ts->dropped++;
        return;
    }
    ts->n++;
    t = m->cpu[cpu].curr;
    name = trace_reason_name(reason);
    g_string_append_printf(ts->text, "%16.*s-%-7u [%03u] %s %5" PRIu64 ".%06" PRIu64
                           ": tlb_flush: pages:%" PRId64 " reason:%s (%d)\n",
                           COMM_MAX, t ? t->name : "<idle>", t ? t->id + 1 : 0, cpu,
                           context_flags(m, cpu, reason), now / SIM_S, now % SIM_S / SIM_US,
                           pages, name ? name : "", reason);
}

char *trace_take(struct machine *m, uint64_t *events, uint64_t *dropped)
{
    struct trace_state *ts = m->trace;
    GString *out;

    *events = ts ? ts->n : 0;
    *dropped = ts ? ts->dropped : 0;
    if (!ts)
        return NULL;
    out = g_string_new(NULL);
    g_string_append_printf(out, "# tracer: nop\n#\n# entries-in-buffer/entries-written: %" PRIu64
                           "/%" PRIu64 "   #P:%u\n#\n", ts->n, ts->n + ts->dropped, m->n_cpus);
    g_string_append(out, "#                                _-----=> irqs-off/BH-disabled\n"
                         "#                               / _----=> need-resched\n"
                         "#                              | / _---=> hardirq/softirq\n"
                         "#                              || / _--=> preempt-depth\n"
                         "#                              ||| / _-=> migrate-disable\n"
                         "#                              |||| /     delay\n"
                         "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
                         "#              | |         |   |||||     |         |\n");
    g_string_append_len(out, ts->text->str, (gssize)ts->text->len);
    g_string_free(ts->text, TRUE);
    g_free(ts);
    m->trace = NULL;
    return g_string_free(out, FALSE);
}
