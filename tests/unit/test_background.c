/* SPDX-License-Identifier: MIT */
/*
 * test_background.c - the background stage against the oracles of
 * dcnum's test suite (numerics.md §8.1: test_feat_background_*,
 * test_read_detect_flicker), edge cases (§9) and a property test of the
 * fast median kernels against a sort-based median.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bg_driver.h"
#include "check.h"
#include "testdata.h"

/* ---------------------------------------------------------------- */
/* helpers                                                          */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static int
cmp_u8(const void *a, const void *b)
{
    return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* The 5x7 stack of dcnum's tests: every frame is arange(35). */
static uint8_t *
stack_5x7(size_t n)
{
    uint8_t *s = malloc(n * 35);

    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < 35; p++)
            s[i * 35 + p] = (uint8_t)p;
    return s;
}

static struct dcn_sparsemed_opts
opts_of(size_t k, double split, double thresh, double frac)
{
    struct dcn_sparsemed_opts o;

    dcn_sparsemed_opts_default(&o);
    o.kernel_size = k;
    o.split_time = split;
    o.thresh_cleansing = thresh;
    o.frac_cleansing = frac;
    return o;
}

/* Adapters from flat arguments to the struct-based API. */
static int
tax(double *t, bool *f32, size_t n, const struct dcn_bg_time_input *in,
    enum dcn_bg_time_source *src, struct dcn_error *err)
{
    struct dcn_bg_time tm = {t, n, false, 0};
    int rc = dcn_bg_time_axis(&tm, in, err);

    if (f32 != NULL)
        *f32 = tm.f32;
    if (src != NULL)
        *src = tm.source;
    return rc;
}

static size_t
nsteps_of(double *t, size_t n, bool f32, double split)
{
    struct dcn_bg_time tm = {t, n, f32, 0};

    return dcn_sparsemed_nsteps(&tm, split);
}

static int
cleanse_of(bool *used, size_t *nused, const uint8_t *const *imgs, size_t m,
           size_t h, size_t w, double thresh, double frac)
{
    struct dcn_bg_stack bg = {imgs, m, h, w};
    struct dcn_sparsemed_opts o;

    dcn_sparsemed_opts_default(&o);
    o.thresh_cleansing = thresh;
    o.frac_cleansing = frac;
    return dcn_sparsemed_cleanse(used, nused, &bg, &o, NULL);
}

/* ---------------------------------------------------------------- */
/* test_feat_background_bg_sparsemed.py                             */

static void
test_sparsemed_array_time_axis(void)
{
    static const size_t counts[] = {720, 730, 720, 720};
    static const size_t kernels[] = {10, 10, 11, 11};
    static const double splits[] = {0.01, 0.01, 0.01, 0.011};

    for (int c = 0; c < 4; c++) {
        size_t n = counts[c];
        double *t = malloc(n * sizeof(double));
        double steps[200];
        size_t wins[200];
        size_t m;
        enum dcn_bg_time_source src = 0;

        struct dcn_bg_time_input none = {0};
        bool f32 = true;

        CHECK_EQ(tax(t, &f32, n, &none, &src, NULL), DCN_OK);
        CHECK(!f32);
        CHECK_EQ(src, DCN_BG_TIME_3600_GUESS);
        /* bic.duration == event_count / 3600 * 1.5 */
        CHECK_DBL_IDENT(t[n - 1] - t[0], (double)n / 3600 * 1.5);
        m = nsteps_of(t, n, false, splits[c]);
        CHECK(m > 2 && m <= 200);
        {
            struct dcn_bg_time tm = {t, n, false, 0};

            dcn_sparsemed_plan(steps, wins, m, &tm, splits[c], kernels[c]);
        }
        CHECK_DBL_IDENT(steps[0], 0.0);
        CHECK_DBL_IDENT(steps[1], splits[c]);
        CHECK_EQ(wins[0], 0);
        CHECK_EQ(wins[m - 1] + kernels[c] <= n, 1);
        free(t);
    }
}

static void
test_sparsemed_bg_off_exact(void)
{
    size_t n = 720;
    uint8_t *s = stack_5x7(n);
    struct dcn_sparsemed_opts o = opts_of(10, 0.01, 0, 0.8);
    struct bgd_result r;
    size_t bad = 0;

    for (size_t p = 0; p < 35; p++) {
        s[3 * 35 + p] += 1;
        s[25 * 35 + p] += 2;
        s[101 * 35 + p] += 3;
    }
    if (!CHECK(bgd_sparsemed(&r, s, n, 5, 7, NULL, NULL, NULL, &o) == 0))
        goto out;
    for (size_t j = 0; j < n; j++) {
        double want = j == 3 ? 1 : j == 25 ? 2 : j == 101 ? 3 : 0;

        bad += memcmp(&r.bg_off[j], &want, sizeof(double)) != 0;
        /* input - image_bg - bg_off == 0 */
        for (size_t p = 0; p < 35; p++)
            bad += (double)s[j * 35 + p] -
                           (double)r.images[r.bg_idx[j] * 35 + p] -
                           r.bg_off[j] !=
                   0.0;
    }
    CHECK_EQ(bad, 0);
out:
    bgd_release(&r);
    free(s);
}

