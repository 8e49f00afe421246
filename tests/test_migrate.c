/* Batched page migration (models/migrate.c) against mm/migrate.c
 * (migrate_pages_batch, v6.3) and policy-semantics.md §3 (S4): every folio
 * of the batch is unmapped first (try_to_migrate with TTU_BATCH_FLUSH: the
 * PTE becomes a migration entry, the policy is told once per mapping), then
 * one try_to_unmap_flush before any copy -- a single remote flush with
 * batch_full, one per page with per_page -- then each folio is copied to a
 * frame of the target node, every former PTE points at the new frame with
 * its W and D bits (not young), the page cache follows file folios, the old
 * frame is freed and pgmigrate_success counts. As migrate_folio_unmap does,
 * each folio's new frame is allocated before the folio is unmapped; a
 * folio that gets no frame is never unmapped and goes back to the LRU.
 * The migrating task is a scripted kernel thread on cpu 0 first running at
 * FX_KTHREAD_START; mm A is loaded on cpu 2 and mm B on cpu 3 (both remote
 * sockets). Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"

#include "models/migrate.h"

#define T0 FX_KTHREAD_START
#define V 0x1000ull
#define FV (V + 512)                 /* the file mapping */
#define C_RMAP 120
/* copy of one folio with `maps` mappings from node 0 to node 1 (distance
 * 20: one step of page_copy_remote_extra_ns 90) */
#define COPY(maps) (140 + 900 + 90 + (maps) * C_RMAP + 130)
#define RT_REMOTE(h) (FX_IPI_SEND + FX_DELIVER_REMOTE + FX_IRQ / 2 + (h) + FX_ACK_REMOTE)
#define N 4

struct env {
    struct fx *f;
    struct mm *A, *B;
    struct fx_script *s;
    uint32_t file;
    pfn_t src[N];
    pte_t flags[N];
    uint64_t vpn[N];
    unsigned i;
};

static bool op_migrate(struct fx_script *s, void *arg)
{
    struct env *e = arg;

    for (unsigned k = 0; k < N; k++) {
        mem_lru_del(e->f->m->mem, e->src[k]);
        mem_frame(e->f->m->mem, e->src[k])->flags |= FRAME_LOCKED;
    }
    migrate_list_start(s->t, e->src, N, 1, MR_SYSCALL, fx_script_run);
    return true;
}

/* Three anon folios of A (W+D, W, read-only) and page 5 of a shared file
 * mapped W+D by A and read-only by B, all on node 0. */
static void setup(struct env *e, const char *policy)
{
    static const pte_t fl[N] = { PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, PTE_WRITE | PTE_ACCESSED,
                                 PTE_ACCESSED, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED };

    e->f = fx_new(fx_cfg_x86(), NULL, policy, NULL);
    fx_spy_install(e->f);
    e->A = machine_new_mm(e->f->m);
    e->B = machine_new_mm(e->f->m);
    e->file = machine_new_file(e->f->m, 100, false);
    assert_non_null(mm_add_vma(e->A, V, 512, false, false, VMA_READ | VMA_WRITE, 0, 0));
    assert_non_null(mm_add_vma(e->A, FV, 100, true, true, VMA_READ | VMA_WRITE, e->file, 0));
    assert_non_null(mm_add_vma(e->B, FV, 100, true, true, VMA_READ, e->file, 0));
    for (unsigned k = 0; k < N; k++) {
        e->flags[k] = fl[k];
        e->vpn[k] = k < 3 ? V + 10 + k : FV + 5;
        if (k < 3)
            e->src[k] = fx_anon_page(e->f, e->A, e->vpn[k], 0, fl[k], true);
    }
    e->src[3] = fx_file_page(e->f, e->file, 5, 0, true);
    fx_map(e->f, e->A, FV + 5, e->src[3], fl[3]);
    fx_map(e->f, e->B, FV + 5, e->src[3], PTE_ACCESSED);
    fx_load(e->f, 2, e->A, 0, 1, false);
    fx_load(e->f, 3, e->B, 0, 1, false);
    fx_fill(e->f, 2, 0, V + 10, 3);
    e->s = fx_task(e->f, 0, NULL, "migrate");
    e->i = fx_op_call(e->s, op_migrate, e);
}

/* The state at the flush before the copies. */
struct copy_probe {
    struct env *e;
    unsigned migration_entries;
    uint64_t moved;
    unsigned calls;
};

