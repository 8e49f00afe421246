/* Unit tests of the hazard checker (models/hazard*.c): the classification
 * of a stale TLB hit into the classes of policy-semantics.md §7, the
 * witnesses (one per stale entry and class, at most `witnesses` per class,
 * starting at the PTE change), the journal's limit, and the scenario's
 * `hazards:` section. The machine comes from tests/machine_fixture.h; frames
 * and PTE values are set by hand so each rule is checked on its own. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "models/hazard.h"
#include "models/machine.h"
#include "models/memory.h"
#include "models/mm.h"
#include "models/run.h"
#include "tests/machine_fixture.h"

#define VPN 0x100000u

struct hz_env {
    struct fx *f;
    struct mm *A;
    pfn_t pfn;
};

/* A machine with one anonymous rw VMA in mm A and frame pfn holding A's
 * page VPN, dirty. */
static struct hz_env hz_env_new(const struct hazard_cfg *cfg)
{
    struct hz_env e;
    struct frame *fr;
    struct hazard_cfg defaults;

    hazard_cfg_defaults(&defaults);
    e.f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);
    hazard_attach(e.f->m, cfg ? cfg : &defaults);
    e.A = machine_new_mm(e.f->m);
    mm_add_vma(e.A, VPN, 64, false, false, VMA_READ | VMA_WRITE, 0, 0);
    e.pfn = mem_alloc(e.f->m->mem, 0, 0);
    fr = mem_frame(e.f->m->mem, e.pfn);
    fr->flags = FRAME_ANON | FRAME_DIRTY;
    fr->owner = e.A->id;
    fr->index = VPN;
    return e;
}

static uint64_t count(const struct hz_env *e, enum hazard_class c)
{
    return hazard_class_count(e->f->m->hazards, c);
}

/* Reclaim's unmap: the PTE names swap slot 77, which the frame caches. */
#define SWAP_PTE pte_make(77, PTE_SWAP)

static void swapped_out(struct hz_env *e, uint16_t more_flags)
{
    struct frame *fr = mem_frame(e->f->m->mem, e->pfn);

    fr->index = 77;
    fr->flags = FRAME_ANON | FRAME_SWAPCACHE | more_flags;
}

static void hit(struct hz_env *e, enum tlb_access kind, uint64_t pte_now)
{
    hazard_stale_hit(e->f->m, 1, e->A->id, VPN, e->pfn, kind, pte_now);
}

/* A dirty page still owned, PTE cleared with the flush pending: the racing
 * access is no hazard yet (the kernel path is still in progress). */
static void test_owned_dirty_page_is_no_hazard(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    hit(&e, TLB_STORE, 0);
    hit(&e, TLB_LOAD, 0);
    FX_EQ(hazard_count(e.f->m->hazards), 0);
    fx_free(e.f);
}

static void test_freed_page(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    mem_frame(e.f->m->mem, e.pfn)->flags = 0;
    mem_free(e.f->m->mem, e.pfn, 0);
    hit(&e, TLB_LOAD, 0);
    FX_EQ(count(&e, HC_STALE_READ_FREED), 1);
    hit(&e, TLB_STORE, 0);
    FX_EQ(count(&e, HC_LOST_WRITE), 1);
    FX_EQ(hazard_count(e.f->m->hazards), 2);
    fx_free(e.f);
}

/* Another owner, or the VPN present in another frame while this one is on
 * an LRU list: reallocated. */
static void test_reallocated_page(void **state)
{
    struct hz_env e = hz_env_new(NULL);
    struct frame *fr = mem_frame(e.f->m->mem, e.pfn);

    (void)state;
    fr->owner = e.A->id + 1;
    hit(&e, TLB_LOAD, 0);
    hit(&e, TLB_STORE, 0);
    FX_EQ(count(&e, HC_STALE_READ_REALLOCATED), 1);
    FX_EQ(count(&e, HC_STALE_WRITE_REALLOCATED), 1);
    fr->owner = e.A->id;
    fr->state = FRAME_LRU;
    hit(&e, TLB_LOAD, pte_make(e.pfn + 1, PTE_PRESENT));
    FX_EQ(count(&e, HC_STALE_READ_REALLOCATED), 2);
    fx_free(e.f);
}

/* Isolated by reclaim (out of the caches, waiting for its flush and free)
 * while the VPN was faulted into a new frame: the old frame still holds the
 * same data, so a load is no hazard. */
static void test_isolated_page_is_not_reallocated(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    mem_frame(e.f->m->mem, e.pfn)->state = FRAME_ISOLATED;
    hit(&e, TLB_LOAD, pte_make(e.pfn + 1, PTE_PRESENT));
    FX_EQ(hazard_count(e.f->m->hazards), 0);
    fx_free(e.f);
}

