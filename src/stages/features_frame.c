/* SPDX-License-Identifier: MIT */
/*
 * features_frame.c - per-frame event extraction (numerics.md §3.4, §5.1)
 * and the per-worker scratch.
 *
 * One pass over the labels gives every label's pixel count and box; the
 * candidates (count > size_thresh_mask) are then handled in label order.
 * Each event's features are computed straight into the caller's table;
 * an event that fails a box gate or is invalid is simply not kept (the
 * per-event filters commute with dcnum's array-wide ones, so the order
 * and the masks_dropped count are the same).
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "features_internal.h"

struct label_stat {
    uint32_t n;
    uint32_t x0, y0, x1, y1;
};

struct dcn_features_scratch {
    size_t width;
    size_t height;
    size_t nstat;            /* entries of stat: labels 0 .. nstat-1 */
    struct label_stat *stat; /* all zero between frames */
    struct dcn__feat_work work;
    struct dcn_event spill; /* an event that does not fit the table */
    void *mem;
};

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

/* entries of the log2 table: enough for every count of an 80x400 frame */
static size_t
nlog_for(size_t width, size_t height)
{
    size_t n = 2 * width * height + 2;
    return n < (1u << 17) ? n : (1u << 17);
}

/* next aligned piece of base (NULL: only count the bytes) */
static void *
carve(unsigned char *base, size_t *off, size_t bytes)
{
    void *p = base != NULL ? (void *)(base + *off) : NULL;
    *off += ALIGN16(bytes);
    return p;
}

/* Lay the work buffers out from base; returns the bytes needed. */
static size_t
work_layout(struct dcn__feat_work *w, unsigned char *base, size_t width,
            size_t height)
{
    size_t npx = width * height;
    size_t ccap = 4 * npx + 8;
    size_t off = 0;
    size_t cells = (size_t)4 * DCN__TEX_CELLS;

    w->ccap = ccap;
    w->nlog = nlog_for(width, height);
    w->cx = carve(base, &off, ccap * sizeof(int32_t));
    w->cy = carve(base, &off, ccap * sizeof(int32_t));
    w->colmin = carve(base, &off, (width + 2) * sizeof(int32_t));
    w->colmax = carve(base, &off, (width + 2) * sizeof(int32_t));
    w->hx = carve(base, &off, (2 * width + 8) * sizeof(int32_t));
    w->hy = carve(base, &off, (2 * width + 8) * sizeof(int32_t));
    w->vbuf = carve(base, &off, (ccap + 1) * sizeof(double));
    w->hist = carve(base, &off, 511 * sizeof(uint32_t));
    w->vals = carve(base, &off, npx * sizeof(int16_t));
    w->ivals = carve(base, &off, npx);
    w->levels = carve(base, &off, (height + 1) * (width + 2));
    w->cooc = carve(base, &off, cells * sizeof(uint32_t));
    w->touched = carve(base, &off, cells * sizeof(uint16_t));
    w->log2tab = carve(base, &off, w->nlog * sizeof(double));
    w->shist = carve(base, &off, (2 * npx + 2) * sizeof(uint32_t));
    return off;
}

size_t
dcn__feat_work_size(size_t width, size_t height)
{
    struct dcn__feat_work w;
    return work_layout(&w, NULL, width, height);
}

void
dcn__feat_work_init(struct dcn__feat_work *w, void *mem, size_t width,
                    size_t height)
{
    work_layout(w, mem, width, height);
    w->ncont = 0;
    w->log2tab[0] = 0.0;
    for (size_t c = 1; c < w->nlog; c++)
        w->log2tab[c] = log2((double)c);
}

static size_t
nstat_for(size_t width, size_t height)
{
    size_t n = width * height + 1;
    return n < 65536 ? n : 65536;
}

size_t
dcn_features_scratch_size(size_t width, size_t height)
{
    return sizeof(struct dcn_features_scratch) +
           ALIGN16(nstat_for(width, height) * sizeof(struct label_stat)) +
           dcn__feat_work_size(width, height);
}

