/* SPDX-License-Identifier: MIT */
/*
 * test_segment.c - thresh, labeling, label processing and the candidate
 * list against the oracles of numerics.md §8.1 (the arrays of dcnum's
 * tests/test_segm_base.py, test_segm_mpo.py and test_segm_thresh.py) and
 * against naive per-pixel implementations of the §3 definitions on
 * random images (BFS labeling, literal flood fill and disk morphology).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "label.h"
#include "segment.h"

/* One scratch block big enough for both stages, as a worker would hold. */
static void *
scratch_for(size_t w, size_t h)
{
    size_t a = dcn_label_scratch_size(w, h);
    size_t b = dcn_label_process_scratch_size(w, h);
    size_t c = dcn_label_and_process_scratch_size(w, h);

    a = a > b ? a : b;
    return malloc(a > c ? a : c);
}

/* thresh -> label -> process_labels on an int16 image. */
static int
segment(uint16_t *labels, size_t *nmax, const int16_t *img, size_t w, size_t h,
        const double *bg_off, bool cle, bool f, unsigned clo)
{
    struct dcn_corr_view cv = {img, w, h, w};
    struct dcn_label_process_opts o = {cle, f, clo};
    uint8_t *mask = malloc(w * h);
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {mask, w, h, w};
    size_t nobj = 0;
    int rc = dcn_segment_thresh(mask, &cv, bg_off, -6.0);

    if (rc == 0)
        rc = dcn_label(labels, &nobj, &mv, 0, scratch, NULL);
    if (rc == 0)
        rc = dcn_label_process(&(struct dcn_label_image){labels, w, h}, nmax,
                               &o, 0, scratch, NULL);
    free(mask);
    free(scratch);
    return rc;
}

static size_t
count_eq(const uint16_t *labels, size_t n, uint16_t v)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += labels[i] == v;
    return c;
}

/* -10 * mask, as dcnum's tests feed the segmenter. */
static void
neg10(int16_t *img, const uint8_t *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        img[i] = (int16_t)(-10 * mask[i]);
}

/* test_segm_mpo_bg_off_single / _batch: bg_off 1.5 and 0.9. */
static void
test_bg_off_shifts_the_threshold(void)
{
    static const int8_t img8[11][8] = {
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, 0, -5, -5, -5, 0, 0},
            {0, 0, 0, -5, -5, -5, 0, 0}, {0, 0, 0, -5, -5, -5, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, -9, -9, -9, 0, 0, 0},
            {0, 0, -9, 0, -9, 0, 0, 0},  {0, 0, -9, -9, -9, 0, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, 0, 0, 0, 0, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0}};
    int16_t img[88];
    uint16_t lab[88];
    size_t nmax = 0;
    double off1 = 1.5;
    double off2 = 0.9;
    int bad1 = 0;
    int bad2 = 0;

    for (size_t i = 0; i < 88; i++)
        img[i] = img8[i / 8][i % 8];
    CHECK_EQ(segment(lab, &nmax, img, 8, 11, &off1, true, true, 0), 0);
    CHECK_EQ(nmax, 2);
    for (size_t y = 0; y < 11; y++) {
        for (size_t x = 0; x < 8; x++) {
            int want = 0;

            if (y >= 1 && y <= 3 && x >= 3 && x <= 5)
                want = 1;
            if (y >= 5 && y <= 7 && x >= 2 && x <= 4)
                want = 2;
            bad1 += lab[y * 8 + x] != want;
        }
    }
    CHECK_EQ(bad1, 0);
    CHECK_EQ(segment(lab, &nmax, img, 8, 11, &off2, true, true, 0), 0);
    CHECK_EQ(nmax, 1);
    for (size_t y = 0; y < 11; y++) {
        for (size_t x = 0; x < 8; x++) {
            int want = (y >= 5 && y <= 7 && x >= 2 && x <= 4) ? 1 : 0;

            bad2 += lab[y * 8 + x] != want;
        }
    }
    CHECK_EQ(bad2, 0);
}

