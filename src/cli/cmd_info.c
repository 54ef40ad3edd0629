/* SPDX-License-Identifier: MIT */
/*
 * cmd_info.c - `dcnumc info FILE [--json]`: print what the reader finds in
 * an .rtdc file (frames, image layout, features, pipeline identifiers,
 * basins and how they resolve, logs, tables, measurement identifier).
 * Uses only the public API (include/dcnumc/rtdc_info.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dcnumc/rtdc_info.h"

/* Declared here until the dispatcher adds it to cli.h. */
int dcn_cli_info(int argc, char **argv);

static void
usage(FILE *out)
{
    fprintf(out, "usage: dcnumc info FILE [--json]\n"
                 "\n"
                 "Show frames, image layout and filters, features, dcnum "
                 "pipeline\n"
                 "identifiers, basins, logs and tables of an .rtdc file.\n"
                 "\n"
                 "options:\n"
                 "  --json      print one JSON object instead of text\n"
                 "  -h, --help  show this help\n");
}

static void
json_str(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void
json_strv(FILE *out, char *const *v, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputs(", ", out);
        json_str(out, v[i]);
    }
    fputc(']', out);
}

static void
json_num(FILE *out, double d)
{
    char buf[40];

    if (d != d) {
        fputs("null", out);
        return;
    }
    /* shortest text that reads back as the same double */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    fputs(buf, out);
}

static void
print_json(FILE *out, const struct dcn_rtdc_info *in)
{
    fputs("{\n  \"file\": ", out);
    json_str(out, in->path);
    fprintf(out, ",\n  \"frames\": %llu", (unsigned long long)in->frames);
    if (in->has_image) {
        fprintf(out, ",\n  \"image\": {\"shape\": [%llu, %llu], \"dtype\": ",
                (unsigned long long)in->image_height,
                (unsigned long long)in->image_width);
        json_str(out, in->image_dtype);
        fputs(", \"storage\": ", out);
        json_str(out, in->image_storage);
        if (in->image_chunks[0] > 0)
            fprintf(out, ", \"chunks\": [%llu, %llu, %llu]",
                    (unsigned long long)in->image_chunks[0],
                    (unsigned long long)in->image_chunks[1],
                    (unsigned long long)in->image_chunks[2]);
        else
            fputs(", \"chunks\": null", out);
        fputs(", \"filters\": ", out);
        json_str(out, in->image_filters);
        fprintf(out, ", \"raw_chunk_decode\": %s, \"source\": ",
                in->image_raw_fetch ? "true" : "false");
        json_str(out, in->image_source);
        fputs("}", out);
    } else {
        fputs(",\n  \"image\": null", out);
    }
    fprintf(out, ",\n  \"read_chunk_size\": %llu",
            (unsigned long long)in->read_chunk_size);
    fputs(",\n  \"pixel_size\": ", out);
    json_num(out, in->pixel_size);
    fputs(",\n  \"frame_rate\": ", out);
    json_num(out, in->frame_rate);
    fputs(",\n  \"measurement_id\": ", out);
    json_str(out, in->measurement_id);
    fputs(",\n  \"features\": ", out);
    json_strv(out, in->features, in->nfeatures);
    fputs(",\n  \"pipeline\": {", out);
    for (size_t i = 0; i < in->npipeline; i++) {
        fputs(i > 0 ? ", " : "", out);
        json_str(out, in->pipeline_keys[i]);
        fputs(": ", out);
        json_str(out, in->pipeline_values[i]);
    }
    fputs("},\n  \"basins\": [", out);
    for (size_t i = 0; i < in->nbasins; i++) {
        const struct dcn_rtdc_info_basin *b = &in->basins[i];

        fputs(i > 0 ? ",\n    {" : "\n    {", out);
        fputs("\"key\": ", out);
        json_str(out, b->key);
        fputs(", \"name\": ", out);
        json_str(out, b->name);
        fputs(", \"type\": ", out);
        json_str(out, b->type);
        fputs(", \"format\": ", out);
        json_str(out, b->format);
        fputs(", \"paths\": ", out);
        json_strv(out, b->paths, b->npaths);
        fputs(", \"features\": ", out);
        json_strv(out, b->features, b->nfeatures);
        fputs(", \"mapping\": ", out);
        json_str(out, b->mapping);
        fputs(", \"identifier\": ", out);
        json_str(out, b->identifier);
        fprintf(out, ", \"resolved\": %s, \"resolved_path\": ",
                b->usable ? "true" : "false");
        json_str(out, b->resolved);
        fputs("}", out);
    }
    fputs(in->nbasins > 0 ? "\n  ],\n  \"logs\": {" : "],\n  \"logs\": {", out);
    for (size_t i = 0; i < in->nlogs; i++) {
        fputs(i > 0 ? ", " : "", out);
        json_str(out, in->logs[i].name);
        fprintf(out, ": %zu", in->logs[i].lines);
    }
    fputs("},\n  \"tables\": ", out);
    json_strv(out, in->tables, in->ntables);
    fputs(",\n  \"warnings\": ", out);
    json_strv(out, in->warnings, in->nwarnings);
    fputs("\n}\n", out);
}

