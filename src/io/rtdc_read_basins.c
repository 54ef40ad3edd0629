/* SPDX-License-Identifier: MIT */
/*
 * rtdc_read_basins.c - where a frame's feature data are: the index
 * mapping (format.md §1.7), basins and their mappings (§1.8; D1, D2, D6,
 * D15), and locating a feature.
 *
 * The index mapping (a count, a slice or a list) turns the N events into
 * the reader's frames: r->idx[j] is the raw index of frame j.  Basin
 * definitions are JSON texts in /basins, sorted (internal first, then by
 * name, then by key) and resolved once at open: an internal basin to a
 * group of the file, a file basin to the first of its paths that opens
 * and has the identifier it names; others are dropped with a warning.  A
 * feature comes from the file's own /events, else from the first usable
 * basin that lists it, through the basin's basinmapN and, where a basin
 * file keeps it in its own internal basin, through that mapping too (D6).
 */
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "rtdc_json.h"
#include "rtdc_read_internal.h"

/* A resolved basin at run time. */
struct basin_rt {
    struct dcn_basin_desc *d; /* borrowed from r->basins */
    hid_t file;               /* r->file for internal basins (not owned) */
    bool file_owned;
    char group[PATH_CAP]; /* "events" or the internal basin's group */
    bool rows_ready;
    uint64_t *rows; /* per mapped frame; NULL = the referrer's rows */
};

DCN_PRINTF(2, 3)
static void
warn(struct dcn_rtdc *r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    /* A longer warning is cut to the buffer, never overflowed. */
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)dcn__rd_strv_push(&r->warnings, &r->nwarnings, buf);
}

static bool
file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- basin definitions (/basins) ------------------------------------- */

void
dcn__rd_basin_desc_release(struct dcn_basin_desc *d)
{
    dcn__free(d->key);
    dcn__free(d->name);
    dcn__free(d->type);
    dcn__free(d->format);
    dcn__free(d->mapping);
    dcn__free(d->identifier);
    dcn__rd_strv_free(d->paths, d->npaths);
    dcn__rd_strv_free(d->features, d->nfeatures);
    dcn__free(d->resolved);
}

static char *
json_str_dup(const struct dcn_json_object *o, const char *key)
{
    const struct dcn_json_member *m = dcn_json_get(o, key);

    if (m == NULL || m->kind != DCN_JSON_STRING)
        return NULL;
    return dcn__strdup(m->str);
}

static int
json_strv_dup(const struct dcn_json_object *o, const char *key, char ***v,
              size_t *n, bool *present)
{
    const struct dcn_json_member *m = dcn_json_get(o, key);

    *v = NULL;
    *n = 0;
    *present = m != NULL && m->kind == DCN_JSON_ARRAY;
    if (!*present)
        return DCN_OK;
    for (size_t i = 0; i < m->nitems; i++)
        if (dcn__rd_strv_push(v, n, m->items[i]) < 0)
            return DCN_ENOMEM;
    return DCN_OK;
}

/* lines joined by '\n' into text (sized by the caller); its length. */
static size_t
join_lines(char *text, char *const *lines, size_t nlines)
{
    size_t total = 0;

    for (size_t i = 0; i < nlines; i++) {
        size_t l = strlen(lines[i]);

        memcpy(text + total, lines[i], l);
        total += l;
        if (i + 1 < nlines)
            text[total++] = '\n';
    }
    text[total] = '\0';
    return total;
}

/* The lines of the string dataset path joined by '\n' (owned). */
static int
read_joined_text(hid_t file, const char *fname, const char *path, char **text,
                 size_t *len, struct dcn_error *err)
{
    char **lines = NULL;
    size_t nlines = 0;
    size_t total = 0;
    int rc;

    *text = NULL;
    *len = 0;
    rc = dcn__rd_read_string_lines(file, path, fname, &lines, &nlines, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nlines; i++)
        total += strlen(lines[i]) + 1;
    *text = dcn__malloc(total + 1);
    if (*text == NULL) {
        dcn__rd_strv_free(lines, nlines);
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
    }
    *len = join_lines(*text, lines, nlines);
    dcn__rd_strv_free(lines, nlines);
    return DCN_OK;
}

