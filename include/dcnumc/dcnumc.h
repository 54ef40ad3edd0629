/* SPDX-License-Identifier: MIT */
/*
 * dcnumc.h - the public API of dcnumc, the RT-DC processing pipeline.
 *
 * Umbrella header: status codes and the error record, the chunk slot,
 * and the library version.
 */
#ifndef DCNUMC_DCNUMC_H
#define DCNUMC_DCNUMC_H

#include "dcnumc/chunk_slot.h"
#include "dcnumc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0"; static storage. */
DCN_API const char *dcn_version(void);

/* The dcnum pipeline generation whose results dcnumc reproduces ("13"). */
#define DCN_PIPELINE_GENERATION "13"

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_DCNUMC_H */
