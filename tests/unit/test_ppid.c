/* SPDX-License-Identifier: MIT */
/*
 * test_ppid.c - pipeline identifiers against the worked examples of
 * numerics.md §6 (abbreviations, value formatting, every row of §6.4),
 * decoding (§6.5), the redo decision (§6.6), the measurement and run
 * identifiers (format.md §1.9) and the job log JSON (format.md §3.6).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "dcnumc/job.h"
#include "job_json.h"
#include "ppid.h"

#define DEFAULT_BG  "sparsemed:k=200^s=1^t=0^f=0.8^o=1"
#define DEFAULT_SEG "thresh:t=-6:cle=1^f=1^clo=2"

static void
abbrevs_are(const char *const *names, size_t n, const char *const *want)
{
    size_t lens[8];
    dcn__unique_prefix(lens, names, n);
    for (size_t i = 0; i < n; i++) {
        char got[64];
        (void)snprintf(got, sizeof(got), "%.*s", (int)lens[i], names[i]);
        CHECK_STR_EQ(got, want[i]);
    }
}

static void
test_unique_prefix_examples_of_6_2(void)
{
    const char *m[] = {"clear_border", "fill_holes", "closing_disk"};
    const char *mw[] = {"cle", "f", "clo"};
    const char *c[] = {"camera", "campus"};
    const char *cw[] = {"came", "camp"};
    const char *o[] = {"cole", "coleman", "colemine"};
    const char *ow[] = {"cole", "colema", "colemi"};
    const char *a[] = {"an", "and", "anderson", "andersrum", "ant"};
    const char *aw[] = {"an", "and", "anderso", "andersr", "ant"};
    const char *s[] = {"kernel_size", "split_time", "thresh_cleansing",
                       "frac_cleansing", "offset_correction"};
    const char *sw[] = {"k", "s", "t", "f", "o"};
    const char *one[] = {"thresh"};
    const char *onew[] = {"t"};
    abbrevs_are(m, 3, mw);
    abbrevs_are(c, 2, cw);
    abbrevs_are(o, 3, ow);
    abbrevs_are(a, 5, aw);
    abbrevs_are(s, 5, sw);
    abbrevs_are(one, 1, onew);
}

static const char *
fmt_float(double x)
{
    static char buf[64];
    CHECK_EQ(dcn__ppid_float(buf, sizeof(buf), x), DCN_OK);
    return buf;
}

static const char *
repr(double x)
{
    static char buf[64];
    CHECK_EQ(dcn__repr_double(buf, sizeof(buf), x), DCN_OK);
    return buf;
}

static void
test_value_formatting_is_pythons(void)
{
    CHECK_STR_EQ(fmt_float(1.0), "1");
    CHECK_STR_EQ(fmt_float(-6.0), "-6");
    CHECK_STR_EQ(fmt_float(9.0), "9");
    CHECK_STR_EQ(fmt_float(-0.0), "0");
    CHECK_STR_EQ(fmt_float(0.8), "0.8");
    CHECK_STR_EQ(fmt_float(0.22), "0.22");
    CHECK_STR_EQ(fmt_float(1e-5), "1e-05");
    CHECK_STR_EQ(fmt_float(-6.5), "-6.5");
    CHECK_STR_EQ(fmt_float(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR_EQ(fmt_float(1.5e-7), "1.5e-07");
    CHECK_STR_EQ(fmt_float(0.0001), "0.0001");
    CHECK_STR_EQ(fmt_float(1e20), "100000000000000000000");
}

/* repr proper (the job log) */
static void
test_repr_is_pythons(void)
{
    CHECK_STR_EQ(repr(1.0), "1.0");
    CHECK_STR_EQ(repr(0.2645), "0.2645");
    CHECK_STR_EQ(repr(1e16), "1e+16");
    CHECK_STR_EQ(repr(1.5e16), "1.5e+16");
    CHECK_STR_EQ(repr(123456789012345.0), "123456789012345.0");
    CHECK_STR_EQ(repr(-0.0), "-0.0");
    CHECK_STR_EQ(repr(1e-300), "1e-300");
    CHECK_STR_EQ(repr(12.5), "12.5");
    CHECK_STR_EQ(repr(5e-324), "5e-324");
}

