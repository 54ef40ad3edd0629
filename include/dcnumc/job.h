/* SPDX-License-Identifier: MIT */
/*
 * job.h - the options of one pipeline run (dcnum's DCNumPipelineJob), the
 * pipeline identifiers (PPIDs) they produce, and the identifiers derived
 * from them.
 *
 * A job is caller storage: dcn_job_init() fills in dcnum's defaults,
 * the setters parse option text exactly as the CLI receives it
 * ("rollmed", "kernel_size=150", "index_mapping=2:5"), and
 * dcn_job_release() frees what the setters allocated.  Every setter
 * returns DCN_EINVAL with a message that names the option, the key and
 * the value when the text is not acceptable.
 *
 * Set a component's code before its keyword arguments: the keys are
 * checked against the selected code (numerics.md §2, §3, §4.12, §7).
 *
 * Number formatting and parsing assume the C locale for LC_NUMERIC
 * (style.md rule 43).
 */
#ifndef DCNUMC_JOB_H
#define DCNUMC_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/index_mapping.h"
#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The keyword-argument groups of a job (dcnum's *_kwargs dicts). */
enum dcn_kw_group {
    DCN_KW_DATA,       /* data_kwargs: pixel_size, index_mapping, ... */
    DCN_KW_BACKGROUND, /* background_kwargs of the selected code */
    DCN_KW_SEGMENTER,  /* segmenter_kwargs: thresh, or model_file (torch) */
    DCN_KW_MASK,       /* segmenter_kwargs["kwargs_mask"] */
    DCN_KW_FEATURE,    /* feature_kwargs: brightness, haralick, volume */
    DCN_KW_GATE,       /* gate_kwargs: online_gates, size_thresh_mask */
    DCN_KW_NGROUPS
};

enum dcn_background_code {
    DCN_BACKGROUND_SPARSEMED, /* default */
    DCN_BACKGROUND_ROLLMED,
    DCN_BACKGROUND_COPY
};

/* dcnum's segmenters; torchuni (model format 2) is rejected: libtorch
 * 1.13 cannot load torch.export programs. */
enum dcn_segmenter_code {
    DCN_SEGMENTER_THRESH,
    DCN_SEGMENTER_TORCHMPO, /* a .dcnm model on the CPU, in every worker */
    DCN_SEGMENTER_TORCHSTO  /* the same model on a CUDA device */
};

enum dcn_basin_strategy {
    DCN_BASIN_DRAIN,
    DCN_BASIN_TAP
};

enum dcn_worker_kind {
    DCN_WORKER_PROCESSES,
    DCN_WORKER_THREADS
};

struct dcn_sparsemed_kwargs {
    int64_t kernel_size;     /* 200, > 0 */
    double split_time;       /* 1.0 s, > 0 */
    double thresh_cleansing; /* 0, >= 0 */
    double frac_cleansing;   /* 0.8, 0 < f <= 1 */
    bool offset_correction;  /* true */
};

struct dcn_rollmed_kwargs {
    int64_t kernel_size; /* 100, > 0 and even, < number of frames */
    int64_t batch_size;  /* 10000, > kernel_size */
};

/*
 * All options of one run.  Read the fields freely; change them through
 * the setters, which keep the bookkeeping (which keys the user gave, for
 * the job log) right.
 */
struct dcn_job {
    char *path_in;  /* owned; NULL until set */
    char *path_out; /* owned; NULL means "<input stem>_dcn.rtdc" */

    /* data: code "hdf" */
    bool has_pixel_size; /* false: taken from the input */
    /* As given (the PPID and the job log use it as is); features and the
     * output's "imaging:pixel size" use dcn_pixel_size_round() of it,
     * like dcnum's HDF5Data.  From the input it is already rounded. */
    double pixel_size;
    struct dcn_index_mapping index_mapping;
    int64_t image_cache_size; /* 2; HDF5Data option, not in the PPID */
    int64_t image_chunk_size; /* 1000; HDF5Data option, not in the PPID */

