/* SPDX-License-Identifier: MIT */
/*
 * fuzz_chunk_decode.c - libFuzzer target for the chunk decoder.
 *
 * Input layout (a zstd-style producer): byte 0 = number of filters (mod
 * 4); then one byte per filter (0 zstd, 1 deflate, 2 fletcher32, 3 an
 * unknown id); one byte filter mask; two bytes expected chunk size
 * (little endian, mod 65536); three bytes chunk shape for the overlap
 * copy; the rest is the stored chunk.  Invariants: no crash, no read or
 * write outside the buffers (ASan), a decoded size within dst_cap, and
 * only the documented status codes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned ids[4] = {DCN_FILTER_ZSTD, DCN_FILTER_DEFLATE,
                                    DCN_FILTER_FLETCHER32, 32000};
    struct dcn_filter_pipeline p;
    size_t pos = 0;
    size_t chunk_bytes;
    size_t cap;
    size_t scap;
    uint8_t *dst;
    uint8_t *scratch;
    size_t got = 0;
    unsigned mask;
    uint64_t cdims[3];
    int rc;

    if (size < 1)
        return 0;
    memset(&p, 0, sizeof p);
    p.nfilters = data[pos++] % 4;
    for (int i = 0; i < p.nfilters; i++) {
        if (pos >= size)
            return 0;
        p.filters[i].id = ids[data[pos++] % 4];
    }
    if (size - pos < 6)
        return 0;
    mask = data[pos++];
    chunk_bytes = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
    pos += 2;
    cdims[0] = 1 + data[pos++] % 4;
    cdims[1] = 1 + data[pos++] % 8;
    cdims[2] = 1 + data[pos++] % 8;
    cap = dcn_chunk_decode_dst_size(chunk_bytes);
    scap = dcn_chunk_decode_scratch_size(chunk_bytes);
    dst = malloc(cap);
    scratch = malloc(scap);
    if (dst == NULL || scratch == NULL)
        abort();
    rc = dcn_chunk_decode(dst, cap, &got, data + pos, size - pos, &p, mask,
                          scratch, scap, NULL);
    if (rc != 0 && rc != DCN_EFILTER && rc != DCN_ECORRUPT && rc != DCN_EINVAL)
        abort();
    if (rc == 0 && got > cap)
        abort();
    if (rc == 0 && got >= cdims[0] * cdims[1] * cdims[2]) {
        /* copy the decoded chunk into a 5-frame 6x7 stack */
        uint8_t stack[5 * 6 * 7];
        uint64_t coord[3] = {data[0] % 6, data[size - 1] % 7,
                             (data[size / 2] % 8)};

        dcn_chunk_copy_overlap(stack, 0, 5, NULL, 6, 7, 1, dst, coord, cdims);
    }
    free(dst);
    free(scratch);
    return 0;
}
