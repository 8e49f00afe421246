/* Page migration: see migrate.h. Costs: rmap_unmap_ns per mapping cleared
 * or restored, page_alloc_ns per new frame, page_copy_ns plus
 * page_copy_remote_extra_ns per distance step between the nodes, and
 * page_free_ns per old frame. */
#include "models/migrate.h"

#include <glib.h>

#include "models/alloc.h"
#include "models/bug.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/reclaim_page.h"
#include "models/spinlock.h"

enum gstate { G_UNMAP, G_UNMAP_HOOK, G_FLUSH, G_COPY, G_COPY_DONE, G_DONE };

struct migrated_pte {
    uint32_t mm_id;
    uint32_t folio;          /* index into src[] */
    uint64_t vpn;
    pte_t old;
};

struct migrate_ctx {
    enum gstate state;
    enum migrate_reason why;
    unsigned target;
    task_run_fn *done;
    pfn_t src[MIGRATE_BATCH];
    uint32_t n, i, moved;
    GArray *ptes;            /* struct migrated_pte, in unmap order */
    struct mm *cur_mm;
    uint64_t cur_vpn;
    pte_t cur_old;
    /* migrate_folio_unmap gets the new folio before unmapping the old:
     * dst[k] for folio k, PFN_NONE when none could be had (the folio is
     * put back, never unmapped); folios [0, n_dst) have been tried. */
    pfn_t dst[MIGRATE_BATCH];
    uint32_t n_dst;
    pfn_t failed[MIGRATE_BATCH];     /* MR_DEMOTION folios without a frame */
    uint32_t n_failed;
};

static void migrate_run(struct task *t);

void migrate_ctx_free(struct migrate_ctx *c)
{
    if (!c)
        return;
    g_array_free(c->ptes, TRUE);
    g_free(c);
}

uint32_t migrate_last_moved(const struct task *t)
{
    return t->migrate ? t->migrate->moved : 0;
}

uint32_t migrate_take_failed(struct task *t, pfn_t *out)
{
    struct migrate_ctx *c = t->migrate;
    uint32_t n = c ? c->n_failed : 0;

    for (uint32_t k = 0; k < n; k++)
        out[k] = c->failed[k];
    if (c)
        c->n_failed = 0;
    return n;
}

void migrate_list_start(struct task *t, const pfn_t *pfns, uint32_t n, unsigned target_node,
                        enum migrate_reason why, task_run_fn *done)
{
    struct migrate_ctx *c = t->migrate;

    BUG_ON(n > MIGRATE_BATCH, "migration batch of %u folios", n);
    if (!c) {
        c = t->migrate = g_new0(struct migrate_ctx, 1);
        c->ptes = g_array_new(FALSE, FALSE, sizeof(struct migrated_pte));
    }
    for (uint32_t k = 0; k < n; k++)
        c->src[k] = pfns[k];
    c->n = n;
    c->i = c->moved = 0;
    c->why = why;
    c->target = target_node;
    c->done = done;
    c->state = G_UNMAP;
    c->n_dst = c->n_failed = 0;
    g_array_set_size(c->ptes, 0);
    t->in_user = false;
    t->run = migrate_run;
    migrate_run(t);
}

/* try_to_migrate_one for the folio's first remaining mapping. */
static sim_time_t unmap_one(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;
    pfn_t pfn = c->src[c->i];
    const struct rmap_entry *e = mem_rmap_entry(m->mem, mem_frame(m->mem, pfn)->rmap);
    struct mm *mm = machine_mm(m, e->mm_id);
    struct migrated_pte r = { .mm_id = mm->id, .folio = c->i, .vpn = e->vpn };
    pte_t *pte;

    machine_sync_mm(m, mm);
    pte = mm_pte(mm, r.vpn, false);
    r.old = *pte;
    *pte = pte_make(pfn, PTE_MIGRATION | (r.old & (PTE_WRITE | PTE_DIRTY)));
    if (r.old & PTE_DIRTY)
        mem_frame(m->mem, pfn)->flags |= FRAME_DIRTY;
    mem_rmap_remove(m->mem, pfn, mm->id, r.vpn);
    hazard_note(m, HZ_UNMAP, t->cpu, pfn, mm->id, r.vpn);
    g_array_append_val(c->ptes, r);
    c->cur_mm = mm;
    c->cur_vpn = r.vpn;
    c->cur_old = r.old;
    return m->cfg->cost.rmap_unmap_ns;
}

/* Restores the folio's migration entries to `to` (the new frame, or the
 * old one when no frame could be had). Returns the time. */
