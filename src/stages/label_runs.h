/* SPDX-License-Identifier: MIT */
/*
 * label_runs.h - library-internal building blocks of labeling and label
 * processing: bit planes (one bit per pixel, rows of 64-bit words) and
 * run lists (horizontal runs of set bits per row) with a union-find
 * forest over the runs.
 *
 * Nothing here allocates; every array lives in caller scratch carved by
 * dcn__seg_work_carve().
 */
#ifndef DCN_STAGES_LABEL_RUNS_H
#define DCN_STAGES_LABEL_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/status.h"

/* One horizontal run [x0, x1) of a row. */
struct dcn__run {
    uint32_t x0;
    uint32_t x1;
};

/* Work arrays of one labeling / processing call, carved from scratch. */
struct dcn__seg_work {
    size_t width;
    size_t height;
    size_t nw;            /* 64-bit words per plane row */
    uint64_t *plane;      /* height * nw: the current binary image */
    uint64_t *plane2;     /* height * nw: second plane (processing only) */
    uint64_t *rowbuf;     /* 4 * nw: temporary rows (processing only) */
    uint8_t *rowflag;     /* height: per-row flags (processing only) */
    uint64_t *labelflag;  /* 65536 bits: labels to clear (processing only) */
    struct dcn__run *run; /* run_cap runs */
    uint32_t *rowoff;     /* height + 1: runs of row y are rowoff[y..y+1) */
    uint32_t *parent;     /* run_cap: union-find forest, then final labels */
    uint32_t *pairs;      /* 2 * pair_cap: touching runs of two rows */
    size_t run_cap;
    size_t nrun;
};

/*
 * Scratch bytes for an image (0 if empty or too large); with processing,
 * the second plane, the row buffers and the label flags are included.
 */
size_t dcn__seg_work_size(size_t width, size_t height, bool processing);

/* Lay the work arrays out in scratch (dcn__seg_work_size() bytes). */
void dcn__seg_work_carve(struct dcn__seg_work *wk, size_t width, size_t height,
                         bool processing, void *scratch);

/* plane row y = (mask row y != 0); pad bits beyond width are 0. */
void dcn__plane_from_mask(struct dcn__seg_work *wk, const uint8_t *px,
                          size_t stride);

/*
 * plane = labels != 0 and not flagged in flags (65536-bit set, or NULL for
 * none).  Pad bits are 0.
 */
void dcn__plane_from_labels(struct dcn__seg_work *wk, uint64_t *plane,
                            const uint16_t *labels, const uint64_t *flags);

/*
 * Runs of set bits (invert: of clear bits) of every row of plane, into
 * wk->run / wk->rowoff / wk->nrun; every parent[i] = i.
 */
void dcn__plane_runs(struct dcn__seg_work *wk, const uint64_t *plane,
                     bool invert);

/*
 * Union the runs of adjacent rows that touch: 8-connectivity (eight) or
 * 4-connectivity.  The root of each component is its first run in raster
 * order (the smallest index).
 */
void dcn__runs_connect(struct dcn__seg_work *wk, bool eight);

/* Root of run i (with path halving). */
static inline uint32_t
dcn__runs_find(uint32_t *parent, uint32_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/*
 * Turn the forest into labels 1..n in raster order of each component's
 * first pixel (parent[i] becomes the label of run i); returns n.
 */
size_t dcn__runs_number(struct dcn__seg_work *wk);

/*
 * dcn__runs_number(), refusing more than 65535 objects (format.md, D18):
 * DCN_ERANGE with a message naming frame.  *nobj is set on success.
 */
int dcn__label_number_checked(struct dcn__seg_work *wk, size_t *nobj,
                              size_t frame, struct dcn_error *err);

/*
 * labels = 0 everywhere, then each run gets its label (parent[i], after
 * dcn__runs_number() returned <= 65535).
 */
void dcn__runs_write(const struct dcn__seg_work *wk, uint16_t *labels);

#endif /* DCN_STAGES_LABEL_RUNS_H */
