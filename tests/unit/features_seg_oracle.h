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

/* 8-connected labels 1..n in raster order of the first pixel */
static inline int32_t
label8(struct seg *s, const uint8_t *m, uint16_t *out)
{
    size_t w = s->w, h = s->h;
    int32_t next = 1;
    int32_t *map;

    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t i = y * w + x;
            int32_t best = 0;
            int32_t nb[4];
            int nn = 0;
            s->lab[i] = 0;
            if (!m[i])
                continue;
            if (x > 0 && s->lab[i - 1])
                nb[nn++] = s->lab[i - 1];
            if (y > 0) {
                if (x > 0 && s->lab[i - w - 1])
                    nb[nn++] = s->lab[i - w - 1];
                if (s->lab[i - w])
                    nb[nn++] = s->lab[i - w];
                if (x + 1 < w && s->lab[i - w + 1])
                    nb[nn++] = s->lab[i - w + 1];
            }
            for (int k = 0; k < nn; k++) {
                int32_t r = uf_find(s->parent, nb[k]);
                if (best == 0) {
                    best = r;
                } else if (r < best) {
                    s->parent[best] = r;
                    best = r;
                } else if (r > best) {
                    s->parent[r] = best;
                }
            }
            if (best == 0) {
                best = next;
                s->parent[next] = next;
                next++;
            }
            s->lab[i] = best;
        }
    }
    map = calloc((size_t)next + 1, sizeof(*map));
    {
        int32_t n = 0;
        for (size_t i = 0; i < w * h; i++) {
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
}

static inline void
segment(struct seg *s, const uint8_t *img, const uint8_t *bg, double bg_off,
        int closing_disk, uint16_t *labels)
{
    size_t w = s->w, h = s->h, n = w * h, sp = 0;
    uint8_t *m = s->a, *t = s->b;
    static const int dx[13] = {0, -1, 0, 1, -2, -1, 0, 1, 2, -1, 0, 1, 0};
    static const int dy[13] = {-2, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 2};

    for (size_t i = 0; i < n; i++)
        m[i] = ((double)((int)img[i] - (int)bg[i]) - bg_off) < -6;
    /* clear_border: drop every component touching the frame */
    label8(s, m, labels);
    {
        uint8_t *drop = calloc(65536, 1);
        for (size_t x = 0; x < w; x++) {
            drop[labels[x]] = 1;
            drop[labels[(h - 1) * w + x]] = 1;
        }
        for (size_t y = 0; y < h; y++) {
            drop[labels[y * w]] = 1;
            drop[labels[y * w + w - 1]] = 1;
        }
        drop[0] = 0;
        for (size_t i = 0; i < n; i++)
            if (drop[labels[i]])
                m[i] = 0;
        free(drop);
    }
    /* fill_holes, OpenCV flood-fill variant */
    for (size_t x = 0; x < w; x++)
        m[x] = 0;
    m[w] = m[w + 1] = 0;
    memset(t, 0, n);
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
    for (size_t i = 0; i < n; i++)
        m[i] = !t[i];
    if (closing_disk == 0) {
        label8(s, m, labels);
        return;
    }
    /* opening with disk(2): erosion (outside = 1), dilation (outside = 0) */
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            uint8_t v = 1;
            for (int k = 0; k < 13 && v; k++) {
                long xx = (long)x + dx[k], yy = (long)y + dy[k];
                if (xx < 0 || yy < 0 || xx >= (long)w || yy >= (long)h)
                    continue;
                v = m[(size_t)yy * w + (size_t)xx];
            }
            t[y * w + x] = v;
        }
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            uint8_t v = 0;
            for (int k = 0; k < 13 && !v; k++) {
                long xx = (long)x - dx[k], yy = (long)y - dy[k];
                if (xx < 0 || yy < 0 || xx >= (long)w || yy >= (long)h)
                    continue;
                v = t[(size_t)yy * w + (size_t)xx];
            }
            m[y * w + x] = v;
        }
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
    s->lab = malloc(fs * sizeof(int32_t));
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