/* A step of +4 over [start, stop) shows in image_bg of frames
 * start-5 .. start+4; frames 3, 25, 101 keep the plain background. */
static void
test_sparsemed_internal_image_bg(void)
{
    size_t n = 720;
    uint8_t *s = stack_5x7(n);
    struct dcn_sparsemed_opts o = opts_of(10, 0.01, 0, 0.8);
    double *dt = malloc(n * sizeof(double));
    struct bgd_result r;
    size_t start = 0;
    size_t stop = 0;
    size_t bad = 0;

    dcn_bg_linspace(dt, n, 0, (double)n / 3600 * 1.5);
    for (size_t j = 0; j < n; j++) {
        if (fabs(dt[j] - 0.15) < fabs(dt[start] - 0.15))
            start = j;
        if (fabs(dt[j] - 0.16) < fabs(dt[stop] - 0.16))
            stop = j;
    }
    for (size_t p = 0; p < 35; p++) {
        s[3 * 35 + p] += 1;
        s[25 * 35 + p] += 2;
        s[101 * 35 + p] += 3;
        for (size_t j = start; j < stop; j++)
            s[j * 35 + p] += 4;
    }
    if (!CHECK(bgd_sparsemed(&r, s, n, 5, 7, NULL, NULL, NULL, &o) == 0))
        goto out;
    for (size_t p = 0; p < 35; p++) {
        uint8_t bg0 = r.images[r.bg_idx[0] * 35 + p];

        bad += r.images[r.bg_idx[3] * 35 + p] != bg0;
        bad += r.images[r.bg_idx[25] * 35 + p] != bg0;
        bad += r.images[r.bg_idx[101] * 35 + p] != bg0;
        for (size_t j = start - 5; j < start + 5; j++)
            bad += r.images[r.bg_idx[j] * 35 + p] != bg0 + 4;
    }
    CHECK_EQ(bad, 0);
out:
    bgd_release(&r);
    free(dt);
    free(s);
}

/* 34 frames, K=200: K becomes 34 and two images are written. */
static void
test_sparsemed_small_input_kernel_clamp(void)
{
    uint8_t *s = stack_5x7(34);
    struct dcn_sparsemed_opts o = opts_of(200, 0.01, 0, 0.8);
    struct bgd_result r;

    CHECK_EQ(dcn_sparsemed_kernel(200, 34), 34);
    if (CHECK(bgd_sparsemed(&r, s, 34, 5, 7, NULL, NULL, NULL, &o) == 0)) {
        CHECK_EQ(r.m, 2);
        CHECK_EQ(r.nkept, 2);
        CHECK(memcmp(r.images, s, 35) == 0);
    }
    bgd_release(&r);
    free(s);
}

/* The 2023 CytoShot file (40 frames, 80x400) with a replaced time axis. */
struct file2023 {
    struct td_array img;
    size_t n;
    size_t h;
    size_t w;
};

static int
load_2023(struct file2023 *f)
{
    char path[PATH_MAX];

    memset(f, 0, sizeof(*f));
    td_path(path, "inputs/cytoshot-test-data.rtdc");
    if (td_read(&f->img, path, "/events/image", TD_U8) != 0)
        return -1;
    f->n = f->img.dims[0];
    f->h = f->img.dims[1];
    f->w = f->img.dims[2];
    return 0;
}

static void
test_sparsemed_2023_file(void)
{
    struct file2023 f;
    struct dcn_sparsemed_opts o = opts_of(7, 0.11, 0, 0.8);
    struct bgd_result r;
    double *dt;
    double *frame;
    double fr = 5000;

    if (!CHECK(load_2023(&f) == 0))
        return;
    CHECK_EQ(f.n, 40);
    dt = malloc(f.n * sizeof(double));
    frame = malloc(f.n * sizeof(double));
    /* time = linspace(0, 1, 40): duration 1, 8 images */
    dcn_bg_linspace(dt, f.n, 0, 1);
    if (CHECK(bgd_sparsemed(&r, f.img.data, f.n, f.h, f.w, dt, NULL, NULL,
                            &o) == 0)) {
        CHECK_DBL_IDENT(r.t[f.n - 1] - r.t[0], 1.0);
        CHECK_EQ(r.m, 10);
        CHECK_EQ(r.nkept, 8);
    }
    bgd_release(&r);
    /* frame = 100 + 1000 k, frame rate 5000: 57 of 71 images */
    for (size_t k = 0; k < f.n; k++)
        frame[k] = 100.0 + 1000.0 * (double)k;
    if (CHECK(bgd_sparsemed(&r, f.img.data, f.n, f.h, f.w, NULL, frame, &fr,
                            &o) == 0)) {
        CHECK_DBL_NEAR(r.t[f.n - 1], 7.8, 1e-12, 0);
        CHECK_EQ(r.m, 71);
        CHECK_EQ(r.nkept, 57);
    }
    bgd_release(&r);
    /* frame rate, no time and no frame: one image */
    if (CHECK(bgd_sparsemed(&r, f.img.data, f.n, f.h, f.w, NULL, NULL, &fr,
                            &o) == 0)) {
        CHECK_DBL_IDENT(r.t[f.n - 1], 40.0 / 5000 * 1.5);
        CHECK_EQ(r.nkept, 1);
    }
    bgd_release(&r);
    free(frame);
    free(dt);
    td_array_release(&f.img);
}

