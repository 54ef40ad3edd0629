/* SPDX-License-Identifier: MIT */
/*
 * slot_harness.c - fake stages over the real slot register (see
 * slot_harness.h).  Everything a worker process must see lives in
 * MAP_SHARED memory: the register and the tracking area.  The tracking
 * lock is robust, so that a worker killed on purpose (the soak) cannot
 * block the others on the harness's own bookkeeping.
 */
#define _DEFAULT_SOURCE
#include "slot_harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define NSTATES 6 /* i s m l e w */

static const char states[NSTATES] = {'i', 's', 'm', 'l', 'e', 'w'};

struct progress_record {
    int64_t chunk;
    int state;
    size_t ndone;
};

/* Tracking shared by all workers (MAP_SHARED, so processes see it). */
struct harness_track {
    pthread_mutex_t lock; /* process-shared, robust; guards records */
    struct progress_record records[HARNESS_MAX_SLOTS + 1];
    atomic_int violations;
    atomic_int owner[HARNESS_MAX_SLOTS + 1][HARNESS_MAX_CHUNK];
    atomic_long tasks_failed;
    atomic_long work_done;
    atomic_long chunks_written;
    /* Followed by uint8_t counts[nframes][NSTATES]: a frame's entry is
     * written only by the holder of its reservation. */
    uint8_t counts[];
};

static uint32_t
next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int
state_index(int state)
{
    return (int)((const char *)memchr(states, state, NSTATES) - states);
}

static void
violation(struct harness *h, const char *what)
{
    if (atomic_fetch_add(&h->track->violations, 1) < 5)
        (void)fprintf(stderr, "violation: %s\n", what);
}

static void
claim_frames(struct harness *h, const struct dcn_task *t, int me)
{
    for (size_t k = t->start; k < t->stop; k++) {
        int expect = 0;

        if (!atomic_compare_exchange_strong(&h->track->owner[t->slot][k],
                                            &expect, me))
            violation(h, "frame held by two workers");
    }
}

static void
unclaim_frames(struct harness *h, const struct dcn_task *t, int me)
{
    for (size_t k = t->start; k < t->stop; k++) {
        int expect = me;

        if (!atomic_compare_exchange_strong(&h->track->owner[t->slot][k],
                                            &expect, 0))
            violation(h, "frame released by a non-holder");
    }
}

/* The work of one state on one frame: check the order, count it. */
static void
work_frame(struct harness *h, int64_t chunk, size_t k, int state)
{
    size_t frame = (size_t)chunk * h->chunk_frames + k;
    uint8_t *c = h->track->counts + frame * NSTATES;
    int si = state_index(state);

    if ((si > 0 && c[si - 1] != 1) || c[si] != 0)
        violation(h, "state out of order or repeated");
    c[si]++;
    atomic_fetch_add(&h->track->work_done, 1);
    if (state == 'e')
        dcn__slot_register_nevents(h->reg)[frame] = (int64_t)(k % 3);
}

static void
track_lock(struct harness_track *track)
{
    if (pthread_mutex_lock(&track->lock) == EOWNERDEAD)
        pthread_mutex_consistent(&track->lock);
}

/* Progress within one state of one chunk must never decrease. */
static void
check_progress(struct harness *h, size_t slot)
{
    struct dcn_slot_status s;
    struct progress_record *r = &h->track->records[slot];

    track_lock(h->track);
    if (dcn_chunk_slot_status(dcn__slot_register_slot(h->reg, slot), &s) ==
        DCN_OK) {
        if (r->chunk == s.chunk && r->state == (int)s.state &&
            s.ndone < r->ndone)
            violation(h, "progress decreased");
        *r = (struct progress_record){s.chunk, (int)s.state, s.ndone};
    }
    pthread_mutex_unlock(&h->track->lock);
}

static bool
one_in(uint32_t *rng, unsigned n)
{
    return n > 0 && next_random(rng) % n == 0;
}

/* Sleep while holding frames: a worker preempted mid-task. */
static void
stall(const struct harness *h, uint32_t *rng)
{
    long us =
            h->opts.stall_max_us > 0
                    ? (long)(next_random(rng) % (uint32_t)h->opts.stall_max_us)
                    : 0;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

    (void)nanosleep(&ts, NULL);
}

