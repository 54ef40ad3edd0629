/* SPDX-License-Identifier: MIT */
/*
 * cli_util.h - shared pieces of the dcnumc commands: input discovery,
 * output naming, progress display and JSON summaries.
 */
#ifndef DCN_CLI_UTIL_H
#define DCN_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "dcnumc/run.h"

/* A growable list of owned strings. */
struct cli_strlist {
    char **items;
    size_t n;
    size_t cap;
};

int cli_strlist_add(struct cli_strlist *l, const char *s);
void cli_strlist_release(struct cli_strlist *l);

/*
 * Add path to l if it is a file; if it is a folder, add its .rtdc files
 * (sorted; with recursive, also those of sub-folders), leaving out
 * outputs of dcnumc/dcnum (*_dcn.rtdc) so that a second run does not
 * process its own results.  -1 with a message on stderr if path does
 * not exist.
 */
int cli_collect_inputs(struct cli_strlist *l, const char *path, bool recursive);

/* "<dir>/<stem of input>_dcn.rtdc"; caller frees; NULL on failure. */
char *cli_path_in_dir(const char *dir, const char *input);

/* Progress on stderr: a bar on a terminal, log lines otherwise. */
struct cli_progress {
    const char *name;
    bool quiet;
    bool tty;
    bool drawn;
    struct timespec last_line;
};

void cli_progress_init(struct cli_progress *p, const char *name, bool quiet);
/* A dcn_progress_fn; user is the struct cli_progress. */
void cli_progress_report(const struct dcn_run_progress *progress, void *user);
void cli_progress_end(struct cli_progress *p);

/* One JSON line: input, output, frames, events, seconds, frames/s,
 * ppid, hash, skipped. */
void cli_print_summary_json(FILE *out, const char *input,
                            const struct dcn_run_result *res);

/* fork() after flushing stdout and stderr, so that the child does not
 * print what the parent buffered: fork()'s result. */
long cli_fork(void);
/* End a child made by cli_fork(): flush what it printed (a failed stdout
 * turns exit code 0 into 1) and _exit() without the parent's atexit
 * handlers. */
_Noreturn void cli_child_exit(int code);

/*
 * Wait for child process pid (retrying on EINTR).  Returns its exit code,
 * or -1 with *sig = the signal that ended it (or 0 if waitpid failed).
 */
int cli_wait_child(long pid, int *sig);
/* "<cmd>: <what>: <subject> <verb> (signal N, <name>)<tail>" on stderr,
 * verb "was killed" for SIGKILL and "crashed" otherwise. */
void cli_report_signal(const char *cmd, const char *what, const char *subject,
                       int sig, const char *tail);

#endif /* DCN_CLI_UTIL_H */
