/* One CPU's TLB (see tlb.h): three set-associative levels of 16-byte entries
 * with true LRU per set. Each set keeps its own 32-bit access counter; an
 * entry's stamp is the counter value at its last use, so the LRU way is the
 * valid way with the smallest stamp. When a set's counter would wrap, its
 * stamps are renumbered by rank, which keeps the order exact forever.
 * Lookups and page invalidations touch one set per level. An ASID
 * invalidation of one of the first TLB_EPOCH_ASIDS ASIDs (x86's PCID slots)
 * is O(1): it bumps that ASID's epoch, which every tag carries, and entries
 * of an older epoch count as invalid everywhere (lookups, victim choice,
 * LRU renumbering, walks), exactly as if they had been cleared; every 256th
 * bump clears them for real so that an epoch value is never reused while
 * entries carry it. Other ASIDs and full invalidations walk every entry. */
#include "models/tlb.h"
#include "models/bug.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "models/machine_cfg.h"

/* Tag word layout: vpn in bits 0..35 (48-bit VAs of 4 KiB pages), asid in
 * bits 36..51, then valid, writable and dirty, then the ASID's epoch. */
#define TLB_VPN_BITS    36
#define TLB_VPN_MASK    ((1ull << TLB_VPN_BITS) - 1)
#define TLB_ASID_SHIFT  TLB_VPN_BITS
#define TLB_ASID_MASK   (0xffffull << TLB_ASID_SHIFT)
#define TLB_VALID       (1ull << 52)
#define TLB_WRITABLE    (1ull << 53)
#define TLB_DIRTY       (1ull << 54)
#define TLB_EPOCH_SHIFT 55
#define TLB_EPOCH_MASK  (0xffull << TLB_EPOCH_SHIFT)
/* The bits that identify a translation: a valid entry for (asid, vpn) of
 * the ASID's current epoch. */
#define TLB_KEY_MASK    (TLB_VPN_MASK | TLB_ASID_MASK | TLB_VALID | TLB_EPOCH_MASK)
/* ASIDs whose invalidation goes by epoch; higher ones keep epoch 0. */
#define TLB_EPOCH_ASIDS 64

/* 16 bytes per entry: 1024 CPUs x (64 + 128 + 1536) entries = 27 MiB. */
struct tlb_entry {
    uint64_t tag;      /* vpn | asid | valid | writable | dirty */
    uint32_t pfn;
    uint32_t stamp;    /* set counter value at last use; 0 when invalid */
};
_Static_assert(sizeof(struct tlb_entry) == 16, "TLB entry must stay 16 bytes");

struct tlb_level {
    struct tlb_entry *e;   /* sets * ways entries, set-major */
    uint32_t *clock;       /* per-set use counter */
    uint32_t sets, ways;   /* sets == 0: level absent */
    const uint8_t *epoch;  /* the TLB's epochs, for tlb_live */
};

struct tlb {
    struct tlb_level l1d, l1i, l2;
    uint8_t epoch[TLB_EPOCH_ASIDS];     /* current epoch per ASID */
    struct tlb_counts counts;
};

static uint8_t tlb_epoch_of(const uint8_t *epoch, uint16_t asid)
{
    return asid < TLB_EPOCH_ASIDS ? epoch[asid] : 0;
}

static uint64_t tlb_key(const struct tlb *t, uint16_t asid, uint64_t vpn)
{
    return vpn | ((uint64_t)asid << TLB_ASID_SHIFT) | TLB_VALID |
           ((uint64_t)tlb_epoch_of(t->epoch, asid) << TLB_EPOCH_SHIFT);
}

/* Valid, and of its ASID's current epoch. */
static bool tlb_live(const struct tlb_level *lv, const struct tlb_entry *e)
{
    uint16_t asid = (uint16_t)((e->tag & TLB_ASID_MASK) >> TLB_ASID_SHIFT);

    return (e->tag & TLB_VALID) &&
           ((e->tag & TLB_EPOCH_MASK) >> TLB_EPOCH_SHIFT) == tlb_epoch_of(lv->epoch, asid);
}

