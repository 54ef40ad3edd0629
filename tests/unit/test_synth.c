/* SPDX-License-Identifier: MIT */
/*
 * test_synth.c - the synthetic recording generator (`dcnumc synth`).
 *
 * Realism is checked on the pure generator (dcn__synth_frame /
 * dcn__synth_next_scene) and, independently, on the pixels alone: a
 * per-pixel median background, threshold -6 and a crude 8-connected
 * labelling must find the cells the scenes say are there.  Files are read
 * back through plain HDF5 (td_read and the creation properties), never
 * through dcnumc's reader.
 */
#include <hdf5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "check.h"
#include "dcnumc/synth.h"
#include "fletcher32.h"
#include "md5.h"
#include "synth_scene.h"
#include "testdata.h"
#include "zstd_filter.h"
#include <zstd.h>

enum {
    H = 80,
    W = 250,
    NPIX = H * W
};

/* md5 of the first 30 frames of seed 42 (all defaults). */
#define GOLDEN_MD5 "2191db83e55ab5f5b912cc3a025dfb9c"

static char tmpdir[64] = "/tmp/dcn_synth_XXXXXX";

/* a, sep and b into buf (len bytes); a path that does not fit fails a
 * check. */
static const char *
join_path(char *buf, size_t len, const char *a, const char *sep, const char *b)
{
    int n = snprintf(buf, len, "%s%s%s", a, sep, b);

    if (n < 0 || (size_t)n >= len)
        CHECK(n >= 0 && (size_t)n < len);
    return buf;
}

static const char *
tmp_path(char *buf, size_t len, const char *name)
{
    return join_path(buf, len, tmpdir, "/", name);
}

/* The writer's temporary file for path: path + "~". */
static const char *
tilde_path(char *buf, size_t len, const char *path)
{
    return join_path(buf, len, path, "~", "");
}

/* Generate n frames of params p into a new buffer (test code: malloc). */
static uint8_t *
generate(const struct dcn_synth_params *p, size_t n, uint64_t *frames,
         unsigned *ncells)
{
    struct dcn__synth_state *st = NULL;
    struct dcn_error err = DCN_ERROR_INIT;
    size_t npix = (size_t)p->height * p->width;
    uint8_t *img = malloc(n * npix);

    CHECK_EQ(dcn__synth_new(&st, p, &err), DCN_OK);
    if (st == NULL) {
        free(img);
        return NULL;
    }
    for (size_t i = 0; i < n && img != NULL; i++)
        dcn__synth_frame(st, img + i * npix, &frames[i], NULL, &ncells[i]);
    dcn__synth_free(st);
    return img;
}

static int
cmp_u8(const void *a, const void *b)
{
    return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* Per-pixel median over n frames (dcnum-like background estimate). */
static void
median_background(uint8_t *bg, const uint8_t *img, size_t n)
{
    uint8_t *col = malloc(n);

    for (size_t p = 0; p < NPIX; p++) {
        for (size_t i = 0; i < n; i++)
            col[i] = img[i * NPIX + p];
        qsort(col, n, 1, cmp_u8);
        bg[p] = col[n / 2];
    }
    free(col);
}

/*
 * Number of 8-connected components of (frame - bg) < -6 with more than
 * 10 pixels; *border set if one of them touches the left/right edge.
 */
/* Push the set 8-neighbours of pixel p onto stack, clearing them. */
static void
push_neighbours(uint8_t *mask, int *stack, int *top, int p)
{
    int y = p / W;
    int x = p % W;

    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int yy = y + dy;
            int xx = x + dx;

            if (yy < 0 || yy >= H || xx < 0 || xx >= W || !mask[yy * W + xx])
                continue;
            mask[yy * W + xx] = 0;
            stack[(*top)++] = yy * W + xx;
        }
}

/* Clear the component of mask holding start; its size in pixels, *edge
 * set if it touches the left/right edge. */
static int
flood(uint8_t *mask, int start, bool *edge)
{
    static int stack[NPIX];
    int top = 0;
    int size = 0;

    *edge = false;
    mask[start] = 0;
    stack[top++] = start;
    while (top > 0) {
        int p = stack[--top];

        size++;
        *edge = *edge || p % W == 0 || p % W == W - 1;
        push_neighbours(mask, stack, &top, p);
    }
    return size;
}

