/* The page allocator front end and the LRU-add batch (models/alloc.c,
 * models/spinlock.c) against mm/page_alloc.c and mm/swap.c:
 * get_page_from_freelist takes the first node of the zonelist (by distance)
 * whose free pages are above its low watermark; failing that,
 * __alloc_pages_slowpath wakes kswapd of every node of the zonelist and
 * retries against the min watermark; failing that, the caller reclaims
 * directly (allocstall). New pages reach the LRU through a per-CPU batch of
 * lru_add_batch pages (folio_batch, 31 since v6.2) that drains onto the
 * inactive lists in the order the pages were added, one lru_lock section
 * per run of pages of the same node.
 * Watermarks compare a node's free list only (NR_FREE_PAGES): a refill moves
 * a batch of pcp_batch frames to the CPU's pcp list, which no longer counts,
 * and frames freed to pcp lists come back only past pcp_high or through
 * drain_all_pages, which __alloc_pages_direct_reclaim calls when the
 * allocation after a reclaim that made progress fails.
 * Watermarks of every node: min 256, low 320, high 384 pages (see
 * tests/machine_fixture.h). Nothing here runs the engine: the calls are
 * made at time 0 by an unattached task on cpu 0. */
#include "tests/machine_fixture.h"

#define WMIN 256
#define WLOW 320
#define BATCH 63    /* kernel_cfg.c's default pcp_batch */

/* Three nodes: 0 and 1 with the CPUs, 2 a CPU-less expander. Distances
 * 0-1: 30, 0-2: 20, 1-2: 20, so node 0 falls back to 2 before 1. */
static struct fx *setup3(struct task **t)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;

    cfg->n_nodes = 3;
    cfg->node[2] = cfg->node[0];
    cfg->node[2].has_cpus = false;
    for (unsigned a = 0; a < 3; a++)
        for (unsigned b = 0; b < 3; b++)
            cfg->distance[a][b] = a == b ? 10 : (a == 2 || b == 2) ? 20 : 30;
    f = fx_new(cfg, NULL, "batch_full", NULL);
    *t = machine_new_task(f->m, TASK_APP, 0, NULL, "alloc");
    return f;
}

static bool kswapd_woken(struct fx *f, unsigned node)
{
    return f->m->kswapd[node]->state == TASK_RUNNABLE;
}

/* The zonelist is the nodes by distance. */
static void test_zonelist_by_distance(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    const uint16_t *zl = f->m->zonelist;

    FX_EQ(zl[0], 0);
    FX_EQ(zl[1], 2);
    FX_EQ(zl[2], 1);
    FX_EQ(zl[3], 1);
    FX_EQ(zl[4], 2);
    FX_EQ(zl[5], 0);
    FX_EQ(zl[6], 2);    /* node 2: itself, then 0 and 1 (equal distance, by id) */
    FX_EQ(zl[7], 0);
    FX_EQ(zl[8], 1);
    fx_free(f);
}

/* Above the low watermark the preferred (local) node serves the request
 * from the fast path: no kswapd wakeup, pgalloc 1, the frame allocated. */
static void test_alloc_above_low_takes_local(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn = PFN_NONE;
    unsigned rnode = 99;

    fx_fill_node(f, 0, WLOW + 1);
    FX_EQ(alloc_page_try(f->m, t, 0, &pfn, &rnode), ALLOC_OK);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 0);
    FX_EQ(mem_frame(f->m->mem, pfn)->state, FRAME_ALLOCATED);
    FX_EQ(mem_node_free(f->m->mem, 0), WLOW + 1 - BATCH);   /* rmqueue_bulk's batch */
    FX_EQ(mem_pcp_count(f->m->mem, 0, 0), BATCH - 1);
    FX_EQ(rnode, 99);
    FX_EQ(FX_CPU(f, pgalloc, 0), 1);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 0);
    FX_EQ(FX_TOTAL(f, allocstall), 0);
    for (unsigned n = 0; n < 3; n++)
        assert_false(kswapd_woken(f, n));
    /* preferring node 1 takes node 1 */
    FX_EQ(alloc_page_try(f->m, t, 1, &pfn, &rnode), ALLOC_OK);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 1);
    fx_free(f);
}

