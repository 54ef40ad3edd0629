/* SPDX-License-Identifier: MIT */
/*
 * run_bgframes.c - per-frame backgrounds that the reader thread puts into
 * each slot's image_bg (and bg_off) while it loads the chunk:
 *
 *   copy    (numerics.md §2.3): the input's own image_bg, through its
 *           basins and the run's index mapping, and its bg_off if it has
 *           one;
 *   rollmed (numerics.md §2.2): bg[r] = upper median of raw frames
 *           [r, r+K), r <= N-K-1; the last K frames use bg[N-K-1].  The
 *           streaming state (dcn_rollmed_*, 515 bytes per pixel) slides
 *           over the unmapped input in raw frame order, reading whole
 *           blocks of the input's chunk length into a ring of
 *           (ceil(K/b) + 1) * b frames.  Memory does not depend on N.
 *           A raw index that goes backwards (a list index mapping)
 *           restarts the window there.
 *
 * The workers only compute image_corr from it (state 'i').  Everything
 * here is allocated once per run; the HDF5 calls happen on the reader
 * thread (or in the main thread before any thread starts).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "background.h"
#include "run_internal.h"

/* Reads of one image feature with buffers allocated once. */
struct bg_imread {
    struct dcn_rtdc_image *im; /* borrowed from its reader */
    struct dcn_image_fetch f;
    size_t max_frames;
    void *scratch;
    size_t scratch_cap;
    char hint[128];
};

struct run_bgframes {
    struct bg_imread src; /* copy: image_bg; rollmed: raw image */
    /* rollmed */
    struct dcn_rtdc *raw; /* own unmapped reader, or NULL (run->in) */
    struct dcn_rollmed *rm;
    uint64_t n;     /* raw frames */
    size_t k, npix; /* kernel, pixels */
    size_t block;   /* frames per read (the input's chunk length) */
    size_t cap;     /* ring frames, a multiple of block */
    uint8_t *ring;  /* raw frame f at ring[(f % cap) * npix] */
    uint64_t read_to;
    int64_t have; /* cur holds bg[have], -1: none */
    uint8_t *cur;
};

static int
imread_init(struct bg_imread *r, struct dcn_rtdc_image *im, size_t max_frames,
            struct dcn_error *err)
{
    const char *file, *dset;

    memset(r, 0, sizeof(*r));
    r->im = im;
    r->max_frames = max_frames;
    r->f.staging_cap = dcn_rtdc_image_fetch_bound(im, max_frames);
    r->f.refs_cap = dcn_rtdc_image_fetch_max_refs(im, max_frames);
    r->f.staging = dcn__malloc(r->f.staging_cap ? r->f.staging_cap : 1);
    r->f.refs = dcn__calloc(r->f.refs_cap ? r->f.refs_cap : 1,
                            sizeof(struct dcn_chunk_ref));
    r->f.rows = dcn__mallocarray(max_frames, sizeof(uint64_t));
    r->scratch_cap =
            dcn_rtdc_image_decode_scratch_size(dcn_rtdc_image_layout(im));
    r->scratch = dcn__malloc(r->scratch_cap ? r->scratch_cap : 1);
    dcn_rtdc_image_source(im, &file, &dset);
    /* only names the data in error messages: a long path may be cut */
    (void)snprintf(r->hint, sizeof(r->hint), "%s: %s", file, dset);
    if (r->f.staging == NULL || r->f.refs == NULL || r->f.rows == NULL ||
        r->scratch == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    return DCN_OK;
}

static void
imread_release(struct bg_imread *r)
{
    dcn__free(r->f.staging);
    dcn__free(r->f.refs);
    dcn__free(r->f.rows);
    dcn__free(r->scratch);
}

/* Frames [a, b) (b - a <= max_frames, a a multiple of it) into dst. */
static int
imread(struct bg_imread *r, uint64_t a, uint64_t b, uint8_t *dst,
       struct dcn_error *err)
{
    int rc = dcn_rtdc_image_fetch(r->im, a, b, &r->f, dst, err);

