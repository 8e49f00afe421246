/* Private to reclaim: the per-task reclaim state and the per-folio steps of
 * shrink_folio_list. Each step returns the CPU time it took (ns) and sets
 * the next state. */
#ifndef MODELS_RECLAIM_PAGE_H
#define MODELS_RECLAIM_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memory.h"
#include "models/mm.h"
#include "models/task.h"
#include "sim/sim_time.h"

#define RECLAIM_MAX_LIST 512    /* one PTE table: MADV_PAGEOUT's largest list */
#define SWAP_FILE_ID 0          /* the swap cache lives in the page cache as file 0 */

enum rstate {
    R_PASS, R_CHECK, R_UNMAP, R_UNMAP_HOOK, R_AFTER_UNMAP, R_FLUSH_DIRTY, R_PAGEOUT,
    R_FREE_PAGE, R_FLUSH_FREE, R_FREE_BATCH, R_NEXT, R_BATCH_FLUSH_DIRTY, R_BATCH_PAGEOUT,
    R_END_FLUSH, R_FREE_ALL, R_DEMOTE, R_DEMOTED, R_DONE,
};

struct reclaim_ctx {
    enum rstate state;
    unsigned node;
    bool kswapd, list_mode;
    uint32_t nr_to_reclaim, nr_reclaimed, idle_passes;
    task_run_fn *done;
    pfn_t list[RECLAIM_MAX_LIST];       /* isolated folios of this pass */
    uint32_t n, i;
    pfn_t free_batch[RECLAIM_MAX_LIST]; /* reclaimed, waiting for flush + free */
    uint32_t n_free;
    pfn_t pageout[RECLAIM_MAX_LIST];    /* dirty, locked, waiting for one flush */
    uint32_t n_pageout, j;
    /* kept or activated folios, put back together at the end of the pass
     * (putback_inactive_pages), which keeps the LRU order of the batch */
    pfn_t putback[RECLAIM_MAX_LIST];
    bool putback_active[RECLAIM_MAX_LIST];
    uint32_t n_putback;
    pfn_t demote[RECLAIM_MAX_LIST];     /* to migrate to the next tier */
    uint32_t n_demote;
    uint32_t n_writeback;               /* isolated folios found under writeback */
    bool no_demote;                     /* the retry of folios demotion failed */
    struct mm *cur_mm;                  /* the mapping just unmapped */
    uint64_t cur_vpn;
    pte_t old_pte;
    uint64_t freed_total;
};

sim_time_t reclaim_isolate(struct task *t, struct reclaim_ctx *rc);
sim_time_t reclaim_check(struct task *t, struct reclaim_ctx *rc);
sim_time_t reclaim_unmap_one(struct task *t, struct reclaim_ctx *rc);
void reclaim_after_unmap(struct task *t, struct reclaim_ctx *rc);
sim_time_t reclaim_pageout(struct task *t, struct reclaim_ctx *rc, pfn_t pfn);
/* Returns the pass's kept folios to the LRU. */
sim_time_t reclaim_putback(struct task *t, struct reclaim_ctx *rc);
void reclaim_free_page(struct task *t, struct reclaim_ctx *rc);
sim_time_t reclaim_free_batch(struct task *t, struct reclaim_ctx *rc);

#endif
