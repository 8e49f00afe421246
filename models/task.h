/* A schedulable thread of execution: an application thread of an mm, or a
 * kernel thread such as kswapd. Kernel paths are written as state machines:
 * `run` is called whenever the task gets the CPU or a step or wait it asked
 * for has finished, and continues from the state it recorded. */
#ifndef MODELS_TASK_H
#define MODELS_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine.h"

struct machine;
struct mm;
struct task;
struct reclaim_ctx;
struct fault_ctx;
struct madv_ctx;
struct zap_ctx;
struct migrate_ctx;

/* Where CPU time goes; each category becomes a cpu_time_<name>_ns counter. */
enum cpu_time_cat {
    CT_APP,          /* application user time */
    CT_RECLAIM,      /* kswapd and direct reclaim, MADV_PAGEOUT */
    CT_MIGRATION,
    CT_IRQ,          /* interrupt entry/exit and handlers (flushes run here) */
    CT_FLUSH_WAIT,   /* initiator spinning for shootdown acknowledgements */
    CT_DSB_STALL,    /* arm64 DSB ISH waiting for broadcast TLBIs */
    CT_FAULT,        /* page faults, including allocation and zeroing */
    CT_FLUSH_LOCAL,  /* the initiator's own INVLPGs / full flushes / TLBIs */
    CT_SCHED,        /* context switches */
    CT_IDLE,
    CT_NR
};

enum task_kind { TASK_APP, TASK_KSWAPD };
enum task_state { TASK_RUNNABLE, TASK_RUNNING, TASK_SLEEPING };

typedef void task_run_fn(struct task *t);
/* Application threads only: process user-mode work up to `until` before an
 * interrupt or a change of shared state observes it. */
typedef void task_sync_fn(struct task *t, sim_time_t until);

struct task {
    uint32_t id;
    enum task_kind kind;
    enum task_state state;
    char name[48];
    struct machine *m;
    unsigned cpu;             /* pinned */
    struct mm *mm;            /* NULL for kernel threads */
    task_run_fn *run;
    task_sync_fn *sync;       /* NULL for kernel threads */
    bool in_user;             /* sync applies only while in user mode */
    void *owner;              /* the workload's or kernel path's state */
    void *policy_state;       /* per-task flush-policy state (tlb_ubc) */
    struct reclaim_ctx *reclaim;  /* kernel path state, allocated on first use */
    struct fault_ctx *fault;
    struct madv_ctx *madv;
    struct zap_ctx *zap;
    struct migrate_ctx *migrate;
    struct task *rq_next;     /* run-queue link */
    /* the step or wait in progress (cpu.c) */
    sim_event_id step_ev;
    sim_time_t step_stolen_mark;
    sim_time_t wait_start;    /* when a cpu_block began */
    bool blocked, need_resched;
};

#endif
