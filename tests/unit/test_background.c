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

/* The bit pattern of a double. */
static uint64_t
bits_of(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

static int
cleanse_of(bool *used, size_t *nused, const struct dcn_bg_stack *bg,
           double thresh, double frac)
{
    struct dcn_sparsemed_opts o;

    dcn_sparsemed_opts_default(&o);
    o.thresh_cleansing = thresh;
    o.frac_cleansing = frac;
    return dcn_sparsemed_cleanse(used, nused, bg, &o, NULL);
}

/* ---------------------------------------------------------------- */
/* test_feat_background_bg_sparsemed.py                             */

/* The plan starts at time 0 with window 0, one split later. */
static void
check_first_steps(const double *steps, const size_t *wins, double split)
{
    CHECK_DBL_IDENT(steps[0], 0.0);
    CHECK_DBL_IDENT(steps[1], split);
    CHECK_EQ(wins[0], 0);
}

/* n frames without a time axis (the 3600 guess), kernel k, split. */
static void
check_array_time_axis(size_t n, size_t k, double split)
{
    double *t = malloc(n * sizeof(double));
    double steps[200];
    size_t wins[200];
    size_t m;
    struct dcn_bg_time_input none = {0};
    struct dcn_bg_time tm = {t, n, false, 0};

    CHECK_EQ(dcn_bg_time_axis(&tm, &none, NULL), DCN_OK);
    CHECK(!tm.f32);
    CHECK_EQ(tm.source, DCN_BG_TIME_3600_GUESS);
    /* bic.duration == event_count / 3600 * 1.5 */
    CHECK_DBL_IDENT(t[n - 1] - t[0], (double)n / 3600 * 1.5);
    m = dcn_sparsemed_nsteps(&tm, split);
    CHECK(m > 2 && m <= 200);
    if (m > 200)
        m = 200;
    dcn_sparsemed_plan(steps, wins, m, &tm, split, k);
    check_first_steps(steps, wins, split);
    CHECK_EQ(wins[m - 1] + k <= n, 1);
    free(t);
}

static void
test_sparsemed_array_time_axis(void)
{
    static const size_t counts[] = {720, 730, 720, 720};
    static const size_t kernels[] = {10, 10, 11, 11};
    static const double splits[] = {0.01, 0.01, 0.01, 0.011};

    for (int c = 0; c < 4; c++)
        check_array_time_axis(counts[c], kernels[c], splits[c]);
}

#define NPIX_5X7 ((size_t)35)

/* Frames 3, 25 and 101 of the 5x7 stack brighter by 1, 2 and 3. */
static void
brighten_3_25_101(uint8_t *s)
{
    for (size_t p = 0; p < NPIX_5X7; p++) {
        s[3 * NPIX_5X7 + p] += 1;
        s[25 * NPIX_5X7 + p] += 2;
        s[101 * NPIX_5X7 + p] += 3;
    }
}

/* Frames of the 5x7 stack that do not satisfy input - image_bg - bg_off
 * == 0 with bg_off 1, 2, 3 for frames 3, 25, 101 (else 0). */
static size_t
bg_off_errors(const uint8_t *s, size_t n, const struct bgd_result *r)
{
    size_t bad = 0;

    for (size_t j = 0; j < n; j++) {
        double want = j == 3 ? 1 : j == 25 ? 2 : j == 101 ? 3 : 0;
        const uint8_t *bg = r->images + r->bg_idx[j] * NPIX_5X7;

        bad += bits_of(r->bg_off[j]) != bits_of(want);
        /* input - image_bg - bg_off == 0 */
        for (size_t p = 0; p < NPIX_5X7; p++)
            bad += (double)s[j * NPIX_5X7 + p] - (double)bg[p] - r->bg_off[j] !=
                   0.0;
    }
    return bad;
}

static void
test_sparsemed_bg_off_exact(void)
{
    size_t n = 720;
    uint8_t *s = stack_5x7(n);
    struct dcn_sparsemed_opts o = opts_of(10, 0.01, 0, 0.8);
    struct bgd_stack st = {s, n, 5, 7};
    struct bgd_result r;

    brighten_3_25_101(s);
    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, NULL, &o) == 0))
        CHECK_EQ(bg_off_errors(s, n, &r), 0);
    bgd_release(&r);
    free(s);
}

