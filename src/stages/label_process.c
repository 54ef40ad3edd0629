/* SPDX-License-Identifier: MIT */
/*
 * label_process.c - dcnum's Segmenter.process_labels() (numerics.md §3.3).
 *
 * Order and semantics are dcnum's: clear_border removes every label value
 * seen on the outer frame; fill_holes is OpenCV's flood-fill variant (row
 * 0 and pixels (1,0), (1,1) cleared, background 4-connected to (0,0) is
 * "reached", everything else becomes foreground); closing_disk r is an
 * OPENING (erosion with outside = 1, then dilation with outside = 0, disk
 * footprint dx^2 + dy^2 <= r^2); a boolean result is relabeled.
 *
 * The binary work happens on a bit plane (64 pixels per word).  The
 * flood fill first sets aside "specks" (tiny isolated components that can
 * neither enclose background nor touch the border), then unites the
 * background runs 4-connected (label_runs.c) and keeps what is not joined
 * to the first run.  The disk is separable into rows: for each row offset
 * d the footprint is a horizontal segment of half-width hw(d), so a
 * morphology is the AND (OR) over 2r+1 shifted rows of horizontal windows;
 * a window with hw < 64 is computed per word from its neighbours, wider
 * ones by doubling.  Empty rows are skipped, so the cost follows the
 * objects.  dcn_label_and_process() runs labeling and these steps in one
 * call, with clear_border applied to the numbered runs.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "label.h"
#include "label_runs.h"

size_t
dcn_label_process_scratch_size(size_t width, size_t height)
{
    return dcn__seg_work_size(width, height, true);
}

/* Visit the outer frame; set (or only detect) the flags of its labels. */
static bool
border_labels(uint64_t *flags, const uint16_t *labels, size_t w, size_t h)
{
    bool any = false;

    for (size_t y = 0; y < h; y++) {
        size_t step = (y == 0 || y == h - 1) ? 1 : (w > 1 ? w - 1 : 1);

        for (size_t x = 0; x < w; x += step) {
            uint16_t v = labels[y * w + x];

            if (v == 0)
                continue;
            any = true;
            if (flags != NULL)
                flags[v >> 6] |= 1ull << (v & 63);
        }
    }
    return any;
}

/* Zero flagged labels (flags may be NULL); returns the largest label left. */
static size_t
clear_in_place(uint16_t *labels, size_t n, const uint64_t *flags)
{
    uint16_t max = 0;

    for (size_t i = 0; i < n; i++) {
        uint16_t v = labels[i];

        if (v == 0)
            continue;
        if (flags != NULL && ((flags[v >> 6] >> (v & 63)) & 1)) {
            labels[i] = 0;
            continue;
        }
        max = v > max ? v : max;
    }
    return max;
}

/* row bits [x0, x1) = 0 */
static void
bits_clear(uint64_t *row, size_t x0, size_t x1)
{
    while (x0 < x1) {
        size_t b = x0 & 63;
        size_t n = 64 - b < x1 - x0 ? 64 - b : x1 - x0;
        uint64_t m = n == 64 ? ~0ull : ((1ull << n) - 1) << b;

        row[x0 >> 6] &= ~m;
        x0 += n;
    }
}

static uint64_t
pad_mask(size_t width)
{
    size_t tail = width % 64;

    return tail ? (1ull << tail) - 1 : ~0ull;
}

/* Word i of a row whose pad bits are 1; words past the row read as 1. */
static inline uint64_t
word1(const uint64_t *row, size_t i, size_t nw)
{
    return i < nw ? row[i] : ~0ull;
}

/*
 * ring[x] = 1 where the 12 pixels around the 2x2 box with top-left (x, y)
 * are background and inside the image (rows y-1 .. y+2 given; NULL rows
 * are outside).  Pixels outside the image count as foreground.
 */