static unsigned
count_objects(const uint8_t *frame, const uint8_t *bg, bool *border)
{
    static uint8_t mask[NPIX];
    unsigned count = 0;

    *border = false;
    for (size_t p = 0; p < NPIX; p++)
        mask[p] = (int)frame[p] - (int)bg[p] < -6;
    for (int start = 0; start < NPIX; start++) {
        bool edge;

        if (mask[start] && flood(mask, start, &edge) > 10) {
            count++;
            *border = *border || edge;
        }
    }
    return count;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
test_params_are_checked(void)
{
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;

    dcn_synth_params_init(&p);
    CHECK_EQ(p.frames, 1000);
    CHECK_EQ(p.height, 80);
    CHECK_EQ(p.width, 250);
    CHECK_EQ(p.compression, 5);
    CHECK_EQ(dcn__synth_params_check(&p, NULL, &err), DCN_OK);
    p.width = 8;
    CHECK_EQ(dcn__synth_params_check(&p, "x.rtdc", &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "width") != NULL);
    CHECK(strstr(err.msg, "x.rtdc") != NULL);
    dcn_synth_params_init(&p);
    p.cell_probs[0] = 0.5;
    dcn_error_clear(&err);
    CHECK_EQ(dcn__synth_params_check(&p, NULL, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "cell_probs") != NULL);
    CHECK_EQ(dcn_synth_chunk_frames(80, 250), 52);
    CHECK_EQ(dcn_synth_chunk_frames(80, 400), 32);
    CHECK_EQ(dcn_synth_chunk_frames(32, 32), 1000);
    CHECK_EQ(dcn_synth_chunk_frames(1024, 4096), 10);
}

enum {
    REALISM_N = 500
};

/* The frames of the realism test and what it measures over them. */
struct realism {
    const uint8_t *img;     /* REALISM_N frames */
    const uint64_t *frames; /* camera frame numbers */
    const unsigned *ncells; /* cells per frame, from the scenes */
    uint8_t bg[NPIX];       /* per-pixel median */
    double offs[REALISM_N]; /* flicker: median offset from bg */
    unsigned hist[4];       /* frames with 0, 1, 2, 3+ cells */
    unsigned ok_count;      /* frames with 0-3 objects found */
    unsigned exact;         /* frames with as many objects as cells */
    unsigned border;        /* frames with an object at the edge */
    unsigned dups;          /* frames equal to the one before */
    unsigned increasing;    /* frame numbers larger than the one before */
    double noise_ss;        /* squared residuals of cell-free frames */
    size_t noise_n;
};

/* Median offset of frame f from the background over 64 pixels in the
 * channel. */
static double
flicker_offset(const uint8_t *f, const uint8_t *bg)
{
    double d[64];

    for (size_t k = 0; k < 64; k++) {
        size_t px = (20 + k % 40) * W + 5 + 3 * k;

        d[k] = (double)f[px] - (double)bg[px];
    }
    qsort(d, 64, sizeof(double), cmp_double);
    return d[32];
}

static void
tally_frame(struct realism *r, size_t i)
{
    const uint8_t *f = r->img + i * NPIX;
    bool edge;
    unsigned found = count_objects(f, r->bg, &edge);

    r->hist[r->ncells[i] > 3 ? 3 : r->ncells[i]]++;
    r->ok_count += found <= 3;
    r->exact += found == r->ncells[i];
    r->border += edge;
    if (i > 0) {
        r->increasing += r->frames[i] > r->frames[i - 1];
        r->dups += memcmp(f, f - NPIX, NPIX) == 0;
    }
    r->offs[i] = flicker_offset(f, r->bg);
    if (r->ncells[i] == 0) {
        for (size_t px = (size_t)30 * W; px < (size_t)50 * W; px++) {
            double d = (double)f[px] - (double)r->bg[px];

            r->noise_ss += d * d;
            r->noise_n++;
        }
    }
}

/* Frame numbers, cells per frame, and what segmentation finds. */
static void
check_counts(const struct realism *r)
{
    enum {
        N = REALISM_N
    };

    CHECK_EQ(r->increasing, N - 1);
    /* Mean camera-frame gap about 4. */
    CHECK_DBL_NEAR((double)(r->frames[N - 1] - r->frames[0]) / (N - 1), 4.0,
                   0.0, 0.6);
    CHECK_EQ(r->frames[0], 1000);
    /* Cell counts per frame: 0.15 / 0.5 / 0.25 / 0.1. */
    CHECK_DBL_NEAR(r->hist[0] / (double)N, 0.15, 0.0, 0.05);
    CHECK_DBL_NEAR(r->hist[1] / (double)N, 0.50, 0.0, 0.07);
    CHECK_DBL_NEAR(r->hist[2] / (double)N, 0.25, 0.0, 0.06);
    CHECK_DBL_NEAR(r->hist[3] / (double)N, 0.10, 0.0, 0.05);
    /* Segmentation sanity on the pixels alone. */
    CHECK(r->ok_count >= N * 97 / 100);
    CHECK(r->exact >= N * 85 / 100);
    (void)fprintf(stderr,
                  "segmentation: %u/%d frames with 0-3 objects, %u exact\n",
                  r->ok_count, N, r->exact);
    /* Cells touching the left/right border in some frames, not most. */
    CHECK(r->border >= N / 20);
    CHECK(r->border <= N / 2);
    (void)fprintf(stderr, "border frames %u, duplicates %u\n", r->border,
                  r->dups);
    CHECK(r->dups >= 1);
    CHECK(r->dups <= 15);
}

/* Background, flicker and camera noise. */
static void
check_background_and_noise(const struct realism *r)
{
    const uint8_t *bg = r->bg;
    double s = 0.0, ss = 0.0, sd;

    /* Background about 110 in the middle of the channel. */
    CHECK_DBL_NEAR(bg[40 * W + 125], 110.0, 0.0, 3.0);
    CHECK_DBL_NEAR(bg[40 * W + 10], 108.0, 0.0, 5.0);
    /* Walls: dark line near rows 5-6 and 73-74, bright next to it. */
    CHECK(bg[5 * W + 125] < 85 && bg[74 * W + 125] < 85);
    CHECK(bg[8 * W + 125] > 118 && bg[71 * W + 125] > 118);
    /* Flicker about 1 grey level (sd of the per-frame median offset;
     * the median of integers adds a little). */
    for (size_t i = 0; i < REALISM_N; i++) {
        s += r->offs[i];
        ss += r->offs[i] * r->offs[i];
    }
    sd = ss / REALISM_N - (s / REALISM_N) * (s / REALISM_N);
    CHECK(sd > 0.5 * 0.5 && sd < 2.0 * 2.0);
    (void)fprintf(stderr, "flicker variance %.3f\n", sd);
    /* Camera noise: read 2 and shot 0.25 sqrt(110), plus flicker. */
    CHECK_DBL_NEAR(r->noise_ss / (double)r->noise_n, 4.0 + 0.0625 * 110 + 1.0,
                   0.25, 0.0);
}

/* Frames, counts, gaps, duplicates, background, flicker and noise. */
static void
test_realism_of_500_frames(void)
{
    struct dcn_synth_params p;
    static uint64_t frames[REALISM_N];
    static unsigned ncells[REALISM_N];
    static struct realism r;
    uint8_t *img;

    dcn_synth_params_init(&p);
    img = generate(&p, REALISM_N, frames, ncells);
    if (img == NULL)
        return;
    r.img = img;
    r.frames = frames;
    r.ncells = ncells;
    median_background(r.bg, img, REALISM_N);
    for (size_t i = 0; i < REALISM_N; i++)
        tally_frame(&r, i);
    check_counts(&r);
    check_background_and_noise(&r);
    free(img);
}

/* Scenes and frames are the same however the frames are produced. */
static void
test_render_is_pure(void)
{
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn__synth_state *a = NULL;
    struct dcn__synth_state *b = NULL;
    struct dcn__synth_scene scenes[40];
    static uint8_t fa[NPIX], fb[NPIX];
    float *scratch;
    bool same = true;

    dcn_synth_params_init(&p);
    p.seed = 99;
    CHECK_EQ(dcn__synth_new(&a, &p, &err), DCN_OK);
    CHECK_EQ(dcn__synth_new(&b, &p, &err), DCN_OK);
    if (a == NULL || b == NULL)
        return;
    scratch = malloc(dcn__synth_scratch_size(dcn__synth_model(b)) *
                     sizeof(float));
    for (int i = 0; i < 40; i++)
        dcn__synth_next_scene(b, &scenes[i]);
    /* Render b's scenes backwards; compare with a's frames in order. */
    for (int i = 39; i >= 0; i--) {
        dcn__synth_render(dcn__synth_model(b), &scenes[i], fb, scratch);
        if (i == 39 || i == 10) {
            struct dcn__synth_state *c = NULL;

            CHECK_EQ(dcn__synth_new(&c, &p, &err), DCN_OK);
            for (int k = 0; k <= i && c != NULL; k++)
                dcn__synth_frame(c, fa, NULL, NULL, NULL);
            same = same && memcmp(fa, fb, NPIX) == 0;
            dcn__synth_free(c);
        }
    }
    CHECK(same);
    free(scratch);
    dcn__synth_free(a);
    dcn__synth_free(b);
}

/* md5 of image, frame and time as read back by plain HDF5. */
static void
file_md5(char hex[33], const char *path, size_t *nframes)
{
    struct td_array img, fr, tm;
    struct dcn_md5 ctx;
    uint8_t dig[16];

    dcn__md5_init(&ctx);
    *nframes = 0;
    if (td_read(&img, path, "/events/image", TD_U8) == 0) {
        dcn__md5_update(&ctx, img.data, img.count);
        *nframes = img.dims[0];
        td_array_release(&img);
    }
    if (td_read(&fr, path, "/events/frame", TD_U64) == 0) {
        dcn__md5_update(&ctx, fr.data, fr.count * 8);
        td_array_release(&fr);
    }
    if (td_read(&tm, path, "/events/time", TD_F64) == 0) {
        dcn__md5_update(&ctx, tm.data, tm.count * 8);
        td_array_release(&tm);
    }
    dcn__md5_final(&ctx, dig);
    dcn__md5_digest_hex(hex, dig);
}

static int
write_file(const char *path, uint64_t seed, uint64_t n, unsigned threads)
{
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;
    int rc;

    dcn_synth_params_init(&p);
    p.frames = n;
    p.seed = seed;
    p.threads = threads;
    p.force = true;
    rc = dcn_synth_write(path, &p, &err);
    if (rc < 0)
        (void)fprintf(stderr, "dcn_synth_write: %s\n", err.msg);
    return rc;
}

static void
test_same_seed_same_data_any_threads(void)
{
    char a[128], b[128], c[128];
    char ha[33], hb[33], hc[33];
    size_t na, nb, nc;

    tmp_path(a, sizeof(a), "a.rtdc");
    tmp_path(b, sizeof(b), "b.rtdc");
    tmp_path(c, sizeof(c), "c.rtdc");
    /* 120 frames: chunks of 52, 52 and a zero-padded 16. */
    CHECK_EQ(write_file(a, 7, 120, 1), DCN_OK);
    CHECK_EQ(write_file(b, 7, 120, 3), DCN_OK);
    CHECK_EQ(write_file(c, 8, 120, 2), DCN_OK);
    file_md5(ha, a, &na);
    file_md5(hb, b, &nb);
    file_md5(hc, c, &nc);
    CHECK_STR_EQ(ha, hb);
    CHECK(strcmp(ha, hc) != 0);
    CHECK_EQ(na, 120);
    CHECK_EQ(nc, 120);
}

/* The stored pixels are exactly the generator's frames. */
static void
test_file_holds_the_generated_frames(void)
{
    enum {
        N = 60
    };
    struct dcn_synth_params p;
    static uint64_t frames[N];
    static unsigned ncells[N];
    struct td_array img, fr, tm;
    char path[128];
    uint8_t *gen;
    bool times_ok = true;

    dcn_synth_params_init(&p);
    p.seed = 5;
    gen = generate(&p, N, frames, ncells);
    tmp_path(path, sizeof(path), "gen.rtdc");
    CHECK_EQ(write_file(path, 5, N, 2), DCN_OK);
    if (gen == NULL || td_read(&img, path, "/events/image", TD_U8) != 0 ||
        td_read(&fr, path, "/events/frame", TD_U64) != 0 ||
        td_read(&tm, path, "/events/time", TD_F64) != 0) {
        CHECK(false);
        free(gen);
        return;
    }
    CHECK_EQ(img.count, (size_t)N * NPIX);
    CHECK(memcmp(img.data, gen, (size_t)N * NPIX) == 0);
    CHECK(memcmp(fr.data, frames, sizeof(frames)) == 0);
    for (size_t i = 0; i < N; i++) {
        double t = (double)(frames[i] - frames[0]) / 2000.0;

        times_ok = times_ok && ((double *)tm.data)[i] == t;
    }
    CHECK(times_ok);
    td_array_release(&img);
    td_array_release(&fr);
    td_array_release(&tm);
    free(gen);
}

/* Pin the bytes: a change of the generator must be deliberate. */
static void
test_golden_md5(void)
{
    enum {
        N = 30
    };
    struct dcn_synth_params p;
    static uint64_t frames[N];
    static unsigned ncells[N];
    char hex[33];
    uint8_t *gen;

    dcn_synth_params_init(&p);
    gen = generate(&p, N, frames, ncells);
    if (gen == NULL)
        return;
    dcn__md5_hex(hex, gen, (size_t)N * NPIX);
    (void)fprintf(stderr, "golden md5 (seed 42, 30 frames): %s\n", hex);
    CHECK_STR_EQ(hex, GOLDEN_MD5);
    free(gen);
}

/* Chunk shape and filter pipeline of one dataset. */
static void
check_layout(hid_t file, const char *name, hid_t want_type, int rank,
             const hsize_t *chunk, int level)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t dcpl = d >= 0 ? H5Dget_create_plist(d) : H5I_INVALID_HID;
    hid_t type = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    hsize_t got[3] = {0, 0, 0};
    unsigned flags = 0, cd[4] = {0, 0, 0, 0};
    size_t ncd = 4;
    int first = 0;

    CHECK(d >= 0);
    if (d < 0)
        return;
    CHECK(H5Tequal(type, want_type) > 0);
    CHECK_EQ(H5Pget_chunk(dcpl, rank, got), rank);
    for (int i = 0; i < rank; i++)
        CHECK_EQ(got[i], chunk[i]);
    CHECK_EQ(H5Pget_nfilters(dcpl), level > 0 ? 2 : 1);
    if (level > 0) {
        CHECK_EQ(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL),
                 DCN_H5Z_FILTER_ZSTD);
        CHECK_EQ(flags & H5Z_FLAG_OPTIONAL, H5Z_FLAG_OPTIONAL);
        CHECK_EQ(ncd, 1);
        CHECK_EQ(cd[0], level);
        first = 1;
    }
    ncd = 4;
    CHECK_EQ(H5Pget_filter2(dcpl, (unsigned)first, &flags, &ncd, cd, 0, NULL,
                            NULL),
             H5Z_FILTER_FLETCHER32);
    H5Tclose(type);
    H5Pclose(dcpl);
    H5Dclose(d);
}