/* 10x concatenation with image[40ii:40(ii+1)] += ii, time =
 * linspace(0, 1, 400, endpoint=False), K=20, split 0.1. */
static void
test_sparsemed_internal_basin(void)
{
    struct file2023 f;
    struct dcn_sparsemed_opts o = opts_of(20, 0.1, 0, 0.8);
    struct bgd_result r;
    size_t n = 400;
    size_t npix;
    uint8_t *s;
    uint8_t *ref;
    uint8_t col[20];
    double *t;
    uint64_t sum;

    if (!CHECK(load_2023(&f) == 0))
        return;
    npix = f.h * f.w;
    s = malloc(n * npix);
    ref = malloc(npix);
    t = malloc(n * sizeof(double));
    for (size_t ii = 0; ii < 10; ii++)
        for (size_t j = 0; j < 40 * npix; j++)
            s[ii * 40 * npix + j] = (uint8_t)(((uint8_t *)f.img.data)[j] + ii);
    for (size_t i = 0; i < n; i++)
        t[i] = (double)i * (1.0 / 400) + 0.0;
    /* np.partition(image[:20], kth=10, axis=0)[10] */
    for (size_t p = 0; p < npix; p++) {
        for (size_t k = 0; k < 20; k++)
            col[k] = ((uint8_t *)f.img.data)[k * npix + p];
        qsort(col, 20, 1, cmp_u8);
        ref[p] = col[10];
    }
    if (!CHECK(bgd_sparsemed(&r, s, n, f.h, f.w, t, NULL, NULL, &o) == 0))
        goto out;
    CHECK_DBL_IDENT(r.t[n - 1] - r.t[0], 0.9975);
    CHECK_EQ(r.nkept, 10);
    CHECK(memcmp(r.images, ref, npix) == 0);
    CHECK_EQ(r.bg_idx[0], 0);
    CHECK_EQ(r.bg_idx[10], 0);
    for (size_t ii = 0; ii < 10 && ii < r.nkept; ii++) {
        sum = 0;
        for (size_t p = 0; p < npix; p++)
            sum += (uint8_t)(ref[p] + ii - r.images[ii * npix + p]);
        CHECK(sum < 4);
        CHECK_EQ(r.bg_idx[40 * ii], (int64_t)ii);
        CHECK_EQ(r.bg_idx[40 * ii + 5], (int64_t)ii);
    }
out:
    bgd_release(&r);
    free(t);
    free(ref);
    free(s);
    td_array_release(&f.img);
}

/* ---------------------------------------------------------------- */
/* edge cases (§9)                                                  */

static void
test_sparsemed_single_frame(void)
{
    uint8_t *s = stack_5x7(1);
    struct dcn_sparsemed_opts o = opts_of(200, 1.0, 0, 0.8);
    struct bgd_result r;

    if (CHECK(bgd_sparsemed(&r, s, 1, 5, 7, NULL, NULL, NULL, &o) == 0)) {
        CHECK_EQ(r.m, 1); /* D11 */
        CHECK_EQ(r.nkept, 1);
        CHECK(memcmp(r.images, s, 35) == 0);
        CHECK_EQ(r.bg_idx[0], 0);
        CHECK_DBL_IDENT(r.bg_off[0], 0.0);
    }
    bgd_release(&r);
    free(s);
}

static void
test_sparsemed_zero_duration(void)
{
    size_t n = 12;
    uint8_t *s = stack_5x7(n);
    double t[12];
    struct dcn_sparsemed_opts o = opts_of(5, 0.5, 0, 0.8);
    struct bgd_result r;

    for (size_t i = 0; i < n; i++)
        t[i] = 3.25;
    CHECK_EQ(nsteps_of(t, n, false, 0.5), 1);
    if (CHECK(bgd_sparsemed(&r, s, n, 5, 7, t, NULL, NULL, &o) == 0)) {
        CHECK_EQ(r.m, 1);
        CHECK_EQ(r.nkept, 1);
        for (size_t j = 0; j < n; j++)
            CHECK_EQ(r.bg_idx[j], 0);
    }
    bgd_release(&r);
    free(s);
}

static void
test_bg_top_mean_rows(void)
{
    uint8_t img[30 * 3];

    for (size_t y = 0; y < 30; y++)
        for (size_t x = 0; x < 3; x++)
            img[y * 3 + x] = (uint8_t)(y < 20 ? 1 + x : 200);
    /* rows 0..19 only: (1+2+3)*20 / 60 */
    CHECK_DBL_IDENT(dcn_bg_top_mean(img, 30, 3), 2.0);
    /* H < 20: all rows */
    CHECK_DBL_IDENT(dcn_bg_top_mean(img + 18 * 3, 3, 3),
                    (double)(6 + 6 + 600) / 9.0);
}

