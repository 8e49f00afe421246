/* Application threads: see app.h. */
#include "models/app.h"

#include <glib.h>
#include <math.h>

#include "models/bug.h"
#include "models/fault.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/mmu_gather.h"
#include "models/tlb.h"
#include "sim/rng.h"

struct app_thread {
    struct task *t;
    const struct app_pattern *pat;
    struct rng rng;
    struct rng_zipf zipf;
    sim_time_t pos;                 /* when the next access starts */
    sim_time_t stolen_seen;         /* CPU interrupt time already added to pos */
    uint64_t cursor;                /* sequential position, pages into the data */
    uint64_t next_vpn;
    enum tlb_access next_kind;
    bool have_next, fault_pending, syscall_pending;
    sim_time_t fault_at, fault_stolen;
    uint64_t accesses, since_syscall;
};

static void app_run(struct task *t);

static uint64_t data_vpn(const struct app_pattern *p, uint64_t page)
{
    for (uint32_t i = 0; i < p->n_regions; i++) {
        if (page < p->regions[i].n_pages)
            return p->regions[i].start_vpn + page;
        page -= p->regions[i].n_pages;
    }
    BUG_ON(1, "data page beyond the pattern's regions");
    return 0;
}

static uint64_t pick_page(struct app_thread *a)
{
    const struct app_pattern *p = a->pat;
    uint64_t n = p->total_pages, hot;

    switch (p->kind) {
    case PAT_SEQUENTIAL:
        return a->cursor++ % n;
    case PAT_UNIFORM:
        return rng_uniform_u64(&a->rng, n);
    case PAT_ZIPF:
        return rng_zipf_next(&a->zipf, &a->rng);
    case PAT_HOTCOLD:
        hot = (uint64_t)(p->hot_fraction * (double)n);
        hot = hot ? hot : 1;
        if (hot >= n || rng_bernoulli(&a->rng, p->hot_access_fraction))
            return rng_uniform_u64(&a->rng, hot < n ? hot : n);
        return hot + rng_uniform_u64(&a->rng, n - hot);
    }
    return 0;
}

static void next_access(struct app_thread *a)
{
    const struct app_pattern *p = a->pat;

    if (p->text_pages && p->ifetch_fraction > 0 && rng_bernoulli(&a->rng, p->ifetch_fraction)) {
        a->next_kind = TLB_IFETCH;
        a->next_vpn = p->text_start_vpn + rng_uniform_u64(&a->rng, p->text_pages);
    } else {
        a->next_kind = rng_bernoulli(&a->rng, p->write_fraction) ? TLB_STORE : TLB_LOAD;
        a->next_vpn = data_vpn(p, pick_page(a));
    }
    a->have_next = true;
}

/* Only data accesses advance the syscall window: the call covers the
 * syscall_every data pages just walked (instruction fetches do not move the
 * sequential cursor). */
static bool counts_for_syscall(const struct app_pattern *p, enum tlb_access kind)
{
    return p->syscall_every && kind != TLB_IFETCH;
}

static void count_miss(struct machine *m, unsigned cpu, enum tlb_access kind)
{
    stats_id id = kind == TLB_IFETCH ? m->ctr.itlb_load_misses
                : kind == TLB_STORE  ? m->ctr.dtlb_store_misses : m->ctr.dtlb_load_misses;

    stats_add(m->st, id, cpu, 1);
    stats_add(m->st, m->ctr.page_walks, cpu, 1);
}

/* An access that hit the TLB entry *hit: checked against the current PTE
 * (a stale entry is the hazard checker's business), and a store changes the
 * frame's content. */
static void access_through(struct task *t, sim_time_t when, uint64_t vpn,
                           const struct tlb_hit *hit, enum tlb_access kind)
{
    struct machine *m = t->m;
    pte_t *pte = mm_pte(t->mm, vpn, false);

    if (!pte || !pte_present(*pte) || pte_pfn(*pte) != hit->pfn ||
        (kind == TLB_STORE && !(*pte & PTE_WRITE)))
        hazard_stale_hit_at(m, when, t->cpu, t->mm->id, vpn, hit->pfn, kind, pte ? *pte : 0);
    if (kind == TLB_STORE)
        mem_frame(m->mem, hit->pfn)->version++;
}

/* One access against the exact TLB and page-table state. Returns its CPU
 * time, or 0 when it faults (nothing happened; it is retried after). */
