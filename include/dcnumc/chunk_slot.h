/* SPDX-License-Identifier: MIT */
/*
 * chunk_slot.h - dcnum's ChunkSlotData in C (seed-chunk-slot-data.md).
 *
 * A slot holds one chunk of consecutive frames in process-shared memory:
 * the views image (uint8), image_bg (uint8) and image_corr (int16) when
 * image_bg is available, bg_off (double per frame) when bg_off is
 * available, mask (bool) and labels (uint16).  Workers claim contiguous
 * batches of frames with acquire_task_lock() and give them back with
 * release_task_lock(); get_progress() is the fraction of frames done in
 * the current state.  The slot works the same whether the workers are
 * threads or fork()ed processes.
 *
 * Thread-safety: every function may be called concurrently from any
 * thread or process that shares the mapping.  The pixels of a frame belong
 * to whoever holds that frame's reservation.
 */
#ifndef DCNUMC_CHUNK_SLOT_H
#define DCNUMC_CHUNK_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The seed's states; the characters are the enum values. */
enum dcn_slot_state {
    DCN_STATE_INIT = '0',    /* construction of the slot */
    DCN_STATE_LOAD = 'i',    /* image loading: image, image_bg, corr, bg_off */
    DCN_STATE_SEGMENT = 's', /* segmentation: mask (or labels) */
    DCN_STATE_LABEL = 'm',   /* mask labeling: mask -> labels */
    DCN_STATE_PROCESS = 'l', /* label processing, labels in place */
    DCN_STATE_EXTRACT = 'e', /* feature extraction (requires labels) */
    DCN_STATE_WRITE = 'w',   /* writing */
    DCN_STATE_DONE = 'd',    /* done: the slot may take the next chunk */
    DCN_STATE_NONE = 'n',    /* not specified */
};

/* dcnum's batch_size=None: no limit on the batch length. */
#define DCN_BATCH_ALL 0

/* The 3-D shape of a chunk: frames, height, width. */
struct dcn_slot_shape {
    size_t frames;
    size_t height;
    size_t width;
};

/* Which input features the slot has room for (available_features). */
enum dcn_slot_features {
    DCN_SLOT_IMAGE_BG = 1u << 0, /* image_bg and image_corr exist */
    DCN_SLOT_BG_OFF = 1u << 1,   /* bg_off exists */
};

struct dcn_chunk_slot;

/* The next state of the cycle 0 -> i -> s -> m -> l -> e -> w -> d -> i;
 * DCN_STATE_NONE for "n" or an unknown value. */
DCN_API enum dcn_slot_state dcn_slot_state_next(enum dcn_slot_state state);

/* True if c is one of the seed's nine state characters. */
DCN_API bool dcn_slot_state_valid(int c);

/*
 * Bytes a slot of this shape needs, including extra_bytes of caller space
 * (see dcn_chunk_slot_extra()).  0 if the size would overflow.
 */
DCN_API size_t dcn_chunk_slot_size(const struct dcn_slot_shape *shape,
                                   unsigned features, size_t extra_bytes);

/*
 * Construct a slot in caller-provided shared memory mem of
 * dcn_chunk_slot_size() bytes, aligned to 64 bytes (for example inside a
 * larger MAP_SHARED mapping, as the slot register does).  The slot ends in
 * state "i" with chunk -1, as dcnum's constructor leaves it.  Release it
 * with dcn_chunk_slot_release() before unmapping.
 */
DCN_API int dcn_chunk_slot_init(void *mem, const struct dcn_slot_shape *shape,
                                unsigned features, size_t extra_bytes,
                                struct dcn_error *err);
/* Destroy the slot's lock; the memory stays the caller's. */
DCN_API void dcn_chunk_slot_release(struct dcn_chunk_slot *slot);

/*
 * Create a slot in its own MAP_SHARED|MAP_ANONYMOUS mapping; it is
 * visible to processes fork()ed afterwards.  *slot: caller frees with
 * dcn_chunk_slot_free().  Errors: DCN_EINVAL (zero-size frame),
 * DCN_ENOMEM.
 */
DCN_API int dcn_chunk_slot_new(struct dcn_chunk_slot **slot,
                               const struct dcn_slot_shape *shape,
                               unsigned features, struct dcn_error *err);
