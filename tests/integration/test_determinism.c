/* SPDX-License-Identifier: MIT */
/*
 * test_determinism.c - the output does not depend on the number of
 * workers, nor on threads vs processes (style.md rule 38, issue 6).
 *
 * cytoshot-x5 (200 frames, 275 events) is processed with 1, 2 and 8
 * worker threads and with 2 and 8 worker processes.  Every dataset in
 * /events, /basin_events and /basins must be stored identically: the same
 * chunk offsets, filter masks and compressed bytes, and the same
 * attributes; so must the root attributes (PPIDs, hash, yield, run
 * identifier, metadata).  (The logs record the worker count and timings,
 * as dcnum's do, and are not compared.)
 */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dcnumc/job.h"
#include "dcnumc/run.h"
#include "testdata.h"

#define MAX_SETS 512

struct fingerprint {
    char names[MAX_SETS][96];
    char md5[MAX_SETS][33];
    size_t n;
};

static int
run_with(const char *in, const char *out, const char *workers, const char *kind)
{
    struct dcn_job job;
    struct dcn_run_options opts = DCN_RUN_OPTIONS_INIT;
    struct dcn_run_result res;
    struct dcn_error err = DCN_ERROR_INIT;
    int rc;

    dcn_job_init(&job);
    rc = dcn_job_set_path_in(&job, in, &err);
    if (rc == DCN_OK)
        rc = dcn_job_set_path_out(&job, out, &err);
    if (rc == DCN_OK)
        rc = dcn_job_set_num_procs(&job, workers, &err);
    if (rc == DCN_OK)
        rc = dcn_job_set_worker_kind(&job, kind, &err);
    opts.force = true;
    if (rc == DCN_OK)
        rc = dcn_run(&job, &opts, &res, &err);
    if (rc != DCN_OK)
        (void)fprintf(stderr, "%s %s: %s\n", workers, kind, err.msg);
    dcn_job_release(&job);
    return rc;
}

/* One entry: the attributes of object, as "<object>@attrs". */
static void
add_attrs(struct fingerprint *fp, const char *file, const char *object)
{
    int len;

    if (fp->n >= MAX_SETS)
        return;
    len = snprintf(fp->names[fp->n], sizeof(fp->names[0]), "%s@attrs", object);
    if (!CHECK(len >= 0 && (size_t)len < sizeof(fp->names[0])))
        return;
    CHECK_EQ(td_attrs_md5(fp->md5[fp->n], file, object), 0);
    fp->n++;
}

/* Every dataset of group: its stored chunks, then its attributes. */
static void
add_group(struct fingerprint *fp, const char *file, const char *group)
{
    char **names;
    size_t n;

    if (td_list_group(&names, &n, file, group) != 0)
        return;
    for (size_t i = 0; i < n && fp->n < MAX_SETS; i++) {
        char path[96];
        int len = snprintf(path, sizeof(path), "%s/%s", group, names[i]);

        if (!CHECK(len >= 0 && (size_t)len < sizeof(path)))
            continue;
        (void)snprintf(fp->names[fp->n], sizeof(fp->names[0]), "%s", path);
        CHECK_EQ(td_stored_md5(fp->md5[fp->n], file, path), 0);
        fp->n++;
        add_attrs(fp, file, path);
    }
    td_names_free(names, n);
}

static void
fingerprint(struct fingerprint *fp, const char *file)
{
    fp->n = 0;
    add_attrs(fp, file, "/");
    add_group(fp, file, "/events");
    add_group(fp, file, "/basin_events");
    add_group(fp, file, "/basins");
}

/* $TMPDIR, or NULL; called before any worker thread starts. */
static const char *
tmpdir_env(void)
{
    return getenv("TMPDIR"); // NOLINT(concurrency-mt-unsafe): no threads yet
}

/* The output path in $TMPDIR (or /tmp); 0, or -1 if too long. */
static int
output_path(char out[PATH_MAX])
{
    const char *tmp = tmpdir_env();
    int len = snprintf(out, PATH_MAX, "%s/dcnumc-determinism-%d.rtdc",
                       tmp != NULL ? tmp : "/tmp", (int)getpid());

    return len >= 0 && len < PATH_MAX ? 0 : -1;
}

/* The datasets of fp are those of ref, stored identically. */
static void
check_same_as_reference(const struct fingerprint *fp,
                        const struct fingerprint *ref,
                        const char *const config[2])
{
    CHECK_EQ(fp->n, ref->n);
    for (size_t i = 0; i < fp->n && i < ref->n; i++) {
        CHECK_STR_EQ(fp->names[i], ref->names[i]);
        if (!CHECK(strcmp(fp->md5[i], ref->md5[i]) == 0))
            (void)fprintf(stderr, "  %s differs with %s %s\n", fp->names[i],
                          config[0], config[1]);
    }
}

int
main(void)
{
    static const char *const configs[][2] = {
            {"1", "threads"},   {"2", "threads"},   {"8", "threads"},
            {"2", "processes"}, {"8", "processes"},
    };
    static struct fingerprint ref, fp;
    char in[PATH_MAX], out[PATH_MAX];

    td_path(in, "inputs/cytoshot-x5.rtdc");
    if (!CHECK(output_path(out) == 0))
        return check_report();
    for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
        struct fingerprint *f = c == 0 ? &ref : &fp;

        CHECK_EQ(run_with(in, out, configs[c][0], configs[c][1]), DCN_OK);
        fingerprint(f, out);
        unlink(out);
        printf("%s %s: %zu datasets and attribute sets\n", configs[c][0],
               configs[c][1], f->n);
        if (c > 0)
            check_same_as_reference(&fp, &ref, configs[c]);
    }
    CHECK(ref.n > 50); /* the comparison saw the whole output */
    return check_report();
}
