/* SPDX-License-Identifier: MIT */
/*
 * zstd_filter.c - the HDF5 Zstandard filter, id 32015 (format.md §4.1-4.2).
 *
 * The stored layout is hdf5plugin's: every chunk is one complete zstd
 * frame with its content size in the header, one cd_value holds the
 * level (default 3, clamped to zstd's range).  The same source serves two
 * builds: linked into dcnumc and registered with H5Zregister, and built
 * with DCN_H5_PLUGIN as a dynamic HDF5 plugin so that h5dump or h5py on a
 * user's machine read our files (Debian ships no zstd plugin).
 *
 * Inside dcnumc this filter only runs for small datasets (logs, basins,
 * tables) and as a fallback: image and feature chunks are (de)coded by
 * the workers through the chunk codec, outside HDF5's global lock.
 */
#include <stdlib.h>
#include <zstd.h>

#include "dcnumc/status.h"
#include "zstd_filter.h"

#ifdef DCN_H5_PLUGIN
#include <H5PLextern.h>
#endif

/* Replace HDF5's buffer by out (out_len valid bytes of out_cap). */
static size_t
install_buffer(void **buf, size_t *buf_size, void *out, size_t out_cap,
               size_t out_len)
{
    H5free_memory(*buf);
    *buf = out;
    *buf_size = out_cap;
    return out_len;
}

static size_t
zstd_decode(size_t nbytes, size_t *buf_size, void **buf)
{
    unsigned long long size = ZSTD_getFrameContentSize(*buf, nbytes);
    void *out;
    size_t got;

    /* hdf5plugin sizes its output from the header; a frame without a
     * content size is not a valid chunk of this filter. */
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
        return 0;
    out = H5allocate_memory(size == 0 ? 1 : (size_t)size, 0);
    if (out == NULL)
        return 0;
    got = ZSTD_decompress(out, (size_t)size, *buf, nbytes);
    if (ZSTD_isError(got) || got != size) {
        H5free_memory(out);
        return 0;
    }
    return install_buffer(buf, buf_size, out, (size_t)size, got);
}

static size_t
zstd_encode(size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
            size_t *buf_size, void **buf)
{
    int level = cd_nelmts > 0 ? (int)cd_values[0] : 3;
    size_t cap = ZSTD_compressBound(nbytes);
    void *out;
    size_t got;

    if (level < ZSTD_minCLevel())
        level = ZSTD_minCLevel();
    if (level > ZSTD_maxCLevel())
        level = ZSTD_maxCLevel();
    out = H5allocate_memory(cap, 0);
    if (out == NULL)
        return 0;
    /* One-shot compression always records the content size. */
    got = ZSTD_compress(out, cap, *buf, nbytes, level);
    if (ZSTD_isError(got)) {
        H5free_memory(out);
        return 0;
    }
    return install_buffer(buf, buf_size, out, cap, got);
}

/* HDF5 filter callback: returns the new byte count, 0 on failure. */
static size_t
zstd_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
            size_t nbytes, size_t *buf_size, void **buf)
{
    if (flags & H5Z_FLAG_REVERSE)
        return zstd_decode(nbytes, buf_size, buf);
    return zstd_encode(cd_nelmts, cd_values, nbytes, buf_size, buf);
}

const H5Z_class2_t dcn__zstd_filter_class = {
        H5Z_CLASS_T_VERS,
        (H5Z_filter_t)DCN_H5Z_FILTER_ZSTD,
        1,
        1,
        "Zstandard compression: http://www.zstd.net",
        NULL,
        NULL,
        zstd_filter,
};

#ifdef DCN_H5_PLUGIN
__attribute__((visibility("default"))) H5PL_type_t
H5PLget_plugin_type(void)
{
    return H5PL_TYPE_FILTER;
}

__attribute__((visibility("default"))) const void *
H5PLget_plugin_info(void)
{
    return &dcn__zstd_filter_class;
}
#else
/*
 * No H5Zfilter_avail() probe first: it searches the plugin directories,
 * and Debian's broken LZF plugin makes that search fail (format.md §4.3).
 * H5Zregister replaces an existing entry, so repeating it is harmless.
 */
int
dcn__zstd_filter_register(void)
{
    return H5Zregister(&dcn__zstd_filter_class) < 0 ? DCN_EIO : DCN_OK;
}
#endif
