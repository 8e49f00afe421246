/* Tests for the result-file writers: a synthetic run_output (4 CPUs, a few
 * counters, a latency histogram, a two-row time series, two interrupt
 * snapshots, one hazard) written into a temporary directory; each file's
 * key lines are checked, failures must leave no files of the run behind,
 * and writing twice must give byte-identical files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli/report.h"
#include "sim/stats.h"
#include "tests/tmp_tree.h"

#define N_CPUS 4
static const char *const result_files[] = {
    "summary.txt", "results.json", "timeseries.tsv",
    "interrupts.txt", "vmstat.txt", "perf-stat.csv", "hazards.txt", "latency.tsv",
};
#define N_FILES (sizeof(result_files) / sizeof(result_files[0]))

static void fill_stats(struct stats *st)
{
    stats_id ipi = stats_counter(st, "ipi_received");
    stats_id flush = stats_counter(st, "nr_tlb_remote_flush");
    stats_id tf = stats_counter(st, "tlb_flush");
    stats_id app = stats_counter(st, "app_accesses");
    stats_id lat = stats_hist(st, "shootdown_latency_ns");

    stats_series_track(st, ipi);
    stats_series_track(st, app);
    stats_series_set_bucket(st, SIM_MS);
    for (unsigned cpu = 0; cpu < N_CPUS; cpu++)
        stats_add(st, ipi, cpu, cpu + 1);             /* 1+2+3+4 = 10 by 2 ms */
    stats_add_global(st, app, 2000);
    stats_series_sample(st, 2 * SIM_MS);
    stats_add(st, ipi, 0, 6);                         /* 16 by 3 ms */
    stats_add_global(st, app, 500);
    stats_series_sample(st, 3 * SIM_MS);
    stats_add_global(st, flush, 3);
    stats_add(st, tf, 1, 5);
    stats_add(st, stats_counter(st, "cpu_time_app_ns"), 2, 4 * SIM_MS); /* 50% */
    stats_counter(st, "pgscan_kswapd");               /* registered, stays 0 */
    stats_hist_record(st, lat, 1000);
    stats_hist_record(st, lat, 3000);
}

/* Count of row r on cpu c in snapshot i: r*1000 + c*10 + i (one array). */
static void fill_snapshots(struct run_output *out)
{
    uint64_t *counts = g_new0(uint64_t, 2 * IRQ_ROW_NR * N_CPUS);

    out->n_snap = 2;
    out->snap = g_new0(struct irq_snapshot, 2);
    for (size_t i = 0; i < 2; i++) {
        out->snap[i].time_ns = out->warmup_ns + i * SIM_MS;
        for (int row = 0; row < IRQ_ROW_NR; row++) {
            out->snap[i].count[row] = counts + (i * IRQ_ROW_NR + (size_t)row) * N_CPUS;
            for (unsigned cpu = 0; cpu < N_CPUS; cpu++)
                out->snap[i].count[row][cpu] = (uint64_t)(row * 1000 + cpu * 10 + i);
        }
    }
}

static struct hazard_report test_hazard = {
    .kind = "lost_write", .time_ns = 2500000, .cpu = 3, .mm_id = 1, .vpn = 0x1234,
    .pfn = 99, .trace = (char *)"cpu 1 unmaps vpn 0x1234\ncpu 3 writes \"stale\"\n",
};

/* Strings are literals (never freed); stats and snapshots are freed. */
static void make_output(struct run_output *out, const char *arch)
{
    *out = (struct run_output){
        .scenario_name = (char *)"unit", .scenario_path = (char *)"tests/unit.yaml",
        .machine_name = (char *)"tiny", .policy_name = (char *)"linux",
        .machine_summary = (char *)"tiny: x86, 1 sockets x 2 cores x 2 threads = 4 CPUs",
        .arch = (char *)arch, .seed = 7, .n_cpus = N_CPUS, .n_nodes = 1,
        .warmup_ns = SIM_MS, .duration_ns = 2 * SIM_MS, .sim_time_ns = 3 * SIM_MS,
        .wall_time_s = 0.25, .events = 12345, .st = stats_new(N_CPUS),
        .hazard = &test_hazard, .n_hazard = 1, .hazards_checked = 100,
        .hazards_found = 4, .hazard_by_class = { [HC_LOST_WRITE] = 3,
                                                  [HC_WRITE_AFTER_MPROTECT] = 1 },
    };
    fill_stats(out->st);
    fill_snapshots(out);
}

