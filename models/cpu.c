/* CPU execution: steps that interrupts stretch, waits, a round-robin run
 * queue, interrupt delivery, and time accounting by category. See cpu.h for
 * the execution model. */
#include "models/cpu.h"

#include <stdio.h>
#include <stdlib.h>

#include "models/bug.h"
#include "models/machine.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/switch_mm.h"
#include "models/timeline.h"
#include "sim/engine.h"

static struct cpu *task_cpu(struct task *t)
{
    return &t->m->cpu[t->cpu];
}

/* Closes the accounting interval [cat_since, now) and opens one in `cat`.
 * Interrupt time inside the interval is not this category's: it is counted
 * here as CT_IRQ. An interrupt still running at `now` counts only up to
 * `now` (the rest falls in the next interval), so at any instant each
 * CPU's categories add up to the time elapsed. */
void cpu_account_switch(struct machine *m, struct cpu *c, enum cpu_time_cat cat)
{
    sim_time_t now = sim_now(m->eng);
    sim_time_t elapsed = now - c->cat_since;
    sim_time_t stolen = c->stolen_ns - c->cat_stolen_mark;
    sim_time_t irq_tail = c->irq_busy_until > now ? c->irq_busy_until - now : 0;

    if (irq_tail > stolen)
        irq_tail = stolen;
    stolen -= irq_tail;
    if (stolen)
        stats_add(m->st, m->ctr.cpu_time_irq, c->id, stolen);
    if (elapsed > stolen)
        stats_add(m->st, m->ctr.cpu_time_app + c->cat, c->id, elapsed - stolen);
    if (m->timeline)
        timeline_cpu_state(m, c, cat);
    c->cat = cat;
    c->cat_since = now;
    c->cat_stolen_mark = c->stolen_ns - irq_tail;
}

void cpu_account_flush(struct machine *m, struct cpu *c)
{
    cpu_account_switch(m, c, c->cat);
}

static void rq_push(struct cpu *c, struct task *t)
{
    t->rq_next = NULL;
    if (c->rq_tail)
        c->rq_tail->rq_next = t;
    else
        c->rq_head = t;
    c->rq_tail = t;
}

static struct task *rq_pop(struct cpu *c)
{
    struct task *t = c->rq_head;

    if (t) {
        c->rq_head = t->rq_next;
        if (!c->rq_head)
            c->rq_tail = NULL;
        t->rq_next = NULL;
    }
    return t;
}

static void switch_to(struct machine *m, struct cpu *c, struct task *next)
{
    sim_time_t cost;

    c->curr = next;
    next->state = TASK_RUNNING;
    c->slice_start = sim_now(m->eng);
    cost = m->cfg->cost.context_switch_ns + sd_switch_barrier(m, c) + switch_mm_task(m, c, next);
    if (m->policy->context_switch)
        cost += m->policy->context_switch(m->policy_priv, m, c->id);
    stats_add(m->st, m->ctr.context_switches, c->id, 1);
    cpu_step(next, cost, CT_SCHED);
}

static void schedule_next(struct machine *m, struct cpu *c)
{
    struct task *next = rq_pop(c);

    if (next) {
        switch_to(m, c, next);
        return;
    }
    c->curr = NULL;
    (void)sd_switch_barrier(m, c);      /* idle time */
    switch_mm_enter_lazy(m, c);
    /* The switch to the idle task: policy work there costs idle time. */
    if (m->policy->context_switch)
        (void)m->policy->context_switch(m->policy_priv, m, c->id);
    cpu_account_switch(m, c, CT_IDLE);
}

/* At a step boundary: give the CPU to a waiting task when the running one
 * was asked to reschedule or has used its slice. */
static bool maybe_preempt(struct machine *m, struct cpu *c, struct task *t)
{
    sim_time_t now = sim_now(m->eng);

    if (!c->rq_head)
        return false;
    if (!t->need_resched && now - c->slice_start < m->kcfg.sched_slice_ns)
        return false;
    t->need_resched = false;
    t->state = TASK_RUNNABLE;
    t->in_user = false;     /* its accesses resume from when it runs again */
    rq_push(c, t);
    schedule_next(m, c);
    return true;
}

static void step_end(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct task *t = ctx;
    struct cpu *c = task_cpu(t);
    sim_time_t extra = c->stolen_ns - t->step_stolen_mark;

    (void)arg;
    t->step_ev = 0;
    if (extra) {
        /* Interrupts ran during the step: it ends that much later. */
        t->step_stolen_mark = c->stolen_ns;
        t->step_ev = sim_schedule(eng, extra, step_end, t, 0);
        return;
    }
    if (t->in_user && t->sync)
        t->sync(t, sim_now(eng));
    if (maybe_preempt(t->m, c, t))
        return;
    t->run(t);
}

