/* The plain-text result files in the formats real tools print, so existing
 * scripts read simulated runs unchanged:
 *  - timeseries.tsv: gnuplot-ready per-second rates of the tracked counters;
 *    row r is the bucket ending at series time t[r] and starting at t[r-1]
 *    (the window start, warmup_ns, for the first row); series times are on
 *    the simulated clock, printed relative to the window start.
 *  - interrupts.txt: mmtests watch-proc-interrupts style "time: <s>" lines,
 *    each followed by a /proc/interrupts block (x86 LOC/RES/CAL/TLB rows as
 *    arch/x86/kernel/irq.c prints them; on arm64 the arch_timer line and the
 *    IPI0/IPI1 rows of arch/arm64/kernel/smp.c, and no TLB row). The counts
 *    are printed as the model reports them (CAL includes TLB, as mainline).
 *  - vmstat.txt: /proc/vmstat "name value" lines.
 *  - perf-stat.csv: `perf stat -x,` lines for the TLB events.
 *  - latency.tsv: every histogram's log2 buckets with the cumulative share,
 *    from the first to the last non-empty bucket (the latency CDF plot).
 * Times use integer arithmetic so the text never depends on float rounding. */
#include "cli/report.h"

#include <inttypes.h>
#include <string.h>

#include "sim/stats.h"

double report_window_s(const struct run_output *out)
{
    return (double)out->duration_ns / 1e9;
}

/* Nanoseconds since the window start (0 before it). */
static sim_time_t report_rel_ns(const struct run_output *out, sim_time_t t)
{
    return t > out->warmup_ns ? t - out->warmup_ns : 0;
}

/* "<whole>.<3 digits>" of ns / unit_ns, truncated. */
static void append_fixed3(GString *s, sim_time_t ns, sim_time_t unit_ns)
{
    g_string_append_printf(s, "%" PRIu64 ".%03" PRIu64, ns / unit_ns,
                           (ns % unit_ns) / (unit_ns / 1000));
}

/* ---- timeseries.tsv ---- */

static void series_row(const struct run_output *out, size_t row, GString *s)
{
    const struct stats *st = out->st;
    size_t width = stats_series_width(st);
    sim_time_t end = stats_series_time(st, row);
    sim_time_t start = row ? stats_series_time(st, row - 1) : out->warmup_ns;
    double secs = end > start ? (double)(end - start) / 1e9 : 0.0;

    if (start > end)
        start = end;
    append_fixed3(s, report_rel_ns(out, start), SIM_MS);
    for (size_t c = 0; c < width; c++) {
        uint64_t v = stats_series_value(st, row, c);
        uint64_t prev = row ? stats_series_value(st, row - 1, c) : 0;
        uint64_t delta = v >= prev ? v - prev : v;

        g_string_append_printf(s, "\t%.1f", secs > 0 ? (double)delta / secs : 0.0);
    }
    g_string_append_c(s, '\n');
}

void report_timeseries(const struct run_output *out, GString *s)
{
    const struct stats *st = out->st;
    size_t width = stats_series_width(st);

    g_string_append(s, "# time_ms");
    for (size_t c = 0; c < width; c++)
        g_string_append_printf(s, "\t%s",
                               stats_counter_name(st, stats_series_counter(st, c)));
    g_string_append_c(s, '\n');
    for (size_t r = 0; r < stats_series_rows(st); r++)
        series_row(out, r, s);
}

/* ---- interrupts.txt ---- */

static bool report_is_arm64(const struct run_output *out)
{
    return out->arch && strcmp(out->arch, "arm64") == 0;
}

/* Width-10 per-CPU counts, space-separated; lead: a space before the first. */
static void irq_counts(const struct run_output *out, const struct irq_snapshot *snap,
                       enum irq_row row, bool lead, GString *s)
{
    for (unsigned cpu = 0; cpu < out->n_cpus; cpu++) {
        uint64_t v = snap->count[row] ? snap->count[row][cpu] : 0;

        g_string_append_printf(s, "%s%10" PRIu64, cpu || lead ? " " : "", v);
    }
}

static void irq_header(const struct run_output *out, GString *s)
{
    char label[24];

    g_string_append(s, "     ");
    for (unsigned cpu = 0; cpu < out->n_cpus; cpu++) {
        snprintf(label, sizeof(label), "CPU%u", cpu);
        g_string_append_printf(s, "%s%10s", cpu ? " " : "", label);
    }
    g_string_append_c(s, '\n');
}

/* arch/x86/kernel/irq.c: "%*s: " then "%10u " per CPU then "  desc". */
static void irq_row_x86(const struct run_output *out, const struct irq_snapshot *snap,
                        enum irq_row row, const char *label, const char *desc, GString *s)
{
    g_string_append_printf(s, "%s:", label);
    irq_counts(out, snap, row, true, s);
    g_string_append_printf(s, "   %s\n", desc);
}

static void irq_block_x86(const struct run_output *out, const struct irq_snapshot *snap,
                          GString *s)
{
    irq_row_x86(out, snap, IRQ_ROW_LOC, "LOC", "Local timer interrupts", s);
    irq_row_x86(out, snap, IRQ_ROW_RES, "RES", "Rescheduling interrupts", s);
    irq_row_x86(out, snap, IRQ_ROW_CAL, "CAL", "Function call interrupts", s);
    irq_row_x86(out, snap, IRQ_ROW_TLB, "TLB", "TLB shootdowns", s);
}

/* arm64: the timer is an ordinary GIC interrupt line; IPIs come from
 * show_ipi_list() as "IPI<n>:" rows with six spaces before the name. */
