/* Hazard log and frame journal: see hazard.h. */
#include "models/hazard.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "models/machine.h"
#include "models/mm.h"
#include "models/policy.h"
#include "models/run.h"

#define JOURNAL_SIZE (1u << 16)     /* recent frame events kept for traces */
#define TRACE_MAX_LINES 24

struct journal_rec {
    sim_time_t t;
    uint64_t vpn;
    uint32_t pfn, mm_id;
    uint16_t cpu;
    uint8_t ev;
};

struct hazard_log {
    GArray *reports;        /* struct hazard_report */
    uint32_t max_reports;
    uint64_t found;
    struct journal_rec *ring;
    uint64_t ring_next;     /* records written so far */
    GHashTable *written_free;   /* pfn -> its version after a store while free */
};

static const char *const ev_names[] = {
    [HZ_MAP] = "mapped", [HZ_UNMAP] = "PTE cleared (flush deferred or pending)",
    [HZ_WRITEBACK] = "writeback started (page cleaned for I/O)",
    [HZ_WRITEBACK_DONE] = "writeback completed", [HZ_FREE] = "freed",
    [HZ_ALLOC] = "allocated", [HZ_FLUSH] = "flushed its TLB",
};

struct hazard_log *hazard_log_new(uint32_t max_reports)
{
    struct hazard_log *h = g_new0(struct hazard_log, 1);

    h->reports = g_array_new(FALSE, TRUE, sizeof(struct hazard_report));
    h->max_reports = max_reports;
    h->ring = g_new0(struct journal_rec, JOURNAL_SIZE);
    h->written_free = g_hash_table_new(g_direct_hash, g_direct_equal);
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
    g_free(h);
}

void hazard_note(struct machine *m, enum hazard_event ev, unsigned cpu, uint32_t pfn,
                 uint32_t mm_id, uint64_t vpn)
{
    struct hazard_log *h = m->hazards;
    struct journal_rec *r = &h->ring[h->ring_next++ % JOURNAL_SIZE];

    *r = (struct journal_rec){ .t = sim_now(m->eng), .vpn = vpn, .pfn = pfn, .mm_id = mm_id,
                               .cpu = (uint16_t)cpu, .ev = (uint8_t)ev };
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

    if (pte_now & PTE_PRESENT)
        return pte_pfn(pte_now) == pfn;
    if (pte_now & PTE_MIGRATION)
        return pte_pfn(pte_now) == pfn;
    if (pte_now & PTE_SWAP)
        return (f->flags & FRAME_SWAPCACHE) && f->index == (uint32_t)pte_pfn(pte_now);
    v = mm_find_vma(mm, vpn);
    if (v && v->is_file)
        return !(f->flags & FRAME_ANON) && f->owner == v->file_id &&
               f->index == (uint32_t)(v->file_pgoff + vpn - v->start_vpn);
    return (f->flags & FRAME_ANON) && !(f->flags & FRAME_SWAPCACHE) && f->owner == mm_id &&
           f->index == (uint32_t)vpn;
}

/* What a stale hit did, per the checker invariant of policy-semantics.md
 * §7: a store may not land in a page whose I/O was started or that was
 * freed or reused; a load may not read a page that was freed or reused.
 * NULL when the frame still holds the page, unchanged and dirty. */
static const char *classify(struct machine *m, const struct frame *f, uint32_t pfn,
                            uint32_t mm_id, uint64_t vpn, enum tlb_access kind,
                            uint64_t pte_now)
{
    bool store = kind == TLB_STORE;

    if (f->state == FRAME_FREE || f->state == FRAME_PCP)
        return store ? "write_to_free_page" : "read_of_free_page";
    if (!same_page(m, f, pfn, mm_id, vpn, pte_now))
        return store ? "corruption_of_reused_page" : "leak_of_reused_page";
    if (store && (f->flags & FRAME_WRITEBACK))
        return "lost_write";        /* H-a: the I/O has the old content */
    if (store && !(f->flags & FRAME_DIRTY))
        return "lost_write";        /* cleaned for I/O: this store is never written */
    return NULL;
}

/* The journal's events for this frame, and the flushes of this CPU, oldest
 * first. */