/* Class of a root attribute: 'S' vlen UTF-8, 'I' int64, 'F' float64. */
static char
attr_kind(hid_t file, const char *name)
{
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
    char kind = '?';

    if (t >= 0 && H5Sget_simple_extent_type(sp) == H5S_SCALAR) {
        if (H5Tequal(t, H5T_STD_I64LE) > 0)
            kind = 'I';
        else if (H5Tequal(t, H5T_IEEE_F64LE) > 0)
            kind = 'F';
        else if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 &&
                 H5Tget_cset(t) == H5T_CSET_UTF8)
            kind = 'S';
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return kind;
}

static void
check_attrs(hid_t file, uint64_t n)
{
    static const char *const strings[] = {
            "experiment:date",  "experiment:time",   "experiment:sample",
            "setup:identifier", "setup:chip region",
    };
    static const char *const ints[] = {
            "experiment:event count", "imaging:roi size x",
            "imaging:roi size y", "experiment:run index"};
    static const char *const floats[] = {
            "imaging:pixel size", "imaging:frame rate", "setup:channel width",
            "setup:flow rate"};

    for (size_t i = 0; i < 5; i++)
        CHECK_EQ(attr_kind(file, strings[i]), 'S');
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ(attr_kind(file, ints[i]), 'I');
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ(attr_kind(file, floats[i]), 'F');
    (void)n;
}

