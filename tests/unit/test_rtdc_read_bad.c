/* SPDX-License-Identifier: MIT */
/*
 * test_rtdc_read_bad.c - malformed inputs made at test time: each gives
 * one exact status and a message naming the file and the dataset or
 * attribute (format.md §1.12, D14, D15); none crashes.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "rtdc_fixture.h"
#include "rtdc_read.h"
#include "testdata.h"

static char tmpdir[256];

/* tmpdir/name into buf (PATH_MAX bytes); a path that does not fit fails a
 * check and leaves buf empty. */
static void
tpath(char *buf, const char *name)
{
    int n = snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);

    if (n < 0 || n >= PATH_MAX) {
        CHECK(n >= 0 && n < PATH_MAX);
        buf[0] = '\0';
    }
}

/* Open path; expect code and every needle in the message. */
static void
expect_open(const char *path, const struct dcn_rtdc_open_opts *o, int code,
            const char *n1, const char *n2)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    int rc = dcn_rtdc_open(&r, path, o, &err);

    CHECK_EQ(rc, code);
    CHECK(code != 0 || r != NULL);
    CHECK(code == 0 || r == NULL);
    if (code != 0) {
        CHECK_EQ(err.code, code);
        if (!CHECK(strstr(err.msg, path) != NULL))
            (void)fprintf(stderr, "    message: %s\n", err.msg);
        if (n1 != NULL && !CHECK(strstr(err.msg, n1) != NULL))
            (void)fprintf(stderr, "    '%s' not in: %s\n", n1, err.msg);
        if (n2 != NULL && !CHECK(strstr(err.msg, n2) != NULL))
            (void)fprintf(stderr, "    '%s' not in: %s\n", n2, err.msg);
        (void)printf("ok: %s\n", err.msg);
    } else if (rc != 0) {
        (void)fprintf(stderr, "    %s\n", err.msg);
    }
    dcn_rtdc_free(r);
}

static hid_t
base_file(const char *path, int64_t n)
{
    hid_t f = fx_create(path);

    fx_attr_i64(f, "experiment:event count", n);
    fx_attr_f64(f, "imaging:pixel size", 0.34);
    return f;
}

/* A file of exactly these bytes; a failed write fails a check. */
static void
write_bytes(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(buf, 1, n, f) == n;

    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok)
        CHECK(ok);
}

/* An identity filter we register only while writing.  Its signature is
 * HDF5's H5Z_func_t, so buf_size stays non-const. */
static size_t
ident_filter(
        unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
        size_t nbytes,
        size_t *buf_size, // NOLINT(readability-non-const-parameter): H5Z_func_t
        void **buf)
{
    (void)flags;
    (void)cd_nelmts;
    (void)cd_values;
    (void)buf_size;
    (void)buf;
    return nbytes;
}

static const H5Z_class2_t ident_class = {
        H5Z_CLASS_T_VERS, 32099, 1,    1,
        "test identity",  NULL,  NULL, ident_filter};

static void
check_unknown_filter(void)
{
    char p[PATH_MAX];
    hid_t f;
    hid_t dcpl;
    hid_t space;
    hid_t d;
    hsize_t dims[3] = {3, 10, 12};
    hsize_t ch[3] = {1, 10, 12};
    uint8_t buf[360] = {1, 2, 3};

    tpath(p, "unknown_filter.rtdc");
    f = base_file(p, 3);
    H5Zregister(&ident_class);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, ch);
    H5Pset_filter(dcpl, 32099, 0, 0, NULL);
    space = H5Screate_simple(3, dims, NULL);
    {
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);

        H5Pset_create_intermediate_group(lcpl, 1);
        d = H5Dcreate2(f, "/events/image", H5T_NATIVE_UINT8, space, lcpl, dcpl,
                       H5P_DEFAULT);
        H5Pclose(lcpl);
    }
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Fclose(f);
    H5Zunregister(32099);
    expect_open(p, NULL, DCN_EFILTER, "/events/image", "32099");
    unlink(p);
}

/* One flipped byte inside a stored image chunk: the workers' decode
 * reports DCN_ECORRUPT naming the chunk and the file. */
