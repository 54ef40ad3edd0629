/* SPDX-License-Identifier: MIT */
/*
 * bench_io_read.c - frames/s of the reader's two halves on an input
 * (default: inputs/synth-1000.rtdc): fetch-only (the reader thread:
 * H5Dread_chunk of the stored chunks of each slot), decode-only (one
 * worker: zstd + Fletcher32 + copy into frames), and for comparison
 * HDF5's own decoding read (H5Dread fallback).  Reports, never fails.
 *
 *   bench_io_read [FILE] [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtdc_read.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The input, its image dataset and one fetch per slot of frames. */
struct io_bench {
    const char *path;
    struct dcn_rtdc *r;
    struct dcn_rtdc_image *im;
    const struct dcn_image_layout *l;
    uint64_t n, slot, nslots;
    size_t h, w;
    struct dcn_image_fetch *f; /* nslots */
    uint8_t *dst;              /* one slot of frames */
    void *scratch;
    size_t scap;
    size_t stored; /* bytes of the stored chunks */
};

/* $DCN_SHARED_DATA; called before any thread starts. */
static const char *
shared_data_env(void)
{
    const char *name = "DCN_SHARED_DATA";

    return getenv(name); // NOLINT(concurrency-mt-unsafe): no threads yet
}

/* The default input: inputs/synth-1000.rtdc of the shared data; NULL if
 * the path does not fit def. */
static const char *
default_input(char def[4096])
{
    const char *env = shared_data_env();
    int len = snprintf(def, 4096, "%s/inputs/synth-1000.rtdc",
                       env != NULL ? env : DCN_SHARED_DATA);

    return len >= 0 && len < 4096 ? def : NULL;
}

/* The layout, and the buffers of every slot. */
static void
set_up(struct io_bench *b)
{
    b->l = dcn_rtdc_image_layout(b->im);
    b->n = dcn_rtdc_len(b->r);
    b->slot = dcn_rtdc_image_chunk_size(b->r);
    b->nslots = b->slot > 0 ? (b->n + b->slot - 1) / b->slot : 0;
    dcn_rtdc_image_shape(b->im, &b->h, &b->w);
    b->f = calloc(b->nslots + 1, sizeof *b->f);
    for (uint64_t s = 0; b->f != NULL && s < b->nslots; s++) {
        b->f[s].staging_cap = dcn_rtdc_image_fetch_bound(b->im, b->slot);
        b->f[s].refs_cap = dcn_rtdc_image_fetch_max_refs(b->im, b->slot);
        b->f[s].staging = malloc(b->f[s].staging_cap + 1);
        b->f[s].refs = calloc(b->f[s].refs_cap + 1, sizeof *b->f[s].refs);
    }
    b->dst = malloc(b->slot * b->h * b->w + 1);
    b->scap = dcn_rtdc_image_decode_scratch_size(b->l);
    b->scratch = malloc(b->scap + 1);
}

/* The frames [*a, *b) of slot s. */
static void
slot_range(const struct io_bench *b, uint64_t s, uint64_t *first, uint64_t *end)
{
    *first = s * b->slot;
    *end = *first + b->slot < b->n ? *first + b->slot : b->n;
}

/* Fetch the stored chunks of every slot (the reader); the time, or -1. */
static double
time_fetch(struct io_bench *b, struct dcn_error *err)
{
    double t0 = now();

    b->stored = 0;
    for (uint64_t s = 0; s < b->nslots; s++) {
        uint64_t a, e;

        slot_range(b, s, &a, &e);
        if (dcn_rtdc_image_fetch(b->im, a, e, &b->f[s], b->dst, err) < 0)
            return -1;
        for (size_t k = 0; k < b->f[s].nrefs; k++)
            b->stored += b->f[s].refs[k].nbytes;
    }
    return now() - t0;
}

