/* CPU execution (models/cpu.c): a step that an interrupt lands in ends that
 * much later; interrupts queue behind each other; a task blocked on acks and
 * woken during an interrupt resumes when the interrupt ends; a task started
 * on an idle CPU in an interrupt starts after it; round-robin at step
 * boundaries; and the cpu_time_* counters of every CPU add up to the elapsed
 * time. Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"

#define T0 FX_KTHREAD_START

/* A kernel thread's step of 10 us on cpu 1 takes one interrupt at 5 us. */
static void test_step_stretched_by_irq(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct fx_script *s = fx_task(f, 1, NULL, "worker");
    unsigned i = fx_op_step(s, 10000, CT_RECLAIM);

    fx_irq_at(f, 5000, 1, IRQ_RESCHED);
    fx_start(s);
    fx_run_until(f, 20000);
    FX_EQ(s->began[i], T0);
    FX_EQ(s->ended[i], T0 + 10000 + FX_IRQ);
    FX_EQ(FX_CPU(f, irq_resched, 1), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_RECLAIM), 10000);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ);
    FX_EQ(fx_cpu_time(f, 1, CT_SCHED), FX_CTX_SWITCH);
    FX_EQ(fx_cpu_time(f, 1, CT_IDLE), 20000 - (T0 + 10000 + FX_IRQ));
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_cpu_time_sum(f, c), 20000);
    fx_free(f);
}

/* Two interrupts at the same instant run one after the other. */
static void test_irqs_queue_behind_each_other(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct fx_script *s = fx_task(f, 1, NULL, "worker");
    unsigned i = fx_op_step(s, 10000, CT_RECLAIM);

    fx_irq_at(f, 5000, 1, IRQ_RESCHED);
    fx_irq_at(f, 5000, 1, IRQ_TIMER);
    fx_irq_at(f, 5100, 1, IRQ_RESCHED);    /* arrives during the first */
    fx_start(s);
    fx_run_until(f, 20000);
    FX_EQ(s->ended[i], T0 + 10000 + 3 * FX_IRQ);
    FX_EQ(f->m->cpu[1].irq_busy_until, 5000 + 3 * FX_IRQ);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), 3 * FX_IRQ);
    FX_EQ(fx_cpu_time_sum(f, 1), 20000);
    fx_free(f);
}

/* cpu 1 runs A's thread in a 10 us step; cpu 0 flushes one page of A at
 * 5 us: the step ends later by the interrupt plus INVLPG, the initiator
 * waits one same-socket round trip, and every CPU's categories add up. */
static void test_step_stretched_by_shootdown(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *app = fx_task(f, 1, A, "app");
    struct fx_script *in = fx_task(f, 0, NULL, "init");
    unsigned a = fx_op_step(app, 10000, CT_APP);
    unsigned w;
    const sim_time_t h = FX_IRQ + FX_INVLPG;
    const sim_time_t resume = 5000 + FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + FX_INVLPG + FX_ACK_SOCKET;

    fx_op_step_to(in, 5000);
    w = fx_op_flush_range(in, A, 100, 1, false);
    fx_start(app);
    fx_start(in);
    fx_run_until(f, 20000);

    FX_EQ(app->began[a], FX_APP_START);
    FX_EQ(app->ended[a], FX_APP_START + 10000 + h);
    FX_EQ(in->began[w], 5000);
    FX_EQ(in->ended[w], resume);
    FX_EQ(FX_CPU(f, irq_call, 1), 1);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_SCHED), FX_APP_START);
    FX_EQ(fx_cpu_time(f, 1, CT_APP), 10000);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), h);
    FX_EQ(fx_cpu_time(f, 1, CT_IDLE), 20000 - (FX_APP_START + 10000 + h));
    FX_EQ(fx_cpu_time(f, 0, CT_SCHED), FX_KTHREAD_START);
    FX_EQ(fx_cpu_time(f, 0, CT_RECLAIM), 5000 - FX_KTHREAD_START);
    FX_EQ(fx_cpu_time(f, 0, CT_FLUSH_WAIT), resume - 5000);
    FX_EQ(fx_cpu_time(f, 0, CT_IDLE), 20000 - resume);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_cpu_time_sum(f, c), 20000);
    fx_free(f);
}

/* The initiator's ack arrives while its own CPU is in an interrupt: it
 * resumes when that interrupt ends. */
static void test_blocked_task_woken_during_irq(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct fx_script *in = fx_task(f, 0, NULL, "init");
    unsigned w = fx_op_flush_range(in, A, 100, 1, false);
    const sim_time_t ack = T0 + FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + FX_INVLPG + FX_ACK_SOCKET;
    const sim_time_t irq_at = ack - 60;

    fx_load(f, 1, A, 0, 1, false);
    fx_irq_at(f, irq_at, 0, IRQ_RESCHED);
    fx_start(in);
    fx_run_until(f, 20000);
    FX_EQ(in->ended[w], irq_at + FX_IRQ);
    FX_EQ(fx_latency(f)->max, ack - T0);     /* the flush itself was done */
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 0, CT_FLUSH_WAIT), irq_at + FX_IRQ - T0 - FX_IRQ);
    FX_EQ(fx_cpu_time(f, 0, CT_IRQ), FX_IRQ);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_cpu_time_sum(f, c), 20000);
    fx_free(f);
}

