/* Running a scenario in this process with --set overrides, for the tests of
 * trace.txt and timeline.json. Static, in a header, as tests are one .c
 * each; include after cmocka.h and glib.h. */
#ifndef TESTS_TRACE_FIXTURE_H
#define TESTS_TRACE_FIXTURE_H

#include <string.h>

#include "models/run.h"
#include "sim/stats.h"

#define DEFAULT_SCENARIO "configs/scenarios/default.yaml"

/* Short runs of default.yaml: 20 ms warm-up, then a 20 ms window. */
#define SHORT_SETS "warmup_ms=20", "duration_ms=20", "output.snapshot_ms=5"

/* A trace window from 25 ms to 35.5 ms, before and after the end of a 30 ms
 * warm-up (window 30-50 ms). Reclaim, and with it flushing, starts ~22 ms
 * into default.yaml, so the window holds events on both sides. */
#define WINDOW_SETS "warmup_ms=30", "duration_ms=20", "output.snapshot_ms=5", \
    "output.trace_window.start_ms=25", "output.trace_window.end_ms=35.5"

/* run_load + run_execute of path with the NULL-terminated sets; fails the
 * test on any error. */
static inline void run_with(const char *path, const char *const *sets, struct run_output *out)
{
    struct scenario *sc = NULL;
    struct cfg_error err;
    char errbuf[512] = "";
    size_t n = 0;

    while (sets[n])
        n++;
    memset(&err, 0, sizeof(err));
    if (run_load(path, sets, n, false, 0, &sc, &err) != 0) {
        cfg_error_print(&err, stderr);
        fail_msg("run_load %s failed", path);
    }
    if (run_execute(sc, out, errbuf, sizeof(errbuf)) != 0)
        fail_msg("run_execute %s failed: %s", path, errbuf);
    run_scenario_free(sc);
}

/* A counter's total over the measured window. */
static inline uint64_t counter(const struct run_output *out, const char *name)
{
    stats_id id;

    if (!stats_find(out->st, name, &id))
        fail_msg("no counter '%s'", name);
    return stats_total(out->st, id);
}

#endif
