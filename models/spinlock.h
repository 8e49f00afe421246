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

/* CPU `cpu`, which has offset_ns of work before it (the caller's step so
 * far), then takes the lock, holds it hold_ns and releases it. Returns the
 * offset of the release from now (>= offset_ns + hold_ns: spinning and the
 * handoff come on top), so a caller doing several sections chains them:
 * cost = spinlock_irq_section(m, l, cpu, cost, hold). Interrupts to `cpu`
 * are held off until the release (from now: slightly early when offset_ns
 * is not 0). Spinning time is added to lru_lock_wait_ns. */
sim_time_t spinlock_irq_section(struct machine *m, struct sim_spinlock *l, unsigned cpu,
                                sim_time_t offset_ns, sim_time_t hold_ns);

#endif
