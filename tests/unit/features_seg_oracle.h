/* SPDX-License-Identifier: MIT */
/*
 * features_seg_oracle.h - a small test-only segmentation (numerics.md
 * §3.1-§3.3: thresh -6 with bg_off, clear_border, the fill_holes variant,
 * opening with disk(2) or none, 8-connected labeling in raster order) so
 * that the feature tests and the benchmark can build dcnum's label images
 * from the input images and dcnum's background.  Not under test itself:
 * callers verify the masks against dcnum's masks.csv (md5).
 */
#ifndef DCN_TESTS_FEATURES_SEG_ORACLE_H
#define DCN_TESTS_FEATURES_SEG_ORACLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct seg {
    size_t w, h;
    uint8_t *a, *b;
    int32_t *lab;
    int32_t *parent;
    size_t *stack;
};

static inline int32_t
uf_find(int32_t *p, int32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* The provisional labels of the already visited 8-neighbours of pixel
 * (x, y): left, upper left, up, upper right.  Returns their number. */
static inline int
label8_neighbours(const struct seg *s, size_t x, size_t y, int32_t nb[4])
{
    size_t w = s->w, i = y * w + x;
    int nn = 0;

    if (x > 0 && s->lab[i - 1])
        nb[nn++] = s->lab[i - 1];
    if (y == 0)
        return nn;
    if (x > 0 && s->lab[i - w - 1])
        nb[nn++] = s->lab[i - w - 1];
    if (s->lab[i - w])
        nb[nn++] = s->lab[i - w];
    if (x + 1 < w && s->lab[i - w + 1])
        nb[nn++] = s->lab[i - w + 1];
    return nn;
}

/* Union the classes of nb[0..nn-1] under the smallest root; returns that
 * root, or 0 for no neighbours. */
static inline int32_t
label8_merge(int32_t *parent, const int32_t *nb, int nn)
{
    int32_t best = 0;

    for (int k = 0; k < nn; k++) {
        int32_t r = uf_find(parent, nb[k]);
        if (best == 0) {
            best = r;
        } else if (r < best) {
            parent[best] = r;
            best = r;
        } else if (r > best) {
            parent[r] = best;
        }
    }
    return best;
}

/* First pass: provisional labels in s->lab, classes in s->parent.
 * Returns the next unused provisional label. */
static inline int32_t
label8_provisional(struct seg *s, const uint8_t *m)
{
    int32_t next = 1;

    for (size_t y = 0; y < s->h; y++) {
        for (size_t x = 0; x < s->w; x++) {
            size_t i = y * s->w + x;
            int32_t nb[4];
            int32_t best;

            s->lab[i] = 0;
            if (!m[i])
                continue;
            best = label8_merge(s->parent, nb, label8_neighbours(s, x, y, nb));
            if (best == 0) {
                best = next;
                s->parent[next] = next;
                next++;
            }
            s->lab[i] = best;
        }
    }
    return next;
}

/* Second pass: number the classes 1..n in raster order into out. */
static inline int32_t
label8_renumber(struct seg *s, int32_t next, uint16_t *out)
{
    int32_t *map = calloc((size_t)next + 1, sizeof(*map));
    int32_t n = 0;

    if (map == NULL)
        return -1;
    for (size_t i = 0; i < s->w * s->h; i++) {
        int32_t r;
        if (!s->lab[i]) {
            out[i] = 0;
            continue;
        }
        r = uf_find(s->parent, s->lab[i]);
        if (map[r] == 0)
            map[r] = ++n;
        out[i] = (uint16_t)map[r];
    }
    free(map);
    return n;
}

/* 8-connected labels 1..n in raster order of the first pixel */
static inline int32_t
label8(struct seg *s, const uint8_t *m, uint16_t *out)
{
    return label8_renumber(s, label8_provisional(s, m), out);
}

/* clear_border: drop every component of labels touching the frame from m */
static inline void
seg_clear_border(const struct seg *s, const uint16_t *labels, uint8_t *m)
{
    size_t w = s->w, h = s->h;
    uint8_t *drop = calloc(65536, 1);

    if (drop == NULL)
        return;
    for (size_t x = 0; x < w; x++) {
        drop[labels[x]] = 1;
        drop[labels[(h - 1) * w + x]] = 1;
    }
    for (size_t y = 0; y < h; y++) {
        drop[labels[y * w]] = 1;
        drop[labels[y * w + w - 1]] = 1;
    }
    drop[0] = 0;
    for (size_t i = 0; i < w * h; i++)
        if (drop[labels[i]])
            m[i] = 0;
    free(drop);
}

/* Flood-fill the background of m into t (1 = reached), 4-connected,
 * from pixel 0. */
static inline void
seg_flood_background(struct seg *s, const uint8_t *m, uint8_t *t)
{
    size_t w = s->w, h = s->h, sp = 0;

    if (w == 0 || h == 0)
        return;
    memset(t, 0, w * h);
    t[0] = 1;
    s->stack[sp++] = 0;
    while (sp > 0) {
        size_t i = s->stack[--sp], x = i % w, y = i / w;
        size_t nb[4];
        int nn = 0;
        if (x > 0)
            nb[nn++] = i - 1;
        if (x + 1 < w)
            nb[nn++] = i + 1;
        if (y > 0)
            nb[nn++] = i - w;
        if (y + 1 < h)
            nb[nn++] = i + w;
        for (int k = 0; k < nn; k++)
            if (!m[nb[k]] && !t[nb[k]]) {
                t[nb[k]] = 1;
                s->stack[sp++] = nb[k];
            }
    }
}

/* fill_holes, OpenCV flood-fill variant: row 0 and the seed pixels (0..1
 * of row 1) are cleared, then whatever the background fill does not reach
 * is foreground. */
static inline void
seg_fill_holes(struct seg *s, uint8_t *m, uint8_t *t)
{
    size_t w = s->w;

    for (size_t x = 0; x < w; x++)
        m[x] = 0;
    m[w] = m[w + 1] = 0;
    seg_flood_background(s, m, t);
    for (size_t i = 0; i < w * s->h; i++)
        m[i] = !t[i];
}

/* The value of the disk(2) neighbourhood of (x, y) in src: `hit` if any
 * pixel inside the frame equals hit, else !hit (the frame's outside is
 * ignored: 1 for erosion, 0 for dilation). */
static inline uint8_t
seg_disk2_any(const struct seg *s, const uint8_t *src, size_t x, size_t y,
              uint8_t hit)
{
    static const int dx[13] = {0, -1, 0, 1, -2, -1, 0, 1, 2, -1, 0, 1, 0};
    static const int dy[13] = {-2, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 2};

    for (int k = 0; k < 13; k++) {
        long xx = (long)x + dx[k], yy = (long)y + dy[k];
        if (xx < 0 || yy < 0 || xx >= (long)s->w || yy >= (long)s->h)
            continue;
        if (src[(size_t)yy * s->w + (size_t)xx] == hit)
            return hit;
    }
    return !hit;
}

/* opening with disk(2): erosion (outside = 1) into t, dilation (outside =
 * 0) back into m; m and t hold 0/1 */
static inline void
seg_open_disk2(const struct seg *s, uint8_t *m, uint8_t *t)
{
    size_t w = s->w, h = s->h;

    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            t[y * w + x] = seg_disk2_any(s, m, x, y, 0);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            m[y * w + x] = seg_disk2_any(s, t, x, y, 1);
}

static inline void
segment(struct seg *s, const uint8_t *img, const uint8_t *bg, double bg_off,
        int closing_disk, uint16_t *labels)
{
    size_t n = s->w * s->h;
    uint8_t *m = s->a, *t = s->b;

    if (s->w == 0 || s->h == 0)
        return;
    for (size_t i = 0; i < n; i++)
        m[i] = ((double)((int)img[i] - (int)bg[i]) - bg_off) < -6;
    label8(s, m, labels);
    seg_clear_border(s, labels, m);
    seg_fill_holes(s, m, t);
    if (closing_disk != 0)
        seg_open_disk2(s, m, t);
    label8(s, m, labels);
}

static inline int
seg_init(struct seg *s, size_t w, size_t h)
{
    size_t fs = w * h;
    s->w = w;
    s->h = h;
    s->a = malloc(fs);
    s->b = malloc(fs);
    s->lab = calloc(fs, sizeof(int32_t));
    s->parent = malloc((fs + 2) * sizeof(int32_t));
    s->stack = malloc(fs * 4 * sizeof(size_t));
    return s->a && s->b && s->lab && s->parent && s->stack ? 0 : -1;
}

static inline void
seg_release(struct seg *s)
{
    free(s->a);
    free(s->b);
    free(s->lab);
    free(s->parent);
    free(s->stack);
}

#endif /* DCN_TESTS_FEATURES_SEG_ORACLE_H */
