/* Writers that turn a run_output into the result files of `tlbsim run`:
 * summary.txt, results.json, timeseries.tsv, interrupts.txt, vmstat.txt,
 * perf-stat.csv, latency.tsv and hazards.txt, and trace.txt and
 * timeline.json when the scenario asks for them. File names and layouts are
 * a contract (scripts, plots and checks rely on them). Every formatter
 * builds its text in memory, so equal
 * inputs give byte-identical files (wall time aside). */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "models/run.h"

/* Writes every result file into `dir` (created with its parents), each
 * atomically. All or nothing: if any file fails, the files this call wrote
 * are removed again and -1 returns with a message in errbuf. On success,
 * prints summary.txt to stdout when print_summary. Returns 0 or -1. */
int report_write_all(const struct run_output *out, const char *dir, bool print_summary,
                     char *errbuf, size_t len);

/* The formatters, appending one file's full text to `s`. */
void report_summary(const struct run_output *out, GString *s);
void report_json(const struct run_output *out, GString *s);
void report_timeseries(const struct run_output *out, GString *s);
void report_interrupts(const struct run_output *out, GString *s);
void report_vmstat(const struct run_output *out, GString *s);
void report_perf_csv(const struct run_output *out, GString *s);
/* hazards.txt: counts by hazard class and the witnesses; the same section
 * closes summary.txt. */
void report_hazards(const struct run_output *out, GString *s);
void report_hazard_section(const struct run_output *out, GString *s);
/* latency.tsv: histogram buckets, "name lo_ns hi_ns count cdf" per line. */
void report_latency(const struct run_output *out, GString *s);
/* trace.txt: the run's tlb_flush events in ftrace text (only when traced). */
void report_trace(const struct run_output *out, GString *s);
/* timeline.json: the Chrome/Perfetto timeline (only when recorded). */
void report_timeline(const struct run_output *out, GString *s);
/* The summary's lines about trace.txt and timeline.json (none when off). */
void report_summary_traces(const struct run_output *out, GString *s);

/* Simulated seconds in the measured window (0 when the window is empty). */
double report_window_s(const struct run_output *out);

#endif