/* MockImageData.mask (14 x 8) of dcnum's tests/helper_methods.py. */
static const uint8_t mock_mask[14 * 8] = {
        0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 1, 1, 1, 0, 0, 0, /**/
        0, 0, 1, 0, 1, 0, 0, 0, /**/ 0, 0, 1, 1, 1, 0, 0, 0, /**/
        0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, /**/
        0, 0, 0, 0, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 1, 1, 1, /**/
        0, 0, 0, 0, 0, 1, 1, 1, /**/ 0, 1, 1, 1, 0, 0, 0, 0, /**/
        0, 0, 1, 1, 1, 0, 0, 0, /**/ 0, 0, 1, 1, 1, 0, 0, 0, /**/
        0, 0, 1, 1, 1, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0};

/* test_segm_mpo_labeled_mask_fill_holes (18 x 9). */
static const uint8_t ring_mask[18 * 9] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 0, /**/
        0, 0, 1, 1, 1, 0, 0, 0, 0, /**/ 0, 0, 1, 0, 1, 0, 0, 0, 0, /**/
        0, 0, 1, 1, 1, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 0, /**/
        0, 0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 0, /**/
        0, 0, 0, 0, 0, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0, 1, 1, 1, /**/
        0, 0, 0, 0, 0, 0, 0, 0, 1, /**/ 0, 0, 1, 1, 1, 0, 0, 0, 0, /**/
        0, 0, 1, 0, 0, 1, 1, 0, 0, /**/ 0, 0, 1, 0, 0, 0, 1, 0, 0, /**/
        0, 0, 1, 0, 0, 0, 1, 0, 0, /**/ 0, 0, 1, 1, 1, 1, 1, 0, 0, /**/
        0, 0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 0};

struct combo {
    bool cle;
    bool f;
    size_t total;
    size_t count[4]; /* pixels of labels 1, 2, 3 (index 1..3) */
};

static void
check_combos(const uint8_t *mask, size_t w, size_t h, const struct combo *c,
             size_t nc)
{
    int16_t img[200];
    uint16_t lab[200];

    neg10(img, mask, w * h);
    for (size_t k = 0; k < nc; k++) {
        size_t nmax = 0;

        CHECK_EQ(segment(lab, &nmax, img, w, h, NULL, c[k].cle, c[k].f, 0), 0);
        CHECK_EQ(w * h - count_eq(lab, w * h, 0), c[k].total);
        for (uint16_t l = 1; l <= 3; l++)
            CHECK_EQ(count_eq(lab, w * h, l), c[k].count[l]);
    }
}

static void
test_mock_mask_pixel_counts(void)
{
    /* Without relabeling (1,0,0) the border label 2 leaves a gap. */
    static const struct combo c[] = {
            {true, true, 21, {0, 9, 12, 0}},
            {true, false, 20, {0, 8, 0, 12}},
            {false, false, 30, {0, 8, 10, 12}},
            {false, true, 31, {0, 9, 10, 12}},
    };

    check_combos(mock_mask, 8, 14, c, 4);
}

static void
test_ring_mask_pixel_counts(void)
{
    static const struct combo c[] = {
            {true, true, 32, {0, 9, 23, 0}},
            {true, false, 23, {0, 8, 0, 15}},
            {false, false, 31, {0, 8, 8, 15}},
            {false, true, 40, {0, 9, 8, 23}},
    };

    check_combos(ring_mask, 9, 18, c, 4);
}

static int
process(uint16_t *lab, size_t w, size_t h, size_t *nmax, bool cle, bool f,
        unsigned clo)
{
    struct dcn_label_process_opts o = {cle, f, clo};
    void *scratch = scratch_for(w, h);
    int rc = dcn_label_process(&(struct dcn_label_image){lab, w, h}, nmax, &o,
                               0, scratch, NULL);

    free(scratch);
    return rc;
}

/* test_segmenter_process_labels_clear_border (9 x 8 label image). */
static void
test_clear_border_keeps_only_inner_label(void)
{
    static const uint16_t in[9 * 8] = {
            1, 1, 1, 1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 1, 1, 1, 1, /**/
            1, 1, 1, 0, 1, 0, 0, 1, /**/ 2, 0, 1, 3, 3, 3, 0, 1, /**/
            2, 0, 0, 3, 3, 3, 0, 1, /**/ 2, 0, 0, 3, 3, 3, 0, 2, /**/
            2, 0, 2, 2, 2, 0, 0, 2, /**/ 2, 0, 2, 2, 2, 0, 0, 2, /**/
            2, 2, 2, 2, 2, 2, 2, 2};
    uint16_t lab[9 * 8];
    size_t nmax = 0;

    memcpy(lab, in, sizeof(in));
    CHECK_EQ(process(lab, 8, 9, &nmax, true, false, 0), 0);
    CHECK_EQ(72 - count_eq(lab, 72, 0), 9);
    CHECK_EQ(count_eq(lab, 72, 3), 9);
    CHECK_EQ(lab[3 * 8 + 3], 3);
    CHECK_EQ(nmax, 3);
}

