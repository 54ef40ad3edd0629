/* SPDX-License-Identifier: MIT */
/*
 * background_rollmed.c - rolling median background (numerics.md §2.2):
 * bg[i] = rank-k/2 element of frames [i, i+k), pixel by pixel.
 *
 * State per pixel: a 256-bin histogram of the window (16-bit counts),
 * the tracked median m and below = #values < m.  Adding or removing a
 * value v updates hist[v] and, if v < m, below.  Reading the median
 * restores the invariant below <= k/2 < below + hist[m] by moving m one
 * bin at a time; between consecutive windows m moves little, so a step
 * costs O(1) per pixel on average.  Memory is 515 bytes per pixel,
 * whatever the number of frames.
 *
 * The histograms are stored bin-major, hist[v * npix + p]: neighbouring
 * pixels of a background have similar values, so one frame's updates
 * walk a few bin planes sequentially and share cache lines, instead of
 * touching a fresh 512-byte histogram per pixel (about 2x faster).
 */
#include "background.h"

#include <assert.h>
#include <string.h>

#include "alloc.h"

struct dcn_rollmed {
    size_t npix;
    size_t k;
    uint16_t *hist;  /* 256 * npix, bin-major: hist[v * npix + p] */
    uint16_t *below; /* npix */
    uint8_t *med;    /* npix */
};

int
dcn_rollmed_check(size_t kernel_size, size_t batch_size, size_t n,
                  struct dcn_error *err)
{
    if (kernel_size == 0 || kernel_size % 2 != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "rollmed: kernel_size must be a positive even "
                             "number (got %zu)",
                             kernel_size);
    if (batch_size <= kernel_size)
        return dcn_error_set(err, DCN_EINVAL,
                             "rollmed: batch_size (%zu) must be larger than "
                             "kernel_size (%zu)",
                             batch_size, kernel_size);
    if (kernel_size >= n)
        return dcn_error_set(err, DCN_EINVAL,
                             "rollmed: kernel_size (%zu) must be smaller "
                             "than the number of frames (%zu)",
                             kernel_size, n);
    if (kernel_size > DCN_ROLLMED_MAX_KERNEL)
        return dcn_error_set(err, DCN_EINVAL,
                             "rollmed: kernel_size (%zu) larger than %u is "
                             "not supported",
                             kernel_size, DCN_ROLLMED_MAX_KERNEL);
    return DCN_OK;
}

int
dcn_rollmed_new(struct dcn_rollmed **out, size_t npix, size_t k,
                struct dcn_error *err)
{
    struct dcn_rollmed *rm = NULL;

    *out = NULL;
    if (k == 0 || k > DCN_ROLLMED_MAX_KERNEL || npix == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "rollmed: invalid kernel size %zu or image "
                             "size %zu",
                             k, npix);
    rm = dcn__calloc(1, sizeof(*rm));
    if (rm == NULL)
        goto nomem;
    rm->npix = npix;
    rm->k = k;
    rm->hist = dcn__calloc(npix, 256u * sizeof(uint16_t));
    rm->below = dcn__calloc(npix, sizeof(uint16_t));
    rm->med = dcn__calloc(npix, sizeof(uint8_t));
    if (rm->hist == NULL || rm->below == NULL || rm->med == NULL)
        goto nomem;
    *out = rm;
    return DCN_OK;
nomem:
    dcn_rollmed_free(rm);
    return dcn_error_set(err, DCN_ENOMEM,
                         "rollmed: out of memory for %zu pixels", npix);
}

void
dcn_rollmed_free(struct dcn_rollmed *rm)
{
    if (rm == NULL)
        return;
    dcn__free(rm->med);
    dcn__free(rm->below);
    dcn__free(rm->hist);
    dcn__free(rm);
}

void
dcn_rollmed_reset(struct dcn_rollmed *rm)
{
    memset(rm->hist, 0, rm->npix * 256u * sizeof(uint16_t));
    memset(rm->below, 0, rm->npix * sizeof(uint16_t));
    memset(rm->med, 0, rm->npix);
}

void
dcn_rollmed_add(struct dcn_rollmed *rm, const uint8_t *frame, size_t p0,
                size_t p1)
{
    assert(p0 <= p1 && p1 <= rm->npix);
    for (size_t p = p0; p < p1; p++) {
        unsigned v = frame[p];

        rm->hist[v * rm->npix + p]++;
        rm->below[p] += v < rm->med[p];
    }
}

/* Move m until below <= rank < below + h[m]; returns m. */
static inline unsigned
settle(const uint16_t *h, size_t stride, unsigned m, unsigned *below,
       unsigned rank)
{
    unsigned b = *below;

    while (b > rank) {
        m--;
        b -= h[m * stride];
    }
    while (b + h[m * stride] <= rank) {
        b += h[m * stride];
        m++;
    }
    *below = b;
    return m;
}

void
dcn_rollmed_median(struct dcn_rollmed *rm, uint8_t *dst, size_t p0, size_t p1)
{
    unsigned rank = (unsigned)(rm->k / 2);

    assert(p0 <= p1 && p1 <= rm->npix);
    for (size_t p = p0; p < p1; p++) {
        unsigned b = rm->below[p];
        unsigned m = settle(rm->hist + p, rm->npix, rm->med[p], &b, rank);

        rm->med[p] = (uint8_t)m;
        rm->below[p] = (uint16_t)b;
        dst[p] = (uint8_t)m;
    }
}

void
dcn_rollmed_step(struct dcn_rollmed *rm, uint8_t *dst, const uint8_t *leaving,
                 const uint8_t *entering, size_t p0, size_t p1)
{
    unsigned rank = (unsigned)(rm->k / 2);
    size_t stride = rm->npix;

    assert(p0 <= p1 && p1 <= rm->npix);
    for (size_t p = p0; p < p1; p++) {
        uint16_t *h = rm->hist + p;
        unsigned o = leaving[p];
        unsigned v = entering[p];
        unsigned m = rm->med[p];
        unsigned b = rm->below[p];

        h[o * stride]--;
        h[v * stride]++;
        b = b - (o < m) + (v < m);
        m = settle(h, stride, m, &b, rank);
        rm->med[p] = (uint8_t)m;
        rm->below[p] = (uint16_t)b;
        dst[p] = (uint8_t)m;
    }
}
