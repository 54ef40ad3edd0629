/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_copy.c - features copied from an input file (format.md
 * §2.6 copy_features, §3.6, D9): a verbatim H5Ocopy (layout, filters,
 * attributes), except that a virtual dataset is written out as a real
 * dcnum-style feature dataset; and the mapped copy, output event i =
 * source row map[i], read in blocks where the rows lie close together.
 */
#include <hdf5.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_write_internal.h"

/* ---- a feature of the input ------------------------------------------ */

/* A feature of an input file being copied. */
struct feat_src {
    const char *src_path; /* input file */
    const char *src_dset; /* dataset in it */
    hid_t sd;
    hid_t ftype; /* file type, used for the copy too */
    hid_t mtype; /* its native memory type */
    hsize_t dims[3];
    int rank; /* 1 or 3 */
};

#define FEAT_SRC_INIT(file, dset)                                          \
    {                                                                      \
        (file), (dset), H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, \
                {0, 0, 0}, 0                                               \
    }

static void
feat_src_release(struct feat_src *f)
{
    dcn__wr_close_id(f->mtype);
    dcn__wr_close_id(f->ftype);
    dcn__wr_close_id(f->sd);
}

/* Open f->src_dset in src for a feature copy: numeric, rank 1 or 3. */
static int
feat_src_open(struct feat_src *f, hid_t src, struct dcn_error *err)
{
    hid_t space;

    f->sd = H5Dopen2(src, f->src_dset, H5P_DEFAULT);
    if (f->sd < 0)
        return ERR_SET(err, DCN_ENOTFOUND, "%s: %s: cannot open dataset",
                       f->src_path, f->src_dset);
    space = H5Dget_space(f->sd);
    f->rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (f->rank == 1 || f->rank == 3)
        H5Sget_simple_extent_dims(space, f->dims, NULL);
    dcn__wr_close_id(space);
    if (f->rank != 1 && f->rank != 3)
        return ERR_SET(err, DCN_EFORMAT,
                       "%s: %s: rank %d (need 1 or 3) cannot be copied",
                       f->src_path, f->src_dset, f->rank);
    f->ftype = H5Dget_type(f->sd);
    if (f->ftype < 0 || (H5Tget_class(f->ftype) != H5T_INTEGER &&
                         H5Tget_class(f->ftype) != H5T_FLOAT))
        return ERR_SET(err, DCN_EFORMAT, "%s: %s: not a numeric feature",
                       f->src_path, f->src_dset);
    f->mtype = H5Tget_native_type(f->ftype, H5T_DIR_ASCEND);
    if (f->mtype < 0)
        return ERR_SET(err, DCN_EIO, "%s: %s: cannot map type", f->src_path,
                       f->src_dset);
    return DCN_OK;
}

/* A dcnum feature dataset at path shaped like f. */
static int
feat_src_create(struct dcn_writer *w, struct dcn_wdset **ds, const char *path,
                const struct feat_src *f, struct dcn_error *err)
{
    bool image = f->rank == 3;
    struct feat_type t = {f->ftype, f->mtype, image ? (size_t)f->dims[1] : 0,
                          image ? (size_t)f->dims[2] : 0};

    return dcn__wr_feature_create(w, ds, path, &t, err);
}

/* Read rows [r0, r0+nr) of an (N, ...) dataset (rank 1 or 3) into buf. */
static int
read_rows(const struct feat_src *f, hsize_t r0, hsize_t nr, void *buf)
{
    int rank = f->rank;
    hid_t fspace = H5Dget_space(f->sd);
    hid_t mspace = H5I_INVALID_HID;
    hsize_t start[8] = {0};
    hsize_t count[8];
    int rc = -1;
    int k;

    if (fspace < 0)
        return -1;
    start[0] = r0;
    count[0] = nr;
    for (k = 1; k < rank && k < 3; k++)
        count[k] = f->dims[k];
    mspace = H5Screate_simple(rank, count, NULL);
    if (mspace >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >=
                0 &&
        H5Dread(f->sd, f->mtype, mspace, fspace, H5P_DEFAULT, buf) >= 0)
        rc = 0;
    dcn__wr_close_id(mspace);
    dcn__wr_close_id(fspace);
    return rc;
}

