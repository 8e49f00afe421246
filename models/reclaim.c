/* shrink_node / shrink_folio_list as a state machine (see reclaim.h). Each
 * state does one unit of kernel work and charges its CPU time as a step, so
 * interrupts, IPIs and waits interleave with reclaim at the right times. */
#include "models/reclaim.h"

#include <glib.h>

#include "models/alloc.h"
#include "models/bug.h"
#include "models/kswapd.h"
#include "models/machine.h"
#include "models/migrate.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/reclaim_page.h"
#include "models/shootdown.h"

static void reclaim_run(struct task *t);

static struct reclaim_ctx *ctx_get(struct task *t)
{
    if (!t->reclaim)
        t->reclaim = g_new0(struct reclaim_ctx, 1);
    return t->reclaim;
}

void reclaim_ctx_free(struct reclaim_ctx *rc)
{
    g_free(rc);
}

uint64_t reclaim_pages_freed(const struct task *t)
{
    return t->reclaim ? t->reclaim->freed_total : 0;
}

uint32_t reclaim_last_reclaimed(const struct task *t)
{
    return t->reclaim ? t->reclaim->nr_reclaimed : 0;
}

void reclaim_start(struct task *t, unsigned node, bool kswapd, uint32_t nr_to_reclaim,
                   task_run_fn *done)
{
    struct reclaim_ctx *rc = ctx_get(t);

    rc->state = R_PASS;
    rc->node = node;
    rc->kswapd = kswapd;
    rc->list_mode = false;
    rc->nr_to_reclaim = nr_to_reclaim;
    rc->nr_reclaimed = 0;
    rc->n = rc->n_writeback = 0;
    rc->idle_passes = 0;
    rc->done = done;
    t->in_user = false;
    t->run = reclaim_run;
    /* Direct reclaim: memory pressure (LUF flushes what it deferred). */
    if (!kswapd && t->m->policy->reclaim_start) {
        sim_time_t cost = 0;

        if (t->m->policy->reclaim_start(t->m->policy_priv, t, &cost))
            return;     /* continues in reclaim_run at R_PASS */
        if (cost) {
            cpu_step(t, cost, CT_RECLAIM);
            return;
        }
    }
    reclaim_run(t);
}

void reclaim_list_start(struct task *t, const pfn_t *pfns, uint32_t n, task_run_fn *done)
{
    struct reclaim_ctx *rc = ctx_get(t);

    BUG_ON(n > RECLAIM_MAX_LIST, "reclaim list of %u pages", n);
    rc->list_mode = true;
    rc->kswapd = false;
    rc->nr_reclaimed = 0;
    rc->done = done;
    for (uint32_t i = 0; i < n; i++)
        rc->list[i] = pfns[i];
    rc->n = n;
    rc->i = 0;
    rc->n_free = rc->n_pageout = rc->n_putback = rc->n_demote = 0;
    rc->state = R_CHECK;
    t->in_user = false;
    t->run = reclaim_run;
    reclaim_run(t);
}

/* kswapd balances the node to its high watermark; direct reclaim stops once
 * it freed what it was asked for. Both give up after passes that free
 * nothing (nothing reclaimable: the allocator then takes what is left). */
static bool pass_done(struct machine *m, struct reclaim_ctx *rc)
{
    if (rc->idle_passes >= 4)
        return true;
    if (rc->kswapd)
        return kswapd_node_balanced(m, rc->node);
    return rc->nr_reclaimed >= rc->nr_to_reclaim;
}

static void finish(struct task *t, struct reclaim_ctx *rc)
{
    t->run = rc->done;
    t->run(t);
}

static void throttle_done_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    cpu_wakeup(ctx, true);
}

/* reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK): a direct reclaimer whose last
 * pass found nothing but folios under writeback sleeps instead of scanning
 * them again; the kernel wakes it when enough writeback completes (or after
 * HZ/10), modelled as one device write latency. */
static bool writeback_throttle(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;

    if (rc->kswapd || !rc->n || rc->n_writeback < rc->n)
        return false;
    rc->n = 0;
    stats_add(m->st, m->ctr.reclaim_throttle, t->cpu, 1);
    sim_schedule(m->eng, m->cfg->cost.swap_write_ns, throttle_done_ev, t, 0);
    cpu_sleep(t);
    return true;
}

/* After the main loop of shrink_folio_list, in the kernel's order: the
 * batched pageouts (dirty_batch's list), then the demotion of the folios
 * picked for it, then the final try_to_unmap_flush and frees. */
static enum rstate after_list(const struct reclaim_ctx *rc)
{
    if (rc->n_pageout)
        return R_BATCH_FLUSH_DIRTY;
    if (rc->n_demote)
        return R_DEMOTE;
    return R_END_FLUSH;
}

static bool step(struct task *t, sim_time_t cost)
{
    if (!cost)
        return false;
    cpu_step(t, cost, CT_RECLAIM);
    return true;
}

