/* Scripted tasks of the test fixture (a part of tests/machine_fixture.h,
 * which includes it: include that header, not this one).
 *
 * A scripted task runs a list of operations (flush a range, flush a batch,
 * step, DSB, policy hooks, a test callback). An operation that puts the task
 * into a step or wait makes it return; it continues with the next operation
 * when it runs again. The script records when each operation was issued and
 * when the task continued after it, then puts the task to sleep. */
#ifndef TESTS_MACHINE_FIXTURE_SCRIPT_H
#define TESTS_MACHINE_FIXTURE_SCRIPT_H

#include "models/cpu.h"
#include "models/shootdown.h"
#include "models/task.h"
#include "tests/machine_fixture_core.h"

/* ---- scripted tasks ---- */

#define FX_MAX_OPS 16

enum fx_op_kind {
    FX_OP_STEP,            /* cpu_step(n ns, cat) */
    FX_OP_STEP_TO,         /* cpu_step until absolute time n */
    FX_OP_FLUSH_RANGE,     /* sd_flush_mm_range(mm, vpn, n, flag = freed_tables) */
    FX_OP_FLUSH_BATCH,     /* sd_flush_batch(mask) */
    FX_OP_TLBI,            /* sd_tlbi_page(mm, vpn); its cost goes to cost[] */
    FX_OP_DSB,             /* sd_dsb(flag = always) */
    FX_OP_PTE_CLEARED,     /* policy pte_cleared(mm, vpn, pte) */
    FX_OP_FLUSH_DIRTY,     /* policy flush_dirty */
    FX_OP_FLUSH_PENDING,   /* policy flush_pending(FLUSH_END_OF_PASS) */
    FX_OP_CALL,            /* fn(script, arg): true if it put the task into a step/wait */
};

struct fx_script;
typedef bool fx_call_fn(struct fx_script *s, void *arg);

struct fx_op {
    enum fx_op_kind kind;
    struct mm *mm;
    uint64_t vpn, n;
    bool flag;
    pte_t pte;
    enum cpu_time_cat cat;
    const struct cpumask *mask;
    fx_call_fn *fn;
    void *arg;
};

struct fx_script {
    struct fx *f;
    struct task *t;
    struct fx_op op[FX_MAX_OPS];
    unsigned n, pc;
    sim_time_t started_at;              /* first run */
    sim_time_t began[FX_MAX_OPS];       /* when op i was issued */
    sim_time_t ended[FX_MAX_OPS];       /* when the task went on after op i */
    bool waited[FX_MAX_OPS];            /* op i returned true (step or wait) */
    sim_time_t cost[FX_MAX_OPS];        /* *cost_ns / TLBI cost op i reported */
    unsigned runs;
    bool done;
    sim_time_t done_at;
};

static inline bool fx_do_op(struct fx_script *s, unsigned i)
{
    struct fx_op *o = &s->op[i];
    struct task *t = s->t;
    struct machine *m = t->m;
    sim_time_t now = sim_now(m->eng);

    switch (o->kind) {
    case FX_OP_STEP:
        cpu_step(t, o->n, o->cat);
        return true;
    case FX_OP_STEP_TO:
        assert_true(o->n >= now);
        cpu_step(t, o->n - now, o->cat);
        return true;
    case FX_OP_FLUSH_RANGE:
        return sd_flush_mm_range(m, t, o->mm, o->vpn, o->n, o->flag);
    case FX_OP_FLUSH_BATCH:
        return sd_flush_batch(m, t, o->mask);
    case FX_OP_TLBI:
        s->cost[i] = sd_tlbi_page(m, t, o->mm, o->vpn);
        return false;
    case FX_OP_DSB:
        return sd_dsb(m, t, o->flag);
    case FX_OP_PTE_CLEARED:
        return m->policy->pte_cleared(m->policy_priv, t, o->mm, o->vpn, o->pte, &s->cost[i]);
    case FX_OP_FLUSH_DIRTY:
        return m->policy->flush_dirty(m->policy_priv, t, &s->cost[i]);
    case FX_OP_FLUSH_PENDING:
        return m->policy->flush_pending(m->policy_priv, t, FLUSH_END_OF_PASS, &s->cost[i]);
    case FX_OP_CALL:
        return o->fn(s, o->arg);
    }
    return false;
}

