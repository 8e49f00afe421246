/* sweep.tsv: one row per done point, in point order, built only from the
 * point directories (results.json), so the in-process runner, `--merge` of
 * jobs run elsewhere and a resumed sweep give the same bytes. results.json
 * is read with the cfg loader: the JSON our writer emits (no tabs, plain
 * escapes) is valid YAML. Columns (configs/README.md, "Sweep specs"):
 * point, policy, machine, each other axis key, repeat, seed, ncpus,
 * nsockets, nnodes, duration_ms, then the metrics below; a metric whose
 * counter the run lacks is NaN (gnuplot skips it). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli/sweep.h"
#include "sim/atomic_file.h"

enum metric_kind { PER_S, CPU_PCT, TOTAL, HIST };

/* Rates are counter totals over the simulated window; CPU shares are % of
 * ncpus x window (as summary.txt); TOTAL is the plain count. */
struct metric {
    const char *column;
    enum metric_kind kind;
    const char *src[3];          /* counters summed, or histogram + field */
};

static const struct metric metrics[] = {
    { "ipi_received_per_s",  PER_S,   { "ipi_received" } },
    { "interrupts_per_s",    PER_S,   { "interrupts" } },
    { "tlb_flush_per_s",     PER_S,   { "tlb_flush" } },
    { "remote_flush_per_s",  PER_S,   { "nr_tlb_remote_flush" } },
    { "tlb_misses_per_s",    PER_S,   { "dtlb_load_misses", "dtlb_store_misses",
                                        "itlb_load_misses" } },
    { "reclaim_pages_per_s", PER_S,   { "pgsteal_kswapd", "pgsteal_direct" } },
    { "app_accesses_per_s",  PER_S,   { "app_accesses" } },
    { "shootdowns",          HIST,    { "shootdown_latency_ns", "count" } },
    { "shootdown_p50_ns",    HIST,    { "shootdown_latency_ns", "p50" } },
    { "shootdown_p99_ns",    HIST,    { "shootdown_latency_ns", "p99" } },
    { "cpu_app_pct",         CPU_PCT, { "cpu_time_app_ns" } },
    { "cpu_reclaim_pct",     CPU_PCT, { "cpu_time_reclaim_ns" } },
    { "cpu_fault_pct",       CPU_PCT, { "cpu_time_fault_ns" } },
    { "cpu_irq_pct",         CPU_PCT, { "cpu_time_irq_ns" } },
    { "cpu_flush_wait_pct",  CPU_PCT, { "cpu_time_flush_wait_ns" } },
    { "cpu_flush_local_pct", CPU_PCT, { "cpu_time_flush_local_ns" } },
    { "cpu_dsb_stall_pct",   CPU_PCT, { "cpu_time_dsb_stall_ns" } },
    { "cpu_migration_pct",   CPU_PCT, { "cpu_time_migration_ns" } },
    { "cpu_sched_pct",       CPU_PCT, { "cpu_time_sched_ns" } },
    { "cpu_idle_pct",        CPU_PCT, { "cpu_time_idle_ns" } },
    { "hazards",             TOTAL,   { "hazards_found" } },
};

static bool is_bare_axis(const struct sweep_axis *axis)
{
    return strcmp(axis->key, "policy") == 0 || strcmp(axis->key, "machine") == 0;
}

static void header(const struct sweep_spec *spec, GString *tsv)
{
    g_string_append(tsv, "point\tpolicy\tmachine");
    for (size_t a = 0; a < spec->axes->len; a++) {
        const struct sweep_axis *axis = spec->axes->pdata[a];

        if (!is_bare_axis(axis))
            g_string_append_printf(tsv, "\t%s", axis->key);
    }
    g_string_append(tsv, "\trepeat\tseed\tncpus\tnsockets\tnnodes\tduration_ms");
    for (size_t i = 0; i < G_N_ELEMENTS(metrics); i++)
        g_string_append_printf(tsv, "\t%s", metrics[i].column);
    g_string_append_c(tsv, '\n');
}

/* A number in the results tree; false when absent or not an integer. */
static bool json_u64(struct cfg_node *root, const char *path, uint64_t *out)
{
    const struct cfg_node *n = cfg_path(root, path);
    struct cfg_error err;

    return n && n->kind == CFG_SCALAR && cfg_parse_u64(n->value, out, &err) == 0;
}

/* A string cell: tabs and newlines would break the row. */
static void text_cell(GString *tsv, const char *text)
{
    g_string_append_c(tsv, '\t');
    for (const char *p = text ? text : "NaN"; *p; p++)
        g_string_append_c(tsv, *p == '\t' || *p == '\n' ? ' ' : *p);
}

