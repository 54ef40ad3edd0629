/* SPDX-License-Identifier: MIT */
/*
 * test_rtdc_read.c - the reader against dcnum's reference meta.json
 * ("input": frames, image shape, chunks, filters, md5 of the decoded
 * image, frame and time; "root_attrs"; "logs"), against HDF5 reads of the
 * same data (testdata.h), and on files with basins made at test time
 * (tap-mode file basins with a relative path, internal basins, D1, D6,
 * D15, index mappings).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "md5.h"
#include "rtdc_fixture.h"
#include "rtdc_json.h"
#include "rtdc_read.h"
#include "testdata.h"

static char tmpdir[256];

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n)
            n = 0;
        buf[n] = '\0';
        *len = (size_t)n;
    }
    (void)fclose(f); /* read only: nothing to lose */
    return buf;
}

/* The sample file dir + stem + suffix under the data folder into buf
 * (PATH_MAX bytes); a path that does not fit fails a check. */
static char *
stem_path(char *buf, const char *dir, const char *stem, const char *suffix)
{
    char rel[PATH_MAX];
    int n = snprintf(rel, sizeof rel, "%s%s%s", dir, stem, suffix);

    if (n < 0 || (size_t)n >= sizeof rel)
        CHECK(n >= 0 && (size_t)n < sizeof rel);
    return td_path(buf, rel);
}

/* Parse the object member key of obj (raw JSON object) into sub. */
static int
sub_object(struct dcn_json_object *sub, const struct dcn_json_object *obj,
           const char *key)
{
    const struct dcn_json_member *m = dcn_json_get(obj, key);

    if (m == NULL || m->kind != DCN_JSON_OTHER || m->str[0] != '{') {
        memset(sub, 0, sizeof *sub);
        return -1;
    }
    return dcn_json_parse(sub, m->str, strlen(m->str), NULL);
}

static const char *
jstr(const struct dcn_json_object *o, const char *key)
{
    const struct dcn_json_member *m = dcn_json_get(o, key);

    return m != NULL && (m->kind == DCN_JSON_STRING ||
                         m->kind == DCN_JSON_OTHER)
                   ? m->str
                   : NULL;
}

/* The fetch and decode buffers for slots of up to `slot` frames. */
struct slot_reader {
    struct dcn_rtdc_image *im;
    const struct dcn_image_layout *l;
    size_t frame_bytes; /* h * w */
    struct dcn_image_fetch f;
    void *scratch;
    size_t scap;
    uint8_t *dst; /* one slot of frames */
};

/* Buffers for im; with bounded false the staging and refs capacities stay
 * 0, which makes every fetch fall back to H5Dread. */
static void
slot_reader_init(struct slot_reader *s, struct dcn_rtdc_image *im,
                 uint64_t slot, bool bounded)
{
    size_t h;
    size_t w;

    memset(s, 0, sizeof *s);
    s->im = im;
    s->l = dcn_rtdc_image_layout(im);
    dcn_rtdc_image_shape(im, &h, &w);
    s->frame_bytes = h * w;
    if (bounded) {
        s->f.staging_cap = dcn_rtdc_image_fetch_bound(im, slot);
        s->f.refs_cap = dcn_rtdc_image_fetch_max_refs(im, slot);
    }
    s->f.staging = malloc(s->f.staging_cap + 1);
    s->f.refs = calloc(s->f.refs_cap + 1, sizeof *s->f.refs);
    s->f.rows = calloc(slot + 1, sizeof *s->f.rows);
    s->scap = dcn_rtdc_image_decode_scratch_size(s->l);
    s->scratch = malloc(s->scap + 1);
    s->dst = malloc(slot * s->frame_bytes + 1);
}

static void
slot_reader_release(struct slot_reader *s)
{
    free(s->dst);
    free(s->scratch);
    free(s->f.rows);
    free(s->f.refs);
    free(s->f.staging);
}

/* Fetch frames [a, b) into s->dst and decode them in two halves, as two
 * worker batches would; 1 if the fetch kept the raw chunks, else 0. */
static int
read_slot_in_halves(struct slot_reader *s, uint64_t a, uint64_t b,
                    bool fallback)
{
    struct dcn_error err = DCN_ERROR_INIT;
    uint64_t mid = a + (b - a) / 2;
    int rc;

    memset(s->dst, 0xee, (size_t)(b - a) * s->frame_bytes);
    rc = dcn_rtdc_image_fetch(s->im, a, b, &s->f, s->dst, &err);
    CHECK_EQ(rc, 0);
    CHECK_EQ(s->f.decoded, fallback || !s->l->raw);
    if (rc == 0) {
        CHECK_EQ(dcn_rtdc_image_decode(s->dst, a, mid, s->l, &s->f, s->scratch,
                                       s->scap, NULL, &err),
                 0);
        CHECK_EQ(dcn_rtdc_image_decode(s->dst + (mid - a) * s->frame_bytes, mid,
                                       b, s->l, &s->f, s->scratch, s->scap,
                                       NULL, &err),
                 0);
    }
    return !s->f.decoded;
}

/* md5 of frames [0, n) read in slots of the reader's chunk size, via
 * the raw-chunk path (fallback = false) or H5Dread (fallback = true). */
static void
image_md5(char hex[33], struct dcn_rtdc *r, const char *feature, bool fallback)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_image *im = NULL;
    struct dcn_md5 ctx;
    uint8_t digest[16];
    uint64_t n = dcn_rtdc_len(r);
    uint64_t slot = dcn_rtdc_image_chunk_size(r);
    struct slot_reader s;
    long raw_fetches = 0;

    hex[0] = '\0';
    dcn__md5_init(&ctx);
    if (!CHECK(dcn_rtdc_image_open(r, feature, &im, &err) == 0)) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    if (im == NULL)
        return;
    slot_reader_init(&s, im, slot, !fallback);
    for (uint64_t a = 0; a < n; a += slot) {
        uint64_t b = a + slot < n ? a + slot : n;

        raw_fetches += read_slot_in_halves(&s, a, b, fallback);
        dcn__md5_update(&ctx, s.dst, (size_t)(b - a) * s.frame_bytes);
    }
    if (!fallback && s.l->raw && n > 0)
        CHECK(raw_fetches > 0);
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(hex, digest);
    slot_reader_release(&s);
}

static void
scalar_md5(char hex[33], char dtype[8], struct dcn_rtdc *r, const char *name)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_dtype dt;
    uint64_t n = dcn_rtdc_len(r);
    void *buf;

    hex[0] = '\0';
    dtype[0] = '\0';
    if (!CHECK(dcn_rtdc_scalar_dtype(r, name, &dt, &err) == 0))
        return;
    /* "<f8" and the like: a scalar size has one digit, nothing is cut */
    (void)snprintf(dtype, 8, "<%c%zu",
                   dt.cls == DCN_DTYPE_FLOAT  ? 'f'
                   : dt.cls == DCN_DTYPE_UINT ? 'u'
                                              : 'i',
                   dt.size);
    buf = malloc(n * dt.size + 1);
    CHECK_EQ(dcn_rtdc_scalar_read_raw(r, name, 0, n, buf, &err), 0);
    dcn__md5_hex(hex, buf, n * dt.size);
    free(buf);
}

