/* `tlbsim sweep`: a spec (YAML) names a base scenario and axes; every point
 * of their cross product (times `repeats`) is one `tlbsim run` in its own
 * process and its own directory, and sweep.tsv has one row per finished
 * point. The pieces: spec parsing (sweep_spec.c), expansion into points
 * (sweep_points.c), the process runner (sweep_runner.c), progress display
 * (sweep_progress.c) and the TSV (sweep_tsv.c); cmd_sweep.c ties them. */
#ifndef CLI_SWEEP_H
#define CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "sim/cfg.h"

/* A finished point's directory holds this file, written last and atomically
 * after `tlbsim run` exited 0 with its result set in place. */
#define SWEEP_DONE_MARKER "done"
#define SWEEP_TSV "sweep.tsv"
#define SWEEP_MAX_POINTS 100000

/* One value of an axis: how it shows (TSV cell, part of the point name) and
 * the `--set` assignments that select it. */
struct sweep_value {
    char *label;
    GPtrArray *sets;            /* char *, "key.path=value" */
    const struct cfg_node *at;  /* where the spec gives it (for errors) */
};

struct sweep_axis {
    char *key;                  /* "policy", "machine" or a dotted scenario key */
    GPtrArray *values;          /* struct sweep_value * */
};

struct sweep_spec {
    struct cfg_node *root;      /* the spec tree; positions for errors */
    char *path;                 /* as given */
    char *scenario;             /* absolute */
    char *out_dir;              /* `out:`, or results/sweeps/<spec name> */
    GPtrArray *axes;            /* struct sweep_axis *, in file order */
    GPtrArray *fixed;           /* char *, `set:` assignments for every point */
    GPtrArray *fixed_at;        /* const struct cfg_node *, parallel to fixed */
    unsigned repeats;           /* >= 1 */
    uint64_t base_seed;         /* repeat r runs with seed base_seed + r */
};

struct sweep_point {
    char *name;                 /* directory name: filesystem-safe, unique */
    GPtrArray *sets;            /* fixed, then each axis's (char *, owned) */
    GPtrArray *set_at;          /* const struct cfg_node *, parallel to sets */
    const char **labels;        /* one per axis (point into the spec) */
    unsigned repeat;
    uint64_t seed;              /* passed as --seed only when repeats > 1 */
};

/* sweep_spec.c: loads and checks the spec (scenario and machine files must
 * exist). Returns 0, or -1 with a positioned *err. */
int sweep_spec_load(const char *path, struct sweep_spec **out, struct cfg_error *err);
void sweep_spec_free(struct sweep_spec *spec);

/* sweep_points.c: the cross product in a fixed order (first axis slowest,
 * repeats fastest). Fails (-1, *err) on name collisions or too many points. */
int sweep_points_expand(const struct sweep_spec *spec, GPtrArray **points,
                        struct cfg_error *err);
void sweep_points_free(GPtrArray *points);
/* The argv of `tlbsim run` for one point (NULL-terminated, g_strfreev). */
char **sweep_point_argv(const struct sweep_spec *spec, const struct sweep_point *p,
                        const char *exe, const char *point_dir);
/* A filesystem-safe name part: [A-Za-z0-9._=+-] kept, anything else '_'. */
char *sweep_safe_name(const char *text);
/* A cfg node as one line of YAML flow text ("[{a: 1}, b]"), for --set. */
char *sweep_flow_text(const struct cfg_node *node);
/* Single-quoted for POSIX sh when needed. */
char *sweep_shell_quote(const char *word);

/* sweep_runner.c */
struct sweep_run_opts {
    const char *exe;            /* this program, for `run` */
    const char *out_dir;
    unsigned jobs;
    bool write_tsv;             /* rebuild sweep.tsv after every finished point */
};
/* Is this point's directory finished (its marker present)? */
bool sweep_point_done(const char *out_dir, const struct sweep_point *p);
/* Runs every point of `points` that is not done, at most opts->jobs at once.
 * Returns 0 when all finished, 1 when some failed (each named on stderr),
 * 130/143 after SIGINT/SIGTERM (children killed first). */
int sweep_run(const struct sweep_spec *spec, GPtrArray *points,
              const struct sweep_run_opts *opts);

/* sweep_progress.c: a redrawn bar on a terminal, plain lines otherwise. */
struct sweep_progress {
    FILE *out;
    bool tty;
    unsigned total, skipped, done, failed, running;
    double start_s, last_draw_s;
};
void sweep_progress_init(struct sweep_progress *pr, FILE *out, unsigned total,
                         unsigned skipped);
void sweep_progress_point(struct sweep_progress *pr, const char *name, bool ok, double secs);
void sweep_progress_tick(struct sweep_progress *pr);
void sweep_progress_end(struct sweep_progress *pr);
/* "1:02:03" / "2:03" for an ETA. */
void sweep_format_eta(double secs, char *buf, size_t len);
double sweep_now_s(void);

/* sweep_tsv.c: the TSV of every done point under out_dir, in point order.
 * Returns the number of rows, or -1 with a message in errbuf. */
long sweep_tsv_build(const struct sweep_spec *spec, GPtrArray *points, const char *out_dir,
                     GString *tsv, char *errbuf, size_t len);
/* Builds and writes out_dir/sweep.tsv atomically. Returns rows or -1. */
long sweep_tsv_write(const struct sweep_spec *spec, GPtrArray *points, const char *out_dir,
                     char *errbuf, size_t len);

#endif
