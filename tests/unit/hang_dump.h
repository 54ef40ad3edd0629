/* SPDX-License-Identifier: MIT */
/*
 * hang_dump.h - say where a hung test stands before it is killed.
 *
 * hang_dump_start() forks a watchdog process before the test starts any
 * thread.  The test arms a deadline (hang_dump_arm) around anything that
 * can hang; if the deadline passes, the watchdog prints every thread of
 * the test process and of the child processes the test registered (name,
 * scheduler state, kernel wait channel, current system call, from /proc),
 * then their user-space stacks through `gdb -batch` when gdb is installed,
 * and kills them all: the test fails with a diagnosis instead of running
 * into ctest's timeout.  A separate process sees a hang wherever it is --
 * in a fork, a join, a waitpid, or in a sanitizer's runtime, where a
 * signal handler of the test would never run.
 */
#ifndef DCN_TESTS_HANG_DUMP_H
#define DCN_TESTS_HANG_DUMP_H

#include <sys/types.h>

#define HANG_DUMP_MAX_PIDS 16

/* Fork the watchdog.  0, or -1 if it could not be started. */
int hang_dump_start(void);
/* Let a gdb started by the watchdog attach to this process (Yama's
 * ptrace_scope 1); the test's own child processes call it too. */
void hang_dump_allow_tracing(void);
/* Arm the deadline `seconds` from now (0 disarms); `what` names the
 * phase in the report (copied). */
void hang_dump_arm(unsigned seconds, const char *what);
/* Include (or drop) a child process in the report. */
void hang_dump_add_pid(pid_t pid);
void hang_dump_remove_pid(pid_t pid);
/* Have the watchdog report and kill now; does not return. */
void hang_dump_now(const char *why);

#endif /* DCN_TESTS_HANG_DUMP_H */