static void
check_filters(const struct dcn_json_object *input,
              const struct dcn_image_layout *l)
{
    struct dcn_json_object fo;
    char want[128] = "";
    char got[128];
    size_t used = 0;

    if (sub_object(&fo, input, "image_filters") != 0) {
        dcn_json_object_release(&fo);
        CHECK(0);
        return;
    }
    for (size_t i = 0; i < fo.n; i++) {
        const struct dcn_json_member *m = &fo.members[i];
        const char *sep = used > 0 ? "+" : "";

        if (strcmp(m->key, "32015") == 0)
            used += (size_t)snprintf(want + used, sizeof want - used,
                                     "%szstd(%s)", sep,
                                     m->nitems > 0 ? m->items[0] : "?");
        else if (strcmp(m->key, "fletcher32") == 0)
            used += (size_t)snprintf(want + used, sizeof want - used,
                                     "%sfletcher32", sep);
        else if (strcmp(m->key, "gzip") == 0)
            used += (size_t)snprintf(want + used, sizeof want - used,
                                     "%sdeflate(%s)", sep,
                                     m->str != NULL ? m->str : "?");
    }
    if (used == 0)
        memcpy(want, "none", sizeof "none");
    dcn_filter_pipeline_describe(got, sizeof got, &l->pipeline);
    CHECK_STR_EQ(got, want);
    dcn_json_object_release(&fo);
}

/* One root attribute of the output's root_attrs against the reader's. */
static void
check_root_attr(const struct dcn_attr *a, const struct dcn_json_member *m)
{
    if (m->kind == DCN_JSON_STRING) {
        CHECK_EQ(a->kind, DCN_ATTR_STRING);
        CHECK_STR_EQ(a->s, m->str);
    } else if (strcmp(m->str, "true") == 0 || strcmp(m->str, "false") == 0) {
        CHECK_EQ(a->kind, DCN_ATTR_BOOL);
        CHECK_EQ(a->i, strcmp(m->str, "true") == 0);
    } else {
        CHECK(a->kind == DCN_ATTR_INT || a->kind == DCN_ATTR_FLOAT);
        CHECK_DBL_IDENT(a->d, strtod(m->str, NULL));
    }
}

/* Compare the reader's attrs with the output's root_attrs. */
static void
check_root_attrs(struct dcn_rtdc *r, const struct dcn_json_object *meta)
{
    struct dcn_json_object ra;
    long compared = 0;

    if (!CHECK(sub_object(&ra, meta, "root_attrs") == 0)) {
        dcn_json_object_release(&ra);
        return;
    }
    for (size_t i = 0; i < ra.n; i++) {
        const struct dcn_json_member *m = &ra.members[i];
        const struct dcn_attr *a = dcn_rtdc_attr(r, m->key);

        if (strncmp(m->key, "pipeline:", 9) == 0 ||
            strcmp(m->key, "experiment:event count") == 0 ||
            strcmp(m->key, "experiment:run identifier") == 0)
            continue;
        if (strcmp(m->key, "imaging:pixel size") == 0) {
            CHECK_DBL_IDENT(dcn_rtdc_pixel_size(r), strtod(m->str, NULL));
            continue;
        }
        if (!CHECK(a != NULL)) {
            (void)fprintf(stderr, "    missing attr %s\n", m->key);
            continue;
        }
        check_root_attr(a, m);
        compared++;
    }
    CHECK(compared > 10);
    dcn_json_object_release(&ra);
}

/* Image shape, chunks, filters and the md5 of image, frame and time
 * against the reference's "input". */
static void
check_sample_image(struct dcn_rtdc *r, const struct dcn_json_object *input,
                   const char *stem)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_image *im = NULL;
    const struct dcn_json_member *shape = dcn_json_get(input, "image_shape");
    const struct dcn_json_member *chunks = dcn_json_get(input, "image_chunks");
    size_t h;
    size_t w;
    char hex[33];
    char hex2[33];
    char dt[8];

    CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
    dcn_rtdc_image_shape(im, &h, &w);
    CHECK(shape != NULL && shape->nitems == 2);
    CHECK_EQ(h, strtoull(shape->items[0], NULL, 10));
    CHECK_EQ(w, strtoull(shape->items[1], NULL, 10));
    CHECK(chunks != NULL && chunks->nitems == 3);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(dcn_rtdc_image_layout(im)->chunk[i],
                 strtoull(chunks->items[i], NULL, 10));
    check_filters(input, dcn_rtdc_image_layout(im));
    CHECK(dcn_rtdc_image_layout(im)->raw);
    image_md5(hex, r, "image", false);
    CHECK_STR_EQ(hex, jstr(input, "image_md5"));
    image_md5(hex2, r, "image", true);
    CHECK_STR_EQ(hex2, jstr(input, "image_md5"));
    scalar_md5(hex, dt, r, "frame");
    CHECK_STR_EQ(hex, jstr(input, "frame_md5"));
    CHECK_STR_EQ(dt, jstr(input, "frame_dtype"));
    if (jstr(input, "time_md5") != NULL) {
        scalar_md5(hex, dt, r, "time");
        CHECK_STR_EQ(hex, jstr(input, "time_md5"));
        CHECK_STR_EQ(dt, jstr(input, "time_dtype"));
    }
    (void)printf("%s: %llu frames %zux%zu, image md5 %s (raw and fallback)\n",
                 stem, (unsigned long long)dcn_rtdc_len(r), h, w, hex2);
}

/* Every input log is in the output's log list. */
static void
check_sample_logs(struct dcn_rtdc *r, const struct dcn_json_object *meta)
{
    const struct dcn_json_member *logs = dcn_json_get(meta, "logs");
    size_t nl;
    const struct dcn_log *lg = dcn_rtdc_logs(r, &nl);

    for (size_t i = 0; i < nl && logs != NULL; i++) {
        bool found = false;

        for (size_t k = 0; k < logs->nitems; k++)
            found |= strcmp(logs->items[k], lg[i].name) == 0;
        CHECK(found);
        CHECK(lg[i].nlines > 0);
    }
}

static void
check_sample(const char *stem)
{
    char p[PATH_MAX];
    char mp[PATH_MAX];
    char *text;
    size_t len = 0;
    struct dcn_json_object meta;
    struct dcn_json_object input;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    const char *frames;
    int rc;

    text = slurp(stem_path(mp, "reference/", stem, "/default/meta.json"), &len);
    if (!CHECK(text != NULL))
        return;
    CHECK_EQ(dcn_json_parse(&meta, text, len, NULL), 0);
    CHECK_EQ(sub_object(&input, &meta, "input"), 0);
    rc = dcn_rtdc_open(&r, stem_path(p, "inputs/", stem, ".rtdc"), NULL, &err);
    frames = jstr(&input, "frames");
    if (frames == NULL || strcmp(frames, "null") == 0) {
        /* no image (extended-moments): the missing events/image error */
        CHECK_EQ(rc, DCN_ENOTFOUND);
        CHECK(strstr(err.msg, "events/image") != NULL);
        CHECK(strstr(err.msg, p) != NULL);
        (void)printf("%s: %s\n", stem, err.msg);
        goto out;
    }
    if (!CHECK(rc == 0)) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        goto out;
    }
    CHECK_EQ(dcn_rtdc_len(r), strtoull(frames, NULL, 10));
    check_sample_image(r, &input, stem);
    if (dcn_rtdc_len(r) > 0)
        check_root_attrs(r, &meta);
    check_sample_logs(r, &meta);
