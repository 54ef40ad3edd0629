/* SPDX-License-Identifier: MIT */
/*
 * synth_write.c - writes the raw .rtdc file of `dcnumc synth`.
 *
 * Layout as in a raw CytoShot recording processed by dclab/dcnum
 * (format.md §2.1-2.2): libver latest, object times off, fill time ALLOC;
 * /events/image uint8 (N, H, W) with dcnum's chunk length and the
 * pipeline [zstd (OPTIONAL, {level}), fletcher32] plus the IMAGE
 * attributes; /events/frame uint64 and /events/time float64 with chunk
 * 1000 and the same filters; scalar root attributes typed like h5py's.
 * Image chunks arrive already encoded (workers run dcn__synth_encode()
 * on several threads) and are stored with H5Dwrite_chunk, so HDF5 never
 * compresses an image.  frame and time go through the registered zstd
 * filter; they are small.  Everything is written to "<path>~", which is
 * renamed when complete and removed on failure.
 */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "alloc.h"
#include "fletcher32.h"
#include "synth_write.h"
#include "zstd_filter.h"

struct dcn__synth_file {
    char *path;            /* final path, owned */
    char *tmp;             /* path + "~", owned */
    bool force;            /* overwrite an existing path */
    bool finished;         /* renamed to path */
    uint64_t chunk_frames; /* image chunk length */
    hid_t file;            /* H5I_INVALID_HID once closed */
    hid_t image;           /* /events/image */
    hid_t frame;           /* /events/frame */
    hid_t time;            /* /events/time */
};

struct dcn__synth_encoder {
    ZSTD_CCtx *cctx; /* NULL without compression */
    int level;
};

static bool
path_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static void
close_id(hid_t *id, herr_t (*close_fn)(hid_t))
{
    if (*id >= 0)
        close_fn(*id);
    *id = H5I_INVALID_HID;
}

/* Dataset creation properties of dcnum's writer for this chunk shape. */
static hid_t
make_dcpl(int rank, const hsize_t *chunk, int level)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    unsigned cd = (unsigned)level;

    if (dcpl < 0)
        return H5I_INVALID_HID;
    if (H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0 ||
        H5Pset_obj_track_times(dcpl, 0) < 0 ||
        (level > 0 && H5Pset_filter(dcpl, DCN_H5Z_FILTER_ZSTD,
                                    H5Z_FLAG_OPTIONAL, 1, &cd) < 0) ||
        H5Pset_fletcher32(dcpl) < 0) {
        H5Pclose(dcpl);
        return H5I_INVALID_HID;
    }
    return dcpl;
}

/* Shape of a dataset along the event axis (unlimited, as dcnum's). */
struct dset_shape {
    int rank;
    hsize_t dims[3];
    hsize_t chunk[3];
};

static hid_t
make_dataset(hid_t loc, const char *name, hid_t type,
             const struct dset_shape *sh, int level)
{
    hsize_t maxdims[3] = {H5S_UNLIMITED, sh->dims[1], sh->dims[2]};
    hid_t space = H5Screate_simple(sh->rank, sh->dims, maxdims);
    hid_t dcpl = make_dcpl(sh->rank, sh->chunk, level);
    hid_t dset = H5I_INVALID_HID;

    if (space >= 0 && dcpl >= 0)
        dset = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
    close_id(&dcpl, H5Pclose);
    close_id(&space, H5Sclose);
    return dset;
}

/* A scalar fixed-length ASCII NULLPAD string attribute (IMAGE attrs). */
static int
put_fixed_str(hid_t loc, const char *name, const char *text)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    int rc = -1;

    if (type >= 0 && space >= 0 && H5Tset_size(type, strlen(text)) >= 0 &&
        H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0 &&
        (attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >=
                0 &&
        H5Awrite(attr, type, text) >= 0)
        rc = 0;
    close_id(&attr, H5Aclose);
    close_id(&space, H5Sclose);
    close_id(&type, H5Tclose);
    return rc;
}

