/* SPDX-License-Identifier: MIT */
/*
 * test_parity.c - dcnumc's output against dcnum's reference output, end
 * to end (issue 6): for every sample and variant it supports, run the
 * pipeline through the public API and compare with
 * ../shared/data/reference/<stem>/<variant>/:
 *   - the event count and experiment:event count;
 *   - every column of features.csv: bit-identical doubles, except tilt
 *     (<= 2 ulp, issue 12) and tex_* (rtol 1e-9), as the tolerance
 *     contract says; the worst deviation per feature is printed;
 *   - every mask (masks.csv: pixel count and md5 of the 0/1 image);
 *   - the pipeline:dcnum attributes, event count, pixel size and run
 *     identifier, and every dataset of dcnum's output (shape, dtype).
 *   - basin strategy tap: no image or frame in the output's own /events,
 *     and both read back through its file basins (with dcnumc's reader)
 *     equal the input's frames at basinmap0.
 */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dcnumc/job.h"
#include "dcnumc/run.h"
#include "md5.h"
#include "rtdc_read.h"
#include "testdata.h"
#include "unit/io_write_minijson.h"

struct variant {
    const char *stem;
    const char *name;
    const char *kw[4];      /* "group:key=value", group b|s|m|f|g|d */
    const char *background; /* NULL: sparsemed */
    const char *strategy;   /* NULL: drain */
};

static const struct variant variants[] = {
        {"cytoshot-test-data", "default", {NULL}, NULL, NULL},
        {"cytoshot-test-data-legacy_dce", "default", {NULL}, NULL, NULL},
        {"dcnum_thresh_example", "default", {NULL}, NULL, NULL},
        {"file_with_variable_length_logs", "default", {NULL}, NULL, NULL},
        {"cytoshot-x5", "default", {NULL}, NULL, NULL},
        {"cytoshot-x5", "clo0", {"m:closing_disk=0"}, NULL, NULL},
        {"cytoshot-x5", "notex", {"f:haralick=false"}, NULL, NULL},
        {"synth-1000", "default", {NULL}, NULL, NULL},
        {"synth-1000", "clo0", {"m:closing_disk=0"}, NULL, NULL},
        {"synth-1000", "notex", {"f:haralick=false"}, NULL, NULL},
        {"cytoshot-x5", "tap", {NULL}, NULL, "tap"},
        {"synth-1000", "tap", {NULL}, NULL, "tap"},
        {"cytoshot-x5", "copy", {NULL}, "copy", NULL},
        {"cytoshot-x5", "rollmed", {NULL}, "rollmed", NULL},
        {"synth-1000", "rollmed", {NULL}, "rollmed", NULL},
};

static enum dcn_kw_group
group_of(char c)
{
    switch (c) {
    case 'b':
        return DCN_KW_BACKGROUND;
    case 's':
        return DCN_KW_SEGMENTER;
    case 'm':
        return DCN_KW_MASK;
    case 'f':
        return DCN_KW_FEATURE;
    case 'g':
        return DCN_KW_GATE;
    default:
        return DCN_KW_DATA;
    }
}

/* $TMPDIR, or NULL; called before any worker thread starts. */
static const char *
tmpdir_env(void)
{
    return getenv("TMPDIR"); // NOLINT(concurrency-mt-unsafe): no threads yet
}

/* "<tmp>/dcnumc-parity-<pid>-<a>-<b>.rtdc"; 0, or -1 if too long. */
static int
temp_output(char out[PATH_MAX], const char *a, const char *b)
{
    const char *tmp = tmpdir_env();
    int len = snprintf(out, PATH_MAX, "%s/dcnumc-parity-%d-%s-%s.rtdc",
                       tmp != NULL ? tmp : "/tmp", (int)getpid(), a, b);

    return len >= 0 && len < PATH_MAX ? 0 : -1;
}

/* td_reference_path() of variant v's file. */
static int
reference_path(char path[PATH_MAX], const struct variant *v, const char *file)
{
    return td_reference_path(path, v->stem, v->name, file);
}

