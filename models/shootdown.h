/* The mechanics every flush policy shares (policy-semantics.md §1, §3, §8):
 * the x86 synchronous range flush (flush_tlb_mm_range), the mm-less batched
 * full flush (arch_tlbbatch_flush), IPIs through per-target call queues that
 * coalesce, delivery latency by distance, the target's handler with the
 * tlb_gen skip and the 33-page ceiling, lazy CPUs, waiting for acks; and on
 * arm64 the broadcast TLBI and the DSB ISH that completes it.
 * Every function here is called by the running task `t` at the current time;
 * when it returns true, t has been put into a step or a wait and resumes in
 * t->run(); when false, nothing was needed. */
#ifndef MODELS_SHOOTDOWN_H
#define MODELS_SHOOTDOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpumask.h"
#include "sim/sim_time.h"

struct cpu;
struct machine;
struct mm;
struct task;

#define FLUSH_ALL UINT64_MAX

/* Reasons of the tlb:tlb_flush tracepoint (include/linux/mm_types.h). */
enum tlb_flush_reason {
    TLB_FLUSH_ON_TASK_SWITCH = 0,
    TLB_REMOTE_SHOOTDOWN = 1,
    TLB_LOCAL_SHOOTDOWN = 2,
    TLB_LOCAL_MM_SHOOTDOWN = 3,
    TLB_REMOTE_SEND_IPI = 4,
};

/* One page of a page-list flush (sd_flush_pages): the mm and page whose PTE
 * was cleared, and gen(mm) right after that clear's sd_batch_add_mm (0 when
 * the policy keeps no generation: any_asid flushes). */
struct sd_page {
    struct mm *mm;
    uint64_t vpn;
    uint64_t gen;
};

/* A shootdown in flight; shared by its targets, freed after the last ack. */
struct flush_req {
    struct mm *mm;               /* NULL: flush whatever mm a target has loaded */
    uint64_t start_vpn, end_vpn; /* end_vpn == FLUSH_ALL: full flush */
    uint64_t new_gen;            /* 0: no generation (batched flush) */
    bool freed_tables;
    /* A page-list flush when n_pages > 0: the request owns a copy of the
     * list (its buffer stays with the pooled request for reuse), so the
     * initiator may refill its own list at once. */
    struct sd_page *pages;
    uint32_t n_pages, cap_pages;
    bool any_asid;               /* oracle: every ASID slot, lazy CPUs too */
    unsigned initiator;
    unsigned pending;            /* targets that have not acked */
    struct task *waiter;
    sim_time_t issued_at, min_done; /* min_done: sends + local flush end */
    struct flush_req *next_free;
    struct flush_req *next_all;  /* machine.req_all: kept across reuse */
};

/* flush_tlb_mm_range(mm, start, start + n_pages): gen++, targets chosen by
 * should_flush (lazy CPUs only when freed_tables), local flush, IPIs, wait.
 * On arm64: TLBI per page (or one ASID flush past the DVM limit) + DSB. */
bool sd_flush_mm_range(struct machine *m, struct task *t, struct mm *mm, uint64_t start_vpn,
                       uint64_t n_pages, bool freed_tables);
/* arch_tlbbatch_flush on x86: an mm-less full flush of every non-lazy CPU in
 * `mask` (the initiator's own CPU flushes locally). Clears nothing in mask. */
bool sd_flush_batch(struct machine *m, struct task *t, const struct cpumask *mask);
/* A flush of a list of pages (Mel Gorman's 2015 RFC, policy-semantics.md §4
 * M-PFN32): one IPI per non-lazy CPU of `mask`, the initiator's own CPU
 * locally when in mask; wait for all. Each target INVLPGs the listed pages
 * of the mm it has loaded that its generation does not already cover (a
 * full flush past flush_ceiling_pages) and advances its generation over the
 * pages it flushed. any_asid (an oracle, no real kernel): lazy CPUs of mask
 * are interrupted too, and each target invalidates the pages in whatever
 * ASID slot holds their mm (INVPCID), with no generation. x86 only. */
