/* SPDX-License-Identifier: MIT */
/*
 * slot_register.c - the slot register: chunk slots in one shared mapping
 * and the rules that move chunks through them (style.md §5.2, §5.3).
 *
 * Memory: one MAP_SHARED|MAP_ANONYMOUS mapping holds the register header,
 * the slot table, nevents[nframes], the caller's shared extra space and
 * the slots themselves, each found by its offset from the header.
 *
 * Load phases: a slot in state 'i' is FREE (it never held a chunk),
 * ASSIGNED (the reader is fetching its stored data) or FETCHED (workers
 * decode it); past 'i' it is BUSY.  A slot that was written rests in 'd'
 * until the reader repurposes it for the next chunk.  Only the reader
 * moves a slot to ASSIGNED and FETCHED, so a worker never decodes a slot
 * whose data are incomplete.
 *
 * Synchronisation: one process-shared robust mutex and one futex word.
 * Every transition increments `epoch` and `wake` and wakes the waiters;
 * every wait loops on a predicate that includes "quit".  Not a condition
 * variable: glibc keeps the state of a condition's waiters in the shared
 * memory, and a worker process killed while waiting leaves it behind, so
 * that the next broadcast (the one that reports the dead worker) blocks
 * forever.  A futex word holds nothing of its waiters.  Lock order: register
 * lock, then slot lock.  A process that dies holding the register lock
 * turns into DCN_EWORKER and stops the run instead of hanging it.
 */
/* MAP_ANONYMOUS is not in POSIX.1-2008; glibc exposes it here. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "slot_register.h"

#define REG_ALIGN 64

enum load_phase {
    PHASE_FREE,
    PHASE_ASSIGNED,
    PHASE_FETCHED,
    PHASE_BUSY
};

struct slot_entry {
    size_t off;     /* immutable: slot offset from the register header */
    bool remainder; /* immutable: takes only the last chunk */
    char phase;     /* guarded by lock: enum load_phase */
};

struct dcn_slot_register {
    pthread_mutex_t lock; /* process-shared, robust */
    uint32_t wake;        /* futex word: changed under lock, atomically */
    uint64_t epoch;       /* guarded by lock */
    char state;           /* guarded by lock: enum dcn_register_state */
    int64_t next_chunk;   /* guarded by lock: next chunk to assign */
    int64_t counters[DCN_COUNTER_COUNT]; /* guarded by lock */
    double timers[DCN_TIMER_COUNT];      /* guarded by lock */
    struct dcn_error error;              /* guarded by lock; first wins */
    /* Immutable after init. */
    size_t mapping_len;
    size_t nslots;
    size_t nchunks;
    size_t chunk_frames;
    size_t nframes;
    size_t nevents_off; /* int64_t[nframes]: owned per frame, see header */
    size_t extra_off;   /* shared_extra_bytes, 0 if none */
    struct slot_entry slots[];
};

struct reg_layout {
    size_t header, nevents, extra, slot[2], slot_size[2], total;
};

static size_t
align_up(size_t n)
{
    return (n + REG_ALIGN - 1) / REG_ALIGN * REG_ALIGN;
}

static size_t
count_chunks(const struct dcn_register_config *cfg)
{
    return (cfg->nframes + cfg->chunk_frames - 1) / cfg->chunk_frames;
}

/* Ordinary slots only exist for chunks 0 .. n-2; with one chunk they hold
 * nothing.  The remainder slot holds the last chunk (full length when the
 * frame count divides evenly, 0 for an empty measurement). */
static void
slot_shapes(const struct dcn_register_config *cfg,
            struct dcn_slot_shape shapes[2])
{
    size_t n = count_chunks(cfg);

    shapes[0] = (struct dcn_slot_shape){n >= 2 ? cfg->chunk_frames : 0,
                                        cfg->height, cfg->width};
    shapes[1] = (struct dcn_slot_shape){
            n == 0 ? 0 : cfg->nframes - (n - 1) * cfg->chunk_frames,
            cfg->height, cfg->width};
}

