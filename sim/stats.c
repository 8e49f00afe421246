/* Run statistics: named counters (one flat array, n_cpus + 1 slots per
 * counter, the last slot the total), log2-bucket histograms, and a time series
 * of cumulative totals. Registration grows arrays and is set-up work; the hot
 * path is indexing. Left out: output formats (writers read through getters). */
#include "sim/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* A name -> id registry in registration order. */
struct stats_names {
    GPtrArray *names;       /* owned strings */
    GHashTable *index;      /* name (borrowed from names) -> id + 1 */
};

struct stats {
    unsigned n_cpus;
    struct stats_names counters;
    uint64_t *values;       /* values[id * (n_cpus + 1) + slot] */
    size_t values_cap;      /* in counters */
    struct stats_names hists;
    GArray *hist;           /* struct stats_hist */
    GArray *series_ids;     /* stats_id per column */
    GArray *series;         /* uint64_t rows of 1 + width: time, totals... */
    sim_time_t series_bucket_ns;
};

static void names_init(struct stats_names *n)
{
    n->names = g_ptr_array_new_with_free_func(g_free);
    n->index = g_hash_table_new(g_str_hash, g_str_equal);
}

static void names_free(struct stats_names *n)
{
    g_hash_table_destroy(n->index);
    g_ptr_array_free(n->names, TRUE);
}

static bool names_find(const struct stats_names *n, const char *name, stats_id *out)
{
    gpointer v = g_hash_table_lookup(n->index, name);

    if (!v)
        return false;
    *out = (stats_id)(GPOINTER_TO_SIZE(v) - 1);
    return true;
}

static stats_id names_add(struct stats_names *n, const char *name)
{
    char *copy = g_strdup(name);
    stats_id id = n->names->len;

    g_ptr_array_add(n->names, copy);
    g_hash_table_insert(n->index, copy, GSIZE_TO_POINTER((gsize)id + 1));
    return id;
}

static const char *names_get(const struct stats_names *n, stats_id id)
{
    return id < n->names->len ? g_ptr_array_index(n->names, id) : NULL;
}

/* A bad id or CPU is a bug in the caller, not a run-time condition. */
static void stats_bad_index(const char *what, size_t index, size_t limit)
{
    fprintf(stderr, "%s:%d: stats: %s %zu out of range (limit %zu)\n",
            __FILE__, __LINE__, what, index, limit);
    abort();
}

static inline size_t stats_stride(const struct stats *st)
{
    return (size_t)st->n_cpus + 1;
}

static inline uint64_t *stats_row(const struct stats *st, stats_id id)
{
    if (G_UNLIKELY(id >= st->counters.names->len))
        stats_bad_index("counter id", id, st->counters.names->len);
    return &st->values[(size_t)id * stats_stride(st)];
}

struct stats *stats_new(unsigned n_cpus)
{
    struct stats *st = g_new0(struct stats, 1);

    st->n_cpus = n_cpus;
    names_init(&st->counters);
    names_init(&st->hists);
    st->hist = g_array_new(FALSE, TRUE, sizeof(struct stats_hist));
    st->series_ids = g_array_new(FALSE, FALSE, sizeof(stats_id));
    st->series = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return st;
}

void stats_free(struct stats *st)
{
    if (!st)
        return;
    names_free(&st->counters);
    names_free(&st->hists);
    g_free(st->values);
    g_array_free(st->hist, TRUE);
    g_array_free(st->series_ids, TRUE);
    g_array_free(st->series, TRUE);
    g_free(st);
}

unsigned stats_n_cpus(const struct stats *st)
{
    return st->n_cpus;
}

stats_id stats_counter(struct stats *st, const char *name)
{
    size_t stride = stats_stride(st);
    stats_id id;

    if (names_find(&st->counters, name, &id))
        return id;
    id = names_add(&st->counters, name);
    if (id >= st->values_cap) {
        size_t cap = st->values_cap ? st->values_cap * 2 : 16;

        st->values = g_realloc_n(st->values, cap * stride, sizeof(uint64_t));
        st->values_cap = cap;
    }
    memset(&st->values[(size_t)id * stride], 0, stride * sizeof(uint64_t));
    return id;
}

bool stats_find(const struct stats *st, const char *name, stats_id *out)
{
    return names_find(&st->counters, name, out);
}

bool stats_find_hist(const struct stats *st, const char *name, stats_id *out)
{
    return names_find(&st->hists, name, out);
}

size_t stats_n_counters(const struct stats *st)
{
    return st->counters.names->len;
}

const char *stats_counter_name(const struct stats *st, stats_id id)
{
    return names_get(&st->counters, id);
}

void stats_add(struct stats *st, stats_id id, unsigned cpu, uint64_t delta)
{
    uint64_t *row = stats_row(st, id);

    if (G_UNLIKELY(cpu >= st->n_cpus))
        stats_bad_index("cpu", cpu, st->n_cpus);
    row[cpu] += delta;
    row[st->n_cpus] += delta;
}

void stats_add_global(struct stats *st, stats_id id, uint64_t delta)
{
    stats_row(st, id)[st->n_cpus] += delta;
}

uint64_t stats_total(const struct stats *st, stats_id id)
{
    return stats_row(st, id)[st->n_cpus];
}

uint64_t stats_cpu(const struct stats *st, stats_id id, unsigned cpu)
{
    if (cpu >= st->n_cpus)
        stats_bad_index("cpu", cpu, st->n_cpus);
    return stats_row(st, id)[cpu];
}