/* Rows [r0, r0+nr) of f into buf. */
static int
feat_src_read(const struct feat_src *f, hsize_t r0, hsize_t nr, void *buf,
              struct dcn_error *err)
{
    if (read_rows(f, r0, nr, buf) < 0)
        return ERR_SET(err, DCN_EIO, "%s: %s: cannot read rows %llu..%llu",
                       f->src_path, f->src_dset, (unsigned long long)r0,
                       (unsigned long long)(r0 + nr - 1));
    return DCN_OK;
}

/* ---- verbatim copies (D9: a virtual dataset is written out) ---------- */

/* Write a virtual dataset out as a real one (D9). */
static int
materialize(struct dcn_writer *w, hid_t src, const char *src_path,
            const char *src_dset, const char *dst, struct dcn_error *err)
{
    struct feat_src f = FEAT_SRC_INIT(src_path, src_dset);
    char aname[ATTR_NAME_MAX];
    struct dcn_wdset *ds = NULL;
    void *buf = NULL;
    hsize_t r;
    size_t block;
    int rc;

    rc = feat_src_open(&f, src, err);
    if (rc == DCN_OK)
        rc = feat_src_create(w, &ds, dst, &f, err);
    if (rc < 0)
        goto out;
    block = ds->chunk_len * 10;
    buf = dcn__mallocarray(block, ds->event_bytes);
    if (buf == NULL) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", dst);
        goto out;
    }
    for (r = 0; r < f.dims[0] && rc == DCN_OK; r += block) {
        hsize_t nr = f.dims[0] - r < block ? f.dims[0] - r : block;

        rc = feat_src_read(&f, r, nr, buf, err);
        if (rc == DCN_OK)
            rc = dcn__wdset_append(ds, buf, (size_t)nr, err);
    }
    if (rc < 0)
        goto out;
    rc = dcn__wr_copy_all_attrs(ds->dset, f.sd, NULL, aname);
    if (rc < 0) {
        rc = FAIL(w, err, rc, "%s: cannot copy attribute \"%s\" of %s", dst,
                  aname, src_path);
        goto out;
    }
    rc = dcn__wdset_close(ds, err);
out:
    dcn__free(buf);
    feat_src_release(&f);
    return rc;
}

int
dcn__writer_copy_dataset(struct dcn_writer *w, const char *src_path,
                         const char *src_dset, const char *dst,
                         struct dcn_error *err)
{
    hid_t src = H5I_INVALID_HID;
    hid_t sd = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    hid_t ocpl = H5I_INVALID_HID;
    H5D_layout_t layout;
    int ex;
    int rc;

    dcn__wr_quiet();
    ex = dcn__wr_path_exists(w->file, dst);
    if (ex != 0)
        return ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", dst)
                      : FAIL(w, err, DCN_EEXIST, "%s: dataset exists", dst);
    src = dcn__wr_open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    sd = H5Dopen2(src, src_dset, H5P_DEFAULT);
    if (sd < 0) {
        rc = ERR_SET(err, DCN_ENOTFOUND, "%s: %s: cannot open dataset",
                     src_path, src_dset);
        goto out;
    }
    dcpl = H5Dget_create_plist(sd);
    layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    dcn__wr_close_id(sd);
    sd = H5I_INVALID_HID;
    if (layout == H5D_LAYOUT_ERROR) {
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read layout", src_path,
                     src_dset);
        goto out;
    }
    if (layout == H5D_VIRTUAL) {
        rc = materialize(w, src, src_path, src_dset, dst, err);
        goto out;
    }
    rc = dcn__wr_ensure_parent(w, dst, err);
    if (rc < 0)
        goto out;
    ocpl = H5Pcreate(H5P_OBJECT_COPY);
    if (ocpl < 0 ||
        H5Ocopy(src, src_dset, w->file, dst, ocpl, H5P_DEFAULT) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot copy %s from %s", dst, src_dset,
                  src_path);
        goto out;
    }
    rc = DCN_OK;
