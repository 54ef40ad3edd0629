/* SPDX-License-Identifier: MIT */
/*
 * test_features_random.c - random label images (blobs, spurs, diagonal
 * chains, holes, objects on the image border, extreme grey values)
 * through dcn_features_extract_frame(): no crash (run it under ASan), and
 * the invariants every valid event must satisfy:
 * - the hull is at least the raw polygon: area_ratio >= 1, per_ratio >= 1;
 * - the polygon through pixel centres is inside its box: area_msd <=
 *   (w - 1)(h - 1);
 * - 0 <= deform < 1, 0 <= tilt <= pi/2, volume > 0, size_* >= 1 px;
 * - texture all finite or all NaN; brightness within the grey range;
 * - the invalid ones are exactly those that the shoelace rule rejects.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "features_testutil.h"

#define W 64
#define H 48

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(uint32_t n)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 33) % n;
}

static uint16_t labels[W * H];
static uint8_t image[W * H];
static uint8_t bg[W * H];

/* a random shape of label id: a blob, a walk (spurs, diagonals) or a
 * ring; labels of other objects may be overwritten (touching objects
 * become one 8-connected region in real data, here they stay distinct
 * labels, which the extraction must handle as well) */
static void
draw_blob(uint16_t id, int cx, int cy)
{
    int rx = 1 + (int)rnd(10), ry = 1 + (int)rnd(8);

    for (int y = cy - ry; y <= cy + ry; y++)
        for (int x = cx - rx; x <= cx + rx; x++) {
            double u = (double)(x - cx) / rx, v = (double)(y - cy) / ry;
            if (x >= 0 && y >= 0 && x < W && y < H && u * u + v * v <= 1)
                labels[y * W + x] = id;
        }
}

static int
clamp_int(int v, int hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

static void
draw_walk(uint16_t id, int cx, int cy)
{
    int x = cx, y = cy, len = 5 + (int)rnd(60);

    for (int k = 0; k < len; k++) {
        labels[y * W + x] = id;
        x += (int)rnd(3) - 1;
        y += (int)rnd(3) - 1;
        x = clamp_int(x, W - 1);
        y = clamp_int(y, H - 1);
    }
}

static void
draw_ring(uint16_t id, int cx, int cy)
{
    int r = 2 + (int)rnd(8);

    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++) {
            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            if (x >= 0 && y >= 0 && x < W && y < H && d2 <= r * r &&
                d2 >= (r - 1) * (r - 1))
                labels[y * W + x] = id;
        }
}

/* a random shape of label id: a blob, a walk (spurs, diagonals) or a
 * ring; labels of other objects may be overwritten (touching objects
 * become one 8-connected region in real data, here they stay distinct
 * labels, which the extraction must handle as well) */
static void
draw(uint16_t id)
{
    int kind = (int)rnd(3);
    int cx = (int)rnd(W), cy = (int)rnd(H);

    if (kind == 0)
        draw_blob(id, cx, cy);
    else if (kind == 1)
        draw_walk(id, cx, cy);
    else
        draw_ring(id, cx, cy);
}

/* is label id one 8-connected region?  (the contour is traced from the
 * first pixel, so features describe that region; only check the
 * invariants for single regions) */
static int
connected(uint16_t id, uint32_t npix)
{
    static uint8_t seen[W * H];
    static int stack[W * H];
    int sp = 0;
    uint32_t n = 0;

    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < W * H && sp == 0; i++)
        if (labels[i] == id) {
            seen[i] = 1;
            stack[sp++] = i;
        }
    while (sp > 0) {
        int i = stack[--sp], x = i % W, y = i / W;
        n++;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int xx = x + dx, yy = y + dy, j;
                if (xx < 0 || yy < 0 || xx >= W || yy >= H)
                    continue;
                j = yy * W + xx;
                if (labels[j] == id && !seen[j]) {
                    seen[j] = 1;
                    stack[sp++] = j;
                }
            }
    }
    return n == npix;
}