out:
    dcn_rtdc_free(r);
    dcn_json_object_release(&input);
    dcn_json_object_release(&meta);
    free(text);
}

static const char *
attr_s(struct dcn_rtdc *r, const char *name)
{
    const struct dcn_attr *a = dcn_rtdc_attr(r, name);

    return a != NULL && a->kind == DCN_ATTR_STRING ? a->s : NULL;
}

/* Open the sample rel of the data folder; NULL (a failed check) if it
 * does not open. */
static struct dcn_rtdc *
open_sample(const char *rel)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;

    CHECK_EQ(dcn_rtdc_open(&r, td_path(p, rel), NULL, &err), 0);
    return r;
}

/* Attribute types and logs of format-listings.md part A. */
static void
listing_variable_length_logs(void)
{
    struct dcn_rtdc *r =
            open_sample("inputs/file_with_variable_length_logs.rtdc");
    const struct dcn_attr *a;
    const struct dcn_log *lg;
    size_t n;

    if (r == NULL)
        return;
    a = dcn_rtdc_attr(r, "setup:identifier");
    CHECK(a != NULL && a->kind == DCN_ATTR_STRING && a->str_fixed &&
          a->type_size == 22);
    CHECK_STR_EQ(attr_s(r, "setup:identifier"), "ZMDD-AcC-a8548d-ce00be");
    CHECK_STR_EQ(attr_s(r, "experiment:sample"), "20170527_01_L1210_untreated");
    a = dcn_rtdc_attr(r, "experiment:run index");
    CHECK(a != NULL && a->kind == DCN_ATTR_INT && a->type_size == 4 &&
          a->i == 1);
    a = dcn_rtdc_attr(r, "online_contour:no absdiff");
    CHECK(a != NULL && a->kind == DCN_ATTR_BOOL && a->type_size == 1 &&
          a->i == 1);
    CHECK_DBL_IDENT(dcn_rtdc_frame_rate(r), 2000.0);
    CHECK_DBL_IDENT(dcn_rtdc_pixel_size(r), 0.34);
    /* D2: decoded fixed-length string */
    CHECK_STR_EQ(dcn_rtdc_measurement_id(r),
                 "12b4490f-6c58-13b1-bddd-5d8e2332b60b");
    CHECK_EQ(dcn_rtdc_image_chunk_size(r), 20); /* 1000 capped at len */
    lg = dcn_rtdc_logs(r, &n);
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_STR_EQ(lg[0].name, "M1_camera.ini");
        CHECK_EQ(lg[0].nlines, 11);
        CHECK_STR_EQ(lg[0].lines[0], "[Framerate]");
        CHECK_STR_EQ(lg[0].lines[3], "Tap Mode = \"10x8 Bit\"");
        CHECK_STR_EQ(lg[0].lines[5], "");
        CHECK_STR_EQ(lg[0].lines[10], "height = 80");
        CHECK_STR_EQ(lg[1].name, "M1_para.ini");
        CHECK_EQ(lg[1].nlines, 18);
    }
    dcn_rtdc_free(r);
}

static void
listing_m001(void)
{
    struct dcn_rtdc *r = open_sample("inputs/M001_data.rtdc");
    const struct dcn_attr *a;
    const struct dcn_log *lg;
    size_t n;

    if (r == NULL)
        return;
    CHECK_EQ(dcn_rtdc_len(r), 0);
    a = dcn_rtdc_attr(r, "online_contour:bg empty");
    CHECK(a != NULL && a->kind == DCN_ATTR_BOOL && a->type_size == 4 &&
          a->i == 1);
    a = dcn_rtdc_attr(r, "online_filter:size_x soft limit");
    CHECK(a != NULL && a->kind == DCN_ATTR_BOOL && a->i == 0);
    lg = dcn_rtdc_logs(r, &n);
    CHECK_EQ(n, 1); /* shapein-warning is empty: skipped */
    if (n == 1) {
        CHECK_STR_EQ(lg[0].name, "shapein-acquisition");
        CHECK_EQ(lg[0].nlines, 1);
    }
    CHECK_DBL_IDENT(dcn_rtdc_pixel_size(r), 0.339);
    CHECK_EQ(dcn_rtdc_image_chunk_size(r), 1000);
    dcn_rtdc_free(r);
}

static void
listing_thresh_example(void)
{
    static const char *const names[] = {"cytoshot-acquisition",
                                        "cytoshot-postprocessing",
                                        "cytoshot-warning", "dclab-compress"};
    static const size_t lines[] = {79, 1, 13, 31};
    struct dcn_rtdc *r = open_sample("inputs/dcnum_thresh_example.rtdc");
    const struct dcn_log *lg;
    char *const *tables;
    size_t n;

    if (r == NULL)
        return;
    tables = dcn_rtdc_tables(r, &n);
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK_STR_EQ(tables[0], "cytoshot_monitor");
        CHECK_STR_EQ(tables[1], "cytoshot_monitor_normalized");
    }
    lg = dcn_rtdc_logs(r, &n);
    CHECK_EQ(n, 4);
    for (size_t i = 0; i < n && i < 4; i++) {
        CHECK_STR_EQ(lg[i].name, names[i]);
        CHECK_EQ(lg[i].nlines, lines[i]);
    }
    CHECK_STR_EQ(dcn_rtdc_measurement_id(r), "2024-rcs-example-data-ndio1287");
    CHECK_DBL_IDENT(dcn_rtdc_frame_rate(r), 3447.5290733962725);
    CHECK_EQ(dcn_rtdc_image_chunk_size(r), 13);
    dcn_rtdc_free(r);
}

/* cytoshot-test-data's id and frame rate; the slot sizes of two more. */
static void
listing_cytoshot_and_chunk_sizes(void)
{
    struct dcn_rtdc *r = open_sample("inputs/cytoshot-test-data.rtdc");

    if (r != NULL) {
        CHECK_STR_EQ(dcn_rtdc_measurement_id(r),
                     "d5a40aed-0b6c-0412-e87c-59789fdd28d0");
        CHECK_DBL_IDENT(dcn_rtdc_frame_rate(r), 0.0);
        dcn_rtdc_free(r);
    }
    r = open_sample("inputs/cytoshot-x5.rtdc");
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_image_chunk_size(r), 200); /* 992 capped */
        dcn_rtdc_free(r);
    }
    r = open_sample("inputs/synth-1000.rtdc");
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_image_chunk_size(r), 988); /* 19 * 52 */
        dcn_rtdc_free(r);
    }
}

static void
check_listing_values(void)
{
    listing_variable_length_logs();
    listing_m001();
    listing_thresh_example();
    listing_cytoshot_and_chunk_sizes();
}

/* The logs the reader finds in an input equal the copies in dcnum's
 * output (stored there as fixed-length strings). */
