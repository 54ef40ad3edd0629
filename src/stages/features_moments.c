/* SPDX-License-Identifier: MIT */
/*
 * features_moments.c - contour, convex hull, polygon moments, perimeter
 * and the 18 moment-based features (numerics.md §4.1-§4.8).
 *
 * The contour is traced with OpenCV's neighbour order straight on the
 * labels (mask = labels == id inside the event's box), so no mask image
 * is built.  The hull is the strict convex hull (no collinear vertices);
 * its vertex order does not matter for any feature: polygon moments are
 * sums of exact integers, and the float32 segment lengths of arcLength
 * are multiples of 2^-23 below 2^12, so their double sum is exact in any
 * order.  Hence a monotone chain over the per-column extremes of the
 * contour gives the same bits as OpenCV's Sklansky scan.
 */
#include <assert.h>
#include <float.h>
#include <math.h>

#include "features_internal.h"

/* direction codes of §4.1: (dx, dy); increasing code turns CCW on screen */
static const int dir_dx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
static const int dir_dy[8] = {0, -1, -1, -1, 0, 1, 1, 1};

static inline bool
is_fg(const struct dcn__event_view *ev, long x, long y)
{
    if (x < (long)ev->x0 || x > (long)ev->x1 || y < (long)ev->y0 ||
        y > (long)ev->y1)
        return false;
    return ev->labels[(size_t)y * ev->width + (size_t)x] == ev->id;
}

void
dcn__contour_trace(struct dcn__feat_work *w, const struct dcn__event_view *ev)
{
    static const int first_codes[7] = {3, 2, 1, 0, 7, 6, 5};
    long x0 = ev->x0;
    long y0 = ev->y0;
    long cx, cy, p1x, p1y;
    int s = -1;
    size_t n = 0;

    /* P0: the first foreground pixel in raster order (row y0 of the box) */
    while (x0 <= (long)ev->x1 && !is_fg(ev, x0, y0))
        x0++;
    assert(x0 <= (long)ev->x1);
    for (int k = 0; k < 7; k++) {
        int c = first_codes[k];
        if (is_fg(ev, x0 + dir_dx[c], y0 + dir_dy[c])) {
            s = c;
            break;
        }
    }
    if (s < 0) {
        w->cx[0] = (int32_t)x0;
        w->cy[0] = (int32_t)y0;
        w->ncont = 1;
        return;
    }
    p1x = x0 + dir_dx[s];
    p1y = y0 + dir_dy[s];
    cx = x0;
    cy = y0;
    for (;;) {
        int sn = s;
        long nx, ny;

        for (int k = 1; k <= 8; k++) {
            sn = (s + k) & 7;
            if (is_fg(ev, cx + dir_dx[sn], cy + dir_dy[sn]))
                break;
        }
        assert(n < w->ccap);
        w->cx[n] = (int32_t)cx;
        w->cy[n] = (int32_t)cy;
        n++;
        nx = cx + dir_dx[sn];
        ny = cy + dir_dy[sn];
        if (nx == x0 && ny == y0 && cx == p1x && cy == p1y)
            break;
        cx = nx;
        cy = ny;
        s = (sn + 4) & 7;
    }
    w->ncont = n;
}

void
dcn__polygon_moments(struct dcn__moments *m, const int32_t *x, const int32_t *y,
                     size_t n)
{
    double a00 = 0, a10 = 0, a01 = 0, a20 = 0, a11 = 0, a02 = 0;
    double xp, yp;

    *m = (struct dcn__moments){0};
    if (n == 0)
        return;
    xp = x[n - 1];
    yp = y[n - 1];
    for (size_t i = 0; i < n; i++) {
        double xi = x[i];
        double yi = y[i];
        double c = xp * yi - xi * yp;
        a00 += c;
        a10 += c * (xp + xi);
        a01 += c * (yp + yi);
        a20 += c * (xp * (xp + xi) + xi * xi);
        a11 += c * (xp * ((yp + yi) + yp) + xi * ((yp + yi) + yi));
        a02 += c * (yp * (yp + yi) + yi * yi);
        xp = xi;
        yp = yi;
    }
    if (fabs(a00) > FLT_EPSILON) {
        double sg = a00 > 0 ? 1.0 : -1.0;
        m->m00 = a00 * (sg * 0.5);
        m->m10 = a10 * (sg * 0.16666666666666666);
        m->m01 = a01 * (sg * 0.16666666666666666);
        m->m20 = a20 * (sg * 0.083333333333333333);
        m->m02 = a02 * (sg * 0.083333333333333333);
        m->m11 = a11 * (sg * 0.041666666666666667);
    }
    {
        double cxm = 0, cym = 0;
        if (fabs(m->m00) > DBL_EPSILON) {
            double inv = 1.0 / m->m00;
            cxm = m->m10 * inv;
            cym = m->m01 * inv;
        }
        m->mu20 = m->m20 - m->m10 * cxm;
        m->mu11 = m->m11 - m->m10 * cym;
        m->mu02 = m->m02 - m->m01 * cym;
    }
}

