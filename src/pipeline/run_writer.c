/* SPDX-License-Identifier: MIT */
/*
 * run_writer.c - the writer thread: every HDF5 write of the slot cycle.
 *
 * It takes the 'w' slot of chunk 0, 1, 2, ... in order and appends the
 * events of its frames, in frame order and within a frame in label order
 * (numerics.md §5.2): every computed feature, nevents, basinmap0,
 * basinmap1 (sparsemed: the background image of the event's frame),
 * bg_off, the protected frame features and the frame image (drain only;
 * tap reaches them through file basins), image_bg (copy, rollmed) and
 * the 0/255 mask rebuilt from the slot's labels.  Then the slot rests in
 * 'd'.
 *
 * Datasets that exist even without events (nevents, basinmap0, bg_off,
 * the copied frame features, image and image_bg) are created up front;
 * computed features, mask and basinmap1 appear with the first event, as
 * in dcnum's output of a run that finds no events (format.md §2.9).
 */
#include <string.h>

#include "alloc.h"
#include "run_internal.h"

static int
feature_new(struct run_output *o, struct dcn_wdset **ds, const char *name,
            enum dcn_wtype type, size_t h, size_t w)
{
    struct dcn_feature_spec spec = {"events", name, type, h, w};

    return dcn__writer_feature_new(o->w, ds, &spec, &o->err);
}

/* Datasets present whether or not any event is found. */
static int
create_fixed(struct dcn_run *run, struct run_output *o)
{
    int rc = feature_new(o, &o->nevents, "nevents", DCN_WT_I64, 0, 0);

    if (rc == DCN_OK)
        rc = feature_new(o, &o->bm0, "basinmap0", o->bm0_type, 0, 0);
    if (rc == DCN_OK && run->bg.has_bg_off)
        rc = feature_new(o, &o->bg_off, "bg_off", DCN_WT_F64, 0, 0);
    /* tap: the frame features and the image stay in the input */
    for (size_t p = 0; rc == DCN_OK && !run->tap && p < run->nprot; p++)
        rc = feature_new(o, &o->prot[p], run->prot[p].name, run->prot[p].wtype,
                         0, 0);
    if (rc == DCN_OK && !run->tap)
        rc = feature_new(o, &o->image, "image", DCN_WT_U8, run->height,
                         run->width);
    if (rc == DCN_OK)
        rc = enc_pool_start(&o->pool, run->nworkers, &o->err);
    if (rc == DCN_OK && o->image != NULL)
        rc = enc_stream_new(&o->image_s, o->pool, o->image, &o->err);
    /* copy, rollmed: the background per event, in drain and tap alike */
    if (rc == DCN_OK && run->bg.per_frame)
        rc = feature_new(o, &o->image_bg, "image_bg", DCN_WT_U8, run->height,
                         run->width);
    if (rc == DCN_OK && o->image_bg != NULL)
        rc = enc_stream_new(&o->image_bg_s, o->pool, o->image_bg, &o->err);
    return rc;
}

/* Datasets that appear with the first event. */
static int
create_event_datasets(struct dcn_run *run, struct run_output *o)
{
    int rc = DCN_OK;

    for (int f = 0; rc == DCN_OK && f < DCN_FEAT_COUNT; f++)
        if (dcn_feature_enabled((enum dcn_feature)f, run->feat.flags))
            rc = feature_new(o, &o->feat[f],
                             dcn_feature_name((enum dcn_feature)f), DCN_WT_F64,
                             0, 0);
    if (rc == DCN_OK)
        rc = feature_new(o, &o->mask, "mask", DCN_WT_U8, run->height,
                         run->width);
    if (rc == DCN_OK)
        rc = enc_stream_new(&o->mask_s, o->pool, o->mask, &o->err);
    if (rc == DCN_OK && !run->bg.per_frame)
        rc = feature_new(o, &o->bm1, "basinmap1", DCN_WT_I64, 0, 0);
    o->created = rc == DCN_OK;
    return rc;
}

static int
append(struct run_output *o, struct dcn_wdset *ds, const void *v)
{
    return dcn__wdset_append_encoded(ds, v, 1, &o->err);
}

