/* SPDX-License-Identifier: MIT */
/*
 * test_background_parity.c - the background stage against dcnum's own
 * results on the sample inputs: bg.h5 (sparsemed image_bg, bg_index,
 * bg_off) of the default variants, and the md5 of events/image_bg of the
 * rollmed variants (meta.json).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_driver.h"
#include "check.h"
#include "md5.h"
#include "testdata.h"

struct input {
    const char *stem;
    int has_time;
    int has_frame;
};

static const struct input inputs[] = {
        {"cytoshot-test-data", 1, 1},
        {"cytoshot-x5", 0, 1},
        {"synth-1000", 1, 1},
};

/* The bit pattern of a double. */
static uint64_t
bits_of(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

/* An input's images and what its time axis is made of. */
struct bg_input {
    struct td_array img, time, frame;
    double fr;
    int has_fr;
};

/* 0, or -1 (checked) if the images cannot be read. */
static int
read_bg_input(struct bg_input *bi, const char *stem, int has_time,
              int has_frame)
{
    char path[PATH_MAX];

    memset(bi, 0, sizeof(*bi));
    if (!CHECK(td_input_path(path, stem) == 0) ||
        !CHECK(td_read(&bi->img, path, "/events/image", TD_U8) == 0))
        return -1;
    if (has_time)
        CHECK(td_read(&bi->time, path, "/events/time", TD_F64) == 0);
    if (has_frame)
        CHECK(td_read(&bi->frame, path, "/events/frame", TD_F64) == 0);
    bi->has_fr = td_attr_double(&bi->fr, path, "imaging:frame rate") == 0;
    return 0;
}

static void
release_bg_input(struct bg_input *bi)
{
    td_array_release(&bi->frame);
    td_array_release(&bi->time);
    td_array_release(&bi->img);
}

/* dcnum's bg.h5 of the default variant. */
struct bg_h5 {
    struct td_array rbg, ridx, roff;
};

static void
read_bg_h5(struct bg_h5 *ref, const char *stem)
{
    char path[PATH_MAX];

    CHECK(td_reference_path(path, stem, "default", "bg.h5") == 0);
    CHECK(td_read(&ref->rbg, path, "/image_bg", TD_U8) == 0);
    CHECK(td_read(&ref->ridx, path, "/bg_index", TD_I64) == 0);
    CHECK(td_read(&ref->roff, path, "/bg_off", TD_F64) == 0);
}

/* The frames whose bg_index and bg_off are dcnum's. */
static size_t
count_same_index_and_offset(const struct bgd_result *r, const struct bg_h5 *ref,
                            size_t n)
{
    const int64_t *idx = ref->ridx.data;
    const double *off = ref->roff.data;
    size_t same = 0;

    for (size_t j = 0; j < n; j++)
        same += r->bg_idx[j] == idx[j] &&
                bits_of(r->bg_off[j]) == bits_of(off[j]);
    return same;
}

/* bg_index and bg_off are dcnum's; returns the frames that agree. */
static size_t
check_index_and_offset(const struct bgd_result *r, const struct bg_h5 *ref,
                       size_t n)
{
    size_t same = 0;

    CHECK_EQ(ref->ridx.count, n);
    CHECK_EQ(ref->roff.count, n);
    if (ref->ridx.count != n || ref->roff.count != n)
        return 0;
    same = count_same_index_and_offset(r, ref, n);
    CHECK_EQ(same, n);
    CHECK_EQ(r->bg_idx[n - 1], ((int64_t *)ref->ridx.data)[n - 1]);
    CHECK_DBL_IDENT(r->bg_off[0], ((double *)ref->roff.data)[0]);
    return same;
}

static void
check_sparsemed_bg_h5(const struct input *in)
{
    struct bg_input bi;
    struct bg_h5 ref = {{0}, {0}, {0}};
    struct dcn_sparsemed_opts o;
    struct bgd_result r = {0};
    struct bgd_stack st;
    size_t same;

    if (read_bg_input(&bi, in->stem, in->has_time, in->has_frame) != 0)
        goto out;
    read_bg_h5(&ref, in->stem);
    st = (struct bgd_stack){bi.img.data, bi.img.dims[0], bi.img.dims[1],
                            bi.img.dims[2]};
    dcn_sparsemed_opts_default(&o);
    if (!CHECK(bgd_sparsemed(&r, &st, bi.time.data, bi.frame.data,
                             bi.has_fr ? &bi.fr : NULL, &o) == 0))
        goto out;
    printf("%s: N=%zu %zux%zu steps=%zu kept=%zu (ref %zu)\n", in->stem, st.n,
           st.h, st.w, r.m, r.nkept, ref.rbg.dims[0]);
    CHECK_EQ(r.nkept, ref.rbg.dims[0]);
    if (r.nkept == ref.rbg.dims[0])
        CHECK(memcmp(r.images, ref.rbg.data, r.nkept * st.h * st.w) == 0);
    same = check_index_and_offset(&r, &ref, st.n);
    printf("%s: bg_index and bg_off identical for %zu/%zu frames\n", in->stem,
           same, st.n);
out:
    bgd_release(&r);
    td_array_release(&ref.roff);
    td_array_release(&ref.ridx);
    td_array_release(&ref.rbg);
    release_bg_input(&bi);
}

/* The whole file at path as a string (caller frees), or NULL. */
static char *
read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0)
        goto out;
    buf = calloc((size_t)len + 1, 1);
    if (buf != NULL && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
out:
    (void)fclose(fp); /* opened for reading only */
    return buf;
}

