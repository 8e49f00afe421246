/* Executing a loaded scenario: build the machine, start the workloads, run
 * the warm-up, reset the counters, run the measured window while sampling
 * the time series and /proc/interrupts-style snapshots, and hand the results
 * to the caller. */
#include "models/run.h"

#include <glib.h>
#include <string.h>
#include <time.h>

#include "models/cpu.h"
#include "models/hazard.h"
#include "models/machine.h"
#include "models/scenario.h"
#include "models/timeline.h"
#include "models/trace.h"
#include "sim/engine.h"
#include "sim/stats.h"

static const char *const series_counters[] = {
    "ipi_received", "ipi_sent", "interrupts", "nr_tlb_remote_flush", "tlb_flush",
    "pages_unmapped", "pgsteal_kswapd", "pgsteal_direct", "app_accesses", "pgfault",
    "dtlb_load_misses", "dtlb_store_misses", "itlb_load_misses", "tlbi_broadcast", "dsb_ish",
    NULL,
};

struct sampler {
    struct machine *m;
    struct run_output *out;
    sim_time_t bucket_ns, snapshot_ns, start_ns;
    GArray *snaps;
};

static void series_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct sampler *s = ctx;

    (void)arg;
    stats_series_sample(s->m->st, sim_now(eng));
    sim_schedule(eng, s->bucket_ns, series_ev, s, 0);
}

static void snapshot(struct sampler *s, sim_time_t now)
{
    struct machine *m = s->m;
    struct irq_snapshot snap = { .time_ns = now - s->start_ns };
    const stats_id rows[IRQ_ROW_NR] = {
        [IRQ_ROW_LOC] = m->ctr.irq_timer, [IRQ_ROW_RES] = m->ctr.irq_resched,
        [IRQ_ROW_CAL] = m->ctr.irq_call, [IRQ_ROW_TLB] = m->ctr.ipi_received,
    };

    uint64_t stale, stale_writable;

    for (int r = 0; r < IRQ_ROW_NR; r++) {
        snap.count[r] = g_new(uint64_t, m->n_cpus);
        for (unsigned c = 0; c < m->n_cpus; c++)
            snap.count[r][c] = stats_cpu(m->st, rows[r], c);
    }
    g_array_append_val(s->snaps, snap);
    /* the hazard checker's census, one sample per snapshot */
    hazard_census(m, &stale, &stale_writable);
    stats_hist_record(m->st, m->ctr.stale_entries, stale);
    stats_hist_record(m->st, m->ctr.stale_entries_writable, stale_writable);
}

static void snapshot_ev(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct sampler *s = ctx;

    (void)arg;
    snapshot(s, sim_now(eng));
    sim_schedule(eng, s->snapshot_ns, snapshot_ev, s, 0);
}

static void account_all(struct machine *m)
{
    for (unsigned i = 0; i < m->n_cpus; i++)
        cpu_account_flush(m, &m->cpu[i]);
}

