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
    char group[256]; /* "events" or the internal basin's group */
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
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)strv_push(&r->warnings, &r->nwarnings, buf);
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

/* Read a 1-D string dataset into lines (owned). */
static int
read_string_lines(hid_t loc, const char *path, const char *fname, char ***lines,
                  size_t *nlines, struct dcn_error *err)
{
    hid_t dset = H5I_INVALID_HID;
    hid_t ftype = H5I_INVALID_HID;
    hid_t mtype = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    hsize_t dims[1] = {0};
    char **vbuf = NULL;
    char *fbuf = NULL;
    bool vlen_read = false;
    int rc = DCN_OK;

    *lines = NULL;
    *nlines = 0;
    dset = H5Dopen2(loc, path, H5P_DEFAULT);
    if (dset < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s", fname,
                           path);
        goto out;
    }
    ftype = H5Dget_type(dset);
    space = H5Dget_space(dset);
    if (ftype < 0 || space < 0 || H5Tget_class(ftype) != H5T_STRING ||
        H5Sget_simple_extent_ndims(space) != 1) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s is not a 1-D string array", fname,
                           path);
        goto out;
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    if (dims[0] == 0)
        goto out;
    *lines = dcn__calloc((size_t)dims[0], sizeof **lines);
    if (*lines == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory", fname,
                           path);
        goto out;
    }
    if (H5Tis_variable_str(ftype) > 0) {
        mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        vbuf = dcn__calloc((size_t)dims[0], sizeof *vbuf);
        if (vbuf == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory", fname,
                               path);
            goto out;
        }
        if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vbuf) < 0) {
            rc = dcn_error_set(err, DCN_EIO, "%s: cannot read dataset %s",
                               fname, path);
            goto out;
        }
        vlen_read = true;
        for (size_t i = 0; i < dims[0]; i++) {
            (*lines)[i] = dcn__strdup(vbuf[i] != NULL ? vbuf[i] : "");
            if ((*lines)[i] == NULL) {
                rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
                goto out;
            }
            *nlines = i + 1;
        }
    } else {
        size_t sz = H5Tget_size(ftype);

        mtype = H5Tcopy(ftype);
        fbuf = dcn__mallocarray((size_t)dims[0], sz);
        if (fbuf == NULL || sz == 0) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory", fname,
                               path);
            goto out;
        }
        if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fbuf) < 0) {
            rc = dcn_error_set(err, DCN_EIO, "%s: cannot read dataset %s",
                               fname, path);
            goto out;
        }
        for (size_t i = 0; i < dims[0]; i++) {
            char *s = dcn__malloc(sz + 1);

            if (s == NULL) {
                rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
                goto out;
            }
            memcpy(s, fbuf + i * sz, sz);
            strip_nuls(s, sz);
            /* an embedded NUL ends the text, as numpy does */
            (*lines)[i] = s;
            *nlines = i + 1;
        }
    }
