/* SPDX-License-Identifier: MIT */
/*
 * features_internal.h - the per-event building blocks of state "e":
 * contour, hull and moments, volume, brightness and Haralick texture.
 * Library-internal (dcn__ prefix); used by features_frame.c, the unit
 * tests and the benchmark.
 *
 * An event is seen through struct dcn__event_view: the frame's labels,
 * the event's label id and the bounding box of its pixels.  The mask is
 * "labels == id" inside the box.  Every function writes its features into
 * a feat[DCN_FEAT_COUNT] array and allocates nothing; buffers come from a
 * struct dcn__feat_work carved out of the per-worker scratch.
 */
#ifndef DCN_STAGES_FEATURES_INTERNAL_H
#define DCN_STAGES_FEATURES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "features_extract.h"

/* unordered pairs of 256 texture levels (lo <= hi) */
#define DCN__TEX_CELLS (256 * 257 / 2)

/* nearest double to pi (M_PI is not in strict C11) */
#define DCN_PI 3.141592653589793

/* One event: borrowed frame views and the event's box (inclusive). */
struct dcn__event_view {
    const uint16_t *labels;
    const uint8_t *image;      /* may be NULL if only moments are needed */
    const uint8_t *image_bg;   /* NULL if image_corr is given */
    const int16_t *image_corr; /* NULL: image - image_bg on the fly */
    size_t width;
    size_t height;
    uint16_t id;
    uint32_t npix; /* pixels with labels == id */
    uint32_t x0, y0, x1, y1;
};

/* Working buffers of one worker; sizes fixed at scratch creation. */
struct dcn__feat_work {
    /* raw contour, at most 4 points per mask pixel */
    int32_t *cx;
    int32_t *cy;
    size_t ccap;
    size_t ncont; /* points of the last traced contour */
    /* per-column extremes and hull, width + 2 entries each */
    int32_t *colmin;
    int32_t *colmax;
    int32_t *hx; /* hull, 2 * width + 4 points */
    int32_t *hy;
    double *vbuf; /* volume terms, ccap + 1 */
    /* brightness: histogram of corr + 255 and the masked values */
    uint32_t *hist; /* 511, all zero between events */
    int16_t *vals;  /* width * height: masked corr; texture: box corr */
    uint8_t *ivals; /* width * height */
    /* texture */
    uint8_t *levels;   /* (height + 1) * (width + 2) */
    uint32_t *cooc;    /* 4 * DCN__TEX_CELLS, all zero between events */
    uint16_t *touched; /* 4 * DCN__TEX_CELLS */
    double *log2tab;   /* log2(c) for c < nlog */
    size_t nlog;
    uint32_t *shist; /* 2 * width * height + 2; all zero between uses */
};

/* Bytes needed for a dcn__feat_work for frames of width x height. */
size_t dcn__feat_work_size(size_t width, size_t height);

/* Lay the buffers out in mem (dcn__feat_work_size() bytes, 16-aligned,
 * zeroed by the caller) and fill the log table. */
void dcn__feat_work_init(struct dcn__feat_work *w, void *mem, size_t width,
                         size_t height);

/*
 * Trace the outer contour of the event's mask exactly like OpenCV's
 * findContours(RETR_EXTERNAL, CHAIN_APPROX_NONE) (numerics.md §4.1).
 * The points go to w->cx/cy, their number to w->ncont.
 */
void dcn__contour_trace(struct dcn__feat_work *w,
                        const struct dcn__event_view *ev);

/* The moments of a closed polygon as OpenCV's moments() (§4.3). */
struct dcn__moments {
    double m00, m10, m01, m20, m11, m02;
    double mu20, mu11, mu02;
};
void dcn__polygon_moments(struct dcn__moments *m, const int32_t *x,
                          const int32_t *y, size_t n);

/* OpenCV's arcLength(closed=True) with float32 segments (§4.5). */
double dcn__arc_length(const int32_t *x, const int32_t *y, size_t n);

/* Strict convex hull of the n points (no collinear vertices, §4.4) into
 * w->hx/hy (the points' x range must fit the work's width); returns the
 * vertex count.  Uses w->colmin/colmax. */
size_t dcn__convex_hull(struct dcn__feat_work *w, const int32_t *x,
                        const int32_t *y, size_t n);

/*
 * Moment features of the event (§4.2-§4.8) from the contour in w (call
 * dcn__contour_trace() first).  Returns true if the event is valid;
 * invalid events get NaN moment features.
 */
bool dcn__moment_features(double *feat, struct dcn__feat_work *w,
                          double pixel_size);

/* volume (§4.9) from the contour in w and feat's pos_x/pos_y. */
void dcn__volume_feature(double *feat, struct dcn__feat_work *w, bool valid,
                         double pixel_size);

/* dcnum's vol_revolve(r, z, point_scale) (§4.9), with the closing point
 * appended if needed; v needs n + 1 entries of room. */
double dcn__vol_revolve(double *v, const double *r, const double *z, size_t n,
                        double point_scale);

/* The 6 masked brightness features (§4.10); bg_med is set by the caller.
 * bg_off is subtracted from bright_bc_avg and the percentiles if
 * has_bg_off. */
void dcn__brightness_features(double *feat, struct dcn__feat_work *w,
                              const struct dcn__event_view *ev, bool has_bg_off,
                              double bg_off);

/* The 22 Haralick features (§4.11); all NaN if a direction is empty. */
void dcn__haralick_features(double *feat, struct dcn__feat_work *w,
                            const struct dcn__event_view *ev);

/* Pixel value of image_corr at index i of the frame. */
static inline int
dcn__corr_at(const struct dcn__event_view *ev, size_t i)
{
    if (ev->image_corr != NULL)
        return ev->image_corr[i];
    return (int)ev->image[i] - (int)ev->image_bg[i];
}

#endif /* DCN_STAGES_FEATURES_INTERNAL_H */
