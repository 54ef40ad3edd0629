/* SPDX-License-Identifier: MIT */
/*
 * testdata.c - loads sample data and dcnum's reference outputs for tests.
 *
 * Plain libc and HDF5; test code, so it may allocate freely and report on
 * stderr.  See testdata.h for why it does not use dcnumc's reader.
 */
/* realpath() and strdup() are not in strict C11/POSIX.1-2008 mode. */
#define _DEFAULT_SOURCE
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "md5.h"
#include "testdata.h"
#include "zstd_filter.h"

#ifndef DCN_SHARED_DATA
#error "DCN_SHARED_DATA must name ../shared/data"
#endif

/* Ends the test run: without its data a test can check nothing. */
_Noreturn static void
stop_run(void)
{
    exit(1); // NOLINT(concurrency-mt-unsafe): set-up failed, nothing to check
}

const char *
td_data_dir(void)
{
    static char dir[PATH_MAX];
    struct stat st;
    const char *env;
    const char *want;

    if (dir[0] != '\0')
        return dir;
    /* No test sets the environment: reading it cannot race. */
    env = getenv("DCN_SHARED_DATA"); // NOLINT(concurrency-mt-unsafe)
    want = env != NULL && env[0] != '\0' ? env : DCN_SHARED_DATA;
    if (realpath(want, dir) == NULL || stat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
        (void)fprintf(stderr,
                      "FATAL: sample data folder %s is missing; the tests "
                      "need ../shared/data beside the repository\n",
                      want);
        stop_run();
    }
    return dir;
}

char *
td_path(char *buf, const char *rel)
{
    int n = snprintf(buf, PATH_MAX, "%s/%s", td_data_dir(), rel);

    if (n < 0 || n >= PATH_MAX) {
        (void)fprintf(stderr, "FATAL: %s/%s is longer than PATH_MAX\n",
                      td_data_dir(), rel);
        stop_run();
    }
    return buf;
}

static hid_t
native_type(enum td_type type)
{
    switch (type) {
    case TD_U8:
        return H5T_NATIVE_UINT8;
    case TD_U16:
        return H5T_NATIVE_UINT16;
    case TD_I16:
        return H5T_NATIVE_INT16;
    case TD_I32:
        return H5T_NATIVE_INT32;
    case TD_U32:
        return H5T_NATIVE_UINT32;
    case TD_I64:
        return H5T_NATIVE_INT64;
    case TD_U64:
        return H5T_NATIVE_UINT64;
    default:
        return H5T_NATIVE_DOUBLE;
    }
}

int
td_read(struct td_array *out, const char *file, const char *dataset,
        enum td_type type)
{
    hid_t f = H5I_INVALID_HID, d = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hid_t mt = native_type(type);
    hsize_t dims[4] = {0, 0, 0, 0};
    int rc = -1;

    memset(out, 0, sizeof(*out));
    dcn__zstd_filter_register();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0 || (d = H5Dopen2(f, dataset, H5P_DEFAULT)) < 0 ||
        (s = H5Dget_space(d)) < 0) {
        (void)fprintf(stderr, "td_read: cannot open %s:%s\n", file, dataset);
        goto out;
    }
    out->rank = H5Sget_simple_extent_ndims(s);
    if (out->rank < 0 || out->rank > 4)
        goto out;
    H5Sget_simple_extent_dims(s, dims, NULL);
    out->count = 1;
    for (int i = 0; i < out->rank; i++) {
        out->dims[i] = (size_t)dims[i];
        out->count *= (size_t)dims[i];
    }
    out->data = calloc(out->count ? out->count : 1, H5Tget_size(mt));
    if (out->data == NULL)
        goto out;
    if (out->count > 0 &&
        H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->data) < 0) {
        (void)fprintf(stderr, "td_read: cannot read %s:%s\n", file, dataset);
        goto out;
    }
    rc = 0;
out:
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    if (rc != 0)
        td_array_release(out);
    return rc;
}

void
td_array_release(struct td_array *a)
{
    free(a->data);
    memset(a, 0, sizeof(*a));
}

