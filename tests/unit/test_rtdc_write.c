/* SPDX-License-Identifier: MIT */
/*
 * test_rtdc_write.c - the writer and the chunk encoder against dcnum's
 * reference outputs: round trips of features, masks, images, logs,
 * basins, attributes and copies, compared with meta.json (dtype, chunks,
 * maxshape, filters, attrs, md5 of the decompressed data); encoder bytes
 * equal to what HDF5 stores through the filter; aborted writers leave no
 * file.  Leaves io_write_roundtrip.rtdc in the build folder for the
 * h5dump check (io_write_h5dump.sh).
 */
#include <hdf5.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "chunk_encode.h"
#include "io_write_minijson.h"
#include "md5.h"
#include "rtdc_write.h"
#include "testdata.h"
#include "zstd_filter.h"

#ifndef DCN_TEST_OUT_DIR
#error "DCN_TEST_OUT_DIR is set by CMake"
#endif

static char ref_meta[PATH_MAX];
static char ref_out[PATH_MAX];
static char in_cyto[PATH_MAX];
static struct mj *meta;
static struct td_csv csv;

/* DCN_TEST_OUT_DIR/name into buf (PATH_MAX bytes); a path that does not
 * fit fails a check and leaves buf empty. */
static void
out_path(char *buf, const char *name)
{
    int n = snprintf(buf, PATH_MAX, "%s/%s", DCN_TEST_OUT_DIR, name);

    if (n < 0 || n >= PATH_MAX) {
        CHECK(n >= 0 && n < PATH_MAX);
        buf[0] = '\0';
    }
}

/* True if p names an existing file; no path names none. */
static bool
file_exists(const char *p)
{
    return p != NULL && access(p, F_OK) == 0;
}

static const struct mj *
meta_dataset(const char *path)
{
    const struct mj *ds = mj_get(meta, "datasets");
    size_t k;

    for (k = 0; ds != NULL && k < ds->n; k++)
        if (strcmp(mj_get(ds->items[k], "path")->str, path) == 0)
            return ds->items[k];
    (void)fprintf(stderr, "meta.json has no dataset %s\n", path);
    return NULL;
}

/* numpy dtype string of an HDF5 type ("<f8", "|u1", "|S74") into buf (cap
 * bytes, at least 24: never cut). */
static void
dtype_str(char *buf, size_t cap, hid_t t)
{
    size_t size = H5Tget_size(t);

    switch (H5Tget_class(t)) {
    case H5T_FLOAT:
        (void)snprintf(buf, cap, "<f%zu", size);
        break;
    case H5T_INTEGER:
        (void)snprintf(buf, cap, "%c%c%zu", size == 1 ? '|' : '<',
                       H5Tget_sign(t) == H5T_SGN_NONE ? 'u' : 'i', size);
        break;
    case H5T_STRING:
        (void)snprintf(buf, cap, "|S%zu", size);
        break;
    case H5T_COMPOUND:
        (void)snprintf(buf, cap, "|V%zu", size);
        break;
    default:
        (void)snprintf(buf, cap, "?");
    }
}

static enum td_type
td_type_of(const char *dtype)
{
    if (strcmp(dtype, "<f8") == 0)
        return TD_F64;
    if (strcmp(dtype, "<i8") == 0)
        return TD_I64;
    if (strcmp(dtype, "<u8") == 0)
        return TD_U64;
    if (strcmp(dtype, "<u4") == 0)
        return TD_U32;
    if (strcmp(dtype, "<i4") == 0)
        return TD_I32;
    return TD_U8;
}

static size_t
td_size(enum td_type t)
{
    switch (t) {
    case TD_U8:
        return 1;
    case TD_U16:
    case TD_I16:
        return 2;
    case TD_I32:
    case TD_U32:
        return 4;
    default:
        return 8;
    }
}

/* Raw stored bytes of the whole dataset, md5 (compound/strings too). */
static void
raw_md5(char hex[33], hid_t dset)
{
    hid_t t = H5Dget_type(dset);
    hid_t sp = H5Dget_space(dset);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    size_t bytes = H5Tget_size(t) * (size_t)n;
    void *buf = calloc(1, bytes + 1);

    H5Dread(dset, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    dcn__md5_hex(hex, buf, bytes);
    free(buf);
    H5Sclose(sp);
    H5Tclose(t);
}

/* Shape and maxshape of the dataspace sp against the meta entry want. */
static void
check_meta_shape(const struct mj *want, hid_t sp)
{
    hsize_t dims[8];
    hsize_t maxdims[8];
    int rank = H5Sget_simple_extent_dims(sp, dims, maxdims);
    const struct mj *m = mj_get(want, "shape");

    CHECK_EQ(rank, m->n);
    for (int k = 0; k < rank && (size_t)k < m->n; k++)
        CHECK_EQ(dims[k], m->items[k]->num);
    m = mj_get(want, "maxshape");
    for (int k = 0; k < rank && (size_t)k < m->n; k++)
        CHECK_EQ(maxdims[k] == H5S_UNLIMITED ? -1 : (long long)maxdims[k],
                 m->items[k]->num);
}

/* Chunk shape and filters, {"32015": [5], "fletcher32": null} in pipeline
 * order, of the creation properties dcpl against want. */
static void
check_meta_chunks_and_filters(const struct mj *want, hid_t dcpl)
{
    hsize_t chunks[8];
    int crank = H5Pget_chunk(dcpl, 8, chunks);
    const struct mj *m = mj_get(want, "chunks");
    int nf;

    CHECK_EQ(crank, m->n);
    for (int k = 0; k < crank && (size_t)k < m->n; k++)
        CHECK_EQ(chunks[k], m->items[k]->num);
    m = mj_get(want, "filters");
    nf = H5Pget_nfilters(dcpl);
    CHECK_EQ(nf, m->n);
    for (int k = 0; k < nf && (size_t)k < m->n; k++) {
        unsigned flags;
        unsigned cd[4];
        size_t ncd = 4;
        char name[128];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)k, &flags, &ncd, cd,
                                         sizeof(name), name, NULL);

        if (strcmp(m->keys[k], "fletcher32") == 0) {
            CHECK_EQ(id, H5Z_FILTER_FLETCHER32);
            CHECK_EQ(flags & H5Z_FLAG_OPTIONAL, 0);
            continue;
        }
        CHECK_EQ(id, strtol(m->keys[k], NULL, 10));
        CHECK_EQ(flags & H5Z_FLAG_OPTIONAL, H5Z_FLAG_OPTIONAL);
        CHECK_EQ(ncd, m->items[k]->n);
        if (ncd == 1 && m->items[k]->n == 1)
            CHECK_EQ(cd[0], m->items[k]->items[0]->num);
        CHECK_STR_EQ(name, "Zstandard compression: http://www.zstd.net");
    }
}

/* One string attribute a of a dataset against its meta value want. */
static void
check_meta_attr(hid_t a, const char *want)
{
    hid_t at = H5Aget_type(a);
    char val[256] = {0};

    if (H5Tis_variable_str(at) > 0) {
        char *s = NULL;

        H5Aread(a, at, &s);
        /* a value cut short fails the comparison below */
        (void)snprintf(val, sizeof(val), "%s", s != NULL ? s : "");
        H5free_memory(s);
    } else {
        CHECK_EQ(H5Tget_strpad(at), H5T_STR_NULLPAD);
        CHECK_EQ(H5Tget_size(at), strlen(want));
        H5Aread(a, at, val);
    }
    if (strncmp(want, "dcnum ", 6) == 0)
        CHECK(strncmp(val, "dcnumc", 6) == 0); /* Names and versions */
    else
        CHECK_STR_EQ(val, want);
    H5Tclose(at);
}

/* The string attributes of dataset d against want. */
static void
check_meta_attrs(const struct mj *want, hid_t d)
{
    const struct mj *m = mj_get(want, "attrs");

    CHECK_EQ(H5Aget_num_attrs(d), m->n);
    for (size_t k = 0; k < m->n; k++) {
        hid_t a = H5Aopen(d, m->keys[k], H5P_DEFAULT);

        CHECK(a >= 0);
        if (a < 0)
            continue;
        check_meta_attr(a, m->items[k]->str);
        H5Aclose(a);
    }
}

/* md5 of the decompressed data of file:path (raw bytes for compounds and
 * strings, open as *d) against want's, if it has one; *d may be closed. */
static void
check_meta_md5(const struct mj *want, const char *file, const char *path,
               const char *dtype, hid_t *d)
{
    const struct mj *m = mj_get(want, "md5");
    char hex[33];
    struct td_array arr;

    if (m == NULL)
        return;
    if (strcmp(dtype, "|V136") == 0 || dtype[1] == 'S') {
        raw_md5(hex, *d);
    } else {
        H5Dclose(*d);
        *d = -1;
        CHECK_EQ(td_read(&arr, file, path, td_type_of(dtype)), 0);
        dcn__md5_hex(hex, arr.data, arr.count * td_size(td_type_of(dtype)));
        td_array_release(&arr);
    }
    CHECK_STR_EQ(hex, m->str);
}

