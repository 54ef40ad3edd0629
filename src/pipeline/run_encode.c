/* SPDX-License-Identifier: MIT */
/*
 * run_encode.c - parallel chunk encoding for the writer (style.md rule 35).
 *
 * Compressing per-event images and masks at zstd-5 costs far more than
 * writing them, so the writer thread must not do it alone.  Each image
 * dataset gets a ring of chunk buffers: the writer fills the current
 * buffer event by event, hands it to a pool of encoder threads when it is
 * full, and stores encoded buffers with H5Dwrite_chunk strictly in chunk
 * order, waiting for the oldest one only when it needs the buffer back.
 * Encoding is deterministic (one frame per chunk, fixed level), so the
 * file does not depend on which thread encoded what.
 *
 * Lock: pool->lock guards the queue and every buffer's state; buffer
 * contents belong to the writer while FILLING and to one encoder while
 * ENCODING.
 */
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "run_encode.h"

enum buf_state {
    BUF_FREE,
    BUF_FILLING,
    BUF_QUEUED,
    BUF_ENCODING,
    BUF_DONE
};

struct enc_buf {
    uint8_t *raw; /* chunk_len * event_bytes */
    uint8_t *enc; /* encode bound */
    size_t enc_len;
    struct dcn_chunk_acc acc;
    enum buf_state state; /* guarded by pool->lock */
    int rc;               /* guarded by pool->lock */
    struct enc_stream *owner;
    struct enc_buf *next_queued; /* guarded by pool->lock */
};

struct enc_stream {
    struct enc_pool *pool;
    struct dcn_wdset *ds;
    int level;      /* immutable */
    size_t raw_len; /* immutable: bytes of one raw chunk */
    size_t enc_cap; /* immutable: bytes of one encode buffer */
    size_t nbufs;
    struct enc_buf *bufs;
    size_t fill;   /* index of the buffer being filled */
    size_t oldest; /* index of the oldest buffer not yet written */
    uint64_t next_index;
};

struct enc_pool {
    pthread_mutex_t lock;
    pthread_cond_t queued;       /* a buffer was queued, or stop */
    pthread_cond_t done;         /* a buffer finished encoding */
    struct enc_buf *head, *tail; /* guarded by lock */
    bool stop;                   /* guarded by lock */
    size_t nthreads;
    pthread_t threads[64];
    struct dcn_chunk_encoder *encoders[64];
};

static struct enc_buf *
pop_queued(struct enc_pool *p)
{
    struct enc_buf *b;

    while (p->head == NULL && !p->stop)
        pthread_cond_wait(&p->queued, &p->lock);
    b = p->head;
    if (b != NULL) {
        p->head = b->next_queued;
        if (p->head == NULL)
            p->tail = NULL;
        b->state = BUF_ENCODING;
    }
    return b;
}

struct encoder_arg {
    struct enc_pool *pool;
    struct dcn_chunk_encoder *enc;
};

static void *
encoder_main(void *arg)
{
    struct encoder_arg *a = arg;
    struct enc_pool *p = a->pool;
    struct enc_buf *b;

    pthread_mutex_lock(&p->lock);
    while ((b = pop_queued(p)) != NULL) {
        const struct enc_stream *s = b->owner;
        int rc;

        pthread_mutex_unlock(&p->lock);
        rc = dcn__chunk_encode(a->enc, b->enc, s->enc_cap, &b->enc_len, b->raw,
                               s->raw_len, s->level, NULL);
        pthread_mutex_lock(&p->lock);
        b->rc = rc;
        b->state = BUF_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    dcn__free(a);
    return NULL;
}

int
enc_pool_start(struct enc_pool **out, size_t nthreads, struct dcn_error *err)
{
    struct enc_pool *p = dcn__calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->queued, NULL);
    pthread_cond_init(&p->done, NULL);
    nthreads = nthreads < 1 ? 1 : nthreads > 64 ? 64 : nthreads;
    for (; p->nthreads < nthreads; p->nthreads++) {
        struct encoder_arg *a = dcn__malloc(sizeof(*a));
        struct dcn_chunk_encoder *e = NULL;
        int rc = a == NULL ? DCN_ENOMEM : dcn__chunk_encoder_new(&e);

        if (rc == DCN_OK) {
            *a = (struct encoder_arg){p, e};
            if (pthread_create(&p->threads[p->nthreads], NULL, encoder_main,
                               a) != 0)
                rc = DCN_ENOMEM;
        }
        if (rc != DCN_OK) {
            dcn__free(a);
            dcn__chunk_encoder_free(e);
            enc_pool_stop(p);
            return dcn_error_set(err, DCN_ENOMEM,
                                 "cannot start encoder threads");
        }
        p->encoders[p->nthreads] = e;
    }
    *out = p;
    return DCN_OK;
}

void
enc_pool_stop(struct enc_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->queued);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++) {
        pthread_join(p->threads[i], NULL);
        dcn__chunk_encoder_free(p->encoders[i]);
    }
    pthread_cond_destroy(&p->queued);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    dcn__free(p);
}

/* A buffer's state, read under the pool lock. */
static enum buf_state
state_of(struct enc_stream *s, const struct enc_buf *b)
{
    enum buf_state st;

    pthread_mutex_lock(&s->pool->lock);
    st = b->state;
    pthread_mutex_unlock(&s->pool->lock);
    return st;
}

