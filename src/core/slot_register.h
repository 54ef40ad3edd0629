/* SPDX-License-Identifier: MIT */
/*
 * slot_register.h - N chunk slots plus a remainder slot in one shared
 * mapping, and the rules that move chunks through them (style.md §5.2).
 *
 * The register is dcnum's SlotRegister + StateWarden: it hands out the
 * slot in a wanted state with the lowest chunk index, reserves batches of
 * it for a task, and when a batch is released and the slot's progress
 * reaches 1 moves the slot to the next state; a failed task does not count
 * as progress.  It also holds the shared counters, per-task time
 * accumulators, per-frame nevents, the register state (work/pause/quit)
 * and the run's error record.
 *
 * Roles: one reader assigns chunks to free slots and fetches their data
 * (dcn__slot_register_begin_load / _end_fetch); workers claim batches of
 * fetched 'i' slots and of 's', 'm', 'l', 'e' slots
 * (dcn__slot_register_reserve / _finish); one writer takes the 'w' slot
 * of the next chunk in order.  Everything lives in one MAP_SHARED
 * mapping, so workers may be threads or fork()ed processes.  Every wait
 * re-checks "quit": an error anywhere never leaves anyone waiting.
 *
 * Lock order: register lock before any slot lock, never the reverse.
 */
#ifndef DCN_CORE_SLOT_REGISTER_H
#define DCN_CORE_SLOT_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/chunk_slot.h"
#include "dcnumc/status.h"

/* Register states that workers obey (dcnum's "w", "p", "q"). */
enum dcn_register_state {
    DCN_REGISTER_WORK = 'w',
    DCN_REGISTER_PAUSE = 'p',
    DCN_REGISTER_QUIT = 'q',
};

/* Shared counters of dcnum's SlotRegister. */
enum dcn_counter {
    DCN_COUNTER_CHUNKS_LOADED,
    DCN_COUNTER_MASKS_DROPPED,
    DCN_COUNTER_WRITE_QUEUE_SIZE,
    DCN_COUNTER_COUNT
};

/* Per-task time accumulators (seconds). */
enum dcn_task_timer {
    DCN_TIMER_LOAD,
    DCN_TIMER_SEGMENT,
    DCN_TIMER_LABEL,
    DCN_TIMER_PROCESS_LABELS,
    DCN_TIMER_EXTRACT,
    DCN_TIMER_WRITE,
    DCN_TIMER_COUNT
};

/* Most ordinary slots a register holds (plus the remainder slot). */
#define DCN_MAX_SLOTS 63

struct dcn_register_config {
    size_t nslots;       /* ordinary slots, >= 1 (dcnum uses 7) */
    size_t chunk_frames; /* frames per ordinary chunk, >= 1 */
    size_t nframes;      /* frames of the measurement, may be 0 */
    size_t height;       /* frame shape, both >= 1 */
    size_t width;
    unsigned features;         /* DCN_SLOT_IMAGE_BG | DCN_SLOT_BG_OFF */
    size_t slot_extra_bytes;   /* caller space per slot (staging, events) */
    size_t shared_extra_bytes; /* caller space once per register */
};

/* A reserved batch: frames [start, stop) of slot `slot` in `state`. */
struct dcn_task {
    size_t slot;
    size_t start;
    size_t stop;
    enum dcn_slot_state state;
};

struct dcn_slot_register;

/*
 * Create the register and all its slots in one MAP_SHARED|MAP_ANONYMOUS
 * mapping (visible to processes forked afterwards).  nevents starts at -1
 * for every frame, the state at "w".  *reg: caller frees with
 * dcn__slot_register_free() in the process that created it.
 */
int dcn__slot_register_new(struct dcn_slot_register **reg,
                           const struct dcn_register_config *cfg,
                           struct dcn_error *err);
void dcn__slot_register_free(struct dcn_slot_register *reg);

/* Bytes of shared memory a register of this configuration maps. */
size_t dcn__slot_register_size(const struct dcn_register_config *cfg);

/* Immutable facts. */
size_t dcn__slot_register_nslots(const struct dcn_slot_register *reg);
size_t dcn__slot_register_nchunks(const struct dcn_slot_register *reg);
size_t dcn__slot_register_chunk_frames(const struct dcn_slot_register *reg);
size_t dcn__slot_register_nframes(const struct dcn_slot_register *reg);
/* First frame of chunk k and its length (the last chunk may be shorter). */
size_t dcn__slot_register_chunk_start(const struct dcn_slot_register *reg,
                                      int64_t chunk);
size_t dcn__slot_register_chunk_length(const struct dcn_slot_register *reg,
                                       int64_t chunk);

/* Slot i (0 .. nslots-1; the last one is the remainder slot); borrowed. */
struct dcn_chunk_slot *dcn__slot_register_slot(struct dcn_slot_register *reg,
                                               size_t i);
bool dcn__slot_register_is_remainder(const struct dcn_slot_register *reg,
                                     size_t i);
/* Per-frame event counts, int64[nframes], -1 until processed.  An entry
 * belongs to the holder of the frame's 'e' reservation. */