/* Reclaim unmapped the page (swap entry naming its slot) and started its
 * I/O, or already cleaned it: a store is lost. Had a zap removed the PTE
 * instead (MADV_DONTNEED in progress), the data is discarded and the store
 * races with the call: no hazard. */
static void test_cleaned_or_under_writeback(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    swapped_out(&e, FRAME_WRITEBACK);
    hit(&e, TLB_STORE, SWAP_PTE);
    hit(&e, TLB_LOAD, SWAP_PTE);            /* a load of the old data is fine */
    hit(&e, TLB_STORE, 0);                  /* zapped: discarded data */
    swapped_out(&e, 0);                     /* written back, clean */
    hit(&e, TLB_STORE, SWAP_PTE);
    FX_EQ(count(&e, HC_LOST_WRITE), 2);
    FX_EQ(hazard_count(e.f->m->hazards), 2);
    fx_free(e.f);
}

/* A store through a writable entry after mprotect(PROT_READ) returned (the
 * PTE carries PTE_MPROTECTED, present or swapped); before it returned the
 * store races with the call and is allowed. */
static void test_write_after_mprotect(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    hit(&e, TLB_STORE, pte_make(e.pfn, PTE_PRESENT));
    FX_EQ(hazard_count(e.f->m->hazards), 0);
    hit(&e, TLB_STORE, pte_make(e.pfn, PTE_PRESENT | PTE_MPROTECTED));
    hit(&e, TLB_LOAD, pte_make(e.pfn, PTE_PRESENT | PTE_MPROTECTED));
    FX_EQ(count(&e, HC_WRITE_AFTER_MPROTECT), 1);
    FX_EQ(hazard_count(e.f->m->hazards), 1);
    fx_free(e.f);
}

static void test_write_after_migration_copy(void **state)
{
    struct hz_env e = hz_env_new(NULL);

    (void)state;
    mem_frame(e.f->m->mem, e.pfn)->state = FRAME_ISOLATED;
    hit(&e, TLB_STORE, pte_make(e.pfn, PTE_MIGRATION | PTE_WRITE | PTE_DIRTY));
    FX_EQ(hazard_count(e.f->m->hazards), 0);        /* unmapped, copy not started */
    mem_frame(e.f->m->mem, e.pfn)->flags |= FRAME_COPYING;
    hit(&e, TLB_STORE, pte_make(e.pfn, PTE_MIGRATION | PTE_WRITE | PTE_DIRTY));
    FX_EQ(count(&e, HC_WRITE_AFTER_MIGRATION_COPY), 1);
    fx_free(e.f);
}

/* Witnesses: the first K of a class, one per stale entry; each starts at
 * the PTE change and ends with the access. */
static void test_witnesses(void **state)
{
    struct hazard_cfg cfg;
    struct hz_env e;
    struct run_output out = { 0 };

    (void)state;
    hazard_cfg_defaults(&cfg);
    cfg.witnesses = 2;
    e = hz_env_new(&cfg);
    hazard_note(e.f->m, HZ_UNMAP, 0, e.pfn, e.A->id, VPN);
    hazard_note(e.f->m, HZ_FLUSH, 1, PFN_NONE, e.A->id + 7, 0);
    hazard_note(e.f->m, HZ_WRITEBACK, 0, e.pfn, 0, 0);
    swapped_out(&e, FRAME_WRITEBACK);
    hit(&e, TLB_STORE, SWAP_PTE);
    hit(&e, TLB_STORE, SWAP_PTE);           /* the same entry again: no new witness */
    hazard_stale_hit(e.f->m, 2, e.A->id, VPN, e.pfn, TLB_STORE, SWAP_PTE);
    hazard_stale_hit(e.f->m, 3, e.A->id, VPN, e.pfn, TLB_STORE, SWAP_PTE);
    FX_EQ(count(&e, HC_LOST_WRITE), 4);
    hazard_log_export(e.f->m->hazards, &out);
    FX_EQ(out.n_hazard, 2);
    FX_EQ(out.hazards_found, 4);
    FX_EQ(out.hazard_by_class[HC_LOST_WRITE], 4);
    assert_string_equal(out.hazard[0].kind, "lost_write");
    assert_true(g_str_has_prefix(out.hazard[0].trace, "0 ns: cpu 0: pfn"));
    assert_non_null(strstr(out.hazard[0].trace, "PTE cleared"));
    assert_non_null(strstr(out.hazard[0].trace, "cpu 1 (mm"));      /* its flush */
    assert_non_null(strstr(out.hazard[0].trace, "writeback started"));
    assert_non_null(strstr(out.hazard[0].trace, "store through the stale TLB entry"));
    FX_EQ(out.hazard[1].cpu, 2);
    for (size_t i = 0; i < out.n_hazard; i++)
        g_free(out.hazard[i].trace);
    g_free(out.hazard);
    fx_free(e.f);
}