/* test_segmenter_labeled_mask_clear_border2 and
 * test_segm_mpo_labeled_mask_clear_border: label 2 sits in row 0 (or on
 * the diagonal (0,0),(1,1)); fill_holes clears row 0 and (1,0),(1,1). */
static void
test_fill_holes_clears_row0_and_seed_pixels(void)
{
    uint16_t lab[10 * 8];
    size_t nmax = 0;

    for (int variant = 0; variant < 2; variant++) {
        memset(lab, 0, sizeof(lab));
        if (variant == 0) {
            lab[0] = lab[1] = lab[2] = 2;
        } else {
            lab[0] = 2;
            lab[8 + 1] = 2;
        }
        for (size_t x = 2; x <= 4; x++) {
            lab[4 * 8 + x] = 1;
            lab[6 * 8 + x] = 1;
        }
        lab[5 * 8 + 2] = lab[5 * 8 + 4] = 1;
        CHECK_EQ(process(lab, 8, 10, &nmax, false, true, 0), 0);
        CHECK_EQ(count_eq(lab, 80, 1), 9);
        CHECK(count_eq(lab, 80, 0) > 20);
        CHECK_EQ(nmax, 1);
        CHECK_EQ(count_eq(lab, 80, 2), 0);
    }
}

/* test_segmenter_labeled_mask_spurious_noise_closing (10 x 8, clo=1). */
static void
test_closing_disk_1_removes_noise(void)
{
    uint16_t lab[10 * 8] = {0};
    size_t nmax = 0;
    size_t sum = 0;

    lab[1 * 8 + 4] = 2;
    for (size_t y = 3; y <= 6; y++) {
        for (size_t x = 1; x <= 5; x++)
            lab[y * 8 + x] = 1;
    }
    lab[5 * 8 + 3] = 0;
    lab[8 * 8 + 2] = lab[8 * 8 + 3] = 3;
    CHECK_EQ(process(lab, 8, 10, &nmax, false, true, 1), 0);
    CHECK_EQ(count_eq(lab, 80, 1), 16);
    for (size_t i = 0; i < 80; i++)
        sum += lab[i];
    CHECK_EQ(sum, 16);
    CHECK_EQ(nmax, 1);
    /* The expected image of the test's comment: rows 3-6. */
    CHECK_EQ(lab[3 * 8 + 1], 0);
    CHECK_EQ(lab[3 * 8 + 2], 1);
    CHECK_EQ(lab[4 * 8 + 1], 1);
    CHECK_EQ(lab[6 * 8 + 5], 0);
}