static void
run_task(struct harness *h, const struct dcn_task *t, int me, uint32_t *rng)
{
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(h->reg, t->slot);
    int64_t chunk = dcn_chunk_slot_chunk(slot);
    bool ok = !one_in(rng, h->opts.fail_one_in);

    claim_frames(h, t, me);
    if (one_in(rng, h->opts.stall_one_in))
        stall(h, rng);
    if (ok) {
        for (size_t k = t->start; k < t->stop; k++)
            work_frame(h, chunk, k, (int)t->state);
    } else {
        atomic_fetch_add(&h->track->tasks_failed, 1);
    }
    unclaim_frames(h, t, me);
    if (dcn__slot_register_finish(h->reg, t, ok) != DCN_OK && !h->expect_stop)
        violation(h, "finish failed");
    check_progress(h, t->slot);
}

/* Try the worker states from a random one on; 1 if a task ran, 0 if none
 * was free, < 0 once the register stops. */
static int
one_task(struct harness *h, int me, uint32_t *rng)
{
    static const char worker_states[] = "elmsi";
    size_t first = next_random(rng) % 5;

    for (size_t n = 0; n < 5; n++) {
        struct dcn_task t;
        int state = (unsigned char)worker_states[(first + n) % 5];
        size_t batch = next_random(rng) % (h->chunk_frames + 2);
        int rc = dcn__slot_register_reserve(h->reg, (enum dcn_slot_state)state,
                                            batch, &t);

        if (rc < 0)
            return rc;
        if (rc == 1) {
            run_task(h, &t, me, rng);
            return 1;
        }
    }
    return 0;
}

void
harness_worker_loop(struct harness *h, int me)
{
    uint32_t rng = 2463534242u + (uint32_t)me * 7919u;

    for (;;) {
        uint64_t epoch = dcn__slot_register_epoch(h->reg);
        int did = one_task(h, me, &rng);

        if (did < 0)
            return;
        if (did == 0 && dcn__slot_register_wait(h->reg, epoch) < 0)
            return;
    }
}

void *
harness_worker_thread(void *arg)
{
    static atomic_int next_id = 1;

    harness_worker_loop(arg, atomic_fetch_add(&next_id, 1));
    return NULL;
}

static void *
reader_thread(void *arg)
{
    struct harness *h = arg;
    size_t slot;
    int64_t chunk;

    while (dcn__slot_register_begin_load(h->reg, &slot, &chunk) == 1) {
        struct dcn_chunk_slot *s = dcn__slot_register_slot(h->reg, slot);

        /* The "fetch": the reader fills the slot before handing it on. */
        memset(dcn_chunk_slot_image(s), (int)(chunk % 251),
               dcn_chunk_slot_length(s));
        dcn__slot_register_end_fetch(h->reg, slot);
    }
    atomic_fetch_sub(&h->io_running, 1);
    return NULL;
}

/* The writer's part of chunk c: take all of its 'w' frames at once. */
static int
write_chunk(struct harness *h, int64_t c)
{
    struct dcn_task t;
    size_t slot;

    if (dcn__slot_register_wait_for(h->reg, c, DCN_STATE_WRITE, &slot) < 0 ||
        dcn__slot_register_reserve_slot(h->reg, slot, DCN_STATE_WRITE,
                                        DCN_BATCH_ALL, &t) != 1) {
        if (!h->expect_stop)
            violation(h, "writer could not take its chunk");
        return -1;
    }
    if (t.start != 0 || t.stop != dcn__slot_register_chunk_length(h->reg, c))
        violation(h, "writer got a partial chunk");
    for (size_t k = t.start; k < t.stop; k++)
        work_frame(h, c, k, 'w');
    dcn__slot_register_finish(h->reg, &t, true);
    atomic_fetch_add(&h->track->chunks_written, 1);
    return 0;
}

static void *
writer_thread(void *arg)
{
    struct harness *h = arg;
    size_t n = dcn__slot_register_nchunks(h->reg);

    for (int64_t c = 0; c < (int64_t)n; c++)
        if (write_chunk(h, c) < 0)
            break;
    dcn__slot_register_set_state(h->reg, DCN_REGISTER_QUIT);
    atomic_fetch_sub(&h->io_running, 1);
    return NULL;
}

