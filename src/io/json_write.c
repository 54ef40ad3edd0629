/* SPDX-License-Identifier: MIT */
/*
 * json_write.c - JSON values serialised as Python's json.dumps does.
 */
#include "json_write.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum json_kind {
    J_OBJECT,
    J_ARRAY,
    J_STRING,
    J_INT,
    J_UINT,
    J_DOUBLE,
    J_BOOL,
    J_NULL
};

struct dcn_json {
    enum json_kind kind;
    /* J_OBJECT / J_ARRAY: n items (keys only for objects) */
    struct dcn_json **items;
    char **keys;
    size_t n;
    size_t cap;
    /* scalars */
    char *str;
    size_t len;
    int64_t i;
    uint64_t u;
    double d;
    bool b;
};

static struct dcn_json *
json_new(enum json_kind kind)
{
    struct dcn_json *v = dcn__calloc(1, sizeof(*v));

    if (v != NULL)
        v->kind = kind;
    return v;
}

struct dcn_json *
dcn__json_object(void)
{
    return json_new(J_OBJECT);
}

struct dcn_json *
dcn__json_array(void)
{
    return json_new(J_ARRAY);
}

struct dcn_json *
dcn__json_string_n(const char *utf8, size_t len)
{
    struct dcn_json *v = json_new(J_STRING);

    if (v == NULL)
        return NULL;
    v->str = dcn__malloc(len + 1);
    if (v->str == NULL) {
        dcn__free(v);
        return NULL;
    }
    if (len > 0)
        memcpy(v->str, utf8, len);
    v->str[len] = '\0';
    v->len = len;
    return v;
}

struct dcn_json *
dcn__json_string(const char *utf8)
{
    return dcn__json_string_n(utf8, strlen(utf8));
}

struct dcn_json *
dcn__json_int(int64_t x)
{
    struct dcn_json *v = json_new(J_INT);

    if (v != NULL)
        v->i = x;
    return v;
}

struct dcn_json *
dcn__json_uint(uint64_t x)
{
    struct dcn_json *v = json_new(J_UINT);

    if (v != NULL)
        v->u = x;
    return v;
}

struct dcn_json *
dcn__json_double(double x)
{
    struct dcn_json *v = json_new(J_DOUBLE);

    if (v != NULL)
        v->d = x;
    return v;
}

struct dcn_json *
dcn__json_bool(bool x)
{
    struct dcn_json *v = json_new(J_BOOL);

    if (v != NULL)
        v->b = x;
    return v;
}

struct dcn_json *
dcn__json_null(void)
{
    return json_new(J_NULL);
}

void
dcn__json_free(struct dcn_json *v)
{
    size_t k;

    if (v == NULL)
        return;
    for (k = 0; k < v->n; k++) {
        dcn__json_free(v->items[k]);
        if (v->keys != NULL)
            dcn__free(v->keys[k]);
    }
    dcn__free(v->items);
    dcn__free(v->keys);
    dcn__free(v->str);
    dcn__free(v);
}

int
dcn__json_add(struct dcn_json *c, const char *key, struct dcn_json *val)
{
    char *kcopy = NULL;

    if (val == NULL)
        return DCN_ENOMEM;
    if (c == NULL || (c->kind == J_OBJECT) != (key != NULL) ||
        (c->kind != J_OBJECT && c->kind != J_ARRAY)) {
        dcn__json_free(val);
        return DCN_EINVAL;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap == 0 ? 4 : c->cap * 2;
        struct dcn_json **items =
                dcn__realloc(c->items, ncap * sizeof(struct dcn_json *));

        if (items == NULL)
            goto nomem;
        c->items = items;
        if (c->kind == J_OBJECT) {
            char **keys = dcn__realloc(c->keys, ncap * sizeof(*keys));

            if (keys == NULL)
                goto nomem;
            c->keys = keys;
        }
        c->cap = ncap;
    }
    if (key != NULL) {
        kcopy = dcn__strdup(key);
        if (kcopy == NULL)
            goto nomem;
        c->keys[c->n] = kcopy;
    }
    c->items[c->n++] = val;
    return DCN_OK;
nomem:
    dcn__json_free(val);
    return DCN_ENOMEM;
}

int
dcn__json_add_strings(struct dcn_json *c, const char *key,
                      const char *const *strs, size_t count)
{
    struct dcn_json *arr = dcn__json_array();
    size_t k;
    int rc;

    if (arr == NULL)
        return DCN_ENOMEM;
    for (k = 0; k < count; k++) {
        rc = dcn__json_add(arr, NULL, dcn__json_string(strs[k]));
        if (rc < 0) {
            dcn__json_free(arr);
            return rc;
        }
    }
    return dcn__json_add(c, key, arr);
}

