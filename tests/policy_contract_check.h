/* The checks of the policy contract (tests/policy_contract.h, which has
 * the contract and the wrapper that calls them): the state the wrapper
 * records, whether a CPU can still use a translation a policy was told to
 * remove, the deferred translations of the policies that keep the weaker
 * rule, and the end-of-run sweep of every TLB. Include through
 * tests/policy_contract.h. */
#ifndef TESTS_POLICY_CONTRACT_CHECK_H
#define TESTS_POLICY_CONTRACT_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/cpu.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/policy.h"
#include "models/reclaim_page.h"
#include "models/run.h"
#include "models/scenario.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/tlb.h"
#include "sim/engine.h"
#include "sim/stats.h"

/* A PTE a policy was told was cleared: the translation it must remove. */
struct pend {
    struct mm *mm;
    uint64_t vpn;
    uint32_t pfn;
    uint64_t gen;           /* gen(mm) once the policy had recorded it */
    bool dirty;
};

/* A flush hook that blocked its task: what must be gone when it resumes. */
struct wait {
    task_run_fn *run;
    GArray *check;          /* struct pend, may be NULL */
    const char *hook;
    bool deferrable;        /* see check_pend */
    uint32_t alloc_pfn;     /* page_alloc: the frame handed out, else PFN_NONE */
};

static struct contract {
    const struct flush_policy_ops *real;
    struct flush_policy_ops wrap;
    const char *config;     /* "policy on scenario" for messages */
    struct machine *m;
    bool dirty_rule;
    GHashTable *pending;    /* struct task * -> GArray of struct pend */
    GHashTable *waits;      /* struct task * -> struct wait * */
    bool *in_mask;          /* per CPU: seen in some mm_cpumask */
    bool lazy_free;         /* the policy has defer_free */
    bool ro_free_ok;        /* the policy has stale_read_ok */
    GArray *deferred;       /* struct pend: checked later (tests/policy_contract.h) */
    unsigned hooks;
    uint64_t blocked, resumed, checked, violations, ipi_outside;
    uint64_t arm64_luf_gap;   /* read-only entries whose TLBI is still in flight */
    char first[512];
} C;

/* Whether some CPU issued a broadcast TLBI covering (mm, vpn) that no DSB
 * of that CPU has completed yet (shootdown_tlbi.c). */
static bool tlbi_in_flight(const struct machine *m, uint32_t mm_id, uint64_t vpn)
{
    for (unsigned i = 0; i < m->n_cpus; i++)
        for (uint32_t k = 0; k < m->cpu[i].n_tlbi_q; k++) {
            const struct tlbi_pending *q = &m->cpu[i].tlbi_q[k];

            if (!q->mm_id || (q->mm_id == mm_id && (q->vpn == vpn || q->vpn == TLBI_ALL_VPN)))
                return true;
        }
    return false;
}

