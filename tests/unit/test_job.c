/* SPDX-License-Identifier: MIT */
/*
 * test_job.c - job options: dcnum's defaults, parsing of option text as
 * the CLI receives it, and errors that name the option, key and value.
 */
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "dcnumc/job.h"

/* rc must be DCN_EINVAL and the message must contain every needle. */
static void
expect_einval(int rc, struct dcn_error *err, const char *n1, const char *n2,
              const char *n3)
{
    const char *needles[3] = {n1, n2, n3};
    CHECK_EQ(rc, DCN_EINVAL);
    CHECK_EQ(err->code, DCN_EINVAL);
    for (int i = 0; i < 3; i++) {
        if (needles[i] != NULL && !CHECK(strstr(err->msg, needles[i]) != NULL))
            (void)fprintf(stderr, "    '%s' not in message '%s'\n", needles[i],
                          err->msg);
    }
    dcn_error_clear(err);
}

static void
test_default_input_and_codes_are_dcnums(void)
{
    struct dcn_job job;
    dcn_job_init(&job);
    CHECK(job.path_in == NULL && job.path_out == NULL);
    CHECK(!job.has_pixel_size);
    CHECK_EQ(job.index_mapping.kind, DCN_MAPPING_NONE);
    CHECK_EQ(job.background_code, DCN_BACKGROUND_SPARSEMED);
    CHECK_EQ(job.basin_strategy, DCN_BASIN_DRAIN);
    CHECK_EQ(job.compression_level, 5);
    CHECK_EQ(job.worker_kind, DCN_WORKER_THREADS);
    dcn_job_release(&job);
}

static void
test_default_sparsemed_is_dcnums(void)
{
    struct dcn_job job;
    dcn_job_init(&job);
    CHECK_EQ(job.sparsemed.kernel_size, 200);
    CHECK_DBL_IDENT(job.sparsemed.split_time, 1.0);
    CHECK_DBL_IDENT(job.sparsemed.thresh_cleansing, 0.0);
    CHECK_DBL_IDENT(job.sparsemed.frac_cleansing, 0.8);
    CHECK(job.sparsemed.offset_correction);
    dcn_job_release(&job);
}

static void
test_default_stages_are_dcnums(void)
{
    struct dcn_job job;
    dcn_job_init(&job);
    CHECK_EQ(job.rollmed.kernel_size, 100);
    CHECK_EQ(job.rollmed.batch_size, 10000);
    CHECK_DBL_IDENT(job.thresh, -6.0);
    CHECK(job.clear_border && job.fill_holes);
    CHECK_EQ(job.closing_disk, 2);
    CHECK(job.brightness && job.haralick && job.volume);
    CHECK(!job.online_gates && job.size_thresh_mask_none);
    CHECK_EQ(dcn_job_size_thresh_mask(&job, 0), 10);
    dcn_job_release(&job);
}

static void
test_booleans_parse_like_dcnum(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    const char *yes[] = {"true", "True", "YES", "1", "2.5"};
    const char *no[] = {"false", "False", "no", "0", "0.0"};
    for (int i = 0; i < 5; i++) {
        char kv[32];
        (void)snprintf(kv, sizeof(kv), "haralick=%s", no[i]);
        CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_FEATURE, kv, &err), DCN_OK);
        CHECK(!job.haralick);
        (void)snprintf(kv, sizeof(kv), "haralick=%s", yes[i]);
        CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_FEATURE, kv, &err), DCN_OK);
        CHECK(job.haralick);
    }
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_background_values_parse_like_dcnum(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, " kernel_size = 150 ",
                            &err),
             DCN_OK);
    CHECK_EQ(job.sparsemed.kernel_size, 150);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "thresh_cleansing=1e-5",
                            &err),
             DCN_OK);
    CHECK_DBL_IDENT(job.sparsemed.thresh_cleansing, 1e-5);
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_segmenter_and_data_values_parse_like_dcnum(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "thresh=-3", &err), DCN_OK);
    CHECK_DBL_IDENT(job.thresh, -3.0);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "pixel_size=0.34", &err),
             DCN_OK);
    CHECK(job.has_pixel_size);
    CHECK_DBL_IDENT(dcn_job_resolve_pixel_size(&job, 0.2645), 0.34);
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_size_thresh_mask_values_parse_like_dcnum(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_GATE, "size_thresh_mask=5", &err),
             DCN_OK);
    CHECK_EQ(dcn_job_size_thresh_mask(&job, 0), 5);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_GATE, "size_thresh_mask=0", &err),
             DCN_OK);
    CHECK_EQ(dcn_job_size_thresh_mask(&job, 0), 10);
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_gate_and_chunk_values_parse_like_dcnum(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_GATE, "size_thresh_mask=None", &err),
             DCN_OK);
    CHECK(job.size_thresh_mask_none);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_GATE, "online_gates=yes", &err),
             DCN_OK);
    CHECK_EQ(dcn_job_size_thresh_mask(&job, 42), 42);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "image_chunk_size=100", &err),
             DCN_OK);
    CHECK_EQ(job.image_chunk_size, 100);
    dcn_job_release(&job);
}

