/* SPDX-License-Identifier: MIT */
/*
 * torch_meta.c - dcnum_meta.json of a .dcnm model and dcnum's
 * applicability rules (segm_torch_base.py at dcnum 4e2d8eb).
 */
#include "torch_meta.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "json_tree.h"

#define REASONS_MAX 2048

void
dcn_torch_meta_release(struct dcn_torch_meta *meta)
{
    if (meta == NULL)
        return;
    for (size_t i = 0; i < meta->nrules; i++) {
        struct dcn_torch_rule *r = &meta->rules[i];
        dcn__free(r->type_name);
        dcn__free(r->key);
        dcn__free(r->regexp);
        dcn__free(r->reason);
    }
    dcn__free(meta->rules);
    memset(meta, 0, sizeof(*meta));
}

/* A copy of string member key of o (NULL if absent or not a string);
 * -1 when out of memory. */
static int
dup_string(char **dst, const struct dcn_jt *o, const char *key)
{
    const struct dcn_jt *v = dcn_jt_get(o, key);

    *dst = NULL;
    if (v == NULL || v->kind != DCN_JT_STRING)
        return 0;
    *dst = dcn__strdup(v->str);
    return *dst == NULL ? -1 : 0;
}

static bool
get_bool(const struct dcn_jt *o, const char *key)
{
    const struct dcn_jt *v = dcn_jt_get(o, key);
    return v != NULL && ((v->kind == DCN_JT_BOOL && v->b) ||
                         (v->kind == DCN_JT_NUMBER && v->num != 0));
}

static int
parse_rule(struct dcn_torch_rule *r, const struct dcn_jt *item)
{
    const struct dcn_jt *value = dcn_jt_get(item, "value");

    if (dup_string(&r->type_name, item, "type") != 0 ||
        dup_string(&r->key, item, "key") != 0 ||
        dup_string(&r->regexp, item, "regexp") != 0 ||
        dup_string(&r->reason, item, "reason") != 0)
        return DCN_ENOMEM;
    if (r->type_name != NULL && strcmp(r->type_name, "meta") == 0)
        r->type = DCN_TORCH_RULE_META;
    else if (r->type_name != NULL && strcmp(r->type_name, "logs") == 0)
        r->type = DCN_TORCH_RULE_LOGS;
    else
        r->type = DCN_TORCH_RULE_OTHER;
    if (r->type_name == NULL && (r->type_name = dcn__strdup("None")) == NULL)
        return DCN_ENOMEM;
    if (r->key == NULL && (r->key = dcn__strdup("")) == NULL)
        return DCN_ENOMEM;
    if (r->reason == NULL &&
        (r->reason = dcn__strdup("unknown reason")) == NULL)
        return DCN_ENOMEM;
    r->allow_missing_key = get_bool(item, "allow-missing-key");
    r->regexp_negate = get_bool(item, "regexp-negate");
    r->has_value = value != NULL && value->kind == DCN_JT_NUMBER;
    r->value = r->has_value ? value->num : 0.0;
    return DCN_OK;
}

