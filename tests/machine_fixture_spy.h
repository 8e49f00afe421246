/* The policy spy of the test fixture (a part of tests/machine_fixture.h,
 * which includes it: include that header, not this one): it records the
 * calls of the policy hooks a test asks about. */
#ifndef TESTS_MACHINE_FIXTURE_SPY_H
#define TESTS_MACHINE_FIXTURE_SPY_H

#include "models/policy.h"
#include "models/task.h"
#include "tests/machine_fixture_core.h"

/* The policy spy: wraps the machine's policy, records every call of the
 * hooks below (time, CPU, arguments) and passes it on unchanged, with the
 * policy's own private data (other hooks are the policy's, untouched).
 * Optional hooks the policy lacks behave as if absent (batched_pending
 * falls back to mainline, page_alloc does nothing, pte_writable does
 * nothing but charge spy->writable_cost). `probe`, if set, runs at each
 * call before the wrapped hook. One spy at a time (a test binary runs its
 * tests one after another); fx_free frees it. */
enum fx_hook {
    FX_H_PTE_CLEARED, FX_H_FLUSH_DIRTY, FX_H_FLUSH_PENDING, FX_H_BATCHED_PENDING,
    FX_H_PAGE_ALLOC, FX_H_PTE_WRITABLE, FX_H_NR
};

struct fx_hook_call {
    enum fx_hook hook;
    sim_time_t at;
    unsigned cpu;
    uint32_t mm_id;            /* 0 when the hook has no mm */
    uint64_t vpn;
    pte_t old;                 /* pte_cleared */
    uint32_t pfn;              /* page_alloc */
    enum flush_point why;      /* flush_pending */
};

struct fx_spy;
typedef void fx_spy_probe_fn(struct fx_spy *s, const struct fx_hook_call *c, struct task *t);

struct fx_spy {
    struct flush_policy_ops ops;         /* the machine's policy while installed */
    const struct flush_policy_ops *inner;
    struct fx *f;
    GArray *calls;                       /* struct fx_hook_call */
    unsigned n[FX_H_NR];
    sim_time_t writable_cost;
    fx_spy_probe_fn *probe;
    void *arg;
};

static inline struct fx_spy **fx_spy_slot(void)
{
    static struct fx_spy *cur;

    return &cur;
}

static inline struct fx_spy *fx_spy(struct fx *f)
{
    struct fx_spy *s = *fx_spy_slot();

    assert_non_null(s);
    assert_ptr_equal(s->f, f);
    return s;
}

static inline const struct fx_hook_call *fx_spy_call(struct fx_spy *s, unsigned i)
{
    assert_true(i < s->calls->len);
    return &g_array_index(s->calls, struct fx_hook_call, i);
}

/* The i-th call of hook h. */
static inline const struct fx_hook_call *fx_spy_nth(struct fx_spy *s, enum fx_hook h, unsigned i)
{
    for (unsigned k = 0; k < s->calls->len; k++) {
        const struct fx_hook_call *c = fx_spy_call(s, k);

        if (c->hook == h && i-- == 0)
            return c;
    }
    fail_msg("hook %d called fewer than %u times", (int)h, i + 1);
    return NULL;
}

static inline struct fx_spy *fx_spy_rec(struct fx_hook_call c, struct task *t)
{
    struct fx_spy *s = *fx_spy_slot();

    c.at = sim_now(t->m->eng);
    c.cpu = t->cpu;
    g_array_append_val(s->calls, c);
    s->n[c.hook]++;
    if (s->probe)
        s->probe(s, &c, t);
    return s;
}

static inline bool fx_spy_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                      pte_t old, sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PTE_CLEARED,
                                                          .mm_id = mm->id, .vpn = vpn,
                                                          .old = old }, t);

    return s->inner->pte_cleared(priv, t, mm, vpn, old, cost_ns);
}

static inline bool fx_spy_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_FLUSH_DIRTY }, t);

    return s->inner->flush_dirty(priv, t, cost_ns);
}

static inline bool fx_spy_flush_pending(void *priv, struct task *t, enum flush_point why,
                                        sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_FLUSH_PENDING,
                                                          .why = why }, t);

    return s->inner->flush_pending(priv, t, why, cost_ns);
}

static inline bool fx_spy_batched_pending(void *priv, struct task *t, struct mm *mm,
                                          sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_BATCHED_PENDING,
                                                          .mm_id = mm->id }, t);

    if (s->inner->batched_pending)
        return s->inner->batched_pending(priv, t, mm, cost_ns);
    return policy_default_batched_pending(t->m, t, mm, cost_ns);
}

static inline bool fx_spy_page_alloc(void *priv, struct task *t, uint32_t pfn,
                                     sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PAGE_ALLOC, .pfn = pfn },
                                  t);

    return s->inner->page_alloc ? s->inner->page_alloc(priv, t, pfn, cost_ns) : false;
}

static inline bool fx_spy_pte_writable(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                       sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PTE_WRITABLE,
                                                          .mm_id = mm->id, .vpn = vpn }, t);

    if (s->inner->pte_writable)
        return s->inner->pte_writable(priv, t, mm, vpn, cost_ns);
    *cost_ns += s->writable_cost;
    return false;
}

/* Install right after fx_new, before the run starts. */
static inline struct fx_spy *fx_spy_install(struct fx *f)
{
    struct fx_spy *s = g_new0(struct fx_spy, 1);

    /* a spy left behind is a failed test's (its machine is never used again) */
    s->inner = f->m->policy;
    s->f = f;
    s->calls = g_array_new(FALSE, TRUE, sizeof(struct fx_hook_call));
    s->ops = *s->inner;
    s->ops.pte_cleared = fx_spy_pte_cleared;
    s->ops.flush_dirty = fx_spy_flush_dirty;
    s->ops.flush_pending = fx_spy_flush_pending;
    s->ops.batched_pending = fx_spy_batched_pending;
    s->ops.page_alloc = fx_spy_page_alloc;
    s->ops.pte_writable = fx_spy_pte_writable;
    f->m->policy = &s->ops;
    *fx_spy_slot() = s;
    return s;
}

/* Called by fx_free once the machine is gone. */
static inline void fx_spy_free(struct fx *f)
{
    struct fx_spy *s = *fx_spy_slot();

    if (!s || s->f != f)
        return;
    g_array_free(s->calls, TRUE);
    g_free(s);
    *fx_spy_slot() = NULL;
}

#endif
