/* SPDX-License-Identifier: MIT */
/*
 * run_finish.c - the last steps of a run (format.md §3.6): the internal
 * background basin (sparsemed), the "dcnum basin" file basins to the
 * input (tap: its frame features, its image), dcnum's root attributes, the job
 * log, the input's metadata, logs and tables, the run identifier and the run
 * log; then the temporary output is renamed into place.
 *
 * dcnum's own attributes are written before the input's metadata is
 * copied with "set only if absent", so dcnum's values win; the run
 * identifier is set last.  Background data and logs are always zstd-5,
 * whatever the job's compression (format.md §2.4).
 */
#define _DEFAULT_SOURCE /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcnumc/dcnumc.h"
#include "job_json.h"
#include "run_internal.h"

/* The internal basin with the sparsemed images (format.md §2.5). */
static int
background_basin(struct dcn_run *run, struct run_output *o)
{
    static const char *const features[] = {"image_bg"};
    char description[DCN_PPID_PART_MAX + 32];
    const char *mapping = o->bm1_equals_bm0 ? "basinmap0" : "basinmap1";
    struct dcn_feature_spec spec = {"basin_events", "image_bg", DCN_WT_U8,
                                    run->height, run->width};
    struct dcn_basin b;
    int rc;

    if (run->bg.nimages == 0)
        return DCN_OK; /* D10: an empty measurement has no background */
    rc = dcn__writer_feature_write(o->w, &spec, run_bg_stack(run),
                                   run->bg.nimages, &run->err);
    /* Equal mappings share basinmap0, as dcnum's allocation does. */
    if (rc == DCN_OK && o->bm1_equals_bm0 && o->bm1 != NULL)
        rc = dcn__writer_delete(o->w, "events/basinmap1", &run->err);
    /* fits: ppid.bg is shorter than DCN_PPID_PART_MAX */
    (void)snprintf(description, sizeof(description), "Pipeline identifier: %s",
                   run->ppid.bg);
    memset(&b, 0, sizeof(b));
    b.type = DCN_WBASIN_INTERNAL;
    b.name = "background images";
    b.description = description;
    b.features = features;
    b.nfeatures = 1;
    b.mapping = mapping;
    return rc == DCN_OK ? dcn__writer_basin(o->w, &b, NULL, &run->err) : rc;
}

/* The end of the last whole path component target and base share. */
static size_t
common_components(const char *target, const char *base)
{
    size_t common = 0;

    for (size_t i = 0;; i++) {
        if ((target[i] == '\0' || target[i] == '/') &&
            (base[i] == '\0' || base[i] == '/'))
            common = i;
        if (target[i] != base[i] || target[i] == '\0')
            return common;
    }
}

/* Append "/" (unless dst is empty) and s to dst of cap bytes holding *len;
 * *len counts what did not fit, too. */
static void
append_component(char *dst, size_t cap, size_t *len, const char *s)
{
    int n = snprintf(*len < cap ? dst + *len : NULL,
                     *len < cap ? cap - *len : 0, "%s%s", *len > 0 ? "/" : "",
                     s);

    *len += (size_t)n;
}

/*
 * Python's os.path.relpath(target, base) for two absolute, normalised
 * paths: the common leading components dropped, one ".." per remaining
 * component of base.  0, or -1 if dst is too small.
 */
static int
relative_path(char *dst, size_t cap, const char *target, const char *base)
{
    size_t common = common_components(target, base), len = 0;
    const char *rest = target + common;

    dst[0] = '\0';
    for (const char *b = base + common; *b != '\0'; b++)
        if (*b != '/' && (b[-1] == '/'))
            append_component(dst, cap, &len, "..");
    while (*rest == '/')
        rest++;
    if (*rest != '\0')
        append_component(dst, cap, &len, rest);
    if (len == 0)
        append_component(dst, cap, &len, ".");
    return len < cap ? 0 : -1;
}

