/* SPDX-License-Identifier: MIT */
/*
 * label_bits.h - library-internal kernels that turn up to 64 pixels into
 * one word of "pixel != 0" bits (bit i = pixel i).  SSE2 (baseline on
 * x86-64) handles 16 pixels per step; other targets use a SWAR form on
 * little-endian machines and a plain loop otherwise.  All paths give the
 * same bits; -DDCN_NO_SIMD (and -DDCN_NO_SWAR) select the portable paths,
 * which pass the same unit and parity tests.
 */
#ifndef DCN_STAGES_LABEL_BITS_H
#define DCN_STAGES_LABEL_BITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(DCN_NO_SIMD)
#include <emmintrin.h>
#define DCN_BITS_SSE2 1
#else
#define DCN_BITS_SSE2 0
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
        !defined(DCN_NO_SWAR)
#define DCN_BITS_SWAR 1
#else
#define DCN_BITS_SWAR 0
#endif

/* Bits of p[0..n) != 0, n <= 64. */
static inline uint64_t
dcn__nz_bits_u8(const uint8_t *p, size_t n)
{
    uint64_t b = 0;
    size_t i = 0;

#if DCN_BITS_SSE2
    const __m128i zero = _mm_setzero_si128();

    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero));

        b |= (uint64_t)(~z & 0xffffu) << i;
    }
    if (i < n && n >= 16) {
        /* The last 16 pixels once more, overlapping what is done. */
        __m128i v =
                _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
        uint64_t m =
                ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) & 0xffffu;

        b |= (m << (n - 16)) & (~0ull << i);
        i = n;
    }
#elif DCN_BITS_SWAR
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;

    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        uint64_t t;

        memcpy(&v, p + i, 8);
        t = (((v & lo7) + lo7) | v) & ~lo7;
        b |= (((t >> 7) * 0x0102040810204080ull) >> 56) << i;
    }
#endif
    for (; i < n; i++)
        b |= (uint64_t)(p[i] != 0) << i;
    return b;
}

/* Bits of p[0..n) != 0, n <= 64. */
static inline uint64_t
dcn__nz_bits_u16(const uint16_t *p, size_t n)
{
    uint64_t b = 0;
    size_t i = 0;

#if DCN_BITS_SSE2
    const __m128i zero = _mm_setzero_si128();

    if (n == 64) { /* the usual full word: a fixed count, no exit guess */
        for (size_t k = 0; k < 64; k += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
            __m128i c =
                    _mm_loadu_si128((const __m128i *)(const void *)(p + k + 8));
            __m128i z = _mm_packs_epi16(_mm_cmpeq_epi16(a, zero),
                                        _mm_cmpeq_epi16(c, zero));

            b |= (uint64_t)(~(unsigned)_mm_movemask_epi8(z) & 0xffffu) << k;
        }
        return b;
    }
    for (; i + 16 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 8));
        __m128i z = _mm_packs_epi16(_mm_cmpeq_epi16(a, zero),
                                    _mm_cmpeq_epi16(c, zero));
        unsigned m = (unsigned)_mm_movemask_epi8(z);

        b |= (uint64_t)(~m & 0xffffu) << i;
    }
    if (i < n && n >= 16) {
        /* The last 16 pixels once more, overlapping what is done. */
        const uint16_t *q = p + n - 16;
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(q + 8));
        __m128i z = _mm_packs_epi16(_mm_cmpeq_epi16(a, zero),
                                    _mm_cmpeq_epi16(c, zero));
        uint64_t m = ~(unsigned)_mm_movemask_epi8(z) & 0xffffu;

        b |= (m << (n - 16)) & (~0ull << i);
        i = n;
    }
#elif DCN_BITS_SWAR
    const uint64_t lo15 = 0x7fff7fff7fff7fffull;
    const uint64_t magic =
            (1ull << 48) | (1ull << 33) | (1ull << 18) | (1ull << 3);

    for (; i + 4 <= n; i += 4) {
        uint64_t v;
        uint64_t t;

        memcpy(&v, p + i, 8);
        t = (((v & lo15) + lo15) | v) & ~lo15;
        b |= ((((t >> 15) * magic) >> 48) & 0xf) << i;
    }
#endif
    for (; i < n; i++)
        b |= (uint64_t)(p[i] != 0) << i;
    return b;
}

#endif /* DCN_STAGES_LABEL_BITS_H */
