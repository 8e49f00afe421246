/* Times and helpers shared by the shootdown tests (test_shootdown.c,
 * test_shootdown_gen.c, test_shootdown_lazy.c and
 * test_shootdown_policies.c): static, in a header, as each test is one .c.
 * Include after tests/machine_fixture.h. */
#ifndef TESTS_SHOOTDOWN_TIMES_H
#define TESTS_SHOOTDOWN_TIMES_H

#define PTE_OLD(pfn) pte_make((pfn), PTE_PRESENT | PTE_ACCESSED | PTE_WRITE)
#define T0 FX_KTHREAD_START

/* The time one IPI round trip from cpu 0 ends: its ICR write, delivery, half the entry/exit
 * (the handler runs in the middle), the handler, the ack back to cpu 0. */
#define RT_SOCKET(handler) (FX_IPI_SEND + FX_DELIVER_SOCKET + FX_IRQ / 2 + (handler) + FX_ACK_SOCKET)
#define RT_REMOTE(handler) (FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ / 2 + (handler) + FX_ACK_REMOTE)
#define RT_SMT(handler) (FX_IPI_SEND + FX_DELIVER_SMT + FX_IRQ / 2 + (handler) + FX_ACK_SOCKET)
/* The initiator's ICR writes are serial (physical mode: one per target, in
 * CPU order): the IPI to the k-th target leaves k writes after the issue,
 * (k - 1) more than the one RT_* include. */
#define SEND_AFTER(k) (((k) - 1) * FX_IPI_SEND)

/* cpu 0 caches 4 pages from vpn 500 in ASID slot 0. */
static inline bool fill_cpu0_asid0(struct fx_script *s, void *arg)
{
    (void)arg;
    fx_fill(s->f, 0, 0, 500, 4);
    return false;
}

#endif
