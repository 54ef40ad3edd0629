/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write.h - the .rtdc writer (format.md §2, §3.2, §3.6, §4.5).
 *
 * Every function here makes HDF5 calls and must run on the one writer
 * thread (style.md rule 35), except dcn__basin_json() and the helpers of
 * chunk_encode.h, which are pure.  The header itself does not include
 * <hdf5.h>, so the pipeline can hold these handles without HDF5.
 *
 * Life cycle: dcn__writer_new() creates "<dir>/<stem>_output_<suffix>.rtdc~"
 * next to the target (DCN_EEXIST if the target exists and overwrite was
 * not asked for; nothing is created then); dcn__writer_commit() flushes,
 * closes and renames it to the target; dcn__writer_abort() (or _free()
 * without commit) closes it and unlinks it.  Both free the writer.
 *
 * Layout (h5py/dcnum defaults): libver latest (superblock v3), no object
 * time stamps, fill time ALLOC, fill value 0, incremental allocation.
 * Feature datasets: chunks (c, *item) with c = clamp(floor(1 MiB / event
 * bytes), 10, 1000), maxshape (unlimited, *item), filters zstd (OPTIONAL,
 * {level}) + Fletcher32, or Fletcher32 only for level 0.
 *
 * Feature data can reach a dataset two ways:
 *  - dcn__wdset_append(): H5Dwrite of a block (HDF5 compresses; simple,
 *    for small data and tests);
 *  - the chunk path for the pipeline: the writer thread fills a
 *    struct dcn_chunk_acc (chunk_encode.h) sized by dcn__wdset_chunk_len()
 *    and dcn__wdset_event_bytes(), a worker runs dcn__chunk_encode() on
 *    the full (or, at the end, zero-padded) buffer with
 *    dcn__wdset_level(), and the writer thread stores the result with
 *    dcn__wdset_write_chunk() in ascending chunk order.
 *    dcn__wdset_append_encoded() does all three on the calling thread.
 * A dataset uses one path or the other, not both.
 *
 * Pipeline recipe (style.md rule 37, the "w" step):
 *   setup, writer thread:  dcn__writer_new(); per output feature
 *       dcn__writer_feature_new() -> ds; size the output-chunk ring from
 *       dcn__wdset_chunk_len(ds) * dcn__wdset_event_bytes(ds) (raw) and
 *       dcn__chunk_encode_bound(raw, dcn__wdset_level(ds)) (encoded);
 *   setup, each worker:    dcn__chunk_encoder_new() (after fork());
 *   writer thread, per slot in frame order: for every event, append its
 *       scalars with dcn__chunk_acc_append() and build its mask in place
 *       (dcn__chunk_acc_next_row() + dcn__mask_from_labels() +
 *       dcn__chunk_acc_commit()); when dcn__chunk_acc_full(), hand the
 *       buffer (index, nevents) to the ring as "filled" and continue in
 *       a free buffer with dcn__chunk_acc_next();
 *   worker:                dcn__chunk_encode() a filled buffer -> "encoded";
 *   writer thread:         for each dataset, store encoded chunks in
 *       ascending index with dcn__wdset_write_chunk() -> "written"
 *       (buffer free again); at the end dcn__chunk_acc_pad() the partial
 *       buffers, encode, store them, then the plumbing (copies, basins,
 *       basinmapN, link/delete), attrs and logs, dcn__writer_commit().
 *   Any error: dcn__writer_abort() (no file remains, D7).
 * The bytes stored are those H5Dwrite would store, so the output does not
 * depend on which path or how many workers were used (rule 38).
 *
 * Errors: HDF5's automatic printing is off; every failure sets a message
 * naming the file and the object and returns DCN_EIO / DCN_EFORMAT /
 * DCN_EINVAL / DCN_ENOTFOUND / DCN_EEXIST / DCN_ENOMEM.
 */
#ifndef DCN_IO_RTDC_WRITE_H
#define DCN_IO_RTDC_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk_encode.h"
#include "dcnumc/status.h"
#include "strbuf.h"

struct dcn_writer;
struct dcn_wdset;

/* Element types of feature datasets (little-endian in the file). */
enum dcn_wtype {
    DCN_WT_U8,
    DCN_WT_I32,
    DCN_WT_U32,
    DCN_WT_I64,
    DCN_WT_U64,
    DCN_WT_F32,
    DCN_WT_F64,
};

/* Bytes of one element of t. */
size_t dcn__wtype_size(enum dcn_wtype t);

enum dcn_writer_flags {
    /* Replace an existing target at commit instead of DCN_EEXIST. */
    DCN_WRITER_OVERWRITE = 1u << 0,
    /* Write the target path itself: no temporary name, no rename (for
     * the runner's temporary input file and for tests).  abort still
     * unlinks it. */
    DCN_WRITER_DIRECT = 1u << 1,
};

struct dcn_writer_opts {
    int level;            /* 0 = none, 1..9 = zstd-N; dcnum's default 5 */
    unsigned flags;       /* enum dcn_writer_flags */
    const char *suffix;   /* temp-name suffix; NULL = "<hostname>_<pid>" */
    const char *tag;      /* temp-name tag; NULL = "output" */
    const char *software; /* "dcnumc <version>" for copied logs/tables;
                             borrowed for the writer's lifetime */
};

