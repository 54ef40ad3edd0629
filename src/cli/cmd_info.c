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
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "dcnumc/rtdc_info.h"

/* Declared here until the dispatcher adds it to cli.h. */
int dcn_cli_info(int argc, char **argv);

static void
usage(FILE *out)
{
    (void)fprintf(out,
                  "usage: dcnumc info FILE [--json]\n"
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
        (void)fputs("null", out);
        return;
    }
    (void)fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            (void)fputs("\\\"", out);
            break;
        case '\\':
            (void)fputs("\\\\", out);
            break;
        case '\n':
            (void)fputs("\\n", out);
            break;
        case '\r':
            (void)fputs("\\r", out);
            break;
        case '\t':
            (void)fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                (void)fprintf(out, "\\u%04x", *p);
            else
                (void)fputc(*p, out);
        }
    }
    (void)fputc('"', out);
}

static void
json_strv(FILE *out, char *const *v, size_t n)
{
    (void)fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            (void)fputs(", ", out);
        json_str(out, v[i]);
    }
    (void)fputc(']', out);
}

static void
json_num(FILE *out, double d)
{
    char buf[40];

    if (d != d) {
        (void)fputs("null", out);
        return;
    }
    /* shortest text that reads back as the same double */
    for (int prec = 15; prec <= 17; prec++) {
        (void)snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    (void)fputs(buf, out);
}

static void
json_image(FILE *out, const struct dcn_rtdc_info *in)
{
    if (!in->has_image) {
        (void)fputs(",\n  \"image\": null", out);
        return;
    }
    (void)fprintf(out, ",\n  \"image\": {\"shape\": [%llu, %llu], \"dtype\": ",
                  (unsigned long long)in->image_height,
                  (unsigned long long)in->image_width);
    json_str(out, in->image_dtype);
    (void)fputs(", \"storage\": ", out);
    json_str(out, in->image_storage);
    if (in->image_chunks[0] > 0)
        (void)fprintf(out, ", \"chunks\": [%llu, %llu, %llu]",
                      (unsigned long long)in->image_chunks[0],
                      (unsigned long long)in->image_chunks[1],
                      (unsigned long long)in->image_chunks[2]);
    else
        (void)fputs(", \"chunks\": null", out);
    (void)fputs(", \"filters\": ", out);
    json_str(out, in->image_filters);
    (void)fprintf(out, ", \"raw_chunk_decode\": %s, \"source\": ",
                  in->image_raw_fetch ? "true" : "false");
    json_str(out, in->image_source);
    (void)fputs("}", out);
}

/* "key": string pairs of two parallel lists, as the members of an object */
static void
json_members(FILE *out, char *const *keys, char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        (void)fputs(i > 0 ? ", " : "", out);
        json_str(out, keys[i]);
        (void)fputs(": ", out);
        json_str(out, values[i]);
    }
}

static void
json_basin(FILE *out, const struct dcn_rtdc_info_basin *b)
{
    (void)fputs("\"key\": ", out);
    json_str(out, b->key);
    (void)fputs(", \"name\": ", out);
    json_str(out, b->name);
    (void)fputs(", \"type\": ", out);
    json_str(out, b->type);
    (void)fputs(", \"format\": ", out);
    json_str(out, b->format);
    (void)fputs(", \"paths\": ", out);
    json_strv(out, b->paths, b->npaths);
    (void)fputs(", \"features\": ", out);
    json_strv(out, b->features, b->nfeatures);
    (void)fputs(", \"mapping\": ", out);
    json_str(out, b->mapping);
    (void)fputs(", \"identifier\": ", out);
    json_str(out, b->identifier);
    (void)fprintf(out, ", \"resolved\": %s, \"resolved_path\": ",
                  b->usable ? "true" : "false");
    json_str(out, b->resolved);
}