void cpu_step(struct task *t, sim_time_t duration_ns, enum cpu_time_cat cat)
{
    struct cpu *c = task_cpu(t);
    sim_time_t now = sim_now(t->m->eng);

    BUG_ON(c->curr != t, "task %s steps on cpu %u which runs another task", t->name, c->id);
    if (t->step_ev)     /* step_end clears step_ev when it runs */
        sim_cancel_pending(t->m->eng, t->step_ev);
    t->blocked = false;
    if (c->cat != cat)
        cpu_account_switch(t->m, c, cat);
    /* A step begun while an interrupt runs (a task started on an idle CPU
     * in an interrupt) does its work after it: the rest of the interrupt
     * counts as stolen from this step. */
    t->step_stolen_mark = c->stolen_ns - (c->irq_busy_until > now ? c->irq_busy_until - now : 0);
    t->step_ev = sim_schedule(t->m->eng, duration_ns, step_end, t, 0);
}

void cpu_block(struct task *t, enum cpu_time_cat cat)
{
    struct cpu *c = task_cpu(t);

    BUG_ON(c->curr != t, "task %s blocks on cpu %u which runs another task", t->name, c->id);
    if (c->cat != cat)
        cpu_account_switch(t->m, c, cat);
    t->blocked = true;
    t->wait_start = sim_now(t->m->eng);
}

static void wake_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct task *t = ctx;
    struct cpu *c = task_cpu(t);

    (void)arg;
    if (sim_now(eng) < c->irq_busy_until) {
        sim_schedule_at(eng, c->irq_busy_until, wake_ev, t, 0);
        return;
    }
    t->blocked = false;
    if (maybe_preempt(t->m, c, t))
        return;
    t->run(t);
}

void cpu_wake(struct task *t)
{
    BUG_ON(!t->blocked, "waking task %s that is not blocked", t->name);
    sim_schedule(t->m->eng, 0, wake_ev, t, 0);
}

void cpu_sleep(struct task *t)
{
    struct cpu *c = task_cpu(t);

    BUG_ON(c->curr != t, "task %s sleeps on cpu %u which runs another task", t->name, c->id);
    t->state = TASK_SLEEPING;
    t->in_user = false;
    schedule_next(t->m, c);
}

static void start_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct task *t = ctx;
    struct cpu *c = task_cpu(t);

    (void)eng;
    (void)arg;
    if (t->state != TASK_RUNNABLE || c->curr)
        return;     /* already picked up by the scheduler */
    if (c->rq_head == t)
        rq_pop(c);
    switch_to(t->m, c, t);
}

void cpu_wakeup(struct task *t, bool preempt)
{
    struct cpu *c = task_cpu(t);

    if (t->state != TASK_SLEEPING)
        return;
    t->state = TASK_RUNNABLE;
    rq_push(c, t);
    if (!c->curr) {
        /* An idle CPU: start it from an event, never inside the caller. */
        sim_schedule(t->m->eng, 0, start_ev, t, 0);
        return;
    }
    if (preempt)
        c->curr->need_resched = true;
}

void cpu_attach(struct task *t)
{
    t->state = TASK_SLEEPING;
    cpu_wakeup(t, false);
}

static void irq_ev(struct sim_engine *eng, void *ctx, uint64_t kind)
{
    struct cpu *c = ctx;
    struct machine *m = c->m;
    sim_time_t now = sim_now(eng), h = m->cfg->cost.irq_entry_exit_ns;

    if (now < c->irq_busy_until || now < c->irqs_off_until) {
        sim_schedule_at(eng, c->irq_busy_until > c->irqs_off_until ? c->irq_busy_until
                                                                   : c->irqs_off_until,
                        irq_ev, c, kind);
        return;
    }
    /* The interrupted thread's accesses before this instant happen first. */
    if (c->curr && c->curr->in_user && c->curr->sync)
        c->curr->sync(c->curr, now);
    stats_add(m->st, m->ctr.interrupts, c->id, 1);
    c->in_irq = true;       /* for the flags of tlb_flush events (trace.c) */
    switch ((enum irq_kind)kind) {
    case IRQ_TIMER:
        stats_add(m->st, m->ctr.irq_timer, c->id, 1);
        if (m->policy->tick)
            h += m->policy->tick(m->policy_priv, m, c->id);
        break;
    case IRQ_CALL:
        stats_add(m->st, m->ctr.irq_call, c->id, 1);
        h += sd_handle_ipi(m, c->id, now + h / 2);
        break;
    case IRQ_RESCHED:
        stats_add(m->st, m->ctr.irq_resched, c->id, 1);
        break;
    }
    c->in_irq = false;
    cpu_account_switch(m, c, c->cat);
    c->stolen_ns += h;
    c->irq_busy_until = now + h;
    if (m->timeline)
        timeline_irq(m, c, (enum irq_kind)kind, now, h);
    /* The handler did work (a flush): the interrupted thread's quantum was
     * predicted against the TLB as it was. End it so that the next one is
     * predicted from here, and an access that now misses and faults starts
     * its fault on time rather than at the old quantum's end. */
    if (h > m->cfg->cost.irq_entry_exit_ns && c->curr && c->curr->in_user &&
        c->curr->step_ev)
        cpu_step(c->curr, 0, CT_APP);
}

void cpu_irq(struct machine *m, unsigned cpu, enum irq_kind kind)
{
    struct cpu *c = &m->cpu[cpu];
    sim_time_t now = sim_now(m->eng);

    sim_schedule_at(m->eng, now > c->irq_busy_until ? now : c->irq_busy_until, irq_ev, c, kind);
}
