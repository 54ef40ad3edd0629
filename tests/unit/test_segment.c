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

/* An int16 image of w x h and the bg_off of its frame (NULL: none). */
struct corr_frame {
    const int16_t *img;
    size_t w, h;
    const double *bg_off;
};

/* thresh -> label -> process_labels on an int16 image; labels are all 0
 * if a stage fails. */
static int
segment(uint16_t *labels, size_t *nmax, const struct corr_frame *fr, bool cle,
        bool f, unsigned clo)
{
    size_t w = fr->w, h = fr->h;
    struct dcn_corr_view cv = {fr->img, w, h, w};
    struct dcn_label_process_opts o = {cle, f, clo};
    uint8_t *mask = malloc(w * h);
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {mask, w, h, w};
    size_t nobj = 0;
    int rc = DCN_ENOMEM;

    memset(labels, 0, w * h * sizeof(*labels));
    if (mask != NULL && scratch != NULL)
        rc = dcn_segment_thresh(mask, &cv, fr->bg_off, -6.0);
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

/* The image of test_segm_mpo_bg_off_single / _batch (11 x 8): a square
 * of -5 and a ring of -9. */
static void
bg_off_image(int16_t img[88])
{
    static const int16_t img16[11][8] = {
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, 0, -5, -5, -5, 0, 0},
            {0, 0, 0, -5, -5, -5, 0, 0}, {0, 0, 0, -5, -5, -5, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, -9, -9, -9, 0, 0, 0},
            {0, 0, -9, 0, -9, 0, 0, 0},  {0, 0, -9, -9, -9, 0, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0},    {0, 0, 0, 0, 0, 0, 0, 0},
            {0, 0, 0, 0, 0, 0, 0, 0}};

    for (size_t i = 0; i < 88; i++)
        img[i] = img16[i / 8][i % 8];
}

/* Is (x, y) in the 3 x 3 square with the upper left corner (x0, y0)? */
static bool
in_square3(size_t x, size_t y, size_t x0, size_t y0)
{
    return x >= x0 && x <= x0 + 2 && y >= y0 && y <= y0 + 2;
}

/* The pixels of lab (11 x 8) whose label is not want(x, y). */
static int
count_unlike(const uint16_t *lab, uint16_t (*want)(size_t x, size_t y))
{
    int bad = 0;

    for (size_t y = 0; y < 11; y++) {
        for (size_t x = 0; x < 8; x++)
            bad += lab[y * 8 + x] != want(x, y);
    }
    return bad;
}

/* bg_off 1.5: the square is label 1, the filled ring label 2. */
static uint16_t
want_at_bg_off_1_5(size_t x, size_t y)
{
    if (in_square3(x, y, 3, 1))
        return 1;
    return in_square3(x, y, 2, 5) ? 2 : 0;
}

/* bg_off 0.9: only the filled ring, label 1. */
static uint16_t
want_at_bg_off_0_9(size_t x, size_t y)
{
    return in_square3(x, y, 2, 5) ? 1 : 0;
}