static void tlb_level_init(struct tlb_level *lv, const struct tlb_level_cfg *cfg,
                           const uint8_t *epoch)
{
    lv->epoch = epoch;
    if (!cfg || cfg->entries == 0)
        return;
    BUG_ON(cfg->ways == 0 || cfg->entries % cfg->ways != 0,
               "entries %" PRIu32 " ways %" PRIu32, cfg->entries, cfg->ways);
    lv->ways = cfg->ways;
    lv->sets = cfg->entries / cfg->ways;
    BUG_ON((lv->sets & (lv->sets - 1)) != 0, "sets %" PRIu32 " not a power of two", lv->sets);
    lv->e = g_new0(struct tlb_entry, cfg->entries);
    lv->clock = g_new0(uint32_t, lv->sets);
}

struct tlb *tlb_new(const struct tlb_level_cfg *l1d, const struct tlb_level_cfg *l1i,
                    const struct tlb_level_cfg *l2)
{
    struct tlb *t = g_new0(struct tlb, 1);

    tlb_level_init(&t->l1d, l1d, t->epoch);
    tlb_level_init(&t->l1i, l1i, t->epoch);
    tlb_level_init(&t->l2, l2, t->epoch);
    return t;
}

void tlb_free(struct tlb *t)
{
    if (!t)
        return;
    g_free(t->l1d.e);
    g_free(t->l1d.clock);
    g_free(t->l1i.e);
    g_free(t->l1i.clock);
    g_free(t->l2.e);
    g_free(t->l2.clock);
    g_free(t);
}

static uint32_t tlb_set_of(const struct tlb_level *lv, uint64_t vpn)
{
    return (uint32_t)(vpn & (lv->sets - 1));
}

static struct tlb_entry *tlb_set_base(const struct tlb_level *lv, uint32_t set)
{
    return &lv->e[(size_t)set * lv->ways];
}

/* Renumbers a set's valid stamps 1..n by age so its counter can restart;
 * stamps are unique within a set, so ranks preserve the LRU order exactly.
 * O(ways^2), once per 2^32 uses of the set. */
static void tlb_set_renumber(struct tlb_level *lv, uint32_t set)
{
    struct tlb_entry *s = tlb_set_base(lv, set);
    uint32_t *rank = g_new0(uint32_t, lv->ways);
    uint32_t n = 0;

    for (uint32_t i = 0; i < lv->ways; i++) {
        if (!tlb_live(lv, &s[i]))
            continue;
        n++;
        for (uint32_t j = 0; j < lv->ways; j++)
            if (tlb_live(lv, &s[j]) && s[j].stamp < s[i].stamp)
                rank[i]++;
    }
    for (uint32_t i = 0; i < lv->ways; i++)
        s[i].stamp = tlb_live(lv, &s[i]) ? rank[i] + 1 : 0;
    lv->clock[set] = n;
    g_free(rank);
}

static void tlb_touch(struct tlb_level *lv, uint32_t set, struct tlb_entry *e)
{
    if (lv->clock[set] == UINT32_MAX)
        tlb_set_renumber(lv, set);
    e->stamp = ++lv->clock[set];
}

static struct tlb_entry *tlb_level_find(const struct tlb_level *lv, uint64_t key, uint64_t vpn)
{
    struct tlb_entry *s;

    if (lv->sets == 0)
        return NULL;
    s = tlb_set_base(lv, tlb_set_of(lv, vpn));
    for (uint32_t i = 0; i < lv->ways; i++)
        if ((s[i].tag & TLB_KEY_MASK) == key)
            return &s[i];
    return NULL;
}

/* The way to fill in a full or partly full set: the first invalid way,
 * else the least recently used one. */
static struct tlb_entry *tlb_victim(const struct tlb_level *lv, uint32_t set)
{
    struct tlb_entry *s = tlb_set_base(lv, set);
    struct tlb_entry *lru = &s[0];

    for (uint32_t i = 0; i < lv->ways; i++) {
        if (!tlb_live(lv, &s[i]))
            return &s[i];
        if (s[i].stamp < lru->stamp)
            lru = &s[i];
    }
    return lru;
}

static void tlb_level_fill(struct tlb_level *lv, uint64_t key, uint64_t vpn, uint32_t pfn,
                           bool writable, bool dirty)
{
    uint32_t set;
    struct tlb_entry *e;

    if (lv->sets == 0)
        return;
    set = tlb_set_of(lv, vpn);
    e = tlb_level_find(lv, key, vpn);
    if (!e)
        e = tlb_victim(lv, set);
    e->tag = key | (writable ? TLB_WRITABLE : 0) | (dirty ? TLB_DIRTY : 0);
    e->pfn = pfn;
    tlb_touch(lv, set, e);
}