/* The job of variant v from in to out. */
static int
configure_job(struct dcn_job *job, const struct variant *v, const char *in,
              const char *out, struct dcn_error *err)
{
    int rc = dcn_job_set_path_in(job, in, err);

    if (rc == DCN_OK)
        rc = dcn_job_set_path_out(job, out, err);
    if (rc == DCN_OK && v->background != NULL)
        rc = dcn_job_set_background(job, v->background, err);
    if (rc == DCN_OK && v->strategy != NULL)
        rc = dcn_job_set_basin_strategy(job, v->strategy, err);
    for (int i = 0; rc == DCN_OK && i < 4 && v->kw[i] != NULL; i++)
        rc = dcn_job_set_kw(job, group_of(v->kw[i][0]), v->kw[i] + 2, err);
    return rc;
}

static int
run_variant(const struct variant *v, const char *out)
{
    char in[PATH_MAX];
    struct dcn_job job;
    struct dcn_run_options opts = DCN_RUN_OPTIONS_INIT;
    struct dcn_run_result res;
    struct dcn_error err = DCN_ERROR_INIT;
    int rc = DCN_EINVAL;

    dcn_job_init(&job);
    if (td_input_path(in, v->stem) == 0)
        rc = configure_job(&job, v, in, out, &err);
    opts.force = true;
    if (rc == DCN_OK)
        rc = dcn_run(&job, &opts, &res, &err);
    if (rc != DCN_OK)
        (void)fprintf(stderr, "%s/%s: run failed: %s\n", v->stem, v->name,
                      err.msg);
    dcn_job_release(&job);
    return rc;
}

/* Distance in units in the last place between two finite doubles. */
static double
ulps(double a, double b)
{
    int64_t ia, ib;

    memcpy(&ia, &a, 8);
    memcpy(&ib, &b, 8);
    /* Map the sign-magnitude bit patterns onto one ordered integer line
     * and subtract as integers (a double would round large patterns). */
    if (ia < 0)
        ia = INT64_MIN - ia;
    if (ib < 0)
        ib = INT64_MIN - ib;
    return (double)(ia > ib ? (uint64_t)ia - (uint64_t)ib
                            : (uint64_t)ib - (uint64_t)ia);
}

/* The bit pattern of a double. */
static uint64_t
bits_of(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

/* 0 if a matches the reference b under the contract; else a badness. */
static double
deviation(const char *name, double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b) ? 0.0 : INFINITY;
    if (strncmp(name, "tex_", 4) == 0) {
        double d = fabs(a - b), m = fmax(fabs(a), fabs(b));

        return d <= 1e-9 * m ? 0.0 : d / (m > 0 ? m : 1);
    }
    if (strcmp(name, "tilt") == 0)
        return ulps(a, b) <= TD_TILT_MAX_ULP ? 0.0 : ulps(a, b);
    return bits_of(a) == bits_of(b) ? 0.0 : fmax(ulps(a, b), 1);
}

/* Read /events/<name> of file as doubles; 0 or -1. */
static int
read_feature(struct td_array *a, const char *file, const char *name)
{
    char path[128];
    int len = snprintf(path, sizeof(path), "/events/%s", name);

    if (len < 0 || (size_t)len >= sizeof(path))
        return -1;
    return td_read(a, file, path, TD_F64);
}

static void
compare_column(const struct variant *v, const char *out,
               const struct td_csv *ref, int col)
{
    const char *name = ref->names[col];
    struct td_array a;
    double worst = 0;
    size_t worst_at = 0, bad = 0;

    if (read_feature(&a, out, name) != 0) {
        CHECK(!"feature dataset missing");
        (void)fprintf(stderr, "  %s/%s: %s missing\n", v->stem, v->name, name);
        return;
    }
    CHECK_EQ(a.count, ref->nrows);
    for (size_t r = 0; r < ref->nrows && r < a.count; r++) {
        double d =
                deviation(name, ((double *)a.data)[r], td_csv_get(ref, r, col));

        bad += d > 0;
        if (d > worst) {
            worst = d;
            worst_at = r;
        }
    }
    if (!CHECK(bad == 0))
        (void)fprintf(stderr,
                      "  %s/%s %s: %zu events differ, worst at %zu: %.17g vs "
                      "%.17g\n",
                      v->stem, v->name, name, bad, worst_at,
                      ((double *)a.data)[worst_at],
                      td_csv_get(ref, worst_at, col));
    td_array_release(&a);
}