out:
    dcn__wr_close_id(ocpl);
    dcn__wr_close_id(dcpl);
    dcn__wr_close_id(sd);
    dcn__wr_close_id(src);
    return rc;
}

/* ---- mapped copies --------------------------------------------------- */

/* Scratch of a mapped copy: a span of source rows and one output block. */
struct gather {
    uint8_t *rows;   /* span_cap rows */
    size_t span_cap; /* rows read in one go at most */
    uint8_t *out;    /* chunk_len rows */
    size_t event_bytes;
};

/* Output rows out[k] = source row map[k], k < nb: one block read when the
 * rows are close together (the usual non-decreasing basinmap0), else row
 * by row.  map values are in range. */
static int
gather_rows(const struct feat_src *f, const struct gather *g,
            const uint64_t *map, size_t nb, struct dcn_error *err)
{
    uint64_t lo = map[0];
    uint64_t hi = map[0];
    size_t eb = g->event_bytes;
    size_t k;
    int rc = DCN_OK;

    for (k = 1; k < nb; k++) {
        lo = map[k] < lo ? map[k] : lo;
        hi = map[k] > hi ? map[k] : hi;
    }
    if (hi - lo + 1 > g->span_cap) {
        for (k = 0; k < nb && rc == DCN_OK; k++)
            rc = feat_src_read(f, map[k], 1, g->out + k * eb, err);
        return rc;
    }
    rc = feat_src_read(f, lo, hi - lo + 1, g->rows, err);
    for (k = 0; k < nb && rc == DCN_OK; k++)
        memcpy(g->out + k * eb, g->rows + (map[k] - lo) * eb, eb);
    return rc;
}

int
dcn__writer_copy_mapped( // NOLINT(readability-function-size): 8-arg public API
        struct dcn_writer *w, const char *src_path, const char *src_dset,
        const char *dst_group, const char *name, const uint64_t *map, size_t n,
        struct dcn_error *err)
{
    struct feat_src f = FEAT_SRC_INIT(src_path, src_dset);
    struct gather g = {NULL, 0, NULL, 0};
    struct dcn_wdset *ds = NULL;
    char path[512];
    hid_t src;
    size_t i0;
    int rc;

    dcn__wr_quiet();
    rc = dcn__wr_feature_path(w, path, sizeof(path), dst_group, name, err);
    if (rc < 0)
        return rc;
    src = dcn__wr_open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    rc = feat_src_open(&f, src, err);
    for (i0 = 0; i0 < n && rc == DCN_OK; i0++)
        if (map[i0] >= f.dims[0])
            rc = FAIL(w, err, DCN_ERANGE,
                      "%s: event %zu maps to row %llu of %s:%s (%llu rows)",
                      path, i0, (unsigned long long)map[i0], src_path, src_dset,
                      (unsigned long long)f.dims[0]);
    if (rc == DCN_OK)
        rc = feat_src_create(w, &ds, path, &f, err);
    if (rc < 0)
        goto out;
    g.event_bytes = ds->event_bytes;
    g.span_cap = 4 * ds->chunk_len;
    g.rows = dcn__mallocarray(g.span_cap, g.event_bytes);
    g.out = dcn__mallocarray(ds->chunk_len, g.event_bytes);
    if (g.rows == NULL || g.out == NULL)
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    for (i0 = 0; i0 < n && rc == DCN_OK; i0 += ds->chunk_len) {
        size_t nb = n - i0 < ds->chunk_len ? n - i0 : ds->chunk_len;

        rc = gather_rows(&f, &g, map + i0, nb, err);
        if (rc == DCN_OK)
            rc = dcn__wdset_append(ds, g.out, nb, err);
    }
    if (rc == DCN_OK)
        rc = dcn__wdset_close(ds, err);
out:
    dcn__free(g.out);
    dcn__free(g.rows);
    feat_src_release(&f);
    dcn__wr_close_id(src);
    return rc;
}
