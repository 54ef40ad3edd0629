/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_internal.h - what the reader's files (src/io/rtdc_read*.c)
 * share: the reader's state and the dcn__rd_* functions.  Nothing
 * outside those files includes it; the reader's API is rtdc_read.h.
 *
 * Everything declared here makes HDF5 calls and runs on the reader
 * thread.  Errors as in rtdc_read.h: DCN_OK or a negative enum
 * dcn_status, with the message (file, dataset) set in err where the
 * failure is detected.
 */
#ifndef DCN_IO_RTDC_READ_INTERNAL_H
#define DCN_IO_RTDC_READ_INTERNAL_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtdc_read.h"

/* A resolved basin at run time (rtdc_read_basins.c). */
struct basin_rt;

/* Bytes of a dataset path the reader can address. */
#define PATH_CAP 1024

/* An opened image feature (rtdc_read_events.c), owned by the reader's
 * list r->images and freed with it. */
struct dcn_rtdc_image {
    struct dcn_rtdc_image *next; /* the next in r->images */
    char *name;                  /* owned: the feature */
    hid_t dset;                  /* owned */
    const char *fname;           /* borrowed */
    char dpath[PATH_CAP];
    uint64_t *rows; /* owned, per mapped frame, or NULL = row j */
    struct dcn_image_layout layout;
    size_t max_stored; /* largest stored chunk */
    uint64_t height, width;
    uint64_t n; /* frames (the reader's mapped length) */
    char storage[12];
};

/* The reader.  dcn_rtdc_open() fills it; afterwards only r->images and
 * the basins' rows (on first use) change.  Every pointer is owned and
 * freed by dcn_rtdc_free(). */
struct dcn_rtdc {
    char *path;
    char *dir; /* of path, for relative basin paths */
    hid_t file;
    uint64_t n_raw;
    uint64_t n;
    uint64_t *idx; /* raw index per frame, or NULL = identity */
    double pixel_size;
    double frame_rate;
    char *mid; /* or NULL */
    uint64_t image_chunk_size;

    struct dcn_attr *attrs;
    size_t nattrs;
    struct dcn_log *logs;
    size_t nlogs;
    char **tables;
    size_t ntables;
    char **events; /* own /events names, sorted */
    size_t nevents;
    struct dcn_basin_desc *basins;
    size_t nbasins;
    struct basin_rt *brt; /* parallel to basins (rtdc_read_basins.c) */
    char **warnings;
    size_t nwarnings;
    char **features;
    size_t nfeatures;
    struct dcn_rtdc_image *images; /* opened images, a list */
};

/* A basin file's measurement identifier against the expected one. */
struct id_check {
    char *mid;  /* the file's D2 identifier (owned, may be NULL) */
    bool match; /* equal (D2), or equal to dcnum's variant */
    bool quirk; /* matched only dcnum's fixed-length variant */
};

/* Where a feature's data are (dcn__rd_locate()): rows[j] is the
 * dataset row of frame j. */
struct src {
    hid_t file;        /* borrowed */
    const char *fname; /* borrowed */
    char dpath[PATH_CAP];
    const uint64_t *rows; /* per frame, or NULL = row j */
    uint64_t *owned;      /* rows allocated for this source */
};

/* ---- rtdc_read.c: small helpers ----------------------------------------- */

/* Append a copy of s to the string vector *v of *n entries (both owned
 * by the caller, freed with dcn__rd_strv_free()). */
int dcn__rd_strv_push(char ***v, size_t *n, const char *s);
/* Free the n strings of v and v itself; NULL is a no-op. */
void dcn__rd_strv_free(char **v, size_t n);
bool dcn__rd_strv_has(char *const *v, size_t n, const char *s);
/* qsort comparator of char * entries. */
int dcn__rd_cmp_str(const void *a, const void *b);
/* Format a dataset path into buf (cap bytes); false if it does not fit
 * (a path the reader cannot address: absent, or reported). */
DCN_PRINTF(3, 4)
bool dcn__rd_path_fmt(char *buf, size_t cap, const char *fmt, ...);
/* Does every level of path exist below loc? */
bool dcn__rd_link_exists(hid_t loc, const char *path);
/* Is path below loc a dataset? */
bool dcn__rd_is_dataset(hid_t loc, const char *path);