/* test_segm_mpo_bg_off_single / _batch: bg_off 1.5 and 0.9. */
static void
test_bg_off_shifts_the_threshold(void)
{
    int16_t img[88];
    uint16_t lab[88];
    size_t nmax = 0;
    double off1 = 1.5;
    double off2 = 0.9;
    struct corr_frame fr1 = {img, 8, 11, &off1};
    struct corr_frame fr2 = {img, 8, 11, &off2};

    bg_off_image(img);
    CHECK_EQ(segment(lab, &nmax, &fr1, true, true, 0), 0);
    CHECK_EQ(nmax, 2);
    CHECK_EQ(count_unlike(lab, want_at_bg_off_1_5), 0);
    CHECK_EQ(segment(lab, &nmax, &fr2, true, true, 0), 0);
    CHECK_EQ(nmax, 1);
    CHECK_EQ(count_unlike(lab, want_at_bg_off_0_9), 0);
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
    struct corr_frame fr = {img, w, h, NULL};

    neg10(img, mask, w * h);
    for (size_t k = 0; k < nc; k++) {
        size_t nmax = 0;

        CHECK_EQ(segment(lab, &nmax, &fr, c[k].cle, c[k].f, 0), 0);
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
process(uint16_t *lab, size_t w, size_t h, size_t *nmax,
        const struct dcn_label_process_opts *o)
{
    void *scratch = scratch_for(w, h);
    int rc = dcn_label_process(&(struct dcn_label_image){lab, w, h}, nmax, o, 0,
                               scratch, NULL);

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
    CHECK_EQ(process(lab, 8, 9, &nmax,
                     &(struct dcn_label_process_opts){true, false, 0}),
             0);
    CHECK_EQ(72 - count_eq(lab, 72, 0), 9);
    CHECK_EQ(count_eq(lab, 72, 3), 9);
    CHECK_EQ(lab[3 * 8 + 3], 3);
    CHECK_EQ(nmax, 3);
}

/* Label 2 in row 0 (variant 0) or on the diagonal (0,0),(1,1) (variant
 * 1), and a ring of label 1 (10 x 8). */
static void
border_and_ring_labels(uint16_t lab[80], int variant)
{
    const size_t w = 8;

    memset(lab, 0, 80 * sizeof(*lab));
    if (variant == 0) {
        lab[0] = lab[1] = lab[2] = 2;
    } else {
        lab[0] = 2;
        lab[w + 1] = 2;
    }
    for (size_t x = 2; x <= 4; x++) {
        lab[4 * w + x] = 1;
        lab[6 * w + x] = 1;
    }
    lab[5 * w + 2] = lab[5 * w + 4] = 1;
}

static void
check_fill_holes_clears_label_2(int variant)
{
    uint16_t lab[10 * 8];
    size_t nmax = 0;

    border_and_ring_labels(lab, variant);
    CHECK_EQ(process(lab, 8, 10, &nmax,
                     &(struct dcn_label_process_opts){false, true, 0}),
             0);
    CHECK_EQ(count_eq(lab, 80, 1), 9);
    CHECK(count_eq(lab, 80, 0) > 20);
    CHECK_EQ(nmax, 1);
    CHECK_EQ(count_eq(lab, 80, 2), 0);
}

/* test_segmenter_labeled_mask_clear_border2 and
 * test_segm_mpo_labeled_mask_clear_border: label 2 sits in row 0 (or on
 * the diagonal (0,0),(1,1)); fill_holes clears row 0 and (1,0),(1,1). */
static void
test_fill_holes_clears_row0_and_seed_pixels(void)
{
    for (int variant = 0; variant < 2; variant++)
        check_fill_holes_clears_label_2(variant);
}

/* test_segmenter_labeled_mask_spurious_noise_closing (10 x 8, clo=1):
 * the labels after processing; returns nmax. */
static size_t
noisy_block_closed(uint16_t lab[80])
{
    size_t nmax = 0;

    memset(lab, 0, 80 * sizeof(*lab));
    lab[1 * 8 + 4] = 2;
    for (size_t y = 3; y <= 6; y++) {
        for (size_t x = 1; x <= 5; x++)
            lab[y * 8 + x] = 1;
    }
    lab[5 * 8 + 3] = 0;
    lab[8 * 8 + 2] = lab[8 * 8 + 3] = 3;
    CHECK_EQ(process(lab, 8, 10, &nmax,
                     &(struct dcn_label_process_opts){false, true, 1}),
             0);
    return nmax;
}

static void
test_closing_disk_1_removes_noise(void)
{
    uint16_t lab[10 * 8];
    size_t nmax = noisy_block_closed(lab);
    size_t sum = 0;

    CHECK_EQ(count_eq(lab, 80, 1), 16);
    for (size_t i = 0; i < 80; i++)
        sum += lab[i];
    CHECK_EQ(sum, 16);
    CHECK_EQ(nmax, 1);
}

/* The expected image of the test's comment: rows 3-6. */
static void
test_closing_disk_1_rounds_the_corners(void)
{
    uint16_t lab[10 * 8];

    noisy_block_closed(lab);
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
    struct corr_frame fr = {img, w, h, NULL};

    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 0), 0);
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

#define GRID_SIDE 514 /* 257 * 257 = 66049 isolated pixels */

/* Every other pixel of every other row of a GRID_SIDE square is v. */
static void
set_grid(void *img, size_t elem, uint16_t v)
{
    for (size_t y = 0; y < GRID_SIDE; y += 2) {
        for (size_t x = 0; x < GRID_SIDE; x += 2) {
            size_t i = y * GRID_SIDE + x;

            if (elem == 1)
                ((uint8_t *)img)[i] = (uint8_t)v;
            else
                ((uint16_t *)img)[i] = v;
        }
    }
}

static void
test_more_than_65535_objects_is_an_error(void)
{
    const size_t w = GRID_SIDE;
    const size_t h = GRID_SIDE;
    uint8_t *mask = calloc(w * h, 1);
    uint16_t *lab = calloc(w * h, sizeof(*lab));
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {mask, w, h, w};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_label_process_opts o = {false, true, 0};
    size_t nobj = 0;

    set_grid(mask, 1, 1);
    CHECK_EQ(dcn_label(lab, &nobj, &mv, 4711, scratch, &err), DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 4711") != NULL);
    CHECK(strstr(err.msg, "66049") != NULL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){lab, w, h}, &nobj,
                                   &mv, &o, 99, scratch, &err),
             DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 99") != NULL);
    free(mask);
    free(lab);
    free(scratch);
}

static void
test_65535_objects_still_fit(void)
{
    const size_t w = GRID_SIDE;
    const size_t h = GRID_SIDE;
    uint8_t *mask = calloc(w * h, 1);
    uint16_t *lab = calloc(w * h, sizeof(*lab));
    void *scratch = scratch_for(w, h);
    struct dcn_mask_view mv = {mask, w, h, w};
    size_t first_cleared = (size_t)(65535 / 257) * 2 * w +
                           (size_t)(65535 % 257) * 2; /* object 65536 */
    size_t nobj = 0;

    set_grid(mask, 1, 1);
    memset(mask + first_cleared, 0, w * h - first_cleared);
    CHECK_EQ(dcn_label(lab, &nobj, &mv, 0, scratch, NULL), 0);
    CHECK_EQ(nobj, 65535);
    CHECK_EQ(lab[508 * w + 512], 65535); /* object 65535 (0-based 65534) */
    free(mask);
    free(lab);
    free(scratch);
}

/* Processing that relabels checks too (fill_holes keeps 256 rows). */
static void
test_relabeling_more_than_65535_objects_is_an_error(void)
{
    const size_t w = GRID_SIDE;
    const size_t h = GRID_SIDE;
    uint16_t *lab = calloc(w * h, sizeof(*lab));
    void *scratch = scratch_for(w, h);
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_label_process_opts o = {false, true, 0};
    size_t nobj = 0;

    set_grid(lab, 2, 1);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){lab, w, h}, &nobj, &o,
                               12, scratch, &err),
             DCN_ERANGE);
    CHECK(strstr(err.msg, "frame 12") != NULL);
    free(lab);
    free(scratch);
}