/* Masks that are not dcnum's (pixel count and md5 of masks.csv), or not
 * 0/255 images. */
static size_t
count_mask_mismatches(const struct td_array *a, const struct td_csv *m)
{
    size_t npix = a->count / (a->dims[0] ? a->dims[0] : 1);
    uint8_t *bits = malloc(npix ? npix : 1);
    char hex[33];
    size_t bad = 0;

    for (size_t e = 0; bits != NULL && e < m->nrows && e < a->dims[0]; e++) {
        const uint8_t *px = (const uint8_t *)a->data + e * npix;
        size_t sum = 0;

        for (size_t i = 0; i < npix; i++) {
            bits[i] = px[i] != 0;
            sum += bits[i];
            bad += px[i] != 0 && px[i] != 255;
        }
        dcn__md5_hex(hex, bits, npix);
        bad += sum != (size_t)td_csv_get(m, e, 1) ||
               strcmp(hex, td_csv_text(m, e, 2)) != 0;
    }
    free(bits);
    return bad;
}

static void
compare_masks(const struct variant *v, const char *out)
{
    char path[PATH_MAX];
    struct td_csv m = {0};
    struct td_array a;
    size_t bad;

    if (reference_path(path, v, "masks.csv") != 0 ||
        td_csv_load(&m, path) != 0 ||
        td_read(&a, out, "/events/mask", TD_U8) != 0) {
        CHECK(m.nrows == 0); /* no events: no mask dataset */
        td_csv_release(&m);
        return;
    }
    CHECK_EQ(a.dims[0], m.nrows);
    bad = count_mask_mismatches(&a, &m);
    if (!CHECK(bad == 0))
        (void)fprintf(stderr, "  %s/%s: %zu masks differ\n", v->stem, v->name,
                      bad);
    td_array_release(&a);
    td_csv_release(&m);
}

/* The input as a file basin names it. */
struct basin_source {
    const char *id;  /* its measurement identifier */
    const char *abs; /* its absolute path */
    bool has_time;   /* it has a "time" feature */
};

static void
check_basin_names(const struct dcn_basin_desc *b)
{
    CHECK_STR_EQ(b->name, "dcnum basin");
    CHECK_STR_EQ(b->mapping, "basinmap0");
}

static void
check_basin_location(const struct dcn_basin_desc *b,
                     const struct basin_source *src)
{
    CHECK_STR_EQ(b->identifier, src->id);
    CHECK(b->usable);
    CHECK_EQ(b->npaths, 2);
}

static void
check_basin_path(const struct dcn_basin_desc *b, const struct basin_source *src)
{
    if (b->npaths == 2)
        CHECK_STR_EQ(b->paths[0], src->abs);
}

/* The frame basin holds "frame", and "time" if the input has it. */
static void
check_frame_basin(const struct dcn_basin_desc *b,
                  const struct basin_source *src)
{
    CHECK_EQ(b->nfeatures, src->has_time ? 2 : 1);
    CHECK_STR_EQ(b->features[0], "frame");
}

static void
check_frame_basin_time(const struct dcn_basin_desc *b,
                       const struct basin_source *src)
{
    if (src->has_time && b->nfeatures == 2)
        CHECK_STR_EQ(b->features[1], "time");
}

/* The file basins of the output, counted by what they hold. */
struct basin_count {
    size_t nfile, frame, image;
};

