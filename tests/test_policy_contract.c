/* The contract every flush policy must keep (models/policy.h,
 * policy-semantics.md §3 (vi) and §7), checked on every policy of the
 * registry: a policy added to policies.def is covered without a line here.
 *
 * Each policy runs the scenarios of tests/data/good/contract-*.yaml (reclaim
 * by kswapd and direct reclaim with writers on other CPUs, MADV_PAGEOUT,
 * mprotect and migrate_pages loops) with its parameters at their defaults,
 * and again with dirty_rule off when it has one. The policy is wrapped: the
 * wrapper forwards every hook and records each PTE a policy was told about;
 * when a flush hook has completed (at once, or when the blocked task
 * resumes) it checks that
 *   - after flush_pending (before free, end of pass, before copy): no TLB
 *     can still use a translation of any PTE the task cleared before it;
 *   - after flush_dirty, with the dirty rule on: the same for the PTEs that
 *     were dirty (the I/O of those folios starts next);
 *   - after flush_tlb_batched_pending on an mm: the same for every PTE of
 *     that mm any task had cleared before the call;
 * where "can use" means cached on a CPU that runs the mm (not lazy), or in
 * an ASID slot whose generation will not force a flush when the CPU
 * switches back (§1 (vi) (b), (c)). At the end of the run: no TLB holds a
 * usable entry that the page table no longer backs (a freed or reused frame,
 * or a PTE that changed) except pages still waiting in a batch; only CPUs
 * that were in some mm_cpumask received a shootdown interrupt; every flush
 * that blocked resumed its task exactly once; hazards_found is 0 unless the
 * dirty rule is off. Two kinds of policy keep a weaker rule, recognised by
 * the hooks they have, not by name:
 *   - one that frees frames late itself (defer_free: LATR) may leave the
 *     translations of freed folios cached past flush_pending, but not past
 *     the frame's release: once the frame is free or reused, no usable
 *     entry may remain;
 *   - one that vouches for stale loads of free frames (stale_read_ok: LUF)
 *     may leave read-only translations cached past flush_pending while the
 *     frame is free and the policy vouches for it; its page_alloc hook must
 *     have removed them when it returns (or its task resumes).
 * Such deferred translations are re-checked every few hooks and at the end.
 * arm64 LUF (v10) defers only the DSB and runs it on the CPU that needs the
 * flush, while a DSB completes only its own CPU's TLBIs: a read-only entry
 * whose TLBI another CPU issued and has not yet completed with a DSB of its
 * own outlives the deferred flush (policy-semantics.md §6 (v), "verify
 * before modelling arm64 LUF as safe"). Such entries are counted as that
 * gap, not as violations, and the LUF test asserts the model finds it. */
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

static const char *const scenarios[] = {
    "tests/data/good/contract-x86-8c.yaml",
    "tests/data/good/contract-arm64-8c.yaml",
};

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
    GArray *deferred;       /* struct pend: checked later (see above) */
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

static GArray *task_pending(struct task *t)
{
    GArray *l = g_hash_table_lookup(C.pending, t);

    if (!l) {
        l = g_array_new(FALSE, FALSE, sizeof(struct pend));
        g_hash_table_insert(C.pending, t, l);
    }
    return l;
}

/* Moves t's recorded PTEs (only the dirty ones when only_dirty) out. */
static GArray *take(struct task *t, bool only_dirty)
{
    GArray *l = task_pending(t), *out = g_array_new(FALSE, FALSE, sizeof(struct pend));
    guint k = 0;

    for (guint i = 0; i < l->len; i++) {
        struct pend *e = &g_array_index(l, struct pend, i);

        if (!only_dirty || e->dirty)
            g_array_append_val(out, *e);
        else
            g_array_index(l, struct pend, k++) = *e;
    }
    g_array_set_size(l, k);
    return out;
}

/* Copies the recorded PTEs of mm that wait in a batch: not those of a
 * task blocked in a flush, which may be on their way out (the kernel's PTL
 * would keep the caller out until that flush is done; the model has none). */
static GArray *copy_mm(const struct mm *mm)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct pend));
    GHashTableIter it;
    gpointer key, val;

    g_hash_table_iter_init(&it, C.pending);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        GArray *l = val;

        if (g_hash_table_contains(C.waits, key))
            continue;
        for (guint i = 0; i < l->len; i++)
            if (g_array_index(l, struct pend, i).mm == mm)
                g_array_append_val(out, g_array_index(l, struct pend, i));
    }
    return out;
}

static void wait_free(gpointer p)
{
    struct wait *w = p;

    if (w->check)
        g_array_free(w->check, TRUE);
    g_free(w);
}

static void resume(struct task *t);

/* The hook blocked t: check `check` when t runs again. */
static void arm(struct task *t, GArray *check, const char *hook, bool deferrable,
                uint32_t alloc_pfn)
{
    struct wait *w = g_new0(struct wait, 1);

    C.blocked++;
    if (g_hash_table_contains(C.waits, t))
        violation("%s: %s blocked task %s while it was already blocked", C.config, hook, t->name);
    w->run = t->run;
    w->check = check;
    w->hook = hook;
    w->deferrable = deferrable;
    w->alloc_pfn = alloc_pfn;
    g_hash_table_replace(C.waits, t, w);
    t->run = resume;
}

