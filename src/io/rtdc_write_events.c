/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_events.c - feature datasets (format.md §2.2-§2.4), made as
 * dcnum makes them: chunks of clamp(floor(1 MiB / event bytes), 10, 1000)
 * events, an unlimited first dimension, zstd (an optional filter) and
 * Fletcher32, fill time ALLOC, images with the three HDF5 IMAGE
 * attributes.  An existing dataset of the same type and item shape is
 * reopened; events are appended with H5Dwrite.
 *
 * The other way in, pre-encoded chunks, is rtdc_write_chunks.c; a
 * dataset takes one way or the other.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_write_internal.h"
#include "zstd_filter.h"

#define FEATURE_CHUNK_BYTES 1048576u /* dcnum: 1 MiB per chunk */
#define FEATURE_CHUNK_MIN   10u
#define FEATURE_CHUNK_MAX   1000u

/* ---- element types --------------------------------------------------- */

size_t
dcn__wtype_size(enum dcn_wtype t)
{
    switch (t) {
    case DCN_WT_U8:
        return 1;
    case DCN_WT_I32:
    case DCN_WT_U32:
    case DCN_WT_F32:
        return 4;
    case DCN_WT_I64:
    case DCN_WT_U64:
    case DCN_WT_F64:
        return 8;
    }
    return 0;
}

static hid_t
wtype_file(enum dcn_wtype t)
{
    switch (t) {
    case DCN_WT_U8:
        return H5T_STD_U8LE;
    case DCN_WT_I32:
        return H5T_STD_I32LE;
    case DCN_WT_U32:
        return H5T_STD_U32LE;
    case DCN_WT_I64:
        return H5T_STD_I64LE;
    case DCN_WT_U64:
        return H5T_STD_U64LE;
    case DCN_WT_F32:
        return H5T_IEEE_F32LE;
    case DCN_WT_F64:
        return H5T_IEEE_F64LE;
    }
    return H5I_INVALID_HID;
}

static hid_t
wtype_mem(enum dcn_wtype t)
{
    switch (t) {
    case DCN_WT_U8:
        return H5T_NATIVE_UINT8;
    case DCN_WT_I32:
        return H5T_NATIVE_INT32;
    case DCN_WT_U32:
        return H5T_NATIVE_UINT32;
    case DCN_WT_I64:
        return H5T_NATIVE_INT64;
    case DCN_WT_U64:
        return H5T_NATIVE_UINT64;
    case DCN_WT_F32:
        return H5T_NATIVE_FLOAT;
    case DCN_WT_F64:
        return H5T_NATIVE_DOUBLE;
    }
    return H5I_INVALID_HID;
}

/* ---- creation properties --------------------------------------------- */

/* Dataset creation properties with the writer's filter pipeline. */
hid_t
dcn__wr_dataset_cpl(int rank, const hsize_t *chunks, int level)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);

    if (dcpl < 0)
        return dcpl;
    if (H5Pset_obj_track_times(dcpl, 0) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0)
        goto fail;
    if (chunks != NULL) {
        if (H5Pset_chunk(dcpl, rank, chunks) < 0)
            goto fail;
        if (level > 0) {
            unsigned cd = (unsigned)level;

            if (H5Pset_filter(dcpl, DCN_H5Z_FILTER_ZSTD, H5Z_FLAG_OPTIONAL, 1,
                              &cd) < 0)
                goto fail;
        }
        if (H5Pset_fletcher32(dcpl) < 0)
            goto fail;
    }
    return dcpl;
fail:
    H5Pclose(dcpl);
    return H5I_INVALID_HID;
}