out:
    if (vlen_read)
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vbuf);
    dcn__free(vbuf);
    dcn__free(fbuf);
    if (rc < 0) {
        strv_free(*lines, *nlines);
        *lines = NULL;
        *nlines = 0;
    }
    if (mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (dset >= 0)
        H5Dclose(dset);
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

/* Read one attribute of loc into a (name set by caller). */
static int
read_attr(hid_t attr, struct dcn_attr *a)
{
    hid_t ftype = H5Aget_type(attr);
    hid_t space = H5Aget_space(attr);
    hid_t mtype = H5I_INVALID_HID;
    H5T_class_t cls;
    hssize_t npoints;
    int rc = DCN_OK;

    a->kind = DCN_ATTR_OTHER;
    if (ftype < 0 || space < 0) {
        rc = DCN_EIO;
        goto out;
    }
    cls = H5Tget_class(ftype);
    npoints = H5Sget_simple_extent_npoints(space);
    a->type_size = H5Tget_size(ftype);
    if (npoints != 1)
        goto out;
    if (cls == H5T_STRING) {
        a->str_utf8 = H5Tget_cset(ftype) == H5T_CSET_UTF8;
        if (H5Tis_variable_str(ftype) > 0) {
            char *v = NULL;

            mtype = H5Tcopy(H5T_C_S1);
            H5Tset_size(mtype, H5T_VARIABLE);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            if (H5Aread(attr, mtype, &v) < 0) {
                rc = DCN_EIO;
                goto out;
            }
            a->s = dcn__strdup(v != NULL ? v : "");
            H5free_memory(v);
        } else {
            size_t sz = a->type_size;

            a->str_fixed = true;
            mtype = H5Tcopy(ftype);
            a->s = dcn__malloc(sz + 1);
            if (a->s == NULL) {
                rc = DCN_ENOMEM;
                goto out;
            }
            if (H5Aread(attr, mtype, a->s) < 0) {
                rc = DCN_EIO;
                goto out;
            }
            strip_nuls(a->s, sz);
        }
        if (a->s == NULL)
            rc = DCN_ENOMEM;
        else
            a->kind = DCN_ATTR_STRING;
    } else if (cls == H5T_INTEGER) {
        a->int_signed = H5Tget_sign(ftype) == H5T_SGN_2;
        if (a->int_signed) {
            int64_t v;

            if (H5Aread(attr, H5T_NATIVE_INT64, &v) < 0) {
                rc = DCN_EIO;
                goto out;
            }
            a->i = v;
        } else {
            uint64_t v;

            if (H5Aread(attr, H5T_NATIVE_UINT64, &v) < 0) {
                rc = DCN_EIO;
                goto out;
            }
            a->i = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
        }
        a->d = (double)a->i;
        a->kind = DCN_ATTR_INT;
    } else if (cls == H5T_FLOAT) {
        if (H5Aread(attr, H5T_NATIVE_DOUBLE, &a->d) < 0) {
            rc = DCN_EIO;
            goto out;
        }
        a->kind = DCN_ATTR_FLOAT;
    } else if (cls == H5T_ENUM) {
        unsigned char buf[16] = {0};
        hid_t base = H5Tget_super(ftype);
        size_t bsz = base >= 0 ? H5Tget_size(base) : 0;

        a->int_signed = base >= 0 && H5Tget_sign(base) == H5T_SGN_2;
        if (base >= 0)
            H5Tclose(base);
        mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        if (mtype < 0 || bsz == 0 || bsz > 8 || H5Aread(attr, mtype, buf) < 0) {
            rc = DCN_EIO;
            goto out;
        }
        switch (bsz) {
        case 1:
            a->i = a->int_signed ? (int8_t)buf[0] : buf[0];
            break;
        case 2: {
            int16_t s;
            uint16_t u;

            memcpy(&s, buf, 2);
            memcpy(&u, buf, 2);
            a->i = a->int_signed ? s : u;
            break;
        }
        case 4: {
            int32_t s;
            uint32_t u;

            memcpy(&s, buf, 4);
            memcpy(&u, buf, 4);
            a->i = a->int_signed ? s : (int64_t)u;
            break;
        }
        default:
            memcpy(&a->i, buf, 8);
            break;
        }
        a->type_size = bsz;
        a->d = (double)a->i;
        a->kind = DCN_ATTR_BOOL;
    }
out:
    if (mtype >= 0)
        H5Tclose(mtype);
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
    const struct dcn_attr *rid = find_attr(v, n, "experiment:run identifier");
    const char *parts[3];
    bool fixed[3];
    bool any_fixed = false;
    char *text;
    char hex[33];
    char *out;
    size_t len = 16;

    if (attr_text(v, n, "experiment:run identifier") != NULL) {
        if (!quirk)
            return dcn__strdup(rid->s);
        if (!rid->str_fixed)
            return NULL;
        len = strlen(rid->s) + 4;
        out = dcn__malloc(len);
        if (out != NULL)
            snprintf(out, len, "b'%s'", rid->s);
        return out;
    }
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
    snprintf(text, len, "%s%s%s_%s%s%s_%s%s%s", fixed[0] ? "b'" : "", parts[0],
             fixed[0] ? "'" : "", fixed[1] ? "b'" : "", parts[1],
             fixed[1] ? "'" : "", fixed[2] ? "b'" : "", parts[2],
             fixed[2] ? "'" : "");
    dcn__md5_hex(hex, text, strlen(text));
    dcn__free(text);
    out = dcn__malloc(37);
    if (out == NULL)
        return NULL;
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return out;
}

static char *
measurement_id(const struct dcn_attr *v, size_t n)
{
    return measurement_id_variant(v, n, false);
}

/* Does file's measurement identifier (D2, or dcnum's quirk) equal id?
 * *mid gets the D2 identifier (owned, may be NULL). */
static int
file_id_matches(hid_t file, const char *fname, const char *id, char **mid,
                bool *match, bool *quirk, struct dcn_error *err)
{
    struct dcn_attr *v = NULL;
    size_t n = 0;
    char *alt;
    int rc;

    *mid = NULL;
    *match = false;
    *quirk = false;
    rc = read_root_attrs(file, fname, &v, &n, err);
    if (rc < 0)
        return rc;
    *mid = measurement_id(v, n);
    *match = *mid != NULL && strcmp(*mid, id) == 0;
    if (!*match) {
        alt = measurement_id_variant(v, n, true);
        *quirk = *match = alt != NULL && strcmp(alt, id) == 0;
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
    for (size_t k = 0; k < nkeys; k++) {
        char path[PATH_CAP];
        char **lines = NULL;
        size_t nlines = 0;
        size_t total = 0;
        size_t where = 0;
        char *text;
        struct dcn_json_object obj;
        struct dcn_basin_desc *d = &v[n];
        const struct dcn_json_member *mm;
        bool present;

        snprintf(path, sizeof path, "/basins/%s", keys[k]);
        rc = read_string_lines(file, path, fname, &lines, &nlines, err);
        if (rc < 0)
            goto out;
        for (size_t i = 0; i < nlines; i++)
            total += strlen(lines[i]) + 1;
        text = dcn__malloc(total + 1);
        if (text == NULL) {
            strv_free(lines, nlines);
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
            goto out;
        }
        total = 0;
        for (size_t i = 0; i < nlines; i++) {
            size_t l = strlen(lines[i]);

            memcpy(text + total, lines[i], l);
            total += l;
            if (i + 1 < nlines)
                text[total++] = '\n';
        }
        text[total] = '\0';
        strv_free(lines, nlines);
        rc = dcn_json_parse(&obj, text, total, &where);
        dcn__free(text);
        if (rc < 0) {
            dcn_json_object_release(&obj);
            rc = dcn_error_set(err, rc == DCN_ENOMEM ? DCN_ENOMEM : DCN_EFORMAT,
                               "%s: basin definition %s is not valid JSON "
                               "(byte %zu)",
                               fname, path, where);
            goto out;
        }
        n++;
        d->key = dcn__strdup(keys[k]);
        d->name = json_str_dup(&obj, "name");
        d->type = json_str_dup(&obj, "type");
        d->format = json_str_dup(&obj, "format");
        d->identifier = json_str_dup(&obj, "identifier");
        mm = dcn_json_get(&obj, "mapping");
        if (mm != NULL && mm->kind == DCN_JSON_STRING &&
            strcmp(mm->str, "same") != 0) /* D1 */
            d->mapping = dcn__strdup(mm->str);
        rc = json_strv_dup(&obj, "paths", &d->paths, &d->npaths, &present);
        if (rc == 0)
            rc = json_strv_dup(&obj, "features", &d->features, &d->nfeatures,
                               &d->features_listed);
        dcn_json_object_release(&obj);
        if (rc < 0 || d->key == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
            goto out;
        }
    }
    rc = DCN_OK;
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

/* D6: the internal basin of file that provides feature, or none. */
static int
nested_internal(hid_t file, const char *fname, const char *feature, char *group,
                size_t gcap, char *mapping, size_t mcap, bool *found,
                struct dcn_error *err)
{
    struct dcn_basin_desc *v = NULL;
    size_t n = 0;
    int rc;

    *found = false;
    rc = read_basin_descs(file, fname, &v, &n, err);
    if (rc < 0)
        return rc;
    sort_basins(v, n);
    for (size_t i = 0; i < n && !*found; i++) {
        const struct dcn_basin_desc *d = &v[i];
        char path[PATH_CAP];

        if (basin_type(d) != DCN_BASIN_INTERNAL || d->npaths == 0 ||
            !strv_has(d->features, d->nfeatures, feature))
            continue;
        snprintf(path, sizeof path, "/%s/%s", d->paths[0], feature);
        if (!is_dataset(file, path))
            continue;
        if (d->mapping != NULL) {
            char mp[PATH_CAP];

            snprintf(mp, sizeof mp, "/events/%s", d->mapping);
            if (!is_dataset(file, mp))
                continue;
            snprintf(mapping, mcap, "%s", d->mapping);
        } else {
            mapping[0] = '\0';
        }
        snprintf(group, gcap, "%s", d->paths[0]);
        *found = true;
    }
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
        struct dcn_basin_desc *d = &r->basins[i];
        struct basin_rt *b = &r->brt[i];
        const char *label = d->name != NULL ? d->name : d->key;

        b->d = d;
        if (basin_type(d) == DCN_BASIN_OTHER) {
            warn(r, "%s: basin '%s' of type '%s' is not supported; dropped",
                 r->path, label, d->type != NULL ? d->type : "(none)");
            continue;
        }
        if (d->mapping != NULL) {
            char mp[PATH_CAP];

            snprintf(mp, sizeof mp, "/events/%s", d->mapping);
            if (!is_dataset(r->file, mp)) {
                warn(r,
                     "%s: basin '%s' maps through %s, which is missing; "
                     "dropped",
                     r->path, label, mp);
                continue;
            }
        }
        if (basin_type(d) == DCN_BASIN_INTERNAL) {
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
                warn(r, "%s: internal basin '%s' uses group '%s'", r->path,
                     label, d->paths[0]);
            if (!link_exists(r->file, d->paths[0])) {
                warn(r, "%s: internal basin '%s': group /%s missing; dropped",
                     r->path, label, d->paths[0]);
                continue;
            }
            b->file = r->file;
            snprintf(b->group, sizeof b->group, "%s", d->paths[0]);
            d->resolved = dcn__strdup(d->paths[0]);
            d->usable = true;
            continue;
        }
        /* file basin */
        {
            char cand[PATH_CAP];
            bool found = false;
            char tried[1024] = "";
            size_t tl = 0;
            char *mid;

            for (size_t p = 0; p < d->npaths && !found; p++) {
                const char *pp = d->paths[p];

                if (pp[0] == '/')
                    snprintf(cand, sizeof cand, "%s", pp);
                else
                    snprintf(cand, sizeof cand, "%s/%s", r->dir, pp);
                if (tl < sizeof tried) {
                    int k = snprintf(tried + tl, sizeof tried - tl, "%s%s",
                                     tl > 0 ? ", " : "", cand);
                    if (k > 0)
                        tl += (size_t)k;
                }
                found = file_exists(cand);
            }
            if (!found) {
                warn(r, "%s: basin '%s': file not found (tried: %s); dropped",
                     r->path, label, d->npaths > 0 ? tried : "no paths");
                continue;
            }
            b->file = H5Fopen(cand, H5F_ACC_RDONLY, H5P_DEFAULT);
            if (b->file < 0) {
                warn(r, "%s: basin '%s': %s cannot be opened as HDF5; dropped",
                     r->path, label, cand);
                continue;
            }
            b->file_owned = true;
            d->resolved = dcn__strdup(cand);
            if (d->resolved == NULL)
                return dcn_error_set(err, DCN_ENOMEM, "out of memory");
            if (d->identifier != NULL) {
                bool match;
                bool quirk;

                rc = file_id_matches(b->file, cand, d->identifier, &mid, &match,
                                     &quirk, err);
                if (rc < 0)
                    return rc;
                if (!match) {
                    rc = dcn_error_set(err, DCN_EFORMAT,
                                       "%s: basin '%s': identifier mismatch: "
                                       "expected %s, %s has %s",
                                       r->path, label, d->identifier, cand,
                                       mid != NULL ? mid : "none");
                    dcn__free(mid);
                    return rc;
                }
                if (quirk)
                    warn(r,
                         "%s: basin '%s': identifier %s is dcnum's variant "
                         "of %s's (fixed-length strings, D2); accepted",
                         r->path, label, d->identifier, cand);
                dcn__free(mid);
            }
            snprintf(b->group, sizeof b->group, "events");
            if (!d->features_listed) {
                char **names = NULL;
                size_t nn = 0;

                rc = list_group(b->file, "/events", cand, &names, &nn, err);
                if (rc < 0)
                    return rc;
                for (size_t k = 0; k < nn; k++)
                    if (!is_basinmap(names[k]) &&
                        strv_push(&d->features, &d->nfeatures, names[k]) < 0) {
                        strv_free(names, nn);
                        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
                    }
                strv_free(names, nn);
            } else {
                /* D6: keep only features it can deliver */
                size_t w = 0;

                for (size_t k = 0; k < d->nfeatures; k++) {
                    char fp[PATH_CAP];
                    char g[256];
                    char m[256];
                    bool ok = false;

                    snprintf(fp, sizeof fp, "/events/%s", d->features[k]);
                    if (is_dataset(b->file, fp)) {
                        ok = true;
                    } else {
                        rc = nested_internal(b->file, cand, d->features[k], g,
                                             sizeof g, m, sizeof m, &ok, err);
                        if (rc < 0)
                            return rc;
                    }
                    if (ok) {
                        d->features[w++] = d->features[k];
                    } else {
                        warn(r,
                             "%s: basin '%s': %s does not provide "
                             "feature '%s'",
                             r->path, label, cand, d->features[k]);
                        dcn__free(d->features[k]);
                    }
                }
                d->nfeatures = w;
            }
            d->usable = true;
        }
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
src_release(struct src *s)
{
    dcn__free(s->owned);
    s->owned = NULL;
}

/* Read rows of the 1-D dataset path at rows (or 0..n-1) as uint64. */
static int read_u64_at(hid_t file, const char *fname, const char *path,
                       const uint64_t *rows, uint64_t n, uint64_t *out,
                       struct dcn_error *err);

/* The referrer rows of a basin (computed once). */
static int
basin_rows(struct dcn_rtdc *r, struct basin_rt *b, const uint64_t **rows,
           struct dcn_error *err)
{
    if (!b->rows_ready) {
        if (b->d->mapping != NULL) {
            char mp[PATH_CAP];
            int rc;

            b->rows = dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *b->rows);
            if (b->rows == NULL)
                return dcn_error_set(err, DCN_ENOMEM, "out of memory");
            snprintf(mp, sizeof mp, "/events/%s", b->d->mapping);
            rc = read_u64_at(r->file, r->path, mp, r->idx, r->n, b->rows, err);
            if (rc < 0) {
                dcn__free(b->rows);
                b->rows = NULL;
                return rc;
            }
        }
        b->rows_ready = true;
    }
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
        for (size_t p = 0; p < d->npaths && tl < cap; p++) {
            int k;

            if (d->paths[p][0] == '/')
                k = snprintf(buf + tl, cap - tl, "%s%s", tl > 0 ? ", " : "",
                             d->paths[p]);
            else
                k = snprintf(buf + tl, cap - tl, "%s%s/%s", tl > 0 ? ", " : "",
                             r->dir, d->paths[p]);
            if (k > 0)
                tl += (size_t)k;
        }
    }
    if (tl == 0)
        snprintf(buf, cap, "none");
}

static int
locate(struct dcn_rtdc *r, const char *name, struct src *s,
       struct dcn_error *err)
{
    char tried[1024];
    int rc;

    memset(s, 0, sizeof *s);
    s->file = H5I_INVALID_HID;
    snprintf(s->dpath, sizeof s->dpath, "/events/%s", name);
    if (is_dataset(r->file, s->dpath)) {
        s->file = r->file;
        s->fname = r->path;
        s->rows = r->idx;
        return DCN_OK;
    }
    for (size_t i = 0; i < r->nbasins; i++) {
        struct basin_rt *b = &r->brt[i];
        const struct dcn_basin_desc *d = &r->basins[i];
        const uint64_t *brows = NULL;

        if (!d->usable || is_basinmap(name) ||
            !strv_has(d->features, d->nfeatures, name))
            continue;
        rc = basin_rows(r, b, &brows, err);
        if (rc < 0)
            return rc;
        s->file = b->file;
        s->fname = basin_type(d) == DCN_BASIN_FILE ? d->resolved : r->path;
        snprintf(s->dpath, sizeof s->dpath, "/%s/%s", b->group, name);
        if (basin_type(d) == DCN_BASIN_FILE && !is_dataset(b->file, s->dpath)) {
            /* D6: through the basin file's own internal basin */
            char g[256];
            char m[256];
            bool found = false;

            rc = nested_internal(b->file, d->resolved, name, g, sizeof g, m,
                                 sizeof m, &found, err);
            if (rc < 0)
                return rc;
            if (!found)
                continue;
            snprintf(s->dpath, sizeof s->dpath, "/%s/%s", g, name);
            if (m[0] != '\0') {
                char mp[PATH_CAP];

                s->owned =
                        dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *s->owned);
                if (s->owned == NULL)
                    return dcn_error_set(err, DCN_ENOMEM, "out of memory");
                snprintf(mp, sizeof mp, "/events/%s", m);
                rc = read_u64_at(b->file, d->resolved, mp, brows, r->n,
                                 s->owned, err);
                if (rc < 0) {
                    src_release(s);
                    return rc;
                }
                s->rows = s->owned;
                return DCN_OK;
            }
        }
        s->rows = brows;
        return DCN_OK;
    }
    paths_tried(r, tried, sizeof tried);
    return dcn_error_set(err, DCN_ENOTFOUND,
                         "%s: feature '%s' not found in /events or any basin "
                         "(basin paths tried: %s)",
                         r->path, name, tried);
}

/* Read frames [a, b) of a 1-D dataset at rows into out (mtype items). */
static int
read_1d_rows(hid_t file, const char *fname, const char *path, hid_t mtype,
             size_t esize, const uint64_t *rows, uint64_t a, uint64_t b,
             void *out, struct dcn_error *err)
{
    hid_t dset = H5I_INVALID_HID;
    hid_t fspace = H5I_INVALID_HID;
    hid_t mspace = H5I_INVALID_HID;
    hsize_t dims[1];
    uint64_t lo;
    uint64_t hi;
    unsigned char *tmp = NULL;
    int rc = DCN_OK;

    if (b <= a)
        return DCN_OK;
    dset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dset < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s", fname,
                           path);
        goto out;
    }
    fspace = H5Dget_space(dset);
    if (fspace < 0 || H5Sget_simple_extent_ndims(fspace) != 1) {
        rc = dcn_error_set(err, DCN_EFORMAT, "%s: dataset %s is not 1-D", fname,
                           path);
        goto out;
    }
    {
        hid_t t = H5Dget_type(dset);
        H5T_class_t c = H5Tget_class(t);

        H5Tclose(t);
        if (c != H5T_INTEGER && c != H5T_FLOAT) {
            rc = dcn_error_set(err, DCN_EFORMAT,
                               "%s: dataset %s is not numeric", fname, path);
            goto out;
        }
    }
    H5Sget_simple_extent_dims(fspace, dims, NULL);
    if (rows == NULL) {
        lo = a;
        hi = b - 1;
    } else {
        lo = UINT64_MAX;
        hi = 0;
        for (uint64_t j = a; j < b; j++) {
            if (rows[j] < lo)
                lo = rows[j];
            if (rows[j] > hi)
                hi = rows[j];
        }
    }
    if (hi >= dims[0]) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has %llu rows, row %llu needed",
                           fname, path, (unsigned long long)dims[0],
                           (unsigned long long)hi);
        goto out;
    }
    {
        hsize_t start[1] = {lo};
        hsize_t count[1] = {hi - lo + 1};
        void *buf = out;

        if (rows != NULL) {
            tmp = dcn__mallocarray((size_t)count[0], esize);
            if (tmp == NULL) {
                rc = dcn_error_set(err, DCN_ENOMEM, "%s: %s: out of memory",
                                   fname, path);
                goto out;
            }
            buf = tmp;
        }
        mspace = H5Screate_simple(1, count, NULL);
        if (mspace < 0 ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count,
                                NULL) < 0 ||
            H5Dread(dset, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0) {
            rc = dcn_error_set(err, DCN_EIO,
                               "%s: cannot read dataset %s (rows %llu-%llu)",
                               fname, path, (unsigned long long)lo,
                               (unsigned long long)hi);
            goto out;
        }
        if (rows != NULL)
            for (uint64_t j = a; j < b; j++)
                memcpy((unsigned char *)out + (j - a) * esize,
                       tmp + (rows[j] - lo) * esize, esize);
    }
