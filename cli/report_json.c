/* results.json: the machine-readable result of a run. Keys come in a fixed
 * order and counters in registration order, so equal inputs give
 * byte-identical files apart from "wall_time_s". Layout:
 *   {"tlbsim_version", "scenario", "scenario_path", "machine",
 *    "machine_summary", "arch", "n_cpus", "n_nodes", "n_sockets", "policy", "seed",
 *    "sim_time_ns", "warmup_ns", "duration_ns", "wall_time_s", "events",
 *    "counters": {name: total},
 *    "per_cpu": {name: [per-CPU values]}  (counters with a non-zero CPU value),
 *    "histograms": {name: {count, sum, min, max, p50, p90, p99}},
 *    "hazards": {"checked", "found", one count per class ("lost_write",
 *                "stale_read_freed", ...: every class, zeros too),
 *                "witnesses": [{kind, time_ns, cpu, mm, vpn, pfn,
 *                trace: [lines]}]}} */
#include "cli/report.h"

#include <string.h>

#include "cli/args.h"
#include "sim/json_writer.h"
#include "sim/stats.h"

static void json_str(struct json_writer *w, const char *key, const char *value)
{
    jw_key(w, key);
    jw_string(w, value);
}

static void json_u64(struct json_writer *w, const char *key, uint64_t value)
{
    jw_key(w, key);
    jw_u64(w, value);
}

static void json_metadata(struct json_writer *w, const struct run_output *out)
{
    json_str(w, "tlbsim_version", TLBSIM_VERSION);
    json_str(w, "scenario", out->scenario_name);
    json_str(w, "scenario_path", out->scenario_path);
    json_str(w, "machine", out->machine_name);
    json_str(w, "machine_summary", out->machine_summary);
    json_str(w, "arch", out->arch);
    json_u64(w, "n_cpus", out->n_cpus);
    json_u64(w, "n_nodes", out->n_nodes);
    json_u64(w, "n_sockets", out->n_sockets);
    json_str(w, "policy", out->policy_name);
    json_u64(w, "seed", out->seed);
    json_u64(w, "sim_time_ns", out->sim_time_ns);
    json_u64(w, "warmup_ns", out->warmup_ns);
    json_u64(w, "duration_ns", out->duration_ns);
    jw_key(w, "wall_time_s");
    jw_double(w, out->wall_time_s);
    json_u64(w, "events", out->events);
}

static void json_counters(struct json_writer *w, const struct stats *st)
{
    jw_key(w, "counters");
    jw_begin_object(w);
    for (size_t id = 0; id < stats_n_counters(st); id++)
        json_u64(w, stats_counter_name(st, (stats_id)id), stats_total(st, (stats_id)id));
    jw_end_object(w);
}

static bool counter_has_cpu_values(const struct stats *st, stats_id id)
{
    for (unsigned cpu = 0; cpu < stats_n_cpus(st); cpu++)
        if (stats_cpu(st, id, cpu) != 0)
            return true;
    return false;
}

static void json_per_cpu(struct json_writer *w, const struct stats *st)
{
    jw_key(w, "per_cpu");
    jw_begin_object(w);
    for (size_t i = 0; i < stats_n_counters(st); i++) {
        stats_id id = (stats_id)i;

        if (!counter_has_cpu_values(st, id))
            continue;
        jw_key(w, stats_counter_name(st, id));
        jw_begin_array(w);
        for (unsigned cpu = 0; cpu < stats_n_cpus(st); cpu++)
            jw_u64(w, stats_cpu(st, id, cpu));
        jw_end_array(w);
    }
    jw_end_object(w);
}

static void json_histograms(struct json_writer *w, const struct stats *st)
{
    jw_key(w, "histograms");
    jw_begin_object(w);
    for (size_t i = 0; i < stats_n_hists(st); i++) {
        const struct stats_hist *h = stats_hist_get(st, (stats_id)i);

        jw_key(w, stats_hist_name(st, (stats_id)i));
        jw_begin_object(w);
        json_u64(w, "count", h->count);
        json_u64(w, "sum", h->sum);
        json_u64(w, "min", h->count ? h->min : 0);
        json_u64(w, "max", h->max);
        json_u64(w, "p50", hist_percentile(h, 50));
        json_u64(w, "p90", hist_percentile(h, 90));
        json_u64(w, "p99", hist_percentile(h, 99));
        jw_end_object(w);
    }
    jw_end_object(w);
}

/* The trace as an array of its lines (a trailing newline ends the last). */
static void json_trace(struct json_writer *w, const char *trace)
{
    jw_key(w, "trace");
    jw_begin_array(w);
    for (const char *p = trace; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = g_strndup(p, len);

        jw_string(w, line);
        g_free(line);
        p += len + (nl ? 1 : 0);
    }
    jw_end_array(w);
}

static void json_hazard(struct json_writer *w, const struct hazard_report *hz)
{
    jw_begin_object(w);
    json_str(w, "kind", hz->kind);
    json_u64(w, "time_ns", hz->time_ns);
    json_u64(w, "cpu", hz->cpu);
    json_u64(w, "mm", hz->mm_id);
    json_u64(w, "vpn", hz->vpn);
    json_u64(w, "pfn", hz->pfn);
    json_trace(w, hz->trace);
    jw_end_object(w);
}

static void json_hazards(struct json_writer *w, const struct run_output *out)
{
    jw_key(w, "hazards");
    jw_begin_object(w);
    json_u64(w, "checked", out->hazards_checked);
    json_u64(w, "found", out->hazards_found);
    for (unsigned c = 0; c < HC_NR; c++)
        json_u64(w, hazard_class_name(c), out->hazard_by_class[c]);
    jw_key(w, "witnesses");
    jw_begin_array(w);
    for (size_t i = 0; i < out->n_hazard; i++)
        json_hazard(w, &out->hazard[i]);
    jw_end_array(w);
    jw_end_object(w);
}

void report_json(const struct run_output *out, GString *s)
{
    struct json_writer w;

    jw_init(&w, s);
    jw_begin_object(&w);
    json_metadata(&w, out);
    json_counters(&w, out->st);
    json_per_cpu(&w, out->st);
    json_histograms(&w, out->st);
    json_hazards(&w, out);
    jw_end_object(&w);
}
