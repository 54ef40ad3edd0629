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

/* The frames of the benchmark and the output buffer. */
struct bench_frames {
    uint8_t *stack; /* n frames */
    uint8_t *dst;   /* n frames */
    size_t h, w, npix, n;
};

/* camera-like: grey background, noise of a few levels */
static void
fill_frames(struct bench_frames *b)
{
    for (size_t i = 0; i < b->n * b->npix; i++)
        b->stack[i] = (uint8_t)(110 + (noise() % 9) - 4);
}

/* The sparsemed median of the first k frames, best of reps. */
static void
bench_median(const struct bench_frames *b, size_t k, int reps)
{
    const uint8_t **fr = malloc(k * sizeof(*fr));
    void *scratch = malloc(dcn_bg_median_scratch_size(k));
    double t0;
    double dt;

    if (fr == NULL || scratch == NULL)
        goto out;
    for (size_t f = 0; f < k; f++)
        fr[f] = b->stack + f * b->npix;
    dcn_bg_median(b->dst, fr, k, 0, b->npix, scratch); /* warm up */
    t0 = now();
    for (int r = 0; r < reps; r++)
        dcn_bg_median(b->dst, fr, k, 0, b->npix, scratch);
    dt = (now() - t0) / reps;
    printf("sparsemed median K=%zu on %zux%zu: %.3f ms per image, "
           "%.3f ns per pixel per frame\n",
           k, b->h, b->w, dt * 1e3, dt * 1e9 / (double)(b->npix * k));
out:
    free(scratch);
    free(fr);
}

/* rollmed over all frames: the fill and the steps. */
static void
bench_rollmed(const struct bench_frames *b, size_t kr)
{
    struct dcn_rollmed *rm = NULL;
    size_t npix = b->npix, steps = b->n - kr - 1;
    double t0;
    double tf;
    double dt;

    if (dcn_rollmed_new(&rm, npix, kr, NULL) != 0)
        return;
    t0 = now();
    for (size_t f = 0; f < kr; f++)
        dcn_rollmed_add(rm, b->stack + f * npix, 0, npix);
    dcn_rollmed_median(rm, b->dst, 0, npix);
    tf = now() - t0;
    t0 = now();
    for (size_t i = 1; i <= steps; i++)
        dcn_rollmed_step(rm, b->dst + i * npix, b->stack + (i - 1) * npix,
                         b->stack + (i + kr - 1) * npix, 0, npix);
    dt = now() - t0;
    printf("rollmed K=%zu on %zux%zu: fill %.2f ms; step %.1f us per "
           "frame, %.3f ns per pixel per frame (%zu steps)\n",
           kr, b->h, b->w, tf * 1e3, dt * 1e6 / (double)steps,
           dt * 1e9 / (double)(steps * npix), steps);
    dcn_rollmed_free(rm);
}

int
main(void)
{
    struct bench_frames b = {NULL, NULL, 80, 250, (size_t)80 * 250, 800};

    b.stack = malloc(b.n * b.npix);
    b.dst = malloc(b.n * b.npix);
    if (b.stack != NULL && b.dst != NULL) {
        fill_frames(&b);
        bench_median(&b, 200, 5);
        bench_rollmed(&b, 100);
    }
    free(b.dst);
    free(b.stack);
    return 0;
}