/* The basins, the logs, the tables and the warnings. */
static void
json_tail(FILE *out, const struct dcn_rtdc_info *in)
{
    (void)fputs(",\n  \"basins\": [", out);
    for (size_t i = 0; i < in->nbasins; i++) {
        (void)fputs(i > 0 ? ",\n    {" : "\n    {", out);
        json_basin(out, &in->basins[i]);
        (void)fputs("}", out);
    }
    (void)fputs(in->nbasins > 0 ? "\n  ],\n  \"logs\": {" : "],\n  \"logs\": {",
                out);
    for (size_t i = 0; i < in->nlogs; i++) {
        (void)fputs(i > 0 ? ", " : "", out);
        json_str(out, in->logs[i].name);
        (void)fprintf(out, ": %zu", in->logs[i].lines);
    }
    (void)fputs("},\n  \"tables\": ", out);
    json_strv(out, in->tables, in->ntables);
    (void)fputs(",\n  \"warnings\": ", out);
    json_strv(out, in->warnings, in->nwarnings);
}

static void
print_json(FILE *out, const struct dcn_rtdc_info *in)
{
    (void)fputs("{\n  \"file\": ", out);
    json_str(out, in->path);
    (void)fprintf(out, ",\n  \"frames\": %llu", (unsigned long long)in->frames);
    json_image(out, in);
    (void)fprintf(out, ",\n  \"read_chunk_size\": %llu",
                  (unsigned long long)in->read_chunk_size);
    (void)fputs(",\n  \"pixel_size\": ", out);
    json_num(out, in->pixel_size);
    (void)fputs(",\n  \"frame_rate\": ", out);
    json_num(out, in->frame_rate);
    (void)fputs(",\n  \"measurement_id\": ", out);
    json_str(out, in->measurement_id);
    (void)fputs(",\n  \"features\": ", out);
    json_strv(out, in->features, in->nfeatures);
    (void)fputs(",\n  \"pipeline\": {", out);
    json_members(out, in->pipeline_keys, in->pipeline_values, in->npipeline);
    (void)fputs("}", out);
    json_tail(out, in);
    (void)fputs("\n}\n", out);
}

static void
print_list(FILE *out, const char *label, char *const *v, size_t n)
{
    (void)fprintf(out, "%-16s", label);
    if (n == 0)
        (void)fputs("(none)", out);
    for (size_t i = 0; i < n; i++)
        (void)fprintf(out, "%s%s", i > 0 ? ", " : "", v[i]);
    (void)fputc('\n', out);
}

/* print_list() with "<what> (<n>):" as the label */
static void
print_counted_list(FILE *out, const char *what, char *const *v, size_t n)
{
    char label[48]; /* fits any what given here and any n */

    (void)snprintf(label, sizeof label, "%s (%zu):", what, n);
    print_list(out, label, v, n);
}

static void
text_image(FILE *out, const struct dcn_rtdc_info *in)
{
    if (!in->has_image) {
        (void)fprintf(out, "%-16s(none)\n", "image:");
        return;
    }
    (void)fprintf(out, "%-16s%llu x %llu %s, %s",
                  "image:", (unsigned long long)in->image_height,
                  (unsigned long long)in->image_width, in->image_dtype,
                  in->image_storage);
    if (in->image_chunks[0] > 0)
        (void)fprintf(out, " (%llu, %llu, %llu)",
                      (unsigned long long)in->image_chunks[0],
                      (unsigned long long)in->image_chunks[1],
                      (unsigned long long)in->image_chunks[2]);
    (void)fprintf(out, ", filters %s, %s\n", in->image_filters,
                  in->image_raw_fetch ? "decoded by workers"
                                      : "decoded by HDF5");
    (void)fprintf(out, "%-16s%s\n", "image source:", in->image_source);
}

/* Pixel size, frame rate and measurement identifier. */
static void
text_measurement(FILE *out, const struct dcn_rtdc_info *in)
{
    if (in->pixel_size > 0)
        (void)fprintf(out, "%-16s%.8g um\n", "pixel size:", in->pixel_size);
    else
        (void)fprintf(out, "%-16s(missing)\n", "pixel size:");
    if (in->frame_rate > 0)
        (void)fprintf(out, "%-16s%.17g Hz\n", "frame rate:", in->frame_rate);
    else
        (void)fprintf(out, "%-16s(none)\n", "frame rate:");
    (void)fprintf(out, "%-16s%s\n", "measurement id:",
                  in->measurement_id != NULL ? in->measurement_id : "(none)");
}

