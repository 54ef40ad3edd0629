/* SPDX-License-Identifier: MIT */
/*
 * test_features_shapes.c - hand-made shapes with values known from
 * dcnum's test suite (numerics.md §4.1-§4.11, §8.1).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "features_testutil.h"

#define PS 0.2645

static struct ft_ctx ctx20;

static void
set_px(uint8_t *m, size_t w, int x, int y)
{
    m[(size_t)y * w + (size_t)x] = 1;
}

/* Push every background pixel on the border of m onto stack, marked in
 * out; returns the stack size. */
static size_t
seed_border_background(const uint8_t *m, size_t w, size_t h, uint8_t *out,
                       size_t *stack)
{
    size_t sp = 0;

    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) &&
                !m[y * w + x] && !out[y * w + x]) {
                out[y * w + x] = 1;
                stack[sp++] = y * w + x;
            }
    return sp;
}

/* Mark in out the background of m 4-connected to the sp seeds on stack. */
static void
flood_background(const uint8_t *m, size_t w, size_t h, uint8_t *out,
                 size_t *stack, size_t sp)
{
    while (sp > 0) {
        size_t i = stack[--sp];
        size_t x = i % w, y = i / w;
        size_t nb[4];
        int nn = 0;
        if (x > 0)
            nb[nn++] = i - 1;
        if (x + 1 < w)
            nb[nn++] = i + 1;
        if (y > 0)
            nb[nn++] = i - w;
        if (y + 1 < h)
            nb[nn++] = i + w;
        for (int k = 0; k < nn; k++)
            if (!m[nb[k]] && !out[nb[k]]) {
                out[nb[k]] = 1;
                stack[sp++] = nb[k];
            }
    }
}

/* scipy's binary_fill_holes: background not 4-connected to the border
 * becomes foreground */
static void
fill_holes(uint8_t *m, size_t w, size_t h)
{
    uint8_t *out;
    size_t *stack;

    if (w == 0 || h == 0)
        return;
    out = calloc(w * h, 1);
    stack = malloc(w * h * sizeof(size_t) * 4 + 64);
    if (out != NULL && stack != NULL) {
        flood_background(m, w, h, out, stack,
                         seed_border_background(m, w, h, out, stack));
        for (size_t i = 0; i < w * h; i++)
            m[i] = !out[i];
    }
    free(out);
    free(stack);
}

/* The event of a 2 x 2 block at (2, 2) in a 10 x 10 frame (c: ft_init'ed,
 * the caller releases it). */
static void
block_2x2_event(struct ft_ctx *c, double *feat)
{
    uint8_t m[100] = {0};

    ft_init(c, 10, 10);
    set_px(m, 10, 2, 2);
    set_px(m, 10, 3, 2);
    set_px(m, 10, 2, 3);
    set_px(m, 10, 3, 3);
    CHECK_EQ(ft_moments(feat, c, m, PS), 1);
}

static void
test_contour_of_2x2_block_is_opencvs(void)
{
    double feat[DCN_FEAT_COUNT];
    struct ft_ctx c;

    block_2x2_event(&c, feat);
    CHECK_EQ(c.work.ncont, 4);
    CHECK(c.work.cx[0] == 2 && c.work.cy[0] == 2);
    CHECK(c.work.cx[1] == 2 && c.work.cy[1] == 3);
    CHECK(c.work.cx[2] == 3 && c.work.cy[2] == 3);
    CHECK(c.work.cx[3] == 3 && c.work.cy[3] == 2);
    ft_release(&c);
}

static void
test_deform_of_2x2_block_is_opencvs(void)
{
    double feat[DCN_FEAT_COUNT];
    struct ft_ctx c;

    block_2x2_event(&c, feat);
    CHECK_DBL_IDENT(feat[DCN_FEAT_DEFORM], 0.11377307454724206);
    CHECK_DBL_IDENT(feat[DCN_FEAT_DEFORM_RAW], 0.11377307454724206);
    ft_release(&c);
}

