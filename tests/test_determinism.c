/* Determinism: the same scenario and seed give byte-identical result files
 * apart from results.json's "wall_time_s" line, both through build/tlbsim
 * (two runs into two directories) and in process (run_load + run_execute
 * twice: every counter, per-CPU value, histogram and snapshot equal). A
 * different seed gives a different run. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "models/run.h"
#include "sim/stats.h"
#include "tests/tmp_tree.h"

#define TLBSIM "build/tlbsim"
#define DEFAULT_SCENARIO "configs/scenarios/default.yaml"

/* Keep the runs short: 20 ms warm-up + 20 ms window (default.yaml's 25 ms
 * snapshot interval is longer than that window, so it is shortened too). */
static const char *const short_sets[] = {
    "duration_ms=20", "warmup_ms=20", "output.snapshot_ms=5",
};
#define N_SHORT_SETS (sizeof(short_sets) / sizeof(short_sets[0]))

static const char *const byte_identical[] = {
    "timeseries.tsv", "interrupts.txt", "vmstat.txt", "perf-stat.csv", "hazards.txt",
    "latency.tsv",
};

/* build/tlbsim run DEFAULT_SCENARIO --quiet --out dir [--seed seed]; exit 0. */
static void run_cli(const char *dir, const char *seed)
{
    GPtrArray *argv = g_ptr_array_new();
    GError *gerr = NULL;
    char *out = NULL, *err = NULL;
    int wait_status = 0;

    g_ptr_array_add(argv, (gpointer)TLBSIM);
    g_ptr_array_add(argv, (gpointer)"run");
    g_ptr_array_add(argv, (gpointer)DEFAULT_SCENARIO);
    g_ptr_array_add(argv, (gpointer)"--quiet");
    g_ptr_array_add(argv, (gpointer)"--out");
    g_ptr_array_add(argv, (gpointer)dir);
    for (size_t i = 0; i < N_SHORT_SETS; i++) {
        g_ptr_array_add(argv, (gpointer)"--set");
        g_ptr_array_add(argv, (gpointer)short_sets[i]);
    }
    if (seed) {
        g_ptr_array_add(argv, (gpointer)"--seed");
        g_ptr_array_add(argv, (gpointer)seed);
    }
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                      &wait_status, &gerr))
        fail_msg("cannot run %s: %s (build it with make first)", TLBSIM, gerr->message);
    g_ptr_array_free(argv, TRUE);
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0)
        fail_msg("%s run failed (wait status %d):\n%s", TLBSIM, wait_status, err);
    g_free(out);
    g_free(err);
}

static char *read_file(const char *dir, const char *name, gsize *len)
{
    char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, len, NULL))
        fail_msg("cannot read %s", path);
    g_free(path);
    return text;
}

/* results.json without its "wall_time_s" line (and, when drop_seed, its
 * "seed" line). */
static char *json_without(const char *dir, bool drop_seed)
{
    char *text = read_file(dir, "results.json", NULL);
    char **lines = g_strsplit(text, "\n", -1);
    GString *s = g_string_new(NULL);
    int dropped = 0;

    for (char **l = lines; *l; l++) {
        const char *key = *l + strspn(*l, " ");

        if (g_str_has_prefix(key, "\"wall_time_s\":") ||
            (drop_seed && g_str_has_prefix(key, "\"seed\":"))) {
            dropped++;
            continue;
        }
        g_string_append(s, *l);
        g_string_append_c(s, '\n');
    }
    assert_int_equal(dropped, drop_seed ? 2 : 1);
    g_strfreev(lines);
    g_free(text);
    return g_string_free(s, FALSE);
}

static void test_cli_runs_are_byte_identical(void **state)
{
    GError *gerr = NULL;
    char *tmp = g_dir_make_tmp("tlbsim-test-determinism-XXXXXX", &gerr);
    char *a, *b, *c, *ja, *jb, *jc;

    (void)state;
    if (!tmp)
        fail_msg("g_dir_make_tmp: %s", gerr->message);
    a = g_build_filename(tmp, "A", NULL);
    b = g_build_filename(tmp, "B", NULL);
    c = g_build_filename(tmp, "C", NULL);
    run_cli(a, NULL);
    run_cli(b, NULL);
    run_cli(c, "2");
    for (size_t i = 0; i < G_N_ELEMENTS(byte_identical); i++) {
        gsize la, lb;
        char *fa = read_file(a, byte_identical[i], &la);
        char *fb = read_file(b, byte_identical[i], &lb);

        if (la != lb || memcmp(fa, fb, la) != 0)
            fail_msg("%s differs between two runs with the same seed", byte_identical[i]);
        assert_true(la > 0);
        g_free(fa);
        g_free(fb);
    }
    ja = json_without(a, false);
    jb = json_without(b, false);
    assert_string_equal(ja, jb);
    g_free(ja);
    g_free(jb);
    /* seed 2: a different run, not just a different "seed" line */
    ja = json_without(a, true);
    jc = json_without(c, true);
    assert_true(strcmp(ja, jc) != 0);
    g_free(ja);
    g_free(jc);
    rm_tree(tmp);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(tmp);
}

