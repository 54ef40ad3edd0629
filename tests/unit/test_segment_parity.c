/* SPDX-License-Identifier: MIT */
/*
 * test_segment_parity.c - thresh -> label -> process_labels -> candidates
 * against the masks dcnum wrote (data/README.md: masks.csv, features.csv,
 * bg.h5).
 *
 * For every frame of the input, with dcnum's background (bg.h5 image_bg
 * [bg_index[i]] and bg_off[i]), the candidate masks (> 10 px) are computed
 * and their md5 (H*W bytes of 0/1) compared with the reference events of
 * that frame (basinmap0).  dcnum drops "invalid" (line-like, zero contour
 * area, numerics.md §4.2) masks after feature extraction, so the reference
 * events must be an in-order subsequence of the candidates, and every
 * candidate left over must be line-like; that is checked with a literal
 * implementation of the §4.1 contour trace and the §4.2 area.
 * Frames identical to the previous one yield no events (§5.1).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "label.h"
#include "md5.h"
#include "segment.h"
#include "testdata.h"

struct variant {
    const char *stem;
    const char *name;
    unsigned clo;
};

static const int dir_dx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
static const int dir_dy[8] = {0, -1, -1, -1, 0, 1, 1, 1};

static bool
fg(const uint8_t *m, long w, long h, long x, long y)
{
    return x >= 0 && y >= 0 && x < w && y < h && m[y * w + x];
}

/* numerics.md §4.1 trace + §4.2: true if the mask is invalid (line-like). */
static bool
line_like(const uint8_t *m, long w, long h)
{
    static const int first[7] = {3, 2, 1, 0, 7, 6, 5};
    long p0x = -1;
    long p0y = -1;
    long p1x;
    long p1y;
    long cx;
    long cy;
    int s = -1;
    double a = 0.0;
    long n = 0;
    long lastx = 0;
    long lasty = 0;
    long firstx = 0;
    long firsty = 0;

    for (long i = 0; i < w * h && p0x < 0; i++) {
        if (m[i]) {
            p0x = i % w;
            p0y = i / w;
        }
    }
    for (int k = 0; k < 7 && s < 0; k++) {
        if (fg(m, w, h, p0x + dir_dx[first[k]], p0y + dir_dy[first[k]]))
            s = first[k];
    }
    if (s < 0)
        return true; /* one point */
    p1x = p0x + dir_dx[s];
    p1y = p0y + dir_dy[s];
    cx = p0x;
    cy = p0y;
    for (long guard = 0; guard < 8 * w * h + 8; guard++) {
        int sp = -1;
        long nx;
        long ny;

        for (int k = 1; k <= 8 && sp < 0; k++) {
            int t = (s + k) % 8;

            if (fg(m, w, h, cx + dir_dx[t], cy + dir_dy[t]))
                sp = t;
        }
        /* append cur; accumulate x_prev*y - y_prev*x */
        if (n == 0) {
            firstx = cx;
            firsty = cy;
        } else {
            a += (double)(lastx * cy - lasty * cx);
        }
        lastx = cx;
        lasty = cy;
        n++;
        nx = cx + dir_dx[sp];
        ny = cy + dir_dy[sp];
        if (nx == p0x && ny == p0y && cx == p1x && cy == p1y)
            break;
        cx = nx;
        cy = ny;
        s = (sp + 4) % 8;
    }
    a += (double)(lastx * firsty - lasty * firstx);
    return n == 1 || a == 0.0;
}

struct ref_events {
    size_t n;
    long *frame; /* basinmap0 */
    long *sum;
    const char **md5;
};

