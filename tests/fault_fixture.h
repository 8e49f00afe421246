/* The faulting task and its costs, shared by the fault tests (test_fault.c
 * and test_fault_mapped.c): static, in a header, as each test is one .c.
 * Costs (fault.c's header): page_fault_ns for entry and exit, page_alloc_ns
 * + page_zero_ns per new page, swap_read_ns per swap-in, file_read_ns per
 * readahead request (the task sleeps), rmap_unmap_ns per PTE installed.
 * Include after tests/machine_fixture.h. */
#ifndef TESTS_FAULT_FIXTURE_H
#define TESTS_FAULT_FIXTURE_H

#include "models/fault.h"

#define TA FX_APP_START
#define ANON_V 0x1000ull            /* PMD-aligned: one PTE table */
#define FILE_V 0x2000ull
#define C_FAULT 700
#define C_ZERO 800
#define C_ALLOC 140
#define C_RMAP 120
#define C_SWAPIN 60000
#define C_FILE_READ 70000

struct fault_op {
    uint64_t vpn;
    enum tlb_access kind;
    sim_time_t credit;
};

static inline bool op_fault(struct fx_script *s, void *arg)
{
    const struct fault_op *o = arg;

    fault_start(s->t, o->vpn, o->kind, o->credit, fx_script_run);
    return true;
}

/* A machine with the policy spy, mm A with an anonymous VMA of 64 pages at
 * ANON_V (prot), and a scripted thread of A on cpu 0. */
static inline struct fx *setup(struct mm **A, uint8_t prot, struct fx_script **s)
{
    struct fx *f = fx_new(fx_cfg_x86(), NULL, "batch_full", NULL);

    fx_spy_install(f);
    *A = machine_new_mm(f->m);
    assert_non_null(mm_add_vma(*A, ANON_V, 64, false, false, prot, 0, 0));
    *s = fx_task(f, 0, *A, "app");
    return f;
}

#endif
