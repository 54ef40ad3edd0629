/* SPDX-License-Identifier: MIT */
/*
 * job_json.c - the job log as dcnum writes it: json.dumps(indent=2,
 * sort_keys=True, ensure_ascii=True) split into lines (format.md §3.6).
 *
 * A tiny self-contained JSON writer: a growing buffer, a nesting stack
 * that remembers whether the current container is still empty (Python
 * prints "{}" and "[]" for those), Python's float repr, and ASCII-only
 * string escapes (\uXXXX, surrogate pairs above U+FFFF).  Objects are
 * emitted with their keys already in sorted order; the keyword groups,
 * whose keys vary, are sorted at run time.  "dcnum version" and the
 * "python" section become dcnumc's version and build information.
 */
#include "job_json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "alloc.h"
#include "dcnumc/dcnumc.h"
#include "ppid.h"

#define JW_DEPTH 16

struct jw {
    char *buf;
    size_t len, cap;
    int depth;
    bool empty[JW_DEPTH];
    int rc;
};

static void
jw_raw(struct jw *w, const char *s, size_t n)
{
    if (w->rc != DCN_OK)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap =
                w->cap * 2 > w->len + n + 1 ? w->cap * 2 : w->len + n + 256;
        char *p = dcn__realloc(w->buf, cap);
        if (p == NULL) {
            w->rc = DCN_ENOMEM;
            return;
        }
        w->buf = p;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void
jw_puts(struct jw *w, const char *s)
{
    jw_raw(w, s, strlen(s));
}

/* Before an element: ",\n" or "\n", then the indentation. */
static void
jw_next(struct jw *w)
{
    if (w->depth == 0)
        return;
    jw_puts(w, w->empty[w->depth] ? "\n" : ",\n");
    w->empty[w->depth] = false;
    for (int i = 0; i < w->depth; i++)
        jw_puts(w, "  ");
}

static void
jw_begin(struct jw *w, const char *open)
{
    jw_puts(w, open);
    if (w->depth + 1 >= JW_DEPTH) {
        w->rc = DCN_ERANGE;
        return;
    }
    w->empty[++w->depth] = true;
}

static void
jw_end(struct jw *w, const char *close)
{
    bool empty = w->empty[w->depth--];
    if (!empty) {
        jw_puts(w, "\n");
        for (int i = 0; i < w->depth; i++)
            jw_puts(w, "  ");
    }
    jw_puts(w, close);
}

static void
jw_u16(struct jw *w, unsigned v)
{
    char e[8];
    (void)snprintf(e, sizeof(e), "\\u%04x", v & 0xffffu);
    jw_puts(w, e);
}

/* Decode one UTF-8 sequence at s; invalid bytes become U+FFFD. */
static uint32_t
utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (c >= 0x80 && n == 0) {
        *s = p + 1;
        return 0xfffd;
    }
    c &= n == 3 ? 0x07 : n == 2 ? 0x0f : n == 1 ? 0x1f : 0x7f;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *s = p + i;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s = p + n + 1;
    return c;
}

static void
jw_str(struct jw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    jw_puts(w, "\"");
    while (*p != '\0') {
        uint32_t c = utf8_next(&p);
        char ch[2] = {(char)c, '\0'};
        if (c == '"')
            jw_puts(w, "\\\"");
        else if (c == '\\')
            jw_puts(w, "\\\\");
        else if (c == '\n')
            jw_puts(w, "\\n");
        else if (c == '\r')
            jw_puts(w, "\\r");
        else if (c == '\t')
            jw_puts(w, "\\t");
        else if (c == '\b')
            jw_puts(w, "\\b");
        else if (c == '\f')
            jw_puts(w, "\\f");
        else if (c < 0x20 || (c >= 0x7f && c < 0x10000))
            jw_u16(w, c);
        else if (c >= 0x10000) {
            c -= 0x10000;
            jw_u16(w, 0xd800 + (c >> 10));
            jw_u16(w, 0xdc00 + (c & 0x3ff));
        } else
            jw_puts(w, ch);
    }
    jw_puts(w, "\"");
}

