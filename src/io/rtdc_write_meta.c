/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_meta.c - root attributes (format.md §2.6): written as
 * scalar variable-length UTF-8 strings, int64 or float64, and copied
 * from an input where absent, as h5py's round trip through numpy makes
 * them (bool enums become int8-based, variable-length strings UTF-8,
 * everything else verbatim).
 *
 * The attribute copy serves every copied object too (logs, tables,
 * written-out virtual datasets), and the string types made here (h5py's
 * S<len> and str) serve the logs and the image attributes.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_write_internal.h"
#include "zstd_filter.h"

/* ---- string types, scalar attributes --------------------------------- */

/* Fixed-length NULLPAD ASCII string type of size len (h5py's "S<len>"). */
hid_t
dcn__wr_fixed_str_type(size_t len)
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
hid_t
dcn__wr_vlen_str_type(void)
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

/* Replace or create scalar attribute name on loc. */
int
dcn__wr_write_scalar_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
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
    dcn__wr_close_id(attr);
    dcn__wr_close_id(space);
    return rc;
}

int
dcn__wr_write_str_attr(hid_t loc, const char *name, const char *value)
{
    hid_t t = dcn__wr_vlen_str_type();
    int rc;

    if (t < 0)
        return -1;
    rc = dcn__wr_write_scalar_attr(loc, name, t, t, &value);
    H5Tclose(t);
    return rc;
}

/* ---- root attributes ------------------------------------------------- */

int
dcn__writer_attr_str(struct dcn_writer *w, const char *name, const char *value,
                     struct dcn_error *err)
{
    dcn__wr_quiet();
    if (dcn__wr_write_str_attr(w->file, name, value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

int
dcn__writer_attr_i64(struct dcn_writer *w, const char *name, int64_t value,
                     struct dcn_error *err)
{
    dcn__wr_quiet();
    if (dcn__wr_write_scalar_attr(w->file, name, H5T_STD_I64LE,
                                  H5T_NATIVE_INT64, &value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

int
dcn__writer_attr_f64(struct dcn_writer *w, const char *name, double value,
                     struct dcn_error *err)
{
    dcn__wr_quiet();
    if (dcn__wr_write_scalar_attr(w->file, name, H5T_IEEE_F64LE,
                                  H5T_NATIVE_DOUBLE, &value) < 0)
        return FAIL(w, err, DCN_EIO, "attribute \"%s\": cannot write", name);
    return DCN_OK;
}

/* ---- copying attributes from an input -------------------------------- */

hid_t
dcn__wr_open_input(struct dcn_writer *w, const char *src_path,
                   struct dcn_error *err)
{
    hid_t f;

    if (dcn__zstd_filter_register() < 0) {
        dcn__wr_fail(w, err, DCN_EIO, "cannot register the zstd filter");
        return H5I_INVALID_HID;
    }
    f = H5Fopen(src_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        dcn__wr_set_error(err, DCN_EIO, "%s: cannot open input file", src_path);
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
    dcn__wr_close_id(out);
    dcn__wr_close_id(rtype);
    dcn__wr_close_id(type);
    dcn__wr_close_id(space);
    dcn__wr_close_id(ftype);
    dcn__wr_close_id(attr);
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
int
dcn__wr_copy_all_attrs(hid_t dst, hid_t src, const char *skip, char *failed)
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
dcn__wr_copy_root_attrs(struct dcn_writer *w, hid_t src, const char *src_path,
                        struct dcn_error *err)
{
    char aname[ATTR_NAME_MAX];
    int rc = dcn__wr_copy_all_attrs(w->file, src, NULL, aname);

    if (rc < 0)
        rc = FAIL(w, err, rc, "cannot copy root attribute \"%s\" from %s",
                  aname, src_path);
    return rc;
}

int
dcn__writer_copy_attrs(struct dcn_writer *w, const char *src_path,
                       struct dcn_error *err)
{
    hid_t src;
    int rc = DCN_OK;

    dcn__wr_quiet();
    src = dcn__wr_open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    rc = dcn__wr_copy_root_attrs(w, src, src_path, err);
    H5Fclose(src);
    return rc;
}