static int
load_refs(struct ref_events *r, struct td_csv *feat, struct td_csv *masks,
          const struct variant *v)
{
    char rel[256];
    char path[PATH_MAX];
    int cbm;
    int csum;
    int cmd5;

    snprintf(rel, sizeof(rel), "reference/%s/%s/features.csv", v->stem,
             v->name);
    if (td_csv_load(feat, td_path(path, rel)) != 0)
        return -1;
    snprintf(rel, sizeof(rel), "reference/%s/%s/masks.csv", v->stem, v->name);
    if (td_csv_load(masks, td_path(path, rel)) != 0)
        return -1;
    cbm = td_csv_col(feat, "basinmap0");
    csum = td_csv_col(masks, "mask_sum");
    cmd5 = td_csv_col(masks, "mask_md5");
    if (cbm < 0 || csum < 0 || cmd5 < 0 || feat->nrows != masks->nrows)
        return -1;
    r->n = feat->nrows;
    r->frame = calloc(r->n, sizeof(long));
    r->sum = calloc(r->n, sizeof(long));
    r->md5 = calloc(r->n, sizeof(char *));
    for (size_t i = 0; i < r->n; i++) {
        r->frame[i] = (long)td_csv_get(feat, i, cbm);
        r->sum[i] = (long)td_csv_get(masks, i, csum);
        r->md5[i] = td_csv_text(masks, i, cmd5);
    }
    return 0;
}

struct tally {
    size_t matched;
    size_t nref;
    size_t extra;
    size_t extra_not_line;
    size_t candidates;
    size_t fused_differs; /* frames where dcn_label_and_process differs */
};

/* Segment one frame and match its candidates with ref events [e0, e1). */
static void
match_frame(struct tally *t, const struct ref_events *r, size_t e0, size_t e1,
            const uint16_t *lab, size_t nmax, size_t w, size_t h, size_t frame,
            uint8_t *m)
{
    struct dcn_label_stats *st = calloc(nmax + 1, sizeof(*st));
    uint16_t *ids = calloc(nmax + 1, sizeof(*ids));
    size_t nc;
    size_t e = e0;

    size_t nl = 0;

    CHECK_EQ(dcn_label_sizes(st, nmax, &nl, lab, w, h), 0);
    CHECK_EQ(nl, nmax);
    nc = dcn_label_candidates(ids, st, nmax, 0);
    t->candidates += nc;
    for (size_t k = 0; k < nc; k++) {
        const struct dcn_label_stats *s = &st[ids[k] - 1];
        char hex[33];

        for (size_t i = 0; i < w * h; i++)
            m[i] = lab[i] == ids[k];
        dcn__md5_hex(hex, m, w * h);
        if (e < e1 && strcmp(hex, r->md5[e]) == 0 &&
            (long)s->count == r->sum[e]) {
            t->matched++;
            e++;
            continue;
        }
        t->extra++;
        bool line = line_like(m, (long)w, (long)h);

        t->extra_not_line += !line;
        printf("    extra candidate: frame %zu label %u, %u px, bbox "
               "x %u..%u y %u..%u, %s\n",
               frame, ids[k], s->count, s->x0, s->x1, s->y0, s->y1,
               line ? "line-like (zero contour area)" : "NOT line-like");
    }
    if (e < e1)
        printf("    frame %zu: %zu reference events not matched\n", frame,
               e1 - e);
    free(st);
    free(ids);
}