/*
 * Compare file:path with the meta.json entry ref_path (default reference
 * unless m is given): dtype, shape, chunks, maxshape, filters, string
 * attrs and md5 of the decompressed data (if meta has one).
 */
static void
check_vs_meta(const char *file, const char *path, const char *ref_path)
{
    const struct mj *want = meta_dataset(ref_path);
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, path, H5P_DEFAULT) : -1;
    hid_t t = -1, sp = -1, dcpl = -1;
    char dtype[32];

    CHECK(want != NULL);
    CHECK(d >= 0);
    if (want == NULL || d < 0)
        goto out;
    t = H5Dget_type(d);
    sp = H5Dget_space(d);
    dcpl = H5Dget_create_plist(d);
    dtype_str(dtype, sizeof dtype, t);
    CHECK_STR_EQ(dtype, mj_get(want, "dtype")->str);
    check_meta_shape(want, sp);
    check_meta_chunks_and_filters(want, dcpl);
    check_meta_attrs(want, d);
    check_meta_md5(want, file, path, dtype, &d);
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
}

static double *
csv_column(const char *name, size_t *n)
{
    int col = td_csv_col(&csv, name);
    double *v = calloc(csv.nrows, sizeof(*v));
    size_t r;

    CHECK(col >= 0);
    for (r = 0; r < csv.nrows; r++)
        v[r] = col >= 0 ? td_csv_get(&csv, r, col) : 0;
    *n = csv.nrows;
    return v;
}

/* One dataset whose stored chunks are compared with our encoding. */
struct chunk_cmp {
    hid_t d;
    hid_t od; /* the same dataset in another file, or -1 */
    hid_t t;
    int rank;
    hsize_t dims[3];
    hsize_t chunks[3];
    int level;
    size_t raw_bytes; /* one decompressed, zero-padded chunk */
    size_t cap;
    struct dcn_chunk_encoder *enc;
    uint8_t *raw;
    uint8_t *stored;
    uint8_t *mine;
    uint8_t *theirs;
};

/* The decompressed chunk at off into c->raw, zero-padded. */
static void
read_chunk_data(struct chunk_cmp *c, const hsize_t off[3])
{
    hid_t fs = H5Dget_space(c->d);
    hsize_t left = c->dims[0] - off[0];
    hsize_t cnt[3] = {left < c->chunks[0] ? left : c->chunks[0],
                      c->rank > 1 ? c->dims[1] : 1,
                      c->rank > 2 ? c->dims[2] : 1};
    hid_t ms = H5Screate_simple(c->rank, cnt, NULL);

    memset(c->raw, 0, c->raw_bytes);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL);
    CHECK(H5Dread(c->d, c->t, ms, fs, H5P_DEFAULT, c->raw) >= 0);
    H5Sclose(ms);
    H5Sclose(fs);
}

/* True if the other file stores the same nbytes at off as c->stored. */
static bool
other_stores_the_same(struct chunk_cmp *c, const hsize_t off[3], hsize_t nbytes)
{
    hsize_t onb = 0;
    uint32_t omask = 1;

    return H5Dget_chunk_storage_size(c->od, off, &onb) >= 0 && onb <= c->cap &&
           H5Dread_chunk(c->od, H5P_DEFAULT, off, &omask, c->theirs) >= 0 &&
           onb == nbytes && memcmp(c->theirs, c->stored, onb) == 0;
}

/* Chunk ci: stored bytes == our encoding; 0 if the other file's differ. */
static int
check_one_chunk(struct chunk_cmp *c, hsize_t ci)
{
    hsize_t off[3] = {ci * c->chunks[0], 0, 0};
    hsize_t nbytes = 0;
    uint32_t mask = 1;
    size_t mylen = 0;

    read_chunk_data(c, off);
    CHECK(H5Dget_chunk_storage_size(c->d, off, &nbytes) >= 0);
    CHECK(nbytes <= c->cap);
    CHECK(H5Dread_chunk(c->d, H5P_DEFAULT, off, &mask, c->stored) >= 0);
    CHECK_EQ(mask, 0);
    CHECK_EQ(dcn__chunk_encode(c->enc, c->mine, c->cap, &mylen, c->raw,
                               c->raw_bytes, c->level, NULL),
             0);
    CHECK_EQ(mylen, nbytes);
    CHECK(mylen == nbytes && memcmp(c->mine, c->stored, mylen) == 0);
    return c->od < 0 || other_stores_the_same(c, off, nbytes);
}

/* Every stored chunk of file:path, compared with out own encoding of the
 * decompressed chunk (zero-padded), and optionally with another file's
 * stored chunks. */