/* the pixel size from the input is rounded to 8 decimals */
static void
test_input_pixel_size_is_rounded(void)
{
    struct dcn_job job;
    dcn_job_init(&job);
    CHECK_DBL_IDENT(dcn_job_resolve_pixel_size(&job, 0.26550000004), 0.2655);
    dcn_job_release(&job);
}

static void
test_index_mapping_count_and_slices(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    const struct dcn_index_mapping *m = &job.index_mapping;
    dcn_job_init(&job);

    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=10", &err), 0);
    CHECK(m->kind == DCN_MAPPING_COUNT && m->count == 10);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=2:5", &err), 0);
    CHECK(m->kind == DCN_MAPPING_SLICE && m->has_start && m->start == 2 &&
          m->has_stop && m->stop == 5 && !m->has_step);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=:10:2", &err), 0);
    CHECK(m->kind == DCN_MAPPING_SLICE && !m->has_start && m->stop == 10 &&
          m->has_step && m->step == 2);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=None:None:3",
                            &err),
             0);
    CHECK(!m->has_start && !m->has_stop && m->step == 3);
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_index_mapping_lists_and_none(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    const struct dcn_index_mapping *m = &job.index_mapping;
    dcn_job_init(&job);

    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=3,5,6,7", &err),
             0);
    CHECK(m->kind == DCN_MAPPING_LIST && m->nindices == 4 &&
          m->indices[0] == 3 && m->indices[3] == 7);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=[1, 2]", &err),
             0);
    CHECK(m->kind == DCN_MAPPING_LIST && m->nindices == 2 &&
          m->indices[1] == 2);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=4,", &err), 0);
    CHECK(m->kind == DCN_MAPPING_LIST && m->nindices == 1);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=None", &err), 0);
    CHECK(m->kind == DCN_MAPPING_NONE && m->indices == NULL);
    CHECK_EQ(err.code, 0);
    dcn_job_release(&job);
}

static void
test_index_mapping_bad_forms(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    const char *bad[] = {"x",  "1:2:3:4", "1::0", "3,,5",         ",5",
                         "-1", "1,-2",    "[1,2", "5000000000,1", "1.5"};
    dcn_job_init(&job);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char kv[64];
        (void)snprintf(kv, sizeof(kv), "index_mapping=%s", bad[i]);
        expect_einval(dcn_job_set_kw(&job, DCN_KW_DATA, kv, &err), &err,
                      "data_kwargs", "index_mapping", bad[i]);
    }
    dcn_job_release(&job);
}

/* a failed setter leaves the job unchanged */
static void
check_job_unchanged(const struct dcn_job *job)
{
    CHECK_EQ(job->sparsemed.kernel_size, 200);
    CHECK_DBL_IDENT(job->thresh, -6.0);
    CHECK_EQ(job->kw_given[DCN_KW_BACKGROUND], 0);
}