/* One unit of a pass; returns true when t was put into a step or wait. */
static bool reclaim_advance(struct task *t, struct reclaim_ctx *rc)
{
    struct machine *m = t->m;
    const struct flush_policy_ops *p = m->policy;
    sim_time_t cost = 0;

    switch (rc->state) {
    case R_PASS:
        if (pass_done(m, rc)) {
            rc->state = R_DONE;
            return false;
        }
        if (writeback_throttle(t, rc))
            return true;
        cost = reclaim_isolate(t, rc);
        rc->state = R_CHECK;
        return step(t, cost);
    case R_CHECK:
        if (rc->i == rc->n) {
            rc->state = after_list(rc);
            return false;
        }
        return step(t, reclaim_check(t, rc));
    case R_UNMAP:
        cost = reclaim_unmap_one(t, rc);
        rc->state = R_UNMAP_HOOK;
        return step(t, cost);
    case R_UNMAP_HOOK:
        rc->state = mem_frame(m->mem, rc->list[rc->i])->rmap != RMAP_NONE ? R_UNMAP
                                                                            : R_AFTER_UNMAP;
        if (pte_accessible(rc->cur_mm, rc->old_pte) &&
            p->pte_cleared(m->policy_priv, t, rc->cur_mm, rc->cur_vpn, rc->old_pte, &cost))
            return true;
        return step(t, cost);
    case R_AFTER_UNMAP:
        reclaim_after_unmap(t, rc);
        return false;
    case R_FLUSH_DIRTY:
        rc->state = R_PAGEOUT;
        if (p->flush_dirty(m->policy_priv, t, &cost))
            return true;
        return step(t, cost);
    case R_PAGEOUT:
        rc->state = R_NEXT;
        return step(t, reclaim_pageout(t, rc, rc->list[rc->i]));
    case R_FREE_PAGE:
        reclaim_free_page(t, rc);
        return false;
    case R_FLUSH_FREE:
        rc->state = R_FREE_BATCH;
        if (p->flush_pending(m->policy_priv, t, FLUSH_BEFORE_FREE, &cost))
            return true;
        return step(t, cost);
    case R_FREE_BATCH:
        rc->state = R_NEXT;
        return step(t, reclaim_free_batch(t, rc));
    case R_NEXT:
        rc->i++;
        rc->state = R_CHECK;
        return false;
    case R_DEMOTE:
        rc->state = R_DEMOTED;
        migrate_list_start(t, rc->demote, rc->n_demote, (unsigned)m->demote_target[rc->node],
                           MR_DEMOTION, reclaim_run);
        return true;
    case R_DEMOTED:
        /* demoted folios count as reclaimed: their frames were freed, and
         * shrink_inactive_list counts them in pgsteal (nr_reclaimed
         * includes nr_demoted) */
        rc->nr_reclaimed += migrate_last_moved(t);
        stats_add(m->st, rc->kswapd ? m->ctr.pgsteal_kswapd : m->ctr.pgsteal_direct, t->cpu,
                  migrate_last_moved(t));
        if (migrate_last_moved(t))
            rc->idle_passes = 0;
        rc->n_demote = 0;
        /* Folios that could not be demoted go round the list again, to be
         * reclaimed the usual way (shrink_folio_list: do_demote_pass =
         * false; goto retry). */
        rc->n = migrate_take_failed(t, rc->list);
        if (rc->n) {
            rc->i = 0;
            rc->no_demote = true;
            rc->state = R_CHECK;
            return false;
        }
        rc->state = after_list(rc);
        return false;
    case R_BATCH_FLUSH_DIRTY:
        rc->state = R_BATCH_PAGEOUT;
        rc->j = 0;
        if (p->flush_dirty(m->policy_priv, t, &cost))
            return true;
        return step(t, cost);
    case R_BATCH_PAGEOUT:
        if (rc->j == rc->n_pageout) {
            rc->n_pageout = 0;
            rc->state = after_list(rc);
            return false;
        }
        return step(t, reclaim_pageout(t, rc, rc->pageout[rc->j++]));
    case R_END_FLUSH:
        rc->state = R_FREE_ALL;
        if (p->flush_pending(m->policy_priv, t, FLUSH_END_OF_PASS, &cost))
            return true;
        return step(t, cost);
    case R_FREE_ALL:
        cost = reclaim_putback(t, rc);
        rc->state = rc->list_mode ? R_DONE : R_PASS;
        return step(t, cost + reclaim_free_batch(t, rc));
    case R_DONE:
        break;
    }
    return false;
}

static void reclaim_run(struct task *t)
{
    struct reclaim_ctx *rc = t->reclaim;

    while (rc->state != R_DONE) {
        if (reclaim_advance(t, rc))
            return;
    }
    finish(t, rc);
}
