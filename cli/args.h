/* The tlbsim command line, parsed into a plain struct by an explicit,
 * re-entrant parser (no getopt state): a command word (run, check, list),
 * then its options and operands in any order; "--" ends the options.
 * Options take their value as the next argument or after '='. */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TLBSIM_VERSION "0.1.0"

enum args_cmd { ARGS_CMD_NONE, ARGS_CMD_RUN, ARGS_CMD_CHECK, ARGS_CMD_LIST, ARGS_CMD_SWEEP };

/* What main should do: run the command, or print help / the version. */
enum args_action { ARGS_ACT_COMMAND, ARGS_ACT_HELP, ARGS_ACT_VERSION };

struct args {
    enum args_cmd cmd;          /* ARGS_CMD_NONE: program-level --help/--version */
    enum args_action action;
    const char **files;         /* operands (run: exactly one; check: one or more) */
    size_t n_files;
    const char **sets;          /* run: each --set "key.path=value", in order */
    size_t n_sets;
    bool has_seed;
    uint64_t seed;
    const char *out_dir;        /* run, sweep: --out, NULL for the default */
    bool quiet;                 /* run: --quiet */
    const char *argv0;          /* the program as invoked */
    unsigned jobs;              /* sweep: -j N, 0 for one per online CPU */
    const char *emit_jobs;      /* sweep: --emit-jobs FILE */
    const char *merge_dir;      /* sweep: --merge DIR */
    const char *only;           /* sweep: --only POINT */
    bool dry_run;               /* sweep: --dry-run */
};

/* Parses argv (argv[0] is the program). Strings point into argv. Returns 0,
 * or -1 with a one-line message (no "tlbsim: error:" prefix) in err; a->cmd
 * is then the command that was recognised, for the usage hint. Always call
 * args_free afterwards. */
int args_parse(int argc, char *const argv[], struct args *a, char *err, size_t errlen);
void args_free(struct args *a);

/* A decimal u64: digits only, no sign, no spaces, no overflow. */
int args_parse_u64(const char *text, uint64_t *out);

/* "run", "check", "list", "sweep"; "" for ARGS_CMD_NONE. */
const char *args_cmd_name(enum args_cmd cmd);
/* The --help text of a command (or of the program for ARGS_CMD_NONE). */
void args_print_help(FILE *out, enum args_cmd cmd);
/* "tlbsim: error: <msg>" and a hint naming the right --help. */
void args_print_usage_error(FILE *out, enum args_cmd cmd, const char *msg);

#endif