static int
init_track_lock(struct harness_track *track)
{
    pthread_mutexattr_t ma;
    int rc = pthread_mutexattr_init(&ma);

    if (rc == 0)
        rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(&track->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    return rc == 0 ? 0 : -1;
}

int
harness_setup(struct harness *h, size_t nslots, size_t chunk, size_t nframes)
{
    struct dcn_register_config cfg = {nslots, chunk, nframes, 1, 1, 0, 0, 0};

    memset(h, 0, sizeof(*h));
    h->chunk_frames = chunk;
    h->opts.fail_one_in = 8;
    h->track_len = sizeof(struct harness_track) + nframes * NSTATES;
    h->track = mmap(NULL, h->track_len, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (h->track == MAP_FAILED) {
        h->track = NULL;
        return -1;
    }
    if (dcn__slot_register_new(&h->reg, &cfg, NULL) != DCN_OK ||
        init_track_lock(h->track) < 0)
        return -1;
    for (size_t i = 0; i <= HARNESS_MAX_SLOTS; i++)
        h->track->records[i].chunk = -2;
    return 0;
}

void
harness_teardown(struct harness *h)
{
    dcn__slot_register_free(h->reg);
    if (h->track != NULL) {
        pthread_mutex_destroy(&h->track->lock);
        munmap(h->track, h->track_len);
    }
    h->reg = NULL;
    h->track = NULL;
}

void
harness_io_start(struct harness *h)
{
    atomic_store(&h->io_running, 2);
    pthread_create(&h->reader, NULL, reader_thread, h);
    pthread_create(&h->writer, NULL, writer_thread, h);
}

void
harness_io_join(struct harness *h)
{
    pthread_join(h->reader, NULL);
    pthread_join(h->writer, NULL);
}

bool
harness_io_done(struct harness *h)
{
    return atomic_load(&h->io_running) == 0;
}

long
harness_work_done(const struct harness *h)
{
    return atomic_load(&h->track->work_done);
}

long
harness_chunks_written(const struct harness *h)
{
    return atomic_load(&h->track->chunks_written);
}

long
harness_tasks_failed(const struct harness *h)
{
    return atomic_load(&h->track->tasks_failed);
}

int
harness_violations(const struct harness *h)
{
    return atomic_load(&h->track->violations);
}

static int
report(bool ok, const char *what)
{
    if (!ok)
        (void)fprintf(stderr, "harness: %s\n", what);
    return ok ? 0 : 1;
}

int
harness_verify_complete(struct harness *h)
{
    size_t nframes = dcn__slot_register_nframes(h->reg);
    size_t bad_counts = 0;
    size_t bad_nevents = 0;
    int bad_slots = 0;
    int failed;

    for (size_t f = 0; f < nframes * NSTATES; f++)
        bad_counts += h->track->counts[f] != 1;
    for (size_t f = 0; f < nframes; f++)
        bad_nevents += dcn__slot_register_nevents(h->reg)[f] !=
                       (int64_t)((f % h->chunk_frames) % 3);
    for (size_t i = 0; i < dcn__slot_register_nslots(h->reg); i++) {
        struct dcn_chunk_slot *s = dcn__slot_register_slot(h->reg, i);

        bad_slots += dcn_chunk_slot_chunk(s) >= 0 &&
                     dcn_chunk_slot_state(s) != DCN_STATE_DONE;
    }
    failed = report(bad_counts == 0, "a frame skipped or repeated a state");
    failed += report(bad_nevents == 0, "nevents not as the workers wrote it");
    failed += report(bad_slots == 0, "a used slot does not rest in 'd'");
    failed += report(harness_violations(h) == 0, "violations (see above)");
    failed += report(
            dcn__slot_register_counter(h->reg, DCN_COUNTER_CHUNKS_LOADED) ==
                    (int64_t)dcn__slot_register_nchunks(h->reg),
            "chunks_loaded is not the chunk count");
    return failed;
}

int
harness_verify_stopped(struct harness *h)
{
    size_t nframes = dcn__slot_register_nframes(h->reg);
    size_t repeated = 0;

    for (size_t f = 0; f < nframes * NSTATES; f++)
        repeated += h->track->counts[f] > 1;
    return report(repeated == 0, "a frame went through a state twice") +
           report(harness_violations(h) == 0, "violations (see above)");
}