/* The stored image chunks are what hdf5plugin writes: one zstd frame with
 * its content size (the full, zero-padded chunk), then Fletcher32. */
static void
check_stored_chunks(hid_t file, size_t nchunks, size_t chunk_bytes)
{
    hid_t d = H5Dopen2(file, "/events/image", H5P_DEFAULT);
    uint8_t *buf = malloc(chunk_bytes + 64);
    bool ok = d >= 0 && buf != NULL;

    for (size_t c = 0; ok && c < nchunks; c++) {
        hsize_t off[3] = {c * 52, 0, 0};
        hsize_t size = 0;
        uint32_t mask = 1, sum;

        ok = H5Dget_chunk_storage_size(d, off, &size) >= 0 && size > 8 &&
             size <= chunk_bytes + 64 &&
             H5Dread_chunk(d, H5P_DEFAULT, off, &mask, buf) >= 0;
        if (!ok)
            break;
        sum = (uint32_t)buf[size - 4] | (uint32_t)buf[size - 3] << 8 |
              (uint32_t)buf[size - 2] << 16 | (uint32_t)buf[size - 1] << 24;
        CHECK_EQ(mask, 0);
        CHECK(memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0);
        CHECK_EQ(ZSTD_getFrameContentSize(buf, (size_t)size - 4), chunk_bytes);
        CHECK_EQ(sum, dcn__fletcher32(buf, (size_t)size - 4));
    }
    CHECK(ok);
    free(buf);
    if (d >= 0)
        H5Dclose(d);
}

