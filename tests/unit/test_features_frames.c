/* SPDX-License-Identifier: MIT */
/*
 * test_features_frames.c - whole frames through ft_extract()
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

/*
 * The one known deviation beyond the contract.  synth-1000/clo0 event 1097:
 * the atan2 arguments are bit-identical to dcnum's (y = 0x1.1b04ae0b59d4p+16,
 * x = 0x1.ece98d84e166p+15); the exact atan2 is 0.854342330725025248748...,
 * glibc returns the correctly rounded 0.8543423307250253, and numpy's
 * arctan2 on the reference machine (a SIMD implementation) returned a value
 * 2 ulp lower.  The contract allows 1 ulp for tilt; this event gets 2 and
 * is reported as an expected exception, so any other drift still fails.
 */
static int
known_tilt_exception(const char *stem, const char *variant, size_t e,
                     double dev)
{
    return strcmp(stem, "synth-1000") == 0 && strcmp(variant, "clo0") == 0 &&
           e == 1097 && dev <= 2;
}

static void
mask_md5(char hex[33], const uint16_t *labels, uint16_t id, size_t n,
         uint8_t *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = labels[i] == id;
    dcn__md5_hex(hex, buf, n);
}

static void
run_case(const char *stem, const char *variant, int closing_disk,
         unsigned flags)
{
    char inp[PATH_MAX], bgp[PATH_MAX], csvp[PATH_MAX], mcsvp[PATH_MAX];
    char rel[PATH_MAX];
    struct td_array image = {0}, bgimg = {0}, bgidx = {0}, bgoff = {0};
    struct td_csv csv = {0}, mcsv = {0};
    struct seg s = {0};
    struct dcn_features_scratch *scratch = NULL;
    struct dcn_features_config cfg;
    struct dcn_gate_options gopt = {0};
    struct dcn_event *events = NULL;
    uint16_t *labels = NULL;
    uint8_t *buf = NULL;
    int col[DCN_FEAT_COUNT];
    size_t nbad[DCN_FEAT_COUNT] = {0};
    double worst[DCN_FEAT_COUNT] = {0};
    size_t nframes, w, h, fs, row = 0, mask_ok = 0, feats_ok = 0;
    size_t frames_ok = 0, events_ok = 0, dropped = 0, ncols = 0;
    int c_bm0, c_nev, c_md5, c_sum;
    double ps;
    char psbuf[64];

    snprintf(rel, sizeof(rel), "inputs/%s.rtdc", stem);
    td_path(inp, rel);
    snprintf(rel, sizeof(rel), "reference/%s/default/bg.h5", stem);
    td_path(bgp, rel);
    snprintf(rel, sizeof(rel), "reference/%s/%s/features.csv", stem, variant);
    td_path(csvp, rel);
    snprintf(rel, sizeof(rel), "reference/%s/%s/masks.csv", stem, variant);
    td_path(mcsvp, rel);
    CHECK_EQ(td_read(&image, inp, "/events/image", TD_U8), 0);
    CHECK_EQ(td_read(&bgimg, bgp, "/image_bg", TD_U8), 0);
    CHECK_EQ(td_read(&bgidx, bgp, "/bg_index", TD_I64), 0);
    CHECK_EQ(td_read(&bgoff, bgp, "/bg_off", TD_F64), 0);
    CHECK_EQ(td_csv_load(&csv, csvp), 0);
    CHECK_EQ(td_csv_load(&mcsv, mcsvp), 0);
    CHECK_EQ(td_attr_double(&ps, inp, "imaging:pixel size"), 0);
    snprintf(psbuf, sizeof(psbuf), "%.8f", ps);
    ps = strtod(psbuf, NULL);
    if (image.rank != 3 || bgimg.rank != 3)
        goto out;
    nframes = image.dims[0];
    h = image.dims[1];
    w = image.dims[2];
    fs = w * h;
    CHECK_EQ(seg_init(&s, w, h), 0);
    labels = calloc(fs, sizeof(*labels));
    buf = malloc(fs);
    events = calloc(16, sizeof(*events));
    CHECK_EQ(dcn_features_scratch_new(&scratch, w, h), DCN_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = flags;
    cfg.pixel_size = ps;
    gopt.pixel_size = ps;
    CHECK_EQ(dcn_gate_init(&cfg.gate, &gopt, cfg.flags, NULL), DCN_OK);
    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        col[f] = td_csv_col(&csv, dcn_feature_name((enum dcn_feature)f));
        /* a feature is in the output exactly when it is computed */
        CHECK_EQ(col[f] >= 0, dcn_feature_enabled((enum dcn_feature)f, flags));
        ncols += col[f] >= 0;
    }
    c_bm0 = td_csv_col(&csv, "basinmap0");
    c_nev = td_csv_col(&csv, "nevents");
    c_md5 = td_csv_col(&mcsv, "mask_md5");
    c_sum = td_csv_col(&mcsv, "mask_sum");
    CHECK(c_bm0 >= 0 && c_nev >= 0 && c_md5 >= 0 && c_sum >= 0);

    for (size_t fr = 0; fr < nframes; fr++) {
        const uint8_t *img = (const uint8_t *)image.data + fr * fs;
        const uint8_t *bg = (const uint8_t *)bgimg.data +
                            (size_t)((int64_t *)bgidx.data)[fr] * fs;
        double off = ((double *)bgoff.data)[fr];
        struct dcn_frame_input in = {0};
        struct dcn_frame_stats st;
        size_t nev = 0, want = 0, r0 = row;
        int ok = 1;

        /* duplicate frames yield nothing (numerics.md §5.1, caller's job) */
        if (fr > 0 && memcmp(img, img - fs, fs) == 0)
            continue;
        segment(&s, img, bg, off, closing_disk, labels);
        in.image = img;
        in.image_bg = bg;
        in.labels = labels;
        in.width = w;
        in.height = h;
        in.has_bg_off = true;
        in.bg_off = off;
        CHECK_EQ(ft_extract(events, 16, &nev, &st, &in, &cfg, scratch), DCN_OK);
        dropped += st.masks_dropped;
        while (row + want < csv.nrows &&
               (size_t)td_csv_get(&csv, row + want, c_bm0) == fr)
            want++;
        if (nev != want) {
            fprintf(stderr, "%s/%s frame %zu: %zu events, dcnum %zu\n", stem,
                    variant, fr, nev, want);
            CHECK_EQ(nev, want);
            ok = 0;
        }
        for (size_t k = 0; k < nev && k < want; k++) {
            char hex[33];
            int ev_ok = 1;
            size_t e = r0 + k;
            mask_md5(hex, labels, events[k].label, fs, buf);
            if (strcmp(hex, td_csv_text(&mcsv, e, c_md5)) == 0 &&
                (double)events[k].npix == td_csv_get(&mcsv, e, c_sum))
                mask_ok++;
            else
                ok = 0;
            CHECK_EQ((size_t)td_csv_get(&csv, e, c_nev), nev);
            for (int f = 0; f < DCN_FEAT_COUNT; f++) {
                double dev;
                if (col[f] < 0)
                    continue;
                if (!ft_within((enum dcn_feature)f, events[k].feat[f],
                               td_csv_get(&csv, e, col[f]), &dev) &&
                    !(f == DCN_FEAT_TILT &&
                      known_tilt_exception(stem, variant, e, dev))) {
                    fprintf(stderr, "  event %zu %s: %.17g, dcnum %.17g\n", e,
                            dcn_feature_name((enum dcn_feature)f),
                            events[k].feat[f], td_csv_get(&csv, e, col[f]));
                    nbad[f]++;
                    ev_ok = 0;
                }
                if (dev > worst[f])
                    worst[f] = dev;
            }
            events_ok += ev_ok;
        }
        row += want;
        frames_ok += ok;
    }
    CHECK_EQ(row, csv.nrows);
    CHECK_EQ(mask_ok, csv.nrows);
    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        if (col[f] < 0)
            continue;
        if (nbad[f] == 0)
            feats_ok++;
        else
            fprintf(stderr,
                    "%s/%s: %-16s %zu events out of contract; worst %g\n", stem,
                    variant, dcn_feature_name((enum dcn_feature)f), nbad[f],
                    worst[f]);
        CHECK_EQ(nbad[f], 0);
    }
    {
        double wt = 0;
        for (int f = DCN_FEAT_FIRST_TEXTURE; f < DCN_FEAT_COUNT; f++)
            wt = worst[f] > wt ? worst[f] : wt;
        printf("%s/%s: %zu/%zu features within contract on %zu/%zu events; "
               "masks %zu/%zu identical (md5); %zu frames with events "
               "exactly as dcnum; %zu invalid masks dropped; "
               "worst tilt %g ulp, worst tex_* %.3g relative\n",
               stem, variant, feats_ok, ncols, events_ok, csv.nrows, mask_ok,
               csv.nrows, frames_ok, dropped, worst[DCN_FEAT_TILT], wt);
    }
out:
    seg_release(&s);
    free(labels);
    free(buf);
    free(events);
    dcn_features_scratch_free(scratch);
    td_csv_release(&csv);
    td_csv_release(&mcsv);
    td_array_release(&image);
    td_array_release(&bgimg);
    td_array_release(&bgidx);
    td_array_release(&bgoff);
}

int
main(void)
{
    const unsigned notex = DCN_FEATURES_LEGACY & ~DCN_FEATURES_HARALICK;

    run_case("cytoshot-x5", "tap", 2, DCN_FEATURES_LEGACY);
    run_case("cytoshot-x5", "default", 2, DCN_FEATURES_LEGACY);
    run_case("cytoshot-x5", "clo0", 0, DCN_FEATURES_LEGACY);
    run_case("cytoshot-x5", "notex", 2, notex);
    run_case("synth-1000", "tap", 2, DCN_FEATURES_LEGACY);
    run_case("synth-1000", "default", 2, DCN_FEATURES_LEGACY);
    run_case("synth-1000", "clo0", 0, DCN_FEATURES_LEGACY);
    run_case("synth-1000", "notex", 2, notex);
    return check_report();
}