/* Check one basin of the output against the input; counts it. */
static void
check_one_basin(const struct dcn_basin_desc *b, const struct basin_source *src,
                struct basin_count *cnt)
{
    if (strcmp(b->type, "file") != 0)
        return;
    cnt->nfile++;
    check_basin_names(b);
    check_basin_location(b, src);
    check_basin_path(b, src);
    if (b->nfeatures == 1 && strcmp(b->features[0], "image") == 0) {
        cnt->image++;
        return;
    }
    cnt->frame++;
    check_frame_basin(b, src);
    check_frame_basin_time(b, src);
}

/* The output's file basins as format.md §2.9 and the reference's
 * meta.json describe them: "dcnum basin", [absolute input path, relative
 * path], the input's measurement identifier, mapping basinmap0; one for
 * the frame features the input has ("frame", and "time" if present), one
 * for "image". */
static void
check_input_basins(const struct variant *v, struct dcn_rtdc *r, const char *in)
{
    const struct dcn_basin_desc *b;
    struct dcn_rtdc *inr = NULL;
    struct dcn_rtdc_open_opts o;
    struct dcn_error err = DCN_ERROR_INIT;
    char abs[PATH_MAX];
    struct basin_source src;
    struct basin_count cnt = {0, 0, 0};
    size_t n;

    memset(&o, 0, sizeof(o));
    if (!CHECK(dcn_rtdc_open(&inr, in, &o, &err) == DCN_OK) ||
        !CHECK(realpath(in, abs) != NULL))
        return;
    src.id = dcn_rtdc_measurement_id(inr);
    src.abs = abs;
    src.has_time = dcn_rtdc_has_feature(inr, "time");
    b = dcn_rtdc_basins(r, &n);
    for (size_t i = 0; i < n; i++)
        check_one_basin(&b[i], &src, &cnt);
    if (!CHECK(cnt.nfile == 2 && cnt.frame == 1 && cnt.image == 1))
        (void)fprintf(stderr, "  %s/%s: %zu file basins\n", v->stem, v->name,
                      cnt.nfile);
    dcn_rtdc_free(inr);
}

/* The input's images and frames, and the tap output read through its
 * basins. */
struct tap_run {
    struct td_array bm0, img, frame;
    struct dcn_rtdc *r;
    struct dcn_rtdc_image *im;
};

/* Read the input and open the output; 0, or -1 (checked). */
static int
open_tap_run(struct tap_run *t, const struct variant *v, const char *in,
             const char *out)
{
    struct dcn_rtdc_open_opts o;
    struct dcn_error err = DCN_ERROR_INIT;
    struct td_array own;

    /* not in the output's own /events (td_read says "cannot open") */
    CHECK(td_read(&own, out, "/events/image", TD_U8) != 0);
    CHECK(td_read(&own, out, "/events/frame", TD_I64) != 0);
    if (!CHECK(td_read(&t->bm0, out, "/events/basinmap0", TD_U64) == 0))
        return -1;
    CHECK_EQ(td_read(&t->img, in, "/events/image", TD_U8), 0);
    CHECK_EQ(td_read(&t->frame, in, "/events/frame", TD_I64), 0);
    memset(&o, 0, sizeof(o));
    if (!CHECK(dcn_rtdc_open(&t->r, out, &o, &err) == DCN_OK) ||
        !CHECK(dcn_rtdc_image_open(t->r, "image", &t->im, &err) == DCN_OK)) {
        (void)fprintf(stderr, "  %s/%s: %s\n", v->stem, v->name, err.msg);
        return -1;
    }
    return 0;
}

static void
close_tap_run(struct tap_run *t)
{
    dcn_rtdc_free(t->r);
    td_array_release(&t->bm0);
    td_array_release(&t->img);
    td_array_release(&t->frame);
}

/* Events whose image or frame, read through the basins, is not the
 * input's at basinmap0. */
