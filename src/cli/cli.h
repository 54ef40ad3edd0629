/* SPDX-License-Identifier: MIT */
/*
 * cli.h - subcommands of the dcnumc tool and its exit codes.
 */
#ifndef DCN_CLI_CLI_H
#define DCN_CLI_CLI_H

/* Exit codes: 0 success, 1 processing failed (or stdout could not be
 * written), 2 usage error, 3 bad input file, 130 interrupted (Ctrl-C). */
enum dcn_exit {
    DCN_EXIT_OK = 0,
    DCN_EXIT_FAIL = 1,
    DCN_EXIT_USAGE = 2,
    DCN_EXIT_INPUT = 3,
    DCN_EXIT_INTERRUPTED = 130,
};

/* Subcommands: argv[0] is the subcommand name; return an exit code. */
int dcn_cli_run(int argc, char **argv);
int dcn_cli_info(int argc, char **argv);
int dcn_cli_synth(int argc, char **argv);

#endif /* DCN_CLI_CLI_H */
