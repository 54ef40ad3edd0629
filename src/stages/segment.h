/* SPDX-License-Identifier: MIT */
/*
 * segment.h - the `thresh` segmenter (numerics.md §3.1): the boolean mask
 * of one frame from its background-corrected image.
 *
 * Pure: no I/O, no threads, no allocation.  Labeling and label processing
 * (§3.2-§3.4) are in label.h.
 */
#ifndef DCN_STAGES_SEGMENT_H
#define DCN_STAGES_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed, read-only corrected image int16(image) - int16(image_bg). */
struct dcn_corr_view {
    const int16_t *px; /* first pixel of row 0 */
    size_t width;
    size_t height;
    size_t stride; /* values (not bytes) from one row to the next, >= width */
};

/* dcnum's default threshold of `thresh` (segmenter kwarg t). */
#define DCN_SEGMENT_THRESH_DEFAULT (-6.0)

/*
 * The largest int16 value c for which a pixel is foreground, i.e. for which
 * ((double)c - *bg_off < thresh) holds (bg_off NULL: (double)c < thresh).
 * The comparison is monotone in c, so every pixel with corr <= cut is
 * foreground and every other pixel is not; the cut is found by bisection
 * with exactly dcnum's double arithmetic, which makes the per-pixel test an
 * integer comparison without changing a single result.  Returns -32769 when
 * no int16 value passes (e.g. bg_off NaN).
 */
int32_t dcn_segment_thresh_cut(const double *bg_off, double thresh);

/*
 * mask = corr - bg_off < thresh, one frame (numerics.md §3.1, trap 8).
 *
 * mask:   width * height bytes written by this call, row-major without
 *         padding; 1 is foreground, 0 background.  Caller storage.
 * corr:   borrowed for the duration of the call.
 * bg_off: the frame's brightness offset, or NULL when the data have none
 *         (then corr < thresh).  Borrowed.
 * thresh: must be < 0 (dcnum asserts it).
 *
 * Returns DCN_OK, or DCN_EINVAL for a NULL or empty image or thresh >= 0
 * (or NaN).  Nothing is allocated; safe to call from many threads at once
 * as long as each passes its own mask.
 */
int dcn_segment_thresh(uint8_t *mask, const struct dcn_corr_view *corr,
                       const double *bg_off, double thresh);

#endif /* DCN_STAGES_SEGMENT_H */
