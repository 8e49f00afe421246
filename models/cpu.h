/* A CPU: what runs on it, its TLB and lazy-TLB state (loaded mm, ASID
 * slots), interrupt handling and time accounting by category.
 * Execution model: a task consumes CPU time in steps (cpu_step); an interrupt
 * arriving during a step runs at once and pushes the step's end back by its
 * duration ("stolen" time), so interrupts cost the interrupted work exactly
 * what they take. Application threads are synced to the interrupt time first
 * so the flush lands between the right two accesses. Scheduling is
 * round-robin among the tasks pinned to a CPU with a fixed slice, switching
 * only at step boundaries (kernel code runs to its next preemption point). */
#ifndef MODELS_CPU_H
#define MODELS_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "models/task.h"
#include "sim/sim_time.h"

struct tlb;
struct flush_req;
struct machine;

#define ASID_NONE UINT32_MAX

/* x86 per-CPU ASID slot (cpu_tlbstate.ctxs[]): which mm it holds and the
 * tlb_gen this CPU has flushed that mm up to. */
struct asid_ctx {
    uint32_t mm_id;           /* ASID_NONE when unused */
    uint64_t gen;
};

/* A broadcast TLBI not yet completed: (mm, vpn) or all of mm's entries
 * (vpn TLBI_ALL_VPN), or every entry (mm_id 0). */
#define TLBI_ALL_VPN UINT64_MAX
struct tlbi_pending {
    uint32_t mm_id;
    uint64_t vpn;
};

struct cpu {
    struct machine *m;
    unsigned id, node, socket, core, thread;
    unsigned apic_cluster;      /* x2APIC logical cluster (ipi_cluster_cpus) */
    struct tlb *tlb;
    /* lazy TLB state (policy-semantics.md §1) */
    uint32_t loaded_mm;       /* mm id, or ASID_NONE for init_mm */
    uint16_t loaded_asid;     /* TLB tag in use */
    bool is_lazy;
    struct asid_ctx *ctx;     /* asid_slots of them (x86) */
    uint32_t next_asid;
    /* scheduling */
    struct task *curr;        /* NULL when idle */
    struct task *rq_head, *rq_tail;
    sim_time_t slice_start;
    /* interrupts */
    sim_time_t irq_busy_until;
    sim_time_t irqs_off_until;  /* spinning on or holding an irq-off lock */
    sim_time_t stolen_ns;     /* cumulative interrupt time (see file comment) */
    bool in_irq;              /* an interrupt handler is running now (in irq_ev) */
    struct flush_req **csd;   /* queued shootdown requests (ring) */
    uint32_t csd_head, csd_len, csd_cap;
    bool ipi_in_flight;
    /* arm64: broadcast TLBIs issued and not yet completed by a DSB. Their
     * invalidations take effect (in every TLB) when this CPU's DSB runs:
     * the architecture guarantees nothing earlier, so a missing DSB leaves
     * the entries usable (shootdown_tlbi.c). */
    uint32_t tlbi_outstanding;
    struct tlbi_pending *tlbi_q;
    uint32_t n_tlbi_q, cap_tlbi_q;
    /* accounting */
    enum cpu_time_cat cat;
    sim_time_t cat_since, cat_stolen_mark;
};

/* Runs t->run(t) after duration_ns of CPU time in category `cat`, plus any
 * interrupt time that lands in between. t must be the CPU's current task. */
void cpu_step(struct task *t, sim_time_t duration_ns, enum cpu_time_cat cat);
/* t keeps the CPU but waits (spins) in `cat` until cpu_wake(t). */
void cpu_block(struct task *t, enum cpu_time_cat cat);
/* Ends a cpu_block: t->run(t) runs now, or when the interrupt in progress ends. */
void cpu_wake(struct task *t);
/* t gives up the CPU (sleeps); another runnable task or idle takes over. */
void cpu_sleep(struct task *t);
/* Makes a sleeping task runnable on its CPU; it preempts at the current
 * task's next step boundary when `preempt`, else waits for the slice end. */
void cpu_wakeup(struct task *t, bool preempt);
/* Places a new task on its CPU's run queue at set-up. */
void cpu_attach(struct task *t);
/* Closes the current accounting interval at `now` (for end-of-run totals). */
void cpu_account_flush(struct machine *m, struct cpu *c);
void cpu_account_switch(struct machine *m, struct cpu *c, enum cpu_time_cat cat);

/* Delivers an interrupt of the given kind now (or after the one in progress).
 * Shootdown IPIs drain the CPU's csd queue. */
enum irq_kind { IRQ_TIMER, IRQ_CALL, IRQ_RESCHED };
void cpu_irq(struct machine *m, unsigned cpu, enum irq_kind kind);

#endif
