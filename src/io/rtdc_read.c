/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read.c - open an .rtdc file, read its metadata, logs, tables and
 * basins, and read features and images through the index mapping and the
 * basins (format.md §1).  Only the reader thread calls into this file,
 * except dcn_rtdc_image_decode(), which is pure.
 *
 * Feature sources: a feature is found in the file's own /events, else in
 * the first usable basin that provides it (internal basins first, then by
 * name, then by /basins key).  A source is (file, dataset path, rows):
 * rows[j] is the dataset row of frame j, or NULL for row j.
 */
#include "rtdc_read.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "md5.h"
#include "rtdc_json.h"
#include "zstd_filter.h"

#define PATH_CAP 1024

/* A resolved basin at run time. */
struct basin_rt {
    struct dcn_basin_desc *d; /* borrowed from r->basins */
    hid_t file;               /* r->file for internal basins (not owned) */
    bool file_owned;
    char group[PATH_CAP]; /* "events" or the internal basin's group */
    bool rows_ready;
    uint64_t *rows; /* per mapped frame; NULL = the referrer's rows */
    bool rows_identity_owned;
};

struct dcn_rtdc_image {
    struct dcn_rtdc_image *next;
    char *name;
    hid_t dset;
    const char *fname; /* borrowed */
    char dpath[PATH_CAP];
    uint64_t *rows; /* owned, per mapped frame, or NULL = row j */
    struct dcn_image_layout layout;
    size_t max_stored; /* largest stored chunk */
    uint64_t height, width;
    uint64_t n; /* frames (the reader's mapped length) */
    char storage[12];
};

struct dcn_rtdc {
    char *path;
    char *dir;
    hid_t file;
    uint64_t n_raw;
    uint64_t n;
    uint64_t *idx; /* raw index per frame, or NULL = identity */
    double pixel_size;
    double frame_rate;
    char *mid;
    uint64_t image_chunk_size;

    struct dcn_attr *attrs;
    size_t nattrs;
    struct dcn_log *logs;
    size_t nlogs;
    char **tables;
    size_t ntables;
    char **events; /* own /events names, sorted */
    size_t nevents;
    struct dcn_basin_desc *basins;
    size_t nbasins;
    struct basin_rt *brt; /* parallel to basins */
    char **warnings;
    size_t nwarnings;
    char **features;
    size_t nfeatures;
    struct dcn_rtdc_image *images;
};

/* ---- small helpers ------------------------------------------------------ */

static int
strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = dcn__realloc(*v, (*n + 1) * sizeof **v);
    char *c;

    if (nv == NULL)
        return DCN_ENOMEM;
    *v = nv;
    c = dcn__strdup(s);
    if (c == NULL)
        return DCN_ENOMEM;
    nv[(*n)++] = c;
    return DCN_OK;
}

static void
strv_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        dcn__free(v[i]);
    dcn__free(v);
}

static bool
strv_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

DCN_PRINTF(2, 3)
static void
warn(struct dcn_rtdc *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    /* A longer warning is cut to the buffer, never overflowed. */
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)strv_push(&r->warnings, &r->nwarnings, buf);
}

/* Format a dataset path into buf; false if it does not fit.  A path
 * longer than PATH_CAP is one the reader cannot address, so callers
 * treat it as absent (as link_exists() does) or report it. */
DCN_PRINTF(3, 4)
static bool
path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

static bool
file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
link_exists(hid_t loc, const char *path)
{
    /* H5Lexists fails on a missing intermediate group: check each. */
    char buf[PATH_CAP];
    char *p;

    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return false;
    p = buf[0] == '/' ? buf + 1 : buf;
    for (;;) {
        char *slash = strchr(p, '/');
        htri_t e;

        if (slash != NULL)
            *slash = '\0';
        e = H5Lexists(loc, buf, H5P_DEFAULT);
        if (e <= 0)
            return false;
        if (slash == NULL)
            return true;
        *slash = '/';
        p = slash + 1;
    }
}

static bool
is_dataset(hid_t loc, const char *path)
{
    H5O_info_t info;

    if (!link_exists(loc, path))
        return false;
    if (H5Oget_info_by_name2(loc, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return false;
    return info.type == H5O_TYPE_DATASET;
}

/* ---- string datasets (logs, basins) ------------------------------------ */

static void
strip_nuls(char *s, size_t len)
{
    while (len > 0 && s[len - 1] == '\0')
        len--;
    s[len] = '\0';
}

/* A 1-D string dataset being read by read_string_lines(). */
struct str_read {
    hid_t dset;
    hid_t ftype;
    hid_t space;
    hid_t mtype;
    size_t n; /* rows */
    const char *fname;
    const char *path;
    char **lines;  /* n slots */
    size_t nlines; /* filled */
};

/* Variable-length strings: read, then copied (NULL reads as ""). */
static int
read_vlen_lines(struct str_read *sr, struct dcn_error *err)
{
    char **vbuf;
    int rc = DCN_OK;

    sr->mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(sr->mtype, H5T_VARIABLE);
    H5Tset_cset(sr->mtype, H5Tget_cset(sr->ftype));
    vbuf = dcn__calloc(sr->n, sizeof *vbuf);
    if (vbuf == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory",
                             sr->fname, sr->path);
    if (H5Dread(sr->dset, sr->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vbuf) < 0) {
        dcn__free(vbuf);
        return dcn_error_set(err, DCN_EIO, "%s: cannot read dataset %s",
                             sr->fname, sr->path);
    }
    for (size_t i = 0; i < sr->n; i++) {
        sr->lines[i] = dcn__strdup(vbuf[i] != NULL ? vbuf[i] : "");
        if (sr->lines[i] == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", sr->fname);
            break;
        }
        sr->nlines = i + 1;
    }
    H5Dvlen_reclaim(sr->mtype, sr->space, H5P_DEFAULT, vbuf);
    dcn__free(vbuf);
    return rc;
}

/* Fixed-length strings: trailing NULs stripped; an embedded NUL ends
 * the text, as numpy does. */
static int
read_fixed_lines(struct str_read *sr, struct dcn_error *err)
{
    size_t sz = H5Tget_size(sr->ftype);
    char *fbuf;
    int rc = DCN_OK;

    sr->mtype = H5Tcopy(sr->ftype);
    fbuf = dcn__mallocarray(sr->n, sz);
    if (fbuf == NULL || sz == 0) {
        dcn__free(fbuf);
        return dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory",
                             sr->fname, sr->path);
    }
    if (H5Dread(sr->dset, sr->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fbuf) < 0) {
        dcn__free(fbuf);
        return dcn_error_set(err, DCN_EIO, "%s: cannot read dataset %s",
                             sr->fname, sr->path);
    }
    for (size_t i = 0; i < sr->n; i++) {
        char *s = dcn__malloc(sz + 1);

        if (s == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", sr->fname);
            break;
        }
        memcpy(s, fbuf + i * sz, sz);
        strip_nuls(s, sz);
        sr->lines[i] = s;
        sr->nlines = i + 1;
    }
    dcn__free(fbuf);
    return rc;
}

/* A log or string table larger than this is taken for a damaged file
 * rather than allocated (real logs have thousands of short lines). */
#define MAX_STRING_ROWS  ((size_t)1 << 24)
#define MAX_STRING_BYTES ((size_t)1 << 30)

/* The row count and string size of a string dataset are plausible. */
static int
check_string_extent(const struct str_read *sr, hsize_t rows,
                    struct dcn_error *err)
{
    size_t size = H5Tis_variable_str(sr->ftype) > 0 ? sizeof(char *)
                                                    : H5Tget_size(sr->ftype);

    if (rows > MAX_STRING_ROWS || size > MAX_STRING_BYTES ||
        (size > 0 && rows > MAX_STRING_BYTES / size))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s: %llu strings of %zu bytes; the "
                             "file is damaged",
                             sr->fname, sr->path, (unsigned long long)rows,
                             size);
    return DCN_OK;
}

/* Open the dataset and check that it is a plausible 1-D string array. */
static int
open_string_dataset(hid_t loc, struct str_read *sr, struct dcn_error *err)
{
    hsize_t dims[1] = {0};

    sr->dset = H5Dopen2(loc, sr->path, H5P_DEFAULT);
    if (sr->dset < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s",
                             sr->fname, sr->path);
    sr->ftype = H5Dget_type(sr->dset);
    sr->space = H5Dget_space(sr->dset);
    if (sr->ftype < 0 || sr->space < 0 ||
        H5Tget_class(sr->ftype) != H5T_STRING ||
        H5Sget_simple_extent_ndims(sr->space) != 1)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s is not a 1-D string array",
                             sr->fname, sr->path);
    H5Sget_simple_extent_dims(sr->space, dims, NULL);
    sr->n = (size_t)dims[0];
    return check_string_extent(sr, dims[0], err);
}

static int
read_string_rows(struct str_read *sr, struct dcn_error *err)
{
    sr->lines = dcn__calloc(sr->n, sizeof *sr->lines);
    if (sr->lines == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory",
                             sr->fname, sr->path);
    if (H5Tis_variable_str(sr->ftype) > 0)
        return read_vlen_lines(sr, err);
    return read_fixed_lines(sr, err);
}

/* Read a 1-D string dataset into lines (owned). */
static int
read_string_lines(hid_t loc, const char *path, const char *fname, char ***lines,
                  size_t *nlines, struct dcn_error *err)
{
    struct str_read sr = {0};
    int rc;

    sr.dset = sr.ftype = sr.space = sr.mtype = H5I_INVALID_HID;
    sr.fname = fname;
    sr.path = path;
    *lines = NULL;
    *nlines = 0;
    rc = open_string_dataset(loc, &sr, err);
    if (rc == DCN_OK && sr.n > 0)
        rc = read_string_rows(&sr, err);
    if (rc < 0) {
        strv_free(sr.lines, sr.nlines);
    } else {
        *lines = sr.lines;
        *nlines = sr.nlines;
    }
    if (sr.mtype >= 0)
        H5Tclose(sr.mtype);
    if (sr.space >= 0)
        H5Sclose(sr.space);
    if (sr.ftype >= 0)
        H5Tclose(sr.ftype);
    if (sr.dset >= 0)
        H5Dclose(sr.dset);
    return rc;
}

/* ---- group listings ------------------------------------------------------ */

struct name_list {
    char **v;
    size_t n;
    int rc;
};

static herr_t
collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    struct name_list *l = data;

    (void)g;
    (void)info;
    if (strv_push(&l->v, &l->n, name) < 0) {
        l->rc = DCN_ENOMEM;
        return -1;
    }
    return 0;
}