/* test_segm_thresh_segment_batch_large: disk(30) of -10 in 80 x 200, clo=0. */
static void
test_disk30_is_segmented_exactly(void)
{
    const size_t w = 200;
    const size_t h = 80;
    int16_t *img = calloc(w * h, sizeof(*img));
    uint16_t *lab = calloc(w * h, sizeof(*lab));
    size_t nmax = 0;
    size_t bad = 0;
    size_t area = 0;

    for (size_t y = 0; y < 61; y++) {
        for (size_t x = 0; x < 61; x++) {
            long dx = (long)x - 30;
            long dy = (long)y - 30;

            if (dx * dx + dy * dy <= 900)
                img[(y + 10) * w + x + 100] = -10;
        }
    }
    CHECK_EQ(segment(lab, &nmax, img, w, h, NULL, true, true, 0), 0);
    CHECK_EQ(nmax, 1);
    for (size_t i = 0; i < w * h; i++) {
        bad += (lab[i] != 0) != (img[i] != 0);
        area += lab[i] == 1;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(area, 2821); /* pixels of skimage disk(30) */
    free(img);
    free(lab);
}

static void
test_more_than_65535_objects_is_an_error(void)
{
    const size_t w = 514;
    const size_t h = 514; /* 257 * 257 = 66049 isolated pixels */
    uint8_t *mask = calloc(w * h, 1);
    uint16_t *lab = calloc(w * h, sizeof(*lab));
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {mask, w, h, w};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_label_process_opts o = {false, true, 0};
    size_t nobj = 0;

    for (size_t y = 0; y < h; y += 2) {
        for (size_t x = 0; x < w; x += 2)
            mask[y * w + x] = 1;
    }
    CHECK_EQ(dcn_label(lab, &nobj, &mv, 4711, scratch, &err), DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 4711") != NULL);
    CHECK(strstr(err.msg, "66049") != NULL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){lab, w, h}, &nobj,
                                   &mv, &o, 99, scratch, &err),
             DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 99") != NULL);
    /* 65535 objects still fit. */
    memset(mask + (size_t)(65535 / 257) * 2 * w + (65535 % 257) * 2, 0,
           w * h - (65535 / 257) * 2 * w - (65535 % 257) * 2);
    CHECK_EQ(dcn_label(lab, &nobj, &mv, 0, scratch, NULL), 0);
    CHECK_EQ(nobj, 65535);
    CHECK_EQ(lab[508 * w + 512], 65535); /* object 65535 (0-based 65534) */
    /* Processing that relabels checks too (fill_holes keeps 256 rows). */
    for (size_t y = 0; y < h; y += 2) {
        for (size_t x = 0; x < w; x += 2)
            lab[y * w + x] = 1;
    }
    dcn_error_clear(&err);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){lab, w, h}, &nobj, &o,
                               12, scratch, &err),
             DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 12") != NULL);
    free(mask);
    free(lab);
    free(scratch);
}

static void
test_empty_frame_and_one_pixel_objects(void)
{
    int16_t img[12 * 10] = {0};
    uint16_t lab[12 * 10];
    struct dcn_label_stats st[4];
    size_t nl = 0;
    uint16_t ids[4];
    size_t nmax = 99;

    CHECK_EQ(segment(lab, &nmax, img, 10, 12, NULL, true, true, 2), 0);
    CHECK_EQ(nmax, 0);
    CHECK_EQ(count_eq(lab, 120, 0), 120);
    img[5 * 10 + 5] = -7;
    img[2 * 10 + 7] = -7;
    CHECK_EQ(segment(lab, &nmax, img, 10, 12, NULL, true, true, 0), 0);
    CHECK_EQ(nmax, 2);
    CHECK_EQ(lab[2 * 10 + 7], 1);
    CHECK_EQ(lab[5 * 10 + 5], 2);
    CHECK_EQ(dcn_label_sizes(st, 2, &nl, lab, 10, 12), 0);
    CHECK_EQ(nl, 2);
    CHECK_EQ(st[0].count, 1);
    CHECK_EQ(st[1].x0, 5);
    CHECK_EQ(st[1].y1, 5);
    CHECK_EQ(dcn_label_candidates(ids, st, 2, 0), 0);
    CHECK_EQ(dcn_label_candidates(ids, st, 2, 0), 0);
    /* The opening removes one-pixel objects. */
    CHECK_EQ(segment(lab, &nmax, img, 10, 12, NULL, true, true, 1), 0);
    CHECK_EQ(nmax, 0);
}

/* A hole that touches the border is no hole for scipy, but is filled by
 * dcnum's flood fill when it is cut off from (0,0) (numerics.md §3.3). */
static void
test_region_cut_off_by_border_object_is_filled(void)
{
    uint16_t lab[10 * 10] = {0};
    size_t nmax = 0;

    for (size_t y = 4; y < 10; y++)
        lab[y * 10 + 3] = lab[y * 10 + 6] = 1;
    lab[4 * 10 + 4] = lab[4 * 10 + 5] = 1;
    CHECK_EQ(process(lab, 10, 10, &nmax, false, true, 0), 0);
    CHECK_EQ(count_eq(lab, 100, 1), 24);
    CHECK_EQ(lab[9 * 10 + 4], 1);
    /* clear_border drops the object before the fill. */
    memset(lab, 0, sizeof(lab));
    for (size_t y = 4; y < 10; y++)
        lab[y * 10 + 3] = lab[y * 10 + 6] = 1;
    lab[4 * 10 + 4] = lab[4 * 10 + 5] = 1;
    CHECK_EQ(process(lab, 10, 10, &nmax, true, true, 0), 0);
    CHECK_EQ(count_eq(lab, 100, 0), 100);
}

