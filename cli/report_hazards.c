/* The hazard checker's report: counts by class and the witnesses, in
 * hazards.txt and (the same text) at the end of summary.txt. */
#include <inttypes.h>
#include <string.h>

#include "cli/report.h"
#include "models/hazard.h"
#include "sim/stats.h"

static void append_indented(GString *s, const char *text)
{
    const char *p = text;

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);

        g_string_append_printf(s, "    %.*s\n", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
}

static const struct stats_hist *find_hist(const struct stats *st, const char *name)
{
    stats_id id;

    return st && stats_find_hist(st, name, &id) ? stats_hist_get(st, id) : NULL;
}

/* The census (models/hazard_census.c), sampled at every snapshot. */
static void census_line(const struct run_output *out, GString *s)
{
    const struct stats_hist *all = find_hist(out->st, "stale_tlb_entries");
    const struct stats_hist *w = find_hist(out->st, "stale_tlb_entries_writable");

    if (!all || !all->count)
        return;
    g_string_append_printf(s, "stale TLB entries at %" PRIu64 " snapshots: p50 %" PRIu64
                           ", max %" PRIu64 " (writable: max %" PRIu64 ")\n", all->count,
                           hist_percentile(all, 50), all->max, w ? w->max : 0);
}

void report_hazard_section(const struct run_output *out, GString *s)
{
    g_string_append_printf(s, "hazards: %" PRIu64 " found in %" PRIu64 " checked accesses "
                           "(whole run)\n", out->hazards_found, out->hazards_checked);
    for (unsigned c = 0; c < HC_NR; c++)
        g_string_append_printf(s, "  %-28s %" PRIu64 "\n", hazard_class_name(c),
                               out->hazard_by_class[c]);
    census_line(out, s);
    for (size_t i = 0; i < out->n_hazard; i++) {
        const struct hazard_report *hz = &out->hazard[i];

        g_string_append_printf(s, "\nwitness %zu: %s at %" PRIu64 " ns, cpu %u, mm %" PRIu32
                               ", vpn %#" PRIx64 ", pfn %" PRIu32 "\n", i + 1, hz->kind,
                               (uint64_t)hz->time_ns, hz->cpu, hz->mm_id, hz->vpn, hz->pfn);
        append_indented(s, hz->trace);
    }
}

void report_hazards(const struct run_output *out, GString *s)
{
    g_string_append_printf(s, "# tlbsim hazard report: scenario %s, policy %s, seed %" PRIu64
                           "\n# classes: policy-semantics.md section 7; each witness lists "
                           "the events from the PTE change to the access\n",
                           out->scenario_name ? out->scenario_name : "?",
                           out->policy_name ? out->policy_name : "?", out->seed);
    report_hazard_section(out, s);
}
