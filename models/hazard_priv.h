/* Internals shared by hazard.c, hazard_witness.c and hazard_probe.c. */
#ifndef MODELS_HAZARD_PRIV_H
#define MODELS_HAZARD_PRIV_H

#include <glib.h>

#include "models/hazard.h"

#define HZ_JOURNAL_SIZE (1u << 16)     /* recent frame events kept for witnesses */

struct journal_rec {
    sim_time_t t;
    uint64_t vpn;
    uint32_t pfn, mm_id;
    uint16_t cpu;
    uint8_t ev;
};

struct hazard_log {
    struct hazard_cfg cfg;
    GArray *reports;            /* struct hazard_report, the witnesses */
    uint64_t found, by_class[HC_NR];
    uint32_t kept[HC_NR];       /* witnesses kept per class */
    struct journal_rec *ring;
    uint64_t ring_next;         /* records written so far */
    GHashTable *written_free;   /* pfn -> its version after a store while free */
    GHashTable *unmapped;       /* adversarial: pfn -> struct hz_mappings */
};

/* The witness text: the journal's events from the PTE change of (mm, vpn)
 * -> pfn to now, then `last`. g_malloc'd. */
char *hz_witness(const struct hazard_log *h, unsigned cpu, uint32_t pfn, uint32_t mm_id,
                 uint64_t vpn, const char *last);
/* "frame <state>, <flag>, ..." for witnesses. */
void hz_describe_frame(GString *s, const struct frame *f);
/* Adversarial mode: remember / probe the mappings a frame had. */
void hz_probe_note(struct machine *m, enum hazard_event ev, uint32_t pfn, uint32_t mm_id,
                   uint64_t vpn);
void hz_probe_range(struct machine *m, uint32_t mm_id, uint64_t vpn, uint64_t n);

#endif
