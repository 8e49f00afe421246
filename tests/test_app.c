/* Application threads (models/app.c) against the hardware contract of
 * policy-semantics.md §0 and the execution model of cpu.h: a TLB hit costs
 * access_ns; a miss adds page_walk_ns, plus page_walk_remote_extra_ns per
 * distance step when the frame is on another node (H1: the walk fills the
 * entry with W and D as they are); a store through an entry cached with
 * D = 0 walks again (H2) and faults if the PTE is gone; accesses are
 * processed lazily but exactly, so an interrupt lands between the right two
 * accesses (those before it use the old entry, those after it miss); the
 * quantum is predicted to end at the next fault, so the fault starts at the
 * time of the faulting access; app_accesses counts completed accesses; a
 * hit through a stale entry to a freed frame is a hazard (H-b).
 * Threads are created with app_thread_create and first run at FX_APP_START
 * (context switch + CR3 write into ASID slot 0). State is looked at by
 * probes that sync the mm's threads at a chosen time (as a kernel path
 * would). Machine and costs: tests/machine_fixture.h. */
#include "tests/machine_fixture.h"

#include <string.h>

#include "models/app.h"
#include "models/hazard.h"
#include "models/run.h"

#define TA FX_APP_START
#define V 0x1000ull
#define WALK 60
#define REMOTE_EXTRA 30             /* distance 20: one step of 30 */
#define C_FAULT 700

struct app_env {
    struct fx *f;
    struct mm *A;
    struct app_pattern pat;
    struct app_region reg;
    struct task *t;
};

/* mm A with an anon VMA of vma_pages at V; a sequential pattern over its
 * first n pages (loads, or stores with write_fraction 1). The thread is
 * created by start(). */
static void setup(struct app_env *e, uint64_t vma_pages, uint64_t n, sim_time_t access_ns,
                  sim_time_t quantum_ns, bool stores)
{
    memset(e, 0, sizeof(*e));
    e->f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    fx_spy_install(e->f);
    e->A = machine_new_mm(e->f->m);
    assert_non_null(mm_add_vma(e->A, V, vma_pages, false, false, VMA_READ | VMA_WRITE, 0, 0));
    e->reg = (struct app_region){ .start_vpn = V, .n_pages = n };
    e->pat = (struct app_pattern){
        .kind = PAT_SEQUENTIAL,
        .write_fraction = stores ? 1.0 : 0.0,
        .access_ns = access_ns,
        .quantum_ns = quantum_ns,
        .regions = &e->reg,
        .n_regions = 1,
        .total_pages = n,
    };
}

static void start(struct app_env *e, unsigned cpu)
{
    e->t = app_thread_create(e->f->m, e->A, cpu, &e->pat, 0, 1, "app");
}

/* What a kernel path would see if it synced the mm at the probe's time. */
struct snap {
    struct app_env *e;
    uint64_t accesses, walks, load_misses, store_misses, stale, hazards;
};

static void probe_sync(struct fx *f, void *arg)
{
    struct snap *s = arg;

    machine_sync_mm(f->m, s->e->A);
    s->accesses = FX_TOTAL(f, app_accesses);
    s->walks = FX_TOTAL(f, page_walks);
    s->load_misses = FX_TOTAL(f, dtlb_load_misses);
    s->store_misses = FX_TOTAL(f, dtlb_store_misses);
    s->stale = FX_TOTAL(f, app_stale_hits);
    s->hazards = FX_TOTAL(f, hazards_found);
}

/* Four pages, two on the thread's node (0) and two on node 1. The first
 * round misses everywhere: 60 + 5 locally, + 30 for the remote ones; then
 * every access hits for 5. Accesses that start before the sync time are
 * done: at 3330, a0..a5 (3000, 3065, 3130, 3225, 3320, 3325). */