static size_t
count_basin_mismatches(const struct tap_run *t, size_t npix)
{
    struct dcn_error err = DCN_ERROR_INIT;
    size_t n = t->bm0.count, bad = 0;
    uint8_t *got = malloc(n * npix + 1);
    int64_t *fr = malloc((n + 1) * sizeof(int64_t));

    CHECK_EQ(dcn_rtdc_len(t->r), n);
    CHECK_EQ(dcn_rtdc_image_read(t->im, 0, n, got, &err), DCN_OK);
    CHECK_EQ(dcn_rtdc_scalar_read_i64(t->r, "frame", 0, n, fr, &err), DCN_OK);
    for (size_t e = 0; e < n; e++) {
        uint64_t j = ((const uint64_t *)t->bm0.data)[e];

        bad += memcmp(got + e * npix, (const uint8_t *)t->img.data + j * npix,
                      npix) != 0 ||
               fr[e] != ((const int64_t *)t->frame.data)[j];
    }
    free(got);
    free(fr);
    return bad;
}

/* Images and frame numbers of the output, read through its basins with
 * dcnumc's reader, against the input's at basinmap0 (read directly). */
static void
compare_through_basins(const struct variant *v, const char *out)
{
    char in[PATH_MAX];
    struct tap_run t;
    size_t bad;

    memset(&t, 0, sizeof(t));
    if (!CHECK(td_input_path(in, v->stem) == 0) ||
        open_tap_run(&t, v, in, out) != 0)
        goto out;
    check_input_basins(v, t.r, in);
    bad = count_basin_mismatches(&t, t.img.dims[1] * t.img.dims[2]);
    if (!CHECK(bad == 0))
        (void)fprintf(stderr, "  %s/%s: %zu events differ through the basins\n",
                      v->stem, v->name, bad);
    else
        printf("%s/%s: image and frame of %zu events through the basins\n",
               v->stem, v->name, t.bm0.count);
out:
    close_tap_run(&t);
}

/* D2: dcnum hashes fixed-length strings in their bytes repr; dcnumc
 * decodes them, as dclab does (format.md §8). */
static const char *
expected_run_id(const char *ref, char *buf, size_t len)
{
    static const char dcnum_id[] = "b26306f4-f46e-bd6a-95a1-dba4de02a794";
    int n;

    if (strncmp(ref, dcnum_id, sizeof(dcnum_id) - 1) != 0)
        return ref;
    n = snprintf(buf, len, "12b4490f-6c58-13b1-bddd-5d8e2332b60b%s",
                 ref + sizeof(dcnum_id) - 1);
    return n >= 0 && (size_t)n < len ? buf : ref;
}

static void
compare_attr(const struct variant *v, const char *out, const char *key,
             const struct mj *val)
{
    char got[1024], want_buf[1024];
    double d = NAN;

    if (val->kind == MJ_STR) {
        const char *want =
                strcmp(key, "experiment:run identifier") == 0
                        ? expected_run_id(val->str, want_buf, sizeof(want_buf))
                        : val->str;

        td_attr_string(got, sizeof(got), out, key);
        if (!CHECK(strcmp(got, want) == 0))
            (void)fprintf(stderr, "  %s/%s attr %s: '%s' != '%s'\n", v->stem,
                          v->name, key, got, want);
    } else if (val->kind == MJ_NUM) {
        td_attr_double(&d, out, key);
        if (!CHECK(d == val->num))
            (void)fprintf(stderr, "  %s/%s attr %s: %.17g != %.17g\n", v->stem,
                          v->name, key, d, val->num);
    }
}

/* dcnum's own attributes, the event count, the pixel size and the run
 * identifier, as meta.json records them. */
static void
compare_attrs(const struct variant *v, const char *out, const struct mj *meta)
{
    const struct mj *ra = mj_get(meta, "root_attrs");
    size_t n = 0;

    for (size_t i = 0; ra != NULL && i < ra->n; i++) {
        const char *key = ra->keys[i];

        if (strncmp(key, "pipeline:dcnum", 14) != 0 &&
            strcmp(key, "experiment:event count") != 0 &&
            strcmp(key, "experiment:run identifier") != 0 &&
            strcmp(key, "imaging:pixel size") != 0)
            continue;
        compare_attr(v, out, key, ra->items[i]);
        n++;
    }
    CHECK(n >= 12);
}