/* Sorted member names of group path; an absent group gives none. */
static int
list_group(hid_t file, const char *path, const char *fname, char ***names,
           size_t *n, struct dcn_error *err)
{
    struct name_list l = {NULL, 0, 0};
    hid_t g;

    *names = NULL;
    *n = 0;
    if (!link_exists(file, path))
        return DCN_OK;
    g = H5Gopen2(file, path, H5P_DEFAULT);
    if (g < 0)
        return dcn_error_set(err, DCN_EFORMAT, "%s: %s is not a group", fname,
                             path);
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &l) < 0) {
        H5Gclose(g);
        strv_free(l.v, l.n);
        return dcn_error_set(err, l.rc < 0 ? l.rc : DCN_EIO,
                             "%s: cannot list group %s", fname, path);
    }
    H5Gclose(g);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, cmp_str);
    *names = l.v;
    *n = l.n;
    return DCN_OK;
}

/* ---- root attributes ---------------------------------------------------- */

static void
attr_release(struct dcn_attr *a)
{
    dcn__free(a->name);
    dcn__free(a->s);
}

static int
read_vlen_str_attr(hid_t attr, hid_t ftype, struct dcn_attr *a)
{
    hid_t mtype = H5Tcopy(H5T_C_S1);
    char *v = NULL;
    herr_t hr;

    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5Tget_cset(ftype));
    hr = H5Aread(attr, mtype, &v);
    if (hr >= 0) {
        a->s = dcn__strdup(v != NULL ? v : "");
        H5free_memory(v);
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    return hr < 0 ? DCN_EIO : DCN_OK;
}

static int
read_fixed_str_attr(hid_t attr, hid_t ftype, struct dcn_attr *a)
{
    size_t sz = a->type_size;
    hid_t mtype;
    int rc = DCN_OK;

    a->str_fixed = true;
    mtype = H5Tcopy(ftype);
    a->s = dcn__malloc(sz + 1);
    if (a->s == NULL)
        rc = DCN_ENOMEM;
    else if (H5Aread(attr, mtype, a->s) < 0)
        rc = DCN_EIO;
    else
        strip_nuls(a->s, sz);
    if (mtype >= 0)
        H5Tclose(mtype);
    return rc;
}

static int
read_string_attr(hid_t attr, hid_t ftype, struct dcn_attr *a)
{
    int rc;

    a->str_utf8 = H5Tget_cset(ftype) == H5T_CSET_UTF8;
    if (H5Tis_variable_str(ftype) > 0)
        rc = read_vlen_str_attr(attr, ftype, a);
    else
        rc = read_fixed_str_attr(attr, ftype, a);
    if (rc < 0)
        return rc;
    if (a->s == NULL)
        return DCN_ENOMEM;
    a->kind = DCN_ATTR_STRING;
    return DCN_OK;
}

static int
read_int_attr(hid_t attr, hid_t ftype, struct dcn_attr *a)
{
    a->int_signed = H5Tget_sign(ftype) == H5T_SGN_2;
    if (a->int_signed) {
        int64_t v;

        if (H5Aread(attr, H5T_NATIVE_INT64, &v) < 0)
            return DCN_EIO;
        a->i = v;
    } else {
        uint64_t v;

        if (H5Aread(attr, H5T_NATIVE_UINT64, &v) < 0)
            return DCN_EIO;
        a->i = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
    }
    a->d = (double)a->i;
    a->kind = DCN_ATTR_INT;
    return DCN_OK;
}

static int
read_float_attr(hid_t attr, struct dcn_attr *a)
{
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, &a->d) < 0)
        return DCN_EIO;
    a->kind = DCN_ATTR_FLOAT;
    return DCN_OK;
}

/* The value of an enum read as its base integer type (bsz bytes). */
static int64_t
enum_value(const unsigned char *buf, size_t bsz, bool is_signed)
{
    switch (bsz) {
    case 1:
        return is_signed ? (int8_t)buf[0] : buf[0];
    case 2: {
        int16_t s;
        uint16_t u;

        memcpy(&s, buf, 2);
        memcpy(&u, buf, 2);
        return is_signed ? s : u;
    }
    case 4: {
        int32_t s;
        uint32_t u;

        memcpy(&s, buf, 4);
        memcpy(&u, buf, 4);
        return is_signed ? s : (int64_t)u;
    }
    default: {
        int64_t v;

        memcpy(&v, buf, 8);
        return v;
    }
    }
}

/* An enum (h5py's bool): its integer value and base type. */
static int
read_enum_attr(hid_t attr, hid_t ftype, struct dcn_attr *a)
{
    unsigned char buf[16] = {0};
    hid_t base = H5Tget_super(ftype);
    size_t bsz = base >= 0 ? H5Tget_size(base) : 0;
    hid_t mtype;
    int rc = DCN_OK;

    a->int_signed = base >= 0 && H5Tget_sign(base) == H5T_SGN_2;
    if (base >= 0)
        H5Tclose(base);
    mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    if (mtype < 0 || bsz == 0 || bsz > 8 || H5Aread(attr, mtype, buf) < 0)
        rc = DCN_EIO;
    if (mtype >= 0)
        H5Tclose(mtype);
    if (rc < 0)
        return rc;
    a->i = enum_value(buf, bsz, a->int_signed);
    a->type_size = bsz;
    a->d = (double)a->i;
    a->kind = DCN_ATTR_BOOL;
    return DCN_OK;
}

/* The value of a scalar attribute by type class; others stay OTHER. */
static int
read_attr_value(hid_t attr, hid_t ftype, hid_t space, struct dcn_attr *a)
{
    H5T_class_t cls = H5Tget_class(ftype);
    hssize_t npoints = H5Sget_simple_extent_npoints(space);

    a->type_size = H5Tget_size(ftype);
    if (npoints != 1)
        return DCN_OK;
    switch (cls) {
    case H5T_STRING:
        return read_string_attr(attr, ftype, a);
    case H5T_INTEGER:
        return read_int_attr(attr, ftype, a);
    case H5T_FLOAT:
        return read_float_attr(attr, a);
    case H5T_ENUM:
        return read_enum_attr(attr, ftype, a);
    default:
        return DCN_OK;
    }
}

/* Read one attribute of loc into a (name set by caller). */
static int
read_attr(hid_t attr, struct dcn_attr *a)
{
    hid_t ftype = H5Aget_type(attr);
    hid_t space = H5Aget_space(attr);
    int rc = DCN_EIO;

    a->kind = DCN_ATTR_OTHER;
    if (ftype >= 0 && space >= 0)
        rc = read_attr_value(attr, ftype, space, a);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    return rc;
}

struct attr_list {
    struct dcn_attr *v;
    size_t n;
    int rc;
};

static herr_t
collect_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    struct attr_list *l = data;
    struct dcn_attr *nv;
    struct dcn_attr *a;
    hid_t attr;
    int rc;

    (void)info;
    nv = dcn__realloc(l->v, (l->n + 1) * sizeof *nv);
    if (nv == NULL) {
        l->rc = DCN_ENOMEM;
        return -1;
    }
    l->v = nv;
    a = &nv[l->n];
    memset(a, 0, sizeof *a);
    a->name = dcn__strdup(name);
    if (a->name == NULL) {
        l->rc = DCN_ENOMEM;
        return -1;
    }
    l->n++;
    attr = H5Aopen(loc, name, H5P_DEFAULT);
    if (attr < 0) {
        l->rc = DCN_EIO;
        return -1;
    }
    rc = read_attr(attr, a);
    H5Aclose(attr);
    if (rc < 0) {
        l->rc = rc;
        return -1;
    }
    return 0;
}

static int
read_root_attrs(hid_t file, const char *fname, struct dcn_attr **out, size_t *n,
                struct dcn_error *err)
{
    struct attr_list l = {NULL, 0, 0};
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    herr_t hr;

    *out = NULL;
    *n = 0;
    if (root < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot open the root group",
                             fname);
    hr = H5Aiterate2(root, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, &l);
    H5Gclose(root);
    if (hr < 0) {
        int code = l.rc < 0 ? l.rc : DCN_EIO;
        const char *which = l.n > 0 ? l.v[l.n - 1].name : "?";

        /* set the message before the names are freed */
        dcn_error_set(err, code, "%s: cannot read root attribute near '%s'",
                      fname, which);
        for (size_t i = 0; i < l.n; i++)
            attr_release(&l.v[i]);
        dcn__free(l.v);
        return code;
    }
    *out = l.v;
    *n = l.n;
    return DCN_OK;
}

static const struct dcn_attr *
find_attr(const struct dcn_attr *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

static const char *
attr_text(const struct dcn_attr *v, size_t n, const char *name)
{
    const struct dcn_attr *a = find_attr(v, n, name);

    if (a == NULL || a->kind != DCN_ATTR_STRING || a->s[0] == '\0')
        return NULL;
    return a->s;
}

/* The run identifier as stored, or (quirk) as dcnum's b'...' when it is
 * a fixed-length string (NULL otherwise).  Owned result or NULL. */
static char *
run_id_variant(const struct dcn_attr *rid, bool quirk)
{
    size_t len;
    char *out;

    if (!quirk)
        return dcn__strdup(rid->s);
    if (!rid->str_fixed)
        return NULL;
    len = strlen(rid->s) + 4;
    out = dcn__malloc(len);
    if (out != NULL)
        (void)snprintf(out, len, "b'%s'", rid->s); /* sized to fit */
    return out;
}

/* The MD5 hex digest as an 8-4-4-4-12 identifier.  Owned or NULL. */
static char *
uuid_from_hex(const char hex[33])
{
    char *out = dcn__malloc(37);

    if (out == NULL)
        return NULL;
    /* 32 digits and 4 dashes fill the 37 bytes exactly */
    (void)snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
                   hex + 16, hex + 20);
    return out;
}

/*
 * §1.9 with D2: decoded strings.  With quirk, dcnum's own variant instead:
 * fixed-length string attrs enter as Python's bytes repr b'...' (§1.9),
 * so that identifiers dcnum wrote into basins still match (NULL if no
 * attr involved is fixed-length).  Owned result or NULL.
 */
static char *
measurement_id_variant(const struct dcn_attr *v, size_t n, bool quirk)
{
    static const char *const keys[3] = {"experiment:time", "experiment:date",
                                        "setup:identifier"};
    const char *parts[3];
    bool fixed[3];
    bool any_fixed = false;
    char *text;
    char hex[33];
    size_t len = 16;

    if (attr_text(v, n, "experiment:run identifier") != NULL)
        return run_id_variant(find_attr(v, n, "experiment:run identifier"),
                              quirk);
    for (int i = 0; i < 3; i++) {
        const struct dcn_attr *a = find_attr(v, n, keys[i]);

        parts[i] = attr_text(v, n, keys[i]);
        if (parts[i] == NULL)
            return NULL;
        fixed[i] = quirk && a->str_fixed;
        any_fixed |= fixed[i];
        len += strlen(parts[i]) + 3;
    }
    if (quirk && !any_fixed)
        return NULL;
    text = dcn__malloc(len);
    if (text == NULL)
        return NULL;
    /* len counts every part with its b'...' and the separators */
    (void)snprintf(text, len, "%s%s%s_%s%s%s_%s%s%s", fixed[0] ? "b'" : "",
                   parts[0], fixed[0] ? "'" : "", fixed[1] ? "b'" : "",
                   parts[1], fixed[1] ? "'" : "", fixed[2] ? "b'" : "",
                   parts[2], fixed[2] ? "'" : "");
    dcn__md5_hex(hex, text, strlen(text));
    dcn__free(text);
    return uuid_from_hex(hex);
}

