/* Context switch and lazy TLB mode (policy-semantics.md §1 "Context switch
 * and lazy mode"): x86 ASID (PCID) slots with a generation per slot, the
 * mm_cpumask update (kept after switching away since v6.14, cleared on
 * switch in older kernels), and arm64's global ASIDs. */
#ifndef MODELS_SWITCH_MM_H
#define MODELS_SWITCH_MM_H

#include <stdint.h>

#include "sim/sim_time.h"

struct machine;
struct cpu;
struct task;
struct mm;

/* Switches CPU c to run `next` (an app thread loads its mm; a kernel thread
 * enters lazy mode on the current mm). Returns the CR3-write/flush time. */
sim_time_t switch_mm_task(struct machine *m, struct cpu *c, struct task *next);
/* switch_mm_irqs_off(prev, next) proper. Returns the time it costs. */
sim_time_t switch_mm_to(struct machine *m, struct cpu *c, struct mm *next);
/* enter_lazy_tlb: keeps the loaded mm, marks the CPU lazy. */
void switch_mm_enter_lazy(struct machine *m, struct cpu *c);
/* The flush handler on a lazy CPU switches it to init_mm (acts as a full
 * flush); returns the cost. */
sim_time_t switch_mm_leave_lazy_to_init(struct machine *m, struct cpu *c);
/* The TLB tag of mm on CPU c, or ASID_NONE if c holds no slot for it. */
uint32_t switch_mm_asid_of(const struct machine *m, const struct cpu *c, const struct mm *mm);

#endif
