/* SPDX-License-Identifier: MIT */
/*
 * fuzz_replay.c - runs a libFuzzer target over corpus files under any
 * compiler, as a normal ctest (style.md rule 60).  Usage:
 *   fuzz_replay_<target> FILE_OR_DIR...
 * For the open target the driver also feeds a valid file made at test
 * time and truncations of it, so the success path is replayed too.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef DCN_REPLAY_OPEN
#include <unistd.h>

#include "rtdc_fixture.h"
#endif

static void
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!CHECK(f != NULL))
        return;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) == (size_t)n)
        CHECK_EQ(LLVMFuzzerTestOneInput(buf, (size_t)n), 0);
    fclose(f);
    free(buf);
}

static void
run_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (stat(path, &st) != 0) {
        CHECK(0);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    d = opendir(path);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char p[PATH_MAX];

        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%.*s/%s", PATH_MAX / 2, path, e->d_name);
        run_path(p);
    }
    if (d != NULL)
        closedir(d);
}

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
#ifdef DCN_REPLAY_OPEN
    {
        char tmpl[] = "/tmp/dcn_replay_XXXXXX";
        int fd = mkstemp(tmpl);
        FILE *f;
        long n;
        uint8_t *buf;

        close(fd);
        fx_minimal(tmpl, 6);
        f = fopen(tmpl, "rb");
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n);
        if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
            CHECK_EQ(LLVMFuzzerTestOneInput(buf, (size_t)n), 0);
            for (long cut = 1; cut < n; cut += n / 23 + 1)
                CHECK_EQ(LLVMFuzzerTestOneInput(buf, (size_t)cut), 0);
            /* flip bytes in the tail (data, not the superblock) */
            for (long k = n / 2; k < n; k += n / 17 + 1) {
                buf[k] ^= 0xff;
                CHECK_EQ(LLVMFuzzerTestOneInput(buf, (size_t)n), 0);
                buf[k] ^= 0xff;
            }
        }
        free(buf);
        fclose(f);
        unlink(tmpl);
    }
#endif
    return check_report();
}