static void
speck_ring(uint64_t *ring, const uint64_t *const rows[4], size_t nw)
{
    const uint64_t *above = rows[0];
    const uint64_t *r0 = rows[1];
    const uint64_t *r1 = rows[2];
    const uint64_t *below = rows[3];
    /* Bit 63 of the word to the left; outside the image = 1. */
    uint64_t ap = ~0ull, bp = ~0ull, c0p = ~0ull, c1p = ~0ull;

    if (above == NULL || below == NULL) {
        memset(ring, 0, nw * sizeof(*ring));
        return;
    }
    for (size_t i = 0; i < nw; i++) {
        uint64_t a = above[i], b = below[i], c0 = r0[i], c1 = r1[i];
        uint64_t an = word1(above, i + 1, nw), bn = word1(below, i + 1, nw);
        uint64_t c0n = word1(r0, i + 1, nw), c1n = word1(r1, i + 1, nw);
        /* Rows above and below: x-1 .. x+2; the box rows: x-1 and x+2. */
        uint64_t full = (a | b) | ((a | b) >> 1) | ((an | bn) << 63);
        uint64_t left = (a << 1) | (ap >> 63) | (b << 1) | (bp >> 63) |
                        (c0 << 1) | (c0p >> 63) | (c1 << 1) | (c1p >> 63);
        uint64_t right2 =
                ((a | b | c0 | c1) >> 2) | ((an | bn | c0n | c1n) << 62);

        ring[i] = ~(full | left | right2);
        ap = a;
        bp = b;
        c0p = c0;
        c1p = c1;
    }
}

/*
 * dst = src without its "specks": 8-connected components that fit in a
 * 2x2 box whose surrounding ring of 12 pixels is background inside the
 * image.  Such a component touches no border and cannot enclose
 * background, and a bounded 4-connected background region is enclosed by
 * a single 8-connected foreground component, so removing specks does not
 * change which other pixels the flood fill reaches.  Noise pixels of a
 * thresholded frame are mostly specks; dropping them first makes the
 * background far less fragmented.  The pad bits of src must be 1 (outside
 * the image counts as foreground, so no speck touches the border).
 */
static void
drop_specks(struct dcn__seg_work *wk, uint64_t *dst, const uint64_t *src)
{
    const size_t nw = wk->nw;
    const size_t h = wk->height;
    uint64_t *prev = wk->rowbuf; /* ring of row y - 1 */
    uint64_t *cur = wk->rowbuf + nw;

    memset(prev, 0, nw * sizeof(*prev));
    for (size_t y = 0; y < h; y++) {
        const uint64_t *row = src + y * nw;
        uint64_t *tmp;

        const uint64_t *const rows[4] = {y > 0 ? row - nw : NULL, row,
                                         y + 1 < h ? row + nw : NULL,
                                         y + 2 < h ? row + 2 * nw : NULL};

        speck_ring(cur, rows, nw);
        for (size_t i = 0; i < nw; i++) {
            uint64_t box = cur[i] | prev[i];
            uint64_t boxl =
                    (box << 1) | (i > 0 ? (cur[i - 1] | prev[i - 1]) >> 63 : 0);

            dst[y * nw + i] = row[i] & ~(box | boxl);
        }
        tmp = prev;
        prev = cur;
        cur = tmp;
    }
}

/*
 * parent[i] = 1 for every background run 4-connected to run 0 (row 0,
 * the seed (0,0)), else 0.
 */
static void
reach_background(struct dcn__seg_work *wk)
{
    uint32_t *parent = wk->parent;

    dcn__runs_connect(wk, false);
    /*
     * Union by smaller index: run 0 is the root of its component, and
     * parent[i] < i for every other run, so in index order parent[p] is
     * already the flag of p's component.
     */
    for (uint32_t i = 0; i < wk->nrun; i++)
        parent[i] = parent[i] == i ? i == 0 : parent[parent[i]];
}

