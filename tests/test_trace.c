/* trace.txt (models/trace.c): the ftrace text layout of tlb:tlb_flush events
 * as the kernel prints them (kernel/trace/trace_output.c; include/trace/
 * events/tlb.h; docs: ecosystem conventions §1.2), checked field by field on
 * every line of a real run; the reason strings against the kernel's enum
 * tlb_flush_reason; the window and the cap; off by default; bad windows
 * rejected. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "tests/trace_fixture.h"

/* include/trace/events/tlb.h TLB_FLUSH_REASON and include/linux/mm_types.h
 * enum tlb_flush_reason, copied here so that a change in trace.c's table
 * cannot pass unnoticed. */
static const char *const kernel_reasons[] = {
    "flush on task switch", "remote shootdown", "local shootdown", "local mm shootdown",
    "remote ipi send",
};

/* The column legend `cat /sys/kernel/tracing/trace` prints on kernels >=
 * 5.18 (ecosystem conventions §1.2, copied from LKML posts). */
#define LEGEND_FILE "tests/data/trace/ftrace-legend.txt"

struct trace_line {
    char comm[17], flags[6];
    unsigned pid, cpu;
    uint64_t ns;          /* the timestamp, to the microsecond */
    int64_t pages;
    int reason;
};

/* " %5llu.%06lu: " after the flags: seconds right-aligned in at least 5
 * columns, exactly six decimals, then the colon. */
static void check_timestamp(const char *p)
{
    size_t pad = strspn(p, " "), digits = strspn(p + pad, "0123456789");

    assert_true(digits >= 1 && pad + digits >= 5);
    assert_true(pad + digits == 5 || pad == 0);
    assert_int_equal(p[pad + digits], '.');
    assert_int_equal(strspn(p + pad + digits + 1, "0123456789"), 6);
    assert_int_equal(p[pad + digits + 7], ':');
}

/* Parses one event line in the kernel's exact layout: "%16s-%-7d [%03d]
 * %5s %5llu.%06lu: tlb_flush: pages:%ld reason:%s (%d)". Fails the test
 * with the line on any deviation. */
static void parse_line(const char *line, unsigned n_cpus, struct trace_line *tl)
{
    char reason[64], rest[8];
    unsigned long long sec, usec;
    long long pages;
    int dash, n = 0;
    const char *name;

    /* comm is right-aligned in 16 columns, then '-' and the pid left-aligned in 7. */
    if (strlen(line) < 40 || line[16] != '-')
        fail_msg("comm column is not 16 wide: '%s'", line);
    memcpy(tl->comm, line, 16);
    tl->comm[16] = 0;
    g_strchug(tl->comm);
    assert_true(strlen(tl->comm) >= 1 && strlen(tl->comm) <= 15);   /* TASK_COMM_LEN - 1 */
    dash = 16;
    if (sscanf(line + dash + 1, "%u%n", &tl->pid, &n) != 1 || n > 7 ||
        strspn(line + dash + 1 + n, " ") != (size_t)(8 - n))
        fail_msg("pid column is not %%-7d plus one space: '%s'", line);
    line += dash + 1 + 8;
    if (sscanf(line, "[%3u] %5c %llu.%6llu%n", &tl->cpu, tl->flags, &sec, &usec, &n) != 4 ||
        line[0] != '[' || line[4] != ']' || line[5] != ' ' || line[11] != ' ')
        fail_msg("cpu/flags/timestamp columns: '%s'", line);
    tl->flags[5] = 0;
    assert_true(tl->cpu < n_cpus);
    check_timestamp(line + 12);
    tl->ns = sec * SIM_S + usec * SIM_US;
    line += n;
    if (sscanf(line, ": tlb_flush: pages:%lld reason:%63[^(](%d)%7s", &pages, reason,
               &tl->reason, rest) != 3)
        fail_msg("event part: '%s'", line);
    tl->pages = pages;
    assert_true(tl->reason >= 0 && tl->reason < (int)G_N_ELEMENTS(kernel_reasons));
    name = kernel_reasons[tl->reason];
    assert_int_equal(strlen(reason), strlen(name) + 1);     /* "remote shootdown " */
    assert_memory_equal(reason, name, strlen(name));
    assert_true(tl->pages == -1 || tl->pages >= 0);
}

/* irqs-off/need-resched/hardirq/preempt-depth/migrate-disable, each from
 * the set trace_print_lat_fmt() prints. */
static void check_flags(const struct trace_line *tl)
{
    assert_non_null(strchr("dDb.", tl->flags[0]));
    assert_non_null(strchr("NnpP.", tl->flags[1]));
    assert_non_null(strchr("ZHhs.", tl->flags[2]));
    assert_true(tl->flags[3] == '.' || g_ascii_isxdigit(tl->flags[3]));
    assert_true(tl->flags[4] == '.' || g_ascii_isxdigit(tl->flags[4]));
    /* A remote shootdown runs in the call-function IPI: hardirq, irqs off.
     * The initiator sends with interrupts on. */
    if (tl->reason == 1)
        assert_string_equal(tl->flags, "d.h..");
    if (tl->reason == 4)
        assert_int_equal(tl->flags[0], '.');
    if (strcmp(tl->comm, "<idle>") == 0)
        assert_int_equal(tl->pid, 0);
}

/* Checks the header and every line; returns the number of event lines,
 * counts them by reason and sets *first_ns to the first one's time. */
