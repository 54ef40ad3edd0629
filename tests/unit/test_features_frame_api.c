/* SPDX-License-Identifier: MIT */
/*
 * test_features_frame_api.c - the per-frame contract of state "e": size
 * gate, label order, invalid-event removal and its counter, a table that
 * is too small, disabled groups, bg_off, and the gate of dcnum's
 * feat/gate.py (numerics.md §3.4, §4.12, §5.1, format.md D16).
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "features_testutil.h"

#define W 40
#define H 30

static struct dcn_features_scratch *scratch;
static uint16_t labels[W * H];
static uint8_t image[W * H];
static uint8_t bg[W * H];

static void
rect(uint16_t id, int x0, int y0, int w, int h)
{
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            labels[y * W + x] = id;
}

static void
setup_frame(void)
{
    memset(labels, 0, sizeof(labels));
    for (int i = 0; i < W * H; i++) {
        image[i] = (uint8_t)(100 + (i * 7) % 13);
        bg[i] = (uint8_t)(100 + (i % 5));
    }
}

static struct dcn_frame_input
frame_input(void)
{
    struct dcn_frame_input in;
    memset(&in, 0, sizeof(in));
    in.image = image;
    in.image_bg = bg;
    in.labels = labels;
    in.width = W;
    in.height = H;
    return in;
}

static struct dcn_features_config
default_config(unsigned flags)
{
    struct dcn_features_config cfg;
    struct dcn_gate_options gopt;
    memset(&cfg, 0, sizeof(cfg));
    memset(&gopt, 0, sizeof(gopt));
    cfg.flags = flags;
    cfg.pixel_size = 0.34;
    gopt.pixel_size = 0.34;
    dcn_gate_init(&cfg.gate, &gopt, flags, NULL);
    return cfg;
}

/* dcn_features_extract_frame() on the file's scratch, with the table as
 * (events, cap, *count) */
static int
extract(struct dcn_event *events, size_t cap, size_t *count,
        struct dcn_frame_stats *stats, const struct dcn_frame_input *in,
        const struct dcn_features_config *cfg)
{
    struct dcn_event_table t = {events, cap, 0};
    int rc = dcn_features_extract_frame(&t, stats, in, cfg, scratch);

    *count = t.count;
    return rc;
}

/* Labels 1-4 and 6: one too small, one line, three valid events. */
static void
five_rects_frame(void)
{
    setup_frame();
    rect(1, 2, 2, 5, 2);   /* 10 px: not a candidate */
    rect(2, 10, 2, 11, 1); /* 11 px, a line: candidate, invalid, dropped */
    rect(3, 2, 10, 4, 3);  /* 12 px */
    rect(4, 20, 10, 6, 6); /* 36 px */
    rect(6, 30, 20, 3, 4); /* label 5 unused */
}