/* At (not above) the low watermark a node is skipped: the next node by
 * distance serves it (2 before 1), still from the fast path (no kswapd
 * wakeup: that is the slow path's). */
static void test_alloc_below_low_falls_back_by_distance(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn;
    unsigned rnode;

    fx_fill_node(f, 0, WLOW);
    FX_EQ(alloc_page_try(f->m, t, 0, &pfn, &rnode), ALLOC_OK);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 2);
    FX_EQ(mem_node_free(f->m->mem, 0), WLOW);
    fx_fill_node(f, 2, WLOW);
    FX_EQ(alloc_page_try(f->m, t, 0, &pfn, &rnode), ALLOC_OK);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 1);
    FX_EQ(FX_TOTAL(f, pgalloc), 2);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 0);
    fx_free(f);
}

/* Every node at its low watermark: the slow path wakes kswapd of every node
 * of the zonelist, then takes the first node above min (the local one). */
static void test_alloc_below_low_everywhere_wakes_kswapd_takes_min(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn;
    unsigned rnode = 99;

    for (unsigned n = 0; n < 3; n++)
        fx_fill_node(f, n, WLOW);
    fx_fill_node(f, 0, WMIN + 1);
    FX_EQ(alloc_page_try(f->m, t, 1, &pfn, &rnode), ALLOC_OK);
    /* zonelist of 1 is 1, 2, 0; all are above min: node 1 */
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 1);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 3);
    for (unsigned n = 0; n < 3; n++)
        assert_true(kswapd_woken(f, n));
    FX_EQ(alloc_page_try(f->m, t, 0, &pfn, &rnode), ALLOC_OK);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 0);
    FX_EQ(mem_node_free(f->m->mem, 0), WMIN + 1 - BATCH);
    /* kswapd already awake: not woken (or counted) again */
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 3);
    FX_EQ(FX_TOTAL(f, allocstall), 0);
    FX_EQ(rnode, 99);
    fx_free(f);
}

/* Every node at its min watermark: ALLOC_RECLAIM on the preferred node,
 * allocstall counted, nothing taken, kswapd woken everywhere. */
static void test_alloc_below_min_everywhere_reclaims(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn = PFN_NONE;
    unsigned rnode = 99;

    for (unsigned n = 0; n < 3; n++)
        fx_fill_node(f, n, WMIN);
    FX_EQ(alloc_page_try(f->m, t, 2, &pfn, &rnode), ALLOC_RECLAIM);
    FX_EQ(rnode, 2);
    FX_EQ(pfn, PFN_NONE);
    FX_EQ(FX_TOTAL(f, pgalloc), 0);
    FX_EQ(FX_CPU(f, allocstall, 0), 1);
    FX_EQ(FX_TOTAL(f, kswapd_wakeups), 3);
    for (unsigned n = 0; n < 3; n++) {
        assert_true(kswapd_woken(f, n));
        FX_EQ(mem_node_free(f->m->mem, n), WMIN);
    }
    fx_free(f);
}

/* A new page of the given kind on node (not on any list yet); an anon one
 * is mapped (as a fault maps it before queueing it), by a throwaway mm. */
static pfn_t new_page(struct fx *f, unsigned node, bool anon)
{
    static uint64_t vpn;
    pfn_t pfn = fx_frame(f, node);

    mem_frame(f->m->mem, pfn)->flags = anon ? FRAME_ANON : 0;
    if (anon)
        mem_rmap_add(f->m->mem, pfn, 1, vpn++);
    return pfn;
}

/* Puts n frames of node on CPU `cpu`'s pcp list (freed there, as by a
 * reclaimer on that CPU) and leaves the node's free list at exactly
 * `free_pages`. n must stay within pcp_high (378), so none drain. */
