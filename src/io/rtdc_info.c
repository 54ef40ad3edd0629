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

static int
fill(struct dcn_rtdc_info *info, struct dcn_rtdc *r, struct dcn_error *err)
{
    size_t n;
    const struct dcn_attr *attrs = dcn_rtdc_attrs(r, &n);
    const struct dcn_basin_desc *b;
    const struct dcn_log *logs;
    char *const *v;

    info->frames = dcn_rtdc_len_raw(r);
    info->pixel_size = dcn_rtdc_pixel_size(r);
    info->frame_rate = dcn_rtdc_frame_rate(r);
    info->read_chunk_size = dcn_rtdc_image_chunk_size(r);
    info->measurement_id = dup_or_null(dcn_rtdc_measurement_id(r));
    if (dcn_rtdc_has_feature(r, "image")) {
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
        snprintf(info->image_dtype, sizeof info->image_dtype, "uint8");
        snprintf(info->image_storage, sizeof info->image_storage, "%s",
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
        snprintf(info->image_source, len, "%s:%s", file, dset);
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
    attrs = dcn_rtdc_attrs(r, &n);
    for (size_t i = 0; i < n; i++) {
        char num[64];
        const char *val = num;
        char **k;
        char **vv;

        if (strncmp(attrs[i].name, "pipeline:dcnum", 14) != 0)
            continue;
        if (attrs[i].kind == DCN_ATTR_STRING)
            val = attrs[i].s;
        else if (attrs[i].kind == DCN_ATTR_FLOAT)
            snprintf(num, sizeof num, "%.17g", attrs[i].d);
        else
            snprintf(num, sizeof num, "%lld", (long long)attrs[i].i);
        k = dcn__realloc(info->pipeline_keys,
                         (info->npipeline + 1) * sizeof *k);
        if (k == NULL)
            return DCN_ENOMEM;
        info->pipeline_keys = k;
        vv = dcn__realloc(info->pipeline_values,
                          (info->npipeline + 1) * sizeof *vv);
        if (vv == NULL)
            return DCN_ENOMEM;
        info->pipeline_values = vv;
        k[info->npipeline] = dcn__strdup(attrs[i].name);
        vv[info->npipeline] = dcn__strdup(val);
        info->npipeline++;
        if (k[info->npipeline - 1] == NULL || vv[info->npipeline - 1] == NULL)
            return DCN_ENOMEM;
    }
    logs = dcn_rtdc_logs(r, &n);
    if (n > 0) {
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
    }
    b = dcn_rtdc_basins(r, &n);
    if (n > 0) {
        info->basins = dcn__calloc(n, sizeof *info->basins);
        if (info->basins == NULL)
            return DCN_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            struct dcn_rtdc_info_basin *o = &info->basins[i];

            info->nbasins = i + 1;
            o->key = dup_or_null(b[i].key);
            o->name = dup_or_null(b[i].name);
            o->type = dup_or_null(b[i].type);
            o->format = dup_or_null(b[i].format);
            o->mapping = dup_or_null(b[i].mapping);
            o->identifier = dup_or_null(b[i].identifier);
            o->resolved = dup_or_null(b[i].resolved);
            o->usable = b[i].usable;
            if (dup_strv(&o->paths, &o->npaths, b[i].paths, b[i].npaths) < 0 ||
                dup_strv(&o->features, &o->nfeatures, b[i].features,
                         b[i].nfeatures) < 0)
                return DCN_ENOMEM;
        }
    }
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