static void
jw_key(struct jw *w, const char *key)
{
    jw_next(w);
    jw_str(w, key);
    jw_puts(w, ": ");
}

static void
jw_int(struct jw *w, long long v)
{
    char b[32];
    (void)snprintf(b, sizeof(b), "%lld", v);
    jw_puts(w, b);
}

static void
jw_float(struct jw *w, double v)
{
    char b[64];
    if (isnan(v))
        jw_puts(w, "NaN");
    else if (isinf(v))
        jw_puts(w, v > 0 ? "Infinity" : "-Infinity");
    else if (dcn__repr_double(b, sizeof(b), v) == DCN_OK)
        jw_puts(w, b);
    else
        w->rc = DCN_ERANGE;
}

static void
jw_kv_str(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    if (v != NULL)
        jw_str(w, v);
    else
        jw_puts(w, "null");
}

static void
jw_kv_bool(struct jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_puts(w, v ? "true" : "false");
}

static void
jw_kv_int(struct jw *w, const char *key, long long v)
{
    jw_key(w, key);
    jw_int(w, v);
}

/* ---------------------------------------------------------------------
 * The job
 */

/* The bool, int64_t or double at offset in job. */
static const void *
job_field(const struct dcn_job *job, size_t offset)
{
    return (const char *)job + offset;
}

/* The value of keyword k in job as JSON. */
static void
kw_value(struct jw *w, const struct dcn_job *job, const struct dcn__kw_desc *k)
{
    if (k->none_offset != DCN__KW_NOT_NULLABLE &&
        *(const bool *)job_field(job, k->none_offset))
        jw_puts(w, "null");
    else if (k->type == DCN__KW_BOOL)
        jw_puts(w, *(const bool *)job_field(job, k->offset) ? "true" : "false");
    else if (k->type == DCN__KW_INT)
        jw_int(w, (long long)*(const int64_t *)job_field(job, k->offset));
    else if (k->type == DCN__KW_STRING)
        jw_str(w, *(char *const *)job_field(job, k->offset));
    else
        jw_float(w, *(const double *)job_field(job, k->offset));
}

