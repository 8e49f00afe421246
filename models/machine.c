/* Building and tearing down a machine; the small services handlers share. */
#include "models/machine.h"

#include <glib.h>
#include <stdio.h>

#include "models/app.h"
#include "models/fault.h"
#include "models/hazard.h"
#include "models/kswapd.h"
#include "models/memory.h"
#include "models/migrate.h"
#include "models/mmu_gather.h"
#include "models/mm.h"
#include "models/pagecache.h"
#include "models/policy.h"
#include "models/reclaim.h"
#include "models/shootdown.h"
#include "models/timeline.h"
#include "models/tlb.h"
#include "models/trace.h"
#include "sim/engine.h"

static void register_counters(struct machine *m)
{
#define C(field, name) m->ctr.field = stats_counter(m->st, name);
#include "models/counters.def"
#undef C
    m->ctr.shootdown_latency = stats_hist(m->st, "shootdown_latency_ns");
    m->ctr.stale_entries = stats_hist(m->st, "stale_tlb_entries");
    m->ctr.stale_entries_writable = stats_hist(m->st, "stale_tlb_entries_writable");
}

/* Fallback order of each node: by distance, then by node id. */
static void build_zonelists(struct machine *m)
{
    unsigned n = m->cfg->n_nodes;

    m->zonelist = g_new(uint16_t, (size_t)n * n);
    for (unsigned from = 0; from < n; from++) {
        uint16_t *zl = &m->zonelist[from * n];

        for (unsigned i = 0; i < n; i++)
            zl[i] = (uint16_t)i;
        for (unsigned i = 1; i < n; i++) {      /* insertion sort: n <= 64 */
            uint16_t v = zl[i];
            unsigned j = i;

            while (j > 0 && m->cfg->distance[from][zl[j - 1]] > m->cfg->distance[from][v]) {
                zl[j] = zl[j - 1];
                j--;
            }
            zl[j] = v;
        }
    }
}

/* Memory tiers as the kernel builds them by default: nodes with CPUs are
 * the top tier and demote to their nearest CPU-less node. */
static void build_demotion(struct machine *m)
{
    unsigned n = m->cfg->n_nodes;

    m->demote_target = g_new(int, n);
    for (unsigned from = 0; from < n; from++) {
        const uint16_t *zl = &m->zonelist[from * n];

        m->demote_target[from] = -1;
        if (!m->cfg->node[from].has_cpus)
            continue;
        for (unsigned i = 0; i < n; i++) {
            if (!m->cfg->node[zl[i]].has_cpus) {
                m->demote_target[from] = zl[i];
                break;
            }
        }
    }
}

static void init_cpu(struct machine *m, unsigned id)
{
    struct cpu *c = &m->cpu[id];
    uint32_t slots = m->cfg->asid_slots ? m->cfg->asid_slots : 1;

    c->m = m;
    c->id = id;
    c->node = m->cfg->cpu_node[id];
    c->socket = m->cfg->cpu_socket[id];
    c->core = m->cfg->cpu_core[id];
    c->thread = m->cfg->cpu_thread[id];
    /* x2APIC IDs put a core's threads next to each other, socket-major;
     * a logical cluster is ipi_cluster_cpus consecutive IDs. */
    if (m->cfg->ipi_cluster_cpus) {
        unsigned per_socket = m->cfg->cores_per_socket * m->cfg->threads_per_core;
        unsigned clusters = (per_socket + m->cfg->ipi_cluster_cpus - 1) / m->cfg->ipi_cluster_cpus;

        c->apic_cluster = c->socket * clusters +
                          (c->core * m->cfg->threads_per_core + c->thread) / m->cfg->ipi_cluster_cpus;
    }
    c->tlb = tlb_new(&m->cfg->l1d, &m->cfg->l1i, &m->cfg->l2);
    c->loaded_mm = ASID_NONE;
    c->ctx = g_new(struct asid_ctx, m->arm64 ? 1 : slots);
    for (uint32_t i = 0; i < (m->arm64 ? 1 : slots); i++)
        c->ctx[i] = (struct asid_ctx){ .mm_id = ASID_NONE, .gen = 0 };
    c->cat = CT_IDLE;
}

