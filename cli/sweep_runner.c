/* Runs sweep points as child processes (`tlbsim run --quiet --out DIR ...`),
 * at most `jobs` at once. A point counts as done only through its marker,
 * written atomically after the child exited 0 with results.json in place;
 * so a sweep killed at any moment (even SIGKILL) leaves either a done point
 * or one that the next invocation clears and runs again. SIGINT, SIGTERM
 * and SIGCHLD stay blocked in this process and are taken with sigtimedwait,
 * so no signal is lost between a check and a wait; children get the
 * original mask back before exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli/sweep.h"
#include "sim/atomic_file.h"

struct child {
    pid_t pid;
    size_t point;
    double start_s;
};

struct runner {
    const struct sweep_spec *spec;
    GPtrArray *points;
    const struct sweep_run_opts *opts;
    struct sweep_progress pr;
    struct child *kids;          /* opts->jobs slots; pid 0 = free */
    unsigned running;
    GPtrArray *failed;           /* char *, point names */
    sigset_t old_mask;
};

static char *point_file(const char *out_dir, const struct sweep_point *p, const char *file)
{
    return g_build_filename(out_dir, p->name, file, NULL);
}

bool sweep_point_done(const char *out_dir, const struct sweep_point *p)
{
    char *marker = point_file(out_dir, p, SWEEP_DONE_MARKER);
    bool done = g_file_test(marker, G_FILE_TEST_IS_REGULAR);

    g_free(marker);
    return done;
}

/* Empties a point directory left by an interrupted attempt: the marker
 * first (it is absent anyway, or the point would not run), then the rest. */
static int point_dir_reset(const char *dir)
{
    GDir *d;
    const char *name;

    if (mkdir_parents(dir) != 0)
        return -1;
    d = g_dir_open(dir, 0, NULL);
    if (!d)
        return -1;
    while ((name = g_dir_read_name(d)) != NULL) {
        char *path = g_build_filename(dir, name, NULL);

        if (!g_file_test(path, G_FILE_TEST_IS_DIR))
            unlink(path);
        g_free(path);
    }
    g_dir_close(d);
    return 0;
}

/* In the child: stdout to /dev/null, stderr to the point's stderr.txt. On
 * Linux the run dies with the sweep (SIGTERM when the parent exits, even by
 * SIGKILL), so a rerun never shares a point directory with an orphan. */
