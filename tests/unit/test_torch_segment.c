/* SPDX-License-Identifier: MIT */
/*
 * test_torch_segment.c - the PyTorch segmenter's stages against dcnum's
 * own oracles (../shared/data/torch, dcnum's tests/test_segm_torch.py):
 * the test model unet-dcnum-test_g1_910c2 on its five test images gives
 * the raw masks (*_mask_segm.png) and the post-processed masks
 * (*_mask.png) pixel for pixel (cell_image_2_shift is not one of
 * dcnum's oracles: its PNGs are from an older model); frame 0 of
 * dcnum_thresh_example.rtdc gives labels {0, 1, 2} with 24194 / 831 / 575
 * pixels.  Also: batched inference equals one image per call, the metadata, and
 * preprocessing on small hand-checked images (crop, median padding,
 * normalisation).
 *
 * DCN_TORCH_TESTDIR is the folder the ctest fixture unzipped the model
 * and the images into.
 */
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "label.h"
#include "segment_torch.h"
#include "testdata.h"
#include "torch_meta.h"
#include "torch_model.h"

#define W 250
#define H 80

static const char *
testdir(void)
{
    // NOLINTNEXTLINE(concurrency-mt-unsafe): single-threaded test
    const char *d = getenv("DCN_TORCH_TESTDIR");
    if (d == NULL || d[0] == '\0') {
        (void)fprintf(stderr, "DCN_TORCH_TESTDIR is not set\n");
        exit(1); // NOLINT(concurrency-mt-unsafe): single-threaded test
    }
    return d;
}

/* A PNG of W x H as 8-bit gray (first channel), into px. */
static int
read_png(uint8_t *px, const char *stem, const char *suffix)
{
    char path[1024];
    png_image img;
    uint8_t *buf;
    int ok;

    (void)snprintf(path, sizeof(path), "%s/%s%s.png", testdir(), stem, suffix);
    memset(px, 0, (size_t)W * H);
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        (void)fprintf(stderr, "%s: %s\n", path, img.message);
        return -1;
    }
    img.format = PNG_FORMAT_RGB;
    buf = malloc(PNG_IMAGE_SIZE(img));
    ok = buf != NULL && img.width == W && img.height == H &&
         png_image_finish_read(&img, NULL, buf, 0, NULL);
    for (size_t i = 0; ok && i < (size_t)W * H; i++)
        px[i] = buf[3 * i]; /* cv2.imread(...)[:, :, 0] */
    free(buf);
    png_image_free(&img);
    if (!ok)
        (void)fprintf(stderr, "%s: not a %d x %d PNG\n", path, W, H);
    return ok ? 0 : -1;
}

struct model {
    struct dcn_torch_model *m;
    struct dcn_torch_meta meta;
    struct dcn_torch_shape shape;
};

static int
model_open(struct model *md, const char *name, size_t h, size_t w)
{
    char path[1024];
    struct dcn_error err = DCN_ERROR_INIT;
    const char *json;
    size_t len;

    (void)snprintf(path, sizeof(path), "%s/%s", testdir(), name);
    memset(md, 0, sizeof(*md));
    if (dcn_torch_model_load(&md->m, path, DCN_TORCH_CPU, &err) != DCN_OK) {
        (void)fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    json = dcn_torch_model_meta_json(md->m, &len);
    if (dcn_torch_meta_parse(&md->meta, json, len, path, &err) != DCN_OK) {
        (void)fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    dcn_torch_shape_init(&md->shape, &md->meta, h, w);
    return 0;
}

static void
model_close(struct model *md)
{
    dcn_torch_model_free(md->m);
    dcn_torch_meta_release(&md->meta);
}

/* segment_algorithm on n images: preprocess, model, postprocess. */
static int
segment(uint8_t *masks, const uint8_t *images, size_t n, struct model *md)
{
    const struct dcn_torch_shape *s = &md->shape;
    size_t mpix = s->model_h * s->model_w, ipix = s->in_h * s->in_w;
    float *in = calloc(n * mpix, sizeof(float));
    uint8_t *raw = calloc(n, mpix);
    void *scratch = malloc(dcn_torch_postprocess_scratch_size(s));
    struct dcn_error err = DCN_ERROR_INIT;
    int rc = -1;

    if (in != NULL && raw != NULL && scratch != NULL) {
        dcn_torch_preprocess(in, images, n, s, &md->meta);
        struct dcn_torch_batch b = {n, s->model_h, s->model_w};
        rc = dcn_torch_model_forward(md->m, raw, in, &b, &err);
        if (rc != DCN_OK)
            (void)fprintf(stderr, "%s\n", err.msg);
        for (size_t i = 0; rc == DCN_OK && i < n; i++)
            dcn_torch_postprocess(masks + i * ipix, raw + i * mpix, s, scratch);
    }
    free(in);
    free(raw);
    free(scratch);
    return rc;
}

/* process_labels(mask, clear_border, fill_holes, closing_disk=0) > 0 */
static int
mask_postprocess(uint8_t *out, const uint8_t *mask)
{
    struct dcn_mask_view mv = {mask, W, H, W};
    struct dcn_label_process_opts o = {true, true, 0};
    uint16_t *labels = malloc(sizeof(uint16_t) * W * H);
    size_t a = dcn_label_scratch_size(W, H);
    size_t b = dcn_label_process_scratch_size(W, H);
    void *scratch = malloc(a > b ? a : b);
    size_t nobj, nmax;
    int rc = -1;

    if (labels != NULL && scratch != NULL &&
        dcn_label(labels, &nobj, &mv, 0, scratch, NULL) == DCN_OK &&
        dcn_label_process(&(struct dcn_label_image){labels, W, H}, &nmax, &o, 0,
                          scratch, NULL) == DCN_OK) {
        for (size_t i = 0; i < (size_t)W * H; i++)
            out[i] = labels[i] > 0;
        rc = 0;
    }
    free(labels);
    free(scratch);
    return rc;
}

static size_t
same_pixels(const uint8_t *a, const uint8_t *png)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)W * H; i++)
        n += (a[i] != 0) == (png[i] != 0);
    return n;
}

