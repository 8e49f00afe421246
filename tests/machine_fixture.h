/* Test fixture: a small machine built in C (no YAML) and scripted tasks that
 * drive the shootdown mechanics through their `run` callbacks.
 *
 * Every tests/test_*.c is linked on its own with the libraries (see the
 * Makefile), so a shared helper .c file cannot be linked in. The helpers
 * therefore live here as `static inline` functions (inline only so that a
 * test not using one gets no unused-function warning). Include this header
 * from tests only.
 *
 * The x86 machine: 2 sockets x 2 cores x 2 threads = 8 CPUs, numbered as
 * Linux does, cpu = thread * 4 + socket * 2 + core:
 *     cpu 0: s0 c0 t0   cpu 4: s0 c0 t1 (SMT sibling of 0)
 *     cpu 1: s0 c1 t0   cpu 5: s0 c1 t1
 *     cpu 2: s1 c0 t0   cpu 6: s1 c0 t1
 *     cpu 3: s1 c1 t0   cpu 7: s1 c1 t1
 * so from cpu 0: cpu 4 is SMT, cpus 1 and 5 same socket, 2, 3, 6, 7 remote.
 * Costs are round and distinct (FX_* below) and tick_hz is 0 (no timer
 * interrupts), so every time a test expects is exact.
 *
 * A scripted task runs a list of operations (flush a range, flush a batch,
 * step, DSB, policy hooks, a test callback). An operation that puts the task
 * into a step or wait makes it return; it continues with the next operation
 * when it runs again. The script records when each operation was issued and
 * when the task continued after it, then puts the task to sleep. */
#ifndef TESTS_MACHINE_FIXTURE_H
#define TESTS_MACHINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>

#include <cmocka.h>
#include <glib.h>

#include "models/cpu.h"
#include "models/kernel_cfg.h"
#include "models/machine.h"
#include "models/machine_cfg.h"
#include "models/mm.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/tlb.h"
#include "sim/cfg.h"
#include "sim/engine.h"
#include "sim/stats.h"

/* Costs of the test machine, ns. */
#define FX_IPI_SEND        100
#define FX_DELIVER_SMT     200
#define FX_DELIVER_SOCKET  300
#define FX_DELIVER_REMOTE  500
#define FX_IRQ             400      /* entry + exit; the handler starts at half */
#define FX_ACK_SOCKET      50
#define FX_ACK_REMOTE      150
#define FX_INVLPG          10
#define FX_FULL_FLUSH      1000
#define FX_CEILING         33
#define FX_CTX_SWITCH      2000
#define FX_TLBI            20
#define FX_DSB_BASE        300
#define FX_DSB_PER_CPU     5
#define FX_DSB_PER_TLBI    7
#define FX_DSB_CONCURRENT  40
/* A kernel thread attached to an idle CPU at time 0 first runs at this time
 * (context switch, no switch_mm); an app thread pays a CR3 write more. */
#define FX_KTHREAD_START   FX_CTX_SWITCH
#define FX_APP_START       (FX_CTX_SWITCH + FX_FULL_FLUSH)

