/* SPDX-License-Identifier: MIT */
/*
 * test_fletcher32.c - HDF5's Fletcher32, including the end-around-carry
 * cases that a "mod 65535" implementation gets wrong (format.md §4.5).
 */
#include <stdlib.h>

#include "check.h"
#include "fletcher32.h"

/* A slow, obviously-correct version straight from the definition. */
static uint32_t
reference(const uint8_t *d, size_t len)
{
    uint64_t s1 = 0, s2 = 0;

    for (size_t i = 0; i < len; i += 2) {
        uint32_t w = (uint32_t)d[i] << 8 | (i + 1 < len ? d[i + 1] : 0);

        s1 += w;
        while (s1 > 0xffff)
            s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 += s1;
        while (s2 > 0xffff)
            s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    return (uint32_t)(s2 << 16 | s1);
}

/* Lengths around the 4096-byte blocks and 16-byte groups of the fast
 * version, random bytes, all 0xff (the largest sums) and a single
 * non-zero byte at the end of a long zero run. */
static void
check_long_buffers(void)
{
    const size_t n = (size_t)1 << 20;
    uint8_t *buf = calloc(n + 1, 1);
    uint32_t x = 777;

    buf[n - 1] = 1;
    CHECK_EQ(dcn__fletcher32(buf, n), reference(buf, n));
    for (size_t i = 0; i < n; i++)
        buf[i] = 0xff;
    CHECK_EQ(dcn__fletcher32(buf, n), reference(buf, n));
    CHECK_EQ(dcn__fletcher32(buf, n - 1), reference(buf, n - 1));
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t len = 4096 - 33; len <= 4096 * 3 + 33; len += 7)
        CHECK_EQ(dcn__fletcher32(buf, len), reference(buf, len));
    CHECK_EQ(dcn__fletcher32(buf, n), reference(buf, n));
    free(buf);
}

/* The end-around-carry corner cases and short random buffers. */
static void
check_short_buffers(void)
{
    static const uint8_t ffff[2] = {0xff, 0xff};
    static const uint8_t zeros[6] = {0};
    uint8_t *buf = malloc(5000);
    uint32_t x = 12345;

    CHECK_EQ(dcn__fletcher32(ffff, 2), 0xffffffffu);
    CHECK_EQ(dcn__fletcher32(zeros, 6), 0);
    CHECK_EQ(dcn__fletcher32(ffff, 1), reference(ffff, 1));
    for (size_t i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t len = 1; len <= 5000; len += len < 40 ? 1 : 97)
        CHECK_EQ(dcn__fletcher32(buf, len), reference(buf, len));
    for (size_t i = 0; i < 5000; i++)
        buf[i] = 0xff;
    CHECK_EQ(dcn__fletcher32(buf, 4000), reference(buf, 4000));
    free(buf);
}

int
main(void)
{
    check_short_buffers();
    check_long_buffers();
    return check_report();
}
