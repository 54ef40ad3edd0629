/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_chunks.c - image frames as stored chunks (format.md §4.5):
 * the reader fetches, the workers decode.
 *
 * dcn_rtdc_image_fetch() (reader thread) copies the stored bytes of each
 * chunk that covers frames [a, b) into the caller's staging buffer with
 * H5Dread_chunk and describes it in a struct dcn_chunk_ref; for a layout
 * the workers cannot decode, or a staging buffer too small, it reads the
 * decoded frames with H5Dread instead.  dcn_rtdc_image_decode() (workers,
 * no HDF5 call) decodes the staged chunks (chunk_decode.h) and places
 * their rows; whole-image chunks inside the range decode straight into
 * the destination.  dcn_rtdc_image_read() does both on the calling
 * thread.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_read_internal.h"

/* ---- fetch (reader thread) ------------------------------------------- */

/* Chunk rows (first, last) covering dataset rows for frames [a, b). */
static void
chunk_span(const struct dcn_rtdc_image *im, const uint64_t *rows, uint64_t a,
           uint64_t b, uint64_t *c_first, uint64_t *c_last)
{
    uint64_t lo;
    uint64_t hi;
    uint64_t c0 = im->layout.chunk[0];

    dcn__rd_row_span(rows, a, b, &lo, &hi);
    *c_first = lo / c0;
    *c_last = hi / c0;
}

size_t
dcn_rtdc_image_fetch_max_refs(const struct dcn_rtdc_image *im,
                              uint64_t max_frames)
{
    const struct dcn_image_layout *l = &im->layout;
    uint64_t worst = 0;

    if (!l->raw || max_frames == 0)
        return 0;
    if (im->rows == NULL) {
        /* any alignment: a range of m frames touches <= (m-2)/c + 2 */
        worst = (max_frames + l->chunk[0] - 2) / l->chunk[0] + 1;
    } else {
        /* windows at multiples of max_frames over the mapped frames */
        for (uint64_t a = 0; a < im->n; a += max_frames) {
            uint64_t b = a + max_frames < im->n ? a + max_frames : im->n;
            uint64_t c0;
            uint64_t c1;

            chunk_span(im, im->rows, a, b, &c0, &c1);
            if (c1 - c0 + 1 > worst)
                worst = c1 - c0 + 1;
        }
    }
    return (size_t)(worst * l->ntiles);
}

size_t
dcn_rtdc_image_fetch_bound(const struct dcn_rtdc_image *im, uint64_t max_frames)
{
    return dcn_rtdc_image_fetch_max_refs(im, max_frames) * im->max_stored;
}

/* Bytes of the decoded-chunk buffer at the start of a worker's decode
 * scratch, a multiple of 64; the codec's own scratch follows it. */
static size_t
chunk_buf_size(const struct dcn_image_layout *l)
{
    return (dcn_chunk_decode_dst_size(l->chunk_bytes) + 63u) & ~(size_t)63u;
}

size_t
dcn_rtdc_image_decode_scratch_size(const struct dcn_image_layout *l)
{
    if (!l->raw)
        return 0;
    return chunk_buf_size(l) + dcn_chunk_decode_scratch_size(l->chunk_bytes);
}

/* H5Dread fallback: decoded frames straight into dst. */
static int
fetch_fallback(struct dcn_rtdc_image *im, uint64_t a, uint64_t b, uint8_t *dst,
               struct dcn_error *err)
{
    hid_t fspace = H5Dget_space(im->dset);
    hid_t mspace = H5I_INVALID_HID;
    size_t fbytes = (size_t)(im->height * im->width);
    int rc = DCN_OK;
    uint64_t j = a;

