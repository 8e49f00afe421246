/* The contract every flush policy must keep (models/policy.h,
 * policy-semantics.md §3 (vi) and §7), checked on every policy of the
 * registry (the strict rule: test_policy_contract_strict.c; the weaker one:
 * test_policy_contract.c): a policy added to policies.def is covered
 * without a line here.
 *
 * Each policy runs the scenarios of tests/data/good/contract-*.yaml (reclaim
 * by kswapd and direct reclaim with writers on other CPUs, MADV_PAGEOUT,
 * mprotect and migrate_pages loops) with its parameters at their defaults,
 * and again with dirty_rule off when it has one. The policy is wrapped: the
 * wrapper forwards every hook and records each PTE a policy was told about;
 * when a flush hook has completed (at once, or when the blocked task
 * resumes) it checks that
 *   - after flush_pending (before free, end of pass, before copy): no TLB
 *     can still use a translation of any PTE the task cleared before it;
 *   - after flush_dirty, with the dirty rule on: the same for the PTEs that
 *     were dirty (the I/O of those folios starts next);
 *   - after flush_tlb_batched_pending on an mm: the same for every PTE of
 *     that mm any task had cleared before the call;
 * where "can use" means cached on a CPU that runs the mm (not lazy), or in
 * an ASID slot whose generation will not force a flush when the CPU
 * switches back (§1 (vi) (b), (c)). At the end of the run: no TLB holds a
 * usable entry that the page table no longer backs (a freed or reused frame,
 * or a PTE that changed) except pages still waiting in a batch; only CPUs
 * that were in some mm_cpumask received a shootdown interrupt; every flush
 * that blocked resumed its task exactly once; hazards_found is 0 unless the
 * dirty rule is off. Two kinds of policy keep a weaker rule, recognised by
 * the hooks they have, not by name:
 *   - one that frees frames late itself (defer_free: LATR) may leave the
 *     translations of freed folios cached past flush_pending, but not past
 *     the frame's release: once the frame is free or reused, no usable
 *     entry may remain;
 *   - one that vouches for stale loads of free frames (stale_read_ok: LUF)
 *     may leave read-only translations cached past flush_pending while the
 *     frame is free and the policy vouches for it; its page_alloc hook must
 *     have removed them when it returns (or its task resumes).
 * Such deferred translations are re-checked every few hooks and at the end.
 * arm64 LUF (v10) defers only the DSB and runs it on the CPU that needs the
 * flush, while a DSB completes only its own CPU's TLBIs: a read-only entry
 * whose TLBI another CPU issued and has not yet completed with a DSB of its
 * own outlives the deferred flush (policy-semantics.md §6 (v), "verify
 * before modelling arm64 LUF as safe"). Such entries are counted as that
 * gap, not as violations, and the LUF test asserts the model finds it. */
#ifndef TESTS_POLICY_CONTRACT_H
#define TESTS_POLICY_CONTRACT_H

#include "tests/policy_contract_check.h"

static const char *const scenarios[] = {
    "tests/data/good/contract-x86-8c.yaml",
    "tests/data/good/contract-arm64-8c.yaml",
};

static GArray *task_pending(struct task *t)
{
    GArray *l = g_hash_table_lookup(C.pending, t);

    if (!l) {
        l = g_array_new(FALSE, FALSE, sizeof(struct pend));
        g_hash_table_insert(C.pending, t, l);
    }
    return l;
}

/* Moves t's recorded PTEs (only the dirty ones when only_dirty) out. */
static GArray *take(struct task *t, bool only_dirty)
{
    GArray *l = task_pending(t), *out = g_array_new(FALSE, FALSE, sizeof(struct pend));
    guint k = 0;

    for (guint i = 0; i < l->len; i++) {
        struct pend *e = &g_array_index(l, struct pend, i);

        if (!only_dirty || e->dirty)
            g_array_append_val(out, *e);
        else
            g_array_index(l, struct pend, k++) = *e;
    }
    g_array_set_size(l, k);
    return out;
}

