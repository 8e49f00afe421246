/* timeline.json: the recorded events in the Chrome Trace Event Format's
 * JSON object form ({"traceEvents": [...], "otherData": {...}}), which
 * ui.perfetto.dev and chrome://tracing open. One event per line, sorted by
 * time, so equal runs give byte-identical files and diffs stay readable.
 * Timestamps and durations are microseconds with three decimals (exact ns).
 * Tracks: pid = NUMA node + 1, tid = CPU + 1 (the viewers treat 0 as the
 * swapper/unknown), named by "M" metadata events. */
#include "models/timeline_priv.h"

#include <inttypes.h>
#include <stdlib.h>

#include "models/machine.h"
#include "sim/json_writer.h"

static const char *const cat_names[CT_NR] = {
    [CT_APP] = "app", [CT_RECLAIM] = "reclaim", [CT_MIGRATION] = "migration",
    [CT_IRQ] = "irq", [CT_FLUSH_WAIT] = "flush wait (acks)", [CT_DSB_STALL] = "DSB stall",
    [CT_FAULT] = "page fault", [CT_FLUSH_LOCAL] = "local flush",
    [CT_SCHED] = "context switch", [CT_IDLE] = "idle",
};

static const char *const irq_names[] = {
    [IRQ_TIMER] = "timer interrupt", [IRQ_CALL] = "TLB shootdown IPI",
    [IRQ_RESCHED] = "reschedule IPI",
};

static int event_cmp(const void *pa, const void *pb)
{
    const struct tl_event *a = pa, *b = pb;

    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->cpu != b->cpu)
        return a->cpu < b->cpu ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->dur != b->dur)
        return a->dur > b->dur ? -1 : 1;    /* the enclosing one first */
    return a->arg < b->arg ? -1 : a->arg > b->arg;
}

