/* SPDX-License-Identifier: MIT */
/*
 * json_tree.h - a small JSON reader that builds the whole tree: objects,
 * arrays, strings, numbers, booleans and null.  For documents of a few
 * kilobytes (a model's dcnum_meta.json), not for bulk data.
 */
#ifndef DCN_CORE_JSON_TREE_H
#define DCN_CORE_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>

enum dcn_jt_kind {
    DCN_JT_NULL,
    DCN_JT_BOOL,
    DCN_JT_NUMBER,
    DCN_JT_STRING,
    DCN_JT_ARRAY,
    DCN_JT_OBJECT
};

/* One value.  Arrays and objects own their children (items[i]; for an
 * object keys[i] names items[i], in document order). */
struct dcn_jt {
    enum dcn_jt_kind kind;
    bool b;
    double num;
    char *str; /* STRING: owned UTF-8, NUL-terminated */
    char **keys;
    struct dcn_jt **items;
    size_t n;
};

/*
 * Parse len bytes of text into a new tree in *out (free with
 * dcn_jt_free()).  Returns DCN_OK, DCN_EFORMAT (not JSON; *where is the
 * byte offset of the problem) or DCN_ENOMEM.  Nesting is limited to 64.
 */
int dcn_jt_parse(struct dcn_jt **out, const char *text, size_t len,
                 size_t *where);
void dcn_jt_free(struct dcn_jt *v);

/* The member key of object v, or NULL (v NULL or not an object);
 * borrowed. */
const struct dcn_jt *dcn_jt_get(const struct dcn_jt *v, const char *key);

#endif /* DCN_CORE_JSON_TREE_H */
