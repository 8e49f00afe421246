/* `tlbsim sweep` for batch systems and bad input (build/tlbsim as a child,
 * run from the repo root; fixture: tests/sweep_fixture.h): --emit-jobs
 * lines run by GNU parallel (and one by `sed -n Np | sh`, as a SLURM array
 * task would) then --merge give the in-process runner's TSV byte for byte;
 * a bad spec exits 2 with a spec position and creates nothing. */
#include "tests/sweep_fixture.h"

static char *sh(const char *script)
{
    char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)script, NULL };
    struct result r = run_argv(argv);

    if (r.status != 0)
        fail_msg("sh -c '%s' exited %d: %s", script, r.status, r.err);
    g_free(r.err);
    return r.out;
}

static void test_emit_jobs_parallel_merge(void **state)
{
    struct fixture *f = *state;
    char *a = path_in(f, "ea", NULL, NULL), *b = path_in(f, "eb", NULL, NULL);
    char *c = path_in(f, "ec", NULL, NULL);
    char *jobs = path_in(f, "jobs.txt", NULL, NULL), *jobs_c = path_in(f, "jobs-c.txt", NULL, NULL);
    char *ta = g_build_filename(a, SWEEP_TSV, NULL), *tb = g_build_filename(b, SWEEP_TSV, NULL);
    char *tc = g_build_filename(c, SWEEP_TSV, NULL);
    char *cmd, *text_a, *text_b, *text_c, *lines, **rows_a;
    struct result r;

    r = run_tlbsim("sweep", f->spec, "--out", a, NULL);
    assert_int_equal(r.status, 0);
    result_free(&r);

    r = run_tlbsim("sweep", f->spec, "--out", b, "--emit-jobs", jobs, NULL);
    assert_int_equal(r.status, 0);
    result_free(&r);
    lines = slurp(jobs);
    rows_a = g_strsplit(lines, "\n", -1);
    assert_int_equal(g_strv_length(rows_a), N_POINTS + 1);
    g_strfreev(rows_a);
    assert_true(lines[0] == '/');       /* absolute program path */
    assert_non_null(strstr(lines, " sweep /"));
    assert_non_null(strstr(lines, " --only per_page__kernel.lru_add_batch=14\n"));
    g_free(lines);
    assert_false(g_file_test(b, G_FILE_TEST_EXISTS));   /* nothing ran yet */

    cmd = g_strdup_printf("command -v parallel >/dev/null || { echo 'GNU parallel missing: "
                          "run scripts/prereq.sh' >&2; exit 1; }; "
                          "parallel --will-cite -j 2 < '%s'", jobs);
    g_free(sh(cmd));
    g_free(cmd);
    r = run_tlbsim("sweep", f->spec, "--merge", b, NULL);
    assert_int_equal(r.status, 0);
    result_free(&r);
    text_a = slurp(ta);
    text_b = slurp(tb);
    assert_string_equal(text_a, text_b);

    /* one SLURM array task: line 2 only; the merge names the missing ones */
    r = run_tlbsim("sweep", f->spec, "--out", c, "--emit-jobs", jobs_c, NULL);
    assert_int_equal(r.status, 0);
    result_free(&r);
    cmd = g_strdup_printf("SLURM_ARRAY_TASK_ID=2; sed -n ${SLURM_ARRAY_TASK_ID}p '%s' | sh", jobs_c);
    g_free(sh(cmd));
    g_free(cmd);
    r = run_tlbsim("sweep", f->spec, "--merge", c, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "point per_page__kernel.lru_add_batch=14 is not done"));
    result_free(&r);
    text_c = slurp(tc);
    rows_a = g_strsplit(text_a, "\n", -1);
    cmd = g_strdup_printf("%s\n%s\n", rows_a[0], rows_a[2]);
    assert_string_equal(text_c, cmd);
    g_free(cmd);
    g_strfreev(rows_a);
    g_free(text_a);
    g_free(text_b);
    g_free(text_c);
    g_free(ta);
    g_free(tb);
    g_free(tc);
    g_free(jobs);
    g_free(jobs_c);
    g_free(a);
    g_free(b);
    g_free(c);
}

static void test_bad_spec_cli(void **state)
{
    struct fixture *f = *state;
    char *spec = g_build_filename(f->dir, "bad.yaml", NULL);
    char *out = path_in(f, "bad-out", NULL, NULL);
    char *cwd = g_get_current_dir();
    char *text = g_strdup_printf("scenario: %s/configs/scenarios/default.yaml\n"
                                 "axes:\n"
                                 "  policy: [per_page, no_such_policy]\n", cwd);
    char *want = g_strdup_printf("%s:3:22: error: ", spec);
    struct result r;

    assert_true(g_file_set_contents(spec, text, -1, NULL));
    r = run_tlbsim("sweep", spec, "--out", out, NULL);
    assert_int_equal(r.status, 2);
    assert_true(g_str_has_prefix(r.err, want));
    assert_non_null(strstr(r.err, "(point no_such_policy, --set policy.name)"));
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    result_free(&r);

    r = run_tlbsim("sweep", f->spec, "--merge", out, "--out", out, NULL);
    assert_int_equal(r.status, 2);
    result_free(&r);
    r = run_tlbsim("sweep", f->spec, "-j", "0", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "invalid --jobs '0'"));
    result_free(&r);
    g_free(want);
    g_free(text);
    g_free(cwd);
    g_free(out);
    g_free(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_emit_jobs_parallel_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_spec_cli, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
