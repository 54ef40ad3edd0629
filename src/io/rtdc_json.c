/* SPDX-License-Identifier: MIT */
/*
 * rtdc_json.c - a bounded recursive-descent JSON reader, just enough for
 * basin definitions.  Never reads past len; depth is limited.
 */
#include "rtdc_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "dcnumc/status.h"

#define MAX_DEPTH 32

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    int rc; /* first failure */
};

static void
skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' ||
                               p->s[p->pos] == '\r' || p->s[p->pos] == '\t'))
        p->pos++;
}

static int
fail(struct parser *p, int rc)
{
    if (p->rc == 0)
        p->rc = rc;
    return rc;
}

static bool
peek(struct parser *p, char c)
{
    skip_ws(p);
    return p->pos < p->len && p->s[p->pos] == c;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t
put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int
read_hex4(struct parser *p, uint32_t *v)
{
    *v = 0;
    if (p->len - p->pos < 4)
        return fail(p, DCN_EFORMAT);
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos++]);

        if (h < 0)
            return fail(p, DCN_EFORMAT);
        *v = *v << 4 | (uint32_t)h;
    }
    return 0;
}

/* The character a one-letter escape stands for, or '\0' if invalid. */
static char
simple_escape(char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return '\0';
    }
}

/* \uXXXX after the 'u' (a surrogate pair joined): UTF-8 in tmp, *k bytes. */
static int
parse_unicode_escape(struct parser *p, char tmp[4], size_t *k)
{
    uint32_t cp;

    if (read_hex4(p, &cp) < 0)
        return DCN_EFORMAT;
    if (cp >= 0xd800 && cp < 0xdc00 && p->len - p->pos >= 6 &&
        p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
        uint32_t lo;

        p->pos += 2;
        if (read_hex4(p, &lo) < 0)
            return DCN_EFORMAT;
        if (lo >= 0xdc00 && lo < 0xe000)
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    *k = put_utf8(tmp, cp);
    return 0;
}

/* One character of a string body, escapes decoded: tmp gets *k bytes. */
static int
next_string_char(struct parser *p, char tmp[4], size_t *k)
{
    char c = p->s[p->pos++];

    tmp[0] = c;
    *k = 1;
    if ((unsigned char)c < 0x20)
        return DCN_EFORMAT;
    if (c != '\\')
        return 0;
    if (p->pos >= p->len)
        return DCN_EFORMAT;
    c = p->s[p->pos++];
    if (c == 'u')
        return parse_unicode_escape(p, tmp, k);
    tmp[0] = simple_escape(c);
    return tmp[0] != '\0' ? 0 : DCN_EFORMAT;
}

/* A buffer for the string body at p->pos: the output is never longer
 * than the input span. */
static char *
string_buffer(const struct parser *p)
{
    size_t end = p->pos;

    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    return dcn__malloc(end - p->pos + 4 + 1);
}

/* Parse a string at p->pos (which is '"'); *out NULL to skip. */
static int
parse_string(struct parser *p, char **out)
{
    char *buf = NULL;
    size_t n = 0;

    if (out != NULL)
        *out = NULL;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail(p, DCN_EFORMAT);
    p->pos++;
    if (out != NULL) {
        buf = string_buffer(p);
        if (buf == NULL)
            return fail(p, DCN_ENOMEM);
    }
    while (p->pos < p->len && p->s[p->pos] != '"') {
        char tmp[4];
        size_t k;

        if (next_string_char(p, tmp, &k) < 0)
            goto bad;
        if (buf != NULL) {
            memcpy(buf + n, tmp, k);
            n += k;
        }
    }
    if (p->pos >= p->len)
        goto bad;
    p->pos++;
    if (buf != NULL) {
        buf[n] = '\0';
        *out = buf;
    }
    return 0;
bad:
    dcn__free(buf);
    return fail(p, DCN_EFORMAT);
}

static int skip_value(struct parser *p, int depth);

static int
skip_literal(struct parser *p)
{
    size_t start = p->pos;

    while (p->pos < p->len &&
           (p->s[p->pos] == '-' || p->s[p->pos] == '+' || p->s[p->pos] == '.' ||
            (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') ||
            (p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z') ||
            (p->s[p->pos] >= 'A' && p->s[p->pos] <= 'Z')))
        p->pos++;
    if (p->pos == start)
        return fail(p, DCN_EFORMAT);
    return 0;
}

static int
skip_container(struct parser *p, int depth, char close, bool keys)
{
    p->pos++;
    if (peek(p, close)) {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (keys) {
            if (parse_string(p, NULL) < 0 || !peek(p, ':'))
                return fail(p, DCN_EFORMAT);
            p->pos++;
        }
        if (skip_value(p, depth + 1) < 0)
            return fail(p, DCN_EFORMAT);
        if (peek(p, ',')) {
            p->pos++;
            continue;
        }
        if (peek(p, close)) {
            p->pos++;
            return 0;
        }
        return fail(p, DCN_EFORMAT);
    }
}

static int
skip_value(struct parser *p, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, DCN_EFORMAT);
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, DCN_EFORMAT);
    switch (p->s[p->pos]) {
    case '"':
        return parse_string(p, NULL);
    case '{':
        return skip_container(p, depth, '}', true);
    case '[':
        return skip_container(p, depth, ']', false);
    default:
        return skip_literal(p);
    }
}

/* A copy of the input text from start to p->pos, or NULL. */
static char *
dup_span(const struct parser *p, size_t start)
{
    char *s = dcn__malloc(p->pos - start + 1);

    if (s == NULL)
        return NULL;
    memcpy(s, p->s + start, p->pos - start);
    s[p->pos - start] = '\0';
    return s;
}

/* Append s (owned; freed on failure) to the array member m. */
static int
push_item(struct parser *p, struct dcn_json_member *m, char *s)
{
    char **items = dcn__realloc(m->items, (m->nitems + 1) * sizeof *m->items);

    if (items == NULL) {
        dcn__free(s);
        return fail(p, DCN_ENOMEM);
    }
    m->items = items;
    m->items[m->nitems++] = s;
    return 0;
}

/* One array element: strings and literals are kept (literals as their
 * text), nested containers skipped. */
static int
parse_array_item(struct parser *p, struct dcn_json_member *m)
{
    size_t start;
    bool literal;
    char *s = NULL;

    if (peek(p, '"')) {
        if (parse_string(p, &s) < 0)
            return p->rc;
        return push_item(p, m, s);
    }
    start = p->pos;
    literal = p->pos < p->len && p->s[p->pos] != '{' && p->s[p->pos] != '[';
    if (skip_value(p, 1) < 0)
        return p->rc;
    if (!literal)
        return 0;
    s = dup_span(p, start);
    if (s == NULL)
        return fail(p, DCN_ENOMEM);
    return push_item(p, m, s);
}

/* An array at p->pos (which is '['). */
static int
parse_member_array(struct parser *p, struct dcn_json_member *m)
{
    m->kind = DCN_JSON_ARRAY;
    p->pos++;
    if (peek(p, ']')) {
        p->pos++;
        return 0;
    }
    for (;;) {
        int rc = parse_array_item(p, m);

        if (rc < 0)
            return rc;
        if (peek(p, ',')) {
            p->pos++;
            continue;
        }
        if (peek(p, ']')) {
            p->pos++;
            return 0;
        }
        return fail(p, DCN_EFORMAT);
    }
}

/* Any other value (number, bool, object): its raw JSON text. */
static int
parse_member_other(struct parser *p, struct dcn_json_member *m)
{
    size_t start;

    m->kind = DCN_JSON_OTHER;
    skip_ws(p);
    start = p->pos;
    if (skip_value(p, 0) < 0)
        return p->rc;
    m->str = dup_span(p, start);
    if (m->str == NULL)
        return fail(p, DCN_ENOMEM);
    return 0;
}

static int
parse_member_value(struct parser *p, struct dcn_json_member *m)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, DCN_EFORMAT);
    if (p->s[p->pos] == '"') {
        m->kind = DCN_JSON_STRING;
        return parse_string(p, &m->str);
    }
    if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "null", 4) == 0) {
        p->pos += 4;
        m->kind = DCN_JSON_NULL;
        return 0;
    }
    if (p->s[p->pos] == '[')
        return parse_member_array(p, m);
    return parse_member_other(p, m);
}

