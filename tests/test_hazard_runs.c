/* The hazard checker on whole runs (issue: hazard checker):
 * - configs/scenarios/hazard-dirty-race.yaml: zero hazards with batch_full,
 *   lost writes with the dirty rule off, more of them with adversarial
 *   probes than without;
 * - a property test: every registered policy, as specified, reports zero
 *   hazards over several seeds of five stress scenarios (x86 and arm64,
 *   every kernel path that clears PTEs), adversarial mode on; LUF v10 on
 *   arm64 only stale reads (its DSB gap, luf_arm64_gap);
 * - with dirty_rule off every policy that has the rule loses writes;
 * - mutation tests: each flush point taken out (hazards.remove_flush) is
 *   caught, in the class that flush prevents, on x86 and arm64 (where the
 *   flush point is the DSB that completes the TLBIs). */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/hazard.h"
#include "models/policy.h"
#include "models/run.h"

#define RACE "configs/scenarios/hazard-dirty-race.yaml"
#define MUTANTS "tests/data/good/hazard-mutants-x86.yaml"
#define FILES "tests/data/good/hazard-file-readers.yaml"
#define MIGRATE "tests/data/good/hazard-migrate.yaml"
#define ARM64 "configs/machines/arm64-kunpeng920-96c.yaml"
#define ARM64_8C "configs/machines/arm64-sd888-8c.yaml"

static const char *const stress[] = {
    "tests/data/good/contract-x86-8c.yaml",
    "tests/data/good/contract-arm64-8c.yaml",
    MUTANTS,
    FILES,
    MIGRATE,
};
/* Seeds per stress scenario; TLBSIM_STRESS_SEEDS=N runs more (a longer
 * local check; CI keeps the default). */
#define STRESS_SEEDS 4

static unsigned stress_seeds(void)
{
    const char *env = g_getenv("TLBSIM_STRESS_SEEDS");
    unsigned n = env ? (unsigned)g_ascii_strtoull(env, NULL, 10) : 0;

    return n ? n : STRESS_SEEDS;
}

/* Runs path with the --set assignments (NULL-terminated); returns the
 * hazard counts by class and the total. */