static char *
measurement_id(const struct dcn_attr *v, size_t n)
{
    return measurement_id_variant(v, n, false);
}

/* A basin file's measurement identifier against the expected one. */
struct id_check {
    char *mid;  /* the file's D2 identifier (owned, may be NULL) */
    bool match; /* equal (D2), or equal to dcnum's variant */
    bool quirk; /* matched only dcnum's fixed-length variant */
};

/* Does file's measurement identifier (D2, or dcnum's quirk) equal id? */
static int
file_id_matches(hid_t file, const char *fname, const char *id,
                struct id_check *c, struct dcn_error *err)
{
    struct dcn_attr *v = NULL;
    size_t n = 0;
    char *alt;
    int rc;

    c->mid = NULL;
    c->match = false;
    c->quirk = false;
    rc = read_root_attrs(file, fname, &v, &n, err);
    if (rc < 0)
        return rc;
    c->mid = measurement_id(v, n);
    c->match = c->mid != NULL && strcmp(c->mid, id) == 0;
    if (!c->match) {
        alt = measurement_id_variant(v, n, true);
        c->quirk = c->match = alt != NULL && strcmp(alt, id) == 0;
        dcn__free(alt);
    }
    for (size_t i = 0; i < n; i++)
        attr_release(&v[i]);
    dcn__free(v);
    return DCN_OK;
}

/* ---- basins -------------------------------------------------------------- */

static void
basin_desc_release(struct dcn_basin_desc *d)
{
    dcn__free(d->key);
    dcn__free(d->name);
    dcn__free(d->type);
    dcn__free(d->format);
    dcn__free(d->mapping);
    dcn__free(d->identifier);
    strv_free(d->paths, d->npaths);
    strv_free(d->features, d->nfeatures);
    dcn__free(d->resolved);
}

static char *
json_str_dup(const struct dcn_json_object *o, const char *key)
{
    const struct dcn_json_member *m = dcn_json_get(o, key);

    if (m == NULL || m->kind != DCN_JSON_STRING)
        return NULL;
    return dcn__strdup(m->str);
}

static int
json_strv_dup(const struct dcn_json_object *o, const char *key, char ***v,
              size_t *n, bool *present)
{
    const struct dcn_json_member *m = dcn_json_get(o, key);

    *v = NULL;
    *n = 0;
    *present = m != NULL && m->kind == DCN_JSON_ARRAY;
    if (!*present)
        return DCN_OK;
    for (size_t i = 0; i < m->nitems; i++)
        if (strv_push(v, n, m->items[i]) < 0)
            return DCN_ENOMEM;
    return DCN_OK;
}

/* lines joined by '\n' into text (sized by the caller); its length. */
static size_t
join_lines(char *text, char *const *lines, size_t nlines)
{
    size_t total = 0;

    for (size_t i = 0; i < nlines; i++) {
        size_t l = strlen(lines[i]);

        memcpy(text + total, lines[i], l);
        total += l;
        if (i + 1 < nlines)
            text[total++] = '\n';
    }
    text[total] = '\0';
    return total;
}

/* The lines of the string dataset path joined by '\n' (owned). */
static int
read_joined_text(hid_t file, const char *fname, const char *path, char **text,
                 size_t *len, struct dcn_error *err)
{
    char **lines = NULL;
    size_t nlines = 0;
    size_t total = 0;
    int rc;

    *text = NULL;
    *len = 0;
    rc = read_string_lines(file, path, fname, &lines, &nlines, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nlines; i++)
        total += strlen(lines[i]) + 1;
    *text = dcn__malloc(total + 1);
    if (*text == NULL) {
        strv_free(lines, nlines);
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
    }
    *len = join_lines(*text, lines, nlines);
    strv_free(lines, nlines);
    return DCN_OK;
}

/* The fields of a parsed basin definition into d; DCN_ENOMEM or OK. */
static int
basin_desc_from_json(struct dcn_basin_desc *d, const char *key,
                     const struct dcn_json_object *obj)
{
    const struct dcn_json_member *mm;
    bool present;
    int rc;

    d->key = dcn__strdup(key);
    d->name = json_str_dup(obj, "name");
    d->type = json_str_dup(obj, "type");
    d->format = json_str_dup(obj, "format");
    d->identifier = json_str_dup(obj, "identifier");
    mm = dcn_json_get(obj, "mapping");
    if (mm != NULL && mm->kind == DCN_JSON_STRING &&
        strcmp(mm->str, "same") != 0) /* D1 */
        d->mapping = dcn__strdup(mm->str);
    rc = json_strv_dup(obj, "paths", &d->paths, &d->npaths, &present);
    if (rc == 0)
        rc = json_strv_dup(obj, "features", &d->features, &d->nfeatures,
                           &d->features_listed);
    return rc < 0 || d->key == NULL ? DCN_ENOMEM : DCN_OK;
}

/* Read and parse the basin definition /basins/<key> into d. */
static int
read_basin_desc(hid_t file, const char *fname, const char *key,
                struct dcn_basin_desc *d, struct dcn_error *err)
{
    char path[PATH_CAP];
    char *text;
    size_t total = 0;
    size_t where = 0;
    struct dcn_json_object obj;
    int rc;

    if (!path_fmt(path, sizeof path, "/basins/%s", key))
        return dcn_error_set(err, DCN_EIO, "%s: path too long: /basins/%s",
                             fname, key);
    rc = read_joined_text(file, fname, path, &text, &total, err);
    if (rc < 0)
        return rc;
    rc = dcn_json_parse(&obj, text, total, &where);
    dcn__free(text);
    if (rc < 0) {
        dcn_json_object_release(&obj);
        return dcn_error_set(err, rc == DCN_ENOMEM ? DCN_ENOMEM : DCN_EFORMAT,
                             "%s: basin definition %s is not valid JSON "
                             "(byte %zu)",
                             fname, path, where);
    }
    rc = basin_desc_from_json(d, key, &obj);
    dcn_json_object_release(&obj);
    if (rc < 0)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
    return DCN_OK;
}

/* Read and parse the basin definitions of file (all, in key order). */
static int
read_basin_descs(hid_t file, const char *fname, struct dcn_basin_desc **out,
                 size_t *nout, struct dcn_error *err)
{
    char **keys = NULL;
    size_t nkeys = 0;
    struct dcn_basin_desc *v = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    *nout = 0;
    rc = list_group(file, "/basins", fname, &keys, &nkeys, err);
    if (rc < 0)
        return rc;
    if (nkeys > 0) {
        v = dcn__calloc(nkeys, sizeof *v);
        if (v == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
            goto out;
        }
    }
    /* a failed definition counts, so that its fields are released */
    for (size_t k = 0; k < nkeys && rc == DCN_OK; k++, n++)
        rc = read_basin_desc(file, fname, keys[k], &v[k], err);
out:
    strv_free(keys, nkeys);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            basin_desc_release(&v[i]);
        dcn__free(v);
        return rc;
    }
    *out = v;
    *nout = n;
    return DCN_OK;
}

static enum dcn_basin_type
basin_type(const struct dcn_basin_desc *d)
{
    if (d->type != NULL && strcmp(d->type, "internal") == 0)
        return DCN_BASIN_INTERNAL;
    if (d->type != NULL && strcmp(d->type, "file") == 0)
        return DCN_BASIN_FILE;
    return DCN_BASIN_OTHER;
}

static int
basin_order(const struct dcn_basin_desc *a, const struct dcn_basin_desc *b)
{
    int ta = basin_type(a) == DCN_BASIN_INTERNAL ? 0 : 1;
    int tb = basin_type(b) == DCN_BASIN_INTERNAL ? 0 : 1;

    if (ta != tb)
        return ta - tb;
    return strcmp(a->name != NULL ? a->name : "",
                  b->name != NULL ? b->name : "");
}