/* The frames closest to 0.15 and 0.16 of the 5x7 stack's time axis. */
static void
step_range(size_t n, size_t *start, size_t *stop)
{
    double *dt = malloc(n * sizeof(double));

    *start = *stop = 0;
    if (dt == NULL)
        return;
    dcn_bg_linspace(dt, n, 0, (double)n / 3600 * 1.5);
    for (size_t j = 0; j < n; j++) {
        if (fabs(dt[j] - 0.15) < fabs(dt[*start] - 0.15))
            *start = j;
        if (fabs(dt[j] - 0.16) < fabs(dt[*stop] - 0.16))
            *stop = j;
    }
    free(dt);
}

/* Background pixels that differ from frame 0's (+4 for the frames
 * start-5 .. start+4). */
static size_t
image_bg_errors(const struct bgd_result *r, size_t start)
{
    size_t bad = 0;

    for (size_t p = 0; p < NPIX_5X7; p++) {
        uint8_t bg0 = r->images[r->bg_idx[0] * NPIX_5X7 + p];

        bad += r->images[r->bg_idx[3] * NPIX_5X7 + p] != bg0;
        bad += r->images[r->bg_idx[25] * NPIX_5X7 + p] != bg0;
        bad += r->images[r->bg_idx[101] * NPIX_5X7 + p] != bg0;
        for (size_t j = start - 5; j < start + 5; j++)
            bad += r->images[r->bg_idx[j] * NPIX_5X7 + p] != bg0 + 4;
    }
    return bad;
}

/* A step of +4 over [start, stop) shows in image_bg of frames
 * start-5 .. start+4; frames 3, 25, 101 keep the plain background. */
static void
test_sparsemed_internal_image_bg(void)
{
    size_t n = 720;
    uint8_t *s = stack_5x7(n);
    struct dcn_sparsemed_opts o = opts_of(10, 0.01, 0, 0.8);
    struct bgd_stack st = {s, n, 5, 7};
    struct bgd_result r;
    size_t start;
    size_t stop;

    step_range(n, &start, &stop);
    brighten_3_25_101(s);
    for (size_t p = 0; p < NPIX_5X7; p++) {
        for (size_t j = start; j < stop; j++)
            s[j * NPIX_5X7 + p] += 4;
    }
    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, NULL, &o) == 0))
        CHECK_EQ(image_bg_errors(&r, start), 0);
    bgd_release(&r);
    free(s);
}

