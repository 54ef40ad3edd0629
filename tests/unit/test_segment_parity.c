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

/* A mask of w x h pixels for the contour trace. */
struct trace_img {
    const uint8_t *m;
    long w, h;
};

static bool
fg(const struct trace_img *t, long x, long y)
{
    return x >= 0 && y >= 0 && x < t->w && y < t->h && t->m[y * t->w + x];
}

/* The first foreground pixel in raster order; false if there is none. */
static bool
first_pixel(const struct trace_img *t, long *x, long *y)
{
    for (long i = 0; i < t->w * t->h; i++) {
        if (t->m[i]) {
            *x = i % t->w;
            *y = i / t->w;
            return true;
        }
    }
    return false;
}

/* The direction of the first neighbour of the start pixel, or -1. */
static int
start_direction(const struct trace_img *t, long x, long y)
{
    static const int first[7] = {3, 2, 1, 0, 7, 6, 5};

    for (int k = 0; k < 7; k++) {
        if (fg(t, x + dir_dx[first[k]], y + dir_dy[first[k]]))
            return first[k];
    }
    return -1;
}

/* The direction of the next contour pixel after (x, y), searching
 * counter-clockwise from direction s, or -1. */
static int
next_direction(const struct trace_img *t, long x, long y, int s)
{
    for (int k = 1; k <= 8; k++) {
        int d = (s + k) % 8;

        if (fg(t, x + dir_dx[d], y + dir_dy[d]))
            return d;
    }
    return -1;
}

/* The shoelace sum over the contour points so far. */
struct shoelace {
    double a;
    long n;
    long lastx, lasty, firstx, firsty;
};

/* append (x, y); accumulate x_prev*y - y_prev*x */
static void
shoelace_add(struct shoelace *sl, long x, long y)
{
    if (sl->n == 0) {
        sl->firstx = x;
        sl->firsty = y;
    } else {
        sl->a += (double)(sl->lastx * y - sl->lasty * x);
    }
    sl->lastx = x;
    sl->lasty = y;
    sl->n++;
}

