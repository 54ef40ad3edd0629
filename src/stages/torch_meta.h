/* SPDX-License-Identifier: MIT */
/*
 * torch_meta.h - the metadata of a dcnum model file (.dcnm format 1, its
 * extra file dcnum_meta.json) and dcnum's applicability rules
 * (TorchSegmenterBase.validate_applicability).
 *
 * Pure: the caller hands in the JSON text and the input's metadata and
 * logs as plain arrays; nothing here reads a file.
 */
#ifndef DCN_STAGES_TORCH_META_H
#define DCN_STAGES_TORCH_META_H

#include <stdbool.h>
#include <stddef.h>

#include "dcnumc/status.h"

enum dcn_torch_rule_type {
    DCN_TORCH_RULE_META, /* a root attribute "section:key" */
    DCN_TORCH_RULE_LOGS, /* a log, its lines joined by '\n' */
    DCN_TORCH_RULE_OTHER /* unknown type: never applicable */
};

/* One item of the model's "validation" list. */
struct dcn_torch_rule {
    enum dcn_torch_rule_type type;
    char *type_name; /* owned: as written in the file */
    char *key;       /* owned */
    bool allow_missing_key;
    char *regexp; /* owned, NULL when the rule has none */
    bool regexp_negate;
    bool has_value;
    double value; /* np.allclose(value, x, atol=0, rtol=0.01) */
    char *reason; /* owned; "unknown reason" when absent */
};

struct dcn_torch_meta {
    /* preprocessing */
    bool normalize; /* norm_mean and norm_std both given (not null) */
    double norm_mean;
    double norm_std;
    bool has_image_shape; /* false: the model takes the input's shape */
    size_t image_h;
    size_t image_w;
    struct dcn_torch_rule *rules; /* owned, nrules */
    size_t nrules;
};

/* One root attribute of the input as dcnum's HDF5Data.meta holds it. */
struct dcn_torch_attr {
    const char *key;  /* "setup:chip region"; borrowed */
    const char *text; /* the string value, or NULL for a number */
    double number;    /* the value when text is NULL */
};

/* One log of the input, its lines joined with '\n'. */
struct dcn_torch_log {
    const char *name; /* borrowed */
    const char *text; /* borrowed */
};

/*
 * Parse dcnum_meta.json (len bytes of json) into meta (caller storage,
 * release with dcn_torch_meta_release() in every case).  model_path only
 * names the file in messages.  DCN_EFORMAT (not JSON, or preprocessing
 * values of the wrong type) or DCN_ENOMEM.
 */
int dcn_torch_meta_parse(struct dcn_torch_meta *meta, const char *json,
                         size_t len, const char *model_path,
                         struct dcn_error *err);
void dcn_torch_meta_release(struct dcn_torch_meta *meta);

/* The input as the rules see it: dcnum's HDF5Data.meta and .logs. */
struct dcn_torch_input {
    const char *path; /* for messages; borrowed */
    const struct dcn_torch_attr *attrs;
    size_t nattrs;
    const struct dcn_torch_log *logs;
    size_t nlogs;
};

/*
 * dcnum's validate_applicability: DCN_OK when every rule holds, else
 * DCN_EINVAL with dcnum's message "<path_in>: The dataset cannot be
 * segmented with the '<code>' segmenter: <reason>, <reason>" (path_in is
 * in->path).  Regular
 * expressions are POSIX extended ones with Python's re.MULTILINE meaning
 * of ^ and $ (and \d, \D translated); a rule whose expression does not
 * compile gives DCN_EFORMAT naming model_file.  Borrowed arguments.
 */
int dcn_torch_meta_validate(const struct dcn_torch_meta *meta, const char *code,
                            const char *model_file,
                            const struct dcn_torch_input *in,
                            struct dcn_error *err);

#endif /* DCN_STAGES_TORCH_META_H */