/* Decode one UTF-8 sequence at s (n bytes left); 0 on malformed input. */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len;
    size_t k;
    uint32_t min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2;
        c &= 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        c &= 0x0f;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

int
dcn__json_quote(struct dcn_strbuf *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t pos = 0;
    int rc = dcn__strbuf_addch(out, '"');

    while (rc == 0 && pos < len) {
        uint32_t cp;
        size_t step = utf8_next(s + pos, len - pos, &cp);

        if (step == 0)
            return DCN_EINVAL;
        pos += step;
        switch (cp) {
        case '"':
            rc = dcn__strbuf_add(out, "\\\"", 2);
            break;
        case '\\':
            rc = dcn__strbuf_add(out, "\\\\", 2);
            break;
        case '\n':
            rc = dcn__strbuf_add(out, "\\n", 2);
            break;
        case '\r':
            rc = dcn__strbuf_add(out, "\\r", 2);
            break;
        case '\t':
            rc = dcn__strbuf_add(out, "\\t", 2);
            break;
        case '\b':
            rc = dcn__strbuf_add(out, "\\b", 2);
            break;
        case '\f':
            rc = dcn__strbuf_add(out, "\\f", 2);
            break;
        default:
            if (cp >= 0x20 && cp < 0x7f) {
                rc = dcn__strbuf_addch(out, (char)cp);
            } else if (cp < 0x10000) {
                rc = dcn__strbuf_addf(out, "\\u%04" PRIx32, cp);
            } else {
                uint32_t v = cp - 0x10000;

                rc = dcn__strbuf_addf(out, "\\u%04" PRIx32 "\\u%04" PRIx32,
                                      0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
            }
        }
    }
    if (rc == 0)
        rc = dcn__strbuf_addch(out, '"');
    return rc;
}

/* Shortest "%e" text of v that reads back exactly: its decimal digits
 * (no sign, no trailing zeros) and the exponent of the first digit. */
static size_t
shortest_digits(char digits[20], int *exp10, double v)
{
    char buf[40];
    const char *p;
    size_t nd = 0;
    int prec;

    for (prec = 0; prec < 17; prec++) {
        (void)snprintf(buf, sizeof(buf), "%.*e", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    for (p = buf; *p != 'e' && *p != '\0'; p++)
        if (*p >= '0' && *p <= '9' && nd < 19)
            digits[nd++] = *p;
    *exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    return nd;
}

static int
add_zeros(struct dcn_strbuf *out, long n)
{
    int rc = 0;

    for (; n > 0 && rc == 0; n--)
        rc = dcn__strbuf_addch(out, '0');
    return rc;
}

/* Python's positional form for -4 < decpt <= 16: "0.00ddd", "ddd00.0",
 * "dd.ddd". */
static int
add_positional(struct dcn_strbuf *out, const char *digits, size_t nd, int decpt)
{
    int rc;

    if (decpt <= 0) {
        rc = dcn__strbuf_add(out, "0.", 2);
        rc |= add_zeros(out, -(long)decpt);
        return rc | dcn__strbuf_add(out, digits, nd);
    }
    if ((size_t)decpt >= nd) {
        rc = dcn__strbuf_add(out, digits, nd);
        rc |= add_zeros(out, (long)decpt - (long)nd);
        return rc | dcn__strbuf_add(out, ".0", 2);
    }
    rc = dcn__strbuf_add(out, digits, (size_t)decpt);
    rc |= dcn__strbuf_addch(out, '.');
    return rc | dcn__strbuf_add(out, digits + decpt, nd - (size_t)decpt);
}

int
dcn__json_format_double(struct dcn_strbuf *out, double v)
{
    char digits[20] = {0};
    size_t nd;
    int exp10 = 0;
    int rc = 0;

    if (isnan(v))
        return dcn__strbuf_adds(out, "NaN");
    if (isinf(v))
        return dcn__strbuf_adds(out, v > 0 ? "Infinity" : "-Infinity");
    if (v == 0.0)
        return dcn__strbuf_adds(out, signbit(v) ? "-0.0" : "0.0");
    nd = shortest_digits(digits, &exp10, v);
    if (v < 0)
        rc = dcn__strbuf_addch(out, '-');
    if (exp10 + 1 > -4 && exp10 + 1 <= 16) {
        rc |= add_positional(out, digits, nd, exp10 + 1);
    } else {
        rc |= dcn__strbuf_addch(out, digits[0]);
        if (nd > 1) {
            rc |= dcn__strbuf_addch(out, '.');
            rc |= dcn__strbuf_add(out, digits + 1, nd - 1);
        }
        rc |= dcn__strbuf_addf(out, "e%c%02d", exp10 < 0 ? '-' : '+',
                               exp10 < 0 ? -exp10 : exp10);
    }
    return rc != 0 ? DCN_ENOMEM : DCN_OK;
}

static int
add_indent(struct dcn_strbuf *out, int indent, int level)
{
    int rc = dcn__strbuf_addch(out, '\n');
    long k;

    for (k = 0; rc == 0 && k < (long)indent * level; k++)
        rc = dcn__strbuf_addch(out, ' ');
    return rc;
}

struct key_index {
    const char *key;
    size_t idx;
};

static int
cmp_key_index(const void *a, const void *b)
{
    const struct key_index *ka = a;
    const struct key_index *kb = b;
    int c = strcmp(ka->key, kb->key);

    if (c != 0)
        return c;
    return ka->idx < kb->idx ? -1 : ka->idx > kb->idx;
}

struct dump_ctx {
    struct dcn_strbuf *out;
    int indent; /* < 0: one line */
    unsigned flags;
};

static int dump(const struct dump_ctx *c, const struct dcn_json *v, int level);

/* Member k of a container: separator, indent, "key": for objects, value. */
static int
dump_member(const struct dump_ctx *c, const struct dcn_json *v, size_t k,
            size_t idx, int level)
{
    struct dcn_strbuf *out = c->out;
    int rc = 0;

    if (k > 0)
        rc = dcn__strbuf_addch(out, ',');
    if (rc == 0 && c->indent >= 0)
        rc = add_indent(out, c->indent, level + 1);
    else if (rc == 0 && k > 0)
        rc = dcn__strbuf_addch(out, ' ');
    if (rc == 0 && v->kind == J_OBJECT) {
        rc = dcn__json_quote(out, v->keys[idx], strlen(v->keys[idx]));
        if (rc == 0)
            rc = dcn__strbuf_add(out, ": ", 2);
    }
    if (rc == 0)
        rc = dump(c, v->items[idx], level + 1);
    return rc;
}

static int
dump_container(const struct dump_ctx *c, const struct dcn_json *v, int level)
{
    struct dcn_strbuf *out = c->out;
    struct key_index *order = NULL;
    size_t k;
    int rc;

    if (v->n == 0)
        return dcn__strbuf_adds(out, v->kind == J_OBJECT ? "{}" : "[]");
    if (v->kind == J_OBJECT) {
        order = dcn__mallocarray(v->n, sizeof(*order));
        if (order == NULL)
            return DCN_ENOMEM;
        for (k = 0; k < v->n; k++)
            order[k] = (struct key_index){v->keys[k], k};
        if (c->flags & DCN_JSON_SORT_KEYS)
            qsort(order, v->n, sizeof(*order), cmp_key_index);
    }
    rc = dcn__strbuf_addch(out, v->kind == J_OBJECT ? '{' : '[');
    for (k = 0; rc == 0 && k < v->n; k++)
        rc = dump_member(c, v, k, order != NULL ? order[k].idx : k, level);
    if (rc == 0 && c->indent >= 0)
        rc = add_indent(out, c->indent, level);
    if (rc == 0)
        rc = dcn__strbuf_addch(out, v->kind == J_OBJECT ? '}' : ']');
    dcn__free(order);
    return rc;
}

static int
dump(const struct dump_ctx *c, const struct dcn_json *v, int level)
{
    struct dcn_strbuf *out = c->out;

    switch (v->kind) {
    case J_STRING:
        return dcn__json_quote(out, v->str, v->len);
    case J_INT:
        return dcn__strbuf_addf(out, "%" PRId64, v->i);
    case J_UINT:
        return dcn__strbuf_addf(out, "%" PRIu64, v->u);
    case J_DOUBLE:
        return dcn__json_format_double(out, v->d);
    case J_BOOL:
        return dcn__strbuf_adds(out, v->b ? "true" : "false");
    case J_NULL:
        return dcn__strbuf_adds(out, "null");
    case J_OBJECT:
    case J_ARRAY:
        break;
    }
    return dump_container(c, v, level);
}

int
dcn__json_dump(struct dcn_strbuf *out, const struct dcn_json *v, int indent,
               unsigned flags)
{
    struct dump_ctx c = {out, indent, flags};

    assert(v != NULL);
    return dump(&c, v, 0);
}
