/* SPDX-License-Identifier: MIT */
/*
 * pairwise_sum.c - numpy's pairwise summation (numerics.md §4.9).
 *
 * Below 8 elements a plain left-to-right sum; up to 128 eight interleaved
 * accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the
 * tail in order; above that, split at a multiple of 8 and recurse.  The
 * result is bit-identical to np.sum on a contiguous float64 array, which
 * volume and the background cleansing depend on.
 */
#include "pairwise_sum.h"

double
dcn__pairwise_sum(const double *a, size_t n)
{
    double r[8];
    double res;
    size_t i;

    if (n < 8) {
        res = 0.0;
        for (i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + (size_t)j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    i = n / 2;
    i -= i % 8;
    return dcn__pairwise_sum(a, i) + dcn__pairwise_sum(a + i, n - i);
}
