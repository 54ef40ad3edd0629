/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write.c - the .rtdc writer: file life cycle, feature datasets
 * (H5Dwrite and pre-encoded H5Dwrite_chunk paths), attributes, logs,
 * basins, mapping allocation and copies from an input file.
 *
 * Every function runs on the writer thread; see rtdc_write.h.
 */
#include "rtdc_write.h"

#include <assert.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "json_write.h"
#include "md5.h"
#include "zstd_filter.h"

#define FEATURE_CHUNK_BYTES 1048576u /* dcnum: 1 MiB per chunk */
#define FEATURE_CHUNK_MIN   10u
#define FEATURE_CHUNK_MAX   1000u
#define META_LEVEL          5 /* logs/tables copied from the input */

struct dcn_wdset {
    struct dcn_writer *w;   /* owner */
    struct dcn_wdset *next; /* the writer's list */
    hid_t dset;             /* H5I_INVALID_HID once closed */
    hid_t mtype;            /* memory type (native), owned */
    char *path;             /* "events/area_um", owned */
    size_t item_rank;       /* 0 (scalar) or 2 (image) */
    size_t height, width;
    size_t event_bytes;
    size_t chunk_len;
    int level;
    uint64_t length;     /* events in the extent */
    uint64_t next_chunk; /* chunk path: index expected next */
    bool partial_done;   /* chunk path: the short last chunk is written */
    /* dcn__wdset_append_encoded() state, allocated on first use */
    struct dcn_chunk_acc acc;
    uint8_t *acc_raw;
    uint8_t *enc_buf;
    size_t enc_cap;
};

struct dcn_writer {
    hid_t file;
    char *target;
    char *temp;
    int level;
    unsigned flags;
    char *software;
    struct dcn_wdset *dsets;
    struct dcn_chunk_encoder *enc; /* for dcn__wdset_append_encoded() */
};

/* ---- helpers ------------------------------------------------------- */

static void
quiet(void)
{
    /* per thread in a thread-safe HDF5 build: repeat on every entry */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/*
 * Record a message (first one wins).  Used through ERR_SET() / FAIL(),
 * which evaluate to the code, so "return FAIL(...)" returns it and the
 * static analyser can follow the value (it does not look into variadic
 * functions).
 */
static void set_error(struct dcn_error *err, int code, const char *fmt, ...)
        DCN_PRINTF(3, 4);

static void
set_error(struct dcn_error *err, int code, const char *fmt, ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)dcn_error_set(err, code, "%s", msg);
}

static void fail(struct dcn_writer *w, struct dcn_error *err, int code,
                 const char *fmt, ...) DCN_PRINTF(4, 5);

static void
fail(struct dcn_writer *w, struct dcn_error *err, int code, const char *fmt,
     ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)dcn_error_set(err, code, "%s: %s", w != NULL ? w->temp : "?", msg);
}

#define ERR_SET(err, code, ...) (set_error((err), (code), __VA_ARGS__), (code))
/* The message is prefixed with the path of the file being written. */
#define FAIL(w, err, code, ...) (fail((w), (err), (code), __VA_ARGS__), (code))

static void
close_id(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE:
        H5Fclose(id);
        break;
    case H5I_GROUP:
        H5Gclose(id);
        break;
    case H5I_DATASET:
        H5Dclose(id);
        break;
    case H5I_DATASPACE:
        H5Sclose(id);
        break;
    case H5I_DATATYPE:
        H5Tclose(id);
        break;
    case H5I_ATTR:
        H5Aclose(id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
    default:
        break;
    }
}

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

/* Fixed-length NULLPAD ASCII string type of size len (h5py's "S<len>"). */
static hid_t
fixed_str_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    if (t < 0)
        return t;
    if (H5Tset_size(t, len) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(t, H5T_CSET_ASCII) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Variable-length UTF-8 string type (h5py's str). */
static hid_t
vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Group creation properties: no time stamps (determinism, rule 38). */
static hid_t
group_cpl(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);

    if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) < 0) {
        H5Pclose(gcpl);
        return H5I_INVALID_HID;
    }
    return gcpl;
}

/* Create the group prefix (NUL-terminated copy) unless it exists; an
 * empty prefix is the root.  0 or -1. */
