/* Hazard log, frame journal and the classification of stale hits: see
 * hazard.h. */
#include "models/hazard.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "models/hazard_priv.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/policy.h"
#include "models/run.h"

struct hazard_log *hazard_log_new(const struct hazard_cfg *cfg)
{
    struct hazard_log *h = g_new0(struct hazard_log, 1);

    if (cfg)
        h->cfg = *cfg;
    else
        hazard_cfg_defaults(&h->cfg);
    h->reports = g_array_new(FALSE, TRUE, sizeof(struct hazard_report));
    h->ring = g_new0(struct journal_rec, HZ_JOURNAL_SIZE);
    h->written_free = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (h->cfg.adversarial)
        h->unmapped = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    return h;
}

void hazard_log_free(struct hazard_log *h)
{
    if (!h)
        return;
    for (guint i = 0; i < h->reports->len; i++)
        g_free(g_array_index(h->reports, struct hazard_report, i).trace);
    g_array_free(h->reports, TRUE);
    g_free(h->ring);
    g_hash_table_destroy(h->written_free);
    if (h->unmapped)
        g_hash_table_destroy(h->unmapped);
    g_free(h);
}

void hazard_note(struct machine *m, enum hazard_event ev, unsigned cpu, uint32_t pfn,
                 uint32_t mm_id, uint64_t vpn)
{
    struct hazard_log *h = m->hazards;
    struct journal_rec *r = &h->ring[h->ring_next++ % HZ_JOURNAL_SIZE];

    *r = (struct journal_rec){ .t = sim_now(m->eng), .vpn = vpn, .pfn = pfn, .mm_id = mm_id,
                               .cpu = (uint16_t)cpu, .ev = (uint8_t)ev };
    if (h->unmapped)
        hz_probe_note(m, ev, pfn, mm_id, vpn);
}

void hazard_mprotect_done(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                          uint64_t n)
{
    hazard_note(m, HZ_MPROTECT_DONE, cpu, PFN_NONE, mm_id, vpn);
    if (m->hazards->unmapped)
        hz_probe_range(m, mm_id, vpn, n);
}

/* Whether frame pfn still holds the page that (mm, vpn) meant when the TLB
 * entry was filled, judged from the current PTE: a swap or migration entry
 * naming the frame's slot or pfn, a file page still caching that index, an
 * anon page still labelled with this mm and vpn and waiting to be freed. A
 * vpn now present in another frame means this frame was reused. */
static bool same_page(struct machine *m, const struct frame *f, uint32_t pfn, uint32_t mm_id,
                      uint64_t vpn, uint64_t pte_now)
{
    struct mm *mm = machine_mm(m, mm_id);
    struct vma *v;

    /* Mapped elsewhere now: reused, unless the frame is still isolated by
     * the path that took it (removed from the page cache or swap cache,
     * waiting for its flush and free), which holds the same data. */
    if (pte_now & PTE_PRESENT) {
        if (pte_pfn(pte_now) == pfn)
            return true;
        if (f->state != FRAME_ISOLATED)
            return false;
        pte_now = 0;
    }
    if (pte_now & PTE_MIGRATION)
        return pte_pfn(pte_now) == pfn;
    if (pte_now & PTE_SWAP)
        return (f->flags & FRAME_SWAPCACHE) && f->index == (uint32_t)pte_pfn(pte_now);
    v = mm_find_vma(mm, vpn);
    if (v && v->is_file)
        return !(f->flags & FRAME_ANON) && f->owner == v->file_id &&
               f->index == (uint32_t)(v->file_pgoff + vpn - v->start_vpn);
    /* Anon: still this mm's page; in the swap cache its index is the slot
     * (a zap may have removed the swap entry that named it). */
    return (f->flags & FRAME_ANON) && f->owner == mm_id &&
           ((f->flags & FRAME_SWAPCACHE) || f->index == (uint32_t)vpn);
}

/* What a stale hit did, per the checker invariant of policy-semantics.md
 * §7: a store may not land in a page that was freed, reused, cleaned for
 * I/O, write-protected by a returned mprotect or being copied by a
 * migration; a load may not read a page that was freed or reused. -1 when
 * the frame still holds the page and nothing has happened to it that the
 * store could break (a race with a kernel path still in progress). */
static int classify(struct machine *m, const struct frame *f, uint32_t pfn, uint32_t mm_id,
                    uint64_t vpn, enum tlb_access kind, uint64_t pte_now)
{
    bool store = kind == TLB_STORE;

    if (f->state == FRAME_FREE || f->state == FRAME_PCP)
        return store ? HC_LOST_WRITE : HC_STALE_READ_FREED;
    if (!same_page(m, f, pfn, mm_id, vpn, pte_now))
        return store ? HC_STALE_WRITE_REALLOCATED : HC_STALE_READ_REALLOCATED;
    if (!store)
        return -1;
    if (pte_now & PTE_MPROTECTED)
        return HC_WRITE_AFTER_MPROTECT;
    if (f->flags & FRAME_COPYING)
        return HC_WRITE_AFTER_MIGRATION_COPY;
    /* An anon page whose PTE a zap removed (MADV_DONTNEED, munmap still in
     * progress) holds discarded data: a store racing with the call is lost
     * by its definition, whatever reclaim does with the frame meanwhile. */
    if ((f->flags & FRAME_ANON) && !(pte_now & (PTE_PRESENT | PTE_SWAP | PTE_MIGRATION)))
        return -1;
    if (f->flags & FRAME_WRITEBACK)
        return HC_LOST_WRITE;       /* H-a: the I/O has the old content */
    if (!(f->flags & FRAME_DIRTY))
        return HC_LOST_WRITE;       /* cleaned for I/O: this store is never written */
    return -1;
}

