/* SPDX-License-Identifier: MIT */
/*
 * ppid_decode.c - from pipeline identifiers back to job options (dcnum's
 * get_ppkw_from_ppid and ppid_to_kwargs, numerics.md §6.5).
 *
 * A component id "<code>:<abbr=value^...>" is split on ':', '^' and '='.
 * The entries are sorted by descending abbreviation length (stable), and
 * each takes the first not-yet-used full key, in declaration order, that
 * starts with its abbreviation.  Values are converted by the key's type
 * exactly as the setters do.  The data id is custom: p is the pixel
 * size, i the mapping ("0" none, "a-b-c" a slice with 'n' for None, else
 * an int; an "h-" hash cannot be inverted).  Keys absent from the id
 * keep their defaults.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "dcnumc/dcnumc.h"
#include "dcnumc/job.h"
#include "ppid.h"

#define MAX_ENTRIES 16

struct entry {
    const char *abbr;
    const char *val;
};

/* Split s (modified in place) on sep into at most max pieces; returns the
 * count, or -1 if there are more. */
static int
split(char **out, int max, char *s, char sep)
{
    int n = 0;
    out[n++] = s;
    for (char *p = s; *p != '\0'; p++) {
        if (*p != sep)
            continue;
        if (n == max)
            return -1;
        *p = '\0';
        out[n++] = p + 1;
    }
    return n;
}

static int
parse_entries(struct entry *e, char *kw, const char *part,
              struct dcn_error *err)
{
    char *items[MAX_ENTRIES];
    int n = split(items, MAX_ENTRIES, kw, '^');
    if (n < 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': too many keys", part);
    for (int i = 0; i < n; i++) {
        char *kv[2] = {NULL, NULL};
        if (split(kv, 2, items[i], '=') != 2)
            return dcn_error_set(err, DCN_EINVAL,
                                 "pipeline identifier '%s': entry '%s' is "
                                 "not abbr=value",
                                 part, items[i]);
        e[i].abbr = kv[0];
        e[i].val = kv[1];
    }
    /* Stable sort by descending abbreviation length. */
    for (int i = 1; i < n; i++) {
        struct entry x = e[i];
        int j = i;
        for (; j > 0 && strlen(e[j - 1].abbr) < strlen(x.abbr); j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
    return n;
}

static int
decode_kwargs(struct dcn_job *job, enum dcn_kw_group g, char *kw,
              const char *part, struct dcn_error *err)
{
    const struct dcn__kw_table *t = dcn__kw_table(g, job);
    struct entry e[MAX_ENTRIES] = {{NULL, NULL}};
    bool used[MAX_ENTRIES] = {false};
    int n;

    if (t->n == 0)
        return DCN_OK; /* dcnum ignores whatever follows the code */
    n = parse_entries(e, kw, part, err);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        const char *abbr = e[i].abbr != NULL ? e[i].abbr : "";
        size_t alen = strlen(abbr);
        for (; k < t->n; k++) {
            if (!used[k] && strncmp(t->kw[k].name, abbr, alen) == 0)
                break;
        }
        if (k == t->n)
            return dcn_error_set(err, DCN_EINVAL,
                                 "pipeline identifier '%s': unknown "
                                 "abbreviated key '%s'",
                                 part, abbr);
        if (dcn__kw_parse_value(job, &t->kw[k], e[i].val) != 0)
            return dcn_error_set(err, DCN_EINVAL,
                                 "pipeline identifier '%s': bad value '%s' "
                                 "for key '%s'",
                                 part, e[i].val, t->kw[k].name);
        used[k] = true;
        job->kw_given[g] |= 1u << k;
    }
    return DCN_OK;
}

static int
decode_slice_field(int64_t *v, bool *has, const char *s)
{
    *has = strcmp(s, "n") != 0;
    return *has ? dcn__parse_int64(v, s) : 0;
}

static int
decode_mapping(struct dcn_index_mapping *m, char *val)
{
    char *f[3] = {NULL, NULL, NULL};
    memset(m, 0, sizeof(*m));
    if (strcmp(val, "0") == 0)
        return 0;
    if (strchr(val, '-') == NULL) {
        m->kind = DCN_MAPPING_COUNT;
        return dcn__parse_int64(&m->count, val);
    }
    if (split(f, 3, val, '-') != 3)
        return -1;
    m->kind = DCN_MAPPING_SLICE;
    if (decode_slice_field(&m->start, &m->has_start, f[0]) != 0 ||
        decode_slice_field(&m->stop, &m->has_stop, f[1]) != 0 ||
        decode_slice_field(&m->step, &m->has_step, f[2]) != 0)
        return -1;
    return 0;
}

static int
decode_data(struct dcn_job *job, char *kw, const char *part,
            struct dcn_error *err)
{
    char *items[MAX_ENTRIES];
    int n = split(items, MAX_ENTRIES, kw, '^');
    for (int i = 0; i < n; i++) {
        char *kv[2] = {NULL, NULL};
        struct dcn_index_mapping m;
        if (split(kv, 2, items[i], '=') != 2)
            return dcn_error_set(err, DCN_EINVAL,
                                 "pipeline identifier '%s': entry '%s' is "
                                 "not var=value",
                                 part, items[i]);
        if (strcmp(kv[0], "p") == 0) {
            if (dcn__parse_double(&job->pixel_size, kv[1]) != 0)
                return dcn_error_set(err, DCN_EINVAL,
                                     "pipeline identifier '%s': bad pixel "
                                     "size '%s'",
                                     part, kv[1]);
            job->has_pixel_size = true;
            job->kw_given[DCN_KW_DATA] |= 1u << 0;
        } else if (strcmp(kv[0], "i") == 0) {
            if (strncmp(kv[1], "h-", 2) == 0 || strcmp(kv[1], "unknown") == 0)
                return dcn_error_set(err, DCN_EINVAL,
                                     "pipeline identifier '%s': cannot "
                                     "invert index mapping '%s'",
                                     part, kv[1]);
            if (decode_mapping(&m, kv[1]) != 0)
                return dcn_error_set(err, DCN_EINVAL,
                                     "pipeline identifier '%s': bad index "
                                     "mapping '%s'",
                                     part, kv[1]);
            dcn__free(job->index_mapping.indices);
            job->index_mapping = m;
            if (m.kind != DCN_MAPPING_NONE)
                job->kw_given[DCN_KW_DATA] |= 1u << 1;
        } else {
            return dcn_error_set(err, DCN_EINVAL,
                                 "pipeline identifier '%s': invalid "
                                 "parameter '%s'",
                                 part, kv[0]);
        }
    }
    return DCN_OK;
}

static int
decode_background(struct dcn_job *job, const char *code, char *kw,
                  const char *part, struct dcn_error *err)
{
    static const char *const names[] = {"sparsemed", "rollmed", "copy"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(code, names[i]) != 0)
            continue;
        job->background_code = (enum dcn_background_code)i;
        job->kw_given[DCN_KW_BACKGROUND] = 0;
        return decode_kwargs(job, DCN_KW_BACKGROUND, kw, part, err);
    }
    return -1;
}

static int
decode_segmenter(struct dcn_job *job, char *rest, const char *part,
                 struct dcn_error *err)
{
    char *f[2] = {NULL, NULL};
    int n = split(f, 2, rest, ':');
    if (n < 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': too many fields", part);
    int rc = decode_kwargs(job, DCN_KW_SEGMENTER, f[0], part, err);
    if (rc == DCN_OK && n == 2)
        rc = decode_kwargs(job, DCN_KW_MASK, f[1], part, err);
    return rc;
}

/* Dispatch on the code of one component id; buf is a modifiable copy. */
static int
decode_part(struct dcn_job *job, char *buf, const char *part,
            struct dcn_error *err)
{
    char *colon = strchr(buf, ':');
    if (colon == NULL)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': no ':' after the "
                             "code",
                             part);
    *colon = '\0';
    char *code = buf, *rest = colon + 1;
    bool single = strchr(rest, ':') == NULL;