/* Labels follow the raster order of each component's first pixel. */
static void
test_labels_in_raster_order_of_first_pixel(void)
{
    static const uint8_t m[5 * 8] = {
            0, 0, 0, 0, 0, 1, 0, 1, /**/ 1, 0, 0, 0, 0, 0, 1, 0, /**/
            1, 0, 1, 0, 0, 0, 0, 0, /**/ 1, 1, 0, 0, 1, 1, 0, 0, /**/
            0, 0, 0, 1, 0, 0, 0, 1};
    static const uint16_t want[5 * 8] = {
            0, 0, 0, 0, 0, 1, 0, 1, /**/ 2, 0, 0, 0, 0, 0, 1, 0, /**/
            2, 0, 2, 0, 0, 0, 0, 0, /**/ 2, 2, 0, 0, 3, 3, 0, 0, /**/
            0, 0, 0, 3, 0, 0, 0, 4};
    uint16_t lab[40];
    struct dcn_mask_view mv = {m, 8, 5, 8};
    void *scratch = scratch_for(8, 5);
    size_t nobj = 0;

    CHECK_EQ(dcn_label(lab, &nobj, &mv, 0, scratch, NULL), 0);
    CHECK_EQ(nobj, 4);
    CHECK_EQ(memcmp(lab, want, sizeof(want)), 0);
    free(scratch);
}

/* Padded rows (stride > width) in the corrected image and the mask. */
static void
test_views_with_stride(void)
{
    int16_t img[5 * 11];
    uint8_t mask[5 * 8];
    uint8_t padded[5 * 13];
    uint16_t a[40];
    uint16_t b[40];
    size_t na = 0;
    size_t nb = 0;
    void *scratch = scratch_for(8, 5);
    struct dcn_corr_view cv = {img, 8, 5, 11};
    struct dcn_mask_view mv = {mask, 8, 5, 8};
    struct dcn_mask_view pv = {padded, 8, 5, 13};

    for (size_t i = 0; i < 5 * 11; i++)
        img[i] = (int16_t)((i * 7) % 5 == 0 ? -9 : 0);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, -6.0), 0);
    memset(padded, 1, sizeof(padded)); /* the padding is foreground */
    for (size_t y = 0; y < 5; y++) {
        for (size_t x = 0; x < 8; x++) {
            CHECK_EQ(mask[y * 8 + x], img[y * 11 + x] < -6);
            padded[y * 13 + x] = mask[y * 8 + x];
        }
    }
    CHECK_EQ(dcn_label(a, &na, &mv, 0, scratch, NULL), 0);
    CHECK_EQ(dcn_label(b, &nb, &pv, 0, scratch, NULL), 0);
    CHECK_EQ(na, nb);
    CHECK(na > 0);
    CHECK_EQ(memcmp(a, b, sizeof(a)), 0);
    free(scratch);
}

static void
test_thresh_cut_equals_double_comparison(void)
{
    const double offs[] = {0.0,
                           0.5,
                           0.9,
                           1.5,
                           -2.25,
                           1e-300,
                           3.999999,
                           1e20,
                           -1e20,
                           NAN,
                           INFINITY,
                           -INFINITY,
                           0.49999999999999994};
    const double threshs[] = {-6.0, -6.5, -0.1, -1e-300, -40000.0};
    size_t bad = 0;

    for (size_t t = 0; t < sizeof(threshs) / sizeof(threshs[0]); t++) {
        for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
            int32_t cut = dcn_segment_thresh_cut(&offs[k], threshs[t]);

            for (int32_t c = INT16_MIN; c <= INT16_MAX; c++)
                bad += (c <= cut) != ((double)c - offs[k] < threshs[t]);
        }
        for (int32_t c = INT16_MIN; c <= INT16_MAX; c++)
            bad += (c <= dcn_segment_thresh_cut(NULL, threshs[t])) !=
                   ((double)c < threshs[t]);
    }
    CHECK_EQ(bad, 0);
}

