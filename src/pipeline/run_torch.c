/* SPDX-License-Identifier: MIT */
/*
 * run_torch.c - the PyTorch segmenters in a run (issue 10): in setup, the
 * model file's format, name check and metadata (read without libtorch)
 * and dcnum's applicability rules against the input; in the workers, one
 * libtorch model each, loaded after fork(), run on batches of the frames
 * of state 's'.
 *
 * Threads: every worker runs its own inference with cores / workers
 * intra-op threads (at least 1), so workers x threads never exceeds the
 * cores.  Batches never change results: each image is normalised on its
 * own and the model's output for an image does not depend on the others
 * in the batch (tested).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dcnm_read.h"
#include "ppid.h"
#include "run_internal.h"
#include "torch_model.h"

/* bench/bench_torch.sh on 2 cores: batches of 1-2 frames run fastest; from
 * 8 frames on the U-Net's activations outgrow the cache and a batch of 16
 * ran at half the speed of single frames. */
#define TORCH_BATCH_DEFAULT 2
#define TORCH_BATCH_MAX     1024

static size_t
cpu_count(void)
{
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof(set), &set) == 0
                     ? CPU_COUNT(&set)
                     : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (size_t)n;
}

static size_t
torch_batch(void)
{
    /* Read in setup, before any thread starts (see default_workers). */
    // NOLINTNEXTLINE(concurrency-mt-unsafe): see above
    const char *env = getenv("DCNUMC_TORCH_BATCH");
    long n = env != NULL ? strtol(env, NULL, 10) : 0;

    if (n <= 0)
        return TORCH_BATCH_DEFAULT;
    return n > TORCH_BATCH_MAX ? TORCH_BATCH_MAX : (size_t)n;
}

/* dcnum's HDF5Data.meta: the root attributes with a value. */
static size_t
input_attrs(struct dcn_torch_attr *ta, const struct dcn_attr *attrs, size_t n)
{
    size_t na = 0;

    for (size_t i = 0; i < n; i++) {
        if (attrs[i].kind == DCN_ATTR_OTHER)
            continue;
        ta[na].key = attrs[i].name;
        ta[na].text = attrs[i].kind == DCN_ATTR_STRING ? attrs[i].s : NULL;
        ta[na].number = attrs[i].d;
        na++;
    }
    return na;
}

/* dcnum's "\n".join(lines) of one log, newly allocated (NULL: no memory). */
static char *
join_lines(const struct dcn_log *log)
{
    size_t len = 1;
    char *text, *p;

    for (size_t k = 0; k < log->nlines; k++)
        len += strlen(log->lines[k]) + 1;
    p = text = dcn__malloc(len);
    for (size_t k = 0; text != NULL && k < log->nlines; k++) {
        size_t l = strlen(log->lines[k]);
        if (k > 0)
            *p++ = '\n';
        memcpy(p, log->lines[k], l);
        p += l;
    }
    if (text != NULL)
        *p = '\0';
    return text;
}

/* The model's applicability rules against the input. */
static int
validate(struct dcn_run *run)
{
    size_t nattrs = 0, nlogs = 0;
    const struct dcn_attr *attrs = dcn_rtdc_attrs(run->in, &nattrs);
    const struct dcn_log *logs = dcn_rtdc_logs(run->in, &nlogs);
    struct dcn_torch_attr *ta = dcn__calloc(nattrs + 1, sizeof(*ta));
    struct dcn_torch_log *tl = dcn__calloc(nlogs + 1, sizeof(*tl));
    char **texts = dcn__calloc(nlogs + 1, sizeof(*texts));
    struct dcn_torch_input in = {run->path_in, ta, 0, tl, nlogs};
    bool oom = ta == NULL || tl == NULL || texts == NULL;
    int rc;

    for (size_t i = 0; !oom && i < nlogs; i++) {
        texts[i] = join_lines(&logs[i]);
        tl[i].name = logs[i].name;
        tl[i].text = texts[i];
        oom = texts[i] == NULL;
    }
    if (oom) {
        rc = dcn_error_set(&run->err, DCN_ENOMEM, "%s: out of memory",
                           run->path_in);
        goto out;
    }
    in.nattrs = input_attrs(ta, attrs, nattrs);
    rc = dcn_torch_meta_validate(
            &run->torch.meta, dcn__segmenter_name(run->resolved.segmenter_code),
            run->resolved.model_file, &in, &run->err);
out:
    for (size_t i = 0; texts != NULL && i < nlogs; i++)
        dcn__free(texts[i]);
    dcn__free(texts);
    dcn__free(ta);
    dcn__free(tl);
    return rc;
}

