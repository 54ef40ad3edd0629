/* SPDX-License-Identifier: MIT */
/*
 * background_sparsemed.c - the sparse median background around the median
 * kernel (numerics.md §2.1): time axis, step plan, cleansing, frame
 * assignment and the offset correction bg_off.
 *
 * Every floating-point expression follows the order numpy evaluates it
 * in; the comments name the numpy call each block reproduces.
 */
#include "background.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "pairwise_sum.h"

void
dcn_bg_linspace(double *dst, size_t n, double start, double stop)
{
    double div;
    double delta = stop - start;
    double step;

    if (n == 0)
        return;
    if (n == 1) {
        /* numpy: step is NaN, y = arange(1) * delta + start */
        dst[0] = 0.0 * delta + start;
        return;
    }
    div = (double)(n - 1);
    step = delta / div;
    if (step == 0.0) {
        for (size_t i = 0; i < n; i++)
            dst[i] = ((double)i / div) * delta + start;
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = (double)i * step + start;
    }
    dst[n - 1] = stop;
}

/* t = hd["time"][:]; t -= t[0], in the stored precision. */
static void
time_from_feature(struct dcn_bg_time *tm, const struct dcn_bg_time_input *in)
{
    double *t = tm->t;

    tm->source = DCN_BG_TIME_FEATURE;
    tm->f32 = in->time_f32;
    if (in->time_f32) {
        float t0 = (float)in->time[0];

        for (size_t i = 0; i < tm->n; i++)
            t[i] = (double)((float)in->time[i] - t0);
    } else {
        double t0 = in->time[0];

        for (size_t i = 0; i < tm->n; i++)
            t[i] = in->time[i] - t0;
    }
}

/* t = hd["frame"] / fr; t -= t[0].  A float32 frame array divided by a
 * float64 scalar stays float32 in numpy 1.24. */
static void
time_from_frame(struct dcn_bg_time *tm, const struct dcn_bg_time_input *in,
                double fr)
{
    double *t = tm->t;

    tm->source = DCN_BG_TIME_FRAME;
    tm->f32 = in->frame_f32;
    if (in->frame_f32) {
        float fr32 = (float)fr;
        float t0 = (float)in->frame[0] / fr32;

        for (size_t i = 0; i < tm->n; i++)
            t[i] = (double)((float)in->frame[i] / fr32 - t0);
    } else {
        double t0 = in->frame[0] / fr;

        for (size_t i = 0; i < tm->n; i++)
            t[i] = in->frame[i] / fr - t0;
    }
}

int
dcn_bg_time_axis(struct dcn_bg_time *tm, const struct dcn_bg_time_input *in,
                 struct dcn_error *err)
{
    double fr;

    if (tm->n == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "background: empty measurement (0 frames)");
    tm->f32 = false;
    if (in->time != NULL) {
        time_from_feature(tm, in);
        return DCN_OK;
    }
    if (in->frame_rate == NULL) {
        /* no information: guess 3600 frames per second */
        tm->source = DCN_BG_TIME_3600_GUESS;
        dcn_bg_linspace(tm->t, tm->n, 0.0, (double)tm->n / 3600.0 * 1.5);
        return DCN_OK;
    }
    fr = *in->frame_rate;
    if (!(fr > 0.0) || !isfinite(fr))
        return dcn_error_set(err, DCN_EINVAL,
                             "background: invalid attribute "
                             "'imaging:frame rate' (%g)",
                             fr);
    if (in->frame != NULL) {
        time_from_frame(tm, in, fr);
    } else {
        tm->source = DCN_BG_TIME_RATE_GUESS;
        dcn_bg_linspace(tm->t, tm->n, 0.0, (double)tm->n / fr * 1.5);
    }
    return DCN_OK;
}

void
dcn_sparsemed_opts_default(struct dcn_sparsemed_opts *opts)
{
    opts->kernel_size = 200;
    opts->split_time = 1.0;
    opts->thresh_cleansing = 0.0;
    opts->frac_cleansing = 0.8;
    opts->offset_correction = true;
}

int
dcn_sparsemed_opts_check(const struct dcn_sparsemed_opts *opts,
                         struct dcn_error *err)
{
    if (opts->kernel_size == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "sparsemed: kernel_size must be > 0");
    if (!(opts->split_time > 0.0) || !isfinite(opts->split_time))
        return dcn_error_set(err, DCN_EINVAL,
                             "sparsemed: split_time must be > 0 (got %g)",
                             opts->split_time);
    if (!(opts->thresh_cleansing >= 0.0) || !isfinite(opts->thresh_cleansing))
        return dcn_error_set(err, DCN_EINVAL,
                             "sparsemed: thresh_cleansing must be >= 0 "
                             "(got %g)",
                             opts->thresh_cleansing);
    if (!(opts->frac_cleansing > 0.0 && opts->frac_cleansing <= 1.0))
        return dcn_error_set(err, DCN_EINVAL,
                             "sparsemed: frac_cleansing must be in (0, 1] "
                             "(got %g)",
                             opts->frac_cleansing);
    return DCN_OK;
}