/* H < 40: the cleansing slice [H//2 - 20, H//2 + 20) starts negative and
 * wraps (Python semantics): for H = 30 it is [25, 30). */
static void
test_cleanse_slice_wraps_for_small_height(void)
{
    size_t h = 30;
    size_t w = 8;
    size_t m = 10;
    uint8_t *imgs = calloc(m * h * w, 1);
    const uint8_t *ptrs[10];
    bool used[10];
    size_t nused = 0;

    for (size_t i = 0; i < m; i++)
        ptrs[i] = imgs + i * h * w;
    /* image 4: a streak in rows 0..24 (outside the slice): kept */
    for (size_t y = 0; y < 25; y++)
        imgs[4 * h * w + y * w + 3] = 90;
    CHECK_EQ(cleanse_of(used, &nused, ptrs, m, h, w, 0, 0.8), DCN_OK);
    CHECK_EQ(nused, 10);
    /* image 6: a streak in rows 25..29 (inside the slice): removed */
    for (size_t y = 25; y < 30; y++)
        imgs[6 * h * w + y * w + 3] = 90;
    CHECK_EQ(cleanse_of(used, &nused, ptrs, m, h, w, 0, 0.8), DCN_OK);
    CHECK_EQ(nused, 9);
    CHECK(!used[6]);
    CHECK(used[4]);
    /* frac_cleansing == 1 keeps everything */
    CHECK_EQ(cleanse_of(used, &nused, ptrs, m, h, w, 0, 1.0), DCN_OK);
    CHECK_EQ(nused, 10);
    /* thresh_cleansing > 0: var(ref)*150/t keeps too few -> quantile */
    CHECK_EQ(cleanse_of(used, &nused, ptrs, m, h, w, 1e9, 0.8), DCN_OK);
    CHECK_EQ(nused, 9);
    free(imgs);
}

static void
test_options_rejected(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_sparsemed_opts o = opts_of(0, 1, 0, 0.8);
    double t[2];
    double bad_fr = 0;

    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 0, 0, 0.8);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, -1, 0.8);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, 0, 1.5);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, 0, 1.0);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_OK);
    struct dcn_bg_time_input none = {0};
    struct dcn_bg_time_input badrate = {NULL, NULL, &bad_fr, false, false};

    CHECK_EQ(tax(t, NULL, 0, &none, NULL, NULL), DCN_EINVAL);
    CHECK_EQ(tax(t, NULL, 2, &badrate, NULL, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "frame rate") != NULL);
    dcn_error_clear(&err);
    /* rollmed (§2.2, D12) */
    CHECK_EQ(dcn_rollmed_check(10, 90, 720, NULL), DCN_OK);
    CHECK_EQ(dcn_rollmed_check(11, 90, 720, NULL), DCN_EINVAL);
    CHECK_EQ(dcn_rollmed_check(10, 10, 720, NULL), DCN_EINVAL);
    CHECK_EQ(dcn_rollmed_check(200, 1000, 34, NULL), DCN_EINVAL);
    CHECK_EQ(dcn_rollmed_check(34, 1000, 34, NULL), DCN_EINVAL);
    CHECK_EQ(dcn_rollmed_check(0, 1000, 34, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "even") != NULL);
}

/* ---------------------------------------------------------------- */
/* time axis                                                        */

static void
test_time_axis_sources(void)
{
    double time[4] = {10.5, 10.75, 11.0, 12.0};
    double frame[4] = {101, 103, 110, 111};
    double fr = 2000;
    double t[4];
    bool f32;
    enum dcn_bg_time_source src;
    struct dcn_bg_time_input all = {time, frame, &fr, false, false};
    struct dcn_bg_time_input fronly = {NULL, frame, &fr, false, false};
    struct dcn_bg_time_input fr32 = {NULL, frame, &fr, false, true};
    struct dcn_bg_time_input noattr = {NULL, frame, NULL, false, false};
    struct dcn_bg_time_input rate = {NULL, NULL, &fr, false, false};

    CHECK_EQ(tax(t, &f32, 4, &all, &src, NULL), DCN_OK);
    CHECK_EQ(src, DCN_BG_TIME_FEATURE);
    CHECK_DBL_IDENT(t[0], 0.0);
    CHECK_DBL_IDENT(t[3], 1.5);
    CHECK_EQ(tax(t, &f32, 4, &fronly, &src, NULL), DCN_OK);
    CHECK_EQ(src, DCN_BG_TIME_FRAME);
    CHECK(!f32);
    CHECK_DBL_IDENT(t[2], 110.0 / 2000 - 101.0 / 2000);
    /* float32 frame (Shape-In): numpy divides and subtracts in float32 */
    CHECK_EQ(tax(t, &f32, 4, &fr32, &src, NULL), DCN_OK);
    CHECK(f32);
    CHECK_DBL_IDENT(t[2], (double)(110.0f / 2000.0f - 101.0f / 2000.0f));
    CHECK_EQ(tax(t, &f32, 4, &noattr, &src, NULL), DCN_OK);
    CHECK_EQ(src, DCN_BG_TIME_3600_GUESS);
    CHECK_DBL_IDENT(t[3], 4.0 / 3600 * 1.5);
    CHECK_DBL_IDENT(t[1], 1.0 * ((4.0 / 3600 * 1.5) / 3.0));
    CHECK_EQ(tax(t, &f32, 1, &rate, &src, NULL), DCN_OK);
    CHECK_EQ(src, DCN_BG_TIME_RATE_GUESS);
    CHECK_DBL_IDENT(t[0], 0.0);
}