/* md5 hex of dataset dset in meta.json (naive text search). */
static int
meta_dataset_md5(char hex[33], const char *meta_path, const char *dset)
{
    char *buf = read_text(meta_path);
    char key[128];
    int len = snprintf(key, sizeof(key), "\"path\": \"%s\"", dset);
    const char *p;
    const char *q = NULL;
    int rc = -1;

    if (buf == NULL || len < 0 || (size_t)len >= sizeof(key))
        goto out;
    p = strstr(buf, key);
    if (p == NULL)
        goto out;
    /* keys are sorted: the object's "md5" comes right before "path" */
    for (const char *m = strstr(buf, "\"md5\": \""); m != NULL && m < p;
         m = strstr(m + 1, "\"md5\": \""))
        q = m;
    if (q == NULL)
        goto out;
    memcpy(hex, q + 8, 32);
    hex[32] = 0;
    rc = 0;
out:
    free(buf);
    return rc;
}

/* md5 hex of the backgrounds of the events (basinmap0 of csv) into got. */
static void
events_bg_md5(char got[33], const uint8_t *bg, size_t n, size_t npix,
              const struct td_csv *csv)
{
    struct dcn_md5 ctx;
    uint8_t digest[16];
    int col = td_csv_col(csv, "basinmap0");

    CHECK(col >= 0);
    dcn__md5_init(&ctx);
    for (size_t e = 0; e < csv->nrows; e++) {
        size_t i = (size_t)td_csv_get(csv, e, col);

        CHECK(i < n);
        dcn__md5_update(&ctx, bg + i * npix, npix);
    }
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(got, digest);
}

static void
check_rollmed_md5(const char *stem)
{
    char path[PATH_MAX];
    char want[33] = {0};
    char got[33];
    struct td_array img = {0};
    struct td_csv csv = {0};
    uint8_t *bg = NULL;
    size_t n;
    size_t npix;

    if (!CHECK(td_reference_path(path, stem, "rollmed", "meta.json") == 0) ||
        !CHECK(meta_dataset_md5(want, path, "/events/image_bg") == 0))
        return;
    if (!CHECK(td_reference_path(path, stem, "rollmed", "features.csv") == 0) ||
        !CHECK(td_csv_load(&csv, path) == 0))
        return;
    if (!CHECK(td_input_path(path, stem) == 0) ||
        !CHECK(td_read(&img, path, "/events/image", TD_U8) == 0))
        goto out;
    n = img.dims[0];
    npix = img.dims[1] * img.dims[2];
    bg = malloc(n * npix);
    if (!CHECK(bgd_rollmed(bg, img.data, n, npix, 100, 4) == 0))
        goto out;
    events_bg_md5(got, bg, n, npix, &csv);
    printf("%s rollmed: %zu events, md5 %s (ref %s)\n", stem, csv.nrows, got,
           want);
    CHECK_STR_EQ(got, want);
out:
    free(bg);
    td_array_release(&img);
    td_csv_release(&csv);
}

/* The frames of the input: the stack, or fewer by "experiment:event
 * count". */
static size_t
frames_of(const struct bg_input *bi, const char *stem)
{
    char path[PATH_MAX];
    size_t n = bi->img.dims[0];
    double count;

    if (td_input_path(path, stem) == 0 &&
        td_attr_double(&count, path, "experiment:event count") == 0 &&
        count < (double)n)
        n = (size_t)count;
    return n;
}

/* The time axis of n frames is float32 exactly for a float32 frame with a
 * frame rate and no time. */