static int
parse_preprocessing(struct dcn_torch_meta *meta, const struct dcn_jt *pre,
                    const char *model_path, struct dcn_error *err)
{
    const struct dcn_jt *mean = dcn_jt_get(pre, "norm_mean");
    const struct dcn_jt *std = dcn_jt_get(pre, "norm_std");
    const struct dcn_jt *shape = dcn_jt_get(pre, "image_shape");

    if (pre == NULL || pre->kind != DCN_JT_OBJECT)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json has no \"preprocessing\" "
                             "object",
                             model_path);
    meta->normalize = mean != NULL && std != NULL &&
                      mean->kind == DCN_JT_NUMBER && std->kind == DCN_JT_NUMBER;
    if (!meta->normalize && ((mean != NULL && mean->kind != DCN_JT_NULL) ||
                             (std != NULL && std->kind != DCN_JT_NULL)))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json: preprocessing norm_mean "
                             "and norm_std must be numbers or null",
                             model_path);
    meta->norm_mean = meta->normalize ? mean->num : 0.0;
    meta->norm_std = meta->normalize ? std->num : 1.0;
    if (shape == NULL || shape->kind == DCN_JT_NULL)
        return DCN_OK;
    if (shape->kind != DCN_JT_ARRAY || shape->n != 2 ||
        shape->items[0]->kind != DCN_JT_NUMBER ||
        shape->items[1]->kind != DCN_JT_NUMBER ||
        !(shape->items[0]->num >= 1 && shape->items[0]->num <= 65535) ||
        !(shape->items[1]->num >= 1 && shape->items[1]->num <= 65535) ||
        shape->items[0]->num != floor(shape->items[0]->num) ||
        shape->items[1]->num != floor(shape->items[1]->num))
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: dcnum_meta.json: preprocessing image_shape "
                             "must be [height, width] in pixels",
                             model_path);
    meta->has_image_shape = true;
    meta->image_h = (size_t)shape->items[0]->num;
    meta->image_w = (size_t)shape->items[1]->num;
    return DCN_OK;
}

int
dcn_torch_meta_parse(struct dcn_torch_meta *meta, const char *json, size_t len,
                     const char *model_path, struct dcn_error *err)
{
    struct dcn_jt *root = NULL;
    const struct dcn_jt *val;
    size_t where = 0;
    int rc;

    memset(meta, 0, sizeof(*meta));
    rc = dcn_jt_parse(&root, json, len, &where);
    if (rc == DCN_ENOMEM) {
        rc = dcn_error_set(err, rc, "%s: out of memory", model_path);
        goto out;
    }
    if (rc != DCN_OK || root->kind != DCN_JT_OBJECT) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: dcnum_meta.json is not a JSON object "
                           "(byte %zu)",
                           model_path, where);
        goto out;
    }
    rc = parse_preprocessing(meta, dcn_jt_get(root, "preprocessing"),
                             model_path, err);
    if (rc != DCN_OK)
        goto out;
    val = dcn_jt_get(root, "validation");
    if (val == NULL || val->kind != DCN_JT_ARRAY)
        goto out;
    meta->rules = dcn__calloc(val->n + 1, sizeof(*meta->rules));
    if (meta->rules == NULL) {
        rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", model_path);
        goto out;
    }
    for (size_t i = 0; i < val->n; i++) {
        meta->nrules++;
        rc = parse_rule(&meta->rules[i], val->items[i]);
        if (rc != DCN_OK) {
            rc = dcn_error_set(err, rc, "%s: out of memory", model_path);
            goto out;
        }
    }
out:
    dcn_jt_free(root);
    return rc;
}

/* Python's re pattern to POSIX ERE: \d and \D become classes. */
static int
translate_regexp(char *dst, size_t cap, const char *src)
{
    size_t n = 0;

    for (const char *p = src; *p != '\0'; p++) {
        const char *put = NULL;
        char one[3] = {p[0], '\0', '\0'};

        if (p[0] == '\\' && (p[1] == 'd' || p[1] == 'D')) {
            put = p[1] == 'd' ? "[0-9]" : "[^0-9]";
            p++;
        } else if (p[0] == '\\' && p[1] != '\0') {
            one[1] = p[1];
            put = one;
            p++;
        } else {
            put = one;
        }
        size_t k = strlen(put);
        if (n + k >= cap)
            return -1;
        memcpy(dst + n, put, k);
        n += k;
    }
    dst[n] = '\0';
    return 0;
}

/* re.search(rule->regexp, text, re.MULTILINE): 1 match, 0 none, <0. */
static int
regexp_search(const struct dcn_torch_rule *r, const char *text,
              const char *model_file, struct dcn_error *err)
{
    char pattern[1024];
    regex_t re;
    int rc;

    if (translate_regexp(pattern, sizeof(pattern), r->regexp) != 0 ||
        regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: validation rule for '%s': regular "
                             "expression '%s' is not supported",
                             model_file, r->key, r->regexp);
    rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    return rc == 0 ? 1 : 0;
}

