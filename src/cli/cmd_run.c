/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `dcnumc run`: process .rtdc files and folders.
 *
 * Options are collected first and applied to each input's job in
 * dcnum's order (codes before their keyword arguments), so they may be
 * given in any order on the command line.  Each input is one dcn_run()
 * in a child process that this one supervises: a run that crashes (a
 * damaged file can crash libhdf5 itself) or is killed is reported with
 * the input's name, its temporary output is removed, and the other
 * inputs still run.  Ctrl-C stops the current run cleanly (no output
 * file left) and exits with 130.  Unlike dcnum's job, the command
 * defaults to the basin strategy tap (chipstream-cli's default);
 * --basin-strategy drain or --drain-basins gives dcnum's drain layout.
 */
#define _DEFAULT_SOURCE /* strdup, DT_DIR */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "dcnumc/job.h"
#include "dcnumc/run.h"

#define MAX_KW 64

/* One --*-kw KEY=VALUE, in command-line order within its group. */
struct kw_option {
    enum dcn_kw_group group;
    const char *key_value;
};

struct run_cli {
    const char *output;     /* -o */
    const char *output_dir; /* --output-dir */
    bool recursive, json, force, dry_run, quiet;
    const char *background, *segmenter, *basin_strategy, *compression;
    const char *num_workers, *worker_kind;
    unsigned long long limit_events;
    struct kw_option kws[MAX_KW];
    size_t nkw;
    struct cli_strlist inputs; /* files found */
};

static volatile sig_atomic_t interrupted;
/* The run being supervised (0: none); signals are passed on to it. */
static volatile sig_atomic_t supervised_pid;

static void
on_sigint(int sig)
{
    interrupted = 1;
    if (supervised_pid > 0)
        (void)kill((pid_t)supervised_pid, sig);
}

static void
run_usage(FILE *out)
{
    (void)fputs(
            "usage: dcnumc run INPUT... [-o OUT | --output-dir DIR] [-r] "
            "[options]\n"
            "\n"
            "Process RT-DC measurements (.rtdc files, or folders of them) "
            "into\n"
            "per-cell features, exactly as dcnum does.  Each INPUT.rtdc "
            "gives\n"
            "INPUT_dcn.rtdc next to it, unless -o or --output-dir says "
            "otherwise.\n"
            "An input whose output already exists with the same pipeline "
            "is\n"
            "skipped (use --force to redo it).\n"
            "\n"
            "where the results go:\n"
            "  -o, --output FILE        output file (one input only)\n"
            "      --output-dir DIR     write all outputs into DIR\n"
            "  -r, --recursive          look for .rtdc files in sub-folders "
            "too\n"
            "      --force              redo inputs that were processed "
            "already\n"
            "      --dry-run            print the pipeline identifier and "
            "what\n"
            "                           would be done; write nothing\n"
            "\n"
            "the pipeline (dcnum's names and defaults):\n"
            "      --background NAME    sparsemed (default), rollmed, copy\n"
            "      --background-kw K=V  e.g. kernel_size=200, split_time=1.0,\n"
            "                           thresh_cleansing=0, "
            "frac_cleansing=0.8,\n"
            "                           offset_correction=true (sparsemed);\n"
            "                           kernel_size=100, batch_size=10000 "
            "(rollmed)\n"
            "      --segmenter NAME     thresh (default); torchmpo (a dcnum "
            ".dcnm model on\n"
            "                           the CPU), torchsto (on a CUDA GPU)\n"
            "      --segmenter-kw K=V   thresh=-6 (must be negative); "
            "model_file=PATH\n"
            "                           (torchmpo, torchsto: required)\n"
            "      --mask-kw K=V        clear_border=true, fill_holes=true,\n"
            "                           closing_disk=2 (torch segmenters: "
            "0)\n"
            "      --feature-kw K=V     brightness=true, haralick=true, "
            "volume=true\n"
            "      --gate-kw K=V        online_gates=false, "
            "size_thresh_mask=10\n"
            "      --data-kw K=V        pixel_size=0.34 (else from the "
            "file),\n"
            "                           index_mapping=N | START:STOP[:STEP] "
            "| I,J,...\n"
            "      --basin-strategy S   tap (default, as chipstream-cli: "
            "reference the\n"
            "                           input's images and frame features "
            "through\n"
            "                           file basins) or drain (dcnum's job "
            "default:\n"
            "                           copy them into the output)\n"
            "      --drain-basins       the same as --basin-strategy drain\n"
            "      --compression C      zstd-5 (default), zstd-1 .. zstd-9, "
            "none\n"
            "\n"
            "running:\n"
            "      --num-workers N      worker count (default: the CPUs "
            "available;\n"
            "                           also DCNUMC_NUM_WORKERS)\n"
            "      --workers KIND       threads (default) or processes\n"
            "      --limit-events N     stop after about N events\n"
            "      --json               print one JSON summary line per "
            "input\n"
            "  -q, --quiet              no progress output\n"
            "  -h, --help               show this help\n"
            "\n"
            "exit status: 0 all inputs processed (or skipped), 1 a run "
            "failed\n"
            "(or the report on stdout could not be written), 2 bad options, "
            "3 a bad\n"
            "input file, 130 interrupted.\n",
            out);
}

static int
add_kw(struct run_cli *c, enum dcn_kw_group group, const char *text)
{
    if (c->nkw == MAX_KW) {
        (void)fprintf(stderr, "dcnumc run: too many keyword options\n");
        return -1;
    }
    c->kws[c->nkw++] = (struct kw_option){group, text};
    return 0;
}

enum long_only {
    OPT_OUTPUT_DIR = 256,
    OPT_BACKGROUND,
    OPT_BACKGROUND_KW,
    OPT_SEGMENTER,
    OPT_SEGMENTER_KW,
    OPT_MASK_KW,
    OPT_FEATURE_KW,
    OPT_GATE_KW,
    OPT_DATA_KW,
    OPT_BASIN_STRATEGY,
    OPT_DRAIN_BASINS,
    OPT_COMPRESSION,
    OPT_NUM_WORKERS,
    OPT_WORKERS,
    OPT_LIMIT_EVENTS,
    OPT_DRY_RUN,
    OPT_FORCE,
    OPT_JSON,
};

static const struct option run_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
        {"recursive", no_argument, NULL, 'r'},
        {"background", required_argument, NULL, OPT_BACKGROUND},
        {"background-kw", required_argument, NULL, OPT_BACKGROUND_KW},
        {"segmenter", required_argument, NULL, OPT_SEGMENTER},
        {"segmenter-kw", required_argument, NULL, OPT_SEGMENTER_KW},
        {"mask-kw", required_argument, NULL, OPT_MASK_KW},
        {"feature-kw", required_argument, NULL, OPT_FEATURE_KW},
        {"gate-kw", required_argument, NULL, OPT_GATE_KW},
        {"data-kw", required_argument, NULL, OPT_DATA_KW},
        {"basin-strategy", required_argument, NULL, OPT_BASIN_STRATEGY},
        {"drain-basins", no_argument, NULL, OPT_DRAIN_BASINS},
        {"compression", required_argument, NULL, OPT_COMPRESSION},
        {"num-workers", required_argument, NULL, OPT_NUM_WORKERS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"limit-events", required_argument, NULL, OPT_LIMIT_EVENTS},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"force", no_argument, NULL, OPT_FORCE},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};

