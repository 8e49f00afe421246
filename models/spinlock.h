/* A contended kernel spinlock taken with interrupts off (spin_lock_irq), such
 * as a node's lru_lock. Acquirers are served in arrival order (queued
 * spinlocks are FIFO); each handoff to another CPU costs one cache-line
 * transfer; the CPU takes no interrupt from the moment it starts spinning
 * until it releases the lock, so a shootdown IPI to it waits. */
#ifndef MODELS_SPINLOCK_H
#define MODELS_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_time.h"

struct machine;

struct sim_spinlock {
    sim_time_t free_at;       /* when the current holder releases it */
    unsigned last_cpu;
    bool ever_held;
};

/* CPU `cpu` takes the lock now, holds it hold_ns, and releases it. Returns
 * the CPU time from now to the release (spinning + handoff + hold), which
 * the caller charges as (part of) its next step. Interrupts to `cpu` are
 * held off until the release. Waiting time is added to lock_wait_ns. */
sim_time_t spinlock_irq_section(struct machine *m, struct sim_spinlock *l, unsigned cpu,
                                sim_time_t hold_ns);

#endif
