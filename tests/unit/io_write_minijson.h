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

static char *
mj_string(const char **p)
{
    const char *s = *p + 1;
    char *out = malloc(strlen(s) + 1);
    char *o = out;

    while (*s != '"' && *s != '\0') {
        if (*s == '\\') {
            s++;
            switch (*s) {
            case 'n':
                *o++ = '\n';
                break;
            case 't':
                *o++ = '\t';
                break;
            case 'r':
                *o++ = '\r';
                break;
            case 'b':
                *o++ = '\b';
                break;
            case 'f':
                *o++ = '\f';
                break;
            case 'u': {
                unsigned cp = (unsigned)strtoul(
                        (char[5]){s[1], s[2], s[3], s[4], 0}, NULL, 16);

                s += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' &&
                    s[2] == 'u') {
                    unsigned lo = (unsigned)strtoul(
                            (char[5]){s[3], s[4], s[5], s[6], 0}, NULL, 16);

                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
                mj_put_utf8(&o, cp);
                break;
            }
            default:
                *o++ = *s;
            }
            s++;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *p = *s == '"' ? s + 1 : s;
    return out;
}

static struct mj *
mj_parse_value(const char **p)
{
    struct mj *v = calloc(1, sizeof(*v));

    mj_ws(p);
    if (**p == '{' || **p == '[') {
        int obj = **p == '{';

        v->kind = obj ? MJ_OBJ : MJ_ARR;
        (*p)++;
        mj_ws(p);
        while (**p != (obj ? '}' : ']') && **p != '\0') {
            v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
            if (obj) {
                v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
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
    } else if (**p == '"') {
        v->kind = MJ_STR;
        v->str = mj_string(p);
    } else if (strncmp(*p, "null", 4) == 0) {
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
        char *end;

        v->kind = MJ_NUM;
        v->num = strtod(*p, &end);
        if (end == *p) /* NaN, Infinity: skip the word */
            while (**p != ',' && **p != '}' && **p != ']' && **p != '\0')
                (*p)++;
        else
            *p = end;
    }
    return v;
}

/* Parse a whole file; NULL if unreadable. */
static struct mj *
mj_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long len;
    const char *p;
    struct mj *v;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)len + 1);
    if (fread(text, 1, (size_t)len, f) != (size_t)len)
        len = 0;
    text[len] = '\0';
    fclose(f);
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