static void child_exec(char **argv, int err_fd, const sigset_t *mask, pid_t parent)
{
    int null_fd = open("/dev/null", O_WRONLY);

#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (null_fd >= 0)
        dup2(null_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execv(argv[0], argv);
    dprintf(STDERR_FILENO, "tlbsim sweep: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int spawn(struct runner *r, size_t idx, struct child *slot)
{
    const struct sweep_point *p = r->points->pdata[idx];
    char *dir = g_build_filename(r->opts->out_dir, p->name, NULL);
    char *err_path = point_file(r->opts->out_dir, p, "stderr.txt");
    char **argv = sweep_point_argv(r->spec, p, r->opts->exe, dir);
    int err_fd = -1, rc = -1;
    pid_t pid, self = getpid();

    if (point_dir_reset(dir) == 0)
        err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (err_fd < 0) {
        fprintf(stderr, "tlbsim: error: cannot prepare '%s': %s\n", dir, g_strerror(errno));
    } else if ((pid = fork()) < 0) {
        fprintf(stderr, "tlbsim: error: fork: %s\n", g_strerror(errno));
    } else if (pid == 0) {
        child_exec(argv, err_fd, &r->old_mask, self);
    } else {
        slot->pid = pid;
        slot->point = idx;
        slot->start_s = sweep_now_s();
        r->pr.running = ++r->running;
        rc = 0;
    }
    if (err_fd >= 0)
        close(err_fd);
    g_strfreev(argv);
    g_free(err_path);
    g_free(dir);
    return rc;
}

/* The child exited: mark the point done (results present, status 0), or
 * report it; then rebuild the TSV so it always covers every done point. */
static void finish(struct runner *r, struct child *c, int status)
{
    const struct sweep_point *p = r->points->pdata[c->point];
    char *json = point_file(r->opts->out_dir, p, "results.json");
    char *marker = point_file(r->opts->out_dir, p, SWEEP_DONE_MARKER);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
              g_file_test(json, G_FILE_TEST_IS_REGULAR);
    static const char text[] = "finished\n";
    char errbuf[512];

    if (ok && atomic_file_write(marker, text, sizeof(text) - 1) != 0) {
        fprintf(stderr, "tlbsim: error: cannot write '%s': %s\n", marker, g_strerror(errno));
        ok = false;
    }
    r->running--;
    r->pr.running = r->running;
    sweep_progress_point(&r->pr, p->name, ok, sweep_now_s() - c->start_s);
    if (!ok)
        g_ptr_array_add(r->failed, g_strdup(p->name));
    if (ok && r->opts->write_tsv &&
        sweep_tsv_write(r->spec, r->points, r->opts->out_dir, errbuf, sizeof(errbuf)) < 0)
        fprintf(stderr, "tlbsim: error: %s\n", errbuf);
    c->pid = 0;
    g_free(marker);
    g_free(json);
}

static bool reap(struct runner *r)
{
    bool any = false;
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned k = 0; k < r->opts->jobs; k++) {
            if (r->kids[k].pid == pid) {
                finish(r, &r->kids[k], status);
                any = true;
            }
        }
    }
    return any;
}

static void stop_children(struct runner *r)
{
    for (unsigned k = 0; k < r->opts->jobs; k++)
        if (r->kids[k].pid > 0)
            kill(r->kids[k].pid, SIGTERM);
    for (unsigned k = 0; k < r->opts->jobs; k++) {
        if (r->kids[k].pid > 0)
            waitpid(r->kids[k].pid, NULL, 0);
        r->kids[k].pid = 0;
    }
}

static struct child *free_slot(struct runner *r)
{
    for (unsigned k = 0; k < r->opts->jobs; k++)
        if (r->kids[k].pid == 0)
            return &r->kids[k];
    return NULL;
}

/* Returns the signal that stopped the sweep, or 0. */
static int run_loop(struct runner *r, const sigset_t *wait_set)
{
    size_t next = 0;

    for (;;) {
        struct timespec tick = { 0, 200 * 1000 * 1000 };
        struct child *slot;
        int sig;

        while (r->running < r->opts->jobs && next < r->points->len) {
            size_t idx = next++;

            if (sweep_point_done(r->opts->out_dir, r->points->pdata[idx]))
                continue;
            slot = free_slot(r);
            if (spawn(r, idx, slot) != 0) {
                sweep_progress_point(&r->pr, ((struct sweep_point *)r->points->pdata[idx])->name,
                                     false, 0);
                g_ptr_array_add(r->failed,
                                g_strdup(((struct sweep_point *)r->points->pdata[idx])->name));
            }
        }
        if (r->running == 0 && next >= r->points->len)
            return 0;
        if (reap(r))
            continue;
        sweep_progress_tick(&r->pr);
        sig = sigtimedwait(wait_set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            return sig;
    }
}

int sweep_run(const struct sweep_spec *spec, GPtrArray *points,
              const struct sweep_run_opts *opts)
{
    struct runner r = { .spec = spec, .points = points, .opts = opts };
    unsigned skipped = 0;
    sigset_t wait_set;
    int sig, rc;

    for (size_t i = 0; i < points->len; i++)
        skipped += sweep_point_done(opts->out_dir, points->pdata[i]);
    r.kids = g_new0(struct child, opts->jobs);
    r.failed = g_ptr_array_new_with_free_func(g_free);
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &wait_set, &r.old_mask);
    sweep_progress_init(&r.pr, stderr, (unsigned)points->len, skipped);
    sig = run_loop(&r, &wait_set);
    if (sig)
        stop_children(&r);
    sigprocmask(SIG_SETMASK, &r.old_mask, NULL);
    sweep_progress_end(&r.pr);
    for (size_t i = 0; i < r.failed->len; i++)
        fprintf(stderr, "tlbsim: error: point %s failed; its stderr is %s/%s/stderr.txt\n",
                (char *)r.failed->pdata[i], opts->out_dir, (char *)r.failed->pdata[i]);
    if (sig) {
        fprintf(stderr, "tlbsim: sweep interrupted by %s; finished points are kept, "
                "run the same command again to resume\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        rc = 128 + sig;
    } else {
        rc = r.failed->len ? 1 : 0;
    }
    g_ptr_array_free(r.failed, TRUE);
    g_free(r.kids);
    return rc;
}
