/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read.c - open and close an .rtdc file (format.md §1.1), the
 * reader's accessors, and the small helpers the reader's files share.
 *
 * dcn_rtdc_open() runs the whole open in order: classify and open the
 * file (missing, not HDF5, damaged), read the metadata (root attributes,
 * event count, pixel size, index mapping, the names in /events and
 * /tables, the logs: rtdc_read_meta.c, rtdc_read_logs.c), resolve the
 * basins (rtdc_read_basins.c), collect the feature names, choose the
 * image chunk size (§1.6) and open the image (rtdc_read_events.c).
 * Fetching and decoding stored chunks is rtdc_read_chunks.c.  Only the
 * reader thread calls into the reader, except dcn_rtdc_image_decode(),
 * which is pure.  The types and dcn__rd_* functions the reader's files
 * share are in rtdc_read_internal.h.
 */
#include "rtdc_read.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "rtdc_read_internal.h"
#include "zstd_filter.h"

/* ---- small helpers (shared by the reader's files) -------------------- */

int
dcn__rd_strv_push(char ***v, size_t *n, const char *s)
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

void
dcn__rd_strv_free(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        dcn__free(v[i]);
    dcn__free(v);
}

bool
dcn__rd_strv_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

int
dcn__rd_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Format a dataset path into buf; false if it does not fit.  A path
 * longer than PATH_CAP is one the reader cannot address, so callers
 * treat it as absent (as dcn__rd_link_exists() does) or report it. */
DCN_PRINTF(3, 4)
bool
dcn__rd_path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

bool
dcn__rd_link_exists(hid_t loc, const char *path)
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

bool
dcn__rd_is_dataset(hid_t loc, const char *path)
{
    H5O_info_t info;

    if (!dcn__rd_link_exists(loc, path))
        return false;
    if (H5Oget_info_by_name2(loc, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return false;
    return info.type == H5O_TYPE_DATASET;
}

/* ---- open / close ---------------------------------------------------- */

static int
collect_features(struct dcn_rtdc *r, struct dcn_error *err)
{
    for (size_t i = 0; i < r->nevents; i++)
        if (dcn__rd_strv_push(&r->features, &r->nfeatures, r->events[i]) < 0)
            return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (size_t b = 0; b < r->nbasins; b++) {
        const struct dcn_basin_desc *d = &r->basins[b];

        if (!d->usable)
            continue;
        for (size_t k = 0; k < d->nfeatures; k++)
            if (!dcn__rd_is_basinmap(d->features[k]) &&
                !dcn__rd_strv_has(r->features, r->nfeatures, d->features[k]) &&
                dcn__rd_strv_push(&r->features, &r->nfeatures, d->features[k]) <
                        0)
                return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    }
    if (r->nfeatures > 1)
        qsort(r->features, r->nfeatures, sizeof *r->features, dcn__rd_cmp_str);
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

/* Frames per chunk of the file's own chunked /events/image, or 0. */
static uint64_t
own_image_chunk_rows(hid_t file)
{
    hid_t d;
    hid_t dcpl;
    hsize_t cd[3] = {0, 0, 0};
    uint64_t rows = 0;

    if (!dcn__rd_is_dataset(file, "/events/image"))
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
    dcn__rd_paths_tried(r, tried, sizeof tried);
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
    rc = dcn__rd_read_metadata(r, opts, err);
    if (rc < 0)
        goto fail;
    rc = dcn__rd_resolve_basins(r, err);
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
        dcn__rd_image_free(im);
    }
    if (r->brt != NULL)
        dcn__rd_close_basin_files(r);
    dcn__free(r->brt);
    for (size_t i = 0; i < r->nbasins; i++)
        dcn__rd_basin_desc_release(&r->basins[i]);
    dcn__free(r->basins);
    for (size_t i = 0; i < r->nattrs; i++)
        dcn__rd_attr_release(&r->attrs[i]);
    dcn__free(r->attrs);
    for (size_t i = 0; i < r->nlogs; i++) {
        dcn__free(r->logs[i].name);
        dcn__rd_strv_free(r->logs[i].lines, r->logs[i].nlines);
    }
    dcn__free(r->logs);
    dcn__rd_strv_free(r->tables, r->ntables);
    dcn__rd_strv_free(r->events, r->nevents);
    dcn__rd_strv_free(r->warnings, r->nwarnings);
    dcn__rd_strv_free(r->features, r->nfeatures);
    dcn__free(r->idx);
    dcn__free(r->mid);
    if (r->file >= 0)
        H5Fclose(r->file);
    dcn__free(r->dir);
    dcn__free(r->path);
    dcn__free(r);
}

/* ---- accessors ------------------------------------------------------- */

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
    return dcn__rd_find_attr(r->attrs, r->nattrs, name);
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
