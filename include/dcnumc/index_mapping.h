/* SPDX-License-Identifier: MIT */
/*
 * index_mapping.h - dcnum's index_mapping (numerics.md §1, format.md §1.7):
 * which frames of a measurement a run processes.  One type for the job
 * options and for the reader.
 */
#ifndef DCNUMC_INDEX_MAPPING_H
#define DCNUMC_INDEX_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum dcn_mapping_kind {
    DCN_MAPPING_NONE,  /* all frames */
    DCN_MAPPING_COUNT, /* the first count frames */
    DCN_MAPPING_SLICE, /* start:stop:step, each optional (D17) */
    DCN_MAPPING_LIST   /* explicit frame indices */
};

/* data_kwargs["index_mapping"]; all zero is "no mapping". */
struct dcn_index_mapping {
    enum dcn_mapping_kind kind;
    int64_t count; /* DCN_MAPPING_COUNT, >= 0 */
    /* DCN_MAPPING_SLICE; a missing field is Python's None */
    int64_t start, stop, step;
    bool has_start, has_stop, has_step;
    uint32_t *indices; /* DCN_MAPPING_LIST (dcnum converts to uint32);
                          owned by the job, borrowed by the reader */
    size_t nindices;
};

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_INDEX_MAPPING_H */
