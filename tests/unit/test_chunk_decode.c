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

/* One chunked dataset being rebuilt from its decoded chunks. */
struct rebuild {
    const char *file;
    const char *path;
    hid_t dset;
    hid_t space;
    int rank;
    size_t esize;
    size_t total;  /* bytes of the whole dataset */
    size_t cbytes; /* bytes of one decoded chunk */
    uint64_t ext[3];
    uint64_t cdim[3];
    struct dcn_filter_pipeline p;
    unsigned char *recon;
    unsigned char *stored; /* the stored bytes of the current chunk */
    unsigned char *dec;
    unsigned char *scratch;
};

/* What became of one chunk. */
enum chunk_outcome {
    CHUNK_DONE,
    CHUNK_UNREADABLE, /* the rebuild stops, the comparison fails */
    CHUNK_UNDECODABLE /* a filter the decoder refuses: nothing to compare */
};

/* Fixed-size types and rank 1 to 3, chunked: what the decoder reads. */
static bool
checkable(hid_t dcpl, hid_t ftype, int rank)
{
    return H5Pget_layout(dcpl) == H5D_CHUNKED && rank >= 1 && rank <= 3 &&
           H5Tget_class(ftype) != H5T_VLEN && H5Tis_variable_str(ftype) <= 0;
}

/* The type to read the dataset as; strings are read as stored. */
static hid_t
memory_type(hid_t ftype)
{
    if (H5Tget_class(ftype) == H5T_STRING)
        return H5Tcopy(ftype);
    return H5Tget_native_type(ftype, H5T_DIR_ASCEND);
}

static void
set_extents(struct rebuild *r, hid_t dcpl)
{
    hsize_t dims[3] = {1, 1, 1};
    hsize_t cd[3] = {1, 1, 1};

    H5Sget_simple_extent_dims(r->space, dims, NULL);
    H5Pget_chunk(dcpl, r->rank, cd);
    for (int i = 0; i < 3; i++) {
        r->ext[i] = i < r->rank ? dims[i] : 1;
        r->cdim[i] = i < r->rank ? cd[i] : 1;
    }
    r->total = (size_t)(r->ext[0] * r->ext[1] * r->ext[2]) * r->esize;
    r->cbytes = (size_t)(r->cdim[0] * r->cdim[1] * r->cdim[2]) * r->esize;
}

static int
decode_stored(struct rebuild *r, size_t size, uint32_t mask, size_t *got,
              struct dcn_error *err)
{
    return dcn_chunk_decode(r->dec, dcn_chunk_decode_dst_size(r->cbytes), got,
                            r->stored, size, &r->p, mask, r->scratch,
                            dcn_chunk_decode_scratch_size(r->cbytes), err);
}

/* Room for size stored bytes; the rebuild fails a check if there is
 * none. */
static int
grow_stored(struct rebuild *r, size_t size)
{
    unsigned char *grown = realloc(r->stored, size + 1);

    if (grown == NULL) {
        CHECK(grown != NULL);
        return -1;
    }
    r->stored = grown;
    return 0;
}

/* One flipped byte under Fletcher32 is caught. */
static void
check_flipped_byte(struct rebuild *r, size_t size, uint32_t mask)
{
    struct dcn_error err = DCN_ERROR_INIT;
    size_t got = 0;

    r->stored[size / 2] ^= 0x5a;
    CHECK_EQ(decode_stored(r, size, mask, &got, &err), DCN_ECORRUPT);
    corrupt_checked++;
}