static void test_hit_and_miss_costs(void **state)
{
    struct app_env e;
    struct snap s1 = { &e, 0, 0, 0, 0, 0, 0 }, s2 = { &e, 0, 0, 0, 0, 0, 0 };

    setup(&e, 4, 4, 5, 1000, false);
    for (unsigned i = 0; i < 4; i++)
        fx_anon_page(e.f, e.A, V + i, i < 2 ? 0 : 1, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
    start(&e, 0);
    fx_probe_at(e.f, TA + 2 * (WALK + 5) + 2 * (WALK + 5 + REMOTE_EXTRA) + 2 * 5, probe_sync, &s1);
    fx_probe_at(e.f, 4000, probe_sync, &s2);
    fx_run_until(e.f, 4000);
    FX_EQ(s1.accesses, 6);
    FX_EQ(s1.walks, 4);
    FX_EQ(s1.load_misses, 4);
    /* from 3330 to 4000: a hit every 5 ns */
    FX_EQ(s2.accesses, 6 + (4000 - 3330) / 5);
    FX_EQ(s2.walks, 4);
    FX_EQ(s2.stale, 0);
    FX_EQ(FX_CPU(e.f, app_accesses, 0), s2.accesses);
    FX_EQ(app_thread_accesses(e.t), s2.accesses);
    FX_EQ(tlb_counts(e.f->m->cpu[0].tlb)->miss[TLB_LOAD], 4);
    FX_EQ(tlb_counts(e.f->m->cpu[0].tlb)->hit[TLB_LOAD], s2.accesses - 4);
    /* H1: the walks set the accessed bits (already set here) and filled W
     * and D as the PTEs have them */
    for (unsigned i = 0; i < 4; i++) {
        struct tlb_hit h;

        assert_true(tlb_probe(e.f->m->cpu[0].tlb, 0, V + i, &h));
        assert_true(h.writable && h.dirty);
        FX_EQ(h.pfn, pte_pfn(fx_pte(e.A, V + i)));
    }
    fx_account(e.f);
    FX_EQ(fx_cpu_time(e.f, 0, CT_APP), 4000 - TA);
    fx_free(e.f);
}

/* H2: one page, stores only, PTE W with D clear. With the entry cached
 * W = 1, D = 0, the first store walks again (a store miss: 60 + 5), sets D
 * in the PTE and dirties the frame, and refills the entry with D = 1; the
 * rest hit (5). With the entry cached W = 1, D = 1 every store hits. Every
 * store bumps the frame's content version. */
static void test_store_through_clean_entry_rewalks(void **state)
{
    for (int dirty = 0; dirty < 2; dirty++) {
        struct app_env e;
        struct snap s = { &e, 0, 0, 0, 0, 0, 0 };
        pfn_t p;
        struct tlb_hit h;
        unsigned n;

        setup(&e, 1, 1, 5, 1000, true);
        p = fx_anon_page(e.f, e.A, V, 0, PTE_WRITE | PTE_ACCESSED | (dirty ? PTE_DIRTY : 0), true);
        start(&e, 0);
        fx_run_until(e.f, 1000);        /* switched in (slot 0 flushed) at 0 */
        tlb_insert(e.f->m->cpu[0].tlb, 0, V, p, true, dirty, TLB_STORE);
        fx_probe_at(e.f, TA + 75, probe_sync, &s);
        fx_run_until(e.f, TA + 75);
        n = dirty ? 75 / 5 : 1 + (75 - (WALK + 5)) / 5;
        FX_EQ(s.accesses, n);
        FX_EQ(s.store_misses, dirty ? 0 : 1);
        FX_EQ(s.walks, dirty ? 0 : 1);
        FX_EQ(fx_pte(e.A, V), pte_make(p, PTE_PRESENT | PTE_WRITE | PTE_ACCESSED | PTE_DIRTY));
        assert_true(mem_frame(e.f->m->mem, p)->flags & FRAME_DIRTY);
        FX_EQ(mem_frame(e.f->m->mem, p)->version, 1 + n);
        assert_true(tlb_probe(e.f->m->cpu[0].tlb, 0, V, &h));
        assert_true(h.writable && h.dirty);
        FX_EQ(s.stale, 0);
        fx_free(e.f);
    }
}

/* H2 when the PTE is gone: a store through an entry cached clean must walk,
 * finds no PTE, and faults (no stale hit, nothing written to the old
 * frame); the fault maps a new page. */
static void test_store_through_clean_stale_entry_faults(void **state)
{
    struct app_env e;
    pfn_t p;
    uint32_t version;

    setup(&e, 1, 1, 5, 1000, true);
    p = fx_anon_page(e.f, e.A, V, 0, PTE_WRITE | PTE_ACCESSED, true);
    version = mem_frame(e.f->m->mem, p)->version;
    *mm_pte(e.A, V, false) = 0;         /* cleared, not flushed */
    mem_rmap_remove(e.f->m->mem, p, e.A->id, V);
    start(&e, 0);
    fx_run_until(e.f, 1000);
    tlb_insert(e.f->m->cpu[0].tlb, 0, V, p, true, false, TLB_STORE);
    fx_run_until(e.f, 20000);
    FX_EQ(FX_TOTAL(e.f, app_stale_hits), 0);
    FX_EQ(FX_TOTAL(e.f, hazards_found), 0);
    FX_EQ(mem_frame(e.f->m->mem, p)->version, version);
    FX_EQ(FX_TOTAL(e.f, pgfault), 1);
    /* the fault started at the store (TA) */
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_PAGE_ALLOC, 0)->at, TA + C_FAULT);
    assert_int_not_equal(pte_pfn(fx_pte(e.A, V)), p);
    assert_true(pte_present(fx_pte(e.A, V)));
    fx_free(e.f);
}