/* ---- rtdc_read_meta.c: root attributes ---------------------------------- */

/* Free the strings of a (not a itself). */
void dcn__rd_attr_release(struct dcn_attr *a);
/* The attribute named name among the n of v, or NULL; borrowed from v. */
const struct dcn_attr *dcn__rd_find_attr(const struct dcn_attr *v, size_t n,
                                         const char *name);
/* Does the measurement identifier of file (named fname in messages)
 * equal id (D2, or dcnum's fixed-length variant)?  c->mid: caller frees
 * with dcn__free(). */
int dcn__rd_file_id_matches(hid_t file, const char *fname, const char *id,
                            struct id_check *c, struct dcn_error *err);
/* The metadata step of dcn_rtdc_open(): root attributes, identifier,
 * event count, pixel size, frame rate, index mapping, the names in
 * /events and /tables, and the logs, all into r. */
int dcn__rd_read_metadata(struct dcn_rtdc *r,
                          const struct dcn_rtdc_open_opts *opts,
                          struct dcn_error *err);

/* ---- rtdc_read_logs.c: string datasets, listings, logs ------------------ */

/* Cut s (len bytes, with room for len + 1) after its last non-NUL. */
void dcn__rd_strip_nuls(char *s, size_t len);
/* The rows of the 1-D string dataset path below loc; *lines (caller
 * frees with dcn__rd_strv_free()) holds *nlines strings. */
int dcn__rd_read_string_lines(hid_t loc, const char *path, const char *fname,
                              char ***lines, size_t *nlines,
                              struct dcn_error *err);
/* Sorted member names of the group path (none if absent); *names:
 * caller frees with dcn__rd_strv_free(). */
int dcn__rd_list_group(hid_t file, const char *path, const char *fname,
                       char ***names, size_t *n, struct dcn_error *err);
/* The non-empty logs of r's file into r->logs. */
int dcn__rd_read_logs(struct dcn_rtdc *r, struct dcn_error *err);

/* ---- rtdc_read_basins.c: index mapping, basins, feature location -------- */

/* Free the fields of d (not d itself). */
void dcn__rd_basin_desc_release(struct dcn_basin_desc *d);
/* r->n and r->idx (owned by r) from the index mapping m (NULL: none). */
int dcn__rd_build_mapping(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
                          struct dcn_error *err);
/* Close the basin files r opened and free the basin rows. */
void dcn__rd_close_basin_files(struct dcn_rtdc *r);
/* Is name a basinmapN feature (never taken from a basin)? */
bool dcn__rd_is_basinmap(const char *name);
/* Read, sort and resolve r's basin definitions into r->basins, r->brt. */
int dcn__rd_resolve_basins(struct dcn_rtdc *r, struct dcn_error *err);
/* The candidate paths of all file basins ("none"), for messages. */
void dcn__rd_paths_tried(const struct dcn_rtdc *r, char *buf, size_t cap);
/* Where feature name is: own /events or a basin (DCN_ENOTFOUND names
 * the paths tried).  *s borrows from r; release with
 * dcn__rd_src_release(). */
int dcn__rd_locate(struct dcn_rtdc *r, const char *name, struct src *s,
                   struct dcn_error *err);

/* ---- rtdc_read_events.c: sources, scalars, images ------------------------ */

/* An empty source (no file, no rows). */
void dcn__rd_src_init(struct src *s);
/* Free the rows s owns (s->owned); s itself is the caller's. */
void dcn__rd_src_release(struct src *s);
/* Smallest and largest dataset row of frames [a, b), b > a (rows NULL:
 * frame j is row j). */
void dcn__rd_row_span(const uint64_t *rows, uint64_t a, uint64_t b,
                      uint64_t *lo, uint64_t *hi);
/* Read the rows s->rows of s's 1-D dataset (or 0..n-1) as uint64 into
 * out (n values, caller's); a negative value is DCN_EFORMAT. */
int dcn__rd_read_u64_at(const struct src *s, uint64_t n, uint64_t *out,
                        struct dcn_error *err);
/* Close and free an image; NULL is a no-op. */
void dcn__rd_image_free(struct dcn_rtdc_image *im);

#endif /* DCN_IO_RTDC_READ_INTERNAL_H */
