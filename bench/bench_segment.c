/* SPDX-License-Identifier: MIT */
/*
 * bench_segment.c - ns/frame of dcn_segment_thresh(), dcn_label(),
 * dcn_label_process() (cle=1 f=1 clo=2, and clo=0), the fused
 * dcn_label_and_process()
 * and dcn_label_sizes() + dcn_label_candidates() on the 1000 frames (80 x 250)
 * of synth-1000, with dcnum's background from reference bg.h5.  One
 * thread, thread CPU time (so the load of other processes on a shared
 * machine does not count), best of several passes (DCN_BENCH_PASSES,
 * default 7).  Prints numbers; never fails.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "label.h"
#include "segment.h"
#include "testdata.h"

enum {
    T_THRESH,
    T_LABEL,
    T_PROC2,
    T_PROC0,
    T_FUSED,
    T_SIZES,
    T_N
};

/* CPU time of this thread: other processes on the machine do not count. */
static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct bench {
    size_t n, w, h;
    int16_t *corr; /* n frames each */
    double *off;
    uint8_t *mask;
    uint16_t *lab;
    uint16_t *lab2;
    void *scratch;
    struct dcn_label_stats *st;
    uint16_t *ids;
    size_t *nmax;
    size_t events;
};

/*
 * Stage by stage over all frames, as the pipeline runs a stage over a
 * batch of a chunk's frames: t[k] is the CPU time of stage k.
 */
static void
one_pass(struct bench *b, double t[T_N])
{
    const struct dcn_label_process_opts o2 = {true, true, 2};
    const struct dcn_label_process_opts o0 = {true, true, 0};
    const size_t px = b->w * b->h;
    double t0 = now_ns();
    size_t nobj;
    size_t nmax0;

    for (size_t i = 0; i < b->n; i++) {
        struct dcn_corr_view cv = {b->corr + i * px, b->w, b->h, b->w};

        dcn_segment_thresh(b->mask + i * px, &cv, &b->off[i], -6.0);
    }
    t[T_THRESH] = now_ns() - t0;
    t0 = now_ns();
    for (size_t i = 0; i < b->n; i++) {
        struct dcn_mask_view mv = {b->mask + i * px, b->w, b->h, b->w};

        dcn_label(b->lab + i * px, &nobj, &mv, i, b->scratch, NULL);
    }
    t[T_LABEL] = now_ns() - t0;
    memcpy(b->lab2, b->lab, b->n * px * sizeof(*b->lab));
    t0 = now_ns();
    for (size_t i = 0; i < b->n; i++)
        dcn_label_process(
                &(struct dcn_label_image){b->lab2 + i * px, b->w, b->h}, &nmax0,
                &o0, i, b->scratch, NULL);
    t[T_PROC0] = now_ns() - t0;
    t0 = now_ns();
    for (size_t i = 0; i < b->n; i++)
        dcn_label_process(
                &(struct dcn_label_image){b->lab + i * px, b->w, b->h},
                &b->nmax[i], &o2, i, b->scratch, NULL);
    t[T_PROC2] = now_ns() - t0;
    t0 = now_ns();
    for (size_t i = 0; i < b->n; i++) {
        struct dcn_mask_view mv = {b->mask + i * px, b->w, b->h, b->w};

        dcn_label_and_process(
                &(struct dcn_label_image){b->lab2 + i * px, b->w, b->h}, &nmax0,
                &mv, &o2, i, b->scratch, NULL);
    }
    t[T_FUSED] = now_ns() - t0;
    b->events = 0;
    t0 = now_ns();
    for (size_t i = 0; i < b->n; i++) {
        size_t nl = 0;

        dcn_label_sizes(b->st, DCN_LABEL_MAX, &nl, b->lab + i * px, b->w, b->h);
        b->events += dcn_label_candidates(b->ids, b->st, nl, 0);
    }
    t[T_SIZES] = now_ns() - t0;
}