    enum dcn_background_code background_code;
    struct dcn_sparsemed_kwargs sparsemed;
    struct dcn_rollmed_kwargs rollmed;

    enum dcn_segmenter_code segmenter_code;
    double thresh; /* -6.0, < 0 (thresh) */
    /* torch segmenters: the .dcnm model file as given (owned; NULL until
     * set, required by dcn_job_check); the PPID holds its file name */
    char *model_file;
    /* kwargs_mask over the segmenter class defaults (closing_disk: 2 for
     * thresh, 0 for the torch segmenters, unless given) */
    bool clear_border;    /* true */
    bool fill_holes;      /* true */
    int64_t closing_disk; /* 2, >= 0 */

    /* feature: code "legacy" */
    bool brightness; /* true */
    bool haralick;   /* true */
    bool volume;     /* true */

    /* gate: code "norm" */
    bool online_gates;          /* false */
    bool size_thresh_mask_none; /* true: None (the gate uses 10) */
    int64_t size_thresh_mask;   /* valid when !size_thresh_mask_none */

    enum dcn_basin_strategy basin_strategy; /* drain */
    int compression_level;                  /* 5 (zstd-5); 0 = "none" */
    int num_procs;                          /* 0 = as many as CPUs */
    enum dcn_worker_kind worker_kind;       /* threads */
    int log_level;                          /* 20 (INFO) */
    bool debug;                             /* false */

    /* Which keys the user gave, per group (bit i = i-th key of the
     * group's table, in dcnum's declaration order).  Maintained by the
     * setters; the job log lists exactly these keys, as dcnum does. */
    uint32_t kw_given[DCN_KW_NGROUPS];
};

/* Fill job with dcnum's defaults.  Allocates nothing. */
DCN_API void dcn_job_init(struct dcn_job *job);
/* Free what the job owns and re-initialise it.  NULL is a no-op. */
DCN_API void dcn_job_release(struct dcn_job *job);

/* Copy path (the job owns the copy).  DCN_ENOMEM, DCN_EINVAL (NULL). */
DCN_API int dcn_job_set_path_in(struct dcn_job *job, const char *path,
                                struct dcn_error *err);
DCN_API int dcn_job_set_path_out(struct dcn_job *job, const char *path,
                                 struct dcn_error *err);

/* Codes: data "hdf", background "sparsemed|rollmed|copy", segmenter
 * "thresh|torchmpo|torchsto" (torchuni: DCN_EINVAL "not supported by
 * dcnumc"), feature "legacy", gate "norm".  Changing the background or
 * segmenter code after giving its kwargs is an error (the keys belong to
 * the old code).  The segmenter code sets the class default of the mask
 * kwarg closing_disk unless it was given. */
DCN_API int dcn_job_set_data(struct dcn_job *job, const char *code,
                             struct dcn_error *err);
DCN_API int dcn_job_set_background(struct dcn_job *job, const char *code,
                                   struct dcn_error *err);
DCN_API int dcn_job_set_segmenter(struct dcn_job *job, const char *code,
                                  struct dcn_error *err);
DCN_API int dcn_job_set_feature(struct dcn_job *job, const char *code,
                                struct dcn_error *err);
DCN_API int dcn_job_set_gate(struct dcn_job *job, const char *code,
                             struct dcn_error *err);

/*
 * Set one keyword argument from "key=value" text.  Values: bools
 * true/false/yes/no (any case) or a number (non-zero is true); ints;
 * floats; "None" where dcnum allows it; index_mapping as an int N, a
 * slice "start:stop[:step]" with optional parts, or a list "3,5,6,7"
 * (brackets optional).  Checks the constraints of the single key
 * (e.g. sparsemed kernel_size > 0, thresh < 0); the constraints between
 * keys and those needing the input are checked by dcn_job_check() and
 * dcn_job_validate().  DCN_EINVAL or DCN_ENOMEM; on failure the job is
 * unchanged.
 */
