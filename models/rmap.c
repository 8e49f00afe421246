/* The reverse map (see memory.h): for each frame, a singly linked chain of
 * (mm id, vpn) entries starting at frame.rmap, newest first. Entries come
 * from one pool array; removed entries go on a free list and are reused, so
 * steady-state map/unmap does no allocation. The pool grows by doubling,
 * which moves it: a pointer from mem_rmap_entry() is valid only until the
 * next mem_rmap_add(). */
#include "models/memory.h"

#include <inttypes.h>

#include "models/memory_priv.h"

#define RMAP_MIN_CAP 1024u

static uint32_t rmap_entry_get(struct memory *m)
{
    uint32_t i = m->rmap_free;

    if (i != RMAP_NONE) {
        m->rmap_free = m->rmap[i].next;
        return i;
    }
    if (m->rmap_len == m->rmap_cap) {
        MEM_BUG_ON(m->rmap_cap >= RMAP_NONE / 2, "rmap pool full at %" PRIu32, m->rmap_cap);
        m->rmap_cap = m->rmap_cap ? m->rmap_cap * 2 : RMAP_MIN_CAP;
        m->rmap = g_renew(struct rmap_entry, m->rmap, m->rmap_cap);
    }
    return m->rmap_len++;
}

static void rmap_entry_put(struct memory *m, uint32_t i)
{
    /* mm_id UINT32_MAX marks a free entry for anyone reading a stale index */
    m->rmap[i] = (struct rmap_entry){ .mm_id = UINT32_MAX, .next = m->rmap_free };
    m->rmap_free = i;
}

void mem_rmap_add(struct memory *m, pfn_t pfn, uint32_t mm_id, uint64_t vpn)
{
    struct frame *f = mem_frame(m, pfn);
    uint32_t i;

    MEM_BUG_ON(f->state == FRAME_FREE || f->state == FRAME_PCP,
               "mapping free pfn %" PRIu32 " (state %u) at mm %" PRIu32 " vpn %#" PRIx64,
               pfn, f->state, mm_id, vpn);
    MEM_BUG_ON(f->mapcount == UINT16_MAX, "pfn %" PRIu32 " mapcount overflow", pfn);
    i = rmap_entry_get(m);
    m->rmap[i] = (struct rmap_entry){ .mm_id = mm_id, .next = f->rmap, .vpn = vpn };
    f->rmap = i;
    f->mapcount++;
}

/* A mapping that is not there is a caller bug (aborts), so this returns
 * true whenever it returns. */
bool mem_rmap_remove(struct memory *m, pfn_t pfn, uint32_t mm_id, uint64_t vpn)
{
    struct frame *f = mem_frame(m, pfn);
    uint32_t *link = &f->rmap;

    while (*link != RMAP_NONE) {
        uint32_t i = *link;

        if (m->rmap[i].mm_id == mm_id && m->rmap[i].vpn == vpn) {
            *link = m->rmap[i].next;
            rmap_entry_put(m, i);
            MEM_BUG_ON(f->mapcount == 0, "pfn %" PRIu32 " has rmap entries but mapcount 0", pfn);
            f->mapcount--;
            return true;
        }
        link = &m->rmap[i].next;
    }
    MEM_BUG_ON(true, "no rmap of pfn %" PRIu32 " for mm %" PRIu32 " vpn %#" PRIx64
               " (mapcount %u)", pfn, mm_id, vpn, f->mapcount);
}

const struct rmap_entry *mem_rmap_entry(const struct memory *m, uint32_t index)
{
    MEM_BUG_ON(index >= m->rmap_len, "rmap index %" PRIu32 " of %" PRIu32, index, m->rmap_len);
    return &m->rmap[index];
}

void mem__rmap_destroy(struct memory *m)
{
    g_free(m->rmap);
    m->rmap = NULL;
    m->rmap_len = m->rmap_cap = 0;
    m->rmap_free = RMAP_NONE;
}