/* The generator log: JSON lines with the seed and the generator name. */
static void
check_log(hid_t file, const char *want_seed)
{
    hid_t d = H5Dopen2(file, "/logs/synthetic-generator", H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    hid_t t = H5Tcopy(H5T_C_S1);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    char **lines = n > 0 ? calloc((size_t)n, sizeof(char *)) : NULL;
    bool seed = false, gen = false;

    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    CHECK(n > 20);
    if (lines != NULL &&
        H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, lines) >= 0) {
        CHECK_STR_EQ(lines[0], "{");
        CHECK_STR_EQ(lines[n - 1], "}");
        for (hssize_t i = 0; i < n; i++) {
            seed = seed || strcmp(lines[i], want_seed) == 0;
            gen = gen ||
                  strcmp(lines[i], " \"generator\": \"dcnumc synth\",") == 0;
        }
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, lines);
    }
    CHECK(seed);
    CHECK(gen);
    free(lines);
    H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
}

static void
test_layout_like_a_raw_recording(void)
{
    char path[128], none[128];
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;
    hsize_t ichunk[3] = {52, 80, 250};
    hsize_t schunk[1] = {1000};
    hsize_t nchunk[3] = {128, 64, 128};
    double v = 0.0;
    hid_t f;

    tmp_path(path, sizeof(path), "layout.rtdc");
    CHECK_EQ(write_file(path, 1, 70, 2), DCN_OK);
    dcn__zstd_filter_register();
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0)
        return;
    check_layout(f, "/events/image", H5T_STD_U8LE, 3, ichunk, 5);
    check_layout(f, "/events/frame", H5T_STD_U64LE, 1, schunk, 5);
    check_layout(f, "/events/time", H5T_IEEE_F64LE, 1, schunk, 5);
    check_attrs(f, 70);
    CHECK(H5Aexists_by_name(f, "/events/image", "CLASS", H5P_DEFAULT) > 0);
    CHECK(H5Lexists(f, "/logs/synthetic-generator", H5P_DEFAULT) > 0);
    check_stored_chunks(f, 2, (size_t)52 * NPIX);
    check_log(f, " \"seed\": 1,");
    H5Fclose(f);
    CHECK_EQ(td_attr_double(&v, path, "experiment:event count"), 0);
    CHECK_EQ(v, 70);
    CHECK_EQ(td_attr_double(&v, path, "imaging:pixel size"), 0);
    CHECK_DBL_IDENT(v, 0.34);
    CHECK_EQ(td_attr_double(&v, path, "imaging:frame rate"), 0);
    CHECK_DBL_IDENT(v, 2000.0);
    CHECK_EQ(td_attr_double(&v, path, "imaging:roi size x"), 0);
    CHECK_EQ(v, 250);

    /* --size 64x128, no compression: chunk 128 frames, Fletcher32 only. */
    dcn_synth_params_init(&p);
    p.frames = 33;
    p.height = 64;
    p.width = 128;
    p.compression = 0;
    tmp_path(none, sizeof(none), "none.rtdc");
    CHECK_EQ(dcn_synth_write(none, &p, &err), DCN_OK);
    f = H5Fopen(none, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
        check_layout(f, "/events/image", H5T_STD_U8LE, 3, nchunk, 0);
        H5Fclose(f);
    }
    {
        struct td_array img;

        CHECK_EQ(td_read(&img, none, "/events/image", TD_U8), 0);
        CHECK_EQ(img.rank, 3);
        CHECK_EQ(img.dims[0], 33);
        CHECK_EQ(img.dims[1], 64);
        CHECK_EQ(img.dims[2], 128);
        td_array_release(&img);
    }
}

