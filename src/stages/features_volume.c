/* SPDX-License-Identifier: MIT */
/*
 * features_volume.c - volume of the contour revolved around the x axis
 * through the hull centroid (numerics.md §4.9, dcnum's volume.py).
 *
 * Evaluated exactly as numpy does it: the centre is pos/ps with one
 * division, the truncated-cone terms are ((pi/3)*dz)*|3r^2 + 3r*dr + dr^2|
 * and their sum is numpy's pairwise sum times pow(ps, 3.0).
 */
#include <math.h>

#include "features_internal.h"
#include "pairwise_sum.h"

static double
revolve_sum(double *v, size_t nv, double ps)
{
    return dcn__pairwise_sum(v, nv) * pow(ps, 3.0);
}

/* one truncated-cone term from (r0, z0) to (r1, z1) */
static inline double
cone_term(double r0, double z0, double r1, double z1)
{
    double dr = r1 - r0;
    double dz = z1 - z0;
    double a1 = 3 * (r0 * r0);
    double a2 = (3 * r0) * dr;
    double a3 = dr * dr;
    return ((DCN_PI / 3) * dz) * fabs((a1 + a2) + a3);
}

double
dcn__vol_revolve(double *v, const double *r, const double *z, size_t n,
                 double point_scale)
{
    size_t nv = 0;

    if (n == 0)
        return 0.0;
    for (size_t i = 0; i + 1 < n; i++)
        v[nv++] = cone_term(r[i], z[i], r[i + 1], z[i + 1]);
    if (r[n - 1] != r[0] || z[n - 1] != z[0])
        v[nv++] = cone_term(r[n - 1], z[n - 1], r[0], z[0]);
    return revolve_sum(v, nv, point_scale);
}

void
dcn__volume_feature(double *feat, struct dcn__feat_work *w, bool valid,
                    double pixel_size)
{
    const int32_t *x = w->cx;
    const int32_t *y = w->cy;
    size_t n = w->ncont;
    double ps = pixel_size;
    double ox, oy, right, left;
    size_t nv;

    feat[DCN_FEAT_VOLUME] = NAN;
    if (!valid || n < 4)
        return;
    ox = feat[DCN_FEAT_POS_X] / ps;
    oy = feat[DCN_FEAT_POS_Y] / ps;

    /* right half: r = max(ry, 0) (ry < 0 -> 0.0), z = zx, in order */
#define RIGHT_R(k) ((y[k] - oy) < 0 ? 0.0 : (y[k] - oy))
#define ZX(k)      (x[k] - ox)
    nv = 0;
    for (size_t i = 0; i + 1 < n; i++)
        w->vbuf[nv++] = cone_term(RIGHT_R(i), ZX(i), RIGHT_R(i + 1), ZX(i + 1));
    if (RIGHT_R(n - 1) != RIGHT_R(0) || ZX(n - 1) != ZX(0))
        w->vbuf[nv++] = cone_term(RIGHT_R(n - 1), ZX(n - 1), RIGHT_R(0), ZX(0));
    right = revolve_sum(w->vbuf, nv, ps);

    /* left half: l = -(ry > 0 ? 0.0 : ry), both sequences reversed:
     * element k of the reversed sequence is point n - 1 - k */
#define LEFT_R(k) (-((y[k] - oy) > 0 ? 0.0 : (y[k] - oy)))
    nv = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        size_t a = n - 1 - k;
        size_t b = n - 2 - k;
        w->vbuf[nv++] = cone_term(LEFT_R(a), ZX(a), LEFT_R(b), ZX(b));
    }
    if (LEFT_R(0) != LEFT_R(n - 1) || ZX(0) != ZX(n - 1))
        w->vbuf[nv++] = cone_term(LEFT_R(0), ZX(0), LEFT_R(n - 1), ZX(n - 1));
    left = revolve_sum(w->vbuf, nv, ps);
#undef RIGHT_R
#undef LEFT_R
#undef ZX

    feat[DCN_FEAT_VOLUME] = (right + left) / 2;
}