static uint64_t run_counts(const char *path, const char *const *sets, uint64_t *by_class)
{
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    size_t n = 0;
    uint64_t found;

    while (sets[n])
        n++;
    if (run_load(path, sets, n, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail();
    }
    if (run_execute(sc, &out, errbuf, sizeof(errbuf)))
        fail_msg("%s: %s", path, errbuf);
    found = out.hazards_found;
    if (by_class)
        memcpy(by_class, out.hazard_by_class, sizeof(out.hazard_by_class));
    run_output_destroy(&out);
    run_scenario_free(sc);
    return found;
}

static void test_dirty_race_scenario(void **state)
{
    const char *on[] = { NULL };
    const char *off[] = { "policy.dirty_rule=off", NULL };
    const char *off_plain[] = { "policy.dirty_rule=off", "hazards.adversarial=false", NULL };
    uint64_t by[HC_NR], adversarial, plain;

    (void)state;
    assert_int_equal(run_counts(RACE, on, NULL), 0);
    adversarial = run_counts(RACE, off, by);
    assert_true(by[HC_LOST_WRITE] > 0);
    assert_int_equal(adversarial, by[HC_LOST_WRITE]);
    plain = run_counts(RACE, off_plain, NULL);
    print_message("dirty rule off: %" PRIu64 " lost writes with probes, %" PRIu64
                  " without\n", adversarial, plain);
    assert_true(adversarial > plain);
}

/* Workload parameters of MUTANTS drawn at random (a fixed GLib seed per
 * point, so a failure reproduces): store share of the writers, speed of the
 * hot readers, windows of the syscall loops. Fills sets[0..5). */
static void random_workloads(GRand *r, char sets[5][64])
{
    static const unsigned windows[] = { 8, 16, 32, 64, 128 };

    snprintf(sets[0], 64, "workloads.2.write_fraction=%.2f", g_rand_double_range(r, 0.1, 1.0));
    snprintf(sets[1], 64, "workloads.1.access_ns=%d", g_rand_int_range(r, 20, 400));
    for (unsigned w = 0; w < 3; w++)
        snprintf(sets[2 + w], 64, "workloads.%u.window_pages=%u", 4 + w,
                 windows[g_rand_int_range(r, 0, G_N_ELEMENTS(windows))]);
}

/* LUF v10 on arm64 is not safe as specified (policy-semantics.md section 6
 * (v)): its deferred flush is a DSB on the allocating CPU, which completes
 * that CPU's TLBIs only; a frame whose unmapping CPU has run no DSB since
 * can be reallocated while other CPUs still cache it (test_policy_contract.c
 * requires the model to find such entries). The stale entries are read-only,
 * so only reads can go through them: that much is still required here. */
static bool luf_arm64_gap(const struct flush_policy_ops *p, const char *scenario,
                          const uint64_t *by, uint64_t found)
{
    uint64_t reads = by[HC_STALE_READ_FREED] + by[HC_STALE_READ_REALLOCATED];

    if (strcmp(p->name, "luf") != 0 || !strstr(scenario, "arm64") || reads != found)
        return false;
    print_message("luf on %s: %" PRIu64 " stale reads (the arm64 DSB gap)\n", scenario, reads);
    return true;
}

/* Zero hazards for every policy as specified, over seeds and scenarios
 * (the mutation scenario with randomized workload parameters too); LUF on
 * arm64 reads only (luf_arm64_gap). */
static void test_policies_are_safe(void **state)
{
    const struct flush_policy_ops *p = *state;
    char policy[64], seed[32], random_sets[5][64];
    const char *sets[] = { policy, seed, "hazards.adversarial=true", NULL, NULL, NULL, NULL,
                           NULL, NULL };
    uint64_t by[HC_NR];

    snprintf(policy, sizeof(policy), "policy.name=%s", p->name);
    for (size_t s = 0; s < G_N_ELEMENTS(stress); s++) {
        for (unsigned k = 1; k <= stress_seeds(); k++) {
            GRand *r = g_rand_new_with_seed(k);
            uint64_t found;

            snprintf(seed, sizeof(seed), "seed=%u", 1000 + 17 * k);
            if (strcmp(stress[s], MUTANTS) == 0) {
                random_workloads(r, random_sets);
                for (unsigned i = 0; i < 5; i++)
                    sets[3 + i] = random_sets[i];
            } else {
                sets[3] = NULL;
            }
            found = run_counts(stress[s], sets, by);
            if (found && luf_arm64_gap(p, stress[s], by, found))
                found = 0;
            if (found) {
                GString *all = g_string_new(NULL);

                for (unsigned i = 0; sets[i]; i++)
                    g_string_append_printf(all, " --set %s", sets[i]);
                fail_msg("%s: %" PRIu64 " hazards; to see them: build/tlbsim run %s%s",
                         p->name, found, stress[s], all->str);
            }
            g_rand_free(r);
        }
    }
}

static bool has_param(const struct flush_policy_ops *p, const char *name)
{
    for (const struct policy_param *q = p->params; q && q->name; q++)
        if (strcmp(q->name, name) == 0)
            return true;
    return false;
}

/* Without the dirty-PTE rule every batching policy loses writes (T7). */
static void test_dirty_rule_off_loses_writes(void **state)
{
    (void)state;
    for (size_t i = 0; i < policy_count(); i++) {
        const struct flush_policy_ops *p = policy_at(i);
        char policy[64];
        const char *sets[] = { policy, "policy.dirty_rule=off", NULL };
        uint64_t by[HC_NR];

        if (!has_param(p, "dirty_rule"))
            continue;
        snprintf(policy, sizeof(policy), "policy.name=%s", p->name);
        run_counts(RACE, sets, by);
        print_message("%s, dirty_rule off: %" PRIu64 " lost writes\n", p->name,
                      by[HC_LOST_WRITE]);
        if (!by[HC_LOST_WRITE])
            fail_msg("%s with dirty_rule off: no lost write found", p->name);
    }
}

struct mutant {
    const char *policy, *flush;
    enum hazard_class expect;
    const char *scenario;
    const char *machine;        /* NULL: the scenario's */
};

/* Each flush point removed, and the class of hazard that flush prevents,
 * each on the scenario that exercises it (the same scenario with the flush
 * in place has none). Not here: batched_pending (the window it closes needs
 * an mprotect of a range reclaim is unmapping at that moment, which no
 * workload here reaches; tests/test_mmu_gather.c checks that its removal
 * leaves a writable entry that the checker calls write_after_mprotect) and
 * LUF's pte_writable (no read-only page becomes writable here; LUF on
 * writable pages is caught in tests/test_luf_hazards.c). */
static const struct mutant mutants[] = {
    { "batch_full", "pageout_dirty", HC_LOST_WRITE, RACE, NULL },
    { "dirty_batch", "pageout_dirty", HC_LOST_WRITE, RACE, NULL },
    { "arm64_batch", "pageout_dirty", HC_LOST_WRITE, RACE, ARM64_8C },
    { "pfn_batch", "before_free", HC_STALE_READ_FREED, FILES, NULL },
    { "arm64_batch", "before_free", HC_STALE_READ_FREED, FILES, ARM64_8C },
    { "batch_full", "end_of_pass", HC_STALE_READ_FREED, FILES, NULL },
    { "arm64_batch", "end_of_pass", HC_STALE_READ_FREED, FILES, ARM64_8C },
    { "luf", "alloc", HC_STALE_READ_REALLOCATED, FILES, NULL },
    { "luf", "alloc", HC_STALE_READ_REALLOCATED, FILES, ARM64_8C },
    { "batch_full", "before_copy", HC_WRITE_AFTER_MIGRATION_COPY, MIGRATE, NULL },
    { "arm64_batch", "before_copy", HC_WRITE_AFTER_MIGRATION_COPY, MIGRATE, ARM64 },
    { "batch_full", "zap", HC_STALE_READ_FREED, MUTANTS, NULL },
    { "arm64_batch", "zap", HC_STALE_READ_FREED, MUTANTS, ARM64 },
    { "batch_full", "mprotect", HC_WRITE_AFTER_MPROTECT, MUTANTS, NULL },
};

/* Seeds a mutant may take to be caught: some races need a phase that not
 * every seed reaches (arm64 before_free: reclaim takes pages still cached on
 * arm64 only before clearing the accessed bit has completed its TLBI). */
#define MUTANT_SEEDS 4

static void test_mutants_are_caught(void **state)
{
    char policy[64], machine[128], seed[32];
    const char *base[] = { policy, NULL, NULL };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(mutants); i++) {
        char flush[64];
        const char *sets[] = { policy, flush, seed, NULL, NULL };
        uint64_t by[HC_NR] = { 0 }, base_by[HC_NR], found;
        const char *path = mutants[i].scenario;
        unsigned k;

        snprintf(machine, sizeof(machine), "machine.path=%s",
                 mutants[i].machine ? mutants[i].machine : "");
        base[1] = sets[3] = mutants[i].machine ? machine : NULL;

        snprintf(policy, sizeof(policy), "policy.name=%s", mutants[i].policy);
        snprintf(flush, sizeof(flush), "hazards.remove_flush=%s", mutants[i].flush);
        found = run_counts(path, base, base_by);
        if (found && !luf_arm64_gap(policy_lookup(mutants[i].policy),
                                    mutants[i].machine ? mutants[i].machine : path,
                                    base_by, found))
            fail_msg("%s with every flush: %" PRIu64 " hazards", mutants[i].policy, found);
        for (k = 1; k <= MUTANT_SEEDS && by[mutants[i].expect] <= base_by[mutants[i].expect];
             k++) {
            snprintf(seed, sizeof(seed), "seed=%u", k);
            run_counts(path, sets, by);
        }
        print_message("%s%s without %s: %" PRIu64 " %s (seed %u)\n", mutants[i].policy,
                      mutants[i].machine ? " (arm64)" : "", mutants[i].flush,
                      by[mutants[i].expect], hazard_class_name(mutants[i].expect), k - 1);
        if (by[mutants[i].expect] <= base_by[mutants[i].expect])
            fail_msg("%s%s without the %s flush: no more %s than with it", mutants[i].policy,
                     mutants[i].machine ? " (arm64)" : "", mutants[i].flush,
                     hazard_class_name(mutants[i].expect));
    }
}

int main(void)
{
    size_t n = policy_count(), k = 0;
    struct CMUnitTest *tests = g_new0(struct CMUnitTest, n + 3);
    char **names = g_new0(char *, n);
    int rc;

    tests[k++] = (struct CMUnitTest){ .name = "dirty race scenario",
                                      .test_func = test_dirty_race_scenario };
    for (size_t i = 0; i < n; i++) {
        names[i] = g_strdup_printf("zero hazards: %s", policy_at(i)->name);
        tests[k++] = (struct CMUnitTest){ .name = names[i], .test_func = test_policies_are_safe,
                                          .initial_state = (void *)(uintptr_t)policy_at(i) };
    }
    tests[k++] = (struct CMUnitTest){ .name = "dirty rule off loses writes",
                                      .test_func = test_dirty_rule_off_loses_writes };
    tests[k++] = (struct CMUnitTest){ .name = "mutants are caught",
                                      .test_func = test_mutants_are_caught };
    rc = _cmocka_run_group_tests("hazard runs", tests, k, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        g_free(names[i]);
    g_free(names);
    g_free(tests);
    return rc;
}
