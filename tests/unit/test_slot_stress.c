/* SPDX-License-Identifier: MIT */
/*
 * test_slot_stress.c - the chunk slot and slot register under load, with
 * worker threads and with forked worker processes (style.md rule 55).
 *
 * A reader assigns and "fetches" thousands of chunks, workers run the
 * states i, s, m, l, e with random batch sizes and random task failures,
 * a writer takes the 'w' slot of each chunk in order.  Asserted: every
 * frame of every chunk went through every state exactly once and in
 * order, no frame was ever held by two workers at once, and a slot's
 * progress never decreased within one state of one chunk.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "slot_register.h"

#define NSTATES   6 /* i s m l e w */
#define MAX_SLOTS 8
#define MAX_CHUNK 12

static const char states[NSTATES] = {'i', 's', 'm', 'l', 'e', 'w'};

struct progress_record {
    int64_t chunk;
    int state;
    size_t ndone;
};

/* Tracking shared by all workers (MAP_SHARED, so processes see it). */
struct tracking {
    pthread_mutex_t lock; /* process-shared; guards records */
    struct progress_record records[MAX_SLOTS + 1];
    atomic_int violations;
    atomic_int owner[MAX_SLOTS + 1][MAX_CHUNK];
    atomic_long tasks_failed;
    /* Followed by uint8_t counts[nframes][NSTATES]: a frame's entry is
     * written only by the holder of its reservation. */
    uint8_t counts[];
};