static void metric_cell(struct cfg_node *root, const struct metric *m, uint64_t ncpus,
                        uint64_t duration_ns, GString *tsv)
{
    uint64_t sum = 0, v;
    char path[160];

    if (m->kind == HIST) {
        snprintf(path, sizeof(path), "histograms.%s.%s", m->src[0], m->src[1]);
        if (!json_u64(root, path, &sum))
            goto missing;
        g_string_append_printf(tsv, "\t%" PRIu64, sum);
        return;
    }
    for (size_t k = 0; k < G_N_ELEMENTS(m->src) && m->src[k]; k++) {
        snprintf(path, sizeof(path), "counters.%s", m->src[k]);
        if (!json_u64(root, path, &v))
            goto missing;
        sum += v;
    }
    if (m->kind == TOTAL)
        g_string_append_printf(tsv, "\t%" PRIu64, sum);
    else if (duration_ns == 0 || (m->kind == CPU_PCT && ncpus == 0))
        goto missing;
    else if (m->kind == PER_S)
        g_string_append_printf(tsv, "\t%.1f", (double)sum * 1e9 / (double)duration_ns);
    else
        g_string_append_printf(tsv, "\t%.3f",
                               100.0 * (double)sum / ((double)ncpus * (double)duration_ns));
    return;
missing:
    g_string_append(tsv, "\tNaN");
}

static int row(const struct sweep_spec *spec, const struct sweep_point *p,
               const char *out_dir, GString *tsv, char *errbuf, size_t len)
{
    char *json = g_build_filename(out_dir, p->name, "results.json", NULL);
    struct cfg_node *root = NULL;
    struct cfg_error err;
    uint64_t ncpus = 0, nsockets = 0, nnodes = 0, seed = 0, dur = 0;

    if (cfg_load_file(json, &root, &err) || root->kind != CFG_MAP ||
        !json_u64(root, "n_cpus", &ncpus) || !json_u64(root, "duration_ns", &dur)) {
        snprintf(errbuf, len, "%s: not a tlbsim results.json (%s)", json,
                 root ? "missing n_cpus or duration_ns" : err.msg);
        cfg_free(root);
        g_free(json);
        return -1;
    }
    json_u64(root, "n_sockets", &nsockets);
    json_u64(root, "n_nodes", &nnodes);
    json_u64(root, "seed", &seed);
    g_string_append(tsv, p->name);
    text_cell(tsv, cfg_path(root, "policy") ? cfg_path(root, "policy")->value : NULL);
    text_cell(tsv, cfg_path(root, "machine") ? cfg_path(root, "machine")->value : NULL);
    for (size_t a = 0; a < spec->axes->len; a++)
        if (!is_bare_axis(spec->axes->pdata[a]))
            text_cell(tsv, p->labels[a]);
    g_string_append_printf(tsv, "\t%u\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                           "\t%.3f", p->repeat, seed, ncpus, nsockets, nnodes,
                           (double)dur / 1e6);
    for (size_t i = 0; i < G_N_ELEMENTS(metrics); i++)
        metric_cell(root, &metrics[i], ncpus, dur, tsv);
    g_string_append_c(tsv, '\n');
    cfg_free(root);
    g_free(json);
    return 0;
}

long sweep_tsv_build(const struct sweep_spec *spec, GPtrArray *points, const char *out_dir,
                     GString *tsv, char *errbuf, size_t len)
{
    long rows = 0;

    header(spec, tsv);
    for (size_t i = 0; i < points->len; i++) {
        const struct sweep_point *p = points->pdata[i];

        if (!sweep_point_done(out_dir, p))
            continue;
        if (row(spec, p, out_dir, tsv, errbuf, len) != 0)
            return -1;
        rows++;
    }
    return rows;
}

long sweep_tsv_write(const struct sweep_spec *spec, GPtrArray *points, const char *out_dir,
                     char *errbuf, size_t len)
{
    GString *tsv = g_string_new(NULL);
    char *path = g_build_filename(out_dir, SWEEP_TSV, NULL);
    long rows = sweep_tsv_build(spec, points, out_dir, tsv, errbuf, len);

    if (rows >= 0 && atomic_file_write(path, tsv->str, tsv->len) != 0) {
        snprintf(errbuf, len, "cannot write '%s': %s", path, g_strerror(errno));
        rows = -1;
    }
    g_free(path);
    g_string_free(tsv, TRUE);
    return rows;
}