/* Equality of two integers, printing both expressions and values. */
#define FX_EQ(actual, expected)                                                          \
    do {                                                                                 \
        uint64_t fx_a_ = (uint64_t)(actual), fx_e_ = (uint64_t)(expected);               \
        if (fx_a_ != fx_e_)                                                              \
            fail_msg("%s = %" PRIu64 ", expected %s = %" PRIu64, #actual, fx_a_,         \
                     #expected, fx_e_);                                                  \
    } while (0)

/* Counters by machine_counters field: total, and one CPU's value. */
#define FX_TOTAL(f, field) stats_total((f)->st, (f)->m->ctr.field)
#define FX_CPU(f, field, cpu) stats_cpu((f)->st, (f)->m->ctr.field, (cpu))

struct fx {
    struct machine_cfg *cfg;
    struct kernel_cfg k;
    struct sim_engine *eng;
    struct stats *st;
    struct machine *m;
    GPtrArray *scripts;
};

static inline void fx_cfg_common(struct machine_cfg *cfg)
{
    cfg->clock_mhz = 2000;
    cfg->tick_hz = 0;
    cfg->n_nodes = 2;
    for (unsigned n = 0; n < 2; n++) {
        cfg->node[n].mem_bytes = 64ull << 20;
        cfg->node[n].has_cpus = true;
        cfg->node[n].wmark_min_pages = 256;
        cfg->node[n].wmark_low_pages = 320;
        cfg->node[n].wmark_high_pages = 384;
        for (unsigned o = 0; o < 2; o++)
            cfg->distance[n][o] = n == o ? 10 : 20;
    }
    cfg->l1d = (struct tlb_level_cfg){ 64, 4 };
    cfg->l1i = (struct tlb_level_cfg){ 128, 4 };
    cfg->l2 = (struct tlb_level_cfg){ 512, 4 };
    cfg->cost = (struct machine_costs){
        .ipi_send_ns = FX_IPI_SEND,
        .ipi_deliver_smt_ns = FX_DELIVER_SMT,
        .ipi_deliver_same_socket_ns = FX_DELIVER_SOCKET,
        .ipi_deliver_remote_socket_ns = FX_DELIVER_REMOTE,
        .irq_entry_exit_ns = FX_IRQ,
        .ack_same_socket_ns = FX_ACK_SOCKET,
        .ack_remote_socket_ns = FX_ACK_REMOTE,
        .invlpg_ns = FX_INVLPG,
        .full_flush_ns = FX_FULL_FLUSH,
        .flush_ceiling_pages = FX_CEILING,
        .page_walk_ns = 60,
        .page_walk_remote_extra_ns = 30,
        .tlbi_issue_ns = FX_TLBI,
        .dsb_base_ns = FX_DSB_BASE,
        .dsb_per_cpu_ns = FX_DSB_PER_CPU,
        .dsb_per_pending_tlbi_ns = FX_DSB_PER_TLBI,
        .dsb_per_concurrent_ns = FX_DSB_CONCURRENT,
        .page_fault_ns = 700,
        .page_zero_ns = 800,
        .page_copy_ns = 900,
        .page_copy_remote_extra_ns = 90,
        .reclaim_scan_ns = 110,
        .rmap_unmap_ns = 120,
        .page_free_ns = 130,
        .page_alloc_ns = 140,
        .swap_write_ns = 50000,
        .swap_read_ns = 60000,
        .file_read_ns = 70000,
        .file_write_ns = 80000,
        .context_switch_ns = FX_CTX_SWITCH,
    };
}

/* x86, IPI shootdown, 2 x 2 x 2, one node per socket, 6 PCID slots. */
static inline struct machine_cfg *fx_cfg_x86(void)
{
    struct machine_cfg *cfg = g_new0(struct machine_cfg, 1);
    const uint32_t S = 2, C = 2, T = 2;

    g_strlcpy(cfg->name, "fx-x86-2s-8c", sizeof(cfg->name));
    cfg->arch = ARCH_X86;
    cfg->shootdown = SHOOTDOWN_IPI;
    cfg->sockets = S;
    cfg->cores_per_socket = C;
    cfg->threads_per_core = T;
    cfg->n_cpus = S * C * T;
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t s = 0; s < S; s++)
            for (uint32_t c = 0; c < C; c++) {
                uint32_t id = t * (S * C) + s * C + c;

                cfg->cpu_socket[id] = s;
                cfg->cpu_core[id] = c;
                cfg->cpu_thread[id] = t;
                cfg->cpu_node[id] = (uint16_t)s;
            }
    cfg->asid_slots = 6;
    fx_cfg_common(cfg);
    return cfg;
}

/* arm64, broadcast TLBI, 2 sockets x 4 cores, one node per socket. */
static inline struct machine_cfg *fx_cfg_arm64(void)
{
    struct machine_cfg *cfg = g_new0(struct machine_cfg, 1);

    g_strlcpy(cfg->name, "fx-arm64-2s-8c", sizeof(cfg->name));
    cfg->arch = ARCH_ARM64;
    cfg->shootdown = SHOOTDOWN_BROADCAST_TLBI;
    cfg->sockets = 2;
    cfg->cores_per_socket = 4;
    cfg->threads_per_core = 1;
    cfg->n_cpus = 8;
    for (uint32_t id = 0; id < 8; id++) {
        cfg->cpu_socket[id] = id / 4;
        cfg->cpu_core[id] = id % 4;
        cfg->cpu_thread[id] = 0;
        cfg->cpu_node[id] = (uint16_t)(id / 4);
    }
    cfg->asid_slots = 65536;
    fx_cfg_common(cfg);
    return cfg;
}

