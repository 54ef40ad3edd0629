// SPDX-License-Identifier: MIT
//
// torch_model.cpp - dcnum's load_model_v1_jit and the model call of
// SegmentTorchMPO / SegmentTorchSTO through libtorch's C++ API.  Every
// exception stops at this file's C boundary and becomes a status code
// with one message.
#include "torch_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>

struct dcn_torch_model {
    torch::jit::Module module;
    torch::Device device{torch::kCPU};
    std::string path;
    std::string meta_json;
};

bool
dcn_torch_built(void)
{
    return true;
}

const char *
dcn_torch_version(void)
{
    return TORCH_VERSION;
}

bool
dcn_torch_cuda_available(void)
{
    try {
        return torch::cuda::is_available();
    } catch (...) {
        return false;
    }
}

void
dcn_torch_set_threads(int intra_op_threads)
{
    static std::once_flag interop_once;
    try {
        // set_num_interop_threads may be called once, before any
        // inter-op work; dcnumc never runs inter-op parallel work.
        std::call_once(interop_once, [] { at::set_num_interop_threads(1); });
    } catch (...) {
        // already fixed by an earlier user of libtorch in this process
    }
    try {
        at::set_num_threads(intra_op_threads > 0 ? intra_op_threads : 1);
    } catch (...) {
    }
}

static int
load(dcn_torch_model *m, const char *path, enum dcn_torch_device device,
     struct dcn_error *err)
{
    // dcnum: torch.jit.load(model_path, _extra_files=..., map_location),
    // eval(), torch.jit.optimize_for_inference().
    torch::jit::ExtraFilesMap extra{{"dcnum_meta.json", ""}};
    if (device == DCN_TORCH_CUDA)
        m->device = torch::Device(torch::kCUDA);
    m->module = torch::jit::load(path, m->device, extra);
    m->meta_json = extra["dcnum_meta.json"];
    if (m->meta_json.empty())
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: not a dcnum model file (the TorchScript "
                             "archive has no extra file dcnum_meta.json)",
                             path);
    m->module.eval();
    m->module = torch::jit::optimize_for_inference(m->module);
    return DCN_OK;
}

int
dcn_torch_model_load(struct dcn_torch_model **out, const char *path,
                     enum dcn_torch_device device, struct dcn_error *err)
{
    *out = nullptr;
    if (device == DCN_TORCH_CUDA && !dcn_torch_cuda_available())
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: segmenter torchsto needs a CUDA device, "
                             "but libtorch %s %s",
                             path, TORCH_VERSION,
                             torch::cuda::device_count() == 0 &&
                                             !torch::hasCUDA()
                                     ? "was built without CUDA"
                                     : "finds no CUDA device");
    dcn_torch_model *m = new (std::nothrow) dcn_torch_model;
    if (m == nullptr)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", path);
    int rc;
    try {
        c10::InferenceMode guard;
        m->path = path;
        rc = load(m, path, device, err);
    } catch (const std::bad_alloc &) {
        rc = dcn_error_set(err, DCN_ENOMEM,
                           "%s: out of memory loading the "
                           "model",
                           path);
    } catch (const std::exception &e) {
        std::string what = e.what();
        size_t nl = what.find('\n');
        if (nl != std::string::npos)
            what.resize(nl);
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: libtorch %s cannot load this model "
                           "(.dcnm format 1, a TorchScript archive, is "
                           "expected): %s",
                           path, TORCH_VERSION, what.c_str());
    }
    if (rc != DCN_OK) {
        delete m;
        return rc;
    }
    *out = m;
    return DCN_OK;
}

const char *
dcn_torch_model_meta_json(const struct dcn_torch_model *m, size_t *len)
{
    *len = m->meta_json.size();
    return m->meta_json.c_str();
}

int
dcn_torch_model_forward(struct dcn_torch_model *m, uint8_t *mask,
                        const float *in, const struct dcn_torch_batch *bs,
                        struct dcn_error *err)
{
    const size_t n = bs->n, h = bs->h, w = bs->w;
    try {
        c10::InferenceMode guard;
        // from_blob borrows the caller's buffer: no copy, no allocation
        // for the input on the CPU.
        torch::Tensor x = torch::from_blob(
                const_cast<float *>(in),
                {(int64_t)n, 1, (int64_t)h, (int64_t)w}, torch::kFloat32);
        if (m->device.is_cuda())
            x = x.to(m->device);
        torch::Tensor y = m->module.forward({x}).toTensor();
        // dcnum: pred >= 0.5 -> bool
        torch::Tensor b = y.ge(0.5).to(torch::kCPU, torch::kUInt8).contiguous();
        if (b.numel() != (int64_t)(n * h * w))
            return dcn_error_set(err, DCN_EFORMAT,
                                 "%s: the model returned %lld values for %zu "
                                 "images of %zu x %zu pixels",
                                 m->path.c_str(), (long long)b.numel(), n, h,
                                 w);
        std::memcpy(mask, b.data_ptr<uint8_t>(), n * h * w);
    } catch (const std::bad_alloc &) {
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory in the model",
                             m->path.c_str());
    } catch (const std::exception &e) {
        std::string what = e.what();
        size_t nl = what.find('\n');
        if (nl != std::string::npos)
            what.resize(nl);
        return dcn_error_set(err, DCN_EFORMAT, "%s: the model failed: %s",
                             m->path.c_str(), what.c_str());
    }
    return DCN_OK;
}

void
dcn_torch_model_free(struct dcn_torch_model *m)
{
    delete m;
}