int
dcn_features_scratch_new(struct dcn_features_scratch **scratch, size_t width,
                         size_t height)
{
    struct dcn_features_scratch *s = NULL;
    size_t nstat;
    size_t statbytes;
    int rc;

    *scratch = NULL;
    if (width == 0 || height == 0 || width > 65535 || height > 65535)
        return DCN_EINVAL;
    nstat = nstat_for(width, height);
    statbytes = ALIGN16(nstat * sizeof(struct label_stat));
    s = dcn__calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = DCN_ENOMEM;
        goto out;
    }
    s->mem = dcn__calloc(1, statbytes + dcn__feat_work_size(width, height));
    if (s->mem == NULL) {
        rc = DCN_ENOMEM;
        goto out;
    }
    s->width = width;
    s->height = height;
    s->nstat = nstat;
    s->stat = s->mem;
    dcn__feat_work_init(&s->work, (unsigned char *)s->mem + statbytes, width,
                        height);
    *scratch = s;
    s = NULL;
    rc = DCN_OK;
out:
    dcn_features_scratch_free(s);
    return rc;
}

void
dcn_features_scratch_free(struct dcn_features_scratch *scratch)
{
    if (scratch == NULL)
        return;
    dcn__free(scratch->mem);
    dcn__free(scratch);
}

static inline void
stat_add(struct label_stat *st, uint32_t x, uint32_t y)
{
    if (st->n == 0) {
        st->x0 = st->x1 = x;
        st->y0 = y;
    } else if (x < st->x0) {
        st->x0 = x;
    } else if (x > st->x1) {
        st->x1 = x;
    }
    st->y1 = y;
    st->n++;
}

/* true if the 8 labels at p are all 0 */
static inline bool
zero8(const uint16_t *p)
{
    uint64_t a, b;
    memcpy(&a, p, sizeof(a));
    memcpy(&b, p + 4, sizeof(b));
    return (a | b) == 0;
}

/* Count and box of every label; returns the largest label seen, or
 * nstat if a label does not fit the table.  Runs of 8 background pixels
 * are skipped at once (most of a frame is background). */
static size_t
label_stats(struct label_stat *stat, size_t nstat, const uint16_t *labels,
            size_t width, size_t height)
{
    size_t maxid = 0;

    for (size_t y = 0; y < height; y++) {
        const uint16_t *row = labels + y * width;
        size_t x = 0;
        while (x < width) {
            unsigned id;
            if (x + 8 <= width && zero8(row + x)) {
                x += 8;
                continue;
            }
            id = row[x];
            if (id != 0) {
                if (id >= nstat)
                    return nstat;
                maxid = id > maxid ? id : maxid;
                stat_add(&stat[id], (uint32_t)x, (uint32_t)y);
            }
            x++;
        }
    }
    return maxid;
}

/* All enabled features of one event into feat; returns its validity. */
static bool
event_features(double *feat, struct dcn_features_scratch *s,
               const struct dcn__event_view *ev,
               const struct dcn_frame_input *in,
               const struct dcn_features_config *cfg, double bg_med)
{
    bool valid;

    for (int f = 0; f < DCN_FEAT_COUNT; f++)
        feat[f] = NAN;
    dcn__contour_trace(&s->work, ev);
    valid = dcn__moment_features(feat, &s->work, cfg->pixel_size);
    if (cfg->flags & DCN_FEATURES_BRIGHTNESS) {
        dcn__brightness_features(feat, &s->work, ev, in->has_bg_off,
                                 in->bg_off);
        feat[DCN_FEAT_BG_MED] = bg_med;
    }
    if (cfg->flags & DCN_FEATURES_HARALICK)
        dcn__haralick_features(feat, &s->work, ev);
    if (cfg->flags & DCN_FEATURES_VOLUME)
        dcn__volume_feature(feat, &s->work, valid, cfg->pixel_size);
    return valid;
}

enum event_fate {
    EVENT_KEPT,
    EVENT_GATED_OUT, /* removed by a box gate (not counted by dcnum) */
    EVENT_INVALID    /* removed as invalid (dcnum's masks_dropped) */
};

/* What every event of a frame shares. */
struct event_ctx {
    struct dcn_features_scratch *scratch;
    const struct dcn_frame_input *in;
    const struct dcn_features_config *cfg;
    double bg_med; /* NaN until the first candidate needs it */
};

/* Compute the event of label id into out and decide its fate: box gates
 * first, then validity (dcnum's order, §5.1 step 4). */