static hid_t
vlen_utf8_type(void)
{
    hid_t type = H5Tcopy(H5T_C_S1);

    if (type < 0)
        return type;
    if (H5Tset_size(type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

static hid_t
bool_enum_type(void)
{
    hid_t type = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t no = 0;
    int8_t yes = 1;

    if (type < 0)
        return type;
    if (H5Tenum_insert(type, "FALSE", &no) < 0 ||
        H5Tenum_insert(type, "TRUE", &yes) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

static int
put_attr(hid_t loc, const struct dcn__attr *a)
{
    hid_t type = H5I_INVALID_HID;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5I_INVALID_HID;
    int8_t flag = (int8_t)(a->i != 0 ? 1 : 0);
    const void *value = &a->d;
    hid_t file_type;
    int rc = -1;

    switch (a->type) {
    case DCN__ATTR_STR:
        type = vlen_utf8_type();
        value = &a->s;
        break;
    case DCN__ATTR_I64:
        type = H5Tcopy(H5T_NATIVE_INT64);
        value = &a->i;
        break;
    case DCN__ATTR_F64:
        type = H5Tcopy(H5T_NATIVE_DOUBLE);
        break;
    case DCN__ATTR_BOOL:
        type = bool_enum_type();
        value = &flag;
        break;
    }
    file_type = a->type == DCN__ATTR_I64   ? H5T_STD_I64LE
                : a->type == DCN__ATTR_F64 ? H5T_IEEE_F64LE
                                           : type;
    if (type >= 0 && space >= 0 &&
        (attr = H5Acreate2(loc, a->name, file_type, space, H5P_DEFAULT,
                           H5P_DEFAULT)) >= 0 &&
        H5Awrite(attr, type, value) >= 0)
        rc = 0;
    close_id(&attr, H5Aclose);
    close_id(&space, H5Sclose);
    close_id(&type, H5Tclose);
    return rc;
}

static hid_t
create_h5(const char *tmp)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t file = H5I_INVALID_HID;

    if (fapl >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) >= 0)
        file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    close_id(&fapl, H5Pclose);
    return file;
}

static int
create_events(struct dcn__synth_file *f, const struct dcn__synth_layout *lay,
              struct dcn_error *err)
{
    struct dset_shape img = {3,
                             {lay->frames, lay->height, lay->width},
                             {lay->chunk_frames, lay->height, lay->width}};
    struct dset_shape scalar = {1, {lay->frames, 0, 0}, {1000, 0, 0}};
    hid_t group = H5Gcreate2(f->file, "events", H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
    const char *what = "events";

    if (group >= 0) {
        what = "events/image";
        f->image = make_dataset(group, "image", H5T_STD_U8LE, &img,
                                lay->compression);
    }
    if (f->image >= 0 && put_fixed_str(f->image, "CLASS", "IMAGE") == 0 &&
        put_fixed_str(f->image, "IMAGE_VERSION", "1.2") == 0 &&
        put_fixed_str(f->image, "IMAGE_SUBCLASS", "IMAGE_GRAYSCALE") == 0) {
        what = "events/frame";
        f->frame = make_dataset(group, "frame", H5T_STD_U64LE, &scalar,
                                lay->compression);
    }
    if (f->frame >= 0) {
        what = "events/time";
        f->time = make_dataset(group, "time", H5T_IEEE_F64LE, &scalar,
                               lay->compression);
    }
    close_id(&group, H5Gclose);
    if (f->time < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot create dataset %s",
                             f->tmp, what);
    return DCN_OK;
}

static char *
concat(const char *a, const char *b)
{
    size_t na = strlen(a);
    size_t nb = strlen(b);
    char *s = dcn__malloc(na + nb + 1);

    if (s != NULL)
        (void)snprintf(s, na + nb + 1, "%s%s", a, b);
    return s;
}

int
dcn__synth_file_create(struct dcn__synth_file **file, const char *path,
                       const struct dcn__synth_layout *lay,
                       const struct dcn__attr *attrs, size_t nattrs,
                       struct dcn_error *err)
{
    struct dcn__synth_file *f = NULL;
    int rc;

    *file = NULL;
    if (!lay->force && path_exists(path))
        return dcn_error_set(err, DCN_EEXIST,
                             "%s: file exists (use --force to overwrite)",
                             path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (dcn__zstd_filter_register() < 0)
        return dcn_error_set(err, DCN_EIO,
                             "%s: cannot register the zstd filter", path);
    f = dcn__calloc(1, sizeof(*f));
    if (f == NULL || (f->path = dcn__strdup(path)) == NULL ||
        (f->tmp = concat(path, "~")) == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    f->force = lay->force;
    f->chunk_frames = lay->chunk_frames;
    f->image = f->frame = f->time = H5I_INVALID_HID;
    f->file = create_h5(f->tmp);
    if (f->file < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot create the file", f->tmp);
        goto out;
    }
    for (size_t i = 0; i < nattrs; i++) {
        if (put_attr(f->file, &attrs[i]) < 0) {
            rc = dcn_error_set(err, DCN_EIO, "%s: cannot write attribute '%s'",
                               f->tmp, attrs[i].name);
            goto out;
        }
    }
    rc = create_events(f, lay, err);
out:
    if (rc < 0) {
        dcn__synth_file_free(f);
        return rc;
    }
    *file = f;
    return DCN_OK;
}

int
dcn__synth_file_write_chunk(struct dcn__synth_file *f, uint64_t chunk,
                            const void *data, size_t len, struct dcn_error *err)
{
    hsize_t offset[3] = {chunk * f->chunk_frames, 0, 0};

    /* Filter mask 0: every filter of the pipeline was applied. */
    if (H5Dwrite_chunk(f->image, H5P_DEFAULT, 0, offset, len, data) < 0)
        return dcn_error_set(err, DCN_EIO,
                             "%s: cannot write chunk %llu of events/image",
                             f->tmp, (unsigned long long)chunk);
    return DCN_OK;
}

static herr_t
write_range(hid_t dset, hid_t mem_type, uint64_t start, size_t n,
            const void *buf)
{
    hsize_t off[1] = {start};
    hsize_t cnt[1] = {n};
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple(1, cnt, NULL);
    herr_t status = -1;

    if (fspace >= 0 && mspace >= 0 &&
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) >= 0)
        status = H5Dwrite(dset, mem_type, mspace, fspace, H5P_DEFAULT, buf);
    close_id(&mspace, H5Sclose);
    close_id(&fspace, H5Sclose);
    return status;
}

int
dcn__synth_file_write_frames(struct dcn__synth_file *f, uint64_t start,
                             const uint64_t *frame, const double *time,
                             size_t n, struct dcn_error *err)
{
    if (n == 0)
        return DCN_OK;
    if (write_range(f->frame, H5T_NATIVE_UINT64, start, n, frame) < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot write events/frame",
                             f->tmp);
    if (write_range(f->time, H5T_NATIVE_DOUBLE, start, n, time) < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot write events/time",
                             f->tmp);
    return DCN_OK;
}

/* /logs/<name>: a contiguous 1-D dataset of vlen UTF-8 strings. */
static int
write_log(hid_t file, const char *name, const char *const *lines, size_t nlines)
{
    hsize_t dims[1] = {nlines};
    hid_t group =
            H5Gcreate2(file, "logs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t type = vlen_utf8_type();
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset = H5I_INVALID_HID;
    int rc = -1;

    if (group >= 0 && type >= 0 && space >= 0 && dcpl >= 0 &&
        H5Pset_obj_track_times(dcpl, 0) >= 0 &&
        (dset = H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl,
                           H5P_DEFAULT)) >= 0 &&
        (nlines == 0 ||
         H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, lines) >= 0))
        rc = 0;
    close_id(&dset, H5Dclose);
    close_id(&dcpl, H5Pclose);
    close_id(&space, H5Sclose);
    close_id(&type, H5Tclose);
    close_id(&group, H5Gclose);
    return rc;
}

static herr_t
close_all(struct dcn__synth_file *f)
{
    herr_t status = 0;

    close_id(&f->image, H5Dclose);
    close_id(&f->frame, H5Dclose);
    close_id(&f->time, H5Dclose);
    if (f->file >= 0)
        status = H5Fclose(f->file);
    f->file = H5I_INVALID_HID;
    return status;
}

int
dcn__synth_file_finish(struct dcn__synth_file *f, const char *log_name,
                       const char *const *lines, size_t nlines,
                       struct dcn_error *err)
{
    if (write_log(f->file, log_name, lines, nlines) < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot write logs/%s", f->tmp,
                             log_name);
    if (close_all(f) < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot close the file", f->tmp);
    if (!f->force && path_exists(f->path))
        return dcn_error_set(err, DCN_EEXIST,
                             "%s: file appeared while writing (use --force "
                             "to overwrite)",
                             f->path);
    if (rename(f->tmp, f->path) != 0) {
        char why[128] = "unknown error";

        (void)strerror_r(errno, why, sizeof(why));
        return dcn_error_set(err, DCN_EIO, "%s: cannot rename %s: %s", f->path,
                             f->tmp, why);
    }
    f->finished = true;
    return DCN_OK;
}

void
dcn__synth_file_free(struct dcn__synth_file *f)
{
    if (f == NULL)
        return;
    close_all(f);
    if (!f->finished && f->tmp != NULL)
        unlink(f->tmp);
    dcn__free(f->tmp);
    dcn__free(f->path);
    dcn__free(f);
}

/* ---- chunk encoding --------------------------------------------------- */

int
dcn__synth_encoder_new(struct dcn__synth_encoder **enc, int level,
                       struct dcn_error *err)
{
    struct dcn__synth_encoder *e = dcn__calloc(1, sizeof(*e));

    *enc = NULL;
    if (e == NULL || (level > 0 && (e->cctx = ZSTD_createCCtx()) == NULL)) {
        dcn__free(e);
        return dcn_error_set(err, DCN_ENOMEM,
                             "out of memory for a zstd encoder");
    }
    e->level = level;
    *enc = e;
    return DCN_OK;
}

void
dcn__synth_encoder_free(struct dcn__synth_encoder *enc)
{
    if (enc == NULL)
        return;
    ZSTD_freeCCtx(enc->cctx);
    dcn__free(enc);
}

size_t
dcn__synth_encode_bound(size_t raw_len)
{
    size_t zb = ZSTD_compressBound(raw_len);

    return (zb > raw_len ? zb : raw_len) + 4;
}

int
dcn__synth_encode(struct dcn__synth_encoder *enc, struct dcn__synth_chunk *dst,
                  const uint8_t *src, size_t len, struct dcn_error *err)
{
    uint8_t *out = dst->data;
    size_t n = len;
    uint32_t sum;

    if (dst->cap < dcn__synth_encode_bound(len))
        return dcn_error_set(err, DCN_EINVAL, "chunk buffer too small");
    if (enc->level > 0) {
        /* One-shot: the frame records its content size (format.md §4.1). */
        n = ZSTD_compressCCtx(enc->cctx, out, dst->cap - 4, src, len,
                              enc->level);
        if (ZSTD_isError(n))
            return dcn_error_set(err, DCN_EIO, "zstd compression failed: %s",
                                 ZSTD_getErrorName(n));
    } else {
        memcpy(out, src, len);
    }
    sum = dcn__fletcher32(out, n);
    out[n] = (uint8_t)sum;
    out[n + 1] = (uint8_t)(sum >> 8);
    out[n + 2] = (uint8_t)(sum >> 16);
    out[n + 3] = (uint8_t)(sum >> 24);
    dst->len = n + 4;
    return DCN_OK;
}