static void
test_unknown_keys_are_named(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);

    expect_einval(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "batch_size=5", &err),
                  &err, "background_kwargs", "batch_size", "sparsemed");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_MASK, "closing=3", &err), &err,
                  "kwargs_mask", "closing", "closing_disk");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_DATA, "foo=1", &err), &err,
                  "data_kwargs", "foo", NULL);
    expect_einval(dcn_job_set_kw(&job, DCN_KW_GATE, "size_thresh_mask", &err),
                  &err, "gate_kwargs", "key=value", NULL);
    check_job_unchanged(&job);
    dcn_job_release(&job);
}

static void
test_bad_values_are_named(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);

    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "kernel_size=abc", &err),
            &err, "background_kwargs", "kernel_size", "abc");
    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "kernel_size=1.5", &err),
            &err, "background_kwargs", "kernel_size", "1.5");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_FEATURE, "volume=maybe", &err),
                  &err, "feature_kwargs", "volume", "maybe");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "thresh=None", &err),
                  &err, "segmenter_kwargs", "thresh", "None");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "thresh=0x10", &err),
                  &err, "segmenter_kwargs", "thresh", "0x10");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_DATA, "pixel_size=0", &err), &err,
                  "data_kwargs", "pixel_size", "'0'");
    check_job_unchanged(&job);
    dcn_job_release(&job);
}

static void
test_constraints_are_named(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);

    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "kernel_size=0", &err),
            &err, "background_kwargs", "kernel_size=0", "> 0");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "split_time=0", &err),
                  &err, "background_kwargs", "split_time=0", "> 0");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "thresh_cleansing=-1",
                                 &err),
                  &err, "background_kwargs", "thresh_cleansing=-1", ">= 0");
    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "frac_cleansing=0", &err),
            &err, "background_kwargs", "frac_cleansing=0", "(0, 1]");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "frac_cleansing=1.01",
                                 &err),
                  &err, "background_kwargs", "frac_cleansing=1.01", NULL);
    expect_einval(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "thresh=0", &err),
                  &err, "segmenter_kwargs", "thresh=0", "< 0");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_MASK, "closing_disk=-1", &err),
                  &err, "kwargs_mask", "closing_disk=-1", ">= 0");
    check_job_unchanged(&job);
    dcn_job_release(&job);
}

static void
test_rollmed_kwargs_are_checked(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);

    CHECK_EQ(dcn_job_set_background(&job, "rollmed", &err), DCN_OK);
    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "kernel_size=7", &err),
            &err, "background_kwargs", "kernel_size=7", "even");
    expect_einval(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "split_time=1", &err),
                  &err, "background_kwargs", "split_time", "rollmed");
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "batch_size=50", &err),
             DCN_OK);
    expect_einval(dcn_job_check(&job, &err), &err, "background_kwargs",
                  "batch_size=50", "kernel_size=100");
    /* the code cannot change under given kwargs */
    expect_einval(dcn_job_set_background(&job, "sparsemed", &err), &err,
                  "background_code", "sparsemed", "rollmed");
    CHECK_EQ(dcn_job_set_background(&job, "rollmed", &err), DCN_OK);
    dcn_job_release(&job);
}

static void
test_copy_background_and_unknown_codes(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);

    CHECK_EQ(dcn_job_set_background(&job, "copy", &err), DCN_OK);
    expect_einval(
            dcn_job_set_kw(&job, DCN_KW_BACKGROUND, "kernel_size=2", &err),
            &err, "background_kwargs", "kernel_size", "copy");
    /* codes */
    expect_einval(dcn_job_set_background(&job, "median", &err), &err,
                  "background_code", "median", NULL);
    expect_einval(dcn_job_set_segmenter(&job, "torchuni", &err), &err,
                  "segmenter_code", "torchuni", "not supported by dcnumc");
    expect_einval(dcn_job_set_segmenter(&job, "watershed", &err), &err,
                  "segmenter_code", "watershed", NULL);
    CHECK_EQ(dcn_job_set_segmenter(&job, "thresh", &err), DCN_OK);
    expect_einval(dcn_job_set_feature(&job, "fancy", &err), &err,
                  "feature_code", "fancy", NULL);
    expect_einval(dcn_job_set_gate(&job, "box", &err), &err, "gate_code", "box",
                  NULL);
    expect_einval(dcn_job_set_data(&job, "dcor", &err), &err, "data_code",
                  "dcor", NULL);
    CHECK_EQ(dcn_job_set_data(&job, "hdf", &err), DCN_OK);
    CHECK_EQ(dcn_job_set_feature(&job, "legacy", &err), DCN_OK);
    CHECK_EQ(dcn_job_set_gate(&job, "norm", &err), DCN_OK);
    dcn_job_release(&job);
}

