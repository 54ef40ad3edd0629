/* SPDX-License-Identifier: MIT */
/*
 * synth_run.c - dcn_synth_write(): generate, encode and store a synthetic
 * recording in constant memory.
 *
 * The main thread owns the scene generator and every HDF5 call.  It cuts
 * the recording into image chunks (dcnum's chunk length), fills the
 * scenes of up to njobs chunks ahead into a ring of jobs, and workers
 * (threads - 1 of them, plus the main thread while it waits) render and
 * encode whole chunks: zstd + Fletcher32, as HDF5 would store them.  The
 * main thread stores encoded chunks strictly in order with
 * H5Dwrite_chunk.  Rendering is a pure function of the scene, so the
 * bytes do not depend on the number of threads.
 *
 * Locking: one mutex guards next_claim, ready_end, quit, the job states
 * and the error record; a job's buffers belong to the main thread while
 * it is FREE or DONE and to the worker that claimed it while it is BUSY.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dcnumc/dcnumc.h"
#include "dcnumc/synth.h"
#include "synth_scene.h"
#include "synth_write.h"

enum job_state {
    JOB_FREE,
    JOB_READY,
    JOB_BUSY,
    JOB_DONE
};

struct job {
    enum job_state state; /* guarded by run.lock */
    size_t nframes;       /* owned by the holder (see file comment) */
    struct dcn__synth_scene *scenes; /* chunk_frames, owned by the holder */
    uint8_t *raw;                    /* chunk_frames * npix bytes */
    uint8_t *enc;                    /* enc_cap bytes */
    size_t enc_cap;
    size_t enc_len;
};

struct worker {
    struct run *run;                /* immutable */
    struct dcn__synth_encoder *enc; /* private */
    float *scratch;                 /* private */
    pthread_t tid;
    bool started;
};

struct run {
    pthread_mutex_t lock;
    pthread_cond_t cond;                  /* every job change broadcasts */
    const struct dcn__synth_model *model; /* immutable while running */
    int level;                            /* immutable */
    size_t chunk_frames;                  /* immutable */
    size_t npix;                          /* immutable */
    struct job *jobs;                     /* immutable array */
    size_t njobs;                         /* immutable */
    uint64_t next_claim;                  /* guarded by lock */
    uint64_t ready_end;                   /* guarded by lock */
    bool quit;                            /* guarded by lock */
    struct dcn_error err;                 /* guarded by lock */
};

uint32_t
dcn_synth_chunk_frames(uint32_t height, uint32_t width)
{
    uint64_t per = (uint64_t)height * width;
    uint64_t c = per == 0 ? 1000 : (UINT64_C(1) << 20) / per;

    return (uint32_t)(c < 10 ? 10 : c > 1000 ? 1000 : c);
}

/* Render and encode one chunk; the tail beyond nframes stays zero. */
static int
process_job(struct worker *w, struct job *job, struct dcn_error *err)
{
    struct run *run = w->run;
    struct dcn__synth_chunk dst = {job->enc, job->enc_cap, 0};
    int rc;

    for (size_t i = 0; i < job->nframes; i++)
        dcn__synth_render(run->model, &job->scenes[i], job->raw + i * run->npix,
                          w->scratch);
    rc = dcn__synth_encode(w->enc, &dst, job->raw,
                           run->chunk_frames * run->npix, err);
    job->enc_len = dst.len;
    return rc;
}

