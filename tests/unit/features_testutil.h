/* SPDX-License-Identifier: MIT */
/*
 * features_testutil.h - test helpers for state "e": one event from a
 * full-frame mask, computed with the per-event building blocks, and the
 * tolerance contract of ../shared/data/README.md.
 */
#ifndef DCN_TESTS_FEATURES_TESTUTIL_H
#define DCN_TESTS_FEATURES_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features_extract.h"
#include "features_internal.h"
#include "support/testdata.h" /* TD_TILT_MAX_ULP */

struct ft_ctx {
    size_t width, height;
    void *mem;
    struct dcn__feat_work work;
    uint16_t *labels;
};

static inline int
ft_init(struct ft_ctx *c, size_t width, size_t height)
{
    c->width = width;
    c->height = height;
    c->mem = calloc(1, dcn__feat_work_size(width, height));
    c->labels = calloc(width * height, sizeof(uint16_t));
    if (c->mem == NULL || c->labels == NULL)
        return -1;
    dcn__feat_work_init(&c->work, c->mem, width, height);
    return 0;
}

static inline void
ft_release(struct ft_ctx *c)
{
    free(c->mem);
    free(c->labels);
}

/* One event for ft_event(): the full-frame mask and what to compute. */
struct ft_input {
    const uint8_t *mask;  /* the event is mask != 0 */
    const uint8_t *image; /* image and bg: NULL for moments only */
    const uint8_t *bg;
    const int16_t *corr; /* background-corrected image for Haralick */
    double ps;           /* pixel size */
    unsigned flags;      /* DCN_FEATURES_* groups beyond the moments */
    int has_bg_off;
    double bg_off;
};

/* Set c->labels to 1 on the mask and 0 elsewhere, and the event's box;
 * returns the number of mask pixels. */
static inline uint32_t
ft_mask_box(struct ft_ctx *c, const uint8_t *mask, struct dcn__event_view *ev)
{
    size_t w = c->width, h = c->height;
    uint32_t n = 0;

    ev->x0 = (uint32_t)w;
    ev->y0 = (uint32_t)h;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t i = y * w + x;
            c->labels[i] = mask[i] ? 1 : 0;
            if (!mask[i])
                continue;
            n++;
            ev->x0 = x < ev->x0 ? (uint32_t)x : ev->x0;
            ev->x1 = x > ev->x1 ? (uint32_t)x : ev->x1;
            ev->y0 = y < ev->y0 ? (uint32_t)y : ev->y0;
            ev->y1 = (uint32_t)y;
        }
    }
    return n;
}

/* The groups of in->flags beyond the moments, for the traced event ev. */
static inline void
ft_groups(double *feat, struct ft_ctx *c, const struct dcn__event_view *ev,
          const struct ft_input *in, bool valid)
{
    if (in->flags & DCN_FEATURES_BRIGHTNESS) {
        dcn__brightness_features(feat, &c->work, ev, in->has_bg_off,
                                 in->bg_off);
        feat[DCN_FEAT_BG_MED] =
                dcn_features_median_u8(in->bg, c->width * c->height) +
                (in->has_bg_off ? in->bg_off : 0.0);
    }
    if (in->flags & DCN_FEATURES_HARALICK)
        dcn__haralick_features(feat, &c->work, ev);
    if (in->flags & DCN_FEATURES_VOLUME)
        dcn__volume_feature(feat, &c->work, valid, in->ps);
}

/*
 * All features of the event "in->mask != 0" (any size; no size gate).
 * Returns the validity, or -1 for an empty mask.
 */
static inline int
ft_event(double *feat, struct ft_ctx *c, const struct ft_input *in)
{
    struct dcn__event_view ev;
    uint32_t n;
    bool valid;

    memset(&ev, 0, sizeof(ev));
    n = ft_mask_box(c, in->mask, &ev);
    for (int f = 0; f < DCN_FEAT_COUNT; f++)
        feat[f] = NAN;
    if (n == 0)
        return -1;
    ev.labels = c->labels;
    ev.image = in->image;
    ev.image_bg = in->bg;
    ev.image_corr = in->corr;
    ev.width = c->width;
    ev.height = c->height;
    ev.id = 1;
    ev.npix = n;
    dcn__contour_trace(&c->work, &ev);
    valid = dcn__moment_features(feat, &c->work, in->ps);
    ft_groups(feat, c, &ev, in, valid);
    return valid;
}

/* ft_event() for the moment features only. */
static inline int
ft_moments(double *feat, struct ft_ctx *c, const uint8_t *mask, double ps)
{
    struct ft_input in = {mask, NULL, NULL, NULL, ps, 0, 0, 0.0};

    return ft_event(feat, c, &in);
}

/* ft_event() for the moment and Haralick features of corr. */
static inline int
ft_haralick(double *feat, struct ft_ctx *c, const uint8_t *mask,
            const int16_t *corr, double ps)
{
    struct ft_input in = {mask, NULL, NULL, corr, ps, DCN_FEATURES_HARALICK,
                          0,    0.0};

    return ft_event(feat, c, &in);
}

/* the bit pattern of a double */
static inline uint64_t
ft_bits(double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    return u;
}

/* distance in units in the last place (0 for identical, NaN == NaN) */
static inline double
ft_ulps(double a, double b)
{
    int64_t ia, ib;
    if (isnan(a) && isnan(b))
        return 0;
    if (isnan(a) || isnan(b))
        return INFINITY;
    memcpy(&ia, &a, 8);
    memcpy(&ib, &b, 8);
    if (ia < 0)
        ia = INT64_MIN - ia;
    if (ib < 0)
        ib = INT64_MIN - ib;
    /* subtract in int64 (a double holds only 53 bits of the difference) */
    if ((ia < 0) != (ib < 0))
        return fabs((double)ia - (double)ib);
    return fabs((double)(ia - ib));
}

/* Tolerance contract: tex_* rtol 1e-9, tilt <= TD_TILT_MAX_ULP (2) ulp,
 * others identical.
 * Returns the deviation in the unit of the contract (ulps or relative)
 * and whether it is within. */
static inline int
ft_within(enum dcn_feature f, double got, double want, double *dev)
{
    if (f >= DCN_FEAT_FIRST_TEXTURE) {
        double m = fmax(fabs(got), fabs(want));
        if (isnan(got) || isnan(want)) {
            *dev = isnan(got) && isnan(want) ? 0 : INFINITY;
            return *dev == 0;
        }
        *dev = got == want ? 0 : fabs(got - want) / m;
        return fabs(got - want) <= 1e-9 * m;
    }
    *dev = ft_ulps(got, want);
    if (f == DCN_FEAT_TILT)
        return *dev <= TD_TILT_MAX_ULP;
    /* bit-identical: +0 and -0 differ */
    return ft_bits(got) == ft_bits(want) || (isnan(got) && isnan(want));
}

#endif /* DCN_TESTS_FEATURES_TESTUTIL_H */