out:
    dcn__free(tmp);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (dset >= 0)
        H5Dclose(dset);
    return rc;
}

static int
read_u64_at(hid_t file, const char *fname, const char *path,
            const uint64_t *rows, uint64_t n, uint64_t *out,
            struct dcn_error *err)
{
    int64_t *tmp;
    int rc;

    if (n == 0)
        return DCN_OK;
    tmp = (int64_t *)out; /* same size: read as int64, reject negatives */
    rc = read_1d_rows(file, fname, path, H5T_NATIVE_INT64, sizeof(int64_t),
                      rows, 0, n, tmp, err);
    if (rc < 0)
        return rc;
    for (uint64_t j = 0; j < n; j++)
        if (tmp[j] < 0)
            return dcn_error_set(
                    err, DCN_EFORMAT, "%s: %s: negative index %lld at %llu",
                    fname, path, (long long)tmp[j], (unsigned long long)j);
    return DCN_OK;
}

/* Check the range, find the feature (own events or a basin). */
static int
scalar_locate(struct dcn_rtdc *r, const char *name, uint64_t a, uint64_t b,
              const void *out, struct src *s, struct dcn_error *err)
{
    if (r == NULL || name == NULL || a > b || b > r->n ||
        (out == NULL && b > a))
        return dcn_error_set(err, DCN_EINVAL,
                             "scalar read: bad range [%llu, %llu)",
                             (unsigned long long)a, (unsigned long long)b);
    return locate(r, name, s, err);
}