static void
check_stored_chunks(const char *file, const char *path, int level,
                    const char *other_file, int *same_as_other)
{
    struct chunk_cmp c = {.level = level};
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t of =
            other_file ? H5Fopen(other_file, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    hid_t sp;
    hid_t dcpl;
    size_t item;

    c.d = H5Dopen2(f, path, H5P_DEFAULT);
    c.od = of >= 0 ? H5Dopen2(of, path, H5P_DEFAULT) : -1;
    sp = H5Dget_space(c.d);
    c.t = H5Dget_type(c.d);
    dcpl = H5Dget_create_plist(c.d);
    c.rank = H5Sget_simple_extent_dims(sp, c.dims, NULL);
    item = H5Tget_size(c.t);
    H5Pget_chunk(dcpl, 3, c.chunks);
    for (int k = 1; k < c.rank; k++)
        item *= c.dims[k];
    c.raw_bytes = item * c.chunks[0];
    c.cap = dcn__chunk_encode_bound(c.raw_bytes, level) + 64;
    c.raw = calloc(1, c.raw_bytes);
    c.stored = malloc(c.cap);
    c.mine = malloc(c.cap);
    c.theirs = malloc(c.cap);
    CHECK_EQ(dcn__chunk_encoder_new(&c.enc), 0);
    *same_as_other = 1;
    for (hsize_t ci = 0; ci * c.chunks[0] < c.dims[0]; ci++)
        if (!check_one_chunk(&c, ci))
            *same_as_other = 0;
    dcn__chunk_encoder_free(c.enc);
    free(c.raw);
    free(c.stored);
    free(c.mine);
    free(c.theirs);
    H5Pclose(dcpl);
    H5Tclose(c.t);
    H5Sclose(sp);
    H5Dclose(c.d);
    H5Fclose(f);
    if (c.od >= 0)
        H5Dclose(c.od);
    if (of >= 0)
        H5Fclose(of);
}

static struct dcn_writer *
new_writer(const char *name, int level, unsigned flags)
{
    struct dcn_writer_opts o;
    struct dcn_writer *w = NULL;
    struct dcn_error err = DCN_ERROR_INIT;
    char path[PATH_MAX];

    out_path(path, name);
    unlink(path);
    dcn__writer_opts_init(&o);
    o.level = level;
    o.flags = flags;
    o.suffix = "test";
    o.software = "dcnumc 0.1.0";
    CHECK_EQ(dcn__writer_new(&w, path, &o, &err), 0);
    if (err.code != 0)
        (void)fprintf(stderr, "%s\n", err.msg);
    return w;
}

/* The features.csv columns the round trip writes, in the writer's types. */
struct roundtrip_cols {
    size_t n;
    double *area;
    double *nev;
    double *bm0;
    double *bm1;
    int64_t *nev64;
    int64_t *bm1_64;
    uint32_t *bm0_32;
};

static void
roundtrip_cols_load(struct roundtrip_cols *c)
{
    c->area = csv_column("area_um", &c->n);
    c->nev = csv_column("nevents", &c->n);
    c->bm0 = csv_column("basinmap0", &c->n);
    c->bm1 = csv_column("basinmap1", &c->n);
    c->nev64 = calloc(c->n, sizeof(int64_t));
    c->bm1_64 = calloc(c->n, sizeof(int64_t));
    c->bm0_32 = calloc(c->n, sizeof(uint32_t));
    for (size_t k = 0; k < c->n; k++) {
        c->nev64[k] = (int64_t)c->nev[k];
        c->bm0_32[k] = (uint32_t)c->bm0[k];
        c->bm1_64[k] = (int64_t)c->bm1[k];
    }
}

static void
roundtrip_cols_release(struct roundtrip_cols *c)
{
    free(c->area);
    free(c->nev);
    free(c->bm0);
    free(c->bm1);
    free(c->nev64);
    free(c->bm1_64);
    free(c->bm0_32);
}

/* area_um via H5Dwrite in uneven blocks and again via the encoded chunk
 * path (area_enc); nevents in one write. */
static void
roundtrip_scalars(struct dcn_writer *w, const struct roundtrip_cols *c,
                  struct dcn_error *err)
{
    struct dcn_wdset *ds = NULL;
    size_t n = c->n;

    CHECK_EQ(dcn__writer_feature_new(
                     w, &ds,
                     &(struct dcn_feature_spec){"events", "area_um", DCN_WT_F64,
                                                0, 0},
                     err),
             0);
    CHECK_EQ(dcn__wdset_chunk_len(ds), 1000);
    CHECK_EQ(dcn__wdset_append(ds, c->area, 7, err), 0);
    CHECK_EQ(dcn__wdset_append(ds, c->area + 7, 0, err), 0);
    CHECK_EQ(dcn__wdset_append(ds, c->area + 7, n - 7, err), 0);
    CHECK_EQ(dcn__wdset_length(ds), 55);
    /* area_msd slot: area_um again via the encoded chunk path */
    CHECK_EQ(dcn__writer_feature_new(
                     w, &ds,
                     &(struct dcn_feature_spec){"events", "area_enc",
                                                DCN_WT_F64, 0, 0},
                     err),
             0);
    CHECK_EQ(dcn__wdset_append_encoded(ds, c->area, 20, err), 0);
    CHECK_EQ(dcn__wdset_append(ds, c->area, 1, err), DCN_EINVAL); /* mixed */
    dcn_error_clear(err);
    CHECK_EQ(dcn__wdset_append_encoded(ds, c->area + 20, n - 20, err), 0);
    CHECK_EQ(dcn__writer_feature_write(
                     w,
                     &(struct dcn_feature_spec){"events", "nevents", DCN_WT_I64,
                                                0, 0},
                     c->nev64, n, err),
             0);
}

/* Basin maps: same values of another type are reused, other values take
 * the next slot. */
static void
roundtrip_basinmaps(struct dcn_writer *w, const struct roundtrip_cols *c,
                    struct dcn_error *err)
{
    size_t n = c->n;
    int64_t *b0 = calloc(n, sizeof(int64_t));
    char name[16];

    CHECK_EQ(dcn__writer_basinmap(w, c->bm0_32, DCN_WT_U32, n, name, err), 0);
    CHECK_STR_EQ(name, "basinmap0");
    for (size_t k = 0; k < n; k++)
        b0[k] = c->bm0_32[k];
    CHECK_EQ(dcn__writer_basinmap(w, b0, DCN_WT_I64, n, name, err), 0);
    CHECK_STR_EQ(name, "basinmap0");
    free(b0);
    CHECK_EQ(dcn__writer_basinmap(w, c->bm1_64, DCN_WT_I64, n, name, err), 0);
    CHECK_STR_EQ(name, "basinmap1");
    CHECK_EQ(dcn__writer_basinmap(w, c->bm1_64, DCN_WT_I64, n, name, err), 0);
    CHECK_STR_EQ(name, "basinmap1");
    CHECK_EQ(dcn__writer_basinmap(w, c->bm1_64, DCN_WT_I64, n - 1, name, err),
             0);
    CHECK_STR_EQ(name, "basinmap2");
}

/* The chunk pipeline of the mask: accumulator buffers, encoder and the
 * last encoded chunk. */
struct mask_chunks {
    struct dcn_wdset *ds;
    struct dcn_chunk_encoder *enc;
    struct dcn_chunk_acc acc;
    uint8_t *bufs[2];
    int which;
    size_t cap;
    uint8_t *encbuf;
    size_t len; /* bytes in encbuf */
    struct dcn_error *err;
};

/* Pad, encode and store the accumulated chunk; continue in the other
 * buffer. */
static void
mask_store_chunk(struct mask_chunks *m)
{
    dcn__chunk_acc_pad(&m->acc);
    CHECK_EQ(dcn__chunk_encode(m->enc, m->encbuf, m->cap, &m->len, m->acc.raw,
                               dcn__chunk_acc_bytes(&m->acc),
                               dcn__wdset_level(m->ds), m->err),
             0);
    CHECK_EQ(dcn__wdset_write_chunk(m->ds, m->acc.index, m->acc.nevents,
                                    m->encbuf, m->len, m->err),
             0);
    m->which ^= 1;
    dcn__chunk_acc_next(&m->acc, m->bufs[m->which]);
}

/* mask: built row by row from a boolean source into accumulator
 * buffers, encoded, stored with H5Dwrite_chunk (the pipeline path) */
static void
roundtrip_mask(struct dcn_writer *w, const struct td_array *mask, size_t n,
               struct dcn_error *err)
{
    struct mask_chunks m = {.err = err};
    size_t ev;
    size_t clen;
    uint8_t *b01;

    CHECK_EQ(dcn__writer_feature_new(
                     w, &m.ds,
                     &(struct dcn_feature_spec){"events", "mask", DCN_WT_U8, 80,
                                                400},
                     err),
             0);
    CHECK_EQ(dcn__wdset_chunk_len(m.ds), 32);
    ev = dcn__wdset_event_bytes(m.ds);
    clen = dcn__wdset_chunk_len(m.ds);
    m.bufs[0] = malloc(ev * clen);
    m.bufs[1] = malloc(ev * clen);
    m.cap = dcn__chunk_encode_bound(ev * clen, dcn__wdset_level(m.ds));
    m.encbuf = malloc(m.cap);
    b01 = malloc(ev);
    CHECK_EQ(ev, 32000);
    CHECK_EQ(dcn__chunk_encoder_new(&m.enc), 0);
    dcn__chunk_acc_init(&m.acc, m.bufs[0], ev, clen, 0);
    for (size_t k = 0; k < n; k++) {
        uint8_t *row = dcn__chunk_acc_next_row(&m.acc);

        for (size_t p = 0; p < ev; p++) /* 0/1 source */
            b01[p] = mask->data != NULL &&
                     ((uint8_t *)mask->data)[k * ev + p] != 0;
        dcn__mask_from_bool(row, b01, ev);
        dcn__chunk_acc_commit(&m.acc, 1);
        if (dcn__chunk_acc_full(&m.acc) || k == n - 1)
            mask_store_chunk(&m);
    }
    /* out of order / after the last chunk: refused */
    CHECK_EQ(dcn__wdset_write_chunk(m.ds, 2, 1, m.encbuf, m.len, err),
             DCN_EINVAL);
    dcn_error_clear(err);
    dcn__chunk_encoder_free(m.enc);
    free(m.bufs[0]);
    free(m.bufs[1]);
    free(m.encbuf);
    free(b01);
}

/* image through the calling-thread chunk path, in odd blocks; a second
 * image is refused. */
static void
roundtrip_image(struct dcn_writer *w, const struct td_array *image, size_t n,
                struct dcn_error *err)
{
    struct dcn_wdset *ds = NULL;

    CHECK_EQ(dcn__writer_feature_new(
                     w, &ds,
                     &(struct dcn_feature_spec){"events", "image", DCN_WT_U8,
                                                80, 400},
                     err),
             0);
    for (size_t k = 0; k < n; k += 13)
        CHECK_EQ(dcn__wdset_append_encoded(ds,
                                           (uint8_t *)image->data + k * 32000,
                                           n - k < 13 ? n - k : 13, err),
                 0);
    CHECK_EQ(dcn__wdset_finish(ds, err), 0);
    CHECK_EQ(dcn__writer_feature_new(
                     w, &ds,
                     &(struct dcn_feature_spec){"events", "image", DCN_WT_U8,
                                                80, 400},
                     err),
             DCN_EEXIST);
    dcn_error_clear(err);
}

/* The round-trip file against the reference's meta.json and, chunk by
 * chunk, against our encoder and dcnum's own stored chunks. */
static void
roundtrip_check_file(void)
{
    char path[PATH_MAX];
    int same = 0;

    out_path(path, "io_write_roundtrip.rtdc");
    check_vs_meta(path, "/events/area_um", "/events/area_um");
    check_vs_meta(path, "/events/area_enc", "/events/area_um");
    check_vs_meta(path, "/events/nevents", "/events/nevents");
    check_vs_meta(path, "/events/basinmap0", "/events/basinmap0");
    check_vs_meta(path, "/events/basinmap1", "/events/basinmap1");
    check_vs_meta(path, "/events/mask", "/events/mask");
    check_vs_meta(path, "/events/image", "/events/image");
    check_stored_chunks(path, "/events/area_um", 5, ref_out, &same);
    CHECK(same);
    check_stored_chunks(path, "/events/nevents", 5, ref_out, &same);
    CHECK(same);
    check_stored_chunks(path, "/events/mask", 5, ref_out, &same);
    CHECK(same);
    check_stored_chunks(path, "/events/image", 5, ref_out, &same);
    CHECK(same);
    (void)printf("stored chunks of area_um, nevents, mask, image "
                 "byte-identical with dcnum's output\n");
}

/* Features, masks and images through both paths, against the default
 * reference of cytoshot-test-data; the file is kept for h5dump. */
static void
test_roundtrip(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = new_writer("io_write_roundtrip.rtdc", 5, 0);
    struct td_array mask;
    struct td_array image;
    struct roundtrip_cols c;

    roundtrip_cols_load(&c);
    CHECK_EQ(c.n, 55);
    CHECK_EQ(td_read(&mask, ref_out, "/events/mask", TD_U8), 0);
    CHECK_EQ(td_read(&image, ref_out, "/events/image", TD_U8), 0);
    if (w == NULL || mask.data == NULL || image.data == NULL)
        goto out;
    roundtrip_scalars(w, &c, &err);
    roundtrip_basinmaps(w, &c, &err);
    roundtrip_mask(w, &mask, c.n, &err);
    roundtrip_image(w, &image, c.n, &err);
    /* mask from labels */
    {
        uint16_t labels[6] = {0, 1, 2, 1, 0, 2};
        uint8_t row[6];

        dcn__mask_from_labels(row, labels, 6, 2);
        CHECK(memcmp(row, "\0\0\xff\0\0\xff", 6) == 0);
    }
    CHECK_EQ(err.code, 0);
    if (err.code != 0)
        (void)fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
    /* stored chunks: our encoder == HDF5 through the filter, and equal to
     * dcnum's own stored chunks */
    roundtrip_check_file();
out:
    roundtrip_cols_release(&c);
    td_array_release(&mask);
    td_array_release(&image);
}

/* One file per level with doubles, uint32 and images; every stored chunk
 * equals our encoding. */
static void
parity_at_level(int level)
{
    enum {
        ND = 2500,
        NU = 1234,
        NI = 45 * 20 * 30
    };
    struct dcn_error err = DCN_ERROR_INIT;
    char path[PATH_MAX];
    char name[64];
    struct dcn_writer *w;
    int same;
    double *d = malloc(ND * sizeof(double));
    uint32_t *u = malloc(NU * sizeof(uint32_t));
    uint8_t *img = malloc(NI);

    for (size_t k = 0; k < ND; k++)
        d[k] = (double)k * 0.37 - 100.0 / (double)(k + 1);
    for (size_t k = 0; k < NU; k++)
        u[k] = (uint32_t)(k * 2654435761u);
    for (size_t k = 0; k < NI; k++)
        img[k] = (uint8_t)((k * 7) ^ (k >> 5));
    /* a level has at most two digits: the name always fits */
    (void)snprintf(name, sizeof(name), "io_write_parity_%d.rtdc", level);
    w = new_writer(name, level, DCN_WRITER_OVERWRITE);
    if (w != NULL) {
        CHECK_EQ(dcn__writer_feature_write(
                         w,
                         &(struct dcn_feature_spec){"events", "d", DCN_WT_F64,
                                                    0, 0},
                         d, ND, &err),
                 0);
        CHECK_EQ(dcn__writer_feature_write(
                         w,
                         &(struct dcn_feature_spec){"events", "u", DCN_WT_U32,
                                                    0, 0},
                         u, NU, &err),
                 0);
        CHECK_EQ(dcn__writer_feature_write(
                         w,
                         &(struct dcn_feature_spec){"basin_events", "img",
                                                    DCN_WT_U8, 20, 30},
                         img, 45, &err),
                 0);
        CHECK_EQ(dcn__writer_commit(w, &err), 0);
        out_path(path, name);
        check_stored_chunks(path, "/events/d", level, NULL, &same);
        check_stored_chunks(path, "/events/u", level, NULL, &same);
        check_stored_chunks(path, "/basin_events/img", level, NULL, &same);
        unlink(path);
    }
    free(d);
    free(u);
    free(img);
}

/* Encoder == HDF5 + filter, for levels none/1/5/9, partial chunks,
 * several dtypes. */
static void
test_encoder_parity(void)
{
    static const int levels[4] = {0, 1, 5, 9};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_chunk_encoder *enc = NULL;
    uint8_t src[8] = {0}, dst[8];
    size_t len;

    for (int li = 0; li < 4; li++)
        parity_at_level(levels[li]);
    /* bad arguments */
    dcn__chunk_encoder_new(&enc);
    CHECK_EQ(dcn__chunk_encode(enc, dst, sizeof(dst), &len, src, 8, 0, &err),
             DCN_EINVAL); /* needs 12 bytes */
    dcn_error_clear(&err);
    CHECK_EQ(dcn__chunk_encode(enc, dst, sizeof(dst), &len, src, 4, 10, &err),
             DCN_EINVAL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn__chunk_encode(enc, dst, sizeof(dst), &len, src, 4, 0, &err),
             0);
    CHECK_EQ(len, 8);
    dcn__chunk_encoder_free(enc);
}

/* Read a vlen/fixed string attr of obj (root if obj_path "/"); a value
 * cut short at cap bytes fails the caller's comparison. */
static void
read_str_attr(char *val, size_t cap, const char *file, const char *obj_path,
              const char *name)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t o = H5Oopen(f, obj_path, H5P_DEFAULT);
    hid_t a = H5Aopen(o, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;

    val[0] = '\0';
    if (t >= 0 && H5Tis_variable_str(t) > 0) {
        char *s = NULL;

        H5Aread(a, t, &s);
        (void)snprintf(val, cap, "%s", s != NULL ? s : "");
        H5free_memory(s);
    } else if (t >= 0) {
        char buf[512] = {0};

        H5Aread(a, t, buf);
        (void)snprintf(val, cap, "%s", buf);
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    H5Oclose(o);
    H5Fclose(f);
}

/* index_unmapped -> basinmap0 as a hard link (format.md §3.6); deleting
 * what does not exist is DCN_ENOTFOUND. */
static void
metadata_link(struct dcn_writer *w, const uint32_t idx[5],
              struct dcn_error *err)
{
    bool ex;

    CHECK_EQ(dcn__writer_feature_write(
                     w,
                     &(struct dcn_feature_spec){"events", "index_unmapped",
                                                DCN_WT_U32, 0, 0},
                     idx, 5, err),
             0);
    CHECK_EQ(dcn__writer_link(w, "events/index_unmapped", "events/basinmap0",
                              err),
             0);
    CHECK_EQ(dcn__writer_delete(w, "events/index_unmapped", err), 0);
    CHECK_EQ(dcn__writer_exists(w, "events/index_unmapped", &ex, err), 0);
    CHECK(!ex);
    CHECK_EQ(dcn__writer_exists(w, "events/basinmap0", &ex, err), 0);
    CHECK(ex);
    CHECK_EQ(dcn__writer_delete(w, "events/nothing", err), DCN_ENOTFOUND);
    CHECK(strstr(err->msg, "events/nothing") != NULL);
    dcn_error_clear(err);
}

/* Root attrs, metadata copies, logs, a basin and a hard link into the
 * writer w of io_write_meta.rtdc; idx becomes basinmap0. */
static void
metadata_write(struct dcn_writer *w, const uint32_t idx[5])
{
    static const char *const lines[3] = {"first line", "",
                                         "caf\xc3\xa9 \xe2\x80\x94 utf-8"};
    static const char *const bgfeat[1] = {"image_bg"};
    struct dcn_basin bg = {DCN_WBASIN_INTERNAL,
                           "background images",
                           "Pipeline identifier: "
                           "sparsemed:k=200^s=1^t=0^f=0.8^o=1",
                           NULL,
                           0,
                           NULL,
                           bgfeat,
                           1,
                           "basinmap1"};
    struct dcn_error err = DCN_ERROR_INIT;
    char thresh[PATH_MAX];
    char vlen[PATH_MAX];
    char key[33];

    td_path(thresh, "inputs/dcnum_thresh_example.rtdc");
    td_path(vlen, "inputs/file_with_variable_length_logs.rtdc");
    /* dcnum's own attrs first, then the input's where absent */
    CHECK_EQ(dcn__writer_attr_str(w, "pipeline:dcnum generation", "13", &err),
             0);
    CHECK_EQ(dcn__writer_attr_i64(w, "experiment:event count", 12, &err), 0);
    CHECK_EQ(dcn__writer_attr_f64(w, "imaging:pixel size", 0.2645, &err), 0);
    CHECK_EQ(dcn__writer_attr_str(w, "experiment:sample", "old", &err), 0);
    CHECK_EQ(dcn__writer_attr_str(w, "experiment:sample", "mine", &err), 0);
    CHECK_EQ(dcn__writer_copy_metadata(w, thresh, &err), 0);
    CHECK_EQ(dcn__writer_copy_metadata(w, vlen, &err), 0);
    /* logs */
    CHECK_EQ(dcn__writer_log(w, "dcnum-log-x", lines, 3, false, &err), 0);
    CHECK_EQ(dcn__writer_log(w, "dcnum-log-x", lines, 3, false, &err),
             DCN_EEXIST);
    dcn_error_clear(&err);
    CHECK_EQ(dcn__writer_log(w, "dcnum-log-x", lines, 2, true, &err), 0);
    CHECK_EQ(dcn__writer_log(w, "empty", lines, 0, false, &err), 0);
    CHECK_EQ(dcn__writer_log(w, "blank", lines + 1, 1, false, &err), 0);
    /* basins: stored once under the md5 of the text */
    CHECK_EQ(dcn__writer_basin(w, &bg, key, &err), 0);
    CHECK_STR_EQ(key, "fc2d47a17edd222fbcf2fa0d156b02cc");
    CHECK_EQ(dcn__writer_basin(w, &bg, key, &err), 0);
    metadata_link(w, idx, &err);
    CHECK_EQ(err.code, 0);
    if (err.code != 0)
        (void)fprintf(stderr, "%s\n", err.msg);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
}

/* Root attrs: ours kept, the copies' added, numbers as numbers. */
static void
metadata_check_root_attrs(const char *path)
{
    char val[512];
    double d = 0;

    read_str_attr(val, sizeof(val), path, "/", "experiment:sample");
    CHECK_STR_EQ(val, "mine"); /* never overwritten by the copy */
    read_str_attr(val, sizeof(val), path, "/", "pipeline:dcnum generation");
    CHECK_STR_EQ(val, "13");
    read_str_attr(val, sizeof(val), path, "/", "experiment:run identifier");
    CHECK_STR_EQ(val, "2024-rcs-example-data-ndio1287");
    read_str_attr(val, sizeof(val), path, "/", "setup:identifier");
    CHECK_STR_EQ(val, "RC-eaaf-58cc-c7f4-fe07-win-1bbb");
    CHECK_EQ(td_attr_double(&d, path, "experiment:event count"), 0);
    CHECK_EQ(d, 12);
    CHECK_EQ(td_attr_double(&d, path, "imaging:pixel size"), 0);
    CHECK_DBL_IDENT(d, 0.2645);
    CHECK_EQ(td_attr_double(&d, path, "imaging:frame rate"), 0);
    CHECK_DBL_IDENT(d, 3447.5290733962725);
}

/* Types preserved: int64, int32, enum bool (int8), vlen utf-8. */
static void
metadata_check_attr_types(hid_t f)
{
    hid_t a, t;
    int8_t b = 0;
    char *s = NULL;

    a = H5Aopen(f, "experiment:event count", H5P_DEFAULT);
    t = H5Aget_type(a);
    CHECK(H5Tequal(t, H5T_STD_I64LE) > 0);
    H5Tclose(t);
    H5Aclose(a);
    a = H5Aopen(f, "online_contour:bin kernel", H5P_DEFAULT);
    t = H5Aget_type(a);
    CHECK(H5Tequal(t, H5T_STD_I32LE) > 0);
    H5Tclose(t);
    H5Aclose(a);
    a = H5Aopen(f, "online_contour:no absdiff", H5P_DEFAULT);
    t = H5Aget_type(a);
    CHECK_EQ(H5Tget_class(t), H5T_ENUM);
    CHECK_EQ(H5Tget_size(t), 1);
    H5Aread(a, t, &b);
    CHECK_EQ(b, 1);
    H5Tclose(t);
    H5Aclose(a);
    a = H5Aopen(f, "pipeline:dcnum generation", H5P_DEFAULT);
    t = H5Aget_type(a);
    CHECK(H5Tis_variable_str(t) > 0);
    CHECK_EQ(H5Tget_cset(t), H5T_CSET_UTF8);
    CHECK(H5Aread(a, t, &s) >= 0);
    H5free_memory(s);
    H5Tclose(t);
    H5Aclose(a);
}

/* The log: S<max bytes>, UTF-8 bytes kept, replaced once; an empty log is
 * not written, a blank one is at least S1 (D3). */
static void
metadata_check_logs(hid_t f)
{
    hid_t d = H5Dopen2(f, "/logs/dcnum-log-x", H5P_DEFAULT);
    hid_t dt = H5Dget_type(d);
    char buf[2 * 10 + 1] = {0};

    CHECK_EQ(H5Tget_size(dt), 10);
    CHECK_EQ(H5Tget_strpad(dt), H5T_STR_NULLPAD);
    H5Dread(d, dt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    CHECK(memcmp(buf, "first line\0\0\0\0\0\0\0\0\0\0", 20) == 0);
    H5Tclose(dt);
    H5Dclose(d);
    CHECK(H5Lexists(f, "/logs/empty", H5P_DEFAULT) == 0);
    d = H5Dopen2(f, "/logs/blank", H5P_DEFAULT);
    dt = H5Dget_type(d);
    CHECK_EQ(H5Tget_size(dt), 1); /* at least S1 (D3) */
    H5Tclose(dt);
    H5Dclose(d);
}

/* Copied logs and tables vs the references (types, chunks, filters,
 * software attr, md5 of the table data). */
static void
metadata_check_copies(const char *path)
{
    struct mj *saved = meta;
    char m2[PATH_MAX];

    td_path(m2, "reference/dcnum_thresh_example/default/meta.json");
    meta = mj_load(m2);
    check_vs_meta(path, "/tables/cytoshot_monitor", "/tables/cytoshot_monitor");
    check_vs_meta(path, "/tables/cytoshot_monitor_normalized",
                  "/tables/cytoshot_monitor_normalized");
    check_vs_meta(path, "/logs/cytoshot-acquisition",
                  "/logs/cytoshot-acquisition");
    check_vs_meta(path, "/logs/cytoshot-postprocessing",
                  "/logs/cytoshot-postprocessing");
    check_vs_meta(path, "/logs/cytoshot-warning", "/logs/cytoshot-warning");
    check_vs_meta(path, "/logs/dclab-compress", "/logs/dclab-compress");
    mj_free(meta);
    td_path(m2, "reference/file_with_variable_length_logs/default/"
                "meta.json");
    meta = mj_load(m2);
    check_vs_meta(path, "/logs/M1_camera.ini", "/logs/M1_camera.ini");
    check_vs_meta(path, "/logs/M1_para.ini", "/logs/M1_para.ini");
    mj_free(meta);
    meta = saved;
}

/* Logs, root attrs, metadata copies, basins, links (the plumbing). */
static void
test_metadata(void)
{
    struct dcn_writer *w = new_writer("io_write_meta.rtdc", 5, 0);
    char path[PATH_MAX];
    char val[512];
    uint32_t idx[5] = {0, 1, 1, 3, 7};
    struct td_array a;
    hid_t f;

    out_path(path, "io_write_meta.rtdc");
    if (w == NULL)
        return;
    metadata_write(w, idx);
    metadata_check_root_attrs(path);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    metadata_check_attr_types(f);
    metadata_check_logs(f);
    H5Fclose(f);
    metadata_check_copies(path);
    read_str_attr(val, sizeof(val), path, "/logs/M1_para.ini", "software");
    CHECK_STR_EQ(val, "dcnumc 0.1.0");
    /* basin dataset as dcnum stores it */
    check_vs_meta(path, "/basins/fc2d47a17edd222fbcf2fa0d156b02cc",
                  "/basins/fc2d47a17edd222fbcf2fa0d156b02cc");
    CHECK_EQ(td_read(&a, path, "/events/basinmap0", TD_U32), 0);
    CHECK_EQ(a.count, 5);
    CHECK(a.data != NULL && memcmp(a.data, idx, 5 * sizeof *idx) == 0);
    td_array_release(&a);
}

/* Source s of make_vds: frame (int32, 15) = 100 s + k and image (uint8,
 * 3x4x5) = 60 s + k. */
static void
make_vds_source(const char *path, int s)
{
    hsize_t fd = 15, id[3] = {3, 4, 5};
    int32_t frames[15];
    uint8_t img[3 * 4 * 5];
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp1 = H5Screate_simple(1, &fd, NULL);
    hid_t sp3 = H5Screate_simple(3, id, NULL);
    hid_t d;

    for (int k = 0; k < 15; k++)
        frames[k] = 100 * s + k;
    for (int k = 0; k < 60; k++)
        img[k] = (uint8_t)(s * 60 + k);
    d = H5Dcreate2(f, "frame", H5T_STD_I32LE, sp1, H5P_DEFAULT, H5P_DEFAULT,
                   H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, frames);
    H5Dclose(d);
    d = H5Dcreate2(f, "image", H5T_STD_U8LE, sp3, H5P_DEFAULT, H5P_DEFAULT,
                   H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, img);
    H5Dclose(d);
    H5Sclose(sp1);
    H5Sclose(sp3);
    H5Fclose(f);
}

/* Map source s's frame and image into the virtual spaces vs_f, vs_i. */
static void
map_vds_source(hid_t dcpl_f, hid_t vs_f, hid_t dcpl_i, hid_t vs_i,
               const char *src, int s)
{
    hsize_t fd = 15, id[3] = {3, 4, 5};
    hid_t sp1 = H5Screate_simple(1, &fd, NULL);
    hid_t sp3 = H5Screate_simple(3, id, NULL);
    hsize_t st1 = 15 * (hsize_t)s, st3[3] = {3 * (hsize_t)s, 0, 0};

    H5Sselect_hyperslab(vs_f, H5S_SELECT_SET, &st1, NULL, &fd, NULL);
    H5Pset_virtual(dcpl_f, vs_f, src, "frame", sp1);
    H5Sselect_hyperslab(vs_i, H5S_SELECT_SET, st3, NULL, id, NULL);
    H5Pset_virtual(dcpl_i, vs_i, src, "image", sp3);
    H5Sclose(sp1);
    H5Sclose(sp3);
}

/* A virtual dataset file: /events/frame (int32, 30) and /events/image
 * (uint8, 6x4x5) of two source files, 3 + 3 images / 15 + 15 frames. */
static void
make_vds(const char *vds, const char *src_a, const char *src_b)
{
    const char *srcs[2] = {src_a, src_b};
    hsize_t vfd = 30, vid[3] = {6, 4, 5};
    hid_t vf, vs_f, vs_i, dcpl_f, dcpl_i, g;

    for (int s = 0; s < 2; s++)
        make_vds_source(srcs[s], s);
    vf = H5Fcreate(vds, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    g = H5Gcreate2(vf, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    vs_f = H5Screate_simple(1, &vfd, NULL);
    vs_i = H5Screate_simple(3, vid, NULL);
    dcpl_f = H5Pcreate(H5P_DATASET_CREATE);
    dcpl_i = H5Pcreate(H5P_DATASET_CREATE);
    for (int s = 0; s < 2; s++)
        map_vds_source(dcpl_f, vs_f, dcpl_i, vs_i, srcs[s], s);
    H5Sselect_all(vs_f);
    H5Sselect_all(vs_i);
    H5Dclose(H5Dcreate2(g, "frame", H5T_STD_I32LE, vs_f, H5P_DEFAULT, dcpl_f,
                        H5P_DEFAULT));
    H5Dclose(H5Dcreate2(g, "image", H5T_STD_U8LE, vs_i, H5P_DEFAULT, dcpl_i,
                        H5P_DEFAULT));
    H5Pclose(dcpl_f);
    H5Pclose(dcpl_i);
    H5Sclose(vs_f);
    H5Sclose(vs_i);
    H5Gclose(g);
    H5Fclose(vf);
}

static int
layout_of(const char *file, const char *path, hsize_t *chunk0)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    int layout = H5Pget_layout(dcpl);
    hsize_t c[3] = {0, 0, 0};

    if (layout == H5D_CHUNKED)
        H5Pget_chunk(dcpl, 3, c);
    *chunk0 = c[0];
    H5Pclose(dcpl);
    H5Dclose(d);
    H5Fclose(f);
    return layout;
}

/* Verbatim, virtual and mapped copies into w; map is basinmap0 (n
 * events) and gets an out-of-range index at the end. */
static void
copies_write(struct dcn_writer *w, const char *vds, uint64_t *map, size_t n)
{
    struct dcn_error err = DCN_ERROR_INIT;
    uint64_t vmap[4] = {0, 2, 2, 5};

    /* identity drain copy: the input's layout verbatim */
    CHECK_EQ(dcn__writer_copy_dataset(w, in_cyto, "events/image",
                                      "events/image", &err),
             0);
    CHECK_EQ(dcn__writer_copy_dataset(w, in_cyto, "events/image",
                                      "events/image", &err),
             DCN_EEXIST);
    dcn_error_clear(&err);
    CHECK_EQ(dcn__writer_copy_dataset(w, in_cyto, "events/nope", "events/nope",
                                      &err),
             DCN_ENOTFOUND);
    CHECK(strstr(err.msg, "cytoshot-test-data.rtdc") != NULL);
    CHECK(strstr(err.msg, "events/nope") != NULL);
    dcn_error_clear(&err);
    /* virtual datasets become real data */
    CHECK_EQ(
            dcn__writer_copy_dataset(w, vds, "events/frame", "vds/frame", &err),
            0);
    CHECK_EQ(
            dcn__writer_copy_dataset(w, vds, "events/image", "vds/image", &err),
            0);
    /* mapped copies through basinmap0 (drain mode) */
    CHECK_EQ(dcn__writer_copy_mapped(w, in_cyto, "events/frame", "events",
                                     "frame", map, n, &err),
             0);
    CHECK_EQ(dcn__writer_copy_mapped(w, in_cyto, "events/time", "events",
                                     "time", map, n, &err),
             0);
    CHECK_EQ(dcn__writer_copy_mapped(w, in_cyto, "events/image", "mapped",
                                     "image", map, n, &err),
             0);
    CHECK_EQ(dcn__writer_copy_mapped(w, vds, "events/image", "vds", "mimage",
                                     vmap, 4, &err),
             0);
    map[3] = 40; /* out of range */
    CHECK_EQ(dcn__writer_copy_mapped(w, in_cyto, "events/frame", "events",
                                     "bad", map, n, &err),
             DCN_ERANGE);
    dcn_error_clear(&err);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
}

/* The copied data: the verbatim image, both virtual datasets written
 * out, and the mapped virtual image. */
static void
copies_check_data(const char *path)
{
    struct td_array a;
    char hex[33];
    size_t k;

    CHECK_EQ(td_read(&a, path, "/events/image", TD_U8), 0);
    dcn__md5_hex(hex, a.data, a.count);
    CHECK_STR_EQ(hex, "ef9ed7e6a2e4df20a46b4374ce1c4003");
    td_array_release(&a);
    CHECK_EQ(td_read(&a, path, "/vds/frame", TD_I32), 0);
    CHECK_EQ(a.count, 30);
    CHECK(a.data != NULL && ((int32_t *)a.data)[0] == 0 &&
          ((int32_t *)a.data)[14] == 14 && ((int32_t *)a.data)[15] == 100 &&
          ((int32_t *)a.data)[29] == 114);
    td_array_release(&a);
    CHECK_EQ(td_read(&a, path, "/vds/image", TD_U8), 0);
    CHECK_EQ(a.count, 120);
    for (k = 0; k < 120 && a.data != NULL; k++)
        if (((uint8_t *)a.data)[k] != (uint8_t)k)
            break;
    CHECK_EQ(k, 120);
    td_array_release(&a);
    CHECK_EQ(td_read(&a, path, "/vds/mimage", TD_U8), 0);
    CHECK_EQ(a.count, 80);
    CHECK(a.data != NULL && ((uint8_t *)a.data)[0] == 0 &&
          ((uint8_t *)a.data)[20] == 40 && ((uint8_t *)a.data)[40] == 40 &&
          ((uint8_t *)a.data)[60] == 100);
    td_array_release(&a);
}

/* Verbatim (H5Ocopy), virtual (written out, D9) and mapped copies. */
static void
test_copies(void)
{
    struct dcn_writer *w = new_writer("io_write_copy.rtdc", 5, 0);
    char path[PATH_MAX], vds[PATH_MAX], sa[PATH_MAX], sb[PATH_MAX];
    size_t n;
    double *bm0 = csv_column("basinmap0", &n);
    uint64_t *map = calloc(n, sizeof(*map));
    hsize_t c0;

    out_path(path, "io_write_copy.rtdc");
    out_path(vds, "io_write_vds.h5");
    out_path(sa, "io_write_vds_a.h5");
    out_path(sb, "io_write_vds_b.h5");
    make_vds(vds, sa, sb);
    for (size_t k = 0; k < n; k++)
        map[k] = (uint64_t)bm0[k];
    if (w != NULL) {
        copies_write(w, vds, map, n);
        CHECK_EQ(layout_of(path, "/events/image", &c0), H5D_CHUNKED);
        CHECK_EQ(c0, 40); /* the input's chunks, not dcnum's 32 */
        copies_check_data(path);
        CHECK_EQ(layout_of(path, "/vds/frame", &c0), H5D_CHUNKED);
        CHECK_EQ(c0, 1000);
        CHECK_EQ(layout_of(path, "/vds/image", &c0), H5D_CHUNKED);
        CHECK_EQ(c0, 1000); /* 20-byte images: clamp to 1000 */
        check_vs_meta(path, "/events/frame", "/events/frame");
        check_vs_meta(path, "/events/time", "/events/time");
        check_vs_meta(path, "/mapped/image", "/events/image");
        unlink(vds);
        unlink(sa);
        unlink(sb);
    }
    free(bm0);
    free(map);
}

/* Every kind of object into w; the first error. */
static int
sample_fill(struct dcn_writer *w, struct dcn_error *err)
{
    static const char *const lines[2] = {"a", "bcd"};
    static const char *const feats[1] = {"image_bg"};
    struct dcn_basin bg = {DCN_WBASIN_INTERNAL,
                           "background images",
                           "d",
                           NULL,
                           0,
                           NULL,
                           feats,
                           1,
                           "basinmap0"};
    struct dcn_wdset *ds = NULL;
    char thresh[PATH_MAX], key[33], mname[16];
    double v[1500];
    uint8_t img[12 * 80 * 20];
    uint64_t map[3] = {0, 0, 5};
    int rc;

    for (size_t k = 0; k < 1500; k++)
        v[k] = (double)k / 3.0;
    for (size_t k = 0; k < sizeof(img); k++)
        img[k] = (uint8_t)(k % 251);
    td_path(thresh, "inputs/dcnum_thresh_example.rtdc");
    rc = dcn__writer_feature_new(
            w, &ds, &(struct dcn_feature_spec){"events", "v", DCN_WT_F64, 0, 0},
            err);
    if (rc == 0)
        rc = dcn__wdset_append_encoded(ds, v, 1500, err);
    if (rc == 0)
        rc = dcn__writer_feature_write(
                w,
                &(struct dcn_feature_spec){"basin_events", "image_bg",
                                           DCN_WT_U8, 80, 20},
                img, 12, err);
    if (rc == 0)
        rc = dcn__writer_basinmap(w, map, DCN_WT_U64, 3, mname, err);
    if (rc == 0)
        rc = dcn__writer_basin(w, &bg, key, err);
    if (rc == 0)
        rc = dcn__writer_log(w, "x", lines, 2, false, err);
    if (rc == 0)
        rc = dcn__writer_attr_str(w, "pipeline:dcnum hash", "abc", err);
    if (rc == 0)
        rc = dcn__writer_copy_metadata(w, thresh, err);
    if (rc == 0)
        rc = dcn__writer_copy_mapped(w, thresh, "events/image", "events",
                                     "image", map, 3, err);
    return rc;
}

/* One small output with every kind of object; returns the first error
 * (the writer is aborted then). */
static int
write_sample(const char *name, const char *suffix)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer_opts o;
    struct dcn_writer *w = NULL;
    char path[PATH_MAX];
    int rc;

    out_path(path, name);
    dcn__writer_opts_init(&o);
    o.suffix = suffix;
    o.software = "dcnumc 0.1.0";
    rc = dcn__writer_new(&w, path, &o, &err);
    if (rc < 0)
        return rc;
    rc = sample_fill(w, &err);
    if (rc < 0) {
        dcn__writer_abort(w);
        if (rc != DCN_ENOMEM)
            (void)fprintf(stderr, "write_sample: %s\n", err.msg);
        return rc;
    }
    rc = dcn__writer_commit(w, &err);
    if (rc < 0 && rc != DCN_ENOMEM)
        (void)fprintf(stderr, "write_sample: %s\n", err.msg);
    return rc;
}

static bool
same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa != NULL && fb != NULL;
    int ca, cb;

    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        if (ca != cb)
            same = false;
        if (ca == EOF || cb == EOF)
            break;
    }
    /* read only: nothing to lose */
    if (fa != NULL)
        (void)fclose(fa);
    if (fb != NULL)
        (void)fclose(fb);
    return same;
}

/* Rule 38: the same content gives the same bytes (no time stamps). */
static void
test_determinism(void)
{
    char a[PATH_MAX], b[PATH_MAX];
    struct timespec one_second = {1, 0};

    out_path(a, "io_write_det_a.rtdc");
    out_path(b, "io_write_det_b.rtdc");
    unlink(a);
    unlink(b);
    CHECK_EQ(write_sample("io_write_det_a.rtdc", "t"), 0);
    /* a second apart, so that any time stamp would differ */
    (void)nanosleep(&one_second, NULL); /* a signal only shortens it */
    CHECK_EQ(write_sample("io_write_det_b.rtdc", "t"), 0);
    CHECK(same_bytes(a, b));
    unlink(a);
    unlink(b);
}

/* Every allocation of the writer failing in turn: a clean error, no
 * target and no temporary file left (curl's torture mode). */
static void
test_alloc_failures(void)
{
    char target[PATH_MAX], temp[PATH_MAX];
    long nth;
    int rc = -1;

    out_path(target, "io_write_torture.rtdc");
    out_path(temp, "io_write_torture_output_t.rtdc~");
    for (nth = 1; nth < 2000; nth++) {
        unlink(target);
        dcn__alloc_fail_nth(nth);
        rc = write_sample("io_write_torture.rtdc", "t");
        dcn__alloc_fail_nth(0);
        if (rc == 0)
            break;
        if (rc != DCN_ENOMEM) {
            CHECK_EQ(rc, DCN_ENOMEM);
            break;
        }
        if (access(target, F_OK) == 0 || access(temp, F_OK) == 0) {
            CHECK(!"a file was left behind");
            break;
        }
    }
    (void)printf("allocation failures swept: %ld\n", nth - 1);
    CHECK_EQ(rc, 0);
    CHECK(nth > 20);
    unlink(target);
}

/* zstd-5 encoding of dcnum's 80x400 output images and masks, chunks of
 * 32 (information only; style.md rule 35 wants it parallel). */
static void
report_encode_speed(void)
{
    static const char *const what[2] = {"/events/image", "/events/mask"};
    struct dcn_chunk_encoder *enc = NULL;
    size_t raw = (size_t)32 * 80 * 400, cap = dcn__chunk_encode_bound(raw, 5);
    size_t len = 0;
    uint8_t *dst = malloc(cap);

    dcn__chunk_encoder_new(&enc);
    for (int wi = 0; wi < 2; wi++) {
        struct td_array img;
        struct timespec t0, t1;
        double s;

        if (td_read(&img, ref_out, what[wi], TD_U8) != 0)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int rep = 0; rep < 10; rep++)
            dcn__chunk_encode(enc, dst, cap, &len, img.data, raw, 5, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s = (double)(t1.tv_sec - t0.tv_sec) +
            1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        (void)printf("encode zstd-5 + fletcher32, %s 80x400: %.0f frames/s "
                     "on one thread (%zu -> %zu bytes per chunk)\n",
                     what[wi], 10 * 32 / s, raw, len);
        td_array_release(&img);
    }
    dcn__chunk_encoder_free(enc);
    free(dst);
}

/* Reopen an existing feature and continue it; encoder throughput. */
static void
test_require_and_speed(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = new_writer("io_write_req.rtdc", 5, 0);
    struct dcn_wdset *a = NULL, *b = NULL;
    const struct dcn_feature_spec n_i64 = {"events", "n", DCN_WT_I64, 0, 0};
    const struct dcn_feature_spec n_f64 = {"events", "n", DCN_WT_F64, 0, 0};
    char path[PATH_MAX];
    int64_t v[2500];
    struct td_array arr;

    for (size_t k = 0; k < 2500; k++)
        v[k] = (int64_t)k - 7;
    if (w == NULL)
        return;
    CHECK_EQ(dcn__writer_feature_require(w, &a, &n_i64, &err), 0);
    CHECK_EQ(dcn__wdset_append_encoded(a, v, 2000, &err), 0);
    CHECK_EQ(dcn__writer_feature_require(w, &b, &n_i64, &err), 0);
    CHECK(a == b);
    CHECK_EQ(dcn__writer_feature_require(w, &b, &n_f64, &err), DCN_EFORMAT);
    dcn_error_clear(&err);
    CHECK_EQ(dcn__wdset_close(a, &err), 0);
    /* reopened from the file: continues on the chunk boundary */
    CHECK_EQ(dcn__writer_feature_require(w, &b, &n_i64, &err), 0);
    CHECK(b != NULL && dcn__wdset_length(b) == 2000);
    CHECK_EQ(dcn__wdset_append_encoded(b, v + 2000, 500, &err), 0);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
    out_path(path, "io_write_req.rtdc");
    CHECK_EQ(td_read(&arr, path, "/events/n", TD_I64), 0);
    CHECK_EQ(arr.count, 2500);
    CHECK(arr.data != NULL && memcmp(arr.data, v, sizeof(v)) == 0);
    td_array_release(&arr);
    unlink(path);
    report_encode_speed();
}

struct enc_job {
    const uint8_t *src;
    size_t len;
    uint8_t *dst;
    size_t cap;
    size_t out_len;
    int rc;
};

static void *
enc_thread(void *arg)
{
    struct enc_job *j = arg;
    struct dcn_chunk_encoder *enc = NULL;
    int rep;

    j->rc = dcn__chunk_encoder_new(&enc);
    for (rep = 0; rep < 5 && j->rc == 0; rep++)
        j->rc = dcn__chunk_encode(enc, j->dst, j->cap, &j->out_len, j->src,
                                  j->len, 5, NULL);
    dcn__chunk_encoder_free(enc);
    return NULL;
}

/* Workers encode concurrently, one encoder each: same bytes (run under
 * the tsan preset too). */
static void
test_encoder_threads(void)
{
    struct enc_job jobs[3];
    pthread_t th[3];
    size_t len = (size_t)40 * 80 * 250, k;
    uint8_t *src = malloc(len);
    int t;

    for (k = 0; k < len; k++)
        src[k] = (uint8_t)(100 + (k * 2654435761u >> 28));
    for (t = 0; t < 3; t++) {
        jobs[t] = (struct enc_job){src, len, NULL, 0, 0, -1};
        jobs[t].cap = dcn__chunk_encode_bound(len, 5);
        jobs[t].dst = malloc(jobs[t].cap);
        CHECK_EQ(pthread_create(&th[t], NULL, enc_thread, &jobs[t]), 0);
    }
    for (t = 0; t < 3; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ(jobs[t].rc, 0);
    }
    for (t = 1; t < 3; t++) {
        CHECK_EQ(jobs[t].out_len, jobs[0].out_len);
        CHECK(memcmp(jobs[t].dst, jobs[0].dst, jobs[0].out_len) == 0);
    }
    for (t = 0; t < 3; t++)
        free(jobs[t].dst);
    free(src);
}

/* The writer options and paths of the life-cycle test. */
struct life {
    struct dcn_writer_opts o;
    char target[PATH_MAX];
    char temp[PATH_MAX];
};

/* The 2500 values of feature x: 0, 1, 2, ... */
static void
life_values(double v[2500])
{
    for (size_t k = 0; k < 2500; k++)
        v[k] = (double)k;
}

/* Feature x of w. */
static void
life_write_x(struct dcn_writer *w, struct dcn_error *err)
{
    struct dcn_wdset *ds = NULL;
    double v[2500];

    CHECK_EQ(dcn__writer_feature_new(w, &ds,
                                     &(struct dcn_feature_spec){
                                             "events", "x", DCN_WT_F64, 0, 0},
                                     err),
             0);
    life_values(v);
    CHECK_EQ(dcn__wdset_append_encoded(ds, v, 2500, err), 0);
}

/* Aborted half way: neither target nor temp file remain. */
static void
life_abort(const struct life *l)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = NULL;

    CHECK_EQ(dcn__writer_new(&w, l->target, &l->o, &err), 0);
    CHECK_STR_EQ(w != NULL ? dcn__writer_temp_path(w) : "", l->temp);
    CHECK(file_exists(l->temp));
    life_write_x(w, &err);
    CHECK_EQ(dcn__writer_attr_str(w, "experiment:sample", "x", &err), 0);
    dcn__writer_abort(w);
    CHECK(!file_exists(l->temp));
    CHECK(!file_exists(l->target));
    dcn__writer_abort(NULL);
}

