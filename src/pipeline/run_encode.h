/* SPDX-License-Identifier: MIT */
/*
 * run_encode.h - encoder threads and per-dataset chunk rings for the
 * writer (see run_encode.c).  Only the writer thread calls the stream
 * functions; the pool's threads make no HDF5 call.
 */
#ifndef DCN_PIPELINE_RUN_ENCODE_H
#define DCN_PIPELINE_RUN_ENCODE_H

#include "dcnumc/status.h"
#include "rtdc_write.h"

struct enc_pool;
struct enc_stream;

/* Start nthreads encoder threads; *out: free with enc_pool_stop(). */
int enc_pool_start(struct enc_pool **out, size_t nthreads,
                   struct dcn_error *err);
/* Stop and join the threads; call after every stream finished.  NULL is a
 * no-op. */
void enc_pool_stop(struct enc_pool *pool);

/* A ring of chunk buffers for dataset ds (borrowed, outlives the stream);
 * *out: free with enc_stream_free(). */
int enc_stream_new(struct enc_stream **out, struct enc_pool *pool,
                   struct dcn_wdset *ds, struct dcn_error *err);
void enc_stream_free(struct enc_stream *s);
/* The next event's row in the current chunk (write it, then commit). */
uint8_t *enc_stream_row(struct enc_stream *s);
int enc_stream_commit(struct enc_stream *s, struct dcn_error *err);
/* Copy one event (event_bytes of the dataset) and commit it. */
int enc_stream_append(struct enc_stream *s, const void *event,
                      struct dcn_error *err);
/* Pad and queue the partial chunk, then write every chunk still pending,
 * in order. */
int enc_stream_finish(struct enc_stream *s, struct dcn_error *err);

#endif /* DCN_PIPELINE_RUN_ENCODE_H */
