/* Physical memory: 4 KiB frames on NUMA nodes, their state and flags, free
 * lists (per-CPU page lists in front of each node's free list, as the kernel's
 * pcp lists front the buddy allocator), the four LRU lists per node, the
 * reverse map from a frame to every (mm, vpn) mapping it, watermarks, and a
 * content version per frame (for the hazard checker).
 * Leaves out: buddy orders (all allocations are order 0), zones, memcg. */
#ifndef MODELS_MEMORY_H
#define MODELS_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

struct machine_cfg;

typedef uint32_t pfn_t;
#define PFN_NONE UINT32_MAX
#define RMAP_NONE UINT32_MAX

enum frame_state {
    FRAME_FREE,        /* on its node's free list */
    FRAME_PCP,         /* on a CPU's per-CPU free list */
    FRAME_ALLOCATED,   /* owned, not on an LRU list */
    FRAME_LRU,         /* owned and on the LRU list frame.lru */
    FRAME_ISOLATED,    /* taken off the LRU by reclaim or migration */
};

enum lru_list { LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE, LRU_NR };

enum frame_flag {
    FRAME_DIRTY      = 1u << 0,
    FRAME_WRITEBACK  = 1u << 1,
    FRAME_LOCKED     = 1u << 2,
    FRAME_REFERENCED = 1u << 3,
    FRAME_ANON       = 1u << 4,
    FRAME_SWAPCACHE  = 1u << 5,
    FRAME_UNEVICTABLE = 1u << 6,
    FRAME_COPYING    = 1u << 7,   /* migration source whose copy has started */
    FRAME_GATHERED   = 1u << 8,   /* unmapped by a zap while in an LRU-add batch: the
                                     zap's mmu_gather holds it until its flush */
};

/* 32 bytes per frame: 64 GiB = 16M frames = 512 MiB. */
struct frame {
    uint32_t prev, next;   /* LRU or free-list links (pfns; PFN_NONE ends) */
    uint32_t rmap;         /* first reverse-map entry, RMAP_NONE if unmapped */
    uint32_t version;      /* bumped on every write of the content */
    uint32_t owner;        /* file id for page cache, mm id for anon */
    uint32_t index;        /* file page index, or anon virtual page (low 32 bits) */
    uint16_t flags;        /* enum frame_flag */
    uint8_t state;         /* enum frame_state */
    uint8_t lru;           /* enum lru_list while FRAME_LRU */
    uint16_t mapcount;
    uint16_t luf_gen;      /* LUF: generation of a deferred flush, 0 if none */
};

struct rmap_entry {
    uint32_t mm_id;
    uint32_t next;         /* next entry of the same frame, RMAP_NONE ends */
    uint64_t vpn;
};

/* WMARK_PROMO (v5.18+): high plus the same gap again; in NUMA tiering mode
 * kswapd balances a node to it (pgdat_balanced), leaving room for
 * promotions, which need free pages above high. */
enum wmark { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, WMARK_NR };

struct memory;

/* Creates every node's frames (all free) with the configured watermarks
 * (any left 0 get the loader's kernel defaults, machine_cfg_node.h).
 * pcp_batch/pcp_high: per-CPU list refill batch and limit, in pages. */
struct memory *memory_new(const struct machine_cfg *cfg, uint32_t pcp_batch, uint32_t pcp_high);
void memory_free(struct memory *m);

uint32_t mem_n_nodes(const struct memory *m);
uint64_t mem_n_frames(const struct memory *m);
struct frame *mem_frame(struct memory *m, pfn_t pfn);
unsigned mem_pfn_node(const struct memory *m, pfn_t pfn);

/* Takes a free frame of `node` for CPU `cpu`: from its pcp list, refilled
 * with up to pcp_batch frames from the node's free list when empty (the
 * kernel's rmqueue_pcplist / rmqueue_bulk). Returns PFN_NONE when both are
 * empty: frames on other CPUs' pcp lists are not taken (the kernel's zone
 * allocation fails and the caller goes on to the next zone or the slow
 * path; only mem_drain_pcp returns them). Watermark policy is the caller's.
 * The frame comes back FRAME_ALLOCATED with flags, rmap and mapcount
 * cleared. */
pfn_t mem_alloc(struct memory *m, unsigned node, unsigned cpu);
/* Returns an unmapped frame (not on an LRU) to CPU `cpu`'s pcp list; past
 * pcp_high, the oldest pcp_batch frames drain to the node's free list. */
void mem_free(struct memory *m, pfn_t pfn, unsigned cpu);
/* Returns every CPU's pcp frames of node to the node's free list (the
 * kernel's drain_all_pages, which the allocator calls when an allocation
 * fails after direct reclaim made progress: alloc_page_after_reclaim). */
void mem_drain_pcp(struct memory *m, unsigned node);
/* Frames on CPU cpu's pcp list for node. */
uint32_t mem_pcp_count(const struct memory *m, unsigned cpu, unsigned node);
/* Free frames of a node on its free list, as NR_FREE_PAGES: pcp frames are
 * not counted (watermarks compare against this). */
uint64_t mem_node_free(const struct memory *m, unsigned node);
/* Frames of a node on every CPU's pcp list. */
uint64_t mem_node_pcp(const struct memory *m, unsigned node);
uint64_t mem_node_pages(const struct memory *m, unsigned node);
uint64_t mem_wmark(const struct memory *m, unsigned node, enum wmark w);

/* LRU lists: add at the head (most recent), take from the tail. */
void mem_lru_add(struct memory *m, pfn_t pfn, enum lru_list l);
void mem_lru_del(struct memory *m, pfn_t pfn);     /* -> FRAME_ISOLATED */
pfn_t mem_lru_tail(const struct memory *m, unsigned node, enum lru_list l);
uint64_t mem_lru_len(const struct memory *m, unsigned node, enum lru_list l);

/* Reverse map. */
void mem_rmap_add(struct memory *m, pfn_t pfn, uint32_t mm_id, uint64_t vpn);
/* Removing a mapping that is not there is a bug and aborts. */
bool mem_rmap_remove(struct memory *m, pfn_t pfn, uint32_t mm_id, uint64_t vpn);
/* The entry at index (walk from frame.rmap through .next). Valid only until
 * the next mem_rmap_add, which may move the pool. */
const struct rmap_entry *mem_rmap_entry(const struct memory *m, uint32_t index);

#endif