static void
check_logs_vs_output(const char *stem)
{
    char p[PATH_MAX];
    char q[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *in = NULL;
    struct dcn_rtdc *out = NULL;
    struct dcn_rtdc_open_opts o = {0};
    size_t nin;
    size_t nout;
    const struct dcn_log *li;
    const struct dcn_log *lo;
    long compared = 0;

    o.flags = DCN_RTDC_OPEN_NO_IMAGE;
    CHECK_EQ(dcn_rtdc_open(&in, stem_path(p, "inputs/", stem, ".rtdc"), NULL,
                           &err),
             0);
    CHECK_EQ(dcn_rtdc_open(&out,
                           stem_path(q, "reference/", stem,
                                     "/default/dcnum_output.rtdc"),
                           &o, &err),
             0);
    if (in == NULL || out == NULL)
        goto done;
    li = dcn_rtdc_logs(in, &nin);
    lo = dcn_rtdc_logs(out, &nout);
    for (size_t i = 0; i < nin; i++)
        for (size_t k = 0; k < nout; k++) {
            if (strcmp(li[i].name, lo[k].name) != 0)
                continue;
            CHECK_EQ(li[i].nlines, lo[k].nlines);
            for (size_t l = 0; l < li[i].nlines && l < lo[k].nlines; l++)
                CHECK_STR_EQ(li[i].lines[l], lo[k].lines[l]);
            compared++;
        }
    CHECK_EQ(compared, nin);
    /* the output's measurement id carries the input's (D2 aside) */
    if (strcmp(stem, "file_with_variable_length_logs") != 0) {
        const struct dcn_attr *rid =
                dcn_rtdc_attr(out, "experiment:run identifier");

        CHECK(rid != NULL && strncmp(rid->s, dcn_rtdc_measurement_id(in),
                                     strlen(dcn_rtdc_measurement_id(in))) == 0);
    }
done:
    dcn_rtdc_free(in);
    dcn_rtdc_free(out);
}

/* image_bg of dcnum's output through its internal basin + basinmap1. */
static void
check_internal_basin_bg(const char *stem)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct td_array bg;
    struct td_array map;
    struct dcn_rtdc_image *im = NULL;
    size_t h;
    size_t w;
    uint64_t n;
    uint8_t *got;
    size_t nb;
    const struct dcn_basin_desc *b;

    stem_path(p, "reference/", stem, "/default/dcnum_output.rtdc");
    CHECK_EQ(dcn_rtdc_open(&r, p, NULL, &err), 0);
    if (r == NULL) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    b = dcn_rtdc_basins(r, &nb);
    CHECK_EQ(nb, 1);
    CHECK(nb == 1 && b[0].usable && b[0].mapping != NULL &&
          strcmp(b[0].mapping, "basinmap1") == 0);
    CHECK_EQ(td_read(&bg, p, "/basin_events/image_bg", TD_U8), 0);
    CHECK_EQ(td_read(&map, p, "/events/basinmap1", TD_I64), 0);
    CHECK_EQ(dcn_rtdc_image_open(r, "image_bg", &im, &err), 0);
    n = dcn_rtdc_len(r);
    CHECK_EQ(n, map.count);
    dcn_rtdc_image_shape(im, &h, &w);
    CHECK(dcn_rtdc_image_layout(im)->mapped);
    got = malloc(n * h * w + 1);
    CHECK_EQ(dcn_rtdc_image_read(im, 0, n, got, &err), 0);
    for (uint64_t j = 0; j < n; j++) {
        int64_t k = ((int64_t *)map.data)[j];

        if (memcmp(got + j * h * w, (uint8_t *)bg.data + k * h * w, h * w) !=
            0) {
            CHECK(0);
            break;
        }
    }
    CHECK(1);
    free(got);
    td_array_release(&bg);
    td_array_release(&map);
    dcn_rtdc_free(r);
}

/* tmpdir/rel into buf (PATH_MAX bytes); a path that does not fit fails a
 * check and leaves buf empty. */
static void
tmp_path(char *buf, const char *rel)
{
    int n = snprintf(buf, PATH_MAX, "%s/%s", tmpdir, rel);

    if (n < 0 || n >= PATH_MAX) {
        CHECK(n >= 0 && n < PATH_MAX);
        buf[0] = '\0';
    }
}

/* The tap-mode output's events and their two basin mappings. */
enum {
    TAP_M = 77
};

struct tap_maps {
    uint32_t bm0[TAP_M]; /* into cytoshot-x5.rtdc, mostly non-decreasing */
    int64_t bm1[TAP_M];  /* into the 3 internal image_bg frames */
};

static void
tap_basins(hid_t f)
{
    fx_basin(f, "fc2d47a17edd222fbcf2fa0d156b02cc",
             "{\n  \"description\": \"Pipeline identifier: x\",\n"
             "  \"name\": \"background images\",\n"
             "  \"format\": \"h5dataset\",\n"
             "  \"paths\": [\n    \"basin_events\"\n  ],\n"
             "  \"type\": \"internal\",\n"
             "  \"features\": [\n    \"image_bg\"\n  ],\n"
             "  \"mapping\": \"basinmap1\"\n}");
    fx_basin(f, "1111",
             "{\n  \"description\": \"Created with dcnum 0.31.0\",\n"
             "  \"name\": \"dcnum basin\",\n  \"format\": \"hdf5\",\n"
             "  \"paths\": [\n    \"/path/to/inputs/cytoshot-x5.rtdc\",\n"
             "    \"../../../inputs/cytoshot-x5.rtdc\"\n  ],\n"
             "  \"type\": \"file\",\n"
             "  \"identifier\": \"d5a40aed-0b6c-0412-e87c-59789fdd28d0\",\n"
             "  \"features\": [\n    \"image\"\n  ],\n"
             "  \"mapping\": \"basinmap0\"\n}");
    fx_basin(f, "2222",
             "{\"name\": \"dcnum basin\", \"format\": \"hdf5\", "
             "\"paths\": [\"../../../inputs/cytoshot-x5.rtdc\"], "
             "\"type\": \"file\", \"identifier\": "
             "\"d5a40aed-0b6c-0412-e87c-59789fdd28d0\", "
             "\"features\": [\"frame\", \"bg_med\", \"nonexistent\"], "
             "\"mapping\": \"basinmap0\"}");
    fx_basin(f, "3333",
             "{\"name\": \"a remote one\", \"type\": \"remote\", "
             "\"urls\": [\"https://example.org/x.rtdc\"]}");
    fx_basin(f, "4444",
             "{\"name\": \"gone\", \"type\": \"file\", \"format\": \"hdf5\", "
             "\"paths\": [\"missing.rtdc\", \"/nonexistent/missing.rtdc\"], "
             "\"identifier\": null}");
}

/* tmp/a/b/c/out.rtdc (into out) with the mappings m, its image_bg
 * frames and its basins. */
static void
make_tap_file(char *out, struct tap_maps *m)
{
    hsize_t dims[1] = {TAP_M};
    hsize_t ch[1] = {TAP_M};
    hsize_t bch[3] = {32, 80, 400};
    hid_t f;

    tmp_path(out, "a");
    mkdir(out, 0700);
    tmp_path(out, "a/b");
    mkdir(out, 0700);
    tmp_path(out, "a/b/c");
    mkdir(out, 0700);
    tmp_path(out, "a/b/c/out.rtdc");
    for (int j = 0; j < TAP_M; j++) {
        m->bm0[j] = (uint32_t)(j * 2 + (j % 3 == 0)) % 200;
        m->bm1[j] = j % 3;
    }
    f = fx_create(out);
    fx_attr_i64(f, "experiment:event count", TAP_M);
    fx_attr_f64(f, "imaging:pixel size", 0.2645);
    fx_dataset(f, "/events/basinmap0", H5T_NATIVE_UINT32, H5T_STD_U32LE,
               (struct fx_shape){1, dims, ch}, m->bm0);
    fx_dataset(f, "/events/basinmap1", H5T_NATIVE_INT64, H5T_STD_I64LE,
               (struct fx_shape){1, dims, ch}, m->bm1);
    fx_images(f, "/basin_events/image_bg", (struct fx_frames){3, 80, 400}, bch,
              1, 9);
    tap_basins(f);
    H5Fclose(f);
}

