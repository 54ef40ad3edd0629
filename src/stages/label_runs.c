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

#include "label_runs.h"

#define LABEL_FLAG_WORDS 1024 /* 65536 bits */

static size_t
align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
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
    size = height * nw * 8;                        /* plane */
    size += align8(cap * sizeof(struct dcn__run)); /* run */
    size += align8((height + 1) * 4);              /* rowoff */
    size += align8(cap * 4);                       /* parent */
    if (processing) {
        size += height * nw * 8;      /* plane2 */
        size += 3 * nw * 8;           /* rowbuf */
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
        p += 3 * wk->nw * 8;
        wk->labelflag = (uint64_t *)(void *)p;
        p += LABEL_FLAG_WORDS * 8;
    }
    wk->run = (struct dcn__run *)(void *)p;
    p += align8(wk->run_cap * sizeof(struct dcn__run));
    wk->rowoff = (uint32_t *)(void *)p;
    p += align8((height + 1) * 4);
    wk->parent = (uint32_t *)(void *)p;
    p += align8(wk->run_cap * 4);
    if (processing)
        wk->rowflag = p;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LABEL_SWAR 1
#else
#define LABEL_SWAR 0
#endif

/* Bit i = (byte i of v != 0), bytes in memory order (little endian). */
static inline uint64_t
gather_u8(uint64_t v)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t t;

    if (v == 0)
        return 0;
    t = (((v & lo7) + lo7) | v) & ~lo7;
    return ((t >> 7) * 0x0102040810204080ull) >> 56;
}

/* Bit i = (lane i of v != 0) for the four uint16 lanes of v. */
static inline uint64_t
gather_u16(uint64_t v)
{
    const uint64_t lo15 = 0x7fff7fff7fff7fffull;
    const uint64_t magic =
            (1ull << 48) | (1ull << 33) | (1ull << 18) | (1ull << 3);
    uint64_t t = (((v & lo15) + lo15) | v) & ~lo15;

    return (((t >> 15) * magic) >> 48) & 0xf;
}

static uint64_t
word_from_bytes(const uint8_t *p, size_t n)
{
    uint64_t b = 0;
    size_t i = 0;

#if LABEL_SWAR
    for (; i + 8 <= n; i += 8) {
        uint64_t v;

        memcpy(&v, p + i, 8);
        b |= gather_u8(v) << i;
    }
#endif
    for (; i < n; i++)
        b |= (uint64_t)(p[i] != 0) << i;
    return b;
}

void
dcn__plane_from_mask(struct dcn__seg_work *wk, const uint8_t *px, size_t stride)
{
    const size_t w = wk->width;

    for (size_t y = 0; y < wk->height; y++) {
        const uint8_t *row = px + y * stride;
        uint64_t *dst = wk->plane + y * wk->nw;

        for (size_t x = 0, i = 0; x < w; x += 64, i++)
            dst[i] = word_from_bytes(row + x, w - x < 64 ? w - x : 64);
    }
}

static inline bool
flagged(const uint64_t *flags, uint16_t v)
{
    return (flags[v >> 6] >> (v & 63)) & 1;
}

/* Four labels -> four bits; flagged labels count as background. */
static inline uint64_t
gather_labels4(uint64_t v, const uint64_t *flags)
{
    uint64_t b = gather_u16(v);

    if (b != 0 && flags != NULL) {
        for (unsigned k = 0; k < 4; k++) {
            if (flagged(flags, (uint16_t)(v >> (16 * k))))
                b &= ~(1ull << k);
        }
    }
    return b;
}

static uint64_t
word_from_labels(const uint16_t *p, size_t n, const uint64_t *flags)
{
    uint64_t b = 0;
    size_t i = 0;

#if LABEL_SWAR
    for (; i + 4 <= n; i += 4) {
        uint64_t v;

        memcpy(&v, p + i, 8);
        if (v != 0)
            b |= gather_labels4(v, flags) << i;
    }
#endif
    for (; i < n; i++) {
        if (p[i] != 0 && (flags == NULL || !flagged(flags, p[i])))
            b |= 1ull << i;
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

        for (size_t x = 0, i = 0; x < w; x += 64, i++)
            dst[i] = word_from_labels(row + x, w - x < 64 ? w - x : 64, flags);
    }
}

/* Runs of set bits of one row of nw words; lastmask clears the pad. */
static size_t
row_runs(struct dcn__run *out, const uint64_t *row, size_t nw,
         uint64_t lastmask, bool invert)
{
    size_t n = 0;
    bool open = false;
    uint32_t start = 0;

    for (size_t i = 0; i < nw; i++) {
        uint64_t v = invert ? ~row[i] : row[i];
        uint32_t base = (uint32_t)(i * 64);

        if (i == nw - 1)
            v &= lastmask;
        if (open) {
            unsigned z;

            if (v == ~0ull)
                continue;
            z = (unsigned)__builtin_ctzll(~v);
            out[n++] = (struct dcn__run){start, base + z};
            open = false;
            v &= ~0ull << z; /* drop the bits of the closed run */
        }
        while (v != 0) {
            unsigned s = (unsigned)__builtin_ctzll(v);
            uint64_t t = v | ((1ull << s) - 1); /* ones below the run */
            unsigned e;

            if (t == ~0ull) { /* the run reaches the next word */
                start = base + s;
                open = true;
                break;
            }
            e = (unsigned)__builtin_ctzll(~t);
            out[n++] = (struct dcn__run){base + s, base + e};
            v &= ~0ull << e;
        }
    }
    if (open)
        out[n++] = (struct dcn__run){start, (uint32_t)(nw * 64)};
    return n;
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

    for (size_t y = 1; y < wk->height; y++) {
        uint32_t i = wk->rowoff[y - 1];
        uint32_t iend = wk->rowoff[y];
        uint32_t j = iend;
        uint32_t jend = wk->rowoff[y + 1];

        while (i < iend && j < jend) {
            if (r[i].x1 + d <= r[j].x0) {
                i++;
            } else if (r[j].x1 + d <= r[i].x0) {
                j++;
            } else {
                unite(wk->parent, i, j);
                if (r[i].x1 < r[j].x1)
                    i++;
                else
                    j++;
            }
        }
    }
}

size_t
dcn__runs_number(struct dcn__seg_work *wk)
{
    uint32_t *parent = wk->parent;
    uint32_t n = 0;

    /* parent[i] <= i, so parent[parent[i]] is already a final label. */
    for (uint32_t i = 0; i < wk->nrun; i++)
        parent[i] = parent[i] == i ? ++n : parent[parent[i]];
    return n;
}

void
dcn__runs_write(const struct dcn__seg_work *wk, uint16_t *labels)
{
    memset(labels, 0, wk->width * wk->height * sizeof(*labels));
    for (size_t y = 0; y < wk->height; y++) {
        uint16_t *row = labels + y * wk->width;

        for (uint32_t i = wk->rowoff[y]; i < wk->rowoff[y + 1]; i++) {
            uint16_t v = (uint16_t)wk->parent[i];

            for (uint32_t x = wk->run[i].x0; x < wk->run[i].x1; x++)
                row[x] = v;
        }
    }
}