static uint64_t check_trace(const struct run_output *out, sim_time_t from, sim_time_t to,
                            uint64_t *per_reason, uint64_t *first_ns)
{
    gchar **lines = g_strsplit(out->trace, "\n", -1);
    char *entries = g_strdup_printf("# entries-in-buffer/entries-written: %" PRIu64 "/%" PRIu64
                                    "   #P:%u", out->trace_events,
                                    out->trace_events + out->trace_dropped, out->n_cpus);
    uint64_t n = 0, last = 0;
    char *legend = NULL;
    size_t i;

    assert_string_equal(lines[0], "# tracer: nop");
    assert_string_equal(lines[1], "#");
    assert_string_equal(lines[2], entries);
    assert_string_equal(lines[3], "#");
    assert_true(g_file_get_contents(LEGEND_FILE, &legend, NULL, NULL));
    assert_non_null(strstr(out->trace, legend));
    g_free(legend);
    for (i = 4; lines[i] && lines[i][0] == '#'; i++)
        ;
    assert_int_equal(i, 12);
    for (; lines[i] && lines[i][0]; i++, n++) {
        struct trace_line tl;

        parse_line(lines[i], out->n_cpus, &tl);
        check_flags(&tl);
        assert_true(tl.ns >= from / SIM_US * SIM_US && tl.ns < to);
        assert_true(tl.ns >= last);     /* in time order */
        if (n == 0)
            *first_ns = tl.ns;
        last = tl.ns;
        per_reason[tl.reason]++;
    }
    assert_null(lines[i + (lines[i] ? 1 : 0)]);     /* nothing after the final newline */
    g_strfreev(lines);
    g_free(entries);
    return n;
}

/* Every tlb_flush event of the measured window, as the counters count them. */
static void test_trace_matches_counters(void **state)
{
    const char *const sets[] = { SHORT_SETS, "output.trace_events=10000000", NULL };
    static const char *const by_reason[] = {
        "tlb_flush_reason_task_switch", "tlb_flush_reason_remote_shootdown",
        "tlb_flush_reason_local_shootdown", "tlb_flush_reason_local_mm_shootdown",
        "tlb_flush_reason_remote_send_ipi",
    };
    uint64_t per_reason[5] = { 0 }, first;
    struct run_output out;

    (void)state;
    run_with(DEFAULT_SCENARIO, sets, &out);
    assert_non_null(out.trace);
    assert_int_equal(out.trace_dropped, 0);
    assert_int_equal(check_trace(&out, 20 * SIM_MS, 40 * SIM_MS, per_reason, &first),
                     counter(&out, "tlb_flush"));
    assert_true(counter(&out, "tlb_flush") > 1000);
    for (int r = 0; r < 5; r++)
        assert_int_equal(per_reason[r], counter(&out, by_reason[r]));
    run_output_destroy(&out);
}

/* The configured window only, and the cap keeps the first events. */
static void test_trace_window_and_cap(void **state)
{
    const char *const win[] = { WINDOW_SETS, "output.trace_events=10000000", NULL };
    const char *const cap[] = { WINDOW_SETS, "output.trace_events=100", NULL };
    uint64_t per_reason[5] = { 0 }, n_win, first;
    struct run_output a, b;
    char *tail;

    (void)state;
    run_with(DEFAULT_SCENARIO, win, &a);
    n_win = check_trace(&a, 25 * SIM_MS, 35500 * SIM_US, per_reason, &first);
    assert_int_equal(n_win, a.trace_events);
    assert_true(n_win > 200);
    /* The window reaches into the warm-up: events before 20 ms are there. */
    assert_true(first < 30 * SIM_MS);
    run_with(DEFAULT_SCENARIO, cap, &b);
    assert_int_equal(b.trace_events, 100);
    assert_int_equal(b.trace_dropped, n_win - 100);
    assert_int_equal(check_trace(&b, 25 * SIM_MS, 35500 * SIM_US, per_reason, &first), 100);
    /* The same first 100 lines as the uncapped trace (after both headers). */
    tail = strstr(b.trace, "|         |\n") + strlen("|         |\n");
    assert_non_null(strstr(a.trace, tail));
    run_output_destroy(&a);
    run_output_destroy(&b);
}

static void test_trace_off_by_default(void **state)
{
    const char *const sets[] = { SHORT_SETS, NULL };
    struct run_output out;

    (void)state;
    run_with(DEFAULT_SCENARIO, sets, &out);
    assert_null(out.trace);
    assert_null(out.timeline);
    run_output_destroy(&out);
}

/* Windows that are empty or reach past the run are input errors. */
static void test_trace_bad_windows(void **state)
{
    static const char *const bad[][2] = {
        { "output.trace_window.start_ms=30", "output.trace_window.end_ms=30" },
        { "output.trace_window.start_ms=10", "output.trace_window.end_ms=41" },
        { "output.trace_window.start_ms=10", "output.trace_window.bogus=1" },
    };
    static const char *const expect[] = { "is empty", "after the run", "bogus" };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *sets[] = { SHORT_SETS, bad[i][0], bad[i][1] };
        struct scenario *sc = NULL;
        struct cfg_error err;

        memset(&err, 0, sizeof(err));
        assert_int_equal(run_load(DEFAULT_SCENARIO, sets, G_N_ELEMENTS(sets), false, 0, &sc,
                                  &err), -1);
        assert_null(sc);
        if (!strstr(err.msg, expect[i]))
            fail_msg("error '%s' does not say '%s'", err.msg, expect[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_matches_counters),
        cmocka_unit_test(test_trace_window_and_cap),
        cmocka_unit_test(test_trace_off_by_default),
        cmocka_unit_test(test_trace_bad_windows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
