/* Scenario tests: the seed scenarios reproduce the published ratios within
 * stated tolerances (validation-targets.md). Windows are shortened with
 * --set (warm-up 100 ms, 50 ms measured; seed 004: 200 ms and 100 ms) to
 * keep the suite fast; the full scenarios give the numbers quoted in
 * README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "models/run.h"
#include "sim/stats.h"

struct rates {
    double ipi_received, interrupts, pgsteal_kswapd, app_accesses, tlb_flush, remote_flushes;
    double luf_alloc, luf_same_cpu, luf_kswapd;   /* luf's counters; 0 for other policies */
};

static double per_second(const struct run_output *out, const char *name)
{
    stats_id id;

    assert_true(stats_find(out->st, name, &id));
    return (double)stats_total(out->st, id) * 1e9 / (double)out->duration_ns;
}

static double per_second_or_0(const struct run_output *out, const char *name)
{
    stats_id id;

    if (!stats_find(out->st, name, &id))
        return 0;
    return per_second(out, name);
}

static struct rates run_window(const char *path, const char *policy, const char *warmup,
                               const char *duration)
{
    char set_policy[64];
    const char *sets[] = { set_policy, warmup, duration,
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
    r.tlb_flush = per_second(&out, "tlb_flush");
    r.remote_flushes = per_second(&out, "nr_tlb_remote_flush");
    r.luf_alloc = per_second_or_0(&out, "luf_flush_alloc");
    r.luf_same_cpu = per_second_or_0(&out, "luf_flush_alloc_same_cpu");
    r.luf_kswapd = per_second_or_0(&out, "luf_flush_alloc_kswapd_freed");
    print_message("%s %s: %.0f TLB IPIs/s, %.0f interrupts/s, kswapd %.0f pages/s, "
                  "%.0f accesses/s\n", path, policy, r.ipi_received, r.interrupts,
                  r.pgsteal_kswapd, r.app_accesses);
    run_output_destroy(&out);
    run_scenario_free(sc);
    return r;
}

static struct rates run_policy(const char *path, const char *policy)
{
    return run_window(path, policy, "warmup_ms=100", "duration_ms=50");
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

/* T6: LUF vs mainline batching under tiering. Published: tlb_flush events
 * and shootdown interrupts -95%, the flush cost moved to allocation. The
 * model reproduces the direction and most of the size (README T6: -71% to
 * -79% over the scenario's 4-token window, seeds 1-3; the rest is
 * quantified there). Window: the first token after the scenario's warm-up
 * (luf/batch_full 0.33-0.35 for seeds 1-3; later tokens 0.15-0.28).
 * Tolerance: both cut by more than half (the "removes most
 * shootdowns"); most of luf's flush rounds start at an allocation; and the
 * two causes README names (a frame reused on the CPU that deferred it, a
 * kswapd-deferred frame) account for at least 80% of those. */
static void test_seed004_luf_cuts_flushes(void **state)
{
    const char *p = "configs/scenarios/seed004-luf-tiering.yaml";
    struct rates a = run_window(p, "batch_full", "warmup_ms=3280", "duration_ms=656");
    struct rates b = run_window(p, "luf", "warmup_ms=3280", "duration_ms=656");
    double flushes = b.tlb_flush / a.tlb_flush, ipis = b.ipi_received / a.ipi_received;

    (void)state;
    print_message("luf/batch_full: tlb_flush %.2f, shootdown IPIs %.2f (published 0.05); "
                  "allocation flushes %.0f/s of %.0f rounds/s (same cpu %.0f, kswapd %.0f)\n",
                  flushes, ipis, b.luf_alloc, b.remote_flushes, b.luf_same_cpu, b.luf_kswapd);
    assert_true(flushes < 0.5);
    assert_true(ipis < 0.5);
    assert_true(b.luf_alloc >= 0.5 * b.remote_flushes);
    assert_true(b.luf_same_cpu + b.luf_kswapd >= 0.8 * b.luf_alloc);
    assert_true(a.luf_alloc == 0);
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
        cmocka_unit_test(test_seed004_luf_cuts_flushes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
