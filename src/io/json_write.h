/* SPDX-License-Identifier: MIT */
/*
 * json_write.h - build a JSON value and serialise it byte-for-byte as
 * Python's json.dumps(value, indent=N[, sort_keys=True]) does with the
 * defaults ensure_ascii=True and separators (",", ": ").
 *
 * Reusable: the basin definitions (format.md §2.5, insertion order) and
 * the job log (§3.6, sorted keys) both use it.  Values form a tree owned
 * by its root; dcn__json_free() frees a whole tree.  Not thread-safe per
 * tree; separate trees may be used from separate threads.
 *
 * Byte format (verified against CPython 3.11):
 *   - indent > 0: "{" "\n" + (level+1)*indent spaces + "\"key\": " value,
 *     items separated by ",\n", closing "\n" + level*indent + "}";
 *     empty containers are "{}" / "[]"; no trailing newline;
 *   - indent < 0: compact "{\"a\": 1, \"b\": [1, 2]}" (Python's indent=None);
 *   - strings: \" \\ \n \r \t \b \f escaped by name, other bytes < 0x20,
 *     0x7f and every non-ASCII code point as \u00xx (lowercase hex),
 *     code points above U+FFFF as a surrogate pair;
 *   - integers in decimal; doubles as Python's repr() (shortest round
 *     trip, "1.0", "1e-05", "1e+16"), NaN/Infinity/-Infinity;
 *   - true, false, null.
 */
#ifndef DCN_IO_JSON_WRITE_H
#define DCN_IO_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct dcn_json;

/* Constructors: a new value owned by the caller (free with
 * dcn__json_free() or hand it to dcn__json_add()); NULL when out of
 * memory.  Strings are copied and must be UTF-8. */
struct dcn_json *dcn__json_object(void);
struct dcn_json *dcn__json_array(void);
struct dcn_json *dcn__json_string(const char *utf8);
struct dcn_json *dcn__json_string_n(const char *utf8, size_t len);
struct dcn_json *dcn__json_int(int64_t x);
struct dcn_json *dcn__json_uint(uint64_t x);
struct dcn_json *dcn__json_double(double x);
struct dcn_json *dcn__json_bool(bool x);
struct dcn_json *dcn__json_null(void);

/*
 * Append val to container: key is the member name for an object (copied;
 * a repeated key is appended again, as Python never produces) and must be
 * NULL for an array.  Takes ownership of val in every case (val is freed
 * on failure).  val == NULL (a failed constructor) gives DCN_ENOMEM, so
 * constructors can be nested directly:
 *     rc = dcn__json_add(obj, "name", dcn__json_string("x"));
 * Returns 0, DCN_ENOMEM or DCN_EINVAL (wrong container kind or key).
 */
int dcn__json_add(struct dcn_json *container, const char *key,
                  struct dcn_json *val);
/* Add an array of count strings under key (an object) or as one element
 * (key NULL, an array).  Same ownership rules; 0 or DCN_ENOMEM. */
int dcn__json_add_strings(struct dcn_json *container, const char *key,
                          const char *const *strs, size_t count);

/* NULL is a no-op. */
void dcn__json_free(struct dcn_json *v);

enum dcn_json_dump_flags {
    DCN_JSON_SORT_KEYS = 1u << 0, /* object members by strcmp of the keys */
};

/*
 * Append the text of v to out.  indent: spaces per level, or -1 for the
 * one-line form.  Returns 0, DCN_ENOMEM, or DCN_EINVAL if a string is not
 * valid UTF-8.  On failure out holds a partial text.
 */
int dcn__json_dump(struct dcn_strbuf *out, const struct dcn_json *v, int indent,
                   unsigned flags);

/* Append s (len bytes of UTF-8) as a JSON string literal with ASCII
 * escapes.  0, DCN_ENOMEM or DCN_EINVAL (invalid UTF-8). */
int dcn__json_quote(struct dcn_strbuf *out, const char *s, size_t len);
/* Append Python's repr() of a double.  0 or DCN_ENOMEM. */
int dcn__json_format_double(struct dcn_strbuf *out, double v);

#endif /* DCN_IO_JSON_WRITE_H */
