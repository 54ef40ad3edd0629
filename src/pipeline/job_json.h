/* SPDX-License-Identifier: MIT */
/*
 * job_json.h - the "dcnum-job-<UTC start>" log of an output file
 * (format.md §3.6 cleanup step 2): the job as pretty JSON, one line per
 * element, keys sorted, as dcnum's json.dumps(indent=2, sort_keys=True).
 */
#ifndef DCN_PIPELINE_JOB_JSON_H
#define DCN_PIPELINE_JOB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dcnumc/job.h"

/* What the job log records besides the job and its identifiers. */
struct dcn__job_log_info {
    const char *path_out; /* resolved output path; borrowed */
    int num_procs;        /* resolved worker count */
    bool task_background;
    bool task_segmentation;
};

/* "dcnum-job-%Y-%m-%d-%H.%M.%S" of start (UTC) into buf. */
int dcn__job_log_name(char *buf, size_t len, time_t start);

/*
 * The log lines.  *lines (an array of *nlines strings) is caller-freed
 * with dcn__job_log_lines_free().  DCN_ENOMEM.
 */
int dcn__job_log_lines(char ***lines, size_t *nlines, const struct dcn_job *job,
                       const struct dcn_ppid *ids,
                       const struct dcn__job_log_info *info,
                       struct dcn_error *err);

/* Free the result of dcn__job_log_lines(); NULL is a no-op. */
void dcn__job_log_lines_free(char **lines, size_t nlines);

/* The whole JSON text (lines joined by '\n'); caller frees with
 * dcn__free().  DCN_ENOMEM. */
int dcn__job_log_text(char **text, const struct dcn_job *job,
                      const struct dcn_ppid *ids,
                      const struct dcn__job_log_info *info,
                      struct dcn_error *err);

#endif /* DCN_PIPELINE_JOB_JSON_H */