/* Builds the machine; takes ownership of cfg. k NULL: kernel_cfg_defaults
 * (v6.14). The policy is configured as a scenario's `policy:` mapping would
 * configure it, from `params` (YAML, e.g. "dirty_rule: off"; NULL: defaults). */
static inline struct fx *fx_new(struct machine_cfg *cfg, const struct kernel_cfg *k,
                                const char *policy, const char *params)
{
    struct fx *f = g_new0(struct fx, 1);
    const struct flush_policy_ops *ops = policy_lookup(policy);
    struct cfg_node *map = NULL;
    struct cfg_error err;
    void *priv;

    assert_non_null(ops);
    priv = g_malloc0(ops->priv_size ? ops->priv_size : 1);
    if (cfg_load_string("policy", params ? params : "{}", &map, &err) ||
        (ops->configure && ops->configure(priv, map, &err)) || cfg_check_unknown(map, &err))
        fail_msg("policy %s params '%s': %s", policy, params ? params : "", err.msg);
    cfg_free(map);
    f->cfg = cfg;
    if (k)
        f->k = *k;
    else
        kernel_cfg_defaults(&f->k);
    f->eng = sim_engine_new();
    f->st = stats_new(cfg->n_cpus);
    f->m = machine_new(cfg, &f->k, ops, priv, f->eng, f->st, 1);
    f->scripts = g_ptr_array_new_with_free_func(g_free);
    return f;
}

static inline void fx_spy_free(struct fx *f);

static inline void fx_free(struct fx *f)
{
    /* Scripts belong to the fixture, not to their tasks (machine_free frees
     * an app task's owner). */
    for (uint32_t i = 0; i < f->m->n_tasks; i++)
        if (g_ptr_array_find(f->scripts, f->m->tasks[i]->owner, NULL))
            f->m->tasks[i]->owner = NULL;
    machine_free(f->m);
    fx_spy_free(f);     /* a policy spy (below), if one was installed */
    stats_free(f->st);
    sim_engine_free(f->eng);
    g_ptr_array_free(f->scripts, TRUE);
    g_free(f->cfg);
    g_free(f);
}

/* ---- CPU and TLB state ---- */

/* Puts CPU `cpu` in the state of running (or, lazy, having run) mm in ASID
 * slot `slot`, flushed up to generation `gen`, and sets its mm_cpumask bit.
 * On arm64 the TLB tag is the mm's global ASID and slot/gen are ignored. */
static inline void fx_load(struct fx *f, unsigned cpu, struct mm *mm, uint16_t slot, uint64_t gen,
                           bool lazy)
{
    struct cpu *c = &f->m->cpu[cpu];

    c->loaded_mm = mm->id;
    c->is_lazy = lazy;
    if (f->m->arm64) {
        c->loaded_asid = mm->asid;
    } else {
        c->loaded_asid = slot;
        c->ctx[slot] = (struct asid_ctx){ .mm_id = mm->id, .gen = gen };
    }
    cpumask_set(&mm->cpumask, cpu);
}

/* A slot that holds mm without mm being loaded (switched away under PCID). */
static inline void fx_slot(struct fx *f, unsigned cpu, struct mm *mm, uint16_t slot, uint64_t gen)
{
    f->m->cpu[cpu].ctx[slot] = (struct asid_ctx){ .mm_id = mm->id, .gen = gen };
}

/* Inserts n translations (asid, vpn0 + i) -> pfn 1000 + vpn0 + i. */
static inline void fx_fill(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn0, unsigned n)
{
    struct tlb *t = f->m->cpu[cpu].tlb;
    struct tlb_hit h;

    for (unsigned i = 0; i < n; i++) {
        tlb_insert(t, asid, vpn0 + i, (uint32_t)(1000 + vpn0 + i), true, false, TLB_LOAD);
        assert_true(tlb_probe(t, asid, vpn0 + i, &h));
    }
}

static inline bool fx_has(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn)
{
    struct tlb_hit h;

    return tlb_probe(f->m->cpu[cpu].tlb, asid, vpn, &h);
}

/* How many of (asid, vpn0 .. vpn0 + n - 1) CPU cpu still caches. */
static inline unsigned fx_count(struct fx *f, unsigned cpu, uint16_t asid, uint64_t vpn0,
                                unsigned n)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n; i++)
        k += fx_has(f, cpu, asid, vpn0 + i);
    return k;
}