static void
test_compression_levels(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_compression(&job, "none", &err), DCN_OK);
    CHECK_EQ(job.compression_level, 0);
    CHECK_EQ(dcn_job_set_compression(&job, " ZSTD-9 ", &err), DCN_OK);
    CHECK_EQ(job.compression_level, 9);
    CHECK_EQ(dcn_job_set_compression(&job, "zstd-1", &err), DCN_OK);
    CHECK_EQ(job.compression_level, 1);
    expect_einval(dcn_job_set_compression(&job, "zstd-0", &err), &err,
                  "compression", "zstd-0", NULL);
    expect_einval(dcn_job_set_compression(&job, "zstd-10", &err), &err,
                  "compression", "zstd-10", NULL);
    expect_einval(dcn_job_set_compression(&job, "gzip", &err), &err,
                  "compression", "gzip", NULL);
    dcn_job_release(&job);
}

static void
test_basin_strategy_and_num_procs(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_basin_strategy(&job, "tap", &err), DCN_OK);
    CHECK_EQ(job.basin_strategy, DCN_BASIN_TAP);
    expect_einval(dcn_job_set_basin_strategy(&job, "sip", &err), &err,
                  "basin_strategy", "sip", NULL);
    CHECK_EQ(dcn_job_set_num_procs(&job, "3", &err), DCN_OK);
    CHECK_EQ(job.num_procs, 3);
    expect_einval(dcn_job_set_num_procs(&job, "-1", &err), &err, "num_procs",
                  "-1", NULL);
    dcn_job_release(&job);
}

static void
test_worker_kinds(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_worker_kind(&job, "processes", &err), DCN_OK);
    CHECK_EQ(job.worker_kind, DCN_WORKER_PROCESSES);
    CHECK_EQ(dcn_job_set_worker_kind(&job, "threads", &err), DCN_OK);
    CHECK_EQ(job.worker_kind, DCN_WORKER_THREADS);
    expect_einval(dcn_job_set_worker_kind(&job, "fibers", &err), &err, "worker",
                  "fibers", NULL);
    dcn_job_release(&job);
}

