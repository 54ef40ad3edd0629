/* SPDX-License-Identifier: MIT */
/*
 * background.h - the background stage (numerics.md §2): sparse median
 * ("sparsemed"), rolling median ("rollmed"), the offset correction bg_off
 * and flicker detection.  Bit-identical to dcnum at git 4e2d8eb (PPID
 * generation 13), with numpy 1.24 / scipy 1.10 numerics.
 *
 * Everything here is pure computation over borrowed memory: no I/O, no
 * threads, no globals.  The pipeline drives it:
 *
 * sparsemed (§2.1)
 *   1. dcn_bg_time_axis()          time axis t[0..N-1] from time / frame /
 *                                  frame rate / the 3600-fps guess;
 *   2. dcn_sparsemed_nsteps(),     M step times and, per step, the first
 *      dcn_sparsemed_plan()        frame of its K-frame window, with
 *                                  K = dcn_sparsemed_kernel(kernel_size, N);
 *   3. dcn_bg_median()             per step: the rank-K//2 element of the K
 *                                  frames, pixel by pixel; the pixel range
 *                                  may be split over threads;
 *   4. dcn_sparsemed_cleanse()     which of the M images are kept (used[]);
 *   5. dcn_sparsemed_assign()      frame -> kept image (bg_idx, int64);
 *   6. dcn_bg_top_mean(),          bg_off[j] = mimg[j] - mbg[bg_idx[j]].
 *      dcn_bg_offsets()
 *
 * rollmed (§2.2)
 *   dcn_rollmed_check() validates the options; a struct dcn_rollmed keeps
 *   one sliding 256-bin histogram and a tracked median per pixel (memory
 *   O(pixels), independent of N).  Feed frames 0..K-1 with
 *   dcn_rollmed_add(), read bg[0] with dcn_rollmed_median(), then for
 *   i = 1 .. N-K-1 call dcn_rollmed_step() with frame i-1 (leaving) and
 *   frame i+K-1 (entering) to get bg[i].  Frames N-K .. N-1 use
 *   bg[N-K-1] (the caller copies it).  The caller keeps the frame that
 *   leaves the window available (a ring of K+1 frames, or a re-read).
 *   dcnum's batch_size changes nothing in the result (it is only checked
 *   and goes into the PPID).
 *
 * copy (§2.3)
 *   Nothing is computed: image_bg and bg_off are copied from the input by
 *   the I/O layer.  No function here is involved.
 *
 * Per frame, in slot state "i", dcn_bg_subtract() makes image_corr from
 * image and image_bg (§2.0).
 *
 * Thread-safety: every function is reentrant.  The median and rollmed
 * functions that take a pixel range [p0, p1) may run concurrently on
 * disjoint ranges of the same output and the same struct dcn_rollmed, as
 * long as each thread passes its own scratch.  Nothing here allocates
 * except dcn_rollmed_new() (once per run) and dcn_sparsemed_cleanse()
 * (once per run, O(M*H)).
 */
#ifndef DCN_STAGES_BACKGROUND_H
#define DCN_STAGES_BACKGROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/* ------------------------------------------------------------------ */
/* Time axis (§2.1)                                                    */

/*
 * numpy.linspace(start, stop, n) with endpoint=True, exactly: t[i] =
 * i*step + start with step = (stop-start)/(n-1), and t[n-1] = stop.
 * n == 1 gives {start}.  dst: n doubles written.
 */
void dcn_bg_linspace(double *dst, size_t n, double start, double stop);

/* Which rule dcn_bg_time_axis() applied. */
enum dcn_bg_time_source {
    DCN_BG_TIME_FEATURE = 1,    /* t = time - time[0] */
    DCN_BG_TIME_FRAME = 2,      /* t = frame/fr - frame[0]/fr */
    DCN_BG_TIME_RATE_GUESS = 3, /* linspace(0, N/fr*1.5, N) */
    DCN_BG_TIME_3600_GUESS = 4  /* linspace(0, N/3600*1.5, N) */
};

/* What the input offers for the time axis (all borrowed). */
struct dcn_bg_time_input {
    const double *time;       /* `time` feature (n values) or NULL */
    const double *frame;      /* `frame` as double ((double)x of any
                                 integer or float type, as numpy
                                 converts), or NULL */
    const double *frame_rate; /* "imaging:frame rate", or NULL if absent */
    bool time_f32;            /* `time` is stored as float32 */
    bool frame_f32;           /* `frame` is stored as float32 */
};

/*
 * A time axis: caller storage t[0..n-1] and how numpy holds it.
 *
 * f32 is true when numpy would hold the axis as float32 (a float32
 * `time`, or a float32 `frame` divided by the frame rate, as in Shape-In
 * files).  t then holds float32 values, and the plan and the assignment
 * below compute in float32 where numpy does (numpy 1.24 value-based
 * casting: float32 array op float64 scalar -> float32).
 */