/* The value the rule checks, as text (or NULL for a number in *num);
 * false when the key is missing. */
static bool
lookup(const struct dcn_torch_rule *r, const struct dcn_torch_input *in,
       const char **text, double *num)
{
    *num = 0.0;
    for (size_t i = 0; r->type == DCN_TORCH_RULE_META && i < in->nattrs; i++) {
        if (strcmp(in->attrs[i].key, r->key) == 0) {
            *text = in->attrs[i].text;
            *num = in->attrs[i].number;
            return true;
        }
    }
    for (size_t i = 0; r->type == DCN_TORCH_RULE_LOGS && i < in->nlogs; i++) {
        if (strcmp(in->logs[i].name, r->key) == 0) {
            *text = in->logs[i].text;
            return true;
        }
    }
    return false;
}

/* 1 when the present value satisfies the rule, 0 when not, < 0. */
static int
rule_holds(const struct dcn_torch_rule *r, const char *text, double num,
           const char *model_file, struct dcn_error *err)
{
    char numtext[64];
    bool valid = true;

    if (r->regexp != NULL) {
        if (text == NULL) { /* dcnum searches str(); a float's repr */
            (void)snprintf(numtext, sizeof(numtext), "%.17g", num);
            text = numtext;
        }
        int m = regexp_search(r, text, model_file, err);
        if (m < 0)
            return m;
        valid = r->regexp_negate ? m == 0 : m == 1;
    }
    if (r->has_value) {   /* np.allclose(value, x, atol=0, rtol=0.01) */
        if (text != NULL) /* a string is never close to a number */
            valid = false;
        else
            valid = valid && fabs(r->value - num) <= 0.01 * fabs(num);
    }
    return valid ? 1 : 0;
}

/* dcnum's reasons_list, joined with ", ". */
struct reasons {
    char text[REASONS_MAX];
    size_t pos;
};

static void
add_reason(struct reasons *rs, const char *reason)
{
    int n = snprintf(rs->text + rs->pos, sizeof(rs->text) - rs->pos, "%s%s",
                     rs->pos > 0 ? ", " : "", reason);
    if (n > 0)
        rs->pos = rs->pos + (size_t)n < sizeof(rs->text) ? rs->pos + (size_t)n
                                                         : sizeof(rs->text) - 1;
}

/* One rule (dcnum's _validate_applicability_item); < 0 on an error. */
static int
check_rule(struct reasons *rs, const struct dcn_torch_rule *r,
           const struct dcn_torch_input *in, const char *model_file,
           struct dcn_error *err)
{
    const char *text = NULL;
    char why[256];
    double num = 0.0;
    int ok;

    if (r->type == DCN_TORCH_RULE_OTHER) {
        (void)snprintf(why, sizeof(why), "invalid validation type %s in %s",
                       r->type_name, model_file);
        add_reason(rs, why);
        return DCN_OK;
    }
    if (!lookup(r, in, &text, &num)) {
        if (!r->allow_missing_key) {
            (void)snprintf(why, sizeof(why), "Key '%s' missing in %s", r->key,
                           r->type_name);
            add_reason(rs, why);
        }
        return DCN_OK;
    }
    ok = rule_holds(r, text, num, model_file, err);
    if (ok == 0)
        add_reason(rs, r->reason);
    return ok < 0 ? ok : DCN_OK;
}

int
dcn_torch_meta_validate(const struct dcn_torch_meta *meta, const char *code,
                        const char *model_file,
                        const struct dcn_torch_input *in, struct dcn_error *err)
{
    struct reasons rs;

    rs.text[0] = '\0';
    rs.pos = 0;
    for (size_t i = 0; i < meta->nrules; i++) {
        int rc = check_rule(&rs, &meta->rules[i], in, model_file, err);
        if (rc < 0)
            return rc;
    }
    if (rs.pos == 0)
        return DCN_OK;
    return dcn_error_set(err, DCN_EINVAL,
                         "%s: The dataset cannot be segmented with the "
                         "'%s' segmenter: %s",
                         in->path, code, rs.text);
}