/* The keyword group of a --*-kw option, or -1. */
static int
kw_group_of(int opt)
{
    switch (opt) {
    case OPT_BACKGROUND_KW:
        return DCN_KW_BACKGROUND;
    case OPT_SEGMENTER_KW:
        return DCN_KW_SEGMENTER;
    case OPT_MASK_KW:
        return DCN_KW_MASK;
    case OPT_FEATURE_KW:
        return DCN_KW_FEATURE;
    case OPT_GATE_KW:
        return DCN_KW_GATE;
    case OPT_DATA_KW:
        return DCN_KW_DATA;
    default:
        return -1;
    }
}

static int
set_limit(struct run_cli *c, const char *text)
{
    char *end;

    errno = 0;
    c->limit_events = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        (void)fprintf(stderr,
                      "dcnumc run: --limit-events needs a whole number, not "
                      "'%s'\n",
                      text);
        return -1;
    }
    return 0;
}

/* Store a plain option; -1 (message printed) for an unknown one. */
static int
store_option(struct run_cli *c, int opt, const char *arg)
{
    int group = kw_group_of(opt);

    if (group >= 0)
        return add_kw(c, (enum dcn_kw_group)group, arg);
    switch (opt) {
    case 'o':
        c->output = arg;
        return 0;
    case OPT_OUTPUT_DIR:
        c->output_dir = arg;
        return 0;
    case 'r':
        c->recursive = true;
        return 0;
    case OPT_BACKGROUND:
        c->background = arg;
        return 0;
    case OPT_SEGMENTER:
        c->segmenter = arg;
        return 0;
    case OPT_BASIN_STRATEGY:
        c->basin_strategy = arg;
        return 0;
    case OPT_DRAIN_BASINS:
        c->basin_strategy = "drain";
        return 0;
    case OPT_COMPRESSION:
        c->compression = arg;
        return 0;
    case OPT_NUM_WORKERS:
        c->num_workers = arg;
        return 0;
    case OPT_WORKERS:
        c->worker_kind = arg;
        return 0;
    case OPT_LIMIT_EVENTS:
        return set_limit(c, arg);
    case OPT_DRY_RUN:
        c->dry_run = true;
        return 0;
    case OPT_FORCE:
        c->force = true;
        return 0;
    case OPT_JSON:
        c->json = true;
        return 0;
    case 'q':
        c->quiet = true;
        return 0;
    default:
        return -1;
    }
}

