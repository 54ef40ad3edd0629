/* SPDX-License-Identifier: MIT */
/*
 * synth.c - synthetic RT-DC frames: background, cells, camera noise.
 *
 * The model (built once) holds the static channel background: a level of
 * bg_level, a dark and a bright wall line near the top and bottom rows,
 * slight vignetting and column/pixel fixed-pattern noise.  The scene
 * generator walks through the recording: it draws the camera-frame gap
 * (geometric, mean mean_frame_gap), moves the cells to the right, draws
 * how many cells the frame shows (cell_probs), drops the rightmost extra
 * cells or places new ones (some entering at the left border), draws the
 * flicker and, rarely, repeats the previous image.  The renderer adds the
 * cells (dark rim, bright halo, textured interior) to background plus
 * flicker, then camera noise N(0, read_noise^2 + shot_noise^2 * signal),
 * rounds and clips to 0..255.  Randomness comes from xoshiro256** streams
 * seeded by splitmix64; the noise of a frame has its own stream keyed by
 * the scene, so rendering is pure and order-independent.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "synth_scene.h"

#define ZBITS      12 /* Gaussian quantile table of 2^ZBITS entries */
#define ZSIZE      (1u << ZBITS)
#define PROF_STEP  16 /* profile samples per pixel of edge distance */
#define PROF_RANGE 8  /* profiles cover edge distances -8..8 px */
#define PROF_SIZE  (2 * PROF_RANGE * PROF_STEP + 1)
#define WALL_DIST  5.5 /* rows from the image edge to a wall line */

struct dcn__synth_model {
    struct dcn_synth_params p; /* immutable copy */
    size_t npix;
    float *bg;               /* npix static background values */
    float sigma[256];        /* noise sd by signal level */
    float z[ZSIZE];          /* Gaussian quantiles at (k + 0.5) / ZSIZE */
    float rim[PROF_SIZE];    /* rim shape by edge distance */
    float halo[PROF_SIZE];   /* halo shape by edge distance */
    float inside[PROF_SIZE]; /* interior weight by edge distance */
    double ymin, ymax;       /* rows where cell centres may lie (walls) */
};

struct rng {
    uint64_t s[4];
};

struct dcn__synth_state {
    struct dcn__synth_model model;
    struct rng rng;    /* the scene stream */
    uint64_t index;    /* stored frames generated so far */
    uint64_t frame;    /* camera frame number of the last frame */
    uint64_t next_key; /* cell texture keys */
    unsigned ncells;   /* live cells */
    struct dcn__synth_cell cells[DCN_SYNTH_MAX_CELLS];
    struct dcn__synth_scene last; /* the previous scene (duplicates) */
    float *scratch;               /* for dcn__synth_frame() */
};