static void
test_thresh_rejects_bad_arguments(void)
{
    int16_t img[4] = {-10, 0, -10, 0};
    uint8_t mask[4];
    struct dcn_corr_view cv = {img, 2, 2, 2};

    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, 0.0), DCN_EINVAL);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, 1.0), DCN_EINVAL);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, NAN), DCN_EINVAL);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, -6.0), 0);
    CHECK_EQ(mask[0] + mask[1] * 2 + mask[2] * 4 + mask[3] * 8, 5);
}

static void
test_sizes_and_size_gate(void)
{
    uint16_t lab[6 * 10] = {0};
    struct dcn_label_stats st[3];
    size_t nl = 0;
    uint16_t ids[3];

    for (size_t i = 0; i < 10; i++)
        lab[10 + i] = 1; /* 10 px: not kept */
    for (size_t i = 0; i < 11; i++)
        lab[30 + i] = 3; /* 11 px: kept */
    lab[9] = 2;
    st[2].count = 77; /* stale: must be reset */
    CHECK_EQ(dcn_label_sizes(st, 3, &nl, lab, 10, 6), 0);
    CHECK_EQ(nl, 3);
    CHECK_EQ(st[0].count, 10);
    CHECK_EQ(st[2].count, 11);
    CHECK_EQ(st[2].x0, 0);
    CHECK_EQ(st[2].x1, 9);
    CHECK_EQ(st[2].y0, 3);
    CHECK_EQ(st[2].y1, 4);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 0), 1);
    CHECK_EQ(ids[0], 3);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 10), 1);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 5), 2);
    CHECK_EQ(ids[0], 1);
    CHECK_EQ(dcn_label_sizes(st, 2, &nl, lab, 10, 6), DCN_ERANGE);
    memset(lab, 0, sizeof(lab));
    CHECK_EQ(dcn_label_sizes(NULL, 0, &nl, lab, 10, 6), 0);
    CHECK_EQ(nl, 0);
}

/* ---- naive implementations of numerics.md §3.2-3.3 ---- */

static size_t
naive_label(uint16_t *out, const uint8_t *m, size_t w, size_t h, bool eight)
{
    size_t *stack = malloc(w * h * sizeof(*stack));
    size_t n = 0;

    memset(out, 0, w * h * sizeof(*out));
    for (size_t i = 0; i < w * h; i++) {
        size_t sp = 0;

        if (!m[i] || out[i])
            continue;
        out[i] = (uint16_t)++n;
        stack[sp++] = i;
        while (sp > 0) {
            size_t p = stack[--sp];
            long px = (long)(p % w);
            long py = (long)(p / w);

            for (long dy = -1; dy <= 1; dy++) {
                for (long dx = -1; dx <= 1; dx++) {
                    long x = px + dx;
                    long y = py + dy;
                    size_t q;

                    if ((!eight && dx != 0 && dy != 0) || x < 0 || y < 0 ||
                        x >= (long)w || y >= (long)h)
                        continue;
                    q = (size_t)y * w + (size_t)x;
                    if (m[q] && !out[q]) {
                        out[q] = (uint16_t)n;
                        stack[sp++] = q;
                    }
                }
            }
        }
    }
    free(stack);
    return n;
}

static void
naive_morph(uint8_t *out, const uint8_t *in, size_t w, size_t h, long r,
            bool erode)
{
    for (long y = 0; y < (long)h; y++) {
        for (long x = 0; x < (long)w; x++) {
            int v = erode ? 1 : 0;

            for (long dy = -r; dy <= r; dy++) {
                for (long dx = -r; dx <= r; dx++) {
                    long xx = x + dx;
                    long yy = y + dy;
                    int p;

                    if (dx * dx + dy * dy > r * r)
                        continue;
                    if (xx < 0 || yy < 0 || xx >= (long)w || yy >= (long)h)
                        p = erode ? 1 : 0;
                    else
                        p = in[yy * (long)w + xx] != 0;
                    v = erode ? (v & p) : (v | p);
                }
            }
            out[y * (long)w + x] = (uint8_t)v;
        }
    }
}

