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

/* The value at rank `rank` of a 256-bin histogram h (16-bit counts):
 * walk 16-bin groups, whose sums vectorise, then single bins. */
static inline unsigned
rank_value16(const uint16_t *h, size_t rank)
{
    size_t c = 0;
    unsigned v = 0;

    for (;;) {
        size_t s = 0;

        for (unsigned b = 0; b < 16; b++)
            s += h[v + b];
        if (c + s > rank)
            break;
        c += s;
        v += 16;
    }
    while (c + h[v] <= rank)
        c += h[v++];
    return v;
}

/* The same with 32-bit counts (k > 65535). */
static inline unsigned
rank_value32(const uint32_t *h, size_t rank)
{
    size_t c = 0;
    unsigned v = 0;

    for (;;) {
        size_t s = 0;

        for (unsigned b = 0; b < 16; b++)
            s += h[v + b];
        if (c + s > rank)
            break;
        c += s;
        v += 16;
    }
    while (c + h[v] <= rank)
        c += h[v++];
    return v;
}

/* Pixels [p, p + nb) with 16-bit counters; hist is zero on entry and on
 * return. */
static void
median_block16(uint8_t *dst, const uint8_t *const *frames, size_t k, size_t p,
               size_t nb, uint16_t *hist)
{
    for (size_t f = 0; f < k; f++) {
        const uint8_t *src = frames[f] + p;

        for (size_t j = 0; j < nb; j++)
            hist[j * 256u + src[j]]++;
    }
    for (size_t j = 0; j < nb; j++)
        dst[p + j] = (uint8_t)rank_value16(hist + j * 256u, k / 2);
    memset(hist, 0, nb * 256u * sizeof(*hist));
}

static void
median_block32(uint8_t *dst, const uint8_t *const *frames, size_t k, size_t p,
               size_t nb, uint32_t *hist)
{
    for (size_t f = 0; f < k; f++) {
        const uint8_t *src = frames[f] + p;

        for (size_t j = 0; j < nb; j++)
            hist[j * 256u + src[j]]++;
    }
    for (size_t j = 0; j < nb; j++)
        dst[p + j] = (uint8_t)rank_value32(hist + j * 256u, k / 2);
    memset(hist, 0, nb * 256u * sizeof(*hist));
}

void
dcn_bg_median(uint8_t *dst, const uint8_t *const *frames, size_t k, size_t p0,
              size_t p1, void *scratch)
{
    assert(k >= 1);
    assert(p0 <= p1);
    if (k <= 65535u) {
        uint16_t *hist = scratch;

        memset(hist, 0, (size_t)BLOCK * 256u * sizeof(*hist));
        for (size_t p = p0; p < p1; p += BLOCK) {
            size_t nb = p1 - p < BLOCK ? p1 - p : BLOCK;

            median_block16(dst, frames, k, p, nb, hist);
        }
    } else {
        uint32_t *hist = scratch;

        memset(hist, 0, (size_t)BLOCK * 256u * sizeof(*hist));
        for (size_t p = p0; p < p1; p += BLOCK) {
            size_t nb = p1 - p < BLOCK ? p1 - p : BLOCK;

            median_block32(dst, frames, k, p, nb, hist);
        }
    }
}