static void tick_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct cpu *c = ctx;
    struct machine *m = c->m;

    (void)arg;
    /* NOHZ: an idle CPU takes no tick. */
    if (c->curr)
        cpu_irq(m, c->id, IRQ_TIMER);
    sim_schedule(eng, SIM_S / m->cfg->tick_hz, tick_ev, c, 0);
}

static void start_ticks(struct machine *m)
{
    struct rng r;

    if (!m->cfg->tick_hz)
        return;
    rng_stream_init(&r, m->seed, RNG_STREAM_ID(RNG_KIND_ENGINE, 1));
    for (unsigned i = 0; i < m->n_cpus; i++)
        sim_schedule(m->eng, rng_uniform_u64(&r, SIM_S / m->cfg->tick_hz), tick_ev, &m->cpu[i], 0);
}

struct machine *machine_new(const struct machine_cfg *cfg, const struct kernel_cfg *k,
                            const struct flush_policy_ops *policy, void *policy_priv,
                            struct sim_engine *eng, struct stats *st, uint64_t seed)
{
    struct machine *m = g_new0(struct machine, 1);

    m->policy = policy;
    m->policy_priv = policy_priv;
    m->cfg = cfg;
    m->kcfg = *k;
    m->eng = eng;
    m->st = st;
    m->seed = seed;
    m->n_cpus = cfg->n_cpus;
    m->arm64 = cfg->shootdown == SHOOTDOWN_BROADCAST_TLBI;
    register_counters(m);
    build_zonelists(m);
    build_demotion(m);
    m->cpu = g_new0(struct cpu, m->n_cpus);
    for (unsigned i = 0; i < m->n_cpus; i++)
        init_cpu(m, i);
    m->mem = memory_new(cfg, k->pcp_batch, k->pcp_high);
    m->pc = pagecache_new();
    m->lru_add_len = g_new0(uint32_t, m->n_cpus);
    m->lru_add_buf = g_new0(pfn_t, (size_t)m->n_cpus * k->lru_add_batch);
    if (k->numa_tiering)
        m->numa_access_us = g_new0(uint32_t, mem_n_frames(m->mem));
    m->mms = g_new0(struct mm *, 1);
    m->mm_threads = g_new0(GPtrArray *, 1);
    m->n_mms = 1;                       /* id 0 is never used */
    m->cap_mms = 1;
    m->files = g_new0(struct file_info, 1);
    m->n_files = 1;                     /* file 0 is the swap cache */
    m->next_swap_slot = 1;
    m->kswapd = g_new0(struct task *, cfg->n_nodes);
    m->lru_lock = g_new0(struct sim_spinlock, cfg->n_nodes);
    m->cluster_stamp = g_new0(uint64_t, m->n_cpus);
    m->cluster_sent_at = g_new0(sim_time_t, m->n_cpus);
    m->hazards = hazard_log_new(NULL);
    m->removed_flush = -1;
    sd_init(m);
    if (policy->attach)
        policy->attach(policy_priv, m);
    kswapd_create(m);
    start_ticks(m);
    return m;
}

struct mm *machine_new_mm(struct machine *m)
{
    struct mm *mm;

    if (m->n_mms == m->cap_mms) {
        m->cap_mms *= 2;
        m->mms = g_renew(struct mm *, m->mms, m->cap_mms);
        m->mm_threads = g_renew(GPtrArray *, m->mm_threads, m->cap_mms);
    }
    mm = mm_new(m->n_mms, m->n_cpus);
    m->mms[m->n_mms] = mm;
    m->mm_threads[m->n_mms] = g_ptr_array_new();
    m->n_mms++;
    return mm;
}