/* Claim and process one ready job; called and returns with lock held. */
static void
work_one(struct worker *w)
{
    struct run *run = w->run;
    struct job *job = &run->jobs[run->next_claim++ % run->njobs];
    struct dcn_error err = DCN_ERROR_INIT;
    int rc;

    job->state = JOB_BUSY;
    pthread_mutex_unlock(&run->lock);
    rc = process_job(w, job, &err);
    pthread_mutex_lock(&run->lock);
    if (rc < 0) {
        dcn_error_set(&run->err, rc, "%s", err.msg);
        run->quit = true;
    } else {
        job->state = JOB_DONE;
    }
    pthread_cond_broadcast(&run->cond);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;

    pthread_mutex_lock(&run->lock);
    for (;;) {
        while (!run->quit && run->next_claim >= run->ready_end)
            pthread_cond_wait(&run->cond, &run->lock);
        if (run->quit)
            break;
        work_one(w);
    }
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/* ---- setup ------------------------------------------------------------ */

static int
worker_init(struct worker *w, struct run *run, struct dcn_error *err)
{
    w->run = run;
    w->scratch = dcn__mallocarray(dcn__synth_scratch_size(run->model),
                                  sizeof(float));
    if (w->scratch == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory (scratch)");
    return dcn__synth_encoder_new(&w->enc, run->level, err);
}

static void
worker_release(struct worker *w)
{
    dcn__synth_encoder_free(w->enc);
    dcn__free(w->scratch);
}

static int
jobs_init(struct run *run, struct dcn_error *err)
{
    size_t raw = run->chunk_frames * run->npix;

    run->jobs = dcn__calloc(run->njobs, sizeof(*run->jobs));
    if (run->jobs == NULL)
        goto nomem;
    for (size_t i = 0; i < run->njobs; i++) {
        struct job *job = &run->jobs[i];

        job->enc_cap = dcn__synth_encode_bound(raw);
        job->scenes = dcn__calloc(run->chunk_frames, sizeof(*job->scenes));
        job->raw = dcn__calloc(raw, 1);
        job->enc = dcn__malloc(job->enc_cap);
        if (job->scenes == NULL || job->raw == NULL || job->enc == NULL)
            goto nomem;
    }
    return DCN_OK;
nomem:
    return dcn_error_set(err, DCN_ENOMEM, "out of memory (chunk buffers)");
}

static void
jobs_release(struct run *run)
{
    for (size_t i = 0; run->jobs != NULL && i < run->njobs; i++) {
        dcn__free(run->jobs[i].scenes);
        dcn__free(run->jobs[i].raw);
        dcn__free(run->jobs[i].enc);
    }
    dcn__free(run->jobs);
}

static unsigned
default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

/* ---- metadata --------------------------------------------------------- */

/*
 * Python's repr() of a float: the shortest digits that read back as v,
 * positional for decimal exponents -4..15 with ".0" for integral values,
 * scientific otherwise (C locale; the library never calls setlocale).
 */
static void
fmt_double(char *buf, size_t len, double v)
{
    int prec = 1;
    int exp10;

    for (; prec < 17; prec++) {
        (void)snprintf(buf, len, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    (void)snprintf(buf, len, "%.*e", prec - 1, v);
    exp10 = (int)strtol(strchr(buf, 'e') + 1, NULL, 10);
    if (v != v || exp10 < -4 || exp10 >= 16) {
        (void)snprintf(buf, len, "%.*g", prec, v);
        return;
    }
    (void)snprintf(buf, len, "%.*f",
                   prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, v);
    if (strchr(buf, '.') == NULL && strlen(buf) + 3 <= len)
        memcpy(buf + strlen(buf), ".0", 3);
}

enum {
    LOG_LINES = 32,
    LOG_LINE_MAX = 96
};

/* The generator log: JSON with sorted keys and an indent of 1, split into
 * lines, like Python's json.dumps(params, indent=1, sort_keys=True).
 * Returns the number of lines (<= LOG_LINES). */
static size_t
make_log(char (*lines)[LOG_LINE_MAX], const struct dcn_synth_params *p,
         uint32_t chunk_frames, uint64_t cells_visible)
{
    char d[12][40];
    int n = 0;

    fmt_double(d[0], sizeof(d[0]), p->bg_level);
    fmt_double(d[1], sizeof(d[1]), p->bright_fraction);
    for (int i = 0; i < 4; i++)
        fmt_double(d[2 + i], sizeof(d[2]), p->cell_probs[i]);
    fmt_double(d[6], sizeof(d[6]), p->duplicate_frac);
    fmt_double(d[7], sizeof(d[7]), p->flicker);
    fmt_double(d[8], sizeof(d[8]), p->frame_rate);
    fmt_double(d[9], sizeof(d[9]), p->mean_frame_gap);
    fmt_double(d[10], sizeof(d[10]), p->pixel_size);
    fmt_double(d[11], sizeof(d[11]), p->read_noise);
#define LINE(...) (void)snprintf(lines[n++], LOG_LINE_MAX, __VA_ARGS__)
    LINE("{");
    LINE(" \"bg_level\": %s,", d[0]);
    LINE(" \"bright_fraction\": %s,", d[1]);
    LINE(" \"cell_probs\": [");
    for (int i = 0; i < 4; i++)
        LINE("  %s%s", d[2 + i], i < 3 ? "," : "");
    LINE(" ],");
    LINE(" \"chunk_frames\": %u,", (unsigned)chunk_frames);
    if (p->compression > 0)
        LINE(" \"compression\": \"zstd-%d\",", p->compression);
    else
        LINE(" \"compression\": \"none\",");
    LINE(" \"duplicate_fraction\": %s,", d[6]);
    LINE(" \"first_frame\": %llu,", (unsigned long long)p->first_frame);
    LINE(" \"flicker\": %s,", d[7]);
    LINE(" \"frame_rate\": %s,", d[8]);
    LINE(" \"frames\": %llu,", (unsigned long long)p->frames);
    LINE(" \"generator\": \"dcnumc synth\",");
    LINE(" \"generator version\": \"%s\",", dcn_version());
    LINE(" \"height\": %u,", (unsigned)p->height);
    LINE(" \"mean_frame_gap\": %s,", d[9]);
    LINE(" \"no_fletcher32\": false,");
    LINE(" \"pixel_size\": %s,", d[10]);
    LINE(" \"read_noise\": %s,", d[11]);
    LINE(" \"seed\": %llu,", (unsigned long long)p->seed);
    fmt_double(d[0], sizeof(d[0]), p->shot_noise);
    LINE(" \"shot_noise\": %s,", d[0]);
    LINE(" \"true cells visible (sum)\": %llu,",
         (unsigned long long)cells_visible);
    LINE(" \"width\": %u", (unsigned)p->width);
    LINE("}");
#undef LINE
    assert(n <= LOG_LINES);
    return (size_t)n;
}

#define NATTRS 27

/* The root attributes into a[NATTRS]; returns how many. */
static size_t
make_attrs(struct dcn__attr *a, const struct dcn_synth_params *p, char *sample,
           char *ident, size_t len)
{
    size_t n = 0;

    (void)snprintf(sample, len, "synthetic-seed%llu",
                   (unsigned long long)p->seed);
    (void)snprintf(ident, len, "SYNTH-%llu-%llu-%ux%u",
                   (unsigned long long)p->seed, (unsigned long long)p->frames,
                   (unsigned)p->height, (unsigned)p->width);
#define S(k, v) a[n++] = (struct dcn__attr){k, DCN__ATTR_STR, v, 0, 0}
#define I(k, v)                      \
    a[n++] = (struct dcn__attr)      \
    {                                \
        k, DCN__ATTR_I64, NULL, v, 0 \
    }
#define F(k, v)                      \
    a[n++] = (struct dcn__attr)      \
    {                                \
        k, DCN__ATTR_F64, NULL, 0, v \
    }
    S("experiment:date", "2024-01-01");
    I("experiment:event count", (int64_t)p->frames);
    I("experiment:run index", 1);
    S("experiment:sample", sample);
    S("experiment:time", "12:00:00");
    S("imaging:flash device", "LED (synthetic)");
    F("imaging:flash duration", 2.0);
    F("imaging:frame rate", p->frame_rate);
    F("imaging:pixel size", p->pixel_size);
    I("imaging:roi position x", 0);
    I("imaging:roi position y", 0);
    I("imaging:roi size x", p->width);
    I("imaging:roi size y", p->height);
    I("online_contour:bin area min", 10);
    I("online_contour:bin kernel", 5);
    I("online_contour:bin threshold", 6);
    I("online_contour:image blur", 0);
    a[n++] = (struct dcn__attr){"online_contour:no absdiff", DCN__ATTR_BOOL,
                                NULL, 1, 0};
    F("setup:channel width", 20.0);
    S("setup:chip region", "channel");
    F("setup:flow rate", 0.06);
    F("setup:flow rate sample", 0.015);
    F("setup:flow rate sheath", 0.045);
    S("setup:identifier", ident);
    S("setup:medium", "CellCarrierB");
    S("setup:module composition", "Synthetic");
    S("setup:software version", "dcnumc synth");
#undef S
#undef I
#undef F
    assert(n == NATTRS);
    return n;
}

/* ---- the main thread -------------------------------------------------- */

/* Generate the scenes of chunk c into its (free) job; count the cells. */
static void
fill_job(struct run *run, struct dcn__synth_state *st, uint64_t c,
         uint64_t frames, uint64_t *cells)
{
    struct job *job = &run->jobs[c % run->njobs];
    uint64_t first = c * run->chunk_frames;
    uint64_t left = frames - first;

    job->nframes = left < run->chunk_frames ? (size_t)left : run->chunk_frames;
    for (size_t i = 0; i < job->nframes; i++) {
        dcn__synth_next_scene(st, &job->scenes[i]);
        *cells += job->scenes[i].ncells;
    }
    /* The tail of a short last chunk is zero padding (format.md §4.5). */
    if (job->nframes < run->chunk_frames)
        memset(job->raw + job->nframes * run->npix, 0,
               (run->chunk_frames - job->nframes) * run->npix);
    pthread_mutex_lock(&run->lock);
    assert(job->state == JOB_FREE);
    job->state = JOB_READY;
    run->ready_end = c + 1;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

/* Wait until job is done, processing ready jobs meanwhile.  Returns
 * false if the run stopped on an error. */
static bool
wait_done(struct run *run, struct worker *self, struct job *job)
{
    bool ok;

    pthread_mutex_lock(&run->lock);
    while (!run->quit && job->state != JOB_DONE) {
        if (run->next_claim < run->ready_end)
            work_one(self);
        else
            pthread_cond_wait(&run->cond, &run->lock);
    }
    ok = !run->quit;
    pthread_mutex_unlock(&run->lock);
    return ok;
}

struct produce_ctx {
    const char *path; /* the output, for messages */
    struct run *run;
    struct worker *self;
    struct dcn__synth_state *state;
    struct dcn__synth_file *file;
    uint64_t frames;
    uint64_t *frame_buf;
    double *time_buf;
    uint64_t cells; /* cells visible, summed over frames */
};

/* Store the encoded chunk c and its frame numbers and times. */
static int
store_job(struct produce_ctx *ctx, struct job *job, uint64_t c,
          struct dcn_error *err)
{
    int rc = dcn__synth_file_write_chunk(ctx->file, c, job->enc, job->enc_len,
                                         err);

    for (size_t i = 0; i < job->nframes; i++) {
        ctx->frame_buf[i] = job->scenes[i].frame;
        ctx->time_buf[i] = job->scenes[i].time;
    }
    if (rc == DCN_OK)
        rc = dcn__synth_file_write_frames(ctx->file, c * ctx->run->chunk_frames,
                                          ctx->frame_buf, ctx->time_buf,
                                          job->nframes, err);
    pthread_mutex_lock(&ctx->run->lock);
    job->state = JOB_FREE;
    pthread_mutex_unlock(&ctx->run->lock);
    return rc;
}

static int
produce(struct produce_ctx *ctx, struct dcn_error *err)
{
    struct run *run = ctx->run;
    uint64_t nchunks =
            (ctx->frames + run->chunk_frames - 1) / run->chunk_frames;
    uint64_t next_gen = 0;

    for (uint64_t c = 0; c < nchunks; c++) {
        struct job *job = &run->jobs[c % run->njobs];
        int rc;

        while (next_gen < nchunks && next_gen < c + run->njobs)
            fill_job(run, ctx->state, next_gen++, ctx->frames, &ctx->cells);
        if (!wait_done(run, ctx->self, job))
            return dcn_error_set(err, run->err.code, "%s: %s", ctx->path,
                                 run->err.msg);
        rc = store_job(ctx, job, c, err);
        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

static void
stop_workers(struct run *run, struct worker *workers, unsigned n)
{
    pthread_mutex_lock(&run->lock);
    run->quit = true;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
    for (unsigned i = 0; i < n; i++)
        if (workers[i].started)
            pthread_join(workers[i].tid, NULL);
}

static int
start_workers(struct worker *workers, unsigned n, struct dcn_error *err)
{
    for (unsigned i = 1; i < n; i++) {
        if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]))
            return dcn_error_set(err, DCN_ENOMEM,
                                 "cannot start an encoder thread");
        workers[i].started = true;
    }
    return DCN_OK;
}

/* Write the file whose generator, run and workers are set up. */
static int
write_file(const char *path, const struct dcn_synth_params *p,
           struct produce_ctx *ctx, unsigned nworkers, struct dcn_error *err)
{
    struct dcn__synth_layout lay = {
            p->frames,      p->height,
            p->width,       (uint32_t)ctx->run->chunk_frames,
            p->compression, p->force};
    struct dcn__attr attrs[NATTRS];
    char sample[64];
    char ident[96];
    size_t nattrs = make_attrs(attrs, p, sample, ident, sizeof(sample));
    char lines[LOG_LINES][LOG_LINE_MAX];
    const char *line_ptrs[LOG_LINES];
    size_t nlines;
    int rc;

    rc = dcn__synth_file_create(&ctx->file, path, &lay, attrs, nattrs, err);
    if (rc == DCN_OK)
        rc = start_workers(ctx->self, nworkers, err);
    if (rc == DCN_OK)
        rc = produce(ctx, err);
    stop_workers(ctx->run, ctx->self, nworkers);
    if (rc < 0)
        return rc;
    nlines = make_log(lines, p, (uint32_t)ctx->run->chunk_frames, ctx->cells);
    for (size_t i = 0; i < nlines; i++)
        line_ptrs[i] = lines[i];
    return dcn__synth_file_finish(ctx->file, "synthetic-generator", line_ptrs,
                                  nlines, err);
}

int
dcn_synth_write(const char *path, const struct dcn_synth_params *params,
                struct dcn_error *err)
{
    struct run run = {.err = DCN_ERROR_INIT};
    struct produce_ctx ctx = {.path = path, .run = &run};
    struct worker *workers = NULL;
    unsigned n = 0;
    int rc;

    if (path == NULL || params == NULL || path[0] == '\0')
        return dcn_error_set(err, DCN_EINVAL, "dcn_synth_write: no path");
    rc = dcn__synth_params_check(params, path, err);
    if (rc < 0)
        return rc;
    rc = dcn__synth_new(&ctx.state, params, err);
    if (rc < 0)
        goto out;
    n = params->threads ? params->threads : default_threads();
    run.model = dcn__synth_model(ctx.state);
    run.level = params->compression;
    run.chunk_frames = dcn_synth_chunk_frames(params->height, params->width);
    run.npix = (size_t)params->height * params->width;
    /* One chunk per thread in flight, one being stored, one being filled:
     * memory is (threads + 3) * 2 chunks, whatever the frame count. */
    run.njobs = (size_t)n + 3;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);
    ctx.frames = params->frames;
    workers = dcn__calloc(n, sizeof(*workers));
    ctx.frame_buf = dcn__calloc(run.chunk_frames, sizeof(uint64_t));
    ctx.time_buf = dcn__calloc(run.chunk_frames, sizeof(double));
    if (workers == NULL || ctx.frame_buf == NULL || ctx.time_buf == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    ctx.self = workers;
    rc = jobs_init(&run, err);
    for (unsigned i = 0; i < n && rc == DCN_OK; i++)
        rc = worker_init(&workers[i], &run, err);
    if (rc == DCN_OK)
        rc = write_file(path, params, &ctx, n, err);
out:
    dcn__synth_file_free(ctx.file);
    for (unsigned i = 0; workers != NULL && i < n; i++)
        worker_release(&workers[i]);
    dcn__free(workers);
    dcn__free(ctx.frame_buf);
    dcn__free(ctx.time_buf);
    jobs_release(&run);
    if (ctx.state != NULL) {
        pthread_cond_destroy(&run.cond);
        pthread_mutex_destroy(&run.lock);
    }
    dcn__synth_free(ctx.state);
    return rc;
}
