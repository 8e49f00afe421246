/* TLB model: set-associative LRU replacement, ASID tagging, the L2 refill of
 * L1, every invalidation and its return count, per-kind counters, and the
 * checker queries. Invariant: a translation is visible exactly until it is
 * evicted by LRU or invalidated. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/machine_cfg.h"
#include "models/tlb.h"

static const struct tlb_level_cfg none = { 0, 0 };
/* Small geometry: l1 2 sets x 2 ways, l2 4 sets x 4 ways. */
static const struct tlb_level_cfg l1_small = { 4, 2 };
static const struct tlb_level_cfg l2_small = { 16, 4 };

static struct tlb *small_tlb(void)
{
    return tlb_new(&l1_small, &l1_small, &l2_small);
}

/* Runs fn in a child and checks that it dies of SIGABRT (a SIM bug check). */
static void assert_aborts(void (*fn)(void))
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };

        setrlimit(RLIMIT_CORE, &no_core);
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_tlb_lru_evicts_least_recent(void **state)
{
    /* l1d only: 4 sets x 2 ways; vpns 0, 4, 8 share set 0 */
    struct tlb_level_cfg l1d = { 8, 2 };
    struct tlb *t = tlb_new(&l1d, &none, &none);

    tlb_insert(t, 1, 0, 100, false, false, TLB_LOAD);
    tlb_insert(t, 1, 4, 104, false, false, TLB_LOAD);
    tlb_insert(t, 1, 1, 101, false, false, TLB_LOAD);    /* other set */
    tlb_insert(t, 1, 8, 108, false, false, TLB_LOAD);    /* ways + 1 in set 0 */
    assert_false(tlb_probe(t, 1, 0, NULL));
    assert_true(tlb_probe(t, 1, 4, NULL));
    assert_true(tlb_probe(t, 1, 8, NULL));
    assert_true(tlb_probe(t, 1, 1, NULL));
    assert_int_equal(tlb_occupancy(t), 3);
    tlb_free(t);
}

static void test_tlb_lookup_updates_lru(void **state)
{
    /* one set of 4 ways: a b c d, use a and c, then two fills evict b then d */
    struct tlb_level_cfg l1d = { 4, 4 };
    struct tlb *t = tlb_new(&l1d, &none, &none);
    struct tlb_hit h;

    for (uint64_t v = 0; v < 4; v++)
        tlb_insert(t, 1, v, (uint32_t)v, false, false, TLB_LOAD);
    assert_true(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_true(tlb_lookup(t, 1, 2, TLB_STORE, &h));
    tlb_insert(t, 1, 10, 10, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 1, NULL));
    tlb_insert(t, 1, 11, 11, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 3, NULL));
    assert_true(tlb_probe(t, 1, 0, NULL));
    assert_true(tlb_probe(t, 1, 2, NULL));
    tlb_free(t);
}

static void test_tlb_lru_survives_clock_wrap(void **state)
{
    struct tlb_level_cfg l1d = { 4, 4 };
    struct tlb *t = tlb_new(&l1d, &none, &none);

    for (uint64_t v = 0; v < 4; v++)
        tlb_insert(t, 1, v, (uint32_t)v, false, false, TLB_LOAD);
    tlb__set_lru_clocks(t, UINT32_MAX - 2);
    /* use order now 3 < 0 < 1 < 2 (oldest first); the third use wraps */
    assert_true(tlb_lookup(t, 1, 0, TLB_LOAD, NULL));
    assert_true(tlb_lookup(t, 1, 1, TLB_LOAD, NULL));
    assert_true(tlb_lookup(t, 1, 2, TLB_LOAD, NULL));
    tlb_insert(t, 1, 10, 10, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 3, NULL));
    tlb_insert(t, 1, 11, 11, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 0, NULL));
    tlb_insert(t, 1, 12, 12, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 1, NULL));
    assert_true(tlb_probe(t, 1, 2, NULL));
    tlb_free(t);
}

