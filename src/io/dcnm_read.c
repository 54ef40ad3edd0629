/* SPDX-License-Identifier: MIT */
/*
 * dcnm_read.c - a .dcnm model file read as a zip archive (PKWARE
 * APPNOTE: end of central directory, central directory, local header;
 * entries stored or deflated), its MD5 name check and format version.
 */
#include "dcnm_read.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const */
#include <zlib.h>

#include "alloc.h"
#include "md5.h"

#define MODEL_MAX ((size_t)1 << 31) /* 2 GiB: larger is not a dcnum model */
#define META_NAME "extra/dcnum_meta.json"

static uint32_t
le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const uint8_t *p)
{
    return le16(p) | le16(p + 2) << 16;
}

/* The whole file into *buf (owned). */
static int
slurp(uint8_t **buf, size_t *len, const char *path, struct dcn_error *err)
{
    FILE *f = fopen(path, "rb");
    long size;
    int rc = DCN_OK;

    *buf = NULL;
    if (f == NULL) {
        int e = errno;
        char msg[128] = "";
        (void)strerror_r(e, msg, sizeof(msg));
        return dcn_error_set(err, e == ENOENT ? DCN_ENOTFOUND : DCN_EIO,
                             "%s: cannot open the model file: %s", path, msg);
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot read the model file",
                           path);
        goto out;
    }
    if ((size_t)size > MODEL_MAX) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: %ld bytes: too large for a model file", path,
                           size);
        goto out;
    }
    *len = (size_t)size;
    *buf = dcn__malloc(*len + 1);
    if (*buf == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fread(*buf, 1, *len, f) != *len)
        rc = dcn_error_set(err, DCN_EIO, "%s: cannot read the model file",
                           path);
out:
    if (rc != DCN_OK) {
        dcn__free(*buf);
        *buf = NULL;
    }
    (void)fclose(f);
    return rc;
}

/* dcnum's check_md5sum: md5[:5] == the stem's last "_" part. */
static int
check_md5_name(const uint8_t *buf, size_t len, const char *path,
               struct dcn_error *err)
{
    char hex[33], want[64] = "";
    const char *base = strrchr(path, '/');
    const char *stem = base != NULL ? base + 1 : path;
    const char *us = strrchr(stem, '_');
    const char *dot = strrchr(stem, '.');
    const char *suffix = dot != NULL ? dot : "";
    size_t n;

    dcn__md5_hex(hex, buf, len);
    n = dot != NULL ? (size_t)(dot - stem) : strlen(stem);
    if (us != NULL && us < stem + n) {
        n -= (size_t)(us + 1 - stem);
        if (n < sizeof(want))
            memcpy(want, us + 1, n);
    } else if (n < sizeof(want)) {
        memcpy(want, stem, n);
    }
    if (strlen(want) == 5 && strncmp(want, hex, 5) == 0)
        return DCN_OK;
    return dcn_error_set(err, DCN_EINVAL,
                         "MD5 mismatch for %s (%s)! Expected the input file "
                         "to end with '%.5s%s'.",
                         path, hex, hex, suffix);
}

/* One stored entry of the archive. */
struct zip_entry {
    const uint8_t *data;
    size_t clen;     /* compressed bytes */
    size_t ulen;     /* uncompressed bytes */
    uint32_t method; /* 0 stored, 8 deflated */
};

static int
inflate_raw(char *dst, const struct zip_entry *e)
{
    z_stream z;
    int zr;

    memset(&z, 0, sizeof(z));
    zr = inflateInit2(&z, -15);
    if (zr != Z_OK)
        return -1;
    z.next_in = e->data;
    z.avail_in = (uInt)e->clen;
    z.next_out = (Bytef *)dst;
    z.avail_out = (uInt)e->ulen;
    zr = inflate(&z, Z_FINISH);
    (void)inflateEnd(&z);
    return zr == Z_STREAM_END && z.total_out == e->ulen ? 0 : -1;
}

