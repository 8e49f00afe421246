/* Physical memory: allocation and freeing through per-CPU lists in batches,
 * exact per-node free counts, node exhaustion, watermark defaults, LRU list
 * order and lengths, the reverse map, frame state transitions, and that
 * misuse aborts. Invariant: a node's free count (its free list, as the
 * kernel's NR_FREE_PAGES) plus its pcp frames equals its pages minus the
 * frames handed out. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "models/machine_cfg.h"
#include "models/memory.h"

#define BATCH 4
#define HIGH  8

/* Node i gets pages[i] 4 KiB frames; watermarks left to the defaults. */
static struct machine_cfg *make_cfg(uint32_t n_nodes, const uint64_t *pages, uint32_t n_cpus)
{
    struct machine_cfg *cfg = g_new0(struct machine_cfg, 1);

    cfg->n_nodes = n_nodes;
    cfg->n_cpus = n_cpus;
    for (uint32_t i = 0; i < n_nodes; i++)
        cfg->node[i].mem_bytes = pages[i] * 4096;
    return cfg;
}

/* Two nodes of 1024 and 64 frames, four CPUs. */
static struct memory *make_mem(void)
{
    const uint64_t pages[] = { 1024, 64 };
    struct machine_cfg *cfg = make_cfg(2, pages, 4);
    struct memory *m = memory_new(cfg, BATCH, HIGH);

    g_free(cfg);
    return m;
}

static void assert_aborts(void (*fn)(void))
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = { 0, 0 };

        setrlimit(RLIMIT_CORE, &no_core);
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_memory_layout_by_node(void **state)
{
    struct memory *m = make_mem();

    assert_int_equal(mem_n_nodes(m), 2);
    assert_int_equal(mem_n_frames(m), 1088);
    assert_int_equal(mem_node_pages(m, 0), 1024);
    assert_int_equal(mem_node_pages(m, 1), 64);
    assert_int_equal(mem_node_free(m, 0), 1024);
    assert_int_equal(mem_node_free(m, 1), 64);
    assert_int_equal(mem_pfn_node(m, 0), 0);
    assert_int_equal(mem_pfn_node(m, 1023), 0);
    assert_int_equal(mem_pfn_node(m, 1024), 1);
    assert_int_equal(mem_pfn_node(m, 1087), 1);
    assert_int_equal(mem_frame(m, 5)->state, FRAME_FREE);
    assert_int_equal(mem_frame(m, 5)->rmap, RMAP_NONE);
    assert_int_equal(mem_frame(m, 5)->mapcount, 0);
    memory_free(m);
    memory_free(NULL);
}

static void test_memory_empty_node_in_layout(void **state)
{
    const uint64_t pages[] = { 16, 0, 16 };
    struct machine_cfg *cfg = make_cfg(3, pages, 1);
    struct memory *m = memory_new(cfg, BATCH, HIGH);

    assert_int_equal(mem_pfn_node(m, 15), 0);
    assert_int_equal(mem_pfn_node(m, 16), 2);
    assert_int_equal(mem_alloc(m, 1, 0), PFN_NONE);
    assert_int_equal(mem_alloc(m, 2, 0), 16);
    memory_free(m);
    g_free(cfg);
}

static void test_memory_alloc_refills_pcp_in_batches(void **state)
{
    struct memory *m = make_mem();

    /* a fresh node hands out increasing pfns, BATCH at a time */
    for (pfn_t want = 0; want < 2 * BATCH; want++) {
        assert_int_equal(mem_alloc(m, 0, 0), want);
        assert_int_equal(mem_pcp_count(m, 0, 0), BATCH - 1 - want % BATCH);
        /* NR_FREE_PAGES drops by a batch at each refill (rmqueue_bulk),
         * not per page: pcp frames are not counted free */
        assert_int_equal(mem_node_free(m, 0), 1024 - BATCH * (want / BATCH + 1));
        assert_int_equal(mem_node_pcp(m, 0), BATCH - 1 - want % BATCH);
    }
    assert_int_equal(mem_alloc(m, 0, 1), 2 * BATCH);      /* CPU 1's own batch */
    assert_int_equal(mem_pcp_count(m, 1, 0), BATCH - 1);
    assert_int_equal(mem_alloc(m, 1, 0), 1024);            /* node 1's first frame */
    assert_int_equal(mem_frame(m, 1024)->state, FRAME_ALLOCATED);
    assert_int_equal(mem_frame(m, 1025)->state, FRAME_PCP);
    assert_int_equal(mem_node_free(m, 1), 64 - BATCH);
    assert_int_equal(mem_node_pcp(m, 1), BATCH - 1);
    memory_free(m);
}