static void free_output(struct run_output *out)
{
    stats_free(out->st);
    g_free(out->snap[0].count[0]);
    g_free(out->snap);
}

struct fixture {
    struct run_output out;
    char *tmp;             /* the temporary directory */
    char *dir;             /* tmp/out: where results go */
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);

    make_output(&f->out, "x86");
    f->tmp = g_dir_make_tmp("tlbsim-report-XXXXXX", NULL);
    assert_non_null(f->tmp);
    f->dir = g_build_filename(f->tmp, "out", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    rm_tree(f->tmp);
    free_output(&f->out);
    g_free(f->dir);
    g_free(f->tmp);
    g_free(f);
    return 0;
}

/* Writes the result set into f->dir, then returns the text of one file. */
static char *write_and_read(struct fixture *f, const char *name)
{
    char err[256] = "", *path = g_build_filename(f->dir, name, NULL), *text = NULL;

    if (report_write_all(&f->out, f->dir, false, err, sizeof(err)) != 0)
        fail_msg("report_write_all: %s", err);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        fail_msg("cannot read %s", path);
    g_free(path);
    return text;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, text);
}

/* Braces and brackets balance outside strings: a structural sanity check. */
static void assert_json_balanced(const char *s)
{
    int depth = 0;
    bool in_str = false;

    for (const char *p = s; *p; p++) {
        if (in_str && *p == '\\')
            p++;
        else if (*p == '"')
            in_str = !in_str;
        else if (!in_str && (*p == '{' || *p == '['))
            depth++;
        else if (!in_str && (*p == '}' || *p == ']'))
            assert_true(--depth >= 0);
    }
    assert_false(in_str);
    assert_int_equal(depth, 0);
}

static void test_results_json(void **state)
{
    char *json = write_and_read(*state, "results.json");

    assert_json_balanced(json);
    assert_true(json[0] == '{' && g_str_has_suffix(json, "}\n"));
    assert_contains(json, "{\n  \"tlbsim_version\": \"0.1.0\",\n  \"scenario\": \"unit\",\n");
    assert_contains(json, "\n  \"machine\": \"tiny\",\n");
    assert_contains(json, "\n  \"policy\": \"linux\",\n  \"seed\": 7,\n  \"sim_time_ns\": "
                    "3000000,\n  \"warmup_ns\": 1000000,\n  \"duration_ns\": 2000000,\n"
                    "  \"wall_time_s\": 0.25,\n  \"events\": 12345,\n");
    assert_contains(json, "\"counters\": {\n    \"ipi_received\": 16,\n"
                    "    \"nr_tlb_remote_flush\": 3,\n    \"tlb_flush\": 5,");
    assert_contains(json, "\"pgscan_kswapd\": 0\n  },");
    assert_contains(json, "\"per_cpu\": {\n    \"ipi_received\": [\n      7,\n      2,\n");
    /* no per-CPU values, no per_cpu entry */
    assert_true(!strstr(json, "\"nr_tlb_remote_flush\": [") &&
                !strstr(json, "\"pgscan_kswapd\": ["));
    assert_contains(json, "\"shootdown_latency_ns\": {\n      \"count\": 2,\n"
                    "      \"sum\": 4000,\n      \"min\": 1000,\n      \"max\": 3000,");
    assert_contains(json, "\"checked\": 100,\n    \"found\": 4,\n    \"lost_write\": 3,\n"
                    "    \"stale_read_freed\": 0,\n    \"stale_read_reallocated\": 0,\n"
                    "    \"stale_write_reallocated\": 0,\n    \"write_after_mprotect\": 1,\n"
                    "    \"write_after_migration_copy\": 0,\n    \"witnesses\": [");
    assert_contains(json, "\"kind\": \"lost_write\",\n        \"time_ns\": 2500000,\n"
                    "        \"cpu\": 3,\n        \"mm\": 1,\n        \"vpn\": 4660,\n"
                    "        \"pfn\": 99,\n        \"trace\": [\n"
                    "          \"cpu 1 unmaps vpn 0x1234\",\n"
                    "          \"cpu 3 writes \\\"stale\\\"\"\n        ]");
    g_free(json);
}

