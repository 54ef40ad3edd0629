/* SPDX-License-Identifier: MIT */
/*
 * background_median.c - the median kernel of sparsemed: for every pixel,
 * the element at rank k/2 of its k values (numerics.md §2.1, trap 10).
 *
 * Pixels are processed in blocks of BLOCK.  For one block, every frame
 * contributes one contiguous run of BLOCK bytes, which increments one
 * 256-bin histogram per pixel (BLOCK*256 counters stay in L1).  The rank
 * is then found by walking 16-bin groups (their sums vectorise) and then
 * single bins, and the histogram is cleared for the next block.  Cost:
 * about k increments per pixel plus a constant, with no data-dependent
 * branches in the counting loop.
 *
 * Counters are 16 bits for k <= 65535 and 32 bits above.
 */
#include "background.h"

#include <assert.h>
#include <string.h>

#define BLOCK 32u

size_t
dcn_bg_median_scratch_size(size_t k)
{
    size_t cnt = k <= 65535u ? sizeof(uint16_t) : sizeof(uint32_t);

    return (size_t)BLOCK * 256u * cnt;
}

#define DEFINE_MEDIAN_BLOCK(name, ctype)                                   \
    static void name(uint8_t *dst, const uint8_t *const *frames, size_t k, \
                     size_t p, size_t nb, ctype *hist)                     \
    {                                                                      \
        size_t rank = k / 2;                                               \
        for (size_t f = 0; f < k; f++) {                                   \
            const uint8_t *src = frames[f] + p;                            \
            for (size_t j = 0; j < nb; j++)                                \
                hist[j * 256u + src[j]]++;                                 \
        }                                                                  \
        for (size_t j = 0; j < nb; j++) {                                  \
            ctype *h = hist + j * 256u;                                    \
            size_t c = 0;                                                  \
            size_t v = 0;                                                  \
            for (;;) {                                                     \
                size_t s = 0;                                              \
                for (size_t b = 0; b < 16; b++)                            \
                    s += h[v + b];                                         \
                if (c + s > rank)                                          \
                    break;                                                 \
                c += s;                                                    \
                v += 16;                                                   \
            }                                                              \
            while (c + h[v] <= rank)                                       \
                c += h[v++];                                               \
            dst[p + j] = (uint8_t)v;                                       \
        }                                                                  \
        memset(hist, 0, nb * 256u * sizeof(ctype));                        \
    }

DEFINE_MEDIAN_BLOCK(median_block16, uint16_t)
DEFINE_MEDIAN_BLOCK(median_block32, uint32_t)

void
dcn_bg_median(uint8_t *dst, const uint8_t *const *frames, size_t k, size_t p0,
              size_t p1, void *scratch)
{
    assert(k >= 1);
    assert(p0 <= p1);
    if (k <= 65535u) {
        uint16_t *hist = scratch;

        memset(hist, 0, BLOCK * 256u * sizeof(*hist));
        for (size_t p = p0; p < p1; p += BLOCK) {
            size_t nb = p1 - p < BLOCK ? p1 - p : BLOCK;

            median_block16(dst, frames, k, p, nb, hist);
        }
    } else {
        uint32_t *hist = scratch;

        memset(hist, 0, BLOCK * 256u * sizeof(*hist));
        for (size_t p = p0; p < p1; p += BLOCK) {
            size_t nb = p1 - p < BLOCK ? p1 - p : BLOCK;

            median_block32(dst, frames, k, p, nb, hist);
        }
    }
}
