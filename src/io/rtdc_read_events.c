/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_events.c - features in /events (format.md §1.5): scalar
 * features read through their source's rows, and image features opened
 * and inspected (§1.6, §4.4).
 *
 * A source (struct src, from dcn__rd_locate()) is a file, a dataset path
 * and rows: rows[j] is the dataset row of frame j, or NULL for row j.  A
 * scalar read takes one hyperslab over the rows the frames span, then
 * picks each frame's row; HDF5 converts to double, int64 or the stored
 * type.  An image (uint8, rank 3) is checked and its layout inspected:
 * chunk shape, filters, fill value and the largest stored chunk decide
 * whether workers can decode its stored chunks (layout.raw) or the
 * reader reads it with H5Dread (rtdc_read_chunks.c).
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_read_internal.h"

/* ---- feature sources and scalar features ----------------------------- */

void
dcn__rd_src_init(struct src *s)
{
    memset(s, 0, sizeof *s);
    s->file = H5I_INVALID_HID;
}

void
dcn__rd_src_release(struct src *s)
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

/* Smallest and largest dataset row of frames [a, b), b > a (rows NULL:
 * frame j is row j). */
void
dcn__rd_row_span(const uint64_t *rows, uint64_t a, uint64_t b, uint64_t *lo,
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
    dcn__rd_row_span(s->rows, q->a, q->b, &sp.lo, &sp.hi);
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

int
dcn__rd_read_u64_at(const struct src *s, uint64_t n, uint64_t *out,
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
    dcn__rd_src_init(s);
    if (r == NULL || name == NULL || q->a > q->b || q->b > r->n ||
        (q->out == NULL && q->b > q->a))
        return dcn_error_set(
                err, DCN_EINVAL, "scalar read: bad range [%llu, %llu)",
                (unsigned long long)q->a, (unsigned long long)q->b);
    return dcn__rd_locate(r, name, s, err);
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
    dcn__rd_src_release(&s);
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

    rc = dcn__rd_locate(r, name, &s, err);
    if (rc < 0)
        return rc;
    rc = native_numeric(s.file, s.fname, s.dpath, &mtype, dt, err);
    if (rc == 0)
        H5Tclose(mtype);
    dcn__rd_src_release(&s);
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
    dcn__rd_src_release(&s);
    return rc;
}

bool
dcn_rtdc_has_feature(struct dcn_rtdc *r, const char *feature)
{
    char p[PATH_CAP];

    if (dcn__rd_path_fmt(p, sizeof p, "/events/%s", feature) &&
        dcn__rd_is_dataset(r->file, p))
        return true;
    for (size_t i = 0; i < r->nbasins; i++)
        if (r->basins[i].usable && !dcn__rd_is_basinmap(feature) &&
            dcn__rd_strv_has(r->basins[i].features, r->basins[i].nfeatures,
                             feature))
            return true;
    return false;
}

/* ---- images ---------------------------------------------------------- */

void
dcn__rd_image_free(struct dcn_rtdc_image *im)
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
    rc = dcn__rd_locate(r, name, &s, err);
    if (rc < 0)
        return rc;
    im = dcn__calloc(1, sizeof *im);
    if (im == NULL || (im->name = dcn__strdup(name)) == NULL) {
        dcn__free(im);
        dcn__rd_src_release(&s);
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    }
    im->dset = H5I_INVALID_HID;
    im->fname = s.fname;
    /* fits: both are PATH_CAP bytes */
    (void)snprintf(im->dpath, sizeof im->dpath, "%s", s.dpath);
    rc = image_take_rows(im, r, &s, err);
    if (rc < 0)
        goto fail;
    dcn__rd_src_release(&s);
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
    dcn__rd_src_release(&s);
    dcn__rd_image_free(im);
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