/* numerics.md §4.1 trace + §4.2: true if the mask is invalid (line-like). */
static bool
line_like(const uint8_t *m, long w, long h)
{
    struct trace_img t = {m, w, h};
    struct shoelace sl = {0.0, 0, 0, 0, 0, 0};
    long p0x, p0y, p1x, p1y, cx, cy;
    int s;

    if (!first_pixel(&t, &p0x, &p0y))
        return true;
    s = start_direction(&t, p0x, p0y);
    if (s < 0)
        return true; /* one point */
    p1x = p0x + dir_dx[s];
    p1y = p0y + dir_dy[s];
    cx = p0x;
    cy = p0y;
    for (long guard = 0; guard < 8 * w * h + 8; guard++) {
        int sp = next_direction(&t, cx, cy, s);
        long nx = cx + dir_dx[sp];
        long ny = cy + dir_dy[sp];

        shoelace_add(&sl, cx, cy);
        if (nx == p0x && ny == p0y && cx == p1x && cy == p1y)
            break;
        cx = nx;
        cy = ny;
        s = (sp + 4) % 8;
    }
    sl.a += (double)(sl.lastx * sl.firsty - sl.lasty * sl.firstx);
    return sl.n == 1 || sl.a == 0.0;
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
    char path[PATH_MAX];
    int cbm;
    int csum;
    int cmd5;

    if (td_reference_path(path, v->stem, v->name, "features.csv") != 0 ||
        td_csv_load(feat, path) != 0)
        return -1;
    if (td_reference_path(path, v->stem, v->name, "masks.csv") != 0 ||
        td_csv_load(masks, path) != 0)
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

/* One variant: the input, dcnum's background and events, the buffers of
 * one frame and the tally. */
struct variant_run {
    const struct variant *v;
    struct td_array img, bg, bgi, bgo;
    struct td_csv feat, masks;
    struct ref_events r;
    struct tally t;
    struct dcn_label_process_opts o;
    size_t n, h, w;
    int16_t *corr;
    uint8_t *mask;
    uint8_t *m; /* one candidate's mask */
    uint16_t *lab;
    uint16_t *fused;
    void *scratch;
};

/* A candidate that is not the next reference event of its frame. */
static void
report_extra(struct variant_run *vr, size_t frame, uint16_t id,
             const struct dcn_label_stats *s)
{
    bool line = line_like(vr->m, (long)vr->w, (long)vr->h);

    vr->t.extra++;
    vr->t.extra_not_line += !line;
    printf("    extra candidate: frame %zu label %u, %u px, bbox "
           "x %u..%u y %u..%u, %s\n",
           frame, id, s->count, s->x0, s->x1, s->y0, s->y1,
           line ? "line-like (zero contour area)" : "NOT line-like");
}

/* Match the candidates of the frame's labels with ref events [e0, e1). */
static void
match_frame(struct variant_run *vr, size_t e0, size_t e1, size_t nmax,
            size_t frame)
{
    const struct ref_events *r = &vr->r;
    size_t fs = vr->w * vr->h;
    struct dcn_label_stats *st = calloc(nmax + 1, sizeof(*st));
    uint16_t *ids = calloc(nmax + 1, sizeof(*ids));
    size_t nc;
    size_t e = e0;
    size_t nl = 0;

    CHECK_EQ(dcn_label_sizes(st, nmax, &nl, vr->lab, vr->w, vr->h), 0);
    CHECK_EQ(nl, nmax);
    nc = dcn_label_candidates(ids, st, nmax, 0);
    vr->t.candidates += nc;
    for (size_t k = 0; k < nc; k++) {
        const struct dcn_label_stats *s = &st[ids[k] - 1];
        char hex[33];

        for (size_t i = 0; i < fs; i++)
            vr->m[i] = vr->lab[i] == ids[k];
        dcn__md5_hex(hex, vr->m, fs);
        if (e < e1 && strcmp(hex, r->md5[e]) == 0 &&
            (long)s->count == r->sum[e]) {
            vr->t.matched++;
            e++;
            continue;
        }
        report_extra(vr, frame, ids[k], s);
    }
    if (e < e1)
        printf("    frame %zu: %zu reference events not matched\n", frame,
               e1 - e);
    free(st);
    free(ids);
}

/* The input images, dcnum's background and reference events. */
static int
read_variant(struct variant_run *vr)
{
    char in_path[PATH_MAX];
    char bg_path[PATH_MAX];

    if (!CHECK(td_input_path(in_path, vr->v->stem) == 0) ||
        !CHECK(td_reference_path(bg_path, vr->v->stem, "default", "bg.h5") ==
               0))
        return -1;
    if (!CHECK(td_read(&vr->img, in_path, "/events/image", TD_U8) == 0) ||
        !CHECK(td_read(&vr->bg, bg_path, "/image_bg", TD_U8) == 0) ||
        !CHECK(td_read(&vr->bgi, bg_path, "/bg_index", TD_I64) == 0) ||
        !CHECK(td_read(&vr->bgo, bg_path, "/bg_off", TD_F64) == 0) ||
        !CHECK(load_refs(&vr->r, &vr->feat, &vr->masks, vr->v) == 0))
        return -1;
    return 0;
}

static void
alloc_frame_buffers(struct variant_run *vr)
{
    size_t fs = vr->w * vr->h;

    vr->corr = malloc(fs * sizeof(*vr->corr));
    vr->mask = malloc(fs);
    vr->m = calloc(fs, 1);
    vr->lab = malloc(fs * sizeof(*vr->lab));
    vr->fused = malloc(fs * sizeof(*vr->fused));
    vr->scratch = malloc(dcn_label_process_scratch_size(vr->w, vr->h));
}

/* thresh -> label -> process of frame i into vr->lab (and the fused call
 * into vr->fused, which must agree); returns nmax. */
static size_t
segment_frame(struct variant_run *vr, size_t i)
{
    size_t w = vr->w, h = vr->h, fs = w * h;
    const uint8_t *im = (const uint8_t *)vr->img.data + i * fs;
    const uint8_t *b = (const uint8_t *)vr->bg.data +
                       (size_t)((int64_t *)vr->bgi.data)[i] * fs;
    double off = ((double *)vr->bgo.data)[i];
    struct dcn_corr_view cv = {vr->corr, w, h, w};
    struct dcn_mask_view mv = {vr->mask, w, h, w};
    size_t nobj = 0, nmax = 0, nfused = 0;

    for (size_t p = 0; p < fs; p++)
        vr->corr[p] = (int16_t)((int16_t)im[p] - (int16_t)b[p]);
    CHECK_EQ(dcn_segment_thresh(vr->mask, &cv, &off, -6.0), 0);
    CHECK_EQ(dcn_label(vr->lab, &nobj, &mv, i, vr->scratch, NULL), 0);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){vr->lab, w, h}, &nmax,
                               &vr->o, i, vr->scratch, NULL),
             0);
    CHECK_EQ(dcn_label_and_process(&(struct dcn_label_image){vr->fused, w, h},
                                   &nfused, &mv, &vr->o, i, vr->scratch, NULL),
             0);
    vr->t.fused_differs += nfused != nmax || memcmp(vr->fused, vr->lab,
                                                    fs * sizeof(*vr->lab)) != 0;
    return nmax;
}

/* Frame i against the reference events from e on; returns the first event
 * of the next frame. */