/* fill_holes, OpenCV variant (numerics.md §3.3 step 2, trap 2). */
static void
fill_holes(struct dcn__seg_work *wk)
{
    const size_t nw = wk->nw;
    const uint64_t last = pad_mask(wk->width);
    uint64_t *p = wk->plane;

    memset(p, 0, nw * sizeof(*p)); /* row 0 */
    if (wk->height > 1)
        p[nw] &= ~3ull; /* pixels (x=0, y=1) and (x=1, y=1) */
    for (size_t y = 0; y < wk->height; y++)
        p[y * nw + nw - 1] |= ~last; /* outside counts as foreground */
    drop_specks(wk, wk->plane2, p);
    dcn__plane_runs(wk, wk->plane2, true);
    reach_background(wk);
    /* Foreground = not reached; specks are foreground as before. */
    for (size_t y = 0; y < wk->height; y++) {
        uint64_t *row = p + y * nw;
        uint64_t *out = wk->plane2 + y * nw;

        memset(out, 0xff, nw * sizeof(*out));
        for (uint32_t i = wk->rowoff[y]; i < wk->rowoff[y + 1]; i++) {
            if (wk->parent[i])
                bits_clear(out, wk->run[i].x0, wk->run[i].x1);
        }
        for (size_t i = 0; i < nw; i++)
            row[i] |= out[i];
        row[nw - 1] &= last;
    }
}

/* dst(x) = src(x + m); positions past the row read fill. */
static void
shift_down(uint64_t *dst, const uint64_t *src, size_t nw, size_t m,
           uint64_t fill)
{
    size_t q = m >> 6;
    unsigned s = (unsigned)(m & 63);

    for (size_t i = 0; i < nw; i++) {
        uint64_t a = i + q < nw ? src[i + q] : fill;
        uint64_t b = i + q + 1 < nw ? src[i + q + 1] : fill;

        dst[i] = s == 0 ? a : (a >> s) | (b << (64 - s));
    }
}

/* dst(x) = src(x - m); positions before the row read fill. */
static void
shift_up(uint64_t *dst, const uint64_t *src, size_t nw, size_t m, uint64_t fill)
{
    size_t q = m >> 6;
    unsigned s = (unsigned)(m & 63);

    for (size_t i = 0; i < nw; i++) {
        uint64_t a = i >= q ? src[i - q] : fill;
        uint64_t b = i >= q + 1 ? src[i - q - 1] : fill;

        dst[i] = s == 0 ? a : (a << s) | (b >> (64 - s));
    }
}

static void
combine(uint64_t *dst, const uint64_t *src, size_t nw, bool and_op)
{
    if (and_op) {
        for (size_t i = 0; i < nw; i++)
            dst[i] &= src[i];
    } else {
        for (size_t i = 0; i < nw; i++)
            dst[i] |= src[i];
    }
}

/*
 * In place: row(x) = OP of row(x .. x+len-1) (down) or row(x-len+1 .. x)
 * (up), by doubling the window; tmp is one row of scratch.
 */
static void
window(uint64_t *row, uint64_t *tmp, size_t nw, size_t len, bool down,
       bool and_op)
{
    const uint64_t fill = and_op ? ~0ull : 0;
    size_t have = 1;

    while (have < len) {
        size_t step = 2 * have <= len ? have : len - have;

        if (down)
            shift_down(tmp, row, nw, step, fill);
        else
            shift_up(tmp, row, nw, step, fill);
        combine(row, tmp, nw, and_op);
        have += step;
    }
}

/* Word i of src with the pad bits (beyond the width) set to fill. */
static inline uint64_t
word_at(const uint64_t *src, size_t i, size_t nw, uint64_t last, uint64_t fill)
{
    if (i >= nw)
        return fill;
    return i == nw - 1 ? (src[i] & last) | (fill & ~last) : src[i];
}

/*
 * dst(x) = AND of src(x-k .. x+k), 0 < k < 64, outside = 1: each word
 * combines its own shifts with the bits of its two neighbours.
 */
static void
hwin_small_and(uint64_t *dst, const uint64_t *src, size_t nw, uint64_t last,
               unsigned k)
{
    uint64_t prev = ~0ull;
    uint64_t cur = word_at(src, 0, nw, last, ~0ull);

    for (size_t i = 0; i < nw; i++) {
        uint64_t next = word_at(src, i + 1, nw, last, ~0ull);
        uint64_t acc = cur;

        for (unsigned m = 1; m <= k; m++)
            acc &= ((cur >> m) | (next << (64 - m))) &
                   ((cur << m) | (prev >> (64 - m)));
        dst[i] = acc;
        prev = cur;
        cur = next;
    }
}

