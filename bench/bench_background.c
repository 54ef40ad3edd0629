/* SPDX-License-Identifier: MIT */
/*
 * bench_background.c - speed of the background kernels on 80x250 frames:
 * the sparsemed median (K=200) in ns per pixel per frame, and one rollmed
 * step (K=100) in microseconds per frame.  The machine may be shared:
 * times are thread CPU time, which a busy machine disturbs less than
 * wall time.  Prints numbers; never fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "background.h"

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t state = 88172645463325252ull;

static uint8_t
noise(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint8_t)state;
}

int
main(void)
{
    const size_t h = 80;
    const size_t w = 250;
    const size_t npix = h * w;
    const size_t k = 200;
    const size_t n = 800;
    uint8_t *stack = malloc(n * npix);
    uint8_t *dst = malloc(n * npix);
    const uint8_t **fr = malloc(k * sizeof(*fr));
    void *scratch = malloc(dcn_bg_median_scratch_size(k));
    struct dcn_rollmed *rm = NULL;
    const size_t kr = 100;
    double t0;
    double dt;
    int reps = 5;

    if (!stack || !dst || !fr || !scratch)
        return 0;
    /* camera-like: grey background, noise of a few levels */
    for (size_t i = 0; i < n * npix; i++)
        stack[i] = (uint8_t)(110 + (noise() % 9) - 4);
    for (size_t f = 0; f < k; f++)
        fr[f] = stack + f * npix;

    dcn_bg_median(dst, fr, k, 0, npix, scratch); /* warm up */
    t0 = now();
    for (int r = 0; r < reps; r++)
        dcn_bg_median(dst, fr, k, 0, npix, scratch);
    dt = (now() - t0) / reps;
    printf("sparsemed median K=%zu on %zux%zu: %.3f ms per image, "
           "%.3f ns per pixel per frame\n",
           k, h, w, dt * 1e3, dt * 1e9 / (double)(npix * k));

    if (dcn_rollmed_new(&rm, npix, kr, NULL) == 0) {
        size_t steps = n - kr - 1;
        double tf;

        t0 = now();
        for (size_t f = 0; f < kr; f++)
            dcn_rollmed_add(rm, stack + f * npix, 0, npix);
        dcn_rollmed_median(rm, dst, 0, npix);
        tf = now() - t0;
        t0 = now();
        for (size_t i = 1; i <= steps; i++)
            dcn_rollmed_step(rm, dst + i * npix, stack + (i - 1) * npix,
                             stack + (i + kr - 1) * npix, 0, npix);
        dt = now() - t0;
        printf("rollmed K=%zu on %zux%zu: fill %.2f ms; step %.1f us per "
               "frame, %.3f ns per pixel per frame (%zu steps)\n",
               kr, h, w, tf * 1e3, dt * 1e6 / (double)steps,
               dt * 1e9 / (double)(steps * npix), steps);
        dcn_rollmed_free(rm);
    }
    free(scratch);
    free(fr);
    free(dst);
    free(stack);
    return 0;
}