static enum event_fate
one_event(struct dcn_event *out, const struct event_ctx *ctx, uint16_t id,
          const struct label_stat *ls)
{
    const struct dcn_frame_input *in = ctx->in;
    struct dcn__event_view ev = {
            .labels = in->labels,
            .image = in->image,
            .image_bg = in->image_bg,
            .image_corr = in->image_corr,
            .width = in->width,
            .height = in->height,
            .id = id,
            .npix = ls->n,
            .x0 = ls->x0,
            .y0 = ls->y0,
            .x1 = ls->x1,
            .y1 = ls->y1,
    };
    bool valid = event_features(out->feat, ctx->scratch, &ev, in, ctx->cfg,
                                ctx->bg_med);

    out->label = id;
    out->npix = ls->n;
    out->row0 = ls->y0;
    out->row1 = ls->y1;
    if (!dcn_gate_box_pass(&ctx->cfg->gate, out->feat))
        return EVENT_GATED_OUT;
    return valid ? EVENT_KEPT : EVENT_INVALID;
}

static bool
args_ok(const struct dcn_event_table *table, const struct dcn_frame_input *in,
        const struct dcn_features_config *cfg,
        const struct dcn_features_scratch *scratch)
{
    unsigned need_bg = DCN_FEATURES_BRIGHTNESS | DCN_FEATURES_HARALICK;

    if (table == NULL || in == NULL || cfg == NULL || scratch == NULL)
        return false;
    if ((table->events == NULL && table->cap > 0) || in->image == NULL ||
        in->labels == NULL)
        return false;
    if (in->width == 0 || in->height == 0 || in->width > scratch->width ||
        in->height > scratch->height)
        return false;
    if (!(cfg->pixel_size != 0) || isnan(cfg->pixel_size))
        return false;
    return !((cfg->flags & need_bg) && in->image_bg == NULL);
}

/* bg_med of the frame (§4.10): the median of the whole background plus
 * bg_off; the caller's value if it gave one */
static double
frame_bg_med(const struct dcn_frame_input *in)
{
    double med = in->bg_median != NULL
                         ? *in->bg_median
                         : dcn_features_median_u8(in->image_bg,
                                                  in->width * in->height);
    return in->has_bg_off ? med + in->bg_off : med;
}

int
dcn_features_extract_frame(struct dcn_event_table *table,
                           struct dcn_frame_stats *stats,
                           const struct dcn_frame_input *in,
                           const struct dcn_features_config *cfg,
                           struct dcn_features_scratch *scratch)
{
    struct dcn_frame_stats st = {0, 0, 0};
    struct event_ctx ctx = {scratch, in, cfg, NAN};
    struct label_stat *stat;
    size_t maxid, count = 0;

    if (table != NULL)
        table->count = 0;
    if (!args_ok(table, in, cfg, scratch))
        return DCN_EINVAL;
    stat = scratch->stat;
    maxid = label_stats(stat, scratch->nstat, in->labels, in->width,
                        in->height);
    if (maxid >= scratch->nstat) {
        /* more labels than pixels: not a labeling of this frame */
        memset(stat, 0, scratch->nstat * sizeof(*stat));
        return DCN_EINVAL;
    }
    for (size_t id = 1; id <= maxid; id++) {
        const struct label_stat *ls = &stat[id];
        struct dcn_event *out;
        enum event_fate fate;

        if (ls->n == 0 || (long)ls->n <= cfg->gate.size_thresh_mask)
            continue;
        st.candidates++;
        if ((cfg->flags & DCN_FEATURES_BRIGHTNESS) && isnan(ctx.bg_med))
            ctx.bg_med = frame_bg_med(in);
        out = count < table->cap ? &table->events[count] : &scratch->spill;
        fate = one_event(out, &ctx, (uint16_t)id, ls);
        st.gated_out += fate == EVENT_GATED_OUT;
        st.masks_dropped += fate == EVENT_INVALID;
        count += fate == EVENT_KEPT;
    }
    /* leave the label table zeroed for the next frame */
    memset(stat, 0, (maxid + 1) * sizeof(*stat));
    table->count = count;
    if (stats != NULL)
        *stats = st;
    return count > table->cap ? DCN_ERANGE : DCN_OK;
}
