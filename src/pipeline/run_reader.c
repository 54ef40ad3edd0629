/* SPDX-License-Identifier: MIT */
/*
 * run_reader.c - the reader thread: every HDF5 read of the slot cycle.
 *
 * For each chunk in order it waits for a free slot, fetches the stored
 * (still compressed) image chunks of the chunk's frames into the slot's
 * staging area, reads the frame before the chunk (for the duplicate-frame
 * rule, which crosses chunk boundaries) and the protected frame-level
 * features, puts the per-frame background of copy and rollmed into the
 * slot (run_bgframes.c), and hands the slot to the workers, who decode
 * it.  In tap mode the frame features are not read (the output reaches
 * them through a basin).  Layouts that cannot be fetched raw are read
 * decoded directly into the slot.
 */
#include <string.h>

#include "run_internal.h"

static int
fetch_images(struct dcn_run *run, size_t slot, uint64_t first, size_t n)
{
    struct slot_extra *x = run_slot_extra(run, slot);
    struct dcn_chunk_slot *s = dcn__slot_register_slot(run->reg, slot);
    struct dcn_image_fetch f;

    memset(&f, 0, sizeof(f));
    f.staging = run_slot_area(run, slot, x->staging_off);
    f.staging_cap = dcn_rtdc_image_fetch_bound(run->image, run->chunk_frames);
    f.refs = (struct dcn_chunk_ref *)(void *)run_slot_area(run, slot,
                                                           x->refs_off);
    f.refs_cap = dcn_rtdc_image_fetch_max_refs(run->image, run->chunk_frames);
    f.rows = (uint64_t *)(void *)run_slot_area(run, slot, x->rows_off);
    int rc = dcn_rtdc_image_fetch(run->image, first, first + n, &f,
                                  dcn_chunk_slot_image(s), &run->err);

    x->fetch = f;
    return rc;
}

static int
fetch_previous_frame(struct dcn_run *run, size_t slot, uint64_t first)
{
    struct slot_extra *x = run_slot_extra(run, slot);

    x->has_prev = first > 0;
    if (first == 0)
        return DCN_OK;
    return dcn_rtdc_image_read(run->image, first - 1, first,
                               run_slot_area(run, slot, x->prev_off),
                               &run->err);
}

static int
fetch_scalars(struct dcn_run *run, size_t slot, uint64_t first, size_t n)
{
    struct slot_extra *x = run_slot_extra(run, slot);
    uint64_t *area =
            (uint64_t *)(void *)run_slot_area(run, slot, x->scalar_off);

    for (size_t p = 0; !run->tap && p < run->nprot; p++) {
        int rc = dcn_rtdc_scalar_read_raw(
                run->in, run->prot[p].name, first, first + n,
                area + p * run->chunk_frames, &run->err);

        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

static int
load_chunk(struct dcn_run *run, size_t slot, int64_t chunk)
{
    struct slot_extra *x = run_slot_extra(run, slot);
    uint64_t first = dcn__slot_register_chunk_start(run->reg, chunk);
    size_t n = dcn__slot_register_chunk_length(run->reg, chunk);
    int rc;

    x->first = first;
    atomic_store(&x->pool_used, 0);
    rc = fetch_images(run, slot, first, n);
    if (rc == DCN_OK)
        rc = fetch_previous_frame(run, slot, first);
    if (rc == DCN_OK)
        rc = fetch_scalars(run, slot, first, n);
    if (rc == DCN_OK)
        rc = run_bgframes_fill(run, slot, first, n);
    return rc;
}

void *
run_reader_main(void *arg)
{
    struct dcn_run *run = arg;
    size_t slot;
    int64_t chunk;

    while (dcn__slot_register_begin_load(run->reg, &slot, &chunk) == 1) {
        int rc = load_chunk(run, slot, chunk);

        if (rc < 0) {
            dcn__slot_register_fail(run->reg, rc, "%s", run->err.msg);
            break;
        }
        dcn__slot_register_end_fetch(run->reg, slot);
    }
    return NULL;
}
