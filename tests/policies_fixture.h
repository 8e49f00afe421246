/* Helpers shared by the policy tests (test_policies.c and
 * test_policies_broadcast.c): static, in a header, as each test is one .c.
 * Include after tests/machine_fixture.h. */
#ifndef TESTS_POLICIES_FIXTURE_H
#define TESTS_POLICIES_FIXTURE_H

#include <stdio.h>

#include "models/memory.h"
#include "models/reclaim.h"
#include "models/run.h"

#define PTE_AT(vpn) pte_make(1000 + (vpn), PTE_PRESENT | PTE_ACCESSED | PTE_WRITE)
#define PTE_DIRTY_AT(vpn) (PTE_AT(vpn) | PTE_DIRTY)
#define T0 FX_KTHREAD_START
#define END 10000000

/* pte_cleared for pages [vpn0, vpn0 + n) of mm, each expected not to flush. */
struct clear_run {
    struct mm *mm;
    uint64_t vpn0;
    unsigned n;
    bool dirty;
};

static inline bool clear_pages(struct fx_script *s, void *arg)
{
    const struct clear_run *r = arg;
    struct machine *m = s->t->m;
    sim_time_t cost = 0;

    for (unsigned i = 0; i < r->n; i++) {
        uint64_t v = r->vpn0 + i;

        assert_false(m->policy->pte_cleared(m->policy_priv, s->t, r->mm, v,
                                            r->dirty ? PTE_DIRTY_AT(v) : PTE_AT(v), &cost));
    }
    s->cost[s->pc - 1] = cost;
    return false;
}

/* Counters seen by a script op: the IPIs sent so far. */
static inline bool snap_ipis(struct fx_script *s, void *arg)
{
    *(uint64_t *)arg = stats_total(s->t->m->st, s->t->m->ctr.ipi_sent);
    return false;
}

#endif