/* ---- deterministic randomness and arithmetic-only math ---------------- */

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t
mix64(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xd1b54a32d192ed03u);

    return splitmix64(&x);
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t
rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double
rng_unif(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rng_range(struct rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unif(r);
}

/* Standard normal from the quantile table (ZBITS bits of resolution). */
static double
rng_gauss(const struct dcn__synth_model *m, struct rng *r)
{
    return m->z[rng_next(r) >> (64 - ZBITS)];
}

/* exp(x) with + - * / only (no libm), so it is the same everywhere. */
static double
det_exp(double x)
{
    int halvings = 0;
    double sum = 1.0;
    double term = 1.0;

    if (x < -700.0)
        return 0.0;
    while (x > 0.5 || x < -0.5) {
        x *= 0.5;
        halvings++;
    }
    for (int k = 1; k < 18; k++) {
        term = term * x / k;
        sum += term;
    }
    while (halvings-- > 0)
        sum *= sum;
    return sum;
}

static double
gauss_shape(double x, double centre, double sd)
{
    double t = (x - centre) / sd;

    return det_exp(-0.5 * t * t);
}

/* ---- the model -------------------------------------------------------- */

/*
 * Quantiles of N(0, 1): integrate the density with the trapezoid rule on
 * a fine grid (the CDF error is far below float resolution) and invert by
 * linear interpolation.
 */
static void
init_gauss_table(float *z)
{
    const double lo = -7.0;
    const double h = 1.0 / 512.0;
    const int n = 7168; /* grid points: -7 .. 7 */
    double cdf = 0.0;
    double prev = det_exp(-0.5 * lo * lo);
    double total = 0.0;
    unsigned k = 0;

    for (int i = 1; i < n; i++) {
        double x = lo + h * i;
        double f = det_exp(-0.5 * x * x);

        total += 0.5 * h * (prev + f);
        prev = f;
    }
    prev = det_exp(-0.5 * lo * lo);
    for (int i = 1; i < n && k < ZSIZE; i++) {
        double x = lo + h * i;
        double f = det_exp(-0.5 * x * x);
        double next = cdf + 0.5 * h * (prev + f) / total;

        while (k < ZSIZE && (k + 0.5) / ZSIZE <= next) {
            double frac = ((k + 0.5) / ZSIZE - cdf) / (next - cdf);

            z[k++] = (float)(x - h + frac * h);
        }
        cdf = next;
        prev = f;
    }
    while (k < ZSIZE) {
        z[k] = -z[ZSIZE - 1 - k];
        k++;
    }
}

static void
init_profiles(struct dcn__synth_model *m)
{
    for (int i = 0; i < PROF_SIZE; i++) {
        double d = (double)(i - PROF_RANGE * PROF_STEP) / PROF_STEP;
        double in = d <= -1.5 ? 1.0 : d >= 0.0 ? 0.0 : -d / 1.5;

        m->rim[i] = (float)gauss_shape(d, -0.8, 0.75);
        m->halo[i] = (float)gauss_shape(d, 1.4, 0.9);
        m->inside[i] = (float)(in * in * (3.0 - 2.0 * in));
    }
}

/* Grey level of row y without fixed-pattern noise and vignetting. */
static double
row_level(const struct dcn__synth_model *m, double y)
{
    const double top = WALL_DIST;
    const double bottom = (double)m->p.height - 1.0 - WALL_DIST;
    double dist = y < 0.5 * (top + bottom) ? y - top : bottom - y;
    double level = m->p.bg_level;

    /* dist < 0: outside the channel; dist > 0: inside. */
    level -= 40.0 * gauss_shape(dist, 0.0, 0.8);
    level += 20.0 * gauss_shape(dist, 2.6, 0.7);
    level -= 4.0 * gauss_shape(dist, 5.0, 1.2);
    if (dist < -1.0)
        level += 7.0;
    return level;
}

static void
init_background(struct dcn__synth_model *m)
{
    const struct dcn_synth_params *p = &m->p;
    struct rng fp;
    double cx = 0.5 * (p->width - 1.0);
    double cy = 0.5 * (p->height - 1.0);

    rng_seed(&fp, mix64(p->seed, 0x66697865647061u)); /* "fixedpa" */
    for (uint32_t x = 0; x < p->width; x++) {
        double col = 0.6 * rng_gauss(m, &fp);

        for (uint32_t y = 0; y < p->height; y++)
            m->bg[(size_t)y * p->width + x] = (float)col;
    }
    for (uint32_t y = 0; y < p->height; y++) {
        double level = row_level(m, y);
        double yn = (y - cy) / cy;

        for (uint32_t x = 0; x < p->width; x++) {
            double xn = (x - cx) / cx;
            double vig = 1.0 - 0.04 * (xn * xn + 0.5 * yn * yn);
            float *px = &m->bg[(size_t)y * p->width + x];

            *px += (float)(level * vig + 0.5 * rng_gauss(m, &fp));
        }
    }
}

static void
init_model(struct dcn__synth_model *m)
{
    const struct dcn_synth_params *p = &m->p;

    init_gauss_table(m->z);
    init_profiles(m);
    for (int s = 0; s < 256; s++) {
        double var = p->read_noise * p->read_noise +
                     p->shot_noise * p->shot_noise * s;
        m->sigma[s] = (float)sqrt(var);
    }
    m->ymin = WALL_DIST + 5.0;
    m->ymax = (double)p->height - 1.0 - WALL_DIST - 5.0;
    init_background(m);
}

/* ---- parameters ------------------------------------------------------- */

void
dcn_synth_params_init(struct dcn_synth_params *p)
{
    *p = (struct dcn_synth_params){
            .frames = 1000,
            .height = 80,
            .width = 250,
            .seed = 42,
            .compression = 5,
            .threads = 0,
            .force = false,
            .frame_rate = 2000.0,
            .pixel_size = 0.34,
            .mean_frame_gap = 4.0,
            .first_frame = 1000,
            .bg_level = 110.0,
            .flicker = 1.0,
            .read_noise = 2.0,
            .shot_noise = 0.25,
            .cell_probs = {0.15, 0.5, 0.25, 0.1},
            .bright_fraction = 0.2,
            .duplicate_frac = 0.01,
    };
}

static bool
in_range(double v, double lo, double hi)
{
    return v >= lo && v <= hi; /* false for NaN */
}

/* Name of the first bad shape or storage parameter, or NULL. */
static const char *
bad_shape(const struct dcn_synth_params *p)
{
    if (p->frames < 1 || p->frames > (UINT64_C(1) << 40))
        return "frames (1 .. 2^40)";
    if (p->height < 32 || p->height > 1024)
        return "height (32 .. 1024)";
    if (p->width < 32 || p->width > 4096)
        return "width (32 .. 4096)";
    if (p->compression < 0 || p->compression > 9)
        return "compression (0 = none, zstd level 1 .. 9)";
    if (p->threads > 256)
        return "threads (0 .. 256)";
    if (!in_range(p->frame_rate, 1e-3, 1e9))
        return "frame_rate";
    if (!in_range(p->pixel_size, 1e-6, 1e6))
        return "pixel_size";
    if (!in_range(p->mean_frame_gap, 1.0, 1e6))
        return "mean_frame_gap (>= 1)";
    if (p->first_frame > (UINT64_C(1) << 52))
        return "first_frame";
    return NULL;
}

/* Name of the first bad image or cell parameter, or NULL. */
static const char *
bad_levels(const struct dcn_synth_params *p)
{
    double psum = 0.0;

    for (int i = 0; i < 4; i++) {
        if (!in_range(p->cell_probs[i], 0.0, 1.0))
            return "cell_probs (0 .. 1 each)";
        psum += p->cell_probs[i];
    }
    if (!in_range(psum, 0.999999, 1.000001))
        return "cell_probs (must sum to 1)";
    if (!in_range(p->bg_level, 0.0, 255.0))
        return "bg_level (0 .. 255)";
    if (!in_range(p->flicker, 0.0, 50.0))
        return "flicker (0 .. 50)";
    if (!in_range(p->read_noise, 0.0, 50.0))
        return "read_noise (0 .. 50)";
    if (!in_range(p->shot_noise, 0.0, 10.0))
        return "shot_noise (0 .. 10)";
    if (!in_range(p->bright_fraction, 0.0, 1.0))
        return "bright_fraction (0 .. 1)";
    if (!in_range(p->duplicate_frac, 0.0, 0.5))
        return "duplicate_frac (0 .. 0.5)";
    return NULL;
}

int
dcn__synth_params_check(const struct dcn_synth_params *p, const char *path,
                        struct dcn_error *err)
{
    const char *bad = bad_shape(p);

    if (bad == NULL)
        bad = bad_levels(p);
    if (bad == NULL)
        return DCN_OK;
    return dcn_error_set(err, DCN_EINVAL, "%s%sbad synthetic parameter %s",
                         path ? path : "", path ? ": " : "", bad);
}

/* ---- scenes ----------------------------------------------------------- */

static bool
overlaps(const struct dcn__synth_cell *c, const struct dcn__synth_cell *o)
{
    double dx = c->x > o->x ? c->x - o->x : o->x - c->x;
    double dy = c->y > o->y ? c->y - o->y : o->y - c->y;

    return dx < c->a + o->a + 8.0 && dy < c->b + o->b + 8.0;
}

static void
draw_cell(struct dcn__synth_state *st, struct dcn__synth_cell *c)
{
    const struct dcn__synth_model *m = &st->model;
    struct rng *r = &st->rng;
    bool bright = rng_unif(r) < m->p.bright_fraction;
    double bmax = 0.5 * (m->ymax - m->ymin);

    c->a = bright ? rng_range(r, 5.0, 11.0) : rng_range(r, 6.0, 15.0);
    c->b = c->a * rng_range(r, 0.75, 1.0);
    if (c->b > bmax)
        c->b = bmax;
    c->rear = rng_range(r, 0.0, 0.8);
    c->speed = rng_range(r, 4.0, 8.0);
    c->inner = bright ? rng_range(r, 6.0, 16.0) : rng_range(r, -18.0, -6.0);
    c->rim = rng_range(r, 40.0, 70.0);
    c->halo = rng_range(r, 8.0, 18.0);
    c->texture = rng_range(r, 2.0, 5.0);
    c->key = mix64(m->p.seed, ++st->next_key);
}

/* Place a new cell; 35 % enter at the left border.  False if no room. */
static bool
place_cell(struct dcn__synth_state *st, struct dcn__synth_cell *c)
{
    const struct dcn__synth_model *m = &st->model;
    struct rng *r = &st->rng;
    double w = m->p.width;

    draw_cell(st, c);
    for (int attempt = 0; attempt < 20; attempt++) {
        bool ok = true;

        if (rng_unif(r) < 0.35)
            c->x = rng_range(r, -0.5 * c->a, c->a);
        else
            c->x = rng_range(r, c->a + 3.0, w - 4.0 - c->a);
        c->y = rng_range(r, m->ymin + c->b, m->ymax - c->b);
        for (unsigned i = 0; i < st->ncells && ok; i++)
            ok = !overlaps(c, &st->cells[i]);
        if (ok)
            return true;
    }
    return false;
}

static unsigned
draw_count(struct dcn__synth_state *st)
{
    double u = rng_unif(&st->rng);
    double acc = 0.0;

    for (unsigned k = 0; k < 3; k++) {
        acc += st->model.p.cell_probs[k];
        if (u < acc)
            return k;
    }
    return 3;
}

/* Move the cells by gap camera frames; drop those that left the image. */
static void
move_cells(struct dcn__synth_state *st, uint64_t gap)
{
    unsigned n = 0;

    for (unsigned i = 0; i < st->ncells; i++) {
        struct dcn__synth_cell c = st->cells[i];

        c.x += c.speed * (double)gap;
        if (c.x - 0.5 * c.a < (double)st->model.p.width)
            st->cells[n++] = c;
    }
    st->ncells = n;
}

/* Keep the count at want: drop the rightmost cells or place new ones. */
static void
set_count(struct dcn__synth_state *st, unsigned want)
{
    while (st->ncells > want) {
        unsigned right = 0;

        for (unsigned i = 1; i < st->ncells; i++)
            if (st->cells[i].x > st->cells[right].x)
                right = i;
        st->cells[right] = st->cells[--st->ncells];
    }
    while (st->ncells < want) {
        struct dcn__synth_cell c;

        if (!place_cell(st, &c))
            break;
        st->cells[st->ncells++] = c;
    }
}

static uint64_t
draw_gap(struct dcn__synth_state *st)
{
    double p = 1.0 / st->model.p.mean_frame_gap;
    uint64_t gap = 1;

    while (gap < 100000 && rng_unif(&st->rng) >= p)
        gap++;
    return gap;
}

void
dcn__synth_next_scene(struct dcn__synth_state *st,
                      struct dcn__synth_scene *scene)
{
    const struct dcn_synth_params *p = &st->model.p;
    uint64_t gap = st->index == 0 ? 0 : draw_gap(st);
    bool dup = st->index > 0 && rng_unif(&st->rng) < p->duplicate_frac;

    st->frame = st->index == 0 ? p->first_frame : st->frame + gap;
    move_cells(st, gap);
    set_count(st, draw_count(st));
    if (dup) {
        *scene = st->last;
    } else {
        scene->ncells = st->ncells;
        memcpy(scene->cells, st->cells, sizeof(st->cells));
        scene->flicker = p->flicker * rng_gauss(&st->model, &st->rng);
        scene->noise_key = mix64(p->seed ^ 0x6e6f697365u, st->index);
    }
    scene->frame = st->frame;
    scene->time = (double)(st->frame - p->first_frame) / p->frame_rate;
    scene->duplicate = dup;
    st->last = *scene;
    st->index++;
}

/* ---- rendering -------------------------------------------------------- */

/* Hash of (key, i, j) as a value in [-1, 1]. */
static inline double
hash_unit(uint64_t key, int64_t i, int64_t j)
{
    uint64_t h = mix64(key ^ (uint64_t)i * 0x9e3779b97f4a7c15u, (uint64_t)j);

    return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Smooth value noise on a 3.5-pixel lattice plus a fine grain. */
static double
texture_at(const struct dcn__synth_cell *c, double dx, double dy)
{
    double fx = (dx + 64.0) / 3.5;
    double fy = (dy + 64.0) / 3.5;
    int64_t ix = (int64_t)fx;
    int64_t iy = (int64_t)fy;
    double tx = fx - (double)ix;
    double ty = fy - (double)iy;
    double v00 = hash_unit(c->key, ix, iy);
    double v10 = hash_unit(c->key, ix + 1, iy);
    double v01 = hash_unit(c->key, ix, iy + 1);
    double v11 = hash_unit(c->key, ix + 1, iy + 1);
    double top = v00 + (v10 - v00) * tx;
    double bottom = v01 + (v11 - v01) * tx;
    double grain =
            hash_unit(c->key ^ 1u, (int64_t)(dx + 64.5), (int64_t)(dy + 64.5));

    return c->texture * (top + (bottom - top) * ty + 0.4 * grain);
}

/* Approximate signed distance (pixels) from the cell's edge. */
static inline double
edge_distance(const struct dcn__synth_cell *c, double dx, double dy)
{
    double u = dx / c->a;
    double v = dy / c->b;
    double uu = u * u;
    double q = u < 0.0 ? (1.0 - c->rear) * uu + c->rear * uu * uu : uu;
    double au = u < 0.0 ? -u : u;
    double av = v < 0.0 ? -v : v;
    double scale = (c->a * au + c->b * av) / (au + av + 1e-9);

    return (sqrt(q + v * v) - 1.0) * scale;
}

static void
add_cell(const struct dcn__synth_model *m, const struct dcn__synth_cell *c,
         float *img)
{
    const int64_t w = m->p.width;
    const int64_t h = m->p.height;
    int64_t x0 = (int64_t)(c->x - c->a - 6.0 + 4096.0) - 4096;
    int64_t x1 = (int64_t)(c->x + c->a + 6.0 + 4096.0) - 4096;
    int64_t y0 = (int64_t)(c->y - c->b - 6.0 + 4096.0) - 4096;
    int64_t y1 = (int64_t)(c->y + c->b + 6.0 + 4096.0) - 4096;

    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 >= w ? w - 1 : x1;
    y1 = y1 >= h ? h - 1 : y1;
    for (int64_t y = y0; y <= y1; y++) {
        for (int64_t x = x0; x <= x1; x++) {
            double dx = (double)x - c->x;
            double dy = (double)y - c->y;
            double d = edge_distance(c, dx, dy);
            double fi = (d + PROF_RANGE) * PROF_STEP;
            int i;
            double val;

            if (fi < 0.0)
                fi = 0.0;
            if (fi >= PROF_SIZE - 1)
                continue;
            i = (int)fi;
            val = -c->rim * m->rim[i] + c->halo * m->halo[i];
            if (m->inside[i] > 0.0f)
                val += m->inside[i] * (c->inner + texture_at(c, dx, dy));
            img[y * w + x] += (float)val;
        }
    }
}

/* v in (0, 254.5) rounded half up: truncating v + 0.5 is exact here. */
static inline uint8_t
round_pos(float v)
{
    return (uint8_t)(v + 0.5f); // NOLINT(bugprone-incorrect-roundings)
}

/* Camera noise, rounding and clipping: the hot loop. */
static void
expose(const struct dcn__synth_model *m, const float *signal, uint8_t *out,
       uint64_t noise_key)
{
    struct rng r;
    uint64_t bits = 0;
    unsigned left = 0;

    rng_seed(&r, noise_key);
    for (size_t i = 0; i < m->npix; i++) {
        float s = signal[i];
        int level = s <= 0.0f ? 0 : s >= 255.0f ? 255 : (int)s;
        float v;

        if (left == 0) {
            bits = rng_next(&r);
            left = 64 / ZBITS;
        }
        v = s + m->sigma[level] * m->z[bits & (ZSIZE - 1)];
        bits >>= ZBITS;
        left--;
        out[i] = v <= 0.0f ? 0 : v >= 254.5f ? 255 : round_pos(v);
    }
}

size_t
dcn__synth_scratch_size(const struct dcn__synth_model *m)
{
    return m->npix;
}

void
dcn__synth_render(const struct dcn__synth_model *m,
                  const struct dcn__synth_scene *scene, uint8_t *out,
                  float *scratch)
{
    float flicker = (float)scene->flicker;

    for (size_t i = 0; i < m->npix; i++)
        scratch[i] = m->bg[i] + flicker;
    for (unsigned k = 0; k < scene->ncells; k++)
        add_cell(m, &scene->cells[k], scratch);
    expose(m, scratch, out, scene->noise_key);
}

/* ---- lifecycle -------------------------------------------------------- */

int
dcn__synth_new(struct dcn__synth_state **state,
               const struct dcn_synth_params *params, struct dcn_error *err)
{
    struct dcn__synth_state *st = NULL;
    int rc = dcn__synth_params_check(params, NULL, err);

    *state = NULL;
    if (rc < 0)
        return rc;
    st = dcn__calloc(1, sizeof(*st));
    if (st == NULL)
        goto nomem;
    st->model.p = *params;
    st->model.npix = (size_t)params->height * params->width;
    st->model.bg = dcn__mallocarray(st->model.npix, sizeof(float));
    st->scratch = dcn__mallocarray(st->model.npix, sizeof(float));
    if (st->model.bg == NULL || st->scratch == NULL)
        goto nomem;
    init_model(&st->model);
    rng_seed(&st->rng, mix64(params->seed, 0x7363656e65u)); /* "scene" */
    *state = st;
    return DCN_OK;
nomem:
    dcn__synth_free(st);
    return dcn_error_set(err, DCN_ENOMEM,
                         "out of memory for the synthetic generator");
}

void
dcn__synth_free(struct dcn__synth_state *st)
{
    if (st == NULL)
        return;
    dcn__free(st->model.bg);
    dcn__free(st->scratch);
    dcn__free(st);
}

const struct dcn__synth_model *
dcn__synth_model(const struct dcn__synth_state *st)
{
    return &st->model;
}

void
dcn__synth_frame(struct dcn__synth_state *st, uint8_t *out,
                 uint64_t *frame_number, double *time, unsigned *ncells)
{
    struct dcn__synth_scene scene;

    assert(out != NULL);
    dcn__synth_next_scene(st, &scene);
    dcn__synth_render(&st->model, &scene, out, st->scratch);
    if (frame_number != NULL)
        *frame_number = scene.frame;
    if (time != NULL)
        *time = scene.time;
    if (ncells != NULL)
        *ncells = scene.ncells;
}