/* Copies the recorded PTEs of mm that wait in a batch: not those of a
 * task blocked in a flush, which may be on their way out (the kernel's PTL
 * would keep the caller out until that flush is done; the model has none). */
static GArray *copy_mm(const struct mm *mm)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct pend));
    GHashTableIter it;
    gpointer key, val;

    g_hash_table_iter_init(&it, C.pending);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        GArray *l = val;

        if (g_hash_table_contains(C.waits, key))
            continue;
        for (guint i = 0; i < l->len; i++)
            if (g_array_index(l, struct pend, i).mm == mm)
                g_array_append_val(out, g_array_index(l, struct pend, i));
    }
    return out;
}

static void wait_free(gpointer p)
{
    struct wait *w = p;

    if (w->check)
        g_array_free(w->check, TRUE);
    g_free(w);
}

static void resume(struct task *t);

/* The hook blocked t: check `check` when t runs again. */
static void arm(struct task *t, GArray *check, const char *hook, bool deferrable,
                uint32_t alloc_pfn)
{
    struct wait *w = g_new0(struct wait, 1);

    C.blocked++;
    if (g_hash_table_contains(C.waits, t))
        violation("%s: %s blocked task %s while it was already blocked", C.config, hook, t->name);
    w->run = t->run;
    w->check = check;
    w->hook = hook;
    w->deferrable = deferrable;
    w->alloc_pfn = alloc_pfn;
    g_hash_table_replace(C.waits, t, w);
    t->run = resume;
}

static void resume(struct task *t)
{
    struct wait *w = g_hash_table_lookup(C.waits, t);
    task_run_fn *run;

    C.resumed++;
    if (!w) {
        violation("%s: task %s resumed with no flush pending", C.config, t->name);
        return;
    }
    if (t->blocked || t->step_ev)
        violation("%s: task %s resumed after %s while still waiting", C.config, t->name,
                  w->hook);
    note_masks();
    check_list(w->check, w->hook, w->deferrable);
    if (w->alloc_pfn != PFN_NONE)
        check_deferred(w->alloc_pfn, "after page_alloc");
    run = w->run;
    g_hash_table_remove(C.waits, t);
    t->run = run;
    run(t);
}

/* The hook did not block: its flush (if any) is complete now. */
static void done_now(GArray *check, const char *hook, bool deferrable)
{
    check_list(check, hook, deferrable);
    if (check)
        g_array_free(check, TRUE);
}

static void w_attach(void *priv, struct machine *m)
{
    C.m = m;
    C.in_mask = g_new0(bool, m->n_cpus);
    if (C.real->attach)
        C.real->attach(priv, m);
}

static bool w_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn, pte_t old,
                          sim_time_t *cost_ns)
{
    bool r;

    note_masks();
    r = C.real->pte_cleared(priv, t, mm, vpn, old, cost_ns);
    if (pte_present(old)) {
        struct pend e = { .mm = mm, .vpn = vpn, .pfn = (uint32_t)pte_pfn(old),
                          .gen = mm->tlb_gen, .dirty = (old & PTE_DIRTY) != 0 };

        g_array_append_val(task_pending(t), e);
    }
    if (r)
        arm(t, NULL, "pte_cleared", false, PFN_NONE);
    return r;
}

static bool w_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    bool r;
    GArray *check;

    note_masks();
    r = C.real->flush_dirty(priv, t, cost_ns);
    check = C.dirty_rule ? take(t, true) : NULL;
    if (r)
        arm(t, check, "flush_dirty", false, PFN_NONE);
    else
        done_now(check, "flush_dirty", false);
    return r;
}

