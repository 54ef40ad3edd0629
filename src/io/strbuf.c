/* SPDX-License-Identifier: MIT */
/*
 * strbuf.c - a growable byte string.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

void
dcn__strbuf_init(struct dcn_strbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->alloc = 0;
}

void
dcn__strbuf_release(struct dcn_strbuf *sb)
{
    dcn__free(sb->buf);
    dcn__strbuf_init(sb);
}

void
dcn__strbuf_reset(struct dcn_strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL)
        sb->buf[0] = '\0';
}

int
dcn__strbuf_grow(struct dcn_strbuf *sb, size_t extra)
{
    size_t need;
    size_t cap;
    char *p;

    if (extra > (size_t)-1 - sb->len - 1)
        return DCN_ENOMEM;
    need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return DCN_OK;
    cap = sb->alloc < 64 ? 64 : sb->alloc;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    p = dcn__realloc(sb->buf, cap);
    if (p == NULL)
        return DCN_ENOMEM;
    if (sb->buf == NULL)
        p[0] = '\0';
    sb->buf = p;
    sb->alloc = cap;
    return DCN_OK;
}

int
dcn__strbuf_add(struct dcn_strbuf *sb, const void *data, size_t len)
{
    if (dcn__strbuf_grow(sb, len) < 0)
        return DCN_ENOMEM;
    if (len > 0)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return DCN_OK;
}

int
dcn__strbuf_adds(struct dcn_strbuf *sb, const char *s)
{
    return dcn__strbuf_add(sb, s, strlen(s));
}

int
dcn__strbuf_addch(struct dcn_strbuf *sb, char c)
{
    return dcn__strbuf_add(sb, &c, 1);
}

int
dcn__strbuf_addf(struct dcn_strbuf *sb, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return DCN_EINVAL;
    if ((size_t)n < sizeof(small))
        return dcn__strbuf_add(sb, small, (size_t)n);
    if (dcn__strbuf_grow(sb, (size_t)n) < 0)
        return DCN_ENOMEM;
    va_start(ap, fmt);
    (void)vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return DCN_OK;
}

const char *
dcn__strbuf_str(const struct dcn_strbuf *sb)
{
    return sb->buf != NULL ? sb->buf : "";
}

char *
dcn__strbuf_detach(struct dcn_strbuf *sb, size_t *len)
{
    char *p;

    if (sb->buf == NULL && dcn__strbuf_grow(sb, 0) < 0)
        return NULL;
    p = sb->buf;
    if (len != NULL)
        *len = sb->len;
    dcn__strbuf_init(sb);
    return p;
}