static void
test_area_of_2x2_block_is_opencvs(void)
{
    double feat[DCN_FEAT_COUNT];
    struct ft_ctx c;

    block_2x2_event(&c, feat);
    CHECK_DBL_IDENT(feat[DCN_FEAT_AREA_UM], 0.06996025);
    CHECK_DBL_IDENT(feat[DCN_FEAT_AREA_UM_RAW], 0.06996025);
    CHECK_DBL_IDENT(feat[DCN_FEAT_AREA_MSD], 1.0);
    ft_release(&c);
}

static void
test_single_pixel_mask_is_invalid_with_nan_features(void)
{
    double feat[DCN_FEAT_COUNT];
    uint8_t m[400];
    struct ft_input in = {m, NULL, NULL, NULL, PS, DCN_FEATURES_VOLUME, 0, 0.0};

    memset(m, 0, sizeof(m));
    set_px(m, 20, 5, 5);
    CHECK_EQ(ft_event(feat, &ctx20, &in), 0);
    CHECK(isnan(feat[DCN_FEAT_DEFORM]) && isnan(feat[DCN_FEAT_AREA_UM]));
    CHECK(isnan(feat[DCN_FEAT_VOLUME]));
}

static void
test_vertical_line_masks_are_invalid_with_nan_features(void)
{
    double feat[DCN_FEAT_COUNT];
    uint8_t m[400];

    /* vertical lines of 2 and 6 pixels */
    for (int len = 2; len <= 6; len += 4) {
        memset(m, 0, sizeof(m));
        for (int y = 0; y < len; y++)
            set_px(m, 20, 7, 3 + y);
        CHECK_EQ(ft_moments(feat, &ctx20, m, PS), 0);
        CHECK(isnan(feat[DCN_FEAT_DEFORM]) && isnan(feat[DCN_FEAT_AREA_UM]));
    }
}

static void
test_border_and_branching_lines_are_invalid_with_nan_features(void)
{
    double feat[DCN_FEAT_COUNT];
    uint8_t m[400];

    /* a line along the border, and a diagonal, branching line */
    memset(m, 0, sizeof(m));
    for (int x = 0; x < 20; x++)
        set_px(m, 20, x, 0);
    CHECK_EQ(ft_moments(feat, &ctx20, m, PS), 0);
    CHECK(isnan(feat[DCN_FEAT_DEFORM]) && isnan(feat[DCN_FEAT_AREA_UM]));
    memset(m, 0, sizeof(m));
    for (int k = 0; k < 8; k++) {
        set_px(m, 20, 4 + k, 4 + k);
        set_px(m, 20, 4 + k, 12 - k);
    }
    CHECK_EQ(ft_moments(feat, &ctx20, m, PS), 0);
    CHECK(isnan(feat[DCN_FEAT_TILT]));
}

/* The 20 x 20 mask of the 10-point outline c at (12, 10), holes filled;
 * returns its pixel count. */
static size_t
filled_outline(uint8_t *m, const int c[10][2])
{
    size_t n = 0;

    memset(m, 0, 400);
    for (size_t k = 0; k < 10; k++)
        set_px(m, 20, c[k][0] + 12, c[k][1] + 10);
    fill_holes(m, 20, 20);
    for (size_t i = 0; i < 400; i++)
        n += m[i];
    return n;
}

static void
test_inert_ratio_prnc_of_upright_outline(void)
{
    static const int c1[10][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 2}, {2, 2},
                                  {3, 2}, {3, 1}, {3, 0}, {2, 0}, {1, 0}};
    double feat[DCN_FEAT_COUNT];
    uint8_t m[400];

    CHECK_EQ(filled_outline(m, c1), 12);
    CHECK_EQ(ft_moments(feat, &ctx20, m, PS), 1);
    CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_RAW], 1.5, 1e-12, 0);
    CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_PRNC], 1.5, 1e-12, 0);
    CHECK_DBL_NEAR(feat[DCN_FEAT_TILT], 0, 0, 1e-12);
}