/* The whole default scenario (100 ms + 100 ms), in this process. */
static void load_and_run(uint64_t seed, struct run_output *out)
{
    struct scenario *sc = NULL;
    struct cfg_error err;
    char errbuf[512] = "";

    memset(&err, 0, sizeof(err));
    if (run_load(DEFAULT_SCENARIO, NULL, 0, true, seed, &sc, &err) != 0) {
        cfg_error_print(&err, stderr);
        fail_msg("run_load failed");
    }
    if (run_execute(sc, out, errbuf, sizeof(errbuf)) != 0)
        fail_msg("run_execute failed: %s", errbuf);
    run_scenario_free(sc);
}

/* Number of counters whose totals differ (asserts equal counter sets). */
static size_t counters_differing(const struct run_output *x, const struct run_output *y)
{
    size_t n = stats_n_counters(x->st), diff = 0;

    assert_int_equal(stats_n_counters(y->st), n);
    for (size_t i = 0; i < n; i++) {
        stats_id id = (stats_id)i;

        assert_string_equal(stats_counter_name(x->st, id), stats_counter_name(y->st, id));
        diff += stats_total(x->st, id) != stats_total(y->st, id);
    }
    return diff;
}

static void assert_runs_equal(const struct run_output *x, const struct run_output *y)
{
    size_t n = stats_n_counters(x->st);
    unsigned cpus = stats_n_cpus(x->st);

    for (size_t i = 0; i < n; i++) {
        stats_id id = (stats_id)i;

        if (stats_total(x->st, id) != stats_total(y->st, id))
            fail_msg("counter %s: %llu vs %llu", stats_counter_name(x->st, id),
                     (unsigned long long)stats_total(x->st, id),
                     (unsigned long long)stats_total(y->st, id));
        for (unsigned c = 0; c < cpus; c++)
            if (stats_cpu(x->st, id, c) != stats_cpu(y->st, id, c))
                fail_msg("counter %s cpu %u differs", stats_counter_name(x->st, id), c);
    }
    assert_int_equal(counters_differing(x, y), 0);
    assert_int_equal(stats_n_hists(x->st), stats_n_hists(y->st));
    for (size_t i = 0; i < stats_n_hists(x->st); i++) {
        const struct stats_hist *hx = stats_hist_get(x->st, (stats_id)i);
        const struct stats_hist *hy = stats_hist_get(y->st, (stats_id)i);

        if (memcmp(hx, hy, sizeof(*hx)) != 0)
            fail_msg("histogram %s differs", stats_hist_name(x->st, (stats_id)i));
    }
    assert_int_equal(x->sim_time_ns, y->sim_time_ns);
    assert_int_equal(x->events, y->events);
    assert_int_equal(x->n_hazard, y->n_hazard);
    assert_int_equal(x->hazards_checked, y->hazards_checked);
    assert_int_equal(x->n_snap, y->n_snap);
    for (size_t s = 0; s < x->n_snap; s++) {
        assert_int_equal(x->snap[s].time_ns, y->snap[s].time_ns);
        for (int r = 0; r < IRQ_ROW_NR; r++)
            assert_memory_equal(x->snap[s].count[r], y->snap[s].count[r],
                                x->n_cpus * sizeof(uint64_t));
    }
}

static void test_in_process_runs_are_equal(void **state)
{
    struct run_output x, y, z;

    (void)state;
    load_and_run(1, &x);
    load_and_run(1, &y);
    load_and_run(2, &z);
    assert_true(stats_n_counters(x.st) > 0);
    assert_runs_equal(&x, &y);
    assert_true(counters_differing(&x, &z) > 0);
    run_output_destroy(&x);
    run_output_destroy(&y);
    run_output_destroy(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_runs_are_byte_identical),
        cmocka_unit_test(test_in_process_runs_are_equal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
