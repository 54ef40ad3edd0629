/* SPDX-License-Identifier: MIT */
/*
 * run_background.c - the sparse median background, computed before the
 * slot cycle over the whole (unmapped) input (numerics.md §2.1).
 *
 * The main thread reads each step's window of K frames; a short-lived
 * pool of threads splits the median over pixel ranges (the median is the
 * expensive part).  The pool is joined before the slot cycle starts, so
 * worker processes can still be forked from a single-threaded process.
 * The result (kept images, frame -> image index, per-image means of rows
 * 0..19 and medians) goes into the register's shared memory later; bg_off
 * of each frame is computed by the workers in state 'i' from these
 * means, so no extra pass over the frames is needed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "background.h"
#include "run_internal.h"

/* Work of one median thread: pixels [p0, p1) of the current window. */
struct median_job {
    uint8_t *dst;
    const uint8_t *const *frames;
    size_t k, p0, p1;
    void *scratch;
};

static void *
median_thread(void *arg)
{
    struct median_job *j = arg;

    dcn_bg_median(j->dst, j->frames, j->k, j->p0, j->p1, j->scratch);
    return NULL;
}

/* Median of k frames into dst, split over n threads. */
static void
parallel_median(uint8_t *dst, const uint8_t *const *frames, size_t k,
                size_t npix, struct median_job *jobs, size_t n)
{
    pthread_t th[64];
    size_t per = (npix + n - 1) / n;

    per = (per + 31) / 32 * 32; /* whole 32-pixel blocks per thread */
    for (size_t i = 0; i < n; i++) {
        jobs[i].dst = dst;
        jobs[i].frames = frames;
        jobs[i].k = k;
        jobs[i].p0 = i * per < npix ? i * per : npix;
        jobs[i].p1 = (i + 1) * per < npix ? (i + 1) * per : npix;
        if (i > 0)
            pthread_create(&th[i], NULL, median_thread, &jobs[i]);
    }
    median_thread(&jobs[0]);
    for (size_t i = 1; i < n; i++)
        pthread_join(th[i], NULL);
}

/* The time axis of §2.1 from the input's time, frame and frame rate. */
static int
time_axis(struct dcn_run *run, struct dcn_rtdc *raw, struct dcn_bg_time *tm,
          double *t, double *scratch)
{
    struct dcn_bg_time_input in;
    struct dcn_dtype dt;
    double fr = dcn_rtdc_frame_rate(raw);
    size_t n = dcn_rtdc_len(raw);
    int rc = DCN_OK;

    memset(&in, 0, sizeof(in));
    if (fr > 0)
        in.frame_rate = &fr;
    if (dcn_rtdc_has_feature(raw, "time")) {
        rc = dcn_rtdc_scalar_read_f64(raw, "time", 0, n, scratch, &run->err);
        in.time = scratch;
        if (rc == DCN_OK &&
            dcn_rtdc_scalar_dtype(raw, "time", &dt, &run->err) == DCN_OK)
            in.time_f32 = dt.cls == DCN_DTYPE_FLOAT && dt.size == 4;
    } else if (dcn_rtdc_has_feature(raw, "frame")) {
        rc = dcn_rtdc_scalar_read_f64(raw, "frame", 0, n, scratch, &run->err);
        in.frame = scratch;
        if (rc == DCN_OK &&
            dcn_rtdc_scalar_dtype(raw, "frame", &dt, &run->err) == DCN_OK)
            in.frame_f32 = dt.cls == DCN_DTYPE_FLOAT && dt.size == 4;
    }
    if (rc < 0)
        return rc;
    tm->t = t;
    tm->n = n;
    return dcn_bg_time_axis(tm, &in, &run->err);
}

struct sparsemed_work {
    struct dcn_bg_time tm;
    double *t, *tscratch, *step_times;
    size_t *win_start;
    size_t m, k;
    uint8_t *images; /* m * npix */
    uint8_t *window; /* k * npix */
    const uint8_t **frames;
    bool *used;
    struct median_job jobs[64];
};