/* Frames [a, b) of a scalar feature converted to mtype (size bytes). */
static int
scalar_read_as(struct dcn_rtdc *r, const char *name, uint64_t a, uint64_t b,
               hid_t mtype, size_t size, void *out, struct dcn_error *err)
{
    struct src s;
    int rc = scalar_locate(r, name, a, b, out, &s, err);

    if (rc < 0)
        return rc;
    rc = read_1d_rows(s.file, s.fname, s.dpath, mtype, size, s.rows, a, b, out,
                      err);
    src_release(&s);
    return rc;
}

int
dcn_rtdc_scalar_read_f64(struct dcn_rtdc *r, const char *name, uint64_t a,
                         uint64_t b, double *out, struct dcn_error *err)
{
    return scalar_read_as(r, name, a, b, H5T_NATIVE_DOUBLE, sizeof(double), out,
                          err);
}

int
dcn_rtdc_scalar_read_i64(struct dcn_rtdc *r, const char *name, uint64_t a,
                         uint64_t b, int64_t *out, struct dcn_error *err)
{
    return scalar_read_as(r, name, a, b, H5T_NATIVE_INT64, sizeof(int64_t), out,
                          err);
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
    struct dcn_dtype dt;
    struct src s;
    hid_t mtype;
    int rc = scalar_locate(r, name, a, b, out, &s, err);

    if (rc < 0)
        return rc;
    rc = native_numeric(s.file, s.fname, s.dpath, &mtype, &dt, err);
    if (rc == 0) {
        rc = read_1d_rows(s.file, s.fname, s.dpath, mtype, dt.size, s.rows, a,
                          b, out, err);
        H5Tclose(mtype);
    }
    src_release(&s);
    return rc;
}