    if (rc == DCN_OK)
        rc = dcn_rtdc_image_decode(dst, a, b, dcn_rtdc_image_layout(r->im),
                                   &r->f, r->scratch, r->scratch_cap, r->hint,
                                   err);
    return rc;
}

/* ---- copy ------------------------------------------------------------ */

static int
copy_open(struct dcn_run *run, struct run_bgframes *b)
{
    struct dcn_rtdc_image *im = NULL;
    size_t h, w;
    int rc;

    if (!dcn_rtdc_has_feature(run->in, "image_bg"))
        return dcn_error_set(&run->err, DCN_ENOTFOUND,
                             "%s: background 'copy' needs image_bg in the "
                             "input, and it has none (use sparsemed or "
                             "rollmed)",
                             run->path_in);
    rc = dcn_rtdc_image_open(run->in, "image_bg", &im, &run->err);
    if (rc < 0)
        return rc;
    dcn_rtdc_image_shape(im, &h, &w);
    if (h != run->height || w != run->width)
        return dcn_error_set(&run->err, DCN_EFORMAT,
                             "%s: image_bg is %zux%zu, image %zux%zu",
                             run->path_in, h, w, run->height, run->width);
    return imread_init(&b->src, im, run->chunk_frames, &run->err);
}

static int
copy_fill(struct dcn_run *run, struct run_bgframes *b, struct dcn_chunk_slot *s,
          uint64_t first, size_t n)
{
    int rc = imread(&b->src, first, first + n, dcn_chunk_slot_image_bg(s),
                    &run->err);

    if (rc == DCN_OK && run->bg.has_bg_off)
        rc = dcn_rtdc_scalar_read_f64(run->in, "bg_off", first, first + n,
                                      dcn_chunk_slot_bg_off(s), &run->err);
    return rc;
}

/* ---- rollmed --------------------------------------------------------- */

static int
rollmed_open(struct dcn_run *run, struct run_bgframes *b)
{
    const struct dcn_job *j = &run->resolved;
    struct dcn_rtdc *raw = run->in;
    struct dcn_rtdc_image *im = NULL;
    const struct dcn_image_layout *l;
    int rc;

    b->n = dcn_rtdc_len_raw(run->in);
    b->k = (size_t)j->rollmed.kernel_size;
    b->npix = run->height * run->width;
    b->have = -1;
    if (b->n == 0)
        return DCN_OK; /* D10: no frames, no background */
    rc = dcn_rollmed_check(b->k, (size_t)j->rollmed.batch_size, b->n,
                           &run->err);
    /* The background is computed on the unmapped input (§1). */
    if (rc == DCN_OK && j->index_mapping.kind != DCN_MAPPING_NONE) {
        struct dcn_rtdc_open_opts o;

        memset(&o, 0, sizeof(o));
        o.pixel_size = j->pixel_size;
        rc = dcn_rtdc_open(&b->raw, run->path_in, &o, &run->err);
        raw = b->raw;
    }
    if (rc == DCN_OK)
        rc = dcn_rtdc_image_open(raw, "image", &im, &run->err);
    if (rc < 0)
        return rc;
    l = dcn_rtdc_image_layout(im);
    b->block = l->raw && !l->mapped && l->chunk[0] > 0 && l->chunk[0] <= 1000
                       ? (size_t)l->chunk[0]
                       : 32;
    b->cap = ((b->k + b->block - 1) / b->block + 1) * b->block;
    b->ring = dcn__mallocarray(b->cap, b->npix);
    b->cur = dcn__malloc(b->npix);
    if (b->ring == NULL || b->cur == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    rc = dcn_rollmed_new(&b->rm, b->npix, b->k, &run->err);
    if (rc == DCN_OK)
        rc = imread_init(&b->src, im, b->block, &run->err);
    if (rc == DCN_OK)
        run_log(run, "INFO",
                "rollmed background: kernel %zu, reading %zu frames at a "
                "time",
                b->k, b->block);
    return rc;
}

static uint8_t *
ring_frame(struct run_bgframes *b, uint64_t f)
{
    return b->ring + (size_t)(f % b->cap) * b->npix;
}

/* Read blocks until raw frame f is in the ring. */
static int
ring_fill(struct dcn_run *run, struct run_bgframes *b, uint64_t f)
{
    while (b->read_to <= f) {
        uint64_t end =
                b->read_to + b->block < b->n ? b->read_to + b->block : b->n;
        int rc = imread(&b->src, b->read_to, end, ring_frame(b, b->read_to),
                        &run->err);

        if (rc < 0)
            return rc;
        b->read_to = end;
    }
    return DCN_OK;
}

/* A fresh window [t, t+K) and its median bg[t]. */
static int
rollmed_restart(struct dcn_run *run, struct run_bgframes *b, uint64_t t)
{
    int rc;

    if (b->have >= 0) /* a used state: start over (list mappings) */
        dcn_rollmed_reset(b->rm);
    b->read_to = t / b->block * b->block;
    rc = ring_fill(run, b, t + b->k - 1);
    for (size_t i = 0; rc == DCN_OK && i < b->k; i++)
        dcn_rollmed_add(b->rm, ring_frame(b, t + i), 0, b->npix);
    if (rc == DCN_OK) {
        dcn_rollmed_median(b->rm, b->cur, 0, b->npix);
        b->have = (int64_t)t;
    }
    return rc;
}

/* b->cur := background of raw frame r. */
static int
rollmed_seek(struct dcn_run *run, struct run_bgframes *b, uint64_t r)
{
    uint64_t last = b->n - b->k - 1;
    uint64_t t = r < last ? r : last;

    if (b->have < 0 || t < (uint64_t)b->have)
        return rollmed_restart(run, b, t);
    while ((uint64_t)b->have < t) {
        uint64_t i = (uint64_t)b->have + 1;
        int rc = ring_fill(run, b, i + b->k - 1);

        if (rc < 0)
            return rc;
        dcn_rollmed_step(b->rm, b->cur, ring_frame(b, i - 1),
                         ring_frame(b, i + b->k - 1), 0, b->npix);
        b->have = (int64_t)i;
    }
    return DCN_OK;
}

static int
rollmed_fill(struct dcn_run *run, struct run_bgframes *b,
             struct dcn_chunk_slot *s, uint64_t first, size_t n)
{
    uint8_t *bg = dcn_chunk_slot_image_bg(s);

    for (size_t k = 0; k < n; k++) {
        int rc = rollmed_seek(run, b, dcn_rtdc_raw_index(run->in, first + k));

        if (rc < 0)
            return rc;
        memcpy(bg + k * b->npix, b->cur, b->npix);
    }
    return DCN_OK;
}

/* ---- the reader's interface ------------------------------------------ */

int
run_bgframes_open(struct dcn_run *run)
{
    enum dcn_background_code code = run->resolved.background_code;
    int rc;

    if (code == DCN_BACKGROUND_SPARSEMED)
        return DCN_OK;
    run->bgframes = dcn__calloc(1, sizeof(*run->bgframes));
    if (run->bgframes == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    run->bgframes->have = -1;
    rc = code == DCN_BACKGROUND_COPY ? copy_open(run, run->bgframes)
                                     : rollmed_open(run, run->bgframes);
    return rc;
}

int
run_bgframes_fill(struct dcn_run *run, size_t slot, uint64_t first, size_t n)
{
    struct dcn_chunk_slot *s = dcn__slot_register_slot(run->reg, slot);

    if (run->bgframes == NULL)
        return DCN_OK;
    if (run->resolved.background_code == DCN_BACKGROUND_COPY)
        return copy_fill(run, run->bgframes, s, first, n);
    return rollmed_fill(run, run->bgframes, s, first, n);
}

void
run_bgframes_free(struct dcn_run *run)
{
    struct run_bgframes *b = run->bgframes;

    if (b == NULL)
        return;
    imread_release(&b->src);
    dcn_rollmed_free(b->rm);
    dcn__free(b->ring);
    dcn__free(b->cur);
    dcn_rtdc_free(b->raw);
    dcn__free(b);
    run->bgframes = NULL;
}