static void test_memory_free_drains_batch_past_high(void **state)
{
    struct memory *m = make_mem();
    pfn_t p[20];

    for (int i = 0; i < 20; i++)
        p[i] = mem_alloc(m, 0, 0);
    assert_int_equal(mem_node_free(m, 0), 1004);
    for (int i = 0; i < HIGH; i++)
        mem_free(m, p[i], 1);
    assert_int_equal(mem_pcp_count(m, 1, 0), HIGH);
    /* frames freed to a pcp list are not free for the watermarks until
     * free_pcppages_bulk returns them to the free list */
    assert_int_equal(mem_node_free(m, 0), 1004);
    assert_int_equal(mem_node_pcp(m, 0), HIGH);
    mem_free(m, p[HIGH], 1);                           /* over high: drain BATCH */
    assert_int_equal(mem_pcp_count(m, 1, 0), HIGH + 1 - BATCH);
    assert_int_equal(mem_node_free(m, 0), 1004 + BATCH);
    assert_int_equal(mem_node_pcp(m, 0), HIGH + 1 - BATCH);
    /* free_pcppages_bulk: the oldest frames go back to the node */
    assert_int_equal(mem_frame(m, p[0])->state, FRAME_FREE);
    assert_int_equal(mem_frame(m, p[BATCH - 1])->state, FRAME_FREE);
    assert_int_equal(mem_frame(m, p[BATCH])->state, FRAME_PCP);
    assert_int_equal(mem_frame(m, p[HIGH])->state, FRAME_PCP);
    /* LIFO: CPU 1 gets back the most recently freed frame */
    assert_int_equal(mem_alloc(m, 0, 1), p[HIGH]);
    memory_free(m);
}

/* rmqueue fails for a CPU once its pcp list and the node's free list are
 * empty, whatever other CPUs hold on their pcp lists: only drain_all_pages
 * (mem_drain_pcp) returns those. */
static void test_memory_exhausted_node_returns_none(void **state)
{
    struct memory *m = make_mem();
    uint64_t got = 0;
    pfn_t p;

    assert_int_equal(mem_alloc(m, 1, 0), 1024);     /* CPU 0 keeps BATCH-1 on its pcp */
    while ((p = mem_alloc(m, 1, 2)) != PFN_NONE) {
        assert_int_equal(mem_pfn_node(m, p), 1);
        got++;
    }
    assert_int_equal(got, 64 - BATCH);
    assert_int_equal(mem_node_free(m, 1), 0);
    assert_int_equal(mem_node_pcp(m, 1), BATCH - 1);
    assert_int_equal(mem_pcp_count(m, 0, 1), BATCH - 1);
    assert_int_equal(mem_alloc(m, 1, 0), 1025);     /* CPU 0 still takes its own */
    mem_drain_pcp(m, 1);
    assert_int_equal(mem_node_free(m, 1), BATCH - 2);
    assert_int_equal(mem_node_pcp(m, 1), 0);
    assert_int_equal(mem_alloc(m, 1, 2), 1026);
    assert_int_equal(mem_alloc(m, 1, 2), 1027);
    assert_int_equal(mem_alloc(m, 1, 2), PFN_NONE);
    assert_int_equal(mem_node_free(m, 0), 1024);
    mem_free(m, 1030, 3);                           /* on CPU 3's pcp: not free */
    assert_int_equal(mem_node_free(m, 1), 0);
    assert_int_equal(mem_node_pcp(m, 1), 1);
    assert_int_equal(mem_alloc(m, 1, 0), PFN_NONE);
    assert_int_equal(mem_alloc(m, 1, 3), 1030);
    memory_free(m);
}