static void
test_empty_frame_has_no_objects(void)
{
    int16_t img[12 * 10] = {0};
    uint16_t lab[12 * 10];
    size_t nmax = 99;
    struct corr_frame fr = {img, 10, 12, NULL};

    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 2), 0);
    CHECK_EQ(nmax, 0);
    CHECK_EQ(count_eq(lab, 120, 0), 120);
}

/* Two one-pixel objects at (7, 2) and (5, 5) of a 12 x 10 frame. */
static void
two_pixel_frame(int16_t img[120])
{
    memset(img, 0, 120 * sizeof(*img));
    img[5 * 10 + 5] = -7;
    img[2 * 10 + 7] = -7;
}

static void
test_one_pixel_objects_in_raster_order(void)
{
    int16_t img[12 * 10];
    uint16_t lab[12 * 10];
    size_t nmax = 99;
    struct corr_frame fr = {img, 10, 12, NULL};

    two_pixel_frame(img);
    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 0), 0);
    CHECK_EQ(nmax, 2);
    CHECK_EQ(lab[2 * 10 + 7], 1);
    CHECK_EQ(lab[5 * 10 + 5], 2);
}

static void
test_sizes_of_one_pixel_objects(void)
{
    int16_t img[12 * 10];
    uint16_t lab[12 * 10];
    struct dcn_label_stats st[4] = {{0}};
    size_t nl = 0;
    size_t nmax = 99;
    struct corr_frame fr = {img, 10, 12, NULL};

    two_pixel_frame(img);
    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 0), 0);
    CHECK_EQ(dcn_label_sizes(st, 2, &nl, lab, 10, 12), 0);
    CHECK_EQ(nl, 2);
    CHECK_EQ(st[0].count, 1);
    CHECK_EQ(st[1].x0, 5);
    CHECK_EQ(st[1].y1, 5);
}

