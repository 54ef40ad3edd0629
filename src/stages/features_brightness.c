/* SPDX-License-Identifier: MIT */
/*
 * features_brightness.c - brightness features with numba's semantics
 * (numerics.md §4.10, dcnum's bright_all.py under the JIT).
 *
 * Means are exact integer sums divided by n; standard deviations are the
 * sequential sum of squared deviations in raster order; the percentiles
 * are numba's (rank 1 + (n-1)*q/100, linear between the neighbours),
 * read from a histogram of the corrected values instead of a sort.
 */
#include <math.h>
#include <string.h>

#include "features_internal.h"

/* value at 0-based rank k of the sorted corr values, from the histogram
 * bins bmin..bmax (all others are zero) */
static int
hist_rank(const uint32_t *hist, int bmin, int bmax, size_t k)
{
    size_t acc = 0;

    for (int b = bmin; b <= bmax; b++) {
        acc += hist[b];
        if (acc > k)
            return b - 255;
    }
    return bmax - 255;
}

static double
percentile(const uint32_t *hist, int bmin, int bmax, size_t n, double q)
{
    double rank = 1 + (double)(n - 1) * (q / 100.0);
    double f = floor(rank);
    double m = rank - f;
    size_t k = (size_t)f - 1;
    double lo = hist_rank(hist, bmin, bmax, k);
    double hi = k + 1 < n ? hist_rank(hist, bmin, bmax, k + 1) : lo;

    return lo * (1 - m) + hi * m;
}

/* What one pass over an event's box gathers from its mask. */
struct box_sums {
    int64_t img, corr; /* sums of the image and corrected values */
    size_t n;          /* pixels; their values in w->ivals, w->vals */
    int bmin, bmax;    /* range of the corrected values in w->hist */
};

/* The mask's pixels in raster order, their sums and the histogram of
 * their corrected values (w->hist is all zero between events); branch-free
 * over the box: the mask edge is unpredictable. */
static inline struct box_sums
box_pass(struct dcn__feat_work *w, const struct dcn__event_view *ev)
{
    int64_t sum_img = 0, sum_corr = 0;
    size_t n = 0;
    int bmin = 510, bmax = 0;

    for (size_t yy = ev->y0; yy <= ev->y1; yy++) {
        size_t row = yy * ev->width;
        for (size_t xx = ev->x0; xx <= ev->x1; xx++) {
            size_t i = row + xx;
            int in = ev->labels[i] == ev->id;
            int c = dcn__corr_at(ev, i);
            int b = c + 255;
            w->ivals[n] = ev->image[i];
            w->vals[n] = (int16_t)c;
            sum_img += in ? ev->image[i] : 0;
            sum_corr += in ? c : 0;
            w->hist[b] += (uint32_t)in;
            bmin = in && b < bmin ? b : bmin;
            bmax = in && b > bmax ? b : bmax;
            n += (size_t)in;
        }
    }
    return (struct box_sums){sum_img, sum_corr, n, bmin, bmax};
}

void
dcn__brightness_features(double *feat, struct dcn__feat_work *w,
                         const struct dcn__event_view *ev, bool has_bg_off,
                         double bg_off)
{
    struct box_sums b = box_pass(w, ev);
    size_t n = b.n;
    double mean_img, mean_corr, ssd_img = 0.0, ssd_corr = 0.0;

    if (n == 0)
        return; /* an empty mask: the features stay as they are (NaN) */
    mean_img = (double)b.img / (double)n;
    mean_corr = (double)b.corr / (double)n;
    /* two independent sequential sums, each in raster order */
    for (size_t k = 0; k < n; k++) {
        double di = (double)w->ivals[k] - mean_img;
        double dc = (double)w->vals[k] - mean_corr;
        ssd_img += di * di;
        ssd_corr += dc * dc;
    }
    feat[DCN_FEAT_BRIGHT_AVG] = mean_img;
    feat[DCN_FEAT_BRIGHT_SD] = sqrt(ssd_img / (double)n);
    feat[DCN_FEAT_BRIGHT_BC_AVG] = mean_corr;
    feat[DCN_FEAT_BRIGHT_BC_SD] = sqrt(ssd_corr / (double)n);
    feat[DCN_FEAT_BRIGHT_PERC_10] = percentile(w->hist, b.bmin, b.bmax, n, 10);
    feat[DCN_FEAT_BRIGHT_PERC_90] = percentile(w->hist, b.bmin, b.bmax, n, 90);
    if (b.bmax >= b.bmin)
        memset(w->hist + b.bmin, 0,
               (size_t)(b.bmax - b.bmin + 1) * sizeof(*w->hist));
    if (has_bg_off) {
        feat[DCN_FEAT_BRIGHT_BC_AVG] -= bg_off;
        feat[DCN_FEAT_BRIGHT_PERC_10] -= bg_off;
        feat[DCN_FEAT_BRIGHT_PERC_90] -= bg_off;
    }
}

double
dcn_features_median_u8(const uint8_t *px, size_t n)
{
    uint32_t part[4][256];
    size_t hist[256];
    size_t acc = 0;
    size_t klo, khi, i = 0;
    int lo = -1, hi = -1;

    if (n == 0)
        return NAN;
    /* four partial histograms: runs of equal values do not serialise */
    memset(part, 0, sizeof(part));
    for (; i + 4 <= n; i += 4) {
        part[0][px[i]]++;
        part[1][px[i + 1]]++;
        part[2][px[i + 2]]++;
        part[3][px[i + 3]]++;
    }
    for (; i < n; i++)
        part[0][px[i]]++;
    for (int b = 0; b < 256; b++)
        hist[b] = (size_t)part[0][b] + part[1][b] + part[2][b] + part[3][b];
    khi = n / 2;
    klo = n % 2 ? khi : khi - 1;
    for (int b = 0; b < 256 && hi < 0; b++) {
        acc += hist[b];
        if (lo < 0 && acc > klo)
            lo = b;
        if (acc > khi)
            hi = b;
    }
    return ((double)lo + (double)hi) / 2;
}