static void test_tlb_probe_leaves_lru_and_counts(void **state)
{
    struct tlb_level_cfg l1d = { 2, 2 };
    struct tlb *t = tlb_new(&l1d, &none, &none);
    const struct tlb_counts *c = tlb_counts(t);

    tlb_insert(t, 1, 0, 0, false, false, TLB_LOAD);
    tlb_insert(t, 1, 1, 1, false, false, TLB_LOAD);
    assert_true(tlb_probe(t, 1, 0, NULL));    /* no LRU update: 0 stays oldest */
    tlb_insert(t, 1, 2, 2, false, false, TLB_LOAD);
    assert_false(tlb_probe(t, 1, 0, NULL));
    assert_int_equal(c->hit[TLB_LOAD] + c->miss[TLB_LOAD], 0);
    tlb_free(t);
}

static void test_tlb_insert_replaces_in_place(void **state)
{
    struct tlb *t = small_tlb();
    struct tlb_hit h;

    tlb_insert(t, 3, 7, 70, false, false, TLB_LOAD);
    tlb_insert(t, 3, 7, 71, true, true, TLB_STORE);
    assert_int_equal(tlb_occupancy(t), 2);    /* one in l1d, one in l2 */
    assert_true(tlb_lookup(t, 3, 7, TLB_LOAD, &h));
    assert_int_equal(h.pfn, 71);
    assert_true(h.writable);
    assert_true(h.dirty);
    tlb_free(t);
}

static void test_tlb_asid_isolation(void **state)
{
    struct tlb *t = small_tlb();
    struct tlb_hit h;

    tlb_insert(t, 1, 5, 50, true, false, TLB_LOAD);
    tlb_insert(t, 2, 5, 60, false, false, TLB_LOAD);
    assert_true(tlb_lookup(t, 1, 5, TLB_LOAD, &h));
    assert_int_equal(h.pfn, 50);
    assert_true(tlb_lookup(t, 2, 5, TLB_LOAD, &h));
    assert_int_equal(h.pfn, 60);
    assert_false(tlb_lookup(t, 3, 5, TLB_LOAD, &h));
    assert_int_equal(tlb_invalidate_page(t, 3, 5), 0);
    tlb_invalidate_asid(t, 2);
    assert_int_equal(tlb_occupancy(t), 2);
    assert_false(tlb_probe(t, 2, 5, NULL));
    assert_true(tlb_probe(t, 1, 5, NULL));
    tlb_free(t);
}

static void test_tlb_wide_vpn_and_asid(void **state)
{
    struct tlb *t = small_tlb();
    const uint64_t vpn = (1ull << 36) - 1;
    struct tlb_hit h;

    tlb_insert(t, 0xffff, vpn, 0xfffffffeu, true, false, TLB_LOAD);
    assert_false(tlb_probe(t, 0, vpn, NULL));
    assert_false(tlb_probe(t, 0xfffe, vpn, NULL));
    assert_false(tlb_probe(t, 0xffff, vpn - 1, NULL));
    assert_true(tlb_lookup(t, 0xffff, vpn, TLB_LOAD, &h));
    assert_int_equal(h.pfn, 0xfffffffeu);
    assert_true(h.writable);
    assert_false(h.dirty);
    assert_false(tlb_probe(t, 0xffff, vpn + 1, NULL));
    assert_int_equal(tlb_invalidate_page(t, 0xffff, vpn + 1), 0);
    tlb_free(t);
}