static int
load(struct bench *b)
{
    char p1[PATH_MAX];
    char p2[PATH_MAX];
    struct td_array img = {0}, bg = {0}, bgi = {0}, bgo = {0};
    int rc = -1;

    td_path(p1, "inputs/synth-1000.rtdc");
    td_path(p2, "reference/synth-1000/default/bg.h5");
    if (td_read(&img, p1, "/events/image", TD_U8) != 0 ||
        td_read(&bg, p2, "/image_bg", TD_U8) != 0 ||
        td_read(&bgi, p2, "/bg_index", TD_I64) != 0 ||
        td_read(&bgo, p2, "/bg_off", TD_F64) != 0)
        goto out;
    b->n = img.dims[0];
    b->h = img.dims[1];
    b->w = img.dims[2];
    b->corr = malloc(b->n * b->w * b->h * sizeof(*b->corr));
    b->off = malloc(b->n * sizeof(*b->off));
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *im = (const uint8_t *)img.data + i * b->w * b->h;
        const uint8_t *g = (const uint8_t *)bg.data +
                           (size_t)((int64_t *)bgi.data)[i] * b->w * b->h;

        for (size_t p = 0; p < b->w * b->h; p++)
            b->corr[i * b->w * b->h + p] =
                    (int16_t)((int16_t)im[p] - (int16_t)g[p]);
        b->off[i] = ((double *)bgo.data)[i];
    }
    rc = 0;
out:
    td_array_release(&img);
    td_array_release(&bg);
    td_array_release(&bgi);
    td_array_release(&bgo);
    return rc;
}

/* $DCN_BENCH_PASSES; called before any thread starts. */
static const char *
passes_env(void)
{
    const char *name = "DCN_BENCH_PASSES";

    return getenv(name); // NOLINT(concurrency-mt-unsafe): no threads yet
}

int
main(void)
{
    static const char *names[T_N] = {"thresh",
                                     "label",
                                     "process_labels cle=1 f=1 clo=2",
                                     "process_labels cle=1 f=1 clo=0",
                                     "label_and_process (fused) clo=2",
                                     "label_sizes + candidates"};
    struct bench b = {0};
    double best[T_N];
    double t[T_N];
    double sum = 0;

    if (load(&b) != 0) {
        (void)fprintf(stderr, "bench_segment: cannot read synth-1000\n");
        return 0;
    }
    b.mask = malloc(b.n * b.w * b.h);
    b.lab = malloc(b.n * b.w * b.h * sizeof(*b.lab));
    b.lab2 = malloc(b.n * b.w * b.h * sizeof(*b.lab));
    b.nmax = malloc(b.n * sizeof(*b.nmax));
    b.scratch = malloc(dcn_label_process_scratch_size(b.w, b.h));
    b.st = malloc(65536 * sizeof(*b.st));
    b.ids = malloc(65536 * sizeof(*b.ids));
    for (int k = 0; k < T_N; k++)
        best[k] = 1e300;
    const char *env = passes_env();
    int passes = env != NULL && atoi(env) > 0 ? atoi(env) : 7;

    for (int pass = 0; pass < passes; pass++) {
        one_pass(&b, t);
        for (int k = 0; k < T_N; k++)
            best[k] = t[k] < best[k] ? t[k] : best[k];
    }
    printf("synth-1000: %zu frames of %zux%zu, %zu candidates per pass "
           "(stage by stage, best of %d passes, thread CPU time)\n",
           b.n, b.h, b.w, b.events, passes);
    for (int k = 0; k < T_N; k++) {
        printf("  %-34s %8.0f ns/frame\n", names[k], best[k] / (double)b.n);
        if (k != T_PROC0 && k != T_FUSED)
            sum += best[k];
    }
    printf("  %-34s %8.0f ns/frame (%.0f frames/s on one core)\n",
           "total (default pipeline)", sum / (double)b.n,
           1e9 * (double)b.n / sum);
    free(b.corr);
    free(b.off);
    free(b.mask);
    free(b.lab);
    free(b.lab2);
    free(b.scratch);
    free(b.st);
    free(b.ids);
    free(b.nmax);
    return 0;
}