static int
create_level(hid_t file, const char *prefix, hid_t gcpl)
{
    htri_t ex;
    hid_t g;

    if (prefix[0] == '\0')
        return 0;
    ex = H5Lexists(file, prefix, H5P_DEFAULT);
    if (ex != 0)
        return ex < 0 ? -1 : 0;
    g = H5Gcreate2(file, prefix, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (g < 0)
        return -1;
    H5Gclose(g);
    return 0;
}

/* Open or create the group at path, creating each missing level (without
 * time stamps). */
static hid_t
require_group(struct dcn_writer *w, const char *path, struct dcn_error *err)
{
    char buf[512];
    size_t len = strlen(path);
    hid_t gcpl;
    hid_t g;
    size_t k;
    int rc = 0;

    if (len >= sizeof(buf)) {
        fail(w, err, DCN_EINVAL, "%s: group path too long", path);
        return H5I_INVALID_HID;
    }
    gcpl = group_cpl();
    rc = gcpl < 0 ? -1 : 0;
    /* every prefix ending before a '/', then the whole path */
    for (k = 0; k <= len && rc == 0; k++) {
        if (path[k] != '/' && path[k] != '\0')
            continue;
        memcpy(buf, path, k);
        buf[k] = '\0';
        rc = create_level(w->file, buf, gcpl);
    }
    close_id(gcpl);
    if (rc < 0) {
        fail(w, err, DCN_EIO, "%s: cannot create group", path);
        return H5I_INVALID_HID;
    }
    g = H5Gopen2(w->file, len > 0 ? path : "/", H5P_DEFAULT);
    if (g < 0)
        fail(w, err, DCN_EIO, "%s: cannot open group", path);
    return g;
}

/* Parent group part of "a/b/c" into buf ("a/b"), "" if none. */
static void
parent_of(char *buf, size_t cap, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash != NULL ? (size_t)(slash - path) : 0;

    if (n >= cap)
        n = cap - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
}

static int
ensure_parent(struct dcn_writer *w, const char *path, struct dcn_error *err)
{
    char parent[512];
    hid_t g;

    parent_of(parent, sizeof(parent), path);
    if (parent[0] == '\0')
        return DCN_OK;
    g = require_group(w, parent, err);
    if (g < 0)
        return err != NULL && err->code < 0 ? err->code : DCN_EIO;
    H5Gclose(g);
    return DCN_OK;
}

/* Does path exist (all its levels)? -1 on HDF5 error. */
static int
path_exists(hid_t loc, const char *path)
{
    char buf[512];
    char *p;

    if (strlen(path) >= sizeof(buf))
        return -1;
    memcpy(buf, path, strlen(path) + 1);
    p = buf;
    for (;;) {
        char *slash = strchr(p, '/');
        htri_t ex;

        if (slash != NULL)
            *slash = '\0';
        ex = H5Lexists(loc, buf, H5P_DEFAULT);
        if (ex <= 0)
            return ex < 0 ? -1 : 0;
        if (slash == NULL)
            return 1;
        *slash = '/';
        p = slash + 1;
    }
}

/* Dataset creation properties with the writer's filter pipeline. */
static hid_t
dataset_cpl(int rank, const hsize_t *chunks, int level)
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

/* h5py's guess_chunk (format.md §2.7). */
static void
guess_chunk(hsize_t *chunks, int rank, const hsize_t *shape, size_t typesize)
{
    const double base = 16 * 1024.0;
    const double cmin = 8 * 1024.0;
    const double cmax = 1024 * 1024.0;
    double c[8];
    double prod = 1.0;
    double target;
    int idx = 0;
    int k;

    for (k = 0; k < rank; k++) {
        c[k] = shape[k] != 0 ? (double)shape[k] : 1024.0;
        prod *= c[k];
    }
    target = base * pow(2.0, log10(prod * (double)typesize / (1024.0 * 1024)));
    if (target > cmax)
        target = cmax;
    else if (target < cmin)
        target = cmin;
    for (;;) {
        double bytes;

        prod = 1.0;
        for (k = 0; k < rank; k++)
            prod *= c[k];
        bytes = prod * (double)typesize;
        if ((bytes < target || fabs(bytes - target) / target < 0.5) &&
            bytes < cmax)
            break;
        if (prod == 1.0)
            break;
        c[idx % rank] = ceil(c[idx % rank] / 2.0);
        idx++;
    }
    for (k = 0; k < rank; k++)
        chunks[k] = (hsize_t)c[k];
}

/* A fixed-shape dataset to create (logs, basins, tables). */
struct fixed_ds {
    const char *path;
    hid_t ftype; /* in the file */
    hid_t mtype; /* of the data in memory */
    int rank;    /* 1..8 */
    const hsize_t *dims;
    int level; /* filters: zstd level or 0, then Fletcher32 */
};

/* Write d with h5py's auto chunks; the open dataset goes to *out_dset
 * unless that is NULL. */
static int
write_fixed_dataset(struct dcn_writer *w, const struct fixed_ds *d,
                    const void *data, hid_t *out_dset, struct dcn_error *err)
{
    const char *path = d->path;
    int rank = d->rank;
    hid_t space = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    hid_t dset = H5I_INVALID_HID;
    hsize_t chunks[8];
    int rc;

    rc = ensure_parent(w, path, err);
    if (rc < 0)
        return rc;
    if (rank > 8)
        return FAIL(w, err, DCN_EINVAL, "%s: rank %d too high", path, rank);
    space = H5Screate_simple(rank, d->dims, d->dims);
    if (rank > 0)
        guess_chunk(chunks, rank, d->dims, H5Tget_size(d->ftype));
    dcpl = dataset_cpl(rank, rank > 0 ? chunks : NULL, d->level);
    if (space < 0 || dcpl < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot set up dataset", path);
        goto out;
    }
    dset = H5Dcreate2(w->file, path, d->ftype, space, H5P_DEFAULT, dcpl,
                      H5P_DEFAULT);
    if (dset < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot create dataset", path);
        goto out;
    }
    if (H5Dwrite(dset, d->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot write dataset", path);
        goto out;
    }
    rc = DCN_OK;
    if (out_dset != NULL) {
        *out_dset = dset;
        dset = H5I_INVALID_HID;
    }
out:
    close_id(dset);
    close_id(dcpl);
    close_id(space);
    return rc;
}

/* Replace or create scalar attribute name on loc. */
static int
write_scalar_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                  const void *value)
{
    hid_t space = H5I_INVALID_HID;
    hid_t attr = H5I_INVALID_HID;
    htri_t ex;
    int rc = -1;

    ex = H5Aexists(loc, name);
    if (ex < 0)
        return -1;
    if (ex > 0 && H5Adelete(loc, name) < 0)
        return -1;
    space = H5Screate(H5S_SCALAR);
    if (space < 0)
        goto out;
    attr = H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0)
        goto out;
    if (H5Awrite(attr, mtype, value) < 0)
        goto out;
    rc = 0;
out:
    close_id(attr);
    close_id(space);
    return rc;
}