int
td_attr_double(double *out, const char *file, const char *name)
{
    hid_t f, a;
    int rc = -1;

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    a = H5Aopen(f, name, H5P_DEFAULT);
    if (a >= 0) {
        rc = H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0 ? -1 : 0;
        H5Aclose(a);
    }
    H5Fclose(f);
    return rc;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    (void)fclose(fp); /* read only: nothing to lose */
    return buf;
}

/* Split line (modified in place) at commas into at most max cells. */
static size_t
split_cells(char *line, char **cells, size_t max)
{
    size_t n = 0;

    for (char *p = line; n < max;) {
        cells[n++] = p;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

static double
parse_cell(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    return end != s && *end == '\0' ? v : NAN;
}

int
td_csv_load(struct td_csv *t, const char *path)
{
    size_t len = 0, nlines = 0;
    char *text = slurp(path, &len);
    char *save = NULL;
    char *line;
    char *cells[256];

    memset(t, 0, sizeof(*t));
    if (text == NULL) {
        (void)fprintf(stderr, "td_csv_load: cannot read %s\n", path);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        nlines += text[i] == '\n';
    line = strtok_r(text, "\n", &save);
    if (line == NULL) {
        free(text);
        return -1;
    }
    t->ncols = split_cells(line, cells, 256);
    t->names = calloc(t->ncols, sizeof(char *));
    for (size_t c = 0; c < t->ncols; c++)
        t->names[c] = strdup(cells[c]);
    t->values = calloc((nlines + 1) * t->ncols, sizeof(double));
    t->cells_text = calloc((nlines + 1) * t->ncols, sizeof(char *));
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        size_t n = split_cells(line, cells, 256);

        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = c < n ? cells[c] : "";

            t->values[t->nrows * t->ncols + c] = parse_cell(cell);
            t->cells_text[t->nrows * t->ncols + c] = strdup(cell);
        }
        t->nrows++;
    }
    free(text);
    return 0;
}

int
td_csv_col(const struct td_csv *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return (int)c;
    return -1;
}

double
td_csv_get(const struct td_csv *t, size_t row, int col)
{
    return t->values[row * t->ncols + (size_t)col];
}

const char *
td_csv_text(const struct td_csv *t, size_t row, int col)
{
    return t->cells_text[row * t->ncols + (size_t)col];
}

void
td_csv_release(struct td_csv *t)
{
    for (size_t c = 0; c < t->ncols; c++)
        free(t->names[c]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells_text[i]);
    free(t->names);
    free(t->values);
    free(t->cells_text);
    memset(t, 0, sizeof(*t));
}

static herr_t
collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    struct {
        char **names;
        size_t n, cap;
    } *acc = data;

    (void)group;
    (void)info;
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? 2 * acc->cap : 64;
        char **names = realloc(acc->names, cap * sizeof(char *));

        if (names == NULL)
            return -1; /* stops the iteration; acc keeps what it has */
        acc->names = names;
        acc->cap = cap;
    }
    acc->names[acc->n++] = strdup(name);
    return 0;
}

int
td_list_group(char ***names, size_t *n, const char *file, const char *group)
{
    struct {
        char **names;
        size_t n, cap;
    } acc = {NULL, 0, 0};
    hid_t f, g;
    int rc = -1;

    *names = NULL;
    *n = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g >= 0) {
        rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name,
                        &acc) < 0
                     ? -1
                     : 0;
        H5Gclose(g);
    }
    H5Fclose(f);
    *names = acc.names;
    *n = acc.n;
    return rc;
}

