/* SPDX-License-Identifier: MIT */
/*
 * fletcher32.h - HDF5's Fletcher32 checksum (format.md §4.5).
 */
#ifndef DCN_IO_FLETCHER32_H
#define DCN_IO_FLETCHER32_H

#include <stddef.h>
#include <stdint.h>

/*
 * The checksum HDF5 appends (little-endian) to a stored chunk: 16-bit
 * big-endian words, a trailing odd byte as the high byte of a last word,
 * sums reduced by end-around carry.  Pure; safe in any thread.
 */
uint32_t dcn__fletcher32(const uint8_t *data, size_t len);

#endif /* DCN_IO_FLETCHER32_H */