/* A basin key of meta.json that names a file basin (its JSON holds
 * absolute paths, so its md5 key differs on another machine). */
static bool
is_file_basin(const struct mj *meta, const char *key)
{
    const struct mj *basins = mj_get(meta, "basins");

    for (size_t i = 0; basins != NULL && i < basins->n; i++) {
        const struct mj *k = mj_get(basins->items[i], "key");
        const struct mj *type =
                mj_get(mj_get(basins->items[i], "json"), "type");

        if (k != NULL && strcmp(k->str, key) == 0)
            return type != NULL && strcmp(type->str, "file") == 0;
    }
    return false;
}

/* Does the output hold dataset path with shape and dtype?  got: the
 * output's dtype, or "missing". */
static bool
same_dataset(const char *out, const char *path, const struct mj *shape,
             const char *dtype, char got[16])
{
    size_t dims[4];
    int rank = -1;
    bool same = td_dataset_info(dims, &rank, got, out, path) == 0 &&
                (size_t)rank == shape->n && strcmp(got, dtype) == 0;

    for (int r = 0; same && r < rank; r++)
        same = dims[r] == (size_t)shape->items[r]->num;
    if (rank < 0)
        memcpy(got, "missing", sizeof("missing"));
    return same;
}

/* Every dataset of dcnum's output exists with the same shape and dtype
 * (logs are named by their start time; file basins by their paths). */
static void
compare_datasets(const struct variant *v, const char *out,
                 const struct mj *meta)
{
    const struct mj *ds = mj_get(meta, "datasets");
    size_t bad = 0, n = 0;

    for (size_t i = 0; ds != NULL && i < ds->n; i++) {
        const char *path = mj_get(ds->items[i], "path")->str;
        const char *dtype = mj_get(ds->items[i], "dtype")->str;
        char got[16];

        if (strncmp(path, "/logs/", 6) == 0 ||
            (strncmp(path, "/basins/", 8) == 0 &&
             is_file_basin(meta, path + 8)))
            continue;
        n++;
        if (!same_dataset(out, path, mj_get(ds->items[i], "shape"), dtype,
                          got)) {
            bad++;
            (void)fprintf(stderr, "  %s/%s: dataset %s differs (%s vs %s)\n",
                          v->stem, v->name, path, got, dtype);
        }
    }
    CHECK(n > 0);
    CHECK_EQ(bad, 0);
}

static void
compare_layout(const struct variant *v, const char *out)
{
    char path[PATH_MAX];
    struct mj *meta = NULL;

    if (reference_path(path, v, "meta.json") == 0)
        meta = mj_load(path);
    if (!CHECK(meta != NULL))
        return;
    compare_attrs(v, out, meta);
    compare_datasets(v, out, meta);
    mj_free(meta);
}

static void
check_variant(const struct variant *v)
{
    char out[PATH_MAX], path[PATH_MAX];
    struct td_csv ref;
    double count = -1;

    if (!CHECK(temp_output(out, v->stem, v->name) == 0))
        return;
    CHECK_EQ(run_variant(v, out), DCN_OK);
    if (reference_path(path, v, "features.csv") != 0 ||
        td_csv_load(&ref, path) != 0) {
        CHECK(!"reference features.csv missing");
        return;
    }
    CHECK_EQ(td_attr_double(&count, out, "experiment:event count"), 0);
    CHECK_EQ((size_t)count, ref.nrows);
    for (size_t c = 0; c < ref.ncols; c++)
        compare_column(v, out, &ref, (int)c);
    compare_masks(v, out);
    compare_layout(v, out);
    if (v->strategy != NULL && strcmp(v->strategy, "tap") == 0)
        compare_through_basins(v, out);
    printf("%s/%s: %zu events, %zu columns compared\n", v->stem, v->name,
           ref.nrows, ref.ncols);
    td_csv_release(&ref);
    unlink(out);
}

/* The basinmap0 and image_bg of one rollmed run. */
struct rollmed_run {
    char out[PATH_MAX];
    struct td_array bm, bg;
};

