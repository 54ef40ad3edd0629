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

static void
check_sparsemed_bg_h5(const struct input *in)
{
    char path[PATH_MAX];
    char ref[PATH_MAX];
    char rel[256];
    struct td_array img = {0};
    struct td_array time = {0};
    struct td_array frame = {0};
    struct td_array rbg = {0};
    struct td_array ridx = {0};
    struct td_array roff = {0};
    struct dcn_sparsemed_opts o;
    struct bgd_result r = {0};
    double fr;
    int has_fr;
    size_t n;
    size_t h;
    size_t w;
    size_t same = 0;

    snprintf(rel, sizeof(rel), "inputs/%s.rtdc", in->stem);
    td_path(path, rel);
    snprintf(rel, sizeof(rel), "reference/%s/default/bg.h5", in->stem);
    td_path(ref, rel);
    if (!CHECK(td_read(&img, path, "/events/image", TD_U8) == 0))
        return;
    if (in->has_time)
        CHECK(td_read(&time, path, "/events/time", TD_F64) == 0);
    if (in->has_frame)
        CHECK(td_read(&frame, path, "/events/frame", TD_F64) == 0);
    has_fr = td_attr_double(&fr, path, "imaging:frame rate") == 0;
    CHECK(td_read(&rbg, ref, "/image_bg", TD_U8) == 0);
    CHECK(td_read(&ridx, ref, "/bg_index", TD_I64) == 0);
    CHECK(td_read(&roff, ref, "/bg_off", TD_F64) == 0);
    n = img.dims[0];
    h = img.dims[1];
    w = img.dims[2];
    dcn_sparsemed_opts_default(&o);
    if (!CHECK(bgd_sparsemed(&r, img.data, n, h, w, time.data, frame.data,
                             has_fr ? &fr : NULL, &o) == 0))
        goto out;
    printf("%s: N=%zu %zux%zu steps=%zu kept=%zu (ref %zu)\n", in->stem, n, h,
           w, r.m, r.nkept, rbg.dims[0]);
    CHECK_EQ(r.nkept, rbg.dims[0]);
    if (r.nkept == rbg.dims[0])
        CHECK(memcmp(r.images, rbg.data, r.nkept * h * w) == 0);
    CHECK_EQ(ridx.count, n);
    CHECK_EQ(roff.count, n);
    if (ridx.count == n && roff.count == n) {
        for (size_t j = 0; j < n; j++)
            same += r.bg_idx[j] == ((int64_t *)ridx.data)[j] &&
                    memcmp(&r.bg_off[j], (double *)roff.data + j,
                           sizeof(double)) == 0;
        CHECK_EQ(same, n);
        CHECK_EQ(r.bg_idx[n - 1], ((int64_t *)ridx.data)[n - 1]);
        CHECK_DBL_IDENT(r.bg_off[0], ((double *)roff.data)[0]);
    }
    printf("%s: bg_index and bg_off identical for %zu/%zu frames\n", in->stem,
           same, n);
out:
    bgd_release(&r);
    td_array_release(&roff);
    td_array_release(&ridx);
    td_array_release(&rbg);
    td_array_release(&frame);
    td_array_release(&time);
    td_array_release(&img);
}

/* md5 hex of dataset dset in meta.json (naive text search). */
static int
meta_dataset_md5(char hex[33], const char *meta_path, const char *dset)
{
    FILE *fp = fopen(meta_path, "rb");
    char *buf;
    long len;
    char *p;
    char *q;
    int rc = -1;

    if (fp == NULL)
        return -1;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = calloc((size_t)len + 1, 1);
    if (fread(buf, 1, (size_t)len, fp) != (size_t)len)
        goto out;
    {
        char key[128];

        snprintf(key, sizeof(key), "\"path\": \"%s\"", dset);
        p = strstr(buf, key);
    }
    if (p == NULL)
        goto out;
    /* keys are sorted: the object's "md5" comes right before "path" */
    q = NULL;
    for (char *m = strstr(buf, "\"md5\": \""); m != NULL && m < p;
         m = strstr(m + 1, "\"md5\": \""))
        q = m;
    if (q == NULL)
        goto out;
    memcpy(hex, q + 8, 32);
    hex[32] = 0;
    rc = 0;
out:
    free(buf);
    fclose(fp);
    return rc;
}

