/* SPDX-License-Identifier: MIT */
/*
 * test_torch_meta.c - dcnum_meta.json parsing and dcnum's applicability
 * rules (TorchSegmenterBase.validate_applicability), one behaviour at a
 * time, with the metadata of dcnum's two format-1 test models and the
 * cases of dcnum's tests/test_segm_torch.py (chip region, missing key,
 * the "testing-fail" log, the negated dclab-compress log rule, the
 * channel width value rule); plus the JSON reader itself.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_tree.h"
#include "torch_meta.h"

/* dcnum_meta.json of unet-dcnum-test_g1_910c2 and ..._g2_17ec6. */
static const char g1[] =
        "{\"name\": \"Test model for dcnum\", \"identifier\": "
        "\"unet-dcnum-test_g1\", \"preprocessing\": {\"norm_mean\": 0.487, "
        "\"norm_std\": 0.084, \"image_shape\": [64, 256]}, \"validation\": "
        "[{\"type\": \"meta\", \"key\": \"setup:chip region\", "
        "\"allow-missing-key\": false, \"regexp\": \"^channel$\", "
        "\"regexp-negate\": false, \"reason\": \"only experiments in channel "
        "region supported\"}, {\"type\": \"logs\", \"key\": \"testing-fail\", "
        "\"allow-missing-key\": true, \"regexp\": \".*measurement failed.*\", "
        "\"regexp-negate\": true, \"reason\": \"measurement failed according "
        "to the logs\"}]}";
static const char g2[] =
        "{\"preprocessing\": {\"norm_mean\": 0.362, \"norm_std\": 0.0219, "
        "\"image_shape\": [80, 320]}, \"validation\": [{\"type\": \"meta\", "
        "\"key\": \"setup:identifier\", \"allow-missing-key\": false, "
        "\"regexp\": \"^RC-.*\", \"regexp-negate\": false, \"reason\": \"must "
        "be a Rivercyte data file\"}, {\"type\": \"meta\", \"key\": "
        "\"setup:channel width\", \"allow-missing-key\": false, \"value\": "
        "20.0, \"reason\": \"channel width must be 20 micrometers\"}, "
        "{\"type\": \"logs\", \"key\": \"dclab-compress\", "
        "\"allow-missing-key\": true, \"regexp\": \"^ *\\\"date\\\": "
        "\\\"2024-05-07\\\",$\", \"regexp-negate\": true, \"reason\": \"must "
        "not be compressed 2024-05-07\"}]}";

static int
validate(const struct dcn_torch_meta *m, const struct dcn_torch_attr *a,
         size_t na, const struct dcn_torch_log *l, size_t nl,
         struct dcn_error *err)
{
    struct dcn_torch_input in = {"in.rtdc", a, na, l, nl};

    dcn_error_clear(err);
    return dcn_torch_meta_validate(m, "torchmpo", "model.dcnm", &in, err);
}

static void
test_g1_rules(void)
{
    struct dcn_torch_meta m;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_torch_attr channel = {"setup:chip region", "channel", 0};
    struct dcn_torch_attr reservoir = {"setup:chip region", "reservoir", 0};
    struct dcn_torch_log failed = {"testing-fail",
                                   "dear user of this software, I am here to "
                                   "inform you that the measurement failed"};
    struct dcn_torch_log fine = {"testing-fail", "first line\nall good"};

    CHECK_EQ(dcn_torch_meta_parse(&m, g1, strlen(g1), "g1", &err), DCN_OK);
    CHECK_EQ(m.nrules, 2);
    CHECK_EQ(validate(&m, &channel, 1, NULL, 0, &err), DCN_OK);
    CHECK_EQ(validate(&m, &channel, 1, &fine, 1, &err), DCN_OK);
    CHECK_EQ(validate(&m, &reservoir, 1, NULL, 0, &err), DCN_EINVAL);
    CHECK_STR_EQ(err.msg, "in.rtdc: The dataset cannot be segmented with "
                          "the 'torchmpo' segmenter: only experiments in "
                          "channel region supported");
    CHECK_EQ(validate(&m, NULL, 0, NULL, 0, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "Key 'setup:chip region' missing in meta") != NULL);
    CHECK_EQ(validate(&m, &channel, 1, &failed, 1, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "segmenter: measurement failed according to the "
                          "logs") != NULL);
    /* several reasons, joined as dcnum joins them */
    CHECK_EQ(validate(&m, &reservoir, 1, &failed, 1, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "supported, measurement failed") != NULL);
    dcn_torch_meta_release(&m);
}