static const char *
pixel(double ps)
{
    static char buf[64];
    CHECK_EQ(dcn__ppid_pixel_size(buf, sizeof(buf), ps), DCN_OK);
    return buf;
}

static void
test_pixel_size_id_strips_zeros_keeps_dot(void)
{
    CHECK_STR_EQ(pixel(0.2645), "0.2645");
    CHECK_STR_EQ(pixel(0.3400000036), "0.34");
    CHECK_STR_EQ(pixel(1.0 / 3.0), "0.33333333");
    CHECK_STR_EQ(pixel(1.0), "1.");
    CHECK_STR_EQ(pixel(1e-9), "0.");
}

static void
test_pixel_size_rounds_to_8_decimals(void)
{
    CHECK_DBL_IDENT(dcn_pixel_size_round(0.26550000004), 0.2655);
    CHECK_DBL_IDENT(dcn_pixel_size_round(0.3400000036), 0.34);
}

static const char *
mapping(const struct dcn_index_mapping *m)
{
    static char buf[64];
    CHECK_EQ(dcn__ppid_mapping(buf, sizeof(buf), m), DCN_OK);
    return buf;
}

static void
test_mapping_ids_of_none_and_count(void)
{
    struct dcn_index_mapping m = {0};

    CHECK_STR_EQ(mapping(&m), "0");
    m.kind = DCN_MAPPING_COUNT;
    m.count = 10;
    CHECK_STR_EQ(mapping(&m), "10");
}