/* Decode every fetched slot (one worker); the time, or -1. */
static double
time_decode(struct io_bench *b, struct dcn_error *err)
{
    double t0 = now();

    for (uint64_t s = 0; s < b->nslots; s++) {
        uint64_t a, e;

        slot_range(b, s, &a, &e);
        if (dcn_rtdc_image_decode(b->dst, a, e, b->l, &b->f[s], b->scratch,
                                  b->scap, b->path, err) < 0)
            return -1;
    }
    return now() - t0;
}

/* HDF5's own decoding read of every slot; the time, or -1. */
static double
time_fallback(struct io_bench *b, struct dcn_error *err)
{
    double t0 = now();

    for (uint64_t s = 0; s < b->nslots; s++) {
        uint64_t a, e;
        struct dcn_image_fetch z;

        slot_range(b, s, &a, &e);
        memset(&z, 0, sizeof z);
        if (dcn_rtdc_image_fetch(b->im, a, e, &z, b->dst, err) < 0)
            return -1;
    }
    return now() - t0;
}

static double
min_of(double a, double b)
{
    return a < b ? a : b;
}

/* The best times of fetch, decode and fallback over reps; 0 or -1. */
static int
measure(struct io_bench *b, int reps, double best[3])
{
    struct dcn_error err = DCN_ERROR_INIT;

    for (int rep = 0; rep < reps; rep++) {
        double t[3];

        t[0] = time_fetch(b, &err);
        t[1] = t[0] < 0 ? -1 : time_decode(b, &err);
        t[2] = t[1] < 0 ? -1 : time_fallback(b, &err);
        if (t[2] < 0) {
            printf("bench_io_read: %s\n", err.msg);
            return -1;
        }
        for (int k = 0; k < 3; k++)
            best[k] = min_of(t[k], best[k]);
    }
    return 0;
}

static void
print_results(const struct io_bench *b, int reps, const double best[3])
{
    double n = (double)b->n;

    printf("bench_io_read: %s: %llu frames %zux%zu, chunks (%llu,%llu,%llu) "
           "%s, slot %llu frames, %zu stored bytes; best of %d\n",
           b->path, (unsigned long long)b->n, b->h, b->w,
           (unsigned long long)b->l->chunk[0],
           (unsigned long long)b->l->chunk[1],
           (unsigned long long)b->l->chunk[2], b->l->raw ? "raw" : "fallback",
           (unsigned long long)b->slot, b->stored, reps);
    printf("  fetch-only  (reader, H5Dread_chunk): %10.0f frames/s  "
           "(%.1f MB/s stored)\n",
           n / best[0], (double)b->stored / best[0] / 1e6);
    printf("  decode-only (one worker):            %10.0f frames/s\n",
           n / best[1]);
    printf("  H5Dread fallback (HDF5 decodes):     %10.0f frames/s\n",
           n / best[2]);
}

static void
release(struct io_bench *b)
{
    for (uint64_t s = 0; b->f != NULL && s < b->nslots; s++) {
        free(b->f[s].staging);
        free(b->f[s].refs);
    }
    free(b->f);
    free(b->dst);
    free(b->scratch);
    dcn_rtdc_free(b->r);
}

int
main(int argc, char **argv)
{
    char def[4096];
    struct io_bench b;
    struct dcn_error err = DCN_ERROR_INIT;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    double best[3] = {1e30, 1e30, 1e30};

    memset(&b, 0, sizeof(b));
    b.path = argc > 1 ? argv[1] : default_input(def);
    if (reps < 1)
        reps = 1;
    if (b.path == NULL || dcn_rtdc_open(&b.r, b.path, NULL, &err) < 0 ||
        dcn_rtdc_image_open(b.r, "image", &b.im, &err) < 0) {
        printf("bench_io_read: %s (skipped)\n", err.msg);
        dcn_rtdc_free(b.r);
        return 0;
    }
    set_up(&b);
    if (measure(&b, reps, best) == 0)
        print_results(&b, reps, best);
    release(&b);
    return 0;
}
