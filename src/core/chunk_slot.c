/* SPDX-License-Identifier: MIT */
/*
 * chunk_slot.c - one chunk of frames in process-shared memory.
 *
 * This is dcnum's ChunkSlotData in C.  The slot header, its per-frame
 * flags and its pixel arrays live in one block of MAP_SHARED memory, so
 * workers may be threads or forked processes.  Arrays are found by
 * offsets from the header, never by pointers, so the block may sit at a
 * different address in each process.  One process-shared, robust mutex
 * guards the state, the chunk index and the flags; the pixels of a frame
 * belong to whoever holds that frame's reservation and are touched
 * without a lock.  A lock left behind by a dead process turns into
 * DCN_EWORKER instead of a deadlock.
 */
/* MAP_ANONYMOUS is not in POSIX.1-2008; glibc exposes it here. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "dcnumc/chunk_slot.h"

#define SLOT_ALIGN 64

struct dcn_chunk_slot {
    pthread_mutex_t lock; /* process-shared and robust */
    char state;           /* guarded by lock */
    int64_t chunk;        /* guarded by lock; -1 until the first load */
    size_t ndone;         /* guarded by lock; number of done[] set */
    size_t nreserved;     /* guarded by lock; number of reserved[] set */
    /* Everything below is immutable after init. */
    struct dcn_slot_shape shape;
    unsigned features;
    size_t mapping_len;  /* > 0 if dcn_chunk_slot_new() mapped the slot */
    size_t reserved_off; /* uint8_t[length], guarded by lock */
    size_t done_off;     /* uint8_t[length], guarded by lock */
    /* Pixel arrays: the holder of a frame's reservation owns its pixels. */
    size_t image_off;
    size_t image_bg_off; /* 0 if absent */
    size_t image_corr_off;
    size_t bg_off_off;
    size_t mask_off;
    size_t labels_off;
    size_t extra_off;
};

/* tests/unit/test_slot_register.c takes a slot's lock as a dead worker
 * would, through this layout. */
_Static_assert(offsetof(struct dcn_chunk_slot, lock) == 0,
               "the lock is a slot's first member");

struct slot_layout {
    size_t reserved, done, image, image_bg, image_corr, bg_off, mask, labels,
            extra, total;
};

/* Append n items of size sz at the next aligned offset; 0 on overflow. */
static size_t
place(size_t *cursor, size_t n, size_t sz)
{
    size_t at = (*cursor + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;

    if (at < *cursor || (sz != 0 && n > (SIZE_MAX - at) / sz))
        return 0;
    *cursor = at + n * sz;
    return at;
}

static int
compute_layout(struct slot_layout *lay, const struct dcn_slot_shape *shape,
               unsigned features, size_t extra)
{
    size_t cur = sizeof(struct dcn_chunk_slot);
    size_t len = shape->frames;
    size_t px;

    memset(lay, 0, sizeof(*lay));
    if (shape->height != 0 && shape->width > SIZE_MAX / shape->height)
        return DCN_ERANGE;
    px = shape->height * shape->width;
    if (px != 0 && len > SIZE_MAX / px / sizeof(int16_t))
        return DCN_ERANGE;
    px *= len;
    lay->reserved = place(&cur, len, 1);
    lay->done = place(&cur, len, 1);
    lay->image = place(&cur, px, 1);
    if (features & DCN_SLOT_IMAGE_BG) {
        lay->image_bg = place(&cur, px, 1);
        lay->image_corr = place(&cur, px, sizeof(int16_t));
    }
    if (features & DCN_SLOT_BG_OFF)
        lay->bg_off = place(&cur, len, sizeof(double));
    lay->mask = place(&cur, px, sizeof(bool));
    lay->labels = place(&cur, px, sizeof(uint16_t));
    if (extra > 0)
        lay->extra = place(&cur, extra, 1);
    lay->total = place(&cur, 0, 1);
    return lay->total == 0 ? DCN_ERANGE : DCN_OK;
}

size_t
dcn_chunk_slot_size(const struct dcn_slot_shape *shape, unsigned features,
                    size_t extra_bytes)
{
    struct slot_layout lay;

    if (shape == NULL ||
        compute_layout(&lay, shape, features, extra_bytes) != DCN_OK)
        return 0;
    return lay.total;
}

static int
init_shared_mutex(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);

    if (rc != 0)
        return rc;
    rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc;
}

