/* SPDX-License-Identifier: MIT */
/*
 * test_features_frames.c - whole frames through dcn_features_extract_frame()
 * for the two references whose dcnum_output.rtdc is not in the shared
 * data (cytoshot-x5/tap, synth-1000/tap).
 *
 * The labels are rebuilt by a small test-only segmentation (thresh
 * -6 with bg_off, clear_border, the fill_holes variant, opening with
 * disk(2), 8-connected labeling; numerics.md §3.1-§3.3) from the input
 * images and dcnum's own background (reference/<stem>/default/bg.h5; the
 * tap and default runs share one pipeline hash).  That segmentation is
 * not under test: every resulting event's mask must have the md5 and
 * pixel count of dcnum's masks.csv, which proves the inputs are dcnum's.
 * What is under test: per frame, the number of events, their order (label
 * order after size gate and invalid-event removal) and all 48 features
 * against features.csv under the tolerance contract.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "features_seg_oracle.h"
#include "features_testutil.h"
#include "md5.h"
#include "testdata.h"

/* ---- the test ---------------------------------------------------------- */

static void
mask_md5(char hex[33], const uint16_t *labels, uint16_t id, size_t n,
         uint8_t *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = labels[i] == id;
    dcn__md5_hex(hex, buf, n);
}

/* One reference run: which output, and how it was made. */
struct frames_case {
    const char *stem;
    const char *variant;
    int closing_disk;
    unsigned flags;
};

/* Everything one case reads, computes and counts. */
struct frames_run {
    const struct frames_case *fc;
    /* inputs and dcnum's outputs */
    struct td_array image, bgimg, bgidx, bgoff;
    struct td_csv csv, mcsv;
    double ps;
    size_t nframes, w, h, fs;
    /* the segmentation and extraction */
    struct seg s;
    struct dcn_features_scratch *scratch;
    struct dcn_features_config cfg;
    struct dcn_event events[16];
    uint16_t *labels;
    uint8_t *buf;
    /* csv columns: features (-1 if not in the output) and the others */
    int col[DCN_FEAT_COUNT];
    int c_bm0, c_nev, c_md5, c_sum;
    /* the tally */
    size_t nbad[DCN_FEAT_COUNT];
    double worst[DCN_FEAT_COUNT];
    size_t row, mask_ok, frames_ok, events_ok, dropped, ncols;
};

/* td_reference_path() and td_input_path() of a case. */
static int
reference_path(char path[PATH_MAX], const struct frames_case *fc,
               const char *variant, const char *file)
{
    return td_reference_path(path, fc->stem, variant, file);
}

static int
input_path(char path[PATH_MAX], const struct frames_case *fc)
{
    return td_input_path(path, fc->stem);
}

/* pixel size as dcnum's HDF5Data stores it: %.8f, back to double */
static int
read_rounded_ps(double *ps, const char *file)
{
    char buf[64];
    int len;

    if (td_attr_double(ps, file, "imaging:pixel size") != 0)
        return -1;
    len = snprintf(buf, sizeof(buf), "%.8f", *ps);
    if (len < 0 || (size_t)len >= sizeof(buf))
        return -1;
    *ps = strtod(buf, NULL);
    return 0;
}

/* The input images, dcnum's background and pixel size. */
static void
read_inputs(struct frames_run *r)
{
    char inp[PATH_MAX], bgp[PATH_MAX];

    CHECK(input_path(inp, r->fc) == 0);
    CHECK(reference_path(bgp, r->fc, "default", "bg.h5") == 0);
    CHECK_EQ(td_read(&r->image, inp, "/events/image", TD_U8), 0);
    CHECK_EQ(td_read(&r->bgimg, bgp, "/image_bg", TD_U8), 0);
    CHECK_EQ(td_read(&r->bgidx, bgp, "/bg_index", TD_I64), 0);
    CHECK_EQ(td_read(&r->bgoff, bgp, "/bg_off", TD_F64), 0);
    CHECK_EQ(read_rounded_ps(&r->ps, inp), 0);
}

/* dcnum's features.csv and masks.csv. */
static void
read_references(struct frames_run *r)
{
    char csvp[PATH_MAX], mcsvp[PATH_MAX];

    CHECK(reference_path(csvp, r->fc, r->fc->variant, "features.csv") == 0);
    CHECK(reference_path(mcsvp, r->fc, r->fc->variant, "masks.csv") == 0);
    CHECK_EQ(td_csv_load(&r->csv, csvp), 0);
    CHECK_EQ(td_csv_load(&r->mcsv, mcsvp), 0);
}

/* The csv columns; a feature is in the output exactly when it is
 * computed. */