/* Decode chunk k and copy it into r->recon. */
static enum chunk_outcome
rebuild_chunk(struct rebuild *r, hsize_t k)
{
    hsize_t off[3] = {0, 0, 0};
    uint64_t coord[3] = {0, 0, 0};
    unsigned mask = 0;
    uint32_t mask2 = 0;
    haddr_t addr;
    hsize_t size = 0;
    size_t got = 0;
    struct dcn_error err = DCN_ERROR_INIT;
    int rc;

    H5Dget_chunk_info(r->dset, r->space, k, off, &mask, &addr, &size);
    if (grow_stored(r, (size_t)size) != 0 ||
        !CHECK(H5Dread_chunk(r->dset, H5P_DEFAULT, off, &mask2, r->stored) >=
               0))
        return CHUNK_UNREADABLE;
    CHECK_EQ(mask2, mask);
    rc = decode_stored(r, (size_t)size, mask2, &got, &err);
    if (!dcn_filter_pipeline_decodable(&r->p)) {
        CHECK_EQ(rc, DCN_EFILTER);
        return CHUNK_UNDECODABLE;
    }
    if (rc != 0)
        (void)fprintf(stderr, "%s:%s chunk %llu: %s\n", r->file, r->path,
                      (unsigned long long)k, err.msg);
    CHECK_EQ(rc, 0);
    CHECK_EQ(got, r->cbytes);
    for (int i = 0; i < r->rank; i++)
        coord[i] = off[i];
    dcn_chunk_copy_overlap(r->recon, 0, (size_t)r->ext[0], NULL,
                           (size_t)r->ext[1], (size_t)r->ext[2], r->esize,
                           r->dec, coord, r->cdim);
    chunks_checked++;
    if (has_fletcher(&r->p, mask2) && size > 8 && k == 0)
        check_flipped_byte(r, (size_t)size, mask2);
    return CHUNK_DONE;
}

/* Every chunk into r->recon; -1 if the pipeline cannot be decoded. */
static int
rebuild_from_chunks(struct rebuild *r)
{
    hsize_t nchunks = 0;

    H5Dget_num_chunks(r->dset, r->space, &nchunks);
    for (hsize_t k = 0; k < nchunks; k++) {
        enum chunk_outcome o = rebuild_chunk(r, k);

        if (o == CHUNK_UNDECODABLE)
            return -1;
        if (o == CHUNK_UNREADABLE)
            break;
    }
    return 0;
}

static void
compare_rebuilt(const struct rebuild *r, const unsigned char *whole)
{
    if (memcmp(r->recon, whole, r->total) != 0) {
        (void)fprintf(stderr, "%s:%s: rebuilt from chunks differs\n", r->file,
                      r->path);
        CHECK(0);
    } else {
        CHECK(1);
    }
    datasets_checked++;
}

/* Rebuild the dataset from its decoded chunks; compare with H5Dread. */
static void
check_dataset(const char *file, hid_t fid, const char *path)
{
    struct rebuild r = {.file = file, .path = path};
    hid_t dcpl;
    hid_t ftype;
    hid_t mtype = H5I_INVALID_HID;
    unsigned char *whole = NULL;

    r.dset = H5Dopen2(fid, path, H5P_DEFAULT);
    dcpl = H5Dget_create_plist(r.dset);
    ftype = H5Dget_type(r.dset);
    r.space = H5Dget_space(r.dset);
    r.rank = H5Sget_simple_extent_ndims(r.space);
    if (!checkable(dcpl, ftype, r.rank))
        goto out;
    mtype = memory_type(ftype);
    r.esize = H5Tget_size(mtype);
    if (H5Tget_size(ftype) != r.esize)
        goto out; /* stored bytes would differ from memory bytes */
    set_extents(&r, dcpl);
    pipeline_of(dcpl, &r.p);
    whole = malloc(r.total + 1);
    r.recon = calloc(r.total + 1, 1);
    r.dec = malloc(dcn_chunk_decode_dst_size(r.cbytes));
    r.scratch = malloc(dcn_chunk_decode_scratch_size(r.cbytes));
    if (r.total > 0 &&
        H5Dread(r.dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, whole) < 0) {
        (void)fprintf(stderr, "%s:%s: H5Dread failed\n", file, path);
        CHECK(0);
        goto out;
    }
    if (rebuild_from_chunks(&r) == 0)
        compare_rebuilt(&r, whole);
out:
    free(whole);
    free(r.recon);
    free(r.stored);
    free(r.dec);
    free(r.scratch);
    if (mtype >= 0)
        H5Tclose(mtype);
    H5Sclose(r.space);
    H5Tclose(ftype);
    H5Pclose(dcpl);
    H5Dclose(r.dset);
}

/* The file being visited: its path (for messages) and its handle. */
struct visit_ctx {
    const char *path;
    hid_t fid;
};

static herr_t
visit(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    const struct visit_ctx *ctx = data;

    (void)obj;
    if (info->type == H5O_TYPE_DATASET)
        check_dataset(ctx->path, ctx->fid, name);
    return 0;
}

