/* Command-line parsing for tlbsim: a table of options saying which commands
 * accept each one, a left-to-right scan that stops at --help/--version, and
 * operand-count checks per command. Values are taken from "--opt=value" or
 * from the next argument; a next argument starting with "--" is not taken
 * as a value (so "--out --quiet" is an error, not a directory).
 * A short option's value may also follow it directly ("-j2", "-oDIR").
 * Left out: bundled short options ("-qh"), abbreviations of long options. */
#include "cli/args.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#define CMD_BIT(c) (1u << (c))
#define ALL_CMDS (CMD_BIT(ARGS_CMD_NONE) | CMD_BIT(ARGS_CMD_RUN) | \
                  CMD_BIT(ARGS_CMD_CHECK) | CMD_BIT(ARGS_CMD_LIST) | CMD_BIT(ARGS_CMD_SWEEP))
#define SWEEP CMD_BIT(ARGS_CMD_SWEEP)

enum opt_id {
    OPT_HELP, OPT_VERSION, OPT_SEED, OPT_SET, OPT_OUT, OPT_QUIET,
    OPT_JOBS, OPT_EMIT_JOBS, OPT_MERGE, OPT_ONLY, OPT_DRY_RUN,
};

struct opt_spec {
    const char *name;         /* long name without "--" */
    char short_name;          /* 0: none */
    bool takes_value;
    unsigned cmds;            /* CMD_BIT mask of commands accepting it */
    enum opt_id id;
};

static const struct opt_spec opt_table[] = {
    { "help",    'h', false, ALL_CMDS,               OPT_HELP },
    { "version", 'V', false, ALL_CMDS,               OPT_VERSION },
    { "seed",    0,   true,  CMD_BIT(ARGS_CMD_RUN),  OPT_SEED },
    { "set",     0,   true,  CMD_BIT(ARGS_CMD_RUN),  OPT_SET },
    { "out",     'o', true,  CMD_BIT(ARGS_CMD_RUN) | SWEEP, OPT_OUT },
    { "quiet",   'q', false, CMD_BIT(ARGS_CMD_RUN),  OPT_QUIET },
    { "jobs",    'j', true,  SWEEP, OPT_JOBS },
    { "emit-jobs", 0, true,  SWEEP, OPT_EMIT_JOBS },
    { "merge",   0,   true,  SWEEP, OPT_MERGE },
    { "only",    0,   true,  SWEEP, OPT_ONLY },
    { "dry-run", 'n', false, SWEEP, OPT_DRY_RUN },
};

static const char *const cmd_names[] = { "", "run", "check", "list", "sweep" };

const char *args_cmd_name(enum args_cmd cmd)
{
    return cmd_names[cmd];
}

