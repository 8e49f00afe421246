/* The tlbsim commands, called by main after argument parsing. Each returns
 * the process exit status: 0 success, 1 runtime failure, 2 bad input. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include "cli/args.h"

enum tlbsim_exit { TLBSIM_EXIT_OK = 0, TLBSIM_EXIT_FAIL = 1, TLBSIM_EXIT_USAGE = 2 };

int cmd_run(const struct args *a);
int cmd_check(const struct args *a);
int cmd_list(const struct args *a);
int cmd_sweep(const struct args *a);

#endif
