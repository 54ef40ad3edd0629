/* SPDX-License-Identifier: MIT */
/*
 * label.c - 8-connected labeling (numerics.md §3.2) and the per-frame
 * candidate list (§3.4).
 *
 * dcn_label() packs the mask into a bit plane, cuts it into runs, unites
 * touching runs of adjacent rows (label_runs.c) and writes consecutive
 * labels in raster order of each component's first pixel, which is
 * exactly scipy's ndi.label numbering.  dcn_label_sizes() gathers pixel
 * counts and bounding boxes in one pass that skips four background pixels
 * per load.
 */
#include <stdint.h>
#include <string.h>

#include "label.h"
#include "label_bits.h"
#include "label_runs.h"

size_t
dcn_label_scratch_size(size_t width, size_t height)
{
    return dcn__seg_work_size(width, height, false);
}

int
dcn__label_number_checked(struct dcn__seg_work *wk, size_t *nobj, size_t frame,
                          struct dcn_error *err)
{
    size_t n = dcn__runs_number(wk);

    if (n > DCN_LABEL_MAX)
        return dcn_error_set(err, DCN_ERANGE,
                             "frame %zu: %zu objects do not fit in uint16 "
                             "labels (at most %u)",
                             frame, n, DCN_LABEL_MAX);
    *nobj = n;
    return DCN_OK;
}

int
dcn_label(uint16_t *labels, size_t *nobj, const struct dcn_mask_view *mask,
          size_t frame, void *scratch, struct dcn_error *err)
{
    struct dcn__seg_work wk;
    int rc;

    if (labels == NULL || nobj == NULL || mask == NULL || mask->px == NULL ||
        scratch == NULL || mask->stride < mask->width ||
        dcn_label_scratch_size(mask->width, mask->height) == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "frame %zu: invalid arguments to labeling", frame);
    *nobj = 0;
    dcn__seg_work_carve(&wk, mask->width, mask->height, false, scratch);
    dcn__plane_from_mask(&wk, mask->px, mask->stride);
    dcn__plane_runs(&wk, wk.plane, false);
    dcn__runs_connect(&wk, true);
    rc = dcn__label_number_checked(&wk, nobj, frame, err);
    if (rc < 0)
        return rc;
    dcn__runs_write(&wk, labels);
    return DCN_OK;
}

static void
stats_add(struct dcn_label_stats *s, uint32_t x, uint32_t y)
{
    if (s->count == 0) {
        s->x0 = s->x1 = x;
        s->y0 = s->y1 = y;
    } else {
        /* Raster order: y only grows, so y0 is fixed by the first pixel. */
        s->x0 = x < s->x0 ? x : s->x0;
        s->x1 = x > s->x1 ? x : s->x1;
        s->y1 = y;
    }
    s->count++;
}

/* Running state of dcn_label_sizes(). */
struct sizes {
    struct dcn_label_stats *stats;
    size_t cap;
    size_t max; /* stats[0 .. max) are initialised */
};

/* Add the pixels of the set bits of b (pixels px[0..63] of row y). */
static bool
stats_bits(struct sizes *sz, const uint16_t *px, uint64_t b, uint32_t x0,
           uint32_t y)
{
    for (; b != 0; b &= b - 1) {
        unsigned i = (unsigned)__builtin_ctzll(b);
        uint16_t v = px[i]; /* != 0: b holds the nonzero pixels */

        if (v == 0)
            continue;
        if (v > sz->max) {
            if (v > sz->cap)
                return false;
            memset(sz->stats + sz->max, 0, (v - sz->max) * sizeof(*sz->stats));
            sz->max = v;
        }
        stats_add(&sz->stats[v - 1], x0 + i, y);
    }
    return true;
}

static bool
any_label(const uint16_t *labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (labels[i] != 0)
            return true;
    }
    return false;
}

int
dcn_label_sizes(struct dcn_label_stats *stats, size_t cap, size_t *nlabels,
                const uint16_t *labels, size_t width, size_t height)
{
    struct sizes sz = {stats, cap, 0};

    if ((stats == NULL && cap > 0) || nlabels == NULL || labels == NULL ||
        width == 0 || height == 0 || width > UINT32_MAX || height > UINT32_MAX)
        return DCN_EINVAL;
    *nlabels = 0;
    if (cap == 0)
        return any_label(labels, width * height) ? DCN_ERANGE : DCN_OK;
    for (size_t y = 0; y < height; y++) {
        const uint16_t *row = labels + y * width;

        for (size_t x = 0; x < width; x += 64) {
            size_t n = width - x < 64 ? width - x : 64;
            uint64_t b = dcn__nz_bits_u16(row + x, n);

            if (b != 0 &&
                !stats_bits(&sz, row + x, b, (uint32_t)x, (uint32_t)y))
                return DCN_ERANGE;
        }
    }
    *nlabels = sz.max;
    return DCN_OK;
}

size_t
dcn_label_candidates(uint16_t *ids, const struct dcn_label_stats *stats,
                     size_t nstats, size_t size_thresh_mask)
{
    size_t thr =
            size_thresh_mask ? size_thresh_mask : DCN_SIZE_THRESH_MASK_DEFAULT;
    size_t n = 0;

    for (size_t i = 0; i < nstats && i < DCN_LABEL_MAX; i++) {
        if (stats[i].count > 0 && stats[i].count > thr)
            ids[n++] = (uint16_t)(i + 1);
    }
    return n;
}