double
dcn__arc_length(const int32_t *x, const int32_t *y, size_t n)
{
    double per = 0.0;
    float px, py;

    if (n <= 1)
        return 0.0;
    px = (float)x[n - 1];
    py = (float)y[n - 1];
    for (size_t i = 0; i < n; i++) {
        float fx = (float)x[i];
        float fy = (float)y[i];
        float dx = fx - px;
        float dy = fy - py;
        per += (double)sqrtf(dx * dx + dy * dy);
        px = fx;
        py = fy;
    }
    return per;
}

/* cross product of (b - a) x (c - a), exact in int64 */
static inline int64_t
cross3(int32_t ax, int32_t ay, int32_t bx, int32_t by, int32_t cx, int32_t cy)
{
    return (int64_t)(bx - ax) * (cy - ay) - (int64_t)(by - ay) * (cx - ax);
}

/* per-column extremes of the points, colmin/colmax[x - xmin]; returns
 * the number of columns (INT32_MAX in colmin marks an empty column) */
static int32_t
column_extremes(int32_t *colmin, int32_t *colmax, int32_t *xmin_out,
                const int32_t *x, const int32_t *y, size_t n)
{
    int32_t xmin = x[0], xmax = x[0];

    for (size_t i = 1; i < n; i++) {
        xmin = x[i] < xmin ? x[i] : xmin;
        xmax = x[i] > xmax ? x[i] : xmax;
    }
    for (int32_t c = 0; c <= xmax - xmin; c++) {
        colmin[c] = INT32_MAX;
        colmax[c] = INT32_MIN;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t c = x[i] - xmin;
        colmin[c] = y[i] < colmin[c] ? y[i] : colmin[c];
        colmax[c] = y[i] > colmax[c] ? y[i] : colmax[c];
    }
    *xmin_out = xmin;
    return xmax - xmin + 1;
}

/* one step of the monotone chain: pop while the turn is not strictly
 * convex (keeping at least kmin - 1 points), then push (px, py) */
static inline size_t
chain_push(int32_t *hx, int32_t *hy, size_t k, size_t kmin, int32_t px,
           int32_t py)
{
    while (k >= kmin &&
           cross3(hx[k - 2], hy[k - 2], hx[k - 1], hy[k - 1], px, py) <= 0)
        k--;
    hx[k] = px;
    hy[k] = py;
    return k + 1;
}

/*
 * Andrew's monotone chain with strict turns over the points sorted by
 * (x, y); only the per-column extremes can be hull vertices.  Forward over
 * the columns (colmin then colmax) for one chain, backward (colmax then
 * colmin) for the other.
 */
size_t
dcn__convex_hull(struct dcn__feat_work *w, const int32_t *x, const int32_t *y,
                 size_t n)
{
    int32_t *hx = w->hx;
    int32_t *hy = w->hy;
    int32_t *colmin = w->colmin;
    int32_t *colmax = w->colmax;
    int32_t xmin;
    int32_t ncol = column_extremes(colmin, colmax, &xmin, x, y, n);
    size_t k = 0;
    size_t kmin;

    for (int32_t c = 0; c < ncol; c++) {
        if (colmin[c] == INT32_MAX)
            continue;
        k = chain_push(hx, hy, k, 2, xmin + c, colmin[c]);
        if (colmax[c] != colmin[c])
            k = chain_push(hx, hy, k, 2, xmin + c, colmax[c]);
    }
    kmin = k + 1;
    for (int32_t c = ncol - 1; c >= 0; c--) {
        if (colmin[c] == INT32_MAX)
            continue;
        k = chain_push(hx, hy, k, kmin, xmin + c, colmax[c]);
        if (colmax[c] != colmin[c])
            k = chain_push(hx, hy, k, kmin, xmin + c, colmin[c]);
    }
    /* the last point repeats the first */
    return k > 1 ? k - 1 : k;
}

static void
set_nan_moments(double *feat)
{
    for (int f = 0; f < DCN_FEAT_NUM_MOMENTS; f++)
        feat[DCN_FEAT_FIRST_MOMENT + f] = NAN;
}

/* What the raw contour gives directly: the shoelace sum (exact), the
 * perimeter (every step is 1 or (float)sqrt(2), summed exactly in
 * double) and the bounding box. */
struct raw_scan {
    double a00;
    double per;
    int32_t xmin, xmax, ymin, ymax;
};

