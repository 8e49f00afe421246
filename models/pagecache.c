/* Page cache as a hash table keyed by (file, index). Lookups happen on
 * faults and reclaim only, never per access. */
#include "models/pagecache.h"

#include <glib.h>

struct pagecache {
    GHashTable *map;    /* key: file_id << 40 | index (both fit), value: pfn + 1 */
};

static uint64_t pc_key(uint32_t file_id, uint64_t index)
{
    return ((uint64_t)file_id << 40) | (index & ((1ull << 40) - 1));
}

struct pagecache *pagecache_new(void)
{
    struct pagecache *pc = g_new0(struct pagecache, 1);

    pc->map = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return pc;
}

void pagecache_free(struct pagecache *pc)
{
    if (!pc)
        return;
    g_hash_table_destroy(pc->map);
    g_free(pc);
}

pfn_t pagecache_lookup(const struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    uint64_t key = pc_key(file_id, index);
    gpointer v = g_hash_table_lookup(pc->map, &key);

    return v ? (pfn_t)(GPOINTER_TO_SIZE(v) - 1) : PFN_NONE;
}

void pagecache_insert(struct pagecache *pc, uint32_t file_id, uint64_t index, pfn_t pfn)
{
    uint64_t *key = g_new(uint64_t, 1);

    *key = pc_key(file_id, index);
    g_hash_table_replace(pc->map, key, GSIZE_TO_POINTER((gsize)pfn + 1));
}

void pagecache_remove(struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    uint64_t key = pc_key(file_id, index);

    g_hash_table_remove(pc->map, &key);
}

uint64_t pagecache_pages(const struct pagecache *pc)
{
    return g_hash_table_size(pc->map);
}