/* dcnum's process_labels written out literally, pixel by pixel. */
static size_t
naive_process(uint16_t *lab, size_t w, size_t h, bool cle, bool f, long clo)
{
    size_t n = w * h;
    uint8_t *b = malloc(n);
    uint8_t *t = calloc(n, 1);
    uint16_t *reach = malloc(n * sizeof(*reach));
    size_t nobj = 0;

    if (cle) {
        for (size_t i = 0; i < n; i++) {
            size_t x = i % w;
            size_t y = i / w;

            if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && lab[i]) {
                uint16_t v = lab[i];

                for (size_t j = 0; j < n; j++)
                    lab[j] = lab[j] == v ? 0 : lab[j];
            }
        }
    }
    if (!f && clo == 0) {
        for (size_t i = 0; i < n; i++)
            nobj = lab[i] > nobj ? lab[i] : nobj;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        b[i] = lab[i] != 0;
    if (f) {
        memset(b, 0, w);
        if (h > 1) {
            b[w] = 0;
            if (w > 1)
                b[w + 1] = 0;
        }
        for (size_t i = 0; i < n; i++)
            t[i] = !b[i];
        naive_label(reach, t, w, h, false);
        for (size_t i = 0; i < n; i++)
            b[i] = reach[i] != 1; /* (0,0) is the first background pixel */
    }
    if (clo > 0) {
        naive_morph(t, b, w, h, clo, true);
        naive_morph(b, t, w, h, clo, false);
    }
    nobj = naive_label(lab, b, w, h, true);
out:
    free(b);
    free(t);
    free(reach);
    return nobj;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Random blobs: a few filled discs and rectangles plus salt noise. */
static void
random_mask(uint8_t *m, size_t w, size_t h)
{
    size_t nblob = rng() % 6;
    unsigned noise = rng() % 4;

    memset(m, 0, w * h);
    for (size_t k = 0; k < nblob; k++) {
        long cx = (long)(rng() % w);
        long cy = (long)(rng() % h);
        long r = (long)(rng() % 9);
        bool disc = rng() % 2;

        for (long y = cy - r; y <= cy + r; y++) {
            for (long x = cx - r; x <= cx + r; x++) {
                if (x < 0 || y < 0 || x >= (long)w || y >= (long)h)
                    continue;
                if (!disc || (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                    m[y * (long)w + x] = (rng() % 16) != 0;
            }
        }
    }
    for (size_t i = 0; i < w * h; i++) {
        if (rng() % 100 < noise * 3)
            m[i] = 1;
    }
}

/* Hollow rectangles and rings with specks inside, on and around them. */
static void
random_rings(uint8_t *m, size_t w, size_t h)
{
    size_t nring = 1 + rng() % 4;

    memset(m, 0, w * h);
    for (size_t k = 0; k < nring; k++) {
        long x0 = (long)(rng() % w) - 2;
        long y0 = (long)(rng() % h) - 2;
        long x1 = x0 + 2 + (long)(rng() % 12);
        long y1 = y0 + 2 + (long)(rng() % 12);
        bool diag = rng() % 2;

        for (long y = y0; y <= y1; y++) {
            for (long x = x0; x <= x1; x++) {
                bool edge = x == x0 || x == x1 || y == y0 || y == y1;
                bool corner = (x == x0 || x == x1) && (y == y0 || y == y1);

                if (x < 0 || y < 0 || x >= (long)w || y >= (long)h)
                    continue;
                if (edge && !(diag && corner))
                    m[y * (long)w + x] = 1;
            }
        }
    }
    for (size_t k = rng() % 30; k > 0; k--) {
        size_t x = rng() % w;
        size_t y = rng() % h;

        m[y * w + x] = 1;
        if (rng() % 3 == 0 && x + 1 < w && y + 1 < h)
            m[(y + 1) * w + x + 1] = 1;
    }
}

static void
test_random_images_match_naive_definitions(void)
{
    static const size_t widths[] = {1, 2, 3, 7, 63, 64, 65, 100, 130, 250};
    size_t bad_label = 0;
    size_t bad_proc = 0;
    size_t bad_fused = 0;
    size_t runs = 0;

    for (size_t iter = 0; iter < 3000; iter++) {
        size_t w = widths[rng() % (sizeof(widths) / sizeof(widths[0]))];
        size_t h = 1 + rng() % 40;
        uint8_t *m = malloc(w * h);
        uint16_t *a = malloc(w * h * sizeof(*a));
        uint16_t *b = malloc(w * h * sizeof(*b));
        uint16_t *f = malloc(w * h * sizeof(*f));
        size_t nf = 0;
        void *scratch = scratch_for(w, h);
        struct dcn_mask_view mv = {m, w, h, w};
        struct dcn_label_process_opts o = {rng() % 2, rng() % 2,
                                           rng() % 3 ? rng() % 4 : rng() % 11};
        size_t na = 0;
        size_t nb;
        size_t nmax = 0;

        if (iter % 2)
            random_mask(m, w, h);
        else
            random_rings(m, w, h);
        nb = naive_label(b, m, w, h, true);
        CHECK_EQ(dcn_label(a, &na, &mv, 0, scratch, NULL), 0);
        bad_label += na != nb || memcmp(a, b, w * h * sizeof(*a)) != 0;
        nb = naive_process(b, w, h, o.clear_border, o.fill_holes,
                           (long)o.closing_disk);
        CHECK_EQ(dcn_label_process(&(struct dcn_label_image){a, w, h}, &nmax,
                                   &o, 0, scratch, NULL),
                 0);
        /* The fused call must give the same as the two stages. */
        CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){f, w, h}, &nf,
                                       &mv, &o, 0, scratch, NULL),
                 0);
        bad_fused += nf != nmax || memcmp(a, f, w * h * sizeof(*a)) != 0;
        if (nmax != nb || memcmp(a, b, w * h * sizeof(*a)) != 0) {
            bad_proc++;
            fprintf(stderr, "mismatch w=%zu h=%zu cle=%d f=%d clo=%u\n", w, h,
                    o.clear_border, o.fill_holes, o.closing_disk);
        }
        runs++;
        free(m);
        free(a);
        free(b);
        free(f);
        free(scratch);
    }
    CHECK_EQ(bad_label, 0);
    CHECK_EQ(bad_fused, 0);
    CHECK_EQ(bad_proc, 0);
    CHECK_EQ(runs, 3000);
}