static void
test_one_pixel_objects_are_no_candidates(void)
{
    int16_t img[12 * 10];
    uint16_t lab[12 * 10];
    struct dcn_label_stats st[4] = {{0}};
    size_t nl = 0;
    uint16_t ids[4];
    size_t nmax = 99;
    struct corr_frame fr = {img, 10, 12, NULL};

    two_pixel_frame(img);
    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 0), 0);
    CHECK_EQ(dcn_label_sizes(st, 2, &nl, lab, 10, 12), 0);
    CHECK_EQ(dcn_label_candidates(ids, st, 2, 0), 0);
    CHECK_EQ(dcn_label_candidates(ids, st, 2, 0), 0);
}

/* The opening removes one-pixel objects. */
static void
test_opening_removes_one_pixel_objects(void)
{
    int16_t img[12 * 10];
    uint16_t lab[12 * 10];
    size_t nmax = 99;
    struct corr_frame fr = {img, 10, 12, NULL};

    two_pixel_frame(img);
    CHECK_EQ(segment(lab, &nmax, &fr, true, true, 1), 0);
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
    CHECK_EQ(process(lab, 10, 10, &nmax,
                     &(struct dcn_label_process_opts){false, true, 0}),
             0);
    CHECK_EQ(count_eq(lab, 100, 1), 24);
    CHECK_EQ(lab[9 * 10 + 4], 1);
    /* clear_border drops the object before the fill. */
    memset(lab, 0, sizeof(lab));
    for (size_t y = 4; y < 10; y++)
        lab[y * 10 + 3] = lab[y * 10 + 6] = 1;
    lab[4 * 10 + 4] = lab[4 * 10 + 5] = 1;
    CHECK_EQ(process(lab, 10, 10, &nmax,
                     &(struct dcn_label_process_opts){true, true, 0}),
             0);
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

/* A 5 x 8 image with a stride of 11 and some pixels below -6. */
static void
strided_image(int16_t img[5 * 11])
{
    for (size_t i = 0; i < (size_t)5 * 11; i++)
        img[i] = (int16_t)((i * 7) % 5 == 0 ? -9 : 0);
}

/* Padded rows (stride > width) in the corrected image. */
static void
test_thresh_with_stride(void)
{
    int16_t img[5 * 11];
    uint8_t mask[5 * 8];
    struct dcn_corr_view cv = {img, 8, 5, 11};

    strided_image(img);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, -6.0), 0);
    for (size_t y = 0; y < 5; y++) {
        for (size_t x = 0; x < 8; x++)
            CHECK_EQ(mask[y * 8 + x], img[y * 11 + x] < -6);
    }
}