static size_t
check_frame(struct variant_run *vr, size_t i, size_t e)
{
    size_t fs = vr->w * vr->h;
    const uint8_t *im = (const uint8_t *)vr->img.data + i * fs;
    size_t e1 = e;

    while (e1 < vr->r.n && vr->r.frame[e1] == (long)i)
        e1++;
    vr->t.nref += e1 - e;
    if (i > 0 && memcmp(im, im - fs, fs) == 0) {
        CHECK_EQ(e1 - e, 0); /* duplicate frame: no events */
        return e;
    }
    match_frame(vr, e, e1, segment_frame(vr, i), i);
    return e1;
}

static void
release_variant(struct variant_run *vr)
{
    free(vr->corr);
    free(vr->mask);
    free(vr->m);
    free(vr->lab);
    free(vr->fused);
    free(vr->scratch);
    free(vr->r.frame);
    free(vr->r.sum);
    free(vr->r.md5);
    td_csv_release(&vr->feat);
    td_csv_release(&vr->masks);
    td_array_release(&vr->img);
    td_array_release(&vr->bg);
    td_array_release(&vr->bgi);
    td_array_release(&vr->bgo);
}

static void
run_variant(const struct variant *v)
{
    static struct variant_run vr;
    size_t e = 0;

    memset(&vr, 0, sizeof(vr));
    vr.v = v;
    vr.o = (struct dcn_label_process_opts){true, true, v->clo};
    if (read_variant(&vr) != 0)
        goto out;
    vr.n = vr.img.dims[0];
    vr.h = vr.img.dims[1];
    vr.w = vr.img.dims[2];
    CHECK_EQ(vr.bgi.count, vr.n);
    alloc_frame_buffers(&vr);
    for (size_t i = 0; i < vr.n; i++)
        e = check_frame(&vr, i, e);
    CHECK_EQ(e, vr.r.n); /* every reference event belongs to a frame */
    CHECK_EQ(vr.t.matched, vr.r.n);
    CHECK_EQ(vr.t.extra_not_line, 0);
    CHECK_EQ(vr.t.fused_differs, 0);
    printf("%s/%s (clo=%u): %zu/%zu reference masks identical, %zu "
           "candidates, %zu extra (%zu not line-like)\n",
           v->stem, v->name, v->clo, vr.t.matched, vr.r.n, vr.t.candidates,
           vr.t.extra, vr.t.extra_not_line);
out:
    release_variant(&vr);
}

/* The 4-neighbours of pixel p inside a w x h frame; returns their count. */
static size_t
neighbours4(size_t p, size_t w, size_t h, size_t nb[4])
{
    size_t x = w > 0 ? p % w : 0;
    size_t k = 0;

    if (x > 0)
        nb[k++] = p - 1;
    if (x + 1 < w)
        nb[k++] = p + 1;
    if (p >= w)
        nb[k++] = p - w;
    if (p + w < w * h)
        nb[k++] = p + w;
    return k;
}

/* The 4-connected object of m holding pixel seed into stack[0..n), marked
 * in seen; returns n. */
static size_t
collect_object_4(const uint8_t *m, size_t w, size_t h, size_t *stack,
                 uint8_t *seen, size_t seed)
{
    size_t sp = 0;
    size_t n = 0;

    seen[seed] = 1;
    stack[sp++] = seed;
    while (sp > 0) { /* collect the object in stack[0..n) */
        size_t p = stack[n++];
        size_t nb[4];
        size_t k = neighbours4(p, w, h, nb);

        sp--;
        for (size_t q = 0; q < k; q++) {
            if (m[nb[q]] && !seen[nb[q]]) {
                seen[nb[q]] = 1;
                stack[n + sp++] = nb[q];
            }
        }
    }
    return n;
}

/* skimage remove_small_objects(max_size=10): drop 4-connected objects of
 * at most 10 pixels (dcnum's test does this; the pipeline gates on
 * 8-connected labels instead). */
static void
remove_small_4(uint8_t *m, size_t w, size_t h, size_t *stack, uint8_t *seen)
{
    if (w == 0)
        return;
    memset(seen, 0, w * h);
    for (size_t i = 0; i < w * h; i++) {
        size_t n;

        if (!m[i] || seen[i])
            continue;
        n = collect_object_4(m, w, h, stack, seen, i);
        if (n <= 10) {
            for (size_t q = 0; q < n; q++)
                m[stack[q]] = 0;
        }
    }
}

/* dcnum_thresh_example.rtdc and the buffers of one frame. */
struct thresh_example {
    struct td_array img, bg, off, msk, fr;
    struct dcn_label_process_opts o;
    size_t n, h, w;
    int16_t *corr;
    uint8_t *mask, *want, *seen;
    uint16_t *lab;
    size_t *stack;
    void *scratch;
};

