/* SPDX-License-Identifier: MIT */
/*
 * bench_encode.c - the compression ceiling of the drain layout: how many
 * events per second ONE core can encode into stored chunks of an output
 * file's per-event datasets (image and mask), with the writer's own
 * encoder (dcn__chunk_encode: zstd-N + Fletcher32, the bytes dcnum
 * stores).  bench_pipeline.sh turns this into frames/s on all cores: a
 * drain run cannot be faster than its encoding alone.  Reports, never
 * fails.
 *
 *   bench_encode OUTPUT.rtdc [LEVEL] [MAX_EVENTS]
 *
 * Prints one line per dataset and a last line
 *   "events_per_second_per_core: X"
 * for image and mask encoded together.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chunk_encode.h"
#include "rtdc_read.h"

/* Enough events for a stable rate, small enough for any file. */
#define DEFAULT_MAX_EVENTS 5200
/* Repeat the encoding until this much time has been measured. */
#define MIN_SECONDS 1.0

struct events {
    uint8_t *raw;   /* owned: nchunks * chunk_bytes, zero-padded */
    size_t nchunks; /* full chunks of the dataset's own chunk length */
    size_t chunk_bytes;
    uint64_t nevents;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Decode up to max events of dataset name into whole chunks of its own
 * chunk length.  0 on success. */
static int
load_events(struct dcn_rtdc *r, const char *name, uint64_t max,
            struct events *ev, struct dcn_error *err)
{
    struct dcn_rtdc_image *im = NULL;
    const struct dcn_image_layout *l;
    size_t h;
    size_t w;
    uint64_t clen;

    if (dcn_rtdc_image_open(r, name, &im, err) < 0)
        return -1;
    l = dcn_rtdc_image_layout(im);
    dcn_rtdc_image_shape(im, &h, &w);
    clen = l->chunk[0] > 0 ? l->chunk[0] : 1;
    ev->nevents = l->extent[0] < max ? l->extent[0] : max;
    ev->nchunks = (size_t)((ev->nevents + clen - 1) / clen);
    ev->chunk_bytes = (size_t)clen * h * w;
    ev->raw = calloc(ev->nchunks * ev->chunk_bytes + 1, 1);
    if (ev->raw == NULL)
        return -1;
    return dcn_rtdc_image_read(im, 0, ev->nevents, ev->raw, err) < 0 ? -1 : 0;
}

/* Encode every chunk once; returns the stored bytes, 0 on failure. */
static size_t
encode_all(struct dcn_chunk_encoder *enc, const struct events *ev, uint8_t *dst,
           size_t cap, int level, struct dcn_error *err)
{
    size_t total = 0;

    for (size_t c = 0; c < ev->nchunks; c++) {
        size_t len = 0;

        if (dcn__chunk_encode(enc, dst, cap, &len,
                              ev->raw + c * ev->chunk_bytes, ev->chunk_bytes,
                              level, err) < 0)
            return 0;
        total += len;
    }
    return total;
}

/* Seconds per encoding of all chunks (best of repeats), or -1. */
static double
time_encoding(const struct events *ev, int level, size_t *stored,
              struct dcn_error *err)
{
    struct dcn_chunk_encoder *enc = NULL;
    size_t cap = dcn__chunk_encode_bound(ev->chunk_bytes, level);
    uint8_t *dst = malloc(cap);
    double best = -1;
    double spent = 0;

    if (dst == NULL || dcn__chunk_encoder_new(&enc) < 0)
        goto out;
    while (spent < MIN_SECONDS) {
        double t0 = now();
        double dt;

        *stored = encode_all(enc, ev, dst, cap, level, err);
        if (*stored == 0) {
            best = -1;
            goto out;
        }
        dt = now() - t0;
        spent += dt;
        if (best < 0 || dt < best)
            best = dt;
    }
out:
    dcn__chunk_encoder_free(enc);
    free(dst);
    return best;
}

/* Seconds per event for one dataset, printed; -1 if it cannot be read. */
static double
bench_dataset(struct dcn_rtdc *r, const char *name, uint64_t max, int level)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct events ev = {0};
    size_t stored = 0;
    double secs = -1;

    if (load_events(r, name, max, &ev, &err) < 0 || ev.nevents == 0) {
        (void)printf("%-6s not measured: %s\n", name,
                     err.msg[0] ? err.msg : "no events");
        goto out;
    }
    secs = time_encoding(&ev, level, &stored, &err);
    if (secs < 0) {
        (void)printf("%-6s not measured: %s\n", name, err.msg);
        goto out;
    }
    (void)printf("%-6s %llu events in chunks of %zu bytes: %.0f events/s "
                 "on one core, %.1f MB/s, ratio %.2f\n",
                 name, (unsigned long long)ev.nevents, ev.chunk_bytes,
                 (double)ev.nevents / secs,
                 (double)(ev.nchunks * ev.chunk_bytes) / secs / 1e6,
                 (double)(ev.nchunks * ev.chunk_bytes) / (double)stored);
    secs /= (double)ev.nevents;
out:
    free(ev.raw);
    return secs;
}

int
main(int argc, char **argv)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    int level = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    uint64_t max = argc > 3 ? strtoull(argv[3], NULL, 10) : DEFAULT_MAX_EVENTS;
    double per_image;
    double per_mask;

    if (argc < 2) {
        (void)fprintf(stderr, "usage: bench_encode OUTPUT.rtdc [LEVEL] "
                              "[MAX_EVENTS]\n");
        return 0;
    }
    if (dcn_rtdc_open(&r, argv[1], NULL, &err) < 0) {
        (void)printf("bench_encode: %s (skipped)\n", err.msg);
        return 0;
    }
    (void)printf("encoding at level %d (0 = none) with dcn__chunk_encode\n",
                 level);
    per_image = bench_dataset(r, "image", max, level);
    per_mask = bench_dataset(r, "mask", max, level);
    if (per_image > 0 && per_mask > 0)
        (void)printf("events_per_second_per_core: %.0f\n",
                     1.0 / (per_image + per_mask));
    dcn_rtdc_free(r);
    return 0;
}
