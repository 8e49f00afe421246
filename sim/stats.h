/* Run statistics: named 64-bit counters (a total and one value per CPU),
 * log2-bucket latency histograms, and a time series of chosen counters in
 * fixed simulated-time buckets. Registration happens at set-up; the hot path
 * (stats_add, stats_hist_record) is array indexing only. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_time.h"

struct stats;
typedef uint32_t stats_id;

#define STATS_HIST_BUCKETS 65  /* bucket 0 holds 0; bucket b holds [2^(b-1), 2^b) */

struct stats_hist {
    uint64_t count, sum, min, max;
    uint64_t bucket[STATS_HIST_BUCKETS];
};

/* n_cpus may be 0 for a run without per-CPU values. */
struct stats *stats_new(unsigned n_cpus);
void stats_free(struct stats *st);
unsigned stats_n_cpus(const struct stats *st);

/* Registers (or finds) a counter by name; names are kept in registration
 * order, which is the order every output lists them in. */
stats_id stats_counter(struct stats *st, const char *name);
/* Finds a counter; returns false if none has that name. */
bool stats_find(const struct stats *st, const char *name, stats_id *out);
size_t stats_n_counters(const struct stats *st);
const char *stats_counter_name(const struct stats *st, stats_id id);

/* Adds to the total and to CPU `cpu`'s value. */
void stats_add(struct stats *st, stats_id id, unsigned cpu, uint64_t delta);
/* Adds to the total only (machine-wide events). */
void stats_add_global(struct stats *st, stats_id id, uint64_t delta);
uint64_t stats_total(const struct stats *st, stats_id id);
uint64_t stats_cpu(const struct stats *st, stats_id id, unsigned cpu);
/* Sets every value to zero (end of warm-up); histograms and series too. */
void stats_reset(struct stats *st);

stats_id stats_hist(struct stats *st, const char *name);
/* As stats_find, for a histogram. */
bool stats_find_hist(const struct stats *st, const char *name, stats_id *out);
size_t stats_n_hists(const struct stats *st);
const char *stats_hist_name(const struct stats *st, stats_id id);
void stats_hist_record(struct stats *st, stats_id id, uint64_t value);
const struct stats_hist *stats_hist_get(const struct stats *st, stats_id id);

void hist_record(struct stats_hist *h, uint64_t value);
/* The value at percentile p (0 < p <= 100), interpolated linearly inside its
 * log2 bucket and clamped to [min, max]; 0 for an empty histogram. */
uint64_t hist_percentile(const struct stats_hist *h, double p);

/* Time series: every bucket_ns the caller invokes stats_series_sample(), which
 * records the totals of the series counters. Rows are cumulative totals;
 * writers print per-bucket deltas. */
void stats_series_track(struct stats *st, stats_id id);
void stats_series_set_bucket(struct stats *st, sim_time_t bucket_ns);
sim_time_t stats_series_bucket(const struct stats *st);
void stats_series_sample(struct stats *st, sim_time_t now);
size_t stats_series_rows(const struct stats *st);
size_t stats_series_width(const struct stats *st);
stats_id stats_series_counter(const struct stats *st, size_t column);
sim_time_t stats_series_time(const struct stats *st, size_t row);
uint64_t stats_series_value(const struct stats *st, size_t row, size_t column);

#endif