static void
test_size_gate_and_invalid_events(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[8];
    struct dcn_frame_stats st;
    size_t n = 99;

    five_rects_frame();
    CHECK_EQ(extract(ev, 8, &n, &st, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 3);
    CHECK_EQ(st.candidates, 4);
    CHECK_EQ(st.masks_dropped, 1);
    CHECK_EQ(st.gated_out, 0);
}

static void
test_events_in_label_order(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[8];
    size_t n = 99;

    five_rects_frame();
    CHECK_EQ(extract(ev, 8, &n, NULL, &in, &cfg), DCN_OK);
    CHECK_EQ(ev[0].label, 3);
    CHECK_EQ(ev[1].label, 4);
    CHECK_EQ(ev[2].label, 6);
    CHECK_EQ(ev[0].npix, 12);
}

static void
test_valid_events_have_every_feature(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[8];
    size_t n = 99;

    five_rects_frame();
    CHECK_EQ(extract(ev, 8, &n, NULL, &in, &cfg), DCN_OK);
    CHECK_DBL_IDENT(ev[1].feat[DCN_FEAT_AREA_MSD], 25.0);
    CHECK_DBL_IDENT(ev[1].feat[DCN_FEAT_ASPECT], 1.0);
    for (size_t k = 0; k < n; k++)
        for (int f = 0; f < DCN_FEAT_COUNT; f++)
            CHECK(!isnan(ev[k].feat[f]));
}

static void
test_same_frame_again_and_empty_frame(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[8];
    struct dcn_frame_stats st;
    size_t n = 99;

    five_rects_frame();
    CHECK_EQ(extract(ev, 8, &n, &st, &in, &cfg), DCN_OK);
    /* the same frame again: the label table was left clean */
    CHECK_EQ(extract(ev, 8, &n, &st, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 3);
    /* an empty frame */
    memset(labels, 0, sizeof(labels));
    CHECK_EQ(extract(ev, 8, &n, &st, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(st.candidates, 0);
}

/* Labels 1-4, four valid events. */
static void
four_rects_frame(void)
{
    setup_frame();
    rect(1, 1, 1, 4, 4);
    rect(2, 10, 1, 4, 5);
    rect(3, 20, 1, 5, 5);
    rect(4, 1, 15, 6, 4);
}

static void
test_full_table_reports_the_needed_room(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[4];
    size_t n = 0;

    four_rects_frame();
    CHECK_EQ(extract(ev, 2, &n, NULL, &in, &cfg), DCN_ERANGE);
    CHECK_EQ(n, 4);
    CHECK_EQ(ev[0].label, 1);
    CHECK_EQ(ev[1].label, 2);
    /* no room at all */
    CHECK_EQ(extract(NULL, 0, &n, NULL, &in, &cfg), DCN_ERANGE);
    CHECK_EQ(n, 4);
}

static void
test_table_with_room_gets_the_same_events(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[4];
    struct dcn_event big[4];
    size_t n = 0;

    four_rects_frame();
    CHECK_EQ(extract(ev, 2, &n, NULL, &in, &cfg), DCN_ERANGE);
    CHECK_EQ(extract(big, 4, &n, NULL, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 4);
    CHECK_DBL_IDENT(big[0].feat[DCN_FEAT_DEFORM], ev[0].feat[DCN_FEAT_DEFORM]);
    CHECK_EQ(big[3].label, 4);
}

static void
test_moments_group_leaves_the_others_nan(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_MOMENTS);
    struct dcn_event a[2];
    size_t n = 0;

    setup_frame();
    rect(1, 5, 5, 8, 6);
    CHECK_EQ(extract(a, 2, &n, NULL, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 1);
    CHECK(!isnan(a[0].feat[DCN_FEAT_DEFORM]));
    CHECK(isnan(a[0].feat[DCN_FEAT_VOLUME]));
    CHECK(isnan(a[0].feat[DCN_FEAT_BRIGHT_AVG]));
    CHECK(isnan(a[0].feat[DCN_FEAT_TEX_ASM_AVG]));
}

/* One event without (a) and with (b) a bg_off of 1.25, which stays set
 * in *in. */
static void
events_without_and_with_bg_off(struct dcn_frame_input *in, struct dcn_event *a,
                               struct dcn_event *b)
{
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    size_t n = 0;

    setup_frame();
    rect(1, 5, 5, 8, 6);
    CHECK_EQ(extract(a, 2, &n, NULL, in, &cfg), DCN_OK);
    in->has_bg_off = true;
    in->bg_off = 1.25;
    CHECK_EQ(extract(b, 2, &n, NULL, in, &cfg), DCN_OK);
}

/* subtracted from bc_avg and percentiles */
static void
test_bg_off_is_subtracted_from_brightness(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_event a[2], b[2];

    events_without_and_with_bg_off(&in, a, b);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BRIGHT_BC_AVG],
                    a[0].feat[DCN_FEAT_BRIGHT_BC_AVG] - 1.25);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BRIGHT_PERC_10],
                    a[0].feat[DCN_FEAT_BRIGHT_PERC_10] - 1.25);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BRIGHT_PERC_90],
                    a[0].feat[DCN_FEAT_BRIGHT_PERC_90] - 1.25);
}

/* added to bg_med; no effect on spreads and texture */
static void
test_bg_off_is_added_to_bg_med(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_event a[2], b[2];

    events_without_and_with_bg_off(&in, a, b);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BG_MED],
                    a[0].feat[DCN_FEAT_BG_MED] + 1.25);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BRIGHT_BC_SD],
                    a[0].feat[DCN_FEAT_BRIGHT_BC_SD]);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_TEX_CON_AVG],
                    a[0].feat[DCN_FEAT_TEX_CON_AVG]);
}

