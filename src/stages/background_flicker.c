/* SPDX-License-Identifier: MIT */
/*
 * background_flicker.c - dcnum's detect_flickering (numerics.md §2.4).
 */
#include "background.h"

#include <math.h>
#include <stdlib.h>

double
dcn_flicker_roi_median(const uint8_t *frame, size_t h, size_t w,
                       size_t roi_height)
{
    size_t rows = roi_height < h ? roi_height : h;
    size_t n = rows * w;
    size_t hist[256] = {0};
    size_t lo_rank;
    size_t hi_rank;
    size_t c = 0;
    int lo = -1;
    int hi = -1;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        hist[frame[i]]++;
    lo_rank = (n - 1) / 2;
    hi_rank = n / 2;
    for (int v = 0; v < 256 && hi < 0; v++) {
        c += hist[v];
        if (lo < 0 && c > lo_rank)
            lo = v;
        if (c > hi_rank)
            hi = v;
    }
    /* np.median: mean of the middle element(s) in float64 */
    if (n % 2 == 1)
        return (double)hi / 1.0;
    return ((double)lo + (double)hi) / 2.0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

bool
dcn_flicker_decide(double *meds, size_t n, double brightness_threshold,
                   long count_threshold)
{
    double mm;
    double thr = fabs(brightness_threshold);
    long count = 0;

    if (n == 0)
        return 0 >= count_threshold;
    for (size_t i = 0; i < n; i++)
        if (isnan(meds[i]))
            return 0 >= count_threshold; /* median NaN: nothing counts */
    qsort(meds, n, sizeof(*meds), cmp_double);
    if (n % 2 == 1)
        mm = meds[n / 2] / 1.0;
    else
        mm = (meds[n / 2 - 1] + meds[n / 2]) / 2.0;
    for (size_t i = 0; i < n; i++)
        count += fabs(meds[i] - mm) >= thr;
    return count >= count_threshold;
}