/* 34 frames, K=200: K becomes 34 and two images are written. */
static void
test_sparsemed_small_input_kernel_clamp(void)
{
    uint8_t *s = stack_5x7(34);
    struct dcn_sparsemed_opts o = opts_of(200, 0.01, 0, 0.8);
    struct bgd_stack st = {s, 34, 5, 7};
    struct bgd_result r;

    CHECK_EQ(dcn_sparsemed_kernel(200, 34), 34);
    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, NULL, &o) == 0)) {
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

/* The 2023 file as a stack; 0, or -1 (checked) if it cannot be read. */
static int
stack_2023(struct file2023 *f, struct bgd_stack *st)
{
    if (!CHECK(load_2023(f) == 0))
        return -1;
    CHECK_EQ(f->n, 40);
    *st = (struct bgd_stack){f->img.data, f->n, f->h, f->w};
    return 0;
}

/* time = linspace(0, 1, 40): duration 1, 8 images */
static void
test_sparsemed_2023_file_with_time(void)
{
    struct file2023 f;
    struct bgd_stack st;
    struct dcn_sparsemed_opts o = opts_of(7, 0.11, 0, 0.8);
    struct bgd_result r;
    double dt[40];

    if (stack_2023(&f, &st) != 0 || f.n != 40)
        goto out;
    dcn_bg_linspace(dt, f.n, 0, 1);
    if (CHECK(bgd_sparsemed(&r, &st, dt, NULL, NULL, &o) == 0)) {
        CHECK_DBL_IDENT(r.t[f.n - 1] - r.t[0], 1.0);
        CHECK_EQ(r.m, 10);
        CHECK_EQ(r.nkept, 8);
    }
    bgd_release(&r);
out:
    td_array_release(&f.img);
}

/* frame = 100 + 1000 k, frame rate 5000: 57 of 71 images */
static void
test_sparsemed_2023_file_with_frame(void)
{
    struct file2023 f;
    struct bgd_stack st;
    struct dcn_sparsemed_opts o = opts_of(7, 0.11, 0, 0.8);
    struct bgd_result r;
    double frame[40];
    double fr = 5000;

    if (stack_2023(&f, &st) != 0 || f.n != 40)
        goto out;
    for (size_t k = 0; k < f.n; k++)
        frame[k] = 100.0 + 1000.0 * (double)k;
    if (CHECK(bgd_sparsemed(&r, &st, NULL, frame, &fr, &o) == 0)) {
        CHECK_DBL_NEAR(r.t[f.n - 1], 7.8, 1e-12, 0);
        CHECK_EQ(r.m, 71);
        CHECK_EQ(r.nkept, 57);
    }
    bgd_release(&r);
out:
    td_array_release(&f.img);
}

/* frame rate, no time and no frame: one image */
static void
test_sparsemed_2023_file_with_frame_rate(void)
{
    struct file2023 f;
    struct bgd_stack st;
    struct dcn_sparsemed_opts o = opts_of(7, 0.11, 0, 0.8);
    struct bgd_result r;
    double fr = 5000;

    if (stack_2023(&f, &st) != 0)
        goto out;
    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, &fr, &o) == 0)) {
        CHECK_DBL_IDENT(r.t[f.n - 1], 40.0 / 5000 * 1.5);
        CHECK_EQ(r.nkept, 1);
    }
    bgd_release(&r);
out:
    td_array_release(&f.img);
}

/* The 2023 file 10 times, image[40ii:40(ii+1)] += ii, and its time axis
 * linspace(0, 1, 400, endpoint=False). */
struct basin400 {
    struct file2023 f;
    size_t npix;
    uint8_t *s;
    double t[400];
};

static int
basin400_make(struct basin400 *b)
{
    const uint8_t *img;

    if (!CHECK(load_2023(&b->f) == 0))
        return -1;
    img = b->f.img.data;
    b->npix = b->f.h * b->f.w;
    b->s = malloc(400 * b->npix);
    if (b->s == NULL)
        return -1;
    for (size_t ii = 0; ii < 10; ii++)
        for (size_t j = 0; j < 40 * b->npix; j++)
            b->s[ii * 40 * b->npix + j] = (uint8_t)(img[j] + ii);
    for (size_t i = 0; i < 400; i++)
        b->t[i] = (double)i * (1.0 / 400) + 0.0;
    return 0;
}

static void
basin400_release(struct basin400 *b)
{
    free(b->s);
    td_array_release(&b->f.img);
}

/* np.partition(image[:20], kth=10, axis=0)[10] of the 2023 file */
static void
median_of_first_20(uint8_t *ref, const struct basin400 *b)
{
    const uint8_t *img = b->f.img.data;
    uint8_t col[20];

    for (size_t p = 0; p < b->npix; p++) {
        for (size_t k = 0; k < 20; k++)
            col[k] = img[k * b->npix + p];
        qsort(col, 20, 1, cmp_u8);
        ref[p] = col[10];
    }
}

/* Background ii is the first one + ii (to rounding), for frames
 * 40 ii on. */
static void
check_basin_images(const struct bgd_result *r, const uint8_t *ref, size_t npix)
{
    for (size_t ii = 0; ii < 10 && ii < r->nkept; ii++) {
        uint64_t sum = 0;

        for (size_t p = 0; p < npix; p++)
            sum += (uint8_t)(ref[p] + ii - r->images[ii * npix + p]);
        CHECK(sum < 4);
        CHECK_EQ(r->bg_idx[40 * ii], (int64_t)ii);
        CHECK_EQ(r->bg_idx[40 * ii + 5], (int64_t)ii);
    }
}

/* 10x concatenation with image[40ii:40(ii+1)] += ii, time =
 * linspace(0, 1, 400, endpoint=False), K=20, split 0.1. */