/* Defaults: level 5, no flags, suffix/tag NULL, software "dcnumc". */
void dcn__writer_opts_init(struct dcn_writer_opts *o);

/*
 * Create the temporary output for target path_out.  *w is NULL on
 * failure.  DCN_EEXIST if path_out exists (unless OVERWRITE); any stale
 * temporary file of the same name is replaced.
 */
int dcn__writer_new(struct dcn_writer **w, const char *path_out,
                    const struct dcn_writer_opts *opts, struct dcn_error *err);
/* Flush, close, rename into place; frees w in every case (a failure
 * unlinks the temporary file). */
int dcn__writer_commit(struct dcn_writer *w, struct dcn_error *err);
/* Close and unlink the temporary file; frees w.  NULL is a no-op. */
void dcn__writer_abort(struct dcn_writer *w);
/* Same as abort for an uncommitted writer. */
void dcn__writer_free(struct dcn_writer *w);
/* Path of the file being written (borrowed, valid until commit/abort). */
const char *dcn__writer_temp_path(const struct dcn_writer *w);
/* The temporary path a writer for path_out with opts creates in process
 * pid (what a supervisor removes after that process died); NULL for
 * DCN_WRITER_DIRECT or out of memory.  Caller frees with dcn__free(). */
char *dcn__writer_temp_path_for(const char *path_out,
                                const struct dcn_writer_opts *opts, long pid);
/* Change the compression level of datasets created from now on (the
 * runner's cleanup writes logs with zstd-5 whatever the job says). */
void dcn__writer_set_level(struct dcn_writer *w, int level);
/* HDF5 flush of the whole file. */
int dcn__writer_flush(struct dcn_writer *w, struct dcn_error *err);

/* ---- feature datasets ------------------------------------------------ */

/* What a feature dataset holds (strings borrowed for the call). */
struct dcn_feature_spec {
    const char *group; /* "events" or "basin_events" */
    const char *name;  /* the feature, e.g. "area_um", "mask" */
    enum dcn_wtype type;
    size_t height; /* 0 for a scalar feature, else image rows */
    size_t width;  /* 0 for a scalar feature, else image columns */
};

/*
 * Create spec->group/spec->name with 0 events, item shape () or (height,
 * width); images get the three IMAGE attrs.  *ds is owned by w (closed at
 * commit/abort); DCN_EEXIST if the dataset exists.
 */
int dcn__writer_feature_new(struct dcn_writer *w, struct dcn_wdset **ds,
                            const struct dcn_feature_spec *spec,
                            struct dcn_error *err);
/* Create or, if it exists with the same type and item shape, reopen
 * (the chunk path then continues only on a chunk boundary). */
int dcn__writer_feature_require(struct dcn_writer *w, struct dcn_wdset **ds,
                                const struct dcn_feature_spec *spec,
                                struct dcn_error *err);
/* Close a dataset early (also done at commit/abort).  Finishes a pending
 * partial chunk of dcn__wdset_append_encoded(). */
int dcn__wdset_close(struct dcn_wdset *ds, struct dcn_error *err);

size_t dcn__wdset_chunk_len(const struct dcn_wdset *ds);   /* events */
size_t dcn__wdset_event_bytes(const struct dcn_wdset *ds); /* bytes */
int dcn__wdset_level(const struct dcn_wdset *ds);
uint64_t dcn__wdset_length(const struct dcn_wdset *ds); /* events stored */

/* Extend by n events and H5Dwrite data (n * event bytes). */
int dcn__wdset_append(struct dcn_wdset *ds, const void *data, size_t n,
                      struct dcn_error *err);
/*
 * Store one encoded chunk: index must be the next chunk (0, 1, 2, ...),
 * nevents its valid events (== chunk_len except for the last chunk, after
 * which no chunk may follow).  Extends the extent to index*chunk_len +
 * nevents, then H5Dwrite_chunk with filter mask 0.
 */
int dcn__wdset_write_chunk(struct dcn_wdset *ds, uint64_t index, size_t nevents,
                           const void *enc, size_t enc_len,
                           struct dcn_error *err);
/* Chunk path on the calling thread: accumulate n events, encode and
 * store every full chunk; the partial rest is stored by
 * dcn__wdset_finish() (or close/commit). */
int dcn__wdset_append_encoded(struct dcn_wdset *ds, const void *data, size_t n,
                              struct dcn_error *err);
int dcn__wdset_finish(struct dcn_wdset *ds, struct dcn_error *err);

/* Create the feature and write its n events in one call (H5Dwrite). */
int dcn__writer_feature_write(struct dcn_writer *w,
                              const struct dcn_feature_spec *spec,
                              const void *data, size_t n,
                              struct dcn_error *err);

/* ---- objects --------------------------------------------------------- */

/* *exists = whether path (e.g. "events/basinmap0") names an object. */
int dcn__writer_exists(struct dcn_writer *w, const char *path, bool *exists,
                       struct dcn_error *err);