static void resume(struct task *t)
{
    struct wait *w = g_hash_table_lookup(C.waits, t);
    task_run_fn *run;

    C.resumed++;
    if (!w) {
        violation("%s: task %s resumed with no flush pending", C.config, t->name);
        return;
    }
    if (t->blocked || t->step_ev)
        violation("%s: task %s resumed after %s while still waiting", C.config, t->name,
                  w->hook);
    note_masks();
    check_list(w->check, w->hook, w->deferrable);
    if (w->alloc_pfn != PFN_NONE)
        check_deferred(w->alloc_pfn, "after page_alloc");
    run = w->run;
    g_hash_table_remove(C.waits, t);
    t->run = run;
    run(t);
}

/* The hook did not block: its flush (if any) is complete now. */
static void done_now(GArray *check, const char *hook, bool deferrable)
{
    check_list(check, hook, deferrable);
    if (check)
        g_array_free(check, TRUE);
}

static void w_attach(void *priv, struct machine *m)
{
    C.m = m;
    C.in_mask = g_new0(bool, m->n_cpus);
    if (C.real->attach)
        C.real->attach(priv, m);
}

static bool w_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn, pte_t old,
                          sim_time_t *cost_ns)
{
    bool r;

    note_masks();
    r = C.real->pte_cleared(priv, t, mm, vpn, old, cost_ns);
    if (pte_present(old)) {
        struct pend e = { .mm = mm, .vpn = vpn, .pfn = (uint32_t)pte_pfn(old),
                          .gen = mm->tlb_gen, .dirty = (old & PTE_DIRTY) != 0 };

        g_array_append_val(task_pending(t), e);
    }
    if (r)
        arm(t, NULL, "pte_cleared", false, PFN_NONE);
    return r;
}

static bool w_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    bool r;
    GArray *check;

    note_masks();
    r = C.real->flush_dirty(priv, t, cost_ns);
    check = C.dirty_rule ? take(t, true) : NULL;
    if (r)
        arm(t, check, "flush_dirty", false, PFN_NONE);
    else
        done_now(check, "flush_dirty", false);
    return r;
}

static bool w_flush_pending(void *priv, struct task *t, enum flush_point why, sim_time_t *cost_ns)
{
    static const char *const name[] = {
        [FLUSH_BEFORE_FREE] = "flush_pending(before free)",
        [FLUSH_END_OF_PASS] = "flush_pending(end of pass)",
        [FLUSH_BEFORE_COPY] = "flush_pending(before copy)",
    };
    bool r, deferrable = why != FLUSH_BEFORE_COPY;   /* the copy must not race (S4) */
    GArray *check;

    note_masks();
    r = C.real->flush_pending(priv, t, why, cost_ns);
    check = take(t, false);
    if (r)
        arm(t, check, name[why], deferrable, PFN_NONE);
    else
        done_now(check, name[why], deferrable);
    return r;
}

static bool w_batched_pending(void *priv, struct task *t, struct mm *mm, sim_time_t *cost_ns)
{
    GArray *check = copy_mm(mm);
    bool r;

    note_masks();
    r = C.real->batched_pending ? C.real->batched_pending(priv, t, mm, cost_ns)
                                : policy_default_batched_pending(C.m, t, mm, cost_ns);
    if (r)
        arm(t, check, "batched_pending", false, PFN_NONE);
    else
        done_now(check, "batched_pending", false);
    return r;
}

/* A frame leaves the free lists: the read-only translations a LUF-style
 * policy left to it must be gone once the hook is done. */
