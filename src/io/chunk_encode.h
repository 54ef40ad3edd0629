/* SPDX-License-Identifier: MIT */
/*
 * chunk_encode.h - encode one output chunk exactly as HDF5 would store it
 * through dcnum's filter pipeline (format.md §4.1, §4.5), without HDF5.
 *
 * Pipeline [32015 zstd (level L), 3 fletcher32]: the stored chunk is one
 * zstd frame (one-shot, content size in the header, no checksum) of the
 * full raw chunk, followed by the little-endian Fletcher32 of the frame.
 * "none" (level 0): the raw chunk followed by its Fletcher32.  The bytes
 * are identical to what H5Dwrite stores through dcn__zstd_filter_register()
 * (tested), so the writer can store them with H5Dwrite_chunk and filter
 * mask 0.
 *
 * Thread model (style.md rule 35): workers encode; each worker owns one
 * struct dcn_chunk_encoder, created once at setup.  Nothing here calls
 * HDF5, and dcn__chunk_encode() allocates nothing of its own (zstd keeps
 * its workspace inside the context after the first call of a size).
 *
 * Also here: struct dcn_chunk_acc, the pure chunk accumulator the writer
 * thread fills event by event (caller-owned buffers, so that a full
 * buffer can be handed to a worker while the next one fills).
 */
#ifndef DCN_IO_CHUNK_ENCODE_H
#define DCN_IO_CHUNK_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/* level 0 = no compression (Fletcher32 only); 1..9 = zstd-N. */
#define DCN_CHUNK_LEVEL_NONE 0
#define DCN_CHUNK_LEVEL_MAX  9

struct dcn_chunk_encoder;

/* One per worker.  0 or DCN_ENOMEM; *enc is NULL on failure. */
int dcn__chunk_encoder_new(struct dcn_chunk_encoder **enc);
/* NULL is a no-op. */
void dcn__chunk_encoder_free(struct dcn_chunk_encoder *enc);

/* Bytes a stored chunk of raw_len raw bytes can take at most (zstd bound
 * or raw_len, plus 4 for Fletcher32).  Pure. */
size_t dcn__chunk_encode_bound(size_t raw_len, int level);

/*
 * Encode src (src_len bytes: the FULL chunk, already zero-padded beyond
 * the dataset extent) into dst (dst_cap bytes, at least
 * dcn__chunk_encode_bound(src_len, level)); *dst_len = bytes stored.
 * level: 0 (none) or 1..9.  Returns 0, DCN_EINVAL (bad level or dst_cap
 * too small) or DCN_EIO (zstd failed; message in err).  Safe in any
 * thread or forked process as long as enc is not shared.
 */
int dcn__chunk_encode(struct dcn_chunk_encoder *enc, void *dst, size_t dst_cap,
                      size_t *dst_len, const void *src, size_t src_len,
                      int level, struct dcn_error *err);

/*
 * A chunk being filled: chunk_len events of event_bytes each in raw
 * (caller memory, borrowed).  index = the chunk's index along axis 0, so
 * its first event is event index * chunk_len of the dataset.
 */
struct dcn_chunk_acc {
    uint8_t *raw;       /* borrowed, chunk_len * event_bytes bytes */
    size_t event_bytes; /* bytes of one event (1 for a uint8 scalar) */
    size_t chunk_len;   /* events per chunk */
    size_t nevents;     /* events held, <= chunk_len */
    uint64_t index;     /* chunk index along axis 0 */
};

void dcn__chunk_acc_init(struct dcn_chunk_acc *acc, uint8_t *raw,
                         size_t event_bytes, size_t chunk_len, uint64_t index);
/* Copy up to n events from src; returns how many were taken (fewer than
 * n only when the chunk became full). */
size_t dcn__chunk_acc_append(struct dcn_chunk_acc *acc, const void *src,
                             size_t n);
/* The row of the next event (event_bytes bytes, write it in place, e.g.
 * with dcn__mask_from_labels), or NULL when full; dcn__chunk_acc_commit()
 * then counts it. */
uint8_t *dcn__chunk_acc_next_row(struct dcn_chunk_acc *acc);
void dcn__chunk_acc_commit(struct dcn_chunk_acc *acc, size_t n);
static inline bool
dcn__chunk_acc_full(const struct dcn_chunk_acc *acc)
{
    return acc->nevents == acc->chunk_len;
}
/* Bytes of the full chunk (what must be encoded). */
static inline size_t
dcn__chunk_acc_bytes(const struct dcn_chunk_acc *acc)
{
    return acc->chunk_len * acc->event_bytes;
}
/* Zero the rows after the last event (the fill value beyond the extent). */
void dcn__chunk_acc_pad(struct dcn_chunk_acc *acc);
/* Start the next chunk (index + 1, empty) in the buffer raw. */
void dcn__chunk_acc_next(struct dcn_chunk_acc *acc, uint8_t *raw);

/*
 * Masks as dcnum stores them (format.md §2.2): 255 where labels == id,
 * else 0, over npix pixels into dst (a chunk row).  Pure.
 */
void dcn__mask_from_labels(uint8_t *dst, const uint16_t *labels, size_t npix,
                           uint16_t id);
/* 255 where src != 0, else 0 (a boolean mask source). */
void dcn__mask_from_bool(uint8_t *dst, const uint8_t *src, size_t npix);

#endif /* DCN_IO_CHUNK_ENCODE_H */