bool sd_flush_pages(struct machine *m, struct task *t, const struct cpumask *mask,
                    const struct sd_page *pages, uint32_t n, bool any_asid);
/* arch_tlbbatch_should_defer on x86: defer the flush of a cleared PTE only
 * when a CPU other than t's may cache it (some other CPU in mm_cpumask). */
bool sd_x86_should_defer(const struct task *t, const struct mm *mm);
/* The x86 bookkeeping of arch_tlbbatch_add_pending: gen(mm)++ so that the
 * later mm-less flush can tell stale CPUs from up-to-date ones. */
void sd_batch_add_mm(struct machine *m, struct mm *mm, struct cpumask *batch);

/* arm64: broadcast TLBI VALE1IS for one page of mm, issued by t's CPU and
 * applied to every TLB; returns its issue cost in ns (charged by the caller).
 * No wait: completion needs a later sd_dsb by the same CPU. On x86 the same
 * is AMD's INVLPGB (ASID + va, no IPIs) and sd_dsb its TLBSYNC; the model's
 * INVLPGB reaches mm in whatever ASID slot each CPU holds it, as the kernel's
 * global ASIDs (v6.15) make it. */
sim_time_t sd_tlbi_page(struct machine *m, struct task *t, struct mm *mm, uint64_t vpn);
/* arm64: DSB ISH on t's CPU; stalls for the DSB cost model. Returns false
 * (no stall) when the CPU has no TLBI outstanding and `always` is false. */
bool sd_dsb(struct machine *m, struct task *t, bool always);
/* arm64 __switch_to's dsb(ish) ("complete any pending TLB or cache
 * maintenance on this CPU in case the thread migrates"): completes c's
 * outstanding TLBIs at a context switch; returns the DSB's time (0 when none
 * was outstanding, and on x86). */
sim_time_t sd_switch_barrier(struct machine *m, struct cpu *c);
/* A broadcast invalidation of every translation of mm on every CPU (INVLPGB
 * of an ASID, TLBI ASIDE1IS), or with mm NULL of every non-global one (the
 * INVLPGB of v6.15's arch_tlbbatch_flush); completion as sd_tlbi_page.
 * Returns the issue cost. */
sim_time_t sd_tlbi_all(struct machine *m, struct task *t, struct mm *mm);
/* sd_dsb(always) with issue_ns of broadcasts issued just before it charged
 * in the same stall: TLBSYNC after a batch of INVLPGBs on x86. */
bool sd_dsb_after(struct machine *m, struct task *t, sim_time_t issue_ns);

/* Accounts one tlb:tlb_flush event on cpu (counters by reason, trace.txt,
 * the hazard journal) for a policy that flushes a TLB itself; pages is the
 * number invalidated, -1 for a full flush. */
void sd_count_flush(struct machine *m, unsigned cpu, enum tlb_flush_reason why, int64_t pages);
/* Delivery latency of an IPI from one CPU to another, by distance. */
sim_time_t sd_ipi_latency(const struct machine *m, unsigned from, unsigned to);
/* The target side of a flush request (flush_tlb_func): returns the handler
 * time in ns on `cpu`, and applies the invalidation to its TLB. */
sim_time_t sd_handle_request(struct machine *m, unsigned cpu, struct flush_req *req, bool local);
/* Called by cpu.c when an IPI interrupt runs: drains the csd queue, acks. */
sim_time_t sd_handle_ipi(struct machine *m, unsigned cpu, sim_time_t start);
/* Full flush of CPU c's current ASID (CR3 write); counts and returns cost. */
sim_time_t sd_local_full_flush(struct machine *m, unsigned cpu, enum tlb_flush_reason why);

void sd_init(struct machine *m);
void sd_destroy(struct machine *m);

#endif
