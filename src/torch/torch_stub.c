/* SPDX-License-Identifier: MIT */
/*
 * torch_stub.c - torch_model.h for a build without libtorch: the torch
 * segmenters exist (options, identifiers, validation) but loading a model
 * fails with a message that says why.
 */
#include "torch_model.h"

bool
dcn_torch_built(void)
{
    return false;
}

const char *
dcn_torch_version(void)
{
    return "none";
}

bool
dcn_torch_cuda_available(void)
{
    return false;
}

void
dcn_torch_set_threads(int intra_op_threads)
{
    (void)intra_op_threads;
}

int
dcn_torch_model_load(struct dcn_torch_model **out, const char *path,
                     enum dcn_torch_device device, struct dcn_error *err)
{
    (void)device;
    *out = NULL;
    return dcn_error_set(err, DCN_EINVAL,
                         "%s: this dcnumc was built without libtorch "
                         "(cmake -DDCN_TORCH=ON with Debian's libtorch-dev), "
                         "so the torch segmenters cannot run",
                         path);
}

const char *
dcn_torch_model_meta_json(const struct dcn_torch_model *m, size_t *len)
{
    (void)m;
    *len = 0;
    return "";
}

int
dcn_torch_model_forward(
        struct dcn_torch_model *m,
        uint8_t *mask, /* NOLINT(readability-non-const-parameter) */
        const float *in, const struct dcn_torch_batch *b, struct dcn_error *err)
{
    (void)m;
    (void)mask;
    (void)in;
    (void)b;
    return dcn_error_set(err, DCN_EINVAL, "dcnumc was built without libtorch");
}

void
dcn_torch_model_free(struct dcn_torch_model *m)
{
    (void)m;
}