/* The absolute directory of path (PATH_MAX bytes in dir); 0 or -1. */
static int
absolute_dir_of(const char *path, char *dir)
{
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');

    /* fits: resolve_paths() keeps path_out shorter than DCN_RUN_PATH_MAX */
    _Static_assert(DCN_RUN_PATH_MAX <= PATH_MAX, "tmp holds path_out");
    if (slash == NULL) /* "out.rtdc": the working directory */
        (void)snprintf(tmp, sizeof(tmp), ".");
    else
        (void)snprintf(tmp, sizeof(tmp), "%.*s",
                       slash > path ? (int)(slash - path) : 1, path);
    return realpath(tmp, dir) != NULL ? 0 : -1;
}

/* One "dcnum basin" file basin to the input (format.md §2.5, §2.9): its
 * absolute path and, where one can be formed, the path relative to the
 * output's directory. */
static int
input_basin(struct dcn_run *run, struct run_output *o,
            const char *const *features, size_t n)
{
    char description[96], dir[PATH_MAX], rel[PATH_MAX];
    const char *paths[2] = {run->path_in, rel};
    struct dcn_basin b;

    if (n == 0)
        return DCN_OK;
    /* fits: the version is short */
    (void)snprintf(description, sizeof(description), "Created with dcnumc %s",
                   dcn_version());
    memset(&b, 0, sizeof(b));
    b.type = DCN_WBASIN_FILE;
    b.name = "dcnum basin";
    b.description = description;
    b.paths = paths;
    b.npaths = absolute_dir_of(run->path_out, dir) == 0 &&
                               relative_path(rel, sizeof(rel), run->path_in,
                                             dir) == 0
                       ? 2
                       : 1;
    b.identifier = dcn_rtdc_measurement_id(run->in);
    b.features = features;
    b.nfeatures = n;
    /* an identity basinmap0 is no mapping (format.md §3.6 step 1) */
    b.mapping = o->bm0_identity && o->events == dcn_rtdc_len_raw(run->in)
                        ? NULL
                        : "basinmap0";
    return dcn__writer_basin(o->w, &b, NULL, &run->err);
}

/* tap: basins for the input's frame features, then for its image. */
static int
input_basins(struct dcn_run *run, struct run_output *o)
{
    const char *names[RUN_MAX_PROTECTED];
    static const char *const image[] = {"image"};
    int rc;

    if (!run->tap)
        return DCN_OK;
    for (size_t p = 0; p < run->nprot; p++)
        names[p] = run->prot[p].name;
    rc = input_basin(run, o, names, run->nprot);
    return rc == DCN_OK ? input_basin(run, o, image, 1) : rc;
}

static int
pipeline_attrs(struct dcn_run *run, struct run_output *o)
{
    static const char *const names[] = {
            "pipeline:dcnum generation", "pipeline:dcnum data",
            "pipeline:dcnum background", "pipeline:dcnum segmenter",
            "pipeline:dcnum feature",    "pipeline:dcnum gate",
            "pipeline:dcnum hash",       "pipeline:dcnum mapping"};
    const char *values[] = {run->ppid.gen,  run->ppid.dat,    run->ppid.bg,
                            run->ppid.seg,  run->ppid.feat,   run->ppid.gate,
                            run->ppid.hash, run->ppid.mapping};
    int rc = DCN_OK;

    for (size_t i = 0; rc == DCN_OK && i < 8; i++)
        rc = dcn__writer_attr_str(o->w, names[i], values[i], &run->err);
    if (rc == DCN_OK)
        rc = dcn__writer_attr_i64(o->w, "pipeline:dcnum yield",
                                  (int64_t)o->events, &run->err);
    if (rc == DCN_OK)
        rc = dcn__writer_attr_i64(o->w, "experiment:event count",
                                  (int64_t)o->events, &run->err);
    if (rc == DCN_OK)
        rc = dcn__writer_attr_f64(o->w, "imaging:pixel size",
                                  run->resolved.pixel_size, &run->err);
    return rc;
}

