/* SPDX-License-Identifier: MIT */
/*
 * fletcher32.c - HDF5's Fletcher32 checksum, computed by the workers so
 * that chunks can be verified and produced outside HDF5 (format.md §4.5).
 *
 * The reduction is an end-around carry, not "mod 65535": a non-zero sum
 * that is a multiple of 65535 stays 65535 (FF FF gives 0xFFFFFFFF), and
 * only all-zero data give 0.  Sums are folded every 360 words so the
 * 32-bit accumulators cannot overflow.
 */
#include "fletcher32.h"

static uint32_t
fold(uint32_t s)
{
    return (s & 0xffff) + (s >> 16);
}

uint32_t
dcn__fletcher32(const uint8_t *data, size_t len)
{
    uint32_t s1 = 0;
    uint32_t s2 = 0;
    size_t words = len / 2;

    while (words > 0) {
        size_t block = words > 360 ? 360 : words;

        words -= block;
        for (; block > 0; block--, data += 2) {
            s1 += (uint32_t)data[0] << 8 | data[1];
            s2 += s1;
        }
        s1 = fold(s1);
        s2 = fold(s2);
    }
    if (len % 2 != 0) {
        s1 += (uint32_t)data[0] << 8;
        s2 += s1;
        s1 = fold(s1);
        s2 = fold(s2);
    }
    s1 = fold(s1);
    s2 = fold(s2);
    return s2 << 16 | s1;
}
