/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_meta.c - the root attributes of an .rtdc file and what the
 * reader takes from them (format.md §1.2, §1.9, D2, D14).
 *
 * Every root attribute is read, in name order, into a typed struct
 * dcn_attr that keeps enough of its HDF5 type to recreate it (fixed or
 * variable-length string, integer width and sign, float, h5py's bool
 * enum).  From them come the event count N, the pixel size (rounded to 8
 * decimals, or the user's), the frame rate and the measurement
 * identifier (D2: decoded strings; dcnum's b'...' variant of
 * fixed-length strings is accepted only where a basin names an
 * identifier).  dcn__rd_read_metadata() is the metadata step of
 * dcn_rtdc_open().
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "md5.h"
#include "rtdc_read_internal.h"

/* ---- root attributes ------------------------------------------------- */

void
dcn__rd_attr_release(struct dcn_attr *a)
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
        dcn__rd_strip_nuls(a->s, sz);
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
            dcn__rd_attr_release(&l.v[i]);
        dcn__free(l.v);
        return code;
    }
    *out = l.v;
    *n = l.n;
    return DCN_OK;
}

const struct dcn_attr *
dcn__rd_find_attr(const struct dcn_attr *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

static const char *
attr_text(const struct dcn_attr *v, size_t n, const char *name)
{
    const struct dcn_attr *a = dcn__rd_find_attr(v, n, name);

    if (a == NULL || a->kind != DCN_ATTR_STRING || a->s[0] == '\0')
        return NULL;
    return a->s;
}

/* ---- measurement identifier (§1.9, D2) ------------------------------- */

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
        return run_id_variant(
                dcn__rd_find_attr(v, n, "experiment:run identifier"), quirk);
    for (int i = 0; i < 3; i++) {
        const struct dcn_attr *a = dcn__rd_find_attr(v, n, keys[i]);

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

/* Does file's measurement identifier (D2, or dcnum's quirk) equal id? */
int
dcn__rd_file_id_matches(hid_t file, const char *fname, const char *id,
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
        dcn__rd_attr_release(&v[i]);
    dcn__free(v);
    return DCN_OK;
}

/* ---- event count, pixel size, frame rate (D14) ----------------------- */

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
            dcn__rd_find_attr(r->attrs, r->nattrs, "experiment:event count");

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
    /* A float count must fit the integer it becomes (2^63: inf and 1e30
     * are damaged files, not empty measurements). */
    if (a->kind == DCN_ATTR_FLOAT && !(a->d < 9223372036854775808.0))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: root attribute 'experiment:event count' is "
                             "%g, not a frame count",
                             r->path, a->d);
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
    a = dcn__rd_find_attr(r->attrs, r->nattrs, "imaging:pixel size");
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
    a = dcn__rd_find_attr(r->attrs, r->nattrs, "imaging:frame rate");
    if (a != NULL && (a->kind == DCN_ATTR_FLOAT || a->kind == DCN_ATTR_INT))
        r->frame_rate = a->d;
    return dcn__rd_build_mapping(r, opts != NULL ? &opts->mapping : NULL, err);
}

/* ---- the metadata step of dcn_rtdc_open() ---------------------------- */

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

/* Root attributes, identifier, checks, and the names in /events,
 * /tables and /logs with the logs' lines. */
int
dcn__rd_read_metadata(struct dcn_rtdc *r, const struct dcn_rtdc_open_opts *opts,
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
    rc = dcn__rd_list_group(r->file, "/events", r->path, &r->events,
                            &r->nevents, err);
    if (rc < 0)
        return rc;
    rc = dcn__rd_list_group(r->file, "/tables", r->path, &r->tables,
                            &r->ntables, err);
    if (rc < 0)
        return rc;
    return dcn__rd_read_logs(r, err);
}