/* True if frame j of got (80 x 400) holds the fixture's image_bg frame
 * bm1[idx[j]] (bm1[j] without idx) for j in [0, n), sampled every ystep
 * rows and xstep columns. */
static bool
bg_frames_ok(const uint8_t *got, const int64_t *bm1, const uint32_t *idx, int n,
             size_t ystep, size_t xstep)
{
    bool same = true;

    for (int j = 0; j < n; j++) {
        size_t k = (size_t)bm1[idx != NULL ? idx[j] : (uint32_t)j];

        for (size_t y = 0; y < 80; y += ystep)
            for (size_t x = 0; x < 400; x += xstep)
                same &= got[((size_t)j * 80 + y) * 400 + x] ==
                        fx_pixel(9, k, y, x);
    }
    return same;
}

/* image through the mapped file basin (raw and fallback, whole and a
 * sub-range) and frame through another, against the input itself. */
static void
check_tap_image_and_frame(struct dcn_rtdc *r, const struct tap_maps *m,
                          uint8_t *got, uint8_t *got2)
{
    enum {
        FB = 80 * 400
    };
    char input[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_image *im = NULL;
    struct dcn_image_fetch fz;
    struct td_array img;
    struct td_array frame;
    int64_t fr[TAP_M];
    bool same = true;

    td_path(input, "inputs/cytoshot-x5.rtdc");
    CHECK_EQ(td_read(&img, input, "/events/image", TD_U8), 0);
    CHECK_EQ(td_read(&frame, input, "/events/frame", TD_U64), 0);
    CHECK_EQ(dcn_rtdc_len(r), TAP_M);
    CHECK_EQ(dcn_rtdc_image_chunk_size(r), TAP_M); /* 1000: no own image */
    CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
    CHECK(dcn_rtdc_image_layout(im)->mapped);
    CHECK(dcn_rtdc_image_layout(im)->raw);
    CHECK_EQ(dcn_rtdc_image_read(im, 0, TAP_M, got, &err), 0);
    /* fallback path too */
    memset(&fz, 0, sizeof fz);
    CHECK_EQ(dcn_rtdc_image_fetch(im, 0, TAP_M, &fz, got2, &err), 0);
    CHECK(fz.decoded);
    CHECK(memcmp(got, got2, (size_t)TAP_M * FB) == 0);
    for (int j = 0; j < TAP_M; j++)
        same &= memcmp(got + (size_t)j * FB,
                       (uint8_t *)img.data + (size_t)m->bm0[j] * FB, FB) == 0;
    CHECK(same);
    CHECK_EQ(dcn_rtdc_scalar_read_i64(r, "frame", 0, TAP_M, fr, &err), 0);
    same = true;
    for (int j = 0; j < TAP_M; j++)
        same &= (uint64_t)fr[j] == ((uint64_t *)frame.data)[m->bm0[j]];
    CHECK(same);
    /* a sub-range starting in the middle */
    CHECK_EQ(dcn_rtdc_image_read(im, 10, 20, got2, &err), 0);
    CHECK(memcmp(got2, got + (size_t)10 * FB, (size_t)10 * FB) == 0);
    td_array_release(&img);
    td_array_release(&frame);
}

/* image_bg through the internal basin. */
static void
check_tap_image_bg(struct dcn_rtdc *r, const struct tap_maps *m, uint8_t *got)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_image *im = NULL;

    CHECK_EQ(dcn_rtdc_image_open(r, "image_bg", &im, &err), 0);
    if (im == NULL)
        (void)fprintf(stderr, "    %s\n", err.msg);
    CHECK_EQ(dcn_rtdc_image_read(im, 0, TAP_M, got, &err), 0);
    CHECK(bg_frames_ok(got, m->bm1, NULL, TAP_M, 13, 7));
}

/* D15 warnings: remote, not found, undeliverable feature; a feature of
 * the basin that is gone cannot be read. */
static void
check_tap_warnings(struct dcn_rtdc *r)
{
    struct dcn_error err = DCN_ERROR_INIT;
    size_t nw;
    char *const *w = dcn_rtdc_warnings(r, &nw);
    bool remote = false;
    bool gone = false;
    bool nofeat = false;
    int64_t x;

    for (size_t i = 0; i < nw; i++) {
        remote |= strstr(w[i], "remote") != NULL;
        gone |= strstr(w[i], "not found") != NULL &&
                strstr(w[i], "missing.rtdc") != NULL;
        nofeat |= strstr(w[i], "nonexistent") != NULL;
    }
    CHECK(remote && gone && nofeat);
    CHECK(!dcn_rtdc_has_feature(r, "nonexistent"));
    CHECK(dcn_rtdc_has_feature(r, "bg_med"));
    CHECK(!dcn_rtdc_has_feature(r, "basinmap0") || true); /* own events */
    CHECK_EQ(dcn_rtdc_scalar_read_i64(r, "deform", 0, 1, &x, &err),
             DCN_ENOTFOUND);
    CHECK(strstr(err.msg, "deform") != NULL);
    CHECK(strstr(err.msg, "missing.rtdc") != NULL);
}

/* D6: a file whose file basin points at out.rtdc for image_bg, which
 * out.rtdc holds only in its internal basin; D1: "same" mapping. */
static void
check_tap_d6(const struct tap_maps *m)
{
    char d6[PATH_MAX];
    uint32_t m2[10];
    hsize_t d2[1] = {10};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_open_opts o6 = {0};
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    uint8_t *got = malloc((size_t)10 * 80 * 400);
    int64_t bmv[10];
    hid_t f;

    for (int j = 0; j < 10; j++)
        m2[j] = (uint32_t)(70 - j * 7);
    tmp_path(d6, "a/b/d6.rtdc");
    f = fx_create(d6);
    fx_attr_i64(f, "experiment:event count", 10);
    fx_attr_f64(f, "imaging:pixel size", 0.2645);
    fx_dataset(f, "/events/basinmap0", H5T_NATIVE_UINT32, H5T_STD_U32LE,
               (struct fx_shape){1, d2, NULL}, m2);
    fx_basin(f, "aaaa",
             "{\"name\": \"x\", \"type\": \"file\", \"format\": "
             "\"hdf5\", \"paths\": [\"c/out.rtdc\"], \"features\": "
             "[\"image_bg\", \"image\"], \"mapping\": \"basinmap0\"}");
    fx_basin(f, "bbbb",
             "{\"name\": \"y\", \"type\": \"file\", \"format\": "
             "\"hdf5\", \"paths\": [\"c/out.rtdc\"], \"features\": "
             "[\"basinmap1\"], \"mapping\": \"same\"}");
    H5Fclose(f);
    o6.flags = DCN_RTDC_OPEN_NO_IMAGE;
    CHECK_EQ(dcn_rtdc_open(&r, d6, &o6, &err), 0);
    if (r != NULL)
        CHECK_EQ(dcn_rtdc_image_open(r, "image_bg", &im, &err), 0);
    if (im == NULL) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        goto out;
    }
    CHECK_EQ(dcn_rtdc_image_read(im, 0, 10, got, &err), 0);
    CHECK(bg_frames_ok(got, m->bm1, m2, 10, 11, 5));
    /* image: through out.rtdc's own file basin? No: nested file
     * basins are not followed; image is not deliverable. */
    CHECK(!dcn_rtdc_has_feature(r, "image"));
    /* D1: "same" = unmapped: basinmap1 is read 1:1 ... but
     * basinmap* names are never taken from basins */
    CHECK_EQ(dcn_rtdc_scalar_read_i64(r, "basinmap1", 0, 10, bmv, &err),
             DCN_ENOTFOUND);