struct stress {
    struct dcn_slot_register *reg;
    struct tracking *track;
    size_t track_len;
    size_t chunk_frames;
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
violation(struct stress *st, const char *what)
{
    if (atomic_fetch_add(&st->track->violations, 1) < 5)
        (void)fprintf(stderr, "violation: %s\n", what);
}

static void
claim_frames(struct stress *st, const struct dcn_task *t, int me)
{
    for (size_t k = t->start; k < t->stop; k++) {
        int expect = 0;

        if (!atomic_compare_exchange_strong(&st->track->owner[t->slot][k],
                                            &expect, me))
            violation(st, "frame held by two workers");
    }
}

static void
unclaim_frames(struct stress *st, const struct dcn_task *t, int me)
{
    for (size_t k = t->start; k < t->stop; k++) {
        int expect = me;

        if (!atomic_compare_exchange_strong(&st->track->owner[t->slot][k],
                                            &expect, 0))
            violation(st, "frame released by a non-holder");
    }
}

/* The work of one state on one frame: check the order, count it. */
static void
work_frame(struct stress *st, int64_t chunk, size_t k, int state)
{
    size_t frame = (size_t)chunk * st->chunk_frames + k;
    uint8_t *c = st->track->counts + frame * NSTATES;
    int si = state_index(state);

    if ((si > 0 && c[si - 1] != 1) || c[si] != 0)
        violation(st, "state out of order or repeated");
    c[si]++;
    if (state == 'e')
        dcn__slot_register_nevents(st->reg)[frame] = (int64_t)(k % 3);
}

/* Progress within one state of one chunk must never decrease. */
static void
check_progress(struct stress *st, size_t slot)
{
    struct dcn_slot_status s;
    struct progress_record *r = &st->track->records[slot];

    pthread_mutex_lock(&st->track->lock);
    if (dcn_chunk_slot_status(dcn__slot_register_slot(st->reg, slot), &s) ==
        DCN_OK) {
        if (r->chunk == s.chunk && r->state == (int)s.state &&
            s.ndone < r->ndone)
            violation(st, "progress decreased");
        *r = (struct progress_record){s.chunk, (int)s.state, s.ndone};
    }
    pthread_mutex_unlock(&st->track->lock);
}

static void
run_task(struct stress *st, const struct dcn_task *t, int me, uint32_t *rng)
{
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(st->reg, t->slot);
    int64_t chunk = dcn_chunk_slot_chunk(slot);
    bool ok = next_random(rng) % 8 != 0;

    claim_frames(st, t, me);
    if (ok) {
        for (size_t k = t->start; k < t->stop; k++)
            work_frame(st, chunk, k, (int)t->state);
    } else {
        atomic_fetch_add(&st->track->tasks_failed, 1);
    }
    unclaim_frames(st, t, me);
    if (dcn__slot_register_finish(st->reg, t, ok) != DCN_OK)
        violation(st, "finish failed");
    check_progress(st, t->slot);
}

/* One worker: take any task of the worker states until the run quits. */
static void
worker_loop(struct stress *st, int me)
{
    static const char worker_states[] = "elmsi";
    uint32_t rng = 2463534242u + (uint32_t)me * 7919u;

    for (;;) {
        uint64_t epoch = dcn__slot_register_epoch(st->reg);
        size_t first = next_random(&rng) % 5;
        bool did = false;

        for (size_t n = 0; n < 5 && !did; n++) {
            struct dcn_task t;
            int state = (unsigned char)worker_states[(first + n) % 5];
            size_t batch = next_random(&rng) % (st->chunk_frames + 2);
            int rc = dcn__slot_register_reserve(
                    st->reg, (enum dcn_slot_state)state, batch, &t);

            if (rc < 0)
                return;
            if (rc == 1) {
                run_task(st, &t, me, &rng);
                did = true;
            }
        }
        if (!did && dcn__slot_register_wait(st->reg, epoch) < 0)
            return;
    }
}

static void *
worker_thread(void *arg)
{
    static atomic_int next_id = 1;

    worker_loop(arg, atomic_fetch_add(&next_id, 1));
    return NULL;
}

static void *
reader_thread(void *arg)
{
    struct stress *st = arg;
    size_t slot;
    int64_t chunk;

    while (dcn__slot_register_begin_load(st->reg, &slot, &chunk) == 1) {
        struct dcn_chunk_slot *s = dcn__slot_register_slot(st->reg, slot);

        /* The "fetch": the reader fills the slot before handing it on. */
        memset(dcn_chunk_slot_image(s), (int)(chunk % 251),
               dcn_chunk_slot_length(s));
        dcn__slot_register_end_fetch(st->reg, slot);
    }
    return NULL;
}

static void *
writer_thread(void *arg)
{
    struct stress *st = arg;
    size_t n = dcn__slot_register_nchunks(st->reg);

    for (int64_t c = 0; c < (int64_t)n; c++) {
        struct dcn_task t;
        size_t slot;

        if (dcn__slot_register_wait_for(st->reg, c, DCN_STATE_WRITE, &slot) <
                    0 ||
            dcn__slot_register_reserve_slot(st->reg, slot, DCN_STATE_WRITE,
                                            DCN_BATCH_ALL, &t) != 1) {
            violation(st, "writer could not take its chunk");
            break;
        }
        if (t.start != 0 ||
            t.stop != dcn__slot_register_chunk_length(st->reg, c))
            violation(st, "writer got a partial chunk");
        for (size_t k = t.start; k < t.stop; k++)
            work_frame(st, c, k, 'w');
        dcn__slot_register_finish(st->reg, &t, true);
    }
    dcn__slot_register_set_state(st->reg, DCN_REGISTER_QUIT);
    return NULL;
}

static int
stress_setup(struct stress *st, size_t nslots, size_t chunk, size_t nframes)
{
    struct dcn_register_config cfg = {nslots, chunk, nframes, 1, 1, 0, 0, 0};
    pthread_mutexattr_t ma;

    memset(st, 0, sizeof(*st));
    st->chunk_frames = chunk;
    st->track_len = sizeof(struct tracking) + nframes * NSTATES;
    st->track = mmap(NULL, st->track_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (st->track == MAP_FAILED ||
        dcn__slot_register_new(&st->reg, &cfg, NULL) != DCN_OK)
        return -1;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&st->track->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    for (size_t i = 0; i <= MAX_SLOTS; i++)
        st->track->records[i].chunk = -2;
    return 0;
}

/* Every frame went through every state exactly once; slots rest in 'd'. */
static void
stress_verify(struct stress *st)
{
    size_t nframes = dcn__slot_register_nframes(st->reg);
    size_t bad = 0;

    for (size_t f = 0; f < nframes * NSTATES; f++)
        bad += st->track->counts[f] != 1;
    for (size_t f = 0; f < nframes; f++)
        bad += dcn__slot_register_nevents(st->reg)[f] !=
               (int64_t)((f % st->chunk_frames) % 3);
    CHECK_EQ(bad, 0);
    CHECK_EQ(atomic_load(&st->track->violations), 0);
    CHECK(atomic_load(&st->track->tasks_failed) > 0);
    CHECK_EQ(dcn__slot_register_counter(st->reg, DCN_COUNTER_CHUNKS_LOADED),
             dcn__slot_register_nchunks(st->reg));
    for (size_t i = 0; i < dcn__slot_register_nslots(st->reg); i++) {
        struct dcn_chunk_slot *s = dcn__slot_register_slot(st->reg, i);

        if (dcn_chunk_slot_chunk(s) >= 0)
            CHECK_EQ(dcn_chunk_slot_state(s), 'd');
    }
}

static void
stress_teardown(struct stress *st)
{
    dcn__slot_register_free(st->reg);
    pthread_mutex_destroy(&st->track->lock);
    munmap(st->track, st->track_len);
}

static void
run_io_threads(struct stress *st)
{
    pthread_t reader, writer;

    pthread_create(&reader, NULL, reader_thread, st);
    pthread_create(&writer, NULL, writer_thread, st);
    pthread_join(reader, NULL);
    pthread_join(writer, NULL);
}

static void
stress_with_threads(size_t nslots, size_t chunk, size_t nchunks, int nwork)
{
    struct stress st;
    pthread_t workers[16];

    CHECK_EQ(stress_setup(&st, nslots, chunk, nchunks * chunk - chunk / 2), 0);
    for (int i = 0; i < nwork; i++)
        pthread_create(&workers[i], NULL, worker_thread, &st);
    run_io_threads(&st);
    for (int i = 0; i < nwork; i++)
        pthread_join(workers[i], NULL);
    stress_verify(&st);
    stress_teardown(&st);
}

/* Workers are forked before any thread starts (style.md rule 36). */
static void
stress_with_processes(size_t nslots, size_t chunk, size_t nchunks, int nwork)
{
    struct stress st;
    pid_t pids[16];
    int status;

    CHECK_EQ(stress_setup(&st, nslots, chunk, nchunks * chunk), 0);
    for (int i = 0; i < nwork; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
            worker_loop(&st, 100 + i);
            _exit(0);
        }
    }
    run_io_threads(&st);
    for (int i = 0; i < nwork; i++) {
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    stress_verify(&st);
    stress_teardown(&st);
}

int
main(void)
{
    stress_with_processes(3, 7, 1500, 4);
    stress_with_processes(1, 1, 2000, 3);
    stress_with_threads(4, 10, 3000, 6);
    stress_with_threads(2, 3, 3000, 8);
    stress_with_threads(MAX_SLOTS, MAX_CHUNK, 2000, 5);
    return check_report();
}
