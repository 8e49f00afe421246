/* The stale-entry census (hazard.h): how many TLB entries, at one moment,
 * still translate a VA the page table no longer maps that way (their flush
 * deferred or in flight). A hit on one is what the checker classifies; the
 * census shows how many such entries a policy keeps alive at all (LUF and
 * LATR keep many by design, per_page almost none). */
#include <glib.h>

#include "models/cpu.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/tlb.h"

#define ASID_SPACE (1u << 16)

struct census {
    const struct machine *m;
    const struct cpu *c;
    const uint32_t *asid_mm;        /* arm64: global ASID -> mm id */
    uint64_t stale, stale_writable;
};

static void count_entry(void *arg, uint16_t asid, uint64_t vpn, uint32_t pfn, bool writable)
{
    struct census *k = arg;
    const struct machine *m = k->m;
    uint32_t mm_id = k->asid_mm ? k->asid_mm[asid]
                                : (asid < m->cfg->asid_slots ? k->c->ctx[asid].mm_id : ASID_NONE);
    pte_t *pte;

    if (mm_id == ASID_NONE || !mm_id || mm_id >= m->n_mms)
        return;
    pte = mm_pte(m->mms[mm_id], vpn, false);
    if (pte && pte_present(*pte) && pte_pfn(*pte) == pfn && (!writable || (*pte & PTE_WRITE)))
        return;
    k->stale++;
    k->stale_writable += writable;
}

void hazard_census(const struct machine *m, uint64_t *stale, uint64_t *stale_writable)
{
    struct census k = { .m = m };
    uint32_t *asid_mm = NULL;

    if (m->arm64) {
        asid_mm = g_new(uint32_t, ASID_SPACE);
        for (uint32_t a = 0; a < ASID_SPACE; a++)
            asid_mm[a] = ASID_NONE;
        for (uint32_t id = 1; id < m->n_mms; id++)
            asid_mm[m->mms[id]->asid] = id;
        k.asid_mm = asid_mm;
    }
    for (unsigned i = 0; i < m->n_cpus; i++) {
        k.c = &m->cpu[i];
        tlb_for_each(m->cpu[i].tlb, count_entry, &k);
    }
    g_free(asid_mm);
    *stale = k.stale;
    *stale_writable = k.stale_writable;
}