static void violation(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void violation(const char *fmt, ...)
{
    va_list ap;

    if (C.violations++)
        return;
    va_start(ap, fmt);
    vsnprintf(C.first, sizeof(C.first), fmt, ap);
    va_end(ap);
}

static void check_deferred(uint32_t pfn, const char *when);

/* Called at every hook: the CPUs in some mm_cpumask, and now and then the
 * deferred translations. */
static void note_masks(void)
{
    struct machine *m = C.m;
    uint32_t c;

    for (uint32_t i = 1; i < m->n_mms; i++)
        cpumask_for_each(c, &m->mms[i]->cpumask)
            C.in_mask[c] = true;
    if (C.deferred && C.deferred->len && ++C.hooks % 32 == 0)
        check_deferred(PFN_NONE, "later");
}

/* Whether CPU c could use its cached translation of (mm, vpn) -> pfn
 * without another flush. x86: only through the running ASID, or a slot
 * whose generation has reached gen (a switch back would not flush it). */
static bool usable(const struct cpu *c, const struct mm *mm, uint32_t asid, uint64_t gen)
{
    const struct machine *m = C.m;

    if (m->arm64)
        return true;
    if (c->loaded_mm == mm->id && c->loaded_asid == asid && !c->is_lazy)
        return true;
    return c->ctx[asid].gen >= gen;
}

/* The cached entry matches the page table: same frame, and no W or D the
 * PTE lacks (a store would otherwise bypass the PTE: H2). */
static bool backed(const struct mm *mm, uint64_t vpn, const struct tlb_hit *h)
{
    pte_t *pte = mm_pte((struct mm *)mm, vpn, false);

    return pte && pte_present(*pte) && pte_pfn(*pte) == h->pfn &&
           (!h->writable || (*pte & PTE_WRITE)) && (!h->dirty || (*pte & PTE_DIRTY));
}

/* The first CPU that can still use the translation e removed, or -1. */
static int cached_by(const struct pend *e, struct tlb_hit *h, uint32_t *asid_out)
{
    struct machine *m = C.m;

    for (unsigned i = 0; i < m->n_cpus; i++) {
        const struct cpu *c = &m->cpu[i];
        uint32_t asid = switch_mm_asid_of(m, c, e->mm);

        if (asid == ASID_NONE || !tlb_probe(c->tlb, (uint16_t)asid, e->vpn, h) ||
            h->pfn != e->pfn || backed(e->mm, e->vpn, h) || !usable(c, e->mm, asid, e->gen))
            continue;
        *asid_out = asid;
        return (int)i;
    }
    return -1;
}

/* `deferrable`: a flush point a lazy-free or read-only-free policy may
 * leave translations behind (see the file comment); they are kept for
 * check_deferred. */
static void check_pend(const struct pend *e, const char *after, bool deferrable)
{
    struct machine *m = C.m;
    struct tlb_hit h;
    uint32_t asid = 0;
    int i;

    C.checked++;
    i = cached_by(e, &h, &asid);
    if (i >= 0 && deferrable && (C.lazy_free || (C.ro_free_ok && !h.writable))) {
        g_array_append_val(C.deferred, *e);
        return;
    }
    if (i >= 0) {
        const struct cpu *c = &m->cpu[i];

        violation("%s: after %s at %" PRIu64 " ns, cpu %u still caches mm %" PRIu32
                  " vpn %#" PRIx64 " -> pfn %" PRIu32 "%s (slot %u gen %" PRIu64 ", cleared at "
                  "gen %" PRIu64 ", mm gen %" PRIu64 ", %s)", C.config, after,
                  sim_now(m->eng), i, e->mm->id, e->vpn, e->pfn, h.writable ? " W" : "",
                  asid, m->arm64 ? 0 : c->ctx[asid].gen, e->gen, e->mm->tlb_gen,
                  c->loaded_mm == e->mm->id ? (c->is_lazy ? "lazy" : "running") : "switched away");
    }
}

static void check_list(GArray *l, const char *after, bool deferrable)
{
    for (guint i = 0; l && i < l->len; i++)
        check_pend(&g_array_index(l, struct pend, i), after, deferrable);
}

/* Deferred translations: dropped once no CPU can use them; a violation
 * once their frame is free and the policy does not vouch for a read-only
 * entry to it (§7: "freed" only with no entry left), or, for `pfn` !=
 * PFN_NONE, once that frame was handed out by page_alloc. A frame still held
 * (isolated, or kept on an LRU by its owner) may keep them. */
static void check_deferred(uint32_t pfn, const char *when)
{
    struct machine *m = C.m;
    guint k = 0;

    for (guint j = 0; j < C.deferred->len; j++) {
        const struct pend *e = &g_array_index(C.deferred, struct pend, j);
        const struct frame *f = mem_frame(m->mem, e->pfn);
        bool is_free = f->state == FRAME_FREE || f->state == FRAME_PCP, bad;
        struct tlb_hit h;
        uint32_t asid = 0;
        int i;

        if (pfn != PFN_NONE && e->pfn != pfn) {
            g_array_index(C.deferred, struct pend, k++) = *e;
            continue;
        }
        i = cached_by(e, &h, &asid);
        if (i < 0)
            continue;       /* gone: nothing more to check */
        if (pfn != PFN_NONE)
            bad = true;
        else
            bad = is_free && !(C.ro_free_ok && !h.writable &&
                               C.real->stale_read_ok(m->policy_priv, m, e->pfn));
        if (!bad) {
            g_array_index(C.deferred, struct pend, k++) = *e;
            continue;
        }
        if (m->arm64 && C.ro_free_ok && !h.writable && tlbi_in_flight(m, e->mm->id, e->vpn)) {
            C.arm64_luf_gap++;
            continue;
        }
        violation("%s: %s at %" PRIu64 " ns, cpu %d still caches mm %" PRIu32 " vpn %#" PRIx64
                  " -> pfn %" PRIu32 "%s, whose frame is %s", C.config, when, sim_now(m->eng),
                  i, e->mm->id, e->vpn, e->pfn, h.writable ? " W" : "",
                  is_free ? "free" : "allocated again");
    }
    g_array_set_size(C.deferred, k);
}

/* Whether (mm, vpn) -> pfn is still waiting in a batch or a flush. */
static bool awaited(const struct mm *mm, uint64_t vpn, uint32_t pfn)
{
    GHashTableIter it;
    gpointer key, val;

    g_hash_table_iter_init(&it, C.pending);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        GArray *l = val;

        for (guint i = 0; i < l->len; i++) {
            const struct pend *e = &g_array_index(l, struct pend, i);

            if (e->mm == mm && e->vpn == vpn && e->pfn == pfn)
                return true;
        }
    }
    for (guint i = 0; i < C.deferred->len; i++) {
        const struct pend *e = &g_array_index(C.deferred, struct pend, i);

        if (e->mm == mm && e->vpn == vpn && e->pfn == pfn)
            return true;
    }
    g_hash_table_iter_init(&it, C.waits);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        const struct wait *w = val;

        for (guint i = 0; w->check && i < w->check->len; i++) {
            const struct pend *e = &g_array_index(w->check, struct pend, i);

            if (e->mm == mm && e->vpn == vpn && e->pfn == pfn)
                return true;
        }
    }
    return false;
}