/* An idle CPU's interrupt is interrupt time, not idle time. */
static void test_idle_cpu_irq_accounting(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);

    fx_irq_at(f, 1000, 6, IRQ_RESCHED);
    fx_irq_at(f, 3000, 6, IRQ_TIMER);
    fx_run_until(f, 10000);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 6, CT_IRQ), 2 * FX_IRQ);
    FX_EQ(fx_cpu_time(f, 6, CT_IDLE), 10000 - 2 * FX_IRQ);
    FX_EQ(fx_cpu_time(f, 5, CT_IDLE), 10000);
    FX_EQ(FX_CPU(f, irq_timer, 6), 1);
    fx_free(f);
}

/* Accounting closed in the middle of an interrupt: the interrupt counts up
 * to now, its rest in the next interval; the sum is the elapsed time at
 * both instants. */
static void test_cpu_time_sums_mid_interrupt(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct fx_script *s = fx_task(f, 1, NULL, "worker");

    fx_op_step(s, 10000, CT_RECLAIM);
    fx_irq_at(f, 1000, 6, IRQ_RESCHED);
    fx_irq_at(f, 5000, 1, IRQ_RESCHED);
    fx_start(s);
    fx_run_until(f, 5100);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 6, CT_IRQ), FX_IRQ);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), 100);
    FX_EQ(fx_cpu_time(f, 1, CT_RECLAIM), 5000 - FX_CTX_SWITCH);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_cpu_time_sum(f, c), 5100);
    fx_run_until(f, 20000);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_IRQ), FX_IRQ);
    FX_EQ(fx_cpu_time(f, 1, CT_RECLAIM), 10000);
    for (unsigned c = 0; c < 8; c++)
        FX_EQ(fx_cpu_time_sum(f, c), 20000);
    fx_free(f);
}

static void attach_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    fx_start(ctx);
}

/* A task woken on an idle CPU that is handling an interrupt starts its
 * context switch when the interrupt ends. */
static void test_task_started_during_irq_waits(void **state)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    struct fx_script *s = fx_task(f, 1, NULL, "worker");
    unsigned i = fx_op_step(s, 1000, CT_RECLAIM);

    fx_irq_at(f, 0, 1, IRQ_RESCHED);
    sim_schedule_at(f->eng, 100, attach_ev, s, 0);
    fx_run_until(f, 10000);
    FX_EQ(s->started_at, FX_IRQ + FX_CTX_SWITCH);
    FX_EQ(s->ended[i], FX_IRQ + FX_CTX_SWITCH + 1000);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_SCHED), FX_CTX_SWITCH);
    FX_EQ(fx_cpu_time_sum(f, 1), 10000);
    fx_free(f);
}

/* Two kernel threads on one CPU, slice 5 us (counted from the switch, its
 * cost included): the first is preempted at the end of its 5 us step, the
 * second runs to completion, the first resumes. */
static void test_round_robin_at_step_boundary(void **state)
{
    struct kernel_cfg k;
    struct fx *f;
    struct fx_script *a, *b;
    unsigned a1, b1;

    kernel_cfg_defaults(&k);
    k.sched_slice_ns = 5000;
    f = fx_new(fx_cfg_x86(), &k, "batch_full", NULL);
    a = fx_task(f, 1, NULL, "a");
    b = fx_task(f, 1, NULL, "b");
    a1 = fx_op_step(a, 5000, CT_RECLAIM);
    fx_op_step(a, 5000, CT_RECLAIM);
    b1 = fx_op_step(b, 1000, CT_RECLAIM);
    fx_start(a);
    fx_start(b);
    fx_run_until(f, 30000);

    FX_EQ(a->started_at, FX_CTX_SWITCH);
    FX_EQ(b->started_at, FX_CTX_SWITCH + 5000 + FX_CTX_SWITCH);
    FX_EQ(b->ended[b1], b->started_at + 1000);
    FX_EQ(a->ended[a1], b->ended[b1] + FX_CTX_SWITCH);
    FX_EQ(a->done_at, a->ended[a1] + 5000);
    FX_EQ(FX_CPU(f, context_switches, 1), 3);
    fx_account(f);
    FX_EQ(fx_cpu_time(f, 1, CT_SCHED), 3 * FX_CTX_SWITCH);
    FX_EQ(fx_cpu_time(f, 1, CT_RECLAIM), 11000);
    FX_EQ(fx_cpu_time_sum(f, 1), 30000);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_stretched_by_irq),
        cmocka_unit_test(test_irqs_queue_behind_each_other),
        cmocka_unit_test(test_step_stretched_by_shootdown),
        cmocka_unit_test(test_blocked_task_woken_during_irq),
        cmocka_unit_test(test_idle_cpu_irq_accounting),
        cmocka_unit_test(test_cpu_time_sums_mid_interrupt),
        cmocka_unit_test(test_task_started_during_irq_waits),
        cmocka_unit_test(test_round_robin_at_step_boundary),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