/* Padded rows (stride > width) in the mask. */
static void
test_label_with_stride(void)
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

    strided_image(img);
    CHECK_EQ(dcn_segment_thresh(mask, &cv, NULL, -6.0), 0);
    memset(padded, 1, sizeof(padded)); /* the padding is foreground */
    for (size_t y = 0; y < 5; y++)
        memcpy(padded + y * 13, mask + y * 8, 8);
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

/* Label 1: 10 px in row 1, label 2: 1 px at (9, 0), label 3: 11 px in
 * rows 3-4 (6 x 10). */
static void
sizes_labels(uint16_t lab[60])
{
    memset(lab, 0, 60 * sizeof(*lab));
    for (size_t i = 0; i < 10; i++)
        lab[10 + i] = 1; /* 10 px: not kept */
    for (size_t i = 0; i < 11; i++)
        lab[30 + i] = 3; /* 11 px: kept */
    lab[9] = 2;
}

static void
test_label_sizes_count_and_reset(void)
{
    uint16_t lab[6 * 10];
    struct dcn_label_stats st[3] = {{0}};
    size_t nl = 0;

    sizes_labels(lab);
    st[2].count = 77; /* stale: must be reset */
    CHECK_EQ(dcn_label_sizes(st, 3, &nl, lab, 10, 6), 0);
    CHECK_EQ(nl, 3);
    CHECK_EQ(st[0].count, 10);
    CHECK_EQ(st[2].count, 11);
}

static void
test_label_sizes_box(void)
{
    uint16_t lab[6 * 10];
    struct dcn_label_stats st[3] = {{0}};
    size_t nl = 0;

    sizes_labels(lab);
    CHECK_EQ(dcn_label_sizes(st, 3, &nl, lab, 10, 6), 0);
    CHECK_EQ(st[2].x0, 0);
    CHECK_EQ(st[2].x1, 9);
    CHECK_EQ(st[2].y0, 3);
    CHECK_EQ(st[2].y1, 4);
}

static void
test_size_gate(void)
{
    uint16_t lab[6 * 10];
    struct dcn_label_stats st[3] = {{0}};
    size_t nl = 0;
    uint16_t ids[3];

    sizes_labels(lab);
    CHECK_EQ(dcn_label_sizes(st, 3, &nl, lab, 10, 6), 0);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 0), 1);
    CHECK_EQ(ids[0], 3);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 10), 1);
    CHECK_EQ(dcn_label_candidates(ids, st, 3, 5), 2);
    CHECK_EQ(ids[0], 1);
}

static void
test_label_sizes_too_many_labels_and_empty(void)
{
    uint16_t lab[6 * 10];
    struct dcn_label_stats st[3] = {{0}};
    size_t nl = 0;

    sizes_labels(lab);
    CHECK_EQ(dcn_label_sizes(st, 2, &nl, lab, 10, 6), DCN_ERANGE);
    memset(lab, 0, sizeof(lab));
    CHECK_EQ(dcn_label_sizes(NULL, 0, &nl, lab, 10, 6), 0);
    CHECK_EQ(nl, 0);
}

/* ---- naive implementations of numerics.md §3.2-3.3 ---- */

/* A binary image being labeled by flood fill. */
struct naive_labeling {
    const uint8_t *m;
    uint16_t *out;
    size_t w, h;
    bool eight; /* 8- (else 4-) connectivity */
    size_t *stack;
};

/* Label the unlabeled foreground neighbours of pixel p with n and push
 * them on the stack. */
static void
naive_push_neighbours(struct naive_labeling *nl, size_t p, uint16_t n,
                      size_t *sp)
{
    long px = (long)(p % nl->w);
    long py = (long)(p / nl->w);

    for (long dy = -1; dy <= 1; dy++) {
        for (long dx = -1; dx <= 1; dx++) {
            long x = px + dx;
            long y = py + dy;
            size_t q;

            if ((!nl->eight && dx != 0 && dy != 0) || x < 0 || y < 0 ||
                x >= (long)nl->w || y >= (long)nl->h)
                continue;
            q = (size_t)y * nl->w + (size_t)x;
            if (nl->m[q] && !nl->out[q]) {
                nl->out[q] = n;
                nl->stack[(*sp)++] = q;
            }
        }
    }
}

