/* SPDX-License-Identifier: MIT */
/*
 * rtdc_info.c - the summary behind `dcnumc info` (include/dcnumc/
 * rtdc_info.h), built from the reader.
 */
#include "dcnumc/rtdc_info.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_read.h"

static char *
dup_or_null(const char *s)
{
    return s != NULL ? dcn__strdup(s) : NULL;
}

static int
dup_strv(char ***dst, size_t *n, char *const *src, size_t count)
{
    *dst = NULL;
    *n = 0;
    if (count == 0)
        return DCN_OK;
    *dst = dcn__calloc(count, sizeof **dst);
    if (*dst == NULL)
        return DCN_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        (*dst)[i] = dcn__strdup(src[i]);
        if ((*dst)[i] == NULL)
            return DCN_ENOMEM;
        *n = i + 1;
    }
    return DCN_OK;
}

static void
free_strv(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        dcn__free(v[i]);
    dcn__free(v);
}

/* Shape, storage, chunks, filters and source of the image. */
static int
fill_image(struct dcn_rtdc_info *info, struct dcn_rtdc *r,
           struct dcn_error *err)
{
    struct dcn_rtdc_image *im = NULL;
    const struct dcn_image_layout *l;
    const char *file;
    const char *dset;
    size_t h;
    size_t w;
    size_t len;
    int rc = dcn_rtdc_image_open(r, "image", &im, err);

    if (rc < 0)
        return rc;
    l = dcn_rtdc_image_layout(im);
    dcn_rtdc_image_shape(im, &h, &w);
    info->has_image = 1;
    info->image_height = h;
    info->image_width = w;
    /* both fit: "uint8" and the reader's storage names are short */
    (void)snprintf(info->image_dtype, sizeof info->image_dtype, "uint8");
    (void)snprintf(info->image_storage, sizeof info->image_storage, "%s",
                   dcn_rtdc_image_storage(im));
    for (int i = 0; i < 3; i++)
        info->image_chunks[i] = l->chunk[i];
    dcn_filter_pipeline_describe(info->image_filters,
                                 sizeof info->image_filters, &l->pipeline);
    info->image_raw_fetch = l->raw;
    dcn_rtdc_image_source(im, &file, &dset);
    len = strlen(file) + strlen(dset) + 2;
    info->image_source = dcn__malloc(len);
    if (info->image_source == NULL)
        return DCN_ENOMEM;
    /* sized for the text above: never cut */
    (void)snprintf(info->image_source, len, "%s:%s", file, dset);
    return DCN_OK;
}

/* Append one "pipeline:dcnum ..." root attribute (name and value text). */
static int
add_pipeline_attr(struct dcn_rtdc_info *info, const struct dcn_attr *a)
{
    char num[64];
    const char *val = num;
    char **k;
    char **vv;

    /* num holds any %.17g double and any long long */
    if (a->kind == DCN_ATTR_STRING)
        val = a->s;
    else if (a->kind == DCN_ATTR_FLOAT)
        (void)snprintf(num, sizeof num, "%.17g", a->d);
    else
        (void)snprintf(num, sizeof num, "%lld", (long long)a->i);
    k = dcn__realloc(info->pipeline_keys, (info->npipeline + 1) * sizeof *k);
    if (k == NULL)
        return DCN_ENOMEM;
    info->pipeline_keys = k;
    vv = dcn__realloc(info->pipeline_values,
                      (info->npipeline + 1) * sizeof *vv);
    if (vv == NULL)
        return DCN_ENOMEM;
    info->pipeline_values = vv;
    k[info->npipeline] = dcn__strdup(a->name);
    vv[info->npipeline] = dcn__strdup(val);
    info->npipeline++;
    if (k[info->npipeline - 1] == NULL || vv[info->npipeline - 1] == NULL)
        return DCN_ENOMEM;
    return DCN_OK;
}

static int
fill_pipeline(struct dcn_rtdc_info *info, struct dcn_rtdc *r)
{
    size_t n;
    const struct dcn_attr *attrs = dcn_rtdc_attrs(r, &n);

    for (size_t i = 0; i < n; i++) {
        if (strncmp(attrs[i].name, "pipeline:dcnum", 14) != 0)
            continue;
        if (add_pipeline_attr(info, &attrs[i]) < 0)
            return DCN_ENOMEM;
    }
    return DCN_OK;
}

static int
fill_logs(struct dcn_rtdc_info *info, struct dcn_rtdc *r)
{
    size_t n;
    const struct dcn_log *logs = dcn_rtdc_logs(r, &n);

    if (n == 0)
        return DCN_OK;
    info->logs = dcn__calloc(n, sizeof *info->logs);
    if (info->logs == NULL)
        return DCN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        info->logs[i].name = dcn__strdup(logs[i].name);
        info->logs[i].lines = logs[i].nlines;
        info->nlogs = i + 1;
        if (info->logs[i].name == NULL)
            return DCN_ENOMEM;
    }
    return DCN_OK;
}

