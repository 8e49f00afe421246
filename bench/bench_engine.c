/* The hold-model benchmark: N pending events; each handled event schedules
 * one more at now + Exp(mean 1000 ns). Runs the engine and, as a baseline, a
 * plain 4-ary heap of (double time, int payload) doing the same loop with no
 * engine, and prints the median rate of 5 runs per N and their ratio.
 * Timed part is the hold loop only (not the prefill or teardown). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>

#include "sim/engine.h"
#include "sim/rng.h"

#define MEAN_DELAY_NS 1000.0
#define RUNS 5
#define SEED 42

struct hold {
    struct rng rng;
    uint64_t handled, target;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static sim_time_t draw_delay(struct rng *r)
{
    /* Rounded to whole ns: simulated time is an integer. */
    return (sim_time_t)(rng_exponential(r, MEAN_DELAY_NS) + 0.5);
}

static void hold_handler(struct sim_engine *eng, void *ctx, uint64_t arg)
{
    struct hold *h = ctx;

    if (++h->handled >= h->target)
        sim_stop(eng);
    sim_schedule(eng, draw_delay(&h->rng), hold_handler, h, arg);
}

/* Seconds for `target` handled events with n pending. */
static double bench_engine_run(size_t n, uint64_t target)
{
    struct sim_engine *eng = sim_engine_new();
    struct hold h = { .target = target };
    double t0, t1;

    rng_stream_init(&h.rng, SEED, 0);
    for (size_t i = 0; i < n; i++)
        sim_schedule(eng, draw_delay(&h.rng), hold_handler, &h, i);
    t0 = now_s();
    sim_run(eng);
    t1 = now_s();
    if (h.handled != target || sim_events_handled(eng) != target) {
        fprintf(stderr, "bench_engine: handled %llu, wanted %llu\n",
                (unsigned long long)h.handled, (unsigned long long)target);
        exit(1);
    }
    sim_engine_free(eng);
    return t1 - t0;
}

/* ---- baseline: the simplest reasonable 4-ary heap ---- */

struct plain_entry {
    double time;
    int payload;
};

struct plain_heap {
    struct plain_entry *a;
    size_t len, cap;
};

static void plain_push(struct plain_heap *h, struct plain_entry e)
{
    size_t i;

    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->a = g_realloc_n(h->a, h->cap, sizeof(*h->a));
    }
    i = h->len++;
    while (i > 0 && e.time < h->a[(i - 1) / 4].time) {
        h->a[i] = h->a[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    h->a[i] = e;
}

static struct plain_entry plain_pop(struct plain_heap *h)
{
    struct plain_entry top = h->a[0], x = h->a[--h->len];
    size_t i = 0, n = h->len;

    for (;;) {
        size_t c = 4 * i + 1, end = c + 4 < n ? c + 4 : n, m = c;

        if (c >= n)
            break;
        for (size_t j = c + 1; j < end; j++)
            if (h->a[j].time < h->a[m].time)
                m = j;
        if (!(h->a[m].time < x.time))
            break;
        h->a[i] = h->a[m];
        i = m;
    }
    if (n > 0)
        h->a[i] = x;
    return top;
}

static double bench_plain_run(size_t n, uint64_t target)
{
    struct plain_heap h = { 0 };
    struct rng r;
    double t0, t1;

    rng_stream_init(&r, SEED, 0);
    for (size_t i = 0; i < n; i++)
        plain_push(&h, (struct plain_entry){ (double)draw_delay(&r), (int)i });
    t0 = now_s();
    for (uint64_t k = 0; k < target; k++) {
        struct plain_entry e = plain_pop(&h);

        e.time += (double)draw_delay(&r);
        plain_push(&h, e);
    }
    t1 = now_s();
    g_free(h.a);
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_seconds(double (*run)(size_t, uint64_t), size_t n, uint64_t target)
{
    double t[RUNS];

    for (int i = 0; i < RUNS; i++)
        t[i] = run(n, target);
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    return t[RUNS / 2];
}

/* With arguments, runs only the sizes given (for profiling one size). */
int main(int argc, char **argv)
{
    size_t sizes[16] = { 1000, 100000, 1000000 };
    size_t n_sizes = 3;

    if (argc > 1) {
        n_sizes = 0;
        for (int a = 1; a < argc && n_sizes < 16; a++)
            sizes[n_sizes++] = (size_t)strtoull(argv[a], NULL, 10);
    }

    printf("hold model: exponential delays (mean %.0f ns), median of %d runs\n",
           MEAN_DELAY_NS, RUNS);
    printf("%-10s %14s %10s %18s %7s\n",
           "N", "engine Mev/s", "ns/event", "plain-4ary Mev/s", "ratio");
    for (size_t i = 0; i < n_sizes; i++) {
        size_t n = sizes[i];
        uint64_t target = 10 * (uint64_t)n > 10000000 ? 10 * (uint64_t)n : 10000000;
        double te = median_seconds(bench_engine_run, n, target);
        double tp = median_seconds(bench_plain_run, n, target);
        double me = (double)target / te / 1e6, mp = (double)target / tp / 1e6;

        printf("%-10zu %14.2f %10.1f %18.2f %7.2f\n",
               n, me, te * 1e9 / (double)target, mp, me / mp);
        fflush(stdout);
    }
    return 0;
}
