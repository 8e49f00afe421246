/* run_load on the shipped scenarios and with `--set` overrides: scenario keys,
 * machine.* keys (which reach the machine the scenario names), the seed, and
 * the errors of bad overrides (named `--set key.path`, no position). Run from
 * the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "models/run.h"
#include "models/scenario.h"
#include "sim/cfg.h"

#define SCENARIO_DIR "configs/scenarios"
#define DEFAULT_SCENARIO SCENARIO_DIR "/default.yaml"

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads DEFAULT_SCENARIO with the given --set assignments; asserts success. */
static struct scenario *load_ok(const char *const *sets, size_t n_sets, bool has_seed,
                                uint64_t seed)
{
    struct scenario *sc = NULL;
    struct cfg_error err;

    memset(&err, 0, sizeof(err));
    if (run_load(DEFAULT_SCENARIO, sets, n_sets, has_seed, seed, &sc, &err) != 0) {
        cfg_error_print(&err, stderr);
        fail_msg("run_load failed");
    }
    assert_non_null(sc);
    return sc;
}

/* Loads DEFAULT_SCENARIO with one --set assignment that must fail; *err gets
 * the error. */
static void load_fails(const char *set, struct cfg_error *err)
{
    struct scenario *sc = (struct scenario *)(uintptr_t)1;
    const char *sets[] = { set };

    memset(err, 0, sizeof(*err));
    assert_int_equal(run_load(DEFAULT_SCENARIO, sets, 1, false, 0, &sc, err), -1);
    assert_null(sc);
    assert_true(err->msg[0] != '\0');
}

static void test_every_shipped_scenario_loads(void **state)
{
    GDir *dir = g_dir_open(SCENARIO_DIR, 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    int failures = 0;

    (void)state;
    assert_non_null(dir);
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_suffix(name, ".yaml") && name[0] != '.')
            g_ptr_array_add(paths, g_build_filename(SCENARIO_DIR, name, NULL));
    g_dir_close(dir);
    g_ptr_array_sort(paths, cmp_str);
    assert_true(paths->len >= 2);
    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        struct scenario *sc = NULL;
        struct cfg_error err;
        char summary[512];

        memset(&err, 0, sizeof(err));
        if (run_load(path, NULL, 0, false, 0, &sc, &err) != 0) {
            cfg_error_print(&err, stderr);
            failures++;
            continue;
        }
        run_scenario_summary(sc, summary, sizeof(summary));
        assert_true(strlen(summary) > 0);
        assert_non_null(run_scenario_name(sc));
        run_scenario_free(sc);
    }
    g_ptr_array_free(paths, TRUE);
    assert_int_equal(failures, 0);
}

static void test_default_scenario_values(void **state)
{
    struct scenario *sc = load_ok(NULL, 0, false, 0);

    (void)state;
    assert_string_equal(run_scenario_name(sc), "default");
    assert_string_equal(sc->policy->name, "batch_full");
    assert_string_equal(sc->mcfg->name, "x86-1s-8c");
    assert_int_equal(sc->mcfg->n_cpus, 8);
    /* the scenario's machine override (nodes) replaced the file's 16 GiB */
    assert_int_equal(sc->mcfg->n_nodes, 1);
    assert_int_equal(sc->mcfg->node[0].mem_bytes, 256ull << 20);
    assert_int_equal(sc->mcfg->cost.ipi_send_ns, 100);
    assert_int_equal(sc->seed, 1);
    assert_int_equal(sc->duration_ns, 100 * SIM_MS);
    assert_int_equal(sc->warmup_ns, 100 * SIM_MS);
    assert_int_equal(sc->n_wl, 1);
    assert_int_equal(sc->wl[0].processes, 8);
    run_scenario_free(sc);
}

static void test_set_policy_name(void **state)
{
    const char *sets[] = { "policy.name=per_page" };
    struct scenario *sc = load_ok(sets, 1, false, 0);

    (void)state;
    assert_string_equal(sc->policy->name, "per_page");
    run_scenario_free(sc);
}

static void test_set_policy_parameter(void **state)
{
    const char *sets[] = { "policy.dirty_rule=off" };
    struct scenario *sc = load_ok(sets, 1, false, 0);
    struct cfg_error err;

    (void)state;
    assert_string_equal(sc->policy->name, "batch_full");
    run_scenario_free(sc);
    load_fails("policy.dirty_rule=maybe", &err);
    assert_string_equal(err.file, "--set policy.dirty_rule");
    assert_int_equal(err.line, 0);
}

static void test_set_machine_cost_reaches_machine(void **state)
{
    const char *sets[] = { "machine.cost.ipi_send_ns=900" };
    struct scenario *sc = load_ok(sets, 1, false, 0);

    (void)state;
    assert_int_equal(sc->mcfg->cost.ipi_send_ns, 900);
    /* nothing else moved */
    assert_string_equal(sc->mcfg->name, "x86-1s-8c");
    assert_int_equal(sc->mcfg->node[0].mem_bytes, 256ull << 20);
    run_scenario_free(sc);
}

/* --set machine.* is applied after the scenario's own machine override. */
static void test_set_machine_beats_scenario_override(void **state)
{
    const char *sets[] = { "machine.nodes.0.memory=128MiB", "machine.tick_hz=1000" };
    struct scenario *sc = load_ok(sets, 2, false, 0);

    (void)state;
    assert_int_equal(sc->mcfg->node[0].mem_bytes, 128ull << 20);
    assert_int_equal(sc->mcfg->tick_hz, 1000);
    run_scenario_free(sc);
}

