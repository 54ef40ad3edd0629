/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rtdc_open.c - libFuzzer target: the fuzzer's bytes are written to
 * a temporary file and opened with the reader, which must answer with a
 * status (never crash); on success, a few frames and a scalar are read.
 * Note that this also fuzzes libhdf5's own file parser, which is not
 * hardened against malformed files: crashes inside libhdf5 frames are
 * HDF5 findings, not dcnumc's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtdc_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/dcn_fuzz_open_XXXXXX";
    int fd = mkstemp(path);
    struct dcn_rtdc *r = NULL;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_open_opts o;

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    memset(&o, 0, sizeof o);
    o.flags = size > 0 && (data[0] & 1) ? DCN_RTDC_OPEN_NO_IMAGE : 0;
    if (dcn_rtdc_open(&r, path, &o, &err) == 0) {
        struct dcn_rtdc_image *im = NULL;
        uint64_t n = dcn_rtdc_len(r);
        uint64_t b = n < 4 ? n : 4;
        double v[4];

        if (dcn_rtdc_image_open(r, "image", &im, &err) == 0 && b > 0) {
            size_t h;
            size_t w;
            uint8_t *dst;

            dcn_rtdc_image_shape(im, &h, &w);
            if (h * w <= (size_t)1 << 22) {
                dst = malloc(b * h * w);
                if (dst != NULL)
                    dcn_rtdc_image_read(im, 0, b, dst, &err);
                free(dst);
            }
        }
        dcn_error_clear(&err);
        dcn_rtdc_scalar_read_f64(r, "frame", 0, b, v, &err);
        dcn_rtdc_free(r);
    } else if (err.code == 0 || err.msg[0] == '\0') {
        abort(); /* a failure always carries a message */
    }
    unlink(path);
    return 0;
}
