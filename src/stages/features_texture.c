/* SPDX-License-Identifier: MIT */
/*
 * features_texture.c - Haralick texture features as dcnum gets them from
 * mahotas.features.haralick(ignore_zeros=True, return_mean_ptp=True)
 * (numerics.md §4.11).
 *
 * Design, for speed (dcnum: ~840 us per event):
 * - one pass over the event's box fills all four co-occurrence counts at
 *   once; outside the mask the level is 0, which mahotas ignores, so the
 *   box is all that matters;
 * - each direction keeps the count u of every unordered level pair
 *   {lo, hi} (lo <= hi; packed upper triangle, the four directions of a
 *   cell side by side) and a list of the pairs it touched; the symmetric
 *   matrix S = Cnt + Cnt^T has S[lo][hi] = S[hi][lo] = u off the diagonal
 *   and S[a][a] = 2u on it, so no L x L matrix is ever scanned or cleared;
 * - every feature is then a sum over the touched pairs or over the
 *   integer histograms derived from them (row sums, i+j, |i-j|), with the
 *   entropies from a table of c*log2(c): H = log2(T) - sum(c log2 c)/T.
 * The results agree with mahotas (BLAS dot products of P = S/T) to a
 * relative ~1e-13; the contract is rtol 1e-9 (numerics.md §0.3).
 */
#include <math.h>
#include <string.h>

#include "features_internal.h"

#define NLEV 256

/* direction order of mahotas: (0,1), (1,1), (1,0), (1,-1) */
struct dir_stats {
    double f[13];
};

static inline double
xlog2x(const struct dcn__feat_work *w, uint64_t c)
{
    double d = (double)c;
    return c < w->nlog ? w->xlog2x[c] : d * log2(d);
}

/* H(v/T) for integer counts whose sum is T */
static inline double
entropy_from(double sum_xlogx, double t, double log2t)
{
    return log2t - sum_xlogx / t;
}

/* cell of the unordered pair lo <= hi in the packed upper triangle: the
 * cells of levels below L take L(L+1)/2 entries, so a texture with L ~ 100
 * keeps all four directions in ~80 KiB */
static inline size_t
cell_index(unsigned lo, unsigned hi)
{
    return (size_t)hi * (hi + 1) / 2 + lo;
}

/*
 * The 13 mahotas features of one direction from its touched cells; the
 * cells are reset to zero on the way.  Pairs with a 0 level (row and
 * column 0, ignored by mahotas) are skipped.  nlev is L = max level + 1;
 * touched holds (lo << 8) | hi.
 * Returns false if T == 0.
 */
