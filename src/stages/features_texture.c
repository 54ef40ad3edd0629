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
 *   entropies from a table of log2(c): H = sum c (log2(T) - log2(c)) / T,
 *   which is exactly 0 for a single count, like mahotas; the matrix
 *   entropy is summed over a histogram of the S values, so directions
 *   with equal matrices give equal bits and a ptp of exactly 0.
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
log2c(const struct dcn__feat_work *w, uint64_t c)
{
    return c < w->nlog ? w->log2tab[c] : log2((double)c);
}

/*
 * Entropy terms of integer counts c with sum T: H = sum (c/T) log2(T/c),
 * accumulated as sum m * c * (log2(T) - log2(c)) and divided by T at the
 * end.  Every term is >= 0 (no cancellation), and a single count c == T
 * gives exactly 0, as mahotas does for P = 1.
 */
static inline double
ent_term(const struct dcn__feat_work *w, uint64_t c, double log2t)
{
    return c == 0 ? 0.0 : (double)c * (log2t - log2c(w, c));
}

/* cell of the unordered pair lo <= hi in the packed upper triangle: the
 * cells of levels below L take L(L+1)/2 entries, so a texture with L ~ 100
 * keeps all four directions in ~80 KiB */
static inline size_t
cell_index(unsigned lo, unsigned hi)
{
    return (size_t)hi * (hi + 1) / 2 + lo;
}

/* Integer statistics of one direction's symmetric matrix S (counts). */
struct dir_counts {
    uint64_t rows[NLEV];     /* row sums of S (= column sums) */
    uint64_t hsum[2 * NLEV]; /* sum of S over i + j = s */
    uint64_t hdiff[NLEV];    /* sum of S over |i - j| = d */
    uint64_t total;          /* T */
    uint64_t sum_s2;         /* sum of S^2 */
    uint64_t sum_ijs;        /* sum of i * j * S */
    uint32_t smin, smax;     /* range of S values > 2 in w->shist */
    uint64_t n_s1, n_s2;     /* entries with S == 1 and S == 2 */
    int lmin, lmax;          /* levels present */
};

/* Count one S value sv with its multiplicity: the values above 2 in
 * w->shist, summed later in value order, so equal matrices give equal
 * bits whatever the order in which their cells were first touched; 1 and
 * 2, the most common values, in *n_s1 and *n_s2, which the caller keeps
 * in registers (repeated increments of one memory cell would
 * serialise). */
static inline void
count_s_value(struct dir_counts *dc, struct dcn__feat_work *w, uint32_t sv,
              uint32_t mult, uint64_t *n_s1, uint64_t *n_s2)
{
    if (sv <= 2) {
        *n_s1 += sv == 1 ? mult : 0;
        *n_s2 += sv == 2 ? mult : 0;
    } else {
        w->shist[sv] += mult;
        dc->smin = sv < dc->smin ? sv : dc->smin;
        dc->smax = sv > dc->smax ? sv : dc->smax;
    }
}

/* Empty statistics for levels below nlev. */
static void
reset_counts(struct dir_counts *dc, unsigned nlev)
{
    memset(dc->rows, 0, nlev * sizeof(*dc->rows));
    memset(dc->hsum, 0, (size_t)2 * nlev * sizeof(*dc->hsum));
    memset(dc->hdiff, 0, nlev * sizeof(*dc->hdiff));
    dc->total = dc->sum_s2 = dc->sum_ijs = 0;
    dc->smin = UINT32_MAX;
    dc->smax = 0;
    dc->lmin = NLEV;
    dc->lmax = -1;
}

/*
 * Gather one direction's counts from its touched cells; the cells are
 * reset to zero on the way.  Pairs with a 0 level (row and column 0,
 * ignored by mahotas) are skipped.  touched holds (lo << 8) | hi.
 */
static void
gather_counts(struct dir_counts *dc, struct dcn__feat_work *w, int d,
              const uint16_t *touched, size_t ntouched, unsigned nlev)
{
    uint32_t *cooc = w->cooc;
    uint64_t n_s1 = 0, n_s2 = 0;

    reset_counts(dc, nlev);
    for (size_t k = 0; k < ntouched; k++) {
        unsigned lo = touched[k] >> 8, hi = touched[k] & 0xffu;
        uint32_t *cell = &cooc[cell_index(lo, hi) * 4 + (size_t)d];
        uint64_t u = *cell;
        /* S[lo][hi] = S[hi][lo] = u off the diagonal, S[a][a] = 2u */
        uint64_t diag = lo == hi;

        *cell = 0;
        if (lo == 0)
            continue;
        dc->total += 2 * u;
        dc->sum_s2 += diag ? 4 * u * u : 2 * u * u;
        count_s_value(dc, w, (uint32_t)(diag ? 2 * u : u), diag ? 1 : 2, &n_s1,
                      &n_s2);
        dc->rows[lo] += u;
        dc->rows[hi] += u;
        dc->sum_ijs += (uint64_t)lo * hi * 2 * u;
        dc->hsum[lo + hi] += 2 * u;
        dc->hdiff[hi - lo] += 2 * u;
        dc->lmin = (int)lo < dc->lmin ? (int)lo : dc->lmin;
        dc->lmax = (int)hi > dc->lmax ? (int)hi : dc->lmax;
    }
    dc->n_s1 = n_s1;
    dc->n_s2 = n_s2;
}