static void
sparsemed_work_release(struct sparsemed_work *s, size_t nthreads)
{
    dcn__free(s->t);
    dcn__free(s->tscratch);
    dcn__free(s->step_times);
    dcn__free(s->win_start);
    dcn__free(s->images);
    dcn__free(s->window);
    dcn__free(s->frames);
    dcn__free(s->used);
    for (size_t i = 0; i < nthreads; i++)
        dcn__free(s->jobs[i].scratch);
}

/* One median image per step window. */
static int
step_images(struct dcn_run *run, struct dcn_rtdc_image *im,
            struct sparsemed_work *s, size_t nthreads)
{
    size_t npix = run->height * run->width;

    for (size_t i = 0; i < s->m; i++) {
        int rc =
                dcn_rtdc_image_read(im, s->win_start[i], s->win_start[i] + s->k,
                                    s->window, &run->err);

        if (rc < 0)
            return rc;
        for (size_t f = 0; f < s->k; f++)
            s->frames[f] = s->window + f * npix;
        parallel_median(s->images + i * npix, s->frames, s->k, npix, s->jobs,
                        nthreads);
    }
    return DCN_OK;
}

/* Everything after the time axis, once the step count m is known. */
static int
alloc_steps(struct sparsemed_work *s, size_t npix, size_t nthreads)
{
    s->step_times = dcn__mallocarray(s->m, sizeof(double));
    s->win_start = dcn__mallocarray(s->m, sizeof(size_t));
    s->images = dcn__mallocarray(s->m, npix);
    s->window = dcn__mallocarray(s->k, npix);
    s->frames = dcn__mallocarray(s->k, sizeof(uint8_t *));
    s->used = dcn__calloc(s->m, sizeof(bool));
    for (size_t i = 0; i < nthreads; i++) {
        s->jobs[i].scratch = dcn__malloc(dcn_bg_median_scratch_size(s->k));
        if (s->jobs[i].scratch == NULL)
            return DCN_ENOMEM;
    }
    return s->step_times && s->win_start && s->images && s->window &&
                           s->frames && s->used
                   ? DCN_OK
                   : DCN_ENOMEM;
}

/* Keep the used images in run->bg and the frame -> image index. */
static int
keep_images(struct dcn_run *run, struct sparsemed_work *s, int64_t *bg_idx,
            uint8_t **kept)
{
    size_t npix = run->height * run->width;
    size_t n = 0;

    for (size_t i = 0; i < s->m; i++)
        n += s->used[i];
    *kept = dcn__mallocarray(n, npix);
    run->bg.mbg = dcn__mallocarray(n, sizeof(double));
    run->bg.median = dcn__mallocarray(n, sizeof(double));
    if (*kept == NULL || run->bg.mbg == NULL || run->bg.median == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < s->m; i++) {
        if (!s->used[i])
            continue;
        memcpy(*kept + n * npix, s->images + i * npix, npix);
        run->bg.mbg[n] =
                dcn_bg_top_mean(*kept + n * npix, run->height, run->width);
        run->bg.median[n] = dcn_features_median_u8(*kept + n * npix, npix);
        n++;
    }
    run->bg.nimages = n;
    dcn_sparsemed_assign(bg_idx, &s->tm, s->step_times, s->used, s->m,
                         run->resolved.sparsemed.split_time);
    return DCN_OK;
}

static void
sparsemed_opts(struct dcn_sparsemed_opts *o, const struct dcn_job *job)
{
    dcn_sparsemed_opts_default(o);
    o->kernel_size = (size_t)job->sparsemed.kernel_size;
    o->split_time = job->sparsemed.split_time;
    o->thresh_cleansing = job->sparsemed.thresh_cleansing;
    o->frac_cleansing = job->sparsemed.frac_cleansing;
    o->offset_correction = job->sparsemed.offset_correction;
}

