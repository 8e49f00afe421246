/* Hazard log: see hazard.h. */
#include "models/hazard.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "models/machine.h"
#include "models/run.h"

struct hazard_log {
    GArray *reports;        /* struct hazard_report */
    uint32_t max_reports;
    uint64_t found;
};

struct hazard_log *hazard_log_new(uint32_t max_reports)
{
    struct hazard_log *h = g_new0(struct hazard_log, 1);

    h->reports = g_array_new(FALSE, TRUE, sizeof(struct hazard_report));
    h->max_reports = max_reports;
    return h;
}

void hazard_log_free(struct hazard_log *h)
{
    if (!h)
        return;
    for (guint i = 0; i < h->reports->len; i++)
        g_free(g_array_index(h->reports, struct hazard_report, i).trace);
    g_array_free(h->reports, TRUE);
    g_free(h);
}

static const char *classify(const struct frame *f, uint32_t mm_id, enum tlb_access kind)
{
    if (f->state == FRAME_FREE || f->state == FRAME_PCP)
        return kind == TLB_STORE ? "write_to_free_page" : "read_of_free_page";
    if ((f->flags & FRAME_ANON) && f->owner != mm_id)
        return kind == TLB_STORE ? "corruption_of_reused_page" : "leak_of_reused_page";
    if (kind == TLB_STORE && (f->flags & FRAME_WRITEBACK))
        return "lost_write";
    return NULL;    /* stale but the frame is unchanged: no harm (yet) */
}

void hazard_stale_hit(struct machine *m, unsigned cpu, uint32_t mm_id, uint64_t vpn,
                      uint32_t pfn, enum tlb_access kind, uint64_t pte_now)
{
    struct hazard_log *h = m->hazards;
    const struct frame *f = mem_frame(m->mem, pfn);
    const char *kind_name = classify(f, mm_id, kind);
    struct hazard_report r = { 0 };

    stats_add(m->st, m->ctr.app_stale_hits, cpu, 1);
    if (!kind_name)
        return;
    h->found++;
    stats_add(m->st, m->ctr.hazards_found, cpu, 1);
    if (h->reports->len >= h->max_reports)
        return;
    g_strlcpy(r.kind, kind_name, sizeof(r.kind));
    r.time_ns = sim_now(m->eng);
    r.cpu = cpu;
    r.mm_id = mm_id;
    r.vpn = vpn;
    r.pfn = pfn;
    r.trace = g_strdup_printf("cpu %u %s through a stale TLB entry mm %" PRIu32 " vpn %#" PRIx64
                              " -> pfn %" PRIu32 "; pte now %#" PRIx64
                              "; frame state %u flags %#x owner %" PRIu32,
                              cpu, kind == TLB_STORE ? "stored" : "loaded", mm_id, vpn, pfn,
                              pte_now, f->state, f->flags, f->owner);
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