size_t
dcn_sparsemed_kernel(size_t kernel_size, size_t n)
{
    return kernel_size > n ? n : kernel_size;
}

size_t
dcn_sparsemed_nsteps(const struct dcn_bg_time *tm, double split_time)
{
    const double *t = tm->t;
    size_t n = tm->n;
    double duration;
    double len;

    assert(n > 0);
    /* self.duration = time[-1] - time[0], a float32 scalar for f32 */
    if (tm->f32)
        duration = (double)((float)t[n - 1] - (float)t[0]);
    else
        duration = t[n - 1] - t[0];
    /* np.arange(0, duration, split_time): len = ceil((stop - start) /
     * step), computed in double (numpy 1.x scalar promotion); 0 unless
     * positive */
    len = ceil((duration - 0.0) / split_time);
    if (!(len > 0.0))
        return 1; /* D11 */
    return (size_t)len;
}

/* First argmin_j |s - t[j]| (np.argmin(np.abs(second - time))). */
static size_t
nearest(const double *t, size_t n, bool f32, double s)
{
    size_t best = 0;

    if (f32) {
        float s32 = (float)s;
        float bv = fabsf(s32 - (float)t[0]);

        for (size_t j = 1; j < n; j++) {
            float v = fabsf(s32 - (float)t[j]);

            if (v < bv) {
                bv = v;
                best = j;
            }
        }
    } else {
        double bv = fabs(s - t[0]);

        for (size_t j = 1; j < n; j++) {
            double v = fabs(s - t[j]);

            if (v < bv) {
                bv = v;
                best = j;
            }
        }
    }
    return best;
}

/* First argmin_j |(t[j] - t1) - half| (np.argmin(np.abs(time - t1 -
 * split_time/2))). */
static size_t
nearest_mid(const double *t, size_t n, bool f32, double t1, double half)
{
    size_t best = 0;

    if (f32) {
        float a = (float)t1;
        float b = (float)half;
        float bv = fabsf(((float)t[0] - a) - b);

        for (size_t j = 1; j < n; j++) {
            float v = fabsf(((float)t[j] - a) - b);

            if (v < bv) {
                bv = v;
                best = j;
            }
        }
    } else {
        double bv = fabs((t[0] - t1) - half);

        for (size_t j = 1; j < n; j++) {
            double v = fabs((t[j] - t1) - half);

            if (v < bv) {
                bv = v;
                best = j;
            }
        }
    }
    return best;
}

void
dcn_sparsemed_plan(double *step_times, size_t *win_start, size_t m,
                   const struct dcn_bg_time *tm, double split_time, size_t k)
{
    size_t n = tm->n;

    assert(k >= 1 && k <= n);
    for (size_t i = 0; i < m; i++) {
        /* numpy arange(0, d, s): start + i*delta with delta = s */
        double s = 0.0 + (double)i * split_time;
        size_t i0 = nearest(tm->t, n, tm->f32, s);

        if (i0 + k >= n)
            i0 = n - k;
        step_times[i] = s;
        win_start[i] = i0;
    }
}

void
dcn_sparsemed_assign(int64_t *bg_idx, const struct dcn_bg_time *tm,
                     const double *step_times, const bool *used, size_t m,
                     double split_time)
{
    size_t n = tm->n;
    double half = split_time / 2;
    size_t idx0 = 0;
    size_t idx1 = 0;
    int64_t ii = -1;

    /* np.zeros: frames no range reaches stay 0 */
    memset(bg_idx, 0, n * sizeof(*bg_idx));
    for (size_t i = 0; i < m; i++) {
        if (used != NULL && !used[i])
            continue;
        ii++;
        idx1 = nearest_mid(tm->t, n, tm->f32, step_times[i], half);
        for (size_t j = idx0; j < idx1; j++)
            bg_idx[j] = ii;
        idx0 = idx1;
    }
    if (ii < 0)
        return;
    for (size_t j = idx1; j < n; j++)
        bg_idx[j] = ii;
}