static size_t
naive_label(uint16_t *out, const uint8_t *m, size_t w, size_t h, bool eight)
{
    struct naive_labeling nl = {m, out,   w,
                                h, eight, malloc(w * h * sizeof(size_t))};
    size_t n = 0;

    memset(out, 0, w * h * sizeof(*out));
    for (size_t i = 0; i < w * h; i++) {
        size_t sp = 0;

        if (!m[i] || out[i])
            continue;
        out[i] = (uint16_t)++n;
        nl.stack[sp++] = i;
        while (sp > 0)
            naive_push_neighbours(&nl, nl.stack[--sp], (uint16_t)n, &sp);
    }
    free(nl.stack);
    return n;
}

/* A binary image and the disk of radius r to erode or dilate it with. */
struct naive_morphology {
    const uint8_t *in;
    size_t w, h;
    long r;
    bool erode; /* the outside is 1 for erosion, 0 for dilation */
};

/* The eroded or dilated value at (x, y). */
static uint8_t
naive_morph_at(const struct naive_morphology *mo, long x, long y)
{
    int v = mo->erode ? 1 : 0;

    for (long dy = -mo->r; dy <= mo->r; dy++) {
        for (long dx = -mo->r; dx <= mo->r; dx++) {
            long xx = x + dx;
            long yy = y + dy;
            int p;

            if (dx * dx + dy * dy > mo->r * mo->r)
                continue;
            if (xx < 0 || yy < 0 || xx >= (long)mo->w || yy >= (long)mo->h)
                p = mo->erode ? 1 : 0;
            else
                p = mo->in[yy * (long)mo->w + xx] != 0;
            v = mo->erode ? (v & p) : (v | p);
        }
    }
    return (uint8_t)v;
}

static void
naive_morph(uint8_t *out, const uint8_t *in, size_t w, size_t h, long r,
            bool erode)
{
    struct naive_morphology mo = {in, w, h, r, erode};

    for (long y = 0; y < (long)h; y++) {
        for (long x = 0; x < (long)w; x++)
            out[y * (long)w + x] = naive_morph_at(&mo, x, y);
    }
}