/* ---- running ---- */

static inline void fx_noop_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)ctx;
    (void)arg;
}

/* Runs every event up to `until` and leaves the clock there. */
static inline void fx_run_until(struct fx *f, sim_time_t until)
{
    sim_schedule_at(f->eng, until, fx_noop_ev, NULL, 0);
    sim_run_until(f->eng, until);
    FX_EQ(sim_now(f->eng), until);
}

static inline void fx_irq_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct machine *m = ctx;

    (void)eng;
    cpu_irq(m, (unsigned)(arg & 0xffff), (enum irq_kind)(arg >> 16));
}

/* Delivers an interrupt of `kind` to cpu at absolute time `at`. */
static inline void fx_irq_at(struct fx *f, sim_time_t at, unsigned cpu, enum irq_kind kind)
{
    sim_schedule_at(f->eng, at, fx_irq_ev, f->m, (uint64_t)cpu | ((uint64_t)kind << 16));
}

/* Closes every CPU's accounting interval at now. */
static inline void fx_account(struct fx *f)
{
    for (unsigned i = 0; i < f->m->n_cpus; i++)
        cpu_account_flush(f->m, &f->m->cpu[i]);
}

/* Sum of the cpu_time_*_ns counters of one CPU. */
static inline uint64_t fx_cpu_time_sum(struct fx *f, unsigned cpu)
{
    uint64_t s = 0;

    for (int c = 0; c < CT_NR; c++)
        s += stats_cpu(f->st, f->m->ctr.cpu_time_app + (stats_id)c, cpu);
    return s;
}

static inline uint64_t fx_cpu_time(struct fx *f, unsigned cpu, enum cpu_time_cat cat)
{
    return stats_cpu(f->st, f->m->ctr.cpu_time_app + (stats_id)cat, cpu);
}

static inline const struct stats_hist *fx_latency(struct fx *f)
{
    return stats_hist_get(f->st, f->m->ctr.shootdown_latency);
}

/* ---- scripted tasks ---- */

#define FX_MAX_OPS 16

enum fx_op_kind {
    FX_OP_STEP,            /* cpu_step(n ns, cat) */
    FX_OP_STEP_TO,         /* cpu_step until absolute time n */
    FX_OP_FLUSH_RANGE,     /* sd_flush_mm_range(mm, vpn, n, flag = freed_tables) */
    FX_OP_FLUSH_BATCH,     /* sd_flush_batch(mask) */
    FX_OP_TLBI,            /* sd_tlbi_page(mm, vpn); its cost goes to cost[] */
    FX_OP_DSB,             /* sd_dsb(flag = always) */
    FX_OP_PTE_CLEARED,     /* policy pte_cleared(mm, vpn, pte) */
    FX_OP_FLUSH_DIRTY,     /* policy flush_dirty */
    FX_OP_FLUSH_PENDING,   /* policy flush_pending(FLUSH_END_OF_PASS) */
    FX_OP_CALL,            /* fn(script, arg): true if it put the task into a step/wait */
};

struct fx_script;
typedef bool fx_call_fn(struct fx_script *s, void *arg);

struct fx_op {
    enum fx_op_kind kind;
    struct mm *mm;
    uint64_t vpn, n;
    bool flag;
    pte_t pte;
    enum cpu_time_cat cat;
    const struct cpumask *mask;
    fx_call_fn *fn;
    void *arg;
};

struct fx_script {
    struct fx *f;
    struct task *t;
    struct fx_op op[FX_MAX_OPS];
    unsigned n, pc;
    sim_time_t started_at;              /* first run */
    sim_time_t began[FX_MAX_OPS];       /* when op i was issued */
    sim_time_t ended[FX_MAX_OPS];       /* when the task went on after op i */
    bool waited[FX_MAX_OPS];            /* op i returned true (step or wait) */
    sim_time_t cost[FX_MAX_OPS];        /* *cost_ns / TLBI cost op i reported */
    unsigned runs;
    bool done;
    sim_time_t done_at;
};