static void
test_sparsemed_internal_basin(void)
{
    static struct basin400 b;
    struct dcn_sparsemed_opts o = opts_of(20, 0.1, 0, 0.8);
    struct bgd_stack st;
    struct bgd_result r;
    uint8_t *ref = NULL;

    memset(&b, 0, sizeof(b));
    memset(&r, 0, sizeof(r));
    if (basin400_make(&b) != 0)
        goto out;
    st = (struct bgd_stack){b.s, 400, b.f.h, b.f.w};
    ref = malloc(b.npix);
    median_of_first_20(ref, &b);
    if (!CHECK(bgd_sparsemed(&r, &st, b.t, NULL, NULL, &o) == 0))
        goto out;
    CHECK_DBL_IDENT(r.t[400 - 1] - r.t[0], 0.9975);
    CHECK_EQ(r.nkept, 10);
    CHECK(memcmp(r.images, ref, b.npix) == 0);
    CHECK_EQ(r.bg_idx[0], 0);
    CHECK_EQ(r.bg_idx[10], 0);
    check_basin_images(&r, ref, b.npix);
out:
    bgd_release(&r);
    free(ref);
    basin400_release(&b);
}

/* ---------------------------------------------------------------- */
/* edge cases (§9)                                                  */

static void
test_sparsemed_single_frame(void)
{
    uint8_t *s = stack_5x7(1);
    struct dcn_sparsemed_opts o = opts_of(200, 1.0, 0, 0.8);
    struct bgd_stack st = {s, 1, 5, 7};
    struct bgd_result r;

    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, NULL, &o) == 0)) {
        CHECK_EQ(r.m, 1); /* D11 */
        CHECK_EQ(r.nkept, 1);
        CHECK(memcmp(r.images, s, 35) == 0);
        CHECK_EQ(r.bg_idx[0], 0);
    }
    bgd_release(&r);
    free(s);
}

static void
test_sparsemed_single_frame_has_no_offset(void)
{
    uint8_t *s = stack_5x7(1);
    struct dcn_sparsemed_opts o = opts_of(200, 1.0, 0, 0.8);
    struct bgd_stack st = {s, 1, 5, 7};
    struct bgd_result r;

    if (CHECK(bgd_sparsemed(&r, &st, NULL, NULL, NULL, &o) == 0))
        CHECK_DBL_IDENT(r.bg_off[0], 0.0);
    bgd_release(&r);
    free(s);
}

static void
test_sparsemed_zero_duration(void)
{
    size_t n = 12;
    uint8_t *s = stack_5x7(n);
    double t[12];
    struct dcn_bg_time tm = {t, 12, false, 0};
    struct dcn_sparsemed_opts o = opts_of(5, 0.5, 0, 0.8);
    struct bgd_stack st = {s, n, 5, 7};
    struct bgd_result r;

    for (size_t i = 0; i < n; i++)
        t[i] = 3.25;
    CHECK_EQ(dcn_sparsemed_nsteps(&tm, 0.5), 1);
    if (CHECK(bgd_sparsemed(&r, &st, t, NULL, NULL, &o) == 0)) {
        CHECK_EQ(r.m, 1);
        CHECK_EQ(r.nkept, 1);
    }
    bgd_release(&r);
    free(s);
}

