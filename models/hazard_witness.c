/* The witness of a hazard: the ordered events from the PTE change that made
 * a TLB entry stale to the access that used it (hazard_priv.h). */
#include <inttypes.h>

#include "models/hazard_priv.h"

#define WITNESS_MAX_LINES 48

static const char *const ev_names[] = {
    [HZ_MAP] = "mapped",
    [HZ_UNMAP] = "PTE cleared (the TLB flush is deferred or pending)",
    [HZ_WRPROTECT] = "PTE write-protected by mprotect (flush pending)",
    [HZ_WRITEBACK] = "writeback started (page cleaned for I/O)",
    [HZ_WRITEBACK_DONE] = "writeback completed",
    [HZ_FREE] = "freed",
    [HZ_ALLOC] = "allocated",
    [HZ_FLUSH] = "flushed its TLB",
    [HZ_COPY] = "migration copy started (source frame)",
    [HZ_MPROTECT_DONE] = "mprotect returned",
    [HZ_PROBE] = "adversarial access scheduled through a stale entry",
    [HZ_MADE_WRITABLE] = "PTE made writable (write fault on a read-only PTE)",
};

static bool relevant(const struct journal_rec *r, unsigned cpu, uint32_t pfn, uint32_t mm_id)
{
    if (r->pfn == pfn)
        return true;
    if (r->ev == HZ_FLUSH)
        return r->cpu == cpu;
    return r->ev == HZ_MPROTECT_DONE && r->mm_id == mm_id;
}

static bool is_origin(const struct journal_rec *r, uint32_t pfn, uint32_t mm_id, uint64_t vpn)
{
    return (r->ev == HZ_UNMAP || r->ev == HZ_WRPROTECT) && r->pfn == pfn &&
           r->mm_id == mm_id && r->vpn == vpn;
}

static void print_rec(GString *s, const struct journal_rec *r)
{
    if (!r->mm_id)
        g_string_append_printf(s, "%" PRIu64 " ns: cpu %u: pfn %" PRIu32 ": %s\n", r->t,
                               r->cpu, r->pfn, ev_names[r->ev]);
    else if (r->ev == HZ_FLUSH)
        g_string_append_printf(s, "%" PRIu64 " ns: cpu %u (mm %" PRIu32 " loaded): %s\n",
                               r->t, r->cpu, r->mm_id, ev_names[r->ev]);
    else if (r->ev == HZ_MPROTECT_DONE)
        g_string_append_printf(s, "%" PRIu64 " ns: cpu %u: mm %" PRIu32 " range from vpn %#"
                               PRIx64 ": %s\n", r->t, r->cpu, r->mm_id, r->vpn,
                               ev_names[r->ev]);
    else
        g_string_append_printf(s, "%" PRIu64 " ns: cpu %u: pfn %" PRIu32 " mm %" PRIu32
                               " vpn %#" PRIx64 ": %s\n", r->t, r->cpu, r->pfn, r->mm_id,
                               r->vpn, ev_names[r->ev]);
}

void hz_describe_frame(GString *s, const struct frame *f)
{
    static const char *const states[] = {
        [FRAME_FREE] = "free (buddy)", [FRAME_PCP] = "free (per-CPU list)",
        [FRAME_ALLOCATED] = "allocated", [FRAME_LRU] = "on an LRU list",
        [FRAME_ISOLATED] = "isolated by reclaim or migration",
    };
    static const char *const flags[] = {
        "dirty", "writeback", "locked", "referenced", "anon", "swapcache", "unevictable",
        "copying", "gathered",
    };

    g_string_append_printf(s, "frame %s", f->state < G_N_ELEMENTS(states) && states[f->state]
                                          ? states[f->state] : "?");
    for (unsigned i = 0; i < G_N_ELEMENTS(flags); i++)
        if (f->flags & (1u << i))
            g_string_append_printf(s, ", %s", flags[i]);
}

char *hz_witness(const struct hazard_log *h, unsigned cpu, uint32_t pfn, uint32_t mm_id,
                 uint64_t vpn, const char *last)
{
    GString *s = g_string_new(NULL);
    uint64_t first = h->ring_next > HZ_JOURNAL_SIZE ? h->ring_next - HZ_JOURNAL_SIZE : 0;
    uint64_t pick[WITNESS_MAX_LINES];
    unsigned n = 0;
    bool found_origin = false;

    for (uint64_t i = h->ring_next; i > first && n < WITNESS_MAX_LINES; i--) {
        const struct journal_rec *r = &h->ring[(i - 1) % HZ_JOURNAL_SIZE];

        if (!relevant(r, cpu, pfn, mm_id))
            continue;
        pick[n++] = i - 1;
        if (is_origin(r, pfn, mm_id, vpn)) {
            found_origin = true;
            break;
        }
    }
    if (!found_origin)
        g_string_append(s, "(earlier events, the PTE change among them, are older than the "
                           "journal keeps)\n");
    /* Oldest first; this CPU's flushes in a row become one line (none of
     * them covered the entry, or it would not be stale). */
    while (n--) {
        const struct journal_rec *r = &h->ring[pick[n] % HZ_JOURNAL_SIZE];
        unsigned run = 1;

        while (r->ev == HZ_FLUSH && r->pfn != pfn && n &&
               h->ring[pick[n - 1] % HZ_JOURNAL_SIZE].ev == HZ_FLUSH) {
            n--;
            run++;
        }
        if (run == 1) {
            print_rec(s, r);
            continue;
        }
        g_string_append_printf(s, "%" PRIu64 "..%" PRIu64 " ns: cpu %u: %u TLB flushes of "
                               "other ranges or address spaces (none covered this entry)\n",
                               r->t, h->ring[pick[n] % HZ_JOURNAL_SIZE].t, cpu, run);
    }
    if (found_origin)
        g_string_append_printf(s, "(no TLB flush on cpu %u covered this entry between the PTE "
                               "change and the access)\n", cpu);
    g_string_append(s, last);
    return g_string_free(s, FALSE);
}
