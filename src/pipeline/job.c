/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job options (dcnum's DCNumPipelineJob, numerics.md §7):
 * defaults, the text setters the CLI calls, and the checks.
 *
 * Keyword arguments are described by the PPID tables of ppid.c (name,
 * type, field); a setter finds the key in the table of the selected
 * code, parses the value into a copy of the job, checks the key's own
 * constraint and only then stores it, so a failed call changes nothing.
 * Constraints between keys (rollmed batch_size > kernel_size) and those
 * needing the input (rollmed kernel_size < N, D12; online gates, D16)
 * are checked by dcn_job_check() and dcn_job_validate().  Every message
 * names the option, the key and the value.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dcnumc/job.h"
#include "ppid.h"

/* Bits of kw_given[DCN_KW_DATA]. */
enum {
    DATA_PIXEL_SIZE,
    DATA_INDEX_MAPPING,
    DATA_CACHE_SIZE,
    DATA_CHUNK_SIZE
};

static const char *const group_option[DCN_KW_NGROUPS] = {
        "data_kwargs", "background_kwargs", "segmenter_kwargs",
        "kwargs_mask", "feature_kwargs",    "gate_kwargs"};

void
dcn_job_init(struct dcn_job *job)
{
    memset(job, 0, sizeof(*job));
    job->image_cache_size = 2;
    job->image_chunk_size = 1000;
    job->background_code = DCN_BACKGROUND_SPARSEMED;
    job->sparsemed.kernel_size = 200;
    job->sparsemed.split_time = 1.0;
    job->sparsemed.thresh_cleansing = 0.0;
    job->sparsemed.frac_cleansing = 0.8;
    job->sparsemed.offset_correction = true;
    job->rollmed.kernel_size = 100;
    job->rollmed.batch_size = 10000;
    job->segmenter_code = DCN_SEGMENTER_THRESH;
    job->thresh = -6.0;
    job->clear_border = true;
    job->fill_holes = true;
    job->closing_disk = 2;
    job->brightness = true;
    job->haralick = true;
    job->volume = true;
    job->online_gates = false;
    job->size_thresh_mask_none = true;
    job->basin_strategy = DCN_BASIN_DRAIN;
    job->compression_level = 5;
    job->worker_kind = DCN_WORKER_THREADS;
    job->log_level = 20;
}

void
dcn_job_release(struct dcn_job *job)
{
    if (job == NULL)
        return;
    dcn__free(job->path_in);
    dcn__free(job->path_out);
    dcn__free(job->index_mapping.indices);
    dcn__free(job->model_file);
    dcn_job_init(job);
}

static int
set_string(char **dst, const char *src, const char *option,
           struct dcn_error *err)
{
    char *copy;
    if (src == NULL)
        return dcn_error_set(err, DCN_EINVAL, "%s: no path given", option);
    copy = dcn__strdup(src);
    if (copy == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", option);
    dcn__free(*dst);
    *dst = copy;
    return DCN_OK;
}

int
dcn_job_set_path_in(struct dcn_job *job, const char *path,
                    struct dcn_error *err)
{
    return set_string(&job->path_in, path, "path_in", err);
}

int
dcn_job_set_path_out(struct dcn_job *job, const char *path,
                     struct dcn_error *err)
{
    return set_string(&job->path_out, path, "path_out", err);
}

/* ---------------------------------------------------------------------
 * Codes
 */

static int
only_code(const char *code, const char *valid, const char *option,
          struct dcn_error *err)
{
    if (code != NULL && strcmp(code, valid) == 0)
        return DCN_OK;
    return dcn_error_set(err, DCN_EINVAL,
                         "%s: invalid code '%s', expected '%s'", option,
                         code != NULL ? code : "(null)", valid);
}

int
dcn_job_set_data(struct dcn_job *job, const char *code, struct dcn_error *err)
{
    (void)job;
    return only_code(code, "hdf", "data_code", err);
}

int
dcn_job_set_feature(struct dcn_job *job, const char *code,
                    struct dcn_error *err)
{
    (void)job;
    return only_code(code, "legacy", "feature_code", err);
}

int
dcn_job_set_gate(struct dcn_job *job, const char *code, struct dcn_error *err)
{
    (void)job;
    return only_code(code, "norm", "gate_code", err);
}

int
dcn_job_set_background(struct dcn_job *job, const char *code,
                       struct dcn_error *err)
{
    enum dcn_background_code bg;
    if (code != NULL && strcmp(code, "sparsemed") == 0)
        bg = DCN_BACKGROUND_SPARSEMED;
    else if (code != NULL && strcmp(code, "rollmed") == 0)
        bg = DCN_BACKGROUND_ROLLMED;
    else if (code != NULL && strcmp(code, "copy") == 0)
        bg = DCN_BACKGROUND_COPY;
    else
        return dcn_error_set(err, DCN_EINVAL,
                             "background_code: invalid code '%s', expected "
                             "one of 'sparsemed', 'rollmed', 'copy'",
                             code != NULL ? code : "(null)");
    if (bg != job->background_code && job->kw_given[DCN_KW_BACKGROUND] != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "background_code: cannot change to '%s' after "
                             "background_kwargs for '%s' were given; set "
                             "the code first",
                             code, dcn__background_name(job->background_code));
    job->background_code = bg;
    return DCN_OK;
}

/* Bit of closing_disk in kw_given[DCN_KW_MASK] (mask_kw order). */
#define MASK_CLOSING_DISK (1u << 2)

int
dcn_job_set_segmenter(struct dcn_job *job, const char *code,
                      struct dcn_error *err)
{
    enum dcn_segmenter_code sc;

    if (code != NULL && strcmp(code, "thresh") == 0)
        sc = DCN_SEGMENTER_THRESH;
    else if (code != NULL && strcmp(code, "torchmpo") == 0)
        sc = DCN_SEGMENTER_TORCHMPO;
    else if (code != NULL && strcmp(code, "torchsto") == 0)
        sc = DCN_SEGMENTER_TORCHSTO;
    else if (code != NULL && strcmp(code, "torchuni") == 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "segmenter_code: 'torchuni' (.dcnm format 2, "
                             "torch.export programs) is not supported by "
                             "dcnumc: libtorch 1.13 cannot load them; use "
                             "'torchmpo' or 'torchsto' with a format-1 "
                             "model");
    else
        return dcn_error_set(err, DCN_EINVAL,
                             "segmenter_code: invalid code '%s', expected "
                             "one of 'thresh', 'torchmpo', 'torchsto'",
                             code != NULL ? code : "(null)");
    if ((sc == DCN_SEGMENTER_THRESH) !=
                (job->segmenter_code == DCN_SEGMENTER_THRESH) &&
        job->kw_given[DCN_KW_SEGMENTER] != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "segmenter_code: cannot change to '%s' after "
                             "segmenter_kwargs for '%s' were given; set the "
                             "code first",
                             code, dcn__segmenter_name(job->segmenter_code));
    job->segmenter_code = sc;
    /* mask_default_kwargs of the class: torch segmenters closing_disk=0 */
    if ((job->kw_given[DCN_KW_MASK] & MASK_CLOSING_DISK) == 0)
        job->closing_disk = sc == DCN_SEGMENTER_THRESH ? 2 : 0;
    return DCN_OK;
}

/* ---------------------------------------------------------------------
 * Keyword arguments
 */

/* Split "key=value" into a trimmed key in key and a trimmed value copy in
 * *value (caller frees with dcn__free()).  -1 if malformed, -2 if out of
 * memory. */
static int
split_kv(char *key, size_t klen, char **value, const char *text)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return -1;
    const char *k0 = text, *k1 = eq, *v0 = eq + 1, *v1 = eq + strlen(eq);
    while (k0 < k1 && isspace((unsigned char)*k0))
        k0++;
    while (k1 > k0 && isspace((unsigned char)k1[-1]))
        k1--;
    while (v0 < v1 && isspace((unsigned char)*v0))
        v0++;
    while (v1 > v0 && isspace((unsigned char)v1[-1]))
        v1--;
    if (k0 == k1 || (size_t)(k1 - k0) >= klen)
        return -1;
    (void)snprintf(key, klen, "%.*s", (int)(k1 - k0), k0);
    *value = dcn__malloc((size_t)(v1 - v0) + 1);
    if (*value == NULL)
        return -2;
    memcpy(*value, v0, (size_t)(v1 - v0));
    (*value)[v1 - v0] = '\0';
    return 0;
}

static const char *
sparsemed_constraint(const struct dcn_sparsemed_kwargs *s, const char *key)
{
    if (strcmp(key, "kernel_size") == 0 && s->kernel_size <= 0)
        return "must be > 0";
    if (strcmp(key, "split_time") == 0 && !(s->split_time > 0))
        return "must be > 0";
    if (strcmp(key, "thresh_cleansing") == 0 && !(s->thresh_cleansing >= 0))
        return "must be >= 0";
    if (strcmp(key, "frac_cleansing") == 0 &&
        !(s->frac_cleansing > 0 && s->frac_cleansing <= 1))
        return "must be in (0, 1]";
    return NULL;
}

static const char *
rollmed_constraint(const struct dcn_rollmed_kwargs *r, const char *key)
{
    if (strcmp(key, "kernel_size") == 0 &&
        (r->kernel_size <= 0 || r->kernel_size % 2 != 0))
        return "must be > 0 and even";
    if (strcmp(key, "batch_size") == 0 && r->batch_size <= 0)
        return "must be > 0";
    return NULL;
}

/* The constraint of one key, checked on the candidate job; NULL if met,
 * else what is required. */
static const char *
constraint(const struct dcn_job *j, enum dcn_kw_group g, const char *key)
{
    switch (g) {
    case DCN_KW_BACKGROUND:
        if (j->background_code == DCN_BACKGROUND_SPARSEMED)
            return sparsemed_constraint(&j->sparsemed, key);
        return rollmed_constraint(&j->rollmed, key);
    case DCN_KW_SEGMENTER:
        if (strcmp(key, "thresh") != 0)
            return NULL;
        return j->thresh < 0 ? NULL : "must be < 0";
    case DCN_KW_MASK:
        return strcmp(key, "closing_disk") == 0 && j->closing_disk < 0
                       ? "must be >= 0"
                       : NULL;
    case DCN_KW_GATE:
        return strcmp(key, "size_thresh_mask") == 0 &&
                               !j->size_thresh_mask_none &&
                               j->size_thresh_mask < 0
                       ? "must be >= 0 or None"
                       : NULL;
    default:
        return NULL;
    }
}

static const char *
type_name(const struct dcn__kw_desc *k)
{
    static const char *const names[] = {"a bool (true/false/yes/no/1/0)",
                                        "an integer", "a number", "a path"};
    return names[k->type];
}

static int
unknown_key(const struct dcn_job *job, enum dcn_kw_group g,
            const struct dcn__kw_table *t, const char *key, const char *text,
            struct dcn_error *err)
{
    char valid[256] = "";
    size_t pos = 0;
    for (size_t i = 0; t != NULL && i < t->n; i++) {
        int n = snprintf(valid + pos, sizeof(valid) - pos, "%s%s",
                         i > 0 ? ", " : "", t->kw[i].name);
        if (n < 0 || (size_t)n >= sizeof(valid) - pos)
            break;
        pos += (size_t)n;
    }
    if (g == DCN_KW_BACKGROUND)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: unknown key '%s' in '%s' for background "
                             "'%s' (valid: %s)",
                             group_option[g], key, text,
                             dcn__background_name(job->background_code),
                             pos > 0 ? valid : "none");
    return dcn_error_set(err, DCN_EINVAL,
                         "%s: unknown key '%s' in '%s' (valid: %s)",
                         group_option[g], key, text, valid);
}

