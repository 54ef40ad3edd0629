/* SPDX-License-Identifier: MIT */
/*
 * main.c - the dcnumc command: dispatches to one subcommand per file.
 *
 * The CLI uses only the public API (include/dcnumc); it decides what is
 * printed and which exit code is returned (style.md rule 14).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dcnumc/dcnumc.h"

static void
usage(FILE *out)
{
    (void)fprintf(
            out,
            "usage: dcnumc <command> [options]\n"
            "\n"
            "dcnumc turns real-time deformability cytometry measurements "
            "(.rtdc)\n"
            "into per-cell features, with the results of dcnum (pipeline "
            "generation %s).\n"
            "\n"
            "commands:\n"
            "  run      process .rtdc measurements into features "
            "(dcnumc run --help)\n"
            "  info     summarise an .rtdc file: frames, features, "
            "compression,\n"
            "           pipeline identifiers, basins (dcnumc info --help)\n"
            "  synth    write a synthetic raw measurement, for tests and "
            "benchmarks\n"
            "           (dcnumc synth --help)\n"
            "\n"
            "options:\n"
            "  -h, --help     show this help\n"
            "  --version      print the version\n"
            "\n"
            "Run 'dcnumc <command> --help' for the options of a command.\n",
            DCN_PIPELINE_GENERATION);
}

static int
dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DCN_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dcnumc %s (dcnum pipeline generation %s)\n", dcn_version(),
               DCN_PIPELINE_GENERATION);
        return 0;
    }
    if (strcmp(argv[1], "info") == 0)
        return dcn_cli_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return dcn_cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "synth") == 0)
        return dcn_cli_synth(argc - 1, argv + 1);
    (void)fprintf(stderr, "dcnumc: unknown command '%s' (see dcnumc --help)\n",
                  argv[1]);
    return DCN_EXIT_USAGE;
}

/*
 * Everything the user asked for goes to stdout, whose writes are checked
 * once, here: a failed write leaves the stream's error flag set, and the
 * flush reports what was still buffered.  A command that succeeded but
 * whose output was lost fails.
 */
int
main(int argc, char **argv)
{
    int code = dispatch(argc, argv);

    if (fflush(stdout) == 0 && !ferror(stdout))
        return code;
    (void)fputs("dcnumc: cannot write to standard output\n", stderr);
    return code == DCN_EXIT_OK ? DCN_EXIT_FAIL : code;
}