static bool
direction_features(struct dir_stats *ds, struct dcn__feat_work *w,
                   uint32_t *cooc, int d, const uint16_t *touched,
                   size_t ntouched, unsigned nlev)
{
    uint64_t rows[NLEV];
    uint64_t hsum[2 * NLEV];
    uint64_t hdiff[NLEV];
    uint64_t total = 0, sum_s2 = 0, sum_ijs = 0;
    double sum_slogs = 0.0;
    int lmin = NLEV, lmax = -1;
    double t, log2t, ux, vx, sx, sum_k2, cov, f5;
    double hx, hpp = 0.0, hpm = 0.0, a4 = 0.0, a1 = 0.0, a5 = 0.0, a6 = 0.0;

    memset(rows, 0, nlev * sizeof(*rows));
    memset(hsum, 0, 2 * nlev * sizeof(*hsum));
    memset(hdiff, 0, nlev * sizeof(*hdiff));
    for (size_t k = 0; k < ntouched; k++) {
        unsigned lo = touched[k] >> 8, hi = touched[k] & 0xff;
        uint32_t *cell = &cooc[cell_index(lo, hi) * 4 + (size_t)d];
        uint64_t u = *cell;

        *cell = 0;
        if (lo == 0)
            continue;
        total += 2 * u;
        if (lo == hi) {
            sum_s2 += 4 * u * u;
            sum_slogs += xlog2x(w, 2 * u);
            rows[lo] += 2 * u;
            sum_ijs += (uint64_t)lo * lo * 2 * u;
        } else {
            sum_s2 += 2 * u * u;
            sum_slogs += 2 * xlog2x(w, u);
            rows[lo] += u;
            rows[hi] += u;
            sum_ijs += (uint64_t)lo * hi * 2 * u;
        }
        hsum[lo + hi] += 2 * u;
        hdiff[hi - lo] += 2 * u;
        if ((int)lo < lmin)
            lmin = (int)lo;
        if ((int)hi > lmax)
            lmax = (int)hi;
    }
    if (total == 0)
        return false;
    t = (double)total;
    log2t = log2(t);

    /* marginals: px = py = rows / T (S is symmetric) */
    {
        double s1 = 0.0, s2 = 0.0, sxl = 0.0;
        for (int k = lmin; k <= lmax; k++) {
            if (rows[k] == 0)
                continue;
            s1 += (double)k * (double)rows[k];
            s2 += (double)k * (double)k * (double)rows[k];
            sxl += xlog2x(w, rows[k]);
        }
        ux = s1 / t;
        sum_k2 = s2 / t;
        vx = sum_k2 - ux * ux;
        hx = entropy_from(sxl, t, log2t);
    }
    for (int s = 2 * lmin; s <= 2 * lmax; s++) {
        if (hsum[s] == 0)
            continue;
        a5 += (double)s * (double)hsum[s];
        a6 += (double)s * (double)s * (double)hsum[s];
        hpp += xlog2x(w, hsum[s]);
    }
    for (int dd = 0; dd <= lmax - lmin; dd++) {
        if (hdiff[dd] == 0)
            continue;
        a1 += (double)dd * (double)dd * (double)hdiff[dd];
        a4 += (double)hdiff[dd] / (1.0 + (double)dd * (double)dd);
        hpm += xlog2x(w, hdiff[dd]);
    }

    sx = sqrt(vx);
    cov = (double)sum_ijs / t - ux * ux;
    f5 = a5 / t;
    ds->f[0] = (double)sum_s2 / (t * t);
    ds->f[1] = a1 / t;
    ds->f[2] = (sx == 0.0) ? 1.0 : (1.0 / sx / sx) * cov;
    ds->f[3] = vx;
    ds->f[4] = a4 / t;
    ds->f[5] = f5;
    ds->f[6] = a6 / t - f5 * f5;
    ds->f[7] = entropy_from(hpp, t, log2t);
    ds->f[8] = entropy_from(sum_slogs, t, log2t);
    ds->f[9] = 0.0; /* difference variance: not used */
    ds->f[10] = entropy_from(hpm, t, log2t);
    {
        /* HX = HY; HXY1 = HXY2 = HX + HY for a symmetric P */
        double hxy = hx + hx;
        double mx = hx;
        ds->f[11] = mx == 0.0 ? ds->f[8] - hxy : (ds->f[8] - hxy) / mx;
        {
            double e = 1 - exp(-2. * (hxy - ds->f[8]));
            ds->f[12] = sqrt(e > 0 ? e : 0);
        }
    }
    return true;
}

/* output slot of (mahotas index) for the avg feature; ptp is next */
static const struct {
    int mh;
    enum dcn_feature avg;
} tex_map[11] = {
        {0, DCN_FEAT_TEX_ASM_AVG},  {1, DCN_FEAT_TEX_CON_AVG},
        {2, DCN_FEAT_TEX_COR_AVG},  {3, DCN_FEAT_TEX_VAR_AVG},
        {4, DCN_FEAT_TEX_IDM_AVG},  {6, DCN_FEAT_TEX_SVA_AVG},
        {7, DCN_FEAT_TEX_SEN_AVG},  {8, DCN_FEAT_TEX_ENT_AVG},
        {10, DCN_FEAT_TEX_DEN_AVG}, {11, DCN_FEAT_TEX_F12_AVG},
        {12, DCN_FEAT_TEX_F13_AVG},
};

static void
set_nan_texture(double *feat)
{
    for (int f = 0; f < DCN_FEAT_NUM_TEXTURE; f++)
        feat[DCN_FEAT_FIRST_TEXTURE + f] = NAN;
}