static void
test_output_path(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    char *p = NULL;
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_output_path(&p, &job, &err), DCN_EINVAL);
    dcn_error_clear(&err);
    CHECK_EQ(dcn_job_set_path_in(&job, "/data/a.b/M1_data.rtdc", &err), 0);
    CHECK_EQ(dcn_job_output_path(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p, "/data/a.b/M1_data_dcn.rtdc");
    dcn_free_string(p);
    CHECK_EQ(dcn_job_set_path_in(&job, "x.tar.rtdc", &err), 0);
    CHECK_EQ(dcn_job_output_path(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p, "x.tar_dcn.rtdc");
    dcn_free_string(p);
    CHECK_EQ(dcn_job_set_path_in(&job, "dir/noext", &err), 0);
    CHECK_EQ(dcn_job_output_path(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p, "dir/noext_dcn.rtdc");
    dcn_free_string(p);
    CHECK_EQ(dcn_job_set_path_out(&job, "out.rtdc", &err), 0);
    CHECK_EQ(dcn_job_output_path(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p, "out.rtdc");
    dcn_free_string(p);
    dcn_job_release(&job);
}

static void
test_validate_needs_the_input_for_rollmed(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    dcn_job_resolve_pixel_size(&job, 0.34);
    CHECK_EQ(dcn_job_validate(&job, 34, &err), DCN_OK); /* sparsemed K > N */
    CHECK_EQ(dcn_job_set_background(&job, "rollmed", &err), DCN_OK);
    expect_einval(dcn_job_validate(&job, 100, &err), &err, "background_kwargs",
                  "kernel_size=100", "D12");
    CHECK_EQ(dcn_job_validate(&job, 101, &err), DCN_OK);
    dcn_job_release(&job);
}

static void
test_validate_needs_the_input_for_index_mapping(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    dcn_job_init(&job);
    dcn_job_resolve_pixel_size(&job, 0.34);
    CHECK_EQ(dcn_job_set_background(&job, "rollmed", &err), DCN_OK);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=200", &err), 0);
    expect_einval(dcn_job_validate(&job, 101, &err), &err, "index_mapping",
                  "200", NULL);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=1,150", &err), 0);
    expect_einval(dcn_job_validate(&job, 101, &err), &err, "index_mapping",
                  "150", NULL);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=:500", &err), 0);
    CHECK_EQ(dcn_job_validate(&job, 101, &err), DCN_OK);
    dcn_job_release(&job);
}

/* D16: online gates only on computed features */
static void
test_online_gates_only_on_computed_features(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    const char *ok[] = {"size_x", "deform", "area_um", "tex_con_avg"};
    const char *bad[] = {"size_x", "fl1_max"};
    dcn_job_init(&job);
    CHECK_EQ(dcn_job_check_online_gates(&job, bad, 2, &err), DCN_OK);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_GATE, "online_gates=1", &err), 0);
    CHECK_EQ(dcn_job_check_online_gates(&job, ok, 4, &err), DCN_OK);
    expect_einval(dcn_job_check_online_gates(&job, bad, 2, &err), &err,
                  "gate_kwargs", "online_gates", "fl1_max");
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_FEATURE, "haralick=0", &err), 0);
    expect_einval(dcn_job_check_online_gates(&job, ok, 4, &err), &err,
                  "gate_kwargs", "tex_con_avg", NULL);
    dcn_job_release(&job);
}

static void
test_pixel_size_zero_or_missing(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_ppid p;

    /* D14: a pixel size of 0 from the input */
    dcn_job_init(&job);
    dcn_job_resolve_pixel_size(&job, 0.0);
    expect_einval(dcn_job_check(&job, &err), &err, "pixel_size", "D14", NULL);
    dcn_job_release(&job);

    /* no pixel size: no identifier */
    dcn_job_init(&job);
    expect_einval(dcn_job_get_ppid(&p, &job, &err), &err, "pixel_size", NULL,
                  NULL);
    dcn_job_release(&job);
}

/* index_mapping: the 5000 even numbers 0 .. 9998 */
static void
set_long_index_list(struct dcn_job *job)
{
    struct dcn_error err = DCN_ERROR_INIT;
    static char kv[40000];
    size_t pos = (size_t)snprintf(kv, sizeof(kv), "index_mapping=");
    for (int i = 0; i < 5000; i++)
        pos += (size_t)snprintf(kv + pos, sizeof(kv) - pos, "%s%d",
                                i > 0 ? "," : "", 2 * i);
    CHECK_EQ(dcn_job_set_kw(job, DCN_KW_DATA, kv, &err), DCN_OK);
}

static void
test_long_index_list(void)
{
    struct dcn_job job;

    dcn_job_init(&job);
    set_long_index_list(&job);
    CHECK_EQ(job.index_mapping.nindices, 5000);
    CHECK_EQ(job.index_mapping.indices[4999], 9998);
    dcn_job_release(&job);
}

/* every allocation of a setter may fail; the job stays as it was */
static void
test_allocation_failures_leave_the_job_unchanged(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;

    dcn_job_init(&job);
    set_long_index_list(&job);
    for (long nth = 1; nth <= 2; nth++) {
        dcn__alloc_fail_nth(nth);
        int rc = dcn_job_set_kw(&job, DCN_KW_DATA, "index_mapping=1,2", &err);
        dcn__alloc_fail_nth(0);
        CHECK_EQ(rc, DCN_ENOMEM);
        CHECK_EQ(err.code, DCN_ENOMEM);
        dcn_error_clear(&err);
        CHECK_EQ(job.index_mapping.nindices, 5000);
    }
    dcn__alloc_fail_nth(1);
    CHECK_EQ(dcn_job_set_path_in(&job, "x.rtdc", &err), DCN_ENOMEM);
    dcn__alloc_fail_nth(0);
    CHECK(job.path_in == NULL);
    dcn_job_release(&job);
}

