/* SPDX-License-Identifier: MIT */
/*
 * cli_util.c - input discovery, output naming, progress display and JSON
 * summaries for the dcnumc commands.
 *
 * Folder scans are sorted, so a batch runs in the same order on every
 * machine.  Progress goes to stderr: a redrawn bar when stderr is a
 * terminal, otherwise a plain line every few seconds that log files and
 * CI consoles can keep.
 */
#define _DEFAULT_SOURCE /* strdup, DT_* */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_util.h"

int
cli_strlist_add(struct cli_strlist *l, const char *s)
{
    char *copy;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof(*items));

        if (items == NULL)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    copy = strdup(s);
    if (copy == NULL)
        return -1;
    l->items[l->n++] = copy;
    return 0;
}

void
cli_strlist_release(struct cli_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_folder(struct cli_strlist *l, const char *dir, bool recursive);

/* Add dir/name if it is an input file, or scan it if it is a folder. */
static int
scan_entry(struct cli_strlist *l, const char *dir, const char *name,
           bool recursive)
{
    struct stat st;
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    int rc = 0;

    if (path == NULL)
        return -1;
    (void)snprintf(path, len, "%s/%s", dir, name); /* len fits it */
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode) && recursive)
            rc = scan_folder(l, path, recursive);
        else if (S_ISREG(st.st_mode) && ends_with(name, ".rtdc") &&
                 !ends_with(name, "_dcn.rtdc"))
            rc = cli_strlist_add(l, path);
    }
    free(path);
    return rc;
}

static int
scan_folder(struct cli_strlist *l, const char *dir, bool recursive)
{
    struct cli_strlist names = {NULL, 0, 0};
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (d == NULL) {
        (void)fprintf(stderr, "dcnumc: cannot read folder %s\n", dir);
        return -1;
    }
    /* readdir() is unsafe only on a stream shared between threads; d is
     * this call's own, and the scan runs before any run starts threads */
    // NOLINTNEXTLINE(concurrency-mt-unsafe): see above
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            rc = cli_strlist_add(&names, e->d_name);
    closedir(d);
    if (names.n > 1)
        qsort(names.items, names.n, sizeof(char *), compare_names);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        rc = scan_entry(l, dir, names.items[i], recursive);
    cli_strlist_release(&names);
    return rc;
}

int
cli_collect_inputs(struct cli_strlist *l, const char *path, bool recursive)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        (void)fprintf(stderr, "dcnumc: %s: no such file or folder\n", path);
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return scan_folder(l, path, recursive);
    return cli_strlist_add(l, path);
}

char *
cli_path_in_dir(const char *dir, const char *input)
{
    const char *base = strrchr(input, '/');
    const char *dot;
    size_t stem, len;
    char *out;

    base = base != NULL ? base + 1 : input;
    dot = strrchr(base, '.');
    stem = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    len = strlen(dir) + stem + sizeof("/_dcn.rtdc");
    out = malloc(len);
    if (out != NULL)
        (void)snprintf(out, len, "%s/%.*s_dcn.rtdc", dir, (int)stem,
                       base); /* len fits it */
    return out;
}

void
cli_progress_init(struct cli_progress *p, const char *name, bool quiet)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO) == 1;
    clock_gettime(CLOCK_MONOTONIC, &p->last_line);
}

static void
format_eta(char *buf, size_t len, double seconds)
{
    long s = seconds > 0 && seconds < 1e7 ? (long)(seconds + 0.5) : 0;

    (void)snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

static void
draw_bar(const struct dcn_run_progress *pr, double rate, const char *eta)
{
    double frac =
            pr->frames > 0 ? (double)pr->frames_done / (double)pr->frames : 1.0;
    char bar[31];
    int fill = (int)(frac * 30.0);

    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    (void)fprintf(stderr,
                  "\r%-12s [%s] %5.1f%% %llu/%llu frames, %llu events, %.0f "
                  "frames/s, ETA %s ",
                  pr->phase, bar, 100.0 * frac,
                  (unsigned long long)pr->frames_done,
                  (unsigned long long)pr->frames,
                  (unsigned long long)pr->events, rate, eta);
}

void
cli_progress_report(const struct dcn_run_progress *pr, void *user)
{
    struct cli_progress *p = user;
    double rate = pr->seconds > 0 ? (double)pr->frames_done / pr->seconds : 0;
    double left =
            rate > 0 ? (double)(pr->frames - pr->frames_done) / rate : 0.0;
    char eta[32];
    struct timespec now;

    if (p->quiet)
        return;
    format_eta(eta, sizeof(eta), left);
    if (p->tty) {
        draw_bar(pr, rate, eta);
        p->drawn = true;
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - p->last_line.tv_sec < 5 && pr->frames_done < pr->frames)
        return;
    p->last_line = now;
    (void)fprintf(stderr,
                  "%s: %s %llu/%llu frames, %llu events, %.0f frames/s, ETA "
                  "%s\n",
                  p->name, pr->phase, (unsigned long long)pr->frames_done,
                  (unsigned long long)pr->frames,
                  (unsigned long long)pr->events, rate, eta);
}

void
cli_progress_end(struct cli_progress *p)
{
    if (p->drawn)
        (void)fputc('\n', stderr);
    p->drawn = false;
}

/* A JSON string literal with the escapes JSON requires. */
static void
json_string(FILE *out, const char *s)
{
    (void)fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            (void)fprintf(out, "\\%c", *c);
        else if (*c < 0x20)
            (void)fprintf(out, "\\u%04x", *c);
        else
            (void)fputc(*c, out);
    }
    (void)fputc('"', out);
}

void
cli_print_summary_json(FILE *out, const char *input,
                       const struct dcn_run_result *res)
{
    double fps = res->seconds > 0 ? (double)res->frames / res->seconds : 0;

    (void)fputs("{\"input\": ", out);
    json_string(out, input);
    (void)fputs(", \"output\": ", out);
    json_string(out, res->output);
    (void)fprintf(out,
                  ", \"frames\": %llu, \"events\": %llu, \"masks_dropped\": "
                  "%llu, \"seconds\": %.3f, \"frames_per_second\": %.1f, "
                  "\"ppid\": ",
                  (unsigned long long)res->frames,
                  (unsigned long long)res->events,
                  (unsigned long long)res->masks_dropped, res->seconds, fps);
    json_string(out, res->ppid);
    (void)fprintf(out, ", \"hash\": \"%s\", \"skipped\": %s}\n", res->hash,
                  res->skipped ? "true" : "false");
}

long
cli_fork(void)
{
    (void)fflush(stdout);
    (void)fflush(stderr);
    return (long)fork();
}

void
cli_child_exit(int code)
{
    if (fflush(stdout) != 0 && code == 0)
        code = 1;
    (void)fflush(stderr);
    _exit(code);
}

int
cli_wait_child(long pid, int *sig)
{
    int st = 0;
    pid_t got;

    *sig = 0;
    do {
        got = waitpid((pid_t)pid, &st, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return -1;
    if (WIFSIGNALED(st)) {
        *sig = WTERMSIG(st);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
cli_report_signal(const char *cmd, const char *what, const char *subject,
                  int sig, const char *tail)
{
    (void)fprintf(stderr, "%s: %s: %s %s (signal %d, %s)%s\n", cmd, what,
                  subject, sig == SIGKILL ? "was killed" : "crashed", sig,
                  strsignal(sig), // NOLINT(concurrency-mt-unsafe): 1 thread
                  tail);
}
