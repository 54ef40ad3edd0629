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

int
main(int argc, char **argv)
{
    char def[4096];
    const char *path = argc > 1 ? argv[1] : NULL;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc *r = NULL;
    struct dcn_rtdc_image *im = NULL;
    const struct dcn_image_layout *l;
    uint64_t n;
    uint64_t slot;
    uint64_t nslots;
    size_t h;
    size_t w;
    struct dcn_image_fetch *f;
    uint8_t *dst;
    void *scratch;
    size_t scap;
    double t0;
    double t_fetch = 1e30;
    double t_dec = 1e30;
    double t_fb = 1e30;
    size_t stored = 0;

    if (path == NULL) {
        const char *env = getenv("DCN_SHARED_DATA");

        snprintf(def, sizeof def, "%s/inputs/synth-1000.rtdc",
                 env != NULL ? env : DCN_SHARED_DATA);
        path = def;
    }
    if (reps < 1)
        reps = 1;
    if (dcn_rtdc_open(&r, path, NULL, &err) < 0 ||
        dcn_rtdc_image_open(r, "image", &im, &err) < 0) {
        printf("bench_io_read: %s (skipped)\n", err.msg);
        dcn_rtdc_free(r);
        return 0;
    }
    l = dcn_rtdc_image_layout(im);
    n = dcn_rtdc_len(r);
    slot = dcn_rtdc_image_chunk_size(r);
    nslots = slot > 0 ? (n + slot - 1) / slot : 0;
    dcn_rtdc_image_shape(im, &h, &w);
    f = calloc(nslots + 1, sizeof *f);
    for (uint64_t s = 0; s < nslots; s++) {
        f[s].staging_cap = dcn_rtdc_image_fetch_bound(im, slot);
        f[s].refs_cap = dcn_rtdc_image_fetch_max_refs(im, slot);
        f[s].staging = malloc(f[s].staging_cap + 1);
        f[s].refs = calloc(f[s].refs_cap + 1, sizeof *f[s].refs);
    }
    dst = malloc(slot * h * w + 1);
    scap = dcn_rtdc_image_decode_scratch_size(l);
    scratch = malloc(scap + 1);
    for (int rep = 0; rep < reps; rep++) {
        double t;

        t0 = now();
        stored = 0;
        for (uint64_t s = 0; s < nslots; s++) {
            uint64_t a = s * slot;
            uint64_t b = a + slot < n ? a + slot : n;

            if (dcn_rtdc_image_fetch(im, a, b, &f[s], dst, &err) < 0) {
                printf("bench_io_read: %s\n", err.msg);
                goto out;
            }
            for (size_t k = 0; k < f[s].nrefs; k++)
                stored += f[s].refs[k].nbytes;
        }
        t = now() - t0;
        t_fetch = t < t_fetch ? t : t_fetch;
        t0 = now();
        for (uint64_t s = 0; s < nslots; s++) {
            uint64_t a = s * slot;
            uint64_t b = a + slot < n ? a + slot : n;

            if (dcn_rtdc_image_decode(dst, a, b, l, &f[s], scratch, scap, path,
                                      &err) < 0) {
                printf("bench_io_read: %s\n", err.msg);
                goto out;
            }
        }
        t = now() - t0;
        t_dec = t < t_dec ? t : t_dec;
        t0 = now();
        for (uint64_t s = 0; s < nslots; s++) {
            uint64_t a = s * slot;
            uint64_t b = a + slot < n ? a + slot : n;
            struct dcn_image_fetch z;

            memset(&z, 0, sizeof z);
            if (dcn_rtdc_image_fetch(im, a, b, &z, dst, &err) < 0) {
                printf("bench_io_read: %s\n", err.msg);
                goto out;
            }
        }
        t = now() - t0;
        t_fb = t < t_fb ? t : t_fb;
    }
    printf("bench_io_read: %s: %llu frames %zux%zu, chunks (%llu,%llu,%llu) "
           "%s, slot %llu frames, %zu stored bytes; best of %d\n",
           path, (unsigned long long)n, h, w, (unsigned long long)l->chunk[0],
           (unsigned long long)l->chunk[1], (unsigned long long)l->chunk[2],
           l->raw ? "raw" : "fallback", (unsigned long long)slot, stored, reps);
    printf("  fetch-only  (reader, H5Dread_chunk): %10.0f frames/s  "
           "(%.1f MB/s stored)\n",
           (double)n / t_fetch, (double)stored / t_fetch / 1e6);
    printf("  decode-only (one worker):            %10.0f frames/s\n",
           (double)n / t_dec);
    printf("  H5Dread fallback (HDF5 decodes):     %10.0f frames/s\n",
           (double)n / t_fb);
out:
    for (uint64_t s = 0; s < nslots; s++) {
        free(f[s].staging);
        free(f[s].refs);
    }
    free(f);
    free(dst);
    free(scratch);
    dcn_rtdc_free(r);
    return 0;
}