static void
find_columns(struct frames_run *r)
{
    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        r->col[f] = td_csv_col(&r->csv, dcn_feature_name((enum dcn_feature)f));
        CHECK_EQ(r->col[f] >= 0,
                 dcn_feature_enabled((enum dcn_feature)f, r->fc->flags));
        r->ncols += r->col[f] >= 0;
    }
    r->c_bm0 = td_csv_col(&r->csv, "basinmap0");
    r->c_nev = td_csv_col(&r->csv, "nevents");
    r->c_md5 = td_csv_col(&r->mcsv, "mask_md5");
    r->c_sum = td_csv_col(&r->mcsv, "mask_sum");
    CHECK(r->c_bm0 >= 0 && r->c_nev >= 0 && r->c_md5 >= 0 && r->c_sum >= 0);
}

/* Segmentation, scratch and gate for frames of the input's size. */
static void
set_up_extraction(struct frames_run *r)
{
    struct dcn_gate_options gopt = {0};

    r->nframes = r->image.dims[0];
    r->h = r->image.dims[1];
    r->w = r->image.dims[2];
    r->fs = r->w * r->h;
    CHECK_EQ(seg_init(&r->s, r->w, r->h), 0);
    r->labels = calloc(r->fs, sizeof(*r->labels));
    r->buf = malloc(r->fs);
    CHECK_EQ(dcn_features_scratch_new(&r->scratch, r->w, r->h), DCN_OK);
    memset(&r->cfg, 0, sizeof(r->cfg));
    r->cfg.flags = r->fc->flags;
    r->cfg.pixel_size = r->ps;
    gopt.pixel_size = r->ps;
    CHECK_EQ(dcn_gate_init(&r->cfg.gate, &gopt, r->cfg.flags, NULL), DCN_OK);
}

/* Is event k of the frame's mask dcnum's mask of csv row e? */
static int
mask_is_dcnums(const struct frames_run *r, size_t k, size_t e)
{
    char hex[33];

    mask_md5(hex, r->labels, r->events[k].label, r->fs, r->buf);
    return strcmp(hex, td_csv_text(&r->mcsv, e, r->c_md5)) == 0 &&
           (double)r->events[k].npix == td_csv_get(&r->mcsv, e, r->c_sum);
}

/* Compare every feature of event k with csv row e; 1 if all within the
 * contract. */
static int
event_features_ok(struct frames_run *r, size_t k, size_t e)
{
    int ok = 1;

    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        double got = r->events[k].feat[f], dev;
        double want;

        if (r->col[f] < 0)
            continue;
        want = td_csv_get(&r->csv, e, r->col[f]);
        if (!ft_within((enum dcn_feature)f, got, want, &dev)) {
            (void)fprintf(stderr, "  event %zu %s: %.17g, dcnum %.17g\n", e,
                          dcn_feature_name((enum dcn_feature)f), got, want);
            r->nbad[f]++;
            ok = 0;
        }
        if (dev > r->worst[f])
            r->worst[f] = dev;
    }
    return ok;
}

/* The number of dcnum's events of frame fr, from csv row r->row on. */
static size_t
dcnum_events_of_frame(const struct frames_run *r, size_t fr)
{
    size_t want = 0;

    while (r->row + want < r->csv.nrows &&
           (size_t)td_csv_get(&r->csv, r->row + want, r->c_bm0) == fr)
        want++;
    return want;
}

/* Segment and extract frame fr into r->events; returns the event count. */
static size_t
extract_frame(struct frames_run *r, size_t fr)
{
    const uint8_t *img = (const uint8_t *)r->image.data + fr * r->fs;
    const uint8_t *bg = (const uint8_t *)r->bgimg.data +
                        (size_t)((int64_t *)r->bgidx.data)[fr] * r->fs;
    double off = ((double *)r->bgoff.data)[fr];
    struct dcn_event_table table = {r->events, 16, 0};
    struct dcn_frame_input in = {0};
    struct dcn_frame_stats st;

    segment(&r->s, img, bg, off, r->fc->closing_disk, r->labels);
    in.image = img;
    in.image_bg = bg;
    in.labels = r->labels;
    in.width = r->w;
    in.height = r->h;
    in.has_bg_off = true;
    in.bg_off = off;
    CHECK_EQ(dcn_features_extract_frame(&table, &st, &in, &r->cfg, r->scratch),
             DCN_OK);
    r->dropped += st.masks_dropped;
    return table.count;
}

