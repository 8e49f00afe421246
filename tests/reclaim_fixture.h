/* Helpers shared by the reclaim tests (test_reclaim.c and
 * test_reclaim_lists.c): static, in a header, as each test is one .c.
 * Include after tests/machine_fixture.h. */
#ifndef TESTS_RECLAIM_FIXTURE_H
#define TESTS_RECLAIM_FIXTURE_H

#include "models/reclaim.h"

#define T0 FX_KTHREAD_START
#define C_SCAN 110
#define C_RMAP 120
#define C_FREE 130
#define C_SWAP_WRITE 50000
#define V 0x1000ull
/* one IPI round trip from cpu 0 to a remote-socket CPU doing a full flush */
#define RT_REMOTE_FULL (FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ / 2 + FX_FULL_FLUSH + FX_ACK_REMOTE)

struct reclaim_op {
    unsigned node;
    bool kswapd;
    uint32_t nr;
};

static inline bool op_reclaim(struct fx_script *s, void *arg)
{
    const struct reclaim_op *o = arg;

    reclaim_start(s->t, o->node, o->kswapd, o->nr, fx_script_run);
    return true;
}

struct list_op {
    pfn_t pfn[8];
    uint32_t n;
    bool isolate;       /* take them off the LRU first (as madvise does) */
};

static inline void isolate(struct fx *f, pfn_t pfn)
{
    mem_lru_del(f->m->mem, pfn);
    mem_frame(f->m->mem, pfn)->flags |= FRAME_LOCKED;
}

static inline bool op_reclaim_list(struct fx_script *s, void *arg)
{
    const struct list_op *o = arg;

    for (uint32_t i = 0; o->isolate && i < o->n; i++)
        isolate(s->f, o->pfn[i]);
    reclaim_list_start(s->t, o->pfn, o->n, fx_script_run);
    return true;
}

static inline struct fx *setup(const struct kernel_cfg *k, struct mm **A)
{
    struct fx *f = fx_new(fx_cfg_x86(), k, "batch_full", NULL);

    fx_spy_install(f);
    *A = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(*A, V, 512, false, false, VMA_READ | VMA_WRITE, 0, 0));
    return f;
}

#endif