static sim_time_t remap(struct machine *m, struct migrate_ctx *c, uint32_t folio, pfn_t to)
{
    sim_time_t cost = 0;

    for (guint k = 0; k < c->ptes->len; k++) {
        struct migrated_pte *r = &g_array_index(c->ptes, struct migrated_pte, k);
        struct mm *mm;
        pte_t *pte;

        if (r->folio != folio)
            continue;
        mm = machine_mm(m, r->mm_id);
        pte = mm_pte(mm, r->vpn, false);
        if (!pte || !(*pte & PTE_MIGRATION))
            continue;       /* zapped meanwhile */
        /* remove_migration_pte: old flags, not young (the copy was not an access) */
        *pte = pte_make(to, PTE_PRESENT | (r->old & (PTE_WRITE | PTE_DIRTY)));
        mem_rmap_add(m->mem, to, mm->id, r->vpn);
        hazard_note(m, HZ_MAP, 0, to, mm->id, r->vpn);
        cost += m->cfg->cost.rmap_unmap_ns;
    }
    return cost;
}

static void copy_frame(struct machine *m, pfn_t from, pfn_t to)
{
    struct frame *s = mem_frame(m->mem, from), *d = mem_frame(m->mem, to);

    d->flags = s->flags & (uint16_t)~FRAME_LOCKED;
    d->owner = s->owner;
    d->index = s->index;
    d->version = s->version;
    d->lru = s->lru;
    if (s->flags & FRAME_ANON) {
        if (s->flags & FRAME_SWAPCACHE)
            pagecache_insert(m->pc, SWAP_FILE_ID, s->index, to);
    } else {
        pagecache_insert(m->pc, s->owner, s->index, to);
    }
}

static sim_time_t putback(struct task *t, pfn_t pfn, sim_time_t cost)
{
    struct machine *m = t->m;
    struct frame *f = mem_frame(m->mem, pfn);

    f->flags &= (uint16_t)~FRAME_LOCKED;
    mem_lru_add(m->mem, pfn, lru_list_of(f, f->lru == LRU_ACTIVE_ANON || f->lru == LRU_ACTIVE_FILE));
    return spinlock_irq_section(m, &m->lru_lock[mem_pfn_node(m->mem, pfn)], t->cpu, cost,
                                m->cfg->cost.lru_move_ns);
}

static void count_moved(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;

    stats_add(m->st, m->ctr.pgmigrate_success, t->cpu, 1);
    if (c->why == MR_DEMOTION)
        stats_add(m->st, t->kind == TASK_KSWAPD ? m->ctr.pgdemote_kswapd : m->ctr.pgdemote_direct,
                  t->cpu, 1);
    else if (c->why == MR_NUMA_MISPLACED)
        stats_add(m->st, m->ctr.pgpromote_success, t->cpu, 1);
    c->moved++;
}

/* The new frame of folio c->i (alloc_migration_target, alloc_demote_folio):
 * PFN_NONE when the target node has none, or (except for migrate_pages(2))
 * only below its min watermark. Both allocate with __GFP_KSWAPD_RECLAIM: a
 * target below its low watermark wakes its kswapd (the CPU-less tier's
 * too). */
static pfn_t alloc_dst(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;
    pfn_t to = mem_alloc(m->mem, c->target, t->cpu);

    if (to != PFN_NONE)
        hazard_note(m, HZ_ALLOC, t->cpu, to, 0, 0);

    if (mem_node_free(m->mem, c->target) < mem_wmark(m->mem, c->target, WMARK_LOW))
        alloc_wake_kswapd(m, c->target);
    if (to != PFN_NONE && c->why != MR_SYSCALL &&
        mem_node_free(m->mem, c->target) < mem_wmark(m->mem, c->target, WMARK_MIN)) {
        hazard_note(m, HZ_FREE, t->cpu, to, 0, 0);
        mem_free(m->mem, to, t->cpu);
        to = PFN_NONE;
    }
    return to;
}

/* move_to_new_folio, first half: the copy of folio c->i starts (the source
 * is read for the copy's duration; a store through a stale entry now is
 * lost, H-c6). Returns the copy's time. */
static sim_time_t copy_start(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;
    pfn_t from = c->src[c->i];
    unsigned src_node = mem_pfn_node(m->mem, from);

    mem_frame(m->mem, from)->flags |= FRAME_COPYING;
    hazard_note(m, HZ_COPY, t->cpu, from, 0, 0);
    return m->cfg->cost.page_alloc_ns + m->cfg->cost.page_copy_ns +
           machine_remote_extra(m, src_node, c->target, m->cfg->cost.page_copy_remote_extra_ns);
}