out:
    dcn_rtdc_free(r);
    free(got);
}
/* A file d1 of n events with pixel size px and one basin. */
static void
make_basin_file(const char *d1, int64_t n, double px, const char *basin)
{
    hid_t f = fx_create(d1);

    fx_attr_i64(f, "experiment:event count", n);
    fx_attr_f64(f, "imaging:pixel size", px);
    fx_basin(f, "aaaa", basin);
    H5Fclose(f);
}

/* D1 with a real feature: "same" reads the basin's deform 1:1. */
static void
check_tap_d1_same(const char *d1)
{
    char input[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    double t[5];
    double want[5];
    struct td_array tm;

    make_basin_file(d1, 5, 0.2645,
                    "{\"name\": \"x\", \"type\": \"file\", \"format\": "
                    "\"hdf5\", \"paths\": [\"../../inputs/cytoshot-x5.rtdc\"], "
                    "\"mapping\": \"same\"}");
    CHECK_EQ(dcn_rtdc_open(&r, d1, NULL, &err), 0);
    if (r == NULL)
        return;
    CHECK_EQ(dcn_rtdc_scalar_read_f64(r, "deform", 0, 5, t, &err), 0);
    CHECK_EQ(td_read(&tm, td_path(input, "inputs/cytoshot-x5.rtdc"),
                     "/events/deform", TD_F64),
             0);
    memcpy(want, tm.data, sizeof want);
    for (int j = 0; j < 5; j++)
        CHECK_DBL_IDENT(t[j], want[j]);
    td_array_release(&tm);
    dcn_rtdc_free(r);
}

/* A basin whose identifier is not its file's is refused. */
static void
check_tap_identifier_mismatch(const char *d1)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;

    make_basin_file(d1, 5, 0.2645,
                    "{\"name\": \"x\", \"type\": \"file\", \"format\": "
                    "\"hdf5\", \"paths\": [\"../../inputs/cytoshot-x5.rtdc\"], "
                    "\"identifier\": \"not-the-one\"}");
    CHECK_EQ(dcn_rtdc_open(&r, d1, NULL, &err), DCN_EFORMAT);
    CHECK(strstr(err.msg, "identifier mismatch") != NULL);
    CHECK(strstr(err.msg, "cytoshot-x5.rtdc") != NULL);
}

/* dcnum's b'...' identifier of a fixed-length-string input (§1.9) is
 * accepted with a warning (variant 0), the D2 one silently (variant 1). */
static void
check_tap_identifier_variant(const char *d1, int variant)
{
    char json[512];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    size_t nw;
    char *const *w;
    bool warned = false;
    int n = snprintf(json, sizeof json,
                     "{\"name\": \"x\", \"type\": \"file\", \"format\": "
                     "\"hdf5\", \"paths\": "
                     "[\"../../inputs/file_with_variable_length_logs.rtdc\"], "
                     "\"identifier\": \"%s\", \"features\": [\"image\"]}",
                     variant == 0 ? "b26306f4-f46e-bd6a-95a1-dba4de02a794"
                                  : "12b4490f-6c58-13b1-bddd-5d8e2332b60b");

    if (n < 0 || (size_t)n >= sizeof json) {
        CHECK(n >= 0 && (size_t)n < sizeof json);
        return;
    }
    make_basin_file(d1, 20, 0.34, json);
    CHECK_EQ(dcn_rtdc_open(&r, d1, NULL, &err), 0);
    if (r == NULL) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    w = dcn_rtdc_warnings(r, &nw);
    for (size_t i = 0; i < nw; i++)
        warned |= strstr(w[i], "dcnum's variant") != NULL;
    CHECK_EQ(warned, variant == 0);
    dcn_rtdc_free(r);
}

/* The tap file's own events and basins. */
static void
check_tap_file(const char *out, const struct tap_maps *m)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    uint8_t *got;
    uint8_t *got2;

    CHECK_EQ(dcn_rtdc_open(&r, out, NULL, &err), 0);
    if (r == NULL) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    got = malloc((size_t)TAP_M * 80 * 400);
    got2 = malloc((size_t)TAP_M * 80 * 400);
    check_tap_image_and_frame(r, m, got, got2);
    check_tap_image_bg(r, m, got);
    free(got);
    free(got2);
    check_tap_warnings(r);
    dcn_rtdc_free(r);
}

static void
remove_tap_files(const char *out)
{
    char p[PATH_MAX];

    unlink(out);
    tmp_path(p, "a/b/d6.rtdc");
    unlink(p);
    tmp_path(p, "a/b/c");
    rmdir(p);
    tmp_path(p, "a/b");
    rmdir(p);
    tmp_path(p, "a");
    rmdir(p);
}

/*
 * A tap-mode output made at test time: tmp/a/b/c/out.rtdc with a file
 * basin to ../../../inputs/cytoshot-x5.rtdc (tmp/inputs is a link to the
 * data folder) mapped by basinmap0, and an internal image_bg basin mapped
 * by basinmap1 (format.md §2.9).
 */
static void
check_tap(void)
{
    char out[PATH_MAX];
    char link[PATH_MAX];
    char data_inputs[PATH_MAX];
    char d1[PATH_MAX];
    static struct tap_maps m;

    tmp_path(link, "inputs");
    CHECK_EQ(symlink(td_path(data_inputs, "inputs"), link), 0);
    make_tap_file(out, &m);
    check_tap_file(out, &m);
    check_tap_d6(&m);
    /* D1 with a real feature, and the identifier check */
    tmp_path(d1, "a/b/d1.rtdc");
    check_tap_d1_same(d1);
    check_tap_identifier_mismatch(d1);
    check_tap_identifier_variant(d1, 0);
    check_tap_identifier_variant(d1, 1);
    unlink(d1);
    remove_tap_files(out);
    unlink(link);
}

/* The five mappings of check_mapping; list is borrowed by maps[2]. */
static void
mapping_cases(struct dcn_index_mapping maps[5], uint32_t *list, size_t nlist)
{
    memset(maps, 0, 5 * sizeof *maps);
    maps[0].kind = DCN_MAPPING_COUNT;
    maps[0].count = 45;
    maps[1].kind = DCN_MAPPING_SLICE;
    maps[1].has_start = true;
    maps[1].start = 5;
    maps[1].has_step = true;
    maps[1].step = 3; /* open stop: D17 */
    maps[2].kind = DCN_MAPPING_LIST;
    maps[2].indices = list;
    maps[2].nindices = nlist;
    maps[3].kind = DCN_MAPPING_SLICE;
    maps[3].has_stop = true;
    maps[3].stop = 10; /* open start */
    maps[4].kind = DCN_MAPPING_SLICE;
    maps[4].has_start = true;
    maps[4].start = 190; /* open stop, open step */
}