static int
parse_args(struct run_cli *c, int argc, char **argv)
{
    int opt;

    optind = 1;
    /* getopt's state is global; options are parsed before any thread */
    // NOLINTNEXTLINE(concurrency-mt-unsafe): see above
    while ((opt = getopt_long(argc, argv, "o:rqh", run_options, NULL)) != -1) {
        if (opt == 'h') {
            run_usage(stdout);
            return 1;
        }
        if (opt == '?' || store_option(c, opt, optarg) < 0) {
            (void)fprintf(stderr, "dcnumc run: see 'dcnumc run --help'\n");
            return -1;
        }
    }
    if (optind == argc) {
        (void)fprintf(stderr, "dcnumc run: no INPUT given (see 'dcnumc run "
                              "--help')\n");
        return -1;
    }
    if (c->output != NULL && c->output_dir != NULL) {
        (void)fprintf(stderr, "dcnumc run: -o and --output-dir exclude each "
                              "other\n");
        return -1;
    }
    for (int i = optind; i < argc; i++)
        if (cli_collect_inputs(&c->inputs, argv[i], c->recursive) < 0)
            return -1;
    if (c->output != NULL && c->inputs.n != 1) {
        (void)fprintf(
                stderr,
                "dcnumc run: -o needs exactly one input file (%zu found); "
                "use --output-dir\n",
                c->inputs.n);
        return -1;
    }
    return 0;
}

/* Apply one option value through setter; report a failure. */
static int
check_set(int rc, const struct dcn_error *err)
{
    if (rc < 0)
        (void)fprintf(stderr, "dcnumc run: %s\n", err->msg);
    return rc;
}

static int
apply_codes(struct dcn_job *job, const struct run_cli *c, struct dcn_error *err)
{
    int rc = DCN_OK;

    if (c->background != NULL)
        rc = dcn_job_set_background(job, c->background, err);
    if (rc == DCN_OK && c->segmenter != NULL)
        rc = dcn_job_set_segmenter(job, c->segmenter, err);
    if (rc == DCN_OK && c->basin_strategy != NULL)
        rc = dcn_job_set_basin_strategy(job, c->basin_strategy, err);
    if (rc == DCN_OK && c->compression != NULL)
        rc = dcn_job_set_compression(job, c->compression, err);
    if (rc == DCN_OK && c->worker_kind != NULL)
        rc = dcn_job_set_worker_kind(job, c->worker_kind, err);
    if (rc == DCN_OK && c->num_workers != NULL)
        rc = dcn_job_set_num_procs(job, c->num_workers, err);
    return rc;
}

/* Build the job of one input: codes first, then keyword arguments. */
static int
build_job(struct dcn_job *job, const struct run_cli *c, const char *input)
{
    struct dcn_error err = DCN_ERROR_INIT;
    char *out = NULL;
    int rc;

    dcn_job_init(job);
    rc = dcn_job_set_path_in(job, input, &err);
    if (rc == DCN_OK)
        rc = apply_codes(job, c, &err);
    for (size_t i = 0; rc == DCN_OK && i < c->nkw; i++)
        rc = dcn_job_set_kw(job, c->kws[i].group, c->kws[i].key_value, &err);
    if (rc == DCN_OK && c->output != NULL)
        rc = dcn_job_set_path_out(job, c->output, &err);
    if (rc == DCN_OK && c->output_dir != NULL) {
        out = cli_path_in_dir(c->output_dir, input);
        rc = out == NULL ? DCN_ENOMEM : dcn_job_set_path_out(job, out, &err);
        free(out);
    }
    if (rc == DCN_OK)
        rc = dcn_job_check(job, &err);
    return check_set(rc, &err);
}

static int
exit_code_for(int rc)
{
    switch (rc) {
    case DCN_OK:
        return DCN_EXIT_OK;
    case DCN_ECANCELED:
        return DCN_EXIT_INTERRUPTED;
    case DCN_ENOTFOUND:
    case DCN_EFORMAT:
    case DCN_EFILTER:
    case DCN_ECORRUPT:
    case DCN_EIO:
        return DCN_EXIT_INPUT;
    case DCN_EINVAL:
        return DCN_EXIT_USAGE;
    default:
        return DCN_EXIT_FAIL;
    }
}