/* Stable insertion sort (few basins): §1.8 order. */
static void
sort_basins(struct dcn_basin_desc *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct dcn_basin_desc x = v[i];
        size_t j = i;

        while (j > 0 && basin_order(&v[j - 1], &x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static bool
is_basinmap(const char *name)
{
    return strncmp(name, "basinmap", 8) == 0;
}

/* Where a basin file's own internal basin keeps a feature (D6). */
struct nested {
    bool found;
    char dpath[PATH_CAP]; /* the feature's dataset */
    char mpath[PATH_CAP]; /* its mapping dataset, "" when unmapped */
};

/* Does the internal basin d of file provide feature?  Then in *out. */
static bool
internal_provides(hid_t file, const struct dcn_basin_desc *d,
                  const char *feature, struct nested *out)
{
    if (basin_type(d) != DCN_BASIN_INTERNAL || d->npaths == 0 ||
        !strv_has(d->features, d->nfeatures, feature))
        return false;
    if (!path_fmt(out->dpath, sizeof out->dpath, "/%s/%s", d->paths[0],
                  feature) ||
        !is_dataset(file, out->dpath))
        return false;
    out->mpath[0] = '\0';
    return d->mapping == NULL ||
           (path_fmt(out->mpath, sizeof out->mpath, "/events/%s", d->mapping) &&
            is_dataset(file, out->mpath));
}

/* D6: the internal basin of file that provides feature, or none. */
static int
nested_internal(hid_t file, const char *fname, const char *feature,
                struct nested *out, struct dcn_error *err)
{
    struct dcn_basin_desc *v = NULL;
    size_t n = 0;
    int rc;

    out->found = false;
    rc = read_basin_descs(file, fname, &v, &n, err);
    if (rc < 0)
        return rc;
    sort_basins(v, n);
    for (size_t i = 0; i < n && !out->found; i++)
        out->found = internal_provides(file, &v[i], feature, out);
    for (size_t i = 0; i < n; i++)
        basin_desc_release(&v[i]);
    dcn__free(v);
    return DCN_OK;
}

static void
close_basin_files(struct dcn_rtdc *r)
{
    for (size_t i = 0; i < r->nbasins; i++) {
        struct basin_rt *b = &r->brt[i];

        if (b->file_owned && b->file >= 0)
            H5Fclose(b->file);
        b->file = H5I_INVALID_HID;
        dcn__free(b->rows);
        b->rows = NULL;
    }
}

static const char *
basin_label(const struct dcn_basin_desc *d)
{
    return d->name != NULL ? d->name : d->key;
}

static int
resolve_internal(struct dcn_rtdc *r, struct dcn_basin_desc *d,
                 struct basin_rt *b, struct dcn_error *err)
{
    const char *label = basin_label(d);

    if (d->npaths == 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: internal basin '%s' (/basins/%s) "
                             "has no paths",
                             r->path, label, d->key);
    if (!d->features_listed)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: internal basin '%s' (/basins/%s) "
                             "lists no features",
                             r->path, label, d->key);
    if (strcmp(d->paths[0], "basin_events") != 0)
        warn(r, "%s: internal basin '%s' uses group '%s'", r->path, label,
             d->paths[0]);
    if (!link_exists(r->file, d->paths[0])) {
        warn(r, "%s: internal basin '%s': group /%s missing; dropped", r->path,
             label, d->paths[0]);
        return DCN_OK;
    }
    b->file = r->file;
    /* fits: link_exists() takes no path longer than PATH_CAP */
    (void)snprintf(b->group, sizeof b->group, "%s", d->paths[0]);
    d->resolved = dcn__strdup(d->paths[0]);
    d->usable = true;
    return DCN_OK;
}

/* Append ", " (unless first) and path, under dir unless absolute, to
 * buf; *tl counts what snprintf reports (so a full buf stays full). */
static void
append_path(char *buf, size_t cap, size_t *tl, const char *dir,
            const char *path)
{
    int k;

    if (*tl >= cap)
        return;
    if (path[0] == '/')
        k = snprintf(buf + *tl, cap - *tl, "%s%s", *tl > 0 ? ", " : "", path);
    else
        k = snprintf(buf + *tl, cap - *tl, "%s%s/%s", *tl > 0 ? ", " : "", dir,
                     path);
    if (k > 0)
        *tl += (size_t)k;
}

/* The first of d's paths that is a regular file, into cand (PATH_CAP
 * bytes); every candidate tried is listed in tried. */
static bool
find_basin_file(const struct dcn_rtdc *r, const struct dcn_basin_desc *d,
                char *cand, char *tried, size_t tried_cap)
{
    size_t tl = 0;
    bool found = false;

    tried[0] = '\0';
    for (size_t p = 0; p < d->npaths && !found; p++) {
        const char *pp = d->paths[p];
        bool fits = pp[0] == '/'
                            ? path_fmt(cand, PATH_CAP, "%s", pp)
                            : path_fmt(cand, PATH_CAP, "%s/%s", r->dir, pp);

        append_path(tried, tried_cap, &tl, r->dir, pp);
        found = fits && file_exists(cand);
    }
    return found;
}

/* The identifier a file basin names must be the file's (D2). */
static int
check_basin_id(struct dcn_rtdc *r, const struct dcn_basin_desc *d, hid_t file,
               const char *cand, struct dcn_error *err)
{
    const char *label = basin_label(d);
    struct id_check c;
    int rc;

    if (d->identifier == NULL)
        return DCN_OK;
    rc = file_id_matches(file, cand, d->identifier, &c, err);
    if (rc < 0)
        return rc;
    if (!c.match) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: basin '%s': identifier mismatch: "
                           "expected %s, %s has %s",
                           r->path, label, d->identifier, cand,
                           c.mid != NULL ? c.mid : "none");
        dcn__free(c.mid);
        return rc;
    }
    if (c.quirk)
        warn(r,
             "%s: basin '%s': identifier %s is dcnum's variant "
             "of %s's (fixed-length strings, D2); accepted",
             r->path, label, d->identifier, cand);
    dcn__free(c.mid);
    return DCN_OK;
}

/* No "features" key: everything in the basin file's /events. */
static int
list_basin_features(struct dcn_basin_desc *d, hid_t file, const char *cand,
                    struct dcn_error *err)
{
    char **names = NULL;
    size_t nn = 0;
    int rc = list_group(file, "/events", cand, &names, &nn, err);

    if (rc < 0)
        return rc;
    for (size_t k = 0; k < nn; k++) {
        if (!is_basinmap(names[k]) &&
            strv_push(&d->features, &d->nfeatures, names[k]) < 0) {
            rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
            break;
        }
    }
    strv_free(names, nn);
    return rc;
}

/* Can the basin file deliver feature (own /events or D6)? */
static int
basin_file_provides(hid_t file, const char *cand, const char *feature, bool *ok,
                    struct dcn_error *err)
{
    char fp[PATH_CAP];
    struct nested nest;
    int rc;

    *ok = path_fmt(fp, sizeof fp, "/events/%s", feature) &&
          is_dataset(file, fp);
    if (*ok)
        return DCN_OK;
    rc = nested_internal(file, cand, feature, &nest, err);
    *ok = nest.found;
    return rc;
}

/* D6: keep only the listed features the basin file can deliver. */
static int
keep_deliverable(struct dcn_rtdc *r, struct dcn_basin_desc *d, hid_t file,
                 const char *cand, struct dcn_error *err)
{
    size_t w = 0;
    size_t k;
    int rc = DCN_OK;

    for (k = 0; k < d->nfeatures && rc == DCN_OK; k++) {
        bool ok = false;

        rc = basin_file_provides(file, cand, d->features[k], &ok, err);
        if (rc < 0 || ok) {
            d->features[w++] = d->features[k];
            continue;
        }
        warn(r, "%s: basin '%s': %s does not provide feature '%s'", r->path,
             basin_label(d), cand, d->features[k]);
        dcn__free(d->features[k]);
    }
    /* after a failure the unchecked rest stays, each name once */
    for (; k < d->nfeatures; k++)
        d->features[w++] = d->features[k];
    d->nfeatures = w;
    return rc;
}

static int
resolve_file(struct dcn_rtdc *r, struct dcn_basin_desc *d, struct basin_rt *b,
             struct dcn_error *err)
{
    const char *label = basin_label(d);
    char cand[PATH_CAP];
    char tried[1024];
    int rc;