bool
dcn_rtdc_has_feature(struct dcn_rtdc *r, const char *feature)
{
    char p[PATH_CAP];

    snprintf(p, sizeof p, "/events/%s", feature);
    if (is_dataset(r->file, p))
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

/* Layout, dtype and filter checks of a 3-D image dataset. */
static int
image_inspect(struct dcn_rtdc_image *im, uint64_t nrows_needed,
              struct dcn_error *err)
{
    hid_t space = H5I_INVALID_HID;
    hid_t type = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    hsize_t dims[3] = {0, 0, 0};
    hsize_t cd[3] = {0, 0, 0};
    struct dcn_image_layout *l = &im->layout;
    int rc = DCN_OK;

    space = H5Dget_space(im->dset);
    type = H5Dget_type(im->dset);
    dcpl = H5Dget_create_plist(im->dset);
    if (space < 0 || type < 0 || dcpl < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot inspect dataset %s",
                           im->fname, im->dpath);
        goto out;
    }
    if (H5Sget_simple_extent_ndims(space) != 3) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has rank %d, expected 3 "
                           "(frames, height, width)",
                           im->fname, im->dpath,
                           H5Sget_simple_extent_ndims(space));
        goto out;
    }
    if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != 1 ||
        H5Tget_sign(type) != H5T_SGN_NONE) {
        H5T_class_t c = H5Tget_class(type);
        const char *kind =
                c == H5T_FLOAT ? "float"
                : c == H5T_INTEGER
                        ? (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int")
                : c == H5T_STRING ? "string"
                                  : "non-numeric";

        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has dtype %s%zu, expected uint8",
                           im->fname, im->dpath, kind, 8 * H5Tget_size(type));
        goto out;
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    if (dims[1] == 0 || dims[2] == 0) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has empty images (%llux%llu)",
                           im->fname, im->dpath, (unsigned long long)dims[1],
                           (unsigned long long)dims[2]);
        goto out;
    }
    if (dims[0] < nrows_needed) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dataset %s has %llu frames, %llu needed",
                           im->fname, im->dpath, (unsigned long long)dims[0],
                           (unsigned long long)nrows_needed);
        goto out;
    }
    for (int i = 0; i < 3; i++)
        l->extent[i] = dims[i];
    im->height = dims[1];
    im->width = dims[2];
    if (read_pipeline(dcpl, &l->pipeline) < 0) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: cannot read the filters of %s", im->fname,
                           im->dpath);
        goto out;
    }
    for (int i = 0; i < l->pipeline.nfilters; i++) {
        unsigned id = l->pipeline.filters[i].id;

        if (id != DCN_FILTER_ZSTD && id != DCN_FILTER_DEFLATE &&
            id != DCN_FILTER_FLETCHER32 &&
            H5Zfilter_avail((H5Z_filter_t)id) <= 0) {
            rc = dcn_error_set(err, DCN_EFILTER,
                               "%s: dataset %s uses HDF5 filter %u, which "
                               "dcnumc cannot decode",
                               im->fname, im->dpath, id);
            goto out;
        }
    }
    switch (H5Pget_layout(dcpl)) {
    case H5D_CHUNKED:
        snprintf(im->storage, sizeof im->storage, "chunked");
        break;
    case H5D_CONTIGUOUS:
        snprintf(im->storage, sizeof im->storage, "contiguous");
        break;
    case H5D_VIRTUAL:
        snprintf(im->storage, sizeof im->storage, "virtual");
        break;
    case H5D_COMPACT:
        snprintf(im->storage, sizeof im->storage, "compact");
        break;
    default:
        snprintf(im->storage, sizeof im->storage, "unknown");
        break;
    }
    if (H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 3, cd) == 3) {
        H5D_fill_value_t fv = H5D_FILL_VALUE_UNDEFINED;
        unsigned char fill = 0;
        hsize_t nchunks = 0;

        for (int i = 0; i < 3; i++)
            l->chunk[i] = cd[i];
        l->chunk_bytes = (size_t)(cd[0] * cd[1] * cd[2]);
        l->ntiles = (size_t)(((dims[1] + cd[1] - 1) / cd[1]) *
                             ((dims[2] + cd[2] - 1) / cd[2]));
        H5Pfill_value_defined(dcpl, &fv);
        if (fv == H5D_FILL_VALUE_USER_DEFINED)
            H5Pget_fill_value(dcpl, H5T_NATIVE_UCHAR, &fill);
        l->raw = dcn_filter_pipeline_decodable(&l->pipeline) && fill == 0 &&
                 cd[0] > 0 && cd[1] > 0 && cd[2] > 0;
        if (l->raw && H5Dget_num_chunks(im->dset, space, &nchunks) >= 0) {
            for (hsize_t k = 0; k < nchunks; k++) {
                hsize_t off[3];
                unsigned mask;
                haddr_t addr;
                hsize_t size = 0;

                if (H5Dget_chunk_info(im->dset, space, k, off, &mask, &addr,
                                      &size) < 0) {
                    l->raw = false;
                    break;
                }
                if (size > im->max_stored)
                    im->max_stored = (size_t)size;
            }
        } else {
            l->raw = false;
        }
    }
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int
dcn_rtdc_image_open(struct dcn_rtdc *r, const char *name,
                    struct dcn_rtdc_image **out, struct dcn_error *err)
{
    struct dcn_rtdc_image *im;
    struct src s;
    uint64_t need;
    int rc;