static bool w_page_alloc(void *priv, struct task *t, uint32_t pfn, sim_time_t *cost_ns)
{
    bool r;

    note_masks();
    r = C.real->page_alloc(priv, t, pfn, cost_ns);
    if (r)
        arm(t, NULL, "page_alloc", false, pfn);
    else
        check_deferred(pfn, "after page_alloc");
    return r;
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

/* Called by run_execute before the machine is freed. */
static void w_report(const void *priv, struct machine *m)
{
    stats_id ipi;

    note_masks();
    check_deferred(PFN_NONE, "at the end");
    check_all_tlbs();
    assert_true(stats_find(m->st, "ipi_received", &ipi));
    for (unsigned i = 0; i < m->n_cpus; i++)
        if (stats_cpu(m->st, ipi, i) && !C.in_mask[i])
            C.ipi_outside += stats_cpu(m->st, ipi, i);
    if (C.real->report)
        C.real->report(priv, m);
}

static void pending_free(gpointer p)
{
    g_array_free(p, TRUE);
}

static bool has_param(const struct flush_policy_ops *p, const char *name)
{
    for (const struct policy_param *q = p->params; q && q->name; q++)
        if (strcmp(q->name, name) == 0)
            return true;
    return false;
}

static uint64_t counter(const struct run_output *out, const char *name)
{
    stats_id id;

    assert_true(stats_find(out->st, name, &id));
    return stats_total(out->st, id);
}

/* One run of `path` under policy p (dirty_rule as given when p has it). */
static uint64_t run_contract(const char *path, const struct flush_policy_ops *p, bool dirty_rule)
{
    char set_name[64], set_rule[64], config[160];
    const char *sets[] = { set_name, set_rule };
    bool rule_param = has_param(p, "dirty_rule");
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    char errbuf[256] = "";
    uint64_t hazards, flushes;

    snprintf(set_name, sizeof(set_name), "policy.name=%s", p->name);
    snprintf(set_rule, sizeof(set_rule), "policy.dirty_rule=%s", dirty_rule ? "on" : "off");
    snprintf(config, sizeof(config), "%s%s on %s", p->name,
             rule_param ? (dirty_rule ? " (dirty_rule on)" : " (dirty_rule off)") : "", path);
    if (run_load(path, sets, rule_param ? 2 : 1, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        fail_msg("%s: does not load", config);
    }
    memset(&C, 0, sizeof(C));
    C.real = sc->policy;
    C.wrap = *sc->policy;
    C.wrap.attach = w_attach;
    C.wrap.pte_cleared = w_pte_cleared;
    C.wrap.flush_dirty = w_flush_dirty;
    C.wrap.flush_pending = w_flush_pending;
    C.wrap.batched_pending = w_batched_pending;
    C.wrap.report = w_report;
    if (C.real->page_alloc)
        C.wrap.page_alloc = w_page_alloc;
    C.lazy_free = C.real->defer_free != NULL;
    C.ro_free_ok = C.real->stale_read_ok != NULL;
    C.deferred = g_array_new(FALSE, FALSE, sizeof(struct pend));
    C.config = config;
    C.dirty_rule = !rule_param || dirty_rule;
    C.pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
    C.waits = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, wait_free);
    sc->policy = &C.wrap;

    if (run_execute(sc, &out, errbuf, sizeof(errbuf)))
        fail_msg("%s: run failed: %s", config, errbuf);
    hazards = counter(&out, "hazards_found");
    flushes = counter(&out, "nr_tlb_remote_flush") + counter(&out, "dsb_ish");
    print_message("%-60s %6" PRIu64 " checks, %5" PRIu64 " blocking flushes, %6" PRIu64
                  " IPIs, %6" PRIu64 " DSB/TLBSYNC, %" PRIu64 " hazards\n", config, C.checked,
                  C.blocked, counter(&out, "ipi_received"), counter(&out, "dsb_ish"), hazards);
    if (C.arm64_luf_gap)
        print_message("%-60s %6" PRIu64 " read-only entries outlived the deferred DSB (their "
                      "TLBI still in flight on the unmapping CPU)\n", config, C.arm64_luf_gap);
    if (C.violations)
        fail_msg("%" PRIu64 " contract violations; first: %s", C.violations, C.first);
    /* Every blocked task resumed once; at most one flush per task was still
     * in flight when the run stopped. */
    assert_true(C.resumed + g_hash_table_size(C.waits) == C.blocked);
    assert_true(C.checked > 0);
    assert_true(flushes > 0);
    if (C.ipi_outside)
        fail_msg("%s: %" PRIu64 " shootdown interrupts on CPUs in no mm_cpumask", config,
                 C.ipi_outside);
    if (C.dirty_rule && hazards)
        fail_msg("%s: %" PRIu64 " hazards with the dirty rule on", config, hazards);

    g_hash_table_destroy(C.pending);
    g_hash_table_destroy(C.waits);
    g_array_free(C.deferred, TRUE);
    g_free(C.in_mask);
    run_output_destroy(&out);
    sc->policy = C.real;
    run_scenario_free(sc);
    return C.arm64_luf_gap;
}

/* One test per registered policy: both scenarios, with dirty_rule on and,
 * when the policy has the parameter, off. */
static void test_policy_contract(void **state)
{
    const struct flush_policy_ops *p = *state;
    uint64_t gap = 0;

    for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
        gap += run_contract(scenarios[s], p, true);
        if (has_param(p, "dirty_rule"))
            gap += run_contract(scenarios[s], p, false);
    }
    /* LUF v10 on arm64 (see the file comment): the model must show the gap */
    if (p->stale_read_ok)
        assert_true(gap > 0);
}

int main(void)
{
    size_t n = policy_count();
    struct CMUnitTest *tests = g_new0(struct CMUnitTest, n);
    char **names = g_new0(char *, n);
    int rc;

    for (size_t i = 0; i < n; i++) {
        names[i] = g_strdup_printf("contract: %s", policy_at(i)->name);
        tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = test_policy_contract,
                                        .initial_state = (void *)(uintptr_t)policy_at(i) };
    }
    rc = _cmocka_run_group_tests("policy contract", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        g_free(names[i]);
    g_free(names);
    g_free(tests);
    return rc;
}