static int
set_table_kw(struct dcn_job *job, enum dcn_kw_group g, const char *key,
             const char *value, const char *text, struct dcn_error *err)
{
    const struct dcn__kw_table *t = dcn__kw_table(g, job);
    for (size_t i = 0; i < t->n; i++) {
        const struct dcn__kw_desc *k = &t->kw[i];
        if (strcmp(k->name, key) != 0)
            continue;
        struct dcn_job cand = *job;
        if (dcn__kw_parse_value(&cand, k, value) != 0)
            return dcn_error_set(
                    err, DCN_EINVAL,
                    "%s: bad value '%s' for key '%s' "
                    "(expected %s%s)",
                    group_option[g], value, key, type_name(k),
                    k->none_offset != DCN__KW_NOT_NULLABLE ? " or None" : "");
        const char *why = constraint(&cand, g, key);
        if (why != NULL)
            return dcn_error_set(err, DCN_EINVAL, "%s: %s=%s: %s %s",
                                 group_option[g], key, value, key, why);
        cand.kw_given[g] |= 1u << i;
        *job = cand;
        return DCN_OK;
    }
    return unknown_key(job, g, t, key, text, err);
}

/* "2:5", ":10:2", "None:None" -> a slice; -1 if malformed. */
static int
parse_slice(struct dcn_index_mapping *m, const char *text)
{
    char buf[96];
    char *part[3] = {NULL, NULL, NULL};
    int64_t *val[3] = {&m->start, &m->stop, &m->step};
    bool *has[3] = {&m->has_start, &m->has_stop, &m->has_step};
    int n = 0;

    if (strlen(text) >= sizeof(buf))
        return -1;
    memcpy(buf, text, strlen(text) + 1);
    part[n++] = buf;
    for (char *p = buf; *p != '\0'; p++) {
        if (*p != ':')
            continue;
        if (n == 3)
            return -1;
        *p = '\0';
        part[n++] = p + 1;
    }
    m->kind = DCN_MAPPING_SLICE;
    for (int i = 0; i < 3; i++) {
        *has[i] = false;
        if (part[i] == NULL || part[i][0] == '\0' ||
            strcmp(part[i], "None") == 0)
            continue;
        if (dcn__parse_int64(val[i], part[i]) != 0)
            return -1;
        *has[i] = true;
    }
    return m->has_step && m->step == 0 ? -1 : 0;
}