    *out = NULL;
    for (im = r->images; im != NULL; im = im->next)
        if (strcmp(im->name, name) == 0) {
            *out = im;
            return DCN_OK;
        }
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
    snprintf(im->dpath, sizeof im->dpath, "%s", s.dpath);
    if (s.rows != NULL) {
        if (s.owned != NULL) {
            im->rows = s.owned;
            s.owned = NULL;
        } else if (r->n > 0) {
            im->rows = dcn__mallocarray(r->n, sizeof *im->rows);
            if (im->rows == NULL) {
                rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
                goto fail;
            }
            memcpy(im->rows, s.rows, r->n * sizeof *im->rows);
        }
    }
    src_release(&s);
    need = r->n;
    if (im->rows != NULL) {
        need = 0;
        for (uint64_t j = 0; j < r->n; j++)
            if (im->rows[j] + 1 > need)
                need = im->rows[j] + 1;
    }
    im->layout.mapped = im->rows != NULL;
    im->n = r->n;
    im->dset = H5Dopen2(s.file, im->dpath, H5P_DEFAULT);
    if (im->dset < 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot open dataset %s",
                           im->fname, im->dpath);
        goto fail;
    }
    rc = image_inspect(im, need, err);
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

    if (rows == NULL) {
        lo = a;
        hi = b - 1;
    } else {
        lo = UINT64_MAX;
        hi = 0;
        for (uint64_t j = a; j < b; j++) {
            lo = rows[j] < lo ? rows[j] : lo;
            hi = rows[j] > hi ? rows[j] : hi;
        }
    }
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

int
dcn_rtdc_image_fetch(struct dcn_rtdc_image *im, uint64_t a, uint64_t b,
                     struct dcn_image_fetch *f, uint8_t *dst,
                     struct dcn_error *err)
{
    const struct dcn_image_layout *l = &im->layout;
    uint64_t c_first;
    uint64_t c_last;
    size_t need_refs;
    size_t used = 0;

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
    need_refs = (size_t)(c_last - c_first + 1) * l->ntiles;
    if (need_refs > f->refs_cap)
        goto fallback;
    for (uint64_t c = c_first; c <= c_last; c++)
        for (uint64_t y = 0; y < im->height; y += l->chunk[1])
            for (uint64_t x = 0; x < im->width; x += l->chunk[2]) {
                hsize_t off[3] = {c * l->chunk[0], y, x};
                hsize_t sz = 0;
                uint32_t mask = 0;
                struct dcn_chunk_ref *ref = &f->refs[f->nrefs];

                if (H5Dget_chunk_storage_size(im->dset, off, &sz) < 0)
                    sz = 0;
                if (sz > f->staging_cap - used)
                    goto fallback;
                if (sz > 0 &&
                    H5Dread_chunk(im->dset, H5P_DEFAULT, off, &mask,
                                  (unsigned char *)f->staging + used) < 0)
                    return dcn_error_set(err, DCN_EIO,
                                         "%s: cannot read the stored chunk "
                                         "at (%llu, %llu, %llu) of %s",
                                         im->fname, (unsigned long long)off[0],
                                         (unsigned long long)off[1],
                                         (unsigned long long)off[2], im->dpath);
                ref->offset = used;
                ref->nbytes = sz;
                ref->filter_mask = mask;
                ref->coord[0] = off[0];
                ref->coord[1] = off[1];
                ref->coord[2] = off[2];
                used += (size_t)sz;
                f->nrefs++;
            }
    return DCN_OK;
fallback:
    f->nrefs = 0;
    f->decoded = true;
    if (dst == NULL)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: %s: fallback read needs a destination",
                             im->fname, im->dpath);
    return fetch_fallback(im, a, b, dst, err);
}

