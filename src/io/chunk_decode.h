/* SPDX-License-Identifier: MIT */
/*
 * chunk_decode.h - undo an HDF5 filter pipeline on the stored bytes of one
 * chunk, outside HDF5 (format.md §4.5, style.md rule 35).
 *
 * The reader thread fetches stored chunks with H5Dread_chunk (plus the
 * filter mask) and describes the dataset's pipeline with a plain struct
 * dcn_filter_pipeline; workers call dcn_chunk_decode() on those bytes.
 * Nothing here calls HDF5 or allocates: the caller passes the output and
 * a scratch buffer sized with dcn_chunk_decode_scratch_size().  Every
 * function is pure and safe in any thread or forked process, as long as
 * each caller passes its own dst and scratch.
 */
#ifndef DCN_IO_CHUNK_DECODE_H
#define DCN_IO_CHUNK_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

#define DCN_FILTER_DEFLATE    1
#define DCN_FILTER_SZIP       4
#define DCN_FILTER_FLETCHER32 3
#define DCN_FILTER_ZSTD       32015

#define DCN_PIPELINE_MAX      8 /* filters per dataset we describe */
#define DCN_FILTER_CD_MAX     8

/* One filter of a dataset creation property list (H5Pget_filter2). */
struct dcn_filter {
    unsigned id;
    unsigned flags; /* H5Z_FLAG_OPTIONAL = 1 */
    size_t cd_nelmts;
    unsigned cd_values[DCN_FILTER_CD_MAX];
};

/* A dataset's filter pipeline in write order (filter 0 applied first).
 * Plain data: may be copied into shared memory. */
struct dcn_filter_pipeline {
    int nfilters;
    struct dcn_filter filters[DCN_PIPELINE_MAX];
};

/* True if every filter of p is one dcn_chunk_decode() undoes
 * (zstd, deflate, Fletcher32); an empty pipeline is decodable. */
bool dcn_filter_pipeline_decodable(const struct dcn_filter_pipeline *p);

/* Human-readable "zstd(5)+fletcher32" into buf (always terminated). */
void dcn_filter_pipeline_describe(char *buf, size_t len,
                                  const struct dcn_filter_pipeline *p);

/*
 * Capacity that dst and scratch of dcn_chunk_decode() need for a chunk
 * whose decoded size is chunk_bytes: the chunk plus the 4-byte checksums
 * a pipeline can leave in intermediate stages, plus the zstd and zlib
 * decoder work areas.
 */
size_t dcn_chunk_decode_dst_size(size_t chunk_bytes);
size_t dcn_chunk_decode_scratch_size(size_t chunk_bytes);

/*
 * Decode one stored chunk.
 *
 * dst, dst_cap:  receives the decoded chunk; dst_cap >=
 *                dcn_chunk_decode_dst_size(expected size).
 * dst_len:       set to the number of decoded bytes.
 * src, src_len:  the stored bytes (borrowed, not modified).
 * pipeline:      the dataset's filters, in write order.
 * filter_mask:   from H5Dread_chunk; bit k set = filter k was not applied.
 * scratch:       dcn_chunk_decode_scratch_size() bytes, clobbered.
 *
 * Filters are undone in reverse pipeline order, masked ones skipped.
 * Returns DCN_OK; DCN_EFILTER for a filter it cannot undo (the caller
 * then lets HDF5 read the data); DCN_ECORRUPT if a Fletcher32 checksum
 * differs (HDF5's legacy byte-swapped checksum is accepted) or the bytes
 * do not decompress; DCN_EINVAL if a buffer is too small.  Messages name
 * the filter only: the caller adds the file and dataset.
 */
int dcn_chunk_decode(void *dst, size_t dst_cap, size_t *dst_len,
                     const void *src, size_t src_len,
                     const struct dcn_filter_pipeline *pipeline,
                     unsigned filter_mask, void *scratch, size_t scratch_cap,
                     struct dcn_error *err);

/*
 * True if dcn_chunk_decode() with this pipeline and mask needs no dst
 * capacity beyond the decoded chunk itself (at most one compressor, and
 * no checksum inside it), so a caller may decode straight into its
 * destination with dst_cap = chunk bytes.
 */
bool dcn_chunk_decode_exact_ok(const struct dcn_filter_pipeline *p,
                               unsigned filter_mask);

/*
 * Copy the part of a decoded chunk that overlaps a stack of frames.
 *
 * The dataset is 3-D (frames, height, width) of elem-byte items; the
 * chunk starts at dataset coordinates coord[3] and has full shape
 * cdims[3] (HDF5 stores full chunks, also at the edge).  dst holds
 * nframes frames of height*width items; frame k of dst is dataset row
 * rows[k], or first_row + k when rows is NULL.  Rows outside the chunk
 * and chunk parts beyond height/width are ignored, so chunks that split
 * images ((5,20,125)) or are longer than the dataset work.  Pure.
 * Returns the number of dst frames touched.
 */
size_t dcn_chunk_copy_overlap(void *dst, uint64_t first_row, size_t nframes,
                              const uint64_t *rows, size_t height, size_t width,
                              size_t elem, const void *chunk,
                              const uint64_t coord[3], const uint64_t cdims[3]);

#endif /* DCN_IO_CHUNK_DECODE_H */