void stats_reset(struct stats *st)
{
    size_t n = stats_n_counters(st) * stats_stride(st);

    if (n)
        memset(st->values, 0, n * sizeof(uint64_t));
    if (st->hist->len)
        memset(st->hist->data, 0, st->hist->len * sizeof(struct stats_hist));
    g_array_set_size(st->series, 0);
}

/* ---- histograms ---- */

stats_id stats_hist(struct stats *st, const char *name)
{
    struct stats_hist empty = { 0 };
    stats_id id;

    if (names_find(&st->hists, name, &id))
        return id;
    id = names_add(&st->hists, name);
    g_array_append_val(st->hist, empty);
    return id;
}

size_t stats_n_hists(const struct stats *st)
{
    return st->hists.names->len;
}

const char *stats_hist_name(const struct stats *st, stats_id id)
{
    return names_get(&st->hists, id);
}

static inline struct stats_hist *stats_hist_at(const struct stats *st, stats_id id)
{
    if (G_UNLIKELY(id >= st->hist->len))
        stats_bad_index("histogram id", id, st->hist->len);
    return &g_array_index(st->hist, struct stats_hist, id);
}

void stats_hist_record(struct stats *st, stats_id id, uint64_t value)
{
    hist_record(stats_hist_at(st, id), value);
}

const struct stats_hist *stats_hist_get(const struct stats *st, stats_id id)
{
    return stats_hist_at(st, id);
}

/* Bucket 0 holds 0; bucket b holds [2^(b-1), 2^b), i.e. b = bit length. */
static inline unsigned hist_bucket(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

/* sum wraps modulo 2^64 past about 584 years of nanoseconds; fine for runs. */
void hist_record(struct stats_hist *h, uint64_t value)
{
    if (h->count == 0 || value < h->min)
        h->min = value;
    if (h->count == 0 || value > h->max)
        h->max = value;
    h->count++;
    h->sum += value;
    h->bucket[hist_bucket(value)]++;
}

uint64_t hist_percentile(const struct stats_hist *h, double p)
{
    double rank, cum = 0.0;

    if (h->count == 0)
        return 0;
    if (!(p > 0.0))
        return h->min;
    if (p >= 100.0)
        return h->max;
    rank = p / 100.0 * (double)h->count;   /* 1-based rank of the value */
    for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++) {
        double n = (double)h->bucket[b];
        double lo, hi, v;

        if (h->bucket[b] == 0 || cum + n < rank) {
            cum += n;
            continue;
        }
        /* The bucket's range, narrowed by what was actually seen. */
        lo = b ? ldexp(1.0, (int)b - 1) : 0.0;
        hi = b ? ldexp(1.0, (int)b) : 0.0;
        lo = fmax(lo, (double)h->min);
        hi = fmin(hi, (double)h->max);
        v = lo + (rank - cum) / n * (hi - lo);
        if (v <= (double)h->min)
            return h->min;
        if (v >= (double)h->max)
            return h->max;
        return (uint64_t)v;
    }
    return h->max;
}

/* ---- time series ---- */

static size_t series_stride(const struct stats *st)
{
    return 1 + st->series_ids->len;
}

/* Columns are fixed once rows exist; tracking more afterwards is a bug. */
void stats_series_track(struct stats *st, stats_id id)
{
    stats_row(st, id);   /* validates id */
    if (st->series->len != 0) {
        fprintf(stderr, "%s:%d: stats_series_track after sampling began\n",
                __FILE__, __LINE__);
        abort();
    }
    for (size_t i = 0; i < st->series_ids->len; i++)
        if (g_array_index(st->series_ids, stats_id, i) == id)
            return;
    g_array_append_val(st->series_ids, id);
}

void stats_series_set_bucket(struct stats *st, sim_time_t bucket_ns)
{
    st->series_bucket_ns = bucket_ns;
}

sim_time_t stats_series_bucket(const struct stats *st)
{
    return st->series_bucket_ns;
}

void stats_series_sample(struct stats *st, sim_time_t now)
{
    size_t w = st->series_ids->len;
    size_t base = st->series->len;

    g_array_set_size(st->series, base + 1 + w);
    g_array_index(st->series, uint64_t, base) = now;
    for (size_t c = 0; c < w; c++) {
        stats_id id = g_array_index(st->series_ids, stats_id, c);

        g_array_index(st->series, uint64_t, base + 1 + c) = stats_total(st, id);
    }
}

size_t stats_series_rows(const struct stats *st)
{
    return st->series->len / series_stride(st);
}

size_t stats_series_width(const struct stats *st)
{
    return st->series_ids->len;
}

stats_id stats_series_counter(const struct stats *st, size_t column)
{
    if (column >= st->series_ids->len)
        stats_bad_index("series column", column, st->series_ids->len);
    return g_array_index(st->series_ids, stats_id, column);
}

static uint64_t series_cell(const struct stats *st, size_t row, size_t col)
{
    if (row >= stats_series_rows(st))
        stats_bad_index("series row", row, stats_series_rows(st));
    return g_array_index(st->series, uint64_t, row * series_stride(st) + col);
}

sim_time_t stats_series_time(const struct stats *st, size_t row)
{
    return series_cell(st, row, 0);
}

uint64_t stats_series_value(const struct stats *st, size_t row, size_t column)
{
    if (column >= st->series_ids->len)
        stats_bad_index("series column", column, st->series_ids->len);
    return series_cell(st, row, 1 + column);
}
