/* summary.txt, the table a person reads first, and report_write_all(), which
 * writes the whole result set. The summary shows only counters the run
 * registered (looked up by name), plain integers and per-simulated-second
 * rates with one decimal; everything but the "wall:" line is deterministic.
 * Writing is all or nothing: every file is first written to its temporary,
 * then all are renamed; a failure removes what this call wrote. */
#include "cli/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "sim/atomic_file.h"
#include "sim/stats.h"


struct summary_metric {
    const char *counter, *label;
};

static const struct summary_metric summary_metrics[] = {
    { "interrupts",                   "interrupts, all (vmstat's in)" },
    { "ipi_received",                 "TLB shootdown interrupts received" },
    { "nr_tlb_remote_flush",          "remote flush requests" },
    { "nr_tlb_remote_flush_received", "remote flushes received" },
    { "tlb_flush",                    "tlb_flush events" },
    { "nr_tlb_local_flush_one",       "local flushes (one)" },
    { "nr_tlb_local_flush_all",       "local flushes (all)" },
    { "dtlb_load_misses",             "dTLB load misses" },
    { "dtlb_store_misses",            "dTLB store misses" },
    { "itlb_load_misses",             "iTLB load misses" },
    { "tlbi_broadcast",               "broadcast TLBIs (arm64)" },
    { "dsb_ish",                      "DSB ISH barriers (arm64)" },
    { "page_walks",                   "page walks" },
    { "pgscan_kswapd",                "pages scanned by kswapd" },
    { "pgsteal_kswapd",               "pages reclaimed by kswapd" },
    { "pgscan_direct",                "pages scanned by direct reclaim" },
    { "pgsteal_direct",               "pages reclaimed by direct reclaim" },
    { "pgmigrate_success",            "pages migrated" },
    { "pgdemote_kswapd",              "pages demoted by kswapd" },
    { "pgdemote_direct",              "pages demoted by direct reclaim" },
    { "pgpromote_success",            "pages promoted" },
    { "lru_lock_wait_ns",             "spinning on lru_lock (ns)" },
    { "app_accesses",                 "app progress (accesses)" },
};

/* A table of text cells, printed with per-column widths. */
#define TABLE_COLS 4
static const bool table_right[TABLE_COLS] = { false, false, true, true };

static void table_add(GPtrArray *t, const char *c0, const char *c1, char *c2, char *c3)
{
    g_ptr_array_add(t, g_strdup(c0));
    g_ptr_array_add(t, g_strdup(c1));
    g_ptr_array_add(t, c2);   /* owned */
    g_ptr_array_add(t, c3);
}

static void table_print(GPtrArray *t, GString *s)
{
    int width[TABLE_COLS] = { 0 };

    for (guint i = 0; i < t->len; i++) {
        int w = (int)strlen(g_ptr_array_index(t, i));

        if (w > width[i % TABLE_COLS])
            width[i % TABLE_COLS] = w;
    }
    for (guint i = 0; i < t->len; i++) {
        int col = (int)(i % TABLE_COLS);
        const char *cell = g_ptr_array_index(t, i);

        if (col == TABLE_COLS - 1)
            g_string_append_printf(s, "  %*s\n", width[col], cell);
        else if (table_right[col])
            g_string_append_printf(s, "  %*s", width[col], cell);
        else
            g_string_append_printf(s, "%s%-*s", col ? "  " : "", width[col], cell);
    }
}

static char *rate_text(double value, double secs)
{
    return g_strdup_printf("%.1f", secs > 0 ? value / secs : 0.0);
}

static void summary_metrics_table(const struct run_output *out, GString *s)
{
    GPtrArray *t = g_ptr_array_new_with_free_func(g_free);
    double secs = report_window_s(out);
    stats_id id;

    table_add(t, "metric", "counter", g_strdup("total"), g_strdup("per sim s"));
    for (size_t i = 0; i < G_N_ELEMENTS(summary_metrics); i++) {
        const struct summary_metric *m = &summary_metrics[i];
        uint64_t v;

        if (!stats_find(out->st, m->counter, &id))
            continue;
        v = stats_total(out->st, id);
        table_add(t, m->label, m->counter, g_strdup_printf("%" PRIu64, v),
                  rate_text((double)v, secs));
        if (strcmp(m->counter, "ipi_received") == 0 && out->n_cpus > 0)
            table_add(t, "  mean per CPU", "", g_strdup(""),
                      rate_text((double)v / out->n_cpus, secs));
    }
    table_print(t, s);
    g_ptr_array_free(t, TRUE);
}