static int
fill_basin(struct dcn_rtdc_info_basin *o, const struct dcn_basin_desc *b)
{
    o->key = dup_or_null(b->key);
    o->name = dup_or_null(b->name);
    o->type = dup_or_null(b->type);
    o->format = dup_or_null(b->format);
    o->mapping = dup_or_null(b->mapping);
    o->identifier = dup_or_null(b->identifier);
    o->resolved = dup_or_null(b->resolved);
    o->usable = b->usable;
    if (dup_strv(&o->paths, &o->npaths, b->paths, b->npaths) < 0 ||
        dup_strv(&o->features, &o->nfeatures, b->features, b->nfeatures) < 0)
        return DCN_ENOMEM;
    return DCN_OK;
}

static int
fill_basins(struct dcn_rtdc_info *info, struct dcn_rtdc *r)
{
    size_t n;
    const struct dcn_basin_desc *b = dcn_rtdc_basins(r, &n);

    if (n == 0)
        return DCN_OK;
    info->basins = dcn__calloc(n, sizeof *info->basins);
    if (info->basins == NULL)
        return DCN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        info->nbasins = i + 1;
        if (fill_basin(&info->basins[i], &b[i]) < 0)
            return DCN_ENOMEM;
    }
    return DCN_OK;
}

static int
fill(struct dcn_rtdc_info *info, struct dcn_rtdc *r, struct dcn_error *err)
{
    size_t n;
    char *const *v;

    info->frames = dcn_rtdc_len_raw(r);
    info->pixel_size = dcn_rtdc_pixel_size(r);
    info->frame_rate = dcn_rtdc_frame_rate(r);
    info->read_chunk_size = dcn_rtdc_image_chunk_size(r);
    info->measurement_id = dup_or_null(dcn_rtdc_measurement_id(r));
    if (dcn_rtdc_has_feature(r, "image")) {
        int rc = fill_image(info, r, err);

        if (rc < 0)
            return rc;
    }
    v = dcn_rtdc_features(r, &n);
    if (dup_strv(&info->features, &info->nfeatures, v, n) < 0)
        return DCN_ENOMEM;
    v = dcn_rtdc_tables(r, &n);
    if (dup_strv(&info->tables, &info->ntables, v, n) < 0)
        return DCN_ENOMEM;
    v = dcn_rtdc_warnings(r, &n);
    if (dup_strv(&info->warnings, &info->nwarnings, v, n) < 0)
        return DCN_ENOMEM;
    if (fill_pipeline(info, r) < 0 || fill_logs(info, r) < 0 ||
        fill_basins(info, r) < 0)
        return DCN_ENOMEM;
    return DCN_OK;
}

int
dcn_rtdc_info_read(struct dcn_rtdc_info *info, const char *path,
                   struct dcn_error *err)
{
    struct dcn_rtdc_open_opts o;
    struct dcn_rtdc *r = NULL;
    int rc;

    if (info == NULL)
        return dcn_error_set(err, DCN_EINVAL, "info: no output");
    memset(info, 0, sizeof *info);
    if (path == NULL)
        return dcn_error_set(err, DCN_EINVAL, "info: no path");
    info->path = dcn__strdup(path);
    memset(&o, 0, sizeof o);
    o.flags = DCN_RTDC_OPEN_NO_IMAGE | DCN_RTDC_OPEN_NO_PIXEL_SIZE;
    rc = dcn_rtdc_open(&r, path, &o, err);
    if (rc < 0)
        return rc;
    rc = fill(info, r, err);
    if (rc == DCN_ENOMEM)
        dcn_error_set(err, rc, "%s: out of memory", path);
    dcn_rtdc_free(r);
    return rc;
}

void
dcn_rtdc_info_release(struct dcn_rtdc_info *info)
{
    if (info == NULL)
        return;
    dcn__free(info->path);
    dcn__free(info->image_source);
    dcn__free(info->measurement_id);
    free_strv(info->features, info->nfeatures);
    free_strv(info->pipeline_keys, info->npipeline);
    free_strv(info->pipeline_values, info->npipeline);
    for (size_t i = 0; i < info->nbasins; i++) {
        struct dcn_rtdc_info_basin *b = &info->basins[i];

        dcn__free(b->key);
        dcn__free(b->name);
        dcn__free(b->type);
        dcn__free(b->format);
        dcn__free(b->mapping);
        dcn__free(b->identifier);
        dcn__free(b->resolved);
        free_strv(b->paths, b->npaths);
        free_strv(b->features, b->nfeatures);
    }
    dcn__free(info->basins);
    for (size_t i = 0; i < info->nlogs; i++)
        dcn__free(info->logs[i].name);
    dcn__free(info->logs);
    free_strv(info->tables, info->ntables);
    free_strv(info->warnings, info->nwarnings);
    memset(info, 0, sizeof *info);
}
