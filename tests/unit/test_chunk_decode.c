/* SPDX-License-Identifier: MIT */
/*
 * test_chunk_decode.c - the chunk decoder against HDF5's own decode: every
 * stored chunk of every chunked dataset of every sample (inputs and
 * dcnum's outputs) is decoded outside HDF5 and the dataset rebuilt from
 * the chunks must equal H5Dread; one flipped byte under Fletcher32 gives
 * DCN_ECORRUPT; deflate, filter masks, legacy checksums and unknown
 * filters are exercised on files written at test time.
 */
#include <dirent.h>
#include <hdf5.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "chunk_decode.h"
#include "fletcher32.h"
#include "testdata.h"
#include "zstd_filter.h"

static long chunks_checked;
static long datasets_checked;
static long corrupt_checked;

static void
pipeline_of(hid_t dcpl, struct dcn_filter_pipeline *p)
{
    int n = H5Pget_nfilters(dcpl);

    memset(p, 0, sizeof *p);
    p->nfilters = n;
    for (int i = 0; i < n; i++) {
        size_t nelm = DCN_FILTER_CD_MAX;
        unsigned cfg;
        char name[64];

        p->filters[i].id = (unsigned)H5Pget_filter2(
                dcpl, (unsigned)i, &p->filters[i].flags, &nelm,
                p->filters[i].cd_values, sizeof name, name, &cfg);
        p->filters[i].cd_nelmts = nelm;
    }
}

static bool
has_fletcher(const struct dcn_filter_pipeline *p, unsigned mask)
{
    for (int i = 0; i < p->nfilters; i++)
        if (p->filters[i].id == DCN_FILTER_FLETCHER32 && !(mask & 1u << i))
            return true;
    return false;
}

/* Rebuild the dataset from its decoded chunks; compare with H5Dread. */
static void
check_dataset(const char *file, hid_t fid, const char *path)
{
    hid_t dset = H5Dopen2(fid, path, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(dset);
    hid_t ftype = H5Dget_type(dset);
    hid_t mtype = H5I_INVALID_HID;
    hid_t space = H5Dget_space(dset);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[3] = {1, 1, 1};
    hsize_t cd[3] = {1, 1, 1};
    uint64_t ext[3] = {1, 1, 1};
    uint64_t cdim[3] = {1, 1, 1};
    struct dcn_filter_pipeline p;
    size_t esize;
    size_t total;
    size_t cbytes;
    unsigned char *whole = NULL;
    unsigned char *recon = NULL;
    unsigned char *stored = NULL;
    unsigned char *dec = NULL;
    unsigned char *scratch = NULL;
    hsize_t nchunks = 0;

    if (H5Pget_layout(dcpl) != H5D_CHUNKED || rank < 1 || rank > 3 ||
        H5Tget_class(ftype) == H5T_VLEN || H5Tis_variable_str(ftype) > 0)
        goto out;
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Pget_chunk(dcpl, rank, cd);
    mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    if (H5Tget_class(ftype) == H5T_STRING)
        mtype = H5Tcopy(ftype);
    esize = H5Tget_size(mtype);
    if (H5Tget_size(ftype) != esize)
        goto out; /* stored bytes would differ from memory bytes */
    for (int i = 0; i < rank; i++) {
        ext[i] = dims[i];
        cdim[i] = cd[i];
    }
    total = (size_t)(ext[0] * ext[1] * ext[2]) * esize;
    cbytes = (size_t)(cdim[0] * cdim[1] * cdim[2]) * esize;
    pipeline_of(dcpl, &p);
    whole = malloc(total + 1);
    recon = calloc(total + 1, 1);
    dec = malloc(dcn_chunk_decode_dst_size(cbytes));
    scratch = malloc(dcn_chunk_decode_scratch_size(cbytes));
    if (total > 0 &&
        H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, whole) < 0) {
        fprintf(stderr, "%s:%s: H5Dread failed\n", file, path);
        CHECK(0);
        goto out;
    }
    H5Dget_num_chunks(dset, space, &nchunks);
    for (hsize_t k = 0; k < nchunks; k++) {
        hsize_t off[3] = {0, 0, 0};
        uint64_t coord[3] = {0, 0, 0};
        unsigned mask = 0;
        uint32_t mask2 = 0;
        haddr_t addr;
        hsize_t size = 0;
        size_t got = 0;
        struct dcn_error err = DCN_ERROR_INIT;
        int rc;

        H5Dget_chunk_info(dset, space, k, off, &mask, &addr, &size);
        stored = realloc(stored, size + 1);
        if (!CHECK(H5Dread_chunk(dset, H5P_DEFAULT, off, &mask2, stored) >= 0))
            break;
        CHECK_EQ(mask2, mask);
        rc = dcn_chunk_decode(dec, dcn_chunk_decode_dst_size(cbytes), &got,
                              stored, size, &p, mask2, scratch,
                              dcn_chunk_decode_scratch_size(cbytes), &err);
        if (!dcn_filter_pipeline_decodable(&p)) {
            CHECK_EQ(rc, DCN_EFILTER);
            goto out;
        }
        if (rc != 0)
            fprintf(stderr, "%s:%s chunk %llu: %s\n", file, path,
                    (unsigned long long)k, err.msg);
        CHECK_EQ(rc, 0);
        CHECK_EQ(got, cbytes);
        for (int i = 0; i < rank; i++)
            coord[i] = off[i];
        dcn_chunk_copy_overlap(recon, 0, (size_t)ext[0], NULL, (size_t)ext[1],
                               (size_t)ext[2], esize, dec, coord, cdim);
        chunks_checked++;
        /* one flipped byte under Fletcher32 is caught */
        if (has_fletcher(&p, mask2) && size > 8 && k == 0) {
            struct dcn_error e2 = DCN_ERROR_INIT;

            stored[size / 2] ^= 0x5a;
            rc = dcn_chunk_decode(dec, dcn_chunk_decode_dst_size(cbytes), &got,
                                  stored, size, &p, mask2, scratch,
                                  dcn_chunk_decode_scratch_size(cbytes), &e2);
            CHECK_EQ(rc, DCN_ECORRUPT);
            corrupt_checked++;
        }
    }
    if (memcmp(recon, whole, total) != 0) {
        fprintf(stderr, "%s:%s: rebuilt from chunks differs\n", file, path);
        CHECK(0);
    } else {
        CHECK(1);
    }
    datasets_checked++;
out:
    free(whole);
    free(recon);
    free(stored);
    free(dec);
    free(scratch);
    if (mtype >= 0)
        H5Tclose(mtype);
    H5Sclose(space);
    H5Tclose(ftype);
    H5Pclose(dcpl);
    H5Dclose(dset);
}

