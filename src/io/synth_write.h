/* SPDX-License-Identifier: MIT */
/*
 * synth_write.h - the HDF5 side of `dcnumc synth`: a raw .rtdc file with
 * /events/image (stored chunks written as encoded by the caller),
 * /events/frame, /events/time, root attributes and one log.
 *
 * The file is written to "<path>~" and renamed to path by
 * dcn__synth_file_finish(); dcn__synth_file_free() on an unfinished file
 * removes the temporary file.  Every function here except the encoder
 * calls HDF5 and must run on one thread at a time.
 */
#ifndef DCN_IO_SYNTH_WRITE_H
#define DCN_IO_SYNTH_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/* A scalar root attribute as h5py writes it. */
enum dcn__attr_type {
    DCN__ATTR_STR,  /* variable-length UTF-8 string */
    DCN__ATTR_I64,  /* int64 */
    DCN__ATTR_F64,  /* float64 */
    DCN__ATTR_BOOL, /* enum {FALSE=0, TRUE=1} over int8 */
};

struct dcn__attr {
    const char *name;
    enum dcn__attr_type type;
    const char *s; /* DCN__ATTR_STR */
    int64_t i;     /* DCN__ATTR_I64, DCN__ATTR_BOOL */
    double d;      /* DCN__ATTR_F64 */
};

/* Shape and storage of the recording. */
struct dcn__synth_layout {
    uint64_t frames;
    uint32_t height;
    uint32_t width;
    uint32_t chunk_frames; /* image chunk length along axis 0 */
    int compression;       /* zstd level 1..22, 0 = none */
    bool force;            /* overwrite an existing output */
};

struct dcn__synth_file;

/*
 * Create "<path>~" with the datasets of layout (full length, filled by
 * the writes below) and the root attributes attrs[0..nattrs).  An
 * existing path is DCN_EEXIST unless layout->force.  Caller frees with
 * dcn__synth_file_free().  Strings are borrowed for the call.
 */
int dcn__synth_file_create(struct dcn__synth_file **file, const char *path,
                           const struct dcn__synth_layout *layout,
                           const struct dcn__attr *attrs, size_t nattrs,
                           struct dcn_error *err);

/* Store one encoded image chunk (see dcn__synth_encode()) at chunk index
 * chunk; data is borrowed for the call. */
int dcn__synth_file_write_chunk(struct dcn__synth_file *file, uint64_t chunk,
                                const void *data, size_t len,
                                struct dcn_error *err);

/* Write frame[0..n) and time[0..n) at event index start. */
int dcn__synth_file_write_frames(struct dcn__synth_file *file, uint64_t start,
                                 const uint64_t *frame, const double *time,
                                 size_t n, struct dcn_error *err);

/*
 * Write the log /logs/<log_name> (one string per line), close the file
 * and rename it to its final path.  After this, free only releases.
 */
int dcn__synth_file_finish(struct dcn__synth_file *file, const char *log_name,
                           const char *const *lines, size_t nlines,
                           struct dcn_error *err);

/* Close and, if not finished, remove the temporary file.  NULL: no-op. */
void dcn__synth_file_free(struct dcn__synth_file *file);

/* ---- chunk encoding: no HDF5, one encoder per thread ------------------ */

struct dcn__synth_encoder;

/* An encoder for zstd level (0: no compression); caller frees with
 * dcn__synth_encoder_free(). */
int dcn__synth_encoder_new(struct dcn__synth_encoder **enc, int level,
                           struct dcn_error *err);
void dcn__synth_encoder_free(struct dcn__synth_encoder *enc);

/* Bytes a stored chunk of raw_len bytes may need. */
size_t dcn__synth_encode_bound(size_t raw_len);

/* An encoded chunk: caller storage. */
struct dcn__synth_chunk {
    uint8_t *data; /* cap bytes, borrowed */
    size_t cap;    /* >= dcn__synth_encode_bound(raw length) */
    size_t len;    /* set by dcn__synth_encode() */
};

/*
 * Encode a full raw chunk as HDF5 stores it with the pipeline
 * [zstd(level), fletcher32] (level 0: [fletcher32]): dst receives the
 * zstd frame (content size in the header) and the little-endian
 * Fletcher32 of it.  Thread-safe with one encoder per thread.
 */
int dcn__synth_encode(struct dcn__synth_encoder *enc,
                      struct dcn__synth_chunk *dst, const uint8_t *src,
                      size_t len, struct dcn_error *err);

#endif /* DCN_IO_SYNTH_WRITE_H */
