/* SPDX-License-Identifier: MIT */
/*
 * run.c - dcn_run(): one job from input file to output file.
 *
 * The order of a run (style.md §5.3, rule 36):
 *   1. setup in the main thread: open the input, resolve the job, compute
 *      the identifiers; stop here for --dry-run or an up-to-date output;
 *   2. the background, over the whole input, with a short-lived thread
 *      pool (joined again, so the process is single-threaded after it);
 *   3. the slot register, sized from the input's chunking; worker
 *      processes are forked now, before any thread exists and before the
 *      output file is created;
 *   4. the output file (temporary name), then the reader, the writer and
 *      (unless processes) the worker threads; the main thread reports
 *      progress, polls cancellation and watches worker processes;
 *   5. the plumbing (basins, attributes, logs) and the rename into place.
 * Any failure anywhere stops the run through the register, and the
 * temporary output is removed (D7).
 */
#define _GNU_SOURCE /* realpath, sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "run_internal.h"

/* Protected frame-level features, copied per event (format.md §1.5). */
static const char *const protected_names[] = {
        "bg_off",   "flow_rate", "frame",    "g_force",  "pressure",
        "temp",     "temp_amb",  "time",     "userdef0", "userdef1",
        "userdef2", "userdef3",  "userdef4", "userdef5", "userdef6",
        "userdef7", "userdef8",  "userdef9"};

double
run_elapsed(const struct dcn_run *run)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - run->t0.tv_sec) +
           (double)(now.tv_nsec - run->t0.tv_nsec) * 1e-9;
}

void
run_log(struct dcn_run *run, const char *level, const char *fmt, ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    char line[DCN_ERROR_MSG_MAX + 64];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    localtime_r(&now, &tm);
    /* Cannot truncate: msg is shorter than DCN_ERROR_MSG_MAX, and the time,
     * the level (at most "WARNING") and " dcnumc: " take < 64 bytes. */
    (void)snprintf(line, sizeof(line), "%02d:%02d:%02d %s dcnumc: %s",
                   tm.tm_hour, tm.tm_min, tm.tm_sec, level, msg);
    if (run->nlog == run->caplog) {
        size_t cap = run->caplog ? 2 * run->caplog : 32;
        char **log = dcn__realloc(run->log, cap * sizeof(char *));

        if (log == NULL)
            return; /* the run log is informative; losing a line is ok */
        run->log = log;
        run->caplog = cap;
    }
    run->log[run->nlog] = dcn__strdup(line);
    if (run->log[run->nlog] != NULL)
        run->nlog++;
}

struct run_shared *
run_shared(struct dcn_run *run)
{
    return dcn__slot_register_shared_extra(run->reg);
}

int64_t *
run_bg_idx(struct dcn_run *run)
{
    return (int64_t *)(void *)((char *)run_shared(run) +
                               sizeof(struct run_shared));
}

/* Entries of bg_idx: one per raw frame for sparsemed; copy and rollmed
 * need none (one placeholder), so their memory does not grow with N. */
static size_t
bg_idx_len(const struct dcn_run *run)
{
    size_t n = run->bg.per_frame ? 0 : dcn_rtdc_len_raw(run->in);

    return n == 0 ? 1 : n;
}

uint8_t *
run_bg_stack(struct dcn_run *run)
{
    return (uint8_t *)(run_bg_idx(run) + bg_idx_len(run));
}

struct slot_extra *
run_slot_extra(struct dcn_run *run, size_t slot)
{
    return dcn_chunk_slot_extra(dcn__slot_register_slot(run->reg, slot));
}

uint8_t *
run_slot_area(struct dcn_run *run, size_t slot, size_t off)
{
    return (uint8_t *)run_slot_extra(run, slot) + off;
}

static int
open_input(struct dcn_run *run)
{
    struct dcn_rtdc_open_opts o;
    int rc;

    memset(&o, 0, sizeof(o));
    o.pixel_size = run->job->has_pixel_size ? run->job->pixel_size : 0.0;
    o.mapping = run->job->index_mapping; /* borrows the job's indices */
    rc = dcn_rtdc_open(&run->in, run->path_in, &o, &run->err);
    if (rc < 0)
        return rc;
    rc = dcn_rtdc_image_open(run->in, "image", &run->image, &run->err);
    if (rc < 0)
        return rc;
    run->nframes = dcn_rtdc_len(run->in);
    dcn_rtdc_image_shape(run->image, &run->height, &run->width);
    return DCN_OK;
}

