/* SPDX-License-Identifier: MIT */
/*
 * ppid.c - dcnum's pipeline identifiers (numerics.md §6).
 *
 * Each component id is "<code>:<kwargs>" where <kwargs> lists the
 * keyword-only arguments of one dcnum method in declaration order as
 * "abbr=value" joined by '^'.  The abbreviations come from dcnum's
 * get_unique_prefix (computed here from the names, not hard-coded), the
 * values are printed as Python prints them (bools 1/0, integral floats
 * as integers, other floats as repr).  The data id is custom:
 * "hdf:p=<%.8f, zeros stripped>^i=<mapping id>".  The full PPID joins
 * generation, data, background, segmenter, feature and gate ids with
 * '|'; its md5 is the pipeline hash.  The decoder inverts the ids
 * (get_ppkw_from_ppid) and the redo decision compares stored ids with
 * the job's (§6.6).
 */
#include "ppid.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "alloc.h"
#include "dcnumc/dcnumc.h"
#include "md5.h"

#define KW(field, type)                                                     \
    {                                                                       \
#field, type, offsetof(struct dcn_job, field), DCN__KW_NOT_NULLABLE \
    }

static const struct dcn__kw_desc sparsemed_kw[] = {
        {"kernel_size", DCN__KW_INT,
         offsetof(struct dcn_job, sparsemed.kernel_size), DCN__KW_NOT_NULLABLE},
        {"split_time", DCN__KW_FLOAT,
         offsetof(struct dcn_job, sparsemed.split_time), DCN__KW_NOT_NULLABLE},
        {"thresh_cleansing", DCN__KW_FLOAT,
         offsetof(struct dcn_job, sparsemed.thresh_cleansing),
         DCN__KW_NOT_NULLABLE},
        {"frac_cleansing", DCN__KW_FLOAT,
         offsetof(struct dcn_job, sparsemed.frac_cleansing),
         DCN__KW_NOT_NULLABLE},
        {"offset_correction", DCN__KW_BOOL,
         offsetof(struct dcn_job, sparsemed.offset_correction),
         DCN__KW_NOT_NULLABLE},
};

static const struct dcn__kw_desc rollmed_kw[] = {
        {"kernel_size", DCN__KW_INT,
         offsetof(struct dcn_job, rollmed.kernel_size), DCN__KW_NOT_NULLABLE},
        {"batch_size", DCN__KW_INT,
         offsetof(struct dcn_job, rollmed.batch_size), DCN__KW_NOT_NULLABLE},
};

static const struct dcn__kw_desc thresh_kw[] = {
        KW(thresh, DCN__KW_FLOAT),
};

/* segment_algorithm(image, *, model_file) of torchmpo and torchsto */
static const struct dcn__kw_desc model_kw[] = {
        KW(model_file, DCN__KW_STRING),
};

static const struct dcn__kw_desc mask_kw[] = {
        KW(clear_border, DCN__KW_BOOL),
        KW(fill_holes, DCN__KW_BOOL),
        KW(closing_disk, DCN__KW_INT),
};

static const struct dcn__kw_desc feature_kw[] = {
        KW(brightness, DCN__KW_BOOL),
        KW(haralick, DCN__KW_BOOL),
        KW(volume, DCN__KW_BOOL),
};

