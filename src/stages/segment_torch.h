/* SPDX-License-Identifier: MIT */
/*
 * segment_torch.h - the pre- and postprocessing around dcnum's PyTorch
 * segmentation models (torch_preproc.py, torch_postproc.py at dcnum
 * 4e2d8eb): the model's input tensor from camera images, and the masks
 * from the model's output.  The model itself runs in src/torch/.
 *
 * Pure: no I/O, no threads, no allocation (the caller passes scratch).
 */
#ifndef DCN_STAGES_SEGMENT_TORCH_H
#define DCN_STAGES_SEGMENT_TORCH_H

#include <stddef.h>
#include <stdint.h>

#include "torch_meta.h"

/* The image shape in and the model's shape. */
struct dcn_torch_shape {
    size_t in_h, in_w;       /* camera image */
    size_t model_h, model_w; /* the model's image_shape (or the input's) */
};

/* The shape for input images of in_h x in_w under meta. */
void dcn_torch_shape_init(struct dcn_torch_shape *s,
                          const struct dcn_torch_meta *meta, size_t in_h,
                          size_t in_w);

/*
 * preprocess_images: dst (n * model_h * model_w floats, caller storage)
 * receives the n images (each in_h * in_w bytes, contiguous) cropped
 * centrally and padded with each image's own median, then normalised as
 * float32 (x / 255 - norm_mean) / norm_std, exactly as numpy computes it.
 */
void dcn_torch_preprocess(float *dst, const uint8_t *images, size_t n,
                          const struct dcn_torch_shape *s,
                          const struct dcn_torch_meta *meta);

/* Bytes of scratch dcn_torch_postprocess() needs. */
size_t dcn_torch_postprocess_scratch_size(const struct dcn_torch_shape *s);

/*
 * postprocess_masks for one image: mask (in_h * in_w bytes, 1 foreground)
 * from model_mask (model_h * model_w bytes, 1 where the model's output is
 * >= 0.5).  When the model's image was cropped from the camera image,
 * objects touching the model mask's border are removed first (8-connected,
 * dcnum's clear_border); then the mask is padded with zeros / cropped
 * back.  model_mask is modified.  scratch: see above.
 */
void dcn_torch_postprocess(uint8_t *mask, uint8_t *model_mask,
                           const struct dcn_torch_shape *s, void *scratch);

#endif /* DCN_STAGES_SEGMENT_TORCH_H */
