/* SPDX-License-Identifier: MIT */
/*
 * run.h - run one job: background, segmentation, features, output file.
 *
 * dcn_run() processes job->path_in into job->path_out (or the default
 * <stem>_dcn.rtdc) with dcnum's results.  The output is written to a
 * temporary file next to the target and renamed into place only when it
 * is complete; on any failure or cancellation no output file is left
 * behind.  Not thread-safe with respect to the same job; two runs in one
 * process do not share state.
 */
#ifndef DCNUMC_RUN_H
#define DCNUMC_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/job.h"
#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a progress callback sees; borrowed for the duration of the call. */
struct dcn_run_progress {
    const char *phase; /* "background", "segmentation", "plumbing" */
    uint64_t frames;   /* frames of the measurement (after mapping) */
    uint64_t frames_done;
    uint64_t events; /* events found so far */
    double seconds;  /* since the run started */
};

/* Called from the run's main thread: once as each phase begins
 * ("background", then "plumbing" once every event is written) and every
 * interval seconds during "segmentation". */
typedef void (*dcn_progress_fn)(const struct dcn_run_progress *progress,
                                void *user);

struct dcn_run_options {
    dcn_progress_fn progress; /* NULL: no progress reports */
    void *progress_user;
    double progress_interval; /* seconds between reports, e.g. 0.2 */
    /* Polled by the run (after the background and every
     * progress_interval during segmentation); when it becomes non-zero
     * (e.g. from a SIGINT handler) the run stops, removes its temporary
     * files and returns DCN_ECANCELED.  NULL: not cancellable. */
    const volatile sig_atomic_t *cancel;
    uint64_t limit_events; /* 0: no limit (--limit-events) */
    bool force;   /* redo even if the output exists with the same hash */
    bool dry_run; /* compute identifiers and the plan, write nothing */
};

#define DCN_RUN_OPTIONS_INIT                   \
    {                                          \
        NULL, NULL, 0.2, NULL, 0, false, false \
    }

#define DCN_RUN_PATH_MAX 4096

struct dcn_run_result {
    uint64_t frames; /* frames processed */
    uint64_t events; /* events written */
    uint64_t masks_dropped;
    double seconds;
    bool skipped; /* the output exists with the same pipeline hash */
    char output[DCN_RUN_PATH_MAX];
    char ppid[6 * 256 + 8];
    char hash[33];
};

/*
 * Run job.  Returns DCN_OK (result filled), or a negative status with
 * err naming the file, dataset and (where it applies) frame:
 * DCN_ENOTFOUND / DCN_EFORMAT / DCN_EIO for bad input, DCN_EEXIST if the
 * output exists (and !force), DCN_ECANCELED when cancelled, DCN_EWORKER
 * when a worker died.  options may be NULL for the defaults.
 */
DCN_API int dcn_run(const struct dcn_job *job,
                    const struct dcn_run_options *options,
                    struct dcn_run_result *result, struct dcn_error *err);

/*
 * The temporary output a run of job in process pid writes before it
 * renames it to the output path ("<dir>/<stem>_output_<host>_<pid>.rtdc~").
 * For supervisors: a run that dies by a signal leaves it behind.  *out is
 * owned by the caller (dcn_free_string()); DCN_OK, DCN_EINVAL or
 * DCN_ENOMEM.
 */
DCN_API int dcn_run_temp_path(char **out, const struct dcn_job *job, long pid,
                              struct dcn_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_RUN_H */