static void test_memory_drain_pcp_returns_all(void **state)
{
    struct memory *m = make_mem();

    mem_alloc(m, 0, 0);
    mem_alloc(m, 0, 3);
    assert_int_equal(mem_pcp_count(m, 0, 0) + mem_pcp_count(m, 3, 0), 2 * (BATCH - 1));
    assert_int_equal(mem_node_free(m, 0), 1024 - 2 * BATCH);
    mem_drain_pcp(m, 0);
    assert_int_equal(mem_pcp_count(m, 0, 0) + mem_pcp_count(m, 3, 0), 0);
    assert_int_equal(mem_node_pcp(m, 0), 0);
    assert_int_equal(mem_node_free(m, 0), 1022);
    assert_int_equal(mem_frame(m, 1)->state, FRAME_FREE);
    memory_free(m);
}

static void test_memory_alloc_clears_frame(void **state)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);
    struct frame *f = mem_frame(m, p);

    f->flags = FRAME_DIRTY | FRAME_ANON;
    f->version = 9;
    mem_free(m, p, 0);
    assert_int_equal(f->state, FRAME_PCP);
    assert_int_equal(mem_alloc(m, 0, 0), p);        /* LIFO: same frame back */
    assert_int_equal(f->state, FRAME_ALLOCATED);
    assert_int_equal(f->flags, 0);
    assert_int_equal(f->rmap, RMAP_NONE);
    assert_int_equal(f->mapcount, 0);
    assert_int_equal(f->version, 9);                 /* content history is kept */
    memory_free(m);
}

static void test_memory_wmark_defaults_ordered(void **state)
{
    /* Without configured watermarks, memory_new uses the machine loader's
     * kernel arithmetic (init_per_zone_wmark_min, __setup_per_zone_wmarks):
     * 1376320 pages = 5505280 KiB in all; min_free_kbytes = isqrt(16 x that)
     * = 9385 KiB = 2346 pages, shared by node size; gap = max(min / 4, 0.1%
     * of the node); low = min + gap, high = low + gap. */
    const uint64_t pages[] = { 65536, 262144, 1048576, 64 };
    const uint64_t want[3][3] = { { 111, 176, 241 }, { 446, 708, 970 }, { 1787, 2835, 3883 } };
    struct machine_cfg *cfg = make_cfg(4, pages, 1);
    struct memory *m;

    cfg->node[3].wmark_min_pages = 10;
    m = memory_new(cfg, BATCH, HIGH);
    for (unsigned n = 0; n < 3; n++) {
        assert_int_equal(mem_wmark(m, n, WMARK_MIN), want[n][0]);
        assert_int_equal(mem_wmark(m, n, WMARK_LOW), want[n][1]);
        assert_int_equal(mem_wmark(m, n, WMARK_HIGH), want[n][2]);
    }
    assert_int_equal(mem_wmark(m, 3, WMARK_MIN), 10);     /* gap max(10/4, 0) = 2 */
    assert_int_equal(mem_wmark(m, 3, WMARK_LOW), 12);
    assert_int_equal(mem_wmark(m, 3, WMARK_HIGH), 14);
    memory_free(m);
    cfg->node[0].wmark_low_pages = 140;
    cfg->node[0].wmark_high_pages = 150;
    m = memory_new(cfg, BATCH, HIGH);
    assert_int_equal(mem_wmark(m, 0, WMARK_MIN), 111);
    assert_int_equal(mem_wmark(m, 0, WMARK_LOW), 140);
    assert_int_equal(mem_wmark(m, 0, WMARK_HIGH), 150);
    memory_free(m);
    g_free(cfg);
}

