/* SPDX-License-Identifier: MIT */
/*
 * bench_features.c - cost of state "e" on synth-1000 (80x250, the data of
 * the synth-1000/tap reference): microseconds per event for each feature
 * group, and per frame for the whole ft_extract() call.
 *
 * The label images are built once, untimed, by the tests' segmentation
 * oracle from the input and dcnum's background (reference bg.h5).  Prints
 * numbers; never fails.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features_seg_oracle.h"
#include "features_testutil.h"
#include "testdata.h"

static double
now_us(void)
{
    struct timespec ts;
    /* CPU time of this thread: other jobs on the shared machine do not
     * count, only their cache pressure does */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

struct bench_event {
    size_t frame;
    struct dcn__event_view ev;
};

/* The data, the working memory and the candidate events of the run. */
struct bench {
    struct td_array image, bgimg, bgidx, bgoff;
    struct seg s;
    struct ft_ctx c;
    struct dcn_features_scratch *scratch;
    struct dcn_features_config cfg;
    struct dcn_event events[64];
    uint16_t *labels;
    struct bench_event *bev;
    double *bgmed;
    size_t nframes, w, h, fs, nev, cap, total_events;
    double ps;
    double feat[DCN_FEAT_COUNT];
};

/* The best time of each measurement over the repetitions (us). */
struct timings {
    double mom, vol, bright, tex, frame, frame_med, labels;
};

static int
read_data(struct bench *b)
{
    char inp[PATH_MAX], bgp[PATH_MAX];

    td_path(inp, "inputs/synth-1000.rtdc");
    td_path(bgp, "reference/synth-1000/default/bg.h5");
    if (td_read(&b->image, inp, "/events/image", TD_U8) != 0 ||
        td_read(&b->bgimg, bgp, "/image_bg", TD_U8) != 0 ||
        td_read(&b->bgidx, bgp, "/bg_index", TD_I64) != 0 ||
        td_read(&b->bgoff, bgp, "/bg_off", TD_F64) != 0) {
        (void)fprintf(stderr,
                      "bench_features: cannot read the synth-1000 data\n");
        return -1;
    }
    return 0;
}

static void
set_up(struct bench *b)
{
    struct dcn_gate_options gopt = {0};

    b->nframes = b->image.dims[0];
    b->h = b->image.dims[1];
    b->w = b->image.dims[2];
    b->fs = b->w * b->h;
    b->ps = 0.34;
    b->labels = calloc(b->nframes * b->fs, sizeof(*b->labels));
    seg_init(&b->s, b->w, b->h);
    ft_init(&b->c, b->w, b->h);
    dcn_features_scratch_new(&b->scratch, b->w, b->h);
    memset(&b->cfg, 0, sizeof(b->cfg));
    b->cfg.flags = DCN_FEATURES_LEGACY;
    b->cfg.pixel_size = b->ps;
    gopt.pixel_size = b->ps;
    dcn_gate_init(&b->cfg.gate, &gopt, b->cfg.flags, NULL);
    /* the median of each background image, as a caller would cache it */
    b->bgmed = calloc(b->bgimg.dims[0], sizeof(*b->bgmed));
    for (size_t k = 0; k < b->bgimg.dims[0]; k++)
        b->bgmed[k] = dcn_features_median_u8(
                (const uint8_t *)b->bgimg.data + k * b->fs, b->fs);
}

/* The box of label id in lab into ev; returns its pixel count. */
static uint32_t
label_box(const struct bench *b, const uint16_t *lab, uint16_t id,
          struct dcn__event_view *ev)
{
    uint32_t n = 0;

    ev->x0 = (uint32_t)b->w;
    ev->y0 = (uint32_t)b->h;
    for (size_t y = 0; y < b->h; y++)
        for (size_t x = 0; x < b->w; x++) {
            if (lab[y * b->w + x] != id)
                continue;
            n++;
            ev->x0 = x < ev->x0 ? (uint32_t)x : ev->x0;
            ev->x1 = x > ev->x1 ? (uint32_t)x : ev->x1;
            ev->y0 = y < ev->y0 ? (uint32_t)y : ev->y0;
            ev->y1 = (uint32_t)y;
        }
    return n;
}

