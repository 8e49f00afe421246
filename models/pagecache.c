/* Page cache as a two-level table per file: a growable array of chunk
 * pointers, each chunk holding 512 frame numbers (like a PTE table), made on
 * first insert and freed when its last page leaves. O(1) with no hashing;
 * swap slots (file 0) only grow, and empty chunks behind them are freed. */
#include "models/pagecache.h"

#include <glib.h>

#define PC_CHUNK_SHIFT 9
#define PC_CHUNK (1u << PC_CHUNK_SHIFT)

struct pc_chunk {
    uint32_t used;
    pfn_t pfn[PC_CHUNK];
};

struct pc_file {
    struct pc_chunk **chunk;
    uint64_t n_chunks;
};

struct pagecache {
    struct pc_file *file;       /* by file id */
    uint32_t n_files;
    uint64_t pages;
};

struct pagecache *pagecache_new(void)
{
    return g_new0(struct pagecache, 1);
}

void pagecache_free(struct pagecache *pc)
{
    if (!pc)
        return;
    for (uint32_t f = 0; f < pc->n_files; f++) {
        for (uint64_t c = 0; c < pc->file[f].n_chunks; c++)
            g_free(pc->file[f].chunk[c]);
        g_free(pc->file[f].chunk);
    }
    g_free(pc->file);
    g_free(pc);
}

static struct pc_chunk *chunk_of(const struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    uint64_t c = index >> PC_CHUNK_SHIFT;

    if (file_id >= pc->n_files || c >= pc->file[file_id].n_chunks)
        return NULL;
    return pc->file[file_id].chunk[c];
}

pfn_t pagecache_lookup(const struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    const struct pc_chunk *ch = chunk_of(pc, file_id, index);

    return ch ? ch->pfn[index & (PC_CHUNK - 1)] : PFN_NONE;
}

static struct pc_chunk *chunk_make(struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    uint64_t c = index >> PC_CHUNK_SHIFT;
    struct pc_file *f;

    if (file_id >= pc->n_files) {
        pc->file = g_renew(struct pc_file, pc->file, file_id + 1);
        for (uint32_t i = pc->n_files; i <= file_id; i++)
            pc->file[i] = (struct pc_file){ 0 };
        pc->n_files = file_id + 1;
    }
    f = &pc->file[file_id];
    if (c >= f->n_chunks) {
        uint64_t n = f->n_chunks ? f->n_chunks : 8;

        while (n <= c)
            n *= 2;
        f->chunk = g_renew(struct pc_chunk *, f->chunk, n);
        for (uint64_t i = f->n_chunks; i < n; i++)
            f->chunk[i] = NULL;
        f->n_chunks = n;
    }
    if (!f->chunk[c]) {
        f->chunk[c] = g_new(struct pc_chunk, 1);
        f->chunk[c]->used = 0;
        for (uint32_t i = 0; i < PC_CHUNK; i++)
            f->chunk[c]->pfn[i] = PFN_NONE;
    }
    return f->chunk[c];
}

void pagecache_insert(struct pagecache *pc, uint32_t file_id, uint64_t index, pfn_t pfn)
{
    struct pc_chunk *ch = chunk_make(pc, file_id, index);
    pfn_t *slot = &ch->pfn[index & (PC_CHUNK - 1)];

    if (*slot == PFN_NONE) {
        ch->used++;
        pc->pages++;
    }
    *slot = pfn;
}

void pagecache_remove(struct pagecache *pc, uint32_t file_id, uint64_t index)
{
    struct pc_chunk *ch = chunk_of(pc, file_id, index);
    pfn_t *slot;

    if (!ch)
        return;
    slot = &ch->pfn[index & (PC_CHUNK - 1)];
    if (*slot == PFN_NONE)
        return;
    *slot = PFN_NONE;
    pc->pages--;
    if (--ch->used == 0) {
        g_free(ch);
        pc->file[file_id].chunk[index >> PC_CHUNK_SHIFT] = NULL;
    }
}

uint64_t pagecache_pages(const struct pagecache *pc)
{
    return pc->pages;
}