static void
report_result(const struct run_cli *c, const char *input,
              const struct dcn_run_result *res)
{
    double fps = res->seconds > 0 ? (double)res->frames / res->seconds : 0;

    if (c->json) {
        cli_print_summary_json(stdout, input, res);
    } else if (c->dry_run) {
        printf("%s -> %s\n  pipeline %s\n  hash %s\n", input, res->output,
               res->ppid, res->hash);
    } else if (res->skipped) {
        printf("%s: skipped, %s has the same pipeline (%.7s); --force to "
               "redo\n",
               input, res->output, res->hash);
    } else if (!c->quiet) {
        printf("%s -> %s: %llu frames, %llu events in %.1f s (%.0f "
               "frames/s)\n",
               input, res->output, (unsigned long long)res->frames,
               (unsigned long long)res->events, res->seconds, fps);
    }
}

/* The run of one input, in the supervised child: an exit code. */
static int
run_job(const struct run_cli *c, const char *input, const struct dcn_job *job)
{
    struct dcn_run_options opts = DCN_RUN_OPTIONS_INIT;
    struct dcn_run_result res;
    struct dcn_error err = DCN_ERROR_INIT;
    struct cli_progress bar;
    int rc;

    cli_progress_init(&bar, input, c->quiet || c->json || c->dry_run);
    opts.progress = cli_progress_report;
    opts.progress_user = &bar;
    opts.cancel = &interrupted;
    opts.limit_events = c->limit_events;
    opts.force = c->force;
    opts.dry_run = c->dry_run;
    rc = dcn_run(job, &opts, &res, &err);
    cli_progress_end(&bar);
    if (rc == DCN_OK)
        report_result(c, input, &res);
    else
        (void)fprintf(stderr, "dcnumc run: %s\n",
                      err.msg[0] != '\0' ? err.msg : dcn_strerror(rc));
    return exit_code_for(rc);
}

/* Remove the temporary output of the run in process pid, if it is still
 * there (a run that ends normally has removed or renamed it; one that
 * died, or that a sanitizer ended, has not). */
static void
remove_leftover(const struct dcn_job *job, pid_t pid)
{
    struct dcn_error err = DCN_ERROR_INIT;
    char *temp = NULL;

    if (dcn_run_temp_path(&temp, job, (long)pid, &err) == DCN_OK)
        (void)unlink(temp);
    dcn_free_string(temp);
}

/* Wait for the supervised run; its exit code.  A run that died by a
 * signal is reported. */
static int
supervise(const char *input, const struct dcn_job *job, pid_t pid)
{
    int sig = 0;
    int code = cli_wait_child((long)pid, &sig);

    supervised_pid = 0;
    remove_leftover(job, pid);
    if (code >= 0)
        return code;
    if (sig != 0)
        cli_report_signal("dcnumc run", input, "the run", sig,
                          "; no output was written");
    else
        (void)fprintf(stderr, "dcnumc run: %s: lost the run\n", input);
    return DCN_EXIT_FAIL;
}

static int
run_one(const struct run_cli *c, const char *input)
{
    struct dcn_job job;
    sigset_t stop;
    sigset_t old;
    pid_t pid;
    int code;

    if (build_job(&job, c, input) < 0) {
        dcn_job_release(&job);
        return DCN_EXIT_USAGE;
    }
    /* Ctrl-C between fork() and noting the pid waits until it is noted,
     * so that it reaches the run. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    pid = (pid_t)cli_fork();
    if (pid > 0)
        supervised_pid = pid;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid == 0)
        cli_child_exit(run_job(c, input, &job));
    if (pid < 0) {
        char why[128] = "";

        (void)strerror_r(errno, why, sizeof(why));
        (void)fprintf(stderr, "dcnumc run: %s: cannot start the run: %s\n",
                      input, why);
        code = DCN_EXIT_FAIL;
    } else {
        code = supervise(input, &job, pid);
    }
    dcn_job_release(&job);
    return code;
}

int
dcn_cli_run(int argc, char **argv)
{
    struct run_cli c;
    struct sigaction sa;
    int status = DCN_EXIT_OK;
    int rc;

    memset(&c, 0, sizeof(c));
    /* The command stores basins to the input, as chipstream-cli does
     * (issue 12); the job API keeps dcnum's drain. */
    c.basin_strategy = "tap";
    rc = parse_args(&c, argc, argv);
    if (rc != 0) {
        cli_strlist_release(&c.inputs);
        return rc > 0 ? DCN_EXIT_OK : DCN_EXIT_USAGE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for (size_t i = 0; i < c.inputs.n && !interrupted; i++) {
        int code = run_one(&c, c.inputs.items[i]);

        /* The worst outcome decides: interrupted > usage > input > fail. */
        if (code == DCN_EXIT_INTERRUPTED || status == DCN_EXIT_OK ||
            (code != DCN_EXIT_OK && code > status))
            status = code != DCN_EXIT_OK ? code : status;
    }
    cli_strlist_release(&c.inputs);
    return interrupted ? DCN_EXIT_INTERRUPTED : status;
}