static herr_t
visit(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    (void)obj;
    if (info->type == H5O_TYPE_DATASET)
        check_dataset(data, *(hid_t *)((char *)data + PATH_MAX), name);
    return 0;
}

static void
check_file(const char *path)
{
    /* data = [path (PATH_MAX)][fid] */
    static char data[PATH_MAX + sizeof(hid_t)];
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);

    if (!CHECK(fid >= 0))
        return;
    snprintf(data, PATH_MAX, "%s", path);
    memcpy(data + PATH_MAX, &fid, sizeof fid);
    H5Ovisit2(fid, H5_INDEX_NAME, H5_ITER_INC, visit, data, H5O_INFO_BASIC);
    H5Fclose(fid);
}

static void
check_all_samples(void)
{
    char dir[PATH_MAX];
    DIR *d;
    struct dirent *e;
    const char *refs[] = {
            "reference/cytoshot-test-data/default/dcnum_output.rtdc",
            "reference/cytoshot-test-data-legacy_dce/default/dcnum_output.rtdc",
            "reference/dcnum_thresh_example/default/dcnum_output.rtdc",
            ("reference/file_with_variable_length_logs/default/"
             "dcnum_output.rtdc"),
    };
    int nfiles = 0;

    td_path(dir, "inputs");
    d = opendir(dir);
    if (!CHECK(d != NULL))
        return;
    while ((e = readdir(d)) != NULL) {
        char p[PATH_MAX * 2];
        size_t l = strlen(e->d_name);

        if (l < 5 || strcmp(e->d_name + l - 5, ".rtdc") != 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        check_file(p);
        nfiles++;
    }
    closedir(d);
    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        char p[PATH_MAX];

        check_file(td_path(p, refs[i]));
        nfiles++;
    }
    CHECK(nfiles >= 12);
    printf("samples: %d files, %ld datasets, %ld chunks, %ld corruptions\n",
           nfiles, datasets_checked, chunks_checked, corrupt_checked);
    CHECK(chunks_checked > 500);
    CHECK(corrupt_checked > 50);
}