    if (fspace < 0)
        return dcn_error_set(err, DCN_EIO, "%s: %s: cannot read dataspace",
                             im->fname, im->dpath);
    while (j < b) {
        uint64_t row = im->rows != NULL ? im->rows[j] : j;
        uint64_t run = 1;
        hsize_t start[3] = {row, 0, 0};
        hsize_t count[3];

        /* merge consecutive rows into one hyperslab */
        while (j + run < b &&
               (im->rows == NULL || im->rows[j + run] == row + run))
            run++;
        count[0] = run;
        count[1] = im->height;
        count[2] = im->width;
        mspace = H5Screate_simple(3, count, NULL);
        if (mspace < 0 ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count,
                                NULL) < 0 ||
            H5Dread(im->dset, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT,
                    dst + (j - a) * fbytes) < 0) {
            rc = dcn_error_set(err, DCN_EIO,
                               "%s: cannot read dataset %s, frames "
                               "%llu-%llu (rows from %llu)",
                               im->fname, im->dpath, (unsigned long long)j,
                               (unsigned long long)(j + run - 1),
                               (unsigned long long)row);
            break;
        }
        H5Sclose(mspace);
        mspace = H5I_INVALID_HID;
        j += run;
    }
    if (mspace >= 0)
        H5Sclose(mspace);
    H5Sclose(fspace);
    return rc;
}

/* Copy the stored chunk at off into the staging buffer after *used and
 * describe it in the next ref; *room false if it does not fit. */
static int
stage_chunk(struct dcn_rtdc_image *im, const hsize_t off[3],
            struct dcn_image_fetch *f, size_t *used, bool *room,
            struct dcn_error *err)
{
    struct dcn_chunk_ref *ref = &f->refs[f->nrefs];
    hsize_t sz = 0;
    uint32_t mask = 0;

    /* An unallocated chunk has size 0 (its frames are the fill value);
     * a failure means a damaged chunk index, never silent zeros. */
    if (H5Dget_chunk_storage_size(im->dset, off, &sz) < 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: cannot locate the stored chunk at (%llu, "
                             "%llu, %llu) of %s; the file is damaged",
                             im->fname, (unsigned long long)off[0],
                             (unsigned long long)off[1],
                             (unsigned long long)off[2], im->dpath);
    *room = sz <= f->staging_cap - *used;
    if (!*room)
        return DCN_OK;
    if (sz > 0 && H5Dread_chunk(im->dset, H5P_DEFAULT, off, &mask,
                                (unsigned char *)f->staging + *used) < 0)
        return dcn_error_set(err, DCN_EIO,
                             "%s: cannot read the stored chunk "
                             "at (%llu, %llu, %llu) of %s",
                             im->fname, (unsigned long long)off[0],
                             (unsigned long long)off[1],
                             (unsigned long long)off[2], im->dpath);
    ref->offset = *used;
    ref->nbytes = sz;
    ref->filter_mask = mask;
    ref->coord[0] = off[0];
    ref->coord[1] = off[1];
    ref->coord[2] = off[2];
    *used += (size_t)sz;
    f->nrefs++;
    return DCN_OK;
}

/* Stage every tile of the chunk rows c_first..c_last; *room false if
 * the staging buffer is too small. */
static int
stage_chunks(struct dcn_rtdc_image *im, uint64_t c_first, uint64_t c_last,
             struct dcn_image_fetch *f, bool *room, struct dcn_error *err)
{
    const struct dcn_image_layout *l = &im->layout;
    size_t used = 0;

    *room = true;
    for (uint64_t c = c_first; c <= c_last; c++) {
        for (uint64_t y = 0; y < im->height; y += l->chunk[1]) {
            for (uint64_t x = 0; x < im->width; x += l->chunk[2]) {
                hsize_t off[3] = {c * l->chunk[0], y, x};
                int rc = stage_chunk(im, off, f, &used, room, err);

                if (rc < 0 || !*room)
                    return rc;
            }
        }
    }
    return DCN_OK;
}

int
dcn_rtdc_image_fetch(struct dcn_rtdc_image *im, uint64_t a, uint64_t b,
                     struct dcn_image_fetch *f, uint8_t *dst,
                     struct dcn_error *err)
{
    const struct dcn_image_layout *l = &im->layout;
    uint64_t c_first;
    uint64_t c_last;
    bool room = false;
    int rc;

