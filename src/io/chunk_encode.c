/* SPDX-License-Identifier: MIT */
/*
 * chunk_encode.c - stored-chunk encoding (zstd one-shot + Fletcher32).
 */
#include "chunk_encode.h"

#include <assert.h>
#include <string.h>
#include <zstd.h>

#include "alloc.h"
#include "fletcher32.h"

struct dcn_chunk_encoder {
    ZSTD_CCtx *cctx; /* owned */
};

int
dcn__chunk_encoder_new(struct dcn_chunk_encoder **enc)
{
    struct dcn_chunk_encoder *e = dcn__calloc(1, sizeof(*e));

    *enc = NULL;
    if (e == NULL)
        return DCN_ENOMEM;
    e->cctx = ZSTD_createCCtx();
    if (e->cctx == NULL) {
        dcn__free(e);
        return DCN_ENOMEM;
    }
    *enc = e;
    return DCN_OK;
}

void
dcn__chunk_encoder_free(struct dcn_chunk_encoder *enc)
{
    if (enc == NULL)
        return;
    ZSTD_freeCCtx(enc->cctx);
    dcn__free(enc);
}

size_t
dcn__chunk_encode_bound(size_t raw_len, int level)
{
    if (level == DCN_CHUNK_LEVEL_NONE)
        return raw_len + 4;
    return ZSTD_compressBound(raw_len) + 4;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int
dcn__chunk_encode( // NOLINT(readability-function-size): 8-arg public API
        struct dcn_chunk_encoder *enc, void *dst, size_t dst_cap,
        size_t *dst_len, const void *src, size_t src_len, int level,
        struct dcn_error *err)
{
    uint8_t *out = dst;
    size_t n;

    *dst_len = 0;
    if (level < 0 || level > DCN_CHUNK_LEVEL_MAX)
        return dcn_error_set(err, DCN_EINVAL,
                             "chunk encoder: compression level %d not in 0..9",
                             level);
    if (dst_cap < dcn__chunk_encode_bound(src_len, level))
        return dcn_error_set(err, DCN_EINVAL,
                             "chunk encoder: output buffer of %zu bytes is "
                             "smaller than the bound for %zu bytes",
                             dst_cap, src_len);
    if (level == DCN_CHUNK_LEVEL_NONE) {
        if (src_len > 0)
            memcpy(out, src, src_len);
        n = src_len;
    } else {
        /* Same call as the filter's ZSTD_compress(): one shot with a
         * known source size, so the frame carries its content size. */
        n = ZSTD_compressCCtx(enc->cctx, out, dst_cap - 4, src, src_len, level);
        if (ZSTD_isError(n))
            return dcn_error_set(err, DCN_EIO,
                                 "chunk encoder: zstd failed on %zu bytes: %s",
                                 src_len, ZSTD_getErrorName(n));
    }
    put_le32(out + n, dcn__fletcher32(out, n));
    *dst_len = n + 4;
    return DCN_OK;
}

void
dcn__chunk_acc_init(struct dcn_chunk_acc *acc, uint8_t *raw, size_t event_bytes,
                    size_t chunk_len, uint64_t index)
{
    acc->raw = raw;
    acc->event_bytes = event_bytes;
    acc->chunk_len = chunk_len;
    acc->nevents = 0;
    acc->index = index;
}

size_t
dcn__chunk_acc_append(struct dcn_chunk_acc *acc, const void *src, size_t n)
{
    size_t room = acc->chunk_len - acc->nevents;

    if (n > room)
        n = room;
    if (n > 0)
        memcpy(acc->raw + acc->nevents * acc->event_bytes, src,
               n * acc->event_bytes);
    acc->nevents += n;
    return n;
}

uint8_t *
dcn__chunk_acc_next_row(struct dcn_chunk_acc *acc)
{
    if (acc->nevents >= acc->chunk_len)
        return NULL;
    return acc->raw + acc->nevents * acc->event_bytes;
}

void
dcn__chunk_acc_commit(struct dcn_chunk_acc *acc, size_t n)
{
    assert(acc->nevents + n <= acc->chunk_len);
    acc->nevents += n;
}

void
dcn__chunk_acc_pad(struct dcn_chunk_acc *acc)
{
    size_t used = acc->nevents * acc->event_bytes;
    size_t total = acc->chunk_len * acc->event_bytes;

    if (total > used)
        memset(acc->raw + used, 0, total - used);
}

void
dcn__chunk_acc_next(struct dcn_chunk_acc *acc, uint8_t *raw)
{
    acc->raw = raw;
    acc->nevents = 0;
    acc->index++;
}

void
dcn__mask_from_labels(uint8_t *dst, const uint16_t *labels, size_t npix,
                      uint16_t id)
{
    size_t k;

    for (k = 0; k < npix; k++)
        dst[k] = labels[k] == id ? 255 : 0;
}

void
dcn__mask_from_bool(uint8_t *dst, const uint8_t *src, size_t npix)
{
    size_t k;

    for (k = 0; k < npix; k++)
        dst[k] = src[k] != 0 ? 255 : 0;
}