    if (strcmp(code, "thresh") == 0 || strcmp(code, "torchmpo") == 0 ||
        strcmp(code, "torchsto") == 0) {
        job->kw_given[DCN_KW_SEGMENTER] = 0;
        int rc = dcn_job_set_segmenter(job, code, err);
        return rc == DCN_OK ? decode_segmenter(job, rest, part, err) : rc;
    }
    if (strncmp(code, "torch", 5) == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': segmenter '%s' is "
                             "not supported by dcnumc",
                             part, code);
    if (!single)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': too many fields", part);
    if (strcmp(code, "hdf") == 0)
        return decode_data(job, rest, part, err);
    if (strcmp(code, "legacy") == 0)
        return decode_kwargs(job, DCN_KW_FEATURE, rest, part, err);
    if (strcmp(code, "norm") == 0)
        return decode_kwargs(job, DCN_KW_GATE, rest, part, err);
    int rc = decode_background(job, code, rest, part, err);
    if (rc != -1)
        return rc;
    return dcn_error_set(err, DCN_EINVAL,
                         "pipeline identifier '%s': unknown code '%s'", part,
                         code);
}

int
dcn_job_apply_ppid_part(struct dcn_job *job, const char *part,
                        struct dcn_error *err)
{
    char buf[6 * DCN_PPID_PART_MAX];
    if (job == NULL || part == NULL)
        return dcn_error_set(err, DCN_EINVAL, "dcn_job_apply_ppid_part: NULL");
    if (strlen(part) >= sizeof(buf))
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier too long: '%.64s...'", part);
    memcpy(buf, part, strlen(part) + 1);
    return decode_part(job, buf, part, err);
}

int
dcn_job_apply_ppid(struct dcn_job *job, const char *ppid, struct dcn_error *err)
{
    char buf[6 * DCN_PPID_PART_MAX];
    char *parts[6];
    int rc = DCN_OK;

    if (job == NULL || ppid == NULL)
        return dcn_error_set(err, DCN_EINVAL, "dcn_job_apply_ppid: NULL");
    if (strlen(ppid) >= sizeof(buf))
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier too long: '%.64s...'", ppid);
    memcpy(buf, ppid, strlen(ppid) + 1);
    if (split(parts, 6, buf, '|') != 6)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': expected six parts "
                             "joined by '|'",
                             ppid);
    if (strcmp(parts[0], DCN_PIPELINE_GENERATION) != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier '%s': generation '%s' is "
                             "not %s",
                             ppid, parts[0], DCN_PIPELINE_GENERATION);
    for (int i = 1; rc == DCN_OK && i < 6; i++)
        rc = dcn_job_apply_ppid_part(job, parts[i], err);
    return rc;
}