static void
test_inert_ratio_prnc_of_tilted_outline(void)
{
    static const int c2[10][2] = {{0, 0}, {1, 1}, {2, 2},  {3, 3},  {4, 2},
                                  {5, 1}, {4, 0}, {3, -1}, {2, -2}, {1, -1}};
    double feat[DCN_FEAT_COUNT];
    uint8_t m[400];

    CHECK_EQ(filled_outline(m, c2), 18);
    CHECK_EQ(ft_moments(feat, &ctx20, m, PS), 1);
    CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_RAW], 1.0, 1e-12, 0);
    CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_PRNC], 1.5, 1e-12, 0);
    CHECK_DBL_NEAR(feat[DCN_FEAT_TILT], 3.141592653589793 / 4, 1e-12, 0);
}

/* numpy's linspace(0, 2*pi, num) */
static double
linspace_2pi(size_t i, size_t num)
{
    double step = (2 * 3.141592653589793) / (double)(num - 1);
    return i == num - 1 ? 2 * 3.141592653589793 : (double)i * step;
}

#define ELLIPSE_POINTS 3000

/* The upright ellipse's inert_ratio_raw, checked against dcnum's value. */
static double
upright_ellipse_inert_ratio(void)
{
    struct ft_ctx c;
    uint8_t *m;
    double feat[DCN_FEAT_COUNT];

    /* mask[round(80 cos t + 120), round(90 sin t + 120)]: rows from x1 */
    ft_init(&c, 250, 250);
    m = calloc((size_t)250 * 250, 1);
    for (size_t i = 0; i < ELLIPSE_POINTS; i++) {
        double t = linspace_2pi(i, ELLIPSE_POINTS);
        long row = (long)nearbyint(80 * cos(t) + 120);
        long col = (long)nearbyint(90 * sin(t) + 120);
        m[row * 250 + col] = 1;
    }
    fill_holes(m, 250, 250);
    CHECK_EQ(ft_moments(feat, &c, m, PS), 1);
    CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_RAW], 1.125606191144217, 1e-5,
                   1e-8);
    free(m);
    ft_release(&c);
    return feat[DCN_FEAT_INERT_RATIO_RAW];
}

/* The 350 x 350 mask of the ellipse rotated by theta, holes filled. */
static void
rotated_ellipse(uint8_t *m, double theta)
{
    memset(m, 0, (size_t)350 * 350);
    for (size_t i = 0; i < ELLIPSE_POINTS; i++) {
        double t = linspace_2pi(i, ELLIPSE_POINTS);
        double x1 = 80 * cos(t), y1 = 90 * sin(t);
        double phi = atan2(y1, x1), rho = sqrt(x1 * x1 + y1 * y1);
        double x2 = rho * cos(phi + theta) + 3.0;
        double y2 = rho * sin(phi + theta) + 2.0;
        long row = (long)(nearbyint(y2) + 140);
        long col = (long)(nearbyint(x2) + 140);
        m[row * 350 + col] = 1;
    }
    fill_holes(m, 350, 350);
}

/* The tilt of the ellipse rotated by theta: its angle to the flow axis,
 * in [0, pi/2]. */
static double
rotated_ellipse_tilt(double theta)
{
    double angle = fmod(3.141592653589793 / 2 - theta, 3.141592653589793);

    if (angle < 0)
        angle += 3.141592653589793;
    if (angle > 3.141592653589793 / 2)
        angle -= 3.141592653589793;
    return fabs(angle);
}

static void
test_ellipse_inertia_and_tilt(void)
{
    double raw = upright_ellipse_inert_ratio();
    double feat[DCN_FEAT_COUNT];
    struct ft_ctx c;
    uint8_t *m;

    /* rotated: prnc ~ raw, tilt ~ the angle */
    ft_init(&c, 350, 350);
    m = calloc((size_t)350 * 350, 1);
    for (int r = 0; r < 14; r += 3) {
        double theta = 0.1 + (2 * 3.141592653589793 - 0.1) * r / 13.0;

        rotated_ellipse(m, theta);
        CHECK_EQ(ft_moments(feat, &c, m, PS), 1);
        CHECK_DBL_NEAR(feat[DCN_FEAT_INERT_RATIO_PRNC], raw, 0, 3e-3);
        CHECK_DBL_NEAR(feat[DCN_FEAT_TILT], rotated_ellipse_tilt(theta), 0,
                       1e-2);
    }
    free(m);
    ft_release(&c);
}