    f->a = a;
    f->b = b;
    f->nrefs = 0;
    f->decoded = false;
    if (b <= a)
        return DCN_OK;
    if (im->rows != NULL && f->rows != NULL)
        memcpy(f->rows, im->rows + a, (size_t)(b - a) * sizeof *f->rows);
    if (!l->raw || (im->rows != NULL && f->rows == NULL))
        goto fallback;
    chunk_span(im, im->rows, a, b, &c_first, &c_last);
    if ((size_t)(c_last - c_first + 1) * l->ntiles > f->refs_cap)
        goto fallback;
    rc = stage_chunks(im, c_first, c_last, f, &room, err);
    if (rc < 0 || room)
        return rc;
fallback:
    f->nrefs = 0;
    f->decoded = true;
    if (dst == NULL)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: %s: fallback read needs a destination",
                             im->fname, im->dpath);
    return fetch_fallback(im, a, b, dst, err);
}

/* ---- decode (workers, no HDF5) --------------------------------------- */

/* One dcn_rtdc_image_decode() call: the frames wanted and the buffers. */
struct decode_job {
    uint8_t *dst; /* frames [a, b) */
    uint64_t a;
    uint64_t b;
    const struct dcn_image_layout *l;
    const struct dcn_image_fetch *f;
    const uint64_t *rows; /* dataset row of each frame of [a, b), or NULL */
    unsigned char *chunk; /* one decoded chunk (cap bytes), then scratch */
    size_t cap;
    size_t scratch_cap;
    size_t fbytes;  /* bytes of one frame */
    bool direct_ok; /* chunks hold whole images */
    const char *file_hint;
};

/* Does the stored chunk at ref hold any of the wanted rows? */
static bool
chunk_hit(const struct decode_job *j, const struct dcn_chunk_ref *ref)
{
    for (uint64_t k = 0; k < j->b - j->a; k++) {
        uint64_t row = j->rows != NULL ? j->rows[k] : j->a + k;

        if (row >= ref->coord[0] && row - ref->coord[0] < j->l->chunk[0])
            return true;
    }
    return false;
}

/* A whole-image chunk inside [a, b): decoded in place into dst. */
static bool
chunk_direct(const struct decode_job *j, const struct dcn_chunk_ref *ref)
{
    return j->rows == NULL && j->direct_ok && ref->coord[0] >= j->a &&
           ref->coord[0] + j->l->chunk[0] <= j->b && ref->nbytes > 0 &&
           dcn_chunk_decode_exact_ok(&j->l->pipeline, ref->filter_mask);
}

/* Decode the stored chunk at ref into out (out_cap bytes). */
static int
decode_stored(const struct decode_job *j, const struct dcn_chunk_ref *ref,
              unsigned char *out, size_t out_cap, struct dcn_error *err)
{
    const struct dcn_image_layout *l = j->l;
    size_t got = 0;
    char fl[128];
    int rc = dcn_chunk_decode(
            out, out_cap, &got,
            (const unsigned char *)j->f->staging + ref->offset,
            (size_t)ref->nbytes, &l->pipeline, ref->filter_mask,
            j->chunk + j->cap, j->scratch_cap - j->cap, NULL);

    if (rc == 0 && got != l->chunk_bytes)
        rc = DCN_ECORRUPT;
    if (rc >= 0)
        return DCN_OK;
    dcn_filter_pipeline_describe(fl, sizeof fl, &l->pipeline);
    return dcn_error_set(err, rc,
                         "%s: stored chunk at (%llu, %llu, %llu) "
                         "does not decode with %s (%s)",
                         j->file_hint != NULL ? j->file_hint : "image",
                         (unsigned long long)ref->coord[0],
                         (unsigned long long)ref->coord[1],
                         (unsigned long long)ref->coord[2], fl,
                         rc == DCN_ECORRUPT ? "corrupt data"
                                            : dcn_strerror(rc));
}

/* Decode the chunk at ref if it holds wanted rows, and place them. */
static int
decode_ref(const struct decode_job *j, const struct dcn_chunk_ref *ref,
           struct dcn_error *err)
{
    const struct dcn_image_layout *l = j->l;
    bool direct;
    int rc;