/* Inflate or copy one entry's data into a new NUL-terminated text. */
static int
entry_data(char **out, size_t *out_len, const struct zip_entry *e,
           const char *path, struct dcn_error *err)
{
    char *text;
    int ok;

    if (e->ulen > ((size_t)1 << 24))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json is implausibly large", path);
    if (e->method != 0 && e->method != 8)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json uses zip method %u", path,
                             (unsigned)e->method);
    text = dcn__malloc(e->ulen + 1);
    if (text == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", path);
    ok = e->method == 0 ? e->clen == e->ulen : inflate_raw(text, e) == 0;
    if (ok && e->method == 0)
        memcpy(text, e->data, e->ulen);
    if (!ok) {
        dcn__free(text);
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json does not decompress", path);
    }
    text[e->ulen] = '\0';
    *out = text;
    *out_len = e->ulen;
    return DCN_OK;
}

/* The offset of the end-of-central-directory record, or (size_t)-1. */
static size_t
find_eocd(const uint8_t *b, size_t n)
{
    size_t stop = n > 22 + 65535 ? n - 22 - 65535 : 0;

    if (n < 22)
        return (size_t)-1;
    for (size_t at = n - 22 + 1; at-- > stop;) {
        if (le32(b + at) == 0x06054b50)
            return at;
    }
    return (size_t)-1;
}

/* Is the central directory entry e (name of nl bytes) the meta file? */
static bool
is_meta_entry(const uint8_t *e, size_t nl)
{
    size_t ml = strlen(META_NAME);
    const uint8_t *name = e + 46;

    return nl >= ml && memcmp(name + nl - ml, META_NAME, ml) == 0 &&
           (nl == ml || name[nl - ml - 1] == '/');
}

/* Find the archive's <dir>/extra/dcnum_meta.json and read it. */
static int
zip_meta(char **json, size_t *len, const uint8_t *b, size_t n, const char *path,
         struct dcn_error *err)
{
    size_t eocd = find_eocd(b, n), cd, count;

    if (eocd == (size_t)-1)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: not a dcnum model file (no zip archive, "
                             "not .dcnm format 1)",
                             path);
    count = le16(b + eocd + 10);
    cd = le32(b + eocd + 16);
    for (size_t i = 0; i < count && cd + 46 <= n; i++) {
        const uint8_t *e = b + cd;
        size_t nl = le16(e + 28), loc = le32(e + 42), data;
        struct zip_entry ze = {NULL, le32(e + 20), le32(e + 24), le16(e + 10)};

        if (le32(e) != 0x02014b50 || cd + 46 + nl > n)
            break;
        cd += 46 + nl + le16(e + 30) + le16(e + 32);
        if (!is_meta_entry(e, nl))
            continue;
        if (loc + 30 > n || le32(b + loc) != 0x04034b50)
            break;
        data = loc + 30 + le16(b + loc + 26) + le16(b + loc + 28);
        if (data > n || ze.clen > n - data)
            break;
        ze.data = b + data;
        return entry_data(json, len, &ze, path, err);
    }
    return dcn_error_set(err, DCN_EFORMAT,
                         "%s: not a dcnum model file (the archive has no "
                         "dcnum_meta.json)",
                         path);
}

int
dcn_dcnm_read_meta(char **json, size_t *len, const char *path,
                   struct dcn_error *err)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc;

    *json = NULL;
    *len = 0;
    rc = slurp(&buf, &n, path, err);
    if (rc != DCN_OK)
        return rc;
    if (n >= 4 && memcmp(buf, "DCNM", 4) == 0)
        rc = dcn_error_set(err, DCN_EINVAL,
                           "%s: .dcnm format version 2 (a torch.export "
                           "program for dcnum's torchuni segmenter) cannot "
                           "be loaded by libtorch 1.13; use a format-1 "
                           "(TorchScript) model",
                           path);
    if (rc == DCN_OK)
        rc = check_md5_name(buf, n, path, err);
    if (rc == DCN_OK)
        rc = zip_meta(json, len, buf, n, path, err);
    dcn__free(buf);
    return rc;
}