static void
test_hull_example_of_spec(void)
{
    static const int32_t px[] = {5, 4, 3, 2, 3, 4, 5, 6, 5, 6, 7, 8, 8, 7, 6};
    static const int32_t py[] = {2, 3, 4, 5, 6, 7, 7, 8, 7, 6, 6, 5, 4, 4, 3};
    static const int32_t wx[] = {8, 8, 6, 4, 2, 5};
    static const int32_t wy[] = {4, 5, 8, 7, 2 + 3, 2};
    const int32_t *hx = ctx20.work.hx;
    const int32_t *hy = ctx20.work.hy;
    size_t n = dcn__convex_hull(&ctx20.work, px, py, 15);
    int found = 0;

    CHECK_EQ(n, 6);
    /* same vertex set; the order does not change any feature */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 6; j++)
            if (hx[i] == wx[j] && hy[i] == wy[j])
                found++;
    CHECK_EQ(found, 6);
    /* a rectangle's hull has 4 vertices: no collinear points */
    {
        static const int32_t qx[] = {0, 0, 0, 1, 2, 3, 3, 3, 2, 1};
        static const int32_t qy[] = {0, 1, 2, 2, 2, 2, 1, 0, 0, 0};
        CHECK_EQ(dcn__convex_hull(&ctx20.work, qx, qy, 10), 4);
    }
}

static void
test_arc_length_is_float32_per_segment(void)
{
    /* a closed walk of 4 straight and 11 diagonal steps */
    static const int w[15][2] = {{1, 1},   {1, 1},   {1, 1},   {1, 1},
                                 {1, 1},   {1, 0},   {1, 0},   {-1, -1},
                                 {-1, -1}, {-1, -1}, {-1, -1}, {-1, -1},
                                 {-1, -1}, {-1, 0},  {0, 1}};
    int32_t x[15], y[15];
    int32_t sx = 0, sy = 0;

    for (int k = 0; k < 15; k++) {
        x[k] = sx;
        y[k] = sy;
        sx += w[k][0];
        sy += w[k][1];
    }
    CHECK(sx == 0 && sy == 0);
    CHECK_DBL_IDENT(dcn__arc_length(x, y, 15), 19.55634891986847);
    CHECK_DBL_IDENT(dcn__arc_length(x, y, 1), 0.0);
    CHECK_DBL_IDENT(dcn__arc_length(x, y, 0), 0.0);
}

static void
test_vol_revolve_toroid_is_exact(void)
{
    const double r[5] = {1, 2, 2, 1, 1};
    const double z[5] = {0, 0, 10, 10, 0};
    double v[8];
    double pi = 3.141592653589793;

    CHECK_DBL_IDENT(dcn__vol_revolve(v, r, z, 5, 1.0),
                    pi * (2 * 2 - 1 * 1) * 10);
    CHECK_DBL_IDENT(dcn__vol_revolve(v, r, z, 5, 1.0), 94.24777960769379);
}

static void
test_vol_revolve_circular_toroid(void)
{
    double pi = 3.141592653589793;
    double exact = 2 * pi * pi * 5;
    for (int np = 100; np <= 1000; np *= 10) {
        double *r = malloc((size_t)np * sizeof(double));
        double *z = malloc((size_t)np * sizeof(double));
        double *v = malloc(((size_t)np + 1) * sizeof(double));
        double vol;
        for (int i = 0; i < np; i++) {
            double t = 2 * pi * i / (np - 1);
            r[i] = 5 + cos(t);
            z[i] = sin(t);
        }
        vol = dcn__vol_revolve(v, r, z, (size_t)np, 1.0);
        CHECK(vol < exact);
        CHECK(fabs(vol - exact) / exact <= (np == 100 ? 6.72e-4 : 6.6e-6));
        free(r);
        free(z);
        free(v);
    }
}

/* Haralick features of a 6 x 6 frame of corr (NULL: all 0) for the
 * given mask (NULL: the 2 x 2 block at (2, 2)); returns the validity. */
