/* SPDX-License-Identifier: MIT */
/*
 * hang_dump.c - the watchdog process of hang_dump.h.
 *
 * The test and its watchdog share one MAP_SHARED page: the deadline, the
 * phase's name and the pids to report.  Only the test writes it; the
 * watchdog polls it twice a second.  The page and the watchdog's pid are
 * the only file-scope state: it is test code, and both processes must
 * find the page without being handed it.
 */
#define _GNU_SOURCE /* PR_SET_PTRACER */
#include "hang_dump.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct hang_page {
    atomic_llong deadline_ns; /* CLOCK_MONOTONIC; 0: disarmed */
    char what[96];            /* written before the deadline is armed */
    atomic_int pids[HANG_DUMP_MAX_PIDS];
};

static struct hang_page *page; /* shared with the watchdog */
static pid_t watchdog_pid;

static long long
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

/* The first line of a /proc file, without its newline ("?" if none). */
static void
read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");

    if (f == NULL || fgets(buf, (int)size, f) == NULL)
        (void)snprintf(buf, size, "?");
    buf[strcspn(buf, "\n")] = '\0';
    if (f != NULL)
        (void)fclose(f);
}

static void
print_task(pid_t pid, const char *tid)
{
    char path[96], comm[64], stat[512], wchan[96], sys[256];
    const char *state;

    (void)snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, tid);
    read_line(path, comm, sizeof(comm));
    (void)snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid);
    read_line(path, stat, sizeof(stat));
    (void)snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", (int)pid, tid);
    read_line(path, wchan, sizeof(wchan));
    (void)snprintf(path, sizeof(path), "/proc/%d/task/%s/syscall", (int)pid,
                   tid);
    read_line(path, sys, sizeof(sys));
    /* The state follows the command name in parentheses. */
    state = strrchr(stat, ')');
    (void)fprintf(stderr,
                  "  pid %d tid %s (%s): state %c, wchan %s, "
                  "syscall %s\n",
                  (int)pid, tid, comm,
                  state != NULL && state[1] ? state[2] : '?', wchan, sys);
}

static void
print_threads(pid_t pid)
{
    char path[64];
    DIR *dir;
    const struct dirent *e;

    (void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    dir = opendir(path);
    if (dir == NULL) {
        (void)fprintf(stderr, "  pid %d: gone\n", (int)pid);
        return;
    }
    while ((e = readdir(dir)) != NULL) /* NOLINT(concurrency-mt-unsafe) */
        if (e->d_name[0] != '.')
            print_task(pid, e->d_name);
    (void)closedir(dir);
}

/* gdb's stacks of every thread of pid, on stderr; at most 60 s. */
static void
print_stacks(pid_t pid)
{
    char arg[32];
    pid_t gdb;
    int waited = 0;

    (void)snprintf(arg, sizeof(arg), "%d", (int)pid);
    (void)fflush(NULL);
    gdb = fork();
    if (gdb == 0) {
        (void)dup2(STDERR_FILENO, STDOUT_FILENO);
        execlp("gdb", "gdb", "-batch", "-nx", "-q", "-p", arg, "-ex",
               "thread apply all bt", (char *)NULL);
        _exit(127);
    }
    if (gdb < 0)
        return;
    while (waitpid(gdb, NULL, WNOHANG) == 0) {
        if (++waited > 600) {
            (void)kill(gdb, SIGKILL);
            (void)waitpid(gdb, NULL, 0);
            return;
        }
        pause_ms(100);
    }
}

static void
report_and_kill(pid_t test, const char *why)
{
    pid_t pids[HANG_DUMP_MAX_PIDS + 1];
    int n = 0;

    pids[n++] = test;
    for (int i = 0; i < HANG_DUMP_MAX_PIDS; i++) {
        int p = atomic_load(&page->pids[i]);

        if (p > 0)
            pids[n++] = p;
    }
    (void)fprintf(stderr,
                  "HANG: %s (%s); threads of the test and its %d "
                  "worker processes:\n",
                  why, page->what, n - 1);
    for (int i = 0; i < n; i++)
        print_threads(pids[i]);
    for (int i = 0; i < n; i++)
        print_stacks(pids[i]);
    (void)fprintf(stderr, "HANG: killing the test\n");
    (void)fflush(NULL);
    for (int i = n - 1; i >= 0; i--)
        (void)kill(pids[i], SIGKILL);
}

static void
watchdog_loop(pid_t test)
{
    for (;;) {
        long long deadline = atomic_load(&page->deadline_ns);

        if (getppid() != test)
            _exit(0); /* the test ended */
        if (deadline > 0 && now_ns() > deadline) {
            report_and_kill(test, deadline == 1 ? "the test's watchdog"
                                                : "the deadline passed");
            _exit(0);
        }
        pause_ms(500);
    }
}

int
hang_dump_start(void)
{
    pid_t test = getpid();

    page = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        page = NULL;
        return -1;
    }
    watchdog_pid = fork();
    if (watchdog_pid == 0) {
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        watchdog_loop(test);
    }
    hang_dump_allow_tracing();
    return watchdog_pid > 0 ? 0 : -1;
}

void
hang_dump_allow_tracing(void)
{
    (void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

void
hang_dump_arm(unsigned seconds, const char *what)
{
    if (page == NULL)
        return;
    atomic_store(&page->deadline_ns, 0);
    (void)snprintf(page->what, sizeof(page->what), "%s", what);
    if (seconds > 0)
        atomic_store(&page->deadline_ns,
                     now_ns() + (long long)seconds * 1000000000LL);
}

void
hang_dump_add_pid(pid_t pid)
{
    for (int i = 0; page != NULL && i < HANG_DUMP_MAX_PIDS; i++) {
        int free_entry = 0;

        if (atomic_compare_exchange_strong(&page->pids[i], &free_entry,
                                           (int)pid))
            return;
    }
}

void
hang_dump_remove_pid(pid_t pid)
{
    for (int i = 0; page != NULL && i < HANG_DUMP_MAX_PIDS; i++) {
        int entry = (int)pid;

        (void)atomic_compare_exchange_strong(&page->pids[i], &entry, 0);
    }
}

void
hang_dump_now(const char *why)
{
    (void)fflush(NULL);
    if (page == NULL) {
        (void)fprintf(stderr, "HANG: %s\n", why);
        _exit(1);
    }
    atomic_store(&page->deadline_ns, 0);
    (void)snprintf(page->what, sizeof(page->what), "%s", why);
    atomic_store(&page->deadline_ns, 1);
    pause_ms(120000); /* the watchdog reports and kills this process */
    _exit(1);
}
