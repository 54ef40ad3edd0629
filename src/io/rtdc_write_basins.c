/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_basins.c - basins (format.md §2.5): the exact JSON text
 * dcnum stores for a file or an internal basin, kept as
 * /basins/<md5 of the text> (the same definition is stored once), and
 * the mapping allocation: events/basinmapN for the first free N, or an
 * existing one that holds the same values.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json_write.h"
#include "md5.h"
#include "rtdc_write_internal.h"

/* ---- basin definitions (the exact JSON) ------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "features": sorted for internal basins, in the given order (and only
 * if non-empty) for file basins. */
static int
basin_add_features(struct dcn_json *o, const struct dcn_basin *b)
{
    const char **sorted;
    int rc;

    if (b->type != DCN_WBASIN_INTERNAL)
        return b->nfeatures > 0
                       ? dcn__json_add_strings(o, "features", b->features,
                                               b->nfeatures)
                       : DCN_OK;
    sorted = dcn__calloc(b->nfeatures > 0 ? b->nfeatures : 1, sizeof(*sorted));
    if (sorted == NULL)
        return DCN_ENOMEM;
    if (b->nfeatures > 0)
        memcpy(sorted, b->features, b->nfeatures * sizeof(*sorted));
    qsort(sorted, b->nfeatures, sizeof(*sorted), cmp_str);
    rc = dcn__json_add_strings(o, "features", sorted, b->nfeatures);
    dcn__free(sorted);
    return rc;
}

/* dcnum's key order up to "features" (format.md §2.5). */
static int
basin_add_head(struct dcn_json *o, const struct dcn_basin *b)
{
    static const char *const internal_paths[1] = {"basin_events"};
    bool internal = b->type == DCN_WBASIN_INTERNAL;
    const char *desc = b->description != NULL ? b->description : "";
    const char *name = b->name != NULL ? b->name : "";
    int rc;

    rc = dcn__json_add(o, "description", dcn__json_string(desc));
    if (rc == 0)
        rc = dcn__json_add(o, "name", dcn__json_string(name));
    if (rc == 0)
        rc = dcn__json_add(o, "format",
                           dcn__json_string(internal ? "h5dataset" : "hdf5"));
    if (rc == 0)
        rc = internal ? dcn__json_add_strings(o, "paths", internal_paths, 1)
                      : dcn__json_add_strings(o, "paths", b->paths, b->npaths);
    if (rc == 0)
        rc = dcn__json_add(o, "type",
                           dcn__json_string(internal ? "internal" : "file"));
    if (rc == 0 && !internal)
        rc = dcn__json_add(o, "identifier",
                           b->identifier != NULL
                                   ? dcn__json_string(b->identifier)
                                   : dcn__json_null());
    return rc;
}

int
dcn__basin_json(struct dcn_strbuf *out, const struct dcn_basin *b)
{
    struct dcn_json *o = dcn__json_object();
    int rc;

    if (o == NULL)
        return DCN_ENOMEM;
    rc = basin_add_head(o, b);
    if (rc == 0)
        rc = basin_add_features(o, b);
    if (rc == 0 && b->mapping != NULL)
        rc = dcn__json_add(o, "mapping", dcn__json_string(b->mapping));
    if (rc == 0)
        rc = dcn__json_dump(out, o, 2, 0);
    dcn__json_free(o);
    return rc;
}

int
dcn__writer_basin(struct dcn_writer *w, const struct dcn_basin *b, char *key,
                  struct dcn_error *err)
{
    struct dcn_strbuf text = DCN_STRBUF_INIT;
    char hex[33];
    char path[64];
    const char **lines = NULL;
    size_t *lens = NULL;
    size_t nlines = 1;
    size_t k;
    size_t pos;
    int ex;
    int rc;