/* A PTE change older than the journal keeps is said to be so. */
static void test_witness_beyond_journal(void **state)
{
    struct hz_env e = hz_env_new(NULL);
    struct run_output out = { 0 };

    (void)state;
    hazard_note(e.f->m, HZ_UNMAP, 0, e.pfn, e.A->id, VPN);
    for (unsigned i = 0; i < (1u << 16); i++)
        hazard_note(e.f->m, HZ_MAP, 0, e.pfn + 1, e.A->id, VPN + 1);
    swapped_out(&e, 0);                     /* written back, clean */
    hit(&e, TLB_STORE, SWAP_PTE);
    hazard_log_export(e.f->m->hazards, &out);
    FX_EQ(out.n_hazard, 1);
    assert_true(g_str_has_prefix(out.hazard[0].trace, "(earlier events"));
    g_free(out.hazard[0].trace);
    g_free(out.hazard);
    fx_free(e.f);
}

/* The census counts entries the page table no longer backs: a cleared PTE,
 * another frame, a writable entry for a read-only PTE; on x86 through the
 * CPU's ASID slot, on arm64 through the global ASID. */
static void census_case(struct machine_cfg *cfg)
{
    struct fx *f = fx_new(cfg, NULL, "batch_full", NULL);
    struct mm *A = machine_new_mm(f->m);
    struct tlb *tlb = f->m->cpu[1].tlb;
    uint16_t asid = f->m->arm64 ? A->asid : 2;
    uint64_t stale, writable;
    pfn_t p[3];
    pte_t *pte;

    mm_add_vma(A, VPN, 64, false, false, VMA_READ | VMA_WRITE, 0, 0);
    fx_load(f, 1, A, 2, 1, false);
    for (unsigned k = 0; k < 3; k++) {
        p[k] = fx_anon_page(f, A, VPN + k, 0, PTE_WRITE | PTE_DIRTY, false);
        tlb_insert(tlb, asid, VPN + k, p[k], true, true, TLB_LOAD);
    }
    hazard_census(f->m, &stale, &writable);
    FX_EQ(stale, 0);
    *mm_pte(A, VPN, false) = 0;                         /* cleared */
    *mm_pte(A, VPN + 1, false) = pte_make(p[0], PTE_PRESENT | PTE_WRITE);  /* other frame */
    pte = mm_pte(A, VPN + 2, false);
    *pte &= ~PTE_WRITE;                                 /* write-protected */
    hazard_census(f->m, &stale, &writable);
    FX_EQ(stale, 3);
    FX_EQ(writable, 3);
    tlb_invalidate_page(tlb, asid, VPN);
    hazard_census(f->m, &stale, &writable);
    FX_EQ(stale, 2);
    fx_free(f);
}

static void test_census(void **state)
{
    (void)state;
    census_case(fx_cfg_x86());
    census_case(fx_cfg_arm64());
}

static void test_cfg(void **state)
{
    struct hazard_cfg cfg;
    struct cfg_node *map = NULL;
    struct cfg_error err;

    (void)state;
    assert_int_equal(hazard_cfg_load(NULL, &cfg, &err), 0);
    assert_false(cfg.adversarial);
    FX_EQ(cfg.witnesses, 3);
    assert_int_equal(cfg.remove_flush, -1);
    assert_int_equal(cfg_load_string("t", "{adversarial: on, witnesses: 0, remove_flush: zap}",
                                     &map, &err), 0);
    assert_int_equal(hazard_cfg_load(map, &cfg, &err), 0);
    assert_true(cfg.adversarial);
    FX_EQ(cfg.witnesses, 0);
    assert_int_equal(cfg.remove_flush, RF_ZAP);
    cfg_free(map);
    for (unsigned i = 0; i < RF_NR; i++)
        assert_string_not_equal(removable_flush_name(i), "?");
    for (unsigned i = 0; i < HC_NR; i++)
        assert_string_not_equal(hazard_class_name(i), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owned_dirty_page_is_no_hazard),
        cmocka_unit_test(test_freed_page),
        cmocka_unit_test(test_reallocated_page),
        cmocka_unit_test(test_isolated_page_is_not_reallocated),
        cmocka_unit_test(test_cleaned_or_under_writeback),
        cmocka_unit_test(test_write_after_mprotect),
        cmocka_unit_test(test_write_after_migration_copy),
        cmocka_unit_test(test_witnesses),
        cmocka_unit_test(test_witness_beyond_journal),
        cmocka_unit_test(test_census),
        cmocka_unit_test(test_cfg),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
