/* SPDX-License-Identifier: MIT */
/*
 * run_workers.c - the workers of a run and their tasks, one per state.
 *
 * A worker (thread or forked process) loops: take a batch of frames from
 * the lowest-chunk slot of the most downstream state that has work
 * (e, l, m, s, i), run the stage on it, finish the task; wait for a
 * change when there is nothing to do.  Batches: the input's chunk length
 * for 'i' (each stored chunk is decoded once), 10 frames otherwise
 * (batch sizes never change results).  A failing task records its error
 * in the register, which stops the whole run (D7).
 *
 * Per-worker scratch (decoder, labeling, label processing, features,
 * private event buffer) is allocated once when the worker starts, after
 * fork(); nothing is allocated per frame.
 */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "background.h"
#include "label.h"
#include "run_internal.h"
#include "segment.h"

#define WORK_BATCH   10
#define LOCAL_EVENTS 4096 /* events one frame may yield */

struct worker {
    struct dcn_run *run;
    size_t index;
    void *decode_scratch;
    size_t decode_cap;
    void *label_scratch;
    void *process_scratch;
    struct dcn_features_scratch *feat_scratch;
    struct dcn_event *events; /* LOCAL_EVENTS */
    struct run_torch_worker torch;
    struct dcn_error err;
};

static int
worker_init(struct worker *wk, struct dcn_run *run, size_t index)
{
    size_t w = run->width, h = run->height;

    memset(wk, 0, sizeof(*wk));
    wk->run = run;
    wk->index = index;
    wk->decode_cap = dcn_rtdc_image_decode_scratch_size(
            dcn_rtdc_image_layout(run->image));
    wk->decode_scratch = dcn__malloc(wk->decode_cap);
    wk->label_scratch = dcn__malloc(dcn_label_scratch_size(w, h));
    wk->process_scratch = dcn__malloc(dcn_label_process_scratch_size(w, h));
    wk->events = dcn__mallocarray(LOCAL_EVENTS, sizeof(struct dcn_event));
    if (wk->decode_scratch == NULL || wk->label_scratch == NULL ||
        wk->process_scratch == NULL || wk->events == NULL ||
        dcn_features_scratch_new(&wk->feat_scratch, w, h) != DCN_OK)
        return dcn_error_set(&wk->err, DCN_ENOMEM, "worker %zu: out of memory",
                             index);
    return run_torch_worker_init(&wk->torch, run, &wk->err);
}

static void
worker_release(struct worker *wk)
{
    dcn__free(wk->decode_scratch);
    dcn__free(wk->label_scratch);
    dcn__free(wk->process_scratch);
    dcn__free(wk->events);
    dcn_features_scratch_free(wk->feat_scratch);
    run_torch_worker_release(&wk->torch);
}

/* The slot's chunk and first (mapped) frame. */
static uint64_t
slot_first(struct dcn_run *run, size_t slot)
{
    return run_slot_extra(run, slot)->first;
}

static size_t
frame_pixels(const struct dcn_run *run)
{
    return run->height * run->width;
}

/* Image background and corrected image of frame k: sparsemed copies its
 * background image (and computes bg_off); for copy and rollmed the reader
 * has put image_bg (and bg_off) into the slot already. */
static void
background_of_frame(struct worker *wk, struct dcn_chunk_slot *slot, uint64_t j,
                    size_t k)
{
    struct dcn_run *run = wk->run;
    size_t npix = frame_pixels(run);
    uint8_t *img = dcn_chunk_slot_image(slot) + k * npix;
    uint8_t *bg = dcn_chunk_slot_image_bg(slot) + k * npix;
    int64_t idx;

    if (run->bg.per_frame) {
        dcn_bg_subtract(dcn_chunk_slot_image_corr(slot) + k * npix, img, bg,
                        npix);
        return;
    }
    idx = run_bg_idx(run)[dcn_rtdc_raw_index(run->in, j)];
    memcpy(bg, run_bg_stack(run) + (size_t)idx * npix, npix);
    dcn_bg_subtract(dcn_chunk_slot_image_corr(slot) + k * npix, img, bg, npix);
    if (run->bg.has_bg_off)
        dcn_chunk_slot_bg_off(slot)[k] =
                dcn_bg_top_mean(img, run->height, run->width) -
                run->bg.mbg[idx];
}

/* A private copy of the slot's fetch description with this process's
 * pointers into the shared staging areas. */
static void
local_fetch(struct dcn_image_fetch *f, struct dcn_run *run, size_t slot)
{
    struct slot_extra *x = run_slot_extra(run, slot);

    *f = x->fetch;
    f->staging = run_slot_area(run, slot, x->staging_off);
    f->refs = (struct dcn_chunk_ref *)(void *)run_slot_area(run, slot,
                                                            x->refs_off);
    f->rows = (uint64_t *)(void *)run_slot_area(run, slot, x->rows_off);
}