/*
 * A float32 `frame` (Shape-In files) makes numpy hold the time axis in
 * float32, which moves some windows.  Expected values: numpy 1.24 running
 * dcnum's plan and assignment on these frames (fr 5000, split 0.001,
 * K 5); the float64 windows are given too, to show the difference.
 */
static void
test_float32_frame_axis_numpy_oracle(void)
{
    static const double frames[40] = {
            7571560, 7571582, 7571610, 7571612, 7571617, 7571641, 7571669,
            7571677, 7571687, 7571713, 7571726, 7571734, 7571759, 7571767,
            7571779, 7571798, 7571814, 7571817, 7571818, 7571844, 7571866,
            7571891, 7571907, 7571931, 7571941, 7571955, 7571978, 7571982,
            7571991, 7571995, 7572009, 7572038, 7572042, 7572054, 7572066,
            7572093, 7572099, 7572114, 7572122, 7572123};
    static const unsigned char wins32[113] = {
            0,  0,  0,  1,  1,  1,  1,  1,  2,  2,  2,  4,  4,  4,  5,  5,  5,
            5,  5,  6,  6,  6,  6,  7,  7,  8,  8,  8,  8,  9,  9,  9,  10, 10,
            11, 11, 11, 11, 12, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16,
            16, 18, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20, 20, 21, 21, 21, 21,
            22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 25, 25, 25, 25, 26, 26, 27,
            27, 28, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31, 32, 33, 33, 34, 34,
            34, 34, 35, 35, 35, 35, 35, 35, 35, 35, 35};
    static const unsigned char wins64[113] = {
            0,  0,  0,  1,  1,  1,  1,  1,  2,  2,  2,  4,  4,  4,  5,  5,  5,
            5,  5,  5,  6,  6,  6,  7,  7,  8,  8,  8,  8,  9,  9,  9,  10, 10,
            10, 11, 11, 11, 12, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16,
            16, 18, 18, 18, 19, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21,
            22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 25, 25, 25, 25, 26, 26, 26,
            27, 28, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31, 32, 33, 33, 33, 34,
            34, 34, 35, 35, 35, 35, 35, 35, 35, 35, 35};
    static const unsigned char idx[40] = {
            2,  7,  10, 11, 14, 19,  23,  24,  28,  32,  34,  37, 41, 43,
            46, 49, 51, 52, 54, 59,  64,  68,  72,  75,  78,  81, 84, 85,
            87, 88, 93, 96, 98, 100, 104, 107, 109, 112, 112, 112};
    double fr = 5000;
    double t[40];
    double steps[113];
    size_t wins[113];
    int64_t bg_idx[40];
    struct dcn_bg_time_input in = {NULL, frames, &fr, false, true};
    struct dcn_bg_time tm = {t, 40, false, 0};
    size_t bad32 = 0;
    size_t bad64 = 0;
    size_t badidx = 0;

    CHECK_EQ(dcn_bg_time_axis(&tm, &in, NULL), DCN_OK);
    CHECK(tm.f32);
    CHECK_EQ(dcn_sparsemed_nsteps(&tm, 0.001), 113);
    dcn_sparsemed_plan(steps, wins, 113, &tm, 0.001, 5);
    for (size_t i = 0; i < 113; i++)
        bad32 += wins[i] != wins32[i];
    dcn_sparsemed_assign(bg_idx, &tm, steps, NULL, 113, 0.001);
    for (size_t j = 0; j < 40; j++)
        badidx += bg_idx[j] != idx[j];
    /* the same frames as integers (float64 path) */
    in.frame_f32 = false;
    CHECK_EQ(dcn_bg_time_axis(&tm, &in, NULL), DCN_OK);
    CHECK(!tm.f32);
    CHECK_EQ(dcn_sparsemed_nsteps(&tm, 0.001), 113);
    dcn_sparsemed_plan(steps, wins, 113, &tm, 0.001, 5);
    for (size_t i = 0; i < 113; i++)
        bad64 += wins[i] != wins64[i];
    CHECK_EQ(bad32, 0);
    CHECK_EQ(bad64, 0);
    CHECK_EQ(badidx, 0);
}

/* ---------------------------------------------------------------- */
/* rollmed (test_feat_background_bg_roll_median.py)                 */

