/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_chunks.c - feature data as pre-encoded chunks (format.md
 * §4.5, style.md rule 35): dcn__wdset_write_chunk() stores a chunk that
 * a worker encoded with H5Dwrite_chunk (filter mask 0), after extending
 * the dataset, in ascending chunk order with the short last chunk last.
 * dcn__wdset_append_encoded() accumulates, encodes and stores on the
 * calling thread.  The bytes stored are those H5Dwrite would store, so
 * the output does not depend on the path taken or the worker count.
 */
#include <hdf5.h>

#include "alloc.h"
#include "rtdc_write_internal.h"

int
dcn__wdset_write_chunk(struct dcn_wdset *ds, uint64_t index, size_t nevents,
                       const void *enc, size_t enc_len, struct dcn_error *err)
{
    hsize_t offset[3] = {0, 0, 0};
    int rc;

    dcn__wr_quiet();
    if (ds->dset < 0)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: dataset closed", ds->path);
    if (index != ds->next_chunk || ds->partial_done)
        return FAIL(ds->w, err, DCN_EINVAL,
                    "%s: chunk %llu out of order (next %llu%s)", ds->path,
                    (unsigned long long)index,
                    (unsigned long long)ds->next_chunk,
                    ds->partial_done ? ", after the last one" : "");
    if (nevents == 0 || nevents > ds->chunk_len)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: chunk %llu with %zu events",
                    ds->path, (unsigned long long)index, nevents);
    rc = dcn__wr_set_extent(ds, index * ds->chunk_len + nevents, err);
    if (rc < 0)
        return rc;
    offset[0] = index * ds->chunk_len;
    if (H5Dwrite_chunk(ds->dset, H5P_DEFAULT, 0, offset, enc_len, enc) < 0)
        return FAIL(ds->w, err, DCN_EIO, "%s: cannot write chunk %llu",
                    ds->path, (unsigned long long)index);
    ds->next_chunk = index + 1;
    ds->partial_done = nevents < ds->chunk_len;
    return DCN_OK;
}

static int
flush_acc(struct dcn_wdset *ds, struct dcn_error *err)
{
    size_t len;
    int rc;

    dcn__chunk_acc_pad(&ds->acc);
    rc = dcn__chunk_encode(ds->w->enc, ds->enc_buf, ds->enc_cap, &len,
                           ds->acc.raw, dcn__chunk_acc_bytes(&ds->acc),
                           ds->level, err);
    if (rc < 0)
        return rc;
    rc = dcn__wdset_write_chunk(ds, ds->acc.index, ds->acc.nevents, ds->enc_buf,
                                len, err);
    if (rc < 0)
        return rc;
    dcn__chunk_acc_next(&ds->acc, ds->acc.raw);
    return DCN_OK;
}

int
dcn__wdset_append_encoded(struct dcn_wdset *ds, const void *data, size_t n,
                          struct dcn_error *err)
{
    const uint8_t *src = data;
    int rc;

    dcn__wr_quiet();
    if (ds->dset < 0)
        return FAIL(ds->w, err, DCN_EINVAL, "%s: dataset closed", ds->path);
    if (ds->acc_raw == NULL) {
        size_t bytes = ds->chunk_len * ds->event_bytes;

        if (ds->partial_done || ds->length % ds->chunk_len != 0)
            return FAIL(ds->w, err, DCN_EINVAL,
                        "%s: cannot append chunks after a partial chunk",
                        ds->path);
        if (ds->w->enc == NULL && dcn__chunk_encoder_new(&ds->w->enc) < 0)
            return FAIL(ds->w, err, DCN_ENOMEM, "%s: out of memory", ds->path);
        ds->enc_cap = dcn__chunk_encode_bound(bytes, ds->level);
        ds->acc_raw = dcn__malloc(bytes);
        ds->enc_buf = dcn__malloc(ds->enc_cap);
        if (ds->acc_raw == NULL || ds->enc_buf == NULL)
            return FAIL(ds->w, err, DCN_ENOMEM, "%s: out of memory", ds->path);
        dcn__chunk_acc_init(&ds->acc, ds->acc_raw, ds->event_bytes,
                            ds->chunk_len, ds->next_chunk);
    }
    while (n > 0) {
        size_t took = dcn__chunk_acc_append(&ds->acc, src, n);

        src += took * ds->event_bytes;
        n -= took;
        if (dcn__chunk_acc_full(&ds->acc)) {
            rc = flush_acc(ds, err);
            if (rc < 0)
                return rc;
        }
    }
    return DCN_OK;
}

int
dcn__wdset_finish(struct dcn_wdset *ds, struct dcn_error *err)
{
    dcn__wr_quiet();
    if (ds->acc_raw != NULL && ds->acc.nevents > 0)
        return flush_acc(ds, err);
    return DCN_OK;
}