static int
task_load(struct worker *wk, const struct dcn_task *t)
{
    struct dcn_run *run = wk->run;
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(run->reg, t->slot);
    uint64_t first = slot_first(run, t->slot);
    struct dcn_image_fetch f;
    int rc;

    local_fetch(&f, run, t->slot);
    rc = dcn_rtdc_image_decode(
            dcn_chunk_slot_image(slot) + t->start * frame_pixels(run),
            first + t->start, first + t->stop,
            dcn_rtdc_image_layout(run->image), &f, wk->decode_scratch,
            wk->decode_cap, run->path_in, &wk->err);
    for (size_t k = t->start; rc == DCN_OK && k < t->stop; k++)
        background_of_frame(wk, slot, first + k, k);
    return rc;
}

/* numerics.md §5.1: a frame equal to the previous one yields nothing. */
static bool
is_duplicate(struct dcn_run *run, size_t slot, size_t k)
{
    struct dcn_chunk_slot *s = dcn__slot_register_slot(run->reg, slot);
    struct slot_extra *x = run_slot_extra(run, slot);
    size_t npix = frame_pixels(run);
    const uint8_t *img = dcn_chunk_slot_image(s) + k * npix;
    const uint8_t *prev;

    if (k == 0 && !x->has_prev)
        return false;
    prev = k == 0 ? run_slot_area(run, slot, x->prev_off) : img - npix;
    return memcmp(img, prev, npix) == 0;
}

/* The work of one state on frame k (frame j of the measurement). */
typedef int (*frame_fn)(struct worker *wk, struct dcn_chunk_slot *slot,
                        size_t k, uint64_t j);

/*
 * Run fn on every frame of the task that is not a duplicate of the frame
 * before it; with detect, decide that first (state 's', when the whole
 * chunk is decoded; the flags are read by the later states).
 */