static void
test_mapping_ids_of_lists(void)
{
    uint32_t four[] = {3, 5, 6, 7};
    uint32_t ten[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct dcn_index_mapping m = {0};

    m.kind = DCN_MAPPING_LIST;
    m.indices = four;
    m.nindices = 4;
    CHECK_STR_EQ(mapping(&m), "h-6e582938");
    m.indices = ten;
    m.nindices = 10;
    CHECK_STR_EQ(mapping(&m), "h-81a4d87f");
}

static void
test_mapping_ids_of_slices(void)
{
    struct dcn_index_mapping m = {0};

    m.kind = DCN_MAPPING_SLICE;
    m.start = 2;
    m.stop = 5;
    m.has_start = m.has_stop = true;
    m.has_step = false;
    CHECK_STR_EQ(mapping(&m), "2-5-n");
    m.has_start = false;
    m.stop = 10;
    m.step = 2;
    m.has_step = true;
    CHECK_STR_EQ(mapping(&m), "n-10-2");
}

/* A job with input pixel size ps and the given option text, "k=v" items
 * prefixed by their group letter: b background, s segmenter, m mask,
 * f feature, g gate, d data, and "B<code>" for the background code. */
static void
job_make(struct dcn_job *job, double ps, const char *const *opts, size_t n)
{
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(job);
    for (size_t i = 0; i < n; i++) {
        const char *o = opts[i];
        int rc;
        switch (o[0]) {
        case 'B':
            rc = dcn_job_set_background(job, o + 1, &err);
            break;
        case 'b':
            rc = dcn_job_set_kw(job, DCN_KW_BACKGROUND, o + 1, &err);
            break;
        case 's':
            rc = dcn_job_set_kw(job, DCN_KW_SEGMENTER, o + 1, &err);
            break;
        case 'm':
            rc = dcn_job_set_kw(job, DCN_KW_MASK, o + 1, &err);
            break;
        case 'f':
            rc = dcn_job_set_kw(job, DCN_KW_FEATURE, o + 1, &err);
            break;
        case 'g':
            rc = dcn_job_set_kw(job, DCN_KW_GATE, o + 1, &err);
            break;
        default:
            rc = dcn_job_set_kw(job, DCN_KW_DATA, o + 1, &err);
            break;
        }
        if (!CHECK(rc == DCN_OK))
            (void)fprintf(stderr, "    option '%s': %s\n", o, err.msg);
    }
    dcn_job_resolve_pixel_size(job, ps);
}

struct row {
    double ps;
    const char *opts[6];
    size_t nopts;
    const char *part; /* expected component, "" to skip */
    const char *full; /* expected full PPID, NULL to skip */
    const char *hash; /* expected hash or its prefix, NULL to skip */
};

static const struct row rows[] = {
        {0.2645,
         {NULL},
         0,
         "",
         "13|hdf:p=0.2645^i=0|" DEFAULT_BG "|" DEFAULT_SEG
         "|legacy:b=1^h=1^v=1|norm:o=0^s=10",
         "a35bcc0252de9f083de5746cf547117d"},
        {0.2645,
         {"mclosing_disk=0"},
         1,
         "thresh:t=-6:cle=1^f=1^clo=0",
         NULL,
         "50fda96728a08f7e0f2a248fd1a6e8ae"},
        {0.2645,
         {"Brollmed"},
         1,
         "rollmed:k=100^b=10000",
         NULL,
         "094d7e28d376fa1826b09fd8fba710c1"},
        {0.2645,
         {"bkernel_size=150"},
         1,
         "sparsemed:k=150^s=1^t=0^f=0.8^o=1",
         NULL,
         "3902cff"},
        {0.2645,
         {"boffset_correction=False"},
         1,
         "sparsemed:k=200^s=1^t=0^f=0.8^o=0",
         NULL,
         NULL},
        {0.2645,
         {"bsplit_time=0.5", "bthresh_cleansing=1e-5", "bfrac_cleansing=1",
          "boffset_correction=False", "bkernel_size=150"},
         5,
         "sparsemed:k=150^s=0.5^t=1e-05^f=1^o=0",
         NULL,
         NULL},
        {0.2645,
         {"sthresh=-6.5", "mclear_border=False", "mclosing_disk=0"},
         3,
         "thresh:t=-6.5:cle=0^f=1^clo=0",
         NULL,
         NULL},
        {0.2645, {"sthresh=-3"}, 1, "thresh:t=-3:cle=1^f=1^clo=2", NULL, NULL},
        {0.2645, {"Bcopy"}, 1, "copy:", NULL, NULL},
        {0.2645, {"fharalick=False"}, 1, "legacy:b=1^h=0^v=1", NULL, NULL},
        {0.2645, {"gonline_gates=True"}, 1, "norm:o=1^s=10", NULL, NULL},
        {0.34,
         {NULL},
         0,
         "hdf:p=0.34^i=0",
         NULL,
         "a6f29c0442d8c03d07dc547c3616e15d"},
        {0.2645,
         {"mclosing_disk=0", "fharalick=False"},
         2,
         "",
         "13|hdf:p=0.2645^i=0|" DEFAULT_BG
         "|thresh:t=-6:cle=1^f=1^clo=0|legacy:b=1^h=0^v=1|norm:o=0^s=10",
         "2e3eaf21a52e948ffba14d8eeeace730"},
        {0.2645,
         {"Brollmed", "mclosing_disk=0", "fharalick=False"},
         3,
         "",
         NULL,
         "d7195389c2300b35bb2f4d3ffc795497"},
        {0.2645,
         {"Bcopy", "mclosing_disk=0", "fharalick=False"},
         3,
         "",
         NULL,
         "993ee871c17d5d19a26fac65c16b09da"},
        {0.2645,
         {"mclosing_disk=0", "fharalick=False", "dindex_mapping=2:5"},
         3,
         "hdf:p=0.2645^i=2-5-n",
         NULL,
         "cbdc5aaaa14351ca8fdb633ea63cc3c3"},
        {0.3400000036, {NULL}, 0, "hdf:p=0.34^i=0", NULL, NULL},
        {1.0, {NULL}, 0, "hdf:p=1.^i=0", NULL, NULL},
        {1e-9, {NULL}, 0, "hdf:p=0.^i=0", NULL, NULL},
        {0.34,
         {"dindex_mapping=3,5,6,7"},
         1,
         "hdf:p=0.34^i=h-6e582938",
         NULL,
         NULL},
        {0.34,
         {"dindex_mapping=[0,1,2,3,4,5,6,7,8,9]"},
         1,
         "hdf:p=0.34^i=h-81a4d87f",
         NULL,
         NULL},
        {0.34, {"dindex_mapping=:10:2"}, 1, "hdf:p=0.34^i=n-10-2", NULL, NULL},
        {0.34, {"dindex_mapping=7"}, 1, "hdf:p=0.34^i=7", NULL, NULL},
        {0.34, {"gsize_thresh_mask=23"}, 1, "norm:o=0^s=23", NULL, NULL},
        {0.34, {"gsize_thresh_mask=None"}, 1, "norm:o=0^s=10", NULL, NULL},
        /* dcnum: an explicit 0 is not None, so the id keeps it */
        {0.34, {"gsize_thresh_mask=0"}, 1, "norm:o=0^s=0", NULL, NULL},
};

static bool
has_part(const struct dcn_ppid *p, const char *part)
{
    return part[0] == '\0' || strcmp(p->dat, part) == 0 ||
           strcmp(p->bg, part) == 0 || strcmp(p->seg, part) == 0 ||
           strcmp(p->feat, part) == 0 || strcmp(p->gate, part) == 0;
}

/* The full PPID is full, unless full is NULL. */
static void
check_full_id(const struct dcn_ppid *p, const char *full)
{
    if (full != NULL)
        CHECK_STR_EQ(p->full, full);
}

/* Row i of the table of §6.4. */
static void
check_row(size_t i)
{
    const struct row *r = &rows[i];
    struct dcn_job job;
    struct dcn_ppid p;
    struct dcn_error err = DCN_ERROR_INIT;

    job_make(&job, r->ps, r->opts, r->nopts);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    if (!CHECK(has_part(&p, r->part)))
        (void)fprintf(stderr, "    row %zu: '%s' not in '%s'\n", i, r->part,
                      p.full);
    check_full_id(&p, r->full);
    if (r->hash != NULL &&
        !CHECK(strncmp(p.hash, r->hash, strlen(r->hash)) == 0))
        (void)fprintf(stderr, "    row %zu: hash %s, want %s\n", i, p.hash,
                      r->hash);
    dcn_job_release(&job);
}

static void
test_every_row_of_6_4(void)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_row(i);
}