static void
test_g2_rules(void)
{
    struct dcn_torch_meta m;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_torch_attr a[2] = {{"setup:identifier", "RC-2024-x", 0},
                                  {"setup:channel width", NULL, 30.0}};
    struct dcn_torch_log compress = {
            "dclab-compress", "{\n  \"dclab\": \"0.58\",\n  \"date\": "
                              "\"2024-05-07\",\n  \"time\": \"11:52\"\n}"};
    struct dcn_torch_log other = {"dclab-compress",
                                  "{\n  \"date\": \"2024-05-08\",\n}"};

    CHECK_EQ(dcn_torch_meta_parse(&m, g2, strlen(g2), "g2", &err), DCN_OK);
    CHECK_EQ(m.image_h, 80);
    CHECK_EQ(m.image_w, 320);
    CHECK(m.rules[1].has_value);
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "channel width must be 20 micrometers") != NULL);
    a[1].number = 20.0;
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_OK);
    a[1].number = 20.19; /* rtol 0.01 of the file's value */
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_OK);
    a[1].number = 19.7;
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_EINVAL);
    a[1].number = 20.0;
    /* the negated, multi-line log rule (re.MULTILINE ^ and $) */
    CHECK_EQ(validate(&m, a, 2, &compress, 1, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "must not be compressed 2024-05-07") != NULL);
    CHECK_EQ(validate(&m, a, 2, &other, 1, &err), DCN_OK);
    a[0].text = "XY-2024";
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_EINVAL);
    CHECK(strstr(err.msg, "must be a Rivercyte data file") != NULL);
    dcn_torch_meta_release(&m);
}

static void
test_rule_edge_cases(void)
{
    static const char unknown[] =
            "{\"preprocessing\": {\"norm_mean\": null, \"norm_std\": null},"
            " \"validation\": [{\"type\": \"tables\", \"key\": \"x\"}, "
            "{\"type\": \"meta\", \"key\": \"setup:n\", \"regexp\": "
            "\"^\\\\d+$\"}, {\"type\": \"meta\", \"key\": \"setup:s\", "
            "\"value\": 3}]}";
    struct dcn_torch_meta m;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_torch_attr a[2] = {{"setup:n", "123", 0}, {"setup:s", "3", 0}};

    CHECK_EQ(dcn_torch_meta_parse(&m, unknown, strlen(unknown), "u", &err),
             DCN_OK);
    CHECK(!m.normalize);
    CHECK(!m.has_image_shape);
    CHECK_EQ(validate(&m, a, 2, NULL, 0, &err), DCN_EINVAL);
    /* an unknown rule type, and a string is never close to a number;
     * \d is Python's digit class */
    CHECK(strstr(err.msg, "invalid validation type tables in model.dcnm, "
                          "unknown reason") != NULL);
    CHECK(strstr(err.msg, "reason, unknown") == NULL);
    dcn_torch_meta_release(&m);

    dcn_error_clear(&err);
    CHECK_EQ(dcn_torch_meta_parse(&m, "[1]", 3, "bad.dcnm", &err), DCN_EFORMAT);
    CHECK(strstr(err.msg, "bad.dcnm") != NULL);
    dcn_torch_meta_release(&m);
    dcn_error_clear(&err);
    static const char shape[] = "{\"preprocessing\": {\"image_shape\": [64]}}";
    CHECK_EQ(dcn_torch_meta_parse(&m, shape, strlen(shape), "shape.dcnm", &err),
             DCN_EFORMAT);
    CHECK(strstr(err.msg, "image_shape") != NULL);
    dcn_torch_meta_release(&m);
}

static void
test_json_tree(void)
{
    static const char doc[] =
            " {\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\n\"],"
            " \"b\": {\"c\": {}}, \"d\": []} ";
    struct dcn_jt *t = NULL;
    size_t where = 0;
    const struct dcn_jt *a;

    CHECK_EQ(dcn_jt_parse(&t, doc, strlen(doc), &where), DCN_OK);
    a = dcn_jt_get(t, "a");
    CHECK(a != NULL && a->kind == DCN_JT_ARRAY && a->n == 6);
    if (a != NULL && a->n == 6) {
        CHECK_DBL_IDENT(a->items[1]->num, -25.0);
        CHECK(a->items[2]->b && !a->items[3]->b);
        CHECK_EQ(a->items[4]->kind, DCN_JT_NULL);
        CHECK_STR_EQ(a->items[5]->str, "x\xc3\xa9\n");
    }
    CHECK(dcn_jt_get(dcn_jt_get(t, "b"), "c") != NULL);
    CHECK(dcn_jt_get(t, "zz") == NULL);
    dcn_jt_free(t);
    static const char *const bad[] = {"{",   "[1,]", "{\"a\" 1}",    "\"\\x\"",
                                      "tru", "{} x", "[\"\\ud800\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = NULL;
        CHECK_EQ(dcn_jt_parse(&t, bad[i], strlen(bad[i]), &where), DCN_EFORMAT);
        CHECK(t == NULL);
    }
}

int
main(void)
{
    test_g1_rules();
    test_g2_rules();
    test_rule_edge_cases();
    test_json_tree();
    return check_report();
}