static void
test_sparsemed_zero_duration_has_one_background(void)
{
    size_t n = 12;
    uint8_t *s = stack_5x7(n);
    double t[12];
    struct dcn_sparsemed_opts o = opts_of(5, 0.5, 0, 0.8);
    struct bgd_stack st = {s, n, 5, 7};
    struct bgd_result r;

    for (size_t i = 0; i < n; i++)
        t[i] = 3.25;
    if (CHECK(bgd_sparsemed(&r, &st, t, NULL, NULL, &o) == 0)) {
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
    CHECK_DBL_IDENT(dcn_bg_top_mean(img + (size_t)18 * 3, 3, 3),
                    (double)(6 + 6 + 600) / 9.0);
}

/* Ten empty 30 x 8 images; image 4 with a streak in rows 0..24, image
 * 6 (with streak6) in rows 25..29. */
static void
streak_images(uint8_t *imgs, const uint8_t **ptrs, bool streak6)
{
    const size_t h = 30, w = 8, m = 10;

    memset(imgs, 0, m * h * w);
    for (size_t i = 0; i < m; i++)
        ptrs[i] = imgs + i * h * w;
    for (size_t y = 0; y < 25; y++)
        imgs[4 * h * w + y * w + 3] = 90;
    for (size_t y = 25; streak6 && y < 30; y++)
        imgs[6 * h * w + y * w + 3] = 90;
}

/* H < 40: the cleansing slice [H//2 - 20, H//2 + 20) starts negative and
 * wraps (Python semantics): for H = 30 it is [25, 30). */
static void
test_cleanse_slice_wraps_for_small_height(void)
{
    static uint8_t imgs[10 * 30 * 8];
    const uint8_t *ptrs[10];
    struct dcn_bg_stack bg = {ptrs, 10, 30, 8};
    bool used[10];
    size_t nused = 0;

    /* image 4: a streak in rows 0..24 (outside the slice): kept */
    streak_images(imgs, ptrs, false);
    CHECK_EQ(cleanse_of(used, &nused, &bg, 0, 0.8), DCN_OK);
    CHECK_EQ(nused, 10);
    /* image 6: a streak in rows 25..29 (inside the slice): removed */
    streak_images(imgs, ptrs, true);
    CHECK_EQ(cleanse_of(used, &nused, &bg, 0, 0.8), DCN_OK);
    CHECK_EQ(nused, 9);
    CHECK(!used[6]);
    CHECK(used[4]);
}

static void
test_cleanse_keeps_all_or_falls_back_to_quantile(void)
{
    static uint8_t imgs[10 * 30 * 8];
    const uint8_t *ptrs[10];
    struct dcn_bg_stack bg = {ptrs, 10, 30, 8};
    bool used[10];
    size_t nused = 0;

    streak_images(imgs, ptrs, true);
    /* frac_cleansing == 1 keeps everything */
    CHECK_EQ(cleanse_of(used, &nused, &bg, 0, 1.0), DCN_OK);
    CHECK_EQ(nused, 10);
    /* thresh_cleansing > 0: var(ref)*150/t keeps too few -> quantile */
    CHECK_EQ(cleanse_of(used, &nused, &bg, 1e9, 0.8), DCN_OK);
    CHECK_EQ(nused, 9);
}

static void
test_sparsemed_options_rejected(void)
{
    struct dcn_sparsemed_opts o = opts_of(0, 1, 0, 0.8);

    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 0, 0, 0.8);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, -1, 0.8);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, 0, 1.5);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_EINVAL);
    o = opts_of(10, 1, 0, 1.0);
    CHECK_EQ(dcn_sparsemed_opts_check(&o, NULL), DCN_OK);
}

static void
test_time_axis_inputs_rejected(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    double t[2];
    double bad_fr = 0;
    struct dcn_bg_time_input none = {0};
    struct dcn_bg_time_input badrate = {NULL, NULL, &bad_fr, false, false};
    struct dcn_bg_time empty = {t, 0, false, 0};
    struct dcn_bg_time two = {t, 2, false, 0};

    CHECK_EQ(dcn_bg_time_axis(&empty, &none, NULL), DCN_EINVAL);
    CHECK_EQ(dcn_bg_time_axis(&two, &badrate, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "frame rate") != NULL);
}

