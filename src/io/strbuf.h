/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h - a growable byte string (git's strbuf, reduced).
 *
 * Reusable anywhere in the library (it needs only dcn_core's allocator).
 * The buffer is always NUL-terminated once anything was added, so buf can
 * be passed as a C string; it may also hold NUL bytes (len is the truth).
 * A struct dcn_strbuf is caller storage: dcn__strbuf_init() before use,
 * dcn__strbuf_release() after.  Not thread-safe; one owner at a time.
 */
#ifndef DCN_IO_STRBUF_H
#define DCN_IO_STRBUF_H

#include <stddef.h>

#include "dcnumc/status.h"

struct dcn_strbuf {
    char *buf;    /* owned; NULL until the first byte is added */
    size_t len;   /* bytes held, excluding the terminating NUL */
    size_t alloc; /* bytes allocated */
};

#define DCN_STRBUF_INIT \
    {                   \
        NULL, 0, 0      \
    }

void dcn__strbuf_init(struct dcn_strbuf *sb);
/* Frees the contents (not sb); sb is then empty and reusable. */
void dcn__strbuf_release(struct dcn_strbuf *sb);
/* Keep the allocation, drop the contents. */
void dcn__strbuf_reset(struct dcn_strbuf *sb);
/* Make room for extra more bytes (plus NUL).  0 or DCN_ENOMEM. */
int dcn__strbuf_grow(struct dcn_strbuf *sb, size_t extra);
/* Append bytes / a C string / one char / printf text.  0 or DCN_ENOMEM
 * (sb is unchanged on failure). */
int dcn__strbuf_add(struct dcn_strbuf *sb, const void *data, size_t len);
int dcn__strbuf_adds(struct dcn_strbuf *sb, const char *s);
int dcn__strbuf_addch(struct dcn_strbuf *sb, char c);
int dcn__strbuf_addf(struct dcn_strbuf *sb, const char *fmt, ...)
        DCN_PRINTF(2, 3);
/* "" when empty, never NULL; borrowed, valid until the next change. */
const char *dcn__strbuf_str(const struct dcn_strbuf *sb);
/* Hand the buffer to the caller (frees it with dcn__free()); sb becomes
 * empty.  Returns NULL only if nothing was ever added and the allocation
 * of an empty string fails. */
char *dcn__strbuf_detach(struct dcn_strbuf *sb, size_t *len);

#endif /* DCN_IO_STRBUF_H */