static void pcp_hoard(struct fx *f, unsigned node, unsigned cpu, uint32_t n, uint64_t free_pages)
{
    pfn_t *p = g_new(pfn_t, n);

    for (uint32_t i = 0; i < n; i++)
        p[i] = fx_frame(f, node);
    fx_fill_node(f, node, free_pages);
    for (uint32_t i = 0; i < n; i++)
        mem_free(f->m->mem, p[i], cpu);
    g_free(p);
    FX_EQ(mem_pcp_count(f->m->mem, cpu, node), n);
    FX_EQ(mem_node_free(f->m->mem, node), free_pages);
}

/* Frames on pcp lists are not free for the watermarks (zone_watermark_ok
 * reads NR_FREE_PAGES): with 200 frames on CPU 1's pcp list and the free
 * list at min, the allocation must reclaim, on any CPU. */
static void test_alloc_pcp_frames_not_counted_free(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn = PFN_NONE;
    unsigned rnode = 99;

    fx_fill_node(f, 1, WMIN);
    fx_fill_node(f, 2, WMIN);
    pcp_hoard(f, 0, 1, 200, WMIN);
    FX_EQ(mem_node_pcp(f->m->mem, 0), 200);
    FX_EQ(alloc_page_try(f->m, t, 0, &pfn, &rnode), ALLOC_RECLAIM);
    FX_EQ(pfn, PFN_NONE);
    FX_EQ(rnode, 0);
    FX_EQ(mem_pcp_count(f->m->mem, 1, 0), 200);     /* not drained */
    FX_EQ(FX_TOTAL(f, drain_all_pages), 0);
    FX_EQ(FX_TOTAL(f, allocstall), 1);
    fx_free(f);
}

/* __alloc_pages_direct_reclaim: the allocation after a reclaim that made
 * no progress fails as before (no drain); after one that made progress it
 * drains every CPU's pcp lists (drain_all_pages) and retries, and the
 * drained frames now count: node 0 is above low and serves it from the
 * fast path. One allocstall per failed attempt, none for the success. */
static void test_alloc_after_reclaim_drains_pcp_on_progress(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn = PFN_NONE;
    unsigned rnode = 99;

    fx_fill_node(f, 1, WMIN);
    fx_fill_node(f, 2, WMIN);
    pcp_hoard(f, 0, 1, 200, WMIN);
    FX_EQ(alloc_page_after_reclaim(f->m, t, 0, 0, &pfn, &rnode), ALLOC_RECLAIM);
    FX_EQ(FX_TOTAL(f, drain_all_pages), 0);
    FX_EQ(mem_pcp_count(f->m->mem, 1, 0), 200);
    FX_EQ(FX_TOTAL(f, allocstall), 1);
    FX_EQ(alloc_page_after_reclaim(f->m, t, 0, 32, &pfn, &rnode), ALLOC_OK);
    FX_EQ(FX_CPU(f, drain_all_pages, 0), 1);
    FX_EQ(FX_TOTAL(f, allocstall), 1);
    FX_EQ(mem_pfn_node(f->m->mem, pfn), 0);
    FX_EQ(mem_pcp_count(f->m->mem, 1, 0), 0);
    FX_EQ(mem_node_pcp(f->m->mem, 0), BATCH - 1);   /* CPU 0's refill */
    FX_EQ(mem_node_free(f->m->mem, 0), WMIN + 200 - BATCH);
    fx_free(f);
}

/* Progress but nothing to drain (every pcp list empty): the retry fails
 * too and the caller reclaims again. */
static void test_alloc_after_reclaim_nothing_pinned_reclaims(void **state)
{
    struct task *t;
    struct fx *f = setup3(&t);
    pfn_t pfn = PFN_NONE;
    unsigned rnode = 99;

    for (unsigned n = 0; n < 3; n++)
        fx_fill_node(f, n, WMIN);
    FX_EQ(alloc_page_after_reclaim(f->m, t, 0, 32, &pfn, &rnode), ALLOC_RECLAIM);
    FX_EQ(FX_TOTAL(f, drain_all_pages), 1);
    FX_EQ(FX_TOTAL(f, allocstall), 1);
    FX_EQ(pfn, PFN_NONE);
    fx_free(f);
}

