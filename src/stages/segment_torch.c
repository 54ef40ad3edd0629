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

/* The split of |a - b| as dcnum makes it: lead = d // 2, trail = d - lead. */
static void
split_diff(size_t a, size_t b, size_t *lead, size_t *trail)
{
    size_t d = a > b ? a - b : b - a;
    *lead = d / 2;
    *trail = d - *lead;
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

static void
preprocess_one(float *dst, const uint8_t *img, const struct dcn_torch_shape *s,
               const struct dcn_torch_meta *meta)
{
    size_t ht, hb, wl, wr;
    bool hpad = s->in_h < s->model_h, wpad = s->in_w < s->model_w;
    float med = 0.0f, med_norm;

    split_diff(s->in_h, s->model_h, &ht, &hb);
    split_diff(s->in_w, s->model_w, &wl, &wr);
    if (hpad || wpad)
        med = image_median(img, s->in_h * s->in_w);
    med_norm = normalise(med, meta);
    for (size_t y = 0; y < s->model_h; y++) {
        float *row = dst + y * s->model_w;
        size_t sy;

        if (hpad && (y < ht || y >= s->model_h - hb)) {
            for (size_t x = 0; x < s->model_w; x++)
                row[x] = med_norm;
            continue;
        }
        sy = hpad ? y - ht : y + (s->in_h > s->model_h ? ht : 0);
        for (size_t x = 0; x < s->model_w; x++) {
            size_t sx;
            if (wpad && (x < wl || x >= s->model_w - wr)) {
                row[x] = med_norm;
                continue;
            }
            sx = wpad ? x - wl : x + (s->in_w > s->model_w ? wl : 0);
            row[x] = normalise((float)img[sy * s->in_w + sx], meta);
        }
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

/* Remove every 8-connected object of m (h x w) that touches the border:
 * the same pixels as labeling with dcnum's STRUCTURING_ELEMENT and
 * zeroing the labels found on the border. */
static void
clear_border(uint8_t *m, size_t h, size_t w, uint32_t *stack)
{
    size_t top = 0;

    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t i = y * w + x;
            if ((y == 0 || x == 0 || y == h - 1 || x == w - 1) && m[i]) {
                m[i] = 0;
                stack[top++] = (uint32_t)i;
            }
        }
    }
    while (top > 0) {
        size_t i = stack[--top], y = i / w, x = i % w;
        size_t y0 = y > 0 ? y - 1 : 0, y1 = y + 1 < h ? y + 1 : y;
        size_t x0 = x > 0 ? x - 1 : 0, x1 = x + 1 < w ? x + 1 : x;
        for (size_t yy = y0; yy <= y1; yy++) {
            for (size_t xx = x0; xx <= x1; xx++) {
                size_t j = yy * w + xx;
                if (m[j]) { /* each pixel is pushed once: cleared first */
                    m[j] = 0;
                    stack[top++] = (uint32_t)j;
                }
            }
        }
    }
}

void
dcn_torch_postprocess(uint8_t *mask, uint8_t *model_mask,
                      const struct dcn_torch_shape *s, void *scratch)
{
    size_t s0t, s0b, s1l, s1r;

    if (s->in_h == s->model_h && s->in_w == s->model_w) {
        memcpy(mask, model_mask, s->in_h * s->in_w);
        return;
    }
    split_diff(s->in_h, s->model_h, &s0t, &s0b);
    split_diff(s->in_w, s->model_w, &s1l, &s1r);
    if (s->in_h > s->model_h || s->in_w > s->model_w)
        clear_border(model_mask, s->model_h, s->model_w, scratch);
    for (size_t y = 0; y < s->in_h; y++) {
        uint8_t *row = mask + y * s->in_w;
        size_t my;

        if (s->in_h > s->model_h && (y < s0t || y >= s->in_h - s0b)) {
            memset(row, 0, s->in_w);
            continue;
        }
        my = s->in_h > s->model_h ? y - s0t : y + (s->in_h < s->model_h ? s0t : 0);
        for (size_t x = 0; x < s->in_w; x++) {
            size_t mx;
            if (s->in_w > s->model_w && (x < s1l || x >= s->in_w - s1r)) {
                row[x] = 0;
                continue;
            }
            mx = s->in_w > s->model_w ? x - s1l
                                      : x + (s->in_w < s->model_w ? s1l : 0);
            row[x] = model_mask[my * s->model_w + mx] != 0;
        }
    }
}