    if (!find_basin_file(r, d, cand, tried, sizeof tried)) {
        warn(r, "%s: basin '%s': file not found (tried: %s); dropped", r->path,
             label, d->npaths > 0 ? tried : "no paths");
        return DCN_OK;
    }
    b->file = H5Fopen(cand, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (b->file < 0) {
        warn(r, "%s: basin '%s': %s cannot be opened as HDF5; dropped", r->path,
             label, cand);
        return DCN_OK;
    }
    b->file_owned = true;
    d->resolved = dcn__strdup(cand);
    if (d->resolved == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    rc = check_basin_id(r, d, b->file, cand, err);
    if (rc < 0)
        return rc;
    (void)snprintf(b->group, sizeof b->group, "events"); /* fits */
    if (!d->features_listed)
        rc = list_basin_features(d, b->file, cand, err);
    else
        rc = keep_deliverable(r, d, b->file, cand, err);
    if (rc < 0)
        return rc;
    d->usable = true;
    return DCN_OK;
}

static int
resolve_basin(struct dcn_rtdc *r, struct dcn_basin_desc *d, struct basin_rt *b,
              struct dcn_error *err)
{
    const char *label = basin_label(d);
    char mp[PATH_CAP];

    b->d = d;
    if (basin_type(d) == DCN_BASIN_OTHER) {
        warn(r, "%s: basin '%s' of type '%s' is not supported; dropped",
             r->path, label, d->type != NULL ? d->type : "(none)");
        return DCN_OK;
    }
    if (d->mapping != NULL &&
        (!path_fmt(mp, sizeof mp, "/events/%s", d->mapping) ||
         !is_dataset(r->file, mp))) {
        warn(r, "%s: basin '%s' maps through %s, which is missing; dropped",
             r->path, label, mp);
        return DCN_OK;
    }
    if (basin_type(d) == DCN_BASIN_INTERNAL)
        return resolve_internal(r, d, b, err);
    return resolve_file(r, d, b, err);
}

static int
resolve_basins(struct dcn_rtdc *r, struct dcn_error *err)
{
    int rc;

    rc = read_basin_descs(r->file, r->path, &r->basins, &r->nbasins, err);
    if (rc < 0)
        return rc;
    sort_basins(r->basins, r->nbasins);
    if (r->nbasins == 0)
        return DCN_OK;
    r->brt = dcn__calloc(r->nbasins, sizeof *r->brt);
    if (r->brt == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < r->nbasins; i++)
        r->brt[i].file = H5I_INVALID_HID;
    for (size_t i = 0; i < r->nbasins; i++) {
        rc = resolve_basin(r, &r->basins[i], &r->brt[i], err);
        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

/* ---- feature sources ----------------------------------------------------- */

struct src {
    hid_t file;        /* borrowed */
    const char *fname; /* borrowed */
    char dpath[PATH_CAP];
    const uint64_t *rows; /* per frame, or NULL = row j */
    uint64_t *owned;      /* rows allocated for this source */
};

static void
src_init(struct src *s)
{
    memset(s, 0, sizeof *s);
    s->file = H5I_INVALID_HID;
}

static void
src_release(struct src *s)
{
    dcn__free(s->owned);
    s->owned = NULL;
}

/* Frames [a, b) of a 1-D dataset and where they go. */
struct row_read {
    uint64_t a;
    uint64_t b;
    hid_t mtype;  /* memory type of one item */
    size_t esize; /* its bytes */
    void *out;    /* b - a items */
};

/* Read the rows s->rows of s's 1-D dataset (or 0..n-1) as uint64. */
static int read_u64_at(const struct src *s, uint64_t n, uint64_t *out,
                       struct dcn_error *err);

/* The mapping of a basin: the basin row of each of the reader's frames. */
static int
read_basin_map(struct dcn_rtdc *r, struct basin_rt *b, struct dcn_error *err)
{
    struct src m;
    int rc;

    b->rows = dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *b->rows);
    if (b->rows == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    src_init(&m);
    m.file = r->file;
    m.fname = r->path;
    m.rows = r->idx;
    /* fits: resolve_basin() found the mapping by this same path */
    (void)snprintf(m.dpath, sizeof m.dpath, "/events/%s", b->d->mapping);
    rc = read_u64_at(&m, r->n, b->rows, err);
    if (rc < 0) {
        dcn__free(b->rows);
        b->rows = NULL;
    }
    return rc;
}

/* The referrer rows of a basin (computed once). */
static int
basin_rows(struct dcn_rtdc *r, struct basin_rt *b, const uint64_t **rows,
           struct dcn_error *err)
{
    if (!b->rows_ready && b->d->mapping != NULL) {
        int rc = read_basin_map(r, b, err);

        if (rc < 0)
            return rc;
    }
    b->rows_ready = true;
    *rows = b->d->mapping != NULL ? b->rows : r->idx;
    return DCN_OK;
}

/* The candidate paths of all file basins, for error messages. */
static void
paths_tried(const struct dcn_rtdc *r, char *buf, size_t cap)
{
    size_t tl = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->nbasins && tl < cap; i++) {
        const struct dcn_basin_desc *d = &r->basins[i];

        if (basin_type(d) != DCN_BASIN_FILE)
            continue;
        for (size_t p = 0; p < d->npaths && tl < cap; p++)
            append_path(buf, cap, &tl, r->dir, d->paths[p]);
    }
    if (tl == 0)
        (void)snprintf(buf, cap, "none"); /* cut if cap is tiny */
}

/* s's rows through the basin file's own mapping (D6): the basin rows
 * s->rows (the referrer's) read through the mapping dataset. */
static int
read_nested_rows(const struct dcn_rtdc *r, const struct nested *nest,
                 struct src *s, struct dcn_error *err)
{
    struct src m = *s;
    int rc;

    s->owned = dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *s->owned);
    if (s->owned == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    m.owned = NULL;
    memcpy(m.dpath, nest->mpath, sizeof m.dpath);
    rc = read_u64_at(&m, r->n, s->owned, err);
    if (rc < 0) {
        src_release(s);
        return rc;
    }
    s->rows = s->owned;
    return DCN_OK;
}

/* A file basin that lacks the feature in its /events: through its own
 * internal basin (D6). */
static int
locate_nested(const struct dcn_rtdc *r, const char *name, struct src *s,
              bool *found, struct dcn_error *err)
{
    struct nested nest;
    int rc = nested_internal(s->file, s->fname, name, &nest, err);

    *found = nest.found;
    if (rc < 0 || !nest.found)
        return rc;
    memcpy(s->dpath, nest.dpath, sizeof s->dpath);
    if (nest.mpath[0] != '\0')
        return read_nested_rows(r, &nest, s, err);
    return DCN_OK;
}

/* Feature name in basin i, which lists it; *found false: try the next. */
static int
locate_in_basin(struct dcn_rtdc *r, size_t i, const char *name, struct src *s,
                bool *found, struct dcn_error *err)
{
    struct basin_rt *b = &r->brt[i];
    const struct dcn_basin_desc *d = &r->basins[i];
    const uint64_t *brows = NULL;
    int rc;

    *found = false;
    rc = basin_rows(r, b, &brows, err);
    if (rc < 0)
        return rc;
    s->file = b->file;
    s->fname = basin_type(d) == DCN_BASIN_FILE ? d->resolved : r->path;
    s->rows = brows;
    if (!path_fmt(s->dpath, sizeof s->dpath, "/%s/%s", b->group, name))
        return DCN_OK;
    if (basin_type(d) == DCN_BASIN_FILE && !is_dataset(b->file, s->dpath))
        return locate_nested(r, name, s, found, err);
    *found = true;
    return DCN_OK;
}

static int
locate(struct dcn_rtdc *r, const char *name, struct src *s,
       struct dcn_error *err)
{
    char tried[1024];

    src_init(s);
    if (path_fmt(s->dpath, sizeof s->dpath, "/events/%s", name) &&
        is_dataset(r->file, s->dpath)) {
        s->file = r->file;
        s->fname = r->path;
        s->rows = r->idx;
        return DCN_OK;
    }
    for (size_t i = 0; i < r->nbasins; i++) {
        const struct dcn_basin_desc *d = &r->basins[i];
        bool found = false;
        int rc;

        if (!d->usable || is_basinmap(name) ||
            !strv_has(d->features, d->nfeatures, name))
            continue;
        rc = locate_in_basin(r, i, name, s, &found, err);
        if (rc < 0 || found)
            return rc;
    }
    paths_tried(r, tried, sizeof tried);
    return dcn_error_set(err, DCN_ENOTFOUND,
                         "%s: feature '%s' not found in /events or any basin "
                         "(basin paths tried: %s)",
                         r->path, name, tried);
}

/* Smallest and largest dataset row of frames [a, b), b > a (rows NULL:
 * frame j is row j). */
static void
row_span(const uint64_t *rows, uint64_t a, uint64_t b, uint64_t *lo,
         uint64_t *hi)
{
    if (rows == NULL) {
        *lo = a;
        *hi = b - 1;
        return;
    }
    *lo = UINT64_MAX;
    *hi = 0;
    for (uint64_t j = a; j < b; j++) {
        *lo = rows[j] < *lo ? rows[j] : *lo;
        *hi = rows[j] > *hi ? rows[j] : *hi;
    }
}

/* An open 1-D dataset and the rows [lo, hi] to read from it. */
struct span_read {
    hid_t dset;
    hid_t fspace;
    uint64_t lo;
    uint64_t hi;
};

static int
check_1d_numeric(const struct src *s, const struct span_read *sp,
                 struct dcn_error *err)
{
    hid_t t;
    H5T_class_t c;

    if (sp->fspace < 0 || H5Sget_simple_extent_ndims(sp->fspace) != 1)
        return dcn_error_set(err, DCN_EFORMAT, "%s: dataset %s is not 1-D",
                             s->fname, s->dpath);
    t = H5Dget_type(sp->dset);
    c = H5Tget_class(t);
    H5Tclose(t);
    if (c != H5T_INTEGER && c != H5T_FLOAT)
        return dcn_error_set(err, DCN_EFORMAT, "%s: dataset %s is not numeric",
                             s->fname, s->dpath);
    return DCN_OK;
}

/* Rows [lo, hi] in one hyperslab, then (mapped) each frame's row. */
static int
read_row_span(const struct src *s, const struct row_read *q,
              const struct span_read *sp, struct dcn_error *err)
{
    hsize_t start[1] = {sp->lo};
    hsize_t count[1] = {sp->hi - sp->lo + 1};
    unsigned char *tmp = NULL;
    void *buf = q->out;
    hid_t mspace;
    int rc = DCN_OK;

    if (s->rows != NULL) {
        tmp = dcn__mallocarray((size_t)count[0], q->esize);
        if (tmp == NULL)
            return dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory",
                                 s->fname, s->dpath);
        buf = tmp;
    }
    mspace = H5Screate_simple(1, count, NULL);
    if (mspace < 0 ||
        H5Sselect_hyperslab(sp->fspace, H5S_SELECT_SET, start, NULL, count,
                            NULL) < 0 ||
        H5Dread(sp->dset, q->mtype, mspace, sp->fspace, H5P_DEFAULT, buf) < 0)
        rc = dcn_error_set(err, DCN_EIO,
                           "%s: cannot read dataset %s (rows %llu-%llu)",
                           s->fname, s->dpath, (unsigned long long)sp->lo,
                           (unsigned long long)sp->hi);
    else if (s->rows != NULL)
        for (uint64_t j = q->a; j < q->b; j++)
            memcpy((unsigned char *)q->out + (j - q->a) * q->esize,
                   tmp + (s->rows[j] - sp->lo) * q->esize, q->esize);
    if (mspace >= 0)
        H5Sclose(mspace);
    dcn__free(tmp);
    return rc;
}

/* Read frames q->a..q->b of s's 1-D dataset at s->rows into q->out. */
static int
read_1d_rows(const struct src *s, const struct row_read *q,
             struct dcn_error *err)
{
    struct span_read sp = {H5I_INVALID_HID, H5I_INVALID_HID, 0, 0};
    hsize_t dims[1] = {0};
    int rc;

    if (q->b <= q->a)
        return DCN_OK;
    sp.dset = H5Dopen2(s->file, s->dpath, H5P_DEFAULT);
    if (sp.dset < 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s",
                             s->fname, s->dpath);
    sp.fspace = H5Dget_space(sp.dset);
    rc = check_1d_numeric(s, &sp, err);
    if (rc < 0)
        goto out;
    H5Sget_simple_extent_dims(sp.fspace, dims, NULL);
    row_span(s->rows, q->a, q->b, &sp.lo, &sp.hi);
    if (sp.hi >= dims[0]) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has %llu rows, row %llu needed",
                           s->fname, s->dpath, (unsigned long long)dims[0],
                           (unsigned long long)sp.hi);
        goto out;
    }
    rc = read_row_span(s, q, &sp, err);
out:
    if (sp.fspace >= 0)
        H5Sclose(sp.fspace);
    H5Dclose(sp.dset);
    return rc;
}

static int
read_u64_at(const struct src *s, uint64_t n, uint64_t *out,
            struct dcn_error *err)
{
    struct row_read q;
    int64_t *tmp;
    int rc;

    if (n == 0)
        return DCN_OK;
    tmp = (int64_t *)out; /* same size: read as int64, reject negatives */
    q.a = 0;
    q.b = n;
    q.mtype = H5T_NATIVE_INT64;
    q.esize = sizeof(int64_t);
    q.out = tmp;
    rc = read_1d_rows(s, &q, err);
    if (rc < 0)
        return rc;
    for (uint64_t j = 0; j < n; j++)
        if (tmp[j] < 0)
            return dcn_error_set(err, DCN_EFORMAT,
                                 "%s: %s: negative index %lld at %llu",
                                 s->fname, s->dpath, (long long)tmp[j],
                                 (unsigned long long)j);
    return DCN_OK;
}

/* Check the range, find the feature (own events or a basin). */
static int
scalar_locate(struct dcn_rtdc *r, const char *name, const struct row_read *q,
              struct src *s, struct dcn_error *err)
{
    src_init(s);
    if (r == NULL || name == NULL || q->a > q->b || q->b > r->n ||
        (q->out == NULL && q->b > q->a))
        return dcn_error_set(
                err, DCN_EINVAL, "scalar read: bad range [%llu, %llu)",
                (unsigned long long)q->a, (unsigned long long)q->b);
    return locate(r, name, s, err);
}

/* Frames [a, b) of a scalar feature converted to q->mtype. */
static int
scalar_read_as(struct dcn_rtdc *r, const char *name, const struct row_read *q,
               struct dcn_error *err)
{
    struct src s;
    int rc = scalar_locate(r, name, q, &s, err);

    if (rc < 0)
        return rc;
    rc = read_1d_rows(&s, q, err);
    src_release(&s);
    return rc;
}

int
dcn_rtdc_scalar_read_f64(struct dcn_rtdc *r, const char *name, uint64_t a,
                         uint64_t b, double *out, struct dcn_error *err)
{
    struct row_read q = {a, b, H5T_NATIVE_DOUBLE, sizeof(double), NULL};

    q.out = out;
    return scalar_read_as(r, name, &q, err);
}

int
dcn_rtdc_scalar_read_i64(struct dcn_rtdc *r, const char *name, uint64_t a,
                         uint64_t b, int64_t *out, struct dcn_error *err)
{
    struct row_read q = {a, b, H5T_NATIVE_INT64, sizeof(int64_t), NULL};

    q.out = out;
    return scalar_read_as(r, name, &q, err);
}