/* The three HDF5 IMAGE attrs (fixed NULLPAD ASCII, exact length). */
static int
write_image_attrs(hid_t dset)
{
    static const char *const kv[3][2] = {{"CLASS", "IMAGE"},
                                         {"IMAGE_VERSION", "1.2"},
                                         {"IMAGE_SUBCLASS", "IMAGE_GRAYSCALE"}};
    int k;

    for (k = 0; k < 3; k++) {
        hid_t t = dcn__wr_fixed_str_type(strlen(kv[k][1]));
        int rc;

        if (t < 0)
            return -1;
        rc = dcn__wr_write_scalar_attr(dset, kv[k][0], t, t, kv[k][1]);
        H5Tclose(t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- creating and reopening ------------------------------------------ */

void
dcn__wr_wdset_free(struct dcn_wdset *ds)
{
    dcn__wr_close_id(ds->dset);
    dcn__wr_close_id(ds->mtype);
    dcn__free(ds->path);
    dcn__free(ds->acc_raw);
    dcn__free(ds->enc_buf);
    dcn__free(ds);
}

static size_t
feature_chunk_len(size_t event_bytes)
{
    size_t c = FEATURE_CHUNK_BYTES / (event_bytes > 0 ? event_bytes : 1);

    if (c < FEATURE_CHUNK_MIN)
        c = FEATURE_CHUNK_MIN;
    if (c > FEATURE_CHUNK_MAX)
        c = FEATURE_CHUNK_MAX;
    return c;
}

static struct dcn_wdset *
wdset_alloc(struct dcn_writer *w, const char *path, hid_t mtype, size_t height,
            size_t width)
{
    struct dcn_wdset *ds = dcn__calloc(1, sizeof(*ds));

    if (ds == NULL)
        return NULL;
    ds->w = w;
    ds->dset = H5I_INVALID_HID;
    ds->mtype = H5Tcopy(mtype);
    ds->path = dcn__strdup(path);
    if (ds->mtype < 0 || ds->path == NULL) {
        dcn__wr_wdset_free(ds);
        return NULL;
    }
    ds->item_rank = height > 0 ? 2 : 0;
    ds->height = height;
    ds->width = width;
    ds->event_bytes = H5Tget_size(mtype) * (height > 0 ? height * width : 1);
    ds->chunk_len = feature_chunk_len(ds->event_bytes);
    ds->level = w->level;
    ds->next = w->dsets;
    w->dsets = ds;
    return ds;
}

/* Create a dcnum feature dataset of type t at path. */
int
dcn__wr_feature_create(struct dcn_writer *w, struct dcn_wdset **dsp,
                       const char *path, const struct feat_type *t,
                       struct dcn_error *err)
{
    size_t height = t->height;
    size_t width = t->width;
    struct dcn_wdset *ds = NULL;
    hid_t space = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    hid_t dapl = H5I_INVALID_HID;
    hsize_t dims[3] = {0, height, width};
    hsize_t maxdims[3] = {H5S_UNLIMITED, height, width};
    hsize_t chunks[3];
    int rank = height > 0 ? 3 : 1;
    int ex;
    int rc;

    *dsp = NULL;
    if ((height == 0) != (width == 0))
        return FAIL(w, err, DCN_EINVAL, "%s: image shape %zux%zu", path, height,
                    width);
    ex = dcn__wr_path_exists(w->file, path);
    if (ex != 0)
        return ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", path)
                      : FAIL(w, err, DCN_EEXIST, "%s: dataset exists", path);
    rc = dcn__wr_ensure_parent(w, path, err);
    if (rc < 0)
        return rc;
    ds = wdset_alloc(w, path, t->mtype, height, width);
    if (ds == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    chunks[0] = ds->chunk_len;
    chunks[1] = height;
    chunks[2] = width;
    space = H5Screate_simple(rank, dims, maxdims);
    dcpl = dcn__wr_dataset_cpl(rank, chunks, ds->level);
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (space < 0 || dcpl < 0 || dapl < 0 ||
        H5Pset_chunk_cache(dapl, 1000, (size_t)10 * 1024 * 1024, 1.0) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot set up dataset", path);
        goto out;
    }
    ds->dset =
            H5Dcreate2(w->file, path, t->ftype, space, H5P_DEFAULT, dcpl, dapl);
    if (ds->dset < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot create dataset", path);
        goto out;
    }
    if (height > 0 && write_image_attrs(ds->dset) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot write image attributes", path);
        goto out;
    }
    rc = DCN_OK;
    *dsp = ds;
out:
    dcn__wr_close_id(dapl);
    dcn__wr_close_id(dcpl);
    dcn__wr_close_id(space);
    return rc;
}

int
dcn__wr_feature_path(struct dcn_writer *w, char *buf, size_t cap,
                     const char *group, const char *name, struct dcn_error *err)
{
    if (group == NULL || name == NULL || name[0] == '\0' ||
        strchr(name, '/') != NULL)
        return FAIL(w, err, DCN_EINVAL, "bad feature name \"%s\"",
                    name != NULL ? name : "(null)");
    if ((size_t)snprintf(buf, cap, "%s/%s", group, name) >= cap)
        return FAIL(w, err, DCN_EINVAL, "%s/%s: path too long", group, name);
    return DCN_OK;
}

int
dcn__writer_feature_new(struct dcn_writer *w, struct dcn_wdset **ds,
                        const struct dcn_feature_spec *spec,
                        struct dcn_error *err)
{
    struct feat_type t = {wtype_file(spec->type), wtype_mem(spec->type),
                          spec->height, spec->width};
    char path[512];
    int rc;

    dcn__wr_quiet();
    *ds = NULL;
    rc = dcn__wr_feature_path(w, path, sizeof(path), spec->group, spec->name,
                              err);
    if (rc < 0)
        return rc;
    if (t.ftype < 0)
        return FAIL(w, err, DCN_EINVAL, "%s: bad element type", path);
    return dcn__wr_feature_create(w, ds, path, &t, err);
}

/* Does dataset dset hold the type and item shape of spec?  Its length
 * goes to *length.  1 yes, 0 no, -1 on HDF5 errors. */
static int
dataset_matches(hid_t dset, const struct dcn_feature_spec *spec,
                uint64_t *length)
{
    hid_t space = H5Dget_space(dset);
    hid_t ftype = H5Dget_type(dset);
    hsize_t dims[3] = {0, 0, 0};
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    int rc = -1;

    if (ftype >= 0 && rank >= 1 && rank <= 3 &&
        H5Sget_simple_extent_dims(space, dims, NULL) >= 0) {
        bool shape_ok = rank == 1 ? spec->height == 0
                                  : rank == 3 && dims[1] == spec->height &&
                                            dims[2] == spec->width;

        rc = shape_ok && H5Tequal(ftype, wtype_file(spec->type)) > 0;
        *length = dims[0];
    }
    dcn__wr_close_id(ftype);
    dcn__wr_close_id(space);
    return rc;
}

/* Open the existing feature path of the file as a writer dataset. */
static int
feature_reopen(struct dcn_writer *w, struct dcn_wdset **dsp, const char *path,
               const struct dcn_feature_spec *spec, struct dcn_error *err)
{
    struct dcn_wdset *ds;
    uint64_t len = 0;
    hid_t dset = H5Dopen2(w->file, path, H5P_DEFAULT);
    int m;

    if (dset < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot open dataset", path);
    m = dataset_matches(dset, spec, &len);
    if (m <= 0) {
        dcn__wr_close_id(dset);
        return m < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot read shape", path)
                     : FAIL(w, err, DCN_EFORMAT,
                            "%s: exists with another type or shape", path);
    }
    ds = wdset_alloc(w, path, wtype_mem(spec->type), spec->height, spec->width);
    if (ds == NULL) {
        dcn__wr_close_id(dset);
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    }
    ds->dset = dset;
    ds->length = len;
    /* the chunk path may continue only on a chunk boundary */
    ds->next_chunk = len / ds->chunk_len;
    ds->partial_done = len % ds->chunk_len != 0;
    *dsp = ds;
    return DCN_OK;
}

int
dcn__writer_feature_require(struct dcn_writer *w, struct dcn_wdset **dsp,
                            const struct dcn_feature_spec *spec,
                            struct dcn_error *err)
{
    char path[512];
    struct dcn_wdset *ds;
    int ex;
    int rc;

    dcn__wr_quiet();
    *dsp = NULL;
    rc = dcn__wr_feature_path(w, path, sizeof(path), spec->group, spec->name,
                              err);
    if (rc < 0)
        return rc;
    for (ds = w->dsets; ds != NULL; ds = ds->next) {
        if (ds->dset < 0 || strcmp(ds->path, path) != 0)
            continue;
        if (H5Tequal(ds->mtype, wtype_mem(spec->type)) <= 0 ||
            ds->height != spec->height || ds->width != spec->width)
            return FAIL(w, err, DCN_EFORMAT,
                        "%s: exists with another type or shape", path);
        *dsp = ds;
        return DCN_OK;
    }
    ex = dcn__wr_path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    if (ex == 0)
        return dcn__writer_feature_new(w, dsp, spec, err);
    return feature_reopen(w, dsp, path, spec, err);
}

/* ---- accessors ------------------------------------------------------- */

size_t
dcn__wdset_chunk_len(const struct dcn_wdset *ds)
{
    return ds->chunk_len;
}

size_t
dcn__wdset_event_bytes(const struct dcn_wdset *ds)
{
    return ds->event_bytes;
}

int
dcn__wdset_level(const struct dcn_wdset *ds)
{
    return ds->level;
}

uint64_t
dcn__wdset_length(const struct dcn_wdset *ds)
{
    return ds->length;
}

/* ---- appending (H5Dwrite) -------------------------------------------- */

int
dcn__wr_set_extent(struct dcn_wdset *ds, uint64_t len, struct dcn_error *err)
{
    hsize_t dims[3] = {len, ds->height, ds->width};

    if (H5Dset_extent(ds->dset, dims) < 0)
        return FAIL(ds->w, err, DCN_EIO, "%s: cannot extend to %llu events",
                    ds->path, (unsigned long long)len);
    ds->length = len;
    return DCN_OK;
}

int
dcn__wdset_append(struct dcn_wdset *ds, const void *data, size_t n,
                  struct dcn_error *err)
{
    hid_t fspace = H5I_INVALID_HID;
    hid_t mspace = H5I_INVALID_HID;
    hsize_t start[3] = {0, 0, 0};
    hsize_t count[3];
    int rank = ds->item_rank == 0 ? 1 : 3;
    int rc;

    dcn__wr_quiet();
    if (ds->dset < 0)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: dataset closed", ds->path);
    if (ds->acc_raw != NULL && ds->acc.nevents > 0)
        return FAIL(ds->w, err, DCN_EINVAL,
                    "%s: H5Dwrite append while encoded events are pending",
                    ds->path);
    if (n == 0)
        return DCN_OK;
    start[0] = ds->length;
    count[0] = n;
    count[1] = ds->height;
    count[2] = ds->width;
    rc = dcn__wr_set_extent(ds, ds->length + n, err);
    if (rc < 0)
        return rc;
    fspace = H5Dget_space(ds->dset);
    mspace = H5Screate_simple(rank, count, NULL);
    if (fspace < 0 || mspace < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) <
                0 ||
        H5Dwrite(ds->dset, ds->mtype, mspace, fspace, H5P_DEFAULT, data) < 0) {
        rc = FAIL(ds->w, err, DCN_EIO, "%s: cannot write events %llu..%llu",
                  ds->path, (unsigned long long)start[0],
                  (unsigned long long)(start[0] + n - 1));
        goto out;
    }
    /* the chunk path would now be misaligned */
    ds->next_chunk = ds->length / ds->chunk_len;
    ds->partial_done = ds->length % ds->chunk_len != 0;
    rc = DCN_OK;
out:
    dcn__wr_close_id(mspace);
    dcn__wr_close_id(fspace);
    return rc;
}

int
dcn__wdset_close(struct dcn_wdset *ds, struct dcn_error *err)
{
    int rc;

    if (ds->dset < 0)
        return DCN_OK;
    rc = dcn__wdset_finish(ds, err);
    if (H5Dclose(ds->dset) < 0 && rc == 0)
        rc = FAIL(ds->w, err, DCN_EIO, "%s: cannot close dataset", ds->path);
    ds->dset = H5I_INVALID_HID;
    return rc;
}

int
dcn__writer_feature_write(struct dcn_writer *w,
                          const struct dcn_feature_spec *spec, const void *data,
                          size_t n, struct dcn_error *err)
{
    struct dcn_wdset *ds;
    int rc;

    rc = dcn__writer_feature_new(w, &ds, spec, err);
    if (rc < 0)
        return rc;
    rc = dcn__wdset_append(ds, data, n, err);
    if (rc < 0)
        return rc;
    return dcn__wdset_close(ds, err);
}
