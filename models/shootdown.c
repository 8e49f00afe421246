/* Shootdown mechanics shared by every policy: see shootdown.h. The x86 path
 * follows arch/x86/mm/tlb.c (flush_tlb_mm_range, native_flush_tlb_multi,
 * flush_tlb_func) and kernel/smp.c (csd queues: an IPI is sent only when the
 * target's queue was empty, so concurrent initiators coalesce). This file is
 * the initiator side and the IPI path; the target's flush handler is in
 * shootdown_flush.c, the broadcast TLBI/DSB (arm64, INVLPGB) in
 * shootdown_tlbi.c. */
#include "models/shootdown.h"
#include "models/shootdown_priv.h"

#include <glib.h>
#include <string.h>

#include "models/bug.h"
#include "models/cpu.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/mm.h"
#include "models/switch_mm.h"
#include "models/task.h"
#include "models/timeline.h"
#include "models/tlb.h"
#include "sim/engine.h"


/* Requests are pooled; every one ever allocated is also on m->req_all so
 * that sd_destroy frees those still in flight when a run stops (queued on a
 * csd list or waiting for acks). */
static struct flush_req *req_alloc(struct machine *m)
{
    struct flush_req *r = m->req_free;

    if (r) {
        m->req_free = r->next_free;
    } else {
        r = g_new0(struct flush_req, 1);
        r->next_all = m->req_all;
        m->req_all = r;
    }
    /* the page-list buffer and the req_all link stay for reuse */
    *r = (struct flush_req){ .pages = r->pages, .cap_pages = r->cap_pages,
                             .next_all = r->next_all };
    return r;
}

static void req_release(struct machine *m, struct flush_req *r)
{
    r->next_free = m->req_free;
    m->req_free = r;
}

void sd_init(struct machine *m)
{
    m->req_free = NULL;
    m->req_all = NULL;
}

void sd_destroy(struct machine *m)
{
    m->req_free = NULL;
    while (m->req_all) {
        struct flush_req *r = m->req_all;

        m->req_all = r->next_all;
        g_free(r->pages);
        g_free(r);
    }
    for (unsigned i = 0; i < m->n_cpus; i++)
        g_free(m->cpu[i].csd);
}

sim_time_t sd_ipi_latency(const struct machine *m, unsigned from, unsigned to)
{
    const struct cpu *a = &m->cpu[from], *b = &m->cpu[to];
    const struct machine_costs *k = &m->cfg->cost;

    if (a->socket != b->socket)
        return k->ipi_deliver_remote_socket_ns;
    if (a->core == b->core)
        return k->ipi_deliver_smt_ns;
    return k->ipi_deliver_same_socket_ns;
}

static sim_time_t ack_latency(const struct machine *m, unsigned from, unsigned to)
{
    const struct machine_costs *k = &m->cfg->cost;

    return m->cpu[from].socket == m->cpu[to].socket ? k->ack_same_socket_ns
                                                    : k->ack_remote_socket_ns;
}

static void csd_push(struct cpu *c, struct flush_req *r)
{
    if (c->csd_len == c->csd_cap) {
        uint32_t cap = c->csd_cap ? c->csd_cap * 2 : 8;
        struct flush_req **n = g_new(struct flush_req *, cap);

        for (uint32_t i = 0; i < c->csd_len; i++)
            n[i] = c->csd[(c->csd_head + i) % c->csd_cap];
        g_free(c->csd);
        c->csd = n;
        c->csd_cap = cap;
        c->csd_head = 0;
    }
    c->csd[(c->csd_head + c->csd_len) % c->csd_cap] = r;
    c->csd_len++;
}

static struct flush_req *csd_pop(struct cpu *c)
{
    struct flush_req *r;

    if (!c->csd_len)
        return NULL;
    r = c->csd[c->csd_head];
    c->csd_head = (c->csd_head + 1) % c->csd_cap;
    c->csd_len--;
    return r;
}

static void ipi_arrive_ev(struct sim_engine *eng, void *ctx, uint64_t cpu)
{
    struct machine *m = ctx;

    (void)eng;
    m->cpu[cpu].ipi_in_flight = false;
    cpu_irq(m, (unsigned)cpu, IRQ_CALL);
}

/* The offset from now at which the initiator's ICR write for `to` is done:
 * writes are serial (one per destination), except that in x2APIC cluster
 * mode one write reaches every target of a logical cluster. *send is the
 * initiator's write time so far. */