static void summary_latency(const struct run_output *out, GString *s)
{
    stats_id id;

    if (stats_find_hist(out->st, "shootdown_latency_ns", &id)) {
        const struct stats_hist *h = stats_hist_get(out->st, id);

        g_string_append_printf(s, "\nshootdown latency (ns): count %" PRIu64 "  p50 %" PRIu64
                               "  p90 %" PRIu64 "  p99 %" PRIu64 "  max %" PRIu64 "\n",
                               h->count, hist_percentile(h, 50), hist_percentile(h, 90),
                               hist_percentile(h, 99), h->max);
    }
}

/* Counters named cpu_time_<category>_ns, as % of n_cpus * window. */
static void summary_cpu_time(const struct run_output *out, GString *s)
{
    double total = (double)out->n_cpus * (double)out->duration_ns;
    bool header = false;

    for (size_t i = 0; i < stats_n_counters(out->st); i++) {
        const char *name = stats_counter_name(out->st, (stats_id)i);
        size_t len = strlen(name);
        uint64_t v = stats_total(out->st, (stats_id)i);

        if (!g_str_has_prefix(name, "cpu_time_") || !g_str_has_suffix(name, "_ns") ||
            len <= strlen("cpu_time_") + strlen("_ns"))
            continue;
        if (!header)
            g_string_append_printf(s, "\nCPU time (%% of %u CPUs x window):\n", out->n_cpus);
        header = true;
        g_string_append_printf(s, "  %-14.*s %6.1f%%\n", (int)(len - 12), name + 9,
                               total > 0 ? 100.0 * (double)v / total : 0.0);
    }
}

static const char *or_unknown(const char *s)
{
    return s ? s : "?";
}

void report_summary(const struct run_output *out, GString *s)
{
    g_string_append_printf(s, "tlbsim %s\n", TLBSIM_VERSION);
    g_string_append_printf(s, "scenario: %s (%s)\n", or_unknown(out->scenario_name),
                           or_unknown(out->scenario_path));
    g_string_append_printf(s, "machine:  %s\n", or_unknown(out->machine_summary));
    g_string_append_printf(s, "policy:   %s\n", or_unknown(out->policy_name));
    g_string_append_printf(s, "seed:     %" PRIu64 "\n", out->seed);
    g_string_append_printf(s, "window:   %.3f ms simulated (after %.3f ms warm-up)\n",
                           (double)out->duration_ns / 1e6, (double)out->warmup_ns / 1e6);
    g_string_append_printf(s, "events:   %" PRIu64 "\n", out->events);
    g_string_append_printf(s, "wall:     %.3f s\n\n", out->wall_time_s);
    summary_metrics_table(out, s);
    summary_latency(out, s);
    summary_cpu_time(out, s);
    g_string_append_c(s, '\n');
    report_hazard_section(out, s);
    report_summary_traces(out, s);
}

/* ---- writing the result set ---- */

struct report_file {
    const char *name;
    void (*format)(const struct run_output *out, GString *s);
    bool optional;      /* written only when the run recorded it */
};

static const struct report_file report_files[] = {
    { "summary.txt",    report_summary,    false },     /* first: printed */
    { "results.json",   report_json,       false },
    { "timeseries.tsv", report_timeseries, false },
    { "interrupts.txt", report_interrupts, false },
    { "vmstat.txt",     report_vmstat,     false },
    { "perf-stat.csv",  report_perf_csv,   false },
    { "latency.tsv",    report_latency,    false },
    { "hazards.txt",    report_hazards,    false },
    { "trace.txt",      report_trace,      true },
    { "timeline.json",  report_timeline,   true },
};
#define REPORT_N_FILES G_N_ELEMENTS(report_files)