struct dcn_bg_time {
    double *t; /* n values (caller storage; borrowed by the functions) */
    size_t n;
    bool f32;
    enum dcn_bg_time_source source; /* the rule that made t */
};

/*
 * Fill tm->t[0..tm->n-1] with the time axis of sparsemed (§2.1) and set
 * tm->f32 and tm->source.  tm->t and tm->n are set by the caller.
 *
 * Returns DCN_OK, or DCN_EINVAL for n == 0 or a frame rate that is not a
 * positive finite number.
 */
int dcn_bg_time_axis(struct dcn_bg_time *tm, const struct dcn_bg_time_input *in,
                     struct dcn_error *err);

/* ------------------------------------------------------------------ */
/* sparsemed plan (§2.1)                                               */

struct dcn_sparsemed_opts {
    size_t kernel_size;      /* > 0; default 200 */
    double split_time;       /* > 0; default 1.0 */
    double thresh_cleansing; /* >= 0; default 0 */
    double frac_cleansing;   /* 0 < f <= 1; default 0.8 */
    bool offset_correction;  /* default true */
};

/* dcnum's defaults: k=200, s=1, t=0, f=0.8, o=1. */
void dcn_sparsemed_opts_default(struct dcn_sparsemed_opts *opts);

/* DCN_OK, or DCN_EINVAL with a message naming the bad option. */
int dcn_sparsemed_opts_check(const struct dcn_sparsemed_opts *opts,
                             struct dcn_error *err);

/* Effective kernel size: min(kernel_size, n) (the PPID keeps the
 * requested value). */
size_t dcn_sparsemed_kernel(size_t kernel_size, size_t n);

/*
 * Number of step times M = len(arange(0, duration, split_time)) with
 * duration = t[n-1] - t[0]; at least 1 (D11: a zero duration gives one
 * step at time 0).  tm: n >= 1 values.
 */
size_t dcn_sparsemed_nsteps(const struct dcn_bg_time *tm, double split_time);

/*
 * The M steps: step_times[i] = i*split_time and win_start[i], the first
 * frame of its window [win_start[i], win_start[i] + k) (first argmin of
 * |step - t[j]|, clamped so the window ends at n at the latest).
 *
 * step_times, win_start: m values written (caller storage).
 * tm: the time axis (borrowed).  k: the effective kernel size,
 * 1 <= k <= n.
 */
void dcn_sparsemed_plan(double *step_times, size_t *win_start, size_t m,
                        const struct dcn_bg_time *tm, double split_time,
                        size_t k);

/* ------------------------------------------------------------------ */
/* The median kernel                                                   */

/* Bytes of scratch dcn_bg_median() needs for kernel size k (for any
 * pixel range). */
size_t dcn_bg_median_scratch_size(size_t k);

/*
 * dst[p] = element at rank k/2 (0-based; the upper median for even k) of
 * frames[0][p] .. frames[k-1][p], for p in [p0, p1).
 *
 * dst:     pixel array of the output image; only [p0, p1) is written.
 * frames:  k pointers to frames of at least p1 pixels (borrowed).
 * scratch: dcn_bg_median_scratch_size(k) bytes, clobbered; any alignment
 *          of malloc is enough.  Nothing is allocated.
 *
 * Counting (per-pixel 256-bin histograms over blocks of pixels), never
 * sorting: the cost is O(k) per pixel plus a constant.  Safe to call on
 * disjoint pixel ranges of the same dst from several threads.
 */
void dcn_bg_median(uint8_t *dst, const uint8_t *const *frames, size_t k,
                   size_t p0, size_t p1, void *scratch);

/* ------------------------------------------------------------------ */
/* Cleansing and frame assignment (§2.1)                               */

/* A borrowed stack of images of one size. */
struct dcn_bg_stack {
    const uint8_t *const *images; /* count pointers to height*width px */
    size_t count;
    size_t height;
    size_t width;
};

/*
 * Decide which of the M = bg->count background images are kept (§2.1
 * steps 1-10), using opts->thresh_cleansing and opts->frac_cleansing.
 *
 * used:  M flags written (caller storage); *nused (may be NULL) is set to
 *        the number of true flags.  frac_cleansing == 1 keeps all.
 * bg:    the M images of the step series (borrowed).
 *
 * Allocates O(M*height) temporary doubles (once per run) and frees them.
 * Returns DCN_OK, DCN_EINVAL (an empty series) or DCN_ENOMEM.
 */
int dcn_sparsemed_cleanse(bool *used, size_t *nused,
                          const struct dcn_bg_stack *bg,
                          const struct dcn_sparsemed_opts *opts,
                          struct dcn_error *err);

