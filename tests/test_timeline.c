/* timeline.json (models/timeline*.c), read back with a strict JSON parser:
 * the Trace Event Format structure (metadata naming one "CPU N" track per
 * CPU grouped by node), slices on a track properly nested or disjoint,
 * every IPI flow start matched by one finish inside a shootdown-IPI slice
 * on another CPU, flows against the run's IPI counter, slice time against
 * the CPU time counters by category, window and cap honoured, off by
 * default (no file, a stale one removed), byte-identical for a seed.
 * Run from the repository root. */
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
#include <glib/gstdio.h>

#include "cli/report.h"
#include "tests/json_parse.h"
#include "tests/tmp_tree.h"
#include "tests/trace_fixture.h"

/* One X event on a track. */
struct slice {
    int64_t ts, end;
    const char *name, *cat;
};

/* What the checks found, for the tests to compare with counters. */
struct found {
    uint64_t events, flows;
    int64_t min_ts, max_end, max_irq;
    GHashTable *by_name;      /* slice name -> ns of it not inside an interrupt (gint64 *) */
    int64_t irq_ns;           /* interrupt slices */
};

static int slice_cmp(const void *pa, const void *pb)
{
    const struct slice *a = pa, *b = pb;

    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->end > b->end ? -1 : a->end < b->end;      /* the enclosing one first */
}

/* The slice of `track` (sorted) that contains ts, innermost; NULL if none. */
static const struct slice *slice_at(GArray *track, int64_t ts, const char *name)
{
    const struct slice *hit = NULL;

    for (guint i = 0; i < track->len; i++) {
        const struct slice *s = &g_array_index(track, struct slice, i);

        if (s->ts > ts)
            break;
        if (ts <= s->end && (!name || strcmp(s->name, name) == 0))
            hit = s;
    }
    return hit;
}

/* Application slices are named after their thread: add them up as "app". */
static const char *slice_key(const struct slice *s)
{
    return strcmp(s->cat, "app") == 0 ? "app" : s->name;
}

/* Slices on one track nest or are disjoint; adds up time by name, less the
 * interrupts drawn inside. */
static void check_track(GArray *track, struct found *f)
{
    const struct slice *stack[8];
    unsigned depth = 0;

    g_array_sort(track, slice_cmp);
    for (guint i = 0; i < track->len; i++) {
        const struct slice *s = &g_array_index(track, struct slice, i);
        bool irq = strcmp(s->cat, "irq") == 0;
        gint64 *sum;

        while (depth && stack[depth - 1]->end <= s->ts)
            depth--;
        if (depth && s->end > stack[depth - 1]->end)
            fail_msg("slice '%s' [%" PRId64 ", %" PRId64 ") overlaps '%s' [%" PRId64 ", %" PRId64
                     ")", s->name, s->ts, s->end, stack[depth - 1]->name, stack[depth - 1]->ts,
                     stack[depth - 1]->end);
        /* Interrupts inside task slices, nothing inside interrupts. */
        assert_true(depth == 0 || (irq && strcmp(stack[depth - 1]->cat, "irq") != 0));
        assert_true(depth < G_N_ELEMENTS(stack));
        if (irq) {
            f->irq_ns += s->end - s->ts;
            if (s->end - s->ts > f->max_irq)
                f->max_irq = s->end - s->ts;
            if (depth)
                *(gint64 *)g_hash_table_lookup(f->by_name, slice_key(stack[depth - 1])) -=
                    s->end - s->ts;
        } else {
            if (!(sum = g_hash_table_lookup(f->by_name, slice_key(s)))) {
                sum = g_new0(gint64, 1);
                g_hash_table_insert(f->by_name, g_strdup(slice_key(s)), sum);
            }
            *sum += s->end - s->ts;
        }
        stack[depth++] = s;
    }
}