/* Run v into a temporary output named by tag and read its events. */
static void
run_rollmed(struct rollmed_run *rr, const struct variant *v, const char *tag)
{
    if (!CHECK(temp_output(rr->out, "map", tag) == 0))
        return;
    CHECK_EQ(run_variant(v, rr->out), DCN_OK);
    CHECK_EQ(td_read(&rr->bm, rr->out, "/events/basinmap0", TD_I64), 0);
    CHECK_EQ(td_read(&rr->bg, rr->out, "/events/image_bg", TD_U8), 0);
}

/* Events of the mapped run whose image_bg differs from that of an event
 * of the same raw frame in the full run; *compared counts the events
 * that had one. */
static size_t
count_background_mismatches(const struct rollmed_run *full,
                            const struct rollmed_run *mapped, size_t *compared)
{
    size_t npix = full->bg.dims[1] * full->bg.dims[2], bad = 0;
    const int64_t *fm = full->bm.data;
    const uint8_t *fbg = full->bg.data;
    const uint8_t *mbg = mapped->bg.data;

    *compared = 0;
    for (size_t e = 0; e < mapped->bm.count; e++) {
        int64_t r = ((const int64_t *)mapped->bm.data)[e];
        size_t f = 0;

        while (f < full->bm.count && fm[f] != r)
            f++;
        if (f == full->bm.count)
            continue;
        bad += memcmp(mbg + e * npix, fbg + f * npix, npix) != 0;
        (*compared)++;
    }
    return bad;
}

static void
release_rollmed(struct rollmed_run *rr)
{
    td_array_release(&rr->bm);
    td_array_release(&rr->bg);
    unlink(rr->out);
}

/*
 * rollmed under an index mapping: the background is that of the raw
 * frame (computed over the unmapped input), so every event's image_bg
 * equals that of an event of the same raw frame in the unmapped run.
 * The list mapping jumps backwards (the window restarts) and forwards.
 */
static void
check_rollmed_mapping(const char *mapping)
{
    static const struct variant full = {
            "synth-1000", "rollmed", {NULL}, "rollmed", NULL};
    struct variant v = {
            "synth-1000", "rollmed-mapped", {NULL}, "rollmed", NULL};
    char kw[128];
    static struct rollmed_run run[2];
    size_t compared = 0, bad;
    int len = snprintf(kw, sizeof(kw), "d:index_mapping=%s", mapping);

    if (!CHECK(len >= 0 && (size_t)len < sizeof(kw)))
        return;
    v.kw[0] = kw;
    memset(run, 0, sizeof(run));
    run_rollmed(&run[0], &full, "0");
    run_rollmed(&run[1], &v, "1");
    bad = count_background_mismatches(&run[0], &run[1], &compared);
    CHECK(compared > 0);
    if (!CHECK(bad == 0))
        (void)fprintf(stderr,
                      "  rollmed, index_mapping=%s: %zu of %zu differ\n",
                      mapping, bad, compared);
    printf("synth-1000/rollmed, index_mapping=%s: image_bg of %zu events "
           "checked\n",
           mapping, compared);
    release_rollmed(&run[0]);
    release_rollmed(&run[1]);
}

/* background copy on an input without image_bg: a clear error that
 * names the file, and no output. */
static void
check_copy_needs_image_bg(void)
{
    static const struct variant v = {
            "synth-1000", "copy", {NULL}, "copy", NULL};
    char out[PATH_MAX];

    if (!CHECK(temp_output(out, "copy", "error") == 0))
        return;
    printf("expect an error about image_bg:\n");
    CHECK_EQ(run_variant(&v, out), DCN_ENOTFOUND);
    CHECK(access(out, F_OK) != 0);
}

int
main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
        if (argc < 2 || strstr(variants[i].stem, argv[1]) != NULL)
            check_variant(&variants[i]);
    if (argc < 2) {
        check_copy_needs_image_bg();
        check_rollmed_mapping("100:900:3");
        check_rollmed_mapping("950,10,500,11,999,0,12,13,14,898");
    }
    return check_report();
}