static sim_time_t icr_write(struct machine *m, unsigned to, sim_time_t *send)
{
    unsigned cl = m->cpu[to].apic_cluster;

    if (m->cfg->ipi_cluster_cpus && m->cluster_stamp[cl] == m->send_stamp)
        return m->cluster_sent_at[cl];
    *send += m->cfg->cost.ipi_send_ns;
    if (m->cfg->ipi_cluster_cpus) {
        m->cluster_stamp[cl] = m->send_stamp;
        m->cluster_sent_at[cl] = *send;
    }
    return *send;
}

/* Queues r on `to` and, unless an interrupt is already on its way (csd
 * queues coalesce: no ICR write then), sends one: it leaves when its ICR
 * write is done and arrives after the delivery latency (the machine files'
 * split of Amit's 775 ns: send, then delivery). */
static void send_ipi(struct machine *m, unsigned from, unsigned to, struct flush_req *r,
                     sim_time_t *send)
{
    struct cpu *c = &m->cpu[to];
    bool was_empty = c->csd_len == 0;
    sim_time_t leaves;

    csd_push(c, r);
    if (!was_empty || c->ipi_in_flight)
        return;
    c->ipi_in_flight = true;
    stats_add(m->st, m->ctr.ipi_sent, from, 1);
    leaves = icr_write(m, to, send);
    if (m->timeline)
        timeline_ipi_sent(m, from, to, sim_now(m->eng) + leaves);
    sim_schedule(m->eng, leaves + sd_ipi_latency(m, from, to), ipi_arrive_ev, m, to);
}

static void wake_waiter_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    cpu_wake(ctx);
}

static void finish_req(struct machine *m, struct flush_req *r)
{
    sim_time_t now = sim_now(m->eng);
    sim_time_t done = now > r->min_done ? now : r->min_done;
    struct task *t = r->waiter;

    stats_hist_record(m->st, m->ctr.shootdown_latency, done - r->issued_at);
    req_release(m, r);
    sim_schedule_at(m->eng, done, wake_waiter_ev, t, 0);
}

static void ack_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct flush_req *r = ctx;
    struct machine *m = (struct machine *)(uintptr_t)arg;

    (void)eng;
    BUG_ON(r->pending == 0, "ack for a request with no pending targets");
    if (--r->pending == 0)
        finish_req(m, r);
}

sim_time_t sd_handle_ipi(struct machine *m, unsigned cpu, sim_time_t start)
{
    struct cpu *c = &m->cpu[cpu];
    struct flush_req *r;
    sim_time_t spent = 0;

    while ((r = csd_pop(c)) != NULL) {
        spent += sd_handle_request(m, cpu, r, false);
        /* csd unlock after the function ran; seen by the initiator later. */
        sim_schedule_at(m->eng, start + spent + ack_latency(m, cpu, r->initiator), ack_ev, r,
                        (uint64_t)(uintptr_t)m);
    }
    return spent;
}

/* should_flush_tlb(): evaluated by the initiator on CPU c's state. */
static bool should_flush(struct machine *m, unsigned c, const struct flush_req *r, bool trim)
{
    const struct cpu *cpu = &m->cpu[c];

    if (r->any_asid)
        return true;        /* the oracle chose exactly the CPUs to interrupt */
    if (cpu->is_lazy && m->kcfg.skip_lazy_ipi && !r->freed_tables)
        return false;
    if (!r->mm)
        return true;
    if (cpu->loaded_mm == r->mm->id)
        return true;
    return trim || r->freed_tables;
}

/* Whether mask holds a CPU other than self (cpumask_any_but < nr_cpu_ids). */
static bool mask_has_other(const struct cpumask *mask, unsigned self)
{
    uint32_t c = cpumask_next(mask, 0);

    return c < mask->nbits && (c != self || cpumask_next(mask, c + 1) < mask->nbits);
}

/* Sends r to every target in `mask` but self, runs the local part, and
 * blocks t until all acks are in. Returns false when nothing was sent and
 * nothing local was needed. */
