/* latr: lazy translation coherence (LATR: Mohan Kumar, Steffen Maass et
 * al., ASPLOS'18, doi:10.1145/3173162.3173198; code: sslab-gatech/latr on
 * Linux 4.10). The paper's claim (abstract): handling TLB coherence lazily
 * avoids the IPIs and their interrupt handlers of a synchronous shootdown;
 * free and page-migration operations benefit, munmap() latency improves by
 * 70.8% on a 2-socket machine, and Apache by 59.9% over Linux.
 *
 * What is modelled, on an IPI (x86) machine, where the policy interface
 * reaches (reclaim, MADV_PAGEOUT, migration; munmap and MADV_DONTNEED keep
 * their mmu_gather flush, which this interface does not replace):
 *  - at unmap (pte_cleared) the unmapping CPU invalidates its own entry at
 *    once (INVLPG) and pushes (mm, vpn) into the invalidation queue of every
 *    other CPU of mm_cpumask, with no IPI (one cache-line transfer per
 *    target, priced as ack_same/remote_socket). gen(mm) is bumped as for a
 *    batched flush, so a CPU that switched away and left mm_cpumask still
 *    catches up at switch_mm;
 *  - each CPU drains its queue at its next scheduler tick (timer interrupt)
 *    or context switch (the tick and context_switch hooks): one INVLPG per
 *    entry in whatever ASID slot holds the mm, or one full flush of every
 *    ASID past flush_ceiling_pages or after an overflow (a full queue: our
 *    choice, the paper's fallback is not modelled). A switch to idle drains
 *    too; an idle CPU drains before it next runs a task, so it holds no
 *    frame back while idle;
 *  - freed frames are not reused before every CPU that may hold one of
 *    their translations has drained: reclaim hands each frame to the policy
 *    (defer_free), which keeps it (FRAME_ISOLATED) in a batch waiting for
 *    the CPUs whose queues were non-empty (running CPUs only) and frees it
 *    (mem_free, pgfree) at the last of their drains;
 *  - what cannot wait stays synchronous: the flush before pageout of a
 *    folio whose PTE was dirty (the I/O must not miss a store; flush_dirty)
 *    and before a migration copy (S4; flush_pending(FLUSH_BEFORE_COPY)) send
 *    IPIs for the pages cleared since the last flush point (sd_flush_pages,
 *    INVPCID of each page in any slot). mprotect/munmap racing with a lazy
 *    clear keep mainline's flush_tlb_batched_pending.
 * On arm64 (broadcast TLBI) there are no IPIs to avoid: the policy is
 * mainline's arm64 batch there (TLBI at unmap, one DSB per flush point). */
#include <glib.h>

#include "models/cpu.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/memory.h"
#include "models/policy.h"
#include "models/shootdown.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/tlb.h"

struct latr_entry {
    struct mm *mm;
    uint64_t vpn;
};

struct latr_queue {
    struct latr_entry *e;       /* queue_len slots */
    uint32_t n;
    bool overflow;              /* entries were dropped: full flush at the drain */
};

struct held {
    uint32_t pfn;
    uint32_t cpu;               /* whose pcp list it goes to */
};

/* Frames waiting for the drains of the CPUs in need. */
struct latr_batch {
    struct cpumask need;
    GArray *frames;             /* struct held */
    uint64_t seq;               /* creation order */
};

struct latr {
    uint32_t queue_len;
    struct machine *m;
    struct latr_queue *q;       /* per CPU */
    GPtrArray *batches;         /* struct latr_batch *, oldest first */
    struct cpumask scratch;
    struct cpumask queued;      /* CPUs whose queue is not empty (or overflowed) */
    uint64_t held;              /* frames held now */
    uint64_t next_seq;
    stats_id c_queued, c_overflow, c_drains, c_held, c_sync, c_pressure;
};

/* Per task: the pages cleared since the last flush point, for the
 * synchronous cases, and whether one of them was dirty. */
struct latr_ubc {
    struct cpumask mask;
    GArray *pages;              /* struct sd_page */
    bool dirty, flush_required;
    /* a memory-pressure flush in flight: the CPUs it interrupts release the
     * batches older than seq_limit when it completes (t runs again) */
    struct cpumask pressure;
    uint64_t seq_limit;
    task_run_fn *resume;
};

static const struct policy_param latr_params[] = {
    { "queue_len", "64", "entries per CPU invalidation queue; a full queue makes its next drain a full flush (assumption)" },
    { NULL, NULL, NULL },
};