/* True if n doubles at a have the bit patterns of those at b. */
static bool
same_double_bits(const void *a, const double *b, size_t n)
{
    const unsigned char *pa = a;

    for (size_t i = 0; i < n; i++) {
        uint64_t x;
        uint64_t y;

        memcpy(&x, pa + i * sizeof x, sizeof x);
        memcpy(&y, &b[i], sizeof y);
        if (x != y)
            return false;
    }
    return true;
}

/* Superblock v3 (libver latest): the version byte after the signature. */
static void
life_check_superblock(const char *target)
{
    FILE *f = fopen(target, "rb");
    unsigned char sig[9];

    if (f == NULL)
        return;
    CHECK_EQ(fread(sig, 1, 9, f), 9);
    CHECK(memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0);
    CHECK_EQ(sig[8], 3);
    (void)fclose(f); /* read only: nothing to lose */
}

/* No object time stamps. */
static void
life_check_no_time_stamps(const char *target)
{
    hid_t hf = H5Fopen(target, H5F_ACC_RDONLY, H5P_DEFAULT);
    H5O_info_t oi;

    CHECK(H5Oget_info_by_name(hf, "/events/x", &oi, H5P_DEFAULT) >= 0);
    CHECK_EQ(oi.ctime, 0);
    CHECK_EQ(oi.mtime, 0);
    CHECK(H5Oget_info_by_name(hf, "/events", &oi, H5P_DEFAULT) >= 0);
    CHECK_EQ(oi.ctime, 0);
    H5Fclose(hf);
}