/* Native memory type of a numeric dataset, and its description. */
static int
native_numeric(hid_t file, const char *fname, const char *path, hid_t *mtype,
               struct dcn_dtype *dt, struct dcn_error *err)
{
    hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t ftype = dset >= 0 ? H5Dget_type(dset) : H5I_INVALID_HID;
    H5T_class_t cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    int rc = DCN_OK;

    *mtype = H5I_INVALID_HID;
    if (dset < 0 || ftype < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s", fname,
                           path);
    } else if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        rc = dcn_error_set(err, DCN_EFORMAT, "%s: dataset %s is not numeric",
                           fname, path);
    } else {
        *mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        dt->size = H5Tget_size(*mtype);
        dt->cls = cls == H5T_FLOAT                     ? DCN_DTYPE_FLOAT
                  : H5Tget_sign(ftype) == H5T_SGN_NONE ? DCN_DTYPE_UINT
                                                       : DCN_DTYPE_INT;
        if (*mtype < 0 || dt->size == 0 || dt->size > 8)
            rc = dcn_error_set(err, DCN_EFORMAT,
                               "%s: dataset %s has an unsupported dtype", fname,
                               path);
    }
    if (ftype >= 0)
        H5Tclose(ftype);
    if (dset >= 0)
        H5Dclose(dset);
    if (rc < 0 && *mtype >= 0) {
        H5Tclose(*mtype);
        *mtype = H5I_INVALID_HID;
    }
    return rc;
}

int
dcn_rtdc_scalar_dtype(struct dcn_rtdc *r, const char *name,
                      struct dcn_dtype *dt, struct dcn_error *err)
{
    struct src s;
    hid_t mtype;
    int rc;

    rc = locate(r, name, &s, err);
    if (rc < 0)
        return rc;
    rc = native_numeric(s.file, s.fname, s.dpath, &mtype, dt, err);
    if (rc == 0)
        H5Tclose(mtype);
    src_release(&s);
    return rc;
}

int
dcn_rtdc_scalar_read_raw(struct dcn_rtdc *r, const char *name, uint64_t a,
                         uint64_t b, void *out, struct dcn_error *err)
{
    struct dcn_dtype dt = {0};
    struct row_read q = {a, b, H5I_INVALID_HID, 0, out};
    struct src s;
    int rc = scalar_locate(r, name, &q, &s, err);

    if (rc < 0)
        return rc;
    rc = native_numeric(s.file, s.fname, s.dpath, &q.mtype, &dt, err);
    if (rc == 0) {
        q.esize = dt.size;
        rc = read_1d_rows(&s, &q, err);
        H5Tclose(q.mtype);
    }
    src_release(&s);
    return rc;
}

bool
dcn_rtdc_has_feature(struct dcn_rtdc *r, const char *feature)
{
    char p[PATH_CAP];

    if (path_fmt(p, sizeof p, "/events/%s", feature) && is_dataset(r->file, p))
        return true;
    for (size_t i = 0; i < r->nbasins; i++)
        if (r->basins[i].usable && !is_basinmap(feature) &&
            strv_has(r->basins[i].features, r->basins[i].nfeatures, feature))
            return true;
    return false;
}

/* ---- images ------------------------------------------------------------- */

static void
image_free(struct dcn_rtdc_image *im)
{
    if (im == NULL)
        return;
    if (im->dset >= 0)
        H5Dclose(im->dset);
    dcn__free(im->rows);
    dcn__free(im->name);
    dcn__free(im);
}

static int
read_pipeline(hid_t dcpl, struct dcn_filter_pipeline *p)
{
    int n = H5Pget_nfilters(dcpl);

    memset(p, 0, sizeof *p);
    if (n < 0 || n > DCN_PIPELINE_MAX)
        return -1;
    p->nfilters = n;
    for (int i = 0; i < n; i++) {
        struct dcn_filter *f = &p->filters[i];
        size_t nelm = DCN_FILTER_CD_MAX;
        unsigned cfg = 0;
        char nm[64];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &f->flags, &nelm,
                                         f->cd_values, sizeof nm, nm, &cfg);

        if (id < 0)
            return -1;
        f->id = (unsigned)id;
        f->cd_nelmts = nelm < DCN_FILTER_CD_MAX ? nelm : DCN_FILTER_CD_MAX;
    }
    return 0;
}

/* "float", "uint", "int", ... for a message about a wrong dtype. */
static const char *
dtype_kind(hid_t type)
{
    H5T_class_t c = H5Tget_class(type);

    if (c == H5T_FLOAT)
        return "float";
    if (c == H5T_INTEGER)
        return H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int";
    if (c == H5T_STRING)
        return "string";
    return "non-numeric";
}

/* Rank 3, dtype uint8, non-empty images and enough frames; the extent
 * into the layout. */
static int
check_image_shape(struct dcn_rtdc_image *im, hid_t space, hid_t type,
                  uint64_t nrows_needed, struct dcn_error *err)
{
    hsize_t dims[3] = {0, 0, 0};

    if (H5Sget_simple_extent_ndims(space) != 3)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s has rank %d, expected 3 "
                             "(frames, height, width)",
                             im->fname, im->dpath,
                             H5Sget_simple_extent_ndims(space));
    if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != 1 ||
        H5Tget_sign(type) != H5T_SGN_NONE)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s has dtype %s%zu, expected uint8",
                             im->fname, im->dpath, dtype_kind(type),
                             8 * H5Tget_size(type));
    H5Sget_simple_extent_dims(space, dims, NULL);
    if (dims[1] == 0 || dims[2] == 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s has empty images (%llux%llu)",
                             im->fname, im->dpath, (unsigned long long)dims[1],
                             (unsigned long long)dims[2]);
    if (dims[0] < nrows_needed)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dataset %s has %llu frames, %llu needed",
                             im->fname, im->dpath, (unsigned long long)dims[0],
                             (unsigned long long)nrows_needed);
    for (int i = 0; i < 3; i++)
        im->layout.extent[i] = dims[i];
    im->height = dims[1];
    im->width = dims[2];
    return DCN_OK;
}

/* Every filter is one dcnumc undoes or one HDF5 has available. */
static int
check_image_filters(const struct dcn_rtdc_image *im, struct dcn_error *err)
{
    const struct dcn_filter_pipeline *p = &im->layout.pipeline;

    for (int i = 0; i < p->nfilters; i++) {
        unsigned id = p->filters[i].id;

        if (id != DCN_FILTER_ZSTD && id != DCN_FILTER_DEFLATE &&
            id != DCN_FILTER_FLETCHER32 &&
            H5Zfilter_avail((H5Z_filter_t)id) <= 0)
            return dcn_error_set(err, DCN_EFILTER,
                                 "%s: dataset %s uses HDF5 filter %u, which "
                                 "dcnumc cannot decode",
                                 im->fname, im->dpath, id);
    }
    return DCN_OK;
}

static const char *
layout_name(H5D_layout_t layout)
{
    switch (layout) {
    case H5D_CHUNKED:
        return "chunked";
    case H5D_CONTIGUOUS:
        return "contiguous";
    case H5D_VIRTUAL:
        return "virtual";
    case H5D_COMPACT:
        return "compact";
    default:
        return "unknown";
    }
}

/* The fill value of the dataset as uint8 (0 unless user-defined). */
static unsigned char
fill_value(hid_t dcpl)
{
    H5D_fill_value_t fv = H5D_FILL_VALUE_UNDEFINED;
    unsigned char fill = 0;

    H5Pfill_value_defined(dcpl, &fv);
    if (fv == H5D_FILL_VALUE_USER_DEFINED)
        H5Pget_fill_value(dcpl, H5T_NATIVE_UCHAR, &fill);
    return fill;
}

/* The largest stored chunk into im->max_stored; false if the chunk
 * index cannot be read. */
static bool
scan_stored_chunks(struct dcn_rtdc_image *im, hid_t space)
{
    hsize_t nchunks = 0;

    if (H5Dget_num_chunks(im->dset, space, &nchunks) < 0)
        return false;
    for (hsize_t k = 0; k < nchunks; k++) {
        hsize_t off[3];
        unsigned mask;
        haddr_t addr;
        hsize_t size = 0;

        if (H5Dget_chunk_info(im->dset, space, k, off, &mask, &addr, &size) < 0)
            return false;
        if (size > im->max_stored)
            im->max_stored = (size_t)size;
    }
    return true;
}

/* Chunk shape, and whether the workers can decode the stored chunks
 * (l->raw): filters they undo, zero fill, a readable chunk index. */
static void
inspect_chunks(struct dcn_rtdc_image *im, hid_t dcpl, hid_t space)
{
    struct dcn_image_layout *l = &im->layout;
    hsize_t cd[3] = {0, 0, 0};
    unsigned char fill;

    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 3, cd) != 3)
        return;
    for (int i = 0; i < 3; i++)
        l->chunk[i] = cd[i];
    l->chunk_bytes = (size_t)(cd[0] * cd[1] * cd[2]);
    l->ntiles = (size_t)(((l->extent[1] + cd[1] - 1) / cd[1]) *
                         ((l->extent[2] + cd[2] - 1) / cd[2]));
    fill = fill_value(dcpl);
    l->raw = dcn_filter_pipeline_decodable(&l->pipeline) && fill == 0 &&
             cd[0] > 0 && cd[1] > 0 && cd[2] > 0;
    l->raw = l->raw && scan_stored_chunks(im, space);
}

/* Layout, dtype and filter checks of a 3-D image dataset. */
static int
image_inspect(struct dcn_rtdc_image *im, uint64_t nrows_needed,
              struct dcn_error *err)
{
    hid_t space = H5Dget_space(im->dset);
    hid_t type = H5Dget_type(im->dset);
    hid_t dcpl = H5Dget_create_plist(im->dset);
    int rc;

    if (space < 0 || type < 0 || dcpl < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot inspect dataset %s",
                           im->fname, im->dpath);
        goto out;
    }
    rc = check_image_shape(im, space, type, nrows_needed, err);
    if (rc < 0)
        goto out;
    if (read_pipeline(dcpl, &im->layout.pipeline) < 0) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: cannot read the filters of %s", im->fname,
                           im->dpath);
        goto out;
    }
    rc = check_image_filters(im, err);
    if (rc < 0)
        goto out;
    /* the longest name, "contiguous", fits */
    (void)snprintf(im->storage, sizeof im->storage, "%s",
                   layout_name(H5Pget_layout(dcpl)));
    inspect_chunks(im, dcpl, space);
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static struct dcn_rtdc_image *
find_image(const struct dcn_rtdc *r, const char *name)
{
    for (struct dcn_rtdc_image *im = r->images; im != NULL; im = im->next)
        if (strcmp(im->name, name) == 0)
            return im;
    return NULL;
}