/* One list item [p, stop) into *out; 1 if stored, 0 if empty (only
 * white space), -1 if not an index. */
static int
parse_item(uint32_t *out, const char *p, const char *stop)
{
    char item[32];
    int64_t v;
    while (p < stop && isspace((unsigned char)*p))
        p++;
    size_t n = (size_t)(stop - p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    if (n == 0)
        return 0;
    if (n >= sizeof(item))
        return -1;
    (void)snprintf(item, sizeof(item), "%.*s", (int)n, p);
    if (dcn__parse_int64(&v, item) != 0 || v < 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 1;
}

/* "3,5,6,7" or "[3, 5, 6, 7]" -> a list; -1 if malformed, -2 if out of
 * memory.  m->indices is allocated (caller frees).  A trailing comma is
 * allowed ("4," is [4]), an empty item elsewhere is not. */
static int
parse_list(struct dcn_index_mapping *m, const char *text)
{
    size_t len = strlen(text);
    size_t cap = 1;
    const char *p = text, *end = text + len;

    if (len > 0 && text[0] == '[') {
        if (text[len - 1] != ']')
            return -1;
        p++;
        end--;
    }
    for (const char *q = p; q < end; q++)
        cap += *q == ',';
    m->kind = DCN_MAPPING_LIST;
    m->nindices = 0;
    m->indices = dcn__mallocarray(cap, sizeof(uint32_t));
    if (m->indices == NULL)
        return -2;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma != NULL ? comma : end;
        int got = parse_item(&m->indices[m->nindices], p, stop);
        if (got < 0 || (got == 0 && comma != NULL))
            return -1;
        m->nindices += (size_t)got;
        p = comma != NULL ? comma + 1 : end;
    }
    return 0;
}

static int
parse_mapping(struct dcn_index_mapping *m, const char *text)
{
    memset(m, 0, sizeof(*m));
    if (strcmp(text, "None") == 0)
        return 0;
    if (strchr(text, ':') != NULL)
        return parse_slice(m, text);
    if (strchr(text, ',') != NULL || text[0] == '[')
        return parse_list(m, text);
    m->kind = DCN_MAPPING_COUNT;
    if (dcn__parse_int64(&m->count, text) != 0 || m->count < 0)
        return -1;
    return 0;
}

static int
set_index_mapping(struct dcn_job *job, const char *value, struct dcn_error *err)
{
    struct dcn_index_mapping m;
    int rc = parse_mapping(&m, value);
    if (rc != 0) {
        dcn__free(m.indices);
        if (rc == -2)
            return dcn_error_set(err, DCN_ENOMEM,
                                 "data_kwargs: index_mapping=%s: out of "
                                 "memory",
                                 value);
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: bad value '%s' for key "
                             "'index_mapping' (expected None, an integer N, "
                             "a slice start:stop[:step] with a non-zero "
                             "step, or a list of indices 3,5,6,7)",
                             value);
    }
    dcn__free(job->index_mapping.indices);
    job->index_mapping = m;
    job->kw_given[DCN_KW_DATA] |= 1u << DATA_INDEX_MAPPING;
    return DCN_OK;
}