/* The quantum is predicted to end at the next fault: pages 0..3 present,
 * page 4 (in the VMA) not. Locally (misses of 65) the fault is at 3260, the
 * quantum ends there and the fault's entry cost starts then (the spy sees
 * the allocation page_fault_ns later). With remote pages the prediction
 * (which leaves the distance out) is short: the thread takes more, shorter
 * quanta, and still starts the fault at the faulting access (3380). */
static void test_fault_starts_at_faulting_access(void **state)
{
    for (unsigned node = 0; node < 2; node++) {
        struct app_env e;
        sim_time_t miss = WALK + 5 + (node ? REMOTE_EXTRA : 0);
        sim_time_t fault_at = TA + 4 * miss;

        setup(&e, 5, 5, 5, 20000, false);
        for (unsigned i = 0; i < 4; i++)
            fx_anon_page(e.f, e.A, V + i, node, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
        start(&e, 0);
        fx_run_until(e.f, 10000);
        FX_EQ(FX_TOTAL(e.f, pgfault), 1);
        FX_EQ(fx_spy(e.f)->n[FX_H_PAGE_ALLOC], 1);
        FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_PAGE_ALLOC, 0)->at, fault_at + C_FAULT);
        assert_true(pte_present(fx_pte(e.A, V + 4)));
        fx_free(e.f);
    }
}

/* An interrupt in the middle of a quantum. The thread (cpu 2, one page on
 * its own node, loads every 10 ns after the first miss) runs a 5 us
 * quantum from 3000. At 4000 a kernel thread on cpu 0 syncs the mm, clears
 * the PTE (not the frame) and flushes the page: the IPI reaches cpu 2 at
 * 4500. The 50 accesses from 4000 to 4490 still hit the old entry (stale,
 * harmless: the frame is still the thread's); the interrupt (400 + one
 * INVLPG) pushes the next access to 4910, which misses, finds no PTE and
 * faults -- starting then, not at the end of the quantum predicted before
 * the flush. */
struct clear_arg {
    struct app_env *e;
    pfn_t p;
};

static bool op_clear_pte(struct fx_script *s, void *arg)
{
    struct clear_arg *c = arg;

    (void)s;
    machine_sync_mm(c->e->f->m, c->e->A);
    *mm_pte(c->e->A, V, false) = 0;
    mem_rmap_remove(c->e->f->m->mem, c->p, c->e->A->id, V);
    c->e->A->rss_pages--;
    return false;
}