int
dcn_chunk_slot_init(void *mem, const struct dcn_slot_shape *shape,
                    unsigned features, size_t extra_bytes,
                    struct dcn_error *err)
{
    struct dcn_chunk_slot *slot = mem;
    struct slot_layout lay;

    if (mem == NULL || shape == NULL || shape->height == 0 ||
        shape->width == 0 || ((uintptr_t)mem % SLOT_ALIGN) != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "chunk slot: bad memory or empty frame shape");
    if (compute_layout(&lay, shape, features, extra_bytes) != DCN_OK)
        return dcn_error_set(err, DCN_ERANGE,
                             "chunk slot: %zu frames of %zux%zu do not fit",
                             shape->frames, shape->height, shape->width);
    memset(slot, 0, sizeof(*slot));
    if (init_shared_mutex(&slot->lock) != 0)
        return dcn_error_set(err, DCN_ENOMEM,
                             "chunk slot: cannot create shared lock");
    slot->state = DCN_STATE_LOAD;
    slot->chunk = -1;
    slot->shape = *shape;
    slot->features = features & (DCN_SLOT_IMAGE_BG | DCN_SLOT_BG_OFF);
    slot->reserved_off = lay.reserved;
    slot->done_off = lay.done;
    slot->image_off = lay.image;
    slot->image_bg_off = lay.image_bg;
    slot->image_corr_off = lay.image_corr;
    slot->bg_off_off = lay.bg_off;
    slot->mask_off = lay.mask;
    slot->labels_off = lay.labels;
    slot->extra_off = lay.extra;
    memset((char *)slot + lay.reserved, 0, shape->frames);
    memset((char *)slot + lay.done, 0, shape->frames);
    return DCN_OK;
}

void
dcn_chunk_slot_release(struct dcn_chunk_slot *slot)
{
    if (slot != NULL)
        pthread_mutex_destroy(&slot->lock);
}

int
dcn_chunk_slot_new(struct dcn_chunk_slot **slot,
                   const struct dcn_slot_shape *shape, unsigned features,
                   struct dcn_error *err)
{
    size_t len;
    void *mem;
    int rc;

    if (slot == NULL || shape == NULL)
        return dcn_error_set(err, DCN_EINVAL, "chunk slot: NULL argument");
    *slot = NULL;
    len = dcn_chunk_slot_size(shape, features, 0);
    if (len == 0)
        return dcn_error_set(err, DCN_ERANGE, "chunk slot: shape too large");
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
               -1, 0);
    if (mem == MAP_FAILED)
        return dcn_error_set(err, DCN_ENOMEM,
                             "chunk slot: cannot map %zu bytes of shared "
                             "memory",
                             len);
    rc = dcn_chunk_slot_init(mem, shape, features, 0, err);
    if (rc < 0) {
        munmap(mem, len);
        return rc;
    }
    ((struct dcn_chunk_slot *)mem)->mapping_len = len;
    *slot = mem;
    return DCN_OK;
}

void
dcn_chunk_slot_free(struct dcn_chunk_slot *slot)
{
    size_t len;

    if (slot == NULL)
        return;
    len = slot->mapping_len;
    dcn_chunk_slot_release(slot);
    if (len > 0)
        munmap(slot, len);
}

static uint8_t *
slot_bytes(struct dcn_chunk_slot *slot, size_t off)
{
    return off == 0 ? NULL : (uint8_t *)slot + off;
}