static inline bool fx_do_op(struct fx_script *s, unsigned i)
{
    struct fx_op *o = &s->op[i];
    struct task *t = s->t;
    struct machine *m = t->m;
    sim_time_t now = sim_now(m->eng);

    switch (o->kind) {
    case FX_OP_STEP:
        cpu_step(t, o->n, o->cat);
        return true;
    case FX_OP_STEP_TO:
        assert_true(o->n >= now);
        cpu_step(t, o->n - now, o->cat);
        return true;
    case FX_OP_FLUSH_RANGE:
        return sd_flush_mm_range(m, t, o->mm, o->vpn, o->n, o->flag);
    case FX_OP_FLUSH_BATCH:
        return sd_flush_batch(m, t, o->mask);
    case FX_OP_TLBI:
        s->cost[i] = sd_tlbi_page(m, t, o->mm, o->vpn);
        return false;
    case FX_OP_DSB:
        return sd_dsb(m, t, o->flag);
    case FX_OP_PTE_CLEARED:
        return m->policy->pte_cleared(m->policy_priv, t, o->mm, o->vpn, o->pte, &s->cost[i]);
    case FX_OP_FLUSH_DIRTY:
        return m->policy->flush_dirty(m->policy_priv, t, &s->cost[i]);
    case FX_OP_FLUSH_PENDING:
        return m->policy->flush_pending(m->policy_priv, t, FLUSH_END_OF_PASS, &s->cost[i]);
    case FX_OP_CALL:
        return o->fn(s, o->arg);
    }
    return false;
}

static inline void fx_script_run(struct task *t)
{
    struct fx_script *s = t->owner;
    sim_time_t now = sim_now(t->m->eng);

    if (s->runs++ == 0)
        s->started_at = now;
    else if (s->pc > 0)
        s->ended[s->pc - 1] = now;
    while (s->pc < s->n) {
        unsigned i = s->pc++;

        s->began[i] = now;
        s->waited[i] = fx_do_op(s, i);
        if (s->waited[i])
            return;
        s->ended[i] = now;
    }
    s->done = true;
    s->done_at = now;
    cpu_sleep(t);
}

/* A scripted task pinned to cpu: an app thread of mm, or a kernel thread
 * when mm is NULL. It is attached (starts at time 0 + switch costs) by
 * fx_start; add operations first. */
static inline struct fx_script *fx_task(struct fx *f, unsigned cpu, struct mm *mm,
                                        const char *name)
{
    struct fx_script *s = g_new0(struct fx_script, 1);

    s->f = f;
    s->t = machine_new_task(f->m, mm ? TASK_APP : TASK_KSWAPD, cpu, mm, name);
    s->t->run = fx_script_run;
    s->t->owner = s;
    g_ptr_array_add(f->scripts, s);
    return s;
}

static inline void fx_start(struct fx_script *s)
{
    cpu_attach(s->t);
}

static inline struct fx_op *fx_add(struct fx_script *s, enum fx_op_kind kind)
{
    struct fx_op *o;

    assert_true(s->n < FX_MAX_OPS);
    o = &s->op[s->n++];
    *o = (struct fx_op){ .kind = kind, .cat = CT_RECLAIM };
    return o;
}

/* The op adders return the op's index in the script. */
static inline unsigned fx_op_step(struct fx_script *s, sim_time_t ns, enum cpu_time_cat cat)
{
    struct fx_op *o = fx_add(s, FX_OP_STEP);

    o->n = ns;
    o->cat = cat;
    return s->n - 1;
}

static inline unsigned fx_op_step_to(struct fx_script *s, sim_time_t at)
{
    fx_add(s, FX_OP_STEP_TO)->n = at;
    return s->n - 1;
}

static inline unsigned fx_op_flush_range(struct fx_script *s, struct mm *mm, uint64_t vpn,
                                         uint64_t n, bool freed_tables)
{
    struct fx_op *o = fx_add(s, FX_OP_FLUSH_RANGE);

    o->mm = mm;
    o->vpn = vpn;
    o->n = n;
    o->flag = freed_tables;
    return s->n - 1;
}

static inline unsigned fx_op_flush_batch(struct fx_script *s, const struct cpumask *mask)
{
    fx_add(s, FX_OP_FLUSH_BATCH)->mask = mask;
    return s->n - 1;
}

static inline unsigned fx_op_tlbi(struct fx_script *s, struct mm *mm, uint64_t vpn)
{
    struct fx_op *o = fx_add(s, FX_OP_TLBI);

    o->mm = mm;
    o->vpn = vpn;
    return s->n - 1;
}