static void irq_block_arm64(const struct run_output *out, const struct irq_snapshot *snap,
                            GString *s)
{
    g_string_append(s, " 11:");
    irq_counts(out, snap, IRQ_ROW_LOC, true, s);
    g_string_append(s, "    GICv3  30 Level     arch_timer\n");
    g_string_append(s, "IPI0:");
    irq_counts(out, snap, IRQ_ROW_RES, false, s);
    g_string_append(s, "       Rescheduling interrupts\n");
    g_string_append(s, "IPI1:");
    irq_counts(out, snap, IRQ_ROW_CAL, false, s);
    g_string_append(s, "       Function call interrupts\n");
}

void report_interrupts(const struct run_output *out, GString *s)
{
    for (size_t i = 0; i < out->n_snap; i++) {
        const struct irq_snapshot *snap = &out->snap[i];

        g_string_append(s, "time: ");
        append_fixed3(s, report_rel_ns(out, snap->time_ns), SIM_S);
        g_string_append_c(s, '\n');
        irq_header(out, s);
        if (report_is_arm64(out))
            irq_block_arm64(out, snap, s);
        else
            irq_block_x86(out, snap, s);
    }
}

/* ---- vmstat.txt ---- */

void report_vmstat(const struct run_output *out, GString *s)
{
    const struct stats *st = out->st;

    for (size_t id = 0; id < stats_n_counters(st); id++)
        g_string_append_printf(s, "%s %" PRIu64 "\n", stats_counter_name(st, (stats_id)id),
                               stats_total(st, (stats_id)id));
}

/* ---- latency.tsv ---- */

/* Bucket b holds [lo, hi): bucket 0 the value 0, bucket b >= 1 [2^(b-1), 2^b)
 * (sim/stats.h); hi of the last bucket is 2^64, printed as its exact text. */
static void latency_rows(const char *name, const struct stats_hist *h, GString *s)
{
    unsigned first = STATS_HIST_BUCKETS, last = 0;
    uint64_t cum = 0;

    for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++) {
        if (!h->bucket[b])
            continue;
        if (first == STATS_HIST_BUCKETS)
            first = b;
        last = b;
    }
    for (unsigned b = first; b <= last && h->count; b++) {
        uint64_t lo = b == 0 ? 0 : UINT64_C(1) << (b - 1);

        cum += h->bucket[b];
        g_string_append_printf(s, "%s\t%" PRIu64 "\t", name, lo);
        if (b < 64)
            g_string_append_printf(s, "%" PRIu64, b == 0 ? 1 : UINT64_C(1) << b);
        else
            g_string_append(s, "18446744073709551616");
        g_string_append_printf(s, "\t%" PRIu64 "\t%.6f\n", h->bucket[b],
                               (double)cum / (double)h->count);
    }
}

void report_latency(const struct run_output *out, GString *s)
{
    g_string_append(s, "# histogram\tlo_ns\thi_ns\tcount\tcdf\n");
    for (size_t i = 0; i < stats_n_hists(out->st); i++)
        latency_rows(stats_hist_name(out->st, (stats_id)i),
                     stats_hist_get(out->st, (stats_id)i), s);
}

/* ---- perf-stat.csv ---- */

static const struct { const char *counter, *event; } perf_events[] = {
    { "tlb_flush",         "tlb:tlb_flush" },
    { "dtlb_load_misses",  "dTLB-load-misses" },
    { "dtlb_store_misses", "dTLB-store-misses" },
    { "itlb_load_misses",  "iTLB-load-misses" },
};

/* value,unit,event,run time ns,percent running,metric value,metric unit */
void report_perf_csv(const struct run_output *out, GString *s)
{
    stats_id id;

    for (size_t i = 0; i < G_N_ELEMENTS(perf_events); i++) {
        if (!stats_find(out->st, perf_events[i].counter, &id))
            continue;
        g_string_append_printf(s, "%" PRIu64 ",,%s,%" PRIu64 ",100.00,,\n",
                               stats_total(out->st, id), perf_events[i].event,
                               (uint64_t)out->duration_ns);
    }
}

void report_trace(const struct run_output *out, GString *s)
{
    if (out->trace)
        g_string_append(s, out->trace);
}

void report_timeline(const struct run_output *out, GString *s)
{
    if (out->timeline)
        g_string_append(s, out->timeline);
}

void report_summary_traces(const struct run_output *out, GString *s)
{
    const struct trace_window *w = &out->trace_window;
    const struct timeline_stats *tl = &out->timeline_st;

    if (!out->trace && !out->timeline)
        return;
    g_string_append_printf(s, "\ntrace window: %.3f ms to %.3f ms simulated\n",
                           (double)w->start_ns / 1e6, (double)w->end_ns / 1e6);
    if (out->trace)
        g_string_append_printf(s, "  trace.txt:     %" PRIu64 " tlb_flush events, %" PRIu64
                               " more over the cap\n", out->trace_events, out->trace_dropped);
    if (!out->timeline)
        return;
    g_string_append_printf(s, "  timeline.json: %" PRIu64 " events (%" PRIu64 " task slices, %"
                           PRIu64 " interrupts, %" PRIu64 " IPI flows)", tl->events, tl->slices,
                           tl->irqs, tl->flows);
    if (tl->truncated)
        g_string_append_printf(s, ", truncated at %.3f ms by the cap of %" PRIu64 " events",
                               (double)tl->truncated_at_ns / 1e6, tl->cap);
    g_string_append_c(s, '\n');
}