/* clear_border: drop every label that touches the frame. */
static void
naive_clear_border(uint16_t *lab, size_t w, size_t h)
{
    size_t n = w * h;

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

/* fill_holes of the binary image b: clear row 0 and the seed pixels, then
 * everything the background fill from (0,0) does not reach is foreground
 * (t, reach: scratch of w * h). */
static void
naive_fill_holes(uint8_t *b, uint8_t *t, uint16_t *reach, size_t w, size_t h)
{
    size_t n = w * h;

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

/* The largest label of lab. */
static size_t
naive_max_label(const uint16_t *lab, size_t n)
{
    size_t nobj = 0;

    for (size_t i = 0; i < n; i++)
        nobj = lab[i] > nobj ? lab[i] : nobj;
    return nobj;
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

    if (cle)
        naive_clear_border(lab, w, h);
    if (!f && clo == 0) {
        nobj = naive_max_label(lab, n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        b[i] = lab[i] != 0;
    if (f)
        naive_fill_holes(b, t, reach, w, h);
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

/* A rectangle's outline; diag leaves out its corners. */
struct outline {
    long x0, y0, x1, y1;
    bool diag;
};

static void
draw_outline(uint8_t *m, size_t w, size_t h, const struct outline *o)
{
    for (long y = o->y0; y <= o->y1; y++) {
        for (long x = o->x0; x <= o->x1; x++) {
            bool edge = x == o->x0 || x == o->x1 || y == o->y0 || y == o->y1;
            bool corner =
                    (x == o->x0 || x == o->x1) && (y == o->y0 || y == o->y1);

            if (x < 0 || y < 0 || x >= (long)w || y >= (long)h)
                continue;
            if (edge && !(o->diag && corner))
                m[y * (long)w + x] = 1;
        }
    }
}

/* Up to 29 specks of one pixel, some with a diagonal neighbour. */
static void
add_specks(uint8_t *m, size_t w, size_t h)
{
    for (size_t k = rng() % 30; k > 0; k--) {
        size_t x = rng() % w;
        size_t y = rng() % h;

        m[y * w + x] = 1;
        if (rng() % 3 == 0 && x + 1 < w && y + 1 < h)
            m[(y + 1) * w + x + 1] = 1;
    }
}

/* Hollow rectangles and rings with specks inside, on and around them. */
static void
random_rings(uint8_t *m, size_t w, size_t h)
{
    size_t nring = 1 + rng() % 4;

    memset(m, 0, w * h);
    for (size_t k = 0; k < nring; k++) {
        struct outline o;

        o.x0 = (long)(rng() % w) - 2;
        o.y0 = (long)(rng() % h) - 2;
        o.x1 = o.x0 + 2 + (long)(rng() % 12);
        o.y1 = o.y0 + 2 + (long)(rng() % 12);
        o.diag = rng() % 2;
        draw_outline(m, w, h, &o);
    }
    add_specks(m, w, h);
}

/* Mismatches against the naive definitions over the random images. */
struct random_tally {
    size_t bad_label, bad_proc, bad_fused, runs;
};

/* One random image of random size through labeling and processing, the
 * fast way and the naive way. */
static void
check_random_image(size_t iter, struct random_tally *t)
{
    static const size_t widths[] = {1, 2, 3, 7, 63, 64, 65, 100, 130, 250};
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
    t->bad_label += na != nb || memcmp(a, b, w * h * sizeof(*a)) != 0;
    nb = naive_process(b, w, h, o.clear_border, o.fill_holes,
                       (long)o.closing_disk);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){a, w, h}, &nmax, &o, 0,
                               scratch, NULL),
             0);
    /* The fused call must give the same as the two stages. */
    CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){f, w, h}, &nf, &mv,
                                   &o, 0, scratch, NULL),
             0);
    t->bad_fused += nf != nmax || memcmp(a, f, w * h * sizeof(*a)) != 0;
    if (nmax != nb || memcmp(a, b, w * h * sizeof(*a)) != 0) {
        t->bad_proc++;
        (void)fprintf(stderr, "mismatch w=%zu h=%zu cle=%d f=%d clo=%u\n", w, h,
                      o.clear_border, o.fill_holes, o.closing_disk);
    }
    t->runs++;
    free(m);
    free(a);
    free(b);
    free(f);
    free(scratch);
}

static void
test_random_images_match_naive_definitions(void)
{
    struct random_tally t = {0, 0, 0, 0};

    for (size_t iter = 0; iter < 3000; iter++)
        check_random_image(iter, &t);
    CHECK_EQ(t.bad_label, 0);
    CHECK_EQ(t.bad_fused, 0);
    CHECK_EQ(t.bad_proc, 0);
    CHECK_EQ(t.runs, 3000);
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
    test_closing_disk_1_rounds_the_corners();
    test_disk30_is_segmented_exactly();
    test_more_than_65535_objects_is_an_error();
    test_65535_objects_still_fit();
    test_relabeling_more_than_65535_objects_is_an_error();
    test_empty_frame_has_no_objects();
    test_one_pixel_objects_in_raster_order();
    test_sizes_of_one_pixel_objects();
    test_one_pixel_objects_are_no_candidates();
    test_opening_removes_one_pixel_objects();
    test_region_cut_off_by_border_object_is_filled();
    test_labels_in_raster_order_of_first_pixel();
    test_thresh_with_stride();
    test_label_with_stride();
    test_thresh_cut_equals_double_comparison();
    test_thresh_rejects_bad_arguments();
    test_label_sizes_count_and_reset();
    test_label_sizes_box();
    test_size_gate();
    test_label_sizes_too_many_labels_and_empty();
    test_random_images_match_naive_definitions();
    test_large_disk_radius_matches_naive();
    return check_report();
}