/* The LRU-add batch (31 pages, v6.14): the first 30 pages stay in the
 * per-CPU batch (not on any LRU); the 31st drains the whole batch, anon
 * pages onto the inactive anon list and file pages onto the inactive file
 * list, each in the order added (the first added is the oldest, at the
 * tail). One lru_lock section for the run of node-0 pages: 31 x
 * lru_move_ns, the drain's cost. */
static void test_lru_add_batch_drains_in_order(void **state)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;
    pfn_t p[31], out[31];
    unsigned na = 0, nf = 0;
    pfn_t anon[31], file[31];

    cfg->cost.lru_move_ns = 10;
    f = fx_new(cfg, NULL, "batch_full", NULL);
    FX_EQ(f->m->kcfg.lru_add_batch, 31);
    for (unsigned i = 0; i < 31; i++) {
        bool is_anon = i % 3 != 0;

        p[i] = new_page(f, 0, is_anon);
        if (is_anon)
            anon[na++] = p[i];
        else
            file[nf++] = p[i];
        if (i < 30) {
            FX_EQ(lru_add(f->m, 1, p[i]), 0);
            FX_EQ(f->m->lru_add_len[1], i + 1);
            FX_EQ(mem_frame(f->m->mem, p[i])->state, FRAME_ALLOCATED);
        }
    }
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_ANON), 0);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_FILE), 0);
    FX_EQ(lru_add(f->m, 1, p[30]), 31 * 10);
    FX_EQ(f->m->lru_add_len[1], 0);
    FX_EQ(fx_lru_from_tail(f, 0, LRU_INACTIVE_ANON, out, 31), na);
    for (unsigned i = 0; i < na; i++)
        FX_EQ(out[i], anon[i]);
    FX_EQ(fx_lru_from_tail(f, 0, LRU_INACTIVE_FILE, out, 31), nf);
    for (unsigned i = 0; i < nf; i++)
        FX_EQ(out[i], file[i]);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_ACTIVE_ANON), 0);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_ACTIVE_FILE), 0);
    for (unsigned i = 0; i < 31; i++)
        FX_EQ(mem_frame(f->m->mem, p[i])->state, FRAME_LRU);
    /* held with interrupts off until the release */
    FX_EQ(f->m->cpu[1].irqs_off_until, 31 * 10);
    FX_EQ(FX_TOTAL(f, lock_wait), 0);
    fx_free(f);
}

/* A smaller batch (pagevec of 15, before v6.2) drains at its 15th page. */
static void test_lru_add_batch_size_is_configurable(void **state)
{
    struct kernel_cfg k;
    struct fx *f;

    kernel_cfg_defaults(&k);
    k.lru_add_batch = 15;
    f = fx_new(fx_cfg_x86(), &k, "batch_full", NULL);
    for (unsigned i = 0; i < 14; i++)
        lru_add(f->m, 0, new_page(f, 0, true));
    FX_EQ(f->m->lru_add_len[0], 14);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_ANON), 0);
    lru_add(f->m, 0, new_page(f, 0, true));
    FX_EQ(f->m->lru_add_len[0], 0);
    FX_EQ(mem_lru_len(f->m->mem, 0, LRU_INACTIVE_ANON), 15);
    fx_free(f);
}

/* An explicit drain of a partial batch with pages of two nodes: one lock
 * section per run of the same node (0, 0 | 1, 1 | 0: three sections, no
 * handoff since cpu 0 held both locks last), each page onto its own node's
 * list. When another CPU holds node 0's lock, the drain spins until it is
 * released and pays the cache-line transfer from that CPU's socket; the
 * spin (with the transfer) is lru_lock_wait_ns. */