/* dst(x) = OR of src(x-k .. x+k), 0 < k < 64, outside = 0. */
static void
hwin_small_or(uint64_t *dst, const uint64_t *src, size_t nw, uint64_t last,
              unsigned k)
{
    uint64_t prev = 0;
    uint64_t cur = word_at(src, 0, nw, last, 0);

    for (size_t i = 0; i < nw; i++) {
        uint64_t next = word_at(src, i + 1, nw, last, 0);
        uint64_t acc = cur;

        for (unsigned m = 1; m <= k; m++)
            acc |= (cur >> m) | (next << (64 - m)) | (cur << m) |
                   (prev >> (64 - m));
        dst[i] = acc;
        prev = cur;
        cur = next;
    }
}

/*
 * buf[0..nw) = OP over src(x-k .. x+k), outside the row = fill (1 for
 * AND, 0 for OR).  buf holds 3 rows.  Pad bits of the result are garbage.
 */
static const uint64_t *
hwindow(uint64_t *buf, const uint64_t *src, size_t nw, uint64_t last, size_t k,
        bool and_op)
{
    const uint64_t fill = and_op ? ~0ull : 0;
    uint64_t *a = buf;
    uint64_t *b = buf + nw;
    uint64_t *t = buf + 2 * nw;

    if (k == 0)
        return src;
    if (k < 64) {
        if (and_op)
            hwin_small_and(a, src, nw, last, (unsigned)k);
        else
            hwin_small_or(a, src, nw, last, (unsigned)k);
        return a;
    }
    memcpy(a, src, nw * sizeof(*a));
    a[nw - 1] = (a[nw - 1] & last) | (fill & ~last);
    memcpy(b, a, nw * sizeof(*a));
    window(a, t, nw, k + 1, true, and_op);
    window(b, t, nw, k + 1, false, and_op);
    combine(a, b, nw, and_op);
    return a;
}

static bool
row_empty(const uint64_t *row, size_t nw)
{
    for (size_t i = 0; i < nw; i++) {
        if (row[i] != 0)
            return false;
    }
    return true;
}

/* dst &= src; returns whether dst still holds a set bit (pad excluded). */
static bool
and_into(uint64_t *dst, const uint64_t *src, size_t nw, uint64_t last)
{
    uint64_t any = 0;

    for (size_t i = 0; i + 1 < nw; i++) {
        dst[i] &= src[i];
        any |= dst[i];
    }
    dst[nw - 1] &= src[nw - 1];
    return (any | (dst[nw - 1] & last)) != 0;
}

/* Largest k with k^2 + d^2 <= r^2 (skimage disk, strict radius). */
static size_t
disk_halfwidth(size_t r, size_t d)
{
    uint64_t rem = (uint64_t)r * r - (uint64_t)d * d;
    uint64_t k = (uint64_t)sqrt((double)rem);

    while (k * k > rem)
        k--;
    while ((k + 1) * (k + 1) <= rem)
        k++;
    return (size_t)k;
}

/*
 * The output rows ys - d and ys + d that source row ys still constrains
 * (both only once when d == 0, and only rows that may still hold a 1).
 */
static size_t
erode_targets(size_t t[2], const uint8_t *live, size_t ys, size_t d, size_t h)
{
    size_t n = 0;

    if (ys >= d && live[ys - d])
        t[n++] = ys - d;
    if (d > 0 && ys + d < h && live[ys + d])
        t[n++] = ys + d;
    return n;
}