static void
run_variant(const struct variant *v)
{
    char rel[256];
    char in_path[PATH_MAX];
    char bg_path[PATH_MAX];
    struct td_array img = {0};
    struct td_array bg = {0};
    struct td_array bgi = {0};
    struct td_array bgo = {0};
    struct td_csv feat = {0};
    struct td_csv masks = {0};
    struct ref_events r = {0};
    struct tally t = {0};
    struct dcn_label_process_opts o = {true, true, v->clo};
    size_t n;
    size_t h;
    size_t w;
    size_t e = 0;
    int16_t *corr = NULL;
    uint8_t *mask = NULL;
    uint8_t *m = NULL;
    uint16_t *lab = NULL;
    uint16_t *fused = NULL;
    void *scratch = NULL;

    snprintf(rel, sizeof(rel), "inputs/%s.rtdc", v->stem);
    td_path(in_path, rel);
    snprintf(rel, sizeof(rel), "reference/%s/default/bg.h5", v->stem);
    td_path(bg_path, rel);
    if (!CHECK(td_read(&img, in_path, "/events/image", TD_U8) == 0) ||
        !CHECK(td_read(&bg, bg_path, "/image_bg", TD_U8) == 0) ||
        !CHECK(td_read(&bgi, bg_path, "/bg_index", TD_I64) == 0) ||
        !CHECK(td_read(&bgo, bg_path, "/bg_off", TD_F64) == 0) ||
        !CHECK(load_refs(&r, &feat, &masks, v) == 0))
        goto out;
    n = img.dims[0];
    h = img.dims[1];
    w = img.dims[2];
    CHECK_EQ(bgi.count, n);
    corr = malloc(w * h * sizeof(*corr));
    mask = malloc(w * h);
    m = malloc(w * h);
    lab = malloc(w * h * sizeof(*lab));
    fused = malloc(w * h * sizeof(*fused));
    scratch = malloc(dcn_label_process_scratch_size(w, h));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *im = (const uint8_t *)img.data + i * w * h;
        const uint8_t *b = (const uint8_t *)bg.data +
                           (size_t)((int64_t *)bgi.data)[i] * w * h;
        double off = ((double *)bgo.data)[i];
        struct dcn_corr_view cv = {corr, w, h, w};
        struct dcn_mask_view mv = {mask, w, h, w};
        size_t nobj = 0;
        size_t nmax = 0;
        size_t nfused = 0;
        size_t e1 = e;

        while (e1 < r.n && r.frame[e1] == (long)i)
            e1++;
        t.nref += e1 - e;
        if (i > 0 && memcmp(im, im - w * h, w * h) == 0) {
            CHECK_EQ(e1 - e, 0); /* duplicate frame: no events */
            continue;
        }
        for (size_t p = 0; p < w * h; p++)
            corr[p] = (int16_t)((int16_t)im[p] - (int16_t)b[p]);
        CHECK_EQ(dcn_segment_thresh(mask, &cv, &off, -6.0), 0);
        CHECK_EQ(dcn_label(lab, &nobj, &mv, i, scratch, NULL), 0);
        CHECK_EQ(dcn_label_process(&(struct dcn_label_image){lab, w, h}, &nmax,
                                   &o, i, scratch, NULL),
                 0);
        CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){fused, w, h},
                                       &nfused, &mv, &o, i, scratch, NULL),
                 0);
        t.fused_differs +=
                nfused != nmax || memcmp(fused, lab, w * h * sizeof(*lab)) != 0;
        match_frame(&t, &r, e, e1, lab, nmax, w, h, i, m);
        e = e1;
    }
    CHECK_EQ(e, r.n); /* every reference event belongs to a frame */
    CHECK_EQ(t.matched, r.n);
    CHECK_EQ(t.extra_not_line, 0);
    CHECK_EQ(t.fused_differs, 0);
    printf("%s/%s (clo=%u): %zu/%zu reference masks identical, %zu "
           "candidates, %zu extra (%zu not line-like)\n",
           v->stem, v->name, v->clo, t.matched, r.n, t.candidates, t.extra,
           t.extra_not_line);
out:
    free(corr);
    free(mask);
    free(m);
    free(lab);
    free(fused);
    free(scratch);
    free(r.frame);
    free(r.sum);
    free(r.md5);
    td_csv_release(&feat);
    td_csv_release(&masks);
    td_array_release(&img);
    td_array_release(&bg);
    td_array_release(&bgi);
    td_array_release(&bgo);
}

/* skimage remove_small_objects(max_size=10): drop 4-connected objects of
 * at most 10 pixels (dcnum's test does this; the pipeline gates on
 * 8-connected labels instead). */
static void
remove_small_4(uint8_t *m, size_t w, size_t h, size_t *stack, uint8_t *seen)
{
    memset(seen, 0, w * h);
    for (size_t i = 0; i < w * h; i++) {
        size_t sp = 0;
        size_t n = 0;

        if (!m[i] || seen[i])
            continue;
        seen[i] = 1;
        stack[sp++] = i;
        while (sp > 0) { /* collect the object in stack[0..n) */
            size_t p = stack[n++];
            size_t nb[4];
            size_t k = 0;

            sp--;
            if (p % w > 0)
                nb[k++] = p - 1;
            if (p % w + 1 < w)
                nb[k++] = p + 1;
            if (p >= w)
                nb[k++] = p - w;
            if (p + w < w * h)
                nb[k++] = p + w;
            for (size_t q = 0; q < k; q++) {
                if (m[nb[q]] && !seen[nb[q]]) {
                    seen[nb[q]] = 1;
                    stack[n + sp++] = nb[q];
                }
            }
        }
        if (n <= 10) {
            for (size_t q = 0; q < n; q++)
                m[stack[q]] = 0;
        }
    }
}