static void
check_corrupt_chunk(void)
{
    char p[PATH_MAX];
    hid_t f;
    hsize_t ch[3] = {4, 40, 60};
    haddr_t addr = 0;
    hsize_t size = 0;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    uint8_t *dst = malloc((size_t)8 * 40 * 60);

    tpath(p, "corrupt.rtdc");
    f = base_file(p, 8);
    fx_images(f, "/events/image", (struct fx_frames){8, 40, 60}, ch, 1, 3);
    H5Fclose(f);
    f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    {
        hid_t d = H5Dopen2(f, "/events/image", H5P_DEFAULT);
        hid_t s = H5Dget_space(d);
        hsize_t off[3];
        unsigned mask;

        H5Dget_chunk_info(d, s, 1, off, &mask, &addr, &size);
        H5Sclose(s);
        H5Dclose(d);
    }
    H5Fclose(f);
    {
        int fd = open(p, O_RDWR);
        unsigned char c;

        CHECK(fd >= 0 && size > 10);
        CHECK(pread(fd, &c, 1, (off_t)(addr + size / 2)) == 1);
        c ^= 0x10;
        CHECK(pwrite(fd, &c, 1, (off_t)(addr + size / 2)) == 1);
        close(fd);
    }
    CHECK_EQ(dcn_rtdc_open(&r, p, NULL, &err), 0);
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
        /* frames 0-3 are in the good chunk */
        CHECK_EQ(dcn_rtdc_image_read(im, 0, 4, dst, &err), 0);
        CHECK_EQ(dcn_rtdc_image_read(im, 2, 8, dst, &err), DCN_ECORRUPT);
        CHECK(strstr(err.msg, p) != NULL);
        CHECK(strstr(err.msg, "/events/image") != NULL);
        CHECK(strstr(err.msg, "(4, 0, 0)") != NULL);
        (void)printf("ok: %s\n", err.msg);
        dcn_rtdc_free(r);
    }
    free(dst);
    unlink(p);
}

/* Open + image_bg through the internal basin + a scalar, with the nth
 * allocation failing: a clean status with a message, never a crash or a
 * leak (run under ASan), for every n until everything succeeds. */
static int
open_and_read(const char *path, struct dcn_error *err)
{
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    uint8_t *buf = malloc((size_t)4 * 80 * 400);
    double v[4];
    int rc = dcn_rtdc_open(&r, path, NULL, err);

    if (rc == 0)
        rc = dcn_rtdc_image_open(r, "image_bg", &im, err);
    if (rc == 0)
        rc = dcn_rtdc_image_read(im, 0, 4, buf, err);
    if (rc == 0)
        rc = dcn_rtdc_scalar_read_f64(r, "deform", 0, 4, v, err);
    dcn_rtdc_free(r);
    free(buf);
    return rc;
}

static void
check_alloc_failures(void)
{
    char p[PATH_MAX];
    long n;
    long ok_run = 0;
    long failures = 0;

    td_path(p, "reference/cytoshot-test-data/default/dcnum_output.rtdc");
    for (n = 1; n < 5000 && ok_run < 50; n++) {
        struct dcn_error err = DCN_ERROR_INIT;
        int rc;

        dcn__alloc_fail_nth(n);
        rc = open_and_read(p, &err);
        dcn__alloc_fail_nth(0);
        if (rc == 0) {
            ok_run++;
            continue;
        }
        ok_run = 0;
        failures++;
        if (!CHECK(err.code == rc && err.msg[0] != '\0'))
            (void)fprintf(stderr, "    n=%ld rc=%d without message\n", n, rc);
    }
    (void)printf("allocation failure sweep: %ld runs, %ld failed cleanly\n",
                 n - 1, failures);
    CHECK(failures > 20);
}

static void
check_missing_file(void)
{
    char p[PATH_MAX];

    tpath(p, "does-not-exist.rtdc");
    expect_open(p, NULL, DCN_ENOTFOUND, "No such file", NULL);
}

/* Not HDF5: text, and an empty file. */
static void
check_not_hdf5(void)
{
    char p[PATH_MAX];

    tpath(p, "text.rtdc");
    write_bytes(p, "hello, this is not HDF5\n", 24);
    expect_open(p, NULL, DCN_EFORMAT, "not an HDF5 file", NULL);
    unlink(p);
    tpath(p, "empty.rtdc");
    write_bytes(p, "", 0);
    expect_open(p, NULL, DCN_EFORMAT, "not an HDF5 file", NULL);
    unlink(p);
}

static void
check_truncated_copy(void)
{
    char p[PATH_MAX];
    char src[PATH_MAX];
    FILE *in = fopen(td_path(src, "inputs/cytoshot-test-data.rtdc"), "rb");
    static unsigned char buf[400000];
    size_t n = in != NULL ? fread(buf, 1, sizeof buf, in) : 0;

    if (in != NULL)
        (void)fclose(in); /* read only: nothing to lose */
    CHECK_EQ(n, sizeof buf);
    tpath(p, "truncated.rtdc");
    write_bytes(p, buf, n);
    expect_open(p, NULL, DCN_ECORRUPT, "truncated", NULL);
    unlink(p);
}