/* Phase 1: every file's temporary, fully written. On failure none remain. */
static int report_open_all(struct atomic_file *af, char **path, GString **text, size_t n,
                           char *errbuf, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        errno = 0;
        if (atomic_file_open(&af[i], path[i]) == 0 &&
            fwrite(text[i]->str, 1, text[i]->len, af[i].fp) == text[i]->len)
            continue;
        snprintf(errbuf, len, "cannot write '%s': %s", path[i],
                 g_strerror(errno ? errno : EIO));
        for (size_t j = 0; j <= i; j++)
            if (af[j].fp)
                atomic_file_abort(&af[j]);
        return -1;
    }
    return 0;
}

/* Phase 2: rename all; on a failure, remove the ones already renamed. */
static int report_commit_all(struct atomic_file *af, char **path, size_t n, char *errbuf,
                             size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (atomic_file_commit(&af[i]) == 0)
            continue;
        snprintf(errbuf, len, "cannot write '%s': %s", path[i], g_strerror(errno));
        for (size_t j = i + 1; j < n; j++)
            atomic_file_abort(&af[j]);
        for (size_t j = 0; j < i; j++)
            unlink(path[j]);
        return -1;
    }
    return 0;
}

/* The deepest ancestor of dir (or dir itself) that exists now. */
static char *report_existing_base(const char *dir)
{
    char *d = g_strdup(dir);

    while (!g_file_test(d, G_FILE_TEST_EXISTS)) {
        char *up = g_path_get_dirname(d);
        bool top = strcmp(up, d) == 0;

        g_free(d);
        d = up;
        if (top)
            break;
    }
    return d;
}

/* Removes the directories mkdir_parents created below base, if empty. */
static void report_remove_new_dirs(const char *dir, const char *base)
{
    char *d = g_strdup(dir);

    while (strcmp(d, base) != 0 && rmdir(d) == 0) {
        char *up = g_path_get_dirname(d);

        g_free(d);
        d = up;
    }
    g_free(d);
}

static int report_write_files(const char *dir, const char **name, GString **text, size_t n,
                              char *errbuf, size_t len)
{
    struct atomic_file af[REPORT_N_FILES];
    char *path[REPORT_N_FILES];
    char *base = report_existing_base(dir);
    int rc = -1;

    memset(af, 0, sizeof(af));
    for (size_t i = 0; i < n; i++)
        path[i] = g_build_filename(dir, name[i], NULL);
    if (mkdir_parents(dir) != 0)
        snprintf(errbuf, len, "cannot create directory '%s': %s", dir, g_strerror(errno));
    else if (report_open_all(af, path, text, n, errbuf, len) == 0)
        rc = report_commit_all(af, path, n, errbuf, len);
    if (rc != 0)
        report_remove_new_dirs(dir, base);
    for (size_t i = 0; i < n; i++)
        g_free(path[i]);
    g_free(base);
    return rc;
}

/* An optional file this run did not record, left by an earlier run into the
 * same directory, would be read as this run's: remove it. */
static void report_remove_stale(const char *dir, const char *name)
{
    char *stale = g_build_filename(dir, name, NULL);

    unlink(stale);
    g_free(stale);
}

int report_write_all(const struct run_output *out, const char *dir, bool print_summary,
                     char *errbuf, size_t len)
{
    GString *text[REPORT_N_FILES], *all[REPORT_N_FILES];
    const char *name[REPORT_N_FILES];
    size_t n = 0;
    int rc;

    /* An optional file's formatter writes nothing when it was not recorded. */
    for (size_t i = 0; i < REPORT_N_FILES; i++) {
        all[i] = g_string_new(NULL);
        report_files[i].format(out, all[i]);
        if (report_files[i].optional && all[i]->len == 0)
            continue;
        name[n] = report_files[i].name;
        text[n++] = all[i];
    }
    rc = report_write_files(dir, name, text, n, errbuf, len);
    for (size_t i = 0; rc == 0 && i < REPORT_N_FILES; i++)
        if (report_files[i].optional && all[i]->len == 0)
            report_remove_stale(dir, report_files[i].name);
    if (rc == 0 && print_summary) {
        fputs(all[0]->str, stdout);
        fflush(stdout);
    }
    for (size_t i = 0; i < REPORT_N_FILES; i++)
        g_string_free(all[i], TRUE);
    return rc;
}