static void
set_state(struct enc_stream *s, struct enc_buf *b, enum buf_state st)
{
    pthread_mutex_lock(&s->pool->lock);
    b->state = st;
    pthread_mutex_unlock(&s->pool->lock);
}

/* Start filling the (free) buffer s->fill; no encoder touches it now. */
static void
start_filling(struct enc_stream *s)
{
    struct enc_buf *b = &s->bufs[s->fill];

    dcn__chunk_acc_init(&b->acc, b->raw, dcn__wdset_event_bytes(s->ds),
                        dcn__wdset_chunk_len(s->ds), s->next_index++);
    set_state(s, b, BUF_FILLING);
}

int
enc_stream_new(struct enc_stream **out, struct enc_pool *pool,
               struct dcn_wdset *ds, struct dcn_error *err)
{
    struct enc_stream *s = dcn__calloc(1, sizeof(*s));
    size_t raw_len = dcn__wdset_chunk_len(ds) * dcn__wdset_event_bytes(ds);

    *out = NULL;
    if (s == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    s->pool = pool;
    s->ds = ds;
    s->level = dcn__wdset_level(ds);
    s->raw_len = raw_len;
    s->enc_cap = dcn__chunk_encode_bound(raw_len, s->level);
    s->nbufs = 2 * pool->nthreads + 2;
    s->bufs = dcn__calloc(s->nbufs, sizeof(struct enc_buf));
    for (size_t i = 0; s->bufs != NULL && i < s->nbufs; i++) {
        s->bufs[i].raw = dcn__malloc(raw_len);
        s->bufs[i].enc = dcn__malloc(s->enc_cap);
        s->bufs[i].owner = s;
        if (s->bufs[i].raw == NULL || s->bufs[i].enc == NULL) {
            enc_stream_free(s);
            return dcn_error_set(err, DCN_ENOMEM, "out of memory");
        }
    }
    if (s->bufs == NULL) {
        enc_stream_free(s);
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    }
    start_filling(s);
    *out = s;
    return DCN_OK;
}

void
enc_stream_free(struct enc_stream *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->bufs != NULL && i < s->nbufs; i++) {
        dcn__free(s->bufs[i].raw);
        dcn__free(s->bufs[i].enc);
    }
    dcn__free(s->bufs);
    dcn__free(s);
}

/* Write the oldest buffer once it is encoded; it becomes free. */
static int
write_oldest(struct enc_stream *s, struct dcn_error *err)
{
    struct enc_pool *p = s->pool;
    struct enc_buf *b = &s->bufs[s->oldest];
    int rc;

    pthread_mutex_lock(&p->lock);
    while (b->state == BUF_QUEUED || b->state == BUF_ENCODING)
        pthread_cond_wait(&p->done, &p->lock);
    rc = b->rc;
    pthread_mutex_unlock(&p->lock);
    if (rc < 0)
        return dcn_error_set(err, rc, "cannot encode an output chunk");
    rc = dcn__wdset_write_chunk(s->ds, b->acc.index, b->acc.nevents, b->enc,
                                b->enc_len, err);
    set_state(s, b, BUF_FREE);
    s->oldest = (s->oldest + 1) % s->nbufs;
    return rc;
}

static void
queue_buffer(struct enc_stream *s, struct enc_buf *b)
{
    struct enc_pool *p = s->pool;

    pthread_mutex_lock(&p->lock);
    b->state = BUF_QUEUED;
    b->next_queued = NULL;
    if (p->tail != NULL)
        p->tail->next_queued = b;
    else
        p->head = b;
    p->tail = b;
    pthread_cond_signal(&p->queued);
    pthread_mutex_unlock(&p->lock);
}

/* Hand the full buffer to the encoders and start the next one. */
static int
advance(struct enc_stream *s, struct dcn_error *err)
{
    queue_buffer(s, &s->bufs[s->fill]);
    s->fill = (s->fill + 1) % s->nbufs;
    if (state_of(s, &s->bufs[s->fill]) != BUF_FREE) {
        int rc = write_oldest(s, err); /* the ring is full */

        if (rc < 0)
            return rc;
    }
    start_filling(s);
    return DCN_OK;
}

uint8_t *
enc_stream_row(struct enc_stream *s)
{
    return dcn__chunk_acc_next_row(&s->bufs[s->fill].acc);
}

int
enc_stream_commit(struct enc_stream *s, struct dcn_error *err)
{
    struct dcn_chunk_acc *acc = &s->bufs[s->fill].acc;

    dcn__chunk_acc_commit(acc, 1);
    return dcn__chunk_acc_full(acc) ? advance(s, err) : DCN_OK;
}

int
enc_stream_append(struct enc_stream *s, const void *event,
                  struct dcn_error *err)
{
    memcpy(enc_stream_row(s), event, s->bufs[s->fill].acc.event_bytes);
    return enc_stream_commit(s, err);
}

int
enc_stream_finish(struct enc_stream *s, struct dcn_error *err)
{
    struct enc_buf *b = &s->bufs[s->fill];
    int rc = DCN_OK;

    if (b->acc.nevents > 0) {
        dcn__chunk_acc_pad(&b->acc);
        queue_buffer(s, b);
        s->fill = (s->fill + 1) % s->nbufs;
    } else {
        set_state(s, b, BUF_FREE);
    }
    while (rc == DCN_OK && state_of(s, &s->bufs[s->oldest]) != BUF_FREE)
        rc = write_oldest(s, err);
    return rc;
}
