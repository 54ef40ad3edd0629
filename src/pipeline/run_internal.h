/* SPDX-License-Identifier: MIT */
/*
 * run_internal.h - the run context shared by the runner's files.
 *
 * One struct dcn_run per dcn_run() call holds everything of a run: the
 * job and its identifiers, the input reader, the output writer, the slot
 * register (whose mapping holds all state shared with workers), and the
 * background.  No globals: two runs in one process do not interfere.
 *
 * Shared memory (all inside the register's mapping, style.md rule 21):
 *   register extra: struct run_shared, then bg_idx[nframes] (int64) and
 *                   the background stack (nbg * H * W uint8)
 *   per slot extra: struct slot_extra, then (offsets in slot_extra) the
 *                   staging area of the raw chunk fetch, its chunk refs
 *                   and rows, the frame before the chunk, duplicate
 *                   flags, per-frame event ranges, the event pool and the
 *                   protected scalar features of the chunk's frames.
 */
#ifndef DCN_PIPELINE_RUN_INTERNAL_H
#define DCN_PIPELINE_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dcnumc/job.h"
#include "dcnumc/run.h"
#include "features_extract.h"
#include "label.h"
#include "rtdc_read.h"
#include "rtdc_write.h"
#include "run_encode.h"
#include "segment_torch.h"
#include "slot_register.h"
#include "torch_model.h"

/* Frame-level features copied per event ("protected", format.md §1.5). */
#define RUN_MAX_PROTECTED 16

/* Frames per slot (rounded to whole stored chunks). */
#define RUN_SLOT_FRAMES 128

/* Average events per frame the event pool of a slot can hold. */
#define RUN_EVENTS_PER_FRAME 8

/* Register-wide shared state (after fork, workers write only here). */
struct run_shared {
    atomic_uint_fast64_t frames_done;  /* frames through 'e' */
    atomic_uint_fast64_t events_found; /* events through 'e' */
};

/* Per-slot shared state; arrays follow at the offsets given. */
struct slot_extra {
    struct dcn_image_fetch fetch; /* filled by the reader; pointers are
                                     rebuilt from the offsets below */
    bool has_prev;  /* reader: prev holds the frame before the chunk */
    uint64_t first; /* reader: first (mapped) frame of the chunk */
    atomic_uint_fast32_t pool_used;         /* events taken from the pool */
    size_t staging_off, refs_off, rows_off; /* fetch areas */
    size_t prev_off;                        /* H*W uint8: frame first-1 */
    size_t dup_off;    /* uint8[L]: frame equals the previous one */
    size_t range_off;  /* struct event_range[L] */
    size_t pool_off;   /* struct dcn_event[pool_cap] */
    size_t scalar_off; /* uint64 raw values [RUN_MAX_PROTECTED][L] */
    size_t pool_cap;
};

/* Events of one frame in the slot's pool; owned by the frame's 'e'
 * reservation holder until the slot reaches 'w'. */
struct event_range {
    uint32_t first;
    uint32_t count;
};

/* A protected frame-level feature of the input, copied per event. */
struct run_protected {
    const char *name; /* static name */
    struct dcn_dtype dtype;
    enum dcn_wtype wtype;
};

struct run_bgframes; /* run_bgframes.c: copy / rollmed, reader-owned */

struct run_background {
    size_t nimages;  /* kept background images (sparsemed) */
    int64_t *bg_idx; /* unmapped frame -> image, until it moves into
                        the register; owned */
    uint8_t *stack;  /* nimages * H * W, likewise */
    double *mbg;     /* nimages means of rows 0..19 */
    double *median;  /* nimages medians (bg_med without bg_off) */
    bool has_bg_off; /* the run produces bg_off */
    bool per_frame;  /* copy, rollmed: image_bg per frame from the reader,
                        stored per event; no internal basin */
};

/* The torch segmenters of a run (run_torch.c); set in setup, read-only
 * afterwards. */
struct run_torch {
    bool on; /* segmenter torchmpo or torchsto */
    enum dcn_torch_device device;
    struct dcn_torch_meta meta;
    struct dcn_torch_shape shape;
    size_t batch; /* frames per inference */
    int threads;  /* intra-op threads per worker */
};

/* One worker's model and buffers, allocated once per run (after fork). */
struct run_torch_worker {
    struct dcn_torch_model *model; /* owned */
    float *in;                     /* batch x model image, owned */
    uint8_t *raw;                  /* batch x model mask, owned */
    void *scratch;                 /* postprocessing, owned */
};

struct dcn_run {
    const struct dcn_job *job;
    struct dcn_job resolved; /* job with pixel size etc. resolved */
    const struct dcn_run_options *opts;
    struct dcn_error err;
    struct dcn_ppid ppid;
    char *path_in;  /* absolute (D8) */
    char *path_out; /* absolute */
    struct timespec t0;
    time_t start_utc;

