/* Sweep progress on stderr. On a terminal: one line redrawn in place with
 * '\r' (a bar, counts and an ETA); elsewhere (logs, CI): one plain line per
 * finished point. The ETA assumes the remaining points take as long as the
 * ones finished in this invocation did, at the same parallelism. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/sweep.h"

#define BAR_WIDTH 30
#define REDRAW_S 0.5

double sweep_now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void sweep_format_eta(double secs, char *buf, size_t len)
{
    unsigned long s = secs > 0 ? (unsigned long)(secs + 0.5) : 0;

    if (s >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

void sweep_progress_init(struct sweep_progress *pr, FILE *out, unsigned total,
                         unsigned skipped)
{
    memset(pr, 0, sizeof(*pr));
    pr->out = out;
    pr->tty = isatty(fileno(out)) == 1;
    pr->total = total;
    pr->skipped = skipped;
    pr->start_s = sweep_now_s();
    fprintf(out, "sweep: %u points, %u already done, %u to run\n", total, skipped,
            total - skipped);
}

/* "?" until a point has finished in this invocation. */
static void eta_text(const struct sweep_progress *pr, char *buf, size_t len)
{
    unsigned finished = pr->done + pr->failed;
    unsigned left = pr->total - pr->skipped - finished;

    if (finished == 0) {
        snprintf(buf, len, "?");
        return;
    }
    sweep_format_eta((sweep_now_s() - pr->start_s) / finished * left, buf, len);
}

static void draw(struct sweep_progress *pr)
{
    unsigned complete = pr->skipped + pr->done + pr->failed;
    unsigned fill = pr->total ? complete * BAR_WIDTH / pr->total : BAR_WIDTH;
    char bar[BAR_WIDTH + 1], eta[32];

    memset(bar, '#', fill);
    memset(bar + fill, '.', BAR_WIDTH - fill);
    bar[BAR_WIDTH] = '\0';
    eta_text(pr, eta, sizeof(eta));
    fprintf(pr->out, "\r[%s] %u/%u  running %u  failed %u  ETA %s\033[K", bar, complete,
            pr->total, pr->running, pr->failed, eta);
    fflush(pr->out);
    pr->last_draw_s = sweep_now_s();
}

void sweep_progress_point(struct sweep_progress *pr, const char *name, bool ok, double secs)
{
    char eta[32];

    if (ok)
        pr->done++;
    else
        pr->failed++;
    if (pr->tty) {
        if (!ok)
            fprintf(pr->out, "\r\033[Ksweep: point %s failed\n", name);
        draw(pr);
        return;
    }
    eta_text(pr, eta, sizeof(eta));
    fprintf(pr->out, "sweep: [%u/%u] %s %s (%.1f s), ETA %s\n",
            pr->skipped + pr->done + pr->failed, pr->total, name, ok ? "done" : "FAILED", secs,
            eta);
    fflush(pr->out);
}

void sweep_progress_tick(struct sweep_progress *pr)
{
    if (pr->tty && sweep_now_s() - pr->last_draw_s >= REDRAW_S)
        draw(pr);
}

void sweep_progress_end(struct sweep_progress *pr)
{
    if (pr->tty) {
        draw(pr);
        fputc('\n', pr->out);
    }
    fprintf(pr->out, "sweep: %u done, %u failed, %u skipped (already done), %.1f s\n",
            pr->done, pr->failed, pr->skipped, sweep_now_s() - pr->start_s);
}
