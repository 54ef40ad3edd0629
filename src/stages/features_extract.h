/* SPDX-License-Identifier: MIT */
/*
 * features_extract.h - state "e" of the chunk slot: from a frame's labels to
 * its events with dcnum's "legacy" feature set (numerics.md §3.4, §4, §5.1).
 *
 * The feature table is fixed: enum dcn_feature lists every scalar output
 * feature, dcn_feature_name() gives the dataset name the writer uses.
 * An event is a struct dcn_event (all features as doubles plus the label
 * it came from, so the writer rebuilds the 0/255 mask from the slot's
 * labels, style.md rule 22).  Features of a disabled group stay NaN.
 *
 * Per frame, dcn_features_extract_frame() finds the candidate labels
 * (more than size_thresh_mask pixels, in label order), computes every
 * enabled feature, applies the online box gates and drops invalid
 * events, writing the survivors in order into a caller-provided table.
 * Nothing is allocated per frame or per event: all working memory is one
 * struct dcn_features_scratch per worker.
 *
 * (Named features_extract.h, not features.h: src/stages is on consumers'
 * include path, and a features.h there would shadow glibc's <features.h>.)
 *
 * Pure computation: no I/O, no threads, no globals.  Safe to call from
 * many threads at once as long as each passes its own scratch and table.
 */
#ifndef DCN_STAGES_FEATURES_EXTRACT_H
#define DCN_STAGES_FEATURES_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/*
 * Every scalar feature, grouped: moments (18), volume, brightness (7),
 * texture (22).  Within a group the order is the byte order of the names.
 * The values are stable; add new features only at the end of a group
 * block and bump nothing else.
 */
enum dcn_feature {
    /* moments and contour (numerics.md §4.7) */
    DCN_FEAT_AREA_MSD,
    DCN_FEAT_AREA_RATIO,
    DCN_FEAT_AREA_UM,
    DCN_FEAT_AREA_UM_RAW,
    DCN_FEAT_ASPECT,
    DCN_FEAT_DEFORM,
    DCN_FEAT_DEFORM_RAW,
    DCN_FEAT_ECCENTR_PRNC,
    DCN_FEAT_INERT_RATIO_CVX,
    DCN_FEAT_INERT_RATIO_PRNC,
    DCN_FEAT_INERT_RATIO_RAW,
    DCN_FEAT_PER_RATIO,
    DCN_FEAT_PER_UM_RAW,
    DCN_FEAT_POS_X,
    DCN_FEAT_POS_Y,
    DCN_FEAT_SIZE_X,
    DCN_FEAT_SIZE_Y,
    DCN_FEAT_TILT,
    /* volume (§4.9) */
    DCN_FEAT_VOLUME,
    /* brightness (§4.10) */
    DCN_FEAT_BG_MED,
    DCN_FEAT_BRIGHT_AVG,
    DCN_FEAT_BRIGHT_BC_AVG,
    DCN_FEAT_BRIGHT_BC_SD,
    DCN_FEAT_BRIGHT_PERC_10,
    DCN_FEAT_BRIGHT_PERC_90,
    DCN_FEAT_BRIGHT_SD,
    /* Haralick texture (§4.11) */
    DCN_FEAT_TEX_ASM_AVG,
    DCN_FEAT_TEX_ASM_PTP,
    DCN_FEAT_TEX_CON_AVG,
    DCN_FEAT_TEX_CON_PTP,
    DCN_FEAT_TEX_COR_AVG,
    DCN_FEAT_TEX_COR_PTP,
    DCN_FEAT_TEX_DEN_AVG,
    DCN_FEAT_TEX_DEN_PTP,
    DCN_FEAT_TEX_ENT_AVG,
    DCN_FEAT_TEX_ENT_PTP,
    DCN_FEAT_TEX_F12_AVG,
    DCN_FEAT_TEX_F12_PTP,
    DCN_FEAT_TEX_F13_AVG,
    DCN_FEAT_TEX_F13_PTP,
    DCN_FEAT_TEX_IDM_AVG,
    DCN_FEAT_TEX_IDM_PTP,
    DCN_FEAT_TEX_SEN_AVG,
    DCN_FEAT_TEX_SEN_PTP,
    DCN_FEAT_TEX_SVA_AVG,
    DCN_FEAT_TEX_SVA_PTP,
    DCN_FEAT_TEX_VAR_AVG,
    DCN_FEAT_TEX_VAR_PTP,
    DCN_FEAT_COUNT
};

