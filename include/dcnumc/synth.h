/* SPDX-License-Identifier: MIT */
/*
 * synth.h - write a realistic synthetic raw RT-DC measurement (.rtdc).
 *
 * The recording looks like a raw CytoShot/Shape-In file: a channel
 * background with wall lines, flicker and camera noise, 0-3 deformed
 * cells per frame moving to the right, triggered frames with gaps in the
 * frame number, and the image data zstd-compressed in dcnum's chunk
 * layout.  The same parameters give byte-identical image, frame and time
 * data on any machine and for any thread count.
 */
#ifndef DCNUMC_SYNTH_H
#define DCNUMC_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Generation parameters; fill with dcn_synth_params_init() first. */
struct dcn_synth_params {
    uint64_t frames;        /* stored frames N, >= 1 (default 1000) */
    uint32_t height;        /* image rows (default 80), 16..1024 */
    uint32_t width;         /* image columns (default 250), 16..4096 */
    uint64_t seed;          /* everything random derives from it (42) */
    int compression;        /* zstd level 1..9, 0 = none (default 5) */
    unsigned threads;       /* encoding threads, 0 = one per CPU */
    bool force;             /* overwrite an existing output file */
    double frame_rate;      /* camera frames per second (2000) */
    double pixel_size;      /* um per pixel (0.34) */
    double mean_frame_gap;  /* mean camera frames between stored (4) */
    uint64_t first_frame;   /* camera frame number of frame 0 (1000) */
    double bg_level;        /* channel grey level (110) */
    double flicker;         /* sd of the per-frame brightness (1) */
    double read_noise;      /* sd of the camera read noise (2) */
    double shot_noise;      /* shot noise sd = this * sqrt(signal) (0.25) */
    double cell_probs[4];   /* P(0..3 cells in a frame) (.15 .5 .25 .1) */
    double bright_fraction; /* fraction of cells brighter inside (0.2) */
    double duplicate_frac;  /* fraction of repeated camera frames (0.01) */
};

/* The defaults listed above. */
DCN_API void dcn_synth_params_init(struct dcn_synth_params *params);

/*
 * Write the recording to path.  The data go to "<path>~" first, which is
 * renamed to path when complete; on failure no file is left behind.  An
 * existing path is DCN_EEXIST unless params->force is set.  Other errors:
 * DCN_EINVAL (bad parameters), DCN_EIO, DCN_ENOMEM.  The message in err
 * names the file.  path and params are borrowed for the call.  Memory
 * use does not depend on the number of frames.
 */
DCN_API int dcn_synth_write(const char *path,
                            const struct dcn_synth_params *params,
                            struct dcn_error *err);

/* HDF5 chunk length (frames) of /events/image for frames of this size:
 * dcnum's clamp(floor(1 MiB / (height * width)), 10, 1000). */
DCN_API uint32_t dcn_synth_chunk_frames(uint32_t height, uint32_t width);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_SYNTH_H */