static void
check_file(const char *path)
{
    struct visit_ctx ctx = {path, H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)};

    if (!CHECK(ctx.fid >= 0))
        return;
    H5Ovisit2(ctx.fid, H5_INDEX_NAME, H5_ITER_INC, visit, &ctx, H5O_INFO_BASIC);
    H5Fclose(ctx.fid);
}

static struct dirent *
next_entry(DIR *d)
{
    return readdir(d); // NOLINT(concurrency-mt-unsafe): one thread, own DIR
}

/* Every .rtdc file of the inputs folder; the number of files. */
static int
check_inputs(void)
{
    char dir[PATH_MAX];
    DIR *d;
    struct dirent *e;
    int nfiles = 0;

    td_path(dir, "inputs");
    d = opendir(dir);
    if (!CHECK(d != NULL))
        return 0;
    while ((e = next_entry(d)) != NULL) {
        char p[PATH_MAX * 2];
        size_t l = strlen(e->d_name);
        int n;

        if (l < 5 || strcmp(e->d_name + l - 5, ".rtdc") != 0)
            continue;
        n = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof p)
            CHECK(n >= 0 && (size_t)n < sizeof p);
        else
            check_file(p);
        nfiles++;
    }
    (void)closedir(d); /* a read-only stream */
    return nfiles;
}

static void
check_all_samples(void)
{
    const char *refs[] = {
            "reference/cytoshot-test-data/default/dcnum_output.rtdc",
            "reference/cytoshot-test-data-legacy_dce/default/dcnum_output.rtdc",
            "reference/dcnum_thresh_example/default/dcnum_output.rtdc",
            ("reference/file_with_variable_length_logs/default/"
             "dcnum_output.rtdc"),
    };
    int nfiles = check_inputs();

    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        char p[PATH_MAX];

        check_file(td_path(p, refs[i]));
        nfiles++;
    }
    CHECK(nfiles >= 12);
    (void)printf("samples: %d files, %ld datasets, %ld chunks, %ld "
                 "corruptions\n",
                 nfiles, datasets_checked, chunks_checked, corrupt_checked);
    CHECK(chunks_checked > 500);
    CHECK(corrupt_checked > 50);
}

/* dir/name.h5 into path (PATH_MAX bytes); 0, or -1 and a failed check if
 * it does not fit. */
static int
temp_path(char *path, const char *dir, const char *name)
{
    int n = snprintf(path, PATH_MAX, "%s/%s.h5", dir, name);

    if (n >= 0 && n < PATH_MAX)
        return 0;
    CHECK(n >= 0 && n < PATH_MAX);
    return -1;
}

/* The dataset creation properties of check_written: chunks of 5 x 20 x 7
 * and the filters ids[0..nf-1] (2: shuffle), in that order. */
static hid_t
written_dcpl(int nf, const int *ids)
{
    hsize_t cd[3] = {5, 20, 7};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    unsigned lvl = 3;

    H5Pset_chunk(dcpl, 3, cd);
    for (int i = 0; i < nf; i++) {
        if (ids[i] == DCN_FILTER_DEFLATE)
            H5Pset_deflate(dcpl, 4);
        else if (ids[i] == DCN_FILTER_FLETCHER32)
            H5Pset_fletcher32(dcpl);
        else if (ids[i] == 2)
            H5Pset_shuffle(dcpl);
        else if (ids[i] == DCN_FILTER_ZSTD)
            H5Pset_filter(dcpl, DCN_FILTER_ZSTD, H5Z_FLAG_OPTIONAL, 1, &lvl);
    }
    return dcpl;
}

