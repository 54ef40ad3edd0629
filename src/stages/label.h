/* SPDX-License-Identifier: MIT */
/*
 * label.h - labeling (numerics.md §3.2), label processing (§3.3) and the
 * per-frame candidate list (§3.4).
 *
 * All functions are pure: no I/O, no threads, no globals, and nothing is
 * allocated.  Work memory comes from the caller as "scratch", sized by the
 * *_scratch_size() queries once per run, so the per-frame path never
 * allocates.  Each function is safe to call from many threads at once as
 * long as every call passes its own output arrays and its own scratch.
 *
 * Label images are uint16, row-major, width * height values without
 * padding (the slot's layout); 0 is background.
 */
#ifndef DCN_STAGES_LABEL_H
#define DCN_STAGES_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/* A borrowed, read-only mask; rows may be padded. */
struct dcn_mask_view {
    const uint8_t *px; /* first pixel of row 0; nonzero is foreground */
    size_t width;
    size_t height;
    size_t stride; /* bytes from one row to the next, >= width */
};

/* The most objects a uint16 label image can number (format.md, D18). */
#define DCN_LABEL_MAX 65535u

/*
 * Bytes of scratch dcn_label() needs for an image of this size; 0 when the
 * image is empty or too large (width * height > 2^31).  The scratch must be
 * aligned for uint64_t (anything dcn__malloc() returns is).
 */
size_t dcn_label_scratch_size(size_t width, size_t height);

/*
 * Number the 8-connected foreground regions of mask (numerics.md §3.2).
 *
 * labels:  width * height values written by this call; 0 is background,
 *          1..*nobj are objects in raster order of their first pixel
 *          (scipy's ndi.label with the full 3x3 structure).
 * nobj:    set to the number of objects on success.
 * frame:   index of the frame, only used in the error message.
 * scratch: dcn_label_scratch_size() bytes, clobbered.  Nothing is
 *          allocated.
 * err:     receives the message of a failure (may be NULL).
 *
 * Returns DCN_OK, DCN_EINVAL for an empty or too large image, or
 * DCN_ERANGE if the frame holds more than 65535 objects (format.md, D18;
 * labels are then undefined).  Safe to call from many threads at once as
 * long as each passes its own labels and scratch.
 */
int dcn_label(uint16_t *labels, size_t *nobj, const struct dcn_mask_view *mask,
              size_t frame, void *scratch, struct dcn_error *err);

/* Mask post-processing options, dcnum's kwargs_mask (numerics.md §3.3). */
struct dcn_label_process_opts {
    bool clear_border;     /* cle: drop every label touching the frame */
    bool fill_holes;       /* f: OpenCV flood-fill variant (trap 2) */
    unsigned closing_disk; /* clo: radius r of the OPENING (trap 1); 0 off */
};

/* Defaults of the thresh segmenter: cle=1, f=1, clo=2. */
#define DCN_LABEL_PROCESS_THRESH_DEFAULTS \
    {                                     \
        true, true, 2u                    \
    }

/*
 * Bytes of scratch dcn_label_process() needs; 0 when the image is empty or
 * too large.  Independent of the options (any closing_disk radius works).
 * Alignment as for dcn_label_scratch_size().
 */
size_t dcn_label_process_scratch_size(size_t width, size_t height);

/* A borrowed label image that a stage rewrites in place. */
struct dcn_label_image {
    uint16_t *px; /* width * height values, row-major, no padding */
    size_t width;
    size_t height;
};

/*
 * dcnum's Segmenter.process_labels(), in place (numerics.md §3.3):
 * clear_border, then fill_holes, then the disk opening, then a new
 * 8-connected labeling (consecutive, raster order) when fill_holes or
 * closing_disk ran.  With only clear_border (or nothing) the surviving
 * labels keep their values, gaps included.
 *
 * img:       the labels, read and rewritten in place (borrowed for the
 *            call).  Any uint16 values are accepted, not only dcn_label()
 *            output.
 * max_label: set to the largest label value present afterwards (the
 *            object count when the image was relabeled); 0 when empty.
 * frame:     index of the frame, only used in error messages.
 * scratch:   dcn_label_process_scratch_size() bytes, clobbered.
 *
 * Deviation: dcnum fails (IndexError) on a one-row image with fill_holes;
 * here row 0 is cleared as usual and the result is empty.
 *
 * Returns DCN_OK, DCN_EINVAL (bad arguments) or DCN_ERANGE (more than
 * 65535 objects after processing; labels are then undefined).  Thread
 * safety as for dcn_label().
 */
int dcn_label_process(const struct dcn_label_image *img, size_t *max_label,
                      const struct dcn_label_process_opts *opts, size_t frame,
                      void *scratch, struct dcn_error *err);

/* Bytes of scratch dcn_label_and_process() needs (as for processing). */
size_t dcn_label_and_process_scratch_size(size_t width, size_t height);

/*
 * dcn_label() and then dcn_label_process() in one call, for a worker that
 * runs both stages on the same frames: the intermediate labels are never
 * written to memory and read back, and clear_border works on the runs.
 * img (width and height equal to the mask's) and *max_label receive
 * exactly what the two calls would give, and the same errors are
 * returned (DCN_ERANGE for more than 65535 objects before or after
 * processing).  Scratch: dcn_label_and_process_scratch_size() bytes.
 * Thread safety as for dcn_label().
 */
int dcn_label_and_process(const struct dcn_label_image *img, size_t *max_label,
                          const struct dcn_mask_view *mask,
                          const struct dcn_label_process_opts *opts,
                          size_t frame, void *scratch, struct dcn_error *err);

/* Pixel count and bounding box of one label. */
struct dcn_label_stats {
    uint32_t count; /* pixels with this label; 0 if the label is absent */
    uint32_t x0;    /* bounding box, inclusive; undefined when count is 0 */
    uint32_t y0;
    uint32_t x1;
    uint32_t y1;
};

/*
 * Pixel count and bounding box of every label in one pass over labels
 * (numerics.md §3.4); the feature stage needs no maximum label beforehand.
 *
 * stats:   caller storage for cap entries; stats[i] describes label i + 1.
 *          Only stats[0 .. *nlabels) are written (the rest is untouched),
 *          so a worker may keep one array of DCN_LABEL_MAX entries and
 *          pay only for the labels a frame has.
 * nlabels: set to the largest label value present (0 for an empty frame).
 *
 * Returns DCN_OK, DCN_EINVAL for bad arguments, or DCN_ERANGE when a
 * label value exceeds cap (stats are then incomplete).  cap =
 * DCN_LABEL_MAX is always enough.  Thread-safe for distinct stats.
 */
int dcn_label_sizes(struct dcn_label_stats *stats, size_t cap, size_t *nlabels,
                    const uint16_t *labels, size_t width, size_t height);

/* dcnum's default gate size threshold (size_thresh_mask). */
#define DCN_SIZE_THRESH_MASK_DEFAULT 10u

/*
 * The candidate masks of a frame (numerics.md §3.4): writes to ids, in
 * ascending label order, every label l in 1..nstats whose pixel count is
 * > size_thresh_mask (0 means the default 10), and returns how many.
 * ids must hold nstats values.
 */
size_t dcn_label_candidates(uint16_t *ids, const struct dcn_label_stats *stats,
                            size_t nstats, size_t size_thresh_mask);

#endif /* DCN_STAGES_LABEL_H */