static void
check_minimal_opens(void)
{
    char p[PATH_MAX];

    tpath(p, "minimal.rtdc");
    fx_minimal(p, 9);
    expect_open(p, NULL, 0, NULL, NULL);
    unlink(p);
}

static void
check_wrong_rank(void)
{
    char p[PATH_MAX];
    hid_t f;
    hsize_t d2[2] = {5, 40};
    uint8_t z[200] = {0};

    tpath(p, "rank.rtdc");
    f = base_file(p, 5);
    fx_dataset(f, "/events/image", H5T_NATIVE_UINT8, H5T_STD_U8LE,
               (struct fx_shape){2, d2, NULL}, z);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "/events/image", "rank 2");
    unlink(p);
}

static void
check_wrong_dtype(void)
{
    char p[PATH_MAX];
    hid_t f;
    hsize_t d3[3] = {2, 4, 5};
    float z[40] = {0};

    tpath(p, "dtype.rtdc");
    f = base_file(p, 2);
    fx_dataset(f, "/events/image", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE,
               (struct fx_shape){3, d3, NULL}, z);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "/events/image", "uint8");
    unlink(p);
}

/* A feature-only file: no events/image unless the caller needs none. */
static void
check_missing_image(void)
{
    char p[PATH_MAX];
    hid_t f;
    hsize_t d1[1] = {2};
    double v[2] = {1, 2};
    struct dcn_rtdc_open_opts o = {0};

    tpath(p, "noimage.rtdc");
    f = base_file(p, 2);
    fx_dataset(f, "/events/deform", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE,
               (struct fx_shape){1, d1, NULL}, v);
    H5Fclose(f);
    expect_open(p, NULL, DCN_ENOTFOUND, "events/image", NULL);
    o.flags = DCN_RTDC_OPEN_NO_IMAGE;
    expect_open(p, &o, 0, NULL, NULL);
    unlink(p);
}

static const hsize_t ch3[3] = {4, 40, 60};