/* Append a candidate event of frame fr; 0, or -1 if out of memory. */
static int
add_event(struct bench *b, size_t fr, const struct dcn__event_view *ev)
{
    if (b->nev == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        struct bench_event *bev = realloc(b->bev, cap * sizeof(*bev));

        if (bev == NULL)
            return -1;
        b->bev = bev;
        b->cap = cap;
    }
    b->bev[b->nev].frame = fr;
    b->bev[b->nev].ev = *ev;
    b->nev++;
    return 0;
}

/* The label image and the candidate events of frame fr (untimed). */
static int
collect_frame(struct bench *b, size_t fr)
{
    const uint8_t *img = (const uint8_t *)b->image.data + fr * b->fs;
    const uint8_t *bg = (const uint8_t *)b->bgimg.data +
                        (size_t)((int64_t *)b->bgidx.data)[fr] * b->fs;
    uint16_t *lab = b->labels + fr * b->fs;

    segment(&b->s, img, bg, ((double *)b->bgoff.data)[fr], 2, lab);
    for (uint16_t id = 1;; id++) {
        struct dcn__event_view ev = {0};
        uint32_t n = label_box(b, lab, id, &ev);

        if (n == 0)
            return 0;
        if (n <= 10)
            continue;
        ev.labels = lab;
        ev.image = img;
        ev.image_bg = bg;
        ev.width = b->w;
        ev.height = b->h;
        ev.id = id;
        ev.npix = n;
        if (add_event(b, fr, &ev) != 0)
            return -1;
    }
}

static double
time_moments(struct bench *b)
{
    double t0 = now_us();

    for (size_t k = 0; k < b->nev; k++) {
        dcn__contour_trace(&b->c.work, &b->bev[k].ev);
        dcn__moment_features(b->feat, &b->c.work, b->ps);
    }
    return now_us() - t0;
}

static double
time_moments_and_volume(struct bench *b)
{
    double t0 = now_us();

    for (size_t k = 0; k < b->nev; k++) {
        bool valid;
        dcn__contour_trace(&b->c.work, &b->bev[k].ev);
        valid = dcn__moment_features(b->feat, &b->c.work, b->ps);
        dcn__volume_feature(b->feat, &b->c.work, valid, b->ps);
    }
    return now_us() - t0;
}

static double
time_brightness(struct bench *b)
{
    double t0 = now_us();

    for (size_t k = 0; k < b->nev; k++)
        dcn__brightness_features(b->feat, &b->c.work, &b->bev[k].ev, true,
                                 ((double *)b->bgoff.data)[b->bev[k].frame]);
    return now_us() - t0;
}

static double
time_haralick(struct bench *b)
{
    double t0 = now_us();

    for (size_t k = 0; k < b->nev; k++)
        dcn__haralick_features(b->feat, &b->c.work, &b->bev[k].ev);
    return now_us() - t0;
}

/* dcn_features_extract_frame() over every frame, with or without the
 * background medians given; counts the events into b->total_events. */
static double
time_frames(struct bench *b, bool with_med)
{
    double t = 0;

    for (size_t fr = 0; fr < b->nframes; fr++) {
        size_t bgi = (size_t)((int64_t *)b->bgidx.data)[fr];
        struct dcn_event_table table = {b->events, 64, 0};
        struct dcn_frame_input in = {0};
        double tf;
        double med = b->bgmed[bgi];

        in.image = (const uint8_t *)b->image.data + fr * b->fs;
        in.image_bg = (const uint8_t *)b->bgimg.data + bgi * b->fs;
        in.labels = b->labels + fr * b->fs;
        in.width = b->w;
        in.height = b->h;
        in.has_bg_off = true;
        in.bg_off = ((double *)b->bgoff.data)[fr];
        in.bg_median = with_med ? &med : NULL;
        tf = now_us();
        dcn_features_extract_frame(&table, NULL, &in, &b->cfg, b->scratch);
        t += now_us() - tf;
        b->total_events += table.count;
    }
    return t;
}