/* bg_med over the whole background; a given median is used as is */
static void
test_bg_med_of_the_frame_or_given(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event a[2], b[2];
    size_t n = 0;
    double med = 7.0;

    events_without_and_with_bg_off(&in, a, b);
    CHECK_DBL_IDENT(a[0].feat[DCN_FEAT_BG_MED],
                    dcn_features_median_u8(bg, (size_t)W * H));
    in.bg_median = &med;
    CHECK_EQ(extract(b, 2, &n, NULL, &in, &cfg), DCN_OK);
    CHECK_DBL_IDENT(b[0].feat[DCN_FEAT_BG_MED], 8.25);
}

/* a precomputed corr gives the same features */
static void
test_precomputed_corr_gives_the_same_features(void)
{
    static int16_t corr[W * H];
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event a[2], b[2];
    size_t n = 0;

    events_without_and_with_bg_off(&in, a, b);
    for (int i = 0; i < W * H; i++)
        corr[i] = (int16_t)((int)image[i] - (int)bg[i]);
    CHECK_EQ(extract(b, 2, &n, NULL, &in, &cfg), DCN_OK);
    in.image_corr = corr;
    CHECK_EQ(extract(a, 2, &n, NULL, &in, &cfg), DCN_OK);
    for (int f = 0; f < DCN_FEAT_COUNT; f++)
        CHECK_DBL_IDENT(a[0].feat[f], b[0].feat[f]);
}

static void
test_median(void)
{
    uint8_t v[6] = {5, 1, 9, 3, 7, 200};
    CHECK_DBL_IDENT(dcn_features_median_u8(v, 5), 5.0);
    CHECK_DBL_IDENT(dcn_features_median_u8(v, 6), 6.0);
    CHECK_DBL_IDENT(dcn_features_median_u8(v, 2), 3.0);
    CHECK(isnan(dcn_features_median_u8(v, 0)));
}

static void
test_missing_views_and_bad_sizes_are_rejected(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[2];
    size_t n;

    in.image_bg = NULL;
    CHECK_EQ(extract(ev, 2, &n, NULL, &in, &cfg), DCN_EINVAL);
    in = frame_input();
    cfg.pixel_size = 0;
    CHECK_EQ(extract(ev, 2, &n, NULL, &in, &cfg), DCN_EINVAL);
    cfg = default_config(DCN_FEATURES_LEGACY);
    in.width = W + 1;
    CHECK_EQ(extract(ev, 2, &n, NULL, &in, &cfg), DCN_EINVAL);
}

static void
test_missing_tables_are_rejected(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[2];
    struct dcn_event_table t = {ev, 2, 77};

    CHECK_EQ(dcn_features_extract_frame(NULL, NULL, &in, &cfg, scratch),
             DCN_EINVAL);
    t.events = NULL;
    CHECK_EQ(dcn_features_extract_frame(&t, NULL, &in, &cfg, scratch),
             DCN_EINVAL);
    CHECK_EQ(t.count, 0);
}

/* One square of label 1 into the table t. */
static void
extract_one_square(struct dcn_event_table *t, const struct dcn_frame_input *in,
                   const struct dcn_features_config *cfg)
{
    setup_frame();
    rect(1, 3, 3, 5, 5);
    CHECK_EQ(dcn_features_extract_frame(t, NULL, in, cfg, scratch), DCN_OK);
    CHECK_EQ(t->count, 1);
    CHECK_EQ(t->events[0].label, 1);
}

/* labels above width * height are not a labeling of the frame */
static void
test_labels_above_the_frame_size_are_rejected(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_event ev[2];
    struct dcn_event_table t = {ev, 2, 77};

    extract_one_square(&t, &in, &cfg);
    labels[0] = (uint16_t)(W * H + 1);
    CHECK_EQ(dcn_features_extract_frame(&t, NULL, &in, &cfg, scratch),
             DCN_EINVAL);
    labels[0] = 0;
    CHECK_EQ(dcn_features_extract_frame(&t, NULL, &in, &cfg, scratch), DCN_OK);
    CHECK_EQ(t.count, 1);
}

static void
test_scratch_of_no_size_is_rejected(void)
{
    struct dcn_features_scratch *s = NULL;

    CHECK_EQ(dcn_features_scratch_new(&s, 0, 10), DCN_EINVAL);
    CHECK(s == NULL);
    dcn_features_scratch_free(NULL);
}

/* The size_thresh_mask dcn_gate_init() resolves from o. */
static long
resolved_size_thresh_mask(const struct dcn_gate_options *o)
{
    struct dcn_gate g;

    CHECK_EQ(dcn_gate_init(&g, o, DCN_FEATURES_LEGACY, NULL), DCN_OK);
    return g.size_thresh_mask;
}