static void probe_before_copy(struct fx_spy *sp, const struct fx_hook_call *c, struct task *t)
{
    struct copy_probe *cp = sp->arg;
    struct env *e = cp->e;

    (void)t;
    if (c->hook != FX_H_FLUSH_PENDING || c->why != FLUSH_BEFORE_COPY)
        return;
    cp->calls++;
    for (unsigned k = 0; k < N; k++)
        cp->migration_entries += (fx_pte(e->A, e->vpn[k]) & PTE_MIGRATION) != 0;
    cp->migration_entries += (fx_pte(e->B, FV + 5) & PTE_MIGRATION) != 0;
    cp->moved = FX_TOTAL(e->f, pgmigrate_success);
}

/* The outcome both policies share. */
static void check_moved(struct env *e)
{
    for (unsigned k = 0; k < N; k++) {
        pfn_t to = (pfn_t)pte_pfn(fx_pte(e->A, e->vpn[k]));
        struct frame *fr = mem_frame(e->f->m->mem, to);

        FX_EQ(mem_pfn_node(e->f->m->mem, to), 1);
        FX_EQ(fx_pte(e->A, e->vpn[k]),
              pte_make(to, PTE_PRESENT | (e->flags[k] & (PTE_WRITE | PTE_DIRTY))));
        assert_true(fx_is_free(e->f, e->src[k]));
        assert_true(fx_rmap_has(e->f, to, e->A, e->vpn[k]));
        FX_EQ(fr->state, FRAME_LRU);
        FX_EQ(fr->lru, k < 3 ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE);
        FX_EQ(fr->index, k < 3 ? e->vpn[k] : 5);
        FX_EQ(fr->owner, k < 3 ? e->A->id : e->file);
        if (k < 3)
            FX_EQ(fr->flags, FRAME_ANON | ((e->flags[k] & PTE_DIRTY) ? FRAME_DIRTY : 0));
        else
            FX_EQ(fr->flags, FRAME_DIRTY);      /* the dirty PTE dirtied the folio */
        FX_EQ(fr->mapcount, k < 3 ? 1 : 2);
    }
    /* B's read-only mapping of the file folio follows it too */
    FX_EQ(fx_pte(e->B, FV + 5), pte_make(pte_pfn(fx_pte(e->A, FV + 5)), PTE_PRESENT));
    assert_true(fx_rmap_has(e->f, (pfn_t)pte_pfn(fx_pte(e->B, FV + 5)), e->B, FV + 5));
    FX_EQ(pagecache_lookup(e->f->m->pc, e->file, 5), pte_pfn(fx_pte(e->A, FV + 5)));
    FX_EQ(FX_TOTAL(e->f, pgmigrate_success), N);
    FX_EQ(FX_CPU(e->f, pgmigrate_success, 0), N);
    FX_EQ(FX_TOTAL(e->f, pgdemote_kswapd), 0);
    FX_EQ(FX_TOTAL(e->f, pgpromote_success), 0);
    FX_EQ(FX_TOTAL(e->f, pgfree), N);
    FX_EQ(migrate_last_moved(e->s->t), N);
    FX_EQ(e->A->rss_pages, N);
    FX_EQ(e->B->rss_pages, 1);
    FX_EQ(fx_count(e->f, 2, 0, V + 10, 3), 0);
    /* one pte_cleared per mapping, with the old PTE, in unmap order */
    FX_EQ(fx_spy(e->f)->n[FX_H_PTE_CLEARED], N + 1);
    for (unsigned k = 0; k < 3; k++) {
        const struct fx_hook_call *c = fx_spy_nth(fx_spy(e->f), FX_H_PTE_CLEARED, k);

        FX_EQ(c->mm_id, e->A->id);
        FX_EQ(c->vpn, e->vpn[k]);
        FX_EQ(c->old, pte_make(e->src[k], PTE_PRESENT | e->flags[k]));
    }
    /* the file folio: B's mapping (newest rmap entry) first, then A's */
    FX_EQ(fx_spy_nth(fx_spy(e->f), FX_H_PTE_CLEARED, 3)->mm_id, e->B->id);
    FX_EQ(fx_spy_nth(fx_spy(e->f), FX_H_PTE_CLEARED, 4)->mm_id, e->A->id);
    FX_EQ(fx_spy_nth(fx_spy(e->f), FX_H_PTE_CLEARED, 4)->old,
          pte_make(e->src[3], PTE_PRESENT | e->flags[3]));
}

/* batch_full: the 5 PTE clears are deferred into one batch (A's and B's
 * cpumasks), so there is exactly one flush -- IPIs to cpus 2 and 3, both a
 * full flush -- and it comes before any copy. */