/* The torch segmenters: model_file, the class default closing_disk=0,
 * the PPID segmenter id with the file name only (dcnum's
 * test_segm_torch_mpo), model_file required, codes not mixed with the
 * other code's kwargs. */
static void
test_torch_segmenter_options_are_dcnums(void)
{
    struct dcn_job job;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_ppid p;
    const char *path = __FILE__; /* an existing file, absolute path */

    dcn_job_init(&job);
    CHECK_EQ(dcn_job_set_segmenter(&job, "torchmpo", &err), DCN_OK);
    CHECK_EQ(job.closing_disk, 0);
    expect_einval(dcn_job_check(&job, &err), &err, "model_file", "torchmpo",
                  NULL);
    expect_einval(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "thresh=-5", &err),
                  &err, "segmenter_kwargs", "thresh", "model_file");
    /* an existing file: its name only; anything else as given */
    char kv[4096];
    (void)snprintf(kv, sizeof(kv), "model_file=%s", path);
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, kv, &err), DCN_OK);
    CHECK_STR_EQ(job.model_file, path);
    CHECK_EQ(dcn_job_check(&job, &err), DCN_OK);
    (void)dcn_job_resolve_pixel_size(&job, 0.34);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p.seg, "torchmpo:m=test_job.c:cle=1^f=1^clo=0");
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_SEGMENTER, "model_file=no/such.dcnm",
                            &err),
             DCN_OK);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p.seg, "torchmpo:m=no/such.dcnm:cle=1^f=1^clo=0");
    /* given mask kwargs survive the code; the code keeps its kwargs */
    CHECK_EQ(dcn_job_set_kw(&job, DCN_KW_MASK, "closing_disk=3", &err), DCN_OK);
    CHECK_EQ(dcn_job_set_segmenter(&job, "torchsto", &err), DCN_OK);
    CHECK_EQ(job.closing_disk, 3);
    CHECK_EQ(dcn_job_get_ppid(&p, &job, &err), DCN_OK);
    CHECK_STR_EQ(p.seg, "torchsto:m=no/such.dcnm:cle=1^f=1^clo=3");
    expect_einval(dcn_job_set_segmenter(&job, "thresh", &err), &err,
                  "segmenter_code", "thresh", "set the code first");
    dcn_job_release(&job);
    CHECK_EQ(job.model_file == NULL, 1);
}

int
main(void)
{
    test_default_input_and_codes_are_dcnums();
    test_torch_segmenter_options_are_dcnums();
    test_default_sparsemed_is_dcnums();
    test_default_stages_are_dcnums();
    test_booleans_parse_like_dcnum();
    test_background_values_parse_like_dcnum();
    test_segmenter_and_data_values_parse_like_dcnum();
    test_size_thresh_mask_values_parse_like_dcnum();
    test_gate_and_chunk_values_parse_like_dcnum();
    test_input_pixel_size_is_rounded();
    test_index_mapping_count_and_slices();
    test_index_mapping_lists_and_none();
    test_index_mapping_bad_forms();
    test_unknown_keys_are_named();
    test_bad_values_are_named();
    test_constraints_are_named();
    test_rollmed_kwargs_are_checked();
    test_copy_background_and_unknown_codes();
    test_compression_levels();
    test_basin_strategy_and_num_procs();
    test_worker_kinds();
    test_output_path();
    test_validate_needs_the_input_for_rollmed();
    test_validate_needs_the_input_for_index_mapping();
    test_online_gates_only_on_computed_features();
    test_pixel_size_zero_or_missing();
    test_long_index_list();
    test_allocation_failures_leave_the_job_unchanged();
    return check_report();
}