static enum dcn_wtype
wtype_of(const struct dcn_dtype *dt)
{
    if (dt->cls == DCN_DTYPE_FLOAT)
        return dt->size == 4 ? DCN_WT_F32 : DCN_WT_F64;
    if (dt->cls == DCN_DTYPE_UINT)
        return dt->size == 8   ? DCN_WT_U64
               : dt->size == 1 ? DCN_WT_U8
                               : DCN_WT_U32;
    return dt->size == 8 ? DCN_WT_I64 : DCN_WT_I32;
}

/* The input's protected features the output copies (bg_off comes from
 * the background, never from the input: D13). */
static int
find_protected(struct dcn_run *run)
{
    size_t n = sizeof(protected_names) / sizeof(protected_names[0]);

    run->nprot = 0;
    for (size_t i = 0; i < n; i++) {
        struct run_protected *p = &run->prot[run->nprot];
        int rc;

        if (strcmp(protected_names[i], "bg_off") == 0 ||
            !dcn_rtdc_has_feature(run->in, protected_names[i]))
            continue;
        rc = dcn_rtdc_scalar_dtype(run->in, protected_names[i], &p->dtype,
                                   &run->err);
        if (rc < 0)
            return rc;
        if (p->dtype.size != 4 && p->dtype.size != 8)
            continue; /* no such dtype in real files; nothing to copy */
        p->name = protected_names[i];
        p->wtype = wtype_of(&p->dtype);
        run->nprot++;
    }
    return DCN_OK;
}

static int
resolve_paths(struct dcn_run *run)
{
    char buf[PATH_MAX];
    char *out = NULL;
    int rc;

    if (realpath(run->job->path_in, buf) == NULL)
        return dcn_error_set(&run->err, DCN_ENOTFOUND, "%s: no such input file",
                             run->job->path_in);
    run->path_in = dcn__strdup(buf);
    rc = dcn_job_output_path(&out, run->job, &run->err);
    if (rc < 0)
        return rc;
    run->path_out = dcn__strdup(out);
    dcn_free_string(out);
    if (run->path_in == NULL || run->path_out == NULL)
        return dcn_error_set(&run->err, DCN_ENOMEM, "out of memory");
    if (strlen(run->path_out) >= DCN_RUN_PATH_MAX)
        return dcn_error_set(&run->err, DCN_EINVAL, "%s: output path too long",
                             run->path_out);
    if (strcmp(run->path_in, run->path_out) == 0)
        return dcn_error_set(&run->err, DCN_EINVAL,
                             "%s: the output would overwrite the input",
                             run->path_out);
    return DCN_OK;
}

/* 1 if the output exists with the same pipeline hash, else 0. */
static int
output_up_to_date(struct dcn_run *run)
{
    struct dcn_rtdc_open_opts o;
    struct dcn_rtdc *r = NULL;
    struct dcn_error ignore = DCN_ERROR_INIT;
    const struct dcn_attr *a;
    int same = 0;

    if (access(run->path_out, F_OK) != 0)
        return 0;
    memset(&o, 0, sizeof(o));
    o.flags = DCN_RTDC_OPEN_NO_IMAGE | DCN_RTDC_OPEN_NO_PIXEL_SIZE;
    if (dcn_rtdc_open(&r, run->path_out, &o, &ignore) < 0)
        return 0;
    a = dcn_rtdc_attr(r, "pipeline:dcnum hash");
    same = a != NULL && a->kind == DCN_ATTR_STRING &&
           strcmp(a->s, run->ppid.hash) == 0;
    dcn_rtdc_free(r);
    return same;
}