void
td_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Hash every stored chunk of a chunked dataset. */
static int
hash_chunks(struct dcn_md5 *ctx, hid_t d)
{
    hid_t space = H5Dget_space(d);
    hsize_t nchunks = 0;
    int rc = space >= 0 && H5Dget_num_chunks(d, space, &nchunks) >= 0 ? 0 : -1;

    for (hsize_t i = 0; rc == 0 && i < nchunks; i++) {
        hsize_t off[8] = {0};
        unsigned mask = 0;
        haddr_t addr;
        hsize_t size = 0;
        void *buf;

        if (H5Dget_chunk_info(d, space, i, off, &mask, &addr, &size) < 0) {
            rc = -1;
            break;
        }
        buf = malloc(size ? size : 1);
        if (buf == NULL || H5Dread_chunk(d, H5P_DEFAULT, off, &mask, buf) < 0)
            rc = -1;
        dcn__md5_update(ctx, off, sizeof(off));
        dcn__md5_update(ctx, &mask, sizeof(mask));
        if (rc == 0)
            dcn__md5_update(ctx, buf, size);
        free(buf);
    }
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* Hash the raw bytes of a contiguous or compact dataset. */
static int
hash_contiguous(struct dcn_md5 *ctx, hid_t d)
{
    hid_t type = H5Dget_type(d);
    hid_t space = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    size_t bytes = (size_t)(n > 0 ? n : 0) * H5Tget_size(type);
    void *buf = malloc(bytes ? bytes : 1);
    int rc = buf != NULL && (bytes == 0 || H5Dread(d, type, H5S_ALL, H5S_ALL,
                                                   H5P_DEFAULT, buf) >= 0)
                     ? 0
                     : -1;

    if (rc == 0)
        dcn__md5_update(ctx, buf, bytes);
    free(buf);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

int
td_stored_md5(char hex[33], const char *file, const char *dataset)
{
    struct dcn_md5 ctx;
    uint8_t digest[16];
    hid_t f, d, dcpl;
    int rc = -1;

    dcn__zstd_filter_register();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    d = H5Dopen2(f, dataset, H5P_DEFAULT);
    if (d >= 0) {
        dcn__md5_init(&ctx);
        dcpl = H5Dget_create_plist(d);
        rc = H5Pget_layout(dcpl) == H5D_CHUNKED ? hash_chunks(&ctx, d)
                                                : hash_contiguous(&ctx, d);
        H5Pclose(dcpl);
        H5Dclose(d);
        dcn__md5_final(&ctx, digest);
        dcn__md5_digest_hex(hex, digest);
    }
    H5Fclose(f);
    return rc;
}

static void
numpy_dtype(char dtype[16], hid_t t)
{
    size_t size = H5Tget_size(t);
    H5T_class_t cls = H5Tget_class(t);
    char order = size == 1 ? '|' : '<';

    /* At most 3 characters and the digits of a type size: never cut. */
    if (cls == H5T_STRING && !H5Tis_variable_str(t))
        (void)snprintf(dtype, 16, "|S%zu", size);
    else if (cls == H5T_STRING)
        (void)snprintf(dtype, 16, "|O");
    else if (cls == H5T_FLOAT)
        (void)snprintf(dtype, 16, "%cf%zu", order, size);
    else if (cls == H5T_COMPOUND)
        (void)snprintf(dtype, 16, "|V%zu", size);
    else if (cls == H5T_INTEGER)
        (void)snprintf(dtype, 16, "%c%c%zu", order,
                       H5Tget_sign(t) == H5T_SGN_NONE ? 'u' : 'i', size);
    else
        (void)snprintf(dtype, 16, "?");
}

int
td_dataset_info(size_t dims[4], int *rank, char dtype[16], const char *file,
                const char *dataset)
{
    hsize_t hd[4] = {0, 0, 0, 0};
    hid_t f, d, sp, t;
    int rc = -1;

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    d = H5Dopen2(f, dataset, H5P_DEFAULT);
    if (d >= 0) {
        sp = H5Dget_space(d);
        t = H5Dget_type(d);
        *rank = H5Sget_simple_extent_ndims(sp);
        if (*rank >= 0 && *rank <= 4) {
            H5Sget_simple_extent_dims(sp, hd, NULL);
            for (int i = 0; i < 4; i++)
                dims[i] = (size_t)hd[i];
            numpy_dtype(dtype, t);
            rc = 0;
        }
        H5Tclose(t);
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);
    return rc;
}

/* s into out (len bytes): 0, or -1 (out cut short) if it does not fit. */
static int
copy_whole(char *out, size_t len, const char *s)
{
    int n = snprintf(out, len, "%s", s);

    return n >= 0 && (size_t)n < len ? 0 : -1;
}

int
td_attr_string(char *out, size_t len, const char *file, const char *name)
{
    hid_t f, a, t, mt;
    int rc = -1;

    out[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    a = H5Aopen(f, name, H5P_DEFAULT);
    if (a >= 0) {
        t = H5Aget_type(a);
        if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t)) {
            char *s = NULL;

            mt = H5Tcopy(t);
            if (H5Aread(a, mt, &s) >= 0 && s != NULL) {
                rc = copy_whole(out, len, s);
                H5free_memory(s);
            }
            H5Tclose(mt);
        } else if (H5Tget_class(t) == H5T_STRING) {
            size_t n = H5Tget_size(t);
            char *buf = calloc(n + 1, 1);

            if (buf != NULL && H5Aread(a, t, buf) >= 0)
                rc = copy_whole(out, len, buf);
            free(buf);
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(f);
    return rc;
}

/* Feed one attribute's value into ctx; 0 or -1. */
static int
md5_attr_value(struct dcn_md5 *ctx, hid_t a, hid_t t)
{
    size_t size = H5Tget_size(t);
    int rc = -1;

    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        char *str = NULL;

        H5Tset_size(mt, H5T_VARIABLE);
        if (H5Aread(a, mt, &str) >= 0 && str != NULL) {
            dcn__md5_update(ctx, str, strlen(str));
            rc = 0;
        }
        H5free_memory(str);
        H5Tclose(mt);
        return rc;
    }
    {
        hid_t sp = H5Aget_space(a);
        hssize_t n = H5Sget_simple_extent_npoints(sp);
        unsigned char *buf = n > 0 ? malloc((size_t)n * size) : NULL;

        if (buf != NULL && H5Aread(a, t, buf) >= 0) {
            dcn__md5_update(ctx, buf, (size_t)n * size);
            rc = 0;
        }
        free(buf);
        H5Sclose(sp);
    }
    return rc;
}

static herr_t
md5_one_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    struct dcn_md5 *ctx = data;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    int rc = -1;

    (void)info;
    if (t >= 0) {
        unsigned char head[2] = {(unsigned char)H5Tget_class(t),
                                 (unsigned char)H5Tget_size(t)};

        dcn__md5_update(ctx, name, strlen(name) + 1);
        dcn__md5_update(ctx, head, sizeof(head));
        rc = md5_attr_value(ctx, a, t);
        H5Tclose(t);
    }
    if (a >= 0)
        H5Aclose(a);
    return rc == 0 ? 0 : -1;
}

int
td_attrs_md5(char hex[33], const char *file, const char *object)
{
    struct dcn_md5 ctx;
    unsigned char digest[16];
    hsize_t idx = 0;
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t o = f >= 0 ? H5Oopen(f, object, H5P_DEFAULT) : -1;
    herr_t rc = -1;

    dcn__md5_init(&ctx);
    if (o >= 0)
        rc = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, md5_one_attr,
                         &ctx);
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(hex, digest);
    if (o >= 0)
        H5Oclose(o);
    if (f >= 0)
        H5Fclose(f);
    return rc < 0 ? -1 : 0;
}

/* td_path() of a relative path formatted into rel; 0 or -1 if too long. */
static int
path_of(char path[PATH_MAX], const char *rel, int len)
{
    if (len < 0 || (size_t)len >= PATH_MAX)
        return -1;
    td_path(path, rel);
    return 0;
}

int
td_input_path(char path[PATH_MAX], const char *stem)
{
    char rel[PATH_MAX];
    int len = snprintf(rel, sizeof(rel), "inputs/%s.rtdc", stem);

    return path_of(path, rel, len);
}

int
td_reference_path(char path[PATH_MAX], const char *stem, const char *variant,
                  const char *file)
{
    char rel[PATH_MAX];
    int len = snprintf(rel, sizeof(rel), "reference/%s/%s/%s", stem, variant,
                       file);

    return path_of(path, rel, len);
}
