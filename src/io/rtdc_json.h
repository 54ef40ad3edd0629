/* SPDX-License-Identifier: MIT */
/*
 * rtdc_json.h - the small JSON reader for basin definitions (format.md
 * §1.8): one top-level object whose values are strings, null, booleans,
 * numbers or arrays of strings.  Nested objects are skipped.
 */
#ifndef DCN_IO_RTDC_JSON_H
#define DCN_IO_RTDC_JSON_H

#include <stddef.h>

enum dcn_json_kind {
    DCN_JSON_ABSENT = 0,
    DCN_JSON_NULL,
    DCN_JSON_STRING,
    DCN_JSON_ARRAY, /* strings and literals (numbers as text); nested
                       containers are skipped */
    DCN_JSON_OTHER, /* number, bool, object: raw JSON text in str */
};

struct dcn_json_member {
    char *key;
    enum dcn_json_kind kind;
    char *str;    /* STRING: owned UTF-8; OTHER: the raw JSON text */
    char **items; /* DCN_JSON_ARRAY: owned strings */
    size_t nitems;
};

struct dcn_json_object {
    struct dcn_json_member *members;
    size_t n;
};

/* Parse text (len bytes).  Returns 0, DCN_EFORMAT (bad JSON, with the
 * byte offset in *where) or DCN_ENOMEM.  Release with
 * dcn_json_object_release() in every case. */
int dcn_json_parse(struct dcn_json_object *obj, const char *text, size_t len,
                   size_t *where);
void dcn_json_object_release(struct dcn_json_object *obj);
/* The member named key or NULL; borrowed. */
const struct dcn_json_member *dcn_json_get(const struct dcn_json_object *obj,
                                           const char *key);

#endif /* DCN_IO_RTDC_JSON_H */