/* Slot-wise fetch with the bound for slots of 4 frames: the same frames
 * as the whole read in got, every fetch raw. */
static void
check_slotwise_fetch(struct dcn_rtdc_image *im, const uint8_t *got, uint64_t n)
{
    enum {
        FB = 80 * 400
    };
    struct dcn_error err = DCN_ERROR_INIT;
    struct slot_reader s;
    long raw = 0;
    bool same = true;

    slot_reader_init(&s, im, 4, true);
    for (uint64_t a = 0; a < n; a += 4) {
        uint64_t b = a + 4 < n ? a + 4 : n;

        CHECK_EQ(dcn_rtdc_image_fetch(im, a, b, &s.f, s.dst, &err), 0);
        raw += !s.f.decoded;
        CHECK_EQ(dcn_rtdc_image_decode(s.dst, a, b, s.l, &s.f, s.scratch,
                                       s.scap, NULL, &err),
                 0);
        same &= memcmp(s.dst, got + a * FB, (b - a) * FB) == 0;
    }
    CHECK(same);
    CHECK_EQ(raw, (long)((n + 3) / 4));
    slot_reader_release(&s);
}

/* The input as seen through one mapping: image and deform of event j are
 * those of raw index j of the plain reads img and tm. */
static void
check_one_mapping(const char *p, const struct dcn_index_mapping *map,
                  uint64_t want_n, const struct td_array *img,
                  const struct td_array *tm)
{
    enum {
        FB = 80 * 400
    };
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_open_opts o = {0};
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    uint64_t n;
    uint8_t *got;
    double *t;
    bool same = true;

    o.mapping = *map;
    CHECK_EQ(dcn_rtdc_open(&r, p, &o, &err), 0);
    if (r == NULL)
        return;
    n = dcn_rtdc_len(r);
    CHECK_EQ(n, want_n);
    got = malloc(n * FB + 1);
    t = malloc(n * sizeof *t + 1);
    CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
    CHECK_EQ(dcn_rtdc_image_read(im, 0, n, got, &err), 0);
    CHECK_EQ(dcn_rtdc_scalar_read_f64(r, "deform", 0, n, t, &err), 0);
    for (uint64_t j = 0; j < n; j++) {
        uint64_t k = dcn_rtdc_raw_index(r, j);

        same &= memcmp(got + j * FB, (uint8_t *)img->data + k * FB, FB) == 0;
        same &= t[j] == ((double *)tm->data)[k];
    }
    CHECK(same);
    check_slotwise_fetch(im, got, n);
    free(got);
    free(t);
    dcn_rtdc_free(r);
}

/* Mappings out of range are refused; a user pixel size is rounded to 8
 * decimals. */
static void
check_mapping_refusals_and_pixel_size(const char *p)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_open_opts o = {0};
    struct dcn_rtdc *r = NULL;
    uint32_t bad[] = {1, 200};

    o.mapping.kind = DCN_MAPPING_LIST;
    o.mapping.indices = bad;
    o.mapping.nindices = 2;
    CHECK_EQ(dcn_rtdc_open(&r, p, &o, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "200") != NULL);
    o.mapping.kind = DCN_MAPPING_COUNT;
    o.mapping.count = 201;
    CHECK_EQ(dcn_rtdc_open(&r, p, &o, NULL), DCN_EINVAL);
    /* A huge step takes the first frame only (was: signed overflow). */
    memset(&o, 0, sizeof o);
    o.mapping.kind = DCN_MAPPING_SLICE;
    o.mapping.has_stop = true;
    o.mapping.stop = 10;
    o.mapping.has_step = true;
    o.mapping.step = INT64_MAX;
    CHECK_EQ(dcn_rtdc_open(&r, p, &o, &err), 0);
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_len(r), 1);
        CHECK_EQ(dcn_rtdc_raw_index(r, 0), 0);
    }
    dcn_rtdc_free(r);
    r = NULL;
    memset(&o, 0, sizeof o);
    o.pixel_size = 0.26550000004;
    CHECK_EQ(dcn_rtdc_open(&r, p, &o, &err), 0);
    if (r != NULL)
        CHECK_DBL_IDENT(dcn_rtdc_pixel_size(r), 0.2655);
    dcn_rtdc_free(r);
}

/* Index mappings (§1.7, D17) against plain reads of the input. */
static void
check_mapping(void)
{
    static const uint64_t want_n[] = {45, 65, 11, 10, 10};
    char p[PATH_MAX];
    struct td_array img;
    struct td_array tm;
    uint32_t list[] = {7, 3, 3, 150, 149, 0, 199, 31, 32, 33, 64};
    struct dcn_index_mapping maps[5];

    td_path(p, "inputs/cytoshot-x5.rtdc");
    CHECK_EQ(td_read(&img, p, "/events/image", TD_U8), 0);
    CHECK_EQ(td_read(&tm, p, "/events/deform", TD_F64), 0);
    mapping_cases(maps, list, sizeof list / sizeof *list);
    for (size_t m = 0; m < 5; m++)
        check_one_mapping(p, &maps[m], want_n[m], &img, &tm);
    check_mapping_refusals_and_pixel_size(p);
    td_array_release(&img);
    td_array_release(&tm);
}

static bool
pattern_ok(const uint8_t *got, size_t n, size_t h, size_t w, unsigned seed,
           size_t first)
{
    for (size_t k = 0; k < n; k++)
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                if (got[(k * h + y) * w + x] != fx_pixel(seed, first + k, y, x))
                    return false;
    return true;
}

/* The image stack of check_layouts: chunks split images, edge chunks are
 * partial. */
enum {
    LAYOUT_N = 17,
    LAYOUT_H = 20,
    LAYOUT_W = 30
};

struct layout_case {
    const char *tag;
    int filters; /* fx_images */
    int chunked;
    bool raw;
    const char *desc;
};