static bool w_flush_pending(void *priv, struct task *t, enum flush_point why, sim_time_t *cost_ns)
{
    static const char *const name[] = {
        [FLUSH_BEFORE_FREE] = "flush_pending(before free)",
        [FLUSH_END_OF_PASS] = "flush_pending(end of pass)",
        [FLUSH_BEFORE_COPY] = "flush_pending(before copy)",
    };
    bool r, deferrable = why != FLUSH_BEFORE_COPY;   /* the copy must not race (S4) */
    GArray *check;

    note_masks();
    r = C.real->flush_pending(priv, t, why, cost_ns);
    check = take(t, false);
    if (r)
        arm(t, check, name[why], deferrable, PFN_NONE);
    else
        done_now(check, name[why], deferrable);
    return r;
}

static bool w_batched_pending(void *priv, struct task *t, struct mm *mm, sim_time_t *cost_ns)
{
    GArray *check = copy_mm(mm);
    bool r;

    note_masks();
    r = C.real->batched_pending ? C.real->batched_pending(priv, t, mm, cost_ns)
                                : policy_default_batched_pending(C.m, t, mm, cost_ns);
    if (r)
        arm(t, check, "batched_pending", false, PFN_NONE);
    else
        done_now(check, "batched_pending", false);
    return r;
}

/* A frame leaves the free lists: the read-only translations a LUF-style
 * policy left to it must be gone once the hook is done. */
static bool w_page_alloc(void *priv, struct task *t, uint32_t pfn, sim_time_t *cost_ns)
{
    bool r;

    note_masks();
    r = C.real->page_alloc(priv, t, pfn, cost_ns);
    if (r)
        arm(t, NULL, "page_alloc", false, pfn);
    else
        check_deferred(pfn, "after page_alloc");
    return r;
}

/* Called by run_execute before the machine is freed. */
static void w_report(const void *priv, struct machine *m)
{
    stats_id ipi;

    note_masks();
    check_deferred(PFN_NONE, "at the end");
    check_all_tlbs();
    assert_true(stats_find(m->st, "ipi_received", &ipi));
    for (unsigned i = 0; i < m->n_cpus; i++)
        if (stats_cpu(m->st, ipi, i) && !C.in_mask[i])
            C.ipi_outside += stats_cpu(m->st, ipi, i);
    if (C.real->report)
        C.real->report(priv, m);
}

static void pending_free(gpointer p)
{
    g_array_free(p, TRUE);
}

static bool has_param(const struct flush_policy_ops *p, const char *name)
{
    for (const struct policy_param *q = p->params; q && q->name; q++)
        if (strcmp(q->name, name) == 0)
            return true;
    return false;
}

static uint64_t counter(const struct run_output *out, const char *name)
{
    stats_id id;

    assert_true(stats_find(out->st, name, &id));
    return stats_total(out->st, id);
}

