/* SPDX-License-Identifier: MIT */
/*
 * chunk_decode.c - the read half of the chunk codec: zstd, deflate and
 * Fletcher32 undone outside HDF5, into caller buffers.
 *
 * Scratch layout (dcn_chunk_decode_scratch_size()):
 *   [zstd static DCtx work area][zlib arena][intermediate buffer]
 * Filters are undone one after the other, alternating between dst and
 * the intermediate buffer; Fletcher32 only shortens the current view.
 */
#define ZSTD_STATIC_LINKING_ONLY
#define ZLIB_CONST /* z_stream.next_in is const: no cast needed */
#include "chunk_decode.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "fletcher32.h"

#define ALIGN_UP(n)     (((n) + 63u) & ~(size_t)63u)
#define ZLIB_ARENA_SIZE ((size_t)64 * 1024)
#define DECODE_SLACK    ((size_t)4 * DCN_PIPELINE_MAX + 64)

static bool
filter_known(unsigned id)
{
    return id == DCN_FILTER_ZSTD || id == DCN_FILTER_DEFLATE ||
           id == DCN_FILTER_FLETCHER32;
}

bool
dcn_filter_pipeline_decodable(const struct dcn_filter_pipeline *p)
{
    if (p->nfilters < 0 || p->nfilters > DCN_PIPELINE_MAX)
        return false;
    for (int i = 0; i < p->nfilters; i++)
        if (!filter_known(p->filters[i].id))
            return false;
    return true;
}

/* Append filter f to buf (len bytes free); snprintf's count. */
static int
describe_filter(char *buf, size_t len, const struct dcn_filter *f,
                const char *sep)
{
    if (f->id == DCN_FILTER_ZSTD)
        return snprintf(buf, len, "%szstd(%u)", sep,
                        f->cd_nelmts > 0 ? f->cd_values[0] : 3u);
    if (f->id == DCN_FILTER_DEFLATE)
        return snprintf(buf, len, "%sdeflate(%u)", sep,
                        f->cd_nelmts > 0 ? f->cd_values[0] : 0u);
    if (f->id == DCN_FILTER_FLETCHER32)
        return snprintf(buf, len, "%sfletcher32", sep);
    if (f->id == 2)
        return snprintf(buf, len, "%sshuffle", sep);
    if (f->id == DCN_FILTER_SZIP)
        return snprintf(buf, len, "%sszip", sep);
    return snprintf(buf, len, "%sfilter%u", sep, f->id);
}

void
dcn_filter_pipeline_describe(char *buf, size_t len,
                             const struct dcn_filter_pipeline *p)
{
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    if (p->nfilters == 0) {
        /* a description longer than buf is cut, never overflowed */
        (void)snprintf(buf, len, "none");
        return;
    }
    for (int i = 0; i < p->nfilters && used < len; i++) {
        int n = describe_filter(buf + used, len - used, &p->filters[i],
                                i > 0 ? "+" : "");

        if (n < 0)
            break;
        used += (size_t)n;
    }
}

bool
dcn_chunk_decode_exact_ok(const struct dcn_filter_pipeline *p,
                          unsigned filter_mask)
{
    int compressors = 0;

    for (int i = 0; i < p->nfilters && i < DCN_PIPELINE_MAX; i++) {
        if (filter_mask & 1u << i)
            continue;
        if (p->filters[i].id == DCN_FILTER_FLETCHER32) {
            /* a checksum applied before the compressor would leave 4
             * extra bytes in the decompressed output */
            if (compressors == 0)
                continue;
        } else if (!filter_known(p->filters[i].id)) {
            return false;
        } else {
            compressors++;
        }
    }
    if (compressors > 1)
        return false;
    /* fletcher before the (only) compressor: not exact */
    for (int i = 0, seen = 0; i < p->nfilters && i < DCN_PIPELINE_MAX; i++) {
        if (filter_mask & 1u << i)
            continue;
        if (p->filters[i].id != DCN_FILTER_FLETCHER32)
            seen = 1;
        else if (!seen && compressors == 1)
            return false;
    }
    return true;
}

size_t
dcn_chunk_decode_dst_size(size_t chunk_bytes)
{
    return chunk_bytes + DECODE_SLACK;
}

static size_t
zstd_area_size(void)
{
    return ALIGN_UP(ZSTD_estimateDCtxSize());
}

size_t
dcn_chunk_decode_scratch_size(size_t chunk_bytes)
{
    return zstd_area_size() + ZLIB_ARENA_SIZE +
           ALIGN_UP(dcn_chunk_decode_dst_size(chunk_bytes));
}