static void
scan_raw(struct raw_scan *r, const int32_t *x, const int32_t *y, size_t n)
{
    size_t nstraight = 0, ndiag = 0;

    r->a00 = 0.0;
    r->xmin = r->xmax = x[0];
    r->ymin = r->ymax = y[0];
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        int dxy = (x[i] != x[j]) + (y[i] != y[j]);
        r->a00 += (double)x[j] * y[i] - (double)y[j] * x[i];
        ndiag += dxy == 2;
        nstraight += dxy == 1;
        r->xmin = x[i] < r->xmin ? x[i] : r->xmin;
        r->xmax = x[i] > r->xmax ? x[i] : r->xmax;
        r->ymin = y[i] < r->ymin ? y[i] : r->ymin;
        r->ymax = y[i] > r->ymax ? y[i] : r->ymax;
    }
    r->per = (double)nstraight + (double)ndiag * (double)sqrtf(2.0f);
}

/* The inertia features of the raw contour (§4.7, last four rows). */
static void
inertia_features(double *feat, const struct dcn__moments *raw)
{
    double ixx = raw->mu02, iyy = raw->mu20, ixy = raw->mu11;
    double root = (ixx - iyy) * (ixx - iyy) + 4 * (ixy * ixy);

    feat[DCN_FEAT_TILT] = fabs(0.5 * atan2(-2 * ixy, iyy - ixx));
    if (ixx > 0)
        feat[DCN_FEAT_INERT_RATIO_RAW] = sqrt(iyy / ixx);
    if (root >= 0) {
        double i1 = 0.5 * ((ixx + iyy) + sqrt(root));
        double i2 = 0.5 * ((ixx + iyy) - sqrt(root));
        double ratio = i1 / i2;
        if (ratio >= 0)
            feat[DCN_FEAT_INERT_RATIO_PRNC] = sqrt(ratio);
        feat[DCN_FEAT_ECCENTR_PRNC] = sqrt((i1 - i2) / i1);
    }
}

/* The formulas of §4.7, evaluated exactly as grouped there. */
static void
shape_features(double *feat, const struct raw_scan *r,
               const struct dcn__moments *raw, const struct dcn__moments *cvx,
               double per_cvx, double ps)
{
    double bw = (double)(r->xmax - r->xmin + 1);
    double bh = (double)(r->ymax - r->ymin + 1);
    double ps2 = pow(ps, 2.0);

    feat[DCN_FEAT_AREA_MSD] = raw->m00;
    feat[DCN_FEAT_AREA_RATIO] = cvx->m00 / raw->m00;
    feat[DCN_FEAT_ASPECT] = bw / bh;
    feat[DCN_FEAT_AREA_UM] = cvx->m00 * ps2;
    feat[DCN_FEAT_AREA_UM_RAW] = raw->m00 * ps2;
    feat[DCN_FEAT_DEFORM] = 1 - (2 * sqrt(DCN_PI * cvx->m00)) / per_cvx;
    feat[DCN_FEAT_DEFORM_RAW] = 1 - (2 * sqrt(DCN_PI * raw->m00)) / r->per;
    feat[DCN_FEAT_PER_RATIO] = r->per / per_cvx;
    feat[DCN_FEAT_PER_UM_RAW] = r->per * ps;
    feat[DCN_FEAT_POS_X] = (cvx->m10 / cvx->m00) * ps;
    feat[DCN_FEAT_POS_Y] = (cvx->m01 / cvx->m00) * ps;
    feat[DCN_FEAT_SIZE_X] = bw * ps;
    feat[DCN_FEAT_SIZE_Y] = bh * ps;
    if (cvx->mu02 > 0)
        feat[DCN_FEAT_INERT_RATIO_CVX] = sqrt(cvx->mu20 / cvx->mu02);
    inertia_features(feat, raw);
}

bool
dcn__moment_features(double *feat, struct dcn__feat_work *w, double pixel_size)
{
    struct dcn__moments raw, cvx;
    struct raw_scan r;
    double per_cvx;
    size_t nh;

    set_nan_moments(feat);
    if (w->ncont < 2)
        return false;
    scan_raw(&r, w->cx, w->cy, w->ncont);
    if (r.a00 == 0.0)
        return false;
    assert(r.per == dcn__arc_length(w->cx, w->cy, w->ncont));
    dcn__polygon_moments(&raw, w->cx, w->cy, w->ncont);
    nh = dcn__convex_hull(w, w->cx, w->cy, w->ncont);
    dcn__polygon_moments(&cvx, w->hx, w->hy, nh);
    per_cvx = dcn__arc_length(w->hx, w->hy, nh);
    if (cvx.m00 == 0 || raw.m00 == 0)
        return false;
    shape_features(feat, &r, &raw, &cvx, per_cvx, pixel_size);
    return true;
}
