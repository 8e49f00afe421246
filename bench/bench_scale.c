/* Scale benchmark: runs configs/scenarios/stress-1024c.yaml (1024 CPUs,
 * 64 GiB = 16M frames, memory filled and then reclaimed) and reports wall
 * time, simulated events per second and peak resident memory. The model's
 * size target is under 2 GiB RSS for this machine. Run from the repo root. */
#include <stdio.h>
#include <sys/resource.h>

#include "models/run.h"
#include "sim/stats.h"

#define SCENARIO "configs/scenarios/stress-1024c.yaml"
#define RSS_TARGET_KIB (2ull * 1024 * 1024)

static unsigned long long total(const struct run_output *out, const char *name)
{
    stats_id id;

    return stats_find(out->st, name, &id) ? (unsigned long long)stats_total(out->st, id) : 0;
}

int main(void)
{
    struct scenario *sc = NULL;
    struct cfg_error err = { 0 };
    struct run_output out;
    struct rusage ru;
    char errbuf[256] = "";
    int rc;

    if (run_load(SCENARIO, NULL, 0, false, 0, &sc, &err)) {
        cfg_error_print(&err, stderr);
        return 2;
    }
    rc = run_execute(sc, &out, errbuf, sizeof(errbuf));
    getrusage(RUSAGE_SELF, &ru);
    if (rc) {
        fprintf(stderr, "bench_scale: %s\n", errbuf);
        return 1;
    }
    printf("scale: %s, %u CPUs, %.0f ms simulated\n", out.machine_summary, out.n_cpus,
           (double)(out.sim_time_ns) / 1e6);
    printf("  wall %.2f s, %llu events, %.2f M events/s\n", out.wall_time_s,
           (unsigned long long)out.events, (double)out.events / out.wall_time_s / 1e6);
    printf("  pages read %llu, reclaimed %llu (kswapd) + %llu (direct), TLB IPIs %llu\n",
           total(&out, "app_accesses"), total(&out, "pgsteal_kswapd"),
           total(&out, "pgsteal_direct"), total(&out, "ipi_received"));
    printf("  peak RSS %ld MiB (target < %llu MiB): %s\n", ru.ru_maxrss / 1024,
           RSS_TARGET_KIB / 1024, (unsigned long long)ru.ru_maxrss < RSS_TARGET_KIB ? "ok" : "OVER");
    run_output_destroy(&out);
    run_scenario_free(sc);
    return (unsigned long long)ru.ru_maxrss < RSS_TARGET_KIB ? 0 : 1;
}
