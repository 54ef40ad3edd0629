/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_logs.c - string datasets and group listings: the logs
 * (format.md §1.3), the names in /tables (§1.4) and /events, and the
 * text of basin definitions.
 *
 * A string dataset is 1-D, of fixed-length strings (trailing NULs
 * stripped; an embedded NUL ends the text, as numpy does) or of
 * variable-length ones (NULL reads as "").  A row count or string size
 * too large to be real is reported as a damaged file instead of being
 * allocated.  Empty logs are skipped; listings are sorted by name, and
 * an absent group lists nothing.
 */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_read_internal.h"

/* ---- string datasets (logs, basins) ---------------------------------- */

void
dcn__rd_strip_nuls(char *s, size_t len)
{
    while (len > 0 && s[len - 1] == '\0')
        len--;
    s[len] = '\0';
}

/* A 1-D string dataset being read by dcn__rd_read_string_lines(). */
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
        dcn__rd_strip_nuls(s, sz);
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
int
dcn__rd_read_string_lines(hid_t loc, const char *path, const char *fname,
                          char ***lines, size_t *nlines, struct dcn_error *err)
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
        dcn__rd_strv_free(sr.lines, sr.nlines);
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

/* ---- group listings -------------------------------------------------- */

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
    if (dcn__rd_strv_push(&l->v, &l->n, name) < 0) {
        l->rc = DCN_ENOMEM;
        return -1;
    }
    return 0;
}

/* Sorted member names of group path; an absent group gives none. */
int
dcn__rd_list_group(hid_t file, const char *path, const char *fname,
                   char ***names, size_t *n, struct dcn_error *err)
{
    struct name_list l = {NULL, 0, 0};
    hid_t g;

    *names = NULL;
    *n = 0;
    if (!dcn__rd_link_exists(file, path))
        return DCN_OK;
    g = H5Gopen2(file, path, H5P_DEFAULT);
    if (g < 0)
        return dcn_error_set(err, DCN_EFORMAT, "%s: %s is not a group", fname,
                             path);
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, &l) < 0) {
        H5Gclose(g);
        dcn__rd_strv_free(l.v, l.n);
        return dcn_error_set(err, l.rc < 0 ? l.rc : DCN_EIO,
                             "%s: cannot list group %s", fname, path);
    }
    H5Gclose(g);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, dcn__rd_cmp_str);
    *names = l.v;
    *n = l.n;
    return DCN_OK;
}

/* ---- logs (§1.3) ----------------------------------------------------- */

/* One log, taken over from *name unless empty (empty logs are skipped). */
static int
read_log(struct dcn_rtdc *r, char **name, struct dcn_error *err)
{
    struct dcn_log *lg = &r->logs[r->nlogs];
    char p[PATH_CAP];
    int rc;

    if (!dcn__rd_path_fmt(p, sizeof p, "/logs/%s", *name))
        return dcn_error_set(err, DCN_EIO, "%s: path too long: /logs/%s",
                             r->path, *name);
    rc = dcn__rd_read_string_lines(r->file, p, r->path, &lg->lines, &lg->nlines,
                                   err);
    if (rc < 0 || lg->nlines == 0)
        return rc;
    lg->name = *name;
    *name = NULL;
    r->nlogs++;
    return DCN_OK;
}

int
dcn__rd_read_logs(struct dcn_rtdc *r, struct dcn_error *err)
{
    char **names = NULL;
    size_t nn = 0;
    int rc = dcn__rd_list_group(r->file, "/logs", r->path, &names, &nn, err);

    if (rc < 0)
        return rc;
    if (nn > 0) {
        r->logs = dcn__calloc(nn, sizeof *r->logs);
        if (r->logs == NULL) {
            dcn__rd_strv_free(names, nn);
            return dcn_error_set(err, DCN_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < nn && rc == DCN_OK; i++)
        rc = read_log(r, &names[i], err);
    dcn__rd_strv_free(names, nn);
    return rc;
}