/* One "key": value of the top-level object, appended to obj. */
static int
parse_member(struct parser *p, struct dcn_json_object *obj)
{
    struct dcn_json_member *ms;
    struct dcn_json_member *m;

    ms = dcn__realloc(obj->members, (obj->n + 1) * sizeof *ms);
    if (ms == NULL)
        return fail(p, DCN_ENOMEM);
    obj->members = ms;
    m = &ms[obj->n++];
    memset(m, 0, sizeof *m);
    if (parse_string(p, &m->key) < 0 || !peek(p, ':'))
        return fail(p, DCN_EFORMAT);
    p->pos++;
    return parse_member_value(p, m);
}

/* The members of the top-level object and its closing '}'. */
static int
parse_members(struct parser *p, struct dcn_json_object *obj)
{
    for (;;) {
        int rc = parse_member(p, obj);

        if (rc < 0)
            return rc;
        if (peek(p, ',')) {
            p->pos++;
            continue;
        }
        if (peek(p, '}')) {
            p->pos++;
            return 0;
        }
        return fail(p, DCN_EFORMAT);
    }
}

int
dcn_json_parse(struct dcn_json_object *obj, const char *text, size_t len,
               size_t *where)
{
    struct parser p = {text, len, 0, 0};

    obj->members = NULL;
    obj->n = 0;
    if (!peek(&p, '{')) {
        fail(&p, DCN_EFORMAT);
        goto out;
    }
    p.pos++;
    if (peek(&p, '}'))
        p.pos++;
    else if (parse_members(&p, obj) < 0)
        goto out;
    skip_ws(&p);
    if (p.pos != p.len)
        fail(&p, DCN_EFORMAT);
out:
    if (where != NULL)
        *where = p.pos;
    return p.rc;
}

void
dcn_json_object_release(struct dcn_json_object *obj)
{
    for (size_t i = 0; i < obj->n; i++) {
        struct dcn_json_member *m = &obj->members[i];

        dcn__free(m->key);
        dcn__free(m->str);
        for (size_t k = 0; k < m->nitems; k++)
            dcn__free(m->items[k]);
        dcn__free(m->items);
    }
    dcn__free(obj->members);
    obj->members = NULL;
    obj->n = 0;
}

const struct dcn_json_member *
dcn_json_get(const struct dcn_json_object *obj, const char *key)
{
    /* Last one wins, as in Python's json. */
    for (size_t i = obj->n; i > 0; i--)
        if (obj->members[i - 1].key != NULL &&
            strcmp(obj->members[i - 1].key, key) == 0)
            return &obj->members[i - 1];
    return NULL;
}