static int latr_configure(void *priv, struct cfg_node *map, struct cfg_error *err)
{
    struct latr *p = priv;

    p->queue_len = 64;
    return cfg_get_u32(map, "queue_len", false, 1, 1u << 16, &p->queue_len, err);
}

static void latr_attach(void *priv, struct machine *m)
{
    struct latr *p = priv;

    p->m = m;
    p->q = g_new0(struct latr_queue, m->n_cpus);
    for (unsigned c = 0; c < m->n_cpus; c++)
        p->q[c].e = g_new(struct latr_entry, p->queue_len);
    p->batches = g_ptr_array_new();
    cpumask_init(&p->scratch, m->n_cpus);
    cpumask_init(&p->queued, m->n_cpus);
    p->c_queued = stats_counter(m->st, "latr_entries_queued");
    p->c_overflow = stats_counter(m->st, "latr_queue_overflows");
    p->c_drains = stats_counter(m->st, "latr_drains");
    p->c_held = stats_counter(m->st, "latr_frames_held");
    p->c_sync = stats_counter(m->st, "latr_sync_flushes");
    p->c_pressure = stats_counter(m->st, "latr_pressure_flushes");
}

static void batch_free(struct latr_batch *b)
{
    cpumask_destroy(&b->need);
    g_array_free(b->frames, TRUE);
    g_free(b);
}

static void latr_detach(void *priv, struct machine *m)
{
    struct latr *p = priv;

    for (unsigned c = 0; c < m->n_cpus; c++)
        g_free(p->q[c].e);
    g_free(p->q);
    for (guint i = 0; i < p->batches->len; i++)
        batch_free(g_ptr_array_index(p->batches, i));
    g_ptr_array_free(p->batches, TRUE);
    cpumask_destroy(&p->scratch);
    cpumask_destroy(&p->queued);
}

static void latr_task_init(void *priv, struct machine *m, void *ts)
{
    struct latr_ubc *u = ts;

    (void)priv;
    cpumask_init(&u->mask, m->n_cpus);
    cpumask_init(&u->pressure, m->n_cpus);
    u->pages = g_array_new(FALSE, FALSE, sizeof(struct sd_page));
}

static void latr_task_destroy(void *priv, void *ts)
{
    struct latr_ubc *u = ts;

    (void)priv;
    cpumask_destroy(&u->mask);
    cpumask_destroy(&u->pressure);
    g_array_free(u->pages, TRUE);
}

static void push(struct latr *p, unsigned cpu, struct mm *mm, uint64_t vpn)
{
    struct latr_queue *q = &p->q[cpu];

    cpumask_set(&p->queued, cpu);
    if (q->n == p->queue_len) {
        if (!q->overflow)
            stats_add(p->m->st, p->c_overflow, cpu, 1);
        q->overflow = true;
        return;
    }
    q->e[q->n++] = (struct latr_entry){ .mm = mm, .vpn = vpn };
}

static bool latr_pte_cleared(void *priv, struct task *t, struct mm *mm, uint64_t vpn, pte_t old,
                             sim_time_t *cost_ns)
{
    struct latr *p = priv;
    struct latr_ubc *u = t->policy_state;
    struct machine *m = t->m;
    struct cpu *self = &m->cpu[t->cpu];
    struct sd_page pg = { .mm = mm, .vpn = vpn, .gen = 0 };
    uint32_t asid;
    unsigned c;

    if (!pte_present(old))
        return false;       /* pte_accessible: nothing can be cached */
    if (m->arm64) {
        *cost_ns += sd_tlbi_page(m, t, mm, vpn);
        u->flush_required = true;
        mm->flush_batched_pending++;
        if (old & PTE_DIRTY)
            u->dirty = true;
        return false;
    }
    asid = switch_mm_asid_of(m, self, mm);
    if (asid != ASID_NONE) {
        tlb_invalidate_page(self->tlb, (uint16_t)asid, vpn);
        stats_add(m->st, m->ctr.nr_tlb_local_flush_one, t->cpu, 1);
        sd_count_flush(m, t->cpu, TLB_LOCAL_MM_SHOOTDOWN, 1);
        *cost_ns += m->cfg->cost.invlpg_ns;
    }
    sd_batch_add_mm(m, mm, &u->mask);
    cpumask_for_each(c, &mm->cpumask) {
        if (c == t->cpu)
            continue;
        push(p, c, mm, vpn);
        stats_add(m->st, p->c_queued, t->cpu, 1);
        *cost_ns += m->cpu[c].socket == self->socket ? m->cfg->cost.ack_same_socket_ns
                                                     : m->cfg->cost.ack_remote_socket_ns;
    }
    cpumask_clear(&u->mask, t->cpu);    /* done locally already */
    g_array_append_val(u->pages, pg);
    if (old & PTE_DIRTY)
        u->dirty = true;
    mm->flush_batched_pending++;
    return false;
}