static int
haralick_6x6(double *feat, const uint8_t *mask, const int16_t *corr)
{
    static const int16_t zeros[36] = {0};
    uint8_t block[36] = {0};
    struct ft_ctx c;
    int valid;

    for (int y = 2; y <= 3; y++)
        for (int x = 2; x <= 3; x++)
            block[y * 6 + x] = 1;
    ft_init(&c, 6, 6);
    valid = ft_haralick(feat, &c, mask != NULL ? mask : block,
                        corr != NULL ? corr : zeros, PS);
    ft_release(&c);
    return valid;
}

static void
test_haralick_contrast_of_a_ramp(void)
{
    double feat[DCN_FEAT_COUNT];
    int16_t corr[36];

    for (int i = 0; i < 36; i++)
        corr[i] = (int16_t)i;
    haralick_6x6(feat, NULL, corr);
    CHECK_DBL_IDENT(feat[DCN_FEAT_TEX_CON_AVG], 27.75);
}

/* one level everywhere: P = 1 in every direction.  mahotas gives exact
 * zeros (entropies of P = 1, equal directions), and under the rtol
 * contract a 0 must be matched exactly */
static void
test_haralick_of_an_empty_image(void)
{
    double feat[DCN_FEAT_COUNT];

    /* an empty image: contrast 0 */
    haralick_6x6(feat, NULL, NULL);
    CHECK_DBL_IDENT(feat[DCN_FEAT_TEX_CON_AVG], 0.0);
    CHECK(!isnan(feat[DCN_FEAT_TEX_ASM_AVG]));
    CHECK_DBL_IDENT(feat[DCN_FEAT_TEX_ASM_AVG], 1.0);
}

static void
test_haralick_of_an_empty_image_is_exact_zero_or_one(void)
{
    double feat[DCN_FEAT_COUNT];

    haralick_6x6(feat, NULL, NULL);
    for (int f = DCN_FEAT_FIRST_TEXTURE; f < DCN_FEAT_COUNT; f++) {
        if (f == DCN_FEAT_TEX_ASM_AVG || f == DCN_FEAT_TEX_COR_AVG ||
            f == DCN_FEAT_TEX_IDM_AVG)
            continue;
        CHECK(fabs(feat[f]) == 0.0);
    }
    CHECK_DBL_IDENT(feat[DCN_FEAT_TEX_COR_AVG], 1.0);
    CHECK_DBL_IDENT(feat[DCN_FEAT_TEX_IDM_AVG], 1.0);
}

/* two levels in vertical stripes of a 6 x 5 block: the horizontal matrix
 * is one off-diagonal cell, the vertical one two diagonal cells; the
 * entropies are positive and finite */
static void
test_haralick_of_two_level_stripes(void)
{
    double feat[DCN_FEAT_COUNT];
    struct ft_ctx c2;
    uint8_t m2[100] = {0};
    int16_t corr2[100];

    ft_init(&c2, 10, 10);
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++) {
            corr2[y * 10 + x] = (int16_t)(x % 2 ? 7 : -3);
            m2[y * 10 + x] = x >= 2 && x < 8 && y >= 2 && y < 7;
        }
    ft_haralick(feat, &c2, m2, corr2, PS);
    CHECK(!isnan(feat[DCN_FEAT_TEX_ENT_AVG]));
    CHECK(feat[DCN_FEAT_TEX_ENT_AVG] > 0);
    ft_release(&c2);
}

static void
test_haralick_of_tiny_and_empty_masks_is_nan(void)
{
    double feat[DCN_FEAT_COUNT];
    uint8_t m[36] = {0};

    /* a vertical 2-pixel mask: no horizontal pairs -> all NaN */
    m[2 * 6 + 2] = m[3 * 6 + 2] = 1;
    haralick_6x6(feat, m, NULL);
    for (int f = DCN_FEAT_FIRST_TEXTURE; f < DCN_FEAT_COUNT; f++)
        CHECK(isnan(feat[f]));
    /* empty mask: NaN */
    memset(m, 0, sizeof(m));
    CHECK_EQ(haralick_6x6(feat, m, NULL), -1);
    CHECK(isnan(feat[DCN_FEAT_TEX_CON_AVG]));
}

