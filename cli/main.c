/* tlbsim entry point: parse the command line, then dispatch to a command.
 * Usage errors print "tlbsim: error: ..." and a --help hint, exit 2. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"

static int dispatch(const struct args *a)
{
    switch (a->cmd) {
    case ARGS_CMD_RUN:
        return cmd_run(a);
    case ARGS_CMD_CHECK:
        return cmd_check(a);
    case ARGS_CMD_LIST:
        return cmd_list(a);
    case ARGS_CMD_SWEEP:
        return cmd_sweep(a);
    case ARGS_CMD_NONE:
        break;
    }
    return TLBSIM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct args a;
    char err[256];
    int rc;

    if (args_parse(argc, argv, &a, err, sizeof(err)) != 0) {
        args_print_usage_error(stderr, a.cmd, err);
        rc = TLBSIM_EXIT_USAGE;
    } else if (a.action == ARGS_ACT_HELP) {
        args_print_help(stdout, a.cmd);
        rc = TLBSIM_EXIT_OK;
    } else if (a.action == ARGS_ACT_VERSION) {
        printf("tlbsim %s\n", TLBSIM_VERSION);
        rc = TLBSIM_EXIT_OK;
    } else {
        rc = dispatch(&a);
    }
    args_free(&a);
    return rc;
}