#define DCN_FEAT_FIRST_MOMENT     DCN_FEAT_AREA_MSD
#define DCN_FEAT_FIRST_BRIGHTNESS DCN_FEAT_BG_MED
#define DCN_FEAT_FIRST_TEXTURE    DCN_FEAT_TEX_ASM_AVG
#define DCN_FEAT_NUM_MOMENTS      18
#define DCN_FEAT_NUM_BRIGHTNESS   7
#define DCN_FEAT_NUM_TEXTURE      22

/* Feature groups; also the extractor's flags (dcnum's extract_kwargs). */
enum dcn_features_flags {
    DCN_FEATURES_MOMENTS = 1u << 0, /* always computed */
    DCN_FEATURES_VOLUME = 1u << 1,
    DCN_FEATURES_BRIGHTNESS = 1u << 2,
    DCN_FEATURES_HARALICK = 1u << 3,
    /* dcnum's default: brightness=True, haralick=True, volume=True */
    DCN_FEATURES_LEGACY = DCN_FEATURES_MOMENTS | DCN_FEATURES_VOLUME |
                          DCN_FEATURES_BRIGHTNESS | DCN_FEATURES_HARALICK
};

/* Dataset name of f ("area_um", "tex_f13_ptp", ...); NULL if out of range.
 * The string is static. */
const char *dcn_feature_name(enum dcn_feature f);

/* The group flag (one DCN_FEATURES_* bit) f belongs to; 0 if invalid. */
unsigned dcn_feature_group(enum dcn_feature f);

/* Look a feature up by its dataset name; DCN_ENOTFOUND if unknown. */
int dcn_feature_from_name(enum dcn_feature *f, const char *name);

/* True if f is computed under the given DCN_FEATURES_* flags. */
bool dcn_feature_enabled(enum dcn_feature f, unsigned flags);

/* ---------------------------------------------------------------------
 * Gate (numerics.md §4.12, dcnum's feat/gate.py)
 */

/*
 * One online filter of the input's metadata, already parsed by the caller
 * from the "online_filter:<feature> min|max|soft limit" keys.  As dcnum
 * does, the caller skips keys that start with "target" and reports keys
 * ending in "polygon points" through has_polygon_filter; a key that ends
 * in neither " min" nor " max" is only warned about.
 */
struct dcn_online_filter {
    const char *feature; /* borrowed; the "<feature>" part of the key */
    bool has_min;        /* "<feature> min" present */
    bool has_max;        /* "<feature> max" present */
    double min;
    double max;
    /* "<feature> soft limit": true if the key is absent (dcnum's default);
     * only filters whose soft limit is explicitly false become gates. */
    bool soft_limit;
};

struct dcn_gate_options {
    bool online_gates;     /* dcnum's online_gates */
    long size_thresh_mask; /* the user's value; 0 = not given */
    bool has_bin_area_min; /* "online_contour:bin area min" present */
    long bin_area_min;     /* its value */
    double pixel_size;     /* rounded pixel size (numerics.md §1) */
    const struct dcn_online_filter *filters; /* borrowed, nfilters entries */
    size_t nfilters;
    bool has_polygon_filter; /* an "online_filter:* polygon points" key */
};

/* A resolved gate; plain data, safe to copy into shared memory. */
struct dcn_gate {
    long size_thresh_mask; /* candidates need more pixels than this */
    bool any_box;          /* true if any box gate is active */
    bool box[DCN_FEAT_COUNT];
    bool has_lo[DCN_FEAT_COUNT];
    bool has_hi[DCN_FEAT_COUNT];
    double lo[DCN_FEAT_COUNT];
    double hi[DCN_FEAT_COUNT];
};

/*
 * Resolve dcnum's Gate: size_thresh_mask (the user's value if nonzero,
 * else "bin area min" with online gates, else 10; 0 counts as not given)
 * and, with online gates, the hard box gates plus size_x/size_y >= 3*ps
 * (which override any metadata gate on them, as in dcnum).
 *
 * flags: the DCN_FEATURES_* groups that will be computed.  A hard gate on
 * a feature that is unknown or not computed is rejected with DCN_EINVAL
 * and a message naming it (format.md D16); so is a polygon filter, which
 * dcnum does not implement.
 */
int dcn_gate_init(struct dcn_gate *gate, const struct dcn_gate_options *opt,
                  unsigned flags, struct dcn_error *err);

