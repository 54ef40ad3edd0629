/* SPDX-License-Identifier: MIT */
/*
 * rtdc_info.h - a summary of an .rtdc file, what `dcnumc info FILE` shows:
 * frames, image shape, dtype, chunks and filters, features, the dcnum
 * pipeline identifiers, basins (type, paths, how they resolved, mapping),
 * logs, tables and the measurement identifier.
 */
#ifndef DCNUMC_RTDC_INFO_H
#define DCNUMC_RTDC_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dcn_rtdc_info_basin {
    char *key;  /* dataset name in /basins */
    char *name; /* may be NULL */
    char *type; /* "internal", "file", "remote", ... (may be NULL) */
    char *format;
    char *mapping; /* NULL: unmapped ("same" is shown as NULL, D1) */
    char *identifier;
    char **paths;
    size_t npaths;
    char **features;
    size_t nfeatures;
    int usable;     /* resolved and used for reading */
    char *resolved; /* file opened / group used, or NULL */
};

struct dcn_rtdc_info_log {
    char *name;
    size_t lines;
};

struct dcn_rtdc_info {
    char *path;
    uint64_t frames; /* experiment:event count */
    int has_image;   /* image found in /events or a basin */
    uint64_t image_height, image_width;
    char image_dtype[16];     /* "uint8" */
    char image_storage[16];   /* "chunked", "contiguous", "virtual", ... */
    uint64_t image_chunks[3]; /* 0 when not chunked */
    char image_filters[128];  /* e.g. "zstd(5)+fletcher32" or "none" */
    char *image_source;       /* "<file>:<dataset>" */
    int image_raw_fetch; /* stored chunks are decoded by dcnumc's workers */
    uint64_t read_chunk_size; /* frames per read (format.md §1.6) */
    double pixel_size;        /* rounded to 8 decimals; 0 if absent */
    double frame_rate;        /* 0 if absent */
    char *measurement_id;     /* NULL if none */
    char **features;          /* sorted: own /events and basins */
    size_t nfeatures;
    char **pipeline_keys; /* root attrs "pipeline:dcnum *" (name order) */
    char **pipeline_values;
    size_t npipeline;
    struct dcn_rtdc_info_basin *basins; /* resolution order */
    size_t nbasins;
    struct dcn_rtdc_info_log *logs; /* non-empty logs, sorted */
    size_t nlogs;
    char **tables;
    size_t ntables;
    char **warnings; /* e.g. basins that could not be resolved */
    size_t nwarnings;
};

/*
 * Fill info for the file at path.  A missing pixel size or image is
 * reported, not an error.  Returns DCN_OK or the status of the failure
 * (message in err naming the file).  Release with dcn_rtdc_info_release()
 * in every case.
 */
DCN_API int dcn_rtdc_info_read(struct dcn_rtdc_info *info, const char *path,
                               struct dcn_error *err);
DCN_API void dcn_rtdc_info_release(struct dcn_rtdc_info *info);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_RTDC_INFO_H */
