/* The caller of the mmu_gather tests (test_mmu_gather.c and
 * test_mmu_gather_free.c), its machine state and the costs of a walk:
 * static, in a header, as each test is one .c. Include after
 * tests/machine_fixture.h. */
#ifndef TESTS_MMU_GATHER_FIXTURE_H
#define TESTS_MMU_GATHER_FIXTURE_H

#include "models/mmu_gather.h"

#define TA FX_APP_START
#define V 0x1000ull                 /* PMD-aligned */
#define C_SCAN 110
#define C_RMAP 120
#define C_FREE 130
/* the walk of n PTEs of which k are changed */
#define WALK(n, k) ((n) * C_SCAN / 8 + (k) * C_RMAP)
/* an IPI round trip from cpu 0 to a remote-socket CPU whose handler takes h */
#define RT_REMOTE(h) (FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ / 2 + (h) + FX_ACK_REMOTE)

struct zap_op {
    enum zap_kind kind;
    uint64_t start, n;
};

static inline bool op_zap(struct fx_script *s, void *arg)
{
    const struct zap_op *o = arg;

    mmu_gather_call(s->t, o->kind, o->start, o->n, fx_script_run);
    return true;
}

struct env {
    struct fx *f;
    struct mm *A;
    struct fx_script *s;
    pfn_t p[64];
};

/* A with an anon VMA of 1024 pages at V (two PTE tables) whose first n pages
 * are present (W + D, on the LRU); cpu 2 caches V .. V + 63. */
static inline void setup(struct env *e, unsigned n)
{
    e->f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    fx_spy_install(e->f);
    e->A = machine_new_mm(e->f->m);
    assert_non_null(mm_add_vma(e->A, V, 1024, false, false, VMA_READ | VMA_WRITE, 0, 0));
    for (unsigned i = 0; i < n; i++)
        e->p[i] = fx_anon_page(e->f, e->A, V + i, 0, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
    fx_load(e->f, 2, e->A, 0, 1, false);
    fx_fill(e->f, 2, 0, V, 64);
    fx_load(e->f, 3, e->A, 0, 1, true);
    e->s = fx_task(e->f, 0, e->A, "caller");
}

#endif
