/* SPDX-License-Identifier: MIT */
/*
 * test_rtdc_info.c - dcn_rtdc_info_read() on the samples and on dcnum's
 * outputs, and `dcnumc info` (dcn_cli_info) in text and JSON: exit codes,
 * and the JSON output parses and names what the summary holds.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "dcnumc/rtdc_info.h"
#include "rtdc_json.h"
#include "testdata.h"

int dcn_cli_info(int argc, char **argv);

/* The whole of the file at path, caller-freed; "" if it cannot be read. */
static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n = -1;

    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0)
        text = calloc((size_t)n + 1, 1);
    if (text != NULL && fread(text, 1, (size_t)n, f) != (size_t)n)
        text[0] = '\0';
    if (f != NULL)
        (void)fclose(f); /* read only: nothing to lose */
    return text != NULL ? text : calloc(1, 1);
}

/* Run dcn_cli_info with stdout captured into out (malloc'd). */
static int
run_info(char **out, const char *file, const char *flag)
{
    char tmpl[] = "/tmp/dcn_info_XXXXXX";
    int fd = mkstemp(tmpl);
    int saved = dup(STDOUT_FILENO);
    char name[] = "info";
    char *file_arg = strdup(file);
    char *flag_arg = flag != NULL ? strdup(flag) : NULL;
    char *argv[4] = {name, file_arg, flag_arg, NULL};
    int rc;

    (void)fflush(stdout); /* our own output stays out of the capture */
    dup2(fd, STDOUT_FILENO);
    rc = dcn_cli_info(flag != NULL ? 3 : 2, argv);
    (void)fflush(stdout); /* a lost line fails the checks on *out */
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    *out = read_text(tmpl);
    unlink(tmpl);
    free(file_arg);
    free(flag_arg);
    return rc;
}

static void
test_info_of_a_sample_input(void)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info in;

    td_path(p, "inputs/dcnum_thresh_example.rtdc");
    CHECK_EQ(dcn_rtdc_info_read(&in, p, &err), 0);
    CHECK_EQ(in.frames, 13);
    CHECK(in.has_image);
    CHECK_EQ(in.image_height, 80);
    CHECK_EQ(in.image_width, 320);
    CHECK_STR_EQ(in.image_filters, "zstd(5)+fletcher32");
    CHECK_STR_EQ(in.image_storage, "chunked");
    CHECK_EQ(in.image_chunks[0], 13);
    CHECK(in.image_raw_fetch);
    CHECK_EQ(in.npipeline, 9);
    CHECK_STR_EQ(in.measurement_id, "2024-rcs-example-data-ndio1287");
    CHECK_EQ(in.nlogs, 4);
    CHECK_EQ(in.ntables, 2);
    CHECK_EQ(in.nfeatures, 56);
    dcn_rtdc_info_release(&in);
}

static void
test_no_image_is_reported_not_an_error(void)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info in;

    td_path(p, "inputs/fmt-hdf5_cytoshot_extended-moments-features.rtdc");
    CHECK_EQ(dcn_rtdc_info_read(&in, p, &err), 0);
    CHECK(!in.has_image);
    CHECK_EQ(in.nfeatures, 6);
    dcn_rtdc_info_release(&in);
}

static void
test_internal_basin_of_dcnum_output(void)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info in;

    td_path(p, "reference/cytoshot-test-data/default/dcnum_output.rtdc");
    CHECK_EQ(dcn_rtdc_info_read(&in, p, &err), 0);
    CHECK_EQ(in.nbasins, 1);
    if (in.nbasins == 1) {
        CHECK_STR_EQ(in.basins[0].type, "internal");
        CHECK_STR_EQ(in.basins[0].mapping, "basinmap1");
        CHECK(in.basins[0].usable);
        CHECK_STR_EQ(in.basins[0].resolved, "basin_events");
    }
    CHECK_EQ(in.npipeline, 9);
    dcn_rtdc_info_release(&in);
}

static void
test_cli_text(void)
{
    char p[PATH_MAX];
    char *out = NULL;

    td_path(p, "inputs/file_with_variable_length_logs.rtdc");
    CHECK_EQ(run_info(&out, p, NULL), DCN_EXIT_OK);
    CHECK(strstr(out, "zstd(5)") != NULL);
    CHECK(strstr(out, "12b4490f-6c58-13b1-bddd-5d8e2332b60b") != NULL);
    CHECK(strstr(out, "M1_camera.ini (11 lines)") != NULL);
    free(out);
}

/* The JSON output parses and names what the summary holds. */
static void
check_info_json(const char *out)
{
    struct dcn_json_object o;
    const struct dcn_json_member *m;

    CHECK_EQ(dcn_json_parse(&o, out, strlen(out), NULL), 0);
    m = dcn_json_get(&o, "frames");
    CHECK(m != NULL && strcmp(m->str, "55") != 0 &&
          strtoull(m->str, NULL, 10) > 0);
    m = dcn_json_get(&o, "features");
    CHECK(m != NULL && m->kind == DCN_JSON_ARRAY && m->nitems > 40);
    m = dcn_json_get(&o, "basins");
    CHECK(m != NULL && m->kind == DCN_JSON_ARRAY);
    CHECK(strstr(out, "\"mapping\": \"basinmap1\"") != NULL);
    m = dcn_json_get(&o, "pipeline");
    CHECK(m != NULL && m->str != NULL &&
          strstr(m->str, "pipeline:dcnum hash") != NULL);
    dcn_json_object_release(&o);
}

/* dcn_cli_info's exit code; its output is dropped. */
static int
info_exit_code(const char *file, const char *flag)
{
    char *out = NULL;
    int rc = run_info(&out, file, flag);

    free(out);
    return rc;
}

static void
test_cli_json_and_errors(void)
{
    char p[PATH_MAX];
    char *out = NULL;

    td_path(p, "reference/dcnum_thresh_example/default/dcnum_output.rtdc");
    CHECK_EQ(run_info(&out, p, "--json"), DCN_EXIT_OK);
    check_info_json(out);
    free(out);
    CHECK_EQ(info_exit_code("/nonexistent/x.rtdc", NULL), DCN_EXIT_INPUT);
    CHECK_EQ(info_exit_code(p, "--bogus"), DCN_EXIT_USAGE);
}

int
main(void)
{
    test_info_of_a_sample_input();
    test_no_image_is_reported_not_an_error();
    test_internal_basin_of_dcnum_output();
    test_cli_text();
    test_cli_json_and_errors();
    return check_report();
}