static int
compute_layout(struct reg_layout *lay, const struct dcn_register_config *cfg)
{
    struct dcn_slot_shape shapes[2];
    size_t nslots = cfg->nslots + 1;
    size_t cur;

    memset(lay, 0, sizeof(*lay));
    slot_shapes(cfg, shapes);
    for (int k = 0; k < 2; k++) {
        lay->slot_size[k] = align_up(dcn_chunk_slot_size(
                &shapes[k], cfg->features, cfg->slot_extra_bytes));
        if (lay->slot_size[k] == 0)
            return DCN_ERANGE;
    }
    if (cfg->nframes > SIZE_MAX / 16 || nslots > SIZE_MAX / 4096 ||
        lay->slot_size[0] > SIZE_MAX / 2 / nslots)
        return DCN_ERANGE;
    cur = align_up(sizeof(struct dcn_slot_register) +
                   nslots * sizeof(struct slot_entry));
    lay->nevents = cur;
    cur = align_up(cur + cfg->nframes * sizeof(int64_t));
    if (cfg->shared_extra_bytes > 0) {
        lay->extra = cur;
        cur = align_up(cur + cfg->shared_extra_bytes);
    }
    lay->slot[0] = cur;
    lay->slot[1] = cur + cfg->nslots * lay->slot_size[0];
    lay->total = lay->slot[1] + lay->slot_size[1];
    return lay->total < lay->slot[1] ? DCN_ERANGE : DCN_OK;
}

size_t
dcn__slot_register_size(const struct dcn_register_config *cfg)
{
    struct reg_layout lay;

    if (cfg == NULL || cfg->chunk_frames == 0 ||
        compute_layout(&lay, cfg) != DCN_OK)
        return 0;
    return lay.total;
}