static int
set_data_kw(struct dcn_job *job, const char *key, const char *value,
            const char *text, struct dcn_error *err)
{
    double ps;
    int64_t v;
    int bit;

    if (strcmp(key, "index_mapping") == 0)
        return set_index_mapping(job, value, err);
    if (strcmp(key, "pixel_size") == 0) {
        if (strcmp(value, "None") == 0) {
            job->has_pixel_size = false;
            job->kw_given[DCN_KW_DATA] &= ~(1u << DATA_PIXEL_SIZE);
            return DCN_OK;
        }
        if (dcn__parse_double(&ps, value) != 0 || !(ps > 0))
            return dcn_error_set(err, DCN_EINVAL,
                                 "data_kwargs: bad value '%s' for key "
                                 "'pixel_size' (expected a number > 0 or "
                                 "None)",
                                 value);
        job->pixel_size = ps;
        job->has_pixel_size = true;
        job->kw_given[DCN_KW_DATA] |= 1u << DATA_PIXEL_SIZE;
        return DCN_OK;
    }
    if (strcmp(key, "image_cache_size") == 0)
        bit = DATA_CACHE_SIZE;
    else if (strcmp(key, "image_chunk_size") == 0)
        bit = DATA_CHUNK_SIZE;
    else
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: unknown key '%s' in '%s' (valid: "
                             "pixel_size, index_mapping, image_cache_size, "
                             "image_chunk_size)",
                             key, text);
    if (dcn__parse_int64(&v, value) != 0 || v <= 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: bad value '%s' for key '%s' "
                             "(expected an integer > 0)",
                             value, key);
    if (bit == DATA_CACHE_SIZE)
        job->image_cache_size = v;
    else
        job->image_chunk_size = v;
    job->kw_given[DCN_KW_DATA] |= 1u << bit;
    return DCN_OK;
}

