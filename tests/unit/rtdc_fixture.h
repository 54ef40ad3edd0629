/* SPDX-License-Identifier: MIT */
/*
 * rtdc_fixture.h - test-only writers for small (often malformed) .rtdc
 * files made at test time in a temporary directory (style.md rule 57).
 * Written with the HDF5 C API directly, independent of dcnumc's writer.
 */
#ifndef DCN_TESTS_RTDC_FIXTURE_H
#define DCN_TESTS_RTDC_FIXTURE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Create path (truncating); returns the file id. */
hid_t fx_create(const char *path);
void fx_attr_str(hid_t loc, const char *name, const char *value);
void fx_attr_fixed_str(hid_t loc, const char *name, const char *value);
void fx_attr_i64(hid_t loc, const char *name, int64_t value);
void fx_attr_i32(hid_t loc, const char *name, int32_t value);
void fx_attr_f64(hid_t loc, const char *name, double value);
void fx_attr_bool(hid_t loc, const char *name, int value, hid_t base);
/* The shape of a dataset: rank dims, and chunk dims (NULL: contiguous);
 * both borrowed for the call. */
struct fx_shape {
    int rank;
    const hsize_t *dims;
    const hsize_t *chunks;
};
/* Intermediate groups are created as needed. */
void fx_dataset(hid_t file, const char *path, hid_t mtype, hid_t ftype,
                struct fx_shape shape, const void *data);
/* A stack of n frames of h x w pixels. */
struct fx_frames {
    size_t n, h, w;
};
/* The frames as uint8 with the pattern value(k,y,x); chunks may be NULL
 * (contiguous).  zstd: 0 no filter, 1 zstd(5) + Fletcher32,
 * 2 Fletcher32 + deflate(4), 3 shuffle + deflate(2). */
void fx_images(hid_t file, const char *path, struct fx_frames frames,
               const hsize_t *chunks, int zstd, unsigned seed);
uint8_t fx_pixel(unsigned seed, size_t k, size_t y, size_t x);
/* A basin JSON text stored as fixed-length string lines in /basins/key. */
void fx_basin(hid_t file, const char *key, const char *json);
/* A 1-D string log (vlen when vlen != 0). */
void fx_log(hid_t file, const char *name, const char *const *lines, size_t n,
            int vlen);
/* Minimal valid raw input: event count n, pixel size, 40x60 images. */
void fx_minimal(const char *path, size_t n);

#endif /* DCN_TESTS_RTDC_FIXTURE_H */