static void test_interrupt_lands_between_accesses(void **state)
{
    struct app_env e;
    struct fx_script *k;
    struct clear_arg ca = { &e, 0 };
    struct snap before = { &e, 0, 0, 0, 0, 0, 0 }, at_irq = { &e, 0, 0, 0, 0, 0, 0 };
    /* the IPI leaves after the initiator's ICR write, then is delivered */
    const sim_time_t irq = 4000 + FX_IPI_SEND + FX_DELIVER_REMOTE;
    const sim_time_t resume = irq + FX_IRQ + FX_INVLPG;
    /* hits of 10 ns through the stale entry from 4000 until the IPI lands */
    const uint64_t stale = (irq - 4000) / 10;

    setup(&e, 1, 1, 10, 5000, false);
    ca.p = fx_anon_page(e.f, e.A, V, 1, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
    start(&e, 2);
    k = fx_task(e.f, 0, NULL, "kthread");
    (void)fx_op_step_to(k, 4000);
    (void)fx_op_call(k, op_clear_pte, &ca);
    (void)fx_op_flush_range(k, e.A, V, 1, false);
    fx_start(k);
    fx_probe_at(e.f, 3999, probe_sync, &before);
    fx_probe_at(e.f, irq + 1, probe_sync, &at_irq);
    /* (no sync after the interrupt: one would find the fault by itself) */
    fx_run_until(e.f, 20000);

    /* a0 (miss, 70) then hits from 3070: 3070 .. 3990 */
    FX_EQ(before.accesses, 1 + 93);
    FX_EQ(before.walks, 1);
    FX_EQ(at_irq.accesses, 1 + 93 + stale);
    FX_EQ(at_irq.stale, stale);
    FX_EQ(at_irq.walks, 1);
    FX_EQ(at_irq.hazards, 0);
    FX_EQ(FX_CPU(e.f, irq_call, 2), 1);
    FX_EQ(FX_TOTAL(e.f, pgfault), 1);
    /* the access at resume (5010) missed and faulted: the fault's entry
     * cost runs from then */
    FX_EQ(fx_spy_nth(fx_spy(e.f), FX_H_PAGE_ALLOC, 0)->at, resume + C_FAULT);
    FX_EQ(FX_TOTAL(e.f, app_stale_hits), stale);
    /* a0, the access at resume, and its retry after the fault */
    FX_EQ(FX_TOTAL(e.f, page_walks), 3);
    fx_free(e.f);
}

/* H-b: the thread (cpu 2) keeps loading one page; at 4000 a kernel thread
 * clears the PTE and frees the frame without any flush. Every hit through
 * the cached entry from then on is a stale hit to a free frame: a hazard
 * (read_of_free_page) with the thread's CPU, mm, page and frame. */
static bool op_clear_and_free(struct fx_script *s, void *arg)
{
    struct clear_arg *c = arg;
    struct fx *f = c->e->f;

    op_clear_pte(s, arg);
    mem_lru_del(f->m->mem, c->p);
    mem_frame(f->m->mem, c->p)->flags = 0;
    mem_free(f->m->mem, c->p, 0);
    return false;
}

static void test_stale_hit_on_freed_frame_is_hazard(void **state)
{
    struct app_env e;
    struct fx_script *k;
    struct clear_arg ca = { &e, 0 };
    struct snap s = { &e, 0, 0, 0, 0, 0, 0 };
    struct run_output out;

    setup(&e, 1, 1, 10, 5000, false);
    ca.p = fx_anon_page(e.f, e.A, V, 1, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
    start(&e, 2);
    k = fx_task(e.f, 0, NULL, "kthread");
    (void)fx_op_step_to(k, 4000);
    (void)fx_op_call(k, op_clear_and_free, &ca);
    fx_start(k);
    fx_probe_at(e.f, 4100, probe_sync, &s);
    fx_run_until(e.f, 4100);

    assert_true(fx_is_free(e.f, ca.p));
    FX_EQ(s.stale, 10);                    /* 4000 .. 4090 */
    FX_EQ(s.hazards, 10);
    FX_EQ(FX_CPU(e.f, hazards_found, 2), 10);
    FX_EQ(hazard_count(e.f->m->hazards), 10);
    FX_EQ(FX_TOTAL(e.f, pgfault), 0);
    memset(&out, 0, sizeof(out));
    hazard_log_export(e.f->m->hazards, &out);
    assert_true(out.n_hazard >= 1);
    assert_string_equal(out.hazard[0].kind, "stale_read_freed");
    FX_EQ(out.hazard[0].cpu, 2);
    FX_EQ(out.hazard[0].mm_id, e.A->id);
    FX_EQ(out.hazard[0].vpn, V);
    FX_EQ(out.hazard[0].pfn, ca.p);
    /* found when the accesses were processed (here at the sync), after the
     * access itself at 4000 */
    assert_true(out.hazard[0].time_ns >= 4000 && out.hazard[0].time_ns <= 4100);
    for (size_t i = 0; i < out.n_hazard; i++)
        g_free(out.hazard[i].trace);
    g_free(out.hazard);
    fx_free(e.f);
}

/* A syscall loop (madvise-style workload) calls on whole windows of the
 * data pages just walked: syscall_every divides the data, so every call's
 * range starts at a window boundary and stays inside the data, whatever the
 * thread's share of the cursor (index 1 of 3 starts at page 8/3 = 2) and
 * however many instruction fetches are interleaved (they do not move the
 * sequential cursor, so they do not count towards the window). */
#define SC_MAX 64

static struct {
    uint64_t start[SC_MAX], n[SC_MAX];
    unsigned calls;
} sc;

static void spy_syscall(struct task *t, uint64_t start_vpn, uint64_t n_pages, task_run_fn *done)
{
    if (sc.calls < SC_MAX) {
        sc.start[sc.calls] = start_vpn;
        sc.n[sc.calls] = n_pages;
    }
    sc.calls++;
    t->run = done;
    cpu_step(t, 100, CT_APP);
}

static void test_syscall_windows_stay_aligned(void **state)
{
    for (unsigned ifetch = 0; ifetch < 2; ifetch++) {
        struct app_env e;
        const uint64_t text = 0x2000;

        memset(&sc, 0, sizeof(sc));
        setup(&e, 8, 8, 5, 1000, false);
        for (unsigned i = 0; i < 8; i++)
            fx_anon_page(e.f, e.A, V + i, 0, PTE_WRITE | PTE_DIRTY | PTE_ACCESSED, true);
        if (ifetch) {
            assert_non_null(mm_add_vma(e.A, text, 2, false, false, VMA_READ | VMA_EXEC, 0, 0));
            for (unsigned i = 0; i < 2; i++)
                fx_anon_page(e.f, e.A, text + i, 0, PTE_ACCESSED, false);
            e.pat.text_start_vpn = text;
            e.pat.text_pages = 2;
            e.pat.ifetch_fraction = 0.5;
        }
        e.pat.syscall_every = 4;
        e.pat.syscall = spy_syscall;
        e.t = app_thread_create(e.f->m, e.A, 0, &e.pat, 1, 3, "app");
        fx_run_until(e.f, 20000);
        assert_true(sc.calls >= 3);
        for (unsigned i = 0; i < sc.calls && i < SC_MAX; i++) {
            FX_EQ(sc.n[i], 4);
            FX_EQ((sc.start[i] - V) % 4, 0);
            assert_true(sc.start[i] >= V && sc.start[i] + sc.n[i] <= V + 8);
        }
        fx_free(e.f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss_costs),
        cmocka_unit_test(test_store_through_clean_entry_rewalks),
        cmocka_unit_test(test_store_through_clean_stale_entry_faults),
        cmocka_unit_test(test_fault_starts_at_faulting_access),
        cmocka_unit_test(test_interrupt_lands_between_accesses),
        cmocka_unit_test(test_stale_hit_on_freed_frame_is_hazard),
        cmocka_unit_test(test_syscall_windows_stay_aligned),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
