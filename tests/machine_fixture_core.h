/* Core of the machine test fixture (a part of tests/machine_fixture.h,
 * which includes it: include that header, not this one): the test machine
 * built in C (no YAML) and its costs, the fixture that owns it, equality and
 * counter assertions, and helpers that run the engine and read the
 * accounting.
 *
 * The x86 machine: 2 sockets x 2 cores x 2 threads = 8 CPUs, numbered as
 * Linux does, cpu = thread * 4 + socket * 2 + core:
 *     cpu 0: s0 c0 t0   cpu 4: s0 c0 t1 (SMT sibling of 0)
 *     cpu 1: s0 c1 t0   cpu 5: s0 c1 t1
 *     cpu 2: s1 c0 t0   cpu 6: s1 c0 t1
 *     cpu 3: s1 c1 t0   cpu 7: s1 c1 t1
 * so from cpu 0: cpu 4 is SMT, cpus 1 and 5 same socket, 2, 3, 6, 7 remote.
 * Costs are round and distinct (FX_* below) and tick_hz is 0 (no timer
 * interrupts), so every time a test expects is exact. */
#ifndef TESTS_MACHINE_FIXTURE_CORE_H
#define TESTS_MACHINE_FIXTURE_CORE_H

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
#include "models/policy.h"
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

/* The policy spy's, in tests/machine_fixture_spy.h. */
static inline void fx_spy_free(struct fx *f);

static inline void fx_free(struct fx *f)
{
    /* Scripts belong to the fixture, not to their tasks (machine_free frees
     * an app task's owner). */
    for (uint32_t i = 0; i < f->m->n_tasks; i++)
        if (g_ptr_array_find(f->scripts, f->m->tasks[i]->owner, NULL))
            f->m->tasks[i]->owner = NULL;
    machine_free(f->m);
    fx_spy_free(f);     /* a policy spy, if one was installed */
    stats_free(f->st);
    sim_engine_free(f->eng);
    g_ptr_array_free(f->scripts, TRUE);
    g_free(f->cfg);
    g_free(f);
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

#endif
