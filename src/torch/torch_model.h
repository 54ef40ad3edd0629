/* SPDX-License-Identifier: MIT */
/*
 * torch_model.h - a dcnum segmentation model (.dcnm format 1: a
 * TorchScript archive with the extra file dcnum_meta.json) run through
 * libtorch.  The implementation is the only C++ in dcnumc
 * (torch_model.cpp); without libtorch at build time torch_stub.c gives
 * the same interface, whose loader fails with a clear message.
 *
 * One model object belongs to one worker thread: forward() is not called
 * on the same object from two threads at once.
 */
#ifndef DCN_TORCH_TORCH_MODEL_H
#define DCN_TORCH_TORCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dcn_torch_model;

enum dcn_torch_device {
    DCN_TORCH_CPU, /* torchmpo */
    DCN_TORCH_CUDA /* torchsto */
};

/* True when dcnumc was built with libtorch. */
bool dcn_torch_built(void);

/* The libtorch version ("1.13.1"), or "none"; static storage. */
const char *dcn_torch_version(void);

/* True when libtorch can use a CUDA device here. */
bool dcn_torch_cuda_available(void);

/*
 * Set the number of intra-op threads libtorch uses in this process (and
 * inter-op threads to 1, once per process).  dcnumc runs one inference
 * per worker, so workers x threads stays within the cores.
 */
void dcn_torch_set_threads(int intra_op_threads);

/*
 * Load the model in path onto device (the caller has checked that it is
 * format 1).  *out receives a new model (free with dcn_torch_model_free).
 * DCN_ENOTFOUND, DCN_EFORMAT (not a TorchScript archive, no
 * dcnum_meta.json), DCN_EINVAL (CUDA requested but not available or
 * libtorch missing), DCN_ENOMEM; err names path.
 */
int dcn_torch_model_load(struct dcn_torch_model **out, const char *path,
                         enum dcn_torch_device device, struct dcn_error *err);

/* The text of dcnum_meta.json (borrowed, NUL-terminated, *len bytes). */
const char *dcn_torch_model_meta_json(const struct dcn_torch_model *m,
                                      size_t *len);

/* The shape of one inference: n images of h x w. */
struct dcn_torch_batch {
    size_t n;
    size_t h;
    size_t w;
};

/*
 * Run the model on b->n images in (n x 1 x h x w float32, caller storage,
 * borrowed) and write mask (n x h x w bytes): 1 where the output is
 * >= 0.5.  The output must have the input's spatial shape (dcnum's models
 * do).  DCN_EFORMAT (unexpected output) or DCN_ENOMEM; err names the
 * model file.
 */
int dcn_torch_model_forward(struct dcn_torch_model *m, uint8_t *mask,
                            const float *in, const struct dcn_torch_batch *b,
                            struct dcn_error *err);

void dcn_torch_model_free(struct dcn_torch_model *m);

#ifdef __cplusplus
}
#endif

#endif /* DCN_TORCH_TORCH_MODEL_H */