/* Commit renames into place; the data are complete. */
static void
life_commit(const struct life *l)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = NULL;
    struct td_array a;
    double v[2500];

    life_values(v);
    CHECK_EQ(dcn__writer_new(&w, l->target, &l->o, &err), 0);
    life_write_x(w, &err);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
    CHECK(!file_exists(l->temp));
    CHECK(file_exists(l->target));
    CHECK_EQ(td_read(&a, l->target, "/events/x", TD_F64), 0);
    CHECK_EQ(a.count, 2500);
    CHECK(a.data != NULL && same_double_bits(a.data, v, 2500));
    td_array_release(&a);
    life_check_superblock(l->target);
    life_check_no_time_stamps(l->target);
}

/* An existing target: DCN_EEXIST before anything is written, unless
 * overwrite is asked for; a target that appears while writing: commit
 * fails, temp removed. */
static void
life_existing_target(struct life *l)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = NULL;
    FILE *f;

    CHECK_EQ(dcn__writer_new(&w, l->target, &l->o, &err), DCN_EEXIST);
    CHECK(w == NULL);
    CHECK(strstr(err.msg, "io_write_life.rtdc") != NULL);
    CHECK(!file_exists(l->temp));
    dcn_error_clear(&err);
    l->o.flags = DCN_WRITER_OVERWRITE;
    CHECK_EQ(dcn__writer_new(&w, l->target, &l->o, &err), 0);
    CHECK_EQ(dcn__writer_commit(w, &err), 0);
    CHECK(file_exists(l->target));
    CHECK(!file_exists(l->temp));
    unlink(l->target);
    l->o.flags = 0;
    CHECK_EQ(dcn__writer_new(&w, l->target, &l->o, &err), 0);
    f = fopen(l->target, "w");
    if (f != NULL)
        (void)fclose(f); /* an empty file: only its existence counts */
    CHECK_EQ(dcn__writer_commit(w, &err), DCN_EEXIST);
    CHECK(!file_exists(l->temp));
    dcn_error_clear(&err);
    unlink(l->target);
}