static void
test_rollmed_5x7(void)
{
    static const size_t counts[] = {720, 730};

    for (int c = 0; c < 2; c++) {
        size_t n = counts[c];
        uint8_t *s = stack_5x7(n);
        uint8_t *bg = malloc(n * 35);
        uint8_t first[35];
        size_t bad = 0;

        if (CHECK(bgd_rollmed(bg, s, n, 35, 10, 2) == 0)) {
            for (size_t i = 0; i < 90; i++)
                bad += bg[i * 35 + 0] != 0 || bg[i * 35 + 1] != 1 ||
                       bg[i * 35 + 2] != 2 || bg[i * 35 + 7] != 7;
            for (size_t i = 690; i < n; i++)
                bad += bg[i * 35 + 0] != 0 || bg[i * 35 + 1] != 1;
            CHECK_EQ(bad, 0);
            memcpy(first, bg, 35);
            qsort(first, 35, 1, cmp_u8);
            CHECK_EQ(first[17], 17);
        }
        free(bg);
        free(s);
    }
}

/* ---------------------------------------------------------------- */
/* flicker (test_read_detect_flicker.py)                            */

static void
flicker_meds(double *meds, const uint8_t *s, size_t n, size_t h, size_t w,
             size_t roi)
{
    for (size_t i = 0; i < n; i++)
        meds[i] = dcn_flicker_roi_median(s + i * h * w, h, w, roi);
}

static bool
flicker(const uint8_t *s, size_t n, size_t h, size_t w, size_t roi, double thr,
        long count, size_t max_frames)
{
    size_t m = n < max_frames ? n : max_frames;
    double *meds = malloc((m ? m : 1) * sizeof(double));
    bool res;

    flicker_meds(meds, s, m, h, w, roi);
    res = dcn_flicker_decide(meds, m, thr, count);
    free(meds);
    return res;
}

static void
test_flicker_synthetic(void)
{
    size_t n = 500;
    size_t h = 80;
    size_t w = 320;
    size_t npix = h * w;
    static const size_t idx[] = {4, 9, 10, 23, 439};
    uint8_t *s = malloc(n * npix);

    memset(s, 145, n * npix);
    CHECK(!flicker(s, n, h, w, 10, 5, 5, 500));
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix, 150, npix);
    CHECK(flicker(s, n, h, w, 10, 5, 5, 500));
    CHECK(!flicker(s, n, h, w, 10, 5, 6, 500));
    CHECK(!flicker(s, n, h, w, 10, 6, 5, 500));
    CHECK(!flicker(s, n, h, w, 10, 5, 5, 400));
    /* only outside the ROI (rows 11:) */
    memset(s, 145, n * npix);
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix + 11 * w, 150, (h - 11) * w);
    CHECK(!flicker(s, n, h, w, 10, 5, 5, 500));
    /* only inside the ROI (rows :10) */
    memset(s, 145, n * npix);
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix, 150, 10 * w);
    CHECK(flicker(s, n, h, w, 10, 5, 5, 500));
    free(s);
}

static void
test_flicker_2023_file_x25(void)
{
    struct file2023 f;
    double meds[1000];
    double work[1000];

    if (!CHECK(load_2023(&f) == 0))
        return;
    /* concatenated_hdf5_data([file] * 25): 1000 frames, defaults */
    for (size_t i = 0; i < 1000; i++)
        meds[i] = dcn_flicker_roi_median(
                (uint8_t *)f.img.data + (i % 40) * f.h * f.w, f.h, f.w, 10);
    memcpy(work, meds, sizeof(meds));
    CHECK(!dcn_flicker_decide(work, 1000, 2.5, 5));
    memcpy(work, meds, sizeof(meds));
    CHECK(dcn_flicker_decide(work, 1000, 1, 5));
    td_array_release(&f.img);
}

static void
test_flicker_roi_median_even_count(void)
{
    uint8_t img[2 * 3] = {1, 2, 3, 10, 200, 4};

    /* 6 values 1 2 3 4 10 200: (3 + 4) / 2 */
    CHECK_DBL_IDENT(dcn_flicker_roi_median(img, 2, 3, 10), 3.5);
    /* 3 values: middle */
    CHECK_DBL_IDENT(dcn_flicker_roi_median(img, 2, 3, 1), 2.0);
    CHECK(isnan(dcn_flicker_roi_median(img, 2, 3, 0)));
}

/* ---------------------------------------------------------------- */
/* property tests: fast kernels vs sort                             */

static uint8_t
naive_median(const uint8_t *const *frames, size_t k, size_t p, uint8_t *tmp)
{
    for (size_t f = 0; f < k; f++)
        tmp[f] = frames[f][p];
    qsort(tmp, k, 1, cmp_u8);
    return tmp[k / 2];
}