int
dcn_rtdc_image_decode(uint8_t *dst, uint64_t a, uint64_t b,
                      const struct dcn_image_layout *l,
                      const struct dcn_image_fetch *f, void *scratch,
                      size_t scratch_cap, const char *file_hint,
                      struct dcn_error *err)
{
    size_t cap =
            (dcn_chunk_decode_dst_size(l->chunk_bytes) + 63u) & ~(size_t)63u;
    unsigned char *chunk = scratch;
    const uint64_t *rows = NULL;
    size_t fbytes = (size_t)(l->extent[1] * l->extent[2]);
    bool direct_ok;

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
    if (l->mapped)
        rows = f->rows + (a - f->a);
    direct_ok = l->chunk[1] == l->extent[1] && l->chunk[2] == l->extent[2];
    for (size_t i = 0; i < f->nrefs; i++) {
        const struct dcn_chunk_ref *ref = &f->refs[i];
        bool hit = false;
        bool direct;
        unsigned char *out;
        size_t got = 0;
        int rc;

        /* skip chunks that hold none of the wanted rows */
        for (uint64_t k = 0; k < b - a && !hit; k++) {
            uint64_t row = rows != NULL ? rows[k] : a + k;

            hit = row >= ref->coord[0] && row - ref->coord[0] < l->chunk[0];
        }
        if (!hit)
            continue;
        /* a whole-image chunk inside [a, b): decode in place */
        direct = rows == NULL && direct_ok && ref->coord[0] >= a &&
                 ref->coord[0] + l->chunk[0] <= b && ref->nbytes > 0 &&
                 dcn_chunk_decode_exact_ok(&l->pipeline, ref->filter_mask);
        out = direct ? dst + (size_t)(ref->coord[0] - a) * fbytes : chunk;
        if (ref->nbytes == 0) {
            memset(chunk, 0, l->chunk_bytes);
        } else {
            rc = dcn_chunk_decode(
                    out, direct ? l->chunk_bytes : cap, &got,
                    (const unsigned char *)f->staging + ref->offset,
                    (size_t)ref->nbytes, &l->pipeline, ref->filter_mask,
                    chunk + cap, scratch_cap - cap, NULL);
            if (rc == 0 && got != l->chunk_bytes)
                rc = DCN_ECORRUPT;
            if (rc < 0) {
                char fl[128];

                dcn_filter_pipeline_describe(fl, sizeof fl, &l->pipeline);
                return dcn_error_set(err, rc,
                                     "%s: stored chunk at (%llu, %llu, %llu) "
                                     "does not decode with %s (%s)",
                                     file_hint != NULL ? file_hint : "image",
                                     (unsigned long long)ref->coord[0],
                                     (unsigned long long)ref->coord[1],
                                     (unsigned long long)ref->coord[2], fl,
                                     rc == DCN_ECORRUPT ? "corrupt data"
                                                        : dcn_strerror(rc));
            }
        }
        if (direct)
            continue;
        dcn_chunk_copy_overlap(dst, a, (size_t)(b - a), rows,
                               (size_t)l->extent[1], (size_t)l->extent[2], 1,
                               chunk, ref->coord, l->chunk);
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

        snprintf(hint, sizeof hint, "%s: %s", im->fname, im->dpath);
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
build_mapping(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    uint64_t N = r->n_raw;

    r->idx = NULL;
    r->n = N;
    if (m == NULL || m->kind == DCN_MAPPING_NONE)
        return DCN_OK;
    if (m->kind == DCN_MAPPING_COUNT) {
        if (m->count < 0 || (uint64_t)m->count > N)
            return dcn_error_set(err, DCN_EINVAL,
                                 "%s: index mapping %llu exceeds the %llu "
                                 "events (experiment:event count)",
                                 r->path, (unsigned long long)m->count,
                                 (unsigned long long)N);
        r->n = (uint64_t)m->count;
        return DCN_OK;
    }
    if (m->kind == DCN_MAPPING_SLICE) {
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
    if (m->kind == DCN_MAPPING_LIST) {
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
                                     r->path, j,
                                     (unsigned long long)m->indices[j],
                                     (unsigned long long)N);
            r->idx[j] = m->indices[j];
        }
        return DCN_OK;
    }
    return dcn_error_set(err, DCN_EINVAL, "bad index mapping kind");
}

static double
round8(double v)
{
    char buf[64];

    snprintf(buf, sizeof buf, "%.8f", v);
    return strtod(buf, NULL);
}

static int
open_checks(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
            struct dcn_error *err)
{
    const struct dcn_attr *a;
    int rc;

    a = find_attr(r->attrs, r->nattrs, "experiment:event count");
    if (a == NULL || (a->kind != DCN_ATTR_INT && a->kind != DCN_ATTR_FLOAT))
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