/* basinmap0 in its dtype: uint32, or int64 under an int/slice mapping. */
static int
append_bm0(struct run_output *o, uint64_t raw)
{
    uint32_t u = (uint32_t)raw;
    int64_t i = (int64_t)raw;

    return append(o, o->bm0,
                  o->bm0_type == DCN_WT_U32 ? (void *)&u : (void *)&i);
}

/* The bookkeeping and copied values of an event of frame j. */
static int
write_frame_values(struct dcn_run *run, struct run_output *o, size_t slot,
                   size_t k, int64_t n)
{
    struct dcn_chunk_slot *s = dcn__slot_register_slot(run->reg, slot);
    struct slot_extra *x = run_slot_extra(run, slot);
    uint64_t j = x->first + k;
    uint64_t raw = dcn_rtdc_raw_index(run->in, j);
    int64_t bm1 = run->bg.per_frame ? 0 : run_bg_idx(run)[raw];
    /* Protected values are packed at their stored size per feature. */
    const uint8_t *sc = run_slot_area(run, slot, x->scalar_off);
    int rc = append(o, o->nevents, &n);

    o->bm0_identity = o->bm0_identity && raw == o->events;
    if (rc == DCN_OK)
        rc = append_bm0(o, raw);
    if (rc == DCN_OK && o->bm1 != NULL)
        rc = append(o, o->bm1, &bm1);
    o->bm1_equals_bm0 = o->bm1_equals_bm0 && (uint64_t)bm1 == raw;
    if (rc == DCN_OK && o->bg_off != NULL)
        rc = append(o, o->bg_off, &dcn_chunk_slot_bg_off(s)[k]);
    for (size_t p = 0; rc == DCN_OK && !run->tap && p < run->nprot; p++)
        rc = append(o, o->prot[p],
                    sc + p * run->chunk_frames * sizeof(uint64_t) +
                            k * run->prot[p].dtype.size);
    if (rc == DCN_OK && o->image_s != NULL)
        rc = enc_stream_append(o->image_s,
                               dcn_chunk_slot_image(s) +
                                       k * run->height * run->width,
                               &o->err);
    if (rc == DCN_OK && o->image_bg_s != NULL)
        rc = enc_stream_append(o->image_bg_s,
                               dcn_chunk_slot_image_bg(s) +
                                       k * run->height * run->width,
                               &o->err);
    return rc;
}

/* The event's stored mask (255 inside, 0 elsewhere) of a frame of npix
 * pixels: only the rows the event spans are compared with its label. */
static void
mask_row(uint8_t *dst, const uint16_t *labels, size_t width, size_t npix,
         const struct dcn_event *ev)
{
    size_t first = (size_t)ev->row0 * width;
    size_t end = ((size_t)ev->row1 + 1) * width;

    if (ev->row0 > ev->row1 || end > npix) { /* no rows known: every row */
        first = 0;
        end = npix;
    }
    memset(dst, 0, npix);
    dcn__mask_from_labels(dst + first, labels + first, end - first, ev->label);
}

static int
write_event(struct dcn_run *run, struct run_output *o, size_t slot, size_t k,
            const struct dcn_event *ev, int64_t n)
{
    struct dcn_chunk_slot *s = dcn__slot_register_slot(run->reg, slot);
    size_t npix = run->height * run->width;
    int rc = o->created ? DCN_OK : create_event_datasets(run, o);

    for (int f = 0; rc == DCN_OK && f < DCN_FEAT_COUNT; f++)
        if (o->feat[f] != NULL)
            rc = append(o, o->feat[f], &ev->feat[f]);
    if (rc == DCN_OK)
        rc = write_frame_values(run, o, slot, k, n);
    if (rc == DCN_OK) {
        mask_row(enc_stream_row(o->mask_s), dcn_chunk_slot_labels(s) + k * npix,
                 run->width, npix, ev);
        rc = enc_stream_commit(o->mask_s, &o->err);
    }
    o->events++;
    return rc;
}