static void
check_image_shorter_than_event_count(void)
{
    char p[PATH_MAX];
    hid_t f;

    tpath(p, "short.rtdc");
    f = base_file(p, 10);
    fx_images(f, "/events/image", (struct fx_frames){6, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "/events/image", "10 needed");
    unlink(p);
}

/* A missing experiment:event count (D14), and one of the wrong type. */
/* A float event count that no frame count can be (was: undefined
 * behaviour, and an "empty" measurement in the plain build). */
static void
check_float_count(double count)
{
    char p[PATH_MAX];
    hid_t f;

    tpath(p, "floatcount.rtdc");
    f = fx_create(p);
    fx_attr_f64(f, "experiment:event count", count);
    fx_attr_f64(f, "imaging:pixel size", 0.34);
    fx_images(f, "/events/image", (struct fx_frames){3, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "experiment:event count",
                "not a frame count");
    unlink(p);
}

static void
check_event_count(void)
{
    char p[PATH_MAX];
    hid_t f;

    tpath(p, "nocount.rtdc");
    f = fx_create(p);
    fx_attr_f64(f, "imaging:pixel size", 0.34);
    fx_images(f, "/events/image", (struct fx_frames){3, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_ENOTFOUND, "experiment:event count", "missing");
    unlink(p);
    tpath(p, "strcount.rtdc");
    f = fx_create(p);
    fx_attr_str(f, "experiment:event count", "3");
    fx_attr_f64(f, "imaging:pixel size", 0.34);
    fx_images(f, "/events/image", (struct fx_frames){3, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "experiment:event count", NULL);
    unlink(p);
    check_float_count(INFINITY);
    check_float_count(1e30);
}

/* A missing / zero pixel size (D14), and a user value. */
static void
check_pixel_size(void)
{
    char p[PATH_MAX];
    hid_t f;
    struct dcn_rtdc_open_opts o = {0};

    tpath(p, "nopix.rtdc");
    f = fx_create(p);
    fx_attr_i64(f, "experiment:event count", 3);
    fx_images(f, "/events/image", (struct fx_frames){3, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_ENOTFOUND, "imaging:pixel size", "missing");
    o.pixel_size = 0.2645;
    expect_open(p, &o, 0, NULL, NULL);
    unlink(p);
    tpath(p, "zeropix.rtdc");
    f = fx_create(p);
    fx_attr_i64(f, "experiment:event count", 3);
    fx_attr_f64(f, "imaging:pixel size", 0.0);
    fx_images(f, "/events/image", (struct fx_frames){3, 40, 60}, ch3, 1, 1);
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "imaging:pixel size", NULL);
    unlink(p);
}

/* A basin to a missing file: the image cannot be found. */
static void
check_basin_to_missing_file(void)
{
    char p[PATH_MAX];
    hid_t f;

    tpath(p, "basin_missing.rtdc");
    f = base_file(p, 4);
    fx_basin(f, "aaaa",
             "{\"name\": \"dcnum basin\", \"type\": \"file\", \"format\": "
             "\"hdf5\", \"paths\": [\"/nowhere/input.rtdc\", "
             "\"input.rtdc\"], \"features\": [\"image\"]}");
    H5Fclose(f);
    expect_open(p, NULL, DCN_ENOTFOUND, "events/image", "/nowhere/input.rtdc");
    unlink(p);
}

/* Bad basin JSON, and an internal basin without features. */
static void
check_bad_basins(void)
{
    char p[PATH_MAX];
    hid_t f;

    tpath(p, "basin_json.rtdc");
    f = base_file(p, 4);
    fx_images(f, "/events/image", (struct fx_frames){4, 40, 60}, ch3, 1, 1);
    fx_basin(f, "bbbb", "{\"name\": \"x\", \"type\": [\"file\"");
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "/basins/bbbb", "JSON");
    unlink(p);
    tpath(p, "basin_internal.rtdc");
    f = base_file(p, 4);
    fx_images(f, "/events/image", (struct fx_frames){4, 40, 60}, ch3, 1, 1);
    fx_images(f, "/basin_events/image_bg", (struct fx_frames){1, 40, 60}, ch3,
              1, 1);
    fx_basin(f, "cccc",
             "{\"name\": \"bg\", \"type\": \"internal\", \"format\": "
             "\"h5dataset\", \"paths\": [\"basin_events\"]}");
    H5Fclose(f);
    expect_open(p, NULL, DCN_EFORMAT, "/basins/cccc", "features");
    unlink(p);
}

/* A basinmap index beyond the basin data: the file opens, the basin
 * feature does not. */
static void
check_basinmap_out_of_range(void)
{
    char p[PATH_MAX];
    hid_t f;
    hsize_t d1[1] = {4};
    int64_t m[4] = {0, 1, 1, 5};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;

    tpath(p, "basin_range.rtdc");
    f = base_file(p, 4);
    fx_images(f, "/events/image", (struct fx_frames){4, 40, 60}, ch3, 1, 1);
    fx_images(f, "/basin_events/image_bg", (struct fx_frames){2, 40, 60}, ch3,
              1, 1);
    fx_dataset(f, "/events/basinmap1", H5T_NATIVE_INT64, H5T_STD_I64LE,
               (struct fx_shape){1, d1, NULL}, m);
    fx_basin(f, "dddd",
             "{\"name\": \"bg\", \"type\": \"internal\", \"format\": "
             "\"h5dataset\", \"paths\": [\"basin_events\"], \"features\": "
             "[\"image_bg\"], \"mapping\": \"basinmap1\"}");
    H5Fclose(f);
    CHECK_EQ(dcn_rtdc_open(&r, p, NULL, &err), 0);
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_image_open(r, "image_bg", &im, &err), DCN_EFORMAT);
        CHECK(strstr(err.msg, "/basin_events/image_bg") != NULL);
        CHECK(strstr(err.msg, p) != NULL);
        (void)printf("ok: %s\n", err.msg);
        dcn_rtdc_free(r);
    }
    unlink(p);
}

int
main(void)
{
    char tmpl[] = "/tmp/dcn_rtdc_bad_XXXXXX";

    _Static_assert(sizeof tmpl <= sizeof tmpdir, "tmpdir holds tmpl");
    if (!CHECK(mkdtemp(tmpl) != NULL))
        return check_report();
    memcpy(tmpdir, tmpl, sizeof tmpl);
    check_missing_file();
    check_not_hdf5();
    check_truncated_copy();
    check_minimal_opens();
    check_wrong_rank();
    check_wrong_dtype();
    check_missing_image();
    check_image_shorter_than_event_count();
    check_event_count();
    check_pixel_size();
    check_unknown_filter();
    check_basin_to_missing_file();
    check_bad_basins();
    check_basinmap_out_of_range();
    check_corrupt_chunk();
    check_alloc_failures();
    rmdir(tmpdir);
    return check_report();
}