static void
test_hash_test_vector(void)
{
    char h[33];
    const char *const ids[6] = {"7",
                                "hdf:p=0.34^i=0",
                                DEFAULT_BG,
                                "thresh:t=-3:cle=1^f=1^clo=2",
                                "legacy:b=1^h=0^v=1",
                                "norm:o=0^s=11"};
    dcn_pipeline_hash(h, ids);
    CHECK_STR_EQ(h, "4f3a850410b9801393ab5738afe69e9a");
}

/* The identifiers of the default job with index_mapping 2:5. */
static void
ppid_with_slice_mapping(struct dcn_ppid *p)
{
    const char *opts[] = {"dindex_mapping=2:5"};
    struct dcn_job job;

    job_make(&job, 0.2645, opts, 1);
    CHECK_EQ(dcn_job_get_ppid(p, &job, NULL), DCN_OK);
    dcn_job_release(&job);
}

static void
test_mapping_attribute(void)
{
    struct dcn_ppid p;

    ppid_with_slice_mapping(&p);
    CHECK_STR_EQ(p.mapping, "2-5-n");
}

static void
test_generation(void)
{
    struct dcn_ppid p;

    ppid_with_slice_mapping(&p);
    CHECK_STR_EQ(p.gen, "13");
}

static void
test_run_identifier_with_measurement_id(void)
{
    struct dcn_ppid p;
    char rid[DCN_MEASUREMENT_ID_MAX + 16];

    ppid_with_slice_mapping(&p);
    CHECK_EQ(dcn_run_identifier(rid, sizeof(rid), "abc", p.hash), DCN_OK);
    CHECK(strncmp(rid, "abc_dcn-", 8) == 0 && strlen(rid) == 15);
    CHECK_EQ(dcn_run_identifier(rid, 8, "x", "a35bcc0252"), DCN_ERANGE);
}