static void check_metadata(const struct jv *e, unsigned n_cpus, unsigned *named)
{
    const char *name = jv_str(e, "name");
    const struct jv *args = jv_get(e, "args");
    int64_t tid = jv_int(e, "tid");

    assert_non_null(name);
    if (strcmp(name, "thread_name") == 0) {
        char *want = g_strdup_printf("CPU %" PRId64, tid - 1);

        assert_true(tid >= 1 && tid <= n_cpus);
        assert_string_equal(jv_str(args, "name"), want);
        named[tid - 1]++;
        g_free(want);
    } else if (strcmp(name, "process_name") == 0) {
        assert_true(g_str_has_prefix(jv_str(args, "name"), "node "));
    } else {
        assert_true(strcmp(name, "thread_sort_index") == 0 ||
                    strcmp(name, "process_sort_index") == 0);
    }
}

/* Parses out->timeline and checks everything that holds for any run; the
 * caller frees f->by_name. */
static void check_timeline(const struct run_output *out, struct found *f)
{
    const char *error = NULL;
    struct jv *root = json_parse(out->timeline, strlen(out->timeline), &error);
    const struct jv *evs = jv_get(root, "traceEvents");
    GArray **track = g_new0(GArray *, out->n_cpus);
    GHashTable *starts = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *finishes = g_ptr_array_new();
    unsigned *named = g_new0(unsigned, out->n_cpus);

    if (!root)
        fail_msg("timeline.json is not JSON: %s", error);
    assert_non_null(evs);
    assert_int_equal(evs->type, JV_ARR);
    assert_int_equal(jv_get(root, "otherData")->type, JV_OBJ);
    memset(f, 0, sizeof(*f));
    f->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    f->min_ts = INT64_MAX;
    for (unsigned c = 0; c < out->n_cpus; c++)
        track[c] = g_array_new(FALSE, FALSE, sizeof(struct slice));
    for (guint i = 0; i < evs->items->len; i++) {
        const struct jv *e = evs->items->pdata[i];
        const char *ph = jv_str(e, "ph");
        int64_t tid = jv_int(e, "tid"), ts = jv_us_as_ns(e, "ts");

        assert_non_null(ph);
        if (strcmp(ph, "M") == 0) {
            check_metadata(e, out->n_cpus, named);
            continue;
        }
        if (strcmp(ph, "i") == 0)
            continue;       /* the truncation mark */
        f->events++;
        assert_true(tid >= 1 && tid <= out->n_cpus && ts >= 0);
        if (strcmp(ph, "X") == 0) {
            struct slice s = { ts, ts + jv_us_as_ns(e, "dur"), jv_str(e, "name"),
                               jv_str(e, "cat") };

            assert_true(s.end > s.ts && s.name && s.cat);
            g_array_append_val(track[tid - 1], s);
            f->min_ts = s.ts < f->min_ts ? s.ts : f->min_ts;
            f->max_end = s.end > f->max_end ? s.end : f->max_end;
        } else if (strcmp(ph, "s") == 0) {
            assert_null(g_hash_table_lookup(starts, jv_get(e, "id")->text));
            g_hash_table_insert(starts, (gpointer)jv_get(e, "id")->text, (gpointer)e);
        } else {
            assert_string_equal(ph, "f");
            assert_string_equal(jv_str(e, "bp"), "e");
            g_ptr_array_add(finishes, (gpointer)e);
        }
    }
    for (unsigned c = 0; c < out->n_cpus; c++) {
        assert_int_equal(named[c], 1);
        check_track(track[c], f);
    }
    /* Each flow: one start inside a slice of the sender, one finish inside
     * a shootdown-IPI slice of another CPU, no earlier than the start. */
    assert_int_equal(finishes->len, g_hash_table_size(starts));
    for (guint i = 0; i < finishes->len; i++) {
        const struct jv *fin = finishes->pdata[i];
        const struct jv *st = g_hash_table_lookup(starts, jv_get(fin, "id")->text);
        int64_t from = jv_int(st, "tid"), to = jv_int(fin, "tid");

        assert_non_null(st);
        assert_true(from != to);
        assert_true(jv_us_as_ns(st, "ts") <= jv_us_as_ns(fin, "ts"));
        assert_non_null(slice_at(track[from - 1], jv_us_as_ns(st, "ts"), NULL));
        assert_non_null(slice_at(track[to - 1], jv_us_as_ns(fin, "ts"), "TLB shootdown IPI"));
    }
    f->flows = finishes->len;
    assert_int_equal(jv_int(jv_get(root, "otherData"), "ipi_flows"), f->flows);
    assert_int_equal(jv_int(jv_get(root, "otherData"), "events"), f->events);
    assert_int_equal(out->timeline_st.events, f->events);
    assert_int_equal(out->timeline_st.slices + out->timeline_st.irqs + 2 * f->flows, f->events);
    for (unsigned c = 0; c < out->n_cpus; c++)
        g_array_free(track[c], TRUE);
    g_free(track);
    g_free(named);
    g_hash_table_destroy(starts);
    g_ptr_array_free(finishes, TRUE);
    jv_free(root);
}