static void test_tlb_l2_hit_refills_l1(void **state)
{
    struct tlb *t = small_tlb();
    const struct tlb_counts *c = tlb_counts(t);
    struct tlb_hit h;

    /* vpns 0, 2, 4 share l1d set 0 (2 ways); l2 keeps all three */
    tlb_insert(t, 1, 0, 10, false, false, TLB_LOAD);
    tlb_insert(t, 1, 2, 12, false, false, TLB_LOAD);
    tlb_insert(t, 1, 4, 14, false, false, TLB_LOAD);
    assert_int_equal(tlb_occupancy(t), 5);
    assert_true(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_int_equal(h.pfn, 10);
    assert_int_equal(c->hit[TLB_LOAD], 1);
    assert_int_equal(c->l2_hit[TLB_LOAD], 1);
    /* refilled: served by l1d now; the refill evicted vpn 2 from l1d */
    assert_true(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_int_equal(c->l2_hit[TLB_LOAD], 1);
    assert_true(tlb_lookup(t, 1, 4, TLB_LOAD, &h));
    assert_int_equal(c->l2_hit[TLB_LOAD], 1);
    assert_true(tlb_lookup(t, 1, 2, TLB_LOAD, &h));
    assert_int_equal(c->l2_hit[TLB_LOAD], 2);
    assert_int_equal(c->hit[TLB_LOAD], 4);
    assert_int_equal(tlb_occupancy(t), 5);
    tlb_free(t);
}

static void test_tlb_invalidate_page_all_levels(void **state)
{
    struct tlb *t = small_tlb();

    tlb_insert(t, 1, 3, 30, false, false, TLB_LOAD);
    tlb_insert(t, 1, 3, 30, false, false, TLB_IFETCH);   /* l1i; l2 in place */
    tlb_insert(t, 1, 9, 90, false, false, TLB_LOAD);
    assert_int_equal(tlb_occupancy(t), 5);
    assert_int_equal(tlb_invalidate_page(t, 1, 3), 3);
    assert_int_equal(tlb_invalidate_page(t, 1, 3), 0);
    assert_false(tlb_probe(t, 1, 3, NULL));
    assert_true(tlb_probe(t, 1, 9, NULL));
    assert_int_equal(tlb_occupancy(t), 2);
    tlb_free(t);
}

static void test_tlb_invalidate_asid_counts(void **state)
{
    struct tlb *t = small_tlb();

    for (uint64_t v = 0; v < 3; v++) {
        tlb_insert(t, 7, v, (uint32_t)v, false, false, TLB_LOAD);
        tlb_insert(t, 8, v + 100, (uint32_t)v, false, false, TLB_LOAD);
    }
    tlb_insert(t, 7, 50, 50, false, false, TLB_IFETCH);
    /* l1d (2x2) keeps 2 of asid 7's pages, l1i has 50, l2 has all 4 */
    assert_int_equal(tlb_occupancy(t), 12);
    tlb_invalidate_asid(t, 7);
    assert_int_equal(tlb_occupancy(t), 5);
    for (uint64_t v = 0; v < 3; v++) {
        assert_false(tlb_probe(t, 7, v, NULL));
        assert_true(tlb_probe(t, 8, v + 100, NULL));
    }
    assert_false(tlb_probe(t, 7, 50, NULL));
    tlb_invalidate_asid(t, 7);
    assert_int_equal(tlb_occupancy(t), 5);
    tlb_free(t);
}

static void test_tlb_invalidate_asid_exact(void **state)
{
    struct tlb *t = small_tlb();

    tlb_insert(t, 7, 0, 1, false, false, TLB_LOAD);     /* l1d + l2 */
    tlb_insert(t, 7, 1, 2, false, false, TLB_IFETCH);   /* l1i + l2 */
    tlb_insert(t, 8, 0, 3, false, false, TLB_LOAD);
    tlb_invalidate_asid(t, 7);
    assert_int_equal(tlb_occupancy(t), 2);
    tlb_free(t);
}

/* ASID invalidation by epoch: the invalidated entries are free ways for the
 * next fill (as cleared ones were), nothing comes back when the 8-bit epoch
 * wraps, and ASIDs above the epoch range (arm64's per-mm ASIDs) are walked
 * and cleared. */
static void test_tlb_invalidate_asid_epochs(void **state)
{
    struct tlb *t = small_tlb();
    struct tlb_hit h;

    tlb_insert(t, 7, 0, 1, false, false, TLB_LOAD);
    tlb_insert(t, 7, 2, 2, false, false, TLB_LOAD);    /* same l1d set: both ways */
    tlb_invalidate_asid(t, 7);
    tlb_insert(t, 8, 0, 3, false, false, TLB_LOAD);
    tlb_insert(t, 8, 2, 4, false, false, TLB_LOAD);
    assert_true(tlb_probe(t, 8, 0, &h));
    assert_int_equal(h.pfn, 3);
    assert_true(tlb_probe(t, 8, 2, &h));
    assert_int_equal(h.pfn, 4);
    assert_int_equal(tlb_occupancy(t), 4);

    /* 7/4 takes l1d set 0's LRU way (8/0; L2 keeps it) */
    tlb_insert(t, 7, 4, 5, false, false, TLB_LOAD);
    assert_int_equal(tlb_occupancy(t), 5);
    for (unsigned i = 0; i < 512; i++) {
        tlb_invalidate_asid(t, 7);
        assert_false(tlb_probe(t, 7, 4, NULL));
        assert_false(tlb_probe(t, 7, 0, NULL));
    }
    assert_int_equal(tlb_occupancy(t), 3);

    tlb_insert(t, 300, 6, 6, false, false, TLB_LOAD);
    assert_int_equal(tlb_occupancy(t), 5);
    tlb_invalidate_asid(t, 300);
    assert_false(tlb_probe(t, 300, 6, NULL));
    assert_int_equal(tlb_occupancy(t), 3);
    assert_int_equal(tlb_flush_all(t), 3);
    tlb_free(t);
}

static void test_tlb_flush_all_counts(void **state)
{
    struct tlb *t = small_tlb();

    tlb_insert(t, 1, 0, 1, false, false, TLB_LOAD);
    tlb_insert(t, 2, 1, 2, false, false, TLB_IFETCH);
    tlb_insert(t, 3, 2, 3, true, true, TLB_STORE);
    assert_int_equal(tlb_occupancy(t), 6);
    assert_int_equal(tlb_flush_all(t), 6);
    assert_int_equal(tlb_occupancy(t), 0);
    assert_int_equal(tlb_flush_all(t), 0);
    assert_false(tlb_probe(t, 1, 0, NULL));
    tlb_free(t);
}

static void test_tlb_counts_by_kind(void **state)
{
    struct tlb *t = small_tlb();
    const struct tlb_counts *c = tlb_counts(t);
    struct tlb_hit h;

    tlb_insert(t, 1, 0, 1, true, true, TLB_STORE);
    assert_true(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_true(tlb_lookup(t, 1, 0, TLB_STORE, &h));
    assert_true(tlb_lookup(t, 1, 0, TLB_IFETCH, &h));    /* l2 hit, fills l1i */
    assert_false(tlb_lookup(t, 1, 1, TLB_IFETCH, &h));
    assert_false(tlb_lookup(t, 1, 1, TLB_STORE, &h));
    assert_int_equal(c->hit[TLB_LOAD], 1);
    assert_int_equal(c->hit[TLB_STORE], 1);
    assert_int_equal(c->hit[TLB_IFETCH], 1);
    assert_int_equal(c->l2_hit[TLB_LOAD], 0);
    assert_int_equal(c->l2_hit[TLB_IFETCH], 1);
    assert_int_equal(c->miss[TLB_IFETCH], 1);
    assert_int_equal(c->miss[TLB_STORE], 1);
    assert_int_equal(c->miss[TLB_LOAD], 0);
    tlb_reset_counts(t);
    assert_int_equal(c->hit[TLB_LOAD] + c->hit[TLB_STORE] + c->hit[TLB_IFETCH], 0);
    assert_int_equal(c->miss[TLB_IFETCH] + c->miss[TLB_STORE], 0);
    tlb_free(t);
}

static void test_tlb_ifetch_uses_l1i(void **state)
{
    /* no l2: the kinds see only their own l1 */
    struct tlb *t = tlb_new(&l1_small, &l1_small, &none);
    struct tlb_hit h;

    tlb_insert(t, 1, 0, 5, false, false, TLB_IFETCH);
    tlb_insert(t, 1, 1, 6, false, false, TLB_LOAD);
    assert_true(tlb_lookup(t, 1, 0, TLB_IFETCH, &h));
    assert_false(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_false(tlb_lookup(t, 1, 0, TLB_STORE, &h));
    assert_true(tlb_lookup(t, 1, 1, TLB_STORE, &h));
    assert_false(tlb_lookup(t, 1, 1, TLB_IFETCH, &h));
    assert_int_equal(tlb_occupancy(t), 2);
    tlb_free(t);
}

static void test_tlb_absent_levels(void **state)
{
    struct tlb *t = tlb_new(&none, &none, &none);
    struct tlb_hit h;

    tlb_insert(t, 1, 0, 5, true, true, TLB_LOAD);
    assert_false(tlb_lookup(t, 1, 0, TLB_LOAD, &h));
    assert_int_equal(tlb_occupancy(t), 0);
    assert_int_equal(tlb_flush_all(t), 0);
    assert_int_equal(tlb_counts(t)->miss[TLB_LOAD], 1);
    tlb_free(t);
    tlb_free(NULL);
}

static void test_tlb_fully_associative(void **state)
{
    struct tlb_level_cfg l1d = { 8, 8 };
    struct tlb *t = tlb_new(&l1d, &none, &none);

    for (uint64_t v = 0; v < 8; v++)
        tlb_insert(t, 1, v * 1000 + 1, (uint32_t)v, false, false, TLB_LOAD);
    assert_int_equal(tlb_occupancy(t), 8);
    assert_true(tlb_lookup(t, 1, 1, TLB_LOAD, NULL));
    tlb_insert(t, 1, 99, 99, false, false, TLB_LOAD);
    assert_true(tlb_probe(t, 1, 1, NULL));
    assert_false(tlb_probe(t, 1, 1001, NULL));
    tlb_free(t);
}

static void test_tlb_maps_pfn(void **state)
{
    struct tlb *t = small_tlb();
    bool wd = true;

    assert_false(tlb_maps_pfn(t, 42, &wd));
    assert_false(wd);
    tlb_insert(t, 1, 0, 42, true, false, TLB_LOAD);      /* W, clean: a store re-walks */
    assert_true(tlb_maps_pfn(t, 42, &wd));
    assert_false(wd);
    tlb_insert(t, 2, 9, 42, true, true, TLB_STORE);      /* W+D: stores go through */
    assert_true(tlb_maps_pfn(t, 42, &wd));
    assert_true(wd);
    assert_true(tlb_maps_pfn(t, 42, NULL));
    tlb_invalidate_asid(t, 2);
    assert_true(tlb_maps_pfn(t, 42, &wd));
    assert_false(wd);
    tlb_invalidate_page(t, 1, 0);
    assert_false(tlb_maps_pfn(t, 42, &wd));
    tlb_free(t);
}

/* The machine scale the model must support: 1024 CPUs x 1728 entries. */
static void test_tlb_scales_to_1024_cpus(void **state)
{
    const struct tlb_level_cfg l1d = { 64, 4 }, l1i = { 128, 8 }, l2 = { 1536, 12 };
    struct tlb **t = calloc(1024, sizeof(*t));

    assert_non_null(t);
    for (int i = 0; i < 1024; i++) {
        t[i] = tlb_new(&l1d, &l1i, &l2);
        tlb_insert(t[i], 1, (uint64_t)i, (uint32_t)i, false, false, TLB_LOAD);
    }
    for (int i = 0; i < 1024; i++) {
        assert_true(tlb_probe(t[i], 1, (uint64_t)i, NULL));
        tlb_free(t[i]);
    }
    free(t);
}

static void insert_wide_vpn(void)
{
    struct tlb *t = small_tlb();

    tlb_insert(t, 1, 1ull << 36, 1, false, false, TLB_LOAD);
}

static void test_tlb_wide_vpn_insert_aborts(void **state)
{
    assert_aborts(insert_wide_vpn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlb_lru_evicts_least_recent),
        cmocka_unit_test(test_tlb_lookup_updates_lru),
        cmocka_unit_test(test_tlb_lru_survives_clock_wrap),
        cmocka_unit_test(test_tlb_probe_leaves_lru_and_counts),
        cmocka_unit_test(test_tlb_insert_replaces_in_place),
        cmocka_unit_test(test_tlb_asid_isolation),
        cmocka_unit_test(test_tlb_wide_vpn_and_asid),
        cmocka_unit_test(test_tlb_l2_hit_refills_l1),
        cmocka_unit_test(test_tlb_invalidate_page_all_levels),
        cmocka_unit_test(test_tlb_invalidate_asid_counts),
        cmocka_unit_test(test_tlb_invalidate_asid_exact),
        cmocka_unit_test(test_tlb_invalidate_asid_epochs),
        cmocka_unit_test(test_tlb_flush_all_counts),
        cmocka_unit_test(test_tlb_counts_by_kind),
        cmocka_unit_test(test_tlb_ifetch_uses_l1i),
        cmocka_unit_test(test_tlb_absent_levels),
        cmocka_unit_test(test_tlb_fully_associative),
        cmocka_unit_test(test_tlb_maps_pfn),
        cmocka_unit_test(test_tlb_scales_to_1024_cpus),
        cmocka_unit_test(test_tlb_wide_vpn_insert_aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
