/* `tlbsim sweep` end to end (build/tlbsim as a child, run from the repo
 * root) on a tiny spec: 4 points of default.yaml with 2 ms warm-up and a
 * 3 ms window, so each run takes milliseconds. Checks: the TSV equals a
 * rebuild from the point directories; resuming runs only the points
 * without a marker (a deleted marker, a killed attempt's leftovers); a
 * failing point is reported with its stderr kept; SIGINT and SIGKILL never
 * leave a TSV that disagrees with the finished points. --emit-jobs and
 * bad specs: test_sweep_jobs.c. Fixture: tests/sweep_fixture.h. */
#include "tests/sweep_fixture.h"

/* What sweep.tsv must be: rebuilt in-process from the done points. */
static char *rebuild(const char *spec_path, const char *out_dir, long *rows)
{
    struct sweep_spec *spec = NULL;
    GPtrArray *points = NULL;
    struct cfg_error err;
    GString *tsv = g_string_new(NULL);
    char errbuf[512];

    assert_int_equal(sweep_spec_load(spec_path, &spec, &err), 0);
    assert_int_equal(sweep_points_expand(spec, &points, &err), 0);
    *rows = sweep_tsv_build(spec, points, out_dir, tsv, errbuf, sizeof(errbuf));
    if (*rows < 0)
        fail_msg("%s", errbuf);
    sweep_points_free(points);
    sweep_spec_free(spec);
    return g_string_free(tsv, FALSE);
}

static void assert_tsv_matches(const char *spec, const char *out_dir, long want_rows)
{
    char *tsv_path = g_build_filename(out_dir, SWEEP_TSV, NULL);
    char *tsv = slurp(tsv_path);
    long rows;
    char *want = rebuild(spec, out_dir, &rows);

    assert_string_equal(tsv, want);
    if (want_rows >= 0)
        assert_int_equal(rows, want_rows);
    g_free(want);
    g_free(tsv);
    g_free(tsv_path);
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The point directories (sorted) and how many have the marker. */
static GPtrArray *point_dirs(const char *out_dir, unsigned *done)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(out_dir, 0, NULL);
    const char *name;

    *done = 0;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(out_dir, name, NULL);
        char *m = g_build_filename(p, SWEEP_DONE_MARKER, NULL);

        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            g_ptr_array_add(names, g_strdup(name));
            *done += g_file_test(m, G_FILE_TEST_EXISTS);
        }
        g_free(m);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, cmp_names);
    return names;
}

/* The cell of `column` in the TSV row of `point`. */
static char *tsv_cell(const char *tsv, const char *point, const char *column)
{
    char **lines = g_strsplit(tsv, "\n", -1), **head = g_strsplit(lines[0], "\t", -1);
    char *cell = NULL;

    for (char **l = lines + 1; *l && **l && !cell; l++) {
        char **cells = g_strsplit(*l, "\t", -1);

        for (guint c = 0; strcmp(cells[0], point) == 0 && head[c] && cells[c]; c++)
            if (strcmp(head[c], column) == 0)
                cell = g_strdup(cells[c]);
        g_strfreev(cells);
    }
    g_strfreev(head);
    g_strfreev(lines);
    if (!cell)
        fail_msg("no %s for %s", column, point);
    return cell;
}

/* A counter's total in a point's vmstat.txt ("name value" lines). */
static double vmstat(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, "vmstat.txt", NULL);
    char *text = slurp(path);
    char **lines = g_strsplit(text, "\n", -1);
    size_t len = strlen(name);
    double v = -1;

    for (char **l = lines; *l; l++)
        if (strncmp(*l, name, len) == 0 && (*l)[len] == ' ')
            v = g_ascii_strtod(*l + len + 1, NULL);
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    if (v < 0)
        fail_msg("no %s in %s/vmstat.txt", name, dir);
    return v;
}

/* The row's values against the point's own files: identity columns, a rate
 * (total / 3 ms window) and a CPU share (ns / (8 CPUs x 3 ms)). */
