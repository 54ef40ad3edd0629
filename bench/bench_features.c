/* SPDX-License-Identifier: MIT */
/*
 * bench_features.c - cost of state "e" on synth-1000 (80x250, the data of
 * the synth-1000/tap reference): microseconds per event for each feature
 * group, and per frame for the whole dcn_features_extract_frame() call.
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
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

struct bench_event {
    size_t frame;
    struct dcn__event_view ev;
};

int
main(int argc, char **argv)
{
    char inp[PATH_MAX], bgp[PATH_MAX];
    struct td_array image = {0}, bgimg = {0}, bgidx = {0}, bgoff = {0};
    struct seg s = {0};
    struct ft_ctx c = {0};
    struct dcn_features_scratch *scratch = NULL;
    struct dcn_features_config cfg;
    struct dcn_gate_options gopt = {0};
    struct dcn_event events[64];
    uint16_t *labels = NULL;
    struct bench_event *bev = NULL;
    size_t nframes, w, h, fs, nev = 0, cap = 0, total_events = 0;
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    double t_mom = 0, t_vol = 0, t_bright = 0, t_tex = 0, t_frame = 0;
    double ps = 0.34;
    double feat[DCN_FEAT_COUNT];

    td_path(inp, "inputs/synth-1000.rtdc");
    td_path(bgp, "reference/synth-1000/default/bg.h5");
    if (td_read(&image, inp, "/events/image", TD_U8) != 0 ||
        td_read(&bgimg, bgp, "/image_bg", TD_U8) != 0 ||
        td_read(&bgidx, bgp, "/bg_index", TD_I64) != 0 ||
        td_read(&bgoff, bgp, "/bg_off", TD_F64) != 0) {
        fprintf(stderr, "bench_features: cannot read the synth-1000 data\n");
        return 0;
    }
    nframes = image.dims[0];
    h = image.dims[1];
    w = image.dims[2];
    fs = w * h;
    labels = calloc(nframes * fs, sizeof(*labels));
    seg_init(&s, w, h);
    ft_init(&c, w, h);
    dcn_features_scratch_new(&scratch, w, h);
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = DCN_FEATURES_LEGACY;
    cfg.pixel_size = ps;
    gopt.pixel_size = ps;
    dcn_gate_init(&cfg.gate, &gopt, cfg.flags, NULL);

    /* label images and the candidate events (untimed) */
    for (size_t fr = 0; fr < nframes; fr++) {
        const uint8_t *img = (const uint8_t *)image.data + fr * fs;
        const uint8_t *bg = (const uint8_t *)bgimg.data +
                            (size_t)((int64_t *)bgidx.data)[fr] * fs;
        uint16_t *lab = labels + fr * fs;
        segment(&s, img, bg, ((double *)bgoff.data)[fr], 2, lab);
        for (uint16_t id = 1;; id++) {
            struct dcn__event_view ev = {0};
            uint32_t n = 0;
            ev.x0 = (uint32_t)w;
            ev.y0 = (uint32_t)h;
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++) {
                    if (lab[y * w + x] != id)
                        continue;
                    n++;
                    ev.x0 = x < ev.x0 ? (uint32_t)x : ev.x0;
                    ev.x1 = x > ev.x1 ? (uint32_t)x : ev.x1;
                    ev.y0 = y < ev.y0 ? (uint32_t)y : ev.y0;
                    ev.y1 = (uint32_t)y;
                }
            if (n == 0)
                break;
            if (n <= 10)
                continue;
            if (nev == cap) {
                cap = cap ? 2 * cap : 1024;
                bev = realloc(bev, cap * sizeof(*bev));
            }
            ev.labels = lab;
            ev.image = img;
            ev.image_bg = bg;
            ev.width = w;
            ev.height = h;
            ev.id = id;
            ev.npix = n;
            bev[nev].frame = fr;
            bev[nev].ev = ev;
            nev++;
        }
    }

    for (int r = 0; r < reps; r++) {
        for (size_t k = 0; k < nev; k++) {
            const struct dcn__event_view *ev = &bev[k].ev;
            double off = ((double *)bgoff.data)[bev[k].frame];
            double t0 = now_us(), t1, t2, t3, t4;
            bool valid;
            dcn__contour_trace(&c.work, ev);
            valid = dcn__moment_features(feat, &c.work, ps);
            t1 = now_us();
            dcn__volume_feature(feat, &c.work, valid, ps);
            t2 = now_us();
            dcn__brightness_features(feat, &c.work, ev, true, off);
            t3 = now_us();
            dcn__haralick_features(feat, &c.work, ev);
            t4 = now_us();
            t_mom += t1 - t0;
            t_vol += t2 - t1;
            t_bright += t3 - t2;
            t_tex += t4 - t3;
        }
        for (size_t fr = 0; fr < nframes; fr++) {
            struct dcn_frame_input in = {0};
            size_t n = 0;
            double t0;
            in.image = (const uint8_t *)image.data + fr * fs;
            in.image_bg = (const uint8_t *)bgimg.data +
                          (size_t)((int64_t *)bgidx.data)[fr] * fs;
            in.labels = labels + fr * fs;
            in.width = w;
            in.height = h;
            in.has_bg_off = true;
            in.bg_off = ((double *)bgoff.data)[fr];
            t0 = now_us();
            dcn_features_extract_frame(events, 64, &n, NULL, &in, &cfg,
                                       scratch);
            t_frame += now_us() - t0;
            total_events += n;
        }
    }
    printf("bench_features: synth-1000 (%zux%zu), %zu frames, %zu candidate "
           "events, %d repetitions\n",
           h, w, nframes, nev, reps);
    printf("  moments+contour %8.2f us/event\n", t_mom / (double)(nev * reps));
    printf("  volume          %8.2f us/event\n", t_vol / (double)(nev * reps));
    printf("  brightness      %8.2f us/event (+ bg_med once per frame)\n",
           t_bright / (double)(nev * reps));
    printf("  haralick        %8.2f us/event\n", t_tex / (double)(nev * reps));
    printf("  extract_frame   %8.2f us/frame, %.2f us/event, %.0f frames/s "
           "on one core (%zu events/rep)\n",
           t_frame / (double)(nframes * reps), t_frame / (double)total_events,
           1e6 * (double)(nframes * reps) / t_frame,
           total_events / (size_t)reps);

    free(bev);
    free(labels);
    seg_release(&s);
    ft_release(&c);
    dcn_features_scratch_free(scratch);
    td_array_release(&image);
    td_array_release(&bgimg);
    td_array_release(&bgidx);
    td_array_release(&bgoff);
    return 0;
}