/* LUF's exception to the checker invariant (policy-semantics.md §6 (vi) and
 * §7): a load through a stale read-only entry of a free page reads what the
 * page held when it was unmapped, which is still right while (a) the page
 * has not been handed to a new owner, (b) its content has not changed since
 * (no store through another stale entry), (c) the VA has not become
 * writable since (its data may have changed in a new frame), and the policy
 * still has a flush pending that covers the frame (it will run before the
 * frame is allocated). Anything else stays a hazard. */
static bool luf_read_ok(struct machine *m, unsigned cpu, uint64_t vpn, uint32_t pfn,
                        const struct frame *f, enum tlb_access kind, uint64_t pte_now)
{
    const struct cpu *c = &m->cpu[cpu];
    struct tlb_hit hit;
    gpointer v;

    if (kind == TLB_STORE || !m->policy || !m->policy->stale_read_ok)
        return false;
    /* (a); a frame just taken off a free list whose allocation waits for
     * this very flush (LUF flushes in prep_new_page, before the caller
     * gets the page) is still untouched: the policy's pending check below
     * tells. */
    if (f->state != FRAME_FREE && f->state != FRAME_PCP && f->state != FRAME_ALLOCATED)
        return false;
    if (g_hash_table_lookup_extended(m->hazards->written_free, GUINT_TO_POINTER(pfn), NULL, &v)
        && GPOINTER_TO_UINT(v) == f->version)
        return false;                                           /* (b) */
    if ((pte_now & PTE_PRESENT) && (pte_now & PTE_WRITE))
        return false;                                           /* (c) */
    if (!tlb_probe(c->tlb, c->loaded_asid, vpn, &hit) || hit.writable)
        return false;                                           /* read-only entries only */
    return m->policy->stale_read_ok(m->policy_priv, m, pfn);
}

void hazard_stale_hit(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                      uint32_t pfn, enum tlb_access kind, uint64_t pte_now)
{
    hazard_stale_hit_at(m, sim_now(m->eng), cpu, mm_id, vpn, pfn, kind, pte_now);
}

static void keep_witness(struct hazard_log *h, struct machine *m, enum hazard_class cls,
                         sim_time_t when, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                         uint32_t pfn, enum tlb_access kind, uint64_t pte_now)
{
    const struct frame *f = mem_frame(m->mem, pfn);
    struct hazard_report r = { 0 };
    GString *last = g_string_new(NULL);

    /* One witness per stale entry and class: repeats of the same race
     * would teach nothing new. */
    for (guint i = 0; i < h->reports->len; i++) {
        const struct hazard_report *o = &g_array_index(h->reports, struct hazard_report, i);

        if (o->cpu == cpu && o->vpn == vpn && o->pfn == pfn && o->mm_id == mm_id &&
            strcmp(o->kind, hazard_class_name(cls)) == 0) {
            g_string_free(last, TRUE);
            return;
        }
    }
    g_strlcpy(r.kind, hazard_class_name(cls), sizeof(r.kind));
    r.time_ns = when;
    r.cpu = cpu;
    r.mm_id = mm_id;
    r.vpn = vpn;
    r.pfn = pfn;
    g_string_append_printf(last, "%" PRIu64 " ns: cpu %u: %s through the stale TLB entry mm %"
                           PRIu32 " vpn %#" PRIx64 " -> pfn %" PRIu32 " (PTE now %#" PRIx64
                           ", ", when, cpu, kind == TLB_STORE ? "store" : "load", mm_id, vpn,
                           pfn, pte_now);
    hz_describe_frame(last, f);
    g_string_append_printf(last, "): %s", r.kind);
    r.trace = hz_witness(h, cpu, pfn, mm_id, vpn, last->str);
    g_string_free(last, TRUE);
    g_array_append_val(h->reports, r);
    h->kept[cls]++;
}

void hazard_stale_hit_at(struct machine *m, sim_time_t when, unsigned cpu, uint32_t mm_id,
                         uint64_t vpn, uint32_t pfn, enum tlb_access kind, uint64_t pte_now)
{
    struct hazard_log *h = m->hazards;
    const struct frame *f = mem_frame(m->mem, pfn);
    int cls = classify(m, f, pfn, mm_id, vpn, kind, pte_now);

    stats_add(m->st, m->ctr.app_stale_hits, cpu, 1);
    /* A store changes a free page's content (app.c bumps the version after
     * this call): later loads of it are no longer covered by LUF. */
    if (kind == TLB_STORE && (f->state == FRAME_FREE || f->state == FRAME_PCP))
        g_hash_table_insert(h->written_free, GUINT_TO_POINTER(pfn),
                            GUINT_TO_POINTER(f->version + 1));
    if (cls >= 0 && luf_read_ok(m, cpu, vpn, pfn, f, kind, pte_now))
        cls = -1;
    if (cls < 0)
        return;
    h->found++;
    h->by_class[cls]++;
    stats_add(m->st, m->ctr.hazards_found, cpu, 1);
    if (h->kept[cls] < h->cfg.witnesses)
        keep_witness(h, m, (enum hazard_class)cls, when, cpu, mm_id, vpn, pfn, kind, pte_now);
}

uint64_t hazard_count(const struct hazard_log *h)
{
    return h->found;
}

uint64_t hazard_class_count(const struct hazard_log *h, enum hazard_class c)
{
    return c < HC_NR ? h->by_class[c] : 0;
}

void hazard_log_export(struct hazard_log *h, struct run_output *out)
{
    out->n_hazard = h->reports->len;
    out->hazard = (struct hazard_report *)(void *)g_array_free(h->reports, FALSE);
    h->reports = g_array_new(FALSE, TRUE, sizeof(struct hazard_report));
    out->hazards_found = h->found;
    memcpy(out->hazard_by_class, h->by_class, sizeof(h->by_class));
}