    if (opts != NULL && opts->pixel_size > 0) {
        r->pixel_size = round8(opts->pixel_size);
    } else if (opts != NULL && (opts->flags & DCN_RTDC_OPEN_NO_PIXEL_SIZE)) {
        a = find_attr(r->attrs, r->nattrs, "imaging:pixel size");
        if (a != NULL && (a->kind == DCN_ATTR_INT || a->kind == DCN_ATTR_FLOAT))
            r->pixel_size = round8(a->d);
    } else {
        a = find_attr(r->attrs, r->nattrs, "imaging:pixel size");
        if (a == NULL || (a->kind != DCN_ATTR_INT && a->kind != DCN_ATTR_FLOAT))
            return dcn_error_set(err, a == NULL ? DCN_ENOTFOUND : DCN_EFORMAT,
                                 "%s: root attribute 'imaging:pixel size' is "
                                 "%s and no pixel size was given (D14)",
                                 r->path,
                                 a == NULL ? "missing" : "not a number");
        r->pixel_size = round8(a->d);
        if (!(r->pixel_size > 0) || !isfinite(r->pixel_size))
            return dcn_error_set(err, DCN_EFORMAT,
                                 "%s: root attribute 'imaging:pixel size' is "
                                 "%g; give a pixel size (D14)",
                                 r->path, a->d);
    }
    a = find_attr(r->attrs, r->nattrs, "imaging:frame rate");
    if (a != NULL && (a->kind == DCN_ATTR_FLOAT || a->kind == DCN_ATTR_INT))
        r->frame_rate = a->d;
    rc = build_mapping(r, opts != NULL ? &opts->mapping : NULL, err);
    return rc;
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

/* Open the file with errors classified (missing, not HDF5, damaged). */
static int
open_file(struct dcn_rtdc *r, struct dcn_error *err)
{
    struct stat st;
    htri_t is;

    if (stat(r->path, &st) != 0)
        return dcn_error_set(err, errno == ENOENT ? DCN_ENOTFOUND : DCN_EIO,
                             "%s: cannot open: %s", r->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return dcn_error_set(err, DCN_EIO, "%s: not a regular file", r->path);
    if (access(r->path, R_OK) != 0)
        return dcn_error_set(err, DCN_EIO, "%s: cannot read: %s", r->path,
                             strerror(errno));
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

int
dcn_rtdc_open(struct dcn_rtdc **out, const char *path,
              const struct dcn_rtdc_open_opts *opts, struct dcn_error *err)
{
    struct dcn_rtdc *r;
    const char *slash;
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
    slash = strrchr(path, '/');
    if (slash == NULL)
        r->dir = dcn__strdup(".");
    else if (slash == path)
        r->dir = dcn__strdup("/");
    else if ((r->dir = dcn__malloc((size_t)(slash - path) + 1)) != NULL) {
        memcpy(r->dir, path, (size_t)(slash - path));
        r->dir[slash - path] = '\0';
    }
    if (r->path == NULL || r->dir == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
        goto fail;
    }
    rc = open_file(r, err);
    if (rc < 0)
        goto fail;
    rc = read_root_attrs(r->file, r->path, &r->attrs, &r->nattrs, err);
    if (rc < 0)
        goto fail;
    r->mid = measurement_id(r->attrs, r->nattrs);
    if (r->mid == NULL &&
        (attr_text(r->attrs, r->nattrs, "experiment:run identifier") != NULL ||
         (attr_text(r->attrs, r->nattrs, "experiment:time") != NULL &&
          attr_text(r->attrs, r->nattrs, "experiment:date") != NULL &&
          attr_text(r->attrs, r->nattrs, "setup:identifier") != NULL))) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", r->path);
        goto fail;
    }
    rc = open_checks(r, opts, err);
    if (rc < 0)
        goto fail;
    rc = list_group(r->file, "/events", r->path, &r->events, &r->nevents, err);
    if (rc < 0)
        goto fail;
    rc = list_group(r->file, "/tables", r->path, &r->tables, &r->ntables, err);
    if (rc < 0)
        goto fail;
    {
        char **names = NULL;
        size_t nn = 0;

        rc = list_group(r->file, "/logs", r->path, &names, &nn, err);
        if (rc < 0)
            goto fail;
        if (nn > 0) {
            r->logs = dcn__calloc(nn, sizeof *r->logs);
            if (r->logs == NULL) {
                strv_free(names, nn);
                rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
                goto fail;
            }
        }
        for (size_t i = 0; i < nn; i++) {
            char p[PATH_CAP];
            struct dcn_log *lg = &r->logs[r->nlogs];

            snprintf(p, sizeof p, "/logs/%s", names[i]);
            rc = read_string_lines(r->file, p, r->path, &lg->lines, &lg->nlines,
                                   err);
            if (rc < 0) {
                strv_free(names, nn);
                goto fail;
            }
            if (lg->nlines == 0)
                continue; /* empty logs are skipped */
            lg->name = names[i];
            names[i] = NULL;
            r->nlogs++;
        }
        strv_free(names, nn);
    }
    rc = resolve_basins(r, err);
    if (rc < 0)
        goto fail;
    rc = collect_features(r, err);
    if (rc < 0)
        goto fail;
    /* §1.6: image chunk size from the file's own chunked /events/image */
    r->image_chunk_size = 1000;
    if (is_dataset(r->file, "/events/image")) {
        hid_t d = H5Dopen2(r->file, "/events/image", H5P_DEFAULT);
        hid_t dcpl = d >= 0 ? H5Dget_create_plist(d) : H5I_INVALID_HID;
        hsize_t cd[3] = {0, 0, 0};

        if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
            H5Pget_chunk(dcpl, 3, cd) >= 1 && cd[0] > 0)
            r->image_chunk_size =
                    cd[0] >= 1000 ? cd[0] : (1000 / cd[0]) * cd[0];
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (d >= 0)
            H5Dclose(d);
    }
    if (r->n > 0 && r->image_chunk_size > r->n)
        r->image_chunk_size = r->n;
    if (opts == NULL || !(opts->flags & DCN_RTDC_OPEN_NO_IMAGE)) {
        struct dcn_rtdc_image *im;

        if (!dcn_rtdc_has_feature(r, "image")) {
            char tried[1024];

            paths_tried(r, tried, sizeof tried);
            rc = dcn_error_set(err, DCN_ENOTFOUND,
                               "%s: dataset events/image not found (neither "
                               "in /events nor in a basin; basin paths "
                               "tried: %s)",
                               r->path, tried);
            goto fail;
        }
        rc = dcn_rtdc_image_open(r, "image", &im, err);
        if (rc < 0)
            goto fail;
    }
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