static void check_row(const char *out, const char *tsv, const char *point)
{
    static const char *const same[][2] = {
        { "policy", "batch_full" }, { "kernel.lru_add_batch", "31" }, { "ncpus", "8" },
        { "nsockets", "1" }, { "nnodes", "1" }, { "seed", "1" }, { "repeat", "0" },
        { "duration_ms", "3.000" },
    };
    char *dir = g_build_filename(out, point, NULL), *cell;

    for (size_t i = 0; i < G_N_ELEMENTS(same); i++) {
        cell = tsv_cell(tsv, point, same[i][0]);
        assert_string_equal(cell, same[i][1]);
        g_free(cell);
    }
    cell = tsv_cell(tsv, point, "interrupts_per_s");
    assert_true(vmstat(dir, "interrupts") > 0);
    assert_float_equal(g_ascii_strtod(cell, NULL), vmstat(dir, "interrupts") / 0.003, 0.051);
    g_free(cell);
    cell = tsv_cell(tsv, point, "cpu_app_pct");
    assert_float_equal(g_ascii_strtod(cell, NULL),
                       100.0 * vmstat(dir, "cpu_time_app_ns") / (8 * 3e6), 0.0005);
    g_free(cell);
    g_free(dir);
}

static void test_run_and_resume(void **state)
{
    struct fixture *f = *state;
    char *out = path_in(f, "a", NULL, NULL);
    const char *p0 = "per_page__kernel.lru_add_batch=14", *p2 = "batch_full__kernel.lru_add_batch=14";
    char *json0 = path_in(f, "a", p0, "results.json"), *json2 = path_in(f, "a", p2, "results.json");
    char *json3 = path_in(f, "a", "batch_full__kernel.lru_add_batch=31", "results.json");
    char *marker0 = path_in(f, "a", p0, SWEEP_DONE_MARKER), *marker2 = path_in(f, "a", p2, SWEEP_DONE_MARKER);
    char *junk = path_in(f, "a", p0, "summary.txt.tmp.999");
    struct result r = run_tlbsim("sweep", f->spec, "--out", out, "-j", "2", NULL);
    char *keep[3], *tsv, *text;
    unsigned done;
    GPtrArray *dirs;

    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "sweep: 4 points, 0 already done, 4 to run"));
    result_free(&r);
    dirs = point_dirs(out, &done);
    assert_int_equal(dirs->len, N_POINTS);
    assert_int_equal(done, N_POINTS);
    assert_string_equal(dirs->pdata[0], "batch_full__kernel.lru_add_batch=14");
    g_ptr_array_free(dirs, TRUE);
    assert_tsv_matches(f->spec, out, N_POINTS);
    tsv = g_build_filename(out, SWEEP_TSV, NULL);
    text = slurp(tsv);
    check_row(out, text, "batch_full__kernel.lru_add_batch=31");
    g_free(text);
    g_free(tsv);

    /* a deleted marker: only that point runs again (a point that runs
     * starts from an empty directory, so only its extra file goes) */
    keep[0] = g_strdup_printf("%s.keep", json0);
    keep[1] = g_strdup_printf("%s.keep", json2);
    keep[2] = g_strdup_printf("%s.keep", json3);
    for (int i = 0; i < 3; i++)
        assert_true(g_file_set_contents(keep[i], "x", -1, NULL));
    assert_int_equal(g_unlink(marker2), 0);
    r = run_tlbsim("sweep", f->spec, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "sweep: 4 points, 3 already done, 1 to run"));
    result_free(&r);
    assert_true(g_file_test(keep[0], G_FILE_TEST_EXISTS));
    assert_false(g_file_test(keep[1], G_FILE_TEST_EXISTS));
    assert_true(g_file_test(keep[2], G_FILE_TEST_EXISTS));
    assert_true(g_file_test(json2, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(marker2, G_FILE_TEST_EXISTS));
    for (int i = 0; i < 3; i++)
        g_free(keep[i]);
    assert_tsv_matches(f->spec, out, N_POINTS);

    /* a killed attempt: no marker, no results, a temporary left behind */
    assert_int_equal(g_unlink(marker0), 0);
    assert_int_equal(g_unlink(json0), 0);
    assert_true(g_file_set_contents(junk, "partial", -1, NULL));
    r = run_tlbsim("sweep", f->spec, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "sweep: 4 points, 3 already done, 1 to run"));
    result_free(&r);
    assert_true(g_file_test(marker0, G_FILE_TEST_EXISTS));
    assert_false(g_file_test(junk, G_FILE_TEST_EXISTS));
    assert_tsv_matches(f->spec, out, N_POINTS);

    /* all done: nothing runs, the TSV is rewritten unchanged */
    r = run_tlbsim("sweep", f->spec, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "4 already done, 0 to run"));
    result_free(&r);
    assert_tsv_matches(f->spec, out, N_POINTS);
    g_free(junk);
    g_free(marker0);
    g_free(marker2);
    g_free(json0);
    g_free(json2);
    g_free(json3);
    g_free(out);
}