static int
write_str_attr(hid_t loc, const char *name, const char *value)
{
    hid_t t = vlen_str_type();
    int rc;

    if (t < 0)
        return -1;
    rc = write_scalar_attr(loc, name, t, t, &value);
    H5Tclose(t);
    return rc;
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
        hid_t t = fixed_str_type(strlen(kv[k][1]));
        int rc;

        if (t < 0)
            return -1;
        rc = write_scalar_attr(dset, kv[k][0], t, t, kv[k][1]);
        H5Tclose(t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- life cycle ------------------------------------------------------ */

void
dcn__writer_opts_init(struct dcn_writer_opts *o)
{
    o->level = 5;
    o->flags = 0;
    o->suffix = NULL;
    o->tag = NULL;
    o->software = "dcnumc";
}

static char *
make_temp_path(const char *target, const char *tag, const char *suffix,
               long pid)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    const char *slash = strrchr(target, '/');
    const char *base = slash != NULL ? slash + 1 : target;
    const char *dot = strrchr(base, '.');
    size_t stem_len =
            dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    char host[64];
    int rc = 0;

    rc |= dcn__strbuf_add(&sb, target, (size_t)(base - target));
    rc |= dcn__strbuf_add(&sb, base, stem_len);
    rc |= dcn__strbuf_addf(&sb, "_%s_", tag != NULL ? tag : "output");
    if (suffix != NULL) {
        rc |= dcn__strbuf_adds(&sb, suffix);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            (void)snprintf(host, sizeof(host), "host");
        host[sizeof(host) - 1] = '\0';
        rc |= dcn__strbuf_addf(&sb, "%s_%05lx", host,
                               (unsigned long)pid & 0xfffffUL);
    }
    rc |= dcn__strbuf_adds(&sb, ".rtdc~");
    if (rc != 0) {
        dcn__strbuf_release(&sb);
        return NULL;
    }
    return dcn__strbuf_detach(&sb, NULL);
}

char *
dcn__writer_temp_path_for(const char *path_out,
                          const struct dcn_writer_opts *opts, long pid)
{
    if (path_out == NULL || (opts->flags & DCN_WRITER_DIRECT) != 0)
        return NULL;
    return make_temp_path(path_out, opts->tag, opts->suffix, pid);
}

/* Argument checks and the existing-target rule of dcn__writer_new(). */
static int
check_new(const char *path_out, const struct dcn_writer_opts *opts,
          struct dcn_error *err)
{
    if (path_out == NULL || path_out[0] == '\0')
        return ERR_SET(err, DCN_EINVAL, "writer: no output path");
    if (opts->level < 0 || opts->level > DCN_CHUNK_LEVEL_MAX)
        return ERR_SET(err, DCN_EINVAL, "%s: compression level %d not in 0..9",
                       path_out, opts->level);
    if (!(opts->flags & DCN_WRITER_OVERWRITE) && access(path_out, F_OK) == 0)
        return ERR_SET(err, DCN_EEXIST, "%s: output file exists", path_out);
    if (dcn__zstd_filter_register() < 0)
        return ERR_SET(err, DCN_EIO, "%s: cannot register the zstd filter",
                       path_out);
    return DCN_OK;
}

/* Create w->temp: libver latest (superblock v3), no time stamps. */
static int
create_file(struct dcn_writer *w, struct dcn_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    int rc = DCN_OK;

    if (fapl < 0 || fcpl < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_obj_track_times(fcpl, 0) < 0)
        rc = FAIL(w, err, DCN_EIO, "cannot set up file properties");
    if (rc == DCN_OK) {
        w->file = H5Fcreate(w->temp, H5F_ACC_TRUNC, fcpl, fapl);
        if (w->file < 0)
            rc = FAIL(w, err, DCN_EIO, "cannot create file");
    }
    close_id(fcpl);
    close_id(fapl);
    return rc;
}

int
dcn__writer_new(struct dcn_writer **wp, const char *path_out,
                const struct dcn_writer_opts *opts, struct dcn_error *err)
{
    struct dcn_writer_opts defaults;
    struct dcn_writer *w;
    int rc;

    quiet();
    *wp = NULL;
    if (opts == NULL) {
        dcn__writer_opts_init(&defaults);
        opts = &defaults;
    }
    rc = check_new(path_out, opts, err);
    if (rc < 0)
        return rc;
    w = dcn__calloc(1, sizeof(*w));
    if (w == NULL)
        return ERR_SET(err, DCN_ENOMEM, "%s: out of memory", path_out);
    w->file = H5I_INVALID_HID;
    w->level = opts->level;
    w->flags = opts->flags;
    w->target = dcn__strdup(path_out);
    w->software =
            dcn__strdup(opts->software != NULL ? opts->software : "dcnumc");
    if (opts->flags & DCN_WRITER_DIRECT)
        w->temp = dcn__strdup(path_out);
    else
        w->temp = make_temp_path(path_out, opts->tag, opts->suffix,
                                 (long)getpid());
    if (w->target == NULL || w->temp == NULL || w->software == NULL)
        rc = ERR_SET(err, DCN_ENOMEM, "%s: out of memory", path_out);
    else
        rc = create_file(w, err);
    if (rc < 0)
        dcn__writer_abort(w);
    else
        *wp = w;
    return rc;
}

const char *
dcn__writer_temp_path(const struct dcn_writer *w)
{
    return w->temp;
}

void
dcn__writer_set_level(struct dcn_writer *w, int level)
{
    if (level >= 0 && level <= DCN_CHUNK_LEVEL_MAX)
        w->level = level;
}

int
dcn__writer_flush(struct dcn_writer *w, struct dcn_error *err)
{
    quiet();
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        return FAIL(w, err, DCN_EIO, "cannot flush file");
    return DCN_OK;
}

static void
wdset_free(struct dcn_wdset *ds)
{
    close_id(ds->dset);
    close_id(ds->mtype);
    dcn__free(ds->path);
    dcn__free(ds->acc_raw);
    dcn__free(ds->enc_buf);
    dcn__free(ds);
}

/* Close everything; returns <0 if any dataset failed to finish. */
static int
writer_close(struct dcn_writer *w, bool finish, struct dcn_error *err)
{
    int rc = DCN_OK;

    while (w->dsets != NULL) {
        struct dcn_wdset *ds = w->dsets;

        if (finish && ds->dset >= 0) {
            int r = dcn__wdset_close(ds, err);

            if (r < 0 && rc == DCN_OK)
                rc = r;
        }
        w->dsets = ds->next;
        wdset_free(ds);
    }
    if (w->file >= 0) {
        if (finish && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0 && rc == 0)
            rc = FAIL(w, err, DCN_EIO, "cannot flush file");
        if (H5Fclose(w->file) < 0 && finish && rc == 0)
            rc = FAIL(w, err, DCN_EIO, "cannot close file");
        w->file = H5I_INVALID_HID;
    }
    return rc;
}

static void
writer_destroy(struct dcn_writer *w)
{
    dcn__chunk_encoder_free(w->enc);
    dcn__free(w->target);
    dcn__free(w->temp);
    dcn__free(w->software);
    dcn__free(w);
}

int
dcn__writer_commit(struct dcn_writer *w, struct dcn_error *err)
{
    int rc;

    if (w == NULL)
        return ERR_SET(err, DCN_EINVAL, "writer: NULL");
    quiet();
    rc = writer_close(w, true, err);
    if (rc == DCN_OK && !(w->flags & DCN_WRITER_DIRECT)) {
        if (!(w->flags & DCN_WRITER_OVERWRITE) && access(w->target, F_OK) == 0)
            rc = ERR_SET(err, DCN_EEXIST, "%s: output file exists", w->target);
        else if (rename(w->temp, w->target) != 0)
            rc = ERR_SET(err, DCN_EIO, "%s: cannot rename to %s (errno %d)",
                         w->temp, w->target, errno);
    }
    if (rc < 0)
        unlink(w->temp);
    writer_destroy(w);
    return rc;
}

void
dcn__writer_abort(struct dcn_writer *w)
{
    if (w == NULL)
        return;
    quiet();
    writer_close(w, false, NULL);
    if (w->temp != NULL)
        unlink(w->temp);
    writer_destroy(w);
}

void
dcn__writer_free(struct dcn_writer *w)
{
    dcn__writer_abort(w);
}

/* ---- feature datasets ------------------------------------------------ */

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
        wdset_free(ds);
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

/* Element types and item shape of a feature dataset to create. */
struct feat_type {
    hid_t ftype; /* in the file */
    hid_t mtype; /* in memory */
    size_t height;
    size_t width;
};

/* Create a dcnum feature dataset of type t at path. */
static int
feature_create(struct dcn_writer *w, struct dcn_wdset **dsp, const char *path,
               const struct feat_type *t, struct dcn_error *err)
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
    ex = path_exists(w->file, path);
    if (ex != 0)
        return ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", path)
                      : FAIL(w, err, DCN_EEXIST, "%s: dataset exists", path);
    rc = ensure_parent(w, path, err);
    if (rc < 0)
        return rc;
    ds = wdset_alloc(w, path, t->mtype, height, width);
    if (ds == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    chunks[0] = ds->chunk_len;
    chunks[1] = height;
    chunks[2] = width;
    space = H5Screate_simple(rank, dims, maxdims);
    dcpl = dataset_cpl(rank, chunks, ds->level);
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
    close_id(dapl);
    close_id(dcpl);
    close_id(space);
    return rc;
}

static int
feature_path(struct dcn_writer *w, char *buf, size_t cap, const char *group,
             const char *name, struct dcn_error *err)
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

    quiet();
    *ds = NULL;
    rc = feature_path(w, path, sizeof(path), spec->group, spec->name, err);
    if (rc < 0)
        return rc;
    if (t.ftype < 0)
        return FAIL(w, err, DCN_EINVAL, "%s: bad element type", path);
    return feature_create(w, ds, path, &t, err);
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
    close_id(ftype);
    close_id(space);
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
        close_id(dset);
        return m < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot read shape", path)
                     : FAIL(w, err, DCN_EFORMAT,
                            "%s: exists with another type or shape", path);
    }
    ds = wdset_alloc(w, path, wtype_mem(spec->type), spec->height, spec->width);
    if (ds == NULL) {
        close_id(dset);
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

    quiet();
    *dsp = NULL;
    rc = feature_path(w, path, sizeof(path), spec->group, spec->name, err);
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
    ex = path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    if (ex == 0)
        return dcn__writer_feature_new(w, dsp, spec, err);
    return feature_reopen(w, dsp, path, spec, err);
}

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