/* Radii whose rows need windows of 64 pixels or more (the doubling path). */
static void
test_large_disk_radius_matches_naive(void)
{
    const size_t w = 200;
    const size_t h = 12;
    uint8_t *m = malloc(w * h);
    uint16_t *a = malloc(w * h * sizeof(*a));
    uint16_t *b = malloc(w * h * sizeof(*b));
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {m, w, h, w};
    static const unsigned radii[] = {64, 70, 100};
    size_t bad = 0;
    size_t nonempty = 0;

    for (size_t k = 0; k < 3; k++) {
        struct dcn_label_process_opts o = {false, false, radii[k]};
        size_t na = 0;
        size_t nb;

        memset(m, 1, w * h); /* all foreground but two holes */
        m[5 * w + 30] = 0;
        m[(k + 2) * w + 190 - 20 * k] = 0;
        CHECK_EQ(dcn_label(a, &na, &mv, 0, scratch, NULL), 0);
        memcpy(b, a, w * h * sizeof(*a));
        nb = naive_process(b, w, h, false, false, (long)radii[k]);
        CHECK_EQ(dcn_label_process(&(struct dcn_label_image){a, w, h}, &na, &o,
                                   0, scratch, NULL),
                 0);
        bad += na != nb || memcmp(a, b, w * h * sizeof(*a)) != 0;
        nonempty += nb > 0;
    }
    CHECK_EQ(bad, 0);
    CHECK(nonempty > 0);
    free(m);
    free(a);
    free(b);
    free(scratch);
}

int
main(void)
{
    test_bg_off_shifts_the_threshold();
    test_mock_mask_pixel_counts();
    test_ring_mask_pixel_counts();
    test_clear_border_keeps_only_inner_label();
    test_fill_holes_clears_row0_and_seed_pixels();
    test_closing_disk_1_removes_noise();
    test_disk30_is_segmented_exactly();
    test_more_than_65535_objects_is_an_error();
    test_empty_frame_and_one_pixel_objects();
    test_region_cut_off_by_border_object_is_filled();
    test_labels_in_raster_order_of_first_pixel();
    test_views_with_stride();
    test_thresh_cut_equals_double_comparison();
    test_thresh_rejects_bad_arguments();
    test_sizes_and_size_gate();
    test_random_images_match_naive_definitions();
    test_large_disk_radius_matches_naive();
    return check_report();
}