static void
test_run_identifier_without_measurement_id(void)
{
    char rid[DCN_MEASUREMENT_ID_MAX + 16];

    CHECK_EQ(dcn_run_identifier(rid, sizeof(rid), NULL,
                                "a35bcc0252de9f083de5746cf547117d"),
             DCN_OK);
    CHECK_STR_EQ(rid, "dcn-a35bcc0");
}

static void
test_run_identifier_with_empty_measurement_id(void)
{
    char rid[DCN_MEASUREMENT_ID_MAX + 16];

    CHECK_EQ(dcn_run_identifier(rid, sizeof(rid), "",
                                "a35bcc0252de9f083de5746cf547117d"),
             DCN_OK);
    CHECK_STR_EQ(rid, "dcn-a35bcc0");
}

static void
test_measurement_identifier_of_a_2022_file(void)
{
    char mid[DCN_MEASUREMENT_ID_MAX];

    CHECK_EQ(dcn_measurement_identifier(mid, NULL, "15:24:17", "2022-04-21",
                                        "RC-0115-mock-mock-mock-win-a92d"),
             1);
    CHECK_STR_EQ(mid, "d5a40aed-0b6c-0412-e87c-59789fdd28d0");
}

static void
test_measurement_identifier_of_a_2015_file(void)
{
    char mid[DCN_MEASUREMENT_ID_MAX];

    CHECK_EQ(dcn_measurement_identifier(mid, "", "16:11:38", "2015-05-27",
                                        "ZMDD-AcC-a8548d-ce00be"),
             1);
    CHECK_STR_EQ(mid, "12b4490f-6c58-13b1-bddd-5d8e2332b60b");
}

static void
test_measurement_identifier_given_or_missing(void)
{
    char mid[DCN_MEASUREMENT_ID_MAX];

    CHECK_EQ(dcn_measurement_identifier(mid, "run-7", "a", "b", "c"), 1);
    CHECK_STR_EQ(mid, "run-7");
    CHECK_EQ(dcn_measurement_identifier(mid, NULL, "a", "", "c"), 0);
    CHECK_EQ(dcn_measurement_identifier(mid, NULL, NULL, "b", "c"), 0);
}

/* Decoding id and encoding the job again gives id. */
static void
check_decode_round_trip(const char *id)
{
    struct dcn_job job;
    struct dcn_ppid p;
    struct dcn_error err = DCN_ERROR_INIT;

    dcn_job_init(&job);
    if (!CHECK(dcn_job_apply_ppid(&job, id, &err) == DCN_OK))
        (void)fprintf(stderr, "    %s\n", err.msg);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p.full, id);
    dcn_job_release(&job);
}

static void
test_decode_inverts_every_component(void)
{
    const char *ids[] = {
            "13|hdf:p=0.2645^i=2-5-n|sparsemed:k=150^s=0.5^t=1e-05^f=1^o=0|"
            "thresh:t=-6.5:cle=0^f=1^clo=0|legacy:b=1^h=0^v=1|norm:o=1^s=23",
            "13|hdf:p=0.34^i=0|rollmed:k=100^b=10000|" DEFAULT_SEG
            "|legacy:b=1^h=1^v=1|norm:o=0^s=10",
            "13|hdf:p=1.^i=7|copy:|" DEFAULT_SEG
            "|legacy:b=0^h=1^v=0|norm:o=0^s=10",
            "13|hdf:p=0.34^i=n-10-2|" DEFAULT_BG "|" DEFAULT_SEG
            "|legacy:b=1^h=1^v=1|norm:o=0^s=10",
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        check_decode_round_trip(ids[i]);
}

/* the example of §6.5, with a textual bool */
static void
test_decode_gate_with_textual_bool(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "norm:o=true^s=23", &err), DCN_OK);
    CHECK(job.online_gates);
    CHECK(!job.size_thresh_mask_none);
    CHECK_EQ(job.size_thresh_mask, 23);
    dcn_job_release(&job);
}

/* full key names and any order work as well */
static void
test_decode_full_key_names_in_any_order(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "rollmed:batch_size=50^k=10", &err),
             DCN_OK);
    CHECK_EQ(job.background_code, DCN_BACKGROUND_ROLLMED);
    CHECK_EQ(job.rollmed.kernel_size, 10);
    CHECK_EQ(job.rollmed.batch_size, 50);
    dcn_job_release(&job);
}