static sim_time_t do_access(struct app_thread *a)
{
    struct task *t = a->t;
    struct machine *m = t->m;
    struct cpu *c = &m->cpu[t->cpu];
    struct tlb_hit hit;
    pte_t *pte;
    enum tlb_access kind = a->next_kind;
    uint64_t vpn = a->next_vpn;

    if (tlb_lookup(c->tlb, c->loaded_asid, vpn, kind, &hit) &&
        (kind != TLB_STORE || (hit.writable && hit.dirty))) {
        access_through(t, a->pos, vpn, &hit, kind);
        return a->pat->access_ns;
    }
    /* A miss, or a store through an entry cached clean: walk (H1, H2). */
    count_miss(m, t->cpu, kind);
    pte = mm_pte(t->mm, vpn, false);
    if (!pte || !pte_present(*pte) || (*pte & PTE_NUMA) ||
        (kind == TLB_STORE && !(*pte & PTE_WRITE)))
        return 0;
    *pte |= PTE_ACCESSED;
    if (kind == TLB_STORE) {
        struct frame *f = mem_frame(m->mem, (pfn_t)pte_pfn(*pte));

        *pte |= PTE_DIRTY;
        f->flags |= FRAME_DIRTY;
        f->version++;
    }
    tlb_insert(c->tlb, c->loaded_asid, vpn, (uint32_t)pte_pfn(*pte), *pte & PTE_WRITE,
               *pte & PTE_DIRTY, kind);
    /* The walk's memory reads are charged by the distance to the data's node
     * (page tables are allocated near the data they map). */
    return m->cfg->cost.page_walk_ns + a->pat->access_ns +
           machine_remote_extra(m, c->node, mem_pfn_node(m->mem, (pfn_t)pte_pfn(*pte)),
                                m->cfg->cost.page_walk_remote_extra_ns);
}

/* Processes the accesses that start before `until` (and, with at_least_one,
 * the one starting at `until` too, so a fault there is found now). */
static void process_until(struct app_thread *a, sim_time_t until, bool at_least_one)
{
    struct machine *m = a->t->m;
    struct cpu *c = &m->cpu[a->t->cpu];
    uint64_t done = 0;

    if (c->stolen_ns != a->stolen_seen) {
        a->pos += c->stolen_ns - a->stolen_seen;
        a->stolen_seen = c->stolen_ns;
    }
    while (!a->fault_pending && !a->syscall_pending &&
           (a->pos < until || (at_least_one && !done && a->pos == until))) {
        sim_time_t cost;

        if (!a->have_next)
            next_access(a);
        cost = do_access(a);
        if (!cost) {
            a->fault_pending = true;
            a->fault_at = a->pos;
            a->fault_stolen = c->stolen_ns;
            break;
        }
        a->pos += cost;
        a->have_next = false;
        done++;
        if (counts_for_syscall(a->pat, a->next_kind) &&
            ++a->since_syscall >= a->pat->syscall_every) {
            a->since_syscall = 0;
            a->syscall_pending = true;
        }
    }
    a->accesses += done;
    stats_add(m->st, m->ctr.app_accesses, a->t->cpu, done);
}

/* task->sync: called before an interrupt or a PTE change observes us. */
static void app_sync(struct task *t, sim_time_t until)
{
    struct app_thread *a = t->owner;
    struct cpu *c = &t->m->cpu[t->cpu];

    if (t->state != TASK_RUNNING || c->curr != t || !t->in_user)
        return;
    process_until(a, until, false);
    /* Found to have stopped in the past: end the quantum now so the kernel
     * path starts at once (app_run credits the time already elapsed). */
    if ((a->fault_pending || a->syscall_pending) && t->step_ev)
        cpu_step(t, 0, CT_APP);
}

void app_probe_access(struct task *t, uint64_t vpn)
{
    struct app_thread *a = t->owner;
    struct machine *m = t->m;
    struct cpu *c = &m->cpu[t->cpu];
    struct tlb_hit hit;

    app_sync(t, sim_now(m->eng));
    if (t->state != TASK_RUNNING || c->curr != t || !t->in_user || a->fault_pending ||
        a->syscall_pending || !tlb_probe(c->tlb, c->loaded_asid, vpn, &hit))
        return;     /* stopped in the kernel before now, or the entry is gone */
    stats_add(m->st, m->ctr.hazard_probes, t->cpu, 1);
    access_through(t, sim_now(m->eng), vpn, &hit,
                   hit.writable && hit.dirty ? TLB_STORE : TLB_LOAD);
}

static void enter_user(struct task *t, struct app_thread *a)
{
    t->in_user = true;
    a->pos = sim_now(t->m->eng);
    a->stolen_seen = t->m->cpu[t->cpu].stolen_ns;
}