static void
check_time_axis_precision(const struct dcn_bg_time_input *tin, size_t n,
                          int has_time, int frame_f32)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_bg_time tm = {0};
    double *t = malloc((n ? n : 1) * sizeof(double));

    tm.t = t;
    tm.n = n;
    CHECK_EQ(dcn_bg_time_axis(&tm, tin, &err), DCN_OK);
    CHECK_EQ(tm.f32, frame_f32 != 0 && !has_time && tin->frame_rate != NULL);
    free(t);
}

/* Events whose basinmap1 or bg_off is not that of their frame. */
static size_t
count_event_mismatches(const struct bgd_result *r, const struct td_csv *csv,
                       size_t n)
{
    int c0 = td_csv_col(csv, "basinmap0");
    int c1 = td_csv_col(csv, "basinmap1");
    int coff = td_csv_col(csv, "bg_off");
    size_t bad = 0;

    CHECK(c0 >= 0 && c1 >= 0 && coff >= 0);
    for (size_t e = 0; e < csv->nrows; e++) {
        size_t i = (size_t)td_csv_get(csv, e, c0);
        double off = td_csv_get(csv, e, coff);

        if (i >= n) {
            bad++;
            continue;
        }
        bad += (double)r->bg_idx[i] != td_csv_get(csv, e, c1);
        bad += bits_of(off) != bits_of(r->bg_off[i]);
    }
    return bad;
}

/* The reference of the default variant: the md5 of basin_events/image_bg
 * (meta.json) into want, features.csv into csv.  0 or -1 (checked). */
static int
read_default_reference(char want[33], struct td_csv *csv, const char *stem)
{
    char path[PATH_MAX];

    if (!CHECK(td_reference_path(path, stem, "default", "meta.json") == 0) ||
        !CHECK(meta_dataset_md5(want, path, "/basin_events/image_bg") == 0))
        return -1;
    if (!CHECK(td_reference_path(path, stem, "default", "features.csv") == 0) ||
        !CHECK(td_csv_load(csv, path) == 0))
        return -1;
    return 0;
}

/*
 * The default variant through the output's features: md5 of
 * basin_events/image_bg (meta.json), and per event bg_off[e] ==
 * bg_off[basinmap0[e]] and basinmap1[e] == bg_idx[basinmap0[e]].  This
 * covers the inputs without bg.h5 too (float32 frame, event-count
 * attribute smaller than the stack, small N).
 */
static void
check_default_features(const char *stem, int has_time, int has_frame,
                       int frame_f32)
{
    char want[33] = {0};
    char got[33];
    struct bg_input bi;
    struct td_csv csv = {0};
    struct dcn_sparsemed_opts o;
    struct bgd_result r = {0};
    struct dcn_bg_time_input tin = {0};
    struct bgd_stack st;
    size_t bad;

    memset(&bi, 0, sizeof(bi));
    if (read_default_reference(want, &csv, stem) != 0 ||
        read_bg_input(&bi, stem, has_time, has_frame) != 0)
        goto out;
    st = (struct bgd_stack){bi.img.data, frames_of(&bi, stem), bi.img.dims[1],
                            bi.img.dims[2]};
    dcn_sparsemed_opts_default(&o);
    tin.time = bi.time.data;
    tin.frame = bi.frame.data;
    tin.frame_rate = bi.has_fr ? &bi.fr : NULL;
    tin.frame_f32 = frame_f32 != 0;
    check_time_axis_precision(&tin, st.n, has_time, frame_f32);
    if (!CHECK(bgd_sparsemed_in(&r, &st, &tin, &o) == 0))
        goto out;
    dcn__md5_hex(got, r.images, r.nkept * st.h * st.w);
    CHECK_STR_EQ(got, want);
    bad = count_event_mismatches(&r, &csv, st.n);
    CHECK_EQ(bad, 0);
    printf("%s: %zu frames, %zu/%zu images kept, md5 %s, %zu events, "
           "%zu mismatches\n",
           stem, st.n, r.nkept, r.m, got, csv.nrows, bad);
out:
    bgd_release(&r);
    release_bg_input(&bi);
    td_csv_release(&csv);
}

int
main(void)
{
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
        check_sparsemed_bg_h5(&inputs[i]);
    check_default_features("cytoshot-test-data", 1, 1, 0);
    check_default_features("cytoshot-test-data-legacy_dce", 1, 1, 0);
    check_default_features("dcnum_thresh_example", 1, 1, 0);
    check_default_features("file_with_variable_length_logs", 0, 1, 1);
    check_default_features("cytoshot-x5", 0, 1, 0);
    check_default_features("synth-1000", 1, 1, 0);
    check_rollmed_md5("cytoshot-x5");
    check_rollmed_md5("synth-1000");
    return check_report();
}