/* a shorter id keeps the defaults of the missing keys */
static void
test_decode_short_id_keeps_defaults(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "rollmed:batch_size=50^k=10", &err),
             DCN_OK);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "sparsemed:k=7", &err), DCN_OK);
    CHECK_EQ(job.sparsemed.kernel_size, 7);
    CHECK_DBL_IDENT(job.sparsemed.frac_cleansing, 0.8);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "legacy:b=no^h=0.0^v=2", &err),
             DCN_OK);
    CHECK(!job.brightness && !job.haralick && job.volume);
    dcn_job_release(&job);
}

static void
test_decode_errors(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "hdf:p=0.34^i=h-6e582938", &err),
             DCN_EINVAL);
    CHECK(strstr(err.msg, "cannot invert") != NULL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "norm:x=1", &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "unknown abbreviated key 'x'") != NULL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "bogus:a=1", &err), DCN_EINVAL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "torchuni:m=x.dcnm:cle=1", &err),
             DCN_EINVAL);
    CHECK(strstr(err.msg, "not supported by dcnumc") != NULL);
    dcn_error_clear(&err);
    /* a torch segmenter id decodes to its code, model file name and mask
     * kwargs, and encodes back to the same id */
    CHECK_EQ(dcn_job_apply_ppid_part(
                     &job,
                     "torchmpo:m=unet-dcnum-test_g1_910c2.dcnm:cle=1^f=1^clo=0",
                     &err),
             DCN_OK);
    CHECK_EQ(job.segmenter_code, DCN_SEGMENTER_TORCHMPO);
    CHECK_STR_EQ(job.model_file, "unet-dcnum-test_g1_910c2.dcnm");
    CHECK_EQ(job.closing_disk, 0);
    {
        struct dcn_ppid p;
        CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
        CHECK_STR_EQ(
                p.seg,
                "torchmpo:m=unet-dcnum-test_g1_910c2.dcnm:cle=1^f=1^clo=0");
    }
    CHECK_EQ(dcn_job_apply_ppid_part(&job, "thresh:t=-6:cle=1^f=1^clo=2", &err),
             DCN_OK);
    CHECK_EQ(job.segmenter_code, DCN_SEGMENTER_THRESH);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_job_apply_ppid(&job, "12|a|b|c|d|e", &err), DCN_EINVAL);
    dcn_job_release(&job);
}

static void
default_ids(struct dcn_job *job, struct dcn_ppid *p)
{
    job_make(job, 0.2645, NULL, 0);
    CHECK_EQ(dcn_job_get_ppid(p, job, NULL), DCN_OK);
}

static void
stored_hash(char h[33], const struct dcn_ppid_stored *st)
{
    const char *const ids[6] = {st->gen, st->dat,  st->bg,
                                st->seg, st->feat, st->gate};
    dcn_pipeline_hash(h, ids);
}

static void
test_redo_logic_of_6_6(void)
{
    struct dcn_job job;
    struct dcn_ppid p;
    struct dcn_redo r;
    default_ids(&job, &p);
    struct dcn_ppid_stored st = {p.gen,  p.dat,  p.bg, p.seg, p.feat,
                                 p.gate, p.hash, true, 275};

    /* a dcnum output of the same pipeline: nothing to redo */
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(!r.sanity && !r.background && !r.segmentation);
    /* no image_bg */
    dcn_ppid_redo(&r, &st, false, 275, &job, &p);
    CHECK(r.background && r.segmentation && !r.sanity);
    /* different yield */
    dcn_ppid_redo(&r, &st, true, 274, &job, &p);
    CHECK(r.sanity && !r.background && r.segmentation);
    /* absent yield (-1) */
    st.has_yield = false;
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(r.sanity && r.segmentation);
    st.has_yield = true;
    /* a stale hash */
    st.hash = "0";
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(r.sanity && !r.background && r.segmentation);
    st.hash = p.hash;
    /* another segmenter id (hash consistent with the stored ids) */
    char h[33];
    st.seg = "thresh:t=-6:cle=1^f=1^clo=0";
    stored_hash(h, &st);
    st.hash = h;
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(!r.sanity && !r.background && r.segmentation);
    /* another background id */
    st.seg = p.seg;
    st.bg = "rollmed:k=100^b=10000";
    stored_hash(h, &st);
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(r.background && r.segmentation);
    /* a raw input: nothing stored */
    struct dcn_ppid_stored none = {NULL, NULL, NULL,  NULL, NULL,
                                   NULL, NULL, false, 0};
    dcn_ppid_redo(&r, &none, true, 275, &job, &p);
    CHECK(r.sanity && r.background && r.segmentation);
    /* an index mapping always forces the redo */
    st.bg = p.bg;
    st.hash = p.hash;
    dcn_job_release(&job);
    const char *opts[] = {"dindex_mapping=275"};
    job_make(&job, 0.2645, opts, 1);
    dcn_ppid_redo(&r, &st, true, 275, &job, &p);
    CHECK(r.sanity && r.segmentation);
    dcn_job_release(&job);
}

