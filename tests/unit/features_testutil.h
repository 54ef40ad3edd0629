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

/*
 * All features of the event "mask != 0" (any size; no size gate).
 * image/bg may be NULL for moments only.  Returns the validity, or -1
 * for an empty mask.
 */
static inline int
ft_event(double *feat, struct ft_ctx *c, const uint8_t *mask,
         const uint8_t *image, const uint8_t *bg, const int16_t *corr,
         double ps, unsigned flags, int has_bg_off, double bg_off)
{
    struct dcn__event_view ev;
    size_t w = c->width, h = c->height;
    uint32_t n = 0;
    bool valid;

    memset(&ev, 0, sizeof(ev));
    ev.x0 = (uint32_t)w;
    ev.y0 = (uint32_t)h;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t i = y * w + x;
            c->labels[i] = mask[i] ? 1 : 0;
            if (!mask[i])
                continue;
            n++;
            if (x < ev.x0)
                ev.x0 = (uint32_t)x;
            if (x > ev.x1)
                ev.x1 = (uint32_t)x;
            if (y < ev.y0)
                ev.y0 = (uint32_t)y;
            ev.y1 = (uint32_t)y;
        }
    }
    for (int f = 0; f < DCN_FEAT_COUNT; f++)
        feat[f] = NAN;
    if (n == 0)
        return -1;
    ev.labels = c->labels;
    ev.image = image;
    ev.image_bg = bg;
    ev.image_corr = corr;
    ev.width = w;
    ev.height = h;
    ev.id = 1;
    ev.npix = n;
    dcn__contour_trace(&c->work, &ev);
    valid = dcn__moment_features(feat, &c->work, ps);
    if (flags & DCN_FEATURES_BRIGHTNESS) {
        dcn__brightness_features(feat, &c->work, &ev, has_bg_off, bg_off);
        feat[DCN_FEAT_BG_MED] =
                dcn_features_median_u8(bg, w * h) + (has_bg_off ? bg_off : 0.0);
    }
    if (flags & DCN_FEATURES_HARALICK)
        dcn__haralick_features(feat, &c->work, &ev);
    if (flags & DCN_FEATURES_VOLUME)
        dcn__volume_feature(feat, &c->work, valid, ps);
    return valid;
}

/* dcn_features_extract_frame() with the table as (events, cap, *count) */
static inline int
ft_extract(struct dcn_event *events, size_t cap, size_t *count,
           struct dcn_frame_stats *stats, const struct dcn_frame_input *in,
           const struct dcn_features_config *cfg,
           struct dcn_features_scratch *scratch)
{
    struct dcn_event_table t = {events, cap, 0};
    int rc = dcn_features_extract_frame(&t, stats, in, cfg, scratch);
    *count = t.count;
    return rc;
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

/* Tolerance contract: tex_* rtol 1e-9, tilt <= 1 ulp, others identical.
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
        return *dev <= 1;
    /* bit-identical: +0 and -0 differ */
    return memcmp(&got, &want, 8) == 0 || (isnan(got) && isnan(want));
}

#endif /* DCN_TESTS_FEATURES_TESTUTIL_H */