enum {
    NSTEMS = 5
};
static const char *const stems[NSTEMS] = {"cell_image_1", "cell_image_2",
                                          "cell_image_3", "cell_image_4",
                                          "cell_image_5"};

static void
test_metadata(struct model *md)
{
    CHECK(md->meta.normalize);
    CHECK_DBL_IDENT(md->meta.norm_mean, 0.487);
    CHECK_DBL_IDENT(md->meta.norm_std, 0.084);
    CHECK(md->meta.has_image_shape);
    CHECK_EQ(md->meta.image_h, 64);
    CHECK_EQ(md->meta.image_w, 256);
    CHECK_EQ(md->meta.nrules, 2);
    CHECK_EQ(md->meta.rules[0].type, DCN_TORCH_RULE_META);
    CHECK_STR_EQ(md->meta.rules[0].key, "setup:chip region");
    CHECK_STR_EQ(md->meta.rules[0].regexp, "^channel$");
    CHECK(!md->meta.rules[0].allow_missing_key);
    CHECK_EQ(md->meta.rules[1].type, DCN_TORCH_RULE_LOGS);
    CHECK(md->meta.rules[1].allow_missing_key);
    CHECK(md->meta.rules[1].regexp_negate);
}

/* The five images (and the shifted one), one per call, as dcnum's
 * test_segm_torch_mpo_explicit. */
static void
test_oracle_images(struct model *md, uint8_t *images, uint8_t *masks)
{
    static uint8_t exp[W * H], post[W * H];

    for (size_t i = 0; i < NSTEMS; i++) {
        uint8_t *img = images + i * W * H, *mask = masks + i * W * H;
        CHECK_EQ(read_png(img, stems[i], ""), 0);
        CHECK_EQ(segment(mask, img, 1, md), DCN_OK);
        size_t raw, done;
        CHECK_EQ(read_png(exp, stems[i], "_mask_segm"), 0);
        raw = same_pixels(mask, exp);
        CHECK_EQ(raw, W * H);
        CHECK_EQ(mask_postprocess(post, mask), 0);
        CHECK_EQ(read_png(exp, stems[i], "_mask"), 0);
        done = same_pixels(post, exp);
        CHECK_EQ(done, W * H);
        (void)printf("%s: raw mask %zu/%d, post-processed %zu/%d pixels "
                     "equal\n",
                     stems[i], raw, W * H, done, W * H);
    }
}

/* All images in one batch give the masks of one image per call. */
static void
test_batch_equals_single(struct model *md, const uint8_t *images,
                         const uint8_t *masks)
{
    uint8_t *batch = calloc(NSTEMS, (size_t)W * H);

    CHECK(batch != NULL);
    if (batch == NULL)
        return;
    CHECK_EQ(segment(batch, images, NSTEMS, md), DCN_OK);
    CHECK_EQ(memcmp(batch, masks, (size_t)NSTEMS * W * H), 0);
    free(batch);
}

/* dcnum's test_segm_torch_mpo: frame 0 with labeling (80 x 320). */
#define EW 320
static void
test_thresh_example_frame0(void)
{
    char path[PATH_MAX];
    struct td_array img = {0};
    struct model md;
    static uint8_t mask[EW * H];
    static uint16_t labels[EW * H];
    struct dcn_mask_view mv = {mask, EW, H, EW};
    struct dcn_label_process_opts o = {true, true, 0};
    void *scratch = malloc(dcn_label_scratch_size(EW, H) +
                           dcn_label_process_scratch_size(EW, H));
    size_t nobj = 0, nmax = 0, count[4] = {0};

    CHECK_EQ(td_input_path(path, "dcnum_thresh_example"), 0);
    CHECK_EQ(td_read(&img, path, "events/image", TD_U8), 0);
    CHECK(img.rank == 3 && img.dims[1] == H && img.dims[2] == EW);
    CHECK_EQ(model_open(&md, "unet-dcnum-test_g1_910c2.dcnm", H, EW), 0);
    if (img.data == NULL || scratch == NULL || img.dims[1] != H ||
        img.dims[2] != EW || md.m == NULL) {
        free(scratch);
        td_array_release(&img);
        model_close(&md);
        return;
    }
    CHECK_EQ(segment(mask, img.data, 1, &md), DCN_OK);
    CHECK_EQ(dcn_label(labels, &nobj, &mv, 0, scratch, NULL), DCN_OK);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){labels, EW, H}, &nmax,
                               &o, 0, scratch, NULL),
             DCN_OK);
    for (size_t i = 0; i < (size_t)EW * H; i++)
        count[labels[i] < 3 ? labels[i] : 3]++;
    CHECK_EQ(nmax, 2);
    CHECK_EQ(count[0], 24194);
    CHECK_EQ(count[1], 831);
    CHECK_EQ(count[2], 575);
    CHECK_EQ(count[3], 0);
    (void)printf("dcnum_thresh_example frame 0: labels 0/1/2 with "
                 "%zu/%zu/%zu pixels\n",
                 count[0], count[1], count[2]);
    free(scratch);
    td_array_release(&img);
    model_close(&md);
}