static char *
log_text(const struct dcn_job *job, bool seg)
{
    struct dcn_ppid p;
    struct dcn__job_log_info info = {"out_dcn.rtdc", 4, true, seg};
    char *text = NULL;
    CHECK_EQ(dcn_job_get_ppid(&p, job, NULL), DCN_OK);
    CHECK_EQ(dcn__job_log_text(&text, job, &p, &info, NULL), DCN_OK);
    return text;
}

/* A rollmed job with index mapping, closing and gate options and a
 * non-ASCII input path. */
static void
rollmed_job(struct dcn_job *job)
{
    struct dcn_error err = DCN_ERROR_INIT;
    const char *opts[] = {"Brollmed", "bkernel_size=10", "dindex_mapping=2:5",
                          "mclosing_disk=0", "gsize_thresh_mask=None"};
    job_make(job, 0.2645, opts, 5);
    CHECK_EQ(dcn_job_set_path_in(job, "in/\xc3\xa4.rtdc", &err), DCN_OK);
}

static void
test_job_log_json_of_the_job(void)
{
    struct dcn_job job;
    char *t;

    rollmed_job(&job);
    t = log_text(&job, false);
    CHECK(t != NULL && t[0] == '{' && t[strlen(t) - 1] == '}');
    if (t == NULL)
        goto out;
    CHECK(strstr(t, "\n  \"job\": {\n    \"background_code\": \"rollmed\",\n"
                    "    \"background_kwargs\": {\n"
                    "      \"kernel_size\": 10\n    },\n"
                    "    \"basin_strategy\": \"drain\",\n"
                    "    \"compression\": \"zstd-5\",\n"
                    "    \"data_code\": \"hdf\",\n"
                    "    \"data_kwargs\": {\n"
                    "      \"index_mapping\": [\n"
                    "        \"PYTHON-SLICE\",\n        [\n"
                    "          2,\n          5,\n          null\n"
                    "        ]\n      ],\n"
                    "      \"pixel_size\": 0.2645\n    },\n"
                    "    \"debug\": false,\n") != NULL);
    CHECK(strstr(t, "\"feature_kwargs\": {},\n") != NULL);
    CHECK(strstr(t, "\"gate_kwargs\": {\n      \"size_thresh_mask\": null\n"
                    "    },\n") != NULL);
    CHECK(strstr(t, "\"path_in\": \"in/\\u00e4.rtdc\",\n") != NULL);
    CHECK(strstr(t, "\"num_procs\": 4,\n") != NULL);
    CHECK(strstr(t, "\"segmenter_kwargs\": {\n      \"kwargs_mask\": {\n"
                    "        \"closing_disk\": 0\n      }\n    }\n  },\n") !=
          NULL);
out:
    dcn__free(t);
    dcn_job_release(&job);
}