int
dcn_job_set_kw(struct dcn_job *job, enum dcn_kw_group group,
               const char *key_value, struct dcn_error *err)
{
    char key[64];
    char *value = NULL;
    int rc;
    if (job == NULL || key_value == NULL || (unsigned)group >= DCN_KW_NGROUPS)
        return dcn_error_set(err, DCN_EINVAL, "dcn_job_set_kw: bad argument");
    rc = split_kv(key, sizeof(key), &value, key_value);
    if (rc == -2)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory",
                             group_option[group]);
    if (rc != 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: expected key=value, got '%s'",
                             group_option[group], key_value);
    if (group == DCN_KW_DATA)
        rc = set_data_kw(job, key, value, key_value, err);
    else
        rc = set_table_kw(job, group, key, value, key_value, err);
    dcn__free(value);
    return rc;
}

/* ---------------------------------------------------------------------
 * Other options
 */

int
dcn_job_set_basin_strategy(struct dcn_job *job, const char *text,
                           struct dcn_error *err)
{
    if (text != NULL && strcmp(text, "drain") == 0)
        job->basin_strategy = DCN_BASIN_DRAIN;
    else if (text != NULL && strcmp(text, "tap") == 0)
        job->basin_strategy = DCN_BASIN_TAP;
    else
        return dcn_error_set(err, DCN_EINVAL,
                             "basin_strategy: invalid value '%s', expected "
                             "'drain' or 'tap'",
                             text != NULL ? text : "(null)");
    return DCN_OK;
}

static bool
is_blank(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* dcnum's str(compression).lower().strip() into out; -1 if too long. */
static int
normalise(char *out, size_t len, const char *text)
{
    const char *a = text, *b = text + strlen(text);
    while (a < b && is_blank(*a))
        a++;
    while (b > a && is_blank(b[-1]))
        b--;
    if ((size_t)(b - a) >= len)
        return -1;
    for (size_t i = 0; a + i < b; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c | 0x20); /* ASCII lower case */
        out[i] = c;
    }
    out[b - a] = '\0';
    return 0;
}