static void
test_haralick_levels_wrap_at_256(void)
{
    /* corr range 255: the max level is 256 -> 0, ignored like background.
     * Row of 4: levels 1, 256->0, 1, 2 ... only pairs without level 0
     * count; with a 2-row block the result must stay finite. */
    double feat[DCN_FEAT_COUNT];
    uint8_t m[36] = {0};
    int16_t corr[36] = {0};
    struct ft_ctx c;

    ft_init(&c, 6, 6);
    for (int y = 1; y <= 3; y++)
        for (int x = 1; x <= 3; x++)
            m[y * 6 + x] = 1;
    corr[1 * 6 + 1] = -200;
    corr[2 * 6 + 2] = 55; /* level 256 -> 0 */
    ft_haralick(feat, &c, m, corr, PS);
    /* all pairs involve level 56 (corr 0 -> 0+200+1 = 201) or 1 */
    CHECK(!isnan(feat[DCN_FEAT_TEX_ASM_AVG]));
    ft_release(&c);
}

static void
test_feature_count_and_last_name(void)
{
    CHECK_EQ(DCN_FEAT_COUNT, 48);
    CHECK_STR_EQ(dcn_feature_name(DCN_FEAT_TEX_F13_PTP), "tex_f13_ptp");
    CHECK(dcn_feature_name(DCN_FEAT_COUNT) == NULL);
}

static void
test_feature_names_both_ways(void)
{
    enum dcn_feature f;

    CHECK_STR_EQ(dcn_feature_name(DCN_FEAT_VOLUME), "volume");
    CHECK_EQ(dcn_feature_from_name(&f, "bright_perc_90"), DCN_OK);
    CHECK_EQ(f, DCN_FEAT_BRIGHT_PERC_90);
    CHECK_EQ(dcn_feature_from_name(&f, "frame"), DCN_ENOTFOUND);
}

static void
test_feature_groups_and_name_order(void)
{
    CHECK(dcn_feature_enabled(DCN_FEAT_DEFORM, 0));
    CHECK(!dcn_feature_enabled(DCN_FEAT_TEX_ASM_AVG, DCN_FEATURES_BRIGHTNESS));
    CHECK(dcn_feature_enabled(DCN_FEAT_TEX_ASM_AVG, DCN_FEATURES_LEGACY));
    for (int k = 0; k < DCN_FEAT_COUNT; k++) {
        CHECK(dcn_feature_name((enum dcn_feature)k) != NULL);
        if (k >= DCN_FEAT_FIRST_BRIGHTNESS && k + 1 < DCN_FEAT_FIRST_TEXTURE)
            CHECK(strcmp(dcn_feature_name((enum dcn_feature)k),
                         dcn_feature_name((enum dcn_feature)(k + 1))) < 0);
    }
}

int
main(void)
{
    ft_init(&ctx20, 20, 20);
    test_contour_of_2x2_block_is_opencvs();
    test_deform_of_2x2_block_is_opencvs();
    test_area_of_2x2_block_is_opencvs();
    test_single_pixel_mask_is_invalid_with_nan_features();
    test_vertical_line_masks_are_invalid_with_nan_features();
    test_border_and_branching_lines_are_invalid_with_nan_features();
    test_inert_ratio_prnc_of_upright_outline();
    test_inert_ratio_prnc_of_tilted_outline();
    test_ellipse_inertia_and_tilt();
    test_hull_example_of_spec();
    test_arc_length_is_float32_per_segment();
    test_vol_revolve_toroid_is_exact();
    test_vol_revolve_circular_toroid();
    test_haralick_contrast_of_a_ramp();
    test_haralick_of_an_empty_image();
    test_haralick_of_an_empty_image_is_exact_zero_or_one();
    test_haralick_of_two_level_stripes();
    test_haralick_of_tiny_and_empty_masks_is_nan();
    test_haralick_levels_wrap_at_256();
    test_feature_count_and_last_name();
    test_feature_names_both_ways();
    test_feature_groups_and_name_order();
    ft_release(&ctx20);
    return check_report();
}