static int
set_extent(struct dcn_wdset *ds, uint64_t len, struct dcn_error *err)
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

    quiet();
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
    rc = set_extent(ds, ds->length + n, err);
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
    close_id(mspace);
    close_id(fspace);
    return rc;
}

int
dcn__wdset_write_chunk(struct dcn_wdset *ds, uint64_t index, size_t nevents,
                       const void *enc, size_t enc_len, struct dcn_error *err)
{
    hsize_t offset[3] = {0, 0, 0};
    int rc;

    quiet();
    if (ds->dset < 0)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: dataset closed", ds->path);
    if (index != ds->next_chunk || ds->partial_done)
        return FAIL(ds->w, err, DCN_EINVAL,
                    "%s: chunk %llu out of order (next %llu%s)", ds->path,
                    (unsigned long long)index,
                    (unsigned long long)ds->next_chunk,
                    ds->partial_done ? ", after the last one" : "");
    if (nevents == 0 || nevents > ds->chunk_len)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: chunk %llu with %zu events",
                    ds->path, (unsigned long long)index, nevents);
    rc = set_extent(ds, index * ds->chunk_len + nevents, err);
    if (rc < 0)
        return rc;
    offset[0] = index * ds->chunk_len;
    if (H5Dwrite_chunk(ds->dset, H5P_DEFAULT, 0, offset, enc_len, enc) < 0)
        return FAIL(ds->w, err, DCN_EIO, "%s: cannot write chunk %llu",
                    ds->path, (unsigned long long)index);
    ds->next_chunk = index + 1;
    ds->partial_done = nevents < ds->chunk_len;
    return DCN_OK;
}

static int
flush_acc(struct dcn_wdset *ds, struct dcn_error *err)
{
    size_t len;
    int rc;

    dcn__chunk_acc_pad(&ds->acc);
    rc = dcn__chunk_encode(ds->w->enc, ds->enc_buf, ds->enc_cap, &len,
                           ds->acc.raw, dcn__chunk_acc_bytes(&ds->acc),
                           ds->level, err);
    if (rc < 0)
        return rc;
    rc = dcn__wdset_write_chunk(ds, ds->acc.index, ds->acc.nevents, ds->enc_buf,
                                len, err);
    if (rc < 0)
        return rc;
    dcn__chunk_acc_next(&ds->acc, ds->acc.raw);
    return DCN_OK;
}

int
dcn__wdset_append_encoded(struct dcn_wdset *ds, const void *data, size_t n,
                          struct dcn_error *err)
{
    const uint8_t *src = data;
    int rc;

    quiet();
    if (ds->dset < 0)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: dataset closed", ds->path);
    if (ds->acc_raw == NULL) {
        size_t bytes = ds->chunk_len * ds->event_bytes;

        if (ds->partial_done || ds->length % ds->chunk_len != 0)
            return FAIL(ds->w, err, DCN_EINVAL,
                        "%s: cannot append chunks after a partial chunk",
                        ds->path);
        if (ds->w->enc == NULL && dcn__chunk_encoder_new(&ds->w->enc) < 0)
            return FAIL(ds->w, err, DCN_ENOMEM, "%s: out of memory", ds->path);
        ds->enc_cap = dcn__chunk_encode_bound(bytes, ds->level);
        ds->acc_raw = dcn__malloc(bytes);
        ds->enc_buf = dcn__malloc(ds->enc_cap);
        if (ds->acc_raw == NULL || ds->enc_buf == NULL)
            return FAIL(ds->w, err, DCN_ENOMEM, "%s: out of memory", ds->path);
        dcn__chunk_acc_init(&ds->acc, ds->acc_raw, ds->event_bytes,
                            ds->chunk_len, ds->next_chunk);
    }
    while (n > 0) {
        size_t took = dcn__chunk_acc_append(&ds->acc, src, n);

        src += took * ds->event_bytes;
        n -= took;
        if (dcn__chunk_acc_full(&ds->acc)) {
            rc = flush_acc(ds, err);
            if (rc < 0)
                return rc;
        }
    }
    return DCN_OK;
}