static int args_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int args_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int args_parse_u64(const char *text, uint64_t *out)
{
    uint64_t v = 0;

    if (!text || !*text)
        return -1;
    for (const char *p = text; *p; p++) {
        unsigned d;

        if (*p < '0' || *p > '9')
            return -1;
        d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int args_sweep_jobs(struct args *a, const char *value, char *err, size_t errlen)
{
    uint64_t n;

    if (args_parse_u64(value, &n) != 0 || n == 0 || n > 4096)
        return args_fail(err, errlen, "invalid --jobs '%s': expected 1 to 4096", value);
    a->jobs = (unsigned)n;
    return 0;
}

/* Finds the option written as `arg` ("--name", "--name=value" or "-x").
 * *inline_value gets the text after '=' or NULL. */
static const struct opt_spec *opt_lookup(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (arg[1] != '-') {
        /* "-x", or "-xVALUE" for an option with a value ("-j2", as make) */
        for (size_t i = 0; i < G_N_ELEMENTS(opt_table); i++) {
            if (!opt_table[i].short_name || arg[1] != opt_table[i].short_name)
                continue;
            if (arg[2] == '\0')
                return &opt_table[i];
            if (opt_table[i].takes_value) {
                *inline_value = arg + 2;
                return &opt_table[i];
            }
        }
        return NULL;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);

    for (size_t i = 0; i < G_N_ELEMENTS(opt_table); i++) {
        if (strlen(opt_table[i].name) == len && strncmp(opt_table[i].name, name, len) == 0) {
            *inline_value = eq ? eq + 1 : NULL;
            return &opt_table[i];
        }
    }
    return NULL;
}

/* Stores one option's effect; returns 1 for help/version (stop scanning). */
static int opt_apply(struct args *a, const struct opt_spec *o, const char *value,
                     char *err, size_t errlen)
{
    switch (o->id) {
    case OPT_HELP:
        a->action = ARGS_ACT_HELP;
        return 1;
    case OPT_VERSION:
        a->action = ARGS_ACT_VERSION;
        return 1;
    case OPT_SEED:
        if (args_parse_u64(value, &a->seed) != 0)
            return args_fail(err, errlen, "invalid --seed '%s': expected a decimal "
                             "integer from 0 to 18446744073709551615", value);
        a->has_seed = true;
        return 0;
    case OPT_SET:
        if (value[0] == '=' || !strchr(value, '='))
            return args_fail(err, errlen, "invalid --set '%s': expected key.path=value",
                             value);
        a->sets[a->n_sets++] = value;
        return 0;
    case OPT_OUT:
        if (!*value)
            return args_fail(err, errlen, "--out needs a non-empty directory");
        a->out_dir = value;
        return 0;
    case OPT_QUIET:
        a->quiet = true;
        return 0;
    case OPT_JOBS:
        return args_sweep_jobs(a, value, err, errlen);
    case OPT_EMIT_JOBS:
    case OPT_MERGE:
    case OPT_ONLY:
        if (!*value)
            return args_fail(err, errlen, "--%s needs a non-empty value", o->name);
        *(o->id == OPT_EMIT_JOBS ? &a->emit_jobs : o->id == OPT_MERGE ? &a->merge_dir
                                                                     : &a->only) = value;
        return 0;
    case OPT_DRY_RUN:
        a->dry_run = true;
        return 0;
    }
    return 0;
}

/* Handles the option at argv[*i], consuming a value argument if needed. */
static int parse_option(struct args *a, int argc, char *const argv[], int *i,
                        char *err, size_t errlen)
{
    const char *arg = argv[*i], *value;
    const struct opt_spec *o = opt_lookup(arg, &value);

    if (!o || !(o->cmds & CMD_BIT(a->cmd))) {
        if (a->cmd == ARGS_CMD_NONE)
            return args_fail(err, errlen, "unknown option '%s'", arg);
        return args_fail(err, errlen, "unknown option '%s' for '%s'", arg,
                         args_cmd_name(a->cmd));
    }
    if (!o->takes_value && value)
        return args_fail(err, errlen, "option '--%s' takes no value", o->name);
    if (o->takes_value && !value) {
        if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
            return args_fail(err, errlen, "option '--%s' needs a value", o->name);
        value = argv[++*i];
    }
    return opt_apply(a, o, value, err, errlen);
}

static int check_operands(const struct args *a, char *err, size_t errlen)
{
    switch (a->cmd) {
    case ARGS_CMD_RUN:
        if (a->n_files == 0)
            return args_fail(err, errlen, "run: missing scenario file");
        if (a->n_files > 1)
            return args_fail(err, errlen, "run: unexpected argument '%s'", a->files[1]);
        return 0;
    case ARGS_CMD_CHECK:
        if (a->n_files == 0)
            return args_fail(err, errlen, "check: no files to check");
        return 0;
    case ARGS_CMD_LIST:
        if (a->n_files > 0)
            return args_fail(err, errlen, "list: unexpected argument '%s'", a->files[0]);
        return 0;
    case ARGS_CMD_SWEEP:
        if (a->n_files != 1)
            return args_fail(err, errlen, a->n_files ? "sweep: unexpected argument '%s'"
                                                     : "sweep: missing spec file%s",
                             a->n_files ? a->files[1] : "");
        if (!!a->emit_jobs + !!a->merge_dir + !!a->only + a->dry_run > 1)
            return args_fail(err, errlen, "sweep: --emit-jobs, --merge, --only and "
                             "--dry-run exclude each other");
        if (a->merge_dir && a->out_dir)
            return args_fail(err, errlen, "sweep: --merge DIR is the output directory; "
                             "drop --out");
        return 0;
    case ARGS_CMD_NONE:
        break;
    }
    return args_fail(err, errlen, "missing command");
}

static int parse_command_word(struct args *a, const char *word, char *err, size_t errlen)
{
    for (size_t c = ARGS_CMD_RUN; c < G_N_ELEMENTS(cmd_names); c++) {
        if (strcmp(word, cmd_names[c]) == 0) {
            a->cmd = (enum args_cmd)c;
            return 0;
        }
    }
    return args_fail(err, errlen, "unknown command '%s'", word);
}

int args_parse(int argc, char *const argv[], struct args *a, char *err, size_t errlen)
{
    bool operands_only = false;
    int i = 1, rc;

    memset(a, 0, sizeof(*a));
    a->argv0 = argc > 0 ? argv[0] : "tlbsim";
    a->files = g_new0(const char *, argc > 0 ? (size_t)argc : 1);
    a->sets = g_new0(const char *, argc > 0 ? (size_t)argc : 1);
    if (argc < 2)
        return args_fail(err, errlen, "missing command");
    if (argv[1][0] != '-' && parse_command_word(a, argv[i++], err, errlen) != 0)
        return -1;
    for (; i < argc; i++) {
        const char *arg = argv[i];

        if (!operands_only && strcmp(arg, "--") == 0) {
            operands_only = true;
        } else if (!operands_only && arg[0] == '-' && arg[1] != '\0') {
            rc = parse_option(a, argc, argv, &i, err, errlen);
            if (rc != 0)
                return rc < 0 ? -1 : 0;
        } else if (a->cmd == ARGS_CMD_NONE) {
            return args_fail(err, errlen, "unknown command '%s'", arg);
        } else {
            a->files[a->n_files++] = arg;
        }
    }
    return check_operands(a, err, errlen);
}

void args_free(struct args *a)
{
    g_free(a->files);
    g_free(a->sets);
    a->files = NULL;
    a->sets = NULL;
    a->n_files = 0;
    a->n_sets = 0;
}

static const char help_main[] =
    "Usage: tlbsim COMMAND [OPTION...] [ARG...]\n"
    "A deterministic discrete-event simulator of TLB shootdown.\n"
    "\n"
    "Commands:\n"
    "  run SCENARIO.yaml   run a scenario and write its results\n"
    "  check FILE.yaml...  validate machine or scenario files\n"
    "  list                list the shipped machines\n"
    "  sweep SPEC.yaml     run every point of a sweep spec, write sweep.tsv\n"
    "\n"
    "Options:\n"
    "  -h, --help          show this help (or a command's: tlbsim run --help)\n"
    "  -V, --version       show the version\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad input.\n";

static const char help_run[] =
    "Usage: tlbsim run SCENARIO.yaml [--seed N] [--set key.path=value ...]\n"
    "                  [--out DIR] [--quiet]\n"
    "Run a scenario and write summary.txt, results.json, timeseries.tsv,\n"
    "interrupts.txt, vmstat.txt and perf-stat.csv into DIR.\n"
    "\n"
    "Options:\n"
    "      --seed N             random seed (decimal, 0..2^64-1); overrides the file's\n"
    "      --set key.path=value override one setting; may be repeated\n"
    "                           (machine.* keys change the machine)\n"
    "  -o, --out DIR            output directory (default results/<scenario>/)\n"
    "  -q, --quiet              do not print the summary\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n";

static const char help_check[] =
    "Usage: tlbsim check FILE.yaml...\n"
    "Validate machine files (a mapping with a 'topology' key) and scenario\n"
    "files, and print a one-line summary of each. Every file is checked;\n"
    "the exit status is 2 if any failed.\n"
    "\n"
    "Options:\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version\n";

static const char help_list[] =
    "Usage: tlbsim list\n"
    "List the shipped machines: configs/machines/*.yaml under $TLBSIM_DATADIR\n"
    "if it is set, else under the current directory.\n"
    "\n"
    "Options:\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version\n";

static const char help_sweep[] =
    "Usage: tlbsim sweep SPEC.yaml [-j N] [--out DIR] [--dry-run]\n"
    "       tlbsim sweep SPEC.yaml [--out DIR] --emit-jobs FILE\n"
    "       tlbsim sweep SPEC.yaml --merge DIR\n"
    "Run every point of a sweep spec (configs/README.md, \"Sweep specs\") as its own\n"
    "`tlbsim run` into DIR/<point>/, and write DIR/sweep.tsv, one row per finished\n"
    "point. Finished points are skipped: an interrupted sweep resumes.\n"
    "\n"
    "Options:\n"
    "  -j, --jobs N          points run at once (default: online CPUs)\n"
    "  -o, --out DIR         output directory (default: the spec's out:)\n"
    "  -n, --dry-run         list the points and their commands; run nothing\n"
    "      --emit-jobs FILE  write one shell command per point (GNU parallel,\n"
    "                        SLURM array) instead of running them\n"
    "      --only POINT      run this one point (what --emit-jobs lines do)\n"
    "      --merge DIR       build DIR/sweep.tsv from the points finished in DIR\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 all points done, 1 a point failed (or is missing, --merge),\n"
    "2 bad spec or options, 130/143 interrupted.\n";

void args_print_help(FILE *out, enum args_cmd cmd)
{
    static const char *const text[] = { help_main, help_run, help_check, help_list,
                                        help_sweep };

    fputs(text[cmd], out);
}

void args_print_usage_error(FILE *out, enum args_cmd cmd, const char *msg)
{
    fprintf(out, "tlbsim: error: %s\n", msg);
    if (cmd == ARGS_CMD_NONE)
        fputs("Try 'tlbsim --help' for more information.\n", out);
    else
        fprintf(out, "Try 'tlbsim %s --help' for more information.\n", args_cmd_name(cmd));
}
