/* Contended spinlocks with interrupts off: see spinlock.h. */
#include "models/spinlock.h"

#include "models/machine.h"
#include "sim/engine.h"

sim_time_t spinlock_irq_section(struct machine *m, struct sim_spinlock *l, unsigned cpu,
                                sim_time_t offset_ns, sim_time_t hold_ns)
{
    struct cpu *c = &m->cpu[cpu];
    sim_time_t now = sim_now(m->eng), want = now + offset_ns;
    sim_time_t start = want > l->free_at ? want : l->free_at, end;

    /* The lock's cache line moves from the last holder (csd acks model the
     * same one-line transfer, so their cost is reused). */
    if (l->ever_held && l->last_cpu != cpu)
        start += m->cpu[l->last_cpu].socket == c->socket ? m->cfg->cost.ack_same_socket_ns
                                                          : m->cfg->cost.ack_remote_socket_ns;
    end = start + hold_ns;
    if (start > want)
        stats_add(m->st, m->ctr.lock_wait, cpu, start - want);
    l->free_at = end;
    l->last_cpu = cpu;
    l->ever_held = true;
    if (c->irqs_off_until < end)
        c->irqs_off_until = end;
    return end - now;
}