static int
for_each_frame(struct worker *wk, const struct dcn_task *t, frame_fn fn,
               bool detect)
{
    struct dcn_run *run = wk->run;
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(run->reg, t->slot);
    uint8_t *dup =
            run_slot_area(run, t->slot, run_slot_extra(run, t->slot)->dup_off);
    uint64_t first = slot_first(run, t->slot);

    for (size_t k = t->start; k < t->stop; k++) {
        int rc;

        if (detect)
            dup[k] = is_duplicate(run, t->slot, k);
        if (dup[k])
            continue;
        rc = fn(wk, slot, k, first + k);
        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

static int
segment_frame(struct worker *wk, struct dcn_chunk_slot *slot, size_t k,
              uint64_t j)
{
    struct dcn_run *run = wk->run;
    size_t npix = frame_pixels(run);
    const double *bg_off = dcn_chunk_slot_bg_off(slot);
    struct dcn_corr_view v = {dcn_chunk_slot_image_corr(slot) + k * npix,
                              run->width, run->height, run->width};
    int rc = dcn_segment_thresh((uint8_t *)dcn_chunk_slot_mask(slot) + k * npix,
                                &v, bg_off != NULL ? &bg_off[k] : NULL,
                                run->resolved.thresh);

    if (rc < 0)
        return dcn_error_set(&wk->err, rc,
                             "%s: segmentation of frame %llu failed",
                             run->path_in, (unsigned long long)j);
    return DCN_OK;
}

/* State 's' with a torch segmenter: the duplicate flags, then the
 * model on the whole task's frames in batches (duplicates included:
 * their masks are never read). */
static int
task_segment_torch(struct worker *wk, const struct dcn_task *t)
{
    struct dcn_run *run = wk->run;
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(run->reg, t->slot);
    uint8_t *dup =
            run_slot_area(run, t->slot, run_slot_extra(run, t->slot)->dup_off);
    size_t npix = frame_pixels(run);
    struct run_torch_frames f = {
            (uint8_t *)dcn_chunk_slot_mask(slot) + t->start * npix,
            dcn_chunk_slot_image(slot) + t->start * npix, t->stop - t->start,
            slot_first(run, t->slot) + t->start};

    for (size_t k = t->start; k < t->stop; k++)
        dup[k] = is_duplicate(run, t->slot, k);
    return run_torch_segment(&wk->torch, run, &f, &wk->err);
}

static int
label_frame(struct worker *wk, struct dcn_chunk_slot *slot, size_t k,
            uint64_t j)
{
    struct dcn_run *run = wk->run;
    size_t npix = frame_pixels(run);
    struct dcn_mask_view m = {(uint8_t *)dcn_chunk_slot_mask(slot) + k * npix,
                              run->width, run->height, run->width};
    size_t nobj;

    return dcn_label(dcn_chunk_slot_labels(slot) + k * npix, &nobj, &m,
                     (size_t)j, wk->label_scratch, &wk->err);
}

static int
process_frame(struct worker *wk, struct dcn_chunk_slot *slot, size_t k,
              uint64_t j)
{
    struct dcn_run *run = wk->run;
    struct dcn_label_image img = {dcn_chunk_slot_labels(slot) +
                                          k * frame_pixels(run),
                                  run->width, run->height};
    size_t max_label;

    return dcn_label_process(&img, &max_label, &run->mask_opts, (size_t)j,
                             wk->process_scratch, &wk->err);
}

/* Move n events of frame k into the slot's shared pool. */
static int
store_events(struct worker *wk, size_t slot, size_t k, size_t n)
{
    struct dcn_run *run = wk->run;
    struct slot_extra *x = run_slot_extra(run, slot);
    struct event_range *r = (struct event_range *)(void *)run_slot_area(
                                    run, slot, x->range_off) +
                            k;
    struct dcn_event *pool =
            (struct dcn_event *)(void *)run_slot_area(run, slot, x->pool_off);
    uint_fast32_t first = atomic_fetch_add(&x->pool_used, (uint32_t)n);

    if (first + n > x->pool_cap)
        return dcn_error_set(
                &wk->err, DCN_ERANGE,
                "%s: frames %llu..%llu yield more than %zu "
                "events (%d per frame on average); this does "
                "not look like a cell measurement - check the "
                "segmentation options",
                run->path_in, (unsigned long long)x->first,
                (unsigned long long)(x->first + run->chunk_frames - 1),
                x->pool_cap, RUN_EVENTS_PER_FRAME);
    memcpy(pool + first, wk->events, n * sizeof(struct dcn_event));
    r->first = (uint32_t)first;
    r->count = (uint32_t)n;
    return DCN_OK;
}

static int
extract_frame(struct worker *wk, struct dcn_chunk_slot *slot, size_t s,
              size_t k, size_t *n)
{
    struct dcn_run *run = wk->run;
    size_t npix = frame_pixels(run);
    uint64_t j = slot_first(run, s) + k;
    const double *bg_off = dcn_chunk_slot_bg_off(slot);
    int64_t idx = run->bg.per_frame
                          ? 0
                          : run_bg_idx(run)[dcn_rtdc_raw_index(run->in, j)];
    struct dcn_frame_input in = {dcn_chunk_slot_image(slot) + k * npix,
                                 dcn_chunk_slot_image_bg(slot) + k * npix,
                                 dcn_chunk_slot_image_corr(slot) + k * npix,
                                 dcn_chunk_slot_labels(slot) + k * npix,
                                 run->width,
                                 run->height,
                                 bg_off != NULL,
                                 bg_off != NULL ? bg_off[k] : 0.0,
                                 run->bg.per_frame ? NULL
                                                   : &run->bg.median[idx]};
    struct dcn_event_table table = {wk->events, LOCAL_EVENTS, 0};
    struct dcn_frame_stats stats;
    int rc = dcn_features_extract_frame(&table, &stats, &in, &run->feat,
                                        wk->feat_scratch);

    *n = table.count;
    if (rc == DCN_ERANGE)
        return dcn_error_set(&wk->err, rc,
                             "%s: frame %llu yields %zu events, more than "
                             "%d",
                             run->path_in, (unsigned long long)j, *n,
                             LOCAL_EVENTS);
    if (rc < 0)
        return dcn_error_set(&wk->err, rc,
                             "%s: feature extraction of frame %llu failed",
                             run->path_in, (unsigned long long)j);
    if (stats.masks_dropped > 0)
        dcn__slot_register_counter_add(run->reg, DCN_COUNTER_MASKS_DROPPED,
                                       (int64_t)stats.masks_dropped);
    return DCN_OK;
}

static int
task_extract(struct worker *wk, const struct dcn_task *t)
{
    struct dcn_run *run = wk->run;
    struct dcn_chunk_slot *slot = dcn__slot_register_slot(run->reg, t->slot);
    const uint8_t *dup =
            run_slot_area(run, t->slot, run_slot_extra(run, t->slot)->dup_off);
    int64_t *nevents = dcn__slot_register_nevents(run->reg);
    uint64_t total = 0;

    for (size_t k = t->start; k < t->stop; k++) {
        size_t n = 0;
        int rc = dup[k] ? DCN_OK : extract_frame(wk, slot, t->slot, k, &n);

        if (rc == DCN_OK)
            rc = store_events(wk, t->slot, k, n);
        if (rc < 0)
            return rc;
        nevents[slot_first(run, t->slot) + k] = (int64_t)n;
        total += n;
    }
    atomic_fetch_add(&run_shared(run)->events_found, total);
    atomic_fetch_add(&run_shared(run)->frames_done, t->stop - t->start);
    return DCN_OK;
}

static int
run_task(struct worker *wk, const struct dcn_task *t)
{
    switch (t->state) {
    case DCN_STATE_LOAD:
        return task_load(wk, t);
    case DCN_STATE_SEGMENT:
        if (wk->run->torch.on)
            return task_segment_torch(wk, t);
        return for_each_frame(wk, t, segment_frame, true);
    case DCN_STATE_LABEL:
        return for_each_frame(wk, t, label_frame, false);
    case DCN_STATE_PROCESS:
        return for_each_frame(wk, t, process_frame, false);
    default:
        return task_extract(wk, t);
    }
}

static const enum dcn_task_timer timer_of[] = {
        DCN_TIMER_LOAD, DCN_TIMER_SEGMENT, DCN_TIMER_LABEL,
        DCN_TIMER_PROCESS_LABELS, DCN_TIMER_EXTRACT};

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Try the states downstream first; 1 if a task ran, 0 if none, < 0. */
static int
one_task(struct worker *wk)
{
    static const char order[] = "elmsi";
    struct dcn_run *run = wk->run;

    for (int i = 0; order[i] != '\0'; i++) {
        enum dcn_slot_state st = (enum dcn_slot_state)order[i];
        size_t batch = st == DCN_STATE_LOAD ? run->load_batch
                       : st == DCN_STATE_SEGMENT && run->torch.on
                               ? run->torch.batch
                               : WORK_BATCH;
        struct dcn_task t;
        double t0 = now_seconds();
        int rc = dcn__slot_register_reserve(run->reg, st, batch, &t);

        if (rc <= 0)
            continue;
        rc = run_task(wk, &t);
        dcn__slot_register_finish(run->reg, &t, rc == DCN_OK);
        dcn__slot_register_add_time(run->reg, timer_of[4 - i],
                                    now_seconds() - t0);
        if (rc < 0)
            return dcn__slot_register_fail(run->reg, rc, "%s", wk->err.msg);
        return 1;
    }
    return 0;
}

static void
worker_loop(struct dcn_run *run, size_t index)
{
    struct worker wk;

    if (worker_init(&wk, run, index) < 0) {
        dcn__slot_register_fail(run->reg, wk.err.code, "%s", wk.err.msg);
        worker_release(&wk);
        return;
    }
    for (;;) {
        uint64_t epoch = dcn__slot_register_epoch(run->reg);
        int did;

        if (dcn__slot_register_wait_unpaused(run->reg) < 0)
            break;
        did = one_task(&wk);
        if (did < 0)
            break;
        if (did == 0 && dcn__slot_register_wait(run->reg, epoch) < 0)
            break;
    }
    worker_release(&wk);
}

struct thread_arg {
    struct dcn_run *run;
    size_t index;
};

static void *
worker_thread(void *arg)
{
    struct thread_arg *a = arg;

    worker_loop(a->run, a->index);
    dcn__free(a);
    return NULL;
}

int
run_workers_start(struct dcn_run *run, pthread_t *threads, pid_t *pids)
{
    for (size_t i = 0; i < run->nworkers; i++) {
        if (run->processes) {
            pid_t parent = getpid();

            pids[i] = fork();
            if (pids[i] == 0) {
                /* Die with the main process: an orphaned worker would wait
                 * on the register forever.  A worker process computes
                 * only; _exit() keeps HDF5's atexit handler from touching
                 * the parent's files. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                    _exit(1);
                worker_loop(run, i);
                _exit(0);
            }
            if (pids[i] < 0)
                return dcn__slot_register_fail(run->reg, DCN_EWORKER,
                                               "cannot start worker process");
        } else {
            struct thread_arg *a = dcn__malloc(sizeof(*a));

            if (a == NULL)
                return dcn__slot_register_fail(run->reg, DCN_ENOMEM,
                                               "out of memory");
            *a = (struct thread_arg){run, i};
            if (pthread_create(&threads[i], NULL, worker_thread, a) != 0) {
                dcn__free(a);
                run->nworkers = i;
                return dcn__slot_register_fail(run->reg, DCN_EWORKER,
                                               "cannot start worker thread");
            }
        }
    }
    return DCN_OK;
}

void
run_workers_join(struct dcn_run *run, pthread_t *threads, pid_t *pids)
{
    dcn__slot_register_set_state(run->reg, DCN_REGISTER_QUIT);
    for (size_t i = 0; i < run->nworkers; i++) {
        if (!run->processes) {
            pthread_join(threads[i], NULL);
        } else if (pids[i] > 0) {
            int status;

            waitpid(pids[i], &status, 0);
            pids[i] = 0;
        }
    }
}
