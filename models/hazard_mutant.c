/* hazards.remove_flush: a machine whose kernel paths skip one flush point,
 * so that tests (and users) can check that the hazard checker catches what
 * each flush prevents (a mutation test of the checker). The policy hooks are
 * replaced in a copy of the policy's operations; the mmu_gather flushes are
 * skipped in mmu_gather.c, which asks machine->removed_flush. */
#include <glib.h>

#include "models/hazard.h"
#include "models/machine.h"
#include "models/policy.h"
#include "models/task.h"

static bool no_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    return false;
}

/* The flush_pending call that remove_flush takes out (installed only for
 * these three). */
static bool removed_point(int removed, enum flush_point why)
{
    return (removed == RF_BEFORE_FREE && why == FLUSH_BEFORE_FREE) ||
           (removed == RF_END_OF_PASS && why == FLUSH_END_OF_PASS) ||
           (removed == RF_BEFORE_COPY && why == FLUSH_BEFORE_COPY);
}

static bool some_flush_pending(void *priv, struct task *t, enum flush_point why,
                               sim_time_t *cost_ns)
{
    struct machine *m = t->m;

    if (removed_point(m->removed_flush, why))
        return false;
    return m->policy_orig->flush_pending(priv, t, why, cost_ns);
}

static bool no_batched_pending(void *priv, struct task *t, struct mm *mm, sim_time_t *cost_ns)
{
    return false;
}

void hazard_attach(struct machine *m, const struct hazard_cfg *cfg)
{
    struct flush_policy_ops *ops;

    hazard_log_free(m->hazards);
    m->hazards = hazard_log_new(cfg);
    m->removed_flush = cfg->remove_flush;
    if (cfg->remove_flush < 0 || cfg->remove_flush == RF_ZAP || cfg->remove_flush == RF_MPROTECT)
        return;
    ops = g_memdup2(m->policy, sizeof(*ops));
    switch ((enum removable_flush)cfg->remove_flush) {
    case RF_PAGEOUT_DIRTY:
        ops->flush_dirty = no_flush_dirty;
        break;
    case RF_BEFORE_FREE:
    case RF_END_OF_PASS:
    case RF_BEFORE_COPY:
        ops->flush_pending = some_flush_pending;
        break;
    case RF_BATCHED_PENDING:
        ops->batched_pending = no_batched_pending;
        break;
    case RF_ALLOC:
        ops->page_alloc = NULL;
        break;
    case RF_PTE_WRITABLE:
        ops->pte_writable = NULL;
        break;
    default:
        break;
    }
    m->policy_orig = m->policy;
    m->mutant_ops = ops;
    m->policy = ops;
}