/* Write data (n x 37 x 11 uint8) with the given filters at test time. */
static void
check_written(const char *tmpdir, const char *tag, int nf, const int *ids,
              bool expect_decodable)
{
    enum {
        NX = 23 * 37 * 11
    };
    char path[PATH_MAX];
    hid_t fid;
    hid_t space;
    hid_t dcpl;
    hid_t dset;
    hsize_t dims[3] = {23, 37, 11};
    unsigned char *data = malloc(NX);
    size_t before = (size_t)chunks_checked;

    if (temp_path(path, tmpdir, tag) != 0) {
        free(data);
        return;
    }
    for (size_t i = 0; i < NX; i++)
        data[i] = (unsigned char)((i * 7 + i / 50) % 251);
    fid = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    space = H5Screate_simple(3, dims, NULL);
    dcpl = written_dcpl(nf, ids);
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
    if (temp_path(path, tmpdir, "mask") != 0)
        return;
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

/* The buffers of the pure decoder cases, shared in sequence. */
struct pure_case {
    struct dcn_filter_pipeline p;
    unsigned char in[64];
    unsigned char out[256];
    unsigned char *scratch; /* for chunks of 60 bytes */
};

static int
pure_decode(struct pure_case *c, size_t in_len, size_t out_cap, unsigned mask,
            size_t *got, struct dcn_error *err)
{
    return dcn_chunk_decode(c->out, out_cap, got, c->in, in_len, &c->p, mask,
                            c->scratch, dcn_chunk_decode_scratch_size(60), err);
}

/* A legacy (byte-swapped) Fletcher32 checksum is accepted; a flipped
 * checksum byte, a short input are not; a masked checksum passes. */
static void
check_pure_fletcher(struct pure_case *c)
{
    size_t got = 0;
    uint32_t sum;
    uint32_t sw;
    struct dcn_error err = DCN_ERROR_INIT;

    c->p.nfilters = 1;
    c->p.filters[0].id = DCN_FILTER_FLETCHER32;
    for (int i = 0; i < 60; i++)
        c->in[i] = (unsigned char)(i * 11 + 1);
    sum = dcn__fletcher32(c->in, 60);
    sw = (sum & 0x00ff00ffu) << 8 | (sum >> 8 & 0x00ff00ffu);
    memcpy(c->in + 60,
           (unsigned char[4]){(unsigned char)sw, (unsigned char)(sw >> 8),
                              (unsigned char)(sw >> 16),
                              (unsigned char)(sw >> 24)},
           4);
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, &err), 0);
    CHECK_EQ(got, 60);
    CHECK(memcmp(c->out, c->in, 60) == 0);
    c->in[61] ^= 1;
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, &err), DCN_ECORRUPT);
    CHECK(strstr(err.msg, "fletcher32") != NULL);
    /* masked: the checksum is not verified, bytes pass through */
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 1, &got, NULL), 0);
    CHECK_EQ(got, 64);
    CHECK_EQ(pure_decode(c, 3, sizeof c->out, 0, &got, NULL), DCN_ECORRUPT);
}

/* Garbage under zstd and deflate is corrupt; an unknown filter is
 * refused unless masked. */
static void
check_pure_refusals(struct pure_case *c)
{
    size_t got = 0;
    struct dcn_error err = DCN_ERROR_INIT;

    c->p.filters[0].id = DCN_FILTER_ZSTD;
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, NULL), DCN_ECORRUPT);
    c->p.filters[0].id = DCN_FILTER_DEFLATE;
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, NULL), DCN_ECORRUPT);
    c->p.filters[0].id = 32000; /* lzf */
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, &err), DCN_EFILTER);
    CHECK(strstr(err.msg, "32000") != NULL);
    CHECK(!dcn_filter_pipeline_decodable(&c->p));
    /* ... unless the unknown filter is masked */
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 1, &got, NULL), 0);
}

/* An empty pipeline is a copy, into a buffer large enough. */
static void
check_pure_copy(struct pure_case *c)
{
    size_t got = 0;

    c->p.nfilters = 0;
    CHECK_EQ(pure_decode(c, 64, sizeof c->out, 0, &got, NULL), 0);
    CHECK_EQ(got, 64);
    CHECK_EQ(pure_decode(c, 64, 10, 0, &got, NULL), DCN_EINVAL);
}

static void
check_describe(void)
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

static void
check_exact_ok(void)
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

/* Pure decoder cases: legacy checksum, short input, small buffers. */
static void
check_pure(void)
{
    struct pure_case c = {.scratch = malloc(dcn_chunk_decode_scratch_size(60))};

    check_pure_fletcher(&c);
    check_pure_refusals(&c);
    check_pure_copy(&c);
    check_describe();
    check_exact_ok();
    free(c.scratch);
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
