/* SPDX-License-Identifier: MIT */
/*
 * rtdc_fixture.c - see rtdc_fixture.h.
 */
#include "rtdc_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zstd_filter.h"

hid_t
fx_create(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    dcn__zstd_filter_register();
    return H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

static void
attr_write(hid_t loc, const char *name, hid_t type, const void *buf)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);

    H5Awrite(a, type, buf);
    H5Aclose(a);
    H5Sclose(space);
}

void
fx_attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    attr_write(loc, name, t, &value);
    H5Tclose(t);
}

void
fx_attr_fixed_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    H5Tset_size(t, strlen(value) > 0 ? strlen(value) : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    attr_write(loc, name, t, value);
    H5Tclose(t);
}

void
fx_attr_i64(hid_t loc, const char *name, int64_t value)
{
    attr_write(loc, name, H5T_NATIVE_INT64, &value);
}

void
fx_attr_i32(hid_t loc, const char *name, int32_t value)
{
    attr_write(loc, name, H5T_NATIVE_INT32, &value);
}

void
fx_attr_f64(hid_t loc, const char *name, double value)
{
    attr_write(loc, name, H5T_NATIVE_DOUBLE, &value);
}

void
fx_attr_bool(hid_t loc, const char *name, int value, hid_t base)
{
    hid_t t = H5Tenum_create(base);
    int64_t v0 = 0;
    int64_t v1 = 1;
    unsigned char b0[8];
    unsigned char b1[8];
    unsigned char bv[8];
    int64_t vv = value;

    H5Tconvert(H5T_NATIVE_INT64, base, 1, &v0, NULL, H5P_DEFAULT);
    H5Tconvert(H5T_NATIVE_INT64, base, 1, &v1, NULL, H5P_DEFAULT);
    H5Tconvert(H5T_NATIVE_INT64, base, 1, &vv, NULL, H5P_DEFAULT);
    memcpy(b0, &v0, 8);
    memcpy(b1, &v1, 8);
    memcpy(bv, &vv, 8);
    H5Tenum_insert(t, "FALSE", b0);
    H5Tenum_insert(t, "TRUE", b1);
    attr_write(loc, name, t, bv);
    H5Tclose(t);
}

void
fx_dataset(hid_t file, const char *path, hid_t mtype, hid_t ftype,
           struct fx_shape shape, const void *data)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t maxdims[3] = {H5S_UNLIMITED, H5S_UNLIMITED, H5S_UNLIMITED};
    hid_t space = H5Screate_simple(shape.rank, shape.dims,
                                   shape.chunks != NULL ? maxdims : NULL);
    hid_t d;

    H5Pset_create_intermediate_group(lcpl, 1);
    if (shape.chunks != NULL)
        H5Pset_chunk(dcpl, shape.rank, shape.chunks);
    d = H5Dcreate2(file, path, ftype, space, lcpl, dcpl, H5P_DEFAULT);
    if (data != NULL && d >= 0)
        H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
}

uint8_t
fx_pixel(unsigned seed, size_t k, size_t y, size_t x)
{
    size_t v = k * 31 + y * 7 + x * 3 + (size_t)seed * 13 + (x * y) % 17;

    return (uint8_t)(v % 251);
}

void
fx_images(hid_t file, const char *path, struct fx_frames frames,
          const hsize_t *chunks, int zstd, unsigned seed)
{
    size_t n = frames.n, h = frames.h, w = frames.w;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t dims[3] = {n, h, w};
    hsize_t maxdims[3] = {H5S_UNLIMITED, h, w};
    hid_t space = H5Screate_simple(3, dims, chunks != NULL ? maxdims : NULL);
    uint8_t *buf = malloc(n * h * w + 1);
    hid_t d;

    for (size_t k = 0; k < n; k++)
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                buf[(k * h + y) * w + x] = fx_pixel(seed, k, y, x);
    H5Pset_create_intermediate_group(lcpl, 1);
    if (chunks != NULL) {
        H5Pset_chunk(dcpl, 3, chunks);
        if (zstd == 1) {
            unsigned lvl = 5;

            H5Pset_filter(dcpl, 32015, H5Z_FLAG_OPTIONAL, 1, &lvl);
            H5Pset_fletcher32(dcpl);
        } else if (zstd == 2) {
            H5Pset_fletcher32(dcpl);
            H5Pset_deflate(dcpl, 4);
        } else if (zstd == 3) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, 2);
        }
    }
    d = H5Dcreate2(file, path, H5T_NATIVE_UINT8, space, lcpl, dcpl,
                   H5P_DEFAULT);
    if (n > 0)
        H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    free(buf);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
}

static void
string_lines(hid_t file, const char *path, const char *const *lines, size_t n,
             int vlen)
{
    hsize_t dims[1] = {n};
    hid_t t = H5Tcopy(H5T_C_S1);
    size_t maxlen = 1;
    char *fixed = NULL;

    if (vlen) {
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
        fx_dataset(file, path, t, t, (struct fx_shape){1, dims, NULL}, lines);
    } else {
        for (size_t i = 0; i < n; i++)
            if (strlen(lines[i]) > maxlen)
                maxlen = strlen(lines[i]);
        fixed = calloc(n + 1, maxlen);
        for (size_t i = 0; i < n; i++)
            memcpy(fixed + i * maxlen, lines[i], strlen(lines[i]));
        H5Tset_size(t, maxlen);
        H5Tset_strpad(t, H5T_STR_NULLPAD);
        fx_dataset(file, path, t, t, (struct fx_shape){1, dims, NULL}, fixed);
        free(fixed);
    }
    H5Tclose(t);
}

/* group + name into path; -1 (and a message) if it does not fit, and the
 * dataset is not made: the test then fails on the missing dataset. */
static int
subpath(char path[256], const char *group, const char *name)
{
    int n = snprintf(path, 256, "%s%s", group, name);

    if (n >= 0 && n < 256)
        return 0;
    (void)fprintf(stderr, "rtdc_fixture: path %s%s is too long\n", group, name);
    return -1;
}

void
fx_basin(hid_t file, const char *key, const char *json)
{
    char path[256];
    char *copy = strdup(json);
    const char *lines[256];
    size_t n = 0;
    char *save = NULL;

    for (char *p = copy; n < 256; p = NULL) {
        char *tok = strtok_r(p, "\n", &save);

        if (tok == NULL)
            break;
        lines[n++] = tok;
    }
    if (subpath(path, "/basins/", key) == 0)
        string_lines(file, path, lines, n, 0);
    free(copy);
}

void
fx_log(hid_t file, const char *name, const char *const *lines, size_t n,
       int vlen)
{
    char path[256];

    if (subpath(path, "/logs/", name) == 0)
        string_lines(file, path, lines, n, vlen);
}

void
fx_minimal(const char *path, size_t n)
{
    hid_t f = fx_create(path);
    hsize_t ch[3] = {4, 40, 60};

    fx_attr_i64(f, "experiment:event count", (int64_t)n);
    fx_attr_f64(f, "imaging:pixel size", 0.34);
    fx_images(f, "/events/image", (struct fx_frames){n, 40, 60}, ch, 1, 1);
    H5Fclose(f);
}