static int
job_log(struct dcn_run *run, struct run_output *o, const char *name)
{
    struct dcn__job_log_info info = {run->path_out, (int)run->nworkers, true,
                                     true};
    char **lines = NULL;
    size_t n = 0;
    int rc = dcn__job_log_lines(&lines, &n, &run->resolved, &run->ppid, &info,
                                &run->err);

    if (rc == DCN_OK)
        rc = dcn__writer_log(o->w, name, (const char *const *)lines, n, false,
                             &run->err);
    dcn__job_log_lines_free(lines, n);
    return rc;
}

static int
run_identifier(struct dcn_run *run, struct run_output *o)
{
    char id[DCN_MEASUREMENT_ID_MAX + 16];
    int rc = dcn_run_identifier(
            id, sizeof(id), dcn_rtdc_measurement_id(run->in), run->ppid.hash);

    if (rc < 0)
        return dcn_error_set(&run->err, rc, "%s: run identifier too long",
                             run->path_in);
    return dcn__writer_attr_str(o->w, "experiment:run identifier", id,
                                &run->err);
}

/* dcnum's closing log lines (timings, invalid masks, no events). */
static void
summary_lines(struct dcn_run *run, struct run_output *o)
{
    static const char *const what[] = {"Data load", "Segmentation", "Labeling",
                                       "Label processing",
                                       "Feature extraction"};
    int64_t dropped =
            dcn__slot_register_counter(run->reg, DCN_COUNTER_MASKS_DROPPED);

    for (int i = 0; i < 5; i++)
        run_log(run, "INFO", "%s time: %.3f s (all workers)", what[i],
                dcn__slot_register_time(run->reg, (enum dcn_task_timer)i));
    run_log(run, dropped > 0 ? "WARNING" : "INFO",
            "Encountered %lld invalid masks", (long long)dropped);
    if (o->events == 0)
        run_log(run, "ERROR",
                "No events found in %s! Please check the input file or "
                "revise your pipeline",
                run->path_in);
    else
        run_log(run, "INFO",
                "Finished segmentation and feature extraction: "
                "%llu events in %llu frames",
                (unsigned long long)o->events, (unsigned long long)o->frames);
    run_log(run, "INFO", "Run duration: %.3f s", run_elapsed(run));
}

/* "dcnum-job-<UTC>" and "dcnum-log-<UTC>" of the same start time. */
static int
log_names(struct dcn_run *run, char *job, char *log, size_t len)
{
    int rc = dcn__job_log_name(job, len, run->start_utc);
    char *at = strstr(job, "-job-");

    if (rc < 0 || at == NULL)
        return dcn_error_set(&run->err, DCN_EINVAL, "bad log name");
    /* fits: as long as the job's name, which fits */
    (void)snprintf(log, len, "%.*s-log-%s", (int)(at - job), job, at + 5);
    return DCN_OK;
}

static int
finish_steps(struct dcn_run *run, struct run_output *o)
{
    char job_name[64], log_name[64];
    int rc = log_names(run, job_name, log_name, sizeof(job_name));

    dcn__writer_set_level(o->w, 5);
    if (rc == DCN_OK)
        rc = background_basin(run, o);
    if (rc == DCN_OK)
        rc = input_basins(run, o);
    if (rc == DCN_OK)
        rc = pipeline_attrs(run, o);
    if (rc == DCN_OK)
        rc = job_log(run, o, job_name);
    if (rc == DCN_OK)
        rc = dcn__writer_copy_metadata(o->w, run->path_in, &run->err);
    if (rc == DCN_OK)
        rc = run_identifier(run, o);
    if (rc == DCN_OK) {
        summary_lines(run, o);
        /* An input made in the same second has a log of this name, and
         * copy_metadata brought it in; this run's log wins, as its job
         * log and attributes do (dcnum fails here). */
        rc = dcn__writer_log(o->w, log_name, (const char *const *)run->log,
                             run->nlog, true, &run->err);
    }
    return rc;
}

int
run_finish(struct dcn_run *run, struct run_output *o)
{
    int rc = finish_steps(run, o);

    if (rc < 0) {
        dcn__writer_abort(o->w);
        return rc;
    }
    return dcn__writer_commit(o->w, &run->err);
}