static void
test_size_thresh_mask_resolution(void)
{
    struct dcn_gate g;
    struct dcn_gate_options o;

    memset(&o, 0, sizeof(o));
    o.pixel_size = 0.34;
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, NULL), DCN_OK);
    CHECK_EQ(g.size_thresh_mask, 10);
    CHECK(!g.any_box);
    o.has_bin_area_min = true;
    o.bin_area_min = 20;
    /* metadata only with online gates */
    CHECK_EQ(resolved_size_thresh_mask(&o), 10);
    o.online_gates = true;
    CHECK_EQ(resolved_size_thresh_mask(&o), 20);
    o.size_thresh_mask = 22;
    CHECK_EQ(resolved_size_thresh_mask(&o), 22);
    o.size_thresh_mask = 0;
    o.bin_area_min = 0;
    CHECK_EQ(resolved_size_thresh_mask(&o), 10);
}

/* dcnum's test_feat_gate: deform [.1, .5], area_um >= 50, and a soft
 * limit on bright_avg (f: 3 filters) */
static void
feat_gate_options(struct dcn_gate_options *o, struct dcn_online_filter *f)
{
    memset(o, 0, sizeof(*o));
    memset(f, 0, 3 * sizeof(*f));
    o->pixel_size = 0.2645;
    o->online_gates = true;
    f[0] = (struct dcn_online_filter){"deform", true, true, .1, .5, false};
    f[1] = (struct dcn_online_filter){"area_um", true, false, 50, 0, false};
    /* a soft limit is not a gate */
    f[2] = (struct dcn_online_filter){"bright_avg", true, true, 0, 1, true};
    o->filters = f;
    o->nfilters = 3;
}

/* dcnum's test_feat_gate: deform [.1, .5], area_um >= 50, hard limits */
static void
test_online_box_gates(void)
{
    struct dcn_gate g;
    struct dcn_gate_options o;
    struct dcn_online_filter f[3];
    struct dcn_error err = DCN_ERROR_INIT;

    feat_gate_options(&o, f);
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_OK);
    CHECK(g.any_box);
    CHECK(g.box[DCN_FEAT_DEFORM] && g.box[DCN_FEAT_AREA_UM]);
    CHECK(!g.box[DCN_FEAT_BRIGHT_AVG]);
    CHECK(g.box[DCN_FEAT_SIZE_X] && g.box[DCN_FEAT_SIZE_Y]);
    CHECK_DBL_IDENT(g.lo[DCN_FEAT_SIZE_X], 3 * 0.2645);
    CHECK(!g.has_hi[DCN_FEAT_SIZE_Y]);
}

static void
test_online_box_gates_on_events(void)
{
    static const double ev[6][2] = {{0.3, 55}, {0.3, 55}, {0.01, 55},
                                    {0.3, 40}, {0.6, 55}, {0.6, 22}};
    static const bool want[6] = {true, true, false, false, false, false};
    struct dcn_gate g;
    struct dcn_gate_options o;
    struct dcn_online_filter f[3];
    double feat[DCN_FEAT_COUNT];

    feat_gate_options(&o, f);
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, NULL), DCN_OK);
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < DCN_FEAT_COUNT; i++)
            feat[i] = 1.0;
        feat[DCN_FEAT_DEFORM] = ev[k][0];
        feat[DCN_FEAT_AREA_UM] = ev[k][1];
        CHECK_EQ(dcn_gate_box_pass(&g, feat), want[k]);
    }
    /* NaN fails a gate; size_x below 3 px fails */
    feat[DCN_FEAT_DEFORM] = NAN;
    feat[DCN_FEAT_AREA_UM] = 55;
    CHECK(!dcn_gate_box_pass(&g, feat));
    feat[DCN_FEAT_DEFORM] = 0.3;
    feat[DCN_FEAT_SIZE_X] = 2 * 0.2645;
    CHECK(!dcn_gate_box_pass(&g, feat));
}

/* a metadata gate on size_x is overridden by [3*ps, None] */
static void
test_metadata_gate_on_size_x_is_overridden(void)
{
    struct dcn_gate g;
    struct dcn_gate_options o;
    struct dcn_online_filter f[3];
    struct dcn_error err = DCN_ERROR_INIT;

    feat_gate_options(&o, f);
    f[2] = (struct dcn_online_filter){"size_x", true, true, 100, 200, false};
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_OK);
    CHECK_DBL_IDENT(g.lo[DCN_FEAT_SIZE_X], 3 * 0.2645);
    CHECK(!g.has_hi[DCN_FEAT_SIZE_X]);
}

