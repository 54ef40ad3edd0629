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

/* The whole of path in a caller-freed buffer (one spare byte), its length
 * in *size; NULL if it cannot be read. */
static uint8_t *
read_whole_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n = -1;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    (void)fclose(f); /* opened for reading: nothing to lose */
    *size = buf != NULL ? (size_t)n : 0;
    return buf;
}

static void
run_file(const char *path)
{
    size_t n = 0;
    uint8_t *buf = read_whole_file(path, &n);

    if (CHECK(buf != NULL))
        CHECK_EQ(LLVMFuzzerTestOneInput(buf, n), 0);
    free(buf);
}

static void run_path(const char *path);

static struct dirent *
next_entry(DIR *d)
{
    return readdir(d); // NOLINT(concurrency-mt-unsafe): one thread, own DIR
}

static void
run_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (d == NULL) {
        CHECK(d != NULL);
        return;
    }
    while ((e = next_entry(d)) != NULL) {
        char p[PATH_MAX];
        int len;

        if (e->d_name[0] == '.')
            continue;
        len = snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (len < 0 || len >= (int)sizeof p)
            CHECK(len >= 0 && len < (int)sizeof p);
        else
            run_path(p);
    }
    (void)closedir(d); /* a read-only stream */
}

static void
run_path(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        CHECK(0);
    else if (S_ISDIR(st.st_mode))
        run_dir(path);
    else
        run_file(path);
}

#ifdef DCN_REPLAY_OPEN
/* The target on buf, then on every prefix of a few lengths, then with
 * single bytes flipped in the tail (data, not the superblock). */
static void
replay_cuts_and_flips(uint8_t *buf, size_t n)
{
    CHECK_EQ(LLVMFuzzerTestOneInput(buf, n), 0);
    for (size_t cut = 1; cut < n; cut += n / 23 + 1)
        CHECK_EQ(LLVMFuzzerTestOneInput(buf, cut), 0);
    for (size_t k = n / 2; k < n; k += n / 17 + 1) {
        buf[k] ^= 0xff;
        CHECK_EQ(LLVMFuzzerTestOneInput(buf, n), 0);
        buf[k] ^= 0xff;
    }
}

/* A valid file made at test time, whole and damaged. */
static void
replay_valid_file(void)
{
    char tmpl[] = "/tmp/dcn_replay_XXXXXX";
    int fd = mkstemp(tmpl);
    uint8_t *buf;
    size_t n = 0;

    if (fd < 0) {
        CHECK(fd >= 0);
        return;
    }
    close(fd);
    fx_minimal(tmpl, 6);
    buf = read_whole_file(tmpl, &n);
    if (buf != NULL)
        replay_cuts_and_flips(buf, n);
    else
        CHECK(buf != NULL);
    free(buf);
    unlink(tmpl);
}
#endif

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
#ifdef DCN_REPLAY_OPEN
    replay_valid_file();
#endif
    return check_report();
}