/* The fields of a parsed basin definition into d; DCN_ENOMEM or OK. */
static int
basin_desc_from_json(struct dcn_basin_desc *d, const char *key,
                     const struct dcn_json_object *obj)
{
    const struct dcn_json_member *mm;
    bool present;
    int rc;

    d->key = dcn__strdup(key);
    d->name = json_str_dup(obj, "name");
    d->type = json_str_dup(obj, "type");
    d->format = json_str_dup(obj, "format");
    d->identifier = json_str_dup(obj, "identifier");
    mm = dcn_json_get(obj, "mapping");
    if (mm != NULL && mm->kind == DCN_JSON_STRING &&
        strcmp(mm->str, "same") != 0) /* D1 */
        d->mapping = dcn__strdup(mm->str);
    rc = json_strv_dup(obj, "paths", &d->paths, &d->npaths, &present);
    if (rc == 0)
        rc = json_strv_dup(obj, "features", &d->features, &d->nfeatures,
                           &d->features_listed);
    return rc < 0 || d->key == NULL ? DCN_ENOMEM : DCN_OK;
}

/* Read and parse the basin definition /basins/<key> into d. */
static int
read_basin_desc(hid_t file, const char *fname, const char *key,
                struct dcn_basin_desc *d, struct dcn_error *err)
{
    char path[PATH_CAP];
    char *text;
    size_t total = 0;
    size_t where = 0;
    struct dcn_json_object obj;
    int rc;

    if (!dcn__rd_path_fmt(path, sizeof path, "/basins/%s", key))
        return dcn_error_set(err, DCN_EIO, "%s: path too long: /basins/%s",
                             fname, key);
    rc = read_joined_text(file, fname, path, &text, &total, err);
    if (rc < 0)
        return rc;
    rc = dcn_json_parse(&obj, text, total, &where);
    dcn__free(text);
    if (rc < 0) {
        dcn_json_object_release(&obj);
        return dcn_error_set(err, rc == DCN_ENOMEM ? DCN_ENOMEM : DCN_EFORMAT,
                             "%s: basin definition %s is not valid JSON "
                             "(byte %zu)",
                             fname, path, where);
    }
    rc = basin_desc_from_json(d, key, &obj);
    dcn_json_object_release(&obj);
    if (rc < 0)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
    return DCN_OK;
}

/* Read and parse the basin definitions of file (all, in key order). */
static int
read_basin_descs(hid_t file, const char *fname, struct dcn_basin_desc **out,
                 size_t *nout, struct dcn_error *err)
{
    char **keys = NULL;
    size_t nkeys = 0;
    struct dcn_basin_desc *v = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    *nout = 0;
    rc = dcn__rd_list_group(file, "/basins", fname, &keys, &nkeys, err);
    if (rc < 0)
        return rc;
    if (nkeys > 0) {
        v = dcn__calloc(nkeys, sizeof *v);
        if (v == NULL) {
            rc = dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", fname);
            goto out;
        }
    }
    /* a failed definition counts, so that its fields are released */
    for (size_t k = 0; k < nkeys && rc == DCN_OK; k++, n++)
        rc = read_basin_desc(file, fname, keys[k], &v[k], err);
out:
    dcn__rd_strv_free(keys, nkeys);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            dcn__rd_basin_desc_release(&v[i]);
        dcn__free(v);
        return rc;
    }
    *out = v;
    *nout = n;
    return DCN_OK;
}

/* ---- resolving basins ------------------------------------------------ */

static enum dcn_basin_type
basin_type(const struct dcn_basin_desc *d)
{
    if (d->type != NULL && strcmp(d->type, "internal") == 0)
        return DCN_BASIN_INTERNAL;
    if (d->type != NULL && strcmp(d->type, "file") == 0)
        return DCN_BASIN_FILE;
    return DCN_BASIN_OTHER;
}

static int
basin_order(const struct dcn_basin_desc *a, const struct dcn_basin_desc *b)
{
    int ta = basin_type(a) == DCN_BASIN_INTERNAL ? 0 : 1;
    int tb = basin_type(b) == DCN_BASIN_INTERNAL ? 0 : 1;

    if (ta != tb)
        return ta - tb;
    return strcmp(a->name != NULL ? a->name : "",
                  b->name != NULL ? b->name : "");
}