static void append_us(GString *s, const char *key, sim_time_t ns)
{
    g_string_append_printf(s, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

/* The common head of an event on cpu's track: {"ph":..,"pid":..,"tid":.. */
static void append_head(GString *s, struct machine *m, char ph, unsigned cpu)
{
    g_string_append_printf(s, "{\"ph\":\"%c\",\"pid\":%u,\"tid\":%u", ph,
                           m->cpu[cpu].node + 1, cpu + 1);
}

static void append_event(GString *s, struct machine *m, const struct tl_event *e)
{
    const struct task *t;

    switch ((enum tl_kind)e->kind) {
    case TL_SLICE:
        t = m->tasks[e->arg];
        append_head(s, m, 'X', e->cpu);
        g_string_append_printf(s, ",\"cat\":\"%s\",\"name\":", e->cat == CT_APP ? "app" : "kernel");
        jw_append_quoted(s, e->cat == CT_APP ? t->name : cat_names[e->cat]);
        append_us(s, "ts", e->ts);
        append_us(s, "dur", e->dur);
        if (e->cat != CT_APP) {     /* whose kernel work it is */
            g_string_append(s, ",\"args\":{\"task\":");
            jw_append_quoted(s, t->name);
            g_string_append_c(s, '}');
        }
        g_string_append_c(s, '}');
        break;
    case TL_IRQ:
        append_head(s, m, 'X', e->cpu);
        g_string_append_printf(s, ",\"cat\":\"irq\",\"name\":\"%s\"", irq_names[e->arg]);
        append_us(s, "ts", e->ts);
        append_us(s, "dur", e->dur);
        g_string_append_c(s, '}');
        break;
    case TL_FLOW_START:
    case TL_FLOW_END:
        /* "s" binds to the enclosing slice (the sender's flush wait), "f"
         * with "bp":"e" to the enclosing one too (the receiver's handler). */
        append_head(s, m, e->kind == TL_FLOW_START ? 's' : 'f', e->cpu);
        g_string_append_printf(s, ",\"cat\":\"ipi\",\"name\":\"IPI\",\"id\":%u%s", e->arg,
                               e->kind == TL_FLOW_END ? ",\"bp\":\"e\"" : "");
        append_us(s, "ts", e->ts);
        g_string_append_c(s, '}');
        break;
    }
}

static void append_metadata(GString *s, struct machine *m)
{
    for (unsigned n = 0; n < m->cfg->n_nodes; n++) {
        unsigned first = m->n_cpus;

        for (unsigned c = 0; c < m->n_cpus && first == m->n_cpus; c++)
            if (m->cpu[c].node == n)
                first = c;
        if (first == m->n_cpus)
            continue;       /* a memory-only node has no tracks */
        g_string_append_printf(s, "{\"ph\":\"M\",\"pid\":%u,\"name\":\"process_name\","
                               "\"args\":{\"name\":\"node %u (socket %u)\"}},\n",
                               n + 1, n, m->cpu[first].socket);
        g_string_append_printf(s, "{\"ph\":\"M\",\"pid\":%u,\"name\":\"process_sort_index\","
                               "\"args\":{\"sort_index\":%u}},\n", n + 1, n);
    }
    for (unsigned c = 0; c < m->n_cpus; c++) {
        append_head(s, m, 'M', c);
        g_string_append_printf(s, ",\"name\":\"thread_name\",\"args\":{\"name\":\"CPU %u\"}},\n",
                               c);
        append_head(s, m, 'M', c);
        g_string_append_printf(s, ",\"name\":\"thread_sort_index\","
                               "\"args\":{\"sort_index\":%u}},\n", c);
    }
}

static void append_other_data(GString *s, const struct timeline *tl,
                              const struct timeline_meta *meta)
{
    g_string_append(s, "\"otherData\":{\"generator\":\"tlbsim\",\"scenario\":");
    jw_append_quoted(s, meta->scenario);
    g_string_append(s, ",\"machine\":");
    jw_append_quoted(s, meta->machine);
    g_string_append(s, ",\"policy\":");
    jw_append_quoted(s, meta->policy);
    g_string_append_printf(s, ",\"seed\":%" PRIu64 ",\"window_start_ns\":%" PRIu64
                           ",\"window_end_ns\":%" PRIu64 ",\"event_cap\":%" PRIu64
                           ",\"events\":%u,\"ipi_flows\":%" PRIu64 ",\"truncated\":%s",
                           meta->seed, tl->win.start_ns, tl->win.end_ns, tl->cap, tl->ev->len,
                           tl->flows, tl->truncated ? "true" : "false");
    if (tl->truncated)
        g_string_append_printf(s, ",\"truncated_at_ns\":%" PRIu64, tl->end_ns);
    g_string_append(s, "}\n");
}

GString *timeline_json(struct machine *m, struct timeline *tl, const struct timeline_meta *meta)
{
    GString *s = g_string_sized_new(64 + (gsize)tl->ev->len * 112);

    g_array_sort(tl->ev, event_cmp);
    g_string_append(s, "{\"traceEvents\":[\n");
    append_metadata(s, m);
    if (tl->truncated) {
        /* A global instant marks where the cap stopped the recording. */
        g_string_append_printf(s, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":1,"
                               "\"name\":\"timeline truncated: %" PRIu64 " events\"", tl->cap);
        append_us(s, "ts", tl->end_ns);
        g_string_append(s, "},\n");
    }
    for (guint i = 0; i < tl->ev->len; i++) {
        append_event(s, m, &g_array_index(tl->ev, struct tl_event, i));
        g_string_append(s, ",\n");
    }
    /* Every line above ends with a comma; the last gets none (the machine
     * has a CPU, so there is at least its metadata). */
    g_string_truncate(s, s->len - 2);
    g_string_append_c(s, '\n');
    g_string_append(s, "],\n\"displayTimeUnit\":\"ns\",\n");
    append_other_data(s, tl, meta);
    g_string_append(s, "}\n");
    return s;
}