/* The copy is done: the new frame takes the content, remove_migration_ptes
 * maps it, the source is freed. */
static sim_time_t copy_done(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;
    pfn_t from = c->src[c->i], to = c->dst[c->i];
    sim_time_t cost;

    mem_frame(m->mem, from)->flags &= (uint16_t)~FRAME_COPYING;
    copy_frame(m, from, to);
    cost = remap(m, c, c->i, to);
    mem_frame(m->mem, from)->flags = 0;
    hazard_note(m, HZ_FREE, t->cpu, from, 0, 0);
    mem_free(m->mem, from, t->cpu);
    stats_add(m->st, m->ctr.pgfree, t->cpu, 1);
    count_moved(t, c);
    return putback(t, to, cost + m->cfg->cost.page_free_ns);
}

static bool migrate_advance(struct task *t, struct migrate_ctx *c)
{
    struct machine *m = t->m;
    sim_time_t cost = 0;

    switch (c->state) {
    case G_UNMAP:
        if (c->i == c->n) {
            c->i = 0;
            c->state = G_FLUSH;
            return false;
        }
        if (c->n_dst == c->i) {
            /* First the new frame; a flush its allocation needs (LUF)
             * comes before the unmap. Without one the folio stays mapped. */
            c->dst[c->i] = alloc_dst(t, c);
            c->n_dst++;
            if (c->dst[c->i] == PFN_NONE) {
                if (c->why == MR_DEMOTION) {
                    c->failed[c->n_failed++] = c->src[c->i++];
                    return false;
                }
                cost = putback(t, c->src[c->i], 0);
                c->i++;
                cpu_step(t, cost ? cost : 1, CT_MIGRATION);
                return true;
            }
            if (m->policy->page_alloc &&
                m->policy->page_alloc(m->policy_priv, t, c->dst[c->i], &cost))
                return true;    /* back here with the frame */
            if (cost) {
                cpu_step(t, cost, CT_MIGRATION);
                return true;
            }
        }
        if (c->dst[c->i] == PFN_NONE ||
            mem_frame(m->mem, c->src[c->i])->rmap == RMAP_NONE) {
            c->i++;
            return false;
        }
        cost = unmap_one(t, c);
        c->state = G_UNMAP_HOOK;
        cpu_step(t, cost, CT_MIGRATION);
        return true;
    case G_UNMAP_HOOK:
        c->state = G_UNMAP;
        if (!pte_accessible(c->cur_mm, c->cur_old))
            return false;       /* PROT_NONE (NUMA hinting): nothing cached */
        return m->policy->pte_cleared(m->policy_priv, t, c->cur_mm, c->cur_vpn, c->cur_old, &cost)
               || (cost && (cpu_step(t, cost, CT_MIGRATION), true));
    case G_FLUSH:
        c->state = G_COPY;
        return m->policy->flush_pending(m->policy_priv, t, FLUSH_BEFORE_COPY, &cost)
               || (cost && (cpu_step(t, cost, CT_MIGRATION), true));
    case G_COPY:
        if (c->i == c->n) {
            c->state = G_DONE;
            return false;
        }
        if (c->dst[c->i] == PFN_NONE) {
            c->i++;             /* put back unmapped in G_UNMAP */
            return false;
        }
        if (mem_frame(m->mem, c->src[c->i])->flags & FRAME_GATHERED) {
            /* a zap's gather holds it (folio_migrate_mapping's refcount
             * check fails): the new frame goes back, the folio stays */
            hazard_note(m, HZ_FREE, t->cpu, c->dst[c->i], 0, 0);
            mem_free(m->mem, c->dst[c->i], t->cpu);
            cost = putback(t, c->src[c->i], m->cfg->cost.page_free_ns);
            c->i++;
            cpu_step(t, cost, CT_MIGRATION);
            return true;
        }
        cost = copy_start(t, c);
        c->state = G_COPY_DONE;
        cpu_step(t, cost, CT_MIGRATION);
        return true;
    case G_COPY_DONE:
        cost = copy_done(t, c);
        c->i++;
        c->state = G_COPY;
        cpu_step(t, cost, CT_MIGRATION);
        return true;
    case G_DONE:
        break;
    }
    return false;
}

static void migrate_run(struct task *t)
{
    struct migrate_ctx *c = t->migrate;

    if (t->m->failure)
        return;
    t->run = migrate_run;
    while (c->state != G_DONE) {
        if (migrate_advance(t, c))
            return;
    }
    t->run = c->done;
    t->run(t);
}