/* f0..f12 of mahotas from the counts of a direction with T > 0. */
/* H(P) of the matrix from the S histogram, which is cleared on the way */
static double
matrix_entropy(struct dcn__feat_work *w, const struct dir_counts *dc, double t,
               double log2t)
{
    /* in increasing S: 1, 2, then the histogram */
    double acc = (double)dc->n_s1 * ent_term(w, 1, log2t) +
                 (double)dc->n_s2 * ent_term(w, 2, log2t);

    for (uint32_t sv = dc->smin; sv <= dc->smax; sv++) {
        if (w->shist[sv] == 0)
            continue;
        acc += (double)w->shist[sv] * ent_term(w, sv, log2t);
        w->shist[sv] = 0;
    }
    return acc / t;
}

static void
direction_features(struct dir_stats *ds, struct dcn__feat_work *w,
                   const struct dir_counts *dc)
{
    double t = (double)dc->total;
    double log2t = log2(t);
    double s1 = 0.0, s2 = 0.0, sxl = 0.0;
    double a1 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, hpp = 0.0, hpm = 0.0;
    double ux, vx, sx, hx, hxy, f5, e;

    /* marginals: px = py = rows / T (S is symmetric) */
    for (int k = dc->lmin; k <= dc->lmax; k++) {
        s1 += (double)k * (double)dc->rows[k];
        s2 += (double)k * (double)k * (double)dc->rows[k];
        sxl += ent_term(w, dc->rows[k], log2t);
    }
    for (int k = 2 * dc->lmin; k <= 2 * dc->lmax; k++) {
        a5 += (double)k * (double)dc->hsum[k];
        a6 += (double)k * (double)k * (double)dc->hsum[k];
        hpp += ent_term(w, dc->hsum[k], log2t);
    }
    for (int k = 0; k <= dc->lmax - dc->lmin; k++) {
        a1 += (double)k * (double)k * (double)dc->hdiff[k];
        a4 += (double)dc->hdiff[k] / (1.0 + (double)k * (double)k);
        hpm += ent_term(w, dc->hdiff[k], log2t);
    }
    ux = s1 / t;
    vx = s2 / t - ux * ux;
    sx = sqrt(vx);
    hx = sxl / t;
    f5 = a5 / t;
    ds->f[0] = (double)dc->sum_s2 / (t * t);
    ds->f[1] = a1 / t;
    /* sx == sy; (1/sx/sy)*(sum ij P - ux*uy), or 1 if a sigma is 0 */
    ds->f[2] = sx == 0.0
                       ? 1.0
                       : (1.0 / sx / sx) * ((double)dc->sum_ijs / t - ux * ux);
    ds->f[3] = vx;
    ds->f[4] = a4 / t;
    ds->f[5] = f5;
    ds->f[6] = a6 / t - f5 * f5;
    ds->f[7] = hpp / t;
    ds->f[8] = matrix_entropy(w, dc, t, log2t);
    ds->f[9] = 0.0; /* difference variance: not used */
    ds->f[10] = hpm / t;
    /* HX = HY; HXY1 = HXY2 = HX + HY for a symmetric P */
    hxy = hx + hx;
    ds->f[11] = hx == 0.0 ? ds->f[8] - hxy : (ds->f[8] - hxy) / hx;
    e = 1 - exp(-2. * (hxy - ds->f[8]));
    ds->f[12] = sqrt(e > 0 ? e : 0);
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

#define NOT_IN_MASK INT16_MAX /* corr is within -255..255 */

/* corr over the box into buf (bw * bh, row-major), NOT_IN_MASK outside
 * the mask; returns the minimum over the mask.  Branch-free: the mask
 * edge is unpredictable. */
static int
box_corr(int16_t *buf, const struct dcn__event_view *ev)
{
    size_t bw = ev->x1 - ev->x0 + 1;
    int mn = NOT_IN_MASK;

    for (size_t yy = ev->y0; yy <= ev->y1; yy++) {
        size_t row = yy * ev->width + ev->x0;
        const uint16_t *lab = ev->labels + row;
        int16_t *out = buf + (yy - ev->y0) * bw;
        for (size_t xx = 0; xx < bw; xx++) {
            int c = ev->image_corr != NULL
                            ? ev->image_corr[row + xx]
                            : (int)ev->image[row + xx] -
                                      (int)ev->image_bg[row + xx];
            c = lab[xx] == ev->id ? c : NOT_IN_MASK;
            out[xx] = (int16_t)c;
            mn = c < mn ? c : mn;
        }
    }
    return mn;
}

/* levels (corr - mn + 1) cast to uint8 in the mask, 0 elsewhere, into a
 * (bh + 1) x gs buffer with a zero border; returns the largest level */
static unsigned
fill_levels(uint8_t *levels, size_t gs, const int16_t *buf, size_t bw,
            size_t bh, int mn)
{
    unsigned maxlev = 0;

    /* the zero border: the row below the box and both side columns */
    memset(levels + bh * gs, 0, gs);
    for (size_t yy = 0; yy < bh; yy++) {
        const int16_t *c = buf + yy * bw;
        uint8_t *g = levels + yy * gs + 1;
        g[-1] = 0;
        g[bw] = 0;
        for (size_t xx = 0; xx < bw; xx++) {
            uint8_t v = (uint8_t)(c[xx] - mn + 1);
            v = c[xx] != NOT_IN_MASK ? v : 0;
            g[xx] = v;
            maxlev = v > maxlev ? v : maxlev;
        }
    }
    return maxlev;
}

/* count the pair (a, b) of direction d into its cell */
static inline void
count_pair(uint32_t *cooc, uint16_t *touched, size_t *ntouch, int d, unsigned a,
           unsigned b)
{
    unsigned lo = a <= b ? a : b, hi = a <= b ? b : a;
    uint32_t *cell = &cooc[cell_index(lo, hi) * 4 + (size_t)d];
    uint32_t old = *cell;

    *cell = old + 1;
    /* written always, kept only for a new cell; cell (0, 0) never occurs,
     * so ntouch stays below DCN__TEX_CELLS */
    touched[*ntouch] = (uint16_t)((lo << 8) | hi);
    *ntouch += old == 0;
}

/*
 * Co-occurrence of unordered level pairs, all four directions in one pass
 * over the box.  Cell cell_index(lo, hi) * 4 + d, so the four directions
 * of a pixel usually share a cache line.  Pairs with a 0 level land in row
 * 0 and are skipped later, which keeps this loop free of branches.
 */
static void
count_pairs(struct dcn__feat_work *w, uint16_t *const touched[4],
            size_t ntouch[4], size_t bw, size_t bh, size_t gs)
{
    for (size_t yy = 0; yy < bh; yy++) {
        const uint8_t *g = w->levels + yy * gs + 1;
        const uint8_t *gn = g + gs;
        for (size_t xx = 0; xx < bw; xx++) {
            unsigned a = g[xx];
            if (a == 0)
                continue;
            count_pair(w->cooc, touched[0], &ntouch[0], 0, a, g[xx + 1]);
            count_pair(w->cooc, touched[1], &ntouch[1], 1, a, gn[xx + 1]);
            count_pair(w->cooc, touched[2], &ntouch[2], 2, a, gn[xx]);
            count_pair(w->cooc, touched[3], &ntouch[3], 3, a,
                       gn[(ptrdiff_t)xx - 1]);
        }
    }
}

/* avg = (((f0 + f1) + f2) + f3) / 4 and ptp = max - min (NaN if any is) */
static void
mean_ptp(double *feat, const struct dir_stats ds[4])
{
    for (int k = 0; k < 11; k++) {
        int mh = tex_map[k].mh;
        double v[4] = {ds[0].f[mh], ds[1].f[mh], ds[2].f[mh], ds[3].f[mh]};
        double lo = v[0], hi = v[0];
        bool nan = false;
        for (int d = 0; d < 4; d++) {
            lo = v[d] < lo ? v[d] : lo;
            hi = v[d] > hi ? v[d] : hi;
            nan = nan || isnan(v[d]);
        }
        feat[tex_map[k].avg] = (((v[0] + v[1]) + v[2]) + v[3]) / 4;
        feat[tex_map[k].avg + 1] = nan ? NAN : hi - lo;
    }
}

void
dcn__haralick_features(double *feat, struct dcn__feat_work *w,
                       const struct dcn__event_view *ev)
{
    size_t bw = ev->x1 - ev->x0 + 1;
    size_t bh = ev->y1 - ev->y0 + 1;
    size_t gs = bw + 2; /* one zero column either side */
    size_t ntouch[4] = {0, 0, 0, 0};
    uint16_t *touched[4];
    struct dir_stats ds[4];
    struct dir_counts dc;
    unsigned nlev;
    bool ok = true;

    set_nan_texture(feat);
    for (int d = 0; d < 4; d++)
        touched[d] = w->touched + (size_t)d * DCN__TEX_CELLS;
    {
        int mn = box_corr(w->vals, ev);
        nlev = fill_levels(w->levels, gs, w->vals, bw, bh, mn) + 1;
    }
    count_pairs(w, touched, ntouch, bw, bh, gs);
    /* every direction is gathered (which clears its cells) even after an
     * empty one */
    for (int d = 0; d < 4; d++) {
        gather_counts(&dc, w, d, touched[d], ntouch[d], nlev);
        if (dc.total == 0)
            ok = false;
        else
            direction_features(&ds[d], w, &dc);
    }
    if (ok)
        mean_ptp(feat, ds);
}
