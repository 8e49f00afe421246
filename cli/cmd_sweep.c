/* `tlbsim sweep SPEC.yaml`: load the spec, expand its points and check
 * every one of them as `tlbsim run` would (bad input: exit 2 before
 * anything runs, positioned in the spec where the spec caused it); then run
 * them (-j), or list them (--dry-run), or write one shell command per point
 * for GNU parallel / SLURM (--emit-jobs), run one of those (--only), or
 * collect finished points into sweep.tsv (--merge). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/sweep.h"
#include "models/run.h"
#include "sim/atomic_file.h"

/* An absolute path to this program, for the children and job lines. */
static char *self_exe(const char *argv0)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);

    if (exe)
        return exe;
    if (strchr(argv0, '/'))
        return g_canonicalize_filename(argv0, NULL);
    exe = g_find_program_in_path(argv0);
    return exe ? exe : g_strdup(argv0);
}

/* A failed check of a point: at the spec value behind the failing --set
 * when there is one, else as the scenario loader reported it. */
static void point_error(const struct sweep_spec *spec, const struct sweep_point *p,
                        const struct cfg_error *err)
{
    for (size_t i = 0; i < p->sets->len; i++) {
        const char *set = p->sets->pdata[i];
        size_t klen = strcspn(set, "=");
        const struct cfg_node *at = p->set_at->pdata[i];

        if (strncmp(err->file, "--set ", 6) == 0 && strlen(err->file + 6) == klen &&
            strncmp(err->file + 6, set, klen) == 0) {
            fprintf(stderr, "%s:%u:%u: error: %s (point %s, --set %.*s)\n", spec->path,
                    at->line, at->col, err->msg, p->name, (int)klen, set);
            return;
        }
    }
    cfg_error_print(err, stderr);
    fprintf(stderr, "tlbsim: error: in point %s of %s\n", p->name, spec->path);
}

static int check_points(const struct sweep_spec *spec, GPtrArray *points)
{
    for (size_t i = 0; i < points->len; i++) {
        const struct sweep_point *p = points->pdata[i];
        struct scenario *sc = NULL;
        struct cfg_error err;

        memset(&err, 0, sizeof(err));
        if (run_load(spec->scenario, (const char *const *)p->sets->pdata, p->sets->len,
                     spec->repeats > 1, p->seed, &sc, &err) != 0) {
            point_error(spec, p, &err);
            return -1;
        }
        run_scenario_free(sc);
    }
    return 0;
}

static char *job_line(const char *exe, const char *spec, const char *out, const char *point)
{
    const char *words[] = { exe, "sweep", spec, "--out", out, "--only", point };
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        char *q = sweep_shell_quote(words[i]);

        g_string_append_printf(s, "%s%s", i ? " " : "", q);
        g_free(q);
    }
    return g_string_free(s, FALSE);
}

/* One line per point, absolute paths: `parallel < FILE`, or line
 * $SLURM_ARRAY_TASK_ID of it in a SLURM array. */
static int emit_jobs(const struct sweep_spec *spec, GPtrArray *points, const char *exe,
                     const char *out_dir, const char *file)
{
    char *spec_abs = g_canonicalize_filename(spec->path, NULL);
    char *out_abs = g_canonicalize_filename(out_dir, NULL);
    GString *text = g_string_new(NULL);
    int rc = TLBSIM_EXIT_OK;

    for (size_t i = 0; i < points->len; i++) {
        char *line = job_line(exe, spec_abs, out_abs,
                              ((struct sweep_point *)points->pdata[i])->name);

        g_string_append_printf(text, "%s\n", line);
        g_free(line);
    }
    if (atomic_file_write(file, text->str, text->len) != 0) {
        fprintf(stderr, "tlbsim: error: cannot write '%s': %s\n", file, g_strerror(errno));
        rc = TLBSIM_EXIT_FAIL;
    } else {
        fprintf(stderr, "sweep: %u jobs in %s; run them (parallel < %s), then\n"
                "  tlbsim sweep %s --merge %s\n", points->len, file, file, spec->path, out_abs);
    }
    g_string_free(text, TRUE);
    g_free(out_abs);
    g_free(spec_abs);
    return rc;
}