/* Lock the slot; a lock left behind by a dead process fails the run. */
static int
slot_lock(struct dcn_chunk_slot *slot)
{
    int rc = pthread_mutex_lock(&slot->lock);

    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(&slot->lock);
        pthread_mutex_unlock(&slot->lock);
        return DCN_EWORKER;
    }
    return rc == 0 ? DCN_OK : DCN_EWORKER;
}

static void
slot_unlock(struct dcn_chunk_slot *slot)
{
    pthread_mutex_unlock(&slot->lock);
}

enum dcn_slot_state
dcn_slot_state_next(enum dcn_slot_state state)
{
    static const char cycle[] = "0ismlewdi";
    const char *at = state == DCN_STATE_NONE || state == 0
                             ? NULL
                             : memchr(cycle, (char)state, sizeof(cycle) - 2);

    return at == NULL ? DCN_STATE_NONE : (enum dcn_slot_state)at[1];
}

bool
dcn_slot_state_valid(int c)
{
    return c != 0 && strchr("0ismlewdn", c) != NULL;
}

struct dcn_slot_shape
dcn_chunk_slot_shape(const struct dcn_chunk_slot *slot)
{
    return slot->shape;
}

size_t
dcn_chunk_slot_length(const struct dcn_chunk_slot *slot)
{
    return slot->shape.frames;
}

unsigned
dcn_chunk_slot_features(const struct dcn_chunk_slot *slot)
{
    return slot->features;
}

int64_t
dcn_chunk_slot_chunk(struct dcn_chunk_slot *slot)
{
    int64_t chunk = -1;

    if (slot_lock(slot) == DCN_OK) {
        chunk = slot->chunk;
        slot_unlock(slot);
    }
    return chunk;
}

int
dcn_chunk_slot_set_chunk(struct dcn_chunk_slot *slot, int64_t chunk)
{
    int rc = slot_lock(slot);

    if (rc < 0)
        return rc;
    slot->chunk = chunk;
    slot_unlock(slot);
    return DCN_OK;
}

/* Changing the state resets the progress; setting the same one does not. */
static void
set_state_locked(struct dcn_chunk_slot *slot, enum dcn_slot_state state)
{
    if (slot->state == (char)state)
        return;
    slot->state = (char)state;
    memset(slot_bytes(slot, slot->done_off), 0, slot->shape.frames);
    slot->ndone = 0;
}

enum dcn_slot_state
dcn_chunk_slot_state(struct dcn_chunk_slot *slot)
{
    enum dcn_slot_state state = DCN_STATE_NONE;

    if (slot_lock(slot) == DCN_OK) {
        state = (enum dcn_slot_state)slot->state;
        slot_unlock(slot);
    }
    return state;
}

int
dcn_chunk_slot_set_state(struct dcn_chunk_slot *slot, enum dcn_slot_state state)
{
    int rc;

    if (!dcn_slot_state_valid((int)state))
        return DCN_EINVAL;
    rc = slot_lock(slot);
    if (rc < 0)
        return rc;
    set_state_locked(slot, state);
    slot_unlock(slot);
    return DCN_OK;
}

uint8_t *
dcn_chunk_slot_image(struct dcn_chunk_slot *slot)
{
    return slot_bytes(slot, slot->image_off);
}

uint8_t *
dcn_chunk_slot_image_bg(struct dcn_chunk_slot *slot)
{
    return slot_bytes(slot, slot->image_bg_off);
}

int16_t *
dcn_chunk_slot_image_corr(struct dcn_chunk_slot *slot)
{
    return (int16_t *)(void *)slot_bytes(slot, slot->image_corr_off);
}

double *
dcn_chunk_slot_bg_off(struct dcn_chunk_slot *slot)
{
    return (double *)(void *)slot_bytes(slot, slot->bg_off_off);
}

bool *
dcn_chunk_slot_mask(struct dcn_chunk_slot *slot)
{
    return (bool *)(void *)slot_bytes(slot, slot->mask_off);
}

