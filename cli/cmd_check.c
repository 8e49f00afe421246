/* `tlbsim check FILE...`: validates each file and prints one line for it.
 * A top-level mapping with a `topology` key is a machine (checked with
 * machine_cfg_load); anything else is taken as a scenario and checked with
 * run_load, which validates the machine it names too. Every file is checked
 * and every error printed; the status is 2 if any file failed. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli/commands.h"
#include "models/machine_cfg.h"
#include "models/run.h"

#define CHECK_SUMMARY_MAX 512

static int check_machine(const char *path, struct cfg_node *root, struct cfg_error *err)
{
    struct machine_cfg *mc = g_new0(struct machine_cfg, 1);   /* large: heap */
    char summary[CHECK_SUMMARY_MAX];
    int rc = machine_cfg_load(root, mc, err);

    if (rc == 0) {
        machine_cfg_summary(mc, summary, sizeof(summary));
        printf("%s: machine: %s\n", path, summary);
    }
    g_free(mc);
    return rc;
}

static int check_scenario(const char *path, struct cfg_error *err)
{
    struct scenario *sc = NULL;
    char summary[CHECK_SUMMARY_MAX];

    if (run_load(path, NULL, 0, false, 0, &sc, err) != 0)
        return -1;
    run_scenario_summary(sc, summary, sizeof(summary));
    printf("%s: scenario: %s\n", path, summary);
    run_scenario_free(sc);
    return 0;
}

static bool check_is_machine(const struct cfg_node *root)
{
    size_t index;

    return root->kind == CFG_MAP && cfg_map_find(root, "topology", &index);
}

static int check_one(const char *path)
{
    struct cfg_node *root = NULL;
    struct cfg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    if (cfg_load_file(path, &root, &err) != 0) {
        rc = -1;
    } else if (check_is_machine(root)) {
        rc = check_machine(path, root, &err);
        cfg_free(root);
    } else {
        cfg_free(root);
        rc = check_scenario(path, &err);
    }
    if (rc != 0)
        cfg_error_print(&err, stderr);
    return rc;
}

int cmd_check(const struct args *a)
{
    int status = TLBSIM_EXIT_OK;

    for (size_t i = 0; i < a->n_files; i++) {
        fflush(stdout);   /* keep stdout and stderr lines in file order */
        if (check_one(a->files[i]) != 0)
            status = TLBSIM_EXIT_USAGE;
    }
    fflush(stdout);
    return status;
}