double
dcn_bg_top_mean(const uint8_t *img, size_t h, size_t w)
{
    size_t rows = h < 20 ? h : 20;
    uint64_t sum = 0;

    for (size_t i = 0; i < rows * w; i++)
        sum += img[i];
    return (double)sum / (double)(rows * w);
}

void
dcn_bg_offsets(double *bg_off, const double *mimg, const int64_t *bg_idx,
               size_t n, const double *mbg)
{
    for (size_t j = 0; j < n; j++)
        bg_off[j] = mimg[j] - mbg[bg_idx[j]];
}

/* ------------------------------------------------------------------ */
/* Cleansing                                                           */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* np.median of n doubles (sorts v in place): middle element, or the mean
 * of the two middle ones, computed as (a + b) / 2. */
static double
median_sorted_inplace(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    if (n % 2 == 1)
        return v[n / 2] / 1.0;
    return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* np.quantile(v, q), method "linear"; v sorted ascending, n >= 1. */
static double
quantile_linear(const double *v, size_t n, double q)
{
    double g = (double)(n - 1) * q;
    double lo_f = floor(g);
    size_t lo = (size_t)lo_f;
    size_t hi;
    double tt;
    double a;
    double d;

    if (lo > n - 1)
        lo = n - 1;
    hi = lo + 1 < n - 1 ? lo + 1 : n - 1;
    tt = g - lo_f;
    a = v[lo];
    d = v[hi] - a;
    if (tt >= 0.5)
        return v[hi] - d * (1.0 - tt);
    return a + d * tt;
}

/* Python slice [start:stop] of a length-n axis -> [*lo, *hi). */
static void
py_slice(long start, long stop, long n, size_t *lo, size_t *hi)
{
    if (start < 0) {
        start += n;
        if (start < 0)
            start = 0;
    } else if (start > n) {
        start = n;
    }
    if (stop < 0) {
        stop += n;
        if (stop < 0)
            stop = 0;
    } else if (stop > n) {
        stop = n;
    }
    if (stop < start)
        stop = start;
    *lo = (size_t)start;
    *hi = (size_t)stop;
}

/* scipy.ndimage.median_filter(x, size=10), mode "reflect" (half-sample
 * mirror), 1-D: out[j] = rank 5 of x[j-5 .. j+4]. */
static void
median_filter10(double *out, const double *x, size_t m)
{
    double win[10];
    long mm = (long)m;

    for (long j = 0; j < mm; j++) {
        for (long o = -5; o < 5; o++) {
            long i = j + o;
            long period = 2 * mm;

            i %= period;
            if (i < 0)
                i += period;
            if (i >= mm)
                i = period - 1 - i;
            win[o + 5] = x[i];
        }
        qsort(win, 10, sizeof(double), cmp_double);
        out[j] = win[5];
    }
}

static size_t
select_used(bool *used, const double *ref, size_t m, double thresh)
{
    size_t k = 0;

    for (size_t i = 0; i < m; i++) {
        used[i] = ref[i] <= thresh;
        k += used[i];
    }
    return k;
}

/* Temporary arrays of the cleansing, allocated together. */
struct cleanse_work {
    double *prof; /* m*h: ptp profiles, then normalised */
    double *col;  /* max(m, h) */
    double *med;  /* h */
    double *cent; /* m */
    double *x;    /* m */
    double *ref;  /* m */
};

static void
cleanse_work_release(struct cleanse_work *w)
{
    dcn__free(w->ref);
    dcn__free(w->x);
    dcn__free(w->cent);
    dcn__free(w->med);
    dcn__free(w->col);
    dcn__free(w->prof);
}

static int
cleanse_work_init(struct cleanse_work *w, size_t m, size_t h)
{
    w->prof = dcn__mallocarray(m, h * sizeof(double));
    w->col = dcn__mallocarray(m > h ? m : h, sizeof(double));
    w->med = dcn__mallocarray(h, sizeof(double));
    w->cent = dcn__mallocarray(m, sizeof(double));
    w->x = dcn__mallocarray(m, sizeof(double));
    w->ref = dcn__mallocarray(m, sizeof(double));
    if (!w->prof || !w->col || !w->med || !w->cent || !w->x || !w->ref)
        return DCN_ENOMEM;
    return DCN_OK;
}

/* prof[i][y] = np.ptp(bg_images, axis=2), as double. */
static void
ptp_profiles(double *prof, const struct dcn_bg_stack *bg)
{
    size_t h = bg->height;
    size_t w = bg->width;

    for (size_t i = 0; i < bg->count; i++) {
        for (size_t y = 0; y < h; y++) {
            const uint8_t *row = bg->images[i] + y * w;
            uint8_t vmin = row[0];
            uint8_t vmax = row[0];

            for (size_t x = 1; x < w; x++) {
                vmin = row[x] < vmin ? row[x] : vmin;
                vmax = row[x] > vmax ? row[x] : vmax;
            }
            prof[i * h + y] = (double)(uint8_t)(vmax - vmin);
        }
    }
}

/* Steps 2-4: norm = prof - np.median(prof, axis=0); cent[i] = mean of
 * norm[i] over the Python slice [h//2 - spread, h//2 + spread). */
static void
center_means(struct cleanse_work *cw, size_t m, size_t h)
{
    double *prof = cw->prof;
    size_t spread = h / 4 > 20 ? h / 4 : 20;
    size_t lo;
    size_t hi;

    for (size_t y = 0; y < h; y++) {
        for (size_t i = 0; i < m; i++)
            cw->col[i] = prof[i * h + y];
        cw->med[y] = median_sorted_inplace(cw->col, m);
    }
    for (size_t i = 0; i < m; i++)
        for (size_t y = 0; y < h; y++)
            prof[i * h + y] = prof[i * h + y] - cw->med[y];
    py_slice((long)(h / 2) - (long)spread, (long)(h / 2) + (long)spread,
             (long)h, &lo, &hi);
    for (size_t i = 0; i < m; i++)
        cw->cent[i] = dcn__pairwise_sum(prof + i * h + lo, hi - lo) /
                      (double)(hi - lo);
}

/* np.var(ref) (ddof 0): pairwise mean, squared deviations summed
 * pairwise, divided by m.  tmp: m doubles, clobbered. */
static double
variance(const double *ref, size_t m, double *tmp)
{
    double mean = dcn__pairwise_sum(ref, m) / (double)m;

    for (size_t i = 0; i < m; i++) {
        double d = ref[i] - mean;

        tmp[i] = d * d;
    }
    return dcn__pairwise_sum(tmp, m) / (double)m;
}

/* Steps 7-9 given ref; sorted: ref sorted ascending. */
static size_t
choose_used(bool *used, const double *ref, const double *sorted, size_t m,
            const struct dcn_sparsemed_opts *o, double *tmp)
{
    double frac = o->frac_cleansing;
    double thresh;
    size_t kept;

    if (o->thresh_cleansing != 0.0)
        thresh = (variance(ref, m, tmp) * 150.0) / o->thresh_cleansing;
    else
        thresh = quantile_linear(sorted, m, frac);
    kept = select_used(used, ref, m, thresh);
    if (o->thresh_cleansing != 0.0) {
        double frac_remove = (double)(m - kept) / (double)m;

        if (1.0 - frac_remove < frac) {
            thresh = quantile_linear(sorted, m, frac);
            kept = select_used(used, ref, m, thresh);
        }
    }
    return kept;
}

int
dcn_sparsemed_cleanse(bool *used, size_t *nused, const struct dcn_bg_stack *bg,
                      const struct dcn_sparsemed_opts *opts,
                      struct dcn_error *err)
{
    struct cleanse_work cw = {0};
    size_t m = bg->count;
    size_t h = bg->height;
    size_t kept = m;
    double mx;
    int rc;

    if (m == 0 || h == 0 || bg->width == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "sparsemed cleansing: empty background series");
    if (opts->frac_cleansing == 1.0) {
        for (size_t i = 0; i < m; i++)
            used[i] = true;
        goto done;
    }
    if (cleanse_work_init(&cw, m, h) < 0) {
        rc = dcn_error_set(err, DCN_ENOMEM,
                           "sparsemed cleansing: out of memory");
        goto out;
    }
    ptp_profiles(cw.prof, bg);
    center_means(&cw, m, h);
    /* 5.-6. x = cent - ndi.median_filter(cent, size=10);
     * ref = |x - np.median(x)| */
    median_filter10(cw.col, cw.cent, m);
    for (size_t i = 0; i < m; i++)
        cw.x[i] = cw.cent[i] - cw.col[i];
    memcpy(cw.col, cw.x, m * sizeof(double));
    mx = median_sorted_inplace(cw.col, m);
    for (size_t i = 0; i < m; i++)
        cw.ref[i] = fabs(cw.x[i] - mx);
    memcpy(cw.col, cw.ref, m * sizeof(double));
    qsort(cw.col, m, sizeof(double), cmp_double);
    kept = choose_used(used, cw.ref, cw.col, m, opts, cw.cent);
done:
    if (nused != NULL)
        *nused = kept;
    rc = DCN_OK;
out:
    cleanse_work_release(&cw);
    return rc;
}