/* Stable insertion sort (few basins): §1.8 order. */
static void
sort_basins(struct dcn_basin_desc *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct dcn_basin_desc x = v[i];
        size_t j = i;

        while (j > 0 && basin_order(&v[j - 1], &x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

bool
dcn__rd_is_basinmap(const char *name)
{
    return strncmp(name, "basinmap", 8) == 0;
}

/* Where a basin file's own internal basin keeps a feature (D6). */
struct nested {
    bool found;
    char dpath[PATH_CAP]; /* the feature's dataset */
    char mpath[PATH_CAP]; /* its mapping dataset, "" when unmapped */
};

/* Does the internal basin d of file provide feature?  Then in *out. */
static bool
internal_provides(hid_t file, const struct dcn_basin_desc *d,
                  const char *feature, struct nested *out)
{
    if (basin_type(d) != DCN_BASIN_INTERNAL || d->npaths == 0 ||
        !dcn__rd_strv_has(d->features, d->nfeatures, feature))
        return false;
    if (!dcn__rd_path_fmt(out->dpath, sizeof out->dpath, "/%s/%s", d->paths[0],
                          feature) ||
        !dcn__rd_is_dataset(file, out->dpath))
        return false;
    out->mpath[0] = '\0';
    return d->mapping == NULL ||
           (dcn__rd_path_fmt(out->mpath, sizeof out->mpath, "/events/%s",
                             d->mapping) &&
            dcn__rd_is_dataset(file, out->mpath));
}

/* D6: the internal basin of file that provides feature, or none. */
static int
nested_internal(hid_t file, const char *fname, const char *feature,
                struct nested *out, struct dcn_error *err)
{
    struct dcn_basin_desc *v = NULL;
    size_t n = 0;
    int rc;

    out->found = false;
    rc = read_basin_descs(file, fname, &v, &n, err);
    if (rc < 0)
        return rc;
    sort_basins(v, n);
    for (size_t i = 0; i < n && !out->found; i++)
        out->found = internal_provides(file, &v[i], feature, out);
    for (size_t i = 0; i < n; i++)
        dcn__rd_basin_desc_release(&v[i]);
    dcn__free(v);
    return DCN_OK;
}

void
dcn__rd_close_basin_files(struct dcn_rtdc *r)
{
    for (size_t i = 0; i < r->nbasins; i++) {
        struct basin_rt *b = &r->brt[i];

        if (b->file_owned && b->file >= 0)
            H5Fclose(b->file);
        b->file = H5I_INVALID_HID;
        dcn__free(b->rows);
        b->rows = NULL;
    }
}

static const char *
basin_label(const struct dcn_basin_desc *d)
{
    return d->name != NULL ? d->name : d->key;
}

static int
resolve_internal(struct dcn_rtdc *r, struct dcn_basin_desc *d,
                 struct basin_rt *b, struct dcn_error *err)
{
    const char *label = basin_label(d);

    if (d->npaths == 0)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: internal basin '%s' (/basins/%s) "
                             "has no paths",
                             r->path, label, d->key);
    if (!d->features_listed)
        return dcn_error_set(err, DCN_EFORMAT,
                             "%s: internal basin '%s' (/basins/%s) "
                             "lists no features",
                             r->path, label, d->key);
    if (strcmp(d->paths[0], "basin_events") != 0)
        warn(r, "%s: internal basin '%s' uses group '%s'", r->path, label,
             d->paths[0]);
    if (!dcn__rd_link_exists(r->file, d->paths[0])) {
        warn(r, "%s: internal basin '%s': group /%s missing; dropped", r->path,
             label, d->paths[0]);
        return DCN_OK;
    }
    b->file = r->file;
    /* fits: dcn__rd_link_exists() takes no path longer than PATH_CAP */
    (void)snprintf(b->group, sizeof b->group, "%s", d->paths[0]);
    d->resolved = dcn__strdup(d->paths[0]);
    d->usable = true;
    return DCN_OK;
}

/* Append ", " (unless first) and path, under dir unless absolute, to
 * buf; *tl counts what snprintf reports (so a full buf stays full). */
static void
append_path(char *buf, size_t cap, size_t *tl, const char *dir,
            const char *path)
{
    int k;

    if (*tl >= cap)
        return;
    if (path[0] == '/')
        k = snprintf(buf + *tl, cap - *tl, "%s%s", *tl > 0 ? ", " : "", path);
    else
        k = snprintf(buf + *tl, cap - *tl, "%s%s/%s", *tl > 0 ? ", " : "", dir,
                     path);
    if (k > 0)
        *tl += (size_t)k;
}

/* The first of d's paths that is a regular file, into cand (PATH_CAP
 * bytes); every candidate tried is listed in tried. */
static bool
find_basin_file(const struct dcn_rtdc *r, const struct dcn_basin_desc *d,
                char *cand, char *tried, size_t tried_cap)
{
    size_t tl = 0;
    bool found = false;

    tried[0] = '\0';
    for (size_t p = 0; p < d->npaths && !found; p++) {
        const char *pp = d->paths[p];
        bool fits = pp[0] == '/' ? dcn__rd_path_fmt(cand, PATH_CAP, "%s", pp)
                                 : dcn__rd_path_fmt(cand, PATH_CAP, "%s/%s",
                                                    r->dir, pp);

        append_path(tried, tried_cap, &tl, r->dir, pp);
        found = fits && file_exists(cand);
    }
    return found;
}

/* The identifier a file basin names must be the file's (D2). */
static int
check_basin_id(struct dcn_rtdc *r, const struct dcn_basin_desc *d, hid_t file,
               const char *cand, struct dcn_error *err)
{
    const char *label = basin_label(d);
    struct id_check c;
    int rc;

    if (d->identifier == NULL)
        return DCN_OK;
    rc = dcn__rd_file_id_matches(file, cand, d->identifier, &c, err);
    if (rc < 0)
        return rc;
    if (!c.match) {
        rc = dcn_error_set(err, DCN_EFORMAT,
                           "%s: basin '%s': identifier mismatch: "
                           "expected %s, %s has %s",
                           r->path, label, d->identifier, cand,
                           c.mid != NULL ? c.mid : "none");
        dcn__free(c.mid);
        return rc;
    }
    if (c.quirk)
        warn(r,
             "%s: basin '%s': identifier %s is dcnum's variant "
             "of %s's (fixed-length strings, D2); accepted",
             r->path, label, d->identifier, cand);
    dcn__free(c.mid);
    return DCN_OK;
}

/* No "features" key: everything in the basin file's /events. */
static int
list_basin_features(struct dcn_basin_desc *d, hid_t file, const char *cand,
                    struct dcn_error *err)
{
    char **names = NULL;
    size_t nn = 0;
    int rc = dcn__rd_list_group(file, "/events", cand, &names, &nn, err);

    if (rc < 0)
        return rc;
    for (size_t k = 0; k < nn; k++) {
        if (!dcn__rd_is_basinmap(names[k]) &&
            dcn__rd_strv_push(&d->features, &d->nfeatures, names[k]) < 0) {
            rc = dcn_error_set(err, DCN_ENOMEM, "out of memory");
            break;
        }
    }
    dcn__rd_strv_free(names, nn);
    return rc;
}

/* Can the basin file deliver feature (own /events or D6)? */
static int
basin_file_provides(hid_t file, const char *cand, const char *feature, bool *ok,
                    struct dcn_error *err)
{
    char fp[PATH_CAP];
    struct nested nest;
    int rc;

    *ok = dcn__rd_path_fmt(fp, sizeof fp, "/events/%s", feature) &&
          dcn__rd_is_dataset(file, fp);
    if (*ok)
        return DCN_OK;
    rc = nested_internal(file, cand, feature, &nest, err);
    *ok = nest.found;
    return rc;
}

/* D6: keep only the listed features the basin file can deliver. */
static int
keep_deliverable(struct dcn_rtdc *r, struct dcn_basin_desc *d, hid_t file,
                 const char *cand, struct dcn_error *err)
{
    size_t w = 0;
    size_t k;
    int rc = DCN_OK;

    for (k = 0; k < d->nfeatures && rc == DCN_OK; k++) {
        bool ok = false;

        rc = basin_file_provides(file, cand, d->features[k], &ok, err);
        if (rc < 0 || ok) {
            d->features[w++] = d->features[k];
            continue;
        }
        warn(r, "%s: basin '%s': %s does not provide feature '%s'", r->path,
             basin_label(d), cand, d->features[k]);
        dcn__free(d->features[k]);
    }
    /* after a failure the unchecked rest stays, each name once */
    for (; k < d->nfeatures; k++)
        d->features[w++] = d->features[k];
    d->nfeatures = w;
    return rc;
}

static int
resolve_file(struct dcn_rtdc *r, struct dcn_basin_desc *d, struct basin_rt *b,
             struct dcn_error *err)
{
    const char *label = basin_label(d);
    char cand[PATH_CAP];
    char tried[1024];
    int rc;

    if (!find_basin_file(r, d, cand, tried, sizeof tried)) {
        warn(r, "%s: basin '%s': file not found (tried: %s); dropped", r->path,
             label, d->npaths > 0 ? tried : "no paths");
        return DCN_OK;
    }
    b->file = H5Fopen(cand, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (b->file < 0) {
        warn(r, "%s: basin '%s': %s cannot be opened as HDF5; dropped", r->path,
             label, cand);
        return DCN_OK;
    }
    b->file_owned = true;
    d->resolved = dcn__strdup(cand);
    if (d->resolved == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    rc = check_basin_id(r, d, b->file, cand, err);
    if (rc < 0)
        return rc;
    (void)snprintf(b->group, sizeof b->group, "events"); /* fits */
    if (!d->features_listed)
        rc = list_basin_features(d, b->file, cand, err);
    else
        rc = keep_deliverable(r, d, b->file, cand, err);
    if (rc < 0)
        return rc;
    d->usable = true;
    return DCN_OK;
}

static int
resolve_basin(struct dcn_rtdc *r, struct dcn_basin_desc *d, struct basin_rt *b,
              struct dcn_error *err)
{
    const char *label = basin_label(d);
    char mp[PATH_CAP];

    b->d = d;
    if (basin_type(d) == DCN_BASIN_OTHER) {
        warn(r, "%s: basin '%s' of type '%s' is not supported; dropped",
             r->path, label, d->type != NULL ? d->type : "(none)");
        return DCN_OK;
    }
    if (d->mapping != NULL &&
        (!dcn__rd_path_fmt(mp, sizeof mp, "/events/%s", d->mapping) ||
         !dcn__rd_is_dataset(r->file, mp))) {
        warn(r, "%s: basin '%s' maps through %s, which is missing; dropped",
             r->path, label, mp);
        return DCN_OK;
    }
    if (basin_type(d) == DCN_BASIN_INTERNAL)
        return resolve_internal(r, d, b, err);
    return resolve_file(r, d, b, err);
}

int
dcn__rd_resolve_basins(struct dcn_rtdc *r, struct dcn_error *err)
{
    int rc;

    rc = read_basin_descs(r->file, r->path, &r->basins, &r->nbasins, err);
    if (rc < 0)
        return rc;
    sort_basins(r->basins, r->nbasins);
    if (r->nbasins == 0)
        return DCN_OK;
    r->brt = dcn__calloc(r->nbasins, sizeof *r->brt);
    if (r->brt == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < r->nbasins; i++)
        r->brt[i].file = H5I_INVALID_HID;
    for (size_t i = 0; i < r->nbasins; i++) {
        rc = resolve_basin(r, &r->basins[i], &r->brt[i], err);
        if (rc < 0)
            return rc;
    }
    return DCN_OK;
}

/* ---- locating a feature (own /events or a basin) --------------------- */

/* The mapping of a basin: the basin row of each of the reader's frames. */
static int
read_basin_map(struct dcn_rtdc *r, struct basin_rt *b, struct dcn_error *err)
{
    struct src m;
    int rc;

    b->rows = dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *b->rows);
    if (b->rows == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    dcn__rd_src_init(&m);
    m.file = r->file;
    m.fname = r->path;
    m.rows = r->idx;
    /* fits: resolve_basin() found the mapping by this same path */
    (void)snprintf(m.dpath, sizeof m.dpath, "/events/%s", b->d->mapping);
    rc = dcn__rd_read_u64_at(&m, r->n, b->rows, err);
    if (rc < 0) {
        dcn__free(b->rows);
        b->rows = NULL;
    }
    return rc;
}

/* The referrer rows of a basin (computed once). */
static int
basin_rows(struct dcn_rtdc *r, struct basin_rt *b, const uint64_t **rows,
           struct dcn_error *err)
{
    if (!b->rows_ready && b->d->mapping != NULL) {
        int rc = read_basin_map(r, b, err);

        if (rc < 0)
            return rc;
    }
    b->rows_ready = true;
    *rows = b->d->mapping != NULL ? b->rows : r->idx;
    return DCN_OK;
}

/* The candidate paths of all file basins, for error messages. */
void
dcn__rd_paths_tried(const struct dcn_rtdc *r, char *buf, size_t cap)
{
    size_t tl = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < r->nbasins && tl < cap; i++) {
        const struct dcn_basin_desc *d = &r->basins[i];

        if (basin_type(d) != DCN_BASIN_FILE)
            continue;
        for (size_t p = 0; p < d->npaths && tl < cap; p++)
            append_path(buf, cap, &tl, r->dir, d->paths[p]);
    }
    if (tl == 0)
        (void)snprintf(buf, cap, "none"); /* cut if cap is tiny */
}

/* s's rows through the basin file's own mapping (D6): the basin rows
 * s->rows (the referrer's) read through the mapping dataset. */
static int
read_nested_rows(const struct dcn_rtdc *r, const struct nested *nest,
                 struct src *s, struct dcn_error *err)
{
    struct src m = *s;
    int rc;

    s->owned = dcn__mallocarray(r->n > 0 ? r->n : 1, sizeof *s->owned);
    if (s->owned == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    m.owned = NULL;
    memcpy(m.dpath, nest->mpath, sizeof m.dpath);
    rc = dcn__rd_read_u64_at(&m, r->n, s->owned, err);
    if (rc < 0) {
        dcn__rd_src_release(s);
        return rc;
    }
    s->rows = s->owned;
    return DCN_OK;
}

/* A file basin that lacks the feature in its /events: through its own
 * internal basin (D6). */
static int
locate_nested(const struct dcn_rtdc *r, const char *name, struct src *s,
              bool *found, struct dcn_error *err)
{
    struct nested nest;
    int rc = nested_internal(s->file, s->fname, name, &nest, err);

    *found = nest.found;
    if (rc < 0 || !nest.found)
        return rc;
    memcpy(s->dpath, nest.dpath, sizeof s->dpath);
    if (nest.mpath[0] != '\0')
        return read_nested_rows(r, &nest, s, err);
    return DCN_OK;
}

/* Feature name in basin i, which lists it; *found false: try the next. */
static int
locate_in_basin(struct dcn_rtdc *r, size_t i, const char *name, struct src *s,
                bool *found, struct dcn_error *err)
{
    struct basin_rt *b = &r->brt[i];
    const struct dcn_basin_desc *d = &r->basins[i];
    const uint64_t *brows = NULL;
    int rc;

    *found = false;
    rc = basin_rows(r, b, &brows, err);
    if (rc < 0)
        return rc;
    s->file = b->file;
    s->fname = basin_type(d) == DCN_BASIN_FILE ? d->resolved : r->path;
    s->rows = brows;
    if (!dcn__rd_path_fmt(s->dpath, sizeof s->dpath, "/%s/%s", b->group, name))
        return DCN_OK;
    if (basin_type(d) == DCN_BASIN_FILE &&
        !dcn__rd_is_dataset(b->file, s->dpath))
        return locate_nested(r, name, s, found, err);
    *found = true;
    return DCN_OK;
}

int
dcn__rd_locate(struct dcn_rtdc *r, const char *name, struct src *s,
               struct dcn_error *err)
{
    char tried[1024];

    dcn__rd_src_init(s);
    if (dcn__rd_path_fmt(s->dpath, sizeof s->dpath, "/events/%s", name) &&
        dcn__rd_is_dataset(r->file, s->dpath)) {
        s->file = r->file;
        s->fname = r->path;
        s->rows = r->idx;
        return DCN_OK;
    }
    for (size_t i = 0; i < r->nbasins; i++) {
        const struct dcn_basin_desc *d = &r->basins[i];
        bool found = false;
        int rc;

        if (!d->usable || dcn__rd_is_basinmap(name) ||
            !dcn__rd_strv_has(d->features, d->nfeatures, name))
            continue;
        rc = locate_in_basin(r, i, name, s, &found, err);
        if (rc < 0 || found)
            return rc;
    }
    dcn__rd_paths_tried(r, tried, sizeof tried);
    return dcn_error_set(err, DCN_ENOTFOUND,
                         "%s: feature '%s' not found in /events or any basin "
                         "(basin paths tried: %s)",
                         r->path, name, tried);
}

/* ---- index mapping (§1.7) -------------------------------------------- */

static int
mapping_count(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    uint64_t N = r->n_raw;

    if (m->count < 0 || (uint64_t)m->count > N)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: index mapping %llu exceeds the %llu "
                             "events (experiment:event count)",
                             r->path, (unsigned long long)m->count,
                             (unsigned long long)N);
    r->n = (uint64_t)m->count;
    return DCN_OK;
}

/* Python's slice semantics over the N events. */
static int
mapping_slice(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
              struct dcn_error *err)
{
    uint64_t N = r->n_raw;
    int64_t start = m->has_start ? m->start : 0;
    int64_t stop = m->has_stop ? m->stop : (int64_t)N;
    int64_t step = m->has_step ? m->step : 1;
    uint64_t cnt = 0;

    if (step <= 0)
        return dcn_error_set(err, DCN_EINVAL,
                             "%s: index mapping slice step must be > 0",
                             r->path);
    if (start < 0)
        start += (int64_t)N;
    if (stop < 0)
        stop += (int64_t)N;
    if (start < 0)
        start = 0;
    if (stop > (int64_t)N)
        stop = (int64_t)N;
    /* ceil((stop - start) / step) without overflow for a huge step. */
    if (stop > start)
        cnt = (uint64_t)((stop - start - 1) / step) + 1;
    r->n = cnt;
    if (cnt == 0)
        return DCN_OK;
    r->idx = dcn__mallocarray(cnt, sizeof *r->idx);
    if (r->idx == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (uint64_t j = 0; j < cnt; j++)
        r->idx[j] = (uint64_t)start + j * (uint64_t)step;
    return DCN_OK;
}

static int
mapping_list(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
             struct dcn_error *err)
{
    uint64_t N = r->n_raw;

    r->n = m->nindices;
    if (m->nindices == 0)
        return DCN_OK;
    r->idx = dcn__mallocarray(m->nindices, sizeof *r->idx);
    if (r->idx == NULL)
        return dcn_error_set(err, DCN_ENOMEM, "out of memory");
    for (size_t j = 0; j < m->nindices; j++) {
        if (m->indices[j] >= N)
            return dcn_error_set(err, DCN_EINVAL,
                                 "%s: index mapping entry %zu (%llu) is "
                                 "not below the %llu events",
                                 r->path, j, (unsigned long long)m->indices[j],
                                 (unsigned long long)N);
        r->idx[j] = m->indices[j];
    }
    return DCN_OK;
}

int
dcn__rd_build_mapping(struct dcn_rtdc *r, const struct dcn_index_mapping *m,
                      struct dcn_error *err)
{
    r->idx = NULL;
    r->n = r->n_raw;
    if (m == NULL || m->kind == DCN_MAPPING_NONE)
        return DCN_OK;
    if (m->kind == DCN_MAPPING_COUNT)
        return mapping_count(r, m, err);
    if (m->kind == DCN_MAPPING_SLICE)
        return mapping_slice(r, m, err);
    if (m->kind == DCN_MAPPING_LIST)
        return mapping_list(r, m, err);
    return dcn_error_set(err, DCN_EINVAL, "bad index mapping kind");
}
