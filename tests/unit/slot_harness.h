/* SPDX-License-Identifier: MIT */
/*
 * slot_harness.h - a pipeline of fake stages over the real slot register,
 * shared by the stress test and the soak test.
 *
 * A reader assigns and "fetches" chunks, workers (threads or forked
 * processes) run the states i, s, m, l, e with random batch sizes and
 * random task failures, a writer takes the 'w' slot of each chunk in
 * order.  The tracking mapping records what every frame went through, who
 * held it, and how far each slot's progress got, so that a round can be
 * verified afterwards: every frame through every state exactly once and in
 * order, no frame held twice, progress never decreasing within a state.
 */
#ifndef DCN_TESTS_SLOT_HARNESS_H
#define DCN_TESTS_SLOT_HARNESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slot_register.h"

#define HARNESS_MAX_SLOTS 8
#define HARNESS_MAX_CHUNK 12

/* What a worker does besides the fake work (the soak's adversities). */
struct harness_worker_opts {
    unsigned fail_one_in;  /* a task fails with probability 1/n (0: never) */
    unsigned stall_one_in; /* a task sleeps holding its frames (0: never) */
    long stall_max_us;     /* longest such sleep */
};

struct harness {
    struct dcn_slot_register *reg; /* owned */
    struct harness_track *track;   /* owned: the shared tracking mapping */
    size_t track_len;
    size_t chunk_frames;
    struct harness_worker_opts opts;
    /* A worker may die or the run may be failed on purpose: the writer's
     * failure to get its chunk is then expected, not a violation. */
    bool expect_stop;
    pthread_t reader, writer; /* started by harness_io_start() */
    atomic_int io_running;    /* reader and writer threads still running */
};

/*
 * Map the register (nslots ordinary slots of chunk frames, nframes in
 * all, 1x1 pixel frames) and the tracking area.  0, or -1 on failure.
 * Release with harness_teardown() in the process that set it up.
 */
int harness_setup(struct harness *h, size_t nslots, size_t chunk,
                  size_t nframes);
void harness_teardown(struct harness *h);

/* Run tasks of the worker states until the register quits.  `me` > 0
 * identifies the worker in the ownership check. */
void harness_worker_loop(struct harness *h, int me);
/* A worker thread for pthread_create (arg: struct harness *); each gets
 * its own id from a process-wide counter. */
void *harness_worker_thread(void *arg);
/* Start the reader and the writer thread; harness_io_join() waits for
 * both.  The writer sets the register to quit after the last chunk. */
void harness_io_start(struct harness *h);
void harness_io_join(struct harness *h);
/* True once both the reader and the writer thread have returned. */
bool harness_io_done(struct harness *h);

/* Frames worked on so far in any state (it grows while the run lives). */
long harness_work_done(const struct harness *h);
/* Chunks the writer completed (each one took 7 slot transitions: the
 * load assignment, i->s, s->m, m->l, l->e, e->w, w->d). */
long harness_chunks_written(const struct harness *h);
long harness_tasks_failed(const struct harness *h);
int harness_violations(const struct harness *h);

/* After a complete run: every frame went through every state exactly once,
 * nevents as the workers wrote it, every used slot rests in 'd', no
 * violation.  Returns the number of failed checks (0 = good). */
int harness_verify_complete(struct harness *h);
/* After a run that was stopped: no violation, no frame went through any
 * state twice or out of order (work cut short is fine). */
int harness_verify_stopped(struct harness *h);

#endif /* DCN_TESTS_SLOT_HARNESS_H */
