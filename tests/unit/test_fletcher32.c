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

static void
test_all_ones_and_zeros(void)
{
    static const uint8_t ffff[2] = {0xff, 0xff};
    static const uint8_t zeros[6] = {0};

    CHECK_EQ(dcn__fletcher32(ffff, 2), 0xffffffffu);
    CHECK_EQ(dcn__fletcher32(zeros, 6), 0);
    CHECK_EQ(dcn__fletcher32(ffff, 1), reference(ffff, 1));
}

static void
test_random_bytes_of_many_lengths(uint8_t *buf)
{
    uint32_t x = 12345;

    for (size_t i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t len = 1; len <= 5000; len += len < 40 ? 1 : 97)
        CHECK_EQ(dcn__fletcher32(buf, len), reference(buf, len));
}

static void
test_long_run_of_ones(uint8_t *buf)
{
    for (size_t i = 0; i < 5000; i++)
        buf[i] = 0xff;
    CHECK_EQ(dcn__fletcher32(buf, 4000), reference(buf, 4000));
}

int
main(void)
{
    uint8_t *buf = malloc(5000);

    test_all_ones_and_zeros();
    test_random_bytes_of_many_lengths(buf);
    test_long_run_of_ones(buf);
    free(buf);
    return check_report();
}