    struct dcn_rtdc *in;
    struct dcn_rtdc_image *image;
    uint64_t nframes;                /* mapped length */
    uint64_t frames_out, events_out; /* written by the run */
    size_t height, width;
    size_t chunk_frames; /* slot length */
    size_t load_batch;   /* 'i' batch: the input's chunk length */

    struct run_protected prot[RUN_MAX_PROTECTED];
    size_t nprot;
    /* basin strategy tap: frame features and image stay in the input,
     * reached through file basins (format.md §2.9) */
    bool tap;

    struct run_background bg;
    struct run_bgframes *bgframes; /* copy, rollmed; NULL for sparsemed */
    struct dcn_features_config feat;
    struct dcn_label_process_opts mask_opts;
    struct run_torch torch;

    size_t nworkers;
    bool processes;
    struct dcn_slot_register *reg;
    size_t slot_extra_bytes;

    /* run log lines (owned), written as dcnum-log-<time> */
    char **log;
    size_t nlog, caplog;
};

/* Pointers into the shared mapping (valid in every process). */
struct run_shared *run_shared(struct dcn_run *run);
int64_t *run_bg_idx(struct dcn_run *run);
uint8_t *run_bg_stack(struct dcn_run *run);
struct slot_extra *run_slot_extra(struct dcn_run *run, size_t slot);
uint8_t *run_slot_area(struct dcn_run *run, size_t slot, size_t off);

/* Seconds since the run started. */
double run_elapsed(const struct dcn_run *run);
/* Append a line to the run log ("HH:MM:SS LEVEL dcnumc: message"). */
void run_log(struct dcn_run *run, const char *level, const char *fmt, ...)
        DCN_PRINTF(3, 4);

/* run_background.c: compute the background before the slot cycle. */
int run_background_compute(struct dcn_run *run);
/* run_bgframes.c: per-frame backgrounds (copy, rollmed) that the reader
 * puts into each slot's image_bg (and bg_off) as it loads the chunk. */
int run_bgframes_open(struct dcn_run *run);
int run_bgframes_fill(struct dcn_run *run, size_t slot, uint64_t first,
                      size_t n);
void run_bgframes_free(struct dcn_run *run);
/* run_workers.c: start/stop workers and the per-state tasks. */
int run_workers_start(struct dcn_run *run, pthread_t *threads, pid_t *pids);
void run_workers_join(struct dcn_run *run, pthread_t *threads, pid_t *pids);
/* run_torch.c: the torch segmenters (nothing to do for thresh). */
int run_torch_setup(struct dcn_run *run);
void run_torch_log(struct dcn_run *run);
void run_torch_release(struct dcn_run *run);
int run_torch_worker_init(struct run_torch_worker *tw, struct dcn_run *run,
                          struct dcn_error *err);
void run_torch_worker_release(struct run_torch_worker *tw);
/* n frames of a slot, contiguous: images in, masks out. */
struct run_torch_frames {
    uint8_t *mask;
    const uint8_t *images;
    size_t n;
    uint64_t first; /* measurement index of the first (for messages) */
};
/* The masks of the frames, in batches of run->torch.batch. */
int run_torch_segment(struct run_torch_worker *tw, struct dcn_run *run,
                      const struct run_torch_frames *f, struct dcn_error *err);
/* run_reader.c: the reader thread. */
void *run_reader_main(void *arg);
/* The output datasets of the slot cycle; owned by the writer thread
 * while it runs, then by the main thread for the plumbing. */
struct run_output {
    struct dcn_run *run;
    struct dcn_writer *w;
    struct dcn_error err;
    int status;
    atomic_bool done;
    struct dcn_wdset *feat[DCN_FEAT_COUNT];
    struct dcn_wdset *prot[RUN_MAX_PROTECTED];
    struct dcn_wdset *nevents, *bm0, *bm1, *bg_off, *image, *mask;
    struct dcn_wdset *image_bg; /* per event (copy, rollmed) */
    struct enc_stream *image_bg_s;
    struct enc_pool *pool;      /* encoder threads of the writer */
    struct enc_stream *image_s; /* chunk rings of the image datasets */
    struct enc_stream *mask_s;
    enum dcn_wtype bm0_type;
    bool created;        /* the event datasets exist */
    bool bm1_equals_bm0; /* so far every basinmap1 value == basinmap0 */
    bool bm0_identity;   /* so far basinmap0 of event i == i */
    uint64_t events;
    uint64_t frames; /* frames written (all unless --limit-events) */
    bool limited;    /* stopped early by --limit-events */
};

/* run_writer.c: the writer thread (arg: struct run_output). */
int run_output_init(struct dcn_run *run, struct run_output *o,
                    struct dcn_writer *w);
void run_output_release(struct run_output *o);
int run_output_finish(struct run_output *o);
void *run_writer_main(void *arg);
/* run_finish.c: basins, attributes, logs and the rename into place;
 * commits or aborts the writer. */
int run_finish(struct dcn_run *run, struct run_output *o);

#endif /* DCN_PIPELINE_RUN_INTERNAL_H */