static void test_memory_lru_add_tail_del_order(void **state)
{
    struct memory *m = make_mem();
    pfn_t a = mem_alloc(m, 0, 0), b = mem_alloc(m, 0, 0), c = mem_alloc(m, 0, 0);
    pfn_t d = mem_alloc(m, 1, 0);

    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_ANON), PFN_NONE);
    mem_lru_add(m, a, LRU_INACTIVE_ANON);
    mem_lru_add(m, b, LRU_INACTIVE_ANON);
    mem_lru_add(m, c, LRU_ACTIVE_FILE);
    mem_lru_add(m, d, LRU_INACTIVE_ANON);             /* node 1's list */
    assert_int_equal(mem_lru_len(m, 0, LRU_INACTIVE_ANON), 2);
    assert_int_equal(mem_lru_len(m, 0, LRU_ACTIVE_FILE), 1);
    assert_int_equal(mem_lru_len(m, 1, LRU_INACTIVE_ANON), 1);
    assert_int_equal(mem_lru_len(m, 0, LRU_ACTIVE_ANON), 0);
    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_ANON), a);
    assert_int_equal(mem_frame(m, b)->next, a);       /* head b -> a */
    assert_int_equal(mem_frame(m, a)->prev, b);
    assert_int_equal(mem_frame(m, c)->lru, LRU_ACTIVE_FILE);
    mem_lru_del(m, a);
    assert_int_equal(mem_frame(m, a)->state, FRAME_ISOLATED);
    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_ANON), b);
    mem_lru_add(m, a, LRU_INACTIVE_ANON);             /* putback goes to the head */
    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_ANON), b);
    mem_lru_del(m, b);
    mem_lru_del(m, a);
    assert_int_equal(mem_lru_len(m, 0, LRU_INACTIVE_ANON), 0);
    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_ANON), PFN_NONE);
    mem_lru_del(m, c);
    assert_int_equal(mem_lru_len(m, 0, LRU_ACTIVE_FILE), 0);
    memory_free(m);
}

static void test_memory_lru_del_middle(void **state)
{
    struct memory *m = make_mem();
    pfn_t p[3];

    for (int i = 0; i < 3; i++) {
        p[i] = mem_alloc(m, 0, 0);
        mem_lru_add(m, p[i], LRU_INACTIVE_FILE);
    }
    mem_lru_del(m, p[1]);
    assert_int_equal(mem_frame(m, p[2])->next, p[0]);
    assert_int_equal(mem_frame(m, p[0])->prev, p[2]);
    assert_int_equal(mem_lru_len(m, 0, LRU_INACTIVE_FILE), 2);
    mem_lru_del(m, p[2]);                               /* the head */
    assert_int_equal(mem_frame(m, p[0])->prev, PFN_NONE);
    assert_int_equal(mem_lru_tail(m, 0, LRU_INACTIVE_FILE), p[0]);
    memory_free(m);
}

static void test_memory_rmap_several_mappings(void **state)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);
    struct frame *f = mem_frame(m, p);
    const uint64_t want[] = { 300, 200, 100 };       /* newest first */
    uint32_t i, n = 0, freed;

    mem_rmap_add(m, p, 1, 100);
    mem_rmap_add(m, p, 2, 200);
    mem_rmap_add(m, p, 3, 300);
    assert_int_equal(f->mapcount, 3);
    for (i = f->rmap; i != RMAP_NONE; i = mem_rmap_entry(m, i)->next) {
        assert_int_equal(mem_rmap_entry(m, i)->vpn, want[n]);
        assert_int_equal(mem_rmap_entry(m, i)->mm_id, 3 - n);
        n++;
    }
    assert_int_equal(n, 3);
    /* remove the middle entry; its slot is reused by the next add */
    freed = mem_rmap_entry(m, f->rmap)->next;
    assert_true(mem_rmap_remove(m, p, 2, 200));
    assert_int_equal(f->mapcount, 2);
    assert_int_equal(mem_rmap_entry(m, f->rmap)->vpn, 300);
    assert_int_equal(mem_rmap_entry(m, mem_rmap_entry(m, f->rmap)->next)->vpn, 100);
    mem_rmap_add(m, p, 1, 101);                       /* same mm, other vpn */
    assert_int_equal(f->rmap, freed);
    assert_true(mem_rmap_remove(m, p, 1, 100));
    assert_true(mem_rmap_remove(m, p, 3, 300));
    assert_true(mem_rmap_remove(m, p, 1, 101));
    assert_int_equal(f->mapcount, 0);
    assert_int_equal(f->rmap, RMAP_NONE);
    mem_free(m, p, 0);
    memory_free(m);
}

static void test_memory_rmap_pool_grows_and_reuses(void **state)
{
    struct memory *m = make_mem();
    pfn_t p[64];

    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 64; i++) {
            if (round == 0)
                p[i] = mem_alloc(m, 0, 0);
            for (uint32_t k = 0; k < 40; k++)
                mem_rmap_add(m, p[i], k, (uint64_t)i * 1000 + k);
        }
        for (int i = 0; i < 64; i++) {
            assert_int_equal(mem_frame(m, p[i])->mapcount, 40);
            for (uint32_t k = 0; k < 40; k++)
                assert_true(mem_rmap_remove(m, p[i], k, (uint64_t)i * 1000 + k));
        }
    }
    assert_int_equal(mem_frame(m, p[0])->rmap, RMAP_NONE);
    memory_free(m);
}