    dcn__wr_quiet();
    rc = dcn__basin_json(&text, b);
    if (rc < 0) {
        rc = FAIL(w, err, rc, "basin \"%s\": cannot build JSON (%s)",
                  b->name != NULL ? b->name : "", dcn_strerror(rc));
        goto out;
    }
    dcn__md5_hex(hex, text.buf, text.len);
    if (key != NULL)
        memcpy(key, hex, 33);
    (void)snprintf(path, sizeof(path), "basins/%s", hex);
    ex = dcn__wr_path_exists(w->file, path);
    if (ex != 0) {
        rc = ex < 0 ? FAIL(w, err, DCN_EIO, "%s: cannot look up", path)
                    : DCN_OK; /* deduplicated */
        goto out;
    }
    for (k = 0; k < text.len; k++)
        nlines += text.buf[k] == '\n';
    lines = dcn__calloc(nlines, sizeof(*lines));
    lens = dcn__calloc(nlines, sizeof(*lens));
    if (lines == NULL || lens == NULL) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (k = 0, pos = 0; k < nlines && text.buf != NULL; k++) {
        const char *nl = memchr(text.buf + pos, '\n', text.len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text.buf) : text.len;

        lines[k] = text.buf + pos;
        lens[k] = end - pos;
        pos = end + 1;
    }
    {
        struct str_lines sl = {lines, lens, nlines};

        rc = dcn__wr_write_string_lines(w, path, &sl, w->level, NULL, err);
    }
out:
    dcn__free(lens);
    dcn__free(lines);
    dcn__strbuf_release(&text);
    return rc;
}

/* ---- mapping allocation (basinmapN) ---------------------------------- */

static int64_t
map_value(const void *map, enum dcn_wtype type, size_t i)
{
    switch (type) {
    case DCN_WT_U8:
        return ((const uint8_t *)map)[i];
    case DCN_WT_I32:
        return ((const int32_t *)map)[i];
    case DCN_WT_U32:
        return ((const uint32_t *)map)[i];
    case DCN_WT_I64:
        return ((const int64_t *)map)[i];
    case DCN_WT_U64:
        return (int64_t)((const uint64_t *)map)[i];
    case DCN_WT_F32:
        return (int64_t)((const float *)map)[i];
    case DCN_WT_F64:
        return (int64_t)((const double *)map)[i];
    }
    return 0;
}

/* 1 if dataset path holds exactly the n values of map, 0 if not, or a
 * negative status. */
static int
map_equal(struct dcn_writer *w, const char *path, const void *map,
          enum dcn_wtype type, size_t n, struct dcn_error *err)
{
    hid_t d = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID;
    int64_t *vals = NULL;
    hsize_t dims[8];
    int rank = 0;
    int rc = DCN_OK;
    size_t k;

    if (dcn__wr_forget_dataset(w, path, err) < 0)
        return DCN_EIO;
    d = H5Dopen2(w->file, path, H5P_DEFAULT);
    space = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
    rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank < 0 || rank > 8 ||
        H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot read", path);
        goto out;
    }
    if (rank != 1 || dims[0] != n)
        goto out;
    vals = dcn__mallocarray(n > 0 ? n : 1, sizeof(*vals));
    if (vals == NULL) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (n > 0 &&
        H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot read", path);
        goto out;
    }
    for (k = 0; k < n && vals[k] == map_value(map, type, k); k++)
        ;
    rc = k == n;
out:
    dcn__free(vals);
    dcn__wr_close_id(space);
    dcn__wr_close_id(d);
    return rc;
}

int
dcn__writer_basinmap(struct dcn_writer *w, const void *map, enum dcn_wtype type,
                     size_t n, char *name, struct dcn_error *err)
{
    char path[32];
    int k;

    dcn__wr_quiet();
    for (k = 0; k < 10; k++) {
        int ex;
        int rc;

        (void)snprintf(path, sizeof(path), "events/basinmap%d", k);
        ex = dcn__wr_path_exists(w->file, path);
        if (ex < 0)
            return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
        if (ex > 0) {
            rc = map_equal(w, path, map, type, n, err);
            if (rc < 0)
                return rc;
            if (rc == 0)
                continue;
        } else {
            struct dcn_feature_spec spec = {"events", path + 7, type, 0, 0};

            rc = dcn__writer_feature_write(w, &spec, map, n, err);
            if (rc < 0)
                return rc;
        }
        (void)snprintf(name, 16, "basinmap%d", k);
        return DCN_OK;
    }
    return FAIL(w, err, DCN_ERANGE,
                "events: basinmap0..9 all hold other mappings");
}