/* zlib allocations come from a bump arena in the scratch buffer. */
struct arena {
    unsigned char *base;
    size_t cap;
    size_t used;
};

static voidpf
arena_alloc(voidpf opaque, uInt items, uInt size)
{
    struct arena *a = opaque;
    size_t n = (size_t)items * size;
    void *p;

    if (size != 0 && n / size != items)
        return Z_NULL;
    n = (n + 15u) & ~(size_t)15u;
    if (n > a->cap - a->used)
        return Z_NULL;
    p = a->base + a->used;
    a->used += n;
    return p;
}

static void
arena_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    (void)p;
}

/* One decompression: in -> out, with the codec's work area. */
struct undo_step {
    unsigned char *out;
    size_t out_cap;
    size_t out_len; /* set by the step */
    const unsigned char *in;
    size_t in_len;
    unsigned char *zarea;
};

static int
undo_deflate(struct undo_step *s, struct dcn_error *err)
{
    struct arena *a = (struct arena *)(void *)s->zarea;
    z_stream zs;
    int zrc;

    a->base = s->zarea + 64;
    a->cap = ZLIB_ARENA_SIZE - 64;
    a->used = 0;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = arena_alloc;
    zs.zfree = arena_free;
    zs.opaque = a;
    if (inflateInit(&zs) != Z_OK)
        return dcn_error_set(err, DCN_ECORRUPT, "deflate: cannot start");
    /* Feed in pieces so sizes beyond uInt cannot truncate. */
    zs.next_in = s->in;
    zs.avail_in = (uInt)(s->in_len > 0x7fffffffu ? 0x7fffffffu : s->in_len);
    zs.next_out = s->out;
    zs.avail_out = (uInt)(s->out_cap > 0x7fffffffu ? 0x7fffffffu : s->out_cap);
    zrc = inflate(&zs, Z_FINISH);
    s->out_len = (size_t)zs.total_out;
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END)
        return dcn_error_set(err, DCN_ECORRUPT,
                             "deflate: stored chunk does not decompress (%s)",
                             zrc == Z_BUF_ERROR ? "larger than a chunk"
                                                : "bad data");
    return DCN_OK;
}

static int
undo_zstd(struct undo_step *s, struct dcn_error *err)
{
    ZSTD_DCtx *dctx = ZSTD_initStaticDCtx(s->zarea, zstd_area_size());
    size_t n;

    if (dctx == NULL)
        return dcn_error_set(err, DCN_EINVAL, "zstd: scratch too small");
    n = ZSTD_decompressDCtx(dctx, s->out, s->out_cap, s->in, s->in_len);
    if (ZSTD_isError(n))
        return dcn_error_set(err, DCN_ECORRUPT,
                             "zstd: stored chunk does not decompress (%s)",
                             ZSTD_getErrorName(n));
    s->out_len = n;
    return DCN_OK;
}

static int
undo_fletcher32(size_t *len, const unsigned char *data, struct dcn_error *err)
{
    uint32_t stored;
    uint32_t sum;
    uint32_t swapped;

    if (*len < 4)
        return dcn_error_set(err, DCN_ECORRUPT,
                             "fletcher32: stored chunk shorter than its "
                             "checksum");
    *len -= 4;
    stored = (uint32_t)data[*len] | (uint32_t)data[*len + 1] << 8 |
             (uint32_t)data[*len + 2] << 16 | (uint32_t)data[*len + 3] << 24;
    sum = dcn__fletcher32(data, *len);
    /* HDF5 < 1.6.3 stored the sum with the bytes of each half swapped. */
    swapped = (sum & 0x00ff00ffu) << 8 | (sum >> 8 & 0x00ff00ffu);
    if (stored != sum && stored != swapped)
        return dcn_error_set(err, DCN_ECORRUPT,
                             "fletcher32: checksum mismatch (stored %08x, "
                             "computed %08x)",
                             (unsigned)stored, (unsigned)sum);
    return DCN_OK;
}

/* Every filter not skipped by filter_mask is one this file undoes. */
static int
check_decodable(const struct dcn_filter_pipeline *p, unsigned filter_mask,
                struct dcn_error *err)
{
    for (int i = 0; i < p->nfilters; i++)
        if (!(filter_mask & 1u << i) && !filter_known(p->filters[i].id))
            return dcn_error_set(err, DCN_EFILTER,
                                 "filter %u cannot be decoded outside HDF5",
                                 p->filters[i].id);
    return DCN_OK;
}

/* The buffers of one dcn_chunk_decode(): the caller's dst and scratch. */
struct decode_bufs {
    unsigned char *dst;
    size_t dst_cap;
    unsigned char *mid; /* intermediate buffer */
    size_t mid_cap;
    unsigned char *zarea; /* zstd work area, then the zlib arena */
};