/* A point whose run fails (its results.json cannot be written: a directory
 * is in the way) is named, keeps its stderr, and the sweep exits 1 after
 * finishing the others. */
static void test_failed_point(void **state)
{
    struct fixture *f = *state;
    char *out = path_in(f, "b", NULL, NULL);
    const char *bad = "per_page__kernel.lru_add_batch=31";
    char *blocker = path_in(f, "b", bad, "results.json");
    char *err_txt = path_in(f, "b", bad, "stderr.txt");
    char *text;
    struct result r;

    assert_int_equal(g_mkdir_with_parents(blocker, 0755), 0);
    r = run_tlbsim("sweep", f->spec, "--out", out, "-j", "2", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "tlbsim: error: point per_page__kernel.lru_add_batch=31 failed"));
    assert_non_null(strstr(r.err, "sweep: 3 done, 1 failed"));
    result_free(&r);
    text = slurp(err_txt);
    assert_non_null(strstr(text, "tlbsim: error: cannot write"));
    g_free(text);
    assert_tsv_matches(f->spec, out, N_POINTS - 1);
    g_free(err_txt);
    g_free(blocker);
    g_free(out);
}

/* Starts a sweep of the slow spec with -j 1 and waits for `markers` done
 * points; returns its pid. */
static GPid start_and_wait(const struct fixture *f, const char *out, unsigned markers)
{
    char *argv[] = { (char *)TLBSIM, (char *)"sweep", f->slow_spec, (char *)"--out",
                     (char *)out, (char *)"-j", (char *)"1", NULL };
    GError *gerr = NULL;
    unsigned done = 0;
    GPid pid;

    if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, &pid, &gerr))
        fail_msg("spawn: %s", gerr->message);
    for (int i = 0; i < 6000 && done < markers; i++) {
        GPtrArray *dirs = point_dirs(out, &done);

        g_ptr_array_free(dirs, TRUE);
        g_usleep(5000);
    }
    assert_true(done >= markers);
    return pid;
}

/* Every row of the TSV is a done point and the file is complete (header,
 * whole lines); returns the number of rows. */
static unsigned tsv_consistent(const char *out)
{
    char *path = g_build_filename(out, SWEEP_TSV, NULL);
    char *text = NULL, **lines;
    unsigned rows = 0;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        g_free(path);
        return 0;                       /* killed before the first point: no TSV */
    }
    assert_true(g_str_has_prefix(text, "point\tpolicy\tmachine\t"));
    assert_true(g_str_has_suffix(text, "\n"));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines + 1; *l && **l; l++) {
        char **cells = g_strsplit(*l, "\t", -1), **head = g_strsplit(lines[0], "\t", -1);

        char *name = g_strndup(*l, strcspn(*l, "\t"));
        char *marker = g_build_filename(out, name, SWEEP_DONE_MARKER, NULL);

        assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
        assert_int_equal(g_strv_length(cells), g_strv_length(head));
        g_strfreev(cells);
        g_strfreev(head);
        rows++;
        g_free(marker);
        g_free(name);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return rows;
}

static void test_signals(void **state)
{
    struct fixture *f = *state;
    char *out = path_in(f, "c", NULL, NULL);
    unsigned done;
    int status;
    GPid pid;
    GPtrArray *dirs;
    struct result r;

    /* SIGINT: children stopped, exit 130, TSV = the done points */
    pid = start_and_wait(f, out, 1);
    kill(pid, SIGINT);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    dirs = point_dirs(out, &done);
    g_ptr_array_free(dirs, TRUE);
    assert_true(done >= 1 && done < N_POINTS);
    assert_tsv_matches(f->slow_spec, out, done);

    /* SIGKILL at once after one more point: the TSV is whole and names
     * only done points; a rerun finishes and agrees with a rebuild */
    pid = start_and_wait(f, out, done + 1);
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    g_usleep(100 * 1000);               /* the running point dies with it (SIGTERM) */
    assert_true(tsv_consistent(out) >= 1);
    r = run_tlbsim("sweep", f->slow_spec, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    result_free(&r);
    assert_tsv_matches(f->slow_spec, out, N_POINTS);
    g_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_point, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