/* One run of `path` under policy p (dirty_rule as given when p has it). */
static uint64_t run_contract(const char *path, const struct flush_policy_ops *p, bool dirty_rule)
{
    char set_name[64], set_rule[64], config[160];
    const char *sets[] = { set_name, set_rule };
    bool rule_param = has_param(p, "dirty_rule");
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    uint64_t hazards, flushes;

    snprintf(set_name, sizeof(set_name), "policy.name=%s", p->name);
    snprintf(set_rule, sizeof(set_rule), "policy.dirty_rule=%s", dirty_rule ? "on" : "off");
    snprintf(config, sizeof(config), "%s%s on %s", p->name,
             rule_param ? (dirty_rule ? " (dirty_rule on)" : " (dirty_rule off)") : "", path);
    if (run_load(path, sets, rule_param ? 2 : 1, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail_msg("%s: does not load", config);
    }
    memset(&C, 0, sizeof(C));
    C.real = sc->policy;
    C.wrap = *sc->policy;
    C.wrap.attach = w_attach;
    C.wrap.pte_cleared = w_pte_cleared;
    C.wrap.flush_dirty = w_flush_dirty;
    C.wrap.flush_pending = w_flush_pending;
    C.wrap.batched_pending = w_batched_pending;
    C.wrap.report = w_report;
    if (C.real->page_alloc)
        C.wrap.page_alloc = w_page_alloc;
    C.lazy_free = C.real->defer_free != NULL;
    C.ro_free_ok = C.real->stale_read_ok != NULL;
    C.deferred = g_array_new(FALSE, FALSE, sizeof(struct pend));
    C.config = config;
    C.dirty_rule = !rule_param || dirty_rule;
    C.pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
    C.waits = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, wait_free);
    sc->policy = &C.wrap;

    if (run_execute(sc, &out, errbuf, sizeof(errbuf)))
        fail_msg("%s: run failed: %s", config, errbuf);
    hazards = counter(&out, "hazards_found");
    flushes = counter(&out, "nr_tlb_remote_flush") + counter(&out, "dsb_ish");
    print_message("%-60s %6" PRIu64 " checks, %5" PRIu64 " blocking flushes, %6" PRIu64
                  " IPIs, %6" PRIu64 " DSB/TLBSYNC, %" PRIu64 " hazards\n", config, C.checked,
                  C.blocked, counter(&out, "ipi_received"), counter(&out, "dsb_ish"), hazards);
    if (C.arm64_luf_gap)
        print_message("%-60s %6" PRIu64 " read-only entries outlived the deferred DSB (their "
                      "TLBI still in flight on the unmapping CPU)\n", config, C.arm64_luf_gap);
    if (C.violations)
        fail_msg("%" PRIu64 " contract violations; first: %s", C.violations, C.first);
    /* Every blocked task resumed once; at most one flush per task was still
     * in flight when the run stopped. */
    assert_true(C.resumed + g_hash_table_size(C.waits) == C.blocked);
    assert_true(C.checked > 0);
    assert_true(flushes > 0);
    if (C.ipi_outside)
        fail_msg("%s: %" PRIu64 " shootdown interrupts on CPUs in no mm_cpumask", config,
                 C.ipi_outside);
    if (C.dirty_rule && hazards)
        fail_msg("%s: %" PRIu64 " hazards with the dirty rule on", config, hazards);

    g_hash_table_destroy(C.pending);
    g_hash_table_destroy(C.waits);
    g_array_free(C.deferred, TRUE);
    g_free(C.in_mask);
    run_output_destroy(&out);
    sc->policy = C.real;
    run_scenario_free(sc);
    return C.arm64_luf_gap;
}

/* One test per registered policy: both scenarios, with dirty_rule on and,
 * when the policy has the parameter, off. */
static void test_policy_contract(void **state)
{
    const struct flush_policy_ops *p = *state;
    uint64_t gap = 0;

    for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
        gap += run_contract(scenarios[s], p, true);
        if (has_param(p, "dirty_rule"))
            gap += run_contract(scenarios[s], p, false);
    }
    /* LUF v10 on arm64 (see the file comment): the model must show the gap */
    if (p->stale_read_ok)
        assert_true(gap > 0);
}

/* Runs test_policy_contract on every registered policy that keeps the
 * weaker rule (deferring: it has defer_free or stale_read_ok), or on every
 * one that keeps the strict rule (!deferring): one test per policy.
 * Fails when there is none: the split must not leave a program empty. */
static int run_policy_contracts(const char *group, bool deferring)
{
    size_t n_all = policy_count(), n = 0;
    struct CMUnitTest *tests = g_new0(struct CMUnitTest, n_all);
    char **names = g_new0(char *, n_all);
    int rc;

    for (size_t i = 0; i < n_all; i++) {
        const struct flush_policy_ops *p = policy_at(i);

        if ((p->defer_free || p->stale_read_ok) != deferring)
            continue;
        names[n] = g_strdup_printf("contract: %s", p->name);
        tests[n] = (struct CMUnitTest){ .name = names[n], .test_func = test_policy_contract,
                                        .initial_state = (void *)(uintptr_t)p };
        n++;
    }
    if (n == 0) {
        fprintf(stderr, "%s: no registered policy to check\n", group);
        rc = 1;
    } else {
        rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    }
    for (size_t i = 0; i < n; i++)
        g_free(names[i]);
    g_free(names);
    g_free(tests);
    return rc;
}

#endif