static int64_t time_in(const struct found *f, const char *name)
{
    const gint64 *v = g_hash_table_lookup(f->by_name, name);

    return v ? *v : 0;
}

/* Slice time by category against the CPU time counters of the measured
 * window. They differ only by an interrupt running at the window start:
 * the counters give its remaining time to irq, the timeline does not draw
 * it; at most one per CPU, each at most the longest interrupt seen. */
static void check_cpu_time(const struct run_output *out, const struct found *f)
{
    static const char *const pairs[][2] = {
        { "app", "cpu_time_app_ns" }, { "reclaim", "cpu_time_reclaim_ns" },
        { "migration", "cpu_time_migration_ns" }, { "flush wait (acks)", "cpu_time_flush_wait_ns" },
        { "DSB stall", "cpu_time_dsb_stall_ns" }, { "page fault", "cpu_time_fault_ns" },
        { "local flush", "cpu_time_flush_local_ns" }, { "context switch", "cpu_time_sched_ns" },
    };
    int64_t tol = (int64_t)out->n_cpus * f->max_irq;

    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        int64_t want = (int64_t)counter(out, pairs[i][1]), got = time_in(f, pairs[i][0]);

        if (llabs(got - want) > tol)
            fail_msg("%s: %" PRId64 " ns of slices, counter %" PRId64 " (tolerance %" PRId64 ")",
                     pairs[i][0], got, want, tol);
    }
    assert_true(llabs(f->irq_ns - (int64_t)counter(out, "cpu_time_irq_ns")) <= tol);
}

/* The measured window by default: every IPI handled in it is one flow,
 * except those sent before it began (at most one in flight per CPU). */
static void test_timeline_measured_window(void **state)
{
    const char *const sets[] = { SHORT_SETS, "output.timeline_events=1000000", NULL };
    struct run_output out;
    struct found f;
    uint64_t calls;

    (void)state;
    run_with(DEFAULT_SCENARIO, sets, &out);
    assert_non_null(out.timeline);
    check_timeline(&out, &f);
    calls = counter(&out, "irq_function_call");
    assert_true(f.flows > 100);
    assert_true(f.flows <= calls && calls - f.flows <= out.n_cpus);
    assert_true(f.min_ts >= (int64_t)(20 * SIM_MS) && f.max_end <= (int64_t)(40 * SIM_MS));
    assert_false(out.timeline_st.truncated);
    check_cpu_time(&out, &f);
    assert_true(time_in(&f, "app") > 0 && time_in(&f, "reclaim") > 0);
    g_hash_table_destroy(f.by_name);
    run_output_destroy(&out);
}

/* arm64: DSB stalls on the tracks, equal to the counter. */
static void test_timeline_arm64_dsb(void **state)
{
    const char *const sets[] = { "warmup_ms=5", "duration_ms=10", "output.snapshot_ms=5",
                                 "output.timeline_events=1000000", NULL };
    struct run_output out;
    struct found f;

    (void)state;
    run_with("configs/scenarios/seed002-pageout-arm64-8c.yaml", sets, &out);
    check_timeline(&out, &f);
    assert_true(time_in(&f, "DSB stall") > 0);
    check_cpu_time(&out, &f);
    g_hash_table_destroy(f.by_name);
    run_output_destroy(&out);
}

/* A window reaching into the warm-up, and a cap that stops the recording:
 * nothing starts after the stop, and the file and summary say so. */
