/* SPDX-License-Identifier: MIT */
/*
 * json_tree.c - recursive-descent JSON parser (RFC 8259) building a tree.
 */
#include "json_tree.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dcnumc/status.h"

#define MAX_DEPTH 64

struct parser {
    const char *p;
    const char *end;
    const char *start;
    int depth;
};

static void
skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                               *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool
literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static int
hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t
put_utf8(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape after the backslash at ps->p[-1]; appends to dst. */
static int
unescape(struct parser *ps, char *dst, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    uint32_t cp, lo;
    char c = *ps->p++;
    const char *hit = strchr(from, c);

    if (c != 'u') {
        if (c == '\0' || hit == NULL)
            return -1;
        dst[(*n)++] = to[hit - from];
        return 0;
    }
    if (ps->end - ps->p < 4 || hex4(ps->p, &cp) != 0)
        return -1;
    ps->p += 4;
    if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
            hex4(ps->p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return -1;
    }
    *n += put_utf8(dst + *n, cp);
    return 0;
}

/* A string at ps->p (the opening quote) into a new allocation. */
static int
parse_string(struct parser *ps, char **out)
{
    const char *q = ++ps->p;
    size_t n = 0;
    char *s;

    while (q < ps->end && *q != '"')
        q += *q == '\\' && q + 1 < ps->end ? 2 : 1;
    if (q >= ps->end)
        return DCN_EFORMAT;
    /* unescaped text is never longer than the escaped text */
    s = dcn__malloc((size_t)(q - ps->p) + 1);
    if (s == NULL)
        return DCN_ENOMEM;
    while (ps->p < q) {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20 || (c == '\\' && unescape(ps, s, &n) != 0)) {
            dcn__free(s);
            return DCN_EFORMAT;
        }
        if (c != '\\')
            s[n++] = (char)c;
    }
    s[n] = '\0';
    ps->p = q + 1;
    *out = s;
    return DCN_OK;
}

static int
parse_number(struct parser *ps, double *out)
{
    char buf[64];
    const char *q = ps->p;
    char *end = NULL;

    while (q < ps->end && strchr("+-0123456789.eE", *q) != NULL && *q != '\0')
        q++;
    if (q == ps->p || (size_t)(q - ps->p) >= sizeof(buf))
        return DCN_EFORMAT;
    memcpy(buf, ps->p, (size_t)(q - ps->p));
    buf[q - ps->p] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (*end != '\0' || errno == ERANGE)
        return DCN_EFORMAT;
    ps->p = q;
    return DCN_OK;
}

static int parse_value(struct parser *ps, struct dcn_jt **out);

/* Append child (and key) to container v. */
static int
append(struct dcn_jt *v, char *key, struct dcn_jt *child)
{
    struct dcn_jt **items =
            dcn__realloc(v->items, (v->n + 1) * sizeof(struct dcn_jt *));
    if (items == NULL)
        return DCN_ENOMEM;
    v->items = items;
    if (v->kind == DCN_JT_OBJECT) {
        char **keys = dcn__realloc(v->keys, (v->n + 1) * sizeof(*keys));
        if (keys == NULL)
            return DCN_ENOMEM;
        v->keys = keys;
        keys[v->n] = key;
    }
    items[v->n++] = child;
    return DCN_OK;
}

/* One member ("key": value) or item of container v, appended. */
static int
parse_entry(struct parser *ps, struct dcn_jt *v)
{
    char *key = NULL;
    struct dcn_jt *child = NULL;
    int rc = DCN_OK;

    skip_ws(ps);
    if (v->kind == DCN_JT_OBJECT) {
        if (ps->p >= ps->end || *ps->p != '"')
            return DCN_EFORMAT;
        rc = parse_string(ps, &key);
        skip_ws(ps);
        if (rc == DCN_OK && (ps->p >= ps->end || *ps->p++ != ':'))
            rc = DCN_EFORMAT;
    }
    if (rc == DCN_OK)
        rc = parse_value(ps, &child);
    if (rc == DCN_OK)
        rc = append(v, key, child);
    if (rc != DCN_OK) {
        dcn__free(key);
        dcn_jt_free(child);
    }
    return rc;
}

/* The members of an object or the items of an array after the opening
 * bracket. */
static int
parse_container(struct parser *ps, struct dcn_jt *v, char close)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return DCN_OK;
    }
    for (;;) {
        int rc = parse_entry(ps, v);
        if (rc != DCN_OK)
            return rc;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return DCN_OK;
        }
        return DCN_EFORMAT;
    }
}

static int
parse_value(struct parser *ps, struct dcn_jt **out)
{
    struct dcn_jt *v = dcn__calloc(1, sizeof(*v));
    int rc = DCN_OK;

    *out = NULL;
    if (v == NULL)
        return DCN_ENOMEM;
    skip_ws(ps);
    if (ps->p >= ps->end) {
        rc = DCN_EFORMAT;
    } else if (*ps->p == '{' || *ps->p == '[') {
        char close = *ps->p == '{' ? '}' : ']';
        v->kind = *ps->p == '{' ? DCN_JT_OBJECT : DCN_JT_ARRAY;
        ps->p++;
        if (++ps->depth > MAX_DEPTH)
            rc = DCN_EFORMAT;
        else
            rc = parse_container(ps, v, close);
        ps->depth--;
    } else if (*ps->p == '"') {
        v->kind = DCN_JT_STRING;
        rc = parse_string(ps, &v->str);
    } else if (literal(ps, "true") || literal(ps, "false")) {
        v->kind = DCN_JT_BOOL;
        v->b = ps->p[-1] == 'e' && ps->p[-2] == 'u';
    } else if (literal(ps, "null")) {
        v->kind = DCN_JT_NULL;
    } else {
        v->kind = DCN_JT_NUMBER;
        rc = parse_number(ps, &v->num);
    }
    if (rc != DCN_OK) {
        dcn_jt_free(v);
        return rc;
    }
    *out = v;
    return DCN_OK;
}

int
dcn_jt_parse(struct dcn_jt **out, const char *text, size_t len, size_t *where)
{
    struct parser ps = {text, text + len, text, 0};
    int rc = parse_value(&ps, out);

    skip_ws(&ps);
    if (rc == DCN_OK && ps.p != ps.end) {
        dcn_jt_free(*out);
        *out = NULL;
        rc = DCN_EFORMAT;
    }
    if (where != NULL)
        *where = (size_t)(ps.p - ps.start);
    return rc;
}

void
dcn_jt_free(struct dcn_jt *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        dcn_jt_free(v->items[i]);
        if (v->keys != NULL)
            dcn__free(v->keys[i]);
    }
    dcn__free(v->items);
    dcn__free(v->keys);
    dcn__free(v->str);
    dcn__free(v);
}

const struct dcn_jt *
dcn_jt_get(const struct dcn_jt *v, const char *key)
{
    if (v == NULL || v->kind != DCN_JT_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    }
    return NULL;
}