/*
 * Frame -> background image (§2.1, "Frame -> image assignment").
 *
 * bg_idx:     tm->n values written: the index among the *kept* images.
 * tm:         the time axis (borrowed).
 * step_times: m step times; used: m flags (NULL = all kept), borrowed.
 * All zeros when nothing is kept.
 */
void dcn_sparsemed_assign(int64_t *bg_idx, const struct dcn_bg_time *tm,
                          const double *step_times, const bool *used, size_t m,
                          double split_time);

/* ------------------------------------------------------------------ */
/* Offset correction bg_off (§2.1)                                     */

/*
 * Mean of rows [0, 20) (all rows if h < 20) of an h*w image: the exact
 * integer sum divided as a double by rows*w.  img: borrowed.
 */
double dcn_bg_top_mean(const uint8_t *img, size_t h, size_t w);

/* bg_off[j] = mimg[j] - mbg[bg_idx[j]] for j < n.  mbg: the top means of
 * the kept images; every bg_idx[j] must index it. */
void dcn_bg_offsets(double *bg_off, const double *mimg, const int64_t *bg_idx,
                    size_t n, const double *mbg);

/* ------------------------------------------------------------------ */
/* Corrected image (§2.0)                                              */

/*
 * corr[p] = (int16)img[p] - (int16)bg[p] for p < npix: exact, in
 * [-255, 255].  bg_off is NOT applied here (it stays a double, used by
 * segmentation and brightness).  All borrowed; safe on disjoint ranges
 * from several threads.
 */
void dcn_bg_subtract(int16_t *corr, const uint8_t *img, const uint8_t *bg,
                     size_t npix);

/* ------------------------------------------------------------------ */
/* rollmed (§2.2)                                                      */

/* Largest kernel size struct dcn_rollmed supports (16-bit counts). */
#define DCN_ROLLMED_MAX_KERNEL 65535u

/*
 * Validate rollmed options for n frames: kernel_size > 0 and even,
 * batch_size > kernel_size, kernel_size < n (D12), kernel_size <=
 * DCN_ROLLMED_MAX_KERNEL.  DCN_OK or DCN_EINVAL with a message.
 */
int dcn_rollmed_check(size_t kernel_size, size_t batch_size, size_t n,
                      struct dcn_error *err);

struct dcn_rollmed; /* opaque: per-pixel histograms and tracked medians */

/*
 * *out: a new state for images of npix pixels and kernel size k (an empty
 * window).  Caller frees with dcn_rollmed_free().  Allocates 515 bytes
 * per pixel plus a constant, once.  DCN_OK, DCN_EINVAL or DCN_ENOMEM.
 */
int dcn_rollmed_new(struct dcn_rollmed **out, size_t npix, size_t k,
                    struct dcn_error *err);
void dcn_rollmed_free(struct dcn_rollmed *rm); /* NULL is a no-op */

/* Empty the window again (as after dcn_rollmed_new()); no allocation. */
void dcn_rollmed_reset(struct dcn_rollmed *rm);

/* Add one frame (borrowed, >= p1 pixels) to the window, pixels [p0, p1).
 * Used to fill the first k frames. */
void dcn_rollmed_add(struct dcn_rollmed *rm, const uint8_t *frame, size_t p0,
                     size_t p1);

/* dst[p] = rank-k/2 element of the window for p in [p0, p1).  The window
 * must hold exactly k frames. */
void dcn_rollmed_median(struct dcn_rollmed *rm, uint8_t *dst, size_t p0,
                        size_t p1);

/*
 * Slide the window by one frame and write its median: remove leaving
 * (the oldest frame, i-1), add entering (frame i+k-1), then dst[p] =
 * bg[i][p] for p in [p0, p1).  All borrowed.  No allocation.
 */
void dcn_rollmed_step(struct dcn_rollmed *rm, uint8_t *dst,
                      const uint8_t *leaving, const uint8_t *entering,
                      size_t p0, size_t p1);

/* ------------------------------------------------------------------ */
/* Flicker detection (§2.4; a user utility, not part of the pipeline)  */

/*
 * Median of rows [0, roi_height) (clamped to h), all columns, of one
 * frame; the mean of the two middle values for an even count.  NaN for
 * an empty ROI.  frame: borrowed.
 */
double dcn_flicker_roi_median(const uint8_t *frame, size_t h, size_t w,
                              size_t roi_height);

/*
 * Flicker decision over the ROI medians of the first min(N, max_frames)
 * frames: flickering iff #(|med - median(med)| >= |brightness_threshold|)
 * >= count_threshold.  meds: n values, clobbered (sorted).
 */
bool dcn_flicker_decide(double *meds, size_t n, double brightness_threshold,
                        long count_threshold);

#endif /* DCN_STAGES_BACKGROUND_H */