static inline unsigned fx_op_dsb(struct fx_script *s, bool always)
{
    fx_add(s, FX_OP_DSB)->flag = always;
    return s->n - 1;
}

static inline unsigned fx_op_pte_cleared(struct fx_script *s, struct mm *mm, uint64_t vpn,
                                         pte_t old)
{
    struct fx_op *o = fx_add(s, FX_OP_PTE_CLEARED);

    o->mm = mm;
    o->vpn = vpn;
    o->pte = old;
    return s->n - 1;
}

static inline unsigned fx_op_flush_dirty(struct fx_script *s)
{
    fx_add(s, FX_OP_FLUSH_DIRTY);
    return s->n - 1;
}

static inline unsigned fx_op_flush_pending(struct fx_script *s)
{
    fx_add(s, FX_OP_FLUSH_PENDING);
    return s->n - 1;
}

static inline unsigned fx_op_call(struct fx_script *s, fx_call_fn *fn, void *arg)
{
    struct fx_op *o = fx_add(s, FX_OP_CALL);

    o->fn = fn;
    o->arg = arg;
    return s->n - 1;
}

/* ---- kernel paths: frames, mappings, memory pressure, a policy spy ----
 * Used by the tests of fault.c, alloc.c, reclaim*.c, mmu_gather.c,
 * migrate.c and app.c. Frames are taken with cpu 0's pcp lists. */

#include "models/alloc.h"
#include "models/pagecache.h"
#include "models/reclaim_page.h"

/* A new frame of `node` (FRAME_ALLOCATED, nothing set). */
static inline pfn_t fx_frame(struct fx *f, unsigned node)
{
    pfn_t pfn = mem_alloc(f->m->mem, node, 0);

    assert_int_not_equal(pfn, PFN_NONE);
    return pfn;
}

/* Maps pfn at vpn of mm with PTE flags `flags` (PTE_PRESENT added), as the
 * kernel's set_pte + rmap add + rss do. */
static inline void fx_map(struct fx *f, struct mm *mm, uint64_t vpn, pfn_t pfn, pte_t flags)
{
    pte_t *pte = mm_pte(mm, vpn, true);

    assert_non_null(pte);
    *pte = pte_make(pfn, PTE_PRESENT | flags);
    mem_rmap_add(f->m->mem, pfn, mm->id, vpn);
    mm->rss_pages++;
}

/* A private anonymous page of mm at vpn on `node`, mapped with `flags`
 * (FRAME_DIRTY when the PTE is dirty), on the inactive anon LRU if lru. */
static inline pfn_t fx_anon_page(struct fx *f, struct mm *mm, uint64_t vpn, unsigned node,
                                 pte_t flags, bool lru)
{
    pfn_t pfn = fx_frame(f, node);
    struct frame *fr = mem_frame(f->m->mem, pfn);

    fr->flags = FRAME_ANON | ((flags & PTE_DIRTY) ? FRAME_DIRTY : 0);
    fr->owner = mm->id;
    fr->index = (uint32_t)vpn;
    fr->version++;
    fx_map(f, mm, vpn, pfn, flags);
    if (lru)
        mem_lru_add(f->m->mem, pfn, LRU_INACTIVE_ANON);
    return pfn;
}

/* Page `index` of file `file_id` in the page cache on `node` (clean), on
 * the inactive file LRU if lru. Not mapped. */
static inline pfn_t fx_file_page(struct fx *f, uint32_t file_id, uint64_t index, unsigned node,
                                 bool lru)
{
    pfn_t pfn = fx_frame(f, node);
    struct frame *fr = mem_frame(f->m->mem, pfn);

    fr->flags = 0;
    fr->owner = file_id;
    fr->index = (uint32_t)index;
    fr->version++;
    pagecache_insert(f->m->pc, file_id, index, pfn);
    if (lru)
        mem_lru_add(f->m->mem, pfn, LRU_INACTIVE_FILE);
    return pfn;
}

/* Takes frames of `node` (kept FRAME_ALLOCATED, as kernel memory) until it
 * has exactly `free_pages` free on its free list and none on pcp lists
 * (the last refill's leftover drained back). */
static inline void fx_fill_node(struct fx *f, unsigned node, uint64_t free_pages)
{
    while (mem_node_free(f->m->mem, node) + mem_node_pcp(f->m->mem, node) > free_pages)
        (void)fx_frame(f, node);
    mem_drain_pcp(f->m->mem, node);
    FX_EQ(mem_node_free(f->m->mem, node), free_pages);
}