static void tlb_entry_out(const struct tlb_entry *e, struct tlb_hit *out)
{
    if (!out)
        return;
    out->pfn = e->pfn;
    out->writable = e->tag & TLB_WRITABLE;
    out->dirty = e->tag & TLB_DIRTY;
}

static struct tlb_level *tlb_l1_of(struct tlb *t, enum tlb_access kind)
{
    return kind == TLB_IFETCH ? &t->l1i : &t->l1d;
}

bool tlb_lookup(struct tlb *t, uint16_t asid, uint64_t vpn, enum tlb_access kind,
                struct tlb_hit *out)
{
    uint64_t key = tlb_key(t, asid, vpn);
    struct tlb_level *l1 = tlb_l1_of(t, kind);
    struct tlb_entry *e;

    BUG_ON(vpn > TLB_VPN_MASK, "vpn %#" PRIx64 " wider than 36 bits", vpn);
    BUG_ON((unsigned)kind >= TLB_NR_ACCESS, "access kind %d", (int)kind);
    e = tlb_level_find(l1, key, vpn);
    if (e) {
        tlb_touch(l1, tlb_set_of(l1, vpn), e);
        tlb_entry_out(e, out);
        t->counts.hit[kind]++;
        return true;
    }
    e = tlb_level_find(&t->l2, key, vpn);
    if (!e) {
        t->counts.miss[kind]++;
        return false;
    }
    tlb_touch(&t->l2, tlb_set_of(&t->l2, vpn), e);
    tlb_entry_out(e, out);
    /* L2 hit: the L1 of this kind gets its own copy, as after a walk */
    tlb_level_fill(l1, key, vpn, e->pfn, e->tag & TLB_WRITABLE, e->tag & TLB_DIRTY);
    t->counts.hit[kind]++;
    t->counts.l2_hit[kind]++;
    return true;
}

/* Order: L1d, L1i, L2; the first level holding (asid, vpn) answers. */
bool tlb_probe(const struct tlb *t, uint16_t asid, uint64_t vpn, struct tlb_hit *out)
{
    const struct tlb_level *lv[] = { &t->l1d, &t->l1i, &t->l2 };
    uint64_t key = tlb_key(t, asid, vpn);

    if (vpn > TLB_VPN_MASK)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(lv); i++) {
        const struct tlb_entry *e = tlb_level_find(lv[i], key, vpn);

        if (e) {
            tlb_entry_out(e, out);
            return true;
        }
    }
    return false;
}

void tlb_insert(struct tlb *t, uint16_t asid, uint64_t vpn, uint32_t pfn,
                bool writable, bool dirty, enum tlb_access kind)
{
    uint64_t key = tlb_key(t, asid, vpn);

    BUG_ON(vpn > TLB_VPN_MASK, "vpn %#" PRIx64 " wider than 36 bits", vpn);
    BUG_ON((unsigned)kind >= TLB_NR_ACCESS, "access kind %d", (int)kind);
    tlb_level_fill(tlb_l1_of(t, kind), key, vpn, pfn, writable, dirty);
    tlb_level_fill(&t->l2, key, vpn, pfn, writable, dirty);
}

static void tlb_entry_kill(struct tlb_entry *e)
{
    e->tag = 0;
    e->stamp = 0;
}

static unsigned tlb_level_inval_page(struct tlb_level *lv, uint64_t key, uint64_t vpn)
{
    struct tlb_entry *e = tlb_level_find(lv, key, vpn);

    /* fill replaces in place, so a level holds at most one copy */
    if (!e)
        return 0;
    tlb_entry_kill(e);
    return 1;
}

unsigned tlb_invalidate_page(struct tlb *t, uint16_t asid, uint64_t vpn)
{
    uint64_t key = tlb_key(t, asid, vpn);

    if (vpn > TLB_VPN_MASK)
        return 0;
    return tlb_level_inval_page(&t->l1d, key, vpn) + tlb_level_inval_page(&t->l1i, key, vpn) +
           tlb_level_inval_page(&t->l2, key, vpn);
}

/* Kills every valid entry whose tag matches `want` under `mask` (mask
 * TLB_VALID alone: every valid entry), stale epochs included; returns how
 * many of them were live. */
