/* SPDX-License-Identifier: MIT */
/*
 * synth_scene.h - the synthetic RT-DC frame generator (pure computation).
 *
 * Two halves: a cheap sequential "scene" generator that decides what each
 * stored frame shows (frame number, flicker, cells and their positions,
 * repeated camera frames), and a pure renderer that turns one scene into
 * pixels.  Rendering depends only on the model and the scene, so frames
 * may be rendered on any thread in any order with identical results.
 * Nothing that reaches a pixel uses libm or libc randomness: the PRNG is
 * xoshiro256** seeded by splitmix64, and the few transcendental values
 * (Gaussian quantiles, exp profiles) are computed with + - * / and sqrt
 * only, which IEEE 754 rounds the same way on every machine.
 */
#ifndef DCN_PIPELINE_SYNTH_H
#define DCN_PIPELINE_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"
#include "dcnumc/synth.h"

#define DCN_SYNTH_MAX_CELLS 3

/* One cell as it appears in a frame. */
struct dcn__synth_cell {
    double x, y;    /* centre in pixels (column, row) */
    double a, b;    /* half length along the flow (x), half height (y) */
    double rear;    /* 0..0.8: how flat the rear (left) half is */
    double speed;   /* pixels per camera frame */
    double inner;   /* interior grey offset from the background */
    double rim;     /* depth of the dark rim (> 0) */
    double halo;    /* height of the bright halo outside the rim */
    double texture; /* amplitude of the interior texture */
    uint64_t key;   /* texture hash key */
};

/* Everything one stored frame shows; dcn__synth_render() of it is pure. */
struct dcn__synth_scene {
    uint64_t frame;  /* camera frame number */
    double time;     /* seconds since the first stored frame */
    bool duplicate;  /* the camera repeated the previous image */
    unsigned ncells; /* cells in cells[] */
    struct dcn__synth_cell cells[DCN_SYNTH_MAX_CELLS];
    double flicker;     /* brightness offset of this frame */
    uint64_t noise_key; /* seeds the camera noise of this image */
};

/* Immutable after dcn__synth_new(): background, tables, parameters. */
struct dcn__synth_model;
/* The model plus the sequential scene generator. */
struct dcn__synth_state;

/*
 * Check params (DCN_EINVAL with a message naming the parameter); path is
 * only used in the message and may be NULL.
 */
int dcn__synth_params_check(const struct dcn_synth_params *params,
                            const char *path, struct dcn_error *err);

/* New generator at frame 0; caller frees with dcn__synth_free(). */
int dcn__synth_new(struct dcn__synth_state **state,
                   const struct dcn_synth_params *params,
                   struct dcn_error *err);
/* NULL is a no-op. */
void dcn__synth_free(struct dcn__synth_state *state);

/* Borrowed, valid until dcn__synth_free(state); safe to share. */
const struct dcn__synth_model *
dcn__synth_model(const struct dcn__synth_state *state);

/* The scene of the next stored frame.  Not thread-safe per state. */
void dcn__synth_next_scene(struct dcn__synth_state *state,
                           struct dcn__synth_scene *scene);

/* Floats of scratch dcn__synth_render() needs. */
size_t dcn__synth_scratch_size(const struct dcn__synth_model *model);

/*
 * Render scene into out (height * width bytes, row-major).  scratch:
 * dcn__synth_scratch_size() floats, clobbered.  Pure, allocates nothing,
 * safe from many threads with separate out and scratch.
 */
void dcn__synth_render(const struct dcn__synth_model *model,
                       const struct dcn__synth_scene *scene, uint8_t *out,
                       float *scratch);

/*
 * The next frame in one call: its pixels into out (height * width bytes),
 * its camera frame number, time and number of cells (each out-parameter
 * may be NULL except out).  Uses the state's own scratch; no allocation.
 */
void dcn__synth_frame(struct dcn__synth_state *state, uint8_t *out,
                      uint64_t *frame_number, double *time, unsigned *ncells);

#endif /* DCN_PIPELINE_SYNTH_H */