static void dry_run(const struct sweep_spec *spec, GPtrArray *points, const char *exe,
                    const char *out_dir)
{
    for (size_t i = 0; i < points->len; i++) {
        const struct sweep_point *p = points->pdata[i];
        char *dir = g_build_filename(out_dir, p->name, NULL);
        char **argv = sweep_point_argv(spec, p, exe, dir);

        printf("%s%s", p->name, sweep_point_done(out_dir, p) ? " (done)\n " : "\n ");
        for (char **w = argv; *w; w++) {
            char *q = sweep_shell_quote(*w);

            printf(" %s", q);
            g_free(q);
        }
        putchar('\n');
        g_strfreev(argv);
        g_free(dir);
    }
}

static int merge(const struct sweep_spec *spec, GPtrArray *points, const char *dir)
{
    char errbuf[600];
    long rows = sweep_tsv_write(spec, points, dir, errbuf, sizeof(errbuf));

    if (rows < 0) {
        fprintf(stderr, "tlbsim: error: %s\n", errbuf);
        return TLBSIM_EXIT_FAIL;
    }
    fprintf(stderr, "sweep: %s/%s: %ld of %u points\n", dir, SWEEP_TSV, rows, points->len);
    for (size_t i = 0; i < points->len; i++)
        if (!sweep_point_done(dir, points->pdata[i]))
            fprintf(stderr, "tlbsim: error: point %s is not done\n",
                    ((struct sweep_point *)points->pdata[i])->name);
    return (size_t)rows == points->len ? TLBSIM_EXIT_OK : TLBSIM_EXIT_FAIL;
}

/* --only: the one point, without touching sweep.tsv (jobs run concurrently). */
static int run_only(const struct sweep_spec *spec, GPtrArray *points,
                    struct sweep_run_opts *opts, const char *name)
{
    GPtrArray *one = g_ptr_array_new();
    int rc;

    for (size_t i = 0; i < points->len; i++)
        if (strcmp(((struct sweep_point *)points->pdata[i])->name, name) == 0)
            g_ptr_array_add(one, points->pdata[i]);
    if (one->len == 0) {
        fprintf(stderr, "tlbsim: error: %s has no point '%s' (see --dry-run)\n", spec->path,
                name);
        g_ptr_array_free(one, TRUE);
        return TLBSIM_EXIT_USAGE;
    }
    opts->jobs = 1;
    opts->write_tsv = false;
    rc = sweep_run(spec, one, opts);
    g_ptr_array_free(one, TRUE);
    return rc;
}

static int dispatch(const struct args *a, const struct sweep_spec *spec, GPtrArray *points)
{
    char *exe = self_exe(a->argv0);
    const char *out_dir = a->merge_dir ? a->merge_dir : a->out_dir ? a->out_dir : spec->out_dir;
    struct sweep_run_opts opts = { .exe = exe, .out_dir = out_dir, .write_tsv = true };
    long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char errbuf[600];
    int rc;

    opts.jobs = a->jobs ? a->jobs : n_cpus > 0 ? (unsigned)n_cpus : 1;
    if (a->dry_run) {
        dry_run(spec, points, exe, out_dir);
        rc = TLBSIM_EXIT_OK;
    } else if (a->emit_jobs) {
        rc = emit_jobs(spec, points, exe, out_dir, a->emit_jobs);
    } else if (a->merge_dir) {
        rc = merge(spec, points, out_dir);
    } else if (a->only) {
        rc = run_only(spec, points, &opts, a->only);
    } else {
        rc = sweep_run(spec, points, &opts);
        /* also when nothing ran (all done): the TSV always reflects the points */
        if (sweep_tsv_write(spec, points, out_dir, errbuf, sizeof(errbuf)) < 0) {
            fprintf(stderr, "tlbsim: error: %s\n", errbuf);
            rc = rc ? rc : TLBSIM_EXIT_FAIL;
        } else {
            fprintf(stderr, "sweep: wrote %s/%s\n", out_dir, SWEEP_TSV);
        }
    }
    g_free(exe);
    return rc;
}

int cmd_sweep(const struct args *a)
{
    struct sweep_spec *spec = NULL;
    GPtrArray *points = NULL;
    struct cfg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    if (sweep_spec_load(a->files[0], &spec, &err) != 0 ||
        sweep_points_expand(spec, &points, &err) != 0) {
        cfg_error_print(&err, stderr);
        sweep_spec_free(spec);
        return TLBSIM_EXIT_USAGE;
    }
    if (!a->merge_dir && !a->only && check_points(spec, points) != 0)
        rc = TLBSIM_EXIT_USAGE;
    else
        rc = dispatch(a, spec, points);
    sweep_points_free(points);
    sweep_spec_free(spec);
    return rc;
}