/* Hard link: new name dst for the object src (format.md §3.6).  An open
 * writer handle of src is closed first (finishing its last chunk); the
 * same applies to dcn__writer_delete(). */
int dcn__writer_link(struct dcn_writer *w, const char *src, const char *dst,
                     struct dcn_error *err);
/* Remove the name path (the data go when no link is left). */
int dcn__writer_delete(struct dcn_writer *w, const char *path,
                       struct dcn_error *err);

/* ---- root attributes ------------------------------------------------- */

/* Scalar root attributes (replace an existing one): vlen UTF-8 string,
 * int64, float64. */
int dcn__writer_attr_str(struct dcn_writer *w, const char *name,
                         const char *value, struct dcn_error *err);
int dcn__writer_attr_i64(struct dcn_writer *w, const char *name, int64_t value,
                         struct dcn_error *err);
int dcn__writer_attr_f64(struct dcn_writer *w, const char *name, double value,
                         struct dcn_error *err);

/* ---- logs ------------------------------------------------------------ */

/*
 * /logs/<name>: n lines as fixed-length S<max byte length> (>= S1, UTF-8
 * bytes kept, D3), shape (n,), auto chunks, the writer's filters.  n == 0
 * writes nothing.  DCN_EEXIST if it exists, unless replace.
 */
int dcn__writer_log(struct dcn_writer *w, const char *name,
                    const char *const *lines, size_t n, bool replace,
                    struct dcn_error *err);

/* ---- copying from an input file -------------------------------------- */

/*
 * copy_metadata (format.md §2.6): root attrs of src_path set where absent
 * (types preserved); every non-empty /logs and /tables member not yet in
 * the output copied as zstd-5 + Fletcher32 with auto chunks (vlen string
 * logs become S<max bytes>), with its attrs and attr software =
 * "<old> | <software>" or "<software>".
 */
int dcn__writer_copy_metadata(struct dcn_writer *w, const char *src_path,
                              struct dcn_error *err);
/* Only the root attributes part of the above. */
int dcn__writer_copy_attrs(struct dcn_writer *w, const char *src_path,
                           struct dcn_error *err);

/*
 * Verbatim copy of dataset src_dset of src_path to dst (H5Ocopy: layout,
 * filters, attrs; format.md §2.4).  A virtual dataset is written out as
 * real data instead (D9): a dcnum-style feature dataset with the writer's
 * filters and the source's attrs.  DCN_EEXIST if dst exists.
 */
int dcn__writer_copy_dataset(struct dcn_writer *w, const char *src_path,
                             const char *src_dset, const char *dst,
                             struct dcn_error *err);
/*
 * Mapped copy: output event i = source row map[i] (format.md §2.6
 * copy_features with a mapping), into a new dcnum-style feature
 * dst_group/name of the source's element type (ints, floats, uint8
 * images).  map must be in range; non-decreasing maps read blocks.
 */
int dcn__writer_copy_mapped(struct dcn_writer *w, const char *src_path,
                            const char *src_dset, const char *dst_group,
                            const char *name, const uint64_t *map, size_t n,
                            struct dcn_error *err);

/* ---- basins ---------------------------------------------------------- */

enum dcn_wbasin_type {
    DCN_WBASIN_FILE,
    DCN_WBASIN_INTERNAL
};

/* A basin definition (all strings borrowed, UTF-8). */
struct dcn_basin {
    enum dcn_wbasin_type type;
    const char *name;
    const char *description;
    const char *const *paths; /* file basins; internal: ignored
                                 (always ["basin_events"]) */
    size_t npaths;
    const char *identifier;      /* file basins; NULL -> null */
    const char *const *features; /* internal: sorted on output */
    size_t nfeatures;            /* file: 0 -> key omitted */
    const char *mapping;         /* "basinmapN" or NULL (omitted) */
};

/* Append the exact JSON text dcnum stores (format.md §2.5).  Pure. */
int dcn__basin_json(struct dcn_strbuf *out, const struct dcn_basin *b);
/*
 * Store b as /basins/<md5 of the text> (lines as S<max line length>,
 * shape (lines,), auto chunks, the writer's filters); nothing is written
 * if that name exists.  key (33 bytes, may be NULL) receives the name.
 */
int dcn__writer_basin(struct dcn_writer *w, const struct dcn_basin *b,
                      char *key, struct dcn_error *err);
/*
 * Mapping allocation (format.md §2.5): store map (n values of type) as
 * events/basinmapN for the first N in 0..9 that is free, or reuse an
 * existing basinmapN whose values equal map.  name (16 bytes) receives
 * "basinmapN".  DCN_ERANGE if all ten differ.  map values are read as
 * type (DCN_WT_U32 / DCN_WT_I64 / DCN_WT_U64); a new basinmapN gets that
 * type.  An open writer handle of a compared basinmapN is closed first.
 */
int dcn__writer_basinmap(struct dcn_writer *w, const void *map,
                         enum dcn_wtype type, size_t n, char *name,
                         struct dcn_error *err);

#endif /* DCN_IO_RTDC_WRITE_H */
