/* The page cache: which frame holds page `index` of file `file_id`. Files
 * are identified by number; their size is the workload's business. */
#ifndef MODELS_PAGECACHE_H
#define MODELS_PAGECACHE_H

#include <stdint.h>

#include "models/memory.h"

struct pagecache;

struct pagecache *pagecache_new(void);
void pagecache_free(struct pagecache *pc);
/* The frame caching (file_id, index), or PFN_NONE. */
pfn_t pagecache_lookup(const struct pagecache *pc, uint32_t file_id, uint64_t index);
void pagecache_insert(struct pagecache *pc, uint32_t file_id, uint64_t index, pfn_t pfn);
void pagecache_remove(struct pagecache *pc, uint32_t file_id, uint64_t index);
uint64_t pagecache_pages(const struct pagecache *pc);

#endif