static void test_interrupts(void **state)
{
    struct fixture *f = *state;
    char *text;

    text = write_and_read(f, "interrupts.txt");
    assert_true(g_str_has_prefix(text, "time: 0.000\n"
                                 "           CPU0       CPU1       CPU2       CPU3\n"
                                 "LOC:          0         10         20         30"
                                 "   Local timer interrupts\n"));
    assert_contains(text, "\nCAL:       2001       2011       2021       2031"
                    "   Function call interrupts\n"
                    "TLB:       3001       3011       3021       3031   TLB shootdowns\n");
    assert_contains(text, "\nTLB:       3000       3010       3020       3030   TLB shootdowns\n"
                    "time: 0.001\n");
    assert_null(strstr(strstr(text, "time: 0.001") + 1, "time:"));   /* two blocks */
    g_free(text);
    f->out.arch = (char *)"arm64";    /* arm64: GIC timer line, IPI rows, no TLB */
    text = write_and_read(f, "interrupts.txt");
    assert_contains(text, "\nIPI0:      1001       1011       1021       1031"
                    "       Rescheduling interrupts\nIPI1:      2001       2011       2021"
                    "       2031       Function call interrupts\n");
    assert_contains(text, "arch_timer\n");
    assert_true(!strstr(text, "TLB") && !strstr(text, "CAL:"));
    g_free(text);
}

static void test_text_files(void **state)
{
    static const char *const expect[][2] = {
        { "vmstat.txt", "ipi_received 16\nnr_tlb_remote_flush 3\ntlb_flush 5\n"
                        "app_accesses 2500\ncpu_time_app_ns 4000000\npgscan_kswapd 0\n" },
        { "timeseries.tsv", "# time_ms\tipi_received\tapp_accesses\n"
                            "0.000\t10000.0\t2000000.0\n1.000\t6000.0\t500000.0\n" },
        { "perf-stat.csv", "5,,tlb:tlb_flush,2000000,100.00,,\n" },
        /* 1000 ns in [512, 1024), 3000 ns in [2048, 4096); the empty bucket
         * between them is listed, so the CDF has no hole */
        { "latency.tsv", "# histogram\tlo_ns\thi_ns\tcount\tcdf\n"
                         "shootdown_latency_ns\t512\t1024\t1\t0.500000\n"
                         "shootdown_latency_ns\t1024\t2048\t0\t0.500000\n"
                         "shootdown_latency_ns\t2048\t4096\t1\t1.000000\n" },
    };

    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        char *text = write_and_read(*state, expect[i][0]);

        assert_string_equal(text, expect[i][1]);
        g_free(text);
    }
}

static void test_summary(void **state)
{
    struct fixture *f = *state;
    char *s;

    s = write_and_read(f, "summary.txt");
    assert_true(g_str_has_prefix(s, "tlbsim 0.1.0\nscenario: unit (tests/unit.yaml)\n"
                                 "machine:  tiny: x86, 1 sockets x 2 cores x 2 threads = 4 CPUs\n"
                                 "policy:   linux\nseed:     7\n"
                                 "window:   2.000 ms simulated (after 1.000 ms warm-up)\n"
                                 "events:   12345\nwall:     0.250 s\n\n"));
    /* 16 in 2 ms: 8000/s, 2000/s per CPU */
    assert_contains(s, "\nTLB shootdown interrupts received  ipi_received            16"
                    "     8000.0\n  mean per CPU                                "
                    "                    2000.0\n");
    assert_contains(s, "\napp progress (accesses)            app_accesses          2500"
                    "  1250000.0\n");
    assert_contains(s, "\nshootdown latency (ns): count 2  p50 ");
    assert_contains(s, "  max 3000\n");
    assert_contains(s, "\n  app              50.0%\n");
    assert_contains(s, "\nhazards: 4 found in 100 checked accesses (whole run)\n"
                    "  lost_write                   3\n");
    assert_contains(s, "  write_after_mprotect         1\n");
    assert_contains(s, "\nwitness 1: lost_write at 2500000 ns, cpu 3, mm 1, vpn 0x1234, pfn 99\n"
                    "    cpu 1 unmaps vpn 0x1234\n    cpu 3 writes \"stale\"\n");
    assert_null(strstr(s, "dTLB"));                     /* absent counters not shown */
    g_free(s);
}