/* Write data (n x 37 x 11 uint8) with the given filters at test time. */
static void
check_written(const char *tmpdir, const char *tag, int nf, const int *ids,
              bool expect_decodable)
{
    char path[PATH_MAX];
    hid_t fid;
    hid_t space;
    hid_t dcpl;
    hid_t dset;
    hsize_t dims[3] = {23, 37, 11};
    hsize_t cd[3] = {5, 20, 7};
    unsigned char *data = malloc(23 * 37 * 11);
    size_t before = (size_t)chunks_checked;

    for (size_t i = 0; i < 23 * 37 * 11; i++)
        data[i] = (unsigned char)((i * 7 + i / 50) % 251);
    snprintf(path, sizeof path, "%s/%s.h5", tmpdir, tag);
    fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    space = H5Screate_simple(3, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, cd);
    for (int i = 0; i < nf; i++) {
        if (ids[i] == DCN_FILTER_DEFLATE)
            H5Pset_deflate(dcpl, 4);
        else if (ids[i] == DCN_FILTER_FLETCHER32)
            H5Pset_fletcher32(dcpl);
        else if (ids[i] == 2)
            H5Pset_shuffle(dcpl);
        else if (ids[i] == DCN_FILTER_ZSTD) {
            unsigned lvl = 3;

            H5Pset_filter(dcpl, DCN_FILTER_ZSTD, H5Z_FLAG_OPTIONAL, 1, &lvl);
        }
    }
    dset = H5Dcreate2(fid, "/x", H5T_NATIVE_UINT8, space, H5P_DEFAULT, dcpl,
                      H5P_DEFAULT);
    CHECK(H5Dwrite(dset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                   data) >= 0);
    H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(fid);
    fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    check_dataset(path, fid, "/x");
    H5Fclose(fid);
    if (expect_decodable)
        CHECK_EQ((size_t)chunks_checked - before, 5 * 2 * 2);
    unlink(path);
    free(data);
}

/* A chunk stored with filter mask 1 (zstd skipped) + Fletcher32. */
static void
check_filter_mask(const char *tmpdir)
{
    char path[PATH_MAX];
    hid_t fid;
    hid_t space;
    hid_t dcpl;
    hid_t dset;
    hsize_t dims[1] = {100};
    hsize_t cd[1] = {100};
    hsize_t off[1] = {0};
    unsigned lvl = 5;
    unsigned char raw[104];
    unsigned char back[100];
    uint32_t sum;

    for (int i = 0; i < 100; i++)
        raw[i] = (unsigned char)(i * 3);
    sum = dcn__fletcher32(raw, 100);
    raw[100] = (unsigned char)sum;
    raw[101] = (unsigned char)(sum >> 8);
    raw[102] = (unsigned char)(sum >> 16);
    raw[103] = (unsigned char)(sum >> 24);
    snprintf(path, sizeof path, "%s/mask.h5", tmpdir);
    fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    space = H5Screate_simple(1, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, cd);
    H5Pset_filter(dcpl, DCN_FILTER_ZSTD, H5Z_FLAG_OPTIONAL, 1, &lvl);
    H5Pset_fletcher32(dcpl);
    dset = H5Dcreate2(fid, "/m", H5T_NATIVE_UINT8, space, H5P_DEFAULT, dcpl,
                      H5P_DEFAULT);
    CHECK(H5Dwrite_chunk(dset, H5P_DEFAULT, 1, off, sizeof raw, raw) >= 0);
    H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(fid);
    /* HDF5 honours the mask once the file is reopened (the handle that
     * wrote the chunk may still cache the unfiltered fill chunk) */
    fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    dset = H5Dopen2(fid, "/m", H5P_DEFAULT);
    CHECK(H5Dread(dset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                  back) >= 0);
    CHECK(memcmp(back, raw, 100) == 0);
    H5Dclose(dset);
    check_dataset(path, fid, "/m");
    H5Fclose(fid);
    unlink(path);
}

