/* SPDX-License-Identifier: MIT */
/*
 * io_write_minijson.h - a tiny test-only JSON reader for meta.json (the
 * oracle side of the basin tests; deliberately separate from the library's
 * writer).  Leaks nothing: mj_free() frees a tree.  Strings are decoded to
 * UTF-8 (\uXXXX incl. surrogate pairs).
 */
#ifndef DCN_TESTS_IO_WRITE_MINIJSON_H
#define DCN_TESTS_IO_WRITE_MINIJSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mj_kind {
    MJ_NULL,
    MJ_BOOL,
    MJ_NUM,
    MJ_STR,
    MJ_ARR,
    MJ_OBJ
};

struct mj {
    enum mj_kind kind;
    double num;
    char *str; /* MJ_STR */
    size_t n;  /* items of MJ_ARR / MJ_OBJ */
    struct mj **items;
    char **keys; /* MJ_OBJ */
};

static void
mj_free(struct mj *v)
{
    size_t k;

    if (v == NULL)
        return;
    for (k = 0; k < v->n; k++) {
        mj_free(v->items[k]);
        if (v->keys != NULL)
            free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static void
mj_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static void
mj_put_utf8(char **o, unsigned cp)
{
    char *q = *o;

    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xc0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = q;
}

/* Four hex digits at s as a code unit. */
static unsigned
mj_hex4(const char *s)
{
    return (unsigned)strtoul((char[5]){s[0], s[1], s[2], s[3], 0}, NULL, 16);
}

/* The code point of the \uXXXX escape whose 'u' is at *s (with its low
 * surrogate escape if one follows); *s is left on the last hex digit. */
static unsigned
mj_code_point(const char **s)
{
    const char *q = *s;
    unsigned cp = mj_hex4(q + 1);

    q += 4;
    if (cp >= 0xd800 && cp < 0xdc00 && q[1] == '\\' && q[2] == 'u') {
        unsigned lo = mj_hex4(q + 3);

        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        q += 6;
    }
    *s = q;
    return cp;
}

/* Decode the escape whose letter is at *s into *o; *s is left on the
 * escape's last character. */
static void
mj_escape(const char **s, char **o)
{
    switch (**s) {
    case 'n':
        *(*o)++ = '\n';
        break;
    case 't':
        *(*o)++ = '\t';
        break;
    case 'r':
        *(*o)++ = '\r';
        break;
    case 'b':
        *(*o)++ = '\b';
        break;
    case 'f':
        *(*o)++ = '\f';
        break;
    case 'u':
        mj_put_utf8(o, mj_code_point(s));
        break;
    default:
        *(*o)++ = **s;
    }
}

static char *
mj_string(const char **p)
{
    const char *s = *p + 1;
    char *out = malloc(strlen(s) + 1);
    char *o = out;

    if (out == NULL)
        return NULL;
    while (*s != '"' && *s != '\0') {
        if (*s == '\\') {
            s++;
            mj_escape(&s, &o);
            s++;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *p = *s == '"' ? s + 1 : s;
    return out;
}

static struct mj *mj_parse_value(const char **p);

/* Room for one more member of an array or object; 0, or -1 if out of
 * memory (v unchanged). */
static int
mj_grow(struct mj *v, int obj)
{
    struct mj **items = realloc(v->items, (v->n + 1) * sizeof(struct mj *));
    char **keys;

    if (items == NULL)
        return -1;
    v->items = items;
    if (!obj)
        return 0;
    keys = realloc(v->keys, (v->n + 1) * sizeof(char *));
    if (keys == NULL)
        return -1;
    v->keys = keys;
    return 0;
}

/* The members of the object or array whose bracket is at *p. */
static void
mj_parse_container(struct mj *v, const char **p)
{
    int obj = **p == '{';

    v->kind = obj ? MJ_OBJ : MJ_ARR;
    (*p)++;
    mj_ws(p);
    while (**p != (obj ? '}' : ']') && **p != '\0') {
        if (mj_grow(v, obj) != 0)
            return;
        if (obj) {
            v->keys[v->n] = mj_string(p);
            mj_ws(p);
            (*p)++; /* : */
        }
        v->items[v->n++] = mj_parse_value(p);
        mj_ws(p);
        if (**p == ',')
            (*p)++;
        mj_ws(p);
    }
    if (**p != '\0')
        (*p)++;
}

/* A number at *p; NaN and Infinity are skipped as a word (value 0). */
static void
mj_parse_number(struct mj *v, const char **p)
{
    char *end;

    v->kind = MJ_NUM;
    v->num = strtod(*p, &end);
    if (end == *p)
        while (**p != ',' && **p != '}' && **p != ']' && **p != '\0')
            (*p)++;
    else
        *p = end;
}

/* null, true or false at *p; 0, or -1 if none of them is there. */
static int
mj_parse_word(struct mj *v, const char **p)
{
    if (strncmp(*p, "null", 4) == 0) {
        v->kind = MJ_NULL;
        *p += 4;
    } else if (strncmp(*p, "true", 4) == 0) {
        v->kind = MJ_BOOL;
        v->num = 1;
        *p += 4;
    } else if (strncmp(*p, "false", 5) == 0) {
        v->kind = MJ_BOOL;
        *p += 5;
    } else {
        return -1;
    }
    return 0;
}

static struct mj *
mj_parse_value(const char **p)
{
    struct mj *v = calloc(1, sizeof(*v));

    if (v == NULL)
        return NULL;
    mj_ws(p);
    if (**p == '{' || **p == '[') {
        mj_parse_container(v, p);
    } else if (**p == '"') {
        v->kind = MJ_STR;
        v->str = mj_string(p);
    } else if (mj_parse_word(v, p) != 0) {
        mj_parse_number(v, p);
    }
    return v;
}

/* Parse a whole file; NULL if unreadable. */
static struct mj *
mj_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    const char *p;
    struct mj *v;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0)
        text = malloc((size_t)len + 1);
    if (text != NULL && fread(text, 1, (size_t)len, f) != (size_t)len)
        len = 0;
    (void)fclose(f); /* read only: nothing to lose */
    if (text == NULL)
        return NULL;
    text[len] = '\0';
    p = text;
    v = mj_parse_value(&p);
    free(text);
    return v;
}

static struct mj *
mj_get(const struct mj *o, const char *key)
{
    size_t k;

    if (o == NULL || o->kind != MJ_OBJ)
        return NULL;
    for (k = 0; k < o->n; k++)
        if (strcmp(o->keys[k], key) == 0)
            return o->items[k];
    return NULL;
}

#endif /* DCN_TESTS_IO_WRITE_MINIJSON_H */
