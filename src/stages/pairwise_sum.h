/* SPDX-License-Identifier: MIT */
/*
 * pairwise_sum.h - numpy's pairwise summation of float64 (numerics.md
 * §4.9), used wherever dcnum calls np.sum or np.mean on a 1-D array.
 */
#ifndef DCN_STAGES_PAIRWISE_SUM_H
#define DCN_STAGES_PAIRWISE_SUM_H

#include <stddef.h>

/* Sum of a[0..n-1] in exactly numpy's order; 0.0 for n == 0. */
double dcn__pairwise_sum(const double *a, size_t n);

#endif /* DCN_STAGES_PAIRWISE_SUM_H */