static void
test_existing_output_and_failures(void)
{
    char path[128], tmp[200], bad[160];
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;
    FILE *fp;
    char buf[8] = {0};

    tmp_path(path, sizeof(path), "exists.rtdc");
    fp = fopen(path, "w");
    if (fp != NULL) {
        /* what reached the file is read back and checked below */
        (void)fputs("keep", fp);
        (void)fclose(fp);
    }
    dcn_synth_params_init(&p);
    p.frames = 20;
    CHECK_EQ(dcn_synth_write(path, &p, &err), DCN_EEXIST);
    CHECK(strstr(err.msg, path) != NULL);
    fp = fopen(path, "r");
    CHECK(fp != NULL && fread(buf, 1, 4, fp) == 4 &&
          memcmp(buf, "keep", 4) == 0);
    if (fp != NULL)
        (void)fclose(fp); /* read only: nothing to lose */
    tilde_path(tmp, sizeof(tmp), path);
    CHECK(access(tmp, F_OK) != 0);
    p.force = true;
    dcn_error_clear(&err);
    CHECK_EQ(dcn_synth_write(path, &p, &err), DCN_OK);
    CHECK(H5Fis_hdf5(path) > 0);
    CHECK(access(tmp, F_OK) != 0);

    /* A folder that does not exist: an error naming the file, no file. */
    tmp_path(bad, sizeof(bad), "missing/out.rtdc");
    dcn_error_clear(&err);
    CHECK_EQ(dcn_synth_write(bad, &p, &err), DCN_EIO);
    CHECK(strstr(err.msg, "missing/out.rtdc") != NULL);
    tilde_path(tmp, sizeof(tmp), bad);
    CHECK(access(bad, F_OK) != 0 && access(tmp, F_OK) != 0);

    /* Bad parameters are rejected before anything is created. */
    p.frames = 0;
    dcn_error_clear(&err);
    CHECK_EQ(dcn_synth_write(path, &p, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "frames") != NULL);
}

