/* SPDX-License-Identifier: MIT */
/*
 * segment_thresh.c - dcnum's `thresh` segmenter (numerics.md §3.1).
 *
 * dcnum computes, per pixel, the double (corr - bg_off) and compares it
 * with thresh.  Both the subtraction (rounded to nearest) and the
 * comparison are monotone in corr, so the set of foreground values is
 * {c <= cut} for one int16 cut.  We find the cut once per frame by
 * bisection, evaluating exactly dcnum's double expression, and then the
 * pixel loop is a plain int16 comparison that the compiler vectorises.
 * This is bit-identical to the per-pixel double test for every input,
 * including NaN and infinite bg_off.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(DCN_NO_SIMD)
#include <emmintrin.h>
#endif

#include "dcnumc/status.h"
#include "segment.h"

static bool
is_fg(int32_t c, double off, double thresh)
{
    return (double)c - off < thresh;
}

int32_t
dcn_segment_thresh_cut(const double *bg_off, double thresh)
{
    double off = bg_off != NULL ? *bg_off : 0.0;
    int32_t lo = INT16_MIN - 1; /* is_fg holds (virtually) */
    int32_t hi = INT16_MAX + 1; /* is_fg fails (virtually) */

    /* Without bg_off dcnum compares corr < thresh; c - 0.0 is exactly c. */
    while (hi - lo > 1) {
        int32_t mid = lo + (hi - lo) / 2;

        if (is_fg(mid, off, thresh))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* dst[x] = (src[x] <= cut); SSE2 does 16 pixels per step. */
static void
thresh_row(uint8_t *restrict dst, const int16_t *restrict src, size_t n,
           int16_t cut)
{
    size_t x = 0;

#if defined(__SSE2__) && !defined(DCN_NO_SIMD)
    const __m128i c = _mm_set1_epi16(cut);
    const __m128i one = _mm_set1_epi8(1);

    for (; x + 16 <= n; x += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + x));
        __m128i b =
                _mm_loadu_si128((const __m128i *)(const void *)(src + x + 8));
        __m128i gt =
                _mm_packs_epi16(_mm_cmpgt_epi16(a, c), _mm_cmpgt_epi16(b, c));

        _mm_storeu_si128((__m128i *)(void *)(dst + x),
                         _mm_andnot_si128(gt, one));
    }
#endif
    for (; x < n; x++)
        dst[x] = (uint8_t)(src[x] <= cut);
}

int
dcn_segment_thresh(uint8_t *mask, const struct dcn_corr_view *corr,
                   const double *bg_off, double thresh)
{
    int32_t cut;
    size_t w;
    size_t h;

    if (mask == NULL || corr == NULL || corr->px == NULL || corr->width == 0 ||
        corr->height == 0 || corr->stride < corr->width)
        return DCN_EINVAL;
    if (!(thresh < 0.0))
        return DCN_EINVAL;
    w = corr->width;
    h = corr->height;
    cut = dcn_segment_thresh_cut(bg_off, thresh);
    if (cut < INT16_MIN) {
        memset(mask, 0, w * h);
        return DCN_OK;
    }
    for (size_t y = 0; y < h; y++)
        thresh_row(mask + y * w, corr->px + y * corr->stride, w, (int16_t)cut);
    return DCN_OK;
}