/* Pure decoder cases: legacy checksum, short input, small buffers. */
static void
check_pure(void)
{
    struct dcn_filter_pipeline p = {0};
    unsigned char in[64];
    unsigned char out[256];
    unsigned char *scratch = malloc(dcn_chunk_decode_scratch_size(60));
    size_t got = 0;
    uint32_t sum;
    uint32_t sw;
    struct dcn_error err = DCN_ERROR_INIT;

    p.nfilters = 1;
    p.filters[0].id = DCN_FILTER_FLETCHER32;
    for (int i = 0; i < 60; i++)
        in[i] = (unsigned char)(i * 11 + 1);
    sum = dcn__fletcher32(in, 60);
    sw = (sum & 0x00ff00ffu) << 8 | (sum >> 8 & 0x00ff00ffu);
    memcpy(in + 60,
           (unsigned char[4]){(unsigned char)sw, (unsigned char)(sw >> 8),
                              (unsigned char)(sw >> 16),
                              (unsigned char)(sw >> 24)},
           4);
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), &err),
             0);
    CHECK_EQ(got, 60);
    CHECK(memcmp(out, in, 60) == 0);
    in[61] ^= 1;
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), &err),
             DCN_ECORRUPT);
    CHECK(strstr(err.msg, "fletcher32") != NULL);
    /* masked: the checksum is not verified, bytes pass through */
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 1, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             0);
    CHECK_EQ(got, 64);
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 3, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             DCN_ECORRUPT);
    /* garbage under zstd */
    p.filters[0].id = DCN_FILTER_ZSTD;
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             DCN_ECORRUPT);
    p.filters[0].id = DCN_FILTER_DEFLATE;
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             DCN_ECORRUPT);
    p.filters[0].id = 32000; /* lzf */
    dcn_error_clear(&err);
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), &err),
             DCN_EFILTER);
    CHECK(strstr(err.msg, "32000") != NULL);
    CHECK(!dcn_filter_pipeline_decodable(&p));
    /* ... unless the unknown filter is masked */
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 1, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             0);
    /* empty pipeline: a copy */
    p.nfilters = 0;
    CHECK_EQ(dcn_chunk_decode(out, sizeof out, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             0);
    CHECK_EQ(got, 64);
    CHECK_EQ(dcn_chunk_decode(out, 10, &got, in, 64, &p, 0, scratch,
                              dcn_chunk_decode_scratch_size(60), NULL),
             DCN_EINVAL);
    {
        char buf[64];
        struct dcn_filter_pipeline q = {0};

        q.nfilters = 2;
        q.filters[0].id = DCN_FILTER_ZSTD;
        q.filters[0].cd_nelmts = 1;
        q.filters[0].cd_values[0] = 5;
        q.filters[1].id = DCN_FILTER_FLETCHER32;
        dcn_filter_pipeline_describe(buf, sizeof buf, &q);
        CHECK_STR_EQ(buf, "zstd(5)+fletcher32");
    }
    {
        struct dcn_filter_pipeline q = {0};

        CHECK(dcn_chunk_decode_exact_ok(&q, 0));
        q.nfilters = 2;
        q.filters[0].id = DCN_FILTER_ZSTD;
        q.filters[1].id = DCN_FILTER_FLETCHER32;
        CHECK(dcn_chunk_decode_exact_ok(&q, 0));
        CHECK(dcn_chunk_decode_exact_ok(&q, 1));
        q.filters[0].id = DCN_FILTER_FLETCHER32;
        q.filters[1].id = DCN_FILTER_DEFLATE;
        CHECK(!dcn_chunk_decode_exact_ok(&q, 0));
        CHECK(dcn_chunk_decode_exact_ok(&q, 2)); /* deflate skipped */
        q.filters[0].id = DCN_FILTER_ZSTD;
        CHECK(!dcn_chunk_decode_exact_ok(&q, 0)); /* two compressors */
        q.filters[0].id = 32000;
        CHECK(!dcn_chunk_decode_exact_ok(&q, 0));
    }
    free(scratch);
}

int
main(void)
{
    char tmpl[] = "/tmp/dcn_chunk_decode_XXXXXX";
    const char *tmpdir;
    static const int deflate_fl[] = {DCN_FILTER_DEFLATE, DCN_FILTER_FLETCHER32};
    static const int fl_deflate[] = {DCN_FILTER_FLETCHER32, DCN_FILTER_DEFLATE};
    static const int zstd_only[] = {DCN_FILTER_ZSTD};
    static const int shuffle_deflate[] = {2, DCN_FILTER_DEFLATE};
    static const int none[] = {0};

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    dcn__zstd_filter_register();
    check_pure();
    check_all_samples();
    tmpdir = mkdtemp(tmpl);
    if (CHECK(tmpdir != NULL)) {
        check_written(tmpdir, "deflate_fl", 2, deflate_fl, true);
        check_written(tmpdir, "fl_deflate", 2, fl_deflate, true);
        check_written(tmpdir, "zstd", 1, zstd_only, true);
        check_written(tmpdir, "none", 0, none, true);
        check_written(tmpdir, "shuffle", 2, shuffle_deflate, false);
        check_filter_mask(tmpdir);
        rmdir(tmpdir);
    }
    return check_report();
}