static void
text_pipeline(FILE *out, const struct dcn_rtdc_info *in)
{
    (void)fprintf(out, "pipeline:%s\n",
                  in->npipeline > 0 ? "" : "       (none)");
    for (size_t i = 0; i < in->npipeline; i++)
        (void)fprintf(out, "  %s = %s\n", in->pipeline_keys[i],
                      in->pipeline_values[i]);
}

/* Basin number i (from 1). */
static void
text_basin(FILE *out, size_t i, const struct dcn_rtdc_info_basin *b)
{
    (void)fprintf(out, "  [%zu] %s (%s", i, b->name != NULL ? b->name : b->key,
                  b->type != NULL ? b->type : "?");
    if (b->format != NULL)
        (void)fprintf(out, ", %s", b->format);
    (void)fprintf(out, "), %s, %s\n",
                  b->mapping != NULL ? b->mapping : "unmapped",
                  b->usable ? "resolved" : "NOT resolved");
    if (b->resolved != NULL)
        (void)fprintf(out, "      using: %s\n", b->resolved);
    print_list(out, "      paths:", b->paths, b->npaths);
    print_list(out, "      features:", b->features, b->nfeatures);
    if (b->identifier != NULL)
        (void)fprintf(out, "      identifier: %s\n", b->identifier);
}

static void
text_logs(FILE *out, const struct dcn_rtdc_info *in)
{
    (void)fprintf(out, "logs (%zu):%s\n", in->nlogs,
                  in->nlogs > 0 ? "" : "       (none)");
    for (size_t i = 0; i < in->nlogs; i++)
        (void)fprintf(out, "  %s (%zu lines)\n", in->logs[i].name,
                      in->logs[i].lines);
}

static void
print_text(FILE *out, const struct dcn_rtdc_info *in)
{
    (void)fprintf(out, "%-16s%s\n", "file:", in->path);
    (void)fprintf(out, "%-16s%llu\n",
                  "frames:", (unsigned long long)in->frames);
    text_image(out, in);
    (void)fprintf(out, "%-16s%llu frames\n",
                  "read chunk:", (unsigned long long)in->read_chunk_size);
    text_measurement(out, in);
    print_counted_list(out, "features", in->features, in->nfeatures);
    text_pipeline(out, in);
    (void)fprintf(out, "basins (%zu):%s\n", in->nbasins,
                  in->nbasins > 0 ? "" : "     (none)");
    for (size_t i = 0; i < in->nbasins; i++)
        text_basin(out, i + 1, &in->basins[i]);
    text_logs(out, in);
    print_counted_list(out, "tables", in->tables, in->ntables);
    for (size_t i = 0; i < in->nwarnings; i++)
        (void)fprintf(out, "warning: %s\n", in->warnings[i]);
}

/* Read file and print what it holds; an exit code. */
static int
info_of(const char *file, int json)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info info;
    int rc = dcn_rtdc_info_read(&info, file, &err);

    if (rc < 0) {
        (void)fprintf(stderr, "dcnumc info: %s\n",
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

/* info_of() in a child process: a damaged file can crash libhdf5 itself,
 * which then becomes one message and exit status 3, not a bare signal. */
static int
info_supervised(const char *file, int json)
{
    pid_t pid;
    int sig = 0;
    int code;

    pid = (pid_t)cli_fork();
    if (pid == 0)
        cli_child_exit(info_of(file, json));
    if (pid < 0)
        return info_of(file, json); /* no process to spare: read here */
    code = cli_wait_child((long)pid, &sig);
    if (code >= 0)
        return code;
    if (sig == 0) { /* waitpid() failed: the outcome is unknown */
        (void)fprintf(stderr, "dcnumc info: %s: lost the reader\n", file);
        return DCN_EXIT_FAIL;
    }
    cli_report_signal("dcnumc info", file, "reading the file", sig,
                      "; the file is probably damaged");
    return DCN_EXIT_INPUT;
}

int
dcn_cli_info(int argc, char **argv)
{
    const char *file = NULL;
    int json = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return DCN_EXIT_OK;
        } else if (argv[i][0] == '-' || file != NULL) {
            (void)fprintf(stderr, "dcnumc info: unexpected argument '%s'\n",
                          argv[i]);
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
    return info_supervised(file, json);
}