int
dcn_job_set_compression(struct dcn_job *job, const char *text,
                        struct dcn_error *err)
{
    char cp[16] = {0};
    if (text != NULL && normalise(cp, sizeof(cp), text) == 0) {
        if (strcmp(cp, "none") == 0) {
            job->compression_level = 0;
            return DCN_OK;
        }
        if (strlen(cp) == 6 && strncmp(cp, "zstd-", 5) == 0 && cp[5] >= '1' &&
            cp[5] <= '9') {
            job->compression_level = cp[5] - '0';
            return DCN_OK;
        }
    }
    return dcn_error_set(err, DCN_EINVAL,
                         "compression: unsupported setting '%s' (expected "
                         "'zstd-1' ... 'zstd-9' or 'none')",
                         text != NULL ? text : "(null)");
}

int
dcn_job_set_worker_kind(struct dcn_job *job, const char *text,
                        struct dcn_error *err)
{
    if (text != NULL && strcmp(text, "threads") == 0)
        job->worker_kind = DCN_WORKER_THREADS;
    else if (text != NULL && strcmp(text, "processes") == 0)
        job->worker_kind = DCN_WORKER_PROCESSES;
    else
        return dcn_error_set(err, DCN_EINVAL,
                             "worker kind: invalid value '%s', expected "
                             "'threads' or 'processes'",
                             text != NULL ? text : "(null)");
    return DCN_OK;
}

int
dcn_job_set_num_procs(struct dcn_job *job, const char *text,
                      struct dcn_error *err)
{
    int64_t v;
    if (text == NULL || dcn__parse_int64(&v, text) != 0 || v < 0 || v > 4096)
        return dcn_error_set(err, DCN_EINVAL,
                             "num_procs: bad value '%s' (expected an "
                             "integer 0..4096, 0 = all CPUs)",
                             text != NULL ? text : "(null)");
    job->num_procs = (int)v;
    return DCN_OK;
}

double
dcn_pixel_size_round(double ps)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%.8f", ps);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return ps; /* beyond 1e500 digits: cannot happen for a double */
    return strtod(buf, NULL);
}

double
dcn_job_resolve_pixel_size(struct dcn_job *job, double ps_input)
{
    if (!job->has_pixel_size) {
        job->pixel_size = dcn_pixel_size_round(ps_input);
        job->has_pixel_size = true;
        job->kw_given[DCN_KW_DATA] |= 1u << DATA_PIXEL_SIZE;
    }
    return job->pixel_size;
}

/* ---------------------------------------------------------------------
 * Checks
 */

int
dcn_job_check(const struct dcn_job *job, struct dcn_error *err)
{
    if (job->segmenter_code != DCN_SEGMENTER_THRESH &&
        (job->model_file == NULL || job->model_file[0] == '\0'))
        return dcn_error_set(err, DCN_EINVAL,
                             "segmenter_kwargs: segmenter '%s' needs "
                             "model_file=PATH (a .dcnm model file)",
                             dcn__segmenter_name(job->segmenter_code));
    if (job->has_pixel_size && !(job->pixel_size > 0))
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: pixel_size=%g: must be > 0 (D14)",
                             job->pixel_size);
    if (job->background_code == DCN_BACKGROUND_ROLLMED &&
        job->rollmed.batch_size <= job->rollmed.kernel_size)
        return dcn_error_set(err, DCN_EINVAL,
                             "background_kwargs: batch_size=%lld must be > "
                             "kernel_size=%lld for background 'rollmed'",
                             (long long)job->rollmed.batch_size,
                             (long long)job->rollmed.kernel_size);
    return DCN_OK;
}

static int
check_mapping(const struct dcn_index_mapping *m, uint64_t n_frames,
              struct dcn_error *err)
{
    if (m->kind == DCN_MAPPING_COUNT && (uint64_t)m->count > n_frames)
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: index_mapping=%lld exceeds the "
                             "%llu frames of the input",
                             (long long)m->count, (unsigned long long)n_frames);
    for (size_t i = 0; m->kind == DCN_MAPPING_LIST && i < m->nindices; i++) {
        if (m->indices[i] >= n_frames)
            return dcn_error_set(err, DCN_EINVAL,
                                 "data_kwargs: index_mapping index %lu is "
                                 "out of range for the %llu frames of the "
                                 "input",
                                 (unsigned long)m->indices[i],
                                 (unsigned long long)n_frames);
    }
    return DCN_OK;
}