    /* skip chunks that hold none of the wanted rows */
    if (!chunk_hit(j, ref))
        return DCN_OK;
    direct = chunk_direct(j, ref);
    if (ref->nbytes == 0) {
        memset(j->chunk, 0, l->chunk_bytes);
    } else if (direct) {
        return decode_stored(
                j, ref, j->dst + (size_t)(ref->coord[0] - j->a) * j->fbytes,
                l->chunk_bytes, err);
    } else {
        rc = decode_stored(j, ref, j->chunk, j->cap, err);
        if (rc < 0)
            return rc;
    }
    dcn_chunk_copy_overlap(j->dst, j->a, (size_t)(j->b - j->a), j->rows,
                           (size_t)l->extent[1], (size_t)l->extent[2], 1,
                           j->chunk, ref->coord, l->chunk);
    return DCN_OK;
}

int
dcn_rtdc_image_decode( // NOLINT(readability-function-size): 9-arg public API
        uint8_t *dst, uint64_t a, uint64_t b, const struct dcn_image_layout *l,
        const struct dcn_image_fetch *f, void *scratch, size_t scratch_cap,
        const char *file_hint, struct dcn_error *err)
{
    struct decode_job j;

    if (f->decoded || b <= a)
        return DCN_OK;
    if (a < f->a || b > f->b)
        return dcn_error_set(err, DCN_EINVAL,
                             "decode range [%llu, %llu) outside the fetched "
                             "[%llu, %llu)",
                             (unsigned long long)a, (unsigned long long)b,
                             (unsigned long long)f->a,
                             (unsigned long long)f->b);
    if (scratch_cap < dcn_rtdc_image_decode_scratch_size(l))
        return dcn_error_set(err, DCN_EINVAL, "decode scratch too small");
    j.dst = dst;
    j.a = a;
    j.b = b;
    j.l = l;
    j.f = f;
    j.rows = l->mapped ? f->rows + (a - f->a) : NULL;
    j.chunk = scratch;
    j.cap = chunk_buf_size(l);
    j.scratch_cap = scratch_cap;
    j.fbytes = (size_t)(l->extent[1] * l->extent[2]);
    j.direct_ok = l->chunk[1] == l->extent[1] && l->chunk[2] == l->extent[2];
    j.file_hint = file_hint;
    for (size_t i = 0; i < f->nrefs; i++) {
        int rc = decode_ref(&j, &f->refs[i], err);

        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

int
dcn_rtdc_image_read(struct dcn_rtdc_image *im, uint64_t a, uint64_t b,
                    uint8_t *dst, struct dcn_error *err)
{
    struct dcn_image_fetch f;
    size_t nref = 0;
    size_t scap = dcn_rtdc_image_decode_scratch_size(&im->layout);
    void *scratch = NULL;
    int rc;

    memset(&f, 0, sizeof f);
    if (b <= a)
        return DCN_OK;
    if (im->layout.raw) {
        uint64_t c0;
        uint64_t c1;

        chunk_span(im, im->rows, a, b, &c0, &c1);
        nref = (size_t)(c1 - c0 + 1) * im->layout.ntiles;
    }
    f.staging_cap = nref * im->max_stored;
    f.refs_cap = nref;
    f.staging = dcn__malloc(f.staging_cap > 0 ? f.staging_cap : 1);
    f.refs = dcn__calloc(nref > 0 ? nref : 1, sizeof *f.refs);
    f.rows = dcn__mallocarray((size_t)(b - a), sizeof *f.rows);
    scratch = dcn__malloc(scap > 0 ? scap : 1);
    if (f.staging == NULL || f.refs == NULL || f.rows == NULL ||
        scratch == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", im->fname);
        goto out;
    }
    rc = dcn_rtdc_image_fetch(im, a, b, &f, dst, err);
    if (rc == 0) {
        char hint[PATH_CAP + 64];

        /* only for messages: a long file name is cut */
        (void)snprintf(hint, sizeof hint, "%s: %s", im->fname, im->dpath);
        rc = dcn_rtdc_image_decode(dst, a, b, &im->layout, &f, scratch, scap,
                                   hint, err);
    }
out:
    dcn__free(scratch);
    dcn__free(f.rows);
    dcn__free(f.refs);
    dcn__free(f.staging);
    return rc;
}
