/* Recording the timeline (see timeline.h): per-CPU open slices closed when
 * the CPU's accounting category or task changes, interrupt slices, and
 * IPI flows completed when the receiver handles the IPI.
 *
 * Nesting: an interrupt is drawn inside whatever slice it lands in. A
 * category change that happens while an interrupt still runs (a task woken
 * on an idle CPU in an interrupt, a quantum ended by the handler) takes
 * effect when the interrupt ends: nothing else runs on the CPU before then,
 * and it keeps every interrupt slice inside one enclosing slice. */
#include "models/timeline.h"
#include "models/timeline_priv.h"

#include <string.h>

#include "models/machine.h"
#include "sim/engine.h"

void timeline_start(struct machine *m, uint64_t max_events, const struct trace_window *w)
{
    struct timeline *tl;

    timeline_free(m);
    if (!max_events)
        return;
    tl = g_new0(struct timeline, 1);
    tl->ev = g_array_new(FALSE, FALSE, sizeof(struct tl_event));
    tl->cap = max_events;
    tl->win = *w;
    tl->end_ns = w->end_ns;
    tl->open = g_new0(struct tl_open, m->n_cpus);
    tl->ipi = g_new0(struct tl_ipi, m->n_cpus);
    m->timeline = tl;
}

void timeline_free(struct machine *m)
{
    struct timeline *tl = m->timeline;

    if (!tl)
        return;
    g_array_free(tl->ev, TRUE);
    g_free(tl->open);
    g_free(tl->ipi);
    g_free(tl);
    m->timeline = NULL;
}

static void push(struct timeline *tl, struct tl_event e)
{
    g_array_append_val(tl->ev, e);
}

/* Ends cpu's open slice at `at`, drawing the part inside [win.start, limit). */
static void close_slice(struct timeline *tl, unsigned cpu, sim_time_t at, sim_time_t limit)
{
    struct tl_open *o = &tl->open[cpu];
    sim_time_t s = o->start > tl->win.start_ns ? o->start : tl->win.start_ns;
    sim_time_t e = at < limit ? at : limit;

    if (!o->open)
        return;
    o->open = false;
    tl->n_open--;
    if (e <= s)
        return;
    tl->slices++;
    push(tl, (struct tl_event){ .ts = s, .dur = e - s, .cpu = cpu, .arg = o->task,
                                .kind = TL_SLICE, .cat = o->cat });
}

/* When a CPU's interrupt in progress ends (now when none runs). */
static sim_time_t after_irq(const struct cpu *c, sim_time_t now)
{
    return c->irq_busy_until > now ? c->irq_busy_until : now;
}

/* The cap is reached at `now`: close every open slice (their places were
 * kept) and record nothing from here on. An open slice ends after the
 * interrupt running in it, which was drawn whole. */
static void truncate_at(struct machine *m, struct timeline *tl, sim_time_t now)
{
    for (unsigned i = 0; i < m->n_cpus; i++)
        close_slice(tl, i, after_irq(&m->cpu[i], now), tl->win.end_ns);
    tl->truncated = true;
    tl->end_ns = now;
}

/* Whether `need` more events fit under the cap beside the open slices'. */
static bool room(struct machine *m, struct timeline *tl, uint64_t need, sim_time_t now)
{
    if (tl->ev->len + tl->n_open + need <= tl->cap)
        return true;
    truncate_at(m, tl, now);
    return false;
}

void timeline_cpu_state(struct machine *m, const struct cpu *c, enum cpu_time_cat cat)
{
    struct timeline *tl = m->timeline;
    struct tl_open *o;
    sim_time_t at;

    if (!tl)
        return;
    o = &tl->open[c->id];
    if (o->open && c->curr && o->cat == cat && o->task == c->curr->id)
        return;
    at = after_irq(c, sim_now(m->eng));
    if (at >= tl->end_ns)
        return;     /* past the window: take() closes what is open */
    close_slice(tl, c->id, at, tl->end_ns);
    if (cat == CT_IDLE || !c->curr || !room(m, tl, 1, at))
        return;
    *o = (struct tl_open){ .start = at, .task = c->curr->id, .cat = (uint8_t)cat, .open = true };
    tl->n_open++;
}

void timeline_ipi_sent(struct machine *m, unsigned from, unsigned to, sim_time_t at)
{
    if (m->timeline)
        m->timeline->ipi[to] = (struct tl_ipi){ .sent_at = at, .from = from, .valid = true };
}

void timeline_irq(struct machine *m, const struct cpu *c, enum irq_kind kind, sim_time_t start,
                  sim_time_t dur)
{
    struct timeline *tl = m->timeline;
    struct tl_ipi ipi;
    sim_time_t end, handler_at;
    bool flow;

    if (!tl)
        return;
    ipi = tl->ipi[c->id];
    if (kind == IRQ_CALL)
        tl->ipi[c->id].valid = false;
    if (start < tl->win.start_ns || start >= tl->end_ns)
        return;
    end = start + dur < tl->end_ns ? start + dur : tl->end_ns;
    /* The handler (flush_tlb_func) starts after half the entry/exit cost, as
     * cpu.c runs it; the arrow ends there, inside the interrupt slice. */
    handler_at = start + m->cfg->cost.irq_entry_exit_ns / 2;
    flow = kind == IRQ_CALL && ipi.valid && ipi.sent_at >= tl->win.start_ns && handler_at < end;
    if (!room(m, tl, flow ? 3 : 1, start))
        return;
    push(tl, (struct tl_event){ .ts = start, .dur = end - start, .cpu = c->id, .arg = kind,
                                .kind = TL_IRQ });
    tl->irqs++;
    if (!flow)
        return;
    push(tl, (struct tl_event){ .ts = ipi.sent_at, .cpu = ipi.from, .arg = tl->next_flow,
                                .kind = TL_FLOW_START });
    push(tl, (struct tl_event){ .ts = handler_at, .cpu = c->id, .arg = tl->next_flow,
                                .kind = TL_FLOW_END });
    tl->next_flow++;
    tl->flows++;
}

char *timeline_take(struct machine *m, const struct timeline_meta *meta,
                    struct timeline_stats *st)
{
    struct timeline *tl = m->timeline;
    GString *json;

    memset(st, 0, sizeof(*st));
    if (!tl)
        return NULL;
    if (!tl->truncated)
        for (unsigned i = 0; i < m->n_cpus; i++)
            close_slice(tl, i, after_irq(&m->cpu[i], sim_now(m->eng)), tl->end_ns);
    json = timeline_json(m, tl, meta);
    *st = (struct timeline_stats){ .events = tl->ev->len, .slices = tl->slices,
                                   .irqs = tl->irqs, .flows = tl->flows, .cap = tl->cap,
                                   .truncated = tl->truncated, .truncated_at_ns = tl->end_ns,
                                   .win = tl->win };
    if (!tl->truncated)
        st->truncated_at_ns = 0;
    timeline_free(m);
    return g_string_free(json, FALSE);
}
