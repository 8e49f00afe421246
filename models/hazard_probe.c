/* The adversarial mode of the hazard checker (`hazards.adversarial`): at
 * the moments a stale TLB entry becomes dangerous (writeback started, frame
 * freed, reallocated, migration copy started, mprotect returned, the VA made
 * writable in another frame) every CPU
 * that runs a thread of the entry's mm in user mode and still caches the
 * entry makes one access through it, right after the event: a store when the
 * entry is writable and dirty, else a load. A race that ordinary accesses
 * would hit once in a long run is then found in a short one; with a correct
 * policy no entry is left to probe, so the count stays zero. */
#include "models/app.h"
#include "models/hazard_priv.h"
#include "models/machine.h"
#include "models/mm.h"

#define PROBE_MAPPINGS 4        /* (mm, vpn) pairs remembered per frame */
#define PROBE_CPU_SHIFT 40      /* event arg: cpu << 40 | vpn (vpns are < 2^36) */

/* The mappings a frame lost since it was last allocated (the last few). */
struct hz_mappings {
    uint32_t n, next;
    uint32_t mm_id[PROBE_MAPPINGS];
    uint64_t vpn[PROBE_MAPPINGS];
};

static void probe_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct machine *m = ctx;
    unsigned cpu = (unsigned)(arg >> PROBE_CPU_SHIFT);
    struct task *t = m->cpu[cpu].curr;

    (void)eng;
    if (t && t->kind == TASK_APP && t->in_user)
        app_probe_access(t, arg & ((1ull << PROBE_CPU_SHIFT) - 1));
}

/* Which cached entries a probe looks for. */
enum probe_kind {
    PROBE_PFN,          /* vpn -> pfn (a frame's old mappings) */
    PROBE_WRITABLE,     /* any writable entry for vpn (mprotect returned) */
    PROBE_OTHER_PFN,    /* vpn -> anything but pfn (vpn now maps pfn) */
};

/* Schedules a probe on every CPU running mm in user mode whose TLB holds an
 * entry for vpn of that kind. */
static void probe(struct machine *m, enum probe_kind kind, uint32_t pfn, uint32_t mm_id,
                  uint64_t vpn)
{
    if (!mm_id || mm_id >= m->n_mms || vpn >> PROBE_CPU_SHIFT)
        return;
    for (unsigned cpu = 0; cpu < m->n_cpus; cpu++) {
        struct cpu *c = &m->cpu[cpu];
        struct task *t = c->curr;
        struct tlb_hit hit;

        if (c->loaded_mm != mm_id || !t || t->kind != TASK_APP || !t->in_user ||
            t->mm->id != mm_id)
            continue;
        if (!tlb_probe(c->tlb, c->loaded_asid, vpn, &hit))
            continue;
        if (kind == PROBE_PFN ? hit.pfn != pfn
            : kind == PROBE_WRITABLE ? !hit.writable : hit.pfn == pfn)
            continue;
        hazard_note(m, HZ_PROBE, cpu, hit.pfn, mm_id, vpn);
        sim_schedule(m->eng, 0, probe_ev, m, (uint64_t)cpu << PROBE_CPU_SHIFT | vpn);
    }
}

void hz_probe_note(struct machine *m, enum hazard_event ev, uint32_t pfn, uint32_t mm_id,
                   uint64_t vpn)
{
    GHashTable *tab = m->hazards->unmapped;
    struct hz_mappings *maps;

    if (pfn == PFN_NONE)
        return;
    maps = g_hash_table_lookup(tab, GUINT_TO_POINTER(pfn));
    switch (ev) {
    case HZ_MADE_WRITABLE:
        /* vpn now maps pfn writable: an entry still caching an older frame
         * for vpn reads data the VA no longer has (LUF's RO->W flush). */
        probe(m, PROBE_OTHER_PFN, pfn, mm_id, vpn);
        return;
    case HZ_UNMAP:
        if (!maps) {
            maps = g_new0(struct hz_mappings, 1);
            g_hash_table_insert(tab, GUINT_TO_POINTER(pfn), maps);
        }
        maps->mm_id[maps->next] = mm_id;
        maps->vpn[maps->next] = vpn;
        maps->next = (maps->next + 1) % PROBE_MAPPINGS;
        maps->n += maps->n < PROBE_MAPPINGS;
        return;
    case HZ_WRITEBACK:
    case HZ_FREE:
    case HZ_COPY:
    case HZ_ALLOC:
        if (!maps)
            return;
        for (uint32_t i = 0; i < maps->n; i++)
            probe(m, PROBE_PFN, pfn, maps->mm_id[i], maps->vpn[i]);
        if (ev == HZ_ALLOC)
            g_hash_table_remove(tab, GUINT_TO_POINTER(pfn));
        return;
    default:
        return;
    }
}

void hz_probe_range(struct machine *m, uint32_t mm_id, uint64_t vpn, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        probe(m, PROBE_WRITABLE, PFN_NONE, mm_id, vpn + i);
}
