/* `tlbsim run`: load and validate the scenario with the --set overrides and
 * seed (bad input: exit 2 before anything is written), execute it (runtime
 * failure: exit 1), then write the result set into --out or
 * results/<scenario>/ (a write failure leaves no files of this run: exit 1). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "models/run.h"

/* results/<name>; NULL when the name cannot be one directory level. */
static char *run_default_dir(const struct scenario *sc)
{
    const char *name = run_scenario_name(sc);

    if (!name || !*name || name[0] == '.' || strchr(name, '/'))
        return NULL;
    return g_build_filename("results", name, NULL);
}

static int run_and_report(struct scenario *sc, const struct args *a)
{
    struct run_output out;
    char errbuf[512] = "";
    char *dir;
    int rc = TLBSIM_EXIT_OK;

    dir = a->out_dir ? g_strdup(a->out_dir) : run_default_dir(sc);
    if (!dir) {
        fprintf(stderr, "tlbsim: error: scenario name '%s' cannot name a results "
                "directory; use --out DIR\n", run_scenario_name(sc));
        return TLBSIM_EXIT_USAGE;
    }
    memset(&out, 0, sizeof(out));
    if (run_execute(sc, &out, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "tlbsim: error: run failed: %s\n", errbuf);
        run_output_destroy(&out);
        g_free(dir);
        return TLBSIM_EXIT_FAIL;
    }
    if (report_write_all(&out, dir, !a->quiet, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "tlbsim: error: %s (no results written)\n", errbuf);
        rc = TLBSIM_EXIT_FAIL;
    } else if (!a->quiet) {
        fprintf(stderr, "tlbsim: results in %s/\n", dir);   /* stdout = summary.txt */
    }
    g_free(dir);
    run_output_destroy(&out);
    return rc;
}

int cmd_run(const struct args *a)
{
    struct scenario *sc = NULL;
    struct cfg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    if (run_load(a->files[0], a->sets, a->n_sets, a->has_seed, a->seed, &sc, &err) != 0) {
        cfg_error_print(&err, stderr);
        return TLBSIM_EXIT_USAGE;
    }
    rc = run_and_report(sc, a);
    run_scenario_free(sc);
    return rc;
}