uint16_t *
dcn_chunk_slot_labels(struct dcn_chunk_slot *slot)
{
    return (uint16_t *)(void *)slot_bytes(slot, slot->labels_off);
}

void *
dcn_chunk_slot_extra(struct dcn_chunk_slot *slot)
{
    return slot_bytes(slot, slot->extra_off);
}

int
dcn_chunk_slot_acquire_task_lock(struct dcn_chunk_slot *slot,
                                 enum dcn_slot_state req_state,
                                 size_t batch_size, size_t *start, size_t *stop)
{
    uint8_t *reserved = slot_bytes(slot, slot->reserved_off);
    const uint8_t *done = slot_bytes(slot, slot->done_off);
    size_t len = slot->shape.frames;
    size_t first = 0;
    size_t end;
    int rc = slot_lock(slot);

    *start = 0;
    *stop = 0;
    if (rc < 0)
        return rc;
    if (slot->state == (char)req_state) {
        while (first < len && (reserved[first] || done[first]))
            first++;
        end = first;
        while (end < len && !reserved[end] && !done[end] &&
               (batch_size == DCN_BATCH_ALL || end - first < batch_size))
            reserved[end++] = 1;
        if (end > first) {
            *start = first;
            *stop = end;
            slot->nreserved += end - first;
        }
    }
    slot_unlock(slot);
    return DCN_OK;
}

static void
release_locked(struct dcn_chunk_slot *slot, size_t start, size_t stop,
               bool task_done)
{
    uint8_t *reserved = slot_bytes(slot, slot->reserved_off);
    uint8_t *done = slot_bytes(slot, slot->done_off);

    for (size_t k = start; k < stop; k++) {
        if (task_done && !done[k]) {
            done[k] = 1;
            slot->ndone++;
        }
        if (reserved[k]) {
            reserved[k] = 0;
            slot->nreserved--;
        }
    }
}

int
dcn_chunk_slot_release_task_lock(struct dcn_chunk_slot *slot, size_t start,
                                 size_t stop, bool task_done)
{
    int rc;

    if (start > stop || stop > slot->shape.frames)
        return DCN_EINVAL;
    rc = slot_lock(slot);
    if (rc < 0)
        return rc;
    release_locked(slot, start, stop, task_done);
    slot_unlock(slot);
    return DCN_OK;
}

int
dcn_chunk_slot_finish_task(struct dcn_chunk_slot *slot, size_t start,
                           size_t stop, bool task_done,
                           enum dcn_slot_state next_state, bool *advanced)
{
    int rc;

    *advanced = false;
    if (start > stop || stop > slot->shape.frames ||
        !dcn_slot_state_valid((int)next_state))
        return DCN_EINVAL;
    rc = slot_lock(slot);
    if (rc < 0)
        return rc;
    release_locked(slot, start, stop, task_done);
    if (slot->shape.frames > 0 && slot->ndone == slot->shape.frames) {
        set_state_locked(slot, next_state);
        *advanced = true;
    }
    slot_unlock(slot);
    return DCN_OK;
}

int
dcn_chunk_slot_get_progress(struct dcn_chunk_slot *slot, double *progress)
{
    int rc = slot_lock(slot);

    if (rc < 0)
        return rc;
    *progress = slot->shape.frames == 0
                        ? 1.0
                        : (double)slot->ndone / (double)slot->shape.frames;
    slot_unlock(slot);
    return DCN_OK;
}

int
dcn_chunk_slot_status(struct dcn_chunk_slot *slot,
                      struct dcn_slot_status *status)
{
    int rc = slot_lock(slot);

    if (rc < 0)
        return rc;
    status->state = (enum dcn_slot_state)slot->state;
    status->chunk = slot->chunk;
    status->ndone = slot->ndone;
    status->nreserved = slot->nreserved;
    slot_unlock(slot);
    return DCN_OK;
}