/* Cleansing over the step images, then keep the used ones. */
static int
cleanse_and_keep(struct dcn_run *run, struct sparsemed_work *s, int64_t *bg_idx,
                 uint8_t **kept)
{
    struct dcn_sparsemed_opts o;
    struct dcn_bg_stack stack;
    const uint8_t **imgs = dcn__mallocarray(s->m, sizeof(uint8_t *));
    size_t nused = 0;
    int rc;

    if (imgs == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    sparsemed_opts(&o, &run->resolved);
    for (size_t i = 0; i < s->m; i++)
        imgs[i] = s->images + i * run->height * run->width;
    stack = (struct dcn_bg_stack){imgs, s->m, run->height, run->width};
    rc = dcn_sparsemed_cleanse(s->used, &nused, &stack, &o, &run->err);
    dcn__free(imgs);
    if (rc < 0)
        return rc;
    return keep_images(run, s, bg_idx, kept);
}

/*
 * The sparse median background of the unmapped input.  On success
 * *bg_idx (nraw entries) and *kept (run->bg.nimages images) are the
 * caller's to free with dcn__free().
 */
static int
sparsemed(struct dcn_run *run, struct dcn_rtdc *raw, int64_t **bg_idx,
          uint8_t **kept)
{
    struct sparsemed_work s;
    struct dcn_rtdc_image *im = NULL;
    size_t n = dcn_rtdc_len(raw);
    size_t npix = run->height * run->width;
    size_t nthreads = run->nworkers;
    int rc;

    memset(&s, 0, sizeof(s));
    *bg_idx = dcn__calloc(n == 0 ? 1 : n, sizeof(int64_t));
    if (*bg_idx == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    if (n == 0)
        return DCN_OK; /* D10: nothing to compute for no frames */
    rc = dcn_rtdc_image_open(raw, "image", &im, &run->err);
    s.k = dcn_sparsemed_kernel((size_t)run->resolved.sparsemed.kernel_size, n);
    s.t = dcn__mallocarray(n, sizeof(double));
    s.tscratch = dcn__mallocarray(n, sizeof(double));
    if (rc == DCN_OK && (s.t == NULL || s.tscratch == NULL))
        rc = dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    if (rc == DCN_OK)
        rc = time_axis(run, raw, &s.tm, s.t, s.tscratch);
    if (rc == DCN_OK) {
        s.m = dcn_sparsemed_nsteps(&s.tm, run->resolved.sparsemed.split_time);
        if (alloc_steps(&s, npix, nthreads) != DCN_OK)
            rc = dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    }
    if (rc == DCN_OK) {
        dcn_sparsemed_plan(s.step_times, s.win_start, s.m, &s.tm,
                           run->resolved.sparsemed.split_time, s.k);
        rc = step_images(run, im, &s, nthreads);
    }
    if (rc == DCN_OK)
        rc = cleanse_and_keep(run, &s, *bg_idx, kept);
    if (rc == DCN_OK)
        run_log(run, "INFO",
                "sparsemed background: %zu of %zu images kept, kernel %zu",
                run->bg.nimages, s.m, s.k);
    sparsemed_work_release(&s, nthreads);
    return rc;
}

/* The background is computed on the full, unmapped input (§1). */
static int
open_unmapped(struct dcn_run *run, struct dcn_rtdc **raw)
{
    struct dcn_rtdc_open_opts o;

    *raw = NULL;
    if (run->job->index_mapping.kind == DCN_MAPPING_NONE)
        return DCN_OK; /* the run's own reader is unmapped */
    memset(&o, 0, sizeof(o));
    o.pixel_size = run->resolved.pixel_size;
    return dcn_rtdc_open(raw, run->path_in, &o, &run->err);
}

int
run_background_compute(struct dcn_run *run)
{
    struct dcn_rtdc *own = NULL;
    int64_t *bg_idx = NULL;
    uint8_t *kept = NULL;
    int rc;

    if (run->bg.per_frame) /* copy, rollmed: the reader supplies it */
        return run_bgframes_open(run);
    rc = open_unmapped(run, &own);

    if (rc == DCN_OK)
        rc = sparsemed(run, own != NULL ? own : run->in, &bg_idx, &kept);
    dcn_rtdc_free(own);
    run->bg.bg_idx = bg_idx;
    run->bg.stack = kept;
    return rc;
}