static bool issue(struct machine *m, struct task *t, struct flush_req *r,
                  const struct cpumask *mask, bool trim, bool local_wanted)
{
    unsigned self = t->cpu, c, n_targets = 0;
    sim_time_t now = sim_now(m->eng), send = 0, local = 0;

    /* With other CPUs in the mask the initiator's CPU is one of the
     * on_each_cpu_cond_mask targets and passes should_flush_tlb like them
     * (a lazy one is skipped); alone, it calls flush_tlb_func directly. */
    if (local_wanted && mask_has_other(mask, self) && !should_flush(m, self, r, trim))
        local_wanted = false;
    r->initiator = self;
    r->issued_at = now;
    r->waiter = t;
    cpumask_for_each(c, mask) {
        if (c == self || !should_flush(m, c, r, trim))
            continue;
        n_targets++;
    }
    r->pending = n_targets;
    /* native_flush_tlb_multi counts before the condition is evaluated, so
     * a flush whose other CPUs are all lazy counts without an IPI. */
    if (mask_has_other(mask, self)) {
        stats_add(m->st, m->ctr.nr_tlb_remote_flush, self, 1);
        sd__count_flush_event(m, self, TLB_REMOTE_SEND_IPI,
                              r->n_pages ? (int64_t)r->n_pages
                              : r->end_vpn == FLUSH_ALL ? -1
                              : (int64_t)(r->end_vpn - r->start_vpn));
    }
    if (n_targets) {
        m->send_stamp++;
        cpumask_for_each(c, mask) {
            if (c == self || !should_flush(m, c, r, trim))
                continue;
            send_ipi(m, self, c, r, &send);
        }
    }
    if (local_wanted)
        local = sd_handle_request(m, self, r, true);
    if (!n_targets) {
        req_release(m, r);
        if (!local)
            return false;
        cpu_step(t, local, CT_FLUSH_LOCAL);
        return true;
    }
    /* Local and remote flushes overlap (Nadav Amit, 2021). */
    r->min_done = now + send + local;
    cpu_block(t, CT_FLUSH_WAIT);
    return true;
}

bool sd_flush_mm_range(struct machine *m, struct task *t, struct mm *mm, uint64_t start_vpn,
                       uint64_t n_pages, bool freed_tables)
{
    struct flush_req *r;
    struct cpu *self = &m->cpu[t->cpu];
    sim_time_t now = sim_now(m->eng);
    bool trim = false;

    if (m->arm64)
        return sd__arm64_flush_range(m, t, mm, start_vpn, n_pages);
    r = req_alloc(m);
    r->mm = mm;
    r->freed_tables = freed_tables;
    r->new_gen = ++mm->tlb_gen;
    r->start_vpn = start_vpn;
    r->end_vpn = n_pages > m->cfg->cost.flush_ceiling_pages ? FLUSH_ALL : start_vpn + n_pages;
    /* should_trim_cpumask runs only on the path with other CPUs to flush. */
    if (m->kcfg.lazy_cpumask && now > mm->next_trim_ns && mask_has_other(&mm->cpumask, t->cpu)) {
        trim = true;
        mm->next_trim_ns = now + SIM_S;
    }
    return issue(m, t, r, &mm->cpumask, trim, self->loaded_mm == mm->id);
}

bool sd_flush_batch(struct machine *m, struct task *t, const struct cpumask *mask)
{
    struct flush_req *r = req_alloc(m);

    r->mm = NULL;
    r->start_vpn = 0;
    r->end_vpn = FLUSH_ALL;
    return issue(m, t, r, mask, false, cpumask_test(mask, t->cpu));
}

bool sd_flush_pages(struct machine *m, struct task *t, const struct cpumask *mask,
                    const struct sd_page *pages, uint32_t n, bool any_asid)
{
    struct flush_req *r;

    BUG_ON(m->arm64, "page-list flush on a broadcast-TLBI machine");
    if (!n)
        return false;
    r = req_alloc(m);
    if (r->cap_pages < n) {
        g_free(r->pages);
        r->pages = g_new(struct sd_page, n);
        r->cap_pages = n;
    }
    memcpy(r->pages, pages, n * sizeof(*pages));
    r->n_pages = n;
    r->any_asid = any_asid;
    r->start_vpn = 0;
    r->end_vpn = FLUSH_ALL;
    return issue(m, t, r, mask, false, cpumask_test(mask, t->cpu));
}

void sd_batch_add_mm(struct machine *m, struct mm *mm, struct cpumask *batch)
{
    (void)m;
    mm->tlb_gen++;
    cpumask_or(batch, &mm->cpumask);
}

bool sd_x86_should_defer(const struct task *t, const struct mm *mm)
{
    return cpumask_weight(&mm->cpumask) != (cpumask_test(&mm->cpumask, t->cpu) ? 1u : 0u);
}