/* The keys the user gave in group g, sorted, as a JSON object. */
static void
kwargs_object(struct jw *w, const struct dcn_job *job, enum dcn_kw_group g,
              const char *extra_key)
{
    const struct dcn__kw_table *t = dcn__kw_table(g, job);
    const struct dcn__kw_desc *sel[32];
    size_t n = 0;

    for (size_t i = 0; i < t->n && n < 32; i++) {
        if (job->kw_given[g] & (1u << i))
            sel[n++] = &t->kw[i];
    }
    /* sort_keys: insertion sort by name (a handful of keys) */
    for (size_t i = 1; i < n; i++) {
        const struct dcn__kw_desc *x = sel[i];
        size_t j = i;
        for (; j > 0 && strcmp(sel[j - 1]->name, x->name) > 0; j--)
            sel[j] = sel[j - 1];
        sel[j] = x;
    }
    jw_begin(w, "{");
    if (extra_key != NULL) { /* "kwargs_mask" sorts before "model_file"
                                and "thresh" */
        jw_key(w, extra_key);
        kwargs_object(w, job, DCN_KW_MASK, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        jw_key(w, sel[i]->name);
        kw_value(w, job, sel[i]);
    }
    jw_end(w, "}");
}

static void
slice_field(struct jw *w, bool has, int64_t v)
{
    jw_next(w);
    if (has)
        jw_int(w, (long long)v);
    else
        jw_puts(w, "null");
}

static void
index_mapping_value(struct jw *w, const struct dcn_index_mapping *m)
{
    switch (m->kind) {
    case DCN_MAPPING_NONE:
        jw_puts(w, "null");
        break;
    case DCN_MAPPING_COUNT:
        jw_int(w, (long long)m->count);
        break;
    case DCN_MAPPING_SLICE:
        jw_begin(w, "[");
        jw_next(w);
        jw_str(w, "PYTHON-SLICE");
        jw_next(w);
        jw_begin(w, "[");
        slice_field(w, m->has_start, m->start);
        slice_field(w, m->has_stop, m->stop);
        slice_field(w, m->has_step, m->step);
        jw_end(w, "]");
        jw_end(w, "]");
        break;
    case DCN_MAPPING_LIST:
        jw_begin(w, "[");
        for (size_t i = 0; i < m->nindices; i++) {
            jw_next(w);
            jw_int(w, (long long)m->indices[i]);
        }
        jw_end(w, "]");
        break;
    }
}

static void
data_kwargs(struct jw *w, const struct dcn_job *job)
{
    uint32_t given = job->kw_given[DCN_KW_DATA];
    jw_begin(w, "{");
    if (given & (1u << 2))
        jw_kv_int(w, "image_cache_size", (long long)job->image_cache_size);
    if (given & (1u << 3))
        jw_kv_int(w, "image_chunk_size", (long long)job->image_chunk_size);
    if (given & (1u << 1)) {
        jw_key(w, "index_mapping");
        index_mapping_value(w, &job->index_mapping);
    }
    if (job->has_pixel_size) {
        jw_key(w, "pixel_size");
        jw_float(w, job->pixel_size);
    }
    jw_end(w, "}");
}

static void
job_object(struct jw *w, const struct dcn_job *job,
           const struct dcn__job_log_info *info)
{
    char cp[16];
    if (job->compression_level == 0)
        (void)snprintf(cp, sizeof(cp), "none");
    else
        (void)snprintf(cp, sizeof(cp), "zstd-%d", job->compression_level);

    jw_begin(w, "{");
    jw_kv_str(w, "background_code", dcn__background_name(job->background_code));
    jw_key(w, "background_kwargs");
    kwargs_object(w, job, DCN_KW_BACKGROUND, NULL);
    jw_kv_str(w, "basin_strategy",
              job->basin_strategy == DCN_BASIN_TAP ? "tap" : "drain");
    jw_kv_str(w, "compression", cp);
    jw_kv_str(w, "data_code", "hdf");
    jw_key(w, "data_kwargs");
    data_kwargs(w, job);
    jw_kv_bool(w, "debug", job->debug);
    jw_kv_str(w, "feature_code", "legacy");
    jw_key(w, "feature_kwargs");
    kwargs_object(w, job, DCN_KW_FEATURE, NULL);
    jw_kv_str(w, "gate_code", "norm");
    jw_key(w, "gate_kwargs");
    kwargs_object(w, job, DCN_KW_GATE, NULL);
    jw_kv_int(w, "log_level", job->log_level);
    jw_kv_int(w, "num_procs", info->num_procs);
    jw_kv_str(w, "path_in", job->path_in);
    jw_kv_str(w, "path_out", info->path_out);
    jw_kv_str(w, "segmenter_code", dcn__segmenter_name(job->segmenter_code));
    jw_key(w, "segmenter_kwargs");
    kwargs_object(w, job, DCN_KW_SEGMENTER, "kwargs_mask");
    jw_end(w, "}");
}

static void
build_object(struct jw *w)
{
    jw_begin(w, "{");
#if defined(__VERSION__)
    jw_kv_str(w, "compiler", __VERSION__);
#else
    jw_kv_str(w, "compiler", NULL);
#endif
    jw_kv_str(w, "language", "C11");
    jw_kv_str(w, "name", "dcnumc");
    jw_kv_str(w, "version", dcn_version());
    jw_end(w, "}");
}

static void
pipeline_object(struct jw *w, const struct dcn_ppid *ids)
{
    jw_begin(w, "{");
    jw_kv_str(w, "hash", ids->hash);
    jw_key(w, "identifiers");
    jw_begin(w, "{");
    jw_kv_str(w, "bg_id", ids->bg);
    jw_kv_str(w, "dat_id", ids->dat);
    jw_kv_str(w, "feat_id", ids->feat);
    jw_kv_str(w, "gate_id", ids->gate);
    jw_kv_str(w, "gen_id", ids->gen);
    jw_kv_str(w, "seg_id", ids->seg);
    jw_end(w, "}");
    jw_end(w, "}");
}

static void
system_object(struct jw *w)
{
    struct utsname u;
    char info[4 * sizeof(u.sysname)];
    bool ok = uname(&u) == 0;

    if (ok)
        (void)snprintf(info, sizeof(info), "%s-%s-%s", u.sysname, u.release,
                       u.machine);
    jw_begin(w, "{");
    jw_kv_str(w, "info", ok ? info : NULL);
    jw_kv_str(w, "machine", ok ? u.machine : NULL);
    jw_kv_str(w, "name", ok ? u.sysname : NULL);
    jw_kv_str(w, "release", ok ? u.release : NULL);
    jw_kv_str(w, "version", ok ? u.version : NULL);
    jw_end(w, "}");
}

int
dcn__job_log_text(char **text, const struct dcn_job *job,
                  const struct dcn_ppid *ids,
                  const struct dcn__job_log_info *info, struct dcn_error *err)
{
    struct jw w = {NULL, 0, 0, 0, {false}, DCN_OK};
    char version[64];

    (void)snprintf(version, sizeof(version), "dcnumc %s", dcn_version());
    jw_begin(&w, "{");
    jw_key(&w, "dcnumc build");
    build_object(&w);
    jw_kv_str(&w, "dcnumc version", version);
    jw_key(&w, "job");
    job_object(&w, job, info);
    jw_key(&w, "pipeline");
    pipeline_object(&w, ids);
    jw_key(&w, "system");
    system_object(&w);
    jw_key(&w, "tasks");
    jw_begin(&w, "{");
    jw_kv_bool(&w, "background", info->task_background);
    jw_kv_bool(&w, "segmentation", info->task_segmentation);
    jw_end(&w, "}");
    jw_end(&w, "}");
    if (w.rc != DCN_OK) {
        dcn__free(w.buf);
        *text = NULL;
        (void)dcn_error_set(err, w.rc, "job log: %s",
                            w.rc == DCN_ENOMEM ? "out of memory"
                                               : "nesting too deep");
        return w.rc;
    }
    *text = w.buf;
    return DCN_OK;
}

void
dcn__job_log_lines_free(char **lines, size_t nlines)
{
    for (size_t i = 0; lines != NULL && i < nlines; i++)
        dcn__free(lines[i]);
    dcn__free(lines);
}

int
dcn__job_log_lines(char ***lines, size_t *nlines, const struct dcn_job *job,
                   const struct dcn_ppid *ids,
                   const struct dcn__job_log_info *info, struct dcn_error *err)
{
    char *text = NULL;
    size_t n = 1, k = 0;
    char **out = NULL;
    int rc = dcn__job_log_text(&text, job, ids, info, err);

    *lines = NULL;
    *nlines = 0;
    if (rc != DCN_OK || text == NULL)
        return rc != DCN_OK ? rc : DCN_ENOMEM;
    for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
    out = dcn__calloc(n, sizeof(*out));
    for (char *p = text; out != NULL && k < n; k++) {
        char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        out[k] = dcn__malloc(len + 1);
        if (out[k] == NULL)
            break;
        memcpy(out[k], p, len);
        out[k][len] = '\0';
        p += len + (nl != NULL);
    }
    dcn__free(text);
    if (out == NULL || k < n) {
        dcn__job_log_lines_free(out, n);
        return dcn_error_set(err, DCN_ENOMEM, "job log: out of memory");
    }
    *lines = out;
    *nlines = n;
    return DCN_OK;
}

int
dcn__job_log_name(char *buf, size_t len, time_t start)
{
    struct tm tm;
    if (gmtime_r(&start, &tm) == NULL ||
        strftime(buf, len, "dcnum-job-%Y-%m-%d-%H.%M.%S", &tm) == 0)
        return DCN_ERANGE;
    return DCN_OK;
}