static int
check_libtorch(struct dcn_run *run)
{
    const char *path = run->resolved.model_file;

    if (!dcn_torch_built())
        return dcn_error_set(&run->err, DCN_EINVAL,
                             "%s: segmenter '%s': this dcnumc was built "
                             "without libtorch (cmake -DDCN_TORCH=ON, "
                             "Debian's libtorch-dev)",
                             path,
                             dcn__segmenter_name(run->resolved.segmenter_code));
    if (run->torch.device == DCN_TORCH_CUDA && !dcn_torch_cuda_available())
        return dcn_error_set(&run->err, DCN_EINVAL,
                             "%s: segmenter 'torchsto' runs on a CUDA GPU, "
                             "but libtorch %s has no CUDA device here (Debian "
                             "12's libtorch is built without CUDA); use "
                             "'torchmpo' on the CPU",
                             path, dcn_torch_version());
    return DCN_OK;
}

int
run_torch_setup(struct dcn_run *run)
{
    struct run_torch *t = &run->torch;
    char *json = NULL;
    size_t len = 0;
    int rc;

    if (run->resolved.segmenter_code == DCN_SEGMENTER_THRESH)
        return DCN_OK;
    t->on = true;
    t->device = run->resolved.segmenter_code == DCN_SEGMENTER_TORCHSTO
                        ? DCN_TORCH_CUDA
                        : DCN_TORCH_CPU;
    rc = dcn_dcnm_read_meta(&json, &len, run->resolved.model_file, &run->err);
    if (rc == DCN_OK)
        rc = dcn_torch_meta_parse(&t->meta, json, len, run->resolved.model_file,
                                  &run->err);
    dcn__free(json);
    if (rc == DCN_OK)
        rc = validate(run);
    if (rc == DCN_OK && !run->opts->dry_run)
        rc = check_libtorch(run);
    if (rc != DCN_OK)
        return rc;
    dcn_torch_shape_init(&t->shape, &t->meta, run->height, run->width);
    t->batch = torch_batch();
    t->threads = (int)(cpu_count() / run->nworkers);
    if (t->threads < 1)
        t->threads = 1;
    return DCN_OK;
}

void
run_torch_log(struct dcn_run *run)
{
    const struct run_torch *t = &run->torch;

    if (!t->on)
        return;
    run_log(run, "INFO",
            "Segmenter %s: model %s (libtorch %s), model image shape "
            "%zu x %zu, batches of %zu frames, %d intra-op thread(s) in "
            "each of %zu workers",
            dcn__segmenter_name(run->resolved.segmenter_code),
            run->resolved.model_file, dcn_torch_version(), t->shape.model_h,
            t->shape.model_w, t->batch, t->threads, run->nworkers);
}

void
run_torch_release(struct dcn_run *run)
{
    dcn_torch_meta_release(&run->torch.meta);
}

/* ---------------------------------------------------------------------
 * Worker side
 */

int
run_torch_worker_init(struct run_torch_worker *tw, struct dcn_run *run,
                      struct dcn_error *err)
{
    const struct run_torch *t = &run->torch;
    size_t mpix = t->shape.model_h * t->shape.model_w;

    memset(tw, 0, sizeof(*tw));
    if (!t->on)
        return DCN_OK;
    dcn_torch_set_threads(t->threads);
    tw->in = dcn__mallocarray(t->batch * mpix, sizeof(float));
    tw->raw = dcn__mallocarray(t->batch, mpix);
    tw->scratch = dcn__malloc(dcn_torch_postprocess_scratch_size(&t->shape));
    if (tw->in == NULL || tw->raw == NULL || tw->scratch == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "torch worker: out of memory");
    return dcn_torch_model_load(&tw->model, run->resolved.model_file, t->device,
                                err);
}

void
run_torch_worker_release(struct run_torch_worker *tw)
{
    dcn_torch_model_free(tw->model);
    dcn__free(tw->in);
    dcn__free(tw->raw);
    dcn__free(tw->scratch);
    memset(tw, 0, sizeof(*tw));
}

int
run_torch_segment(struct run_torch_worker *tw, struct dcn_run *run,
                  const struct run_torch_frames *f, struct dcn_error *err)
{
    const struct run_torch *t = &run->torch;
    const struct dcn_torch_shape *s = &t->shape;
    size_t mpix = s->model_h * s->model_w, npix = s->in_h * s->in_w;

    for (size_t a = 0; a < f->n; a += t->batch) {
        struct dcn_torch_batch b = {f->n - a < t->batch ? f->n - a : t->batch,
                                    s->model_h, s->model_w};
        int rc;

        dcn_torch_preprocess(tw->in, f->images + a * npix, b.n, s, &t->meta);
        rc = dcn_torch_model_forward(tw->model, tw->raw, tw->in, &b, err);
        if (rc != DCN_OK) {
            /* the model's message names the model; add the frames */
            uint64_t first = f->first + a, last = first + b.n - 1;
            size_t len = strlen(err->msg);
            (void)snprintf(err->msg + len, sizeof(err->msg) - len,
                           " (%s, frames %llu..%llu)", run->path_in,
                           (unsigned long long)first, (unsigned long long)last);
            return rc;
        }
        for (size_t i = 0; i < b.n; i++)
            dcn_torch_postprocess(f->mask + (a + i) * npix, tw->raw + i * mpix,
                                  s, tw->scratch);
    }
    return DCN_OK;
}