static inline void fx_script_run(struct task *t)
{
    struct fx_script *s = t->owner;
    sim_time_t now = sim_now(t->m->eng);

    if (s->runs++ == 0)
        s->started_at = now;
    else if (s->pc > 0)
        s->ended[s->pc - 1] = now;
    while (s->pc < s->n) {
        unsigned i = s->pc++;

        s->began[i] = now;
        s->waited[i] = fx_do_op(s, i);
        if (s->waited[i])
            return;
        s->ended[i] = now;
    }
    s->done = true;
    s->done_at = now;
    cpu_sleep(t);
}

/* A scripted task pinned to cpu: an app thread of mm, or a kernel thread
 * when mm is NULL. It is attached (starts at time 0 + switch costs) by
 * fx_start; add operations first. */
static inline struct fx_script *fx_task(struct fx *f, unsigned cpu, struct mm *mm,
                                        const char *name)
{
    struct fx_script *s = g_new0(struct fx_script, 1);

    s->f = f;
    s->t = machine_new_task(f->m, mm ? TASK_APP : TASK_KSWAPD, cpu, mm, name);
    s->t->run = fx_script_run;
    s->t->owner = s;
    g_ptr_array_add(f->scripts, s);
    return s;
}

static inline void fx_start(struct fx_script *s)
{
    cpu_attach(s->t);
}

static inline struct fx_op *fx_add(struct fx_script *s, enum fx_op_kind kind)
{
    struct fx_op *o;

    assert_true(s->n < FX_MAX_OPS);
    o = &s->op[s->n++];
    *o = (struct fx_op){ .kind = kind, .cat = CT_RECLAIM };
    return o;
}

/* The op adders return the op's index in the script. */
static inline unsigned fx_op_step(struct fx_script *s, sim_time_t ns, enum cpu_time_cat cat)
{
    struct fx_op *o = fx_add(s, FX_OP_STEP);

    o->n = ns;
    o->cat = cat;
    return s->n - 1;
}

static inline unsigned fx_op_step_to(struct fx_script *s, sim_time_t at)
{
    fx_add(s, FX_OP_STEP_TO)->n = at;
    return s->n - 1;
}

static inline unsigned fx_op_flush_range(struct fx_script *s, struct mm *mm, uint64_t vpn,
                                         uint64_t n, bool freed_tables)
{
    struct fx_op *o = fx_add(s, FX_OP_FLUSH_RANGE);

    o->mm = mm;
    o->vpn = vpn;
    o->n = n;
    o->flag = freed_tables;
    return s->n - 1;
}

static inline unsigned fx_op_flush_batch(struct fx_script *s, const struct cpumask *mask)
{
    fx_add(s, FX_OP_FLUSH_BATCH)->mask = mask;
    return s->n - 1;
}

static inline unsigned fx_op_tlbi(struct fx_script *s, struct mm *mm, uint64_t vpn)
{
    struct fx_op *o = fx_add(s, FX_OP_TLBI);

    o->mm = mm;
    o->vpn = vpn;
    return s->n - 1;
}

static inline unsigned fx_op_dsb(struct fx_script *s, bool always)
{
    fx_add(s, FX_OP_DSB)->flag = always;
    return s->n - 1;
}

static inline unsigned fx_op_pte_cleared(struct fx_script *s, struct mm *mm, uint64_t vpn,
                                         pte_t old)
{
    struct fx_op *o = fx_add(s, FX_OP_PTE_CLEARED);

    o->mm = mm;
    o->vpn = vpn;
    o->pte = old;
    return s->n - 1;
}

static inline unsigned fx_op_flush_dirty(struct fx_script *s)
{
    fx_add(s, FX_OP_FLUSH_DIRTY);
    return s->n - 1;
}

static inline unsigned fx_op_flush_pending(struct fx_script *s)
{
    fx_add(s, FX_OP_FLUSH_PENDING);
    return s->n - 1;
}

static inline unsigned fx_op_call(struct fx_script *s, fx_call_fn *fn, void *arg)
{
    struct fx_op *o = fx_add(s, FX_OP_CALL);

    o->fn = fn;
    o->arg = arg;
    return s->n - 1;
}

#endif