static void test_timeline_window_and_cap(void **state)
{
    const char *const win[] = { WINDOW_SETS, "output.timeline_events=1000000", NULL };
    const char *const cap[] = { WINDOW_SETS, "output.timeline_events=300", NULL };
    struct run_output a, b;
    struct found f;
    GString *summary = g_string_new(NULL);

    (void)state;
    run_with(DEFAULT_SCENARIO, win, &a);
    check_timeline(&a, &f);
    assert_true(f.min_ts >= (int64_t)(25 * SIM_MS) && f.max_end <= (int64_t)(35500 * SIM_US));
    assert_true(f.min_ts < (int64_t)(30 * SIM_MS) && f.events > 300);
    g_hash_table_destroy(f.by_name);
    run_with(DEFAULT_SCENARIO, cap, &b);
    check_timeline(&b, &f);
    assert_true(f.events <= 300 && f.events >= 300 - 3 - b.n_cpus);
    assert_true(b.timeline_st.truncated);
    assert_true(b.timeline_st.truncated_at_ns > 25 * SIM_MS &&
                b.timeline_st.truncated_at_ns < 35500 * SIM_US);
    assert_non_null(strstr(b.timeline, "\"truncated\":true"));
    report_summary_traces(&b, summary);
    assert_non_null(strstr(summary->str, "truncated at"));
    g_string_free(summary, TRUE);
    g_hash_table_destroy(f.by_name);
    run_output_destroy(&a);
    run_output_destroy(&b);
}

static char *read_or_null(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL), *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        text = NULL;
    g_free(path);
    return text;
}

/* Written with the other files when on; none (and an old one removed) when
 * off, the default. The same seed gives the same bytes. */
static void test_timeline_files_and_determinism(void **state)
{
    const char *const on[] = { SHORT_SETS, "output.timeline_events=1000000", NULL };
    const char *const off[] = { SHORT_SETS, NULL };
    char *dir = g_dir_make_tmp("tlbsim-timeline-XXXXXX", NULL), *text;
    struct run_output a, b, c;
    char errbuf[256];

    (void)state;
    run_with(DEFAULT_SCENARIO, on, &a);
    run_with(DEFAULT_SCENARIO, on, &b);
    assert_string_equal(a.timeline, b.timeline);
    assert_int_equal(report_write_all(&a, dir, false, errbuf, sizeof(errbuf)), 0);
    text = read_or_null(dir, "timeline.json");
    assert_non_null(text);
    assert_string_equal(text, a.timeline);
    g_free(text);
    run_with(DEFAULT_SCENARIO, off, &c);
    assert_null(c.timeline);
    assert_int_equal(report_write_all(&c, dir, false, errbuf, sizeof(errbuf)), 0);
    assert_null(read_or_null(dir, "timeline.json"));
    text = read_or_null(dir, "summary.txt");
    assert_null(strstr(text, "timeline.json"));
    g_free(text);
    rm_tree(dir);
    g_free(dir);
    run_output_destroy(&a);
    run_output_destroy(&b);
    run_output_destroy(&c);
}

/* The checker itself rejects what is not JSON. */
static void test_json_parser_strict(void **state)
{
    static const char *const bad[] = {
        "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[01]", "[1.]", "\"a", "[\"\\x\"]", "[1] 2",
        "{a:1}", "[nul]", "",
    };
    const char *good = "{\"a\":[1.250,-2e3,true,null,\"x\\u0041\"]}";
    const char *error = NULL;
    struct jv *v;

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        v = json_parse(bad[i], strlen(bad[i]), &error);
        if (v)
            fail_msg("accepted '%s'", bad[i]);
        assert_non_null(error);
    }
    v = json_parse(good, strlen(good), &error);
    assert_non_null(v);
    assert_int_equal(jv_us_as_ns(jv_get(v, "b"), "x"), -1);
    assert_string_equal(((struct jv *)jv_get(v, "a")->items->pdata[4])->text, "xA");
    jv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parser_strict),
        cmocka_unit_test(test_timeline_measured_window),
        cmocka_unit_test(test_timeline_arm64_dsb),
        cmocka_unit_test(test_timeline_window_and_cap),
        cmocka_unit_test(test_timeline_files_and_determinism),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