/*
 * dcnum's test_segm_thresh_basic on the generation-8 file
 * dcnum_thresh_example.rtdc: per unique frame, corr = image - image_bg,
 * thresh with the stored bg_off, cle=1 f=1 clo=2, small 4-connected
 * objects removed; the result must equal the OR of the stored masks.
 */
static void
test_thresh_example_masks(void)
{
    char path[PATH_MAX];
    struct td_array img = {0}, bg = {0}, off = {0}, msk = {0}, fr = {0};
    struct dcn_label_process_opts o = {true, true, 2};
    size_t n, h, w, frames = 0, bad = 0;
    int16_t *corr = NULL;
    uint8_t *mask = NULL, *want = NULL, *seen = NULL;
    uint16_t *lab = NULL;
    size_t *stack = NULL;
    void *scratch = NULL;

    td_path(path, "inputs/dcnum_thresh_example.rtdc");
    if (!CHECK(td_read(&img, path, "/events/image", TD_U8) == 0) ||
        !CHECK(td_read(&bg, path, "/events/image_bg", TD_U8) == 0) ||
        !CHECK(td_read(&off, path, "/events/bg_off", TD_F64) == 0) ||
        !CHECK(td_read(&msk, path, "/events/mask", TD_U8) == 0) ||
        !CHECK(td_read(&fr, path, "/events/frame", TD_F64) == 0))
        goto out;
    n = img.dims[0];
    h = img.dims[1];
    w = img.dims[2];
    corr = malloc(w * h * sizeof(*corr));
    mask = malloc(w * h);
    want = malloc(w * h);
    seen = malloc(w * h);
    lab = malloc(w * h * sizeof(*lab));
    stack = malloc(w * h * sizeof(*stack));
    scratch = malloc(dcn_label_process_scratch_size(w, h));
    for (size_t i = 0; i < n; i++) {
        const double *f = fr.data;
        const uint8_t *im = (const uint8_t *)img.data + i * w * h;
        const uint8_t *b = (const uint8_t *)bg.data + i * w * h;
        struct dcn_corr_view cv = {corr, w, h, w};
        struct dcn_mask_view mv = {mask, w, h, w};
        size_t nobj = 0;
        size_t nmax = 0;
        bool first = true;

        for (size_t j = 0; j < i; j++)
            first = first && f[j] != f[i];
        if (!first)
            continue;
        memset(want, 0, w * h);
        for (size_t j = i; j < n; j++) {
            const uint8_t *mj = (const uint8_t *)msk.data + j * w * h;

            for (size_t p = 0; f[j] == f[i] && p < w * h; p++)
                want[p] |= mj[p] != 0;
        }
        for (size_t p = 0; p < w * h; p++)
            corr[p] = (int16_t)((int16_t)im[p] - (int16_t)b[p]);
        CHECK_EQ(dcn_segment_thresh(mask, &cv, &((double *)off.data)[i], -6.0),
                 0);
        CHECK_EQ(dcn_label(lab, &nobj, &mv, i, scratch, NULL), 0);
        CHECK_EQ(dcn_label_process(&(struct dcn_label_image){lab, w, h}, &nmax,
                                   &o, i, scratch, NULL),
                 0);
        for (size_t p = 0; p < w * h; p++)
            mask[p] = lab[p] != 0;
        remove_small_4(mask, w, h, stack, seen);
        bad += memcmp(mask, want, w * h) != 0;
        frames++;
    }
    CHECK_EQ(bad, 0);
    printf("dcnum_thresh_example (generation 8, test_segm_thresh_basic): "
           "%zu/%zu unique frames identical\n",
           frames - bad, frames);
out:
    free(corr);
    free(mask);
    free(want);
    free(seen);
    free(lab);
    free(stack);
    free(scratch);
    td_array_release(&img);
    td_array_release(&bg);
    td_array_release(&off);
    td_array_release(&msk);
    td_array_release(&fr);
}

int
main(void)
{
    static const struct variant v[] = {
            {"cytoshot-test-data", "default", 2},
            {"cytoshot-x5", "default", 2},
            {"cytoshot-x5", "clo0", 0},
            {"synth-1000", "default", 2},
            {"synth-1000", "clo0", 0},
    };

    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
        run_variant(&v[k]);
    test_thresh_example_masks();
    return check_report();
}