static void test_memory_frame_state_transitions(void **state)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);
    struct frame *f = mem_frame(m, p);

    assert_int_equal(f->state, FRAME_ALLOCATED);
    mem_rmap_add(m, p, 1, 5);
    mem_lru_add(m, p, LRU_INACTIVE_ANON);
    assert_int_equal(f->state, FRAME_LRU);
    mem_lru_del(m, p);                                /* reclaim isolates */
    assert_int_equal(f->state, FRAME_ISOLATED);
    mem_rmap_remove(m, p, 1, 5);                      /* unmapped */
    mem_free(m, p, 2);                                /* isolated frames may be freed */
    assert_int_equal(f->state, FRAME_PCP);
    mem_drain_pcp(m, 0);
    assert_int_equal(f->state, FRAME_FREE);
    memory_free(m);
}

static void test_memory_many_cpus_and_nodes(void **state)
{
    uint64_t pages[16];
    struct machine_cfg *cfg;
    struct memory *m;

    for (int i = 0; i < 16; i++)
        pages[i] = 256;
    cfg = make_cfg(16, pages, 1024);
    m = memory_new(cfg, 63, 378);
    assert_int_equal(mem_alloc(m, 15, 1023), 15 * 256);
    assert_int_equal(mem_pcp_count(m, 1023, 15), 62);
    assert_int_equal(mem_node_free(m, 15), 256 - 63);
    assert_int_equal(mem_node_pcp(m, 15), 62);
    memory_free(m);
    g_free(cfg);
}

/* Misuse: each of these is a simulator bug and must abort. */
static void double_free(void)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);

    mem_free(m, p, 0);
    mem_free(m, p, 0);
}

static void free_on_lru(void)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);

    mem_lru_add(m, p, LRU_ACTIVE_ANON);
    mem_free(m, p, 0);
}

static void free_mapped(void)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);

    mem_rmap_add(m, p, 1, 1);
    mem_free(m, p, 0);
}

static void remove_missing_rmap(void)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);

    mem_rmap_add(m, p, 1, 1);
    mem_rmap_remove(m, p, 1, 2);
}

static void lru_del_not_on_lru(void)
{
    struct memory *m = make_mem();

    mem_lru_del(m, mem_alloc(m, 0, 0));
}

static void map_free_frame(void)
{
    struct memory *m = make_mem();

    mem_rmap_add(m, 7, 1, 1);
}

static void free_locked(void)
{
    struct memory *m = make_mem();
    pfn_t p = mem_alloc(m, 0, 0);

    mem_frame(m, p)->flags |= FRAME_LOCKED;
    mem_free(m, p, 0);
}

static void test_memory_misuse_aborts(void **state)
{
    assert_aborts(double_free);
    assert_aborts(free_on_lru);
    assert_aborts(free_mapped);
    assert_aborts(remove_missing_rmap);
    assert_aborts(lru_del_not_on_lru);
    assert_aborts(map_free_frame);
    assert_aborts(free_locked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_layout_by_node),
        cmocka_unit_test(test_memory_empty_node_in_layout),
        cmocka_unit_test(test_memory_alloc_refills_pcp_in_batches),
        cmocka_unit_test(test_memory_free_drains_batch_past_high),
        cmocka_unit_test(test_memory_exhausted_node_returns_none),
        cmocka_unit_test(test_memory_drain_pcp_returns_all),
        cmocka_unit_test(test_memory_alloc_clears_frame),
        cmocka_unit_test(test_memory_wmark_defaults_ordered),
        cmocka_unit_test(test_memory_lru_add_tail_del_order),
        cmocka_unit_test(test_memory_lru_del_middle),
        cmocka_unit_test(test_memory_rmap_several_mappings),
        cmocka_unit_test(test_memory_rmap_pool_grows_and_reuses),
        cmocka_unit_test(test_memory_frame_state_transitions),
        cmocka_unit_test(test_memory_many_cpus_and_nodes),
        cmocka_unit_test(test_memory_misuse_aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