static int
resolve_job(struct dcn_run *run)
{
    int rc;

    run->resolved = *run->job; /* shallow: borrows the job's strings */
    dcn_job_resolve_pixel_size(&run->resolved, dcn_rtdc_pixel_size(run->in));
    rc = dcn_job_validate(&run->resolved, dcn_rtdc_len_raw(run->in), &run->err);
    if (rc == DCN_OK)
        rc = dcn_job_get_ppid(&run->ppid, &run->resolved, &run->err);
    if (rc < 0)
        return rc;
    run->tap = run->resolved.basin_strategy == DCN_BASIN_TAP;
    return DCN_OK;
}

static size_t
default_workers(const struct dcn_job *job)
{
    /* Read in setup, before the run starts any thread; dcnumc never
     * changes its environment. */
    // NOLINTNEXTLINE(concurrency-mt-unsafe): see above
    const char *env = getenv("DCNUMC_NUM_WORKERS");
    long n = job->num_procs;

    if (n <= 0 && env != NULL)
        n = strtol(env, NULL, 10);
    if (n <= 0) {
        /* The CPUs this process may run on (taskset, cgroups), as dcnum. */
        cpu_set_t set;

        n = sched_getaffinity(0, sizeof(set), &set) == 0
                    ? CPU_COUNT(&set)
                    : sysconf(_SC_NPROCESSORS_ONLN);
    }
    return n < 1 ? 1 : n > 64 ? 64 : (size_t)n;
}

/* Bytes of one slot's extra area, with the offsets of its arrays. */
static size_t
slot_extra_layout(struct dcn_run *run, struct slot_extra *x)
{
    size_t L = run->chunk_frames;
    size_t px = run->height * run->width;
    size_t cur = (sizeof(struct slot_extra) + 63) / 64 * 64;

#define PLACE(field, bytes)                   \
    do {                                      \
        x->field = cur;                       \
        cur = (cur + (bytes) + 63) / 64 * 64; \
    } while (0)
    memset(x, 0, sizeof(*x));
    x->pool_cap = L * RUN_EVENTS_PER_FRAME;
    PLACE(staging_off, dcn_rtdc_image_fetch_bound(run->image, L));
    PLACE(refs_off, dcn_rtdc_image_fetch_max_refs(run->image, L) *
                            sizeof(struct dcn_chunk_ref));
    PLACE(rows_off, L * sizeof(uint64_t));
    PLACE(prev_off, px);
    PLACE(dup_off, L);
    PLACE(range_off, L * sizeof(struct event_range));
    PLACE(pool_off, x->pool_cap * sizeof(struct dcn_event));
    PLACE(scalar_off, RUN_MAX_PROTECTED * L * sizeof(uint64_t));
#undef PLACE
    return cur;
}

static int
create_register(struct dcn_run *run)
{
    struct dcn_register_config cfg;
    struct slot_extra layout;
    size_t nidx = bg_idx_len(run);
    size_t px = run->height * run->width;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    /* Enough slots for every worker plus one each being read and
     * written. */
    cfg.nslots = run->nworkers + 3 > DCN_MAX_SLOTS ? DCN_MAX_SLOTS
                                                   : run->nworkers + 3;
    cfg.chunk_frames = run->chunk_frames;
    cfg.nframes = run->nframes;
    cfg.height = run->height;
    cfg.width = run->width;
    cfg.features =
            DCN_SLOT_IMAGE_BG | (run->bg.has_bg_off ? DCN_SLOT_BG_OFF : 0);
    cfg.slot_extra_bytes = slot_extra_layout(run, &layout);
    cfg.shared_extra_bytes = sizeof(struct run_shared) +
                             nidx * sizeof(int64_t) + run->bg.nimages * px;
    rc = dcn__slot_register_new(&run->reg, &cfg, &run->err);
    if (rc < 0)
        return rc;
    for (size_t s = 0; s < dcn__slot_register_nslots(run->reg); s++)
        *run_slot_extra(run, s) = layout;
    /* The background moves into the shared mapping for the workers. */
    if (run->bg.bg_idx != NULL)
        memcpy(run_bg_idx(run), run->bg.bg_idx, nidx * sizeof(int64_t));
    if (run->bg.nimages > 0)
        memcpy(run_bg_stack(run), run->bg.stack, run->bg.nimages * px);
    dcn__free(run->bg.bg_idx);
    dcn__free(run->bg.stack);
    run->bg.bg_idx = NULL;
    run->bg.stack = NULL;
    return DCN_OK;
}