static void test_batch_full_one_flush_before_copy(void **state)
{
    struct env e;
    struct copy_probe cp = { &e, 0, 0, 0 };
    const sim_time_t flush_at = T0 + (N + 1) * C_RMAP;

    setup(&e, "batch_full");
    fx_spy(e.f)->probe = probe_before_copy;
    fx_spy(e.f)->arg = &cp;
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(cp.calls, 1);
    FX_EQ(cp.migration_entries, N + 1);
    FX_EQ(cp.moved, 0);
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_FLUSH_PENDING, 0)->at, flush_at);
    /* cpu 3's IPI leaves after the ICR write to cpu 2 and its own */
    FX_EQ(e.s->ended[e.i],
          flush_at + FX_IPI_SEND + RT_REMOTE(FX_FULL_FLUSH) + 3 * COPY(1) + COPY(2));
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 1);
    FX_EQ(FX_TOTAL(e.f, ipi_sent), 2);
    FX_EQ(FX_CPU(e.f, irq_call, 2), 1);
    FX_EQ(FX_CPU(e.f, irq_call, 3), 1);
    /* each new frame was allocated just before its folio was unmapped */
    FX_EQ(fx_spy(e.f)->n[FX_H_PAGE_ALLOC], N);
    for (unsigned k = 0; k < N; k++)
        FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_PAGE_ALLOC, k)->at, T0 + k * C_RMAP);
    check_moved(&e);
    fx_account(e.f);
    FX_EQ(fx_cpu_time(e.f, 0, CT_MIGRATION), (N + 1) * C_RMAP + 3 * COPY(1) + COPY(2));
    FX_EQ(fx_cpu_time(e.f, 0, CT_FLUSH_WAIT), FX_IPI_SEND + RT_REMOTE(FX_FULL_FLUSH));
    fx_free(e.f);
}

/* per_page: every PTE clear is flushed at once (ptep_clear_flush): 5
 * flushes of one page each (INVLPG on the CPU running that mm), all before
 * the copy phase, whose flush point then has nothing to do. */
static void test_per_page_flushes_each_pte(void **state)
{
    struct env e;
    struct copy_probe cp = { &e, 0, 0, 0 };
    const sim_time_t rt = RT_REMOTE(FX_INVLPG);

    setup(&e, "per_page");
    fx_spy(e.f)->probe = probe_before_copy;
    fx_spy(e.f)->arg = &cp;
    fx_start(e.s);
    fx_run_until(e.f, 100000);

    FX_EQ(cp.calls, 1);
    FX_EQ(cp.migration_entries, N + 1);
    FX_EQ(cp.moved, 0);
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_FLUSH_PENDING, 0)->at, T0 + (N + 1) * (C_RMAP + rt));
    FX_EQ(e.s->ended[e.i], T0 + (N + 1) * (C_RMAP + rt) + 3 * COPY(1) + COPY(2));
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), N + 1);
    FX_EQ(FX_CPU(e.f, irq_call, 2), N);
    FX_EQ(FX_CPU(e.f, irq_call, 3), 1);
    FX_EQ(e.A->tlb_gen, 1 + N);
    FX_EQ(e.B->tlb_gen, 2);
    check_moved(&e);
    fx_free(e.f);
}

/* A target node with no free frame at all: the folios are never unmapped
 * (their PTEs are untouched, no policy call, no flush) and go back to the
 * LRU unlocked; nothing counts as migrated. */
static void test_no_frame_on_target_restores(void **state)
{
    struct env e;

    setup(&e, "batch_full");
    fx_fill_node(e.f, 1, 0);
    fx_start(e.s);
    fx_run_until(e.f, 1000000);
    assert_true(e.s->done);
    for (unsigned k = 0; k < N; k++) {
        struct frame *fr = mem_frame(e.f->m->mem, e.src[k]);

        FX_EQ(fx_pte(e.A, e.vpn[k]), pte_make(e.src[k], PTE_PRESENT | e.flags[k]));
        FX_EQ(fr->state, FRAME_LRU);
        FX_EQ(fr->flags & FRAME_LOCKED, 0);
        assert_true(fx_rmap_has(e.f, e.src[k], e.A, e.vpn[k]));
    }
    FX_EQ(fx_pte(e.B, FV + 5), pte_make(e.src[3], PTE_PRESENT | PTE_ACCESSED));
    FX_EQ(pagecache_lookup(e.f->m->pc, e.file, 5), e.src[3]);
    FX_EQ(fx_spy(e.f)->n[FX_H_PTE_CLEARED], 0);
    FX_EQ(FX_TOTAL(e.f, nr_tlb_remote_flush), 0);
    FX_EQ(FX_TOTAL(e.f, pgmigrate_success), 0);
    FX_EQ(migrate_last_moved(e.s->t), 0);
    FX_EQ(FX_TOTAL(e.f, pgfree), 0);
    fx_free(e.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_full_one_flush_before_copy),
        cmocka_unit_test(test_per_page_flushes_each_pte),
        cmocka_unit_test(test_no_frame_on_target_restores),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