/* Undo compressor id on *cur, into whichever buffer *cur does not live
 * in; *cur then points at the result. */
static int
undo_compressor(const struct decode_bufs *b, unsigned id,
                const unsigned char **cur, size_t *cur_len,
                struct dcn_error *err)
{
    struct undo_step s = {0};
    int rc;

    if (*cur == b->dst) {
        s.out = b->mid;
        s.out_cap = b->mid_cap;
    } else {
        s.out = b->dst;
        s.out_cap = b->dst_cap;
    }
    s.in = *cur;
    s.in_len = *cur_len;
    if (id == DCN_FILTER_ZSTD) {
        s.zarea = b->zarea;
        rc = undo_zstd(&s, err);
    } else {
        s.zarea = b->zarea + zstd_area_size();
        rc = undo_deflate(&s, err);
    }
    if (rc < 0)
        return rc;
    *cur = s.out;
    *cur_len = s.out_len;
    return DCN_OK;
}

int
dcn_chunk_decode( // NOLINT(readability-function-size): 10-arg public API
        void *dst, size_t dst_cap, size_t *dst_len, const void *src,
        size_t src_len, const struct dcn_filter_pipeline *pipeline,
        unsigned filter_mask, void *scratch, size_t scratch_cap,
        struct dcn_error *err)
{
    struct decode_bufs bufs;
    const unsigned char *cur = src;
    size_t cur_len = src_len;
    int rc;

    *dst_len = 0;
    if (pipeline->nfilters < 0 || pipeline->nfilters > DCN_PIPELINE_MAX)
        return dcn_error_set(err, DCN_EINVAL, "bad filter pipeline");
    rc = check_decodable(pipeline, filter_mask, err);
    if (rc < 0)
        return rc;
    if (scratch_cap < zstd_area_size() + ZLIB_ARENA_SIZE + 64)
        return dcn_error_set(err, DCN_EINVAL, "decode scratch too small");
    bufs.dst = dst;
    bufs.dst_cap = dst_cap;
    bufs.zarea = scratch;
    bufs.mid = bufs.zarea + zstd_area_size() + ZLIB_ARENA_SIZE;
    bufs.mid_cap = scratch_cap - zstd_area_size() - ZLIB_ARENA_SIZE;

    for (int i = pipeline->nfilters - 1; i >= 0; i--) {
        unsigned id = pipeline->filters[i].id;

        if (filter_mask & 1u << i)
            continue;
        if (id == DCN_FILTER_FLETCHER32)
            rc = undo_fletcher32(&cur_len, cur, err);
        else
            rc = undo_compressor(&bufs, id, &cur, &cur_len, err);
        if (rc < 0)
            return rc;
    }
    if (cur != bufs.dst) {
        if (cur_len > dst_cap)
            return dcn_error_set(err, DCN_EINVAL,
                                 "decoded chunk (%zu bytes) exceeds the "
                                 "buffer (%zu bytes)",
                                 cur_len, dst_cap);
        memmove(dst, cur, cur_len);
    }
    *dst_len = cur_len;
    return DCN_OK;
}

size_t
dcn_chunk_copy_overlap( // NOLINT(readability-function-size): 10-arg public API
        void *dst, uint64_t first_row, size_t nframes, const uint64_t *rows,
        size_t height, size_t width, size_t elem, const void *chunk,
        const uint64_t coord[3], const uint64_t cdims[3])
{
    unsigned char *d = dst;
    const unsigned char *c = chunk;
    uint64_t y0 = coord[1];
    uint64_t x0 = coord[2];
    uint64_t y1;
    uint64_t x1;
    size_t touched = 0;

    if (y0 >= height || x0 >= width)
        return 0;
    y1 = y0 + cdims[1] < height ? y0 + cdims[1] : height;
    x1 = x0 + cdims[2] < width ? x0 + cdims[2] : width;
    for (size_t k = 0; k < nframes; k++) {
        uint64_t row = rows != NULL ? rows[k] : first_row + k;
        const unsigned char *cf;
        unsigned char *df;

        if (row < coord[0] || row - coord[0] >= cdims[0])
            continue;
        cf = c + (size_t)(row - coord[0]) * cdims[1] * cdims[2] * elem;
        df = d + k * height * width * elem;
        for (uint64_t y = y0; y < y1; y++)
            memcpy(df + ((size_t)y * width + x0) * elem,
                   cf + ((size_t)(y - y0) * cdims[2]) * elem,
                   (size_t)(x1 - x0) * elem);
        touched++;
    }
    return touched;
}