/* The synchronous flush of the pages cleared since the last flush point. */
static bool sync_flush(struct latr *p, struct task *t, struct latr_ubc *u)
{
    struct machine *m = t->m;
    bool waited = false;

    if (m->arm64) {
        if (!u->flush_required)
            return false;
        u->flush_required = u->dirty = false;
        return sd_dsb(m, t, false);
    }
    if (u->pages->len && !cpumask_empty(&u->mask)) {
        stats_add(m->st, p->c_sync, t->cpu, 1);
        waited = sd_flush_pages(m, t, &u->mask, (const struct sd_page *)(void *)u->pages->data,
                                u->pages->len, true);
    }
    g_array_set_size(u->pages, 0);
    cpumask_clear_all(&u->mask);
    u->dirty = false;
    return waited;
}

static bool latr_flush_dirty(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct latr_ubc *u = t->policy_state;

    (void)cost_ns;
    if (!u->dirty)
        return false;
    return sync_flush(priv, t, u);
}

static bool latr_flush_pending(void *priv, struct task *t, enum flush_point why,
                               sim_time_t *cost_ns)
{
    struct latr_ubc *u = t->policy_state;

    (void)cost_ns;
    if (why == FLUSH_BEFORE_COPY || t->m->arm64)
        return sync_flush(priv, t, u);
    /* Free points: nothing to wait for; the queues carry the invalidations
     * and defer_free holds the frames until they are drained. */
    g_array_set_size(u->pages, 0);
    cpumask_clear_all(&u->mask);
    u->dirty = false;
    return false;
}

static bool latr_defer_free(void *priv, struct task *t, uint32_t pfn)
{
    struct latr *p = priv;
    struct machine *m = t->m;
    struct latr_batch *b = NULL;
    struct held h = { .pfn = pfn, .cpu = t->cpu };
    unsigned c;

    if (m->arm64)
        return false;
    /* An idle CPU, or one lazily running a kernel thread, uses no user
     * translation before its next context switch, which drains it. */
    cpumask_clear_all(&p->scratch);
    cpumask_for_each(c, &p->queued)
        if (m->cpu[c].curr && !m->cpu[c].is_lazy)
            cpumask_set(&p->scratch, c);
    if (cpumask_empty(&p->scratch))
        return false;
    if (p->batches->len) {
        b = g_ptr_array_index(p->batches, p->batches->len - 1);
        if (!cpumask_equal(&b->need, &p->scratch))
            b = NULL;
    }
    if (!b) {
        b = g_new0(struct latr_batch, 1);
        cpumask_init(&b->need, m->n_cpus);
        cpumask_copy(&b->need, &p->scratch);
        b->frames = g_array_new(FALSE, FALSE, sizeof(struct held));
        b->seq = p->next_seq++;
        g_ptr_array_add(p->batches, b);
    }
    g_array_append_val(b->frames, h);
    p->held++;
    stats_add(m->st, p->c_held, t->cpu, 1);
    return true;
}

/* CPU cpu no longer holds translations for the batches older than
 * seq_limit: frees the frames no other CPU holds back. */
static void release(struct latr *p, struct machine *m, unsigned cpu, uint64_t seq_limit)
{
    for (guint i = 0; i < p->batches->len;) {
        struct latr_batch *b = g_ptr_array_index(p->batches, i);

        if (b->seq < seq_limit)
            cpumask_clear(&b->need, cpu);
        if (!cpumask_empty(&b->need)) {
            i++;
            continue;
        }
        for (guint k = 0; k < b->frames->len; k++) {
            const struct held *h = &g_array_index(b->frames, struct held, k);

            hazard_note(m, HZ_FREE, h->cpu, h->pfn, 0, 0);
            mem_free(m->mem, h->pfn, h->cpu);
            stats_add(m->st, m->ctr.pgfree, h->cpu, 1);
        }
        p->held -= b->frames->len;
        batch_free(b);
        g_ptr_array_remove_index(p->batches, i);
    }
}