/* Temp name, commit, abort, existing target (format.md §3.2, D7). */
static void
test_life_cycle(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_writer *w = NULL;
    struct life l;

    out_path(l.target, "io_write_life.rtdc");
    out_path(l.temp, "io_write_life_output_sfx.rtdc~");
    unlink(l.target);
    unlink(l.temp);
    dcn__writer_opts_init(&l.o);
    l.o.suffix = "sfx";
    life_abort(&l);
    life_commit(&l);
    life_existing_target(&l);
    /* a bad level and an unwritable directory */
    l.o.level = 12;
    CHECK_EQ(dcn__writer_new(&w, l.target, &l.o, &err), DCN_EINVAL);
    dcn_error_clear(&err);
    l.o.level = 5;
    CHECK_EQ(dcn__writer_new(&w, "/nonexistent-dir/x.rtdc", &l.o, &err),
             DCN_EIO);
    CHECK(strstr(err.msg, "/nonexistent-dir/x_output_sfx.rtdc~") != NULL);
    dcn_error_clear(&err);
}

int
main(void)
{
    char csvp[PATH_MAX];

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    dcn__zstd_filter_register();
    td_path(ref_meta, "reference/cytoshot-test-data/default/meta.json");
    td_path(ref_out, "reference/cytoshot-test-data/default/dcnum_output.rtdc");
    td_path(in_cyto, "inputs/cytoshot-test-data.rtdc");
    td_path(csvp, "reference/cytoshot-test-data/default/features.csv");
    meta = mj_load(ref_meta);
    CHECK(meta != NULL);
    CHECK_EQ(td_csv_load(&csv, csvp), 0);
    test_encoder_parity();
    test_roundtrip();
    test_life_cycle();
    test_metadata();
    test_copies();
    test_determinism();
    test_require_and_speed();
    test_encoder_threads();
    test_alloc_failures();
    td_csv_release(&csv);
    mj_free(meta);
    return check_report();
}