/* The image's own copy of the source rows (taken over when owned). */
static int
image_take_rows(struct dcn_rtdc_image *im, const struct dcn_rtdc *r,
                struct src *s, struct dcn_error *err)
{
    if (s->rows == NULL)
        return DCN_OK;
    if (s->owned != NULL) {
        im->rows = s->owned;
        s->owned = NULL;
        return DCN_OK;
    }
    if (r->n == 0)
        return DCN_OK;
    im->rows = dcn__mallocarray(r->n, sizeof *im->rows);
    if (im->rows == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    memcpy(im->rows, s->rows, r->n * sizeof *im->rows);
    return DCN_OK;
}

/* Dataset rows the image needs: one past its largest row, or n. */
static uint64_t
image_rows_needed(const struct dcn_rtdc_image *im, uint64_t n)
{
    uint64_t need = 0;

    if (im->rows == NULL)
        return n;
    for (uint64_t j = 0; j < n; j++)
        if (im->rows[j] + 1 > need)
            need = im->rows[j] + 1;
    return need;
}

int
dcn_rtdc_image_open(struct dcn_rtdc *r, const char *name,
                    struct dcn_rtdc_image **out, struct dcn_error *err)
{
    struct dcn_rtdc_image *im;
    struct src s;
    int rc;

    *out = find_image(r, name);
    if (*out != NULL)
        return DCN_OK;
    rc = locate(r, name, &s, err);
    if (rc < 0)
        return rc;
    im = dcn__calloc(1, sizeof *im);
    if (im == NULL || (im->name = dcn__strdup(name)) == NULL) {
        dcn__free(im);
        src_release(&s);
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    }
    im->dset = H5I_INVALID_HID;
    im->fname = s.fname;
    /* fits: both are PATH_CAP bytes */
    (void)snprintf(im->dpath, sizeof im->dpath, "%s", s.dpath);
    rc = image_take_rows(im, r, &s, err);
    if (rc < 0)
        goto fail;
    src_release(&s);
    im->layout.mapped = im->rows != NULL;
    im->n = r->n;
    im->dset = H5Dopen2(s.file, im->dpath, H5P_DEFAULT);
    if (im->dset < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s",
                           im->fname, im->dpath);
        goto fail;
    }
    rc = image_inspect(im, image_rows_needed(im, r->n), err);
    if (rc < 0)
        goto fail;
    im->next = r->images;
    r->images = im;
    *out = im;
    return DCN_OK;
fail:
    src_release(&s);
    image_free(im);
    return rc;
}

const struct dcn_image_layout *
dcn_rtdc_image_layout(const struct dcn_rtdc_image *im)
{
    return &im->layout;
}

const char *
dcn_rtdc_image_storage(const struct dcn_rtdc_image *im)
{
    return im->storage;
}

void
dcn_rtdc_image_source(const struct dcn_rtdc_image *im, const char **file,
                      const char **dataset)
{
    *file = im->fname;
    *dataset = im->dpath;
}

void
dcn_rtdc_image_shape(const struct dcn_rtdc_image *im, size_t *height,
                     size_t *width)
{
    *height = (size_t)im->height;
    *width = (size_t)im->width;
}

/* Chunk rows (first, last) covering dataset rows for frames [a, b). */
static void
chunk_span(const struct dcn_rtdc_image *im, const uint64_t *rows, uint64_t a,
           uint64_t b, uint64_t *c_first, uint64_t *c_last)
{
    uint64_t lo;
    uint64_t hi;
    uint64_t c0 = im->layout.chunk[0];

    row_span(rows, a, b, &lo, &hi);
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

size_t
dcn_rtdc_image_decode_scratch_size(const struct dcn_image_layout *l)
{
    if (!l->raw)
        return 0;
    return ((dcn_chunk_decode_dst_size(l->chunk_bytes) + 63u) & ~(size_t)63u) +
           dcn_chunk_decode_scratch_size(l->chunk_bytes);
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

    if (H5Dget_chunk_storage_size(im->dset, off, &sz) < 0)
        sz = 0;
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
    j.cap = (dcn_chunk_decode_dst_size(l->chunk_bytes) + 63u) & ~(size_t)63u;
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

/* ---- open / accessors ---------------------------------------------------- */

static int
mapping_count(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    uint64_t N = r->n_raw;

    if (m->count < 0 || (uint64_t)m->count > N)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: index mapping %llu exceeds the %llu "
                             "events (experiment:event count)",
                             r->path, (unsigned long long)m->count,
                             (unsigned long long)N);
    r->n = (uint64_t)m->count;
    return DCN_OK;
}

/* Python's slice semantics over the N events. */
static int
mapping_slice(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    uint64_t N = r->n_raw;
    int64_t start = m->has_start ? m->start : 0;
    int64_t stop = m->has_stop ? m->stop : (int64_t)N;
    int64_t step = m->has_step ? m->step : 1;
    uint64_t cnt = 0;

    if (step <= 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: index mapping slice step must be > 0",
                             r->path);
    if (start < 0)
        start += (int64_t)N;
    if (stop < 0)
        stop += (int64_t)N;
    if (start < 0)
        start = 0;
    if (stop > (int64_t)N)
        stop = (int64_t)N;
    if (stop > start)
        cnt = (uint64_t)((stop - start + step - 1) / step);
    r->n = cnt;
    if (cnt == 0)
        return DCN_OK;
    r->idx = dcn__mallocarray(cnt, sizeof *r->idx);
    if (r->idx == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (uint64_t j = 0; j < cnt; j++)
        r->idx[j] = (uint64_t)start + j * (uint64_t)step;
    return DCN_OK;
}

static int
mapping_list(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
             struct dcn_error *err)
{
    uint64_t N = r->n_raw;

    r->n = m->nindices;
    if (m->nindices == 0)
        return DCN_OK;
    r->idx = dcn__mallocarray(m->nindices, sizeof *r->idx);
    if (r->idx == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (size_t j = 0; j < m->nindices; j++) {
        if (m->indices[j] >= N)
            return dcn_error_set(err, DCN_EINVAL,
                                 "%s: index mapping entry %zu (%llu) is "
                                 "not below the %llu events",
                                 r->path, j, (unsigned long long)m->indices[j],
                                 (unsigned long long)N);
        r->idx[j] = m->indices[j];
    }
    return DCN_OK;
}

static int
build_mapping(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    r->idx = NULL;
    r->n = r->n_raw;
    if (m == NULL || m->kind == DCN_MAPPING_NONE)
        return DCN_OK;
    if (m->kind == DCN_MAPPING_COUNT)
        return mapping_count(r, m, err);
    if (m->kind == DCN_MAPPING_SLICE)
        return mapping_slice(r, m, err);
    if (m->kind == DCN_MAPPING_LIST)
        return mapping_list(r, m, err);
    return dcn_error_set(err, DCN_EINVAL, "bad index mapping kind");
}

static double
round8(double v)
{
    /* %.8f of any double fits: at most 1 + 309 + 1 + 8 characters */
    char buf[512];

    (void)snprintf(buf, sizeof buf, "%.8f", v);
    return strtod(buf, NULL);
}

static bool
is_number(const struct dcn_attr *a)
{
    return a != NULL && (a->kind == DCN_ATTR_INT || a->kind == DCN_ATTR_FLOAT);
}

/* experiment:event count, the number of events N (D14). */
static int
read_event_count(struct dcn_rtdc *r, struct dcn_error *err)
{
    const struct dcn_attr *a =
            find_attr(r->attrs, r->nattrs, "experiment:event count");

    if (!is_number(a))
        return dcn_error_set(err, a == NULL ? DCN_ENOTFOUND : DCN_EFORMAT,
                             "%s: root attribute 'experiment:event count' "
                             "is %s (D14)",
                             r->path, a == NULL ? "missing" : "not a number");
    if ((a->kind == DCN_ATTR_INT && a->i < 0) ||
        (a->kind == DCN_ATTR_FLOAT && !(a->d >= 0)))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: root attribute 'experiment:event count' is "
                             "negative",
                             r->path);
    r->n_raw = a->kind == DCN_ATTR_INT ? (uint64_t)a->i : (uint64_t)a->d;
    return DCN_OK;
}

/* The user's pixel size, else the file's (D14), rounded (§1). */
static int
read_pixel_size(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
                struct dcn_error *err)
{
    const struct dcn_attr *a;

    if (opts != NULL && opts->pixel_size > 0) {
        r->pixel_size = round8(opts->pixel_size);
        return DCN_OK;
    }
    a = find_attr(r->attrs, r->nattrs, "imaging:pixel size");
    if (opts != NULL && (opts->flags & DCN_RTDC_OPEN_NO_PIXEL_SIZE)) {
        if (is_number(a))
            r->pixel_size = round8(a->d);
        return DCN_OK;
    }
    if (!is_number(a))
        return dcn_error_set(err, a == NULL ? DCN_ENOTFOUND : DCN_EFORMAT,
                             "%s: root attribute 'imaging:pixel size' is "
                             "%s and no pixel size was given (D14)",
                             r->path, a == NULL ? "missing" : "not a number");
    r->pixel_size = round8(a->d);
    if (!(r->pixel_size > 0) || !isfinite(r->pixel_size))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: root attribute 'imaging:pixel size' is "
                             "%g; give a pixel size (D14)",
                             r->path, a->d);
    return DCN_OK;
}

static int
open_checks(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
            struct dcn_error *err)
{
    const struct dcn_attr *a;
    int rc;

    rc = read_event_count(r, err);
    if (rc < 0)
        return rc;
    rc = read_pixel_size(r, opts, err);
    if (rc < 0)
        return rc;
    a = find_attr(r->attrs, r->nattrs, "imaging:frame rate");
    if (a != NULL && (a->kind == DCN_ATTR_FLOAT || a->kind == DCN_ATTR_INT))
        r->frame_rate = a->d;
    return build_mapping(r, opts != NULL ? &opts->mapping : NULL, err);
}

static int
collect_features(struct dcn_rtdc *r, struct dcn_error *err)
{
    for (size_t i = 0; i < r->nevents; i++)
        if (strv_push(&r->features, &r->nfeatures, r->events[i]) < 0)
            return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (size_t b = 0; b < r->nbasins; b++) {
        const struct dcn_basin_desc *d = &r->basins[b];

        if (!d->usable)
            continue;
        for (size_t k = 0; k < d->nfeatures; k++)
            if (!is_basinmap(d->features[k]) &&
                !strv_has(r->features, r->nfeatures, d->features[k]) &&
                strv_push(&r->features, &r->nfeatures, d->features[k]) < 0)
                return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    }
    if (r->nfeatures > 1)
        qsort(r->features, r->nfeatures, sizeof *r->features, cmp_str);
    return DCN_OK;
}

/* strerror() without its static buffer (concurrency-mt-unsafe). */
static const char *
errno_text(int e, char *buf, size_t cap)
{
    buf[0] = '\0';
    /* glibc writes "Unknown error N" for an unknown e */
    (void)strerror_r(e, buf, cap);
    return buf;
}

/* Open the file with errors classified (missing, not HDF5, damaged). */
static int
open_file(struct dcn_rtdc *r, struct dcn_error *err)
{
    struct stat st;
    char why[256];
    htri_t is;
    int e;

    if (stat(r->path, &st) != 0) {
        e = errno;
        return dcn_error_set(err, e == ENOENT ? DCN_ENOTFOUND : DCN_EIO,
                             "%s: cannot open: %s", r->path,
                             errno_text(e, why, sizeof why));
    }
    if (!S_ISREG(st.st_mode))
        return dcn_error_set(err, DCN_EIO, "%s: not a regular file", r->path);
    if (access(r->path, R_OK) != 0) {
        e = errno;
        return dcn_error_set(err, DCN_EIO, "%s: cannot read: %s", r->path,
                             errno_text(e, why, sizeof why));
    }
    is = H5Fis_hdf5(r->path);
    if (is <= 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: not an HDF5 file (no HDF5 signature)",
                             r->path);
    r->file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0)
        return dcn_error_set(err, DCN_ECORRUPT,
                             "%s: HDF5 file cannot be opened (truncated or "
                             "damaged)",
                             r->path);
    return DCN_OK;
}