/* How long the thread can run from its current position before an access
 * faults or the syscall is due, up to `horizon`: a dry run over the same
 * access sequence against the current page tables, with TLB hits judged by
 * probing (no state changes). The quantum ends there, so a fault is found
 * when it happens rather than a quantum later. Changes by other CPUs in the
 * meantime sync this thread first (see app_sync), so a wrong guess only
 * shortens or lengthens the quantum. */
static sim_time_t predict_run(struct app_thread *a, sim_time_t horizon)
{
    struct task *t = a->t;
    struct cpu *c = &t->m->cpu[t->cpu];
    struct rng rng = a->rng;
    uint64_t cursor = a->cursor, vpn = a->next_vpn, since = a->since_syscall;
    enum tlb_access kind = a->next_kind;
    bool have = a->have_next;
    sim_time_t span = 0;

    while (span < horizon) {
        struct tlb_hit hit;
        pte_t *pte;

        if (!a->have_next)
            next_access(a);
        a->have_next = false;
        pte = mm_pte(t->mm, a->next_vpn, false);
        if (!pte || !pte_present(*pte) || (*pte & PTE_NUMA) ||
            (a->next_kind == TLB_STORE && !(*pte & PTE_WRITE)))
            break;
        span += a->pat->access_ns;
        if (!tlb_probe(c->tlb, c->loaded_asid, a->next_vpn, &hit) ||
            (a->next_kind == TLB_STORE && !(hit.writable && hit.dirty)))
            span += t->m->cfg->cost.page_walk_ns;
        if (counts_for_syscall(a->pat, a->next_kind) && ++since >= a->pat->syscall_every)
            break;
    }
    a->rng = rng;
    a->cursor = cursor;
    a->next_vpn = vpn;
    a->next_kind = kind;
    a->have_next = have;
    return span < horizon ? span : horizon;
}

static void app_run(struct task *t)
{
    struct app_thread *a = t->owner;
    struct machine *m = t->m;
    sim_time_t now = sim_now(m->eng), span;

    if (m->failure)
        return;
    if (numa_scan_due(t)) {
        t->in_user = false;
        numa_scan_start(t, app_run);
        return;
    }
    if (!t->in_user)
        enter_user(t, a);
    process_until(a, now, false);
    span = a->fault_pending || a->syscall_pending ? 0 : predict_run(a, a->pat->quantum_ns);
    if (!span)
        process_until(a, now, true);
    if (a->fault_pending) {
        struct cpu *c = &m->cpu[t->cpu];
        sim_time_t irq = c->stolen_ns - a->fault_stolen, late = now - a->fault_at;

        a->fault_pending = false;
        fault_start(t, a->next_vpn, a->next_kind, late > irq ? late - irq : 0, app_run);
        return;
    }
    if (a->syscall_pending) {
        const struct app_pattern *p = a->pat;
        uint64_t first = (a->cursor - p->syscall_every) % p->total_pages;

        a->syscall_pending = false;
        t->in_user = false;
        p->syscall(t, p->regions[0].start_vpn + first, p->syscall_every, app_run);
        return;
    }
    cpu_step(t, span ? span : a->pat->access_ns, CT_APP);
}

struct task *app_thread_create(struct machine *m, struct mm *mm, unsigned cpu,
                               const struct app_pattern *pat, uint32_t index,
                               uint32_t n_siblings, const char *name)
{
    struct task *t = machine_new_task(m, TASK_APP, cpu, mm, name);
    struct app_thread *a = g_new0(struct app_thread, 1);

    a->t = t;
    a->pat = pat;
    rng_stream_init(&a->rng, m->seed, RNG_STREAM_ID(RNG_KIND_THREAD, t->id));
    if (pat->kind == PAT_ZIPF)
        BUG_ON(rng_zipf_init(&a->zipf, pat->total_pages, pat->zipf_exponent) != 0,
               "zipf over %llu pages, exponent %g", (unsigned long long)pat->total_pages,
               pat->zipf_exponent);
    a->cursor = n_siblings ? pat->total_pages * index / n_siblings : 0;
    /* A syscall loop calls on whole windows (syscall_every divides the
     * data): start at a window boundary, or a window would run past the
     * end of the mapping when the cursor wraps. */
    if (pat->syscall_every)
        a->cursor -= a->cursor % pat->syscall_every;
    t->owner = a;
    t->run = app_run;
    t->sync = app_sync;
    g_ptr_array_add(m->mm_threads[mm->id], t);
    cpu_attach(t);
    return t;
}

void app_thread_free(struct task *t)
{
    g_free(t->owner);
    t->owner = NULL;
}

uint64_t app_thread_accesses(const struct task *t)
{
    const struct app_thread *a = t->owner;

    return a->accesses;
}