static void
test_job_log_json_identifiers_tasks_and_version(void)
{
    struct dcn_job job;
    char *t;

    rollmed_job(&job);
    t = log_text(&job, false);
    if (!CHECK(t != NULL))
        goto out;
    CHECK(strstr(t, "\"identifiers\": {\n      \"bg_id\": "
                    "\"rollmed:k=10^b=10000\",\n") != NULL);
    CHECK(strstr(t, "\"tasks\": {\n    \"background\": true,\n"
                    "    \"segmentation\": false\n  }\n}") != NULL);
    CHECK(strstr(t, "\"dcnumc version\": \"dcnumc ") != NULL);
    CHECK(strstr(t, "\"python\"") == NULL);
out:
    dcn__free(t);
    dcn_job_release(&job);
}

/* The job log of the rollmed job as lines; *n > 40 of them. */
static char **
rollmed_job_log_lines(size_t *n)
{
    struct dcn_job job;
    char **lines = NULL;
    struct dcn_ppid p;
    struct dcn__job_log_info info = {"x", 1, true, true};

    rollmed_job(&job);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, NULL), DCN_OK);
    CHECK_EQ(dcn__job_log_lines(&lines, n, &job, &p, &info, NULL), DCN_OK);
    CHECK(*n > 40);
    dcn_job_release(&job);
    return lines;
}

static void
test_job_log_lines_are_one_object(void)
{
    size_t n = 0;
    char **lines = rollmed_job_log_lines(&n);

    if (lines == NULL || n == 0)
        return;
    CHECK_STR_EQ(lines[0], "{");
    CHECK_STR_EQ(lines[n - 1], "}");
    dcn__job_log_lines_free(lines, n);
}

static void
test_job_log_lines_start_with_the_build(void)
{
    size_t n = 0;
    char **lines = rollmed_job_log_lines(&n);

    if (lines == NULL || n < 2)
        return;
    CHECK_STR_EQ(lines[1], "  \"dcnumc build\": {");
    dcn__job_log_lines_free(lines, n);
}

/* default job: empty kwargs objects, as dcnum's {} */
static void
test_job_log_json_of_the_default_job(void)
{
    struct dcn_job job;
    char *t;

    job_make(&job, 0.34, NULL, 0);
    t = log_text(&job, true);
    if (!CHECK(t != NULL))
        goto out;
    CHECK(strstr(t, "\"background_kwargs\": {},\n") != NULL);
    CHECK(strstr(t, "\"segmenter_kwargs\": {\n      \"kwargs_mask\": {}\n"
                    "    }\n") != NULL);
    CHECK(strstr(t, "\"data_kwargs\": {\n      \"pixel_size\": 0.34\n"
                    "    },\n") != NULL);
    CHECK(strstr(t, "\"path_in\": null,\n") != NULL);
out:
    dcn__free(t);
    dcn_job_release(&job);
}

static void
test_job_log_name(void)
{
    char name[64];
    CHECK_EQ(dcn__job_log_name(name, sizeof(name), (time_t)1700000000), DCN_OK);
    CHECK_STR_EQ(name, "dcnum-job-2023-11-14-22.13.20");
}

int
main(void)
{
    test_unique_prefix_examples_of_6_2();
    test_value_formatting_is_pythons();
    test_repr_is_pythons();
    test_pixel_size_id_strips_zeros_keeps_dot();
    test_pixel_size_rounds_to_8_decimals();
    test_mapping_ids_of_none_and_count();
    test_mapping_ids_of_lists();
    test_mapping_ids_of_slices();
    test_every_row_of_6_4();
    test_hash_test_vector();
    test_mapping_attribute();
    test_generation();
    test_run_identifier_with_measurement_id();
    test_run_identifier_without_measurement_id();
    test_run_identifier_with_empty_measurement_id();
    test_measurement_identifier_of_a_2022_file();
    test_measurement_identifier_of_a_2015_file();
    test_measurement_identifier_given_or_missing();
    test_decode_inverts_every_component();
    test_decode_gate_with_textual_bool();
    test_decode_full_key_names_in_any_order();
    test_decode_short_id_keeps_defaults();
    test_decode_errors();
    test_redo_logic_of_6_6();
    test_job_log_json_of_the_job();
    test_job_log_json_identifiers_tasks_and_version();
    test_job_log_lines_are_one_object();
    test_job_log_lines_start_with_the_build();
    test_job_log_json_of_the_default_job();
    test_job_log_name();
    return check_report();
}