DCN_API int dcn_job_set_kw(struct dcn_job *job, enum dcn_kw_group group,
                           const char *key_value, struct dcn_error *err);

/* "drain" or "tap". */
DCN_API int dcn_job_set_basin_strategy(struct dcn_job *job, const char *text,
                                       struct dcn_error *err);
/* "zstd-1" ... "zstd-9" or "none" (case-insensitive, as dcnum). */
DCN_API int dcn_job_set_compression(struct dcn_job *job, const char *text,
                                    struct dcn_error *err);
/* "threads" or "processes". */
DCN_API int dcn_job_set_worker_kind(struct dcn_job *job, const char *text,
                                    struct dcn_error *err);
/* A decimal number >= 0 (0: as many as CPUs). */
DCN_API int dcn_job_set_num_procs(struct dcn_job *job, const char *text,
                                  struct dcn_error *err);

/*
 * Give the job the input's "imaging:pixel size" unless the user set one:
 * stored as strtod(sprintf("%.8f", ps)) like dcnum's HDF5Data
 * (numerics.md §1).  Returns the pixel size the job now uses.
 */
DCN_API double dcn_job_resolve_pixel_size(struct dcn_job *job, double ps_input);

/* strtod(sprintf("%.8f", ps)). */
DCN_API double dcn_pixel_size_round(double ps);

/* Input-independent checks between keys (rollmed batch_size >
 * kernel_size) and of the pixel size (> 0, D14).  DCN_EINVAL. */
DCN_API int dcn_job_check(const struct dcn_job *job, struct dcn_error *err);

/*
 * dcn_job_check() plus the checks that need the input's frame count
 * n_frames (unmapped): rollmed kernel_size < n_frames (D12), and an
 * index mapping that fits.  DCN_EINVAL.
 */
DCN_API int dcn_job_validate(const struct dcn_job *job, uint64_t n_frames,
                             struct dcn_error *err);

/*
 * D16: with online_gates, every gated feature (the names of the input's
 * "online_filter:<feat> min|max" hard limits, borrowed) must be one the
 * pipeline computes.  DCN_EINVAL naming the first offending gate.
 */
DCN_API int dcn_job_check_online_gates(const struct dcn_job *job,
                                       const char *const *features,
                                       size_t nfeatures, struct dcn_error *err);

/* The gate's size threshold: the user's value if non-zero, else the
 * online "bin area min" when online_gates (pass <= 0 if absent), else 10
 * (numerics.md §4.12). */
DCN_API int64_t dcn_job_size_thresh_mask(const struct dcn_job *job,
                                         int64_t bin_area_min);

/*
 * The output path: path_out if set, else "<dir>/<stem>_dcn.rtdc" next to
 * path_in (the stem drops the last suffix).  *out is caller-freed with
 * dcn_free_string().  DCN_EINVAL (no path_in), DCN_ENOMEM.
 */
DCN_API int dcn_job_output_path(char **out, const struct dcn_job *job,
                                struct dcn_error *err);
/* Free a string returned by dcnumc.  NULL is a no-op. */
DCN_API void dcn_free_string(char *s);

/* ---------------------------------------------------------------------
 * Pipeline identifiers (numerics.md §6)
 */

#define DCN_PPID_PART_MAX 256

/* The six identifiers, the full PPID, its hash and the mapping id. */
struct dcn_ppid {
    char gen[DCN_PPID_PART_MAX];  /* "13" */
    char dat[DCN_PPID_PART_MAX];  /* "hdf:p=0.2645^i=0" */
    char bg[DCN_PPID_PART_MAX];   /* "sparsemed:k=200^s=1^t=0^f=0.8^o=1" */
    char seg[DCN_PPID_PART_MAX];  /* "thresh:t=-6:cle=1^f=1^clo=2" */
    char feat[DCN_PPID_PART_MAX]; /* "legacy:b=1^h=1^v=1" */
    char gate[DCN_PPID_PART_MAX]; /* "norm:o=0^s=10" */
    char full[6 * DCN_PPID_PART_MAX];
    char hash[33];                   /* md5 hex of full */
    char mapping[DCN_PPID_PART_MAX]; /* "pipeline:dcnum mapping" */
};