/* A PTE of mm changed by a path that has not reached its flush yet, or has
 * not told the policy yet: an mmu_gather (munmap, MADV_DONTNEED, mprotect)
 * in flight on mm, a migration entry of the frame, or a reclaimer between
 * the PTE clear and its pte_cleared call. */
static bool in_progress(const struct mm *mm, uint64_t vpn, uint32_t pfn)
{
    struct machine *m = C.m;
    pte_t *pte = mm_pte((struct mm *)mm, vpn, false);

    if (mm->tlb_flush_pending)
        return true;
    if (pte && (*pte & PTE_MIGRATION) && pte_pfn(*pte) == pfn)
        return true;
    for (uint32_t i = 0; i < m->n_tasks; i++) {
        const struct reclaim_ctx *rc = m->tasks[i]->reclaim;

        if (rc && rc->state == R_UNMAP_HOOK && rc->cur_mm == mm && rc->cur_vpn == vpn)
            return true;
    }
    return false;
}

/* End of run: every usable cached translation of every mapped address is
 * backed by its PTE, or still waits for a flush. Entries to freed frames
 * are caught here too: a free frame is mapped by no PTE. */
static void check_all_tlbs(void)
{
    struct machine *m = C.m;

    for (uint32_t id = 1; id < m->n_mms; id++) {
        struct mm *mm = m->mms[id];

        for (uint32_t v = 0; v < mm->n_vmas; v++) {
            for (uint64_t vpn = mm->vmas[v].start_vpn; vpn < mm->vmas[v].end_vpn; vpn++) {
                for (unsigned i = 0; i < m->n_cpus; i++) {
                    const struct cpu *c = &m->cpu[i];
                    uint32_t asid = switch_mm_asid_of(m, c, mm);
                    struct tlb_hit h;

                    if (asid == ASID_NONE || !tlb_probe(c->tlb, (uint16_t)asid, vpn, &h) ||
                        backed(mm, vpn, &h) || !usable(c, mm, asid, mm->tlb_gen) ||
                        awaited(mm, vpn, h.pfn) || in_progress(mm, vpn, h.pfn))
                        continue;
                    violation("%s: at the end cpu %u caches mm %" PRIu32 " vpn %#" PRIx64
                              " -> pfn %" PRIu32 " (frame state %u) that no PTE backs",
                              C.config, i, mm->id, vpn, h.pfn,
                              mem_frame(m->mem, h.pfn)->state);
                }
            }
        }
    }
}

#endif