static void
check_event(const struct dcn_event *e, double ps)
{
    const double *f = e->feat;
    int ntex_nan = 0;

    CHECK(f[DCN_FEAT_AREA_RATIO] >= 1.0);
    CHECK(f[DCN_FEAT_PER_RATIO] >= 1.0);
    /* the polygon through pixel centres lies inside the box of them */
    CHECK(f[DCN_FEAT_AREA_MSD] > 0 &&
          f[DCN_FEAT_AREA_MSD] <= (f[DCN_FEAT_SIZE_X] / ps -
                                   1) * (f[DCN_FEAT_SIZE_Y] / ps - 1) +
                                          1e-9);
    CHECK(f[DCN_FEAT_DEFORM] >= 0 && f[DCN_FEAT_DEFORM] < 1);
    CHECK(f[DCN_FEAT_DEFORM_RAW] >= 0 && f[DCN_FEAT_DEFORM_RAW] < 1);
    CHECK(f[DCN_FEAT_TILT] >= 0 && f[DCN_FEAT_TILT] <= 1.5707963267948966);
    CHECK(f[DCN_FEAT_SIZE_X] >= ps && f[DCN_FEAT_SIZE_Y] >= ps);
    CHECK(f[DCN_FEAT_POS_X] >= 0 && f[DCN_FEAT_POS_X] <= W * ps);
    CHECK(f[DCN_FEAT_POS_Y] >= 0 && f[DCN_FEAT_POS_Y] <= H * ps);
    CHECK(!isnan(f[DCN_FEAT_VOLUME]) ? f[DCN_FEAT_VOLUME] > 0 : 1);
    CHECK(f[DCN_FEAT_BRIGHT_AVG] >= 0 && f[DCN_FEAT_BRIGHT_AVG] <= 255);
    CHECK(f[DCN_FEAT_BRIGHT_PERC_10] <= f[DCN_FEAT_BRIGHT_PERC_90]);
    CHECK(f[DCN_FEAT_BRIGHT_SD] >= 0 && f[DCN_FEAT_BRIGHT_BC_SD] >= 0);
    for (int k = DCN_FEAT_FIRST_TEXTURE; k < DCN_FEAT_COUNT; k++)
        ntex_nan += isnan(f[k]) != 0;
    CHECK(ntex_nan == 0 || ntex_nan == DCN_FEAT_NUM_TEXTURE);
    if (ntex_nan == 0) {
        CHECK(f[DCN_FEAT_TEX_ASM_AVG] > 0 && f[DCN_FEAT_TEX_ASM_AVG] <= 1);
        CHECK(f[DCN_FEAT_TEX_CON_AVG] >= 0);
        CHECK(f[DCN_FEAT_TEX_ENT_AVG] >= 0);
        CHECK(f[DCN_FEAT_TEX_ASM_PTP] >= 0);
    }
}

/* Events, dropped masks and checked single regions over all frames. */
struct tally {
    size_t total, dropped, checked;
};

/* Frame it: random grey values, background and 1..12 random objects. */
static void
random_frame(int it)
{
    int nobj = 1 + (int)rnd(12);
    int contrast = it % 3 == 0 ? 255 : 40;

    memset(labels, 0, sizeof(labels));
    for (int i = 0; i < W * H; i++) {
        image[i] = (uint8_t)(it % 5 == 0 ? (rnd(2) ? 255 : 0)
                                         : 100 + (int)rnd(contrast));
        bg[i] = (uint8_t)(it % 7 == 0 ? 255 : 90 + (int)rnd(30));
    }
    for (int k = 0; k < nobj; k++)
        draw((uint16_t)(1 + rnd(20)));
}

/* Extract the events of frame it and check the invariants of each. */
static void
check_frame(int it, const struct dcn_features_config *cfg,
            struct dcn_features_scratch *s, struct tally *tally)
{
    struct dcn_frame_input in;
    struct dcn_frame_stats st;
    struct dcn_event ev[64];
    struct dcn_event_table table = {ev, 64, 0};

    memset(&in, 0, sizeof(in));
    in.image = image;
    in.image_bg = bg;
    in.labels = labels;
    in.width = W;
    in.height = H;
    in.has_bg_off = it % 2 == 0;
    in.bg_off = 0.75;
    CHECK_EQ(dcn_features_extract_frame(&table, &st, &in, cfg, s), DCN_OK);
    tally->total += table.count;
    tally->dropped += st.masks_dropped;
    CHECK_EQ(table.count + st.masks_dropped, st.candidates);
    for (size_t k = 0; k < table.count; k++) {
        CHECK(k == 0 || ev[k].label > ev[k - 1].label);
        CHECK(ev[k].npix > 10);
        if (connected(ev[k].label, ev[k].npix)) {
            check_event(&ev[k], cfg->pixel_size);
            tally->checked++;
        }
    }
}

int
main(void)
{
    struct dcn_features_scratch *s = NULL;
    struct dcn_features_config cfg;
    struct dcn_gate_options gopt;
    const double ps = 0.34;
    struct tally tally = {0, 0, 0};

    CHECK_EQ(dcn_features_scratch_new(&s, W, H), DCN_OK);
    memset(&cfg, 0, sizeof(cfg));
    memset(&gopt, 0, sizeof(gopt));
    cfg.flags = DCN_FEATURES_LEGACY;
    cfg.pixel_size = ps;
    gopt.pixel_size = ps;
    dcn_gate_init(&cfg.gate, &gopt, cfg.flags, NULL);
    for (int it = 0; it < 1500; it++) {
        random_frame(it);
        check_frame(it, &cfg, s, &tally);
    }
    printf("random frames: %zu events (%zu single regions checked), %zu "
           "invalid dropped\n",
           tally.total, tally.checked, tally.dropped);
    CHECK(tally.total > 1000 && tally.dropped > 10 && tally.checked > 1000);
    dcn_features_scratch_free(s);
    return check_report();
}
