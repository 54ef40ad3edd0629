/* SPDX-License-Identifier: MIT */
/*
 * label_runs.c - bit planes, run lists and the union-find over runs that
 * labeling (label.c) and label processing (label_process.c) share.
 *
 * An image is first packed into a bit plane (SWAR: 8 mask bytes or 4
 * labels per 64-bit load, empty words skipped at once), then every row is
 * cut into runs of set bits with count-trailing-zeros.  Runs of adjacent
 * rows that touch are united in a forest whose root is always the smaller
 * index; since runs are numbered in raster order, a component's root is
 * its first run, and numbering roots in index order gives scipy's labels
 * (raster order of the first pixel).  Cost is one pass over the pixels
 * plus work proportional to the number of runs, which is small for cell
 * images.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "label_bits.h"
#include "label_runs.h"

/* Runs past the capacity that row_runs() may scribble on. */
#define RUN_SLACK        ((size_t)8)

#define LABEL_FLAG_WORDS ((size_t)1024) /* 65536 bits */

static size_t
align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Two rows hold at most 2 * (width / 2 + 1) runs, so fewer touching pairs. */
static size_t
pair_words(size_t width)
{
    return 2 * (2 * (width / 2 + 1) + 1);
}

size_t
dcn__seg_work_size(size_t width, size_t height, bool processing)
{
    size_t nw;
    size_t cap;
    size_t size;

    if (width == 0 || height == 0 || width > (1u << 30) ||
        height > (1u << 30) || (uint64_t)width * height > (1ull << 31))
        return 0;
    if ((uint64_t)height * (width / 2 + 1) * 32 + height * 64 > SIZE_MAX / 2)
        return 0;
    nw = (width + 63) / 64;
    cap = height * (width / 2 + 1);
    size = height * nw * 8;                                      /* plane */
    size += align8((cap + RUN_SLACK) * sizeof(struct dcn__run)); /* run */
    size += align8((height + 1) * 4);                            /* rowoff */
    size += align8(cap * 4);                                     /* parent */
    size += align8(pair_words(width) * 4);                       /* pairs */
    if (processing) {
        size += height * nw * 8;      /* plane2 */
        size += 4 * nw * 8;           /* rowbuf */
        size += LABEL_FLAG_WORDS * 8; /* labelflag */
        size += align8(height);       /* rowflag */
    }
    return size;
}

void
dcn__seg_work_carve(struct dcn__seg_work *wk, size_t width, size_t height,
                    bool processing, void *scratch)
{
    uint8_t *p = scratch;

    memset(wk, 0, sizeof(*wk));
    wk->width = width;
    wk->height = height;
    wk->nw = (width + 63) / 64;
    wk->run_cap = height * (width / 2 + 1);
    wk->plane = (uint64_t *)(void *)p;
    p += height * wk->nw * 8;
    if (processing) {
        wk->plane2 = (uint64_t *)(void *)p;
        p += height * wk->nw * 8;
        wk->rowbuf = (uint64_t *)(void *)p;
        p += 4 * wk->nw * 8;
        wk->labelflag = (uint64_t *)(void *)p;
        p += LABEL_FLAG_WORDS * 8;
    }
    wk->run = (struct dcn__run *)(void *)p;
    p += align8((wk->run_cap + RUN_SLACK) * sizeof(struct dcn__run));
    wk->rowoff = (uint32_t *)(void *)p;
    p += align8((height + 1) * 4);
    wk->parent = (uint32_t *)(void *)p;
    p += align8(wk->run_cap * 4);
    wk->pairs = (uint32_t *)(void *)p;
    p += align8(pair_words(width) * 4);
    if (processing)
        wk->rowflag = p;
}

void
dcn__plane_from_mask(struct dcn__seg_work *wk, const uint8_t *px, size_t stride)
{
    const size_t w = wk->width;

    for (size_t y = 0; y < wk->height; y++) {
        const uint8_t *row = px + y * stride;
        uint64_t *dst = wk->plane + y * wk->nw;

        for (size_t x = 0, i = 0; x < w; x += 64, i++)
            dst[i] = dcn__nz_bits_u8(row + x, w - x < 64 ? w - x : 64);
    }
}

/* Clear the bits of flagged labels among the set bits of b. */
static uint64_t
unflag(uint64_t b, const uint16_t *p, const uint64_t *flags)
{
    for (uint64_t v = b; v != 0; v &= v - 1) {
        unsigned i = (unsigned)__builtin_ctzll(v);
        uint16_t l = p[i];

        b &= ~(((flags[l >> 6] >> (l & 63)) & 1) << i);
    }
    return b;
}

void
dcn__plane_from_labels(struct dcn__seg_work *wk, uint64_t *plane,
                       const uint16_t *labels, const uint64_t *flags)
{
    const size_t w = wk->width;

    for (size_t y = 0; y < wk->height; y++) {
        const uint16_t *row = labels + y * w;
        uint64_t *dst = plane + y * wk->nw;

        for (size_t x = 0, i = 0; x < w; x += 64, i++) {
            uint64_t b = dcn__nz_bits_u16(row + x, w - x < 64 ? w - x : 64);

            dst[i] = flags != NULL && b != 0 ? unflag(b, row + x, flags) : b;
        }
    }
}

/*
 * Runs of set bits of one row of nw words (lastmask clears the pad), as
 * consecutive x0, x1 values: every bit where a pixel differs from its left
 * neighbour is a run boundary, and boundaries alternate start, end.
 * Returns the number of runs.
 */