/* rollmed (§2.2, D12) */
static void
test_rollmed_options_rejected(void)
{
    struct dcn_error err = DCN_ERROR_INIT;

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

static const double ta_time[4] = {10.5, 10.75, 11.0, 12.0};
static const double ta_frame[4] = {101, 103, 110, 111};
static const double ta_rate = 2000;

static void
test_time_axis_from_time(void)
{
    double t[4];
    struct dcn_bg_time tm = {t, 4, false, 0};
    struct dcn_bg_time_input all = {ta_time, ta_frame, &ta_rate, false, false};

    CHECK_EQ(dcn_bg_time_axis(&tm, &all, NULL), DCN_OK);
    CHECK_EQ(tm.source, DCN_BG_TIME_FEATURE);
    CHECK_DBL_IDENT(t[0], 0.0);
    CHECK_DBL_IDENT(t[3], 1.5);
}

static void
test_time_axis_from_frame(void)
{
    double t[4];
    struct dcn_bg_time tm = {t, 4, false, 0};
    struct dcn_bg_time_input fronly = {NULL, ta_frame, &ta_rate, false, false};

    CHECK_EQ(dcn_bg_time_axis(&tm, &fronly, NULL), DCN_OK);
    CHECK_EQ(tm.source, DCN_BG_TIME_FRAME);
    CHECK(!tm.f32);
    CHECK_DBL_IDENT(t[2], 110.0 / 2000 - 101.0 / 2000);
}

/* float32 frame (Shape-In): numpy divides and subtracts in float32 */
static void
test_time_axis_from_float32_frame(void)
{
    double t[4];
    struct dcn_bg_time tm = {t, 4, false, 0};
    struct dcn_bg_time_input fr32 = {NULL, ta_frame, &ta_rate, false, true};

    CHECK_EQ(dcn_bg_time_axis(&tm, &fr32, NULL), DCN_OK);
    CHECK(tm.f32);
    CHECK_DBL_IDENT(t[2], (double)(110.0f / 2000.0f - 101.0f / 2000.0f));
}

static void
test_time_axis_guessed(void)
{
    double t[4];
    struct dcn_bg_time tm = {t, 4, false, 0};
    struct dcn_bg_time one = {t, 1, false, 0};
    struct dcn_bg_time_input noattr = {NULL, ta_frame, NULL, false, false};
    struct dcn_bg_time_input rate = {NULL, NULL, &ta_rate, false, false};

    CHECK_EQ(dcn_bg_time_axis(&tm, &noattr, NULL), DCN_OK);
    CHECK_EQ(tm.source, DCN_BG_TIME_3600_GUESS);
    CHECK_DBL_IDENT(t[3], 4.0 / 3600 * 1.5);
    CHECK_DBL_IDENT(t[1], 1.0 * ((4.0 / 3600 * 1.5) / 3.0));
    CHECK_EQ(dcn_bg_time_axis(&one, &rate, NULL), DCN_OK);
    CHECK_EQ(one.source, DCN_BG_TIME_RATE_GUESS);
    CHECK_DBL_IDENT(t[0], 0.0);
}

/*
 * A float32 `frame` (Shape-In files) makes numpy hold the time axis in
 * float32, which moves some windows.  Expected values: numpy 1.24 running
 * dcnum's plan and assignment on these frames (fr 5000, split 0.001,
 * K 5); the float64 windows are given too, to show the difference.
 */
static const double f32_frames[40] = {
        7571560, 7571582, 7571610, 7571612, 7571617, 7571641, 7571669, 7571677,
        7571687, 7571713, 7571726, 7571734, 7571759, 7571767, 7571779, 7571798,
        7571814, 7571817, 7571818, 7571844, 7571866, 7571891, 7571907, 7571931,
        7571941, 7571955, 7571978, 7571982, 7571991, 7571995, 7572009, 7572038,
        7572042, 7572054, 7572066, 7572093, 7572099, 7572114, 7572122, 7572123};

static void
test_float32_frame_axis_numpy_oracle(void)
{
    static const unsigned char wins32[113] = {
            0,  0,  0,  1,  1,  1,  1,  1,  2,  2,  2,  4,  4,  4,  5,  5,  5,
            5,  5,  6,  6,  6,  6,  7,  7,  8,  8,  8,  8,  9,  9,  9,  10, 10,
            11, 11, 11, 11, 12, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16,
            16, 18, 18, 18, 19, 19, 19, 19, 20, 20, 20, 20, 20, 21, 21, 21, 21,
            22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 25, 25, 25, 25, 26, 26, 27,
            27, 28, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31, 32, 33, 33, 34, 34,
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
    struct dcn_bg_time_input in = {NULL, f32_frames, &fr, false, true};
    struct dcn_bg_time tm = {t, 40, false, 0};
    size_t bad32 = 0;
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
    CHECK_EQ(bad32, 0);
    CHECK_EQ(badidx, 0);
}

/* the same frames as integers (float64 path) */
static void
test_float64_frame_axis_numpy_oracle(void)
{
    static const unsigned char wins64[113] = {
            0,  0,  0,  1,  1,  1,  1,  1,  2,  2,  2,  4,  4,  4,  5,  5,  5,
            5,  5,  5,  6,  6,  6,  7,  7,  8,  8,  8,  8,  9,  9,  9,  10, 10,
            10, 11, 11, 11, 12, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16,
            16, 18, 18, 18, 19, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21,
            22, 22, 22, 22, 23, 23, 23, 23, 24, 24, 25, 25, 25, 25, 26, 26, 26,
            27, 28, 29, 29, 30, 30, 30, 30, 31, 31, 31, 31, 32, 33, 33, 33, 34,
            34, 34, 35, 35, 35, 35, 35, 35, 35, 35, 35};
    double fr = 5000;
    double t[40];
    double steps[113];
    size_t wins[113];
    struct dcn_bg_time_input in = {NULL, f32_frames, &fr, false, false};
    struct dcn_bg_time tm = {t, 40, false, 0};
    size_t bad64 = 0;

    CHECK_EQ(dcn_bg_time_axis(&tm, &in, NULL), DCN_OK);
    CHECK(!tm.f32);
    CHECK_EQ(dcn_sparsemed_nsteps(&tm, 0.001), 113);
    dcn_sparsemed_plan(steps, wins, 113, &tm, 0.001, 5);
    for (size_t i = 0; i < 113; i++)
        bad64 += wins[i] != wins64[i];
    CHECK_EQ(bad64, 0);
}

/* ---------------------------------------------------------------- */
/* rollmed (test_feat_background_bg_roll_median.py)                 */

/* Pixels of the first 90 and the last frames that differ from the 5x7
 * stack's own values. */
static size_t
rollmed_5x7_errors(const uint8_t *bg, size_t n)
{
    size_t bad = 0;

    for (size_t i = 0; i < 90; i++)
        bad += bg[i * 35 + 0] != 0 || bg[i * 35 + 1] != 1 ||
               bg[i * 35 + 2] != 2 || bg[i * 35 + 7] != 7;
    for (size_t i = 690; i < n; i++)
        bad += bg[i * 35 + 0] != 0 || bg[i * 35 + 1] != 1;
    return bad;
}

static void
check_rollmed_5x7(size_t n)
{
    uint8_t *s = stack_5x7(n);
    uint8_t *bg = malloc(n * 35);
    uint8_t first[35];

    if (CHECK(bgd_rollmed(bg, s, n, 35, 10, 2) == 0)) {
        CHECK_EQ(rollmed_5x7_errors(bg, n), 0);
        memcpy(first, bg, 35);
        qsort(first, 35, 1, cmp_u8);
        CHECK_EQ(first[17], 17);
    }
    free(bg);
    free(s);
}

static void
test_rollmed_5x7(void)
{
    static const size_t counts[] = {720, 730};

    for (int c = 0; c < 2; c++)
        check_rollmed_5x7(counts[c]);
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

/* dcnum's flicker decision over the first max_frames frames of st. */
static bool
flicker(const struct bgd_stack *st, size_t roi, double thr, long count,
        size_t max_frames)
{
    size_t m = st->n < max_frames ? st->n : max_frames;
    double *meds = malloc((m ? m : 1) * sizeof(double));
    bool res;

    flicker_meds(meds, st->data, m, st->h, st->w, roi);
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
    struct bgd_stack st = {s, n, h, w};

    memset(s, 145, n * npix);
    CHECK(!flicker(&st, 10, 5, 5, 500));
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix, 150, npix);
    CHECK(flicker(&st, 10, 5, 5, 500));
    CHECK(!flicker(&st, 10, 5, 6, 500));
    CHECK(!flicker(&st, 10, 6, 5, 500));
    CHECK(!flicker(&st, 10, 5, 5, 400));
    /* only outside the ROI (rows 11:) */
    memset(s, 145, n * npix);
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix + 11 * w, 150, (h - 11) * w);
    CHECK(!flicker(&st, 10, 5, 5, 500));
    /* only inside the ROI (rows :10) */
    memset(s, 145, n * npix);
    for (int k = 0; k < 5; k++)
        memset(s + idx[k] * npix, 150, 10 * w);
    CHECK(flicker(&st, 10, 5, 5, 500));
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
        size_t k = (size_t)2 * (1 + rnd() % 40);
        size_t n = k + 1 + rnd() % 120;
        size_t npix = 1 + rnd() % 200;
        uint8_t *s = malloc(n * npix);
        uint8_t *bg = calloc(n, npix);
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

enum {
    NT = 3 /* threads */
};

/* NT jobs over the thirds of the pixel range of *proto. */
static void
split_jobs(struct range_job jobs[NT], const struct range_job *proto)
{
    for (int t = 0; t < NT; t++) {
        jobs[t] = *proto;
        jobs[t].p0 = proto->npix * (size_t)t / NT;
        jobs[t].p1 = proto->npix * (size_t)(t + 1) / NT;
    }
}

/* Run worker on each job in its own thread and wait for all. */
static void
run_jobs(struct range_job jobs[NT], void *(*worker)(void *))
{
    pthread_t th[NT];

    for (int t = 0; t < NT; t++)
        CHECK_EQ(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
}

/* median kernel: threads on thirds of the pixels give the one-call
 * result */
static void
check_median_threads(const struct range_job *proto)
{
    uint8_t *seq = calloc(1, proto->npix);
    void *scratch = malloc(dcn_bg_median_scratch_size(proto->k));
    struct range_job jobs[NT];

    dcn_bg_median(seq, proto->frames, proto->k, 0, proto->npix, scratch);
    split_jobs(jobs, proto);
    run_jobs(jobs, median_range_worker);
    CHECK(memcmp(proto->dst, seq, proto->npix) == 0);
    free(scratch);
    free(seq);
}

/* rollmed: one state shared by the threads */
static void
check_rollmed_threads(struct range_job *proto)
{
    size_t n = proto->n, k = proto->k, npix = proto->npix;
    uint8_t *seq = calloc(n, npix);
    struct range_job jobs[NT];

    CHECK_EQ(bgd_rollmed(seq, proto->stack, n, npix, k, 1), 0);
    CHECK_EQ(dcn_rollmed_new(&proto->rm, npix, k, NULL), DCN_OK);
    split_jobs(jobs, proto);
    run_jobs(jobs, rollmed_range_worker);
    for (size_t i = n - k; i < n; i++)
        memcpy(proto->dst + i * npix, proto->dst + (n - k - 1) * npix, npix);
    CHECK(memcmp(proto->dst, seq, n * npix) == 0);
    dcn_rollmed_free(proto->rm);
    free(seq);
}

static void
test_threads_on_disjoint_ranges(void)
{
    size_t npix = 1001;
    size_t k = 24;
    size_t n = 60;
    uint8_t *stack = malloc(n * npix);
    uint8_t *par = calloc(n, npix);
    const uint8_t **fr = malloc(k * sizeof(*fr));
    struct range_job proto = {par, fr, stack, NULL, k, n, npix, 0, npix};

    fill_random(stack, n * npix);
    for (size_t f = 0; f < k; f++)
        fr[f] = stack + f * npix;
    check_median_threads(&proto);
    check_rollmed_threads(&proto);
    free(fr);
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
    test_sparsemed_2023_file_with_time();
    test_sparsemed_2023_file_with_frame();
    test_sparsemed_2023_file_with_frame_rate();
    test_sparsemed_internal_basin();
    test_sparsemed_single_frame();
    test_sparsemed_single_frame_has_no_offset();
    test_sparsemed_zero_duration();
    test_sparsemed_zero_duration_has_one_background();
    test_bg_top_mean_rows();
    test_cleanse_slice_wraps_for_small_height();
    test_cleanse_keeps_all_or_falls_back_to_quantile();
    test_sparsemed_options_rejected();
    test_time_axis_inputs_rejected();
    test_rollmed_options_rejected();
    test_time_axis_from_time();
    test_time_axis_from_frame();
    test_time_axis_from_float32_frame();
    test_time_axis_guessed();
    test_float32_frame_axis_numpy_oracle();
    test_float64_frame_axis_numpy_oracle();
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