/*
 * Compute all identifiers of the job.  The pixel size must be known
 * (set by the user or dcn_job_resolve_pixel_size()).  DCN_EINVAL.
 */
DCN_API int dcn_job_get_ppid(struct dcn_ppid *out, const struct dcn_job *job,
                             struct dcn_error *err);

/* md5 hex of "gen|dat|bg|seg|feat|gate" (dcnum's compute_pipeline_hash)
 * of ids[0..5] in that order (borrowed); NULL entries count as "0". */
DCN_API void dcn_pipeline_hash(char hash[33], const char *const ids[6]);

/*
 * Decode one stored component identifier into the job's options
 * (dcnum's get_ppkw_from_ppid, §6.5): "hdf:p=0.34^i=2-5-n",
 * "rollmed:k=100^b=10000", "thresh:t=-6:cle=1^f=1^clo=2",
 * "legacy:b=1^h=0^v=1", "norm:o=1^s=23".  The component is recognised by
 * its code.  Keys not in the identifier keep their defaults.  An "h-..."
 * mapping cannot be inverted (DCN_EINVAL).
 */
DCN_API int dcn_job_apply_ppid_part(struct dcn_job *job, const char *part,
                                    struct dcn_error *err);
/* Decode a full "gen|dat|bg|seg|feat|gate" identifier. */
DCN_API int dcn_job_apply_ppid(struct dcn_job *job, const char *ppid,
                               struct dcn_error *err);

/* The "pipeline:dcnum *" attributes of an input; NULL = absent. */
struct dcn_ppid_stored {
    const char *gen, *dat, *bg, *seg, *feat, *gate, *hash; /* borrowed */
    bool has_yield;
    int64_t yield; /* "pipeline:dcnum yield" */
};

struct dcn_redo {
    bool sanity;       /* hash, yield or index mapping force a redo */
    bool background;   /* recompute the background */
    bool segmentation; /* redo segmentation and feature extraction */
};

/*
 * dcnum's redo decision (numerics.md §6.6): pure function of the stored
 * attributes, whether the input has image_bg, the input length
 * (mapped), the job and its identifiers ids.
 */
DCN_API void dcn_ppid_redo(struct dcn_redo *out,
                           const struct dcn_ppid_stored *stored,
                           bool input_has_image_bg, uint64_t input_len,
                           const struct dcn_job *job,
                           const struct dcn_ppid *ids);

/* ---------------------------------------------------------------------
 * Measurement and run identifiers (format.md §1.9, §3.6)
 */

#define DCN_MEASUREMENT_ID_MAX 512

/*
 * The measurement identifier: run_id if non-empty, else the UUID-style
 * md5 of "<time>_<date>_<setup_id>" if all three are non-empty, else
 * none.  Arguments are borrowed, NULL = absent; fixed-length strings must
 * be decoded first (D2).  Returns 1 and writes out, 0 if there is none,
 * DCN_ERANGE if run_id does not fit.
 */
DCN_API int dcn_measurement_identifier(char out[DCN_MEASUREMENT_ID_MAX],
                                       const char *run_id, const char *time,
                                       const char *date, const char *setup_id);

/* "<mid>_dcn-<hash[:7]>", or "dcn-<hash[:7]>" when mid is NULL or empty.
 * DCN_ERANGE if it does not fit in outlen. */
DCN_API int dcn_run_identifier(char *out, size_t outlen, const char *mid,
                               const char *hash);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_JOB_H */