/* Unmap a slot from dcn_chunk_slot_new(); NULL is a no-op. */
DCN_API void dcn_chunk_slot_free(struct dcn_chunk_slot *slot);

/* shape and length (= shape.frames); immutable. */
DCN_API struct dcn_slot_shape
dcn_chunk_slot_shape(const struct dcn_chunk_slot *slot);
DCN_API size_t dcn_chunk_slot_length(const struct dcn_chunk_slot *slot);
DCN_API unsigned dcn_chunk_slot_features(const struct dcn_chunk_slot *slot);

/* Current chunk index (-1 before the first load) and its setter. */
DCN_API int64_t dcn_chunk_slot_chunk(struct dcn_chunk_slot *slot);
DCN_API int dcn_chunk_slot_set_chunk(struct dcn_chunk_slot *slot,
                                     int64_t chunk);

/* Current state; setting a different state resets the progress, setting
 * the same state changes nothing.  DCN_EINVAL for an unknown state. */
DCN_API enum dcn_slot_state dcn_chunk_slot_state(struct dcn_chunk_slot *slot);
DCN_API int dcn_chunk_slot_set_state(struct dcn_chunk_slot *slot,
                                     enum dcn_slot_state state);

/*
 * Views, borrowed, valid while the slot exists; frame k of an array starts
 * at k * height * width.  image_bg and image_corr are NULL unless the slot
 * has DCN_SLOT_IMAGE_BG, bg_off is NULL unless it has DCN_SLOT_BG_OFF.
 */
DCN_API uint8_t *dcn_chunk_slot_image(struct dcn_chunk_slot *slot);
DCN_API uint8_t *dcn_chunk_slot_image_bg(struct dcn_chunk_slot *slot);
DCN_API int16_t *dcn_chunk_slot_image_corr(struct dcn_chunk_slot *slot);
DCN_API double *dcn_chunk_slot_bg_off(struct dcn_chunk_slot *slot);
DCN_API bool *dcn_chunk_slot_mask(struct dcn_chunk_slot *slot);
DCN_API uint16_t *dcn_chunk_slot_labels(struct dcn_chunk_slot *slot);
/* extra_bytes of caller space in the same mapping (NULL if 0 asked). */
DCN_API void *dcn_chunk_slot_extra(struct dcn_chunk_slot *slot);

/*
 * Reserve the first contiguous run of frames that are neither reserved
 * nor done, at most batch_size long (DCN_BATCH_ALL: up to the next
 * reserved or done frame, or the end).  *start = *stop = 0 when the slot
 * is not in req_state or no frame is free.  The state check and the
 * reservation are one atomic step.  DCN_EWORKER if a process died holding
 * the slot's lock.
 */
DCN_API int dcn_chunk_slot_acquire_task_lock(struct dcn_chunk_slot *slot,
                                             enum dcn_slot_state req_state,
                                             size_t batch_size, size_t *start,
                                             size_t *stop);

/* Release [start, stop) that the caller acquired; if task_done, those
 * frames count as progress.  DCN_EINVAL for a range outside the slot. */
DCN_API int dcn_chunk_slot_release_task_lock(struct dcn_chunk_slot *slot,
                                             size_t start, size_t stop,
                                             bool task_done);

/*
 * dcnum's StateWarden exit, made atomic: release [start, stop) and, if
 * every frame is now done, move the slot to next_state.  *advanced tells
 * whether this call moved it, so exactly one worker sees the transition.
 */
DCN_API int dcn_chunk_slot_finish_task(struct dcn_chunk_slot *slot,
                                       size_t start, size_t stop,
                                       bool task_done,
                                       enum dcn_slot_state next_state,
                                       bool *advanced);

/* Fraction of frames done in the current state, in [0, 1]; 1.0 for an
 * empty slot (dcnum would divide by zero). */
DCN_API int dcn_chunk_slot_get_progress(struct dcn_chunk_slot *slot,
                                        double *progress);

/* State, chunk and progress read under one lock acquisition. */
struct dcn_slot_status {
    enum dcn_slot_state state;
    int64_t chunk;
    size_t ndone;
    size_t nreserved;
};
DCN_API int dcn_chunk_slot_status(struct dcn_chunk_slot *slot,
                                  struct dcn_slot_status *status);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_CHUNK_SLOT_H */
