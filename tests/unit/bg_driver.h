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

/* A stack of n frames of h x w pixels in memory. */
struct bgd_stack {
    const uint8_t *data;
    size_t n, h, w;
};

/* Median of the k frames from first on (npix pixels each) into dst, in
 * nsplit ranges. */
static void
bgd_window_median(uint8_t *dst, const uint8_t *first, size_t k, size_t npix,
                  size_t nsplit, void *scratch)
{
    const uint8_t **fr = malloc(k * sizeof(*fr));

    if (fr == NULL)
        return;
    for (size_t f = 0; f < k; f++)
        fr[f] = first + f * npix;
    for (size_t s = 0; s < nsplit; s++) {
        size_t p0 = npix * s / nsplit;
        size_t p1 = npix * (s + 1) / nsplit;

        dcn_bg_median(dst, fr, k, p0, p1, scratch);
    }
    free(fr);
}

/* The working memory of one sparsemed run. */
struct bgd_work {
    struct dcn_bg_time tm;
    size_t k;      /* kernel size */
    double *steps; /* m step times */
    size_t *wins;  /* m first frames of the windows */
    uint8_t *all;  /* m median images */
    const uint8_t **ptrs;
    bool *used; /* m: kept by the cleansing */
};

static void
bgd_work_release(struct bgd_work *wk)
{
    free(wk->used);
    free(wk->ptrs);
    free(wk->all);
    free(wk->wins);
    free(wk->steps);
}

/* The time axis into r->t and the plan of r->m windows.  0 or -1. */
static int
bgd_plan(struct bgd_result *r, struct bgd_work *wk, size_t n,
         const struct dcn_bg_time_input *tin,
         const struct dcn_sparsemed_opts *o)
{
    struct dcn_error err = DCN_ERROR_INIT;

    r->t = malloc(n * sizeof(double));
    wk->tm.t = r->t;
    wk->tm.n = n;
    if (r->t == NULL || dcn_bg_time_axis(&wk->tm, tin, &err) < 0) {
        (void)fprintf(stderr, "time axis: %s\n", err.msg);
        return -1;
    }
    wk->k = dcn_sparsemed_kernel(o->kernel_size, n);
    r->m = dcn_sparsemed_nsteps(&wk->tm, o->split_time);
    wk->steps = malloc(r->m * sizeof(*wk->steps));
    wk->wins = malloc(r->m * sizeof(*wk->wins));
    if (wk->steps == NULL || wk->wins == NULL)
        return -1;
    dcn_sparsemed_plan(wk->steps, wk->wins, r->m, &wk->tm, o->split_time,
                       wk->k);
    return 0;
}

/* The median image of every window, as three workers would compute it.
 * 0 or -1. */
static int
bgd_medians(const struct bgd_result *r, struct bgd_work *wk,
            const struct bgd_stack *st)
{
    size_t npix = st->h * st->w;
    void *scratch = malloc(dcn_bg_median_scratch_size(wk->k));

    wk->all = malloc(r->m * npix);
    wk->ptrs = malloc(r->m * sizeof(*wk->ptrs));
    if (scratch == NULL || wk->all == NULL || wk->ptrs == NULL) {
        free(scratch);
        return -1;
    }
    for (size_t i = 0; i < r->m; i++) {
        bgd_window_median(wk->all + i * npix, st->data + wk->wins[i] * npix,
                          wk->k, npix, 3, scratch);
        wk->ptrs[i] = wk->all + i * npix;
    }
    free(scratch);
    return 0;
}

/* Cleansing, and the kept images into r->images.  0 or -1. */
static int
bgd_cleanse(struct bgd_result *r, struct bgd_work *wk,
            const struct bgd_stack *st, const struct dcn_sparsemed_opts *o)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_bg_stack series = {wk->ptrs, r->m, st->h, st->w};
    size_t npix = st->h * st->w;

    wk->used = malloc(r->m * sizeof(*wk->used));
    if (wk->used == NULL ||
        dcn_sparsemed_cleanse(wk->used, &r->nkept, &series, o, &err) < 0) {
        (void)fprintf(stderr, "cleanse: %s\n", err.msg);
        return -1;
    }
    r->images = malloc((r->nkept ? r->nkept : 1) * npix);
    if (r->images == NULL)
        return -1;
    for (size_t i = 0, j = 0; i < r->m; i++)
        if (wk->used[i])
            memcpy(r->images + (j++) * npix, wk->all + i * npix, npix);
    return 0;
}

/* bg_off of every frame into r->bg_off (offset_correction).  0 or -1. */
static int
bgd_offsets(struct bgd_result *r, const struct bgd_stack *st)
{
    size_t npix = st->h * st->w;
    double *mbg = malloc((r->nkept ? r->nkept : 1) * sizeof(double));
    double *mimg = malloc((st->n ? st->n : 1) * sizeof(double));
    int rc = -1;

    r->bg_off = malloc((st->n ? st->n : 1) * sizeof(double));
    if (mbg != NULL && mimg != NULL && r->bg_off != NULL) {
        for (size_t i = 0; i < r->nkept; i++)
            mbg[i] = dcn_bg_top_mean(r->images + i * npix, st->h, st->w);
        for (size_t j = 0; j < st->n; j++)
            mimg[j] = dcn_bg_top_mean(st->data + j * npix, st->h, st->w);
        dcn_bg_offsets(r->bg_off, mimg, r->bg_idx, st->n, mbg);
        rc = 0;
    }
    free(mimg);
    free(mbg);
    return rc;
}

/* Run sparsemed with the time axis from tin.  0 on success. */
static int
bgd_sparsemed_in(struct bgd_result *r, const struct bgd_stack *st,
                 const struct dcn_bg_time_input *tin,
                 const struct dcn_sparsemed_opts *o)
{
    struct bgd_work wk;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    memset(&wk, 0, sizeof(wk));
    if (bgd_plan(r, &wk, st->n, tin, o) != 0 || bgd_medians(r, &wk, st) != 0 ||
        bgd_cleanse(r, &wk, st, o) != 0)
        goto out;
    r->bg_idx = malloc((st->n ? st->n : 1) * sizeof(int64_t));
    if (r->bg_idx == NULL)
        goto out;
    dcn_sparsemed_assign(r->bg_idx, &wk.tm, wk.steps, wk.used, r->m,
                         o->split_time);
    if (o->offset_correction && bgd_offsets(r, st) != 0)
        goto out;
    rc = 0;
out:
    bgd_work_release(&wk);
    return rc;
}

/* Run sparsemed; time/frame/frame_rate (float64) may be NULL. */
static int
bgd_sparsemed(struct bgd_result *r, const struct bgd_stack *st,
              const double *time, const double *frame, const double *frame_rate,
              const struct dcn_sparsemed_opts *o)
{
    struct dcn_bg_time_input tin = {time, frame, frame_rate, false, false};

    return bgd_sparsemed_in(r, st, &tin, o);
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
        (void)fprintf(stderr, "rollmed: %s\n", err.msg);
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