static const struct dcn__kw_desc gate_kw[] = {
        KW(online_gates, DCN__KW_BOOL),
        {"size_thresh_mask", DCN__KW_INT,
         offsetof(struct dcn_job, size_thresh_mask),
         offsetof(struct dcn_job, size_thresh_mask_none)},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct dcn__kw_table tables[] = {
        {"background_kwargs", sparsemed_kw, NELEM(sparsemed_kw)},
        {"background_kwargs", rollmed_kw, NELEM(rollmed_kw)},
        {"background_kwargs", NULL, 0},
        {"segmenter_kwargs", thresh_kw, NELEM(thresh_kw)},
        {"kwargs_mask", mask_kw, NELEM(mask_kw)},
        {"feature_kwargs", feature_kw, NELEM(feature_kw)},
        {"gate_kwargs", gate_kw, NELEM(gate_kw)},
        {"segmenter_kwargs", model_kw, NELEM(model_kw)},
};

const struct dcn__kw_table *
dcn__kw_table(enum dcn_kw_group group, const struct dcn_job *job)
{
    switch (group) {
    case DCN_KW_BACKGROUND:
        return &tables[job->background_code];
    case DCN_KW_SEGMENTER:
        return job->segmenter_code == DCN_SEGMENTER_THRESH ? &tables[3]
                                                           : &tables[7];
    case DCN_KW_MASK:
        return &tables[4];
    case DCN_KW_FEATURE:
        return &tables[5];
    case DCN_KW_GATE:
        return &tables[6];
    default:
        return NULL;
    }
}

const char *
dcn__segmenter_name(enum dcn_segmenter_code code)
{
    static const char *const names[] = {"thresh", "torchmpo", "torchsto"};
    return names[code];
}

const char *
dcn__background_name(enum dcn_background_code bg)
{
    static const char *const names[] = {"sparsemed", "rollmed", "copy"};
    return names[bg];
}

/* ---------------------------------------------------------------------
 * Abbreviations
 */

static size_t
common_prefix(const char *a, const char *b)
{
    size_t c = 0;
    while (a[c] != '\0' && a[c] == b[c])
        c++;
    return c;
}

/* dcnum's AbrvStr.meet of names i and j: a is the shorter name (the
 * other one on a tie), b the longer; raise their required lengths. */
static void
meet(size_t *lens, const char *const *names, size_t i, size_t j)
{
    size_t li = strlen(names[i]);
    size_t lj = strlen(names[j]);
    size_t ia = li >= lj ? j : i;
    size_t ib = li >= lj ? i : j;
    size_t la = li >= lj ? lj : li;
    size_t c = common_prefix(names[ia], names[ib]);
    size_t al = c < la ? c + 1 : la;
    size_t bl = c < la ? c + 1 : la + 1;
    if (al > lens[ia])
        lens[ia] = al;
    if (bl > lens[ib])
        lens[ib] = bl;
}

void
dcn__unique_prefix(size_t *lens, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lens[i] = 1;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (i != j)
                meet(lens, names, i, j);
        }
    }
}

/* ---------------------------------------------------------------------
 * Value formatting
 */

static int
put(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + n + 1 > len)
        return DCN_ERANGE;
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
    return DCN_OK;
}

static int
put_char(char *buf, size_t len, size_t *pos, char c)
{
    char s[2] = {c, '\0'};
    return put(buf, len, pos, s);
}

/* Shortest "%.*e" that reads back as x: digits into d (no dot, no
 * trailing zeros), decimal exponent into *e. */