static void
check_rollmed_md5(const char *stem)
{
    char path[PATH_MAX];
    char rel[256];
    char want[33] = {0};
    char got[33];
    struct td_array img = {0};
    struct td_csv csv = {0};
    struct dcn_md5 ctx;
    uint8_t digest[16];
    uint8_t *bg = NULL;
    size_t n;
    size_t npix;
    int col;

    snprintf(rel, sizeof(rel), "reference/%s/rollmed/meta.json", stem);
    td_path(path, rel);
    if (!CHECK(meta_dataset_md5(want, path, "/events/image_bg") == 0))
        return;
    snprintf(rel, sizeof(rel), "reference/%s/rollmed/features.csv", stem);
    td_path(path, rel);
    if (!CHECK(td_csv_load(&csv, path) == 0))
        return;
    snprintf(rel, sizeof(rel), "inputs/%s.rtdc", stem);
    td_path(path, rel);
    if (!CHECK(td_read(&img, path, "/events/image", TD_U8) == 0))
        goto out;
    n = img.dims[0];
    npix = img.dims[1] * img.dims[2];
    bg = malloc(n * npix);
    if (!CHECK(bgd_rollmed(bg, img.data, n, npix, 100, 4) == 0))
        goto out;
    col = td_csv_col(&csv, "basinmap0");
    CHECK(col >= 0);
    dcn__md5_init(&ctx);
    for (size_t e = 0; e < csv.nrows; e++) {
        size_t i = (size_t)td_csv_get(&csv, e, col);

        CHECK(i < n);
        dcn__md5_update(&ctx, bg + i * npix, npix);
    }
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(got, digest);
    printf("%s rollmed: %zu events, md5 %s (ref %s)\n", stem, csv.nrows, got,
           want);
    CHECK_STR_EQ(got, want);
out:
    free(bg);
    td_array_release(&img);
    td_csv_release(&csv);
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
    char path[PATH_MAX];
    char meta[PATH_MAX];
    char csvpath[PATH_MAX];
    char rel[256];
    char want[33] = {0};
    char got[33];
    struct td_array img = {0};
    struct td_array time = {0};
    struct td_array frame = {0};
    struct td_csv csv = {0};
    struct dcn_sparsemed_opts o;
    struct bgd_result r = {0};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_bg_time_input tin = {0};
    struct dcn_bg_time tm = {0};
    double *t;
    double fr;
    double count;
    int has_fr;
    size_t n;
    size_t npix;
    size_t bad = 0;
    int c0;
    int c1;
    int coff;

    snprintf(rel, sizeof(rel), "inputs/%s.rtdc", stem);
    td_path(path, rel);
    snprintf(rel, sizeof(rel), "reference/%s/default/meta.json", stem);
    td_path(meta, rel);
    if (!CHECK(meta_dataset_md5(want, meta, "/basin_events/image_bg") == 0))
        return;
    snprintf(rel, sizeof(rel), "reference/%s/default/features.csv", stem);
    td_path(csvpath, rel);
    if (!CHECK(td_csv_load(&csv, csvpath) == 0))
        return;
    if (!CHECK(td_read(&img, path, "/events/image", TD_U8) == 0))
        goto out;
    if (has_time)
        CHECK(td_read(&time, path, "/events/time", TD_F64) == 0);
    if (has_frame)
        CHECK(td_read(&frame, path, "/events/frame", TD_F64) == 0);
    has_fr = td_attr_double(&fr, path, "imaging:frame rate") == 0;
    n = img.dims[0];
    if (td_attr_double(&count, path, "experiment:event count") == 0 &&
        count < (double)n)
        n = (size_t)count;
    npix = img.dims[1] * img.dims[2];
    dcn_sparsemed_opts_default(&o);
    tin.time = time.data;
    tin.frame = frame.data;
    tin.frame_rate = has_fr ? &fr : NULL;
    tin.frame_f32 = frame_f32 != 0;
    t = malloc(n * sizeof(double));
    tm.t = t;
    tm.n = n;
    CHECK_EQ(dcn_bg_time_axis(&tm, &tin, &err), DCN_OK);
    CHECK_EQ(tm.f32, frame_f32 != 0 && !has_time && has_fr);
    free(t);
    if (!CHECK(bgd_sparsemed_in(&r, img.data, n, img.dims[1], img.dims[2], &tin,
                                &o) == 0))
        goto out;
    dcn__md5_hex(got, r.images, r.nkept * npix);
    CHECK_STR_EQ(got, want);
    c0 = td_csv_col(&csv, "basinmap0");
    c1 = td_csv_col(&csv, "basinmap1");
    coff = td_csv_col(&csv, "bg_off");
    CHECK(c0 >= 0 && c1 >= 0 && coff >= 0);
    for (size_t e = 0; e < csv.nrows; e++) {
        size_t i = (size_t)td_csv_get(&csv, e, c0);
        double off = td_csv_get(&csv, e, coff);

        if (i >= n) {
            bad++;
            continue;
        }
        bad += (double)r.bg_idx[i] != td_csv_get(&csv, e, c1);
        bad += memcmp(&off, &r.bg_off[i], sizeof(double)) != 0;
    }
    CHECK_EQ(bad, 0);
    printf("%s: %zu frames, %zu/%zu images kept, md5 %s, %zu events, "
           "%zu mismatches\n",
           stem, n, r.nkept, r.m, got, csv.nrows, bad);
out:
    bgd_release(&r);
    td_array_release(&frame);
    td_array_release(&time);
    td_array_release(&img);
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