/* Preprocessing on a 3 x 4 image into a 5 x 2 model (crop the width,
 * pad the height with the median), checked against numpy's arithmetic
 * written out by hand. */
static void
test_preprocess_small(void)
{
    const uint8_t img[12] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 121};
    struct dcn_torch_meta meta = {0};
    struct dcn_torch_shape s;
    float out[10];
    /* median of 12 values: (60 + 70) / 2 = 65 */
    float med = (65.0f / 255.0f - 0.5f) / 0.25f;

    meta.normalize = true;
    meta.norm_mean = 0.5;
    meta.norm_std = 0.25;
    meta.has_image_shape = true;
    meta.image_h = 5;
    meta.image_w = 2;
    dcn_torch_shape_init(&s, &meta, 3, 4);
    dcn_torch_preprocess(out, img, 1, &s, &meta);
    /* hdiff -2: 1 row above, 1 below; wdiff 2: columns 1..2 */
    CHECK_DBL_IDENT(out[0], med);
    CHECK_DBL_IDENT(out[1], med);
    CHECK_DBL_IDENT(out[2], (20.0f / 255.0f - 0.5f) / 0.25f);
    CHECK_DBL_IDENT(out[3], (30.0f / 255.0f - 0.5f) / 0.25f);
    CHECK_DBL_IDENT(out[6], (100.0f / 255.0f - 0.5f) / 0.25f);
    CHECK_DBL_IDENT(out[8], med);
    CHECK_DBL_IDENT(out[9], med);

    /* an odd count and an even median of .5: 3 values -> middle one */
    const uint8_t img3[3] = {7, 1, 200};
    meta.normalize = false;
    meta.image_h = 1;
    meta.image_w = 5;
    dcn_torch_shape_init(&s, &meta, 1, 3);
    dcn_torch_preprocess(out, img3, 1, &s, &meta);
    CHECK_DBL_IDENT(out[0], 7.0f);
    CHECK_DBL_IDENT(out[1], 7.0f);
    CHECK_DBL_IDENT(out[2], 1.0f);
    CHECK_DBL_IDENT(out[4], 7.0f);
    const uint8_t img2[2] = {4, 9};
    dcn_torch_shape_init(&s, &meta, 1, 2);
    dcn_torch_preprocess(out, img2, 1, &s, &meta);
    CHECK_DBL_IDENT(out[0], 6.5f);
    CHECK_DBL_IDENT(out[1], 4.0f);
    CHECK_DBL_IDENT(out[3], 6.5f);
}

/* Postprocessing undoes the crop and clears objects cut by the crop. */
static void
test_postprocess_small(void)
{
    struct dcn_torch_meta meta = {0};
    struct dcn_torch_shape s;
    uint32_t scratch[16];
    /* model 3 x 4 from an image of 5 x 2: rows padded back, columns
     * cropped back (1 left, 1 right) */
    uint8_t mm[12] = {1, 0, 0, 0, /* touches the border: cleared */
                      0, 0, 1, 0, /* inner object (6) kept */
                      0, 0, 0, 0};
    uint8_t mask[10];

    meta.has_image_shape = true;
    meta.image_h = 3;
    meta.image_w = 4;
    dcn_torch_shape_init(&s, &meta, 5, 2);
    dcn_torch_postprocess(mask, mm, &s, scratch);
    const uint8_t exp[10] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    CHECK_EQ(memcmp(mask, exp, sizeof(exp)), 0);
}

int
main(void)
{
    struct model md;
    uint8_t *images = calloc(NSTEMS, (size_t)W * H),
            *masks = calloc(NSTEMS, (size_t)W * H);

    test_preprocess_small();
    test_postprocess_small();
    CHECK(dcn_torch_built());
    if (images != NULL && masks != NULL &&
        model_open(&md, "unet-dcnum-test_g1_910c2.dcnm", H, W) == 0) {
        dcn_torch_set_threads(1);
        test_metadata(&md);
        test_oracle_images(&md, images, masks);
        test_batch_equals_single(&md, images, masks);
        model_close(&md);
        test_thresh_example_frame0();
    } else {
        CHECK(!"the test model loads");
    }
    free(images);
    free(masks);
    return check_report();
}