/* Every allocation failure is DCN_ENOMEM and leaves no file behind. */
static void
test_allocation_failures_leave_no_file(void)
{
    char path[128], tmp[200];
    struct dcn_synth_params p;
    int ok_at = 0;

    tmp_path(path, sizeof(path), "torture.rtdc");
    tilde_path(tmp, sizeof(tmp), path);
    dcn_synth_params_init(&p);
    p.frames = 60;
    p.threads = 2;
    for (int nth = 1; nth < 200 && ok_at == 0; nth++) {
        struct dcn_error err = DCN_ERROR_INIT;
        int rc;

        dcn__alloc_fail_nth(nth);
        rc = dcn_synth_write(path, &p, &err);
        dcn__alloc_fail_nth(0);
        if (rc == DCN_OK) {
            ok_at = nth;
            break;
        }
        CHECK_EQ(rc, DCN_ENOMEM);
        CHECK(access(path, F_OK) != 0);
        CHECK(access(tmp, F_OK) != 0);
    }
    CHECK(ok_at > 5);
    CHECK(access(tmp, F_OK) != 0);
    unlink(path);
}

static void
remove_tmpdir(void)
{
    static const char *const names[] = {
            "a.rtdc",    "b.rtdc",      "c.rtdc",     "gen.rtdc",
            "none.rtdc", "layout.rtdc", "exists.rtdc"};
    char path[128];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(tmp_path(path, sizeof(path), names[i]));
    rmdir(tmpdir);
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    test_params_are_checked();
    test_render_is_pure();
    test_golden_md5();
    test_realism_of_500_frames();
    test_same_seed_same_data_any_threads();
    test_file_holds_the_generated_frames();
    test_layout_like_a_raw_recording();
    test_existing_output_and_failures();
    test_allocation_failures_leave_no_file();
    remove_tmpdir();
    return check_report();
}