static unsigned tlb_level_inval_match(struct tlb_level *lv, uint64_t mask, uint64_t want)
{
    size_t n = (size_t)lv->sets * lv->ways;
    unsigned killed = 0;

    for (size_t i = 0; i < n; i++) {
        if ((lv->e[i].tag & mask) == want) {
            killed += tlb_live(lv, &lv->e[i]);
            tlb_entry_kill(&lv->e[i]);
        }
    }
    return killed;
}

static unsigned tlb_inval_match(struct tlb *t, uint64_t mask, uint64_t want)
{
    return tlb_level_inval_match(&t->l1d, mask, want) + tlb_level_inval_match(&t->l1i, mask, want) +
           tlb_level_inval_match(&t->l2, mask, want);
}

void tlb_invalidate_asid(struct tlb *t, uint16_t asid)
{
    if (asid < TLB_EPOCH_ASIDS && ++t->epoch[asid] != 0)
        return;     /* the older epoch's entries are dead from now on */
    tlb_inval_match(t, TLB_ASID_MASK | TLB_VALID, ((uint64_t)asid << TLB_ASID_SHIFT) | TLB_VALID);
}

unsigned tlb_flush_all(struct tlb *t)
{
    return tlb_inval_match(t, TLB_VALID, TLB_VALID);
}

unsigned tlb_occupancy(const struct tlb *t)
{
    const struct tlb_level *lv[] = { &t->l1d, &t->l1i, &t->l2 };
    unsigned n = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(lv); i++)
        for (size_t j = 0; j < (size_t)lv[i]->sets * lv[i]->ways; j++)
            n += tlb_live(lv[i], &lv[i]->e[j]);
    return n;
}

void tlb_for_each(const struct tlb *t, tlb_entry_fn *fn, void *arg)
{
    const struct tlb_level *lv[] = { &t->l2, &t->l1d, &t->l1i };

    for (size_t i = 0; i < G_N_ELEMENTS(lv); i++)
        for (size_t j = 0; j < (size_t)lv[i]->sets * lv[i]->ways; j++) {
            const struct tlb_entry *e = &lv[i]->e[j];
            uint64_t vpn = e->tag & TLB_VPN_MASK;
            uint64_t key = e->tag & TLB_KEY_MASK;

            if (!tlb_live(lv[i], e))
                continue;
            /* an L1 entry L2 also holds is the same translation */
            if (i > 0 && t->l2.sets && tlb_level_find(&t->l2, key, vpn))
                continue;
            if (i == 2 && t->l1d.sets && tlb_level_find(&t->l1d, key, vpn))
                continue;
            fn(arg, (uint16_t)((e->tag & TLB_ASID_MASK) >> TLB_ASID_SHIFT), vpn, e->pfn,
               (e->tag & TLB_WRITABLE) != 0);
        }
}

/* *writable_dirty: some entry for pfn has W=1 and D=1, i.e. a store could
 * go through it without a walk (hardware rule H2). */
bool tlb_maps_pfn(const struct tlb *t, uint32_t pfn, bool *writable_dirty)
{
    const struct tlb_level *lv[] = { &t->l1d, &t->l1i, &t->l2 };
    const uint64_t wd = TLB_VALID | TLB_WRITABLE | TLB_DIRTY;
    bool found = false, any_wd = false;

    for (size_t i = 0; i < G_N_ELEMENTS(lv); i++) {
        for (size_t j = 0; j < (size_t)lv[i]->sets * lv[i]->ways; j++) {
            const struct tlb_entry *e = &lv[i]->e[j];

            if (!tlb_live(lv[i], e) || e->pfn != pfn)
                continue;
            found = true;
            any_wd |= (e->tag & wd) == wd;
        }
    }
    if (writable_dirty)
        *writable_dirty = any_wd;
    return found;
}

const struct tlb_counts *tlb_counts(const struct tlb *t)
{
    return &t->counts;
}

void tlb_reset_counts(struct tlb *t)
{
    memset(&t->counts, 0, sizeof(t->counts));
}

static void tlb_level_set_clocks(struct tlb_level *lv, uint32_t value)
{
    for (uint32_t i = 0; i < lv->sets; i++)
        lv->clock[i] = value;
}

void tlb__set_lru_clocks(struct tlb *t, uint32_t value)
{
    tlb_level_set_clocks(&t->l1d, value);
    tlb_level_set_clocks(&t->l1i, value);
    tlb_level_set_clocks(&t->l2, value);
}
