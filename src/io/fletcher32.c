/* SPDX-License-Identifier: MIT */
/*
 * fletcher32.c - HDF5's Fletcher32 checksum, computed by the workers so
 * that chunks can be verified and produced outside HDF5 (format.md §4.5).
 *
 * HDF5 adds 16-bit big-endian words w_0 .. w_(n-1) into s1 and s1 into s2
 * and reduces both by end-around carry (fold), not "mod 65535".  A fold
 * keeps the value modulo 65535 and never turns a positive sum into 0, so
 * the result is fully given by the exact sums
 *     S1 = sum w_i,   S2 = sum (n - i) w_i:
 * each half is 0 if every word is 0, else its residue modulo 65535 with
 * 0 written as 65535 (FF FF gives 0xFFFFFFFF).  That lets us sum blocks
 * independently, in eight 32-bit lanes that the compiler vectorises,
 * instead of HDF5's word-by-word chain s2 += s1 (a fifth of the time).
 */
#include "fletcher32.h"

#include <stdbool.h>

#define MODULUS 65535u
#define LANES   ((size_t)8)
/* Groups of LANES words per block: a lane's weighted sum stays below
 * 65535 * 256 * 257 / 2 < 2^32. */
#define BLOCK_GROUPS 256u

static inline uint32_t
word_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

/*
 * Exact sums of one block of ngroups * LANES words: *b1 = sum w_i and
 * *b2 = sum (m - i) w_i, m = ngroups * LANES.  Lane k holds the words
 * i = LANES * g + k; l2 adds l1 after each group, so word i is counted
 * (ngroups - g) times there, and m - i = LANES * (ngroups - g) - k.
 */
static void
block_sums(const uint8_t *p, size_t ngroups, uint64_t *b1, uint64_t *b2)
{
    uint32_t l1[LANES] = {0};
    uint32_t l2[LANES] = {0};
    uint64_t s1 = 0;
    uint64_t s2 = 0;

    for (size_t g = 0; g < ngroups; g++, p += 2 * LANES) {
        for (size_t k = 0; k < LANES; k++)
            l1[k] += word_at(p + 2 * k);
        for (size_t k = 0; k < LANES; k++)
            l2[k] += l1[k];
    }
    for (size_t k = 0; k < LANES; k++) {
        s1 += l1[k];
        s2 += (uint64_t)LANES * l2[k] - (uint64_t)k * l1[k];
    }
    *b1 = s1;
    *b2 = s2;
}

/* A residue of a sum that is positive when any word is non-zero. */
static uint32_t
half(uint64_t residue, bool any)
{
    if (!any)
        return 0;
    return residue == 0 ? MODULUS : (uint32_t)residue;
}

uint32_t
dcn__fletcher32(const uint8_t *data, size_t len)
{
    uint64_t r1 = 0; /* S1 mod 65535 of the words so far */
    uint64_t r2 = 0; /* S2 mod 65535 of the words so far */
    bool any = false;
    size_t words = len / 2;

    while (words >= LANES) {
        size_t ngroups = words / LANES;
        uint64_t m;
        uint64_t b1;
        uint64_t b2;

        if (ngroups > BLOCK_GROUPS)
            ngroups = BLOCK_GROUPS;
        m = ngroups * LANES;
        block_sums(data, ngroups, &b1, &b2);
        /* Appending m words: S2' = S2 + m * S1 + b2, S1' = S1 + b1. */
        r2 = (r2 + m * r1 + b2) % MODULUS;
        r1 = (r1 + b1) % MODULUS;
        any = any || b1 != 0;
        data += 2 * m;
        words -= m;
    }
    for (; words > 0; words--, data += 2) {
        uint32_t w = word_at(data);

        r1 = (r1 + w) % MODULUS;
        r2 = (r2 + r1) % MODULUS;
        any = any || w != 0;
    }
    if (len % 2 != 0) { /* the odd byte is the high byte of a last word */
        r1 = (r1 + ((uint32_t)data[0] << 8)) % MODULUS;
        r2 = (r2 + r1) % MODULUS;
        any = any || data[0] != 0;
    }
    return half(r2, any) << 16 | half(r1, any);
}
