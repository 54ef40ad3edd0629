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

/* the radius of contour point k for the right (r = max(ry, 0), with
 * ry < 0 -> 0.0) or the left half (l = -(ry > 0 ? 0.0 : ry), which is
 * -0.0 where ry > 0, as numpy gives it) */
static inline double
half_radius(double ry, bool left)
{
    if (left)
        return -(ry > 0 ? 0.0 : ry);
    return ry < 0 ? 0.0 : ry;
}

/*
 * vol_revolve of one half without building the r and z arrays.  The left
 * half passes both sequences reversed: element k is point n - 1 - k.
 */
static double
half_volume(struct dcn__feat_work *w, double ox, double oy, bool left,
            double ps)
{
    const int32_t *x = w->cx;
    const int32_t *y = w->cy;
    size_t n = w->ncont;
    double *v = w->vbuf;
    size_t nv = 0;
    size_t first = left ? n - 1 : 0;
    size_t last = left ? 0 : n - 1;

    for (size_t k = 0; k + 1 < n; k++) {
        size_t a = left ? n - 1 - k : k;
        size_t b = left ? n - 2 - k : k + 1;
        v[nv++] = cone_term(half_radius(y[a] - oy, left), x[a] - ox,
                            half_radius(y[b] - oy, left), x[b] - ox);
    }
    {
        double r0 = half_radius(y[first] - oy, left);
        double rl = half_radius(y[last] - oy, left);
        double z0 = x[first] - ox;
        double zl = x[last] - ox;
        if (rl != r0 || zl != z0)
            v[nv++] = cone_term(rl, zl, r0, z0);
    }
    return revolve_sum(v, nv, ps);
}

void
dcn__volume_feature(double *feat, struct dcn__feat_work *w, bool valid,
                    double pixel_size)
{
    size_t n = w->ncont;
    double ps = pixel_size;
    double ox, oy, right, left;

    feat[DCN_FEAT_VOLUME] = NAN;
    if (!valid || n < 4)
        return;
    /* the centre: one division each, as numpy does pos / ps */
    ox = feat[DCN_FEAT_POS_X] / ps;
    oy = feat[DCN_FEAT_POS_Y] / ps;
    right = half_volume(w, ox, oy, false, ps);
    left = half_volume(w, ox, oy, true, ps);
    feat[DCN_FEAT_VOLUME] = (right + left) / 2;
}
