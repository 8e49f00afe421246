/* `tlbsim list`: the shipped machines, one machine_cfg_summary() line each,
 * from the *.yaml files in configs/machines, under $TLBSIM_DATADIR when it is
 * set (an installed share/tlbsim), else under the current directory. Files
 * are listed in name order. A shipped file that does not load means a broken
 * installation: its error is printed and the status is 1.
 * Left out: policies and workloads (policy_registry_print, added elsewhere). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli/commands.h"
#include "models/machine_cfg.h"
#include "models/policy.h"
#include "models/workload.h"

#ifndef TLBSIM_DATADIR_DEFAULT
#define TLBSIM_DATADIR_DEFAULT "/usr/local/share/tlbsim"
#endif

static char *list_machine_dir(void)
{
    const char *datadir = getenv("TLBSIM_DATADIR");

    if (datadir && *datadir)
        return g_build_filename(datadir, "configs", "machines", NULL);
    /* Run from a source tree, or else from where `make install` put them. */
    if (g_file_test("configs/machines", G_FILE_TEST_IS_DIR))
        return g_build_filename("configs", "machines", NULL);
    return g_build_filename(TLBSIM_DATADIR_DEFAULT, "configs", "machines", NULL);
}

static gint list_compare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The *.yaml paths in dir, sorted; NULL (errno set) if dir cannot be read. */
static GPtrArray *list_yaml_files(const char *dir)
{
    GError *gerr = NULL;
    GDir *d = g_dir_open(dir, 0, &gerr);
    GPtrArray *files;
    const char *name;

    if (!d) {
        errno = gerr->code == G_FILE_ERROR_NOENT ? ENOENT : EACCES;
        g_error_free(gerr);
        return NULL;
    }
    files = g_ptr_array_new_with_free_func(g_free);
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".yaml") && name[0] != '.')
            g_ptr_array_add(files, g_build_filename(dir, name, NULL));
    g_dir_close(d);
    g_ptr_array_sort(files, list_compare);
    return files;
}

static int list_one(const char *path)
{
    struct machine_cfg *mc = g_new0(struct machine_cfg, 1);   /* large: heap */
    struct cfg_node *root = NULL;
    struct cfg_error err;
    char summary[512];
    int rc;

    memset(&err, 0, sizeof(err));
    rc = cfg_load_file(path, &root, &err);
    if (rc == 0)
        rc = machine_cfg_load(root, mc, &err);
    if (rc == 0) {
        machine_cfg_summary(mc, summary, sizeof(summary));
        printf("  %s\n", summary);
    } else {
        fflush(stdout);
        cfg_error_print(&err, stderr);
    }
    cfg_free(root);
    g_free(mc);
    return rc;
}

int cmd_list(const struct args *a)
{
    char *dir = list_machine_dir();
    GPtrArray *files = list_yaml_files(dir);
    int status = TLBSIM_EXIT_OK;

    (void)a;
    policy_registry_print(stdout);
    printf("workloads:\n");
    for (unsigned w = 0; w < WL_NR; w++) {
        const char *what = workload_type_what((enum workload_type)w);
        const char *nl;

        printf("  %-14s ", workload_type_name((enum workload_type)w));
        while ((nl = strchr(what, '\n'))) {       /* continuation lines indented */
            printf("%.*s\n%17s", (int)(nl - what), what, "");
            what = nl + 1;
        }
        printf("%s\n", what);
    }
    printf("  (kernel)       kswapd per node and direct reclaim in every scenario; the NUMA\n"
           "                 scanner and promotion with kernel.numa_tiering, demotion with\n"
           "                 kernel.demotion\n");
    if (!files) {
        fprintf(stderr, "tlbsim: error: cannot read '%s': %s (run from the tlbsim "
                "directory or set TLBSIM_DATADIR)\n", dir, g_strerror(errno));
        g_free(dir);
        return TLBSIM_EXIT_FAIL;
    }
    printf("machines (%s):\n", dir);
    for (guint i = 0; i < files->len; i++)
        if (list_one(g_ptr_array_index(files, i)) != 0)
            status = TLBSIM_EXIT_FAIL;
    if (files->len == 0)
        printf("  (none)\n");
    fflush(stdout);
    g_ptr_array_free(files, TRUE);
    g_free(dir);
    return status;
}
