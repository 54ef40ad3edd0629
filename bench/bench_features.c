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
    double *bgmed = NULL;
    size_t nframes, w, h, fs, nev = 0, cap = 0, total_events = 0;
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    double t_mom = 1e300, t_vol = 1e300, t_bright = 1e300, t_tex = 1e300;
    double t_frame = 1e300, t_frame_med = 1e300, t_labels = 1e300;
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

    /* the median of each background image, as a caller would cache it */
    bgmed = calloc(bgimg.dims[0], sizeof(*bgmed));
    for (size_t k = 0; k < bgimg.dims[0]; k++)
        bgmed[k] = dcn_features_median_u8((const uint8_t *)bgimg.data + k * fs,
                                          fs);
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

    /* the minimum over the repetitions: the machine is shared */
    for (int r = 0; r < reps; r++) {
        double m = 0, v = 0, br = 0, tx = 0, fr_all = 0, fr_med = 0;
        double t0 = now_us();
        for (size_t k = 0; k < nev; k++) {
            dcn__contour_trace(&c.work, &bev[k].ev);
            dcn__moment_features(feat, &c.work, ps);
        }
        m = now_us() - t0;
        t0 = now_us();
        for (size_t k = 0; k < nev; k++) {
            bool valid;
            dcn__contour_trace(&c.work, &bev[k].ev);
            valid = dcn__moment_features(feat, &c.work, ps);
            dcn__volume_feature(feat, &c.work, valid, ps);
        }
        v = now_us() - t0;
        t0 = now_us();
        for (size_t k = 0; k < nev; k++)
            dcn__brightness_features(feat, &c.work, &bev[k].ev, true,
                                     ((double *)bgoff.data)[bev[k].frame]);
        br = now_us() - t0;
        t0 = now_us();
        for (size_t k = 0; k < nev; k++)
            dcn__haralick_features(feat, &c.work, &bev[k].ev);
        tx = now_us() - t0;
        total_events = 0;
        for (int with_med = 0; with_med < 2; with_med++) {
            for (size_t fr = 0; fr < nframes; fr++) {
                struct dcn_frame_input in = {0};
                size_t n = 0;
                double tf;
                double med = bgmed[(size_t)((int64_t *)bgidx.data)[fr]];
                in.image = (const uint8_t *)image.data + fr * fs;
                in.image_bg = (const uint8_t *)bgimg.data +
                              (size_t)((int64_t *)bgidx.data)[fr] * fs;
                in.labels = labels + fr * fs;
                in.width = w;
                in.height = h;
                in.has_bg_off = true;
                in.bg_off = ((double *)bgoff.data)[fr];
                in.bg_median = with_med ? &med : NULL;
                tf = now_us();
                ft_extract(events, 64, &n, NULL, &in, &cfg, scratch);
                if (with_med)
                    fr_med += now_us() - tf;
                else
                    fr_all += now_us() - tf;
                total_events += n;
            }
        }
        total_events /= 2;
        t_mom = m < t_mom ? m : t_mom;
        t_vol = v < t_vol ? v : t_vol;
        t_bright = br < t_bright ? br : t_bright;
        t_tex = tx < t_tex ? tx : t_tex;
        t_frame = fr_all < t_frame ? fr_all : t_frame;
        t_frame_med = fr_med < t_frame_med ? fr_med : t_frame_med;
        /* the per-frame label pass alone: no label passes the size gate */
        {
            struct dcn_features_config c0 = cfg;
            double tl = 0;
            c0.gate.size_thresh_mask = 1L << 40;
            for (size_t fr = 0; fr < nframes; fr++) {
                struct dcn_frame_input in = {0};
                size_t n = 0;
                double tf;
                in.image = (const uint8_t *)image.data + fr * fs;
                in.image_bg = (const uint8_t *)bgimg.data;
                in.labels = labels + fr * fs;
                in.width = w;
                in.height = h;
                tf = now_us();
                ft_extract(events, 64, &n, NULL, &in, &c0, scratch);
                tl += now_us() - tf;
            }
            t_labels = tl < t_labels ? tl : t_labels;
        }
    }
    printf("bench_features: synth-1000 (%zux%zu), %zu frames, %zu candidate "
           "events, best of %d repetitions\n",
           h, w, nframes, nev, reps);
    printf("  moments+contour %8.2f us/event\n", t_mom / (double)nev);
    printf("  volume          %8.2f us/event (difference of two loops)\n",
           (t_vol - t_mom) / (double)nev);
    printf("  brightness      %8.2f us/event (+ bg_med once per frame)\n",
           t_bright / (double)nev);
    printf("  haralick        %8.2f us/event\n", t_tex / (double)nev);
    printf("  extract_frame   %8.2f us/frame (%.0f frames/s on one core), "
           "%zu events\n",
           t_frame / (double)nframes, 1e6 * (double)nframes / t_frame,
           total_events);
    printf("  label pass      %8.2f us/frame (counts and boxes, no "
           "candidate)\n",
           t_labels / (double)nframes);
    printf("  extract_frame   %8.2f us/frame (%.0f frames/s on one core) "
           "with bg_median given per background image\n",
           t_frame_med / (double)nframes, 1e6 * (double)nframes / t_frame_med);

    free(bev);
    free(bgmed);
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