static char *build_trace(struct hazard_log *h, unsigned cpu, uint32_t pfn, const char *last)
{
    GString *s = g_string_new(NULL);
    uint64_t first = h->ring_next > JOURNAL_SIZE ? h->ring_next - JOURNAL_SIZE : 0;
    uint64_t pick[TRACE_MAX_LINES];
    unsigned n = 0;

    for (uint64_t i = h->ring_next; i > first && n < TRACE_MAX_LINES; i--) {
        const struct journal_rec *r = &h->ring[(i - 1) % JOURNAL_SIZE];

        if (r->pfn == pfn || (r->ev == HZ_FLUSH && r->cpu == cpu))
            pick[n++] = i - 1;
    }
    while (n--) {
        const struct journal_rec *r = &h->ring[pick[n] % JOURNAL_SIZE];

        g_string_append_printf(s, "%" PRIu64 " ns: cpu %u: pfn %" PRIu32 " mm %" PRIu32
                               " vpn %#" PRIx64 ": %s\n", r->t, r->cpu, r->pfn, r->mm_id,
                               r->vpn, ev_names[r->ev]);
    }
    g_string_append(s, last);
    return g_string_free(s, FALSE);
}

/* LUF's exception to the checker invariant (policy-semantics.md §6 (vi) and
 * §7): a load through a stale read-only entry of a free page reads what the
 * page held when it was unmapped, which is still right while (a) the page
 * has not left the pcp/buddy lists, (b) its content has not changed since
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
    if (f->state != FRAME_FREE && f->state != FRAME_PCP)
        return false;                                           /* (a) */
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

void hazard_stale_hit_at(struct machine *m, sim_time_t when, unsigned cpu, uint32_t mm_id,
                         uint64_t vpn, uint32_t pfn, enum tlb_access kind, uint64_t pte_now)
{
    struct hazard_log *h = m->hazards;
    const struct frame *f = mem_frame(m->mem, pfn);
    const char *kind_name = classify(m, f, pfn, mm_id, vpn, kind, pte_now);
    struct hazard_report r = { 0 };
    char *last;

    stats_add(m->st, m->ctr.app_stale_hits, cpu, 1);
    /* A store changes a free page's content (app.c bumps the version after
     * this call): later loads of it are no longer covered by LUF. */
    if (kind == TLB_STORE && (f->state == FRAME_FREE || f->state == FRAME_PCP))
        g_hash_table_insert(h->written_free, GUINT_TO_POINTER(pfn),
                            GUINT_TO_POINTER(f->version + 1));
    if (kind_name && luf_read_ok(m, cpu, vpn, pfn, f, kind, pte_now))
        kind_name = NULL;
    if (!kind_name)
        return;
    h->found++;
    stats_add(m->st, m->ctr.hazards_found, cpu, 1);
    if (h->reports->len >= h->max_reports)
        return;
    g_strlcpy(r.kind, kind_name, sizeof(r.kind));
    r.time_ns = when;
    r.cpu = cpu;
    r.mm_id = mm_id;
    r.vpn = vpn;
    r.pfn = pfn;
    last = g_strdup_printf("%" PRIu64 " ns: cpu %u: %s through a stale TLB entry mm %" PRIu32
                           " vpn %#" PRIx64 " -> pfn %" PRIu32 " (PTE now %#" PRIx64
                           ", frame state %u flags %#x owner %" PRIu32 "): %s",
                           r.time_ns, cpu, kind == TLB_STORE ? "store" : "load", mm_id, vpn,
                           pfn, pte_now, f->state, f->flags, f->owner, kind_name);
    r.trace = build_trace(h, cpu, pfn, last);
    g_free(last);
    g_array_append_val(h->reports, r);
}

uint64_t hazard_count(const struct hazard_log *h)
{
    return h->found;
}

void hazard_log_export(struct hazard_log *h, struct run_output *out)
{
    out->n_hazard = h->reports->len;
    out->hazard = (struct hazard_report *)(void *)g_array_free(h->reports, FALSE);
    h->reports = g_array_new(FALSE, TRUE, sizeof(struct hazard_report));
}