/* the per-frame label pass alone: no label passes the size gate */
static double
time_label_pass(struct bench *b)
{
    struct dcn_features_config c0 = b->cfg;
    double tl = 0;

    c0.gate.size_thresh_mask = 1L << 40;
    for (size_t fr = 0; fr < b->nframes; fr++) {
        struct dcn_event_table table = {b->events, 64, 0};
        struct dcn_frame_input in = {0};
        double tf;

        in.image = (const uint8_t *)b->image.data + fr * b->fs;
        in.image_bg = (const uint8_t *)b->bgimg.data;
        in.labels = b->labels + fr * b->fs;
        in.width = b->w;
        in.height = b->h;
        tf = now_us();
        dcn_features_extract_frame(&table, NULL, &in, &c0, b->scratch);
        tl += now_us() - tf;
    }
    return tl;
}

static double
min_of(double a, double b)
{
    return a < b ? a : b;
}

/* One repetition of every measurement; keeps the best times in t. */
static void
measure(struct bench *b, struct timings *t)
{
    t->mom = min_of(time_moments(b), t->mom);
    t->vol = min_of(time_moments_and_volume(b), t->vol);
    t->bright = min_of(time_brightness(b), t->bright);
    t->tex = min_of(time_haralick(b), t->tex);
    b->total_events = 0;
    t->frame = min_of(time_frames(b, false), t->frame);
    t->frame_med = min_of(time_frames(b, true), t->frame_med);
    b->total_events /= 2;
    t->labels = min_of(time_label_pass(b), t->labels);
}

static void
print_results(const struct bench *b, const struct timings *t, int reps)
{
    double nev = (double)b->nev, nframes = (double)b->nframes;

    printf("bench_features: synth-1000 (%zux%zu), %zu frames, %zu candidate "
           "events, best of %d repetitions\n",
           b->h, b->w, b->nframes, b->nev, reps);
    printf("  moments+contour %8.2f us/event\n", t->mom / nev);
    printf("  volume          %8.2f us/event (difference of two loops)\n",
           (t->vol - t->mom) / nev);
    printf("  brightness      %8.2f us/event (+ bg_med once per frame)\n",
           t->bright / nev);
    printf("  haralick        %8.2f us/event\n", t->tex / nev);
    printf("  extract_frame   %8.2f us/frame (%.0f frames/s on one core), "
           "%zu events\n",
           t->frame / nframes, 1e6 * nframes / t->frame, b->total_events);
    printf("  label pass      %8.2f us/frame (counts and boxes, no "
           "candidate)\n",
           t->labels / nframes);
    printf("  extract_frame   %8.2f us/frame (%.0f frames/s on one core) "
           "with bg_median given per background image\n",
           t->frame_med / nframes, 1e6 * nframes / t->frame_med);
}

static void
release(struct bench *b)
{
    free(b->bev);
    free(b->bgmed);
    free(b->labels);
    seg_release(&b->s);
    ft_release(&b->c);
    dcn_features_scratch_free(b->scratch);
    td_array_release(&b->image);
    td_array_release(&b->bgimg);
    td_array_release(&b->bgidx);
    td_array_release(&b->bgoff);
}

int
main(int argc, char **argv)
{
    static struct bench b;
    struct timings t = {1e300, 1e300, 1e300, 1e300, 1e300, 1e300, 1e300};
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    int ok = 0;

    if (read_data(&b) != 0)
        return 0;
    set_up(&b);
    for (size_t fr = 0; fr < b.nframes && ok == 0; fr++)
        ok = collect_frame(&b, fr);
    /* the minimum over the repetitions: the machine is shared */
    for (int r = 0; r < reps && ok == 0; r++)
        measure(&b, &t);
    if (ok == 0)
        print_results(&b, &t, reps);
    release(&b);
    return 0;
}