/* One layout written at test time, read whole and from frame 5. */
static void
check_layout_case(const struct layout_case *c, uint8_t *got)
{
    enum {
        N = LAYOUT_N,
        H = LAYOUT_H,
        W = LAYOUT_W
    };
    hsize_t ch[3] = {3, 7, 9};
    char p[PATH_MAX];
    char name[64];
    char d[64];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    hid_t f;

    /* the tags are short literals: the name always fits */
    (void)snprintf(name, sizeof name, "layout_%s.rtdc", c->tag);
    tmp_path(p, name);
    f = fx_create(p);
    fx_attr_i64(f, "experiment:event count", N);
    fx_attr_f64(f, "imaging:pixel size", 0.5);
    fx_images(f, "/events/image", (struct fx_frames){N, H, W},
              c->chunked ? ch : NULL, c->filters, 4);
    H5Fclose(f);
    CHECK_EQ(dcn_rtdc_open(&r, p, NULL, &err), 0);
    if (r == NULL) {
        (void)fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
    CHECK_EQ(dcn_rtdc_image_layout(im)->raw, c->raw);
    dcn_filter_pipeline_describe(d, sizeof d,
                                 &dcn_rtdc_image_layout(im)->pipeline);
    CHECK_STR_EQ(d, c->desc);
    CHECK_STR_EQ(dcn_rtdc_image_storage(im),
                 c->chunked ? "chunked" : "contiguous");
    CHECK_EQ(dcn_rtdc_image_chunk_size(r), N); /* 999 / 1000, capped */
    memset(got, 0, (size_t)N * H * W);
    CHECK_EQ(dcn_rtdc_image_read(im, 0, N, got, &err), 0);
    CHECK(pattern_ok(got, N, H, W, 4, 0));
    CHECK_EQ(dcn_rtdc_image_read(im, 5, 11, got, &err), 0);
    CHECK(pattern_ok(got, 6, H, W, 4, 5));
    dcn_rtdc_free(r);
    unlink(p);
}

/* vds: /events/image as a virtual dataset over src's contiguous one. */
static void
make_vds(const char *vds, const char *src)
{
    enum {
        N = LAYOUT_N,
        H = LAYOUT_H,
        W = LAYOUT_W
    };
    hsize_t dims[3] = {N, H, W};
    hid_t f = fx_create(src);
    hid_t space;
    hid_t dcpl;
    hid_t lcpl;
    hid_t d;

    fx_images(f, "/events/image", (struct fx_frames){N, H, W}, NULL, 0, 6);
    H5Fclose(f);
    f = fx_create(vds);
    fx_attr_i64(f, "experiment:event count", N);
    fx_attr_f64(f, "imaging:pixel size", 0.5);
    space = H5Screate_simple(3, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_virtual(dcpl, space, src, "/events/image", space);
    lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    d = H5Dcreate2(f, "/events/image", H5T_NATIVE_UINT8, space, lcpl, dcpl,
                   H5P_DEFAULT);
    CHECK(d >= 0);
    H5Dclose(d);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
}

/* A virtual dataset over a contiguous source file: the H5Dread path. */
static void
check_vds_layout(uint8_t *got)
{
    char src[PATH_MAX];
    char vds[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;

    tmp_path(src, "vds_src.h5");
    tmp_path(vds, "vds.rtdc");
    make_vds(vds, src);
    CHECK_EQ(dcn_rtdc_open(&r, vds, NULL, &err), 0);
    if (r != NULL) {
        CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
        CHECK(!dcn_rtdc_image_layout(im)->raw);
        CHECK_STR_EQ(dcn_rtdc_image_storage(im), "virtual");
        CHECK_EQ(dcn_rtdc_image_read(im, 0, LAYOUT_N, got, &err), 0);
        CHECK(pattern_ok(got, LAYOUT_N, LAYOUT_H, LAYOUT_W, 6, 0));
        dcn_rtdc_free(r);
    } else {
        (void)fprintf(stderr, "    %s\n", err.msg);
    }
    unlink(vds);
    unlink(src);
}

/* Image layouts: raw decode for chunked zstd / deflate / unfiltered,
 * H5Dread fallback for shuffle, contiguous and virtual datasets. */
static void
check_layouts(void)
{
    static const struct layout_case cases[] = {
            {"zstd", 1, 1, true, "zstd(5)+fletcher32"},
            {"deflate", 2, 1, true, "fletcher32+deflate(4)"},
            {"plain", 0, 1, true, "none"},
            {"shuffle", 3, 1, false, "shuffle+deflate(2)"},
            {"contiguous", 0, 0, false, "none"},
    };
    uint8_t *got = malloc((size_t)LAYOUT_N * LAYOUT_H * LAYOUT_W);

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_layout_case(&cases[i], got);
    check_vds_layout(got);
    free(got);
}

struct decode_job {
    uint8_t *dst;
    uint64_t a, b;
    const struct dcn_image_layout *l;
    const struct dcn_image_fetch *f;
    int rc;
};

static void *
decode_thread(void *arg)
{
    struct decode_job *j = arg;
    size_t scap = dcn_rtdc_image_decode_scratch_size(j->l);
    void *scratch = malloc(scap);
    struct dcn_error err = DCN_ERROR_INIT;

    j->rc = dcn_rtdc_image_decode(j->dst, j->a, j->b, j->l, j->f, scratch, scap,
                                  NULL, &err);
    free(scratch);
    return NULL;
}

/* Four worker threads decode one fetched slot (synth-1000, 988 frames)
 * in parallel, each with its own scratch: same bytes as the reference. */
static void
check_parallel_decode(void)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    struct dcn_image_fetch f;
    struct td_array img;
    uint64_t slot;
    uint8_t *dst;
    pthread_t th[4];
    struct decode_job jobs[4];
    size_t fb = (size_t)80 * 250;

    td_path(p, "inputs/synth-1000.rtdc");
    CHECK_EQ(dcn_rtdc_open(&r, p, NULL, &err), 0);
    if (r == NULL)
        return;
    CHECK_EQ(td_read(&img, p, "/events/image", TD_U8), 0);
    CHECK_EQ(dcn_rtdc_image_open(r, "image", &im, &err), 0);
    slot = dcn_rtdc_image_chunk_size(r);
    CHECK_EQ(slot, 988);
    memset(&f, 0, sizeof f);
    f.staging_cap = dcn_rtdc_image_fetch_bound(im, slot);
    f.refs_cap = dcn_rtdc_image_fetch_max_refs(im, slot);
    f.staging = malloc(f.staging_cap);
    f.refs = calloc(f.refs_cap, sizeof *f.refs);
    dst = malloc(slot * fb);
    CHECK_EQ(dcn_rtdc_image_fetch(im, 0, slot, &f, dst, &err), 0);
    CHECK(!f.decoded);
    CHECK_EQ(f.nrefs, 19);
    for (int t = 0; t < 4; t++) {
        jobs[t].a = (uint64_t)t * 247;
        jobs[t].b = jobs[t].a + 247;
        jobs[t].dst = dst + jobs[t].a * fb;
        jobs[t].l = dcn_rtdc_image_layout(im);
        jobs[t].f = &f;
        pthread_create(&th[t], NULL, decode_thread, &jobs[t]);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ(jobs[t].rc, 0);
    }
    CHECK(memcmp(dst, img.data, slot * fb) == 0);
    free(dst);
    free(f.staging);
    free(f.refs);
    td_array_release(&img);
    dcn_rtdc_free(r);
}

int
main(void)
{
    static const char *const stems[] = {
            "M001_data",
            "cytoshot-test-data",
            "cytoshot-test-data-legacy_dce",
            "cytoshot-x5",
            "dcnum_thresh_example",
            "file_with_variable_length_logs",
            "fmt-hdf5_cytoshot_extended-moments-features",
            "synth-1000",
    };
    static const char *const with_output[] = {
            "cytoshot-test-data",
            "cytoshot-test-data-legacy_dce",
            "dcnum_thresh_example",
            "file_with_variable_length_logs",
    };
    char tmpl[] = "/tmp/dcn_rtdc_read_XXXXXX";

    for (size_t i = 0; i < sizeof stems / sizeof *stems; i++)
        check_sample(stems[i]);
    check_listing_values();
    for (size_t i = 0; i < sizeof with_output / sizeof *with_output; i++) {
        check_logs_vs_output(with_output[i]);
        check_internal_basin_bg(with_output[i]);
    }
    _Static_assert(sizeof tmpl <= sizeof tmpdir, "tmpdir holds tmpl");
    if (CHECK(mkdtemp(tmpl) != NULL)) {
        memcpy(tmpdir, tmpl, sizeof tmpl);
        check_tap();
        check_layouts();
        rmdir(tmpdir);
    }
    check_mapping();
    check_parallel_decode();
    return check_report();
}