static void
fill_random(uint8_t *buf, size_t len)
{
    /* mixed distributions: uniform, narrow band, few distinct values */
    uint32_t mode = rnd() % 4;
    uint32_t base = rnd() % 256;

    for (size_t i = 0; i < len; i++) {
        uint32_t r = rnd();

        switch (mode) {
        case 0:
            buf[i] = (uint8_t)r;
            break;
        case 1:
            buf[i] = (uint8_t)(base + r % 7);
            break;
        case 2:
            buf[i] = (r & 1) ? 0 : 255;
            break;
        default:
            buf[i] = (uint8_t)base;
            break;
        }
    }
}

static void
test_median_kernel_matches_sort(void)
{
    size_t mismatches = 0;
    size_t cases = 0;

    for (int it = 0; it < 300; it++) {
        size_t k = it < 4 ? (size_t)it + 1 : 1 + rnd() % 300;
        size_t npix = 1 + rnd() % 700;
        size_t p0 = rnd() % npix;
        size_t p1 = p0 + rnd() % (npix - p0 + 1);
        uint8_t *data = malloc(k * npix);
        const uint8_t **fr = malloc(k * sizeof(*fr));
        uint8_t *dst = malloc(npix);
        uint8_t *tmp = malloc(k);
        void *scratch = malloc(dcn_bg_median_scratch_size(k));

        fill_random(data, k * npix);
        /* frames in random order in memory, as a ring buffer would be */
        for (size_t f = 0; f < k; f++)
            fr[f] = data + ((f * 7 + 3) % k) * npix;
        memset(dst, 0xAB, npix);
        dcn_bg_median(dst, fr, k, p0, p1, scratch);
        for (size_t p = 0; p < npix; p++) {
            if (p >= p0 && p < p1)
                mismatches += dst[p] != naive_median(fr, k, p, tmp);
            else
                mismatches += dst[p] != 0xAB;
        }
        cases++;
        free(scratch);
        free(tmp);
        free(dst);
        free(fr);
        free(data);
    }
    CHECK_EQ(mismatches, 0);
    CHECK_EQ(cases, 300);
}

/* k > 65535 takes the 32-bit counter path */
static void
test_median_kernel_huge_k(void)
{
    size_t k = 70001;
    size_t npix = 37;
    uint8_t *data = malloc(k * npix);
    const uint8_t **fr = malloc(k * sizeof(*fr));
    uint8_t dst[37];
    uint8_t *tmp = malloc(k);
    void *scratch = malloc(dcn_bg_median_scratch_size(k));
    size_t bad = 0;

    fill_random(data, k * npix);
    for (size_t f = 0; f < k; f++)
        fr[f] = data + f * npix;
    dcn_bg_median(dst, fr, k, 0, npix, scratch);
    for (size_t p = 0; p < npix; p++)
        bad += dst[p] != naive_median(fr, k, p, tmp);
    CHECK_EQ(bad, 0);
    free(scratch);
    free(tmp);
    free(fr);
    free(data);
}

static void
test_rollmed_matches_sort(void)
{
    size_t mismatches = 0;

    for (int it = 0; it < 60; it++) {
        size_t k = 2 * (1 + rnd() % 40);
        size_t n = k + 1 + rnd() % 120;
        size_t npix = 1 + rnd() % 200;
        uint8_t *s = malloc(n * npix);
        uint8_t *bg = malloc(n * npix);
        const uint8_t **fr = malloc(k * sizeof(*fr));
        uint8_t *tmp = malloc(k);

        for (size_t i = 0; i < n; i++)
            fill_random(s + i * npix, npix);
        if (!CHECK(bgd_rollmed(bg, s, n, npix, k, 1 + rnd() % 3) == 0))
            mismatches++;
        for (size_t i = 0; i < n; i++) {
            size_t w0 = i + k < n ? i : n - k - 1;

            for (size_t f = 0; f < k; f++)
                fr[f] = s + (w0 + f) * npix;
            for (size_t p = 0; p < npix; p++)
                mismatches += bg[i * npix + p] != naive_median(fr, k, p, tmp);
        }
        free(tmp);
        free(fr);
        free(bg);
        free(s);
    }
    CHECK_EQ(mismatches, 0);
}

static void
test_subtract_is_exact_int16(void)
{
    uint8_t img[4] = {0, 255, 17, 200};
    uint8_t bg[4] = {255, 0, 17, 201};
    int16_t corr[4] = {0};

    dcn_bg_subtract(corr, img, bg, 4);
    CHECK_EQ(corr[0], -255);
    CHECK_EQ(corr[1], 255);
    CHECK_EQ(corr[2], 0);
    CHECK_EQ(corr[3], -1);
}

/* ---------------------------------------------------------------- */
/* threads on disjoint pixel ranges (run under TSan in CI)          */

struct range_job {
    uint8_t *dst;
    const uint8_t *const *frames;
    const uint8_t *stack;
    struct dcn_rollmed *rm;
    size_t k;
    size_t n;
    size_t npix;
    size_t p0;
    size_t p1;
};

static void *
median_range_worker(void *arg)
{
    struct range_job *j = arg;
    void *scratch = malloc(dcn_bg_median_scratch_size(j->k));

    dcn_bg_median(j->dst, j->frames, j->k, j->p0, j->p1, scratch);
    free(scratch);
    return NULL;
}