static int
read_thresh_example(struct thresh_example *te)
{
    char path[PATH_MAX];

    td_path(path, "inputs/dcnum_thresh_example.rtdc");
    if (!CHECK(td_read(&te->img, path, "/events/image", TD_U8) == 0) ||
        !CHECK(td_read(&te->bg, path, "/events/image_bg", TD_U8) == 0) ||
        !CHECK(td_read(&te->off, path, "/events/bg_off", TD_F64) == 0) ||
        !CHECK(td_read(&te->msk, path, "/events/mask", TD_U8) == 0) ||
        !CHECK(td_read(&te->fr, path, "/events/frame", TD_F64) == 0))
        return -1;
    te->n = te->img.dims[0];
    te->h = te->img.dims[1];
    te->w = te->img.dims[2];
    return 0;
}

static void
alloc_example_buffers(struct thresh_example *te)
{
    size_t fs = te->w * te->h;

    te->corr = malloc(fs * sizeof(*te->corr));
    te->mask = malloc(fs);
    te->want = malloc(fs);
    te->seen = malloc(fs);
    te->lab = malloc(fs * sizeof(*te->lab));
    te->stack = malloc(fs * sizeof(*te->stack));
    te->scratch = malloc(dcn_label_process_scratch_size(te->w, te->h));
}

/* Is event i the first of its frame? */
static bool
first_of_frame(const struct thresh_example *te, size_t i)
{
    const double *f = te->fr.data;

    for (size_t j = 0; j < i; j++) {
        if (f[j] == f[i])
            return false;
    }
    return true;
}

/* The OR of the stored masks of event i's frame into te->want. */
static void
stored_masks_of_frame(struct thresh_example *te, size_t i)
{
    const double *f = te->fr.data;
    size_t fs = te->w * te->h;

    memset(te->want, 0, fs);
    for (size_t j = i; j < te->n; j++) {
        const uint8_t *mj = (const uint8_t *)te->msk.data + j * fs;

        for (size_t p = 0; f[j] == f[i] && p < fs; p++)
            te->want[p] |= mj[p] != 0;
    }
}

/* thresh -> label -> process -> remove_small_4 of event i's frame into
 * te->mask. */
static void
segment_example(struct thresh_example *te, size_t i)
{
    size_t w = te->w, h = te->h, fs = w * h;
    const uint8_t *im = (const uint8_t *)te->img.data + i * fs;
    const uint8_t *b = (const uint8_t *)te->bg.data + i * fs;
    struct dcn_corr_view cv = {te->corr, w, h, w};
    struct dcn_mask_view mv = {te->mask, w, h, w};
    size_t nobj = 0;
    size_t nmax = 0;

    for (size_t p = 0; p < fs; p++)
        te->corr[p] = (int16_t)((int16_t)im[p] - (int16_t)b[p]);
    CHECK_EQ(dcn_segment_thresh(te->mask, &cv, &((double *)te->off.data)[i],
                                -6.0),
             0);
    CHECK_EQ(dcn_label(te->lab, &nobj, &mv, i, te->scratch, NULL), 0);
    CHECK_EQ(dcn_label_process(&(struct dcn_label_image){te->lab, w, h}, &nmax,
                               &te->o, i, te->scratch, NULL),
             0);
    for (size_t p = 0; p < fs; p++)
        te->mask[p] = te->lab[p] != 0;
    remove_small_4(te->mask, w, h, te->stack, te->seen);
}

static void
release_example(struct thresh_example *te)
{
    free(te->corr);
    free(te->mask);
    free(te->want);
    free(te->seen);
    free(te->lab);
    free(te->stack);
    free(te->scratch);
    td_array_release(&te->img);
    td_array_release(&te->bg);
    td_array_release(&te->off);
    td_array_release(&te->msk);
    td_array_release(&te->fr);
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
    static struct thresh_example te;
    size_t frames = 0, bad = 0;

    memset(&te, 0, sizeof(te));
    te.o = (struct dcn_label_process_opts){true, true, 2};
    if (read_thresh_example(&te) != 0)
        goto out;
    alloc_example_buffers(&te);
    for (size_t i = 0; i < te.n; i++) {
        if (!first_of_frame(&te, i))
            continue;
        stored_masks_of_frame(&te, i);
        segment_example(&te, i);
        bad += memcmp(te.mask, te.want, te.w * te.h) != 0;
        frames++;
    }
    CHECK_EQ(bad, 0);
    printf("dcnum_thresh_example (generation 8, test_segm_thresh_basic): "
           "%zu/%zu unique frames identical\n",
           frames - bad, frames);
out:
    release_example(&te);
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