/* Fails on a temporary ("*.tmp.*") or any entry of dir not in allowed[n]. */
static void assert_dir_only(const char *dir, const char *const *allowed, size_t n)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    assert_non_null(d);
    while ((name = g_dir_read_name(d))) {
        size_t i = 0;

        while (i < n && strcmp(name, allowed[i]) != 0)
            i++;
        if (i == n || strstr(name, ".tmp."))
            fail_msg("left behind: %s/%s", dir, name);
    }
    g_dir_close(d);
}

static void test_failure_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    char *plain = g_build_filename(f->tmp, "plain", NULL);
    char *under_file = g_build_filename(plain, "out", NULL);
    char *blocker = g_build_filename(f->dir, "vmstat.txt", NULL);
    char err[256] = "";

    /* a directory that cannot exist: its parent is a regular file */
    assert_true(g_file_set_contents(plain, "x", 1, NULL));
    assert_int_equal(report_write_all(&f->out, under_file, false, err, sizeof(err)), -1);
    assert_contains(err, "cannot create directory");
    /* a rename that fails after earlier files were renamed */
    assert_int_equal(g_mkdir_with_parents(blocker, 0755), 0);
    assert_int_equal(report_write_all(&f->out, f->dir, false, err, sizeof(err)), -1);
    assert_contains(err, "vmstat.txt");
    assert_dir_only(f->dir, (const char *const[]){ "vmstat.txt" }, 1);
    g_free(plain);
    g_free(under_file);
    g_free(blocker);
}

/* Directories created for a write that fails are removed again. The
 * directory path is made so long that "summary.txt.tmp.<pid>" still fits in
 * PATH_MAX (4096 with its NUL) but "results.json.tmp.<pid>" does not: the
 * second file fails after the first was opened. */
static void test_failure_removes_new_dirs(void **state)
{
    struct fixture *f = *state;
    GString *deep = g_string_new(f->dir);
    size_t target = 4095 - 1 - strlen("summary.txt.tmp.") -
                    (size_t)snprintf(NULL, 0, "%ld", (long)getpid());
    char err[8192] = "";

    assert_int_equal(g_mkdir_with_parents(f->dir, 0755), 0);
    g_string_append(deep, "/new");
    while (deep->len + 202 < target)        /* components of 200 zeros */
        g_string_append_printf(deep, "/%0*d", 200, 0);
    g_string_append_printf(deep, "/%0*d", (int)(target - deep->len - 1), 0);
    assert_int_equal(deep->len, target);
    assert_int_equal(report_write_all(&f->out, deep->str, false, err, sizeof(err)), -1);
    assert_contains(err, "results.json");
    assert_dir_only(f->dir, NULL, 0);
    g_string_free(deep, TRUE);
}

static void test_twice_identical(void **state)
{
    struct fixture *f = *state;
    char *first[N_FILES];

    for (size_t i = 0; i < N_FILES; i++)
        first[i] = write_and_read(f, result_files[i]);
    for (size_t i = 0; i < N_FILES; i++) {
        char *again = write_and_read(f, result_files[i]);

        assert_string_equal(first[i], again);
        g_free(again);
        g_free(first[i]);
    }
    assert_dir_only(f->dir, result_files, N_FILES);
}

/* An empty run (no counters, CPUs, rows or snapshots) still formats. */
static void test_empty_run(void **state)
{
    struct run_output out = { .st = stats_new(0) };
    GString *s = g_string_new(NULL);

    (void)state;
    report_summary(&out, s);
    report_json(&out, s);
    report_timeseries(&out, s);
    report_interrupts(&out, s);
    report_vmstat(&out, s);
    report_perf_csv(&out, s);
    report_hazards(&out, s);
    assert_contains(s->str, "hazards: 0 found in 0 checked accesses");
    assert_contains(s->str, "  write_after_migration_copy   0\n");
    assert_contains(s->str, "\"counters\": {},");
    assert_contains(s->str, "}\n# time_ms\n");
    stats_free(out.st);
    g_string_free(s, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_results_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_removes_new_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_twice_identical, setup, teardown),
        cmocka_unit_test(test_empty_run),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