/* Empties cpu's queue and releases the frames no other CPU holds back. */
static sim_time_t drain(struct latr *p, struct machine *m, unsigned cpu)
{
    struct latr_queue *q = &p->q[cpu];
    struct cpu *c = &m->cpu[cpu];
    sim_time_t cost = 0;

    if (q->n || q->overflow) {
        if (q->overflow || q->n > m->cfg->cost.flush_ceiling_pages) {
            tlb_flush_all(c->tlb);
            stats_add(m->st, m->ctr.nr_tlb_local_flush_all, cpu, 1);
            sd_count_flush(m, cpu, TLB_LOCAL_SHOOTDOWN, -1);
            cost = m->cfg->cost.full_flush_ns;
        } else {
            for (uint32_t i = 0; i < q->n; i++) {
                uint32_t asid = switch_mm_asid_of(m, c, q->e[i].mm);

                if (asid != ASID_NONE)
                    tlb_invalidate_page(c->tlb, (uint16_t)asid, q->e[i].vpn);
            }
            stats_add(m->st, m->ctr.nr_tlb_local_flush_one, cpu, q->n);
            sd_count_flush(m, cpu, TLB_LOCAL_SHOOTDOWN, (int64_t)q->n);
            cost = q->n * m->cfg->cost.invlpg_ns;
        }
        stats_add(m->st, p->c_drains, cpu, 1);
        q->n = 0;
        q->overflow = false;
        cpumask_clear(&p->queued, cpu);
    }
    if (p->batches->len)
        release(p, m, cpu, UINT64_MAX);
    return cost;
}

static sim_time_t latr_tick(void *priv, struct machine *m, unsigned cpu)
{
    struct latr *p = priv;

    if (m->arm64)
        return 0;
    return drain(p, m, cpu);
}

static void pressure_done(struct task *t)
{
    struct latr_ubc *u = t->policy_state;
    struct machine *m = t->m;
    unsigned c;

    cpumask_for_each(c, &u->pressure)
        release(m->policy_priv, m, c, u->seq_limit);
    cpumask_clear_all(&u->pressure);
    t->run = u->resume;
    t->run(t);
}

/* Direct reclaim (memory pressure): frames held for lazy drains are memory
 * the allocator needs now. Our choice (the paper does not say): interrupt
 * the CPUs they wait for with a batched full flush (lazy CPUs skipped, they
 * catch up by tlb_gen at switch_mm), after which those frames are free. */
static bool latr_reclaim_start(void *priv, struct task *t, sim_time_t *cost_ns)
{
    struct latr *p = priv;
    struct latr_ubc *u = t->policy_state;
    struct machine *m = t->m;

    (void)cost_ns;
    if (m->arm64 || !p->batches->len)
        return false;
    cpumask_clear_all(&u->pressure);
    for (guint i = 0; i < p->batches->len; i++)
        cpumask_or(&u->pressure, &((struct latr_batch *)g_ptr_array_index(p->batches, i))->need);
    u->seq_limit = p->next_seq;
    stats_add(m->st, p->c_pressure, t->cpu, 1);
    if (!sd_flush_batch(m, t, &u->pressure)) {
        unsigned c;

        cpumask_for_each(c, &u->pressure)
            release(p, m, c, u->seq_limit);
        cpumask_clear_all(&u->pressure);
        return false;
    }
    u->resume = t->run;
    t->run = pressure_done;
    return true;
}

const struct flush_policy_ops flush_policy_latr = {
    .name = "latr",
    .help = "LATR (ASPLOS'18): per-CPU lazy invalidation queues drained at tick/context switch; frees wait for the drains",
    .params = latr_params,
    .priv_size = sizeof(struct latr),
    .task_state_size = sizeof(struct latr_ubc),
    .configure = latr_configure,
    .attach = latr_attach,
    .detach = latr_detach,
    .task_init = latr_task_init,
    .task_destroy = latr_task_destroy,
    .pte_cleared = latr_pte_cleared,
    .flush_dirty = latr_flush_dirty,
    .flush_pending = latr_flush_pending,
    .tick = latr_tick,
    .context_switch = latr_tick,
    .defer_free = latr_defer_free,
    .reclaim_start = latr_reclaim_start,
};