void
dcn__haralick_features(double *feat, struct dcn__feat_work *w,
                       const struct dcn__event_view *ev)
{
    size_t bw = ev->x1 - ev->x0 + 1;
    size_t bh = ev->y1 - ev->y0 + 1;
    size_t gs = bw + 2; /* one zero column either side */
    int mn = 1 << 20;
    unsigned maxlev = 0, nlev;
    size_t ntouch[4] = {0, 0, 0, 0};
    uint32_t *cooc = w->cooc;
    uint16_t *touched[4];
    struct dir_stats ds[4];
    bool ok = true;

    set_nan_texture(feat);
    for (int d = 0; d < 4; d++)
        touched[d] = w->touched + (size_t)d * DCN__TEX_CELLS;
    /* levels: (corr - min + 1) cast to uint8 in the mask, 0 elsewhere */
    for (size_t yy = ev->y0; yy <= ev->y1; yy++) {
        size_t row = yy * ev->width;
        for (size_t xx = ev->x0; xx <= ev->x1; xx++) {
            int c;
            if (ev->labels[row + xx] != ev->id)
                continue;
            c = dcn__corr_at(ev, row + xx);
            if (c < mn)
                mn = c;
        }
    }
    memset(w->levels, 0, (bh + 1) * gs);
    for (size_t yy = 0; yy < bh; yy++) {
        size_t row = (yy + ev->y0) * ev->width + ev->x0;
        uint8_t *g = w->levels + yy * gs + 1;
        for (size_t xx = 0; xx < bw; xx++) {
            if (ev->labels[row + xx] == ev->id) {
                uint8_t v = (uint8_t)(dcn__corr_at(ev, row + xx) - mn + 1);
                g[xx] = v;
                if (v > maxlev)
                    maxlev = v;
            }
        }
    }
    nlev = maxlev + 1;
    /*
     * Co-occurrence of unordered level pairs, all four directions in one
     * pass.  Cell cell_index(lo, hi) * 4 + d, so the four directions of
     * a pixel usually share a cache line.  Pairs with a 0 level land in row
     * 0 and are skipped later, which keeps this loop free of branches.
     */
    for (size_t yy = 0; yy < bh; yy++) {
        const uint8_t *g = w->levels + yy * gs + 1;
        const uint8_t *gn = g + gs;
        for (size_t xx = 0; xx < bw; xx++) {
            unsigned a = g[xx];
            unsigned nb[4];
            if (a == 0)
                continue;
            nb[0] = g[xx + 1];
            nb[1] = gn[xx + 1];
            nb[2] = gn[xx];
            nb[3] = gn[(ptrdiff_t)xx - 1];
            for (int d = 0; d < 4; d++) {
                unsigned b = nb[d];
                unsigned lo = a <= b ? a : b, hi = a <= b ? b : a;
                uint32_t *cell = &cooc[cell_index(lo, hi) * 4 + (size_t)d];
                uint32_t old = *cell;
                *cell = old + 1;
                /* written always, kept only for a new cell; cell (0, 0)
                 * never occurs, so ntouch stays below DCN__TEX_CELLS */
                touched[d][ntouch[d]] = (uint16_t)((lo << 8) | hi);
                ntouch[d] += old == 0;
            }
        }
    }
    for (int d = 0; d < 4; d++) {
        if (!direction_features(&ds[d], w, cooc, d, touched[d], ntouch[d],
                                nlev))
            ok = false;
    }
    if (!ok)
        return;
    for (int k = 0; k < 11; k++) {
        int mh = tex_map[k].mh;
        double v0 = ds[0].f[mh], v1 = ds[1].f[mh];
        double v2 = ds[2].f[mh], v3 = ds[3].f[mh];
        double lo = v0, hi = v0;
        if (v1 < lo)
            lo = v1;
        if (v2 < lo)
            lo = v2;
        if (v3 < lo)
            lo = v3;
        if (v1 > hi)
            hi = v1;
        if (v2 > hi)
            hi = v2;
        if (v3 > hi)
            hi = v3;
        feat[tex_map[k].avg] = (((v0 + v1) + v2) + v3) / 4;
        /* numpy's ptp propagates NaN */
        if (isnan(v0) || isnan(v1) || isnan(v2) || isnan(v3))
            feat[tex_map[k].avg + 1] = NAN;
        else
            feat[tex_map[k].avg + 1] = hi - lo;
    }
}