uint32_t machine_new_file(struct machine *m, uint64_t size_pages, bool sparse)
{
    m->files = g_renew(struct file_info, m->files, m->n_files + 1);
    m->files[m->n_files] = (struct file_info){ .size_pages = size_pages, .sparse = sparse };
    return m->n_files++;
}

struct task *machine_new_task(struct machine *m, enum task_kind kind, unsigned cpu,
                              struct mm *mm, const char *name)
{
    struct task *t = g_new0(struct task, 1);

    t->id = m->n_tasks;
    t->kind = kind;
    t->m = m;
    t->cpu = cpu;
    t->mm = mm;
    t->state = TASK_SLEEPING;
    g_strlcpy(t->name, name, sizeof(t->name));
    if (m->policy && m->policy->task_state_size) {
        t->policy_state = g_malloc0(m->policy->task_state_size);
        if (m->policy->task_init)
            m->policy->task_init(m->policy_priv, m, t->policy_state);
    }
    m->tasks = g_renew(struct task *, m->tasks, m->n_tasks + 1);
    m->tasks[m->n_tasks++] = t;
    return t;
}

void machine_sync_mm(struct machine *m, struct mm *mm)
{
    GPtrArray *threads = m->mm_threads[mm->id];
    sim_time_t now = sim_now(m->eng);

    for (guint i = 0; i < threads->len; i++) {
        struct task *t = g_ptr_array_index(threads, i);

        if (t->in_user && t->sync)
            t->sync(t, now);
    }
}

sim_time_t machine_remote_extra(const struct machine *m, unsigned from_node, unsigned to_node,
                                sim_time_t per_step_ns)
{
    unsigned d = m->cfg->distance[from_node][to_node];

    return d > 10 ? (d - 10) * per_step_ns / 10 : 0;
}

void machine_fail(struct machine *m, const char *msg)
{
    if (!m->failure)
        m->failure = g_strdup(msg);
    sim_stop(m->eng);
}

static void free_task(struct machine *m, struct task *t)
{
    if (t->kind == TASK_APP)
        app_thread_free(t);
    if (t->policy_state && m->policy->task_destroy)
        m->policy->task_destroy(m->policy_priv, t->policy_state);
    g_free(t->policy_state);
    reclaim_ctx_free(t->reclaim);
    fault_ctx_free(t->fault);
    g_free(t->madv);
    zap_ctx_free(t->zap);
    migrate_ctx_free(t->migrate);
    g_free(t);
}

void machine_free(struct machine *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n_tasks; i++)
        free_task(m, m->tasks[i]);
    g_free(m->tasks);
    for (uint32_t i = 1; i < m->n_mms; i++) {
        mm_free(m->mms[i]);
        g_ptr_array_free(m->mm_threads[i], TRUE);
    }
    g_free(m->mms);
    g_free(m->mm_threads);
    sd_destroy(m);
    for (unsigned i = 0; i < m->n_cpus; i++) {
        tlb_free(m->cpu[i].tlb);
        g_free(m->cpu[i].ctx);
        g_free(m->cpu[i].tlbi_q);
    }
    g_free(m->cpu);
    memory_free(m->mem);
    pagecache_free(m->pc);
    hazard_log_free(m->hazards);
    if (m->policy && m->policy->detach)
        m->policy->detach(m->policy_priv, m);
    g_free(m->mutant_ops);
    g_free(m->policy_priv);
    g_free(m->lru_add_len);
    g_free(m->lru_add_buf);
    g_free(m->numa_access_us);
    g_free(m->zonelist);
    g_free(m->files);
    g_free(m->kswapd);
    g_free(m->lru_lock);
    g_free(m->cluster_stamp);
    g_free(m->cluster_sent_at);
    g_free(m->demote_target);
    g_free(m->failure);
    trace_discard(m);
    timeline_free(m);
    g_free(m);
}