/* The directory of path, for basin paths relative to it.  Owned. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;

    if (slash == NULL)
        return dcn__strdup(".");
    if (slash == path)
        return dcn__strdup("/");
    dir = dcn__malloc((size_t)(slash - path) + 1);
    if (dir != NULL) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    return dir;
}

/* The attributes a measurement identifier is made of are there (so a
 * missing identifier means out of memory). */
static bool
mid_expected(const struct dcn_rtdc *r)
{
    const struct dcn_attr *v = r->attrs;
    size_t n = r->nattrs;

    return attr_text(v, n, "experiment:run identifier") != NULL ||
           (attr_text(v, n, "experiment:time") != NULL &&
            attr_text(v, n, "experiment:date") != NULL &&
            attr_text(v, n, "setup:identifier") != NULL);
}

/* One log, taken over from *name unless empty (empty logs are skipped). */
static int
read_log(struct dcn_rtdc *r, char **name, struct dcn_error *err)
{
    struct dcn_log *lg = &r->logs[r->nlogs];
    char p[PATH_CAP];
    int rc;

    if (!path_fmt(p, sizeof p, "/logs/%s", *name))
        return dcn_error_set(err, DCN_EIO, "%s: path too long: /logs/%s",
                             r->path, *name);
    rc = read_string_lines(r->file, p, r->path, &lg->lines, &lg->nlines, err);
    if (rc < 0 || lg->nlines == 0)
        return rc;
    lg->name = *name;
    *name = NULL;
    r->nlogs++;
    return DCN_OK;
}

static int
read_logs(struct dcn_rtdc *r, struct dcn_error *err)
{
    char **names = NULL;
    size_t nn = 0;
    int rc = list_group(r->file, "/logs", r->path, &names, &nn, err);

    if (rc < 0)
        return rc;
    if (nn > 0) {
        r->logs = dcn__calloc(nn, sizeof *r->logs);
        if (r->logs == NULL) {
            strv_free(names, nn);
            return dcn_error_set(err, DCN_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < nn && rc == DCN_OK; i++)
        rc = read_log(r, &names[i], err);
    strv_free(names, nn);
    return rc;
}

/* Root attributes, identifier, checks, and the names in /events,
 * /tables and /logs with the logs' lines. */
static int
read_metadata(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
              struct dcn_error *err)
{
    int rc = read_root_attrs(r->file, r->path, &r->attrs, &r->nattrs, err);

    if (rc < 0)
        return rc;
    r->mid = measurement_id(r->attrs, r->nattrs);
    if (r->mid == NULL && mid_expected(r))
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", r->path);
    rc = open_checks(r, opts, err);
    if (rc < 0)
        return rc;
    rc = list_group(r->file, "/events", r->path, &r->events, &r->nevents, err);
    if (rc < 0)
        return rc;
    rc = list_group(r->file, "/tables", r->path, &r->tables, &r->ntables, err);
    if (rc < 0)
        return rc;
    return read_logs(r, err);
}

/* Frames per chunk of the file's own chunked /events/image, or 0. */
static uint64_t
own_image_chunk_rows(hid_t file)
{
    hid_t d;
    hid_t dcpl;
    hsize_t cd[3] = {0, 0, 0};
    uint64_t rows = 0;

    if (!is_dataset(file, "/events/image"))
        return 0;
    d = H5Dopen2(file, "/events/image", H5P_DEFAULT);
    dcpl = d >= 0 ? H5Dget_create_plist(d) : H5I_INVALID_HID;
    if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
        H5Pget_chunk(dcpl, 3, cd) >= 1)
        rows = cd[0];
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (d >= 0)
        H5Dclose(d);
    return rows;
}

/* §1.6: image chunk size from the file's own chunked /events/image. */
static void
set_image_chunk_size(struct dcn_rtdc *r)
{
    uint64_t c = own_image_chunk_rows(r->file);

    r->image_chunk_size = 1000;
    if (c > 0)
        r->image_chunk_size = c >= 1000 ? c : (1000 / c) * c;
    if (r->n > 0 && r->image_chunk_size > r->n)
        r->image_chunk_size = r->n;
}

/* The image, unless DCN_RTDC_OPEN_NO_IMAGE: own or from a basin. */
static int
open_image(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
           struct dcn_error *err)
{
    struct dcn_rtdc_image *im;
    char tried[1024];

    if (opts != NULL && (opts->flags & DCN_RTDC_OPEN_NO_IMAGE))
        return DCN_OK;
    if (dcn_rtdc_has_feature(r, "image"))
        return dcn_rtdc_image_open(r, "image", &im, err);
    paths_tried(r, tried, sizeof tried);
    return dcn_error_set(err, DCN_ENOTFOUND,
                         "%s: dataset events/image not found (neither "
                         "in /events nor in a basin; basin paths "
                         "tried: %s)",
                         r->path, tried);
}

int
dcn_rtdc_open(struct dcn_rtdc **out, const char *path,
              const struct dcn_rtdc_open_opts *opts, struct dcn_error *err)
{
    struct dcn_rtdc *r;
    int rc;

    if (out == NULL || path == NULL)
        return dcn_error_set(err, DCN_EINVAL, "rtdc open: no path");
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (dcn__zstd_filter_register() < 0)
        return dcn_error_set(err, DCN_EIO,
                             "cannot register the zstd HDF5 filter");
    r = dcn__calloc(1, sizeof *r);
    if (r == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    r->file = H5I_INVALID_HID;
    r->path = dcn__strdup(path);
    r->dir = dir_of(path);
    if (r->path == NULL || r->dir == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
        goto fail;
    }
    rc = open_file(r, err);
    if (rc < 0)
        goto fail;
    rc = read_metadata(r, opts, err);
    if (rc < 0)
        goto fail;
    rc = resolve_basins(r, err);
    if (rc < 0)
        goto fail;
    rc = collect_features(r, err);
    if (rc < 0)
        goto fail;
    set_image_chunk_size(r);
    rc = open_image(r, opts, err);
    if (rc < 0)
        goto fail;
    *out = r;
    return DCN_OK;
fail:
    dcn_rtdc_free(r);
    return rc;
}

void
dcn_rtdc_free(struct dcn_rtdc *r)
{
    if (r == NULL)
        return;
    while (r->images != NULL) {
        struct dcn_rtdc_image *im = r->images;

        r->images = im->next;
        image_free(im);
    }
    if (r->brt != NULL)
        close_basin_files(r);
    dcn__free(r->brt);
    for (size_t i = 0; i < r->nbasins; i++)
        basin_desc_release(&r->basins[i]);
    dcn__free(r->basins);
    for (size_t i = 0; i < r->nattrs; i++)
        attr_release(&r->attrs[i]);
    dcn__free(r->attrs);
    for (size_t i = 0; i < r->nlogs; i++) {
        dcn__free(r->logs[i].name);
        strv_free(r->logs[i].lines, r->logs[i].nlines);
    }
    dcn__free(r->logs);
    strv_free(r->tables, r->ntables);
    strv_free(r->events, r->nevents);
    strv_free(r->warnings, r->nwarnings);
    strv_free(r->features, r->nfeatures);
    dcn__free(r->idx);
    dcn__free(r->mid);
    if (r->file >= 0)
        H5Fclose(r->file);
    dcn__free(r->dir);
    dcn__free(r->path);
    dcn__free(r);
}

const char *
dcn_rtdc_path(const struct dcn_rtdc *r)
{
    return r->path;
}

long long
dcn_rtdc_file_id(const struct dcn_rtdc *r)
{
    return (long long)r->file;
}

uint64_t
dcn_rtdc_len(const struct dcn_rtdc *r)
{
    return r->n;
}

uint64_t
dcn_rtdc_len_raw(const struct dcn_rtdc *r)
{
    return r->n_raw;
}

uint64_t
dcn_rtdc_raw_index(const struct dcn_rtdc *r, uint64_t j)
{
    return r->idx != NULL ? r->idx[j] : j;
}

const uint64_t *
dcn_rtdc_raw_indices(const struct dcn_rtdc *r)
{
    return r->idx;
}

double
dcn_rtdc_pixel_size(const struct dcn_rtdc *r)
{
    return r->pixel_size;
}

double
dcn_rtdc_frame_rate(const struct dcn_rtdc *r)
{
    return r->frame_rate;
}

const char *
dcn_rtdc_measurement_id(const struct dcn_rtdc *r)
{
    return r->mid;
}

const struct dcn_attr *
dcn_rtdc_attrs(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->nattrs;
    return r->attrs;
}

const struct dcn_attr *
dcn_rtdc_attr(const struct dcn_rtdc *r, const char *name)
{
    return find_attr(r->attrs, r->nattrs, name);
}

const struct dcn_log *
dcn_rtdc_logs(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->nlogs;
    return r->logs;
}

char *const *
dcn_rtdc_tables(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->ntables;
    return r->tables;
}

const struct dcn_basin_desc *
dcn_rtdc_basins(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->nbasins;
    return r->basins;
}

char *const *
dcn_rtdc_warnings(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->nwarnings;
    return r->warnings;
}

char *const *
dcn_rtdc_features(const struct dcn_rtdc *r, size_t *n)
{
    *n = r->nfeatures;
    return r->features;
}

uint64_t
dcn_rtdc_image_chunk_size(const struct dcn_rtdc *r)
{
    return r->image_chunk_size;
}