static inline pte_t fx_pte(struct mm *mm, uint64_t vpn)
{
    pte_t *pte = mm_pte(mm, vpn, false);

    return pte ? *pte : 0;
}

/* Whether pfn is on the free lists (node list or a pcp list). */
static inline bool fx_is_free(struct fx *f, pfn_t pfn)
{
    uint8_t st = mem_frame(f->m->mem, pfn)->state;

    return st == FRAME_FREE || st == FRAME_PCP;
}

/* Whether (mm, vpn) is among pfn's reverse-map entries. */
static inline bool fx_rmap_has(struct fx *f, pfn_t pfn, struct mm *mm, uint64_t vpn)
{
    for (uint32_t r = mem_frame(f->m->mem, pfn)->rmap; r != RMAP_NONE;
         r = mem_rmap_entry(f->m->mem, r)->next) {
        const struct rmap_entry *e = mem_rmap_entry(f->m->mem, r);

        if (e->mm_id == mm->id && e->vpn == vpn)
            return true;
    }
    return false;
}

/* The LRU list `l` of node from its tail (oldest) toward its head: fills
 * out[] (at most n) and returns the list's length. */
static inline uint64_t fx_lru_from_tail(struct fx *f, unsigned node, enum lru_list l, pfn_t *out,
                                        unsigned n)
{
    pfn_t p = mem_lru_tail(f->m->mem, node, l);

    for (unsigned i = 0; i < n && p != PFN_NONE; i++, p = mem_frame(f->m->mem, p)->prev)
        out[i] = p;
    return mem_lru_len(f->m->mem, node, l);
}

/* Schedules fn(f, arg) at absolute time `at` (a probe of the state while
 * the tasks are in the middle of something). */
typedef void fx_probe_fn(struct fx *f, void *arg);

struct fx_probe {
    struct fx *f;
    fx_probe_fn *fn;
    void *arg;
};

static inline void fx_probe_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct fx_probe *p = ctx;

    (void)eng;
    (void)arg;
    p->fn(p->f, p->arg);
    g_free(p);
}

static inline void fx_probe_at(struct fx *f, sim_time_t at, fx_probe_fn *fn, void *arg)
{
    struct fx_probe *p = g_new(struct fx_probe, 1);

    *p = (struct fx_probe){ .f = f, .fn = fn, .arg = arg };
    sim_schedule_at(f->eng, at, fx_probe_ev, p, 0);
}

/* The policy spy: wraps the machine's policy, records every call of the
 * hooks below (time, CPU, arguments) and passes it on unchanged, with the
 * policy's own private data (other hooks are the policy's, untouched).
 * Optional hooks the policy lacks behave as if absent (batched_pending
 * falls back to mainline, page_alloc does nothing, pte_writable does
 * nothing but charge spy->writable_cost). `probe`, if set, runs at each
 * call before the wrapped hook. One spy at a time (a test binary runs its
 * tests one after another); fx_free frees it. */
enum fx_hook {
    FX_H_PTE_CLEARED, FX_H_FLUSH_DIRTY, FX_H_FLUSH_PENDING, FX_H_BATCHED_PENDING,
    FX_H_PAGE_ALLOC, FX_H_PTE_WRITABLE, FX_H_NR
};

struct fx_hook_call {
    enum fx_hook hook;
    sim_time_t at;
    unsigned cpu;
    uint32_t mm_id;            /* 0 when the hook has no mm */
    uint64_t vpn;
    pte_t old;                 /* pte_cleared */
    uint32_t pfn;              /* page_alloc */
    enum flush_point why;      /* flush_pending */
};

struct fx_spy;
typedef void fx_spy_probe_fn(struct fx_spy *s, const struct fx_hook_call *c, struct task *t);

struct fx_spy {
    struct flush_policy_ops ops;         /* the machine's policy while installed */
    const struct flush_policy_ops *inner;
    struct fx *f;
    GArray *calls;                       /* struct fx_hook_call */
    unsigned n[FX_H_NR];
    sim_time_t writable_cost;
    fx_spy_probe_fn *probe;
    void *arg;
};

static inline struct fx_spy **fx_spy_slot(void)
{
    static struct fx_spy *cur;

    return &cur;
}

