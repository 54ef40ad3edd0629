/* SPDX-License-Identifier: MIT */
/*
 * test_ppid_reference.c - parity of the pipeline identifiers with every
 * reference run of dcnum (../shared/data/reference/<input>/<variant>/
 * meta.json).
 *
 * For each variant the job is built from meta.json's job_kwargs through
 * the public text setters (as the CLI would), the pixel size comes from
 * the input's "imaging:pixel size" attribute, and the test checks the
 * PPID and hash, every "pipeline:dcnum *" attribute dcnum wrote, the run
 * identifier (suffix, and the measurement id where it can be derived),
 * and that the "job" object of dcnumc's job log equals dcnum's resolved
 * job kwargs.  meta.json is read with a tiny test-only JSON parser.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "dcnumc/job.h"
#include "job_json.h"
#include "testdata.h"

/* ---------------------------------------------------------------------
 * A tiny JSON parser (test only)
 */

enum jt {
    J_NULL,
    J_BOOL,
    J_NUM,
    J_STR,
    J_ARR,
    J_OBJ
};

struct jv {
    enum jt t;
    bool b;
    double num;
    char *s;          /* J_STR text, J_NUM raw text */
    struct jv *items; /* J_ARR, J_OBJ values */
    char **keys;      /* J_OBJ */
    size_t n;
};

static void
jv_free(struct jv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
}

static void
ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static int parse_value(struct jv *v, const char **p);

static char *
parse_string(const char **p)
{
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    (*p)++; /* opening quote */
    while (**p != '"' && **p != '\0') {
        char c = **p;
        if (c == '\\') {
            (*p)++;
            c = **p;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'u') { /* keep ASCII only; tests need no more */
                char hex[5] = {0};
                memcpy(hex, *p + 1, 4);
                c = (char)strtol(hex, NULL, 16);
                *p += 4;
            }
        }
        if (n + 2 > cap) {
            char *t = realloc(s, cap * 2);
            if (t == NULL)
                break;
            s = t;
            cap *= 2;
        }
        s[n++] = c;
        (*p)++;
    }
    (*p)++;
    s[n] = '\0';
    return s;
}

/* Room for one more member of v (and its key, for an object); 0 or -1. */
static int
reserve_member(struct jv *v, size_t *cap, bool obj)
{
    size_t n = *cap ? *cap * 2 : 8;
    struct jv *items;

    if (v->n < *cap)
        return 0;
    items = realloc(v->items, n * sizeof(*v->items));
    if (items == NULL)
        return -1;
    v->items = items;
    if (obj) {
        char **keys = realloc(v->keys, n * sizeof(*v->keys));
        if (keys == NULL)
            return -1;
        v->keys = keys;
    }
    *cap = n;
    return 0;
}

/* One member of an array or object ("key": value) and its separator. */
static int
parse_member(struct jv *v, const char **p, bool obj)
{
    if (obj) {
        ws(p);
        v->keys[v->n] = parse_string(p);
        ws(p);
        if (**p != ':')
            return -1;
        (*p)++;
    }
    memset(&v->items[v->n], 0, sizeof(*v->items));
    if (parse_value(&v->items[v->n++], p) != 0)
        return -1;
    ws(p);
    if (**p == ',')
        (*p)++;
    else if (**p != (obj ? '}' : ']'))
        return -1;
    ws(p);
    return 0;
}

static int
parse_container(struct jv *v, const char **p, bool obj)
{
    size_t cap = 0;
    v->t = obj ? J_OBJ : J_ARR;
    (*p)++;
    ws(p);
    while (**p != (obj ? '}' : ']')) {
        if (reserve_member(v, &cap, obj) != 0 || parse_member(v, p, obj) != 0)
            return -1;
    }
    (*p)++;
    return 0;
}

static int
parse_value(struct jv *v, const char **p)
{
    ws(p);
    if (**p == '{' || **p == '[')
        return parse_container(v, p, **p == '{');
    if (**p == '"') {
        v->t = J_STR;
        v->s = parse_string(p);
        return 0;
    }
    if (strncmp(*p, "null", 4) == 0 || strncmp(*p, "true", 4) == 0) {
        v->t = **p == 'n' ? J_NULL : J_BOOL;
        v->b = **p == 't';
        *p += 4;
        return 0;
    }
    if (strncmp(*p, "false", 5) == 0) {
        v->t = J_BOOL;
        *p += 5;
        return 0;
    }
    char *end = NULL;
    v->t = J_NUM;
    v->num = strtod(*p, &end);
    if (end == *p)
        return -1;
    v->s = malloc((size_t)(end - *p) + 1);
    memcpy(v->s, *p, (size_t)(end - *p));
    v->s[end - *p] = '\0';
    *p = end;
    return 0;
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
    for (size_t i = 0; o != NULL && o->t == J_OBJ && i < o->n; i++) {
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    }
    return NULL;
}