/* Set bits of x; SWAR, so that no libgcc call is needed without POPCNT. */
static inline unsigned
popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static size_t
row_runs(struct dcn__run *out, const uint64_t *row, size_t nw,
         uint64_t lastmask, bool invert)
{
    uint32_t *pos = (uint32_t *)(void *)out; /* x0, x1, x0, x1, ... */
    size_t n = 0;
    uint64_t carry = 0; /* the pixel left of the word */

    for (size_t i = 0; i < nw; i++) {
        uint64_t v = invert ? ~row[i] : row[i];
        uint64_t t;
        uint32_t base = (uint32_t)(i * 64);
        unsigned cnt;

        if (i == nw - 1)
            v &= lastmask;
        t = v ^ ((v << 1) | carry);
        carry = v >> 63;
        if (t == 0)
            continue;
        /*
         * Write eight boundaries unconditionally (the slack of the run
         * array absorbs the extra ones) so that the usual word costs no
         * data-dependent branch; rare busier words loop on.
         */
        cnt = popcount64(t);
        for (unsigned k = 0; k < 8; k++) {
            pos[n + k] = base + (unsigned)__builtin_ctzll(t | (1ull << 63));
            t &= t - 1;
        }
        for (unsigned k = 8; k < cnt; k++) {
            pos[n + k] = base + (unsigned)__builtin_ctzll(t);
            t &= t - 1;
        }
        n += cnt;
    }
    if (carry)
        pos[n++] = (uint32_t)(nw * 64);
    return n / 2;
}

void
dcn__plane_runs(struct dcn__seg_work *wk, const uint64_t *plane, bool invert)
{
    const size_t tail = wk->width % 64;
    const uint64_t lastmask = tail ? (1ull << tail) - 1 : ~0ull;
    size_t n = 0;

    for (size_t y = 0; y < wk->height; y++) {
        wk->rowoff[y] = (uint32_t)n;
        n += row_runs(wk->run + n, plane + y * wk->nw, wk->nw, lastmask,
                      invert);
        assert(n <= wk->run_cap);
    }
    wk->rowoff[wk->height] = (uint32_t)n;
    wk->nrun = n;
    for (size_t i = 0; i < n; i++)
        wk->parent[i] = (uint32_t)i;
}

static inline void
unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    uint32_t ra = dcn__runs_find(parent, a);
    uint32_t rb = dcn__runs_find(parent, b);

    if (ra < rb)
        parent[rb] = ra;
    else if (rb < ra)
        parent[ra] = rb;
}

void
dcn__runs_connect(struct dcn__seg_work *wk, bool eight)
{
    const uint32_t d = eight ? 1 : 0; /* diagonal contact counts */
    const struct dcn__run *r = wk->run;
    uint32_t *pr = wk->pairs;

    /*
     * Merge the runs of two rows in order of their ends (a run that ends
     * first cannot touch any later run of the other row), collecting the
     * touching pairs without a data-dependent branch; then unite them.
     */
    for (size_t y = 1; y < wk->height; y++) {
        uint32_t i = wk->rowoff[y - 1];
        uint32_t iend = wk->rowoff[y];
        uint32_t j = iend;
        uint32_t jend = wk->rowoff[y + 1];
        uint32_t np = 0;

        while (i < iend && j < jend) {
            uint32_t touch = (uint32_t)(r[i].x0 < r[j].x1 + d) &
                             (uint32_t)(r[j].x0 < r[i].x1 + d);
            bool adv_i = r[i].x1 <= r[j].x1;

            pr[2 * (size_t)np] = i;
            pr[2 * (size_t)np + 1] = j;
            np += touch;
            i += adv_i;
            j += !adv_i;
        }
        for (uint32_t k = 0; k < np; k++)
            unite(wk->parent, pr[2 * (size_t)k], pr[2 * (size_t)k + 1]);
    }
}

size_t
dcn__runs_number(struct dcn__seg_work *wk)
{
    uint32_t *parent = wk->parent;
    uint32_t n = 0;

    /* parent[i] <= i, so parent[parent[i]] is already a final label. */
    for (uint32_t i = 0; i < wk->nrun; i++) {
        uint32_t p = parent[i];
        uint32_t root = p == i;

        n += root;
        parent[i] = root ? n : parent[p];
    }
    return n;
}

/* row[x0 .. x1) = v, exactly. */
static void
fill_run(uint16_t *row, uint32_t x0, uint32_t x1, uint16_t v)
{
    for (uint32_t x = x0; x < x1; x++)
        row[x] = v;
}

void
dcn__runs_write(const struct dcn__seg_work *wk, uint16_t *labels)
{
    const size_t w = wk->width;
    const size_t n = w * wk->height;

    memset(labels, 0, n * sizeof(*labels));
    for (size_t y = 0; y < wk->height; y++) {
        uint16_t *row = labels + y * w;

        for (uint32_t i = wk->rowoff[y]; i < wk->rowoff[y + 1]; i++) {
            uint32_t x0 = wk->run[i].x0;
            uint32_t x1 = wk->run[i].x1;
            uint16_t v = (uint16_t)wk->parent[i];

#if DCN_BITS_SSE2
            /*
             * 8-wide stores of v, then 8 zeros at x1 take back what the
             * last store wrote past the run: gap pixels must stay 0 and
             * later runs are written afterwards.  Near the end of the
             * image the exact loop keeps every store inside.
             */
            if (y * w + x1 + 8 <= n) {
                const __m128i vv = _mm_set1_epi16((short)v);

                for (uint32_t x = x0; x < x1; x += 8)
                    _mm_storeu_si128((__m128i *)(void *)(row + x), vv);
                _mm_storeu_si128((__m128i *)(void *)(row + x1),
                                 _mm_setzero_si128());
                continue;
            }
#endif
            fill_run(row, x0, x1, v);
        }
    }
}