static inline struct fx_spy *fx_spy(struct fx *f)
{
    struct fx_spy *s = *fx_spy_slot();

    assert_non_null(s);
    assert_ptr_equal(s->f, f);
    return s;
}

static inline const struct fx_hook_call *fx_spy_call(struct fx_spy *s, unsigned i)
{
    assert_true(i < s->calls->len);
    return &g_array_index(s->calls, struct fx_hook_call, i);
}

/* The i-th call of hook h. */
static inline const struct fx_hook_call *fx_spy_nth(struct fx_spy *s, enum fx_hook h, unsigned i)
{
    for (unsigned k = 0; k < s->calls->len; k++) {
        const struct fx_hook_call *c = fx_spy_call(s, k);

        if (c->hook == h && i-- == 0)
            return c;
    }
    fail_msg("hook %d called fewer than %u times", (int)h, i + 1);
    return NULL;
}

static inline struct fx_spy *fx_spy_rec(struct fx_hook_call c, struct task *t)
{
    struct fx_spy *s = *fx_spy_slot();

    c.at = sim_now(t->m->eng);
    c.cpu = t->cpu;
    g_array_append_val(s->calls, c);
    s->n[c.hook]++;
    if (s->probe)
        s->probe(s, &c, t);
    return s;
}

static inline bool fx_spy_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                      pte_t old, sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PTE_CLEARED,
                                                          .mm_id = mm->id, .vpn = vpn,
                                                          .old = old }, t);

    return s->inner->pte_cleared(priv, t, mm, vpn, old, cost_ns);
}

static inline bool fx_spy_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_FLUSH_DIRTY }, t);

    return s->inner->flush_dirty(priv, t, cost_ns);
}

static inline bool fx_spy_flush_pending(void *priv, struct task *t, enum flush_point why,
                                        sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_FLUSH_PENDING,
                                                          .why = why }, t);

    return s->inner->flush_pending(priv, t, why, cost_ns);
}

static inline bool fx_spy_batched_pending(void *priv, struct task *t, struct mm *mm,
                                          sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_BATCHED_PENDING,
                                                          .mm_id = mm->id }, t);

    if (s->inner->batched_pending)
        return s->inner->batched_pending(priv, t, mm, cost_ns);
    return policy_default_batched_pending(t->m, t, mm, cost_ns);
}

static inline bool fx_spy_page_alloc(void *priv, struct task *t, uint32_t pfn,
                                     sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PAGE_ALLOC, .pfn = pfn },
                                  t);

    return s->inner->page_alloc ? s->inner->page_alloc(priv, t, pfn, cost_ns) : false;
}

static inline bool fx_spy_pte_writable(void *priv, struct task *t, struct mm *mm, uint64_t vpn,
                                       sim_time_t *cost_ns)
{
    struct fx_spy *s = fx_spy_rec((struct fx_hook_call){ .hook = FX_H_PTE_WRITABLE,
                                                          .mm_id = mm->id, .vpn = vpn }, t);

    if (s->inner->pte_writable)
        return s->inner->pte_writable(priv, t, mm, vpn, cost_ns);
    *cost_ns += s->writable_cost;
    return false;
}

/* Install right after fx_new, before the run starts. */
static inline struct fx_spy *fx_spy_install(struct fx *f)
{
    struct fx_spy *s = g_new0(struct fx_spy, 1);

    /* a spy left behind is a failed test's (its machine is never used again) */
    s->inner = f->m->policy;
    s->f = f;
    s->calls = g_array_new(FALSE, TRUE, sizeof(struct fx_hook_call));
    s->ops = *s->inner;
    s->ops.pte_cleared = fx_spy_pte_cleared;
    s->ops.flush_dirty = fx_spy_flush_dirty;
    s->ops.flush_pending = fx_spy_flush_pending;
    s->ops.batched_pending = fx_spy_batched_pending;
    s->ops.page_alloc = fx_spy_page_alloc;
    s->ops.pte_writable = fx_spy_pte_writable;
    f->m->policy = &s->ops;
    *fx_spy_slot() = s;
    return s;
}

/* Called by fx_free once the machine is gone. */
static inline void fx_spy_free(struct fx *f)
{
    struct fx_spy *s = *fx_spy_slot();

    if (!s || s->f != f)
        return;
    g_array_free(s->calls, TRUE);
    g_free(s);
    *fx_spy_slot() = NULL;
}

#endif
