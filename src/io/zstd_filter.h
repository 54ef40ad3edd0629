/* SPDX-License-Identifier: MIT */
/*
 * zstd_filter.h - the HDF5 Zstandard filter (id 32015), format.md §4.
 */
#ifndef DCN_IO_ZSTD_FILTER_H
#define DCN_IO_ZSTD_FILTER_H

#include <hdf5.h>

#define DCN_H5Z_FILTER_ZSTD 32015

/* The filter class: hdf5plugin's parameters and stored-chunk layout. */
extern const H5Z_class2_t dcn__zstd_filter_class;

/*
 * Register the filter with the HDF5 library of this process (idempotent;
 * HDF5 keeps one entry per id).  Returns 0 or DCN_EIO.  Call it before
 * reading or creating a dataset that uses zstd.
 */
int dcn__zstd_filter_register(void);

#endif /* DCN_IO_ZSTD_FILTER_H */