/* Online gates with the one filter f. */
static void
one_filter_options(struct dcn_gate_options *o, struct dcn_online_filter *f)
{
    memset(o, 0, sizeof(*o));
    o->pixel_size = 0.34;
    o->online_gates = true;
    o->filters = f;
    o->nfilters = 1;
}

/* D16: a hard gate on a feature that is not computed, or unknown */
static void
test_gate_on_missing_feature_is_rejected(void)
{
    struct dcn_gate g;
    struct dcn_gate_options o;
    struct dcn_online_filter f;
    struct dcn_error err = DCN_ERROR_INIT;

    f = (struct dcn_online_filter){"tex_con_avg", true, false, 1, 0, false};
    one_filter_options(&o, &f);
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_OK);
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_MOMENTS, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "tex_con_avg") != NULL);
    dcn_error_clear(&err);
    f.feature = "fl1_max";
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "fl1_max") != NULL);
    dcn_error_clear(&err);
}

static void
test_soft_polygon_and_offline_gates(void)
{
    struct dcn_gate g;
    struct dcn_gate_options o;
    struct dcn_online_filter f;
    struct dcn_error err = DCN_ERROR_INIT;

    f = (struct dcn_online_filter){"fl1_max", true, false, 1, 0, false};
    one_filter_options(&o, &f);
    /* unknown but soft: ignored */
    f.soft_limit = true;
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_OK);
    /* polygon filters are not implemented in dcnum either */
    o.has_polygon_filter = true;
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_LEGACY, &err), DCN_EINVAL);
    /* without online gates nothing is checked */
    o.online_gates = false;
    f.soft_limit = false;
    CHECK_EQ(dcn_gate_init(&g, &o, DCN_FEATURES_MOMENTS, &err), DCN_OK);
}

static void
test_box_gate_in_frame(void)
{
    struct dcn_frame_input in = frame_input();
    struct dcn_features_config cfg = default_config(DCN_FEATURES_LEGACY);
    struct dcn_gate_options o;
    struct dcn_online_filter f;
    struct dcn_event ev[4];
    struct dcn_frame_stats st;
    size_t n;

    f = (struct dcn_online_filter){"area_msd", true, false, 20, 0, false};
    one_filter_options(&o, &f);
    CHECK_EQ(dcn_gate_init(&cfg.gate, &o, cfg.flags, NULL), DCN_OK);
    setup_frame();
    rect(1, 1, 1, 4, 4);   /* area_msd 9: gated out */
    rect(2, 10, 1, 11, 1); /* line: invalid (NaN fails the gate first) */
    rect(3, 20, 5, 7, 7);  /* area_msd 36 */
    CHECK_EQ(extract(ev, 4, &n, &st, &in, &cfg), DCN_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(ev[0].label, 3);
    CHECK_EQ(st.gated_out, 2);
    /* gates come before the invalid-event removal: not counted */
    CHECK_EQ(st.masks_dropped, 0);
}

int
main(void)
{
    CHECK_EQ(dcn_features_scratch_new(&scratch, W, H), DCN_OK);
    CHECK(dcn_features_scratch_size(W, H) > 0);
    test_size_gate_and_invalid_events();
    test_events_in_label_order();
    test_valid_events_have_every_feature();
    test_same_frame_again_and_empty_frame();
    test_full_table_reports_the_needed_room();
    test_table_with_room_gets_the_same_events();
    test_moments_group_leaves_the_others_nan();
    test_bg_off_is_subtracted_from_brightness();
    test_bg_off_is_added_to_bg_med();
    test_bg_med_of_the_frame_or_given();
    test_precomputed_corr_gives_the_same_features();
    test_median();
    test_missing_views_and_bad_sizes_are_rejected();
    test_missing_tables_are_rejected();
    test_labels_above_the_frame_size_are_rejected();
    test_scratch_of_no_size_is_rejected();
    test_size_thresh_mask_resolution();
    test_online_box_gates();
    test_online_box_gates_on_events();
    test_metadata_gate_on_size_x_is_overridden();
    test_gate_on_missing_feature_is_rejected();
    test_soft_polygon_and_offline_gates();
    test_box_gate_in_frame();
    dcn_features_scratch_free(scratch);
    return check_report();
}