/* True if the event's values pass every box gate (NaN fails a gate). */
bool dcn_gate_box_pass(const struct dcn_gate *gate, const double *feat);

/* ---------------------------------------------------------------------
 * Events and per-frame extraction
 */

/* One event: every feature (NaN where not computed) and its label. */
struct dcn_event {
    double feat[DCN_FEAT_COUNT];
    uint16_t label; /* the event's mask is labels == label in its frame */
    uint32_t npix;  /* pixels of the mask */
    uint32_t row0;  /* the mask lies in rows row0 .. row1 (inclusive) */
    uint32_t row1;
};

/* The caller's event table for one frame: fixed capacity, filled by
 * dcn_features_extract_frame(). */
struct dcn_event_table {
    struct dcn_event *events; /* borrowed, cap entries */
    size_t cap;
    size_t count; /* set by the extraction: the frame's event count */
};

/* Borrowed, read-only views of one frame; all width * height, row-major,
 * contiguous (stride == width). */
struct dcn_frame_input {
    const uint8_t *image;      /* required */
    const uint8_t *image_bg;   /* required for brightness and texture */
    const int16_t *image_corr; /* image - image_bg; NULL: computed here */
    const uint16_t *labels;    /* required; 0 is background */
    size_t width;
    size_t height;
    bool has_bg_off; /* the data have a bg_off feature */
    double bg_off;
    /* Optional: the median of image_bg (without bg_off) if the caller
     * knows it, e.g. once per sparsemed background image; NULL: computed
     * here once per frame that has candidates. */
    const double *bg_median;
};

/* Extraction settings; plain data. */
struct dcn_features_config {
    unsigned flags;       /* DCN_FEATURES_* */
    double pixel_size;    /* rounded pixel size (§1), nonzero */
    struct dcn_gate gate; /* from dcn_gate_init() */
};

/* Per-frame bookkeeping. */
struct dcn_frame_stats {
    size_t candidates;    /* masks that passed the size gate */
    size_t gated_out;     /* removed by box gates (not counted by dcnum) */
    size_t masks_dropped; /* invalid events removed (dcnum's counter) */
};

struct dcn_features_scratch;

/* Bytes dcn_features_scratch_new() allocates for frames of this size. */
size_t dcn_features_scratch_size(size_t width, size_t height);

/*
 * Allocate per-worker working memory for frames of at most width x
 * height pixels (and at most width * height labels).  Caller frees with
 * dcn_features_scratch_free().  DCN_EINVAL for an empty size, DCN_ENOMEM.
 */
int dcn_features_scratch_new(struct dcn_features_scratch **scratch,
                             size_t width, size_t height);
void dcn_features_scratch_free(struct dcn_features_scratch *scratch);

/*
 * Extract the events of one frame (numerics.md §5.1 steps 2-5; the
 * duplicate-frame skip of step 1 is the caller's).
 *
 * table:    table->events[0 .. table->count-1] are written, in label
 *           order; table->count is the number of events the frame yields.
 * stats:    optional (NULL); set on DCN_OK and DCN_ERANGE.
 * scratch:  from dcn_features_scratch_new() for at least this frame size;
 *           clobbered.  Nothing is allocated.
 *
 * Returns DCN_OK; DCN_ERANGE if the frame yields more than table->cap
 * events (the first cap are written and table->count holds the full
 * count: call again with at least that much room; nothing is dropped
 * silently); DCN_EINVAL for missing views, a frame larger than the
 * scratch, a label above the scratch's width * height, or a zero pixel
 * size.
 *
 * Each label is expected to be one 8-connected region, as the labeling
 * stage makes it (numerics.md §3.2): the contour is the outer contour of
 * the region holding the label's first pixel in raster order, while the
 * brightness and texture features use every pixel of the label.
 */
int dcn_features_extract_frame(struct dcn_event_table *table,
                               struct dcn_frame_stats *stats,
                               const struct dcn_frame_input *in,
                               const struct dcn_features_config *cfg,
                               struct dcn_features_scratch *scratch);

/* Median of n uint8 values (numerics.md §4.10, bg_med without bg_off):
 * the middle value, or (a+b)/2 of the two middle ones; NaN for n == 0. */
double dcn_features_median_u8(const uint8_t *px, size_t n);

#endif /* DCN_STAGES_FEATURES_EXTRACT_H */