int
dcn_job_validate(const struct dcn_job *job, uint64_t n_frames,
                 struct dcn_error *err)
{
    int rc = dcn_job_check(job, err);
    if (rc != DCN_OK)
        return rc;
    if (job->background_code == DCN_BACKGROUND_ROLLMED &&
        (uint64_t)job->rollmed.kernel_size >= n_frames && n_frames > 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "background_kwargs: kernel_size=%lld must be "
                             "smaller than the %llu frames of the input for "
                             "background 'rollmed' (D12)",
                             (long long)job->rollmed.kernel_size,
                             (unsigned long long)n_frames);
    return check_mapping(&job->index_mapping, n_frames, err);
}

/* The features the legacy extractor computes (numerics.md §4.13). */
static bool
is_computed_feature(const struct dcn_job *job, const char *f)
{
    static const char *const moments[] = {
            "area_msd",         "area_ratio",      "area_um",
            "area_um_raw",      "aspect",          "deform",
            "deform_raw",       "eccentr_prnc",    "inert_ratio_cvx",
            "inert_ratio_prnc", "inert_ratio_raw", "per_ratio",
            "per_um_raw",       "pos_x",           "pos_y",
            "size_x",           "size_y",          "tilt"};
    static const char *const bright[] = {
            "bg_med",       "bright_avg",     "bright_sd",     "bright_bc_avg",
            "bright_bc_sd", "bright_perc_10", "bright_perc_90"};
    static const char *const tex[] = {"asm", "con", "cor", "den", "ent", "f12",
                                      "f13", "idm", "sen", "sva", "var"};
    for (size_t i = 0; i < sizeof(moments) / sizeof(moments[0]); i++)
        if (strcmp(f, moments[i]) == 0)
            return true;
    if (job->volume && strcmp(f, "volume") == 0)
        return true;
    for (size_t i = 0; job->brightness && i < sizeof(bright) / sizeof(*bright);
         i++)
        if (strcmp(f, bright[i]) == 0)
            return true;
    for (size_t i = 0; job->haralick && i < sizeof(tex) / sizeof(*tex); i++) {
        char a[16], p[16];
        (void)snprintf(a, sizeof(a), "tex_%s_avg", tex[i]);
        (void)snprintf(p, sizeof(p), "tex_%s_ptp", tex[i]);
        if (strcmp(f, a) == 0 || strcmp(f, p) == 0)
            return true;
    }
    return false;
}

int
dcn_job_check_online_gates(const struct dcn_job *job,
                           const char *const *features, size_t nfeatures,
                           struct dcn_error *err)
{
    if (!job->online_gates)
        return DCN_OK;
    for (size_t i = 0; i < nfeatures; i++) {
        if (!is_computed_feature(job, features[i]))
            return dcn_error_set(err, DCN_EINVAL,
                                 "gate_kwargs: online_gates=True: the input "
                                 "gates on feature '%s' (online_filter:%s), "
                                 "which the pipeline does not compute (D16)",
                                 features[i], features[i]);
    }
    return DCN_OK;
}

int64_t
dcn_job_size_thresh_mask(const struct dcn_job *job, int64_t bin_area_min)
{
    if (!job->size_thresh_mask_none && job->size_thresh_mask != 0)
        return job->size_thresh_mask;
    if (job->online_gates && job->size_thresh_mask_none && bin_area_min > 0)
        return bin_area_min;
    return 10;
}

int
dcn_job_output_path(char **out, const struct dcn_job *job,
                    struct dcn_error *err)
{
    const char *src = job->path_out != NULL ? job->path_out : job->path_in;
    *out = NULL;
    if (src == NULL)
        return dcn_error_set(err, DCN_EINVAL, "path_in: not set");
    if (job->path_out != NULL) {
        *out = dcn__strdup(src);
    } else {
        /* pathlib: stem drops the last suffix, unless the name starts
         * with its only dot. */
        const char *slash = strrchr(src, '/');
        const char *name = slash != NULL ? slash + 1 : src;
        const char *dot = strrchr(name, '.');
        size_t stem_end =
                dot != NULL && dot != name ? (size_t)(dot - src) : strlen(src);
        size_t len = stem_end + sizeof("_dcn.rtdc");
        *out = dcn__malloc(len);
        if (*out != NULL)
            (void)snprintf(*out, len, "%.*s_dcn.rtdc", (int)stem_end, src);
    }
    return *out != NULL
                   ? DCN_OK
                   : dcn_error_set(err, DCN_ENOMEM, "path_out: out of memory");
}

void
dcn_free_string(char *s)
{
    dcn__free(s);
}
