/* Shared by the luf policy's tests (test_luf.c, test_luf_hazards.c): a
 * scripted task calling one of the policy's allocation-side hooks. */
#ifndef TESTS_LUF_FIXTURE_H
#define TESTS_LUF_FIXTURE_H

#include "tests/machine_fixture.h"

/* A hook call from a script: which hook, with what. */
struct hook_call {
    enum { H_ALLOC, H_WRITABLE, H_RECLAIM } which;
    struct mm *mm;
    uint32_t pfn;
};

static inline bool call_hook(struct fx_script *s, void *arg)
{
    const struct hook_call *h = arg;
    struct machine *m = s->t->m;
    sim_time_t cost = 0;

    switch (h->which) {
    case H_ALLOC:
        return m->policy->page_alloc(m->policy_priv, s->t, h->pfn, &cost);
    case H_WRITABLE:
        return m->policy->pte_writable(m->policy_priv, s->t, h->mm, 0, &cost);
    case H_RECLAIM:
        return m->policy->reclaim_start(m->policy_priv, s->t, &cost);
    }
    return false;
}

#endif
