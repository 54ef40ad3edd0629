/* SPDX-License-Identifier: MIT */
/*
 * test_zstd_filter.c - the registered zstd filter decodes every sample
 * image to the bytes dcnum saw (md5 recorded in reference meta.json).
 */
#include <limits.h>

#include "check.h"
#include "md5.h"
#include "testdata.h"

static void
check_image_md5(const char *input, const char *want)
{
    char path[PATH_MAX];
    char hex[33];
    struct td_array img;

    td_path(path, input);
    CHECK_EQ(td_read(&img, path, "/events/image", TD_U8), 0);
    if (img.data == NULL)
        return;
    dcn__md5_hex(hex, img.data, img.count);
    CHECK_STR_EQ(hex, want);
    td_array_release(&img);
}

int
main(void)
{
    /* zstd-5 + fletcher32, one whole-dataset chunk */
    check_image_md5("inputs/cytoshot-test-data.rtdc",
                    "ef9ed7e6a2e4df20a46b4374ce1c4003");
    /* zstd-5 without fletcher32, chunks (5,20,125) that split images */
    check_image_md5("inputs/file_with_variable_length_logs.rtdc",
                    "c60fddc0fb1b87a47b1f3a1d098bfddf");
    /* zstd-1 + fletcher32, a chunk longer than the dataset */
    check_image_md5("inputs/cytoshot-test-data-legacy_dce.rtdc",
                    "d00f316066fc7e3ad60f912357e4ebce");
    return check_report();
}
