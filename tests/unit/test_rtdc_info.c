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

/* Run dcn_cli_info with stdout captured into out (malloc'd). */
static int
run_info(char **out, const char *file, const char *flag)
{
    char tmpl[] = "/tmp/dcn_info_XXXXXX";
    int fd = mkstemp(tmpl);
    int saved = dup(STDOUT_FILENO);
    char *argv[4] = {(char *)(uintptr_t) "info", (char *)(uintptr_t)file,
                     (char *)(uintptr_t)flag, NULL};
    int rc;
    FILE *f;
    long n;

    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    rc = dcn_cli_info(flag != NULL ? 3 : 2, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    f = fopen(tmpl, "rb");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = calloc((size_t)n + 1, 1);
    if (fread(*out, 1, (size_t)n, f) != (size_t)n)
        (*out)[0] = '\0';
    fclose(f);
    unlink(tmpl);
    return rc;
}

int
main(void)
{
    char p[PATH_MAX];
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info in;
    char *out = NULL;

    /* a sample input */
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

    /* no image: reported, not an error */
    td_path(p, "inputs/fmt-hdf5_cytoshot_extended-moments-features.rtdc");
    CHECK_EQ(dcn_rtdc_info_read(&in, p, &err), 0);
    CHECK(!in.has_image);
    CHECK_EQ(in.nfeatures, 6);
    dcn_rtdc_info_release(&in);

    /* dcnum's output: internal basin */
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

    /* the CLI: text, JSON, errors */
    td_path(p, "inputs/file_with_variable_length_logs.rtdc");
    CHECK_EQ(run_info(&out, p, NULL), DCN_EXIT_OK);
    CHECK(strstr(out, "zstd(5)") != NULL);
    CHECK(strstr(out, "12b4490f-6c58-13b1-bddd-5d8e2332b60b") != NULL);
    CHECK(strstr(out, "M1_camera.ini (11 lines)") != NULL);
    free(out);
    td_path(p, "reference/dcnum_thresh_example/default/dcnum_output.rtdc");
    CHECK_EQ(run_info(&out, p, "--json"), DCN_EXIT_OK);
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
    free(out);
    CHECK_EQ(run_info(&out, "/nonexistent/x.rtdc", NULL), DCN_EXIT_INPUT);
    free(out);
    CHECK_EQ(run_info(&out, p, "--bogus"), DCN_EXIT_USAGE);
    free(out);
    return check_report();
}
