/* SPDX-License-Identifier: MIT */
/*
 * cmd_synth.c - `dcnumc synth`: write a synthetic raw measurement.
 *
 * Parses the options into a struct dcn_synth_params and calls
 * dcn_synth_write().  A bad option is a usage error (exit 2) whose
 * message names the option; a failure while writing is exit 1 with the
 * library's message, which names the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dcnumc/dcnumc.h"
#include "dcnumc/synth.h"

static void
synth_usage(FILE *out)
{
    (void)fprintf(
            out,
            "usage: dcnumc synth -n FRAMES [options] OUT.rtdc\n"
            "\n"
            "Write a synthetic raw RT-DC measurement: camera images of a\n"
            "microfluidic channel with cells flowing through it, as a raw\n"
            "recording from the instrument would contain them (no "
            "features\n"
            "yet).  Use it to try out or benchmark the analysis on large\n"
            "data without a real measurement.\n"
            "\n"
            "What the images show: a channel background (grey level about\n"
            "110) with its walls near the top and bottom edge, a slight\n"
            "brightness flicker and camera noise; 0 to 3 cells per image\n"
            "(dark rim, bright halo, textured inside; 20 %% appear bright)\n"
            "that move to the right, so one cell is seen in a few "
            "consecutive\n"
            "images and some are cut by the left or right edge; about 1 %%\n"
            "of the images are repeated camera frames.  Only triggered\n"
            "frames are stored: 'frame' counts camera frames (2000 per\n"
            "second, gaps of about 4) and 'time' is in seconds.\n"
            "\n"
            "The same options always give the same images, on any "
            "computer.\n"
            "\n"
            "options:\n"
            "  -n, --frames N        number of images to write (required)\n"
            "  --size HxW            image height x width in pixels "
            "(default 80x250)\n"
            "  --seed S              random seed, a whole number (default "
            "42);\n"
            "                        a different seed gives different cells\n"
            "  --compression C       zstd-5 (default, like real files), "
            "zstd-1 ..\n"
            "                        zstd-9 (higher: smaller, slower), or "
            "none\n"
            "  --threads N           compress on N threads (default: all "
            "CPUs)\n"
            "  --force               overwrite OUT.rtdc if it exists\n"
            "  -h, --help            show this help\n"
            "\n"
            "example:\n"
            "  dcnumc synth -n 10000 --seed 7 cells.rtdc\n"
            "\n"
            "Exit status: 0 written, 1 writing failed (no file is left "
            "behind),\n"
            "2 bad options.\n");
}

static int
usage_error(const char *opt, const char *why)
{
    (void)fprintf(stderr, "dcnumc synth: %s: %s (see dcnumc synth --help)\n",
                  opt, why);
    return DCN_EXIT_USAGE;
}

/* A whole decimal number in [lo, hi]; false for anything else. */
static bool
parse_u64(const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool
parse_size(const char *text, struct dcn_synth_params *p)
{
    const char *x = text ? strchr(text, 'x') : NULL;
    char h[16];
    uint64_t hv;
    uint64_t wv;

    if (x == NULL || x == text || (size_t)(x - text) >= sizeof(h))
        return false;
    memcpy(h, text, (size_t)(x - text));
    h[x - text] = '\0';
    if (!parse_u64(h, 32, 1024, &hv) || !parse_u64(x + 1, 32, 4096, &wv))
        return false;
    p->height = (uint32_t)hv;
    p->width = (uint32_t)wv;
    return true;
}

static bool
parse_compression(const char *text, struct dcn_synth_params *p)
{
    uint64_t level;

    if (text != NULL && strcmp(text, "none") == 0) {
        p->compression = 0;
        return true;
    }
    if (text == NULL || strncmp(text, "zstd-", 5) != 0 ||
        !parse_u64(text + 5, 1, 9, &level))
        return false;
    p->compression = (int)level;
    return true;
}

/* One option with a value; returns 0 or the exit code of a usage error. */
static int
parse_valued(const char *opt, const char *val, struct dcn_synth_params *p,
             bool *have_n)
{
    uint64_t v;

    if (val == NULL)
        return usage_error(opt, "needs a value");
    if (strcmp(opt, "-n") == 0 || strcmp(opt, "--frames") == 0) {
        if (!parse_u64(val, 1, UINT64_C(1) << 40, &v))
            return usage_error(opt, "expects a number of frames >= 1");
        p->frames = v;
        *have_n = true;
    } else if (strcmp(opt, "--size") == 0) {
        if (!parse_size(val, p))
            return usage_error(opt, "expects HxW, e.g. 80x250 (H 32..1024, "
                                    "W 32..4096)");
    } else if (strcmp(opt, "--seed") == 0) {
        if (!parse_u64(val, 0, UINT64_MAX, &v))
            return usage_error(opt, "expects a whole number >= 0");
        p->seed = v;
    } else if (strcmp(opt, "--compression") == 0) {
        if (!parse_compression(val, p))
            return usage_error(opt, "expects zstd-1 .. zstd-9 or none");
    } else if (strcmp(opt, "--threads") == 0) {
        if (!parse_u64(val, 1, 256, &v))
            return usage_error(opt, "expects a number of threads, 1 .. 256");
        p->threads = (unsigned)v;
    } else {
        return usage_error(opt, "unknown option");
    }
    return 0;
}

static bool
takes_value(const char *opt)
{
    static const char *const valued[] = {
            "-n", "--frames", "--size", "--seed", "--compression", "--threads"};

    for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
        if (strcmp(opt, valued[i]) == 0)
            return true;
    return false;
}

int
dcn_cli_synth(int argc, char **argv)
{
    struct dcn_synth_params p;
    struct dcn_error err = DCN_ERROR_INIT;
    const char *out = NULL;
    bool have_n = false;
    int rc;

    dcn_synth_params_init(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            synth_usage(stdout);
            return DCN_EXIT_OK;
        } else if (strcmp(a, "--force") == 0) {
            p.force = true;
        } else if (takes_value(a)) {
            rc = parse_valued(a, i + 1 < argc ? argv[i + 1] : NULL, &p,
                              &have_n);
            if (rc != 0)
                return rc;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(a, "unknown option");
        } else if (out != NULL) {
            return usage_error(a, "only one output file may be given");
        } else {
            out = a;
        }
    }
    if (!have_n)
        return usage_error("-n", "the number of frames is required");
    if (out == NULL)
        return usage_error("OUT.rtdc", "the output file is missing");
    if (dcn_synth_write(out, &p, &err) < 0) {
        (void)fprintf(stderr, "dcnumc synth: %s\n", err.msg);
        return DCN_EXIT_FAIL;
    }
    return DCN_EXIT_OK;
}
