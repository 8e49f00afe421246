/* The contract between the kernel paths (reclaim, migration, madvise, faults,
 * allocation) and a TLB flush policy. The paths call a hook exactly where the
 * kernel does (policy-semantics.md §3): after a PTE was cleared with deferral
 * allowed (try_to_unmap_one with TTU_BATCH_FLUSH), before pageout of a dirty
 * folio (try_to_unmap_flush_dirty), before freeing and at the end of a pass
 * (try_to_unmap_flush), before another path changes PTEs of an mm with a
 * batched flush pending (flush_tlb_batched_pending), at page allocation, when
 * a PTE becomes writable and when a writable mapping is created.
 * A hook that needs the task to wait (IPIs, DSB) puts it into a step or wait
 * through shootdown.h and returns true; the caller then returns and resumes
 * in t->run() at the state it recorded before the call. A hook that returns
 * false may add CPU time to *cost_ns, which the caller charges. */
#ifndef MODELS_POLICY_H
#define MODELS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/mm.h"
#include "sim/cfg.h"
#include "sim/sim_time.h"

struct machine;
struct task;

struct policy_param {
    const char *name;
    const char *default_value;
    const char *help;
};

enum flush_point {
    FLUSH_BEFORE_FREE,      /* a free batch is about to be freed */
    FLUSH_END_OF_PASS,      /* end of shrink_folio_list */
    FLUSH_BEFORE_COPY,      /* migration: before the copy phase */
};

struct flush_policy_ops {
    const char *name;
    const char *help;
    const struct policy_param *params;   /* terminated by a NULL name */
    size_t priv_size;                    /* per run, zeroed */
    size_t task_state_size;              /* per task (tlb_ubc), zeroed */
    /* dirty_batch: reclaim keeps dirty folios locked on a list and calls
     * flush_dirty once for all of them before their pageout. */
    bool defers_pageout;

    /* Reads the policy mapping (keys other than `name`). Optional. */
    int (*configure)(void *priv, struct cfg_node *map, struct cfg_error *err);
    /* Called once the machine exists (allocate per-run state). Optional. */
    void (*attach)(void *priv, struct machine *m);
    void (*detach)(void *priv, struct machine *m);
    /* Set up / tear down one task's state (task_state_size bytes). Optional. */
    void (*task_init)(void *priv, struct machine *m, void *ts);
    void (*task_destroy)(void *priv, void *ts);

    /* Required: a PTE of mm at vpn was cleared; `old` is its previous value. */
    bool (*pte_cleared)(void *priv, struct task *t, struct mm *mm, uint64_t vpn, pte_t old,
                        sim_time_t *cost_ns);
    /* Required: try_to_unmap_flush_dirty(). */
    bool (*flush_dirty)(void *priv, struct task *t, sim_time_t *cost_ns);
    /* Required: try_to_unmap_flush(). */
    bool (*flush_pending)(void *priv, struct task *t, enum flush_point why, sim_time_t *cost_ns);
    /* Optional (default: mainline flush_tlb_batched_pending). */
    bool (*batched_pending)(void *priv, struct task *t, struct mm *mm, sim_time_t *cost_ns);
    /* Optional: a frame leaves the free lists for task t. */
    bool (*page_alloc)(void *priv, struct task *t, uint32_t pfn, sim_time_t *cost_ns);
    /* Optional: a PTE of mm becomes writable / a writable mapping is made. */
    bool (*pte_writable)(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                         sim_time_t *cost_ns);
    /* Optional: per-run counters for the outputs. */
    void (*report)(const void *priv, struct machine *m);

    /* Optional: direct reclaim is about to start for t (reclaim_start() with
     * kswapd false): memory pressure. LUF flushes everything it deferred. */
    bool (*reclaim_start)(void *priv, struct task *t, sim_time_t *cost_ns);
    /* Optional: CPU `cpu` takes a scheduler tick (timer interrupt), or
     * switches tasks (also to idle). Return the handler time in ns: cpu.c adds
     * it to the interrupt / the context switch (idle: not charged). LATR
     * drains its per-CPU invalidation queue here. Keep them cheap: they run on
     * every tick and switch. */
    sim_time_t (*tick)(void *priv, struct machine *m, unsigned cpu);
    sim_time_t (*context_switch)(void *priv, struct machine *m, unsigned cpu);
    /* Optional: reclaim is about to free pfn (reclaim_free_batch). true: the
     * policy owns the frame and frees it later itself (mem_free and the
     * pgfree counter); the frame stays FRAME_ISOLATED meanwhile. */
    bool (*defer_free)(void *priv, struct task *t, uint32_t pfn);
    /* Optional, for the hazard checker: a load through a stale read-only TLB
     * entry to the free (pcp/buddy) frame pfn is covered by a flush the policy
     * deferred and will do before the frame is allocated (LUF's exception to
     * the checker invariant, policy-semantics.md §7). */
    bool (*stale_read_ok)(const void *priv, const struct machine *m, uint32_t pfn);
};

/* The registry, built from models/policies/policies.def. */
const struct flush_policy_ops *policy_lookup(const char *name);
size_t policy_count(void);
const struct flush_policy_ops *policy_at(size_t i);
void policy_registry_print(FILE *out);

/* flush_tlb_batched_pending's test: whether a reclaim batch of mm is still
 * unflushed (then it counts as flushed from now on: the caller flushes). */
bool policy_batched_pending_take(struct mm *mm);
/* Mainline flush_tlb_batched_pending (§3): used when a policy has no hook. */
bool policy_default_batched_pending(struct machine *m, struct task *t, struct mm *mm,
                                    sim_time_t *cost_ns);

#endif
