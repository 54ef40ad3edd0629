/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_internal.h - what the writer's files (src/io/rtdc_write*.c)
 * share: the state of the writer and its datasets, the error macros and
 * the dcn__wr_* functions.  Nothing outside those files includes it; the
 * writer's API is rtdc_write.h.
 *
 * Everything declared here makes HDF5 calls and runs on the writer
 * thread.  The functions that return a status set the message where the
 * failure is detected; the few that return 0 / -1 say so.
 */
#ifndef DCN_IO_RTDC_WRITE_INTERNAL_H
#define DCN_IO_RTDC_WRITE_INTERNAL_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtdc_write.h"

/* A feature dataset being written; owned by its writer (w->dsets). */
struct dcn_wdset {
    struct dcn_writer *w;   /* owner */
    struct dcn_wdset *next; /* the writer's list */
    hid_t dset;             /* H5I_INVALID_HID once closed */
    hid_t mtype;            /* memory type (native), owned */
    char *path;             /* "events/area_um", owned */
    size_t item_rank;       /* 0 (scalar) or 2 (image) */
    size_t height, width;
    size_t event_bytes;
    size_t chunk_len;
    int level;
    uint64_t length;     /* events in the extent */
    uint64_t next_chunk; /* chunk path: index expected next */
    bool partial_done;   /* chunk path: the short last chunk is written */
    /* dcn__wdset_append_encoded() state, allocated on first use */
    struct dcn_chunk_acc acc;
    uint8_t *acc_raw;
    uint8_t *enc_buf;
    size_t enc_cap;
};

/* The writer; every pointer is owned and freed at commit or abort. */
struct dcn_writer {
    hid_t file;
    char *target; /* the final path */
    char *temp;   /* the file being written */
    int level;
    unsigned flags;
    char *software;
    struct dcn_wdset *dsets;       /* open and closed datasets, a list */
    struct dcn_chunk_encoder *enc; /* for dcn__wdset_append_encoded() */
};

/*
 * Record a message (first one wins).  Used through ERR_SET() / FAIL(),
 * which evaluate to the code, so "return FAIL(...)" returns it and the
 * static analyser can follow the value (it does not look into variadic
 * functions).
 */
void dcn__wr_set_error(struct dcn_error *err, int code, const char *fmt, ...)
        DCN_PRINTF(3, 4);
void dcn__wr_fail(struct dcn_writer *w, struct dcn_error *err, int code,
                  const char *fmt, ...) DCN_PRINTF(4, 5);

#define ERR_SET(err, code, ...) \
    (dcn__wr_set_error((err), (code), __VA_ARGS__), (code))
/* The message is prefixed with the path of the file being written. */
#define FAIL(w, err, code, ...) \
    (dcn__wr_fail((w), (err), (code), __VA_ARGS__), (code))

/* Element types and item shape of a feature dataset to create. */
struct feat_type {
    hid_t ftype; /* in the file */
    hid_t mtype; /* in memory */
    size_t height;
    size_t width;
};

/* n strings, lens[k] bytes each (or NUL-terminated if lens is NULL). */
struct str_lines {
    const char *const *s;
    const size_t *lens;
    size_t n;
};

/* Bytes of an attribute name in a message of dcn__wr_copy_all_attrs(). */
#define ATTR_NAME_MAX 256

/* ---- rtdc_write.c: handles, groups, paths ------------------------------ */

/* Switch HDF5's automatic error printing off; per thread in a
 * thread-safe HDF5 build, so every entry point calls it. */
void dcn__wr_quiet(void);
/* Close any HDF5 id by its type; a negative id is a no-op. */
void dcn__wr_close_id(hid_t id);
/* Create the missing groups above path (without time stamps). */
int dcn__wr_ensure_parent(struct dcn_writer *w, const char *path,
                          struct dcn_error *err);
/* Does path exist (all its levels)?  1 yes, 0 no, -1 on HDF5 error
 * (no message). */
int dcn__wr_path_exists(hid_t loc, const char *path);
/* Close w's open handle of path, if any (finishing its last chunk). */
int dcn__wr_forget_dataset(struct dcn_writer *w, const char *path,
                           struct dcn_error *err);

/* ---- rtdc_write_meta.c: string types, attributes ----------------------- */

/* h5py's "S<len>": fixed-length NULLPAD ASCII.  Caller closes it;
 * H5I_INVALID_HID on failure. */
hid_t dcn__wr_fixed_str_type(size_t len);
/* h5py's str: variable-length UTF-8.  Caller closes it. */
hid_t dcn__wr_vlen_str_type(void);
/* Replace or create the scalar attribute name of loc, value read as
 * mtype (borrowed for the call); 0, or -1 (no message). */
int dcn__wr_write_scalar_attr(hid_t loc, const char *name, hid_t ftype,
                              hid_t mtype, const void *value);
/* The same for a variable-length UTF-8 string. */
int dcn__wr_write_str_attr(hid_t loc, const char *name, const char *value);
/* Open the input src_path read-only (registers the zstd filter).  The
 * caller closes it; H5I_INVALID_HID with the message set on failure. */
hid_t dcn__wr_open_input(struct dcn_writer *w, const char *src_path,
                         struct dcn_error *err);
/* Copy every attribute of src absent from dst, except skip (or NULL).
 * On failure the status comes back without a message and the name of
 * the attribute goes to failed (ATTR_NAME_MAX bytes). */
int dcn__wr_copy_all_attrs(hid_t dst, hid_t src, const char *skip,
                           char *failed);
/* The root attributes of the open input src (named src_path in the
 * message) where absent from w's file. */
int dcn__wr_copy_root_attrs(struct dcn_writer *w, hid_t src,
                            const char *src_path, struct dcn_error *err);

/* ---- rtdc_write_events.c: feature datasets ----------------------------- */

/* Dataset creation properties: no time stamps, fill time ALLOC; with
 * chunks (rank dims), zstd at level (none for 0) and Fletcher32.  Caller
 * closes it; H5I_INVALID_HID on failure. */
hid_t dcn__wr_dataset_cpl(int rank, const hsize_t *chunks, int level);
/* Close and free ds (it is not taken off its writer's list). */
void dcn__wr_wdset_free(struct dcn_wdset *ds);
/* Create the dcnum feature dataset path of type t (DCN_EEXIST if it
 * exists).  *dsp is owned by w. */
int dcn__wr_feature_create(struct dcn_writer *w, struct dcn_wdset **dsp,
                           const char *path, const struct feat_type *t,
                           struct dcn_error *err);
/* "group/name" into buf (cap bytes); DCN_EINVAL for a bad name. */
int dcn__wr_feature_path(struct dcn_writer *w, char *buf, size_t cap,
                         const char *group, const char *name,
                         struct dcn_error *err);
/* Extend ds to len events. */
int dcn__wr_set_extent(struct dcn_wdset *ds, uint64_t len,
                       struct dcn_error *err);

/* ---- rtdc_write_logs.c: string datasets -------------------------------- */

/* The lines of sl (borrowed for the call) into one S<longest> 1-D
 * dataset at path, with h5py's auto chunks and zstd at level +
 * Fletcher32.  The open dataset goes to *out_dset (caller closes it)
 * unless that is NULL. */
int dcn__wr_write_string_lines(struct dcn_writer *w, const char *path,
                               const struct str_lines *sl, int level,
                               hid_t *out_dset, struct dcn_error *err);

#endif /* DCN_IO_RTDC_WRITE_INTERNAL_H */