static const char *
jstr(const struct jv *o, const char *key)
{
    const struct jv *v = jget(o, key);
    return v != NULL && v->t == J_STR ? v->s : NULL;
}

static int
load_json(struct jv *v, const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *text;
    const char *p;
    int rc;
    if (f == NULL)
        return -1;
    (void)fseek(f, 0, SEEK_END);
    len = ftell(f);
    (void)fseek(f, 0, SEEK_SET);
    text = malloc((size_t)len + 1);
    text[fread(text, 1, (size_t)len, f)] = '\0';
    (void)fclose(f);
    memset(v, 0, sizeof(*v));
    p = text;
    rc = parse_value(v, &p);
    free(text);
    if (rc != 0) {
        jv_free(v);
        memset(v, 0, sizeof(*v));
    }
    return rc;
}

/* Deep equality; object keys in any order. */
static bool
jv_equal(const struct jv *a, const struct jv *b)
{
    if (a->t != b->t || a->n != b->n)
        return false;
    switch (a->t) {
    case J_NULL:
        return true;
    case J_BOOL:
        return a->b == b->b;
    case J_NUM:
        return a->num == b->num;
    case J_STR:
        return strcmp(a->s, b->s) == 0;
    case J_ARR:
        for (size_t i = 0; i < a->n; i++)
            if (!jv_equal(&a->items[i], &b->items[i]))
                return false;
        return true;
    case J_OBJ:
        for (size_t i = 0; i < a->n; i++) {
            const struct jv *o = jget(b, a->keys[i]);
            if (o == NULL || !jv_equal(&a->items[i], o)) {
                (void)fprintf(stderr, "    JSON key '%s' differs\n",
                              a->keys[i]);
                return false;
            }
        }
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------------
 * Building the job from job_kwargs
 */

/* A JSON value as the CLI would pass it. */
static void
value_text(char *buf, size_t len, const struct jv *v)
{
    size_t pos = 0;
    switch (v->t) {
    case J_NULL:
        (void)snprintf(buf, len, "None");
        break;
    case J_BOOL:
        (void)snprintf(buf, len, "%s", v->b ? "True" : "False");
        break;
    case J_ARR:
        buf[0] = '\0';
        for (size_t i = 0; i < v->n && pos < len; i++)
            pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
                                    i > 0 ? "," : "", v->items[i].s);
        break;
    default:
        (void)snprintf(buf, len, "%s", v->s);
        break;
    }
}

static int
apply_kwargs(struct dcn_job *job, enum dcn_kw_group g, const struct jv *o,
             struct dcn_error *err)
{
    int rc = DCN_OK;
    for (size_t i = 0; rc == DCN_OK && i < o->n; i++) {
        char val[1024], kv[1100];
        if (strcmp(o->keys[i], "kwargs_mask") == 0) {
            rc = apply_kwargs(job, DCN_KW_MASK, &o->items[i], err);
            continue;
        }
        value_text(val, sizeof(val), &o->items[i]);
        (void)snprintf(kv, sizeof(kv), "%s=%s", o->keys[i], val);
        rc = dcn_job_set_kw(job, g, kv, err);
    }
    return rc;
}

static int
apply_job_kwargs(struct dcn_job *job, const struct jv *kw,
                 struct dcn_error *err)
{
    static const struct {
        const char *key;
        enum dcn_kw_group g;
    } groups[] = {{"data_kwargs", DCN_KW_DATA},
                  {"background_kwargs", DCN_KW_BACKGROUND},
                  {"segmenter_kwargs", DCN_KW_SEGMENTER},
                  {"feature_kwargs", DCN_KW_FEATURE},
                  {"gate_kwargs", DCN_KW_GATE}};
    const char *s;
    int rc = DCN_OK;

    /* codes before their kwargs */
    if ((s = jstr(kw, "background_code")) != NULL)
        rc = dcn_job_set_background(job, s, err);
    if (rc == DCN_OK && (s = jstr(kw, "segmenter_code")) != NULL)
        rc = dcn_job_set_segmenter(job, s, err);
    if (rc == DCN_OK && (s = jstr(kw, "basin_strategy")) != NULL)
        rc = dcn_job_set_basin_strategy(job, s, err);
    if (rc == DCN_OK && (s = jstr(kw, "compression")) != NULL)
        rc = dcn_job_set_compression(job, s, err);
    for (size_t i = 0; rc == DCN_OK && i < 5; i++) {
        const struct jv *o = jget(kw, groups[i].key);
        if (o != NULL)
            rc = apply_kwargs(job, groups[i].g, o, err);
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * The checks
 */

static const char *
expected_ppid_value(const struct jv *meta, const char *a, const char *b)
{
    const char *s = jstr(meta, a);
    return s != NULL ? s : jstr(meta, b);
}

static void
check_pipeline_attrs(const struct jv *pl, const struct dcn_ppid *p)
{
    static const char *const names[] = {"generation", "data",    "background",
                                        "segmenter",  "feature", "gate",
                                        "hash",       "mapping"};
    const char *mine[] = {p->gen,  p->dat,  p->bg,   p->seg,
                          p->feat, p->gate, p->hash, p->mapping};
    for (int i = 0; i < 8; i++) {
        char key[64];
        (void)snprintf(key, sizeof(key), "pipeline:dcnum %s", names[i]);
        const char *want = jstr(pl, key);
        if (CHECK(want != NULL))
            CHECK_STR_EQ(mine[i], want);
    }
}

/* The measurement id derived from time, date and setup is the prefix of
 * the run identifier (format.md D2: but for one file). */
static void
check_measurement_id(const struct jv *ra, const char *in, const char *prefix)
{
    char mid[DCN_MEASUREMENT_ID_MAX];
    int rc = dcn_measurement_identifier(mid, NULL, jstr(ra, "experiment:time"),
                                        jstr(ra, "experiment:date"),
                                        jstr(ra, "setup:identifier"));
    const char *want = prefix;

    CHECK_EQ(rc, 1);
    if (in != NULL && strcmp(in, "file_with_variable_length_logs.rtdc") == 0)
        want = "12b4490f-6c58-13b1-bddd-5d8e2332b60b"; /* D2 */
    CHECK_STR_EQ(mid, want);
}

static void
check_run_identifier(const struct jv *meta, const struct dcn_ppid *p)
{
    const struct jv *ra = jget(meta, "root_attrs");
    const char *rid = jstr(ra, "experiment:run identifier");
    char mine[DCN_MEASUREMENT_ID_MAX + 16];
    const char *in = jstr(jget(meta, "input"), "file");

    if (!CHECK(rid != NULL))
        return;
    const char *us = strstr(rid, "_dcn-");
    size_t plen = us != NULL ? (size_t)(us - rid) : 0;
    char prefix[DCN_MEASUREMENT_ID_MAX];
    (void)snprintf(prefix, sizeof(prefix), "%.*s", (int)plen, rid);
    /* the input's own run identifier gives the same result */
    CHECK_EQ(dcn_run_identifier(mine, sizeof(mine), prefix, p->hash), DCN_OK);
    CHECK_STR_EQ(mine, rid);
    /* where the prefix was derived from time, date and setup */
    if (plen == 36)
        check_measurement_id(ra, in, prefix);
}

static void
check_job_log(const struct jv *meta, const struct dcn_job *job,
              const struct dcn_ppid *p)
{
    const struct jv *res = jget(meta, "job_kwargs_resolved");
    const struct jv *num = jget(res, "num_procs");
    struct dcn__job_log_info info = {
            jstr(res, "path_out"), num != NULL ? (int)num->num : 0, true, true};
    char *text = NULL;
    struct jv log;
    const char *q;

    if (!CHECK(res != NULL))
        return;
    if (!CHECK(dcn__job_log_text(&text, job, p, &info, NULL) == DCN_OK))
        return;
    memset(&log, 0, sizeof(log));
    q = text;
    CHECK_EQ(parse_value(&log, &q), 0);
    const struct jv *mine = jget(&log, "job");
    if (!CHECK(mine != NULL && jv_equal(mine, res)) || mine == NULL ||
        !CHECK(jv_equal(res, mine)))
        (void)fprintf(stderr, "    job log differs from job_kwargs_resolved\n");
    jv_free(&log);
    dcn__free(text);
}

/* td_path() of "reference/<dir>/<variant>/meta.json"; 0 or -1. */
static int
meta_path(char path[PATH_MAX], const char *dir, const char *variant)
{
    char rel[PATH_MAX];
    int len = snprintf(rel, sizeof(rel), "reference/%s/%s/meta.json", dir,
                       variant);

    if (len < 0 || (size_t)len >= sizeof(rel))
        return -1;
    td_path(path, rel);
    return 0;
}

/* The input's pixel size; 0 or -1. */
static int
input_pixel_size(double *ps, const char *in)
{
    char rel[PATH_MAX], path[PATH_MAX];
    int len = snprintf(rel, sizeof(rel), "inputs/%s", in != NULL ? in : "");

    if (len < 0 || (size_t)len >= sizeof(rel))
        return -1;
    return td_attr_double(ps, td_path(path, rel), "imaging:pixel size");
}

/* The job of a reference run: meta.json's job_kwargs through the text
 * setters, as the CLI would, and the input's pixel size. */
static void
build_job(struct dcn_job *job, const struct jv *meta, const char *dir,
          const char *variant)
{
    struct dcn_error err = DCN_ERROR_INIT;
    const char *in = jstr(jget(meta, "input"), "file");
    const struct jv *want_ps =
            jget(jget(jget(meta, "job_kwargs_resolved"), "data_kwargs"),
                 "pixel_size");
    double ps = 0;

    CHECK_EQ(input_pixel_size(&ps, in), 0);
    dcn_job_init(job);
    if (!CHECK(apply_job_kwargs(job, jget(meta, "job_kwargs"), &err) == 0))
        (void)fprintf(stderr, "    %s/%s: %s\n", dir, variant, err.msg);
    CHECK_EQ(dcn_job_set_path_in(job, in, &err), DCN_OK);
    dcn_job_resolve_pixel_size(job, ps);
    CHECK_DBL_IDENT(job->pixel_size, want_ps != NULL ? want_ps->num : NAN);
}

/* Are the PPID and its hash dcnum's? */
static int
same_ppid(const struct jv *meta, const struct dcn_ppid *p)
{
    const char *want = expected_ppid_value(meta, "ppid", "ppid_expected");
    const char *hash = expected_ppid_value(meta, "pphash", "pphash_expected");

    return want != NULL && hash != NULL && strcmp(p->full, want) == 0 &&
           strcmp(p->hash, hash) == 0;
}

static int
run_variant(const char *dir, const char *variant)
{
    char path[PATH_MAX];
    struct jv meta;
    struct dcn_job job;
    struct dcn_ppid p;
    struct dcn_error err = DCN_ERROR_INIT;
    int same;

    if (!CHECK(meta_path(path, dir, variant) == 0 &&
               load_json(&meta, path) == 0))
        return 0;
    build_job(&job, &meta, dir, variant);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    same = same_ppid(&meta, &p);
    if (!CHECK(same))
        (void)fprintf(stderr, "    %s/%s: %s %s\n", dir, variant, p.full,
                      p.hash);
    const struct jv *pl = jget(&meta, "pipeline");
    if (pl != NULL && pl->n > 0) {
        check_pipeline_attrs(pl, &p);
        check_run_identifier(&meta, &p);
    }
    check_job_log(&meta, &job, &p);
    dcn_job_release(&job);
    jv_free(&meta);
    return same;
}

static int
not_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Sorted subdirectory names of path (caller frees each and the array). */
static size_t
list_dirs(char ***out, const char *path)
{
    struct dirent **entries = NULL;
    int n = scandir(path, &entries, not_hidden, by_name);
    size_t k = 0;

    *out = NULL;
    if (n <= 0) {
        free(entries);
        return 0;
    }
    *out = malloc((size_t)n * sizeof(**out));
    for (int i = 0; i < n; i++) {
        if (*out != NULL)
            (*out)[k++] = strdup(entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return k;
}

int
main(void)
{
    char path[PATH_MAX], sub[PATH_MAX + 300];
    char **dirs = NULL;
    size_t nd = list_dirs(&dirs, td_path(path, "reference"));
    size_t total = 0, same = 0;

    for (size_t i = 0; i < nd; i++) {
        char **vars = NULL;
        (void)snprintf(sub, sizeof(sub), "%s/%s", path, dirs[i]);
        size_t nv = list_dirs(&vars, sub);
        for (size_t j = 0; j < nv; j++) {
            total++;
            same += (size_t)run_variant(dirs[i], vars[j]);
            free(vars[j]);
        }
        free(vars);
        free(dirs[i]);
    }
    free(dirs);
    printf("ppid+hash identical for %zu/%zu reference variants\n", same, total);
    CHECK(total >= 17);
    CHECK_EQ(same, total);
    return check_report();
}
