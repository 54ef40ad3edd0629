/* SPDX-License-Identifier: MIT */
/*
 * md5.c - MD5 message digest, written from RFC 1321.
 *
 * dcnum names its pipeline hash, basin datasets and derived measurement
 * identifiers by MD5, so dcnumc needs the same digest bit for bit.  Four
 * rounds of 16 operations over 64-byte little-endian blocks; the
 * per-operation constants are floor(abs(sin(i+1)) * 2^32).
 */
#include <string.h>

#include "md5.h"

static const uint32_t sine_table[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
        0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
        0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
        0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
        0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
        0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
        0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

/* Left-rotation amounts, four per round. */
static const unsigned shifts[4][4] = {
        {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static uint32_t
rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void
process_block(uint32_t h[4], const uint8_t block[64])
{
    uint32_t w[16];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];

    for (size_t i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 |
               (uint32_t)block[4 * i + 3] << 24;
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f;
        unsigned g;
        unsigned round = i / 16;

        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        f += a + sine_table[i] + w[g];
        a = d;
        d = c;
        c = b;
        b += rotl(f, shifts[round][i % 4]);
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void
dcn__md5_init(struct dcn_md5 *ctx)
{
    ctx->h[0] = 0x67452301;
    ctx->h[1] = 0xefcdab89;
    ctx->h[2] = 0x98badcfe;
    ctx->h[3] = 0x10325476;
    ctx->nbytes = 0;
}

void
dcn__md5_update(struct dcn_md5 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t fill = (size_t)(ctx->nbytes % 64);

    ctx->nbytes += len;
    if (fill > 0) {
        size_t take = 64 - fill < len ? 64 - fill : len;

        memcpy(ctx->block + fill, p, take);
        p += take;
        len -= take;
        if (fill + take < 64)
            return;
        process_block(ctx->h, ctx->block);
    }
    for (; len >= 64; p += 64, len -= 64)
        process_block(ctx->h, p);
    if (len > 0)
        memcpy(ctx->block, p, len);
}

void
dcn__md5_final(struct dcn_md5 *ctx, uint8_t digest[16])
{
    static const uint8_t pad[64] = {0x80};
    uint64_t bits = ctx->nbytes * 8;
    size_t fill = (size_t)(ctx->nbytes % 64);
    uint8_t length[8];

    for (int i = 0; i < 8; i++)
        length[i] = (uint8_t)(bits >> (8 * i));
    dcn__md5_update(ctx, pad, fill < 56 ? 56 - fill : 120 - fill);
    dcn__md5_update(ctx, length, 8);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (uint8_t)(ctx->h[i] >> (8 * j));
}

void
dcn__md5_digest_hex(char hex[33], const uint8_t digest[16])
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < 16; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[32] = '\0';
}

void
dcn__md5_hex(char hex[33], const void *data, size_t len)
{
    struct dcn_md5 ctx;
    uint8_t digest[16];

    dcn__md5_init(&ctx);
    dcn__md5_update(&ctx, data, len);
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(hex, digest);
}
