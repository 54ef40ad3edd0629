/* SPDX-License-Identifier: MIT */
/*
 * segment_torch.c - crop/pad/normalise for the model, undo it for the
 * masks (dcnum's torch_preproc.py and torch_postproc.py).
 */
#include "segment_torch.h"

#include <string.h>

void
dcn_torch_shape_init(struct dcn_torch_shape *s,
                     const struct dcn_torch_meta *meta, size_t in_h,
                     size_t in_w)
{
    s->in_h = in_h;
    s->in_w = in_w;
    s->model_h = meta->has_image_shape ? meta->image_h : in_h;
    s->model_w = meta->has_image_shape ? meta->image_w : in_w;
}

/*
 * Central crop or pad along one axis, as dcnum's slices make it (the
 * difference d split as lead = d // 2 before, d - lead after): the index
 * in an axis of in_n values that position i of an axis of out_n values
 * comes from, or -1 where out is padding.
 */
static long
axis_src(size_t i, size_t in_n, size_t out_n)
{
    size_t d = in_n > out_n ? in_n - out_n : out_n - in_n;
    size_t lead = d / 2, trail = d - lead;

    if (in_n >= out_n)
        return (long)(i + lead);
    if (i < lead || i >= out_n - trail)
        return -1;
    return (long)(i - lead);
}

/* np.median of one uint8 image: the middle value, or the mean of the two
 * middle values (in double, exact) for an even count. */
static float
image_median(const uint8_t *img, size_t npix)
{
    size_t hist[256] = {0};
    size_t lo_rank = (npix - 1) / 2, hi_rank = npix / 2, seen = 0;
    int lo = -1, hi = -1;

    for (size_t i = 0; i < npix; i++)
        hist[img[i]]++;
    for (int v = 0; v < 256 && hi < 0; v++) {
        seen += hist[v];
        if (lo < 0 && seen > lo_rank)
            lo = v;
        if (seen > hi_rank)
            hi = v;
    }
    return (float)(((double)lo + (double)hi) / 2.0);
}

static float
normalise(float x, const struct dcn_torch_meta *meta)
{
    if (!meta->normalize)
        return x;
    /* numpy: float32 array / 255 -> float32; - float -> float32; / float */
    return (x / 255.0f - (float)meta->norm_mean) / (float)meta->norm_std;
}

/* One row of the model's input: source row src (NULL: padding). */
static void
preprocess_row(float *row, const uint8_t *src, float pad,
               const struct dcn_torch_shape *s,
               const struct dcn_torch_meta *meta)
{
    for (size_t x = 0; x < s->model_w; x++) {
        long sx = src != NULL ? axis_src(x, s->in_w, s->model_w) : -1;
        row[x] = sx < 0 ? pad : normalise((float)src[sx], meta);
    }
}

static void
preprocess_one(float *dst, const uint8_t *img, const struct dcn_torch_shape *s,
               const struct dcn_torch_meta *meta)
{
    bool pads = s->in_h < s->model_h || s->in_w < s->model_w;
    /* numpy pads with the median before normalising the padded image */
    float pad =
            normalise(pads ? image_median(img, s->in_h * s->in_w) : 0.0f, meta);

    for (size_t y = 0; y < s->model_h; y++) {
        long sy = axis_src(y, s->in_h, s->model_h);
        preprocess_row(dst + y * s->model_w,
                       sy < 0 ? NULL : img + (size_t)sy * s->in_w, pad, s,
                       meta);
    }
}

void
dcn_torch_preprocess(float *dst, const uint8_t *images, size_t n,
                     const struct dcn_torch_shape *s,
                     const struct dcn_torch_meta *meta)
{
    size_t in = s->in_h * s->in_w, out = s->model_h * s->model_w;

    for (size_t i = 0; i < n; i++)
        preprocess_one(dst + i * out, images + i * in, s, meta);
}

size_t
dcn_torch_postprocess_scratch_size(const struct dcn_torch_shape *s)
{
    return s->model_h * s->model_w * sizeof(uint32_t);
}

/* Clear pixel i if set and push it: each pixel is pushed at most once. */
static void
take(uint8_t *m, size_t i, uint32_t *stack, size_t *top)
{
    if (m[i]) {
        m[i] = 0;
        stack[(*top)++] = (uint32_t)i;
    }
}

/* Pop one pixel and take its 8 neighbours. */
static void
take_neighbours(uint8_t *m, size_t h, size_t w, uint32_t *stack, size_t *top)
{
    size_t i = stack[--*top], y = i / w, x = i % w;
    size_t y1 = y + 1 < h ? y + 1 : y, x1 = x + 1 < w ? x + 1 : x;

    for (size_t yy = y > 0 ? y - 1 : 0; yy <= y1; yy++) {
        for (size_t xx = x > 0 ? x - 1 : 0; xx <= x1; xx++)
            take(m, yy * w + xx, stack, top);
    }
}

/* Remove every 8-connected object of m (h x w) that touches the border:
 * the same pixels as labeling with dcnum's STRUCTURING_ELEMENT and
 * zeroing the labels found on the border. */
static void
clear_border(uint8_t *m, size_t h, size_t w, uint32_t *stack)
{
    size_t top = 0;

    if (h == 0 || w == 0)
        return;
    for (size_t x = 0; x < w; x++) {
        take(m, x, stack, &top);
        take(m, (h - 1) * w + x, stack, &top);
    }
    for (size_t y = 1; y + 1 < h; y++) {
        take(m, y * w, stack, &top);
        take(m, y * w + w - 1, stack, &top);
    }
    while (top > 0)
        take_neighbours(m, h, w, stack, &top);
}

void
dcn_torch_postprocess(uint8_t *mask, uint8_t *model_mask,
                      const struct dcn_torch_shape *s, void *scratch)
{
    if (s->in_h == s->model_h && s->in_w == s->model_w) {
        memcpy(mask, model_mask, s->in_h * s->in_w);
        return;
    }
    /* a crop cut objects: remove those at the model mask's border first */
    if (s->in_h > s->model_h || s->in_w > s->model_w)
        clear_border(model_mask, s->model_h, s->model_w, scratch);
    for (size_t y = 0; y < s->in_h; y++) {
        long my = axis_src(y, s->model_h, s->in_h);
        const uint8_t *src =
                my < 0 ? NULL : model_mask + (size_t)my * s->model_w;

        for (size_t x = 0; x < s->in_w; x++) {
            long mx = src != NULL ? axis_src(x, s->model_w, s->in_w) : -1;
            mask[y * s->in_w + x] = mx >= 0 && src[mx] != 0;
        }
    }
}