static void fill_meta(struct scenario *sc, struct run_output *out)
{
    char buf[256];

    out->scenario_name = g_strdup(sc->name);
    out->scenario_path = g_strdup(sc->path);
    out->machine_name = g_strdup(sc->mcfg->name);
    machine_cfg_summary(sc->mcfg, buf, sizeof(buf));
    out->machine_summary = g_strdup(buf);
    out->policy_name = g_strdup(sc->policy->name);
    out->arch = g_strdup(sc->mcfg->arch == ARCH_ARM64 ? "arm64" : "x86");
    out->seed = sc->seed;
    out->n_cpus = sc->mcfg->n_cpus;
    out->n_nodes = sc->mcfg->n_nodes;
    out->n_sockets = sc->mcfg->sockets;
    out->warmup_ns = sc->warmup_ns;
    out->duration_ns = sc->duration_ns;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run_window(struct scenario *sc, struct machine *m, struct sampler *s)
{
    sim_run_until(m->eng, sc->warmup_ns);
    if (m->failure)
        return -1;
    account_all(m);
    stats_reset(m->st);
    s->start_ns = sim_now(m->eng);
    snapshot(s, s->start_ns);
    sim_schedule(m->eng, s->bucket_ns, series_ev, s, 0);
    sim_schedule(m->eng, s->snapshot_ns, snapshot_ev, s, 0);
    sim_run_until(m->eng, sc->warmup_ns + sc->duration_ns);
    if (m->failure)
        return -1;
    account_all(m);
    if (s->snaps->len && g_array_index(s->snaps, struct irq_snapshot, s->snaps->len - 1).time_ns
                             != sc->duration_ns)
        snapshot(s, sim_now(m->eng));
    return 0;
}

int run_execute(struct scenario *sc, struct run_output *out, char *errbuf, size_t errlen)
{
    struct timespec t0;
    struct sim_engine *eng = sim_engine_new();
    struct stats *st = stats_new(sc->mcfg->n_cpus);
    struct machine *m;
    struct sampler s = { 0 };
    char *msg = NULL;
    int rc = -1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(out, 0, sizeof(*out));
    m = machine_new(sc->mcfg, &sc->kcfg, sc->policy, sc->policy_priv, eng, st, sc->seed);
    sc->policy_priv = NULL;
    hazard_attach(m, &sc->hazards);
    s = (struct sampler){ .m = m, .out = out, .bucket_ns = sc->bucket_ns,
                          .snapshot_ns = sc->snapshot_ns,
                          .snaps = g_array_new(FALSE, TRUE, sizeof(struct irq_snapshot)) };
    trace_start(m, sc->trace_events, &sc->trace_window);
    timeline_start(m, sc->timeline_events, &sc->trace_window);
    for (size_t i = 0; series_counters[i]; i++)
        stats_series_track(st, stats_counter(st, series_counters[i]));
    stats_series_set_bucket(st, sc->bucket_ns);
    if (workload_start(m, sc->wl, sc->n_wl, &msg)) {
        g_strlcpy(errbuf, msg, errlen);
    } else if (run_window(sc, m, &s)) {
        g_strlcpy(errbuf, m->failure ? m->failure : "run failed", errlen);
    } else {
        rc = 0;
    }
    fill_meta(sc, out);
    out->sim_time_ns = sim_now(eng);
    out->events = sim_events_handled(eng);
    if (m->policy->report)
        m->policy->report(m->policy_priv, m);
    out->hazards_checked = stats_total(st, m->ctr.app_accesses);
    hazard_log_export(m->hazards, out);
    out->trace = trace_take(m, &out->trace_events, &out->trace_dropped);
    out->trace_window = sc->trace_window;
    out->timeline = timeline_take(m, &(struct timeline_meta){ .scenario = out->scenario_name,
                                                             .machine = out->machine_name,
                                                             .policy = out->policy_name,
                                                             .seed = out->seed },
                                  &out->timeline_st);
    out->n_snap = s.snaps->len;
    out->snap = (struct irq_snapshot *)(void *)g_array_free(s.snaps, FALSE);
    out->st = st;
    machine_free(m);
    sim_engine_free(eng);
    g_free(msg);
    out->wall_time_s = seconds_since(&t0);
    return rc;
}

void run_output_destroy(struct run_output *out)
{
    for (size_t i = 0; i < out->n_snap; i++)
        for (int r = 0; r < IRQ_ROW_NR; r++)
            g_free(out->snap[i].count[r]);
    g_free(out->snap);
    for (size_t i = 0; i < out->n_hazard; i++)
        g_free(out->hazard[i].trace);
    g_free(out->hazard);
    stats_free(out->st);
    g_free(out->scenario_name);
    g_free(out->scenario_path);
    g_free(out->machine_name);
    g_free(out->machine_summary);
    g_free(out->policy_name);
    g_free(out->arch);
    g_free(out->trace);
    g_free(out->timeline);
    memset(out, 0, sizeof(*out));
}
