/* SPDX-License-Identifier: MIT */
/*
 * md5.h - MD5 (RFC 1321) for the pipeline hash, basin dataset names,
 * measurement identifiers and mask checksums.  Not for security.
 */
#ifndef DCN_CORE_MD5_H
#define DCN_CORE_MD5_H

#include <stddef.h>
#include <stdint.h>

struct dcn_md5 {
    uint32_t h[4];
    uint64_t nbytes;   /* total bytes fed so far */
    uint8_t block[64]; /* pending partial block */
};

void dcn__md5_init(struct dcn_md5 *ctx);
void dcn__md5_update(struct dcn_md5 *ctx, const void *data, size_t len);
/* Finish and write the 16-byte digest; ctx must be re-initialised after. */
void dcn__md5_final(struct dcn_md5 *ctx, uint8_t digest[16]);
/* One-shot: 32 lowercase hex digits plus NUL into hex. */
void dcn__md5_hex(char hex[33], const void *data, size_t len);
/* Digest to 32 lowercase hex digits plus NUL. */
void dcn__md5_digest_hex(char hex[33], const uint8_t digest[16]);

#endif /* DCN_CORE_MD5_H */