static void
report_progress(struct dcn_run *run, const char *phase)
{
    struct dcn_run_progress p;

    if (run->opts->progress == NULL)
        return;
    p.phase = phase;
    p.frames = run->nframes;
    p.frames_done =
            run->reg != NULL ? atomic_load(&run_shared(run)->frames_done) : 0;
    p.events =
            run->reg != NULL ? atomic_load(&run_shared(run)->events_found) : 0;
    p.seconds = run_elapsed(run);
    run->opts->progress(&p, run->opts->progress_user);
}

/* A worker process that ended before the run did failed it (D7). */
static void
watch_processes(struct dcn_run *run, pid_t *pids)
{
    for (size_t i = 0; run->processes && i < run->nworkers; i++) {
        int status;
        pid_t got;

        if (pids[i] <= 0)
            continue;
        got = waitpid(pids[i], &status, WNOHANG);
        if (got != pids[i])
            continue;
        pids[i] = 0;
        if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
            dcn__slot_register_fail(run->reg, DCN_EWORKER,
                                    "%s: worker process %zu died (%s %d)",
                                    run->path_in, i,
                                    WIFSIGNALED(status) ? "signal" : "status",
                                    WIFSIGNALED(status) ? WTERMSIG(status)
                                                        : WEXITSTATUS(status));
    }
}

/* Main thread: until the writer is done or the run stops. */
static void
monitor(struct dcn_run *run, pid_t *pids, const atomic_bool *writer_done)
{
    double interval = run->opts->progress_interval > 0
                              ? run->opts->progress_interval
                              : 0.2;

    while (!atomic_load(writer_done)) {
        uint64_t epoch = dcn__slot_register_epoch(run->reg);

        if (dcn__slot_register_wait_timed(run->reg, epoch, interval) < 0)
            break;
        if (run->opts->cancel != NULL && *run->opts->cancel)
            dcn__slot_register_fail(run->reg, DCN_ECANCELED, "%s: interrupted",
                                    run->path_in);
        watch_processes(run, pids);
        report_progress(run, "segmentation");
    }
}

static void *
writer_thread(void *arg)
{
    struct run_output *o = arg;

    run_writer_main(o);
    atomic_store(&o->done, true);
    dcn__slot_register_broadcast(o->run->reg);
    return NULL;
}

/* Reader, writer and (thread) workers; the main thread monitors. */
static int
run_pipeline(struct dcn_run *run, struct run_output *o, pthread_t *threads,
             pid_t *pids)
{
    pthread_t reader, writer;
    int rc = run->processes ? DCN_OK : run_workers_start(run, threads, pids);

    if (rc == DCN_OK) {
        pthread_create(&reader, NULL, run_reader_main, run);
        pthread_create(&writer, NULL, writer_thread, o);
        monitor(run, pids, &o->done);
        pthread_join(writer, NULL);
        dcn__slot_register_set_state(run->reg, DCN_REGISTER_QUIT);
        pthread_join(reader, NULL);
    }
    run_workers_join(run, threads, pids);
    dcn__slot_register_get_error(run->reg, &run->err);
    if (run->err.code == DCN_OK && o->status < 0)
        dcn_error_set(&run->err, o->status, "%s", o->err.msg);
    return run->err.code;
}

#define FILTER_PREFIX   "online_filter:"
#define FILTER_NAME_MAX 64 /* bytes of one entry of names[] */

/* The filters found so far; names[k] is the storage of f[k].feature. */
struct filter_list {
    struct dcn_online_filter *f;
    char (*names)[FILTER_NAME_MAX];
    size_t n, cap;
};

/* An "online_filter:<feature> <what>" key other than the "target" ones. */
static bool
is_feature_filter(const char *key)
{
    size_t plen = strlen(FILTER_PREFIX);

    return strncmp(key, FILTER_PREFIX, plen) == 0 &&
           strchr(key + plen, ' ') != NULL &&
           strncmp(key + plen, "target", 6) != 0;
}

/* The length of <feature> in such a key, with *what at " min", " max" or
 * " soft limit"; 0 if the name is empty or too long for names[]. */