int64_t *dcn__slot_register_nevents(struct dcn_slot_register *reg);
/* shared_extra_bytes of caller space; NULL if none was asked for. */
void *dcn__slot_register_shared_extra(struct dcn_slot_register *reg);

/*
 * The slot in `state` with the lowest chunk index (chunk < 0), or the one
 * in `state` holding `chunk` (chunk >= 0).  Returns its index, or -1.
 */
int dcn__slot_register_find_slot(struct dcn_slot_register *reg,
                                 enum dcn_slot_state state, int64_t chunk);

/*
 * Reserve a batch of at most batch frames (DCN_BATCH_ALL: no limit) for a
 * task in `state`, from the slot with the lowest chunk index that has a
 * free frame; in state 'i' only slots whose data were fetched qualify.
 * Returns 1 with *task filled, 0 if nothing is free, or a negative status
 * (DCN_ECANCELED once the register quits, DCN_EWORKER).
 */
int dcn__slot_register_reserve(struct dcn_slot_register *reg,
                               enum dcn_slot_state state, size_t batch,
                               struct dcn_task *task);
/* The same for one given slot. */
int dcn__slot_register_reserve_slot(struct dcn_slot_register *reg, size_t slot,
                                    enum dcn_slot_state state, size_t batch,
                                    struct dcn_task *task);

/*
 * End a task (the StateWarden's exit): release its frames, counting them
 * as done only if ok, and if the slot is now complete move it to the
 * next state and wake every waiter.  A slot leaving 'w' rests in 'd'
 * until dcn__slot_register_begin_load() repurposes it for a new chunk.
 */
int dcn__slot_register_finish(struct dcn_slot_register *reg,
                              const struct dcn_task *task, bool ok);

/*
 * Reader: wait for a slot that is free for the next chunk (ordinary
 * slots take chunks 0 .. n-2, the remainder slot chunk n-1: a slot that
 * never held a chunk, or one resting in 'd') and assign the chunk to it;
 * the slot is (re)set to state 'i'.  Returns 1 with *slot and *chunk set, 0
 * when every chunk has been assigned, or a negative status when the run stops.
 */
int dcn__slot_register_begin_load(struct dcn_slot_register *reg, size_t *slot,
                                  int64_t *chunk);
/* Reader: the slot's stored data are in place; workers may decode it. */
int dcn__slot_register_end_fetch(struct dcn_slot_register *reg, size_t slot);
/* True if begin_load assigned the slot and end_fetch was called since. */
bool dcn__slot_register_is_fetched(struct dcn_slot_register *reg, size_t slot);

/*
 * Writer (or anyone): wait until the slot holding `chunk` is in `state`.
 * Returns 0 with *slot set, or a negative status when the run stops.
 */
int dcn__slot_register_wait_for(struct dcn_slot_register *reg, int64_t chunk,
                                enum dcn_slot_state state, size_t *slot);

/*
 * Event count: every broadcast increments it.  A waiter reads it, looks
 * for work, and if there is none calls dcn__slot_register_wait() with the
 * value it read; it returns when something changed (no lost wake-ups).
 * Returns DCN_OK, or DCN_ECANCELED once the register quits.
 */
uint64_t dcn__slot_register_epoch(struct dcn_slot_register *reg);
int dcn__slot_register_wait(struct dcn_slot_register *reg, uint64_t seen);
void dcn__slot_register_broadcast(struct dcn_slot_register *reg);
/* Like dcn__slot_register_wait(), but return DCN_OK after at most
 * seconds even if nothing changed (for progress reports and polling). */
int dcn__slot_register_wait_timed(struct dcn_slot_register *reg, uint64_t seen,
                                  double seconds);

/* Register state; setting it wakes every waiter. */
enum dcn_register_state dcn__slot_register_state(struct dcn_slot_register *reg);
int dcn__slot_register_set_state(struct dcn_slot_register *reg,
                                 enum dcn_register_state state);
/* While the register pauses, block; DCN_ECANCELED once it quits. */
int dcn__slot_register_wait_unpaused(struct dcn_slot_register *reg);

/*
 * Stop the run: record code and message in the shared error record (the
 * first failure wins, from any thread or process), set state "quit" and
 * wake everyone.  Returns code.
 */
int dcn__slot_register_fail(struct dcn_slot_register *reg, int code,
                            const char *fmt, ...) DCN_PRINTF(3, 4);
/* Copy the recorded error (code 0 if none) into err. */
void dcn__slot_register_get_error(struct dcn_slot_register *reg,
                                  struct dcn_error *err);

/* Shared counters and timers. */
int64_t dcn__slot_register_counter_add(struct dcn_slot_register *reg,
                                       enum dcn_counter counter, int64_t delta);
int64_t dcn__slot_register_counter(struct dcn_slot_register *reg,
                                   enum dcn_counter counter);
void dcn__slot_register_add_time(struct dcn_slot_register *reg,
                                 enum dcn_task_timer timer, double seconds);
double dcn__slot_register_time(struct dcn_slot_register *reg,
                               enum dcn_task_timer timer);

#endif /* DCN_CORE_SLOT_REGISTER_H */