/* out = in eroded by disk(r); outside the image counts as 1. */
static void
erode_disk(struct dcn__seg_work *wk, uint64_t *out, const uint64_t *in,
           size_t r)
{
    const size_t nw = wk->nw;
    const size_t h = wk->height;
    const uint64_t last = pad_mask(wk->width);
    uint8_t *live = wk->rowflag; /* out row may still hold a 1 */
    uint64_t *zero = wk->rowbuf + 3 * nw;

    memset(out, 0xff, h * nw * sizeof(*out));
    memset(live, 1, h);
    memset(zero, 0, nw * sizeof(*zero));
    for (size_t d = 0; d <= r; d++) {
        size_t k = disk_halfwidth(r, d);

        for (size_t ys = 0; ys < h; ys++) {
            const uint64_t *src = in + ys * nw;
            size_t t[2];
            size_t n = erode_targets(t, live, ys, d, h);
            const uint64_t *e;

            if (n == 0)
                continue;
            /* An empty row erodes to nothing whatever k is. */
            e = row_empty(src, nw)
                        ? zero
                        : hwindow(wk->rowbuf, src, nw, last, k, true);
            for (size_t q = 0; q < n; q++)
                live[t[q]] = and_into(out + t[q] * nw, e, nw, last);
        }
    }
    for (size_t y = 0; y < h; y++)
        out[y * nw + nw - 1] &= last;
}

/* out = in dilated by disk(r); outside the image counts as 0. */
static void
dilate_disk(struct dcn__seg_work *wk, uint64_t *out, const uint64_t *in,
            size_t r)
{
    const size_t nw = wk->nw;
    const size_t h = wk->height;
    const uint64_t last = pad_mask(wk->width);

    memset(out, 0, h * nw * sizeof(*out));
    for (size_t ys = 0; ys < h; ys++)
        wk->rowflag[ys] = !row_empty(in + ys * nw, nw);
    for (size_t d = 0; d <= r; d++) {
        size_t k = disk_halfwidth(r, d);

        for (size_t ys = 0; ys < h; ys++) {
            const uint64_t *e;

            if (!wk->rowflag[ys] || (ys < d && ys + d >= h))
                continue;
            e = hwindow(wk->rowbuf, in + ys * nw, nw, last, k, false);
            if (ys >= d)
                combine(out + (ys - d) * nw, e, nw, false);
            if (d > 0 && ys + d < h)
                combine(out + (ys + d) * nw, e, nw, false);
        }
    }
    for (size_t y = 0; y < h; y++)
        out[y * nw + nw - 1] &= last;
}

/*
 * Steps 2-4 of process_labels on the binary image in wk->plane: fill
 * holes, the disk opening, then labels 1..n written to labels.
 */
static int
binary_steps(struct dcn__seg_work *wk, uint16_t *labels, size_t *max_label,
             const struct dcn_label_process_opts *opts, size_t frame,
             struct dcn_error *err)
{
    int rc;

    if (opts->fill_holes)
        fill_holes(wk);
    if (opts->closing_disk > 0) {
        erode_disk(wk, wk->plane2, wk->plane, opts->closing_disk);
        dilate_disk(wk, wk->plane, wk->plane2, opts->closing_disk);
    }
    dcn__plane_runs(wk, wk->plane, false);
    dcn__runs_connect(wk, true);
    rc = dcn__label_number_checked(wk, max_label, frame, err);
    if (rc < 0)
        return rc;
    dcn__runs_write(wk, labels);
    return DCN_OK;
}

int
dcn_label_process(const struct dcn_label_image *img, size_t *max_label,
                  const struct dcn_label_process_opts *opts, size_t frame,
                  void *scratch, struct dcn_error *err)
{
    uint16_t *labels = img != NULL ? img->px : NULL;
    size_t width = img != NULL ? img->width : 0;
    size_t height = img != NULL ? img->height : 0;
    struct dcn__seg_work wk;
    const uint64_t *flags = NULL;

    if (labels == NULL || max_label == NULL || opts == NULL ||
        scratch == NULL || dcn_label_process_scratch_size(width, height) == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "frame %zu: invalid arguments to label "
                             "processing",
                             frame);
    *max_label = 0;
    dcn__seg_work_carve(&wk, width, height, true, scratch);
    if (opts->clear_border && border_labels(NULL, labels, width, height)) {
        memset(wk.labelflag, 0, 1024 * sizeof(uint64_t));
        border_labels(wk.labelflag, labels, width, height);
        flags = wk.labelflag;
    }
    if (!opts->fill_holes && opts->closing_disk == 0) {
        /* No boolean step: the labels survive with their values. */
        *max_label = clear_in_place(labels, width * height, flags);
        return DCN_OK;
    }
    dcn__plane_from_labels(&wk, wk.plane, labels, flags);
    return binary_steps(&wk, labels, max_label, opts, frame, err);
}