static size_t
filter_feature_len(const char *feat, const char **what)
{
    const char *soft = " soft limit";
    const char *sp = strrchr(feat, ' ');
    size_t len = (size_t)(sp - feat);

    if (strcmp(sp, " limit") == 0) { /* "<feat> soft limit" */
        size_t all = strlen(feat);

        len = all > strlen(soft) ? all - strlen(soft) : 0;
    }
    if (len == 0 || len >= FILTER_NAME_MAX)
        return 0;
    *what = feat + len;
    return len;
}

/* The index of the filter for the first len bytes of feat, added if new;
 * l->cap if it is new and the list is full.  Names match whole, as the
 * keys of dcnum's dict: "area_um" is not "area_um_raw". */
static size_t
filter_index(struct filter_list *l, const char *feat, size_t len)
{
    size_t k = 0;

    while (k < l->n &&
           (strncmp(l->names[k], feat, len) != 0 || l->names[k][len] != '\0'))
        k++;
    if (k < l->n)
        return k;
    if (l->n == l->cap)
        return l->cap;
    memcpy(l->names[k], feat, len);
    l->names[k][len] = '\0';
    l->f[k] = (struct dcn_online_filter){l->names[k], false, false, 0, 0, true};
    l->n++;
    return k;
}

static void
filter_set(struct dcn_online_filter *f, const char *what,
           const struct dcn_attr *a)
{
    if (strcmp(what, " min") == 0)
        f->has_min = true, f->min = a->d;
    else if (strcmp(what, " max") == 0)
        f->has_max = true, f->max = a->d;
    else if (strcmp(what, " soft limit") == 0)
        f->soft_limit = a->i != 0;
}

/* Parse "online_filter:<feature> min|max|soft limit" into filters. */
static size_t
online_filters(struct dcn_run *run, struct dcn_online_filter *f, size_t cap,
               char names[][FILTER_NAME_MAX], bool *polygon)
{
    struct filter_list l = {f, names, 0, cap};
    size_t nattr;
    const struct dcn_attr *a = dcn_rtdc_attrs(run->in, &nattr);

    *polygon = false;
    for (size_t i = 0; i < nattr; i++) {
        const char *feat, *what = NULL;
        size_t len, k;

        if (!is_feature_filter(a[i].name))
            continue;
        if (strstr(a[i].name, "polygon points") != NULL) {
            *polygon = true;
            continue;
        }
        feat = a[i].name + strlen(FILTER_PREFIX);
        len = filter_feature_len(feat, &what);
        k = len > 0 ? filter_index(&l, feat, len) : cap;
        if (k < cap)
            filter_set(&f[k], what, &a[i]);
    }
    return l.n;
}

static int
configure_gate(struct dcn_run *run)
{
    const struct dcn_job *j = &run->resolved;
    const struct dcn_attr *bin =
            dcn_rtdc_attr(run->in, "online_contour:bin area min");
    struct dcn_online_filter filters[64];
    char names[64][FILTER_NAME_MAX];
    struct dcn_gate_options g;

    memset(&g, 0, sizeof(g));
    g.online_gates = j->online_gates;
    g.size_thresh_mask =
            j->size_thresh_mask_none ? 0 : (long)j->size_thresh_mask;
    g.has_bin_area_min = bin != NULL && bin->kind != DCN_ATTR_STRING;
    g.bin_area_min = g.has_bin_area_min ? (long)bin->d : 0;
    g.pixel_size = j->pixel_size;
    if (j->online_gates) {
        g.nfilters =
                online_filters(run, filters, 64, names, &g.has_polygon_filter);
        g.filters = filters;
    }
    return dcn_gate_init(&run->feat.gate, &g, run->feat.flags, &run->err);
}

/* Stage settings from the job. */
static int
configure_stages(struct dcn_run *run)
{
    const struct dcn_job *j = &run->resolved;

    run->feat.flags = DCN_FEATURES_MOMENTS |
                      (j->volume ? DCN_FEATURES_VOLUME : 0) |
                      (j->brightness ? DCN_FEATURES_BRIGHTNESS : 0) |
                      (j->haralick ? DCN_FEATURES_HARALICK : 0);
    run->feat.pixel_size = j->pixel_size;
    run->mask_opts.clear_border = j->clear_border;
    run->mask_opts.fill_holes = j->fill_holes;
    run->mask_opts.closing_disk = (unsigned)j->closing_disk;
    return configure_gate(run);
}