static void
shortest_digits(char d[24], int *e, double x)
{
    char tmp[40] = "0e+00";
    memset(d, 0, 24);
    for (int p = 1; p <= 17; p++) {
        (void)snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    size_t k = 0;
    const char *s = tmp;
    for (; *s != 'e'; s++) {
        if (isdigit((unsigned char)*s))
            d[k++] = *s;
    }
    while (k > 1 && d[k - 1] == '0')
        k--;
    d[k] = '\0';
    *e = (int)strtol(s + 1, NULL, 10);
}

static int
repr_fixed(char *buf, size_t len, size_t *pos, const char *d, int e)
{
    int rc = DCN_OK;
    int nd = (int)strlen(d);
    if (e < 0) {
        rc = put(buf, len, pos, "0.");
        for (int i = 0; rc == DCN_OK && i < -e - 1; i++)
            rc = put_char(buf, len, pos, '0');
        return rc == DCN_OK ? put(buf, len, pos, d) : rc;
    }
    for (int i = 0; rc == DCN_OK && i <= e; i++) {
        char c = '0';
        if (i < nd)
            c = d[i];
        rc = put_char(buf, len, pos, c);
    }
    if (rc == DCN_OK)
        rc = put_char(buf, len, pos, '.');
    if (rc == DCN_OK && nd <= e + 1)
        rc = put_char(buf, len, pos, '0');
    for (int i = e + 1; rc == DCN_OK && i < nd; i++)
        rc = put_char(buf, len, pos, d[i]);
    return rc;
}

int
dcn__repr_double(char *buf, size_t len, double x)
{
    size_t pos = 0;
    if (len > 0)
        buf[0] = '\0';
    if (isnan(x))
        return put(buf, len, &pos, "nan");
    if (isinf(x))
        return put(buf, len, &pos, x < 0 ? "-inf" : "inf");
    if (signbit(x)) {
        if (put_char(buf, len, &pos, '-') != DCN_OK)
            return DCN_ERANGE;
        x = -x;
    }
    char d[24] = {0};
    int e = 0;
    if (x == 0.0) {
        d[0] = '0';
        d[1] = '\0';
    } else {
        shortest_digits(d, &e, x);
    }
    /* Python's repr: positional for -4 <= exponent < 16. */
    if (e >= -4 && e < 16)
        return repr_fixed(buf, len, &pos, d, e);
    char tail[16];
    int rc = put_char(buf, len, &pos, d[0]);
    if (rc == DCN_OK && d[1] != '\0')
        rc = put_char(buf, len, &pos, '.');
    if (rc == DCN_OK)
        rc = put(buf, len, &pos, d + 1);
    (void)snprintf(tail, sizeof(tail), "e%c%02d", e < 0 ? '-' : '+',
                   e < 0 ? -e : e);
    return rc == DCN_OK ? put(buf, len, &pos, tail) : rc;
}

int
dcn__ppid_float(char *buf, size_t len, double x)
{
    if (isfinite(x) && x == trunc(x)) {
        /* Python's int(val); -0.0 becomes 0. */
        int n = snprintf(buf, len, "%.0f", x == 0.0 ? 0.0 : x);
        return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
    }
    return dcn__repr_double(buf, len, x);
}

int
dcn__ppid_pixel_size(char *buf, size_t len, double ps)
{
    int n = snprintf(buf, len, "%.8f", ps);
    if (n < 0 || (size_t)n >= len)
        return DCN_ERANGE;
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    return DCN_OK;
}

static void
slice_part(char *s, size_t len, bool has, int64_t v)
{
    if (has)
        (void)snprintf(s, len, "%lld", (long long)v);
    else
        (void)snprintf(s, len, "n");
}

int
dcn__ppid_mapping(char *buf, size_t len, const struct dcn_index_mapping *m)
{
    char a[24], b[24], c[24];
    int n = 0;
    switch (m->kind) {
    case DCN_MAPPING_NONE:
        n = snprintf(buf, len, "0");
        break;
    case DCN_MAPPING_COUNT:
        n = snprintf(buf, len, "%lld", (long long)m->count);
        break;
    case DCN_MAPPING_SLICE:
        slice_part(a, sizeof(a), m->has_start, m->start);
        slice_part(b, sizeof(b), m->has_stop, m->stop);
        slice_part(c, sizeof(c), m->has_step, m->step);
        n = snprintf(buf, len, "%s-%s-%s", a, b, c);
        break;
    case DCN_MAPPING_LIST: {
        struct dcn_md5 ctx;
        uint8_t digest[16];
        char hex[33];
        dcn__md5_init(&ctx);
        for (size_t i = 0; i < m->nindices; i++) {
            uint32_t v = m->indices[i];
            uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                             (uint8_t)(v >> 24)};
            dcn__md5_update(&ctx, le, sizeof(le));
        }
        dcn__md5_final(&ctx, digest);
        dcn__md5_digest_hex(hex, digest);
        n = snprintf(buf, len, "h-%.8s", hex);
        break;
    }
    }
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

static const void *
field(const struct dcn_job *job, size_t offset)
{
    return (const char *)job + offset;
}

/* TorchSegmenterBase.get_ppid_from_ppkw: an existing file by its name
 * only, anything else as given ("None" when unset). */
static int
model_file_id(char *buf, size_t len, const char *path)
{
    struct stat st;
    const char *slash = path != NULL ? strrchr(path, '/') : NULL;
    int n;

    if (path != NULL && slash != NULL && stat(path, &st) == 0)
        path = slash + 1;
    n = snprintf(buf, len, "%s", path != NULL ? path : "None");
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

static int
format_value(char *buf, size_t len, const struct dcn__kw_desc *k,
             const struct dcn_job *job)
{
    int n;
    if (k->none_offset != DCN__KW_NOT_NULLABLE &&
        *(const bool *)field(job, k->none_offset)) {
        n = snprintf(buf, len, "None");
        return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
    }
    switch (k->type) {
    case DCN__KW_BOOL:
        n = snprintf(buf, len, "%d",
                     *(const bool *)field(job, k->offset) ? 1 : 0);
        break;
    case DCN__KW_INT:
        n = snprintf(buf, len, "%lld",
                     (long long)*(const int64_t *)field(job, k->offset));
        break;
    case DCN__KW_STRING:
        return model_file_id(buf, len, *(char *const *)field(job, k->offset));
    default:
        return dcn__ppid_float(buf, len,
                               *(const double *)field(job, k->offset));
    }
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

#define MAX_KW 8

int
dcn__kwargs_to_ppid(char *buf, size_t len, const struct dcn__kw_table *t,
                    const struct dcn_job *job)
{
    const char *names[MAX_KW] = {NULL};
    size_t lens[MAX_KW] = {0};
    size_t pos = 0;
    int rc = len > 0 ? DCN_OK : DCN_ERANGE;

    if (len > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < t->n; i++)
        names[i] = t->kw[i].name;
    dcn__unique_prefix(lens, names, t->n);
    for (size_t i = 0; rc == DCN_OK && i < t->n; i++) {
        char abbr[64], val[DCN_PPID_PART_MAX];
        (void)snprintf(abbr, sizeof(abbr), "%.*s", (int)lens[i], names[i]);
        rc = format_value(val, sizeof(val), &t->kw[i], job);
        if (rc == DCN_OK && i > 0)
            rc = put_char(buf, len, &pos, '^');
        if (rc == DCN_OK)
            rc = put(buf, len, &pos, abbr);
        if (rc == DCN_OK)
            rc = put_char(buf, len, &pos, '=');
        if (rc == DCN_OK)
            rc = put(buf, len, &pos, val);
    }
    return rc;
}

/* ---------------------------------------------------------------------
 * Value parsing
 */

static bool
is_number_text(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (!isdigit((unsigned char)*s) && strchr("+-.eE", *s) == NULL)
            return false;
    }
    return true;
}

int
dcn__parse_double(double *out, const char *text)
{
    char *end = NULL;
    if (!is_number_text(text))
        return -1;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int
dcn__parse_int64(int64_t *out, const char *text)
{
    char *end = NULL;
    const char *s = text;
    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int
dcn__parse_bool(bool *out, const char *text)
{
    double v;
    if (strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(text, "false") == 0 || strcasecmp(text, "no") == 0) {
        *out = false;
        return 0;
    }
    if (dcn__parse_double(&v, text) != 0)
        return -1;
    *out = v != 0.0;
    return 0;
}

int
dcn__kw_parse_value(struct dcn_job *job, const struct dcn__kw_desc *k,
                    const char *text)
{
    void *dst = (char *)job + k->offset;
    bool nullable = k->none_offset != DCN__KW_NOT_NULLABLE;
    bool b;
    int64_t i;
    double f;

    if (nullable && strcmp(text, "None") == 0) {
        *(bool *)((char *)job + k->none_offset) = true;
        return 0;
    }
    switch (k->type) {
    case DCN__KW_BOOL:
        if (dcn__parse_bool(&b, text) != 0)
            return -1;
        *(bool *)dst = b;
        break;
    case DCN__KW_INT:
        if (dcn__parse_int64(&i, text) != 0)
            return -1;
        *(int64_t *)dst = i;
        break;
    case DCN__KW_STRING: {
        char *copy = dcn__strdup(text);
        if (copy == NULL)
            return -1;
        dcn__free(*(char **)dst);
        *(char **)dst = copy;
        break;
    }
    default:
        if (dcn__parse_double(&f, text) != 0)
            return -1;
        *(double *)dst = f;
        break;
    }
    if (nullable)
        *(bool *)((char *)job + k->none_offset) = false;
    return 0;
}

/* ---------------------------------------------------------------------
 * Component ids
 */

static int
component(char *buf, size_t len, const char *code,
          const struct dcn__kw_table *t, const struct dcn_job *job)
{
    char kw[DCN_PPID_PART_MAX];
    int rc = dcn__kwargs_to_ppid(kw, sizeof(kw), t, job);
    if (rc != DCN_OK)
        return rc;
    int n = snprintf(buf, len, "%s:%s", code, kw);
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

static int
data_id(char *buf, size_t len, const struct dcn_job *job)
{
    char p[DCN_PPID_PART_MAX], i[DCN_PPID_PART_MAX];
    int rc = dcn__ppid_pixel_size(p, sizeof(p), job->pixel_size);
    if (rc == DCN_OK)
        rc = dcn__ppid_mapping(i, sizeof(i), &job->index_mapping);
    if (rc != DCN_OK)
        return rc;
    int n = snprintf(buf, len, "hdf:p=%s^i=%s", p, i);
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

static int
segmenter_id(char *buf, size_t len, const struct dcn_job *job)
{
    char t[DCN_PPID_PART_MAX], m[DCN_PPID_PART_MAX];
    int rc = dcn__kwargs_to_ppid(t, sizeof(t),
                                 dcn__kw_table(DCN_KW_SEGMENTER, job), job);
    if (rc == DCN_OK)
        rc = dcn__kwargs_to_ppid(m, sizeof(m), dcn__kw_table(DCN_KW_MASK, job),
                                 job);
    if (rc != DCN_OK)
        return rc;
    int n = snprintf(buf, len, "%s:%s:%s",
                     dcn__segmenter_name(job->segmenter_code), t, m);
    return n >= 0 && (size_t)n < len ? DCN_OK : DCN_ERANGE;
}

static int
gate_id(char *buf, size_t len, const struct dcn_job *job)
{
    /* Gate.get_ppid_from_ppkw: None becomes the default 10 (an explicit
     * 0 stays 0 in the id, though the gate then uses 10). */
    struct dcn_job tmp = *job;
    if (tmp.size_thresh_mask_none) {
        tmp.size_thresh_mask_none = false;
        tmp.size_thresh_mask = 10;
    }
    return component(buf, len, "norm", dcn__kw_table(DCN_KW_GATE, job), &tmp);
}

void
dcn_pipeline_hash(char hash[33], const char *const ids[6])
{
    struct dcn_md5 ctx;
    uint8_t digest[16];

    dcn__md5_init(&ctx);
    for (int i = 0; i < 6; i++) {
        const char *s = ids[i] != NULL ? ids[i] : "0";
        if (i > 0)
            dcn__md5_update(&ctx, "|", 1);
        dcn__md5_update(&ctx, s, strlen(s));
    }
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(hash, digest);
}

static int
join_ids(struct dcn_ppid *out)
{
    int n = snprintf(out->full, sizeof(out->full), "%s|%s|%s|%s|%s|%s",
                     out->gen, out->dat, out->bg, out->seg, out->feat,
                     out->gate);
    if (n < 0 || (size_t)n >= sizeof(out->full))
        return DCN_ERANGE;
    const char *const ids[6] = {out->gen, out->dat,  out->bg,
                                out->seg, out->feat, out->gate};
    dcn_pipeline_hash(out->hash, ids);
    return DCN_OK;
}

int
dcn_job_get_ppid(struct dcn_ppid *out, const struct dcn_job *job,
                 struct dcn_error *err)
{
    int rc;
    if (out == NULL || job == NULL)
        return dcn_error_set(err, DCN_EINVAL, "dcn_job_get_ppid: NULL");
    memset(out, 0, sizeof(*out));
    if (!job->has_pixel_size)
        return dcn_error_set(err, DCN_EINVAL,
                             "data_kwargs: pixel_size unknown (take it "
                             "from the input or set it)");
    (void)snprintf(out->gen, sizeof(out->gen), "%s", DCN_PIPELINE_GENERATION);
    rc = data_id(out->dat, sizeof(out->dat), job);
    if (rc == DCN_OK)
        rc = component(out->bg, sizeof(out->bg),
                       dcn__background_name(job->background_code),
                       dcn__kw_table(DCN_KW_BACKGROUND, job), job);
    if (rc == DCN_OK)
        rc = segmenter_id(out->seg, sizeof(out->seg), job);
    if (rc == DCN_OK)
        rc = component(out->feat, sizeof(out->feat), "legacy",
                       dcn__kw_table(DCN_KW_FEATURE, job), job);
    if (rc == DCN_OK)
        rc = gate_id(out->gate, sizeof(out->gate), job);
    if (rc == DCN_OK)
        rc = dcn__ppid_mapping(out->mapping, sizeof(out->mapping),
                               &job->index_mapping);
    if (rc == DCN_OK)
        rc = join_ids(out);
    if (rc != DCN_OK)
        return dcn_error_set(err, DCN_EINVAL,
                             "pipeline identifier too long (pixel_size %g?)",
                             job->pixel_size);
    return DCN_OK;
}

/* ---------------------------------------------------------------------
 * Redo decision (numerics.md §6.6)
 */

static bool
differs(const char *stored, const char *job)
{
    return strcmp(stored != NULL ? stored : "0", job) != 0;
}

void
dcn_ppid_redo(struct dcn_redo *out, const struct dcn_ppid_stored *st,
              bool input_has_image_bg, uint64_t input_len,
              const struct dcn_job *job, const struct dcn_ppid *ids)
{
    char hash[33];
    int64_t yield = st->has_yield ? st->yield : -1;

    const char *const ids_stored[6] = {st->gen, st->dat,  st->bg,
                                       st->seg, st->feat, st->gate};
    dcn_pipeline_hash(hash, ids_stored);
    out->sanity = differs(st->hash, hash) || yield < 0 ||
                  (uint64_t)yield != input_len ||
                  job->index_mapping.kind != DCN_MAPPING_NONE;
    out->background = !input_has_image_bg || differs(st->gen, ids->gen) ||
                      differs(st->dat, ids->dat) || differs(st->bg, ids->bg);
    out->segmentation =
            out->sanity || out->background || differs(st->seg, ids->seg) ||
            differs(st->feat, ids->feat) || differs(st->gate, ids->gate);
}

/* ---------------------------------------------------------------------
 * Measurement and run identifiers (format.md §1.9, §3.6)
 */

static bool
given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

int
dcn_measurement_identifier(char out[DCN_MEASUREMENT_ID_MAX], const char *run_id,
                           const char *time, const char *date,
                           const char *setup_id)
{
    struct dcn_md5 ctx;
    uint8_t digest[16];
    char h[33];

    if (given(run_id)) {
        int n = snprintf(out, DCN_MEASUREMENT_ID_MAX, "%s", run_id);
        return n >= 0 && n < DCN_MEASUREMENT_ID_MAX ? 1 : DCN_ERANGE;
    }
    if (!given(time) || !given(date) || !given(setup_id))
        return 0;
    dcn__md5_init(&ctx);
    dcn__md5_update(&ctx, time, strlen(time));
    dcn__md5_update(&ctx, "_", 1);
    dcn__md5_update(&ctx, date, strlen(date));
    dcn__md5_update(&ctx, "_", 1);
    dcn__md5_update(&ctx, setup_id, strlen(setup_id));
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(h, digest);
    (void)snprintf(out, DCN_MEASUREMENT_ID_MAX, "%.8s-%.4s-%.4s-%.4s-%.12s", h,
                   h + 8, h + 12, h + 16, h + 20);
    return 1;
}

int
dcn_run_identifier(char *out, size_t outlen, const char *mid, const char *hash)
{
    int n = given(mid) ? snprintf(out, outlen, "%s_dcn-%.7s", mid, hash)
                       : snprintf(out, outlen, "dcn-%.7s", hash);
    return n >= 0 && (size_t)n < outlen ? DCN_OK : DCN_ERANGE;
}