static int
init_sync(struct dcn_slot_register *reg)
{
    pthread_mutexattr_t ma;
    int rc = pthread_mutexattr_init(&ma);

    if (rc != 0)
        return rc;
    rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(&reg->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    reg->wake = 0;
    return rc;
}

static int
init_slots(struct dcn_slot_register *reg, const struct reg_layout *lay,
           const struct dcn_register_config *cfg, struct dcn_error *err)
{
    struct dcn_slot_shape shapes[2];

    slot_shapes(cfg, shapes);
    for (size_t i = 0; i < reg->nslots; i++) {
        int kind = i + 1 == reg->nslots;
        size_t off = kind ? lay->slot[1] : lay->slot[0] + i * lay->slot_size[0];
        int rc = dcn_chunk_slot_init((char *)reg + off, &shapes[kind],
                                     cfg->features, cfg->slot_extra_bytes, err);

        if (rc < 0) {
            while (i-- > 0)
                dcn_chunk_slot_release(dcn__slot_register_slot(reg, i));
            return rc;
        }
        reg->slots[i] = (struct slot_entry){off, kind, PHASE_FREE};
    }
    return DCN_OK;
}

static int
check_config(const struct dcn_register_config *cfg, struct dcn_error *err)
{
    if (cfg == NULL || cfg->nslots == 0 || cfg->nslots > DCN_MAX_SLOTS ||
        cfg->chunk_frames == 0 || cfg->height == 0 || cfg->width == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "slot register: need 1..%d slots, a chunk "
                             "length and a frame size",
                             DCN_MAX_SLOTS);
    return DCN_OK;
}

int
dcn__slot_register_new(struct dcn_slot_register **reg,
                       const struct dcn_register_config *cfg,
                       struct dcn_error *err)
{
    struct reg_layout lay;
    struct dcn_slot_register *r;
    void *mem;
    int rc = check_config(cfg, err);

    *reg = NULL;
    if (rc < 0)
        return rc;
    if (compute_layout(&lay, cfg) != DCN_OK)
        return dcn_error_set(err, DCN_ERANGE,
                             "slot register: %zu slots of %zu frames of "
                             "%zux%zu do not fit in memory",
                             cfg->nslots, cfg->chunk_frames, cfg->height,
                             cfg->width);
    mem = mmap(NULL, lay.total, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return dcn_error_set(err, DCN_ENOMEM,
                             "slot register: cannot map %zu bytes of "
                             "shared memory",
                             lay.total);
    r = mem;
    r->state = DCN_REGISTER_WORK;
    r->mapping_len = lay.total;
    r->nslots = cfg->nslots + 1;
    r->nchunks = count_chunks(cfg);
    r->chunk_frames = cfg->chunk_frames;
    r->nframes = cfg->nframes;
    r->nevents_off = lay.nevents;
    r->extra_off = lay.extra;
    for (size_t i = 0; i < cfg->nframes; i++)
        dcn__slot_register_nevents(r)[i] = -1;
    if (init_sync(r) != 0) {
        munmap(mem, lay.total);
        return dcn_error_set(err, DCN_ENOMEM,
                             "slot register: cannot create shared locks");
    }
    rc = init_slots(r, &lay, cfg, err);
    if (rc < 0) {
        pthread_mutex_destroy(&r->lock);
        munmap(mem, lay.total);
        return rc;
    }
    *reg = r;
    return DCN_OK;
}

void
dcn__slot_register_free(struct dcn_slot_register *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->nslots; i++)
        dcn_chunk_slot_release(dcn__slot_register_slot(reg, i));
    pthread_mutex_destroy(&reg->lock);
    munmap(reg, reg->mapping_len);
}

size_t
dcn__slot_register_nslots(const struct dcn_slot_register *reg)
{
    return reg->nslots;
}

size_t
dcn__slot_register_nchunks(const struct dcn_slot_register *reg)
{
    return reg->nchunks;
}

size_t
dcn__slot_register_chunk_frames(const struct dcn_slot_register *reg)
{
    return reg->chunk_frames;
}

size_t
dcn__slot_register_nframes(const struct dcn_slot_register *reg)
{
    return reg->nframes;
}

size_t
dcn__slot_register_chunk_start(const struct dcn_slot_register *reg,
                               int64_t chunk)
{
    return (size_t)chunk * reg->chunk_frames;
}

size_t
dcn__slot_register_chunk_length(const struct dcn_slot_register *reg,
                                int64_t chunk)
{
    size_t start = dcn__slot_register_chunk_start(reg, chunk);

    if (chunk < 0 || start >= reg->nframes)
        return 0;
    return reg->nframes - start < reg->chunk_frames ? reg->nframes - start
                                                    : reg->chunk_frames;
}

struct dcn_chunk_slot *
dcn__slot_register_slot(struct dcn_slot_register *reg, size_t i)
{
    return (struct dcn_chunk_slot *)(void *)((char *)reg + reg->slots[i].off);
}

bool
dcn__slot_register_is_remainder(const struct dcn_slot_register *reg, size_t i)
{
    return reg->slots[i].remainder;
}

int64_t *
dcn__slot_register_nevents(struct dcn_slot_register *reg)
{
    return (int64_t *)(void *)((char *)reg + reg->nevents_off);
}

void *
dcn__slot_register_shared_extra(struct dcn_slot_register *reg)
{
    return reg->extra_off == 0 ? NULL : (char *)reg + reg->extra_off;
}

/* Wake every waiter of any process (the lock is held). */
static void
broadcast_locked(struct dcn_slot_register *reg)
{
    reg->epoch++;
    __atomic_add_fetch(&reg->wake, 1, __ATOMIC_RELEASE);
    (void)syscall(SYS_futex, &reg->wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Called with the lock held: record the error, quit, wake everyone. */
static void
fail_locked(struct dcn_slot_register *reg, int code, const char *msg)
{
    dcn_error_set(&reg->error, code, "%s", msg);
    reg->state = DCN_REGISTER_QUIT;
    broadcast_locked(reg);
}

/*
 * A chunk slot's lock whose owner died (a worker process killed inside a
 * slot call) leaves that slot's bookkeeping unknown: stop the run, as for
 * the register's own lock, rather than skip the slot and wait for a frame
 * that will never be released.  Lock held; passes rc on.
 */
static int
check_slot_call_locked(struct dcn_slot_register *reg, int rc)
{
    if (rc == DCN_EWORKER && reg->state != DCN_REGISTER_QUIT)
        fail_locked(reg, DCN_EWORKER,
                    "a worker process died while holding a chunk slot's lock");
    return rc;
}

/* A lock whose owner died means a worker process crashed: stop the run. */
static int
owner_died(struct dcn_slot_register *reg)
{
    pthread_mutex_consistent(&reg->lock);
    fail_locked(reg, DCN_EWORKER,
                "a worker process died while holding the register lock");
    pthread_mutex_unlock(&reg->lock);
    return DCN_EWORKER;
}

static int
reg_lock(struct dcn_slot_register *reg)
{
    int rc = pthread_mutex_lock(&reg->lock);

    if (rc == EOWNERDEAD)
        return owner_died(reg);
    return rc == 0 ? DCN_OK : DCN_EWORKER;
}

static void
reg_unlock(struct dcn_slot_register *reg)
{
    pthread_mutex_unlock(&reg->lock);
}

/*
 * Drop the lock, sleep until the next broadcast (or the CLOCK_MONOTONIC
 * deadline until, if not NULL), take the lock again.  A broadcast after
 * `wake` was read makes the futex return at once: no lost wake-ups.  May
 * return early; callers loop on their predicate.  On return the lock is
 * held unless < 0.
 */
static int
reg_sleep_locked(struct dcn_slot_register *reg, const struct timespec *until)
{
    uint32_t seen = __atomic_load_n(&reg->wake, __ATOMIC_ACQUIRE);

    reg_unlock(reg);
    /* FUTEX_WAIT_BITSET: an absolute deadline on CLOCK_MONOTONIC. */
    (void)syscall(SYS_futex, &reg->wake, FUTEX_WAIT_BITSET, seen, until, NULL,
                  FUTEX_BITSET_MATCH_ANY);
    return reg_lock(reg);
}

static int
reg_wait_locked(struct dcn_slot_register *reg)
{
    return reg_sleep_locked(reg, NULL);
}

static bool
deadline_passed(const struct timespec *until)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > until->tv_sec ||
           (now.tv_sec == until->tv_sec && now.tv_nsec >= until->tv_nsec);
}

int
dcn__slot_register_find_slot(struct dcn_slot_register *reg,
                             enum dcn_slot_state state, int64_t chunk)
{
    int best = -1;
    int64_t best_chunk = INT64_MAX;

    for (size_t i = 0; i < reg->nslots; i++) {
        struct dcn_slot_status st;

        if (check_slot_call_locked(
                    reg, dcn_chunk_slot_status(dcn__slot_register_slot(reg, i),
                                               &st)) < 0)
            return -1;
        if (st.state != state)
            continue;
        if (chunk >= 0 ? st.chunk == chunk : st.chunk < best_chunk) {
            best = (int)i;
            best_chunk = st.chunk;
            if (chunk >= 0)
                break;
        }
    }
    return best;
}

/* Slots in `state` ordered by chunk index (at most nslots); lock held. */
static size_t
slots_by_chunk(struct dcn_slot_register *reg, enum dcn_slot_state state,
               size_t *order, int64_t *chunks)
{
    size_t n = 0;

    for (size_t i = 0; i < reg->nslots; i++) {
        struct dcn_slot_status st;
        size_t k;

        if (check_slot_call_locked(
                    reg, dcn_chunk_slot_status(dcn__slot_register_slot(reg, i),
                                               &st)) < 0)
            return 0;
        if (st.state != state)
            continue;
        if (state == DCN_STATE_LOAD && reg->slots[i].phase != PHASE_FETCHED)
            continue;
        for (k = n; k > 0 && chunks[k - 1] > st.chunk; k--) {
            order[k] = order[k - 1];
            chunks[k] = chunks[k - 1];
        }
        order[k] = i;
        chunks[k] = st.chunk;
        n++;
    }
    return n;
}

static int
try_reserve(struct dcn_slot_register *reg, size_t slot,
            enum dcn_slot_state state, size_t batch, struct dcn_task *task)
{
    size_t start, stop;
    int rc = check_slot_call_locked(
            reg,
            dcn_chunk_slot_acquire_task_lock(dcn__slot_register_slot(reg, slot),
                                             state, batch, &start, &stop));

    if (rc < 0)
        return rc;
    if (stop == start)
        return 0;
    *task = (struct dcn_task){slot, start, stop, state};
    return 1;
}

int
dcn__slot_register_reserve(struct dcn_slot_register *reg,
                           enum dcn_slot_state state, size_t batch,
                           struct dcn_task *task)
{
    size_t order[DCN_MAX_SLOTS + 1];
    int64_t chunks[DCN_MAX_SLOTS + 1];
    size_t n;
    int rc = reg_lock(reg);

    if (rc < 0)
        return rc;
    if (reg->state == DCN_REGISTER_QUIT) {
        reg_unlock(reg);
        return DCN_ECANCELED;
    }
    n = slots_by_chunk(reg, state, order, chunks);
    rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = try_reserve(reg, order[k], state, batch, task);
    if (rc == 0 && reg->state == DCN_REGISTER_QUIT)
        rc = DCN_ECANCELED; /* a slot call failed the run */
    reg_unlock(reg);
    return rc;
}

int
dcn__slot_register_reserve_slot(struct dcn_slot_register *reg, size_t slot,
                                enum dcn_slot_state state, size_t batch,
                                struct dcn_task *task)
{
    int rc = reg_lock(reg);

    if (rc < 0)
        return rc;
    if (reg->state == DCN_REGISTER_QUIT)
        rc = DCN_ECANCELED;
    else if (state == DCN_STATE_LOAD && reg->slots[slot].phase != PHASE_FETCHED)
        rc = 0;
    else
        rc = try_reserve(reg, slot, state, batch, task);
    reg_unlock(reg);
    return rc;
}

/* Bookkeeping after a slot advanced out of `from`; lock held.  A slot
 * that leaves 'w' rests in 'd' until the reader repurposes it. */
static void
after_advance_locked(struct dcn_slot_register *reg, size_t slot,
                     enum dcn_slot_state from)
{
    if (from == DCN_STATE_LOAD)
        reg->slots[slot].phase = PHASE_BUSY;
    broadcast_locked(reg);
}

/*
 * Release, advance and bookkeeping happen under the register lock as one
 * step: were the slot's advance visible before the register noted it, a
 * fast pipeline could repurpose the slot in between and the late note would
 * then mark the repurposed slot busy forever (the stress test found this).
 */
int
dcn__slot_register_finish(struct dcn_slot_register *reg,
                          const struct dcn_task *task, bool ok)
{
    bool advanced = false;
    int rc = reg_lock(reg);

    if (rc < 0)
        return rc;
    rc = check_slot_call_locked(
            reg, dcn_chunk_slot_finish_task(
                         dcn__slot_register_slot(reg, task->slot), task->start,
                         task->stop, ok, dcn_slot_state_next(task->state),
                         &advanced));
    if (rc == DCN_OK && advanced)
        after_advance_locked(reg, task->slot, task->state);
    else if (rc == DCN_OK && !ok)
        broadcast_locked(reg); /* a failed task freed frames */
    reg_unlock(reg);
    return rc;
}

/*
 * The slot that may take `chunk`, or -1; lock held.  Free are a slot in
 * 'i' that never held a chunk and an ordinary slot resting in 'd'; the
 * remainder slot takes only the last chunk.
 */
static int
free_slot_for(struct dcn_slot_register *reg, int64_t chunk)
{
    bool want_remainder = chunk == (int64_t)reg->nchunks - 1;

    for (size_t i = 0; i < reg->nslots; i++) {
        enum dcn_slot_state state;

        if (reg->slots[i].remainder != want_remainder)
            continue;
        state = dcn_chunk_slot_state(dcn__slot_register_slot(reg, i));
        if (state == DCN_STATE_NONE) { /* its lock's owner died */
            check_slot_call_locked(reg, DCN_EWORKER);
            return -1;
        }
        if ((state == DCN_STATE_LOAD && reg->slots[i].phase == PHASE_FREE) ||
            state == DCN_STATE_DONE)
            return (int)i;
    }
    return -1;
}

int
dcn__slot_register_begin_load(struct dcn_slot_register *reg, size_t *slot,
                              int64_t *chunk)
{
    int rc = reg_lock(reg);
    int found;

    while (rc == DCN_OK) {
        if (reg->state == DCN_REGISTER_QUIT) {
            rc = DCN_ECANCELED;
            break;
        }
        if (reg->next_chunk >= (int64_t)reg->nchunks) {
            reg_unlock(reg);
            return 0;
        }
        found = free_slot_for(reg, reg->next_chunk);
        if (found >= 0) {
            *slot = (size_t)found;
            *chunk = reg->next_chunk++;
            reg->slots[found].phase = PHASE_ASSIGNED;
            /* Repurpose: a new chunk starts loading with no progress. */
            rc = check_slot_call_locked(
                    reg, dcn_chunk_slot_set_state(
                                 dcn__slot_register_slot(reg, *slot),
                                 DCN_STATE_LOAD));
            if (rc == DCN_OK)
                rc = check_slot_call_locked(
                        reg,
                        dcn_chunk_slot_set_chunk(
                                dcn__slot_register_slot(reg, *slot), *chunk));
            reg_unlock(reg);
            return rc == DCN_OK ? 1 : rc;
        }
        if (reg->state == DCN_REGISTER_QUIT)
            continue; /* free_slot_for() failed the run */
        rc = reg_wait_locked(reg);
    }
    if (rc == DCN_ECANCELED)
        reg_unlock(reg);
    return rc;
}

int
dcn__slot_register_end_fetch(struct dcn_slot_register *reg, size_t slot)
{
    int rc = reg_lock(reg);

    if (rc < 0)
        return rc;
    reg->slots[slot].phase = PHASE_FETCHED;
    reg->counters[DCN_COUNTER_CHUNKS_LOADED]++;
    broadcast_locked(reg);
    reg_unlock(reg);
    return DCN_OK;
}

bool
dcn__slot_register_is_fetched(struct dcn_slot_register *reg, size_t slot)
{
    bool fetched = false;

    if (reg_lock(reg) == DCN_OK) {
        fetched = reg->slots[slot].phase == PHASE_FETCHED;
        reg_unlock(reg);
    }
    return fetched;
}

int
dcn__slot_register_wait_for(struct dcn_slot_register *reg, int64_t chunk,
                            enum dcn_slot_state state, size_t *slot)
{
    int rc = reg_lock(reg);
    int found;

    while (rc == DCN_OK) {
        if (reg->state == DCN_REGISTER_QUIT) {
            reg_unlock(reg);
            return DCN_ECANCELED;
        }
        found = dcn__slot_register_find_slot(reg, state, chunk);
        if (found >= 0) {
            *slot = (size_t)found;
            reg_unlock(reg);
            return DCN_OK;
        }
        if (reg->state == DCN_REGISTER_QUIT)
            continue; /* find_slot() failed the run */
        rc = reg_wait_locked(reg);
    }
    return rc;
}

uint64_t
dcn__slot_register_epoch(struct dcn_slot_register *reg)
{
    uint64_t epoch = 0;

    if (reg_lock(reg) == DCN_OK) {
        epoch = reg->epoch;
        reg_unlock(reg);
    }
    return epoch;
}

int
dcn__slot_register_wait(struct dcn_slot_register *reg, uint64_t seen)
{
    int rc = reg_lock(reg);

    while (rc == DCN_OK && reg->epoch == seen &&
           reg->state != DCN_REGISTER_QUIT)
        rc = reg_wait_locked(reg);
    if (rc < 0)
        return rc;
    rc = reg->state == DCN_REGISTER_QUIT ? DCN_ECANCELED : DCN_OK;
    reg_unlock(reg);
    return rc;
}

int
dcn__slot_register_wait_timed(struct dcn_slot_register *reg, uint64_t seen,
                              double seconds)
{
    struct timespec until;
    int rc = reg_lock(reg);

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (rc == DCN_OK && reg->epoch == seen &&
           reg->state != DCN_REGISTER_QUIT && !deadline_passed(&until))
        rc = reg_sleep_locked(reg, &until);
    if (rc < 0)
        return rc;
    rc = reg->state == DCN_REGISTER_QUIT ? DCN_ECANCELED : DCN_OK;
    reg_unlock(reg);
    return rc;
}

void
dcn__slot_register_broadcast(struct dcn_slot_register *reg)
{
    if (reg_lock(reg) == DCN_OK) {
        broadcast_locked(reg);
        reg_unlock(reg);
    }
}

enum dcn_register_state
dcn__slot_register_state(struct dcn_slot_register *reg)
{
    enum dcn_register_state state = DCN_REGISTER_QUIT;

    if (reg_lock(reg) == DCN_OK) {
        state = (enum dcn_register_state)reg->state;
        reg_unlock(reg);
    }
    return state;
}

int
dcn__slot_register_set_state(struct dcn_slot_register *reg,
                             enum dcn_register_state state)
{
    int rc;

    if (state != DCN_REGISTER_WORK && state != DCN_REGISTER_PAUSE &&
        state != DCN_REGISTER_QUIT)
        return DCN_EINVAL;
    rc = reg_lock(reg);
    if (rc < 0)
        return rc;
    /* Quitting is final: a stopped run never resumes. */
    if (reg->state != DCN_REGISTER_QUIT)
        reg->state = (char)state;
    broadcast_locked(reg);
    reg_unlock(reg);
    return DCN_OK;
}

int
dcn__slot_register_wait_unpaused(struct dcn_slot_register *reg)
{
    int rc = reg_lock(reg);

    while (rc == DCN_OK && reg->state == DCN_REGISTER_PAUSE)
        rc = reg_wait_locked(reg);
    if (rc < 0)
        return rc;
    rc = reg->state == DCN_REGISTER_QUIT ? DCN_ECANCELED : DCN_OK;
    reg_unlock(reg);
    return rc;
}

int
dcn__slot_register_fail(struct dcn_slot_register *reg, int code,
                        const char *fmt, ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rc = reg_lock(reg);
    if (rc < 0)
        return code; /* owner_died() has stopped the run already */
    fail_locked(reg, code, msg);
    reg_unlock(reg);
    return code;
}

void
dcn__slot_register_get_error(struct dcn_slot_register *reg,
                             struct dcn_error *err)
{
    dcn_error_clear(err);
    if (reg_lock(reg) == DCN_OK) {
        *err = reg->error;
        reg_unlock(reg);
    }
}

int64_t
dcn__slot_register_counter_add(struct dcn_slot_register *reg,
                               enum dcn_counter counter, int64_t delta)
{
    int64_t value = 0;

    if (reg_lock(reg) == DCN_OK) {
        reg->counters[counter] += delta;
        value = reg->counters[counter];
        reg_unlock(reg);
    }
    return value;
}

int64_t
dcn__slot_register_counter(struct dcn_slot_register *reg,
                           enum dcn_counter counter)
{
    return dcn__slot_register_counter_add(reg, counter, 0);
}

void
dcn__slot_register_add_time(struct dcn_slot_register *reg,
                            enum dcn_task_timer timer, double seconds)
{
    if (reg_lock(reg) == DCN_OK) {
        reg->timers[timer] += seconds;
        reg_unlock(reg);
    }
}

double
dcn__slot_register_time(struct dcn_slot_register *reg,
                        enum dcn_task_timer timer)
{
    double t = 0.0;

    if (reg_lock(reg) == DCN_OK) {
        t = reg->timers[timer];
        reg_unlock(reg);
    }
    return t;
}