/*
 * Slot length: whole stored chunks, about RUN_SLOT_FRAMES frames, so that
 * each stored chunk is fetched and decoded once and reading, computing
 * and writing overlap; dcnum's 1000-frame chunks would make the slots
 * 140 kB * 1000 large each.  Results do not depend on it (numerics.md
 * §5.4).
 */
static size_t
slot_length(const struct dcn_image_layout *l)
{
    size_t c = l->raw && !l->mapped ? (size_t)l->chunk[0] : 0;

    if (c == 0)
        return RUN_SLOT_FRAMES;
    return c >= RUN_SLOT_FRAMES ? c : RUN_SLOT_FRAMES / c * c;
}

static int
plan_run(struct dcn_run *run)
{
    const struct dcn_image_layout *l = dcn_rtdc_image_layout(run->image);

    run->nworkers = default_workers(run->job);
    run->processes = run->job->worker_kind == DCN_WORKER_PROCESSES;
    run->chunk_frames = slot_length(l);
    /* Decode batches of whole stored chunks: each is decoded once. */
    run->load_batch = l->raw && !l->mapped && l->chunk[0] > 0
                              ? (size_t)l->chunk[0]
                              : run->chunk_frames;
    run->bg.per_frame =
            run->resolved.background_code != DCN_BACKGROUND_SPARSEMED;
    /* copy takes the input's bg_off; rollmed has none, and never the
     * input's stale one (D13) */
    if (run->resolved.background_code == DCN_BACKGROUND_COPY)
        run->bg.has_bg_off = dcn_rtdc_has_feature(run->in, "bg_off");
    else
        run->bg.has_bg_off =
                !run->bg.per_frame && run->resolved.sparsemed.offset_correction;
    run->bg.has_bg_off = run->bg.has_bg_off && dcn_rtdc_len_raw(run->in) > 0;
    if (find_protected(run) < 0)
        return run->err.code;
    if (run_torch_setup(run) < 0)
        return run->err.code;
    return configure_stages(run);
}

/* The output's writer options; the temporary name depends on none of the
 * run's settings (dcn_run_temp_path() relies on it). */
static int
open_output(struct dcn_run *run, struct dcn_writer **w)
{
    struct dcn_writer_opts wo;

    dcn__writer_opts_init(&wo);
    wo.level = run->resolved.compression_level;
    wo.flags = run->opts->force ? DCN_WRITER_OVERWRITE : 0;
    return dcn__writer_new(w, run->path_out, &wo, &run->err);
}

static int
execute(struct dcn_run *run)
{
    pthread_t threads[64];
    pid_t pids[64] = {0}; /* 0: no process (see watch_processes) */
    struct dcn_writer *w = NULL;
    struct run_output o;
    int rc;

    report_progress(run, "background");
    run_torch_log(run);
    rc = run_background_compute(run);
    /* A cancellation during the background stops the run here. */
    if (rc == DCN_OK && run->opts->cancel != NULL && *run->opts->cancel)
        rc = dcn_error_set(&run->err, DCN_ECANCELED, "%s: interrupted",
                           run->path_in);
    if (rc == DCN_OK)
        rc = create_register(run);
    /* Fork now: no thread exists yet and no output file is open. */
    if (rc == DCN_OK && run->processes)
        rc = run_workers_start(run, threads, pids);
    if (rc == DCN_OK)
        rc = open_output(run, &w);
    if (rc == DCN_OK)
        rc = run_output_init(run, &o, w);
    if (rc != DCN_OK) {
        if (run->reg != NULL) {
            dcn__slot_register_fail(run->reg, rc, "%s", run->err.msg);
            if (run->processes)
                run_workers_join(run, threads, pids);
        }
        dcn__writer_abort(w);
        return rc;
    }
    o.run = run;
    rc = run_pipeline(run, &o, threads, pids);
    run->frames_out = o.frames;
    run->events_out = o.events;
    if (rc == DCN_OK && o.limited)
        run_log(run, "INFO",
                "Stopped after %llu events in %llu frames (--limit-events)",
                (unsigned long long)o.events, (unsigned long long)o.frames);
    if (rc == DCN_OK) {
        report_progress(run, "plumbing");
        rc = run_finish(run, &o); /* commits, or aborts on failure */
    } else
        dcn__writer_abort(w);
    run_output_release(&o);
    return rc;
}

