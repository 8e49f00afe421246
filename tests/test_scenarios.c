/* Scenario tests: the seed scenarios reproduce the published ratios within
 * stated tolerances (validation-targets.md). Windows are shortened with
 * --set (warm-up 100 ms, 50 ms measured) to keep the suite fast; the full
 * scenarios give the numbers quoted in README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "models/run.h"
#include "sim/stats.h"

struct rates {
    double ipi_received, interrupts, pgsteal_kswapd, app_accesses;
};

static double per_second(const struct run_output *out, const char *name)
{
    stats_id id;

    assert_true(stats_find(out->st, name, &id));
    return (double)stats_total(out->st, id) * 1e9 / (double)out->duration_ns;
}

static struct rates run_policy(const char *path, const char *policy)
{
    char set_policy[64];
    const char *sets[] = { set_policy, "warmup_ms=100", "duration_ms=50",
                           "output.snapshot_ms=10", "output.timeseries_bucket_ms=5" };
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    struct rates r;

    snprintf(set_policy, sizeof(set_policy), "policy.name=%s", policy);
    if (run_load(path, sets, 5, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail();
    }
    assert_int_equal(run_execute(sc, &out, errbuf, sizeof(errbuf)), 0);
    r.ipi_received = per_second(&out, "ipi_received");
    r.interrupts = per_second(&out, "interrupts");
    r.pgsteal_kswapd = per_second(&out, "pgsteal_kswapd");
    r.app_accesses = per_second(&out, "app_accesses");
    print_message("%s %s: %.0f TLB IPIs/s, %.0f interrupts/s, kswapd %.0f pages/s, "
                  "%.0f accesses/s\n", path, policy, r.ipi_received, r.interrupts,
                  r.pgsteal_kswapd, r.app_accesses);
    run_output_destroy(&out);
    run_scenario_free(sc);
    return r;
}

/* T1/T1c: 900K -> 180K interrupts/s (5x) on 4 nodes. Tolerance: the issue's
 * factor 3 to 8. The absolute per-page rate must be of the published order
 * (within 10x of 900K/s: the sources omit the per-page kernel costs, see the
 * scenario file), and kswapd must unmap more than 100K pages/s. */
static void test_seed000_4node_batching_cuts_interrupts(void **state)
{
    const char *p = "configs/scenarios/seed000-mmap-read-4node.yaml";
    struct rates a = run_policy(p, "per_page"), b = run_policy(p, "batch_full");
    double ratio = a.interrupts / b.interrupts;

    (void)state;
    print_message("interrupt ratio per_page/batch_full = %.2f (published ~5)\n", ratio);
    assert_true(ratio >= 3.0 && ratio <= 8.0);
    assert_true(a.ipi_received >= 90e3 && a.ipi_received <= 9e6);
    assert_true(a.pgsteal_kswapd > 100e3);
    /* batching gives the readers time back (published: elapsed -25.8%) */
    assert_true(b.app_accesses > a.app_accesses);
}

/* T2: ~500K -> ~45K interrupts/s (11x) on one socket. Tolerance: the same
 * direction and at least the 4-node factor's lower bound (3x). */
static void test_seed000_1socket_same_direction(void **state)
{
    const char *p = "configs/scenarios/seed000-mmap-read-1socket.yaml";
    struct rates a = run_policy(p, "per_page"), b = run_policy(p, "batch_full");
    double ratio = a.interrupts / b.interrupts;

    (void)state;
    print_message("interrupt ratio per_page/batch_full = %.2f (published ~11)\n", ratio);
    assert_true(ratio >= 3.0);
    assert_true(b.app_accesses > a.app_accesses);
}

static uint64_t hazards(const char *const *sets, size_t n)
{
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    stats_id id;
    uint64_t found;

    if (run_load("configs/scenarios/t7-dirty-rule.yaml", sets, n, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail();
    }
    assert_int_equal(run_execute(sc, &out, errbuf, sizeof(errbuf)), 0);
    assert_true(stats_find(out.st, "hazards_found", &id));
    found = stats_total(out.st, id);
    if (found)
        assert_true(out.n_hazard > 0 && out.hazard[0].trace && out.hazard[0].trace[0]);
    run_output_destroy(&out);
    run_scenario_free(sc);
    return found;
}

/* T7: batched flushing without the dirty-PTE rule loses writes (a store
 * through a cached writable entry after pageout cleaned the page); with the
 * rule, and with per-page flushing, the checker finds nothing. Tolerance:
 * exact (zero vs. at least one). */
static void test_t7_dirty_rule(void **state)
{
    const char *on[] = { "policy.dirty_rule=on" }, *off[] = { "policy.dirty_rule=off" };
    const char *per_page[] = { "policy.name=per_page" };
    uint64_t with_rule = hazards(on, 1), without = hazards(off, 1), sync = hazards(per_page, 1);

    (void)state;
    print_message("T7 hazards: rule on %llu, off %llu, per_page %llu\n",
                  (unsigned long long)with_rule, (unsigned long long)without,
                  (unsigned long long)sync);
    assert_int_equal(with_rule, 0);
    assert_true(without > 0);
    assert_int_equal(sync, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t7_dirty_rule),
        cmocka_unit_test(test_seed000_4node_batching_cuts_interrupts),
        cmocka_unit_test(test_seed000_1socket_same_direction),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