static void
print_list(FILE *out, const char *label, char *const *v, size_t n)
{
    fprintf(out, "%-16s", label);
    if (n == 0)
        fputs("(none)", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i > 0 ? ", " : "", v[i]);
    fputc('\n', out);
}

static void
print_text(FILE *out, const struct dcn_rtdc_info *in)
{
    char label[32];

    fprintf(out, "%-16s%s\n", "file:", in->path);
    fprintf(out, "%-16s%llu\n", "frames:", (unsigned long long)in->frames);
    if (in->has_image) {
        fprintf(out, "%-16s%llu x %llu %s, %s",
                "image:", (unsigned long long)in->image_height,
                (unsigned long long)in->image_width, in->image_dtype,
                in->image_storage);
        if (in->image_chunks[0] > 0)
            fprintf(out, " (%llu, %llu, %llu)",
                    (unsigned long long)in->image_chunks[0],
                    (unsigned long long)in->image_chunks[1],
                    (unsigned long long)in->image_chunks[2]);
        fprintf(out, ", filters %s, %s\n", in->image_filters,
                in->image_raw_fetch ? "decoded by workers" : "decoded by HDF5");
        fprintf(out, "%-16s%s\n", "image source:", in->image_source);
    } else {
        fprintf(out, "%-16s(none)\n", "image:");
    }
    fprintf(out, "%-16s%llu frames\n",
            "read chunk:", (unsigned long long)in->read_chunk_size);
    if (in->pixel_size > 0)
        fprintf(out, "%-16s%.8g um\n", "pixel size:", in->pixel_size);
    else
        fprintf(out, "%-16s(missing)\n", "pixel size:");
    if (in->frame_rate > 0)
        fprintf(out, "%-16s%.17g Hz\n", "frame rate:", in->frame_rate);
    else
        fprintf(out, "%-16s(none)\n", "frame rate:");
    fprintf(out, "%-16s%s\n", "measurement id:",
            in->measurement_id != NULL ? in->measurement_id : "(none)");
    snprintf(label, sizeof label, "features (%zu):", in->nfeatures);
    print_list(out, label, in->features, in->nfeatures);
    fprintf(out, "pipeline:%s\n", in->npipeline > 0 ? "" : "       (none)");
    for (size_t i = 0; i < in->npipeline; i++)
        fprintf(out, "  %s = %s\n", in->pipeline_keys[i],
                in->pipeline_values[i]);
    fprintf(out, "basins (%zu):%s\n", in->nbasins,
            in->nbasins > 0 ? "" : "     (none)");
    for (size_t i = 0; i < in->nbasins; i++) {
        const struct dcn_rtdc_info_basin *b = &in->basins[i];

        fprintf(out, "  [%zu] %s (%s", i + 1,
                b->name != NULL ? b->name : b->key,
                b->type != NULL ? b->type : "?");
        if (b->format != NULL)
            fprintf(out, ", %s", b->format);
        fprintf(out, "), %s, %s\n",
                b->mapping != NULL ? b->mapping : "unmapped",
                b->usable ? "resolved" : "NOT resolved");
        if (b->resolved != NULL)
            fprintf(out, "      using: %s\n", b->resolved);
        print_list(out, "      paths:", b->paths, b->npaths);
        print_list(out, "      features:", b->features, b->nfeatures);
        if (b->identifier != NULL)
            fprintf(out, "      identifier: %s\n", b->identifier);
    }
    fprintf(out, "logs (%zu):%s\n", in->nlogs,
            in->nlogs > 0 ? "" : "       (none)");
    for (size_t i = 0; i < in->nlogs; i++)
        fprintf(out, "  %s (%zu lines)\n", in->logs[i].name, in->logs[i].lines);
    snprintf(label, sizeof label, "tables (%zu):", in->ntables);
    print_list(out, label, in->tables, in->ntables);
    for (size_t i = 0; i < in->nwarnings; i++)
        fprintf(out, "warning: %s\n", in->warnings[i]);
}

int
dcn_cli_info(int argc, char **argv)
{
    const char *file = NULL;
    int json = 0;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info info;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return DCN_EXIT_OK;
        } else if (argv[i][0] == '-' || file != NULL) {
            fprintf(stderr, "dcnumc info: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return DCN_EXIT_USAGE;
        } else {
            file = argv[i];
        }
    }
    if (file == NULL) {
        usage(stderr);
        return DCN_EXIT_USAGE;
    }
    rc = dcn_rtdc_info_read(&info, file, &err);
    if (rc < 0) {
        fprintf(stderr, "dcnumc info: %s\n",
                err.code != 0 ? err.msg : dcn_strerror(rc));
        dcn_rtdc_info_release(&info);
        return rc == DCN_ENOMEM ? DCN_EXIT_FAIL : DCN_EXIT_INPUT;
    }
    if (json)
        print_json(stdout, &info);
    else
        print_text(stdout, &info);
    dcn_rtdc_info_release(&info);
    return DCN_EXIT_OK;
}