static void
fill_result(struct dcn_run *run, struct dcn_run_result *res)
{
    memset(res, 0, sizeof(*res));
    /* Both fit: resolve_paths() bounds the output path, and the
     * identifier's buffer is the larger one. */
    _Static_assert(sizeof(res->ppid) >= sizeof(run->ppid.full),
                   "the result holds any pipeline identifier");
    (void)snprintf(res->output, sizeof(res->output), "%s",
                   run->path_out ? run->path_out : "");
    (void)snprintf(res->ppid, sizeof(res->ppid), "%s", run->ppid.full);
    memcpy(res->hash, run->ppid.hash, sizeof(res->hash));
    res->frames = run->frames_out;
    res->events = run->events_out;
    if (run->reg != NULL) {
        res->masks_dropped = (uint64_t)dcn__slot_register_counter(
                run->reg, DCN_COUNTER_MASKS_DROPPED);
    }
    res->seconds = run_elapsed(run);
}

static void
run_release(struct dcn_run *run)
{
    dcn__slot_register_free(run->reg);
    run_bgframes_free(run);
    run_torch_release(run);
    dcn_rtdc_free(run->in);
    dcn__free(run->bg.mbg);
    dcn__free(run->bg.median);
    dcn__free(run->bg.bg_idx);
    dcn__free(run->bg.stack);
    dcn__free(run->path_in);
    dcn__free(run->path_out);
    for (size_t i = 0; i < run->nlog; i++)
        dcn__free(run->log[i]);
    dcn__free(run->log);
}

static int
setup(struct dcn_run *run)
{
    int rc = resolve_paths(run);

    if (rc == DCN_OK)
        rc = open_input(run);
    if (rc == DCN_OK)
        rc = resolve_job(run);
    if (rc == DCN_OK)
        rc = plan_run(run);
    return rc;
}

int
dcn_run(const struct dcn_job *job, const struct dcn_run_options *options,
        struct dcn_run_result *result, struct dcn_error *err)
{
    static const struct dcn_run_options defaults = DCN_RUN_OPTIONS_INIT;
    struct dcn_run run;
    int rc;

    if (job == NULL || result == NULL || job->path_in == NULL)
        return dcn_error_set(err, DCN_EINVAL, "dcn_run: no job or input");
    memset(&run, 0, sizeof(run));
    run.job = job;
    run.opts = options != NULL ? options : &defaults;
    clock_gettime(CLOCK_MONOTONIC, &run.t0);
    run.start_utc = time(NULL);
    rc = setup(&run);
    if (rc == DCN_OK && !run.opts->dry_run && !run.opts->force &&
        output_up_to_date(&run)) {
        fill_result(&run, result);
        result->skipped = true;
    } else if (rc == DCN_OK && !run.opts->dry_run) {
        rc = execute(&run);
        fill_result(&run, result);
    } else if (rc == DCN_OK) {
        run.frames_out = run.nframes; /* what the run would process */
        fill_result(&run, result);
    }
    if (rc < 0)
        dcn_error_set(err, rc, "%s",
                      run.err.msg[0] ? run.err.msg : dcn_strerror(rc));
    run_release(&run);
    return rc;
}

int
dcn_run_temp_path(char **out, const struct dcn_job *job, long pid,
                  struct dcn_error *err)
{
    struct dcn_writer_opts wo;
    char *path = NULL;
    int rc = dcn_job_output_path(&path, job, err);

    *out = NULL;
    if (rc != DCN_OK)
        return rc;
    dcn__writer_opts_init(&wo); /* as open_output(): default tag, suffix */
    *out = dcn__writer_temp_path_for(path, &wo, pid);
    dcn__free(path);
    return *out != NULL ? DCN_OK
                        : dcn_error_set(err, DCN_ENOMEM,
                                        "temporary path: out of memory");
}