/* row bits [x0, x1) = 1 */
static void
bits_set(uint64_t *row, size_t x0, size_t x1)
{
    while (x0 < x1) {
        size_t b = x0 & 63;
        size_t n = 64 - b < x1 - x0 ? 64 - b : x1 - x0;
        uint64_t m = n == 64 ? ~0ull : ((1ull << n) - 1) << b;

        row[x0 >> 6] |= m;
        x0 += n;
    }
}

/*
 * clear_border on numbered runs: every label with a run on the outer
 * frame is set to 0 in parent[] (the run -> label map).  Returns the
 * largest label left.
 */
static size_t
clear_border_runs(struct dcn__seg_work *wk, bool clear)
{
    uint64_t *flags = wk->labelflag;
    const size_t h = wk->height;
    size_t max = 0;
    bool any = false;

    if (clear) {
        memset(flags, 0, 1024 * sizeof(uint64_t));
        for (uint32_t i = 0; i < wk->nrun; i++) {
            bool edge = i < wk->rowoff[1] || i >= wk->rowoff[h - 1] ||
                        wk->run[i].x0 == 0 || wk->run[i].x1 == wk->width;
            uint32_t l = wk->parent[i];

            if (edge) {
                flags[l >> 6] |= 1ull << (l & 63);
                any = true;
            }
        }
    }
    for (uint32_t i = 0; i < wk->nrun; i++) {
        uint32_t l = wk->parent[i];

        if (any && ((flags[l >> 6] >> (l & 63)) & 1))
            wk->parent[i] = 0;
        else
            max = l > max ? l : max;
    }
    return max;
}

size_t
dcn_label_and_process_scratch_size(size_t width, size_t height)
{
    return dcn__seg_work_size(width, height, true);
}

int
dcn_label_and_process( // NOLINT(readability-function-size): two stages' args
        const struct dcn_label_image *img, size_t *max_label,
        const struct dcn_mask_view *mask,
        const struct dcn_label_process_opts *opts, size_t frame, void *scratch,
        struct dcn_error *err)
{
    struct dcn__seg_work wk;
    size_t nobj = 0;
    size_t max;
    int rc;

    if (img == NULL || img->px == NULL || max_label == NULL || mask == NULL ||
        mask->px == NULL || opts == NULL || scratch == NULL ||
        mask->stride < mask->width || img->width != mask->width ||
        img->height != mask->height ||
        dcn_label_and_process_scratch_size(img->width, img->height) == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "frame %zu: invalid arguments to labeling", frame);
    *max_label = 0;
    dcn__seg_work_carve(&wk, img->width, img->height, true, scratch);
    dcn__plane_from_mask(&wk, mask->px, mask->stride);
    dcn__plane_runs(&wk, wk.plane, false);
    dcn__runs_connect(&wk, true);
    rc = dcn__label_number_checked(&wk, &nobj, frame, err);
    if (rc < 0)
        return rc;
    max = clear_border_runs(&wk, opts->clear_border);
    if (!opts->fill_holes && opts->closing_disk == 0) {
        dcn__runs_write(&wk, img->px);
        *max_label = max;
        return DCN_OK;
    }
    memset(wk.plane, 0, wk.height * wk.nw * sizeof(*wk.plane));
    for (size_t y = 0; y < wk.height; y++) {
        for (uint32_t i = wk.rowoff[y]; i < wk.rowoff[y + 1]; i++) {
            if (wk.parent[i] != 0)
                bits_set(wk.plane + y * wk.nw, wk.run[i].x0, wk.run[i].x1);
        }
    }
    return binary_steps(&wk, img->px, max_label, opts, frame, err);
}