static void *
rollmed_range_worker(void *arg)
{
    struct range_job *j = arg;

    for (size_t f = 0; f < j->k; f++)
        dcn_rollmed_add(j->rm, j->stack + f * j->npix, j->p0, j->p1);
    dcn_rollmed_median(j->rm, j->dst, j->p0, j->p1);
    for (size_t i = 1; i + j->k < j->n; i++)
        dcn_rollmed_step(j->rm, j->dst + i * j->npix,
                         j->stack + (i - 1) * j->npix,
                         j->stack + (i + j->k - 1) * j->npix, j->p0, j->p1);
    return NULL;
}

static void
test_threads_on_disjoint_ranges(void)
{
    enum {
        NT = 3
    };
    size_t npix = 1001;
    size_t k = 24;
    size_t n = 60;
    uint8_t *stack = malloc(n * npix);
    uint8_t *par = calloc(n, npix);
    uint8_t *seq = calloc(n, npix);
    const uint8_t **fr = malloc(k * sizeof(*fr));
    void *scratch = malloc(dcn_bg_median_scratch_size(k));
    struct dcn_rollmed *rm = NULL;
    struct range_job jobs[NT];
    pthread_t th[NT];

    fill_random(stack, n * npix);
    for (size_t f = 0; f < k; f++)
        fr[f] = stack + f * npix;
    /* median kernel */
    dcn_bg_median(seq, fr, k, 0, npix, scratch);
    for (int t = 0; t < NT; t++) {
        jobs[t] = (struct range_job){par,
                                     fr,
                                     stack,
                                     NULL,
                                     k,
                                     n,
                                     npix,
                                     npix * (size_t)t / NT,
                                     npix * (size_t)(t + 1) / NT};
        CHECK_EQ(pthread_create(&th[t], NULL, median_range_worker, &jobs[t]),
                 0);
    }
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    CHECK(memcmp(par, seq, npix) == 0);
    /* rollmed: one state shared by the threads */
    CHECK_EQ(bgd_rollmed(seq, stack, n, npix, k, 1), 0);
    CHECK_EQ(dcn_rollmed_new(&rm, npix, k, NULL), DCN_OK);
    for (int t = 0; t < NT; t++) {
        jobs[t].rm = rm;
        CHECK_EQ(pthread_create(&th[t], NULL, rollmed_range_worker, &jobs[t]),
                 0);
    }
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    for (size_t i = n - k; i < n; i++)
        memcpy(par + i * npix, par + (n - k - 1) * npix, npix);
    CHECK(memcmp(par, seq, n * npix) == 0);
    dcn_rollmed_free(rm);
    free(scratch);
    free(fr);
    free(seq);
    free(par);
    free(stack);
}

/* ---------------------------------------------------------------- */
/* allocation failures (curl's torture mode)                        */

static void
test_allocation_failures_are_reported(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rollmed *rm = NULL;
    uint8_t img[4 * 4] = {0};
    const uint8_t *ptrs[3] = {img, img, img};
    struct dcn_bg_stack bg = {ptrs, 3, 4, 4};
    struct dcn_sparsemed_opts o;
    bool used[3];
    int nfail = 0;

    dcn_sparsemed_opts_default(&o);
    for (long nth = 1; nth <= 4; nth++) {
        dcn__alloc_fail_nth(nth);
        if (dcn_rollmed_new(&rm, 100, 10, &err) == DCN_ENOMEM) {
            CHECK(rm == NULL);
            CHECK(strstr(err.msg, "out of memory") != NULL);
            nfail++;
        }
        dcn_rollmed_free(rm);
        rm = NULL;
        dcn_error_clear(&err);
    }
    for (long nth = 1; nth <= 6; nth++) {
        dcn__alloc_fail_nth(nth);
        nfail += dcn_sparsemed_cleanse(used, NULL, &bg, &o, &err) == DCN_ENOMEM;
        dcn_error_clear(&err);
    }
    dcn__alloc_fail_nth(0);
    CHECK_EQ(nfail, 4 + 6);
}

int
main(void)
{
    test_sparsemed_array_time_axis();
    test_sparsemed_bg_off_exact();
    test_sparsemed_internal_image_bg();
    test_sparsemed_small_input_kernel_clamp();
    test_sparsemed_2023_file();
    test_sparsemed_internal_basin();
    test_sparsemed_single_frame();
    test_sparsemed_zero_duration();
    test_bg_top_mean_rows();
    test_cleanse_slice_wraps_for_small_height();
    test_options_rejected();
    test_time_axis_sources();
    test_float32_frame_axis_numpy_oracle();
    test_rollmed_5x7();
    test_flicker_synthetic();
    test_flicker_2023_file_x25();
    test_flicker_roi_median_even_count();
    test_median_kernel_matches_sort();
    test_median_kernel_huge_k();
    test_rollmed_matches_sort();
    test_subtract_is_exact_int16();
    test_threads_on_disjoint_ranges();
    test_allocation_failures_are_reported();
    return check_report();
}
