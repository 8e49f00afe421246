/* Running build/tlbsim (built by `make`) as a child process from a test and
 * collecting its exit status, stdout and stderr (static, in a header, as
 * tests are one .c each). Include after cmocka.h, glib.h and sys/wait.h;
 * define TLBSIM first. */
#ifndef TESTS_CLI_RUN_H
#define TESTS_CLI_RUN_H

struct result {
    int status;          /* exit status; -1 when killed by a signal */
    char *out, *err;
};

static inline void result_free(struct result *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Runs the NULL-terminated argv (argv[0] a path) and waits for it. */
static inline struct result run_argv(char **argv)
{
    struct result r = { 0 };
    GError *gerr = NULL;
    int wait_status = 0;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r.out,
                      &r.err, &wait_status, &gerr))
        fail_msg("cannot run %s: %s (build it with make first)", argv[0], gerr->message);
    if (WIFEXITED(wait_status)) {
        r.status = WEXITSTATUS(wait_status);
    } else {
        r.status = -1;
        print_error("%s died (wait status %d); stderr:\n%s", argv[0], wait_status, r.err);
    }
    return r;
}

/* Runs TLBSIM with the NULL-terminated arguments. */
static inline struct result run_tlbsim(const char *arg0, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    struct result r;
    va_list ap;

    g_ptr_array_add(argv, (gpointer)TLBSIM);
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    r = run_argv((char **)argv->pdata);
    g_ptr_array_free(argv, TRUE);
    return r;
}

#endif