static void test_set_machine_bad_value(void **state)
{
    struct cfg_error err;

    (void)state;
    load_fails("machine.cost.ipi_send_ns=abc", &err);
    assert_string_equal(err.file, "--set machine.cost.ipi_send_ns");
    assert_int_equal(err.line, 0);
    assert_int_equal(err.col, 0);
    assert_non_null(strstr(err.msg, "abc"));
}

static void test_set_scenario_bad_value(void **state)
{
    struct cfg_error err;

    (void)state;
    load_fails("duration_ms=abc", &err);
    assert_string_equal(err.file, "--set duration_ms");
    assert_int_equal(err.line, 0);
    load_fails("policy.name=no_such_policy", &err);
    assert_string_equal(err.file, "--set policy.name");
    assert_non_null(strstr(err.msg, "per_page"));   /* lists the known ones */
}

static void test_set_nosuch_path_fails(void **state)
{
    struct cfg_error err;

    (void)state;
    load_fails("nosuch.key=1", &err);
    assert_string_equal(err.file, "--set nosuch.key");
    assert_int_equal(err.line, 0);
    load_fails("machine.nosuch.key=1", &err);
    assert_string_equal(err.file, "--set machine.nosuch.key");
    assert_int_equal(err.line, 0);
}

/* A --set that adds a key nobody reads is an unknown key, reported under the
 * --set that added it (README: `--set key.path: error: ...`), not under the
 * file the key was added to. */
static void test_set_unknown_key_names_the_set(void **state)
{
    struct cfg_error err;

    (void)state;
    load_fails("nosuch=1", &err);
    assert_string_equal(err.msg, "unknown key 'nosuch'");
    assert_string_equal(err.file, "--set nosuch");
    assert_int_equal(err.line, 0);
    load_fails("machine.tick_rate=5", &err);
    assert_string_equal(err.msg, "unknown key 'tick_rate'");
    assert_string_equal(err.file, "--set machine.tick_rate");
    assert_int_equal(err.line, 0);
}

static void test_seed_override(void **state)
{
    const char *sets[] = { "seed=7" };
    struct scenario *sc;

    (void)state;
    sc = load_ok(NULL, 0, true, 42);
    assert_int_equal(sc->seed, 42);
    run_scenario_free(sc);
    sc = load_ok(NULL, 0, true, UINT64_MAX);
    assert_true(sc->seed == UINT64_MAX);
    run_scenario_free(sc);
    sc = load_ok(sets, 1, false, 0);
    assert_int_equal(sc->seed, 7);
    run_scenario_free(sc);
    sc = load_ok(sets, 1, true, 3);     /* --seed wins over --set seed= */
    assert_int_equal(sc->seed, 3);
    run_scenario_free(sc);
}

static void test_set_timing_and_workload(void **state)
{
    const char *sets[] = { "duration_ms=50", "warmup_ms=5", "workloads.0.processes=2" };
    struct scenario *sc = load_ok(sets, 3, false, 0);

    (void)state;
    assert_int_equal(sc->duration_ns, 50 * SIM_MS);
    assert_int_equal(sc->warmup_ns, 5 * SIM_MS);
    assert_int_equal(sc->wl[0].processes, 2);
    run_scenario_free(sc);
}

static void test_summary_mentions_machine_and_policy(void **state)
{
    const char *sets[] = { "policy.name=per_page" };
    struct scenario *sc = load_ok(NULL, 0, false, 0);
    char buf[512];

    (void)state;
    run_scenario_summary(sc, buf, sizeof(buf));
    assert_non_null(strstr(buf, "default"));
    assert_non_null(strstr(buf, "x86-1s-8c"));
    assert_non_null(strstr(buf, "batch_full"));
    assert_non_null(strstr(buf, "readers"));
    run_scenario_free(sc);
    sc = load_ok(sets, 1, false, 0);
    run_scenario_summary(sc, buf, sizeof(buf));
    assert_non_null(strstr(buf, "per_page"));
    /* a short buffer truncates, never overflows */
    run_scenario_summary(sc, buf, 8);
    assert_int_equal(strlen(buf), 7);
    run_scenario_free(sc);
}

static void test_missing_scenario_file(void **state)
{
    struct scenario *sc = NULL;
    struct cfg_error err;

    (void)state;
    memset(&err, 0, sizeof(err));
    assert_int_equal(run_load(SCENARIO_DIR "/no-such-scenario.yaml", NULL, 0, false, 0, &sc,
                              &err), -1);
    assert_null(sc);
    assert_string_equal(err.file, SCENARIO_DIR "/no-such-scenario.yaml");
    assert_non_null(strstr(err.msg, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_scenario_loads),
        cmocka_unit_test(test_default_scenario_values),
        cmocka_unit_test(test_set_policy_name),
        cmocka_unit_test(test_set_policy_parameter),
        cmocka_unit_test(test_set_machine_cost_reaches_machine),
        cmocka_unit_test(test_set_machine_beats_scenario_override),
        cmocka_unit_test(test_set_machine_bad_value),
        cmocka_unit_test(test_set_scenario_bad_value),
        cmocka_unit_test(test_set_nosuch_path_fails),
        cmocka_unit_test(test_set_unknown_key_names_the_set),
        cmocka_unit_test(test_seed_override),
        cmocka_unit_test(test_set_timing_and_workload),
        cmocka_unit_test(test_summary_mentions_machine_and_policy),
        cmocka_unit_test(test_missing_scenario_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