static int
write_slot(struct dcn_run *run, struct run_output *o, size_t slot,
           size_t nframes)
{
    struct slot_extra *x = run_slot_extra(run, slot);
    const struct event_range *r =
            (const struct event_range *)(const void *)run_slot_area(
                    run, slot, x->range_off);
    const struct dcn_event *pool =
            (const struct dcn_event *)(const void *)run_slot_area(run, slot,
                                                                  x->pool_off);
    int rc = DCN_OK;

    uint64_t limit = run->opts->limit_events;

    for (size_t k = 0; rc == DCN_OK && k < nframes && !o->limited; k++) {
        for (uint32_t e = 0; rc == DCN_OK && e < r[k].count; e++)
            rc = write_event(run, o, slot, k, &pool[r[k].first + e],
                             r[k].count);
        o->frames++;
        /* --limit-events: stop after the frame that reaches the limit,
         * so that every written frame has all its events. */
        o->limited = limit > 0 && o->events >= limit;
    }
    return rc;
}

static int
write_chunks(struct dcn_run *run, struct run_output *o)
{
    size_t nchunks = dcn__slot_register_nchunks(run->reg);

    for (int64_t c = 0; c < (int64_t)nchunks; c++) {
        struct dcn_task t;
        size_t slot;
        int rc = dcn__slot_register_wait_for(run->reg, c, DCN_STATE_WRITE,
                                             &slot);

        if (rc < 0)
            return rc;
        if (dcn__slot_register_reserve_slot(run->reg, slot, DCN_STATE_WRITE,
                                            DCN_BATCH_ALL, &t) != 1)
            return dcn_error_set(&o->err, DCN_EWORKER,
                                 "writer: chunk %lld is not complete",
                                 (long long)c);
        rc = write_slot(run, o, slot, t.stop);
        dcn__slot_register_finish(run->reg, &t, rc == DCN_OK);
        if (rc < 0 || o->limited)
            return rc;
    }
    return DCN_OK;
}

/* Store the partial last chunks of every dataset. */
int
run_output_finish(struct run_output *o)
{
    struct dcn_wdset *all[DCN_FEAT_COUNT + RUN_MAX_PROTECTED + 8];
    size_t n = 0;
    int rc = DCN_OK;

    for (int f = 0; f < DCN_FEAT_COUNT; f++)
        all[n++] = o->feat[f];
    for (size_t p = 0; p < RUN_MAX_PROTECTED; p++)
        all[n++] = o->prot[p];
    all[n++] = o->nevents;
    all[n++] = o->bm0;
    all[n++] = o->bm1;
    all[n++] = o->bg_off;
    for (size_t i = 0; rc == DCN_OK && i < n; i++)
        if (all[i] != NULL)
            rc = dcn__wdset_finish(all[i], &o->err);
    if (rc == DCN_OK && o->image_s != NULL)
        rc = enc_stream_finish(o->image_s, &o->err);
    if (rc == DCN_OK && o->image_bg_s != NULL)
        rc = enc_stream_finish(o->image_bg_s, &o->err);
    if (rc == DCN_OK && o->mask_s != NULL)
        rc = enc_stream_finish(o->mask_s, &o->err);
    return rc;
}

int
run_output_init(struct dcn_run *run, struct run_output *o, struct dcn_writer *w)
{
    enum dcn_mapping_kind mk = run->job->index_mapping.kind;

    memset(o, 0, sizeof(*o));
    o->w = w;
    o->bm1_equals_bm0 = true;
    o->bm0_identity = true;
    o->bm0_type = mk == DCN_MAPPING_COUNT || mk == DCN_MAPPING_SLICE
                          ? DCN_WT_I64
                          : DCN_WT_U32;
    return DCN_OK;
}

void
run_output_release(struct run_output *o)
{
    /* The encoder threads may still hold queued buffers of the rings
     * (after an error or Ctrl-C): join them before freeing the rings. */
    enc_pool_stop(o->pool);
    enc_stream_free(o->image_s);
    enc_stream_free(o->mask_s);
    enc_stream_free(o->image_bg_s);
    o->image_s = o->mask_s = o->image_bg_s = NULL;
    o->pool = NULL;
}

void *
run_writer_main(void *arg)
{
    struct run_output *o = arg;
    struct dcn_run *run = o->run;
    int rc = create_fixed(run, o);

    if (rc == DCN_OK)
        rc = write_chunks(run, o);
    if (rc == DCN_OK)
        rc = run_output_finish(o);
    if (rc < 0 && rc != DCN_ECANCELED)
        dcn__slot_register_fail(run->reg, rc, "%s", o->err.msg);
    o->status = rc;
    return NULL;
}
