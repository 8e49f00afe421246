/* Behaviour shared by every policy: mainline flush_tlb_batched_pending. */
#include "models/policy.h"

#include "models/machine.h"
#include "models/shootdown.h"
#include "models/task.h"

/* A path about to change PTEs of mm while a reclaim batch of mm has not been
 * flushed must flush the whole mm first (3ea277194daa): x86 flush_tlb_mm with
 * freed_tables, so lazy CPUs are interrupted too. The reclaimer's own flush
 * never advances `flushed`: the first operation at risk pays. */
bool policy_batched_pending_take(struct mm *mm)
{
    if (mm->flush_batched_pending == mm->flush_batched_flushed)
        return false;
    mm->flush_batched_flushed = mm->flush_batched_pending;
    return true;
}

bool policy_default_batched_pending(struct machine *m, struct task *t, struct mm *mm,
                                    sim_time_t *cost_ns)
{
    (void)cost_ns;
    if (!policy_batched_pending_take(mm))
        return false;
    return sd_flush_mm_range(m, t, mm, 0, UINT64_MAX / 2, true);
}
