/* SPDX-License-Identifier: MIT */
/*
 * bg_driver.h - test-only drivers that run the background stage over a
 * whole in-memory stack the way the pipeline will: plan, median per
 * window (split into several pixel ranges, as worker threads would),
 * cleansing, assignment and bg_off; and rollmed over all frames.
 */
#ifndef DCN_TESTS_BG_DRIVER_H
#define DCN_TESTS_BG_DRIVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "background.h"

struct bgd_result {
    size_t m;        /* steps before cleansing */
    size_t nkept;    /* images kept */
    uint8_t *images; /* nkept * h * w */
    int64_t *bg_idx; /* n */
    double *bg_off;  /* n (offset_correction) or NULL */
    double *t;       /* n */
};

static void
bgd_release(struct bgd_result *r)
{
    free(r->images);
    free(r->bg_idx);
    free(r->bg_off);
    free(r->t);
    memset(r, 0, sizeof(*r));
}

/* Median of frames [i0, i0 + k) of stack into dst, in nsplit ranges. */
static void
bgd_window_median(uint8_t *dst, const uint8_t *stack, size_t i0, size_t k,
                  size_t npix, size_t nsplit, void *scratch)
{
    const uint8_t **fr = malloc(k * sizeof(*fr));

    for (size_t f = 0; f < k; f++)
        fr[f] = stack + (i0 + f) * npix;
    for (size_t s = 0; s < nsplit; s++) {
        size_t p0 = npix * s / nsplit;
        size_t p1 = npix * (s + 1) / nsplit;

        dcn_bg_median(dst, fr, k, p0, p1, scratch);
    }
    free(fr);
}

/* Run sparsemed with the time axis from tin.  0 on success. */
static int
bgd_sparsemed_in(struct bgd_result *r, const uint8_t *stack, size_t n, size_t h,
                 size_t w, const struct dcn_bg_time_input *tin,
                 const struct dcn_sparsemed_opts *o)
{
    struct dcn_error err = DCN_ERROR_INIT;
    size_t npix = h * w;
    size_t k = dcn_sparsemed_kernel(o->kernel_size, n);
    double *steps = NULL;
    size_t *wins = NULL;
    uint8_t *all = NULL;
    const uint8_t **ptrs = NULL;
    bool *used = NULL;
    void *scratch = NULL;
    double *mbg = NULL;
    double *mimg = NULL;
    struct dcn_bg_time tm = {0};
    struct dcn_bg_stack series = {0};
    int rc = -1;

    memset(r, 0, sizeof(*r));
    r->t = malloc(n * sizeof(double));
    tm.t = r->t;
    tm.n = n;
    if (dcn_bg_time_axis(&tm, tin, &err) < 0) {
        fprintf(stderr, "time axis: %s\n", err.msg);
        goto out;
    }
    r->m = dcn_sparsemed_nsteps(&tm, o->split_time);
    steps = malloc(r->m * sizeof(*steps));
    wins = malloc(r->m * sizeof(*wins));
    dcn_sparsemed_plan(steps, wins, r->m, &tm, o->split_time, k);
    all = malloc(r->m * npix);
    ptrs = malloc(r->m * sizeof(*ptrs));
    scratch = malloc(dcn_bg_median_scratch_size(k));
    for (size_t i = 0; i < r->m; i++) {
        bgd_window_median(all + i * npix, stack, wins[i], k, npix, 3, scratch);
        ptrs[i] = all + i * npix;
    }
    used = malloc(r->m * sizeof(*used));
    series.images = ptrs;
    series.count = r->m;
    series.height = h;
    series.width = w;
    if (dcn_sparsemed_cleanse(used, &r->nkept, &series, o, &err) < 0) {
        fprintf(stderr, "cleanse: %s\n", err.msg);
        goto out;
    }
    r->images = malloc((r->nkept ? r->nkept : 1) * npix);
    for (size_t i = 0, j = 0; i < r->m; i++)
        if (used[i])
            memcpy(r->images + (j++) * npix, all + i * npix, npix);
    r->bg_idx = malloc(n * sizeof(int64_t));
    dcn_sparsemed_assign(r->bg_idx, &tm, steps, used, r->m, o->split_time);
    if (o->offset_correction) {
        mbg = malloc((r->nkept ? r->nkept : 1) * sizeof(double));
        mimg = malloc(n * sizeof(double));
        for (size_t i = 0; i < r->nkept; i++)
            mbg[i] = dcn_bg_top_mean(r->images + i * npix, h, w);
        for (size_t j = 0; j < n; j++)
            mimg[j] = dcn_bg_top_mean(stack + j * npix, h, w);
        r->bg_off = malloc(n * sizeof(double));
        dcn_bg_offsets(r->bg_off, mimg, r->bg_idx, n, mbg);
    }
    rc = 0;
out:
    free(mimg);
    free(mbg);
    free(scratch);
    free(used);
    free(ptrs);
    free(all);
    free(wins);
    free(steps);
    return rc;
}

/* Run sparsemed; time/frame/frame_rate (float64) may be NULL. */
static int
bgd_sparsemed(struct bgd_result *r, const uint8_t *stack, size_t n, size_t h,
              size_t w, const double *time, const double *frame,
              const double *frame_rate, const struct dcn_sparsemed_opts *o)
{
    struct dcn_bg_time_input tin = {time, frame, frame_rate, false, false};

    return bgd_sparsemed_in(r, stack, n, h, w, &tin, o);
}

/* rollmed over all n frames into out (n * npix), pixel range split in
 * nsplit parts.  0 on success. */
static int
bgd_rollmed(uint8_t *out, const uint8_t *stack, size_t n, size_t npix, size_t k,
            size_t nsplit)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rollmed *rm = NULL;

    if (dcn_rollmed_check(k, k + 1, n, &err) < 0 ||
        dcn_rollmed_new(&rm, npix, k, &err) < 0) {
        fprintf(stderr, "rollmed: %s\n", err.msg);
        return -1;
    }
    for (size_t s = 0; s < nsplit; s++) {
        size_t p0 = npix * s / nsplit;
        size_t p1 = npix * (s + 1) / nsplit;

        for (size_t f = 0; f < k; f++)
            dcn_rollmed_add(rm, stack + f * npix, p0, p1);
        dcn_rollmed_median(rm, out, p0, p1);
        for (size_t i = 1; i + k < n; i++)
            dcn_rollmed_step(rm, out + i * npix, stack + (i - 1) * npix,
                             stack + (i + k - 1) * npix, p0, p1);
    }
    for (size_t i = n - k; i < n; i++)
        memcpy(out + i * npix, out + (n - k - 1) * npix, npix);
    dcn_rollmed_free(rm);
    return 0;
}

#endif /* DCN_TESTS_BG_DRIVER_H */