static void test_lru_add_drain_lock_sections(void **state)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;
    pfn_t p[5], out[3];
    static const unsigned node[5] = { 0, 0, 1, 1, 0 };

    cfg->cost.lru_move_ns = 10;
    f = fx_new(cfg, NULL, "batch_full", NULL);
    for (unsigned i = 0; i < 5; i++) {
        p[i] = new_page(f, node[i], true);
        FX_EQ(lru_add(f->m, 0, p[i]), 0);
    }
    FX_EQ(lru_add_drain(f->m, 0), 50);
    FX_EQ(FX_TOTAL(f, lock_wait), 0);
    FX_EQ(fx_lru_from_tail(f, 0, LRU_INACTIVE_ANON, out, 3), 3);
    FX_EQ(out[0], p[0]);
    FX_EQ(out[1], p[1]);
    FX_EQ(out[2], p[4]);
    FX_EQ(fx_lru_from_tail(f, 1, LRU_INACTIVE_ANON, out, 2), 2);
    FX_EQ(out[0], p[2]);
    FX_EQ(out[1], p[3]);
    FX_EQ(lru_add_drain(f->m, 0), 0);     /* empty batch: nothing */

    /* At 1000, cpu 2 (socket 1) takes node 0's lock for 100 ns: the line
     * comes from cpu 0's socket (150). cpu 0's drain then spins until 1250
     * and pays the transfer back: its section ends at 1410. */
    fx_run_until(f, 1000);
    FX_EQ(spinlock_irq_section(f->m, &f->m->lru_lock[0], 2, 0, 100), FX_ACK_REMOTE + 100);
    FX_EQ(lru_add(f->m, 0, new_page(f, 0, false)), 0);
    FX_EQ(lru_add_drain(f->m, 0), FX_ACK_REMOTE + 100 + FX_ACK_REMOTE + 10);
    FX_EQ(FX_CPU(f, lock_wait, 0), FX_ACK_REMOTE + 100 + FX_ACK_REMOTE);
    FX_EQ(FX_CPU(f, lock_wait, 2), FX_ACK_REMOTE);
    FX_EQ(f->m->cpu[0].irqs_off_until, 1000 + FX_ACK_REMOTE + 100 + FX_ACK_REMOTE + 10);
    fx_free(f);
}

/* An anon page unmapped while in the batch (zapped right after its fault)
 * is freed by the drain (the batch held its last reference), not put on
 * the LRU; the pages around it are added as usual. The free costs
 * page_free_ns after the lock sections. */
static void test_lru_add_drain_frees_unmapped_anon(void **state)
{
    struct machine_cfg *cfg = fx_cfg_x86();
    struct fx *f;
    pfn_t p[3], out[2];

    cfg->cost.lru_move_ns = 10;
    f = fx_new(cfg, NULL, "batch_full", NULL);
    for (unsigned i = 0; i < 3; i++) {
        p[i] = new_page(f, 0, true);
        lru_add(f->m, 0, p[i]);
    }
    mem_rmap_remove(f->m->mem, p[1], 1, mem_rmap_entry(f->m->mem,
                                                       mem_frame(f->m->mem, p[1])->rmap)->vpn);
    FX_EQ(lru_add_drain(f->m, 0), 2 * 10 + 130);
    assert_true(fx_is_free(f, p[1]));
    FX_EQ(FX_CPU(f, pgfree, 0), 1);
    FX_EQ(fx_lru_from_tail(f, 0, LRU_INACTIVE_ANON, out, 2), 2);
    FX_EQ(out[0], p[0]);
    FX_EQ(out[1], p[2]);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zonelist_by_distance),
        cmocka_unit_test(test_alloc_above_low_takes_local),
        cmocka_unit_test(test_alloc_below_low_falls_back_by_distance),
        cmocka_unit_test(test_alloc_below_low_everywhere_wakes_kswapd_takes_min),
        cmocka_unit_test(test_alloc_below_min_everywhere_reclaims),
        cmocka_unit_test(test_alloc_pcp_frames_not_counted_free),
        cmocka_unit_test(test_alloc_after_reclaim_drains_pcp_on_progress),
        cmocka_unit_test(test_alloc_after_reclaim_nothing_pinned_reclaims),
        cmocka_unit_test(test_lru_add_batch_drains_in_order),
        cmocka_unit_test(test_lru_add_batch_size_is_configurable),
        cmocka_unit_test(test_lru_add_drain_lock_sections),
        cmocka_unit_test(test_lru_add_drain_frees_unmapped_anon),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