/* Frame fr against dcnum's events of it; 1 if all of it matches. */
static int
check_frame(struct frames_run *r, size_t fr)
{
    size_t nev = extract_frame(r, fr);
    size_t want = dcnum_events_of_frame(r, fr);
    int ok = 1;

    if (nev != want) {
        (void)fprintf(stderr, "%s/%s frame %zu: %zu events, dcnum %zu\n",
                      r->fc->stem, r->fc->variant, fr, nev, want);
        CHECK_EQ(nev, want);
        ok = 0;
    }
    for (size_t k = 0; k < nev && k < want; k++) {
        size_t e = r->row + k;

        if (mask_is_dcnums(r, k, e))
            r->mask_ok++;
        else
            ok = 0;
        CHECK_EQ((size_t)td_csv_get(&r->csv, e, r->c_nev), nev);
        r->events_ok += event_features_ok(r, k, e);
    }
    r->row += want;
    return ok;
}

static void
check_frames(struct frames_run *r)
{
    for (size_t fr = 0; fr < r->nframes; fr++) {
        const uint8_t *img = (const uint8_t *)r->image.data + fr * r->fs;

        /* duplicate frames yield nothing (numerics.md §5.1, caller's job) */
        if (fr > 0 && memcmp(img, img - r->fs, r->fs) == 0)
            continue;
        r->frames_ok += check_frame(r, fr);
    }
    CHECK_EQ(r->row, r->csv.nrows);
    CHECK_EQ(r->mask_ok, r->csv.nrows);
}

/* Per feature: no event out of the contract; returns the features that
 * are all within. */
static size_t
check_feature_tally(const struct frames_run *r)
{
    size_t feats_ok = 0;

    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        if (r->col[f] < 0)
            continue;
        if (r->nbad[f] == 0)
            feats_ok++;
        else
            (void)fprintf(stderr,
                          "%s/%s: %-16s %zu events out of contract; worst %g\n",
                          r->fc->stem, r->fc->variant,
                          dcn_feature_name((enum dcn_feature)f), r->nbad[f],
                          r->worst[f]);
        CHECK_EQ(r->nbad[f], 0);
    }
    return feats_ok;
}

static void
print_summary(const struct frames_run *r, size_t feats_ok)
{
    double wt = 0;

    for (int f = DCN_FEAT_FIRST_TEXTURE; f < DCN_FEAT_COUNT; f++)
        wt = r->worst[f] > wt ? r->worst[f] : wt;
    printf("%s/%s: %zu/%zu features within contract on %zu/%zu events; "
           "masks %zu/%zu identical (md5); %zu frames with events "
           "exactly as dcnum; %zu invalid masks dropped; "
           "worst tilt %g ulp, worst tex_* %.3g relative\n",
           r->fc->stem, r->fc->variant, feats_ok, r->ncols, r->events_ok,
           r->csv.nrows, r->mask_ok, r->csv.nrows, r->frames_ok, r->dropped,
           r->worst[DCN_FEAT_TILT], wt);
}

static void
release_run(struct frames_run *r)
{
    seg_release(&r->s);
    free(r->labels);
    free(r->buf);
    dcn_features_scratch_free(r->scratch);
    td_csv_release(&r->csv);
    td_csv_release(&r->mcsv);
    td_array_release(&r->image);
    td_array_release(&r->bgimg);
    td_array_release(&r->bgidx);
    td_array_release(&r->bgoff);
}

static void
run_case(const struct frames_case *fc)
{
    static struct frames_run r;

    memset(&r, 0, sizeof(r));
    r.fc = fc;
    read_inputs(&r);
    read_references(&r);
    if (r.image.rank == 3 && r.bgimg.rank == 3) {
        set_up_extraction(&r);
        find_columns(&r);
        check_frames(&r);
        print_summary(&r, check_feature_tally(&r));
    }
    release_run(&r);
}

int
main(void)
{
    const unsigned notex = DCN_FEATURES_LEGACY & ~DCN_FEATURES_HARALICK;
    const struct frames_case cases[] = {
            {"cytoshot-x5", "tap", 2, DCN_FEATURES_LEGACY},
            {"cytoshot-x5", "default", 2, DCN_FEATURES_LEGACY},
            {"cytoshot-x5", "clo0", 0, DCN_FEATURES_LEGACY},
            {"cytoshot-x5", "notex", 2, notex},
            {"synth-1000", "tap", 2, DCN_FEATURES_LEGACY},
            {"synth-1000", "default", 2, DCN_FEATURES_LEGACY},
            {"synth-1000", "clo0", 0, DCN_FEATURES_LEGACY},
            {"synth-1000", "notex", 2, notex},
    };

    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++)
        run_case(&cases[k]);
    return check_report();
}
