/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read.h - the .rtdc reader (format.md §1).
 *
 * Roles (style.md §5.3, rule 35):
 *   - Every function taking a struct dcn_rtdc or struct dcn_rtdc_image
 *     makes HDF5 calls and must run on the READER thread only (or before
 *     the run's threads start).  The one exception is
 *     dcn_rtdc_image_decode(), which makes no HDF5 call and is what the
 *     WORKERS call.
 *   - Per chunk of frames the reader calls dcn_rtdc_image_fetch(): it
 *     copies the stored bytes of the HDF5 chunks that cover the frames
 *     into a caller staging buffer (H5Dread_chunk) and describes them in
 *     caller refs, or, for contiguous/virtual datasets and filters the
 *     codec cannot undo, reads decoded frames into dst with H5Dread (then
 *     f->decoded is true and the workers have nothing to decode).
 *   - Workers then call dcn_rtdc_image_decode() on the same struct
 *     dcn_image_fetch for any sub-range of the fetched frames.
 *
 * Everything the workers need is plain data owned by the caller
 * (struct dcn_image_layout, struct dcn_image_fetch and the buffers it
 * points to), so it can live in the run's shared mapping.
 *
 * Errors: every fallible function returns DCN_OK or a negative
 * enum dcn_status and records a message naming the file and the dataset
 * or attribute in err.
 */
#ifndef DCN_IO_RTDC_READ_H
#define DCN_IO_RTDC_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk_decode.h"
#include "dcnumc/index_mapping.h"
#include "dcnumc/status.h"

struct dcn_rtdc;
struct dcn_rtdc_image;

/* ---- options ---------------------------------------------------------- */

enum dcn_rtdc_open_flags {
    /* Do not require an image (dcnumc info, feature-only files). */
    DCN_RTDC_OPEN_NO_IMAGE = 1u << 0,
    /* A missing or zero pixel size is not an error (dcnumc info). */
    DCN_RTDC_OPEN_NO_PIXEL_SIZE = 1u << 1,
};

struct dcn_rtdc_open_opts {
    double pixel_size; /* > 0: user value (D14); 0: from the file */
    /* dcnum's index_mapping; indices borrowed for dcn_rtdc_open() */
    struct dcn_index_mapping mapping;
    unsigned flags; /* enum dcn_rtdc_open_flags */
};

/* ---- metadata --------------------------------------------------------- */

enum dcn_attr_kind {
    DCN_ATTR_STRING = 0, /* text (UTF-8, trailing NULs stripped) */
    DCN_ATTR_INT = 1,    /* signed or unsigned integer, in i */
    DCN_ATTR_FLOAT = 2,  /* in d */
    DCN_ATTR_BOOL = 3,   /* HDF5 enum {FALSE=0, TRUE=1}, in i */
    DCN_ATTR_OTHER = 4,  /* anything else (arrays, compounds): no value */
};

/*
 * One root attribute, typed, with enough of its HDF5 type to recreate it
 * (a writer that wants the bytes verbatim can instead H5Aiterate the
 * input's root itself: see dcn_rtdc_path()).
 */
struct dcn_attr {
    char *name;
    enum dcn_attr_kind kind;
    char *s;   /* DCN_ATTR_STRING: owned text */
    int64_t i; /* DCN_ATTR_INT (uint64 above INT64_MAX clamps), BOOL */
    double d;  /* DCN_ATTR_FLOAT; also INT/BOOL converted */
    /* the stored type */
    bool str_fixed;   /* fixed-length string (else vlen) */
    bool str_utf8;    /* cset UTF-8 (else ASCII) */
    size_t type_size; /* bytes: string length, int/float/enum width */
    bool int_signed;  /* INT and the base of BOOL */
};

struct dcn_log {
    char *name;
    char **lines; /* nlines UTF-8 lines, trailing NULs stripped */
    size_t nlines;
};

enum dcn_basin_type {
    DCN_BASIN_INTERNAL = 0,
    DCN_BASIN_FILE = 1,
    DCN_BASIN_OTHER = 2, /* remote etc.: dropped with a warning */
};

/* A basin definition and how it resolved (format.md §1.8). */
struct dcn_basin_desc {
    char *key;     /* dataset name in /basins */
    char *name;    /* "name" or NULL */
    char *type;    /* "type" text as stored */
    char *format;  /* "format" or NULL */
    char *mapping; /* "mapping" or NULL (unmapped; "same" is stored NULL) */
    char *identifier;
    char **paths;
    size_t npaths;
    char **features; /* as listed, or all of the basin's /events */
    size_t nfeatures;
    bool features_listed; /* "features" key was present */
    bool usable;          /* resolved and kept */
    char *resolved;       /* file basins: the path opened; internal: group */
};

/* ---- open / close ------------------------------------------------------ */

/*
 * Open path read-only (registers zstd, switches HDF5 error printing off),
 * read all metadata, logs, table names and basins, resolve the basins and
 * the index mapping, check the image (unless DCN_RTDC_OPEN_NO_IMAGE).
 * *out: caller frees with dcn_rtdc_free().
 *
 * Errors: DCN_ENOTFOUND missing file / dataset / attribute (events/image,
 * experiment:event count, imaging:pixel size); DCN_EFORMAT not an HDF5
 * file, wrong rank or dtype, zero pixel size, bad basin JSON, mapping
 * index out of range; DCN_ECORRUPT an HDF5 file that cannot be opened
 * (truncated); DCN_EFILTER an image filter that neither the codec nor
 * HDF5 can decode; DCN_EIO other HDF5 failures.
 */
int dcn_rtdc_open(struct dcn_rtdc **out, const char *path,
                  const struct dcn_rtdc_open_opts *opts, struct dcn_error *err);
void dcn_rtdc_free(struct dcn_rtdc *r);

/* Borrowed, valid until dcn_rtdc_free(). */
const char *dcn_rtdc_path(const struct dcn_rtdc *r);
/* HDF5 file id (reader thread only), e.g. for H5Ocopy by the writer's
 * setup.  Borrowed; do not close. */
long long dcn_rtdc_file_id(const struct dcn_rtdc *r);

/* Number of frames after the index mapping (the authoritative length:
 * experiment:event count without mapping). */
uint64_t dcn_rtdc_len(const struct dcn_rtdc *r);
/* experiment:event count of the file. */
uint64_t dcn_rtdc_len_raw(const struct dcn_rtdc *r);
/* Raw event index of mapped frame j (identity without mapping).  The
 * array form is NULL without mapping; borrowed, immutable after open. */
uint64_t dcn_rtdc_raw_index(const struct dcn_rtdc *r, uint64_t j);
const uint64_t *dcn_rtdc_raw_indices(const struct dcn_rtdc *r);

/* Pixel size rounded to 8 decimals (numerics §1), user value if given. */
double dcn_rtdc_pixel_size(const struct dcn_rtdc *r);
/* imaging:frame rate, or 0 when absent. */
double dcn_rtdc_frame_rate(const struct dcn_rtdc *r);
/* Measurement identifier (§1.9, D2) or NULL; borrowed. */
const char *dcn_rtdc_measurement_id(const struct dcn_rtdc *r);

/* Root attributes in name order (H5Aiterate, H5_INDEX_NAME); borrowed. */
const struct dcn_attr *dcn_rtdc_attrs(const struct dcn_rtdc *r, size_t *n);
/* The attribute named name, or NULL. */
const struct dcn_attr *dcn_rtdc_attr(const struct dcn_rtdc *r,
                                     const char *name);
/* Non-empty logs sorted by name; borrowed. */
const struct dcn_log *dcn_rtdc_logs(const struct dcn_rtdc *r, size_t *n);
/* Names of /tables members (sorted); borrowed.  The writer copies them
 * with H5Ocopy from dcn_rtdc_path(). */
char *const *dcn_rtdc_tables(const struct dcn_rtdc *r, size_t *n);
/* All basin definitions in resolution order (internal first, then by
 * name, then key); borrowed. */
const struct dcn_basin_desc *dcn_rtdc_basins(const struct dcn_rtdc *r,
                                             size_t *n);
/* Warnings collected while opening (D15: dropped basins...), borrowed. */
char *const *dcn_rtdc_warnings(const struct dcn_rtdc *r, size_t *n);

/* Sorted union of own /events names and the basins' features
 * (basinmap* excluded from basins); borrowed. */
char *const *dcn_rtdc_features(const struct dcn_rtdc *r, size_t *n);
/* True if feature is readable (own events or a usable basin). */
bool dcn_rtdc_has_feature(struct dcn_rtdc *r, const char *feature);

/* ---- scalar features --------------------------------------------------- */

/*
 * Read frames [a, b) of the 1-D feature name (any numeric dtype),
 * through the index mapping and basins, converted to double or int64.
 * out holds b - a values.  DCN_ENOTFOUND (names the feature, the file and
 * the basin paths tried), DCN_EFORMAT (not 1-D numeric, too short).
 */
int dcn_rtdc_scalar_read_f64(struct dcn_rtdc *r, const char *name, uint64_t a,
                             uint64_t b, double *out, struct dcn_error *err);
int dcn_rtdc_scalar_read_i64(struct dcn_rtdc *r, const char *name, uint64_t a,
                             uint64_t b, int64_t *out, struct dcn_error *err);

/* The stored element type of a numeric feature. */
struct dcn_dtype {
    enum {
        DCN_DTYPE_INT = 0,
        DCN_DTYPE_UINT = 1,
        DCN_DTYPE_FLOAT = 2
    } cls;
    size_t size; /* bytes: 1, 2, 4 or 8 */
};

/* The dtype of the 1-D feature name (own events or basin). */
int dcn_rtdc_scalar_dtype(struct dcn_rtdc *r, const char *name,
                          struct dcn_dtype *dt, struct dcn_error *err);
/* Frames [a, b) in the stored dtype (native byte order): out holds
 * (b - a) * dt.size bytes as given by dcn_rtdc_scalar_dtype(). */
int dcn_rtdc_scalar_read_raw(struct dcn_rtdc *r, const char *name, uint64_t a,
                             uint64_t b, void *out, struct dcn_error *err);

/* ---- images ------------------------------------------------------------ */

/* dcnum's image chunk length (§1.6): from the file's own chunked
 * /events/image (c >= 1000 → c, else floor(1000/c)*c), else 1000; then
 * min(that, len) when len > 0. */
uint64_t dcn_rtdc_image_chunk_size(const struct dcn_rtdc *r);

/* Where and how an image dataset is stored.  Plain data for workers. */
struct dcn_image_layout {
    uint64_t extent[3]; /* dataset dims (rows, height, width) */
    uint64_t chunk[3];  /* chunk dims, or 0 when not chunked */
    size_t chunk_bytes; /* decoded bytes of one full chunk */
    size_t ntiles;      /* chunks per row of chunks (tiles of one image) */
    struct dcn_filter_pipeline pipeline;
    bool raw;    /* chunks can be fetched raw and decoded by workers */
    bool mapped; /* frame j is dataset row rows[j] (else row j) */
};

/* One fetched stored chunk inside the staging buffer. */
struct dcn_chunk_ref {
    uint64_t offset; /* bytes into staging */
    uint64_t nbytes; /* stored bytes; 0 = chunk not allocated (zeros) */
    uint32_t filter_mask;
    uint64_t coord[3]; /* dataset coordinates of the chunk's first item */
};

/* The reader's result for one range of frames.  Caller-owned buffers. */
struct dcn_image_fetch {
    void *staging; /* dcn_rtdc_image_fetch_bound() bytes */
    size_t staging_cap;
    struct dcn_chunk_ref *refs; /* dcn_rtdc_image_fetch_max_refs() */
    size_t refs_cap;
    uint64_t *rows; /* b - a dataset rows, needed when layout.mapped */
    /* out */
    uint64_t a, b; /* frames fetched */
    size_t nrefs;
    bool decoded; /* dst already holds the frames (H5Dread fallback) */
};

/*
 * Locate the image feature name ("image", "image_bg", "mask", any uint8
 * (N, H, W) feature) in own /events or a basin, with its mapping.
 * *out is owned by r (freed with it); reader thread only.
 */
int dcn_rtdc_image_open(struct dcn_rtdc *r, const char *name,
                        struct dcn_rtdc_image **out, struct dcn_error *err);
const struct dcn_image_layout *
dcn_rtdc_image_layout(const struct dcn_rtdc_image *im);
/* Storage of the dataset: "chunked", "contiguous", "virtual",
 * "compact". */
const char *dcn_rtdc_image_storage(const struct dcn_rtdc_image *im);
/* File and dataset path the image is read from; borrowed. */
void dcn_rtdc_image_source(const struct dcn_rtdc_image *im, const char **file,
                           const char **dataset);
/* Height and width of one image. */
void dcn_rtdc_image_shape(const struct dcn_rtdc_image *im, size_t *height,
                          size_t *width);
/* Staging bytes and refs a fetch of up to max_frames frames needs, for
 * ranges starting at multiples of max_frames (the pipeline's slots).
 * Other ranges that need more use the H5Dread fallback automatically. */
size_t dcn_rtdc_image_fetch_bound(const struct dcn_rtdc_image *im,
                                  uint64_t max_frames);
size_t dcn_rtdc_image_fetch_max_refs(const struct dcn_rtdc_image *im,
                                     uint64_t max_frames);
/* Scratch bytes one worker passes to dcn_rtdc_image_decode(). */
size_t dcn_rtdc_image_decode_scratch_size(const struct dcn_image_layout *l);

/*
 * Reader thread: fetch frames [a, b) of the (mapped) image.  Fills f
 * (refs, rows, a, b) for the workers; or, when the layout is not raw or
 * the staging is too small, reads the decoded frames into dst
 * ((b - a) * height * width bytes) and sets f->decoded.
 */
int dcn_rtdc_image_fetch(struct dcn_rtdc_image *im, uint64_t a, uint64_t b,
                         struct dcn_image_fetch *f, uint8_t *dst,
                         struct dcn_error *err);

/* Fetch + decode in the calling thread (tests, small tools). */
int dcn_rtdc_image_read(struct dcn_rtdc_image *im, uint64_t a, uint64_t b,
                        uint8_t *dst, struct dcn_error *err);

/*
 * Worker (no HDF5): decode frames [a, b), a sub-range of f->a .. f->b,
 * from the staged chunks into dst ((b - a) * height * width bytes).
 * Does nothing if f->decoded.  scratch: decode_scratch_size() bytes.
 * DCN_ECORRUPT on a bad checksum or undecodable bytes, DCN_EFILTER for a
 * filter the codec cannot undo (not for layouts from this reader).
 * Messages name the chunk coordinates; context (file, dataset) is in
 * file_hint if non-NULL.
 */
int dcn_rtdc_image_decode(uint8_t *dst, uint64_t a, uint64_t b,
                          const struct dcn_image_layout *l,
                          const struct dcn_image_fetch *f, void *scratch,
                          size_t scratch_cap, const char *file_hint,
                          struct dcn_error *err);

#endif /* DCN_IO_RTDC_READ_H */