int
dcn__wdset_finish(struct dcn_wdset *ds, struct dcn_error *err)
{
    quiet();
    if (ds->acc_raw != NULL && ds->acc.nevents > 0)
        return flush_acc(ds, err);
    return DCN_OK;
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

/* ---- objects --------------------------------------------------------- */

int
dcn__writer_exists(struct dcn_writer *w, const char *path, bool *exists,
                   struct dcn_error *err)
{
    int ex;

    quiet();
    ex = path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    *exists = ex > 0;
    return DCN_OK;
}

/* Close our open handle of path, if any (before unlinking it). */
static int
forget_dataset(struct dcn_writer *w, const char *path, struct dcn_error *err)
{
    struct dcn_wdset *ds;

    for (ds = w->dsets; ds != NULL; ds = ds->next)
        if (ds->dset >= 0 && strcmp(ds->path, path) == 0)
            return dcn__wdset_close(ds, err);
    return DCN_OK;
}

int
dcn__writer_link(struct dcn_writer *w, const char *src, const char *dst,
                 struct dcn_error *err)
{
    int rc;

    quiet();
    rc = forget_dataset(w, src, err);
    if (rc < 0)
        return rc;
    rc = ensure_parent(w, dst, err);
    if (rc < 0)
        return rc;
    if (path_exists(w->file, dst) != 0)
        return FAIL(w, err, DCN_EEXIST, "%s: exists, cannot link %s", dst, src);
    if (H5Lcreate_hard(w->file, src, w->file, dst, H5P_DEFAULT, H5P_DEFAULT) <
        0)
        return FAIL(w, err, DCN_EIO, "%s: cannot link to %s", dst, src);
    return DCN_OK;
}

int
dcn__writer_delete(struct dcn_writer *w, const char *path,
                   struct dcn_error *err)
{
    int rc;

    quiet();
    rc = forget_dataset(w, path, err);
    if (rc < 0)
        return rc;
    if (path_exists(w->file, path) <= 0)
        return FAIL(w, err, DCN_ENOTFOUND, "%s: no such object", path);
    if (H5Ldelete(w->file, path, H5P_DEFAULT) < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot delete", path);
    return DCN_OK;
}

/* ---- root attributes ------------------------------------------------- */

int
dcn__writer_attr_str(struct dcn_writer *w, const char *name, const char *value,
                     struct dcn_error *err)
{
    quiet();
    if (write_str_attr(w->file, name, value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

int
dcn__writer_attr_i64(struct dcn_writer *w, const char *name, int64_t value,
                     struct dcn_error *err)
{
    quiet();
    if (write_scalar_attr(w->file, name, H5T_STD_I64LE, H5T_NATIVE_INT64,
                          &value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

int
dcn__writer_attr_f64(struct dcn_writer *w, const char *name, double value,
                     struct dcn_error *err)
{
    quiet();
    if (write_scalar_attr(w->file, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                          &value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

/* ---- logs ------------------------------------------------------------ */

/* n strings, lens[k] bytes each (or NUL-terminated if lens is NULL). */
struct str_lines {
    const char *const *s;
    const size_t *lens;
    size_t n;
};

/* The lines into one S<max> dataset at path (open dataset to *out_dset
 * unless NULL). */
static int
write_string_lines(struct dcn_writer *w, const char *path,
                   const struct str_lines *sl, int level, hid_t *out_dset,
                   struct dcn_error *err)
{
    const char *const *lines = sl->s;
    const size_t *lens = sl->lens;
    size_t n = sl->n;
    size_t maxlen = 1;
    size_t k;
    char *buf;
    hid_t t;
    hsize_t dims[1] = {n};
    int rc;

    for (k = 0; k < n; k++) {
        size_t l = lens != NULL ? lens[k] : strlen(lines[k]);

        if (l > maxlen)
            maxlen = l;
    }
    buf = dcn__calloc(n, maxlen);
    if (buf == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    for (k = 0; k < n; k++)
        memcpy(buf + k * maxlen, lines[k],
               lens != NULL ? lens[k] : strlen(lines[k]));
    t = fixed_str_type(maxlen);
    if (t < 0) {
        dcn__free(buf);
        return FAIL(w, err, DCN_EIO, "%s: cannot make string type", path);
    }
    {
        struct fixed_ds d = {path, t, t, 1, dims, level};

        rc = write_fixed_dataset(w, &d, buf, out_dset, err);
    }
    H5Tclose(t);
    dcn__free(buf);
    return rc;
}

int
dcn__writer_log(struct dcn_writer *w, const char *name,
                const char *const *lines, size_t n, bool replace,
                struct dcn_error *err)
{
    char path[512];
    int ex;

    quiet();
    if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
        (size_t)snprintf(path, sizeof(path), "logs/%s", name) >= sizeof(path))
        return FAIL(w, err, DCN_EINVAL, "bad log name \"%s\"",
                    name != NULL ? name : "(null)");
    if (n == 0)
        return DCN_OK; /* D3 */
    ex = path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    if (ex > 0) {
        if (!replace)
            return FAIL(w, err, DCN_EEXIST, "%s: log exists", path);
        if (H5Ldelete(w->file, path, H5P_DEFAULT) < 0)
            return FAIL(w, err, DCN_EIO, "%s: cannot delete", path);
    }
    {
        struct str_lines sl = {lines, NULL, n};

        return write_string_lines(w, path, &sl, w->level, NULL, err);
    }
}

/* ---- copying from an input ------------------------------------------- */

static hid_t
open_input(struct dcn_writer *w, const char *src_path, struct dcn_error *err)
{
    hid_t f;

    if (dcn__zstd_filter_register() < 0) {
        fail(w, err, DCN_EIO, "cannot register the zstd filter");
        return H5I_INVALID_HID;
    }
    f = H5Fopen(src_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        set_error(err, DCN_EIO, "%s: cannot open input file", src_path);
    return f;
}

/* Is t a two-member FALSE/TRUE enum (h5py's bool)? */
static bool
is_bool_enum(hid_t t)
{
    char *n0;
    char *n1;
    bool yes;

    if (H5Tget_class(t) != H5T_ENUM || H5Tget_nmembers(t) != 2)
        return false;
    n0 = H5Tget_member_name(t, 0);
    n1 = H5Tget_member_name(t, 1);
    yes = n0 != NULL && n1 != NULL && strcmp(n0, "FALSE") == 0 &&
          strcmp(n1, "TRUE") == 0;
    H5free_memory(n0);
    H5free_memory(n1);
    return yes;
}

/* The type of the copy, as h5py's numpy round trip makes it: bool enums become
 * int8-based, vlen strings UTF-8; everything else verbatim. */
static hid_t
copy_type(hid_t src)
{
    hid_t t;

    if (is_bool_enum(src)) {
        int8_t v0 = 0;
        int8_t v1 = 1;

        t = H5Tenum_create(H5T_STD_I8LE);
        if (t < 0)
            return t;
        if (H5Tenum_insert(t, "FALSE", &v0) < 0 ||
            H5Tenum_insert(t, "TRUE", &v1) < 0) {
            H5Tclose(t);
            return H5I_INVALID_HID;
        }
        return t;
    }
    t = H5Tcopy(src);
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0)
        H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* A vlen string type: values are pointers that HDF5 allocates. */
static bool
is_vlen_str(hid_t type)
{
    return H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0;
}

/* HDF5 converts no character sets: read a vlen string in its stored set,
 * then store the same pointers as UTF-8 (h5py's round trip). */
static hid_t
attr_read_type(hid_t ftype, hid_t type)
{
    return is_vlen_str(ftype) ? H5Tcopy(ftype) : H5Tcopy(type);
}

/* Free what HDF5 allocated for the values read into buf, if any. */
static void
reclaim_vlen(void *buf, hid_t type, hid_t rtype, hid_t space)
{
    if (H5Tdetect_class(type, H5T_VLEN) > 0 || is_vlen_str(type))
        H5Dvlen_reclaim(rtype >= 0 ? rtype : type, space, H5P_DEFAULT, buf);
}

/* Copy attribute name from src_obj to dst_obj unless present there. */
static int
copy_attr(hid_t dst_obj, hid_t src_obj, const char *name)
{
    hid_t attr = H5I_INVALID_HID;
    hid_t ftype = H5I_INVALID_HID;
    hid_t type = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    hid_t out = H5I_INVALID_HID;
    hid_t rtype = H5I_INVALID_HID;
    void *buf = NULL;
    hssize_t npts;
    size_t bytes;
    int rc = DCN_EIO;
    htri_t ex;

    ex = H5Aexists(dst_obj, name);
    if (ex != 0)
        return ex < 0 ? DCN_EIO : DCN_OK;
    attr = H5Aopen(src_obj, name, H5P_DEFAULT);
    if (attr < 0)
        goto out;
    ftype = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (ftype < 0 || space < 0)
        goto out;
    type = copy_type(ftype);
    npts = H5Sget_simple_extent_npoints(space);
    if (type < 0 || npts < 0)
        goto out;
    bytes = H5Tget_size(type) * (size_t)(npts > 0 ? npts : 1);
    buf = dcn__calloc(1, bytes + 1);
    if (buf == NULL) {
        rc = DCN_ENOMEM;
        goto out;
    }
    rtype = attr_read_type(ftype, type);
    if (rtype < 0 || (npts > 0 && H5Aread(attr, rtype, buf) < 0))
        goto out;
    out = H5Acreate2(dst_obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (out < 0)
        goto out;
    if (npts > 0 && H5Awrite(out, type, buf) < 0)
        goto out;
    rc = DCN_OK;
out:
    if (buf != NULL && type >= 0 && space >= 0 && npts > 0)
        reclaim_vlen(buf, type, rtype, space);
    dcn__free(buf);
    close_id(out);
    close_id(rtype);
    close_id(type);
    close_id(space);
    close_id(ftype);
    close_id(attr);
    return rc;
}

struct attr_copy_ctx {
    hid_t dst;
    hid_t src;
    const char *skip; /* attribute name not to copy, or NULL */
    const char *failed;
    char failed_name[256];
    int code; /* of the failure */
};

static herr_t
attr_copy_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    struct attr_copy_ctx *ctx = data;

    (void)loc;
    (void)info;
    if (ctx->skip != NULL && strcmp(name, ctx->skip) == 0)
        return 0;
    ctx->code = copy_attr(ctx->dst, ctx->src, name);
    if (ctx->code < 0) {
        (void)snprintf(ctx->failed_name, sizeof(ctx->failed_name), "%s", name);
        ctx->failed = ctx->failed_name;
        return -1;
    }
    return 0;
}

/* Copy every attribute of src absent from dst; on failure the name of
 * the attribute goes to failed (ATTR_NAME_MAX bytes). */
#define ATTR_NAME_MAX 256
static int
copy_all_attrs(hid_t dst, hid_t src, const char *skip, char *failed)
{
    struct attr_copy_ctx ctx = {dst, src, skip, NULL, {0}, DCN_OK};
    hsize_t idx = 0;

    (void)snprintf(failed, ATTR_NAME_MAX, "?");
    if (H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_copy_cb, &ctx) <
        0) {
        if (ctx.failed != NULL)
            (void)snprintf(failed, ATTR_NAME_MAX, "%s", ctx.failed);
        return ctx.code < 0 ? ctx.code : DCN_EIO;
    }
    return DCN_OK;
}

int
dcn__writer_copy_attrs(struct dcn_writer *w, const char *src_path,
                       struct dcn_error *err)
{
    char aname[ATTR_NAME_MAX];
    hid_t src;
    int rc = DCN_OK;

    quiet();
    src = open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    rc = copy_all_attrs(w->file, src, NULL, aname);
    if (rc < 0)
        rc = FAIL(w, err, rc, "cannot copy root attribute \"%s\" from %s",
                  aname, src_path);
    H5Fclose(src);
    return rc;
}

/* Append the string attribute name of obj (vlen or fixed) to sb; nothing
 * if it is absent or not a string.  0 or DCN_ENOMEM. */
static int
add_str_attr(struct dcn_strbuf *sb, hid_t obj, const char *name)
{
    hid_t attr = H5I_INVALID_HID;
    hid_t type = H5I_INVALID_HID;
    hid_t mt = H5I_INVALID_HID;
    char *s = NULL;
    int rc = DCN_OK;

    if (H5Aexists(obj, name) <= 0)
        return DCN_OK;
    attr = H5Aopen(obj, name, H5P_DEFAULT);
    type = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
    if (type < 0 || H5Tget_class(type) != H5T_STRING)
        goto out;
    if (H5Tis_variable_str(type) > 0) {
        mt = vlen_str_type();
        if (mt >= 0 && H5Aread(attr, mt, &s) >= 0 && s != NULL)
            rc = dcn__strbuf_adds(sb, s);
        H5free_memory(s);
    } else {
        s = dcn__calloc(1, H5Tget_size(type) + 1);
        if (s == NULL)
            rc = DCN_ENOMEM;
        else if (H5Aread(attr, type, s) >= 0)
            rc = dcn__strbuf_adds(sb, s);
        dcn__free(s);
    }
out:
    close_id(mt);
    close_id(type);
    close_id(attr);
    return rc;
}

/* software attr of a copied log/table: "<old> | <software>" or
 * "<software>". */
static int
set_software_attr(struct dcn_writer *w, hid_t dst, hid_t src)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    int rc = add_str_attr(&sb, src, "software");

    if (rc == DCN_OK && sb.len > 0)
        rc = dcn__strbuf_adds(&sb, " | ");
    if (rc == DCN_OK)
        rc = dcn__strbuf_adds(&sb, w->software);
    if (rc == DCN_OK &&
        write_str_attr(dst, "software", dcn__strbuf_str(&sb)) < 0)
        rc = DCN_EIO;
    dcn__strbuf_release(&sb);
    return rc;
}

/* An opened /logs or /tables member of the input. */
struct meta_src {
    const char *src_path; /* input file */
    const char *path;     /* "logs/x", same in the output */
    hid_t sd;
    hid_t space;
    hid_t ftype;
    hsize_t dims[8];
    int rank;
    hssize_t npts;
};

/* Variable-length strings -> S<max bytes> 1-D dataset *dd. */
static int
copy_vlen_lines(struct dcn_writer *w, const struct meta_src *m, hid_t *dd,
                struct dcn_error *err)
{
    size_t n = (size_t)m->npts;
    char **strs = dcn__calloc(n, sizeof(char *));
    size_t *lens = dcn__calloc(n, sizeof(size_t));
    const char **lines = dcn__calloc(n, sizeof(char *));
    hid_t mtype = vlen_str_type();
    bool read = false;
    size_t k;
    int rc;

    if (strs == NULL || lens == NULL || lines == NULL || mtype < 0) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", m->path);
        goto out;
    }
    if (H5Dread(m->sd, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs) < 0) {
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read strings", m->src_path,
                     m->path);
        goto out;
    }
    read = true;
    for (k = 0; k < n; k++) {
        lines[k] = strs[k] != NULL ? strs[k] : "";
        lens[k] = strlen(lines[k]);
    }
    /* a multi-dimensional vlen log is flattened to 1-D */
    {
        struct str_lines sl = {lines, lens, n};

        rc = write_string_lines(w, m->path, &sl, META_LEVEL, dd, err);
    }
out:
    if (read)
        H5Dvlen_reclaim(mtype, m->space, H5P_DEFAULT, strs);
    close_id(mtype);
    dcn__free(lines);
    dcn__free(lens);
    dcn__free(strs);
    return rc;
}

/* Fixed-size data (fixed strings, numbers, compounds) copied as they are
 * into *dd. */
static int
copy_plain_data(struct dcn_writer *w, const struct meta_src *m, hid_t *dd,
                struct dcn_error *err)
{
    size_t bytes = H5Tget_size(m->ftype) * (size_t)m->npts;
    void *buf;
    int rc;

    if (H5Tdetect_class(m->ftype, H5T_VLEN) > 0 ||
        H5Tdetect_class(m->ftype, H5T_REFERENCE) > 0)
        return ERR_SET(err, DCN_EFORMAT,
                       "%s: %s: variable-length or reference data cannot be "
                       "copied",
                       m->src_path, m->path);
    buf = dcn__malloc(bytes > 0 ? bytes : 1);
    if (buf == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", m->path);
    if (H5Dread(m->sd, m->ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read", m->src_path, m->path);
    else {
        struct fixed_ds d = {m->path, m->ftype, m->ftype,
                             m->rank, m->dims,  META_LEVEL};

        rc = write_fixed_dataset(w, &d, buf, dd, err);
    }
    dcn__free(buf);
    return rc;
}

/* Copy one /logs or /tables member (format.md §2.6). */
static int
copy_meta_dataset(struct dcn_writer *w, hid_t src_file, const char *path,
                  const char *src_path, struct dcn_error *err)
{
    struct meta_src m = {src_path,
                         path,
                         H5I_INVALID_HID,
                         H5I_INVALID_HID,
                         H5I_INVALID_HID,
                         {0},
                         0,
                         0};
    char aname[ATTR_NAME_MAX];
    hid_t dd = H5I_INVALID_HID;
    int rc;

    m.sd = H5Dopen2(src_file, path, H5P_DEFAULT);
    if (m.sd < 0)
        return ERR_SET(err, DCN_EIO, "%s: %s: cannot open dataset", src_path,
                       path);
    m.space = H5Dget_space(m.sd);
    m.ftype = H5Dget_type(m.sd);
    m.rank = m.space >= 0 ? H5Sget_simple_extent_ndims(m.space) : -1;
    m.npts = m.space >= 0 ? H5Sget_simple_extent_npoints(m.space) : -1;
    if (m.ftype < 0 || m.rank < 0 || m.rank > 8 || m.npts < 0 ||
        H5Sget_simple_extent_dims(m.space, m.dims, NULL) < 0) {
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read shape", src_path, path);
        goto out;
    }
    if (m.npts == 0 || m.rank == 0) {
        rc = DCN_OK; /* empty: skipped, as dcnum does */
        goto out;
    }
    if (H5Tget_class(m.ftype) == H5T_STRING && H5Tis_variable_str(m.ftype) > 0)
        rc = copy_vlen_lines(w, &m, &dd, err);
    else
        rc = copy_plain_data(w, &m, &dd, err);
    if (rc < 0)
        goto out;
    rc = copy_all_attrs(dd, m.sd, "software", aname);
    if (rc < 0) {
        rc = FAIL(w, err, rc, "%s: cannot copy attribute \"%s\" of %s", path,
                  aname, src_path);
        goto out;
    }
    rc = set_software_attr(w, dd, m.sd);
    if (rc < 0)
        rc = FAIL(w, err, rc, "%s: cannot write attribute \"software\"", path);
out:
    close_id(dd);
    close_id(m.ftype);
    close_id(m.space);
    close_id(m.sd);
    return rc;
}

struct member_list {
    char **names;
    size_t n;
    size_t cap;
    bool oom;
};

static herr_t
member_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    struct member_list *l = data;

    (void)g;
    (void)info;
    if (l->n == l->cap) {
        size_t ncap = l->cap == 0 ? 16 : l->cap * 2;
        char **p = dcn__realloc(l->names, ncap * sizeof(*p));

        if (p == NULL) {
            l->oom = true;
            return -1;
        }
        l->names = p;
        l->cap = ncap;
    }
    l->names[l->n] = dcn__strdup(name);
    if (l->names[l->n] == NULL) {
        l->oom = true;
        return -1;
    }
    l->n++;
    return 0;
}

static void
member_list_release(struct member_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        dcn__free(l->names[k]);
    dcn__free(l->names);
}

/* Copy the members of group (logs or tables) absent from the output. */
static int
copy_meta_group(struct dcn_writer *w, hid_t src, const char *group,
                const char *src_path, struct dcn_error *err)
{
    struct member_list l = {NULL, 0, 0, false};
    hid_t g = H5I_INVALID_HID;
    int rc = DCN_OK;
    size_t k;

    if (H5Lexists(src, group, H5P_DEFAULT) <= 0)
        return DCN_OK;
    g = H5Gopen2(src, group, H5P_DEFAULT);
    if (g < 0 ||
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, member_cb, &l) < 0)
        rc = l.oom ? FAIL(w, err, DCN_ENOMEM, "out of memory")
                   : ERR_SET(err, DCN_EIO, "%s: cannot list group %s", src_path,
                             group);
    for (k = 0; k < l.n && rc == DCN_OK; k++) {
        char path[512];
        H5O_info_t oi;
        int ex;

        (void)snprintf(path, sizeof(path), "%s/%s", group, l.names[k]);
        if (H5Oget_info_by_name(src, path, &oi, H5P_DEFAULT) < 0 ||
            oi.type != H5O_TYPE_DATASET)
            continue;
        ex = path_exists(w->file, path);
        if (ex < 0)
            rc = FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
        else if (ex == 0)
            rc = copy_meta_dataset(w, src, path, src_path, err);
    }
    member_list_release(&l);
    close_id(g);
    return rc;
}

int
dcn__writer_copy_metadata(struct dcn_writer *w, const char *src_path,
                          struct dcn_error *err)
{
    char aname[ATTR_NAME_MAX];
    hid_t src;
    int rc;

    quiet();
    src = open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    rc = copy_all_attrs(w->file, src, NULL, aname);
    if (rc < 0)
        rc = FAIL(w, err, rc, "cannot copy root attribute \"%s\" from %s",
                  aname, src_path);
    if (rc == DCN_OK)
        rc = copy_meta_group(w, src, "logs", src_path, err);
    if (rc == DCN_OK)
        rc = copy_meta_group(w, src, "tables", src_path, err);
    H5Fclose(src);
    return rc;
}

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
    close_id(f->mtype);
    close_id(f->ftype);
    close_id(f->sd);
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
    close_id(space);
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

    return feature_create(w, ds, path, &t, err);
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
    close_id(mspace);
    close_id(fspace);
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
    rc = copy_all_attrs(ds->dset, f.sd, NULL, aname);
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

    quiet();
    ex = path_exists(w->file, dst);
    if (ex != 0)
        return ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", dst)
                      : FAIL(w, err, DCN_EEXIST, "%s: dataset exists", dst);
    src = open_input(w, src_path, err);
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
    close_id(sd);
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
    rc = ensure_parent(w, dst, err);
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
    close_id(ocpl);
    close_id(dcpl);
    close_id(sd);
    close_id(src);
    return rc;
}

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

    quiet();
    rc = feature_path(w, path, sizeof(path), dst_group, name, err);
    if (rc < 0)
        return rc;
    src = open_input(w, src_path, err);
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
    close_id(src);
    return rc;
}

/* ---- basins ---------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "features": sorted for internal basins, in the given order (and only
 * if non-empty) for file basins. */
static int
basin_add_features(struct dcn_json *o, const struct dcn_basin *b)
{
    const char **sorted;
    int rc;

    if (b->type != DCN_WBASIN_INTERNAL)
        return b->nfeatures > 0
                       ? dcn__json_add_strings(o, "features", b->features,
                                               b->nfeatures)
                       : DCN_OK;
    sorted = dcn__calloc(b->nfeatures > 0 ? b->nfeatures : 1, sizeof(*sorted));
    if (sorted == NULL)
        return DCN_ENOMEM;
    if (b->nfeatures > 0)
        memcpy(sorted, b->features, b->nfeatures * sizeof(*sorted));
    qsort(sorted, b->nfeatures, sizeof(*sorted), cmp_str);
    rc = dcn__json_add_strings(o, "features", sorted, b->nfeatures);
    dcn__free(sorted);
    return rc;
}

/* dcnum's key order up to "features" (format.md §2.5). */
static int
basin_add_head(struct dcn_json *o, const struct dcn_basin *b)
{
    static const char *const internal_paths[1] = {"basin_events"};
    bool internal = b->type == DCN_WBASIN_INTERNAL;
    const char *desc = b->description != NULL ? b->description : "";
    const char *name = b->name != NULL ? b->name : "";
    int rc;

    rc = dcn__json_add(o, "description", dcn__json_string(desc));
    if (rc == 0)
        rc = dcn__json_add(o, "name", dcn__json_string(name));
    if (rc == 0)
        rc = dcn__json_add(o, "format",
                           dcn__json_string(internal ? "h5dataset" : "hdf5"));
    if (rc == 0)
        rc = internal ? dcn__json_add_strings(o, "paths", internal_paths, 1)
                      : dcn__json_add_strings(o, "paths", b->paths, b->npaths);
    if (rc == 0)
        rc = dcn__json_add(o, "type",
                           dcn__json_string(internal ? "internal" : "file"));
    if (rc == 0 && !internal)
        rc = dcn__json_add(o, "identifier",
                           b->identifier != NULL
                                   ? dcn__json_string(b->identifier)
                                   : dcn__json_null());
    return rc;
}

int
dcn__basin_json(struct dcn_strbuf *out, const struct dcn_basin *b)
{
    struct dcn_json *o = dcn__json_object();
    int rc;

    if (o == NULL)
        return DCN_ENOMEM;
    rc = basin_add_head(o, b);
    if (rc == 0)
        rc = basin_add_features(o, b);
    if (rc == 0 && b->mapping != NULL)
        rc = dcn__json_add(o, "mapping", dcn__json_string(b->mapping));
    if (rc == 0)
        rc = dcn__json_dump(out, o, 2, 0);
    dcn__json_free(o);
    return rc;
}

int
dcn__writer_basin(struct dcn_writer *w, const struct dcn_basin *b, char *key,
                  struct dcn_error *err)
{
    struct dcn_strbuf text = DCN_STRBUF_INIT;
    char hex[33];
    char path[64];
    const char **lines = NULL;
    size_t *lens = NULL;
    size_t nlines = 1;
    size_t k;
    size_t pos;
    int ex;
    int rc;

    quiet();
    rc = dcn__basin_json(&text, b);
    if (rc < 0) {
        rc = FAIL(w, err, rc, "basin \"%s\": cannot build JSON (%s)",
                  b->name != NULL ? b->name : "", dcn_strerror(rc));
        goto out;
    }
    dcn__md5_hex(hex, text.buf, text.len);
    if (key != NULL)
        memcpy(key, hex, 33);
    (void)snprintf(path, sizeof(path), "basins/%s", hex);
    ex = path_exists(w->file, path);
    if (ex != 0) {
        rc = ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", path)
                    : DCN_OK; /* deduplicated */
        goto out;
    }
    for (k = 0; k < text.len; k++)
        nlines += text.buf[k] == '\n';
    lines = dcn__calloc(nlines, sizeof(*lines));
    lens = dcn__calloc(nlines, sizeof(*lens));
    if (lines == NULL || lens == NULL) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (k = 0, pos = 0; k < nlines && text.buf != NULL; k++) {
        const char *nl = memchr(text.buf + pos, '\n', text.len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text.buf) : text.len;

        lines[k] = text.buf + pos;
        lens[k] = end - pos;
        pos = end + 1;
    }
    {
        struct str_lines sl = {lines, lens, nlines};

        rc = write_string_lines(w, path, &sl, w->level, NULL, err);
    }
out:
    dcn__free(lens);
    dcn__free(lines);
    dcn__strbuf_release(&text);
    return rc;
}

static int64_t
map_value(const void *map, enum dcn_wtype type, size_t i)
{
    switch (type) {
    case DCN_WT_U8:
        return ((const uint8_t *)map)[i];
    case DCN_WT_I32:
        return ((const int32_t *)map)[i];
    case DCN_WT_U32:
        return ((const uint32_t *)map)[i];
    case DCN_WT_I64:
        return ((const int64_t *)map)[i];
    case DCN_WT_U64:
        return (int64_t)((const uint64_t *)map)[i];
    case DCN_WT_F32:
        return (int64_t)((const float *)map)[i];
    case DCN_WT_F64:
        return (int64_t)((const double *)map)[i];
    }
    return 0;
}

/* 1 if dataset path holds exactly the n values of map, 0 if not, or a
 * negative status. */
static int
map_equal(struct dcn_writer *w, const char *path, const void *map,
          enum dcn_wtype type, size_t n, struct dcn_error *err)
{
    hid_t d = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    int64_t *vals = NULL;
    hsize_t dims[8];
    int rank = 0;
    int rc = DCN_OK;
    size_t k;

    if (forget_dataset(w, path, err) < 0)
        return DCN_EIO;
    d = H5Dopen2(w->file, path, H5P_DEFAULT);
    space = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank < 0 || rank > 8 ||
        H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot read", path);
        goto out;
    }
    if (rank != 1 || dims[0] != n)
        goto out;
    vals = dcn__mallocarray(n > 0 ? n : 1, sizeof(*vals));
    if (vals == NULL) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (n > 0 &&
        H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot read", path);
        goto out;
    }
    for (k = 0; k < n && vals[k] == map_value(map, type, k); k++)
        ;
    rc = k == n;
out:
    dcn__free(vals);
    close_id(space);
    close_id(d);
    return rc;
}

int
dcn__writer_basinmap(struct dcn_writer *w, const void *map, enum dcn_wtype type,
                     size_t n, char *name, struct dcn_error *err)
{
    char path[32];
    int k;

    quiet();
    for (k = 0; k < 10; k++) {
        int ex;
        int rc;

        (void)snprintf(path, sizeof(path), "events/basinmap%d", k);
        ex = path_exists(w->file, path);
        if (ex < 0)
            return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
        if (ex > 0) {
            rc = map_equal(w, path, map, type, n, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
        } else {
            struct dcn_feature_spec spec = {"events", path + 7, type, 0, 0};

            rc = dcn__writer_feature_write(w, &spec, map, n, err);
            if (rc < 0)
                return rc;
        }
        (void)snprintf(name, 16, "basinmap%d", k);
        return DCN_OK;
    }
    return FAIL(w, err, DCN_ERANGE,
                "events: basinmap0..9 all hold other mappings");
}
