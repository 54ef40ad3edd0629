/* SPDX-License-Identifier: MIT */
/*
 * test_json_write.c - strbuf, the Python-compatible JSON writer, and the
 * basin JSON text: byte-identical to every basin text of the reference
 * outputs, with dataset name = md5 of the text.
 */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "io_write_minijson.h"
#include "json_write.h"
#include "md5.h"
#include "rtdc_write.h"
#include "strbuf.h"
#include "testdata.h"

static void
test_strbuf(void)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    char *p;
    size_t len;
    int k;

    CHECK_STR_EQ(dcn__strbuf_str(&sb), "");
    CHECK_EQ(dcn__strbuf_adds(&sb, "abc"), 0);
    CHECK_EQ(dcn__strbuf_addch(&sb, '-'), 0);
    CHECK_EQ(dcn__strbuf_addf(&sb, "%d/%s", 42, "x"), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb), "abc-42/x");
    CHECK_EQ(sb.len, 8);
    for (k = 0; k < 1000; k++)
        dcn__strbuf_adds(&sb, "0123456789");
    CHECK_EQ(sb.len, 10008);
    CHECK_EQ(sb.buf[sb.len], '\0');
    dcn__strbuf_reset(&sb);
    CHECK_EQ(sb.len, 0);
    dcn__strbuf_add(&sb, "a\0b", 3);
    p = dcn__strbuf_detach(&sb, &len);
    CHECK_EQ(len, 3);
    CHECK(memcmp(p, "a\0b", 4) == 0);
    CHECK(sb.buf == NULL);
    dcn__free(p);
    dcn__strbuf_release(&sb);
}

static void
check_double(double v, const char *want)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;

    CHECK_EQ(dcn__json_format_double(&sb, v), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb), want);
    dcn__strbuf_release(&sb);
}

/* Expected texts produced with CPython 3.11 json.dumps. */
static void
test_json_python_format(void)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    struct dcn_json *o = dcn__json_object();
    struct dcn_json *inner = dcn__json_object();
    static const char *const strs[2] = {"a", "b"};

    check_double(1.0, "1.0");
    check_double(0.1, "0.1");
    check_double(-2.5, "-2.5");
    check_double(0.2645, "0.2645");
    check_double(1e16, "1e+16");
    check_double(1e15, "1000000000000000.0");
    check_double(123456789012345678.0, "1.2345678901234568e+17");
    check_double(0.0001, "0.0001");
    check_double(0.00001, "1e-05");
    check_double(1.5e-7, "1.5e-07");
    check_double(1e300, "1e+300");
    check_double(-0.0, "-0.0");
    check_double(NAN, "NaN");
    check_double(INFINITY, "Infinity");
    check_double(-INFINITY, "-Infinity");
    check_double(3.141592653589793, "3.141592653589793");
    check_double(5e-324, "5e-324");

    /* json.dumps({"z": 1, "a": [], "m": {}, "s": "é\"\\\n\x01\x7f😀",
     *             "l": ["a", "b"], "n": None, "t": True, "f": 2.0},
     *            indent=2) */
    dcn__json_add(o, "z", dcn__json_int(1));
    dcn__json_add(o, "a", dcn__json_array());
    dcn__json_add(o, "m", inner);
    dcn__json_add(o, "s",
                  dcn__json_string("\xc3\xa9\"\\\n\x01\x7f"
                                   "\xf0\x9f\x98\x80"));
    dcn__json_add_strings(o, "l", strs, 2);
    dcn__json_add(o, "n", dcn__json_null());
    dcn__json_add(o, "t", dcn__json_bool(true));
    dcn__json_add(o, "f", dcn__json_double(2.0));
    CHECK_EQ(dcn__json_dump(&sb, o, 2, 0), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb),
                 "{\n  \"z\": 1,\n  \"a\": [],\n  \"m\": {},\n"
                 "  \"s\": \"\\u00e9\\\"\\\\\\n\\u0001\\u007f"
                 "\\ud83d\\ude00\",\n"
                 "  \"l\": [\n    \"a\",\n    \"b\"\n  ],\n"
                 "  \"n\": null,\n  \"t\": true,\n  \"f\": 2.0\n}");
    dcn__strbuf_reset(&sb);
    CHECK_EQ(dcn__json_dump(&sb, o, 2, DCN_JSON_SORT_KEYS), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb),
                 "{\n  \"a\": [],\n  \"f\": 2.0,\n"
                 "  \"l\": [\n    \"a\",\n    \"b\"\n  ],\n"
                 "  \"m\": {},\n  \"n\": null,\n"
                 "  \"s\": \"\\u00e9\\\"\\\\\\n\\u0001\\u007f"
                 "\\ud83d\\ude00\",\n"
                 "  \"t\": true,\n  \"z\": 1\n}");
    dcn__strbuf_reset(&sb);
    CHECK_EQ(dcn__json_dump(&sb, o, -1, DCN_JSON_SORT_KEYS), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb),
                 "{\"a\": [], \"f\": 2.0, \"l\": [\"a\", \"b\"], \"m\": {}, "
                 "\"n\": null, \"s\": \"\\u00e9\\\"\\\\\\n\\u0001\\u007f"
                 "\\ud83d\\ude00\", \"t\": true, \"z\": 1}");
    dcn__json_free(o);

    /* invalid UTF-8 is refused */
    dcn__strbuf_reset(&sb);
    CHECK_EQ(dcn__json_quote(&sb, "\xff", 1), DCN_EINVAL);
    /* adding a failed constructor is DCN_ENOMEM, and frees nothing twice */
    o = dcn__json_array();
    CHECK_EQ(dcn__json_add(o, NULL, NULL), DCN_ENOMEM);
    CHECK_EQ(dcn__json_add(o, "key", dcn__json_int(1)), DCN_EINVAL);
    dcn__json_free(o);
    dcn__strbuf_release(&sb);
}

static const char **
string_list(const struct mj *arr, size_t *n)
{
    const char **out;
    size_t k;

    *n = arr != NULL ? arr->n : 0;
    out = calloc(*n + 1, sizeof(*out));
    for (k = 0; k < *n; k++)
        out[k] = arr->items[k]->str;
    return out;
}

/* Every basin of one meta.json: text and key reproduced. */
static int
check_meta_basins(const char *meta_path)
{
    struct mj *m = mj_load(meta_path);
    struct mj *basins = mj_get(m, "basins");
    size_t k;
    int nb = 0;

    CHECK(m != NULL);
    for (k = 0; basins != NULL && k < basins->n; k++) {
        const struct mj *b = basins->items[k];
        const struct mj *js = mj_get(b, "json");
        const struct mj *ident = mj_get(js, "identifier");
        const struct mj *mapping = mj_get(js, "mapping");
        struct dcn_basin basin;
        struct dcn_strbuf sb = DCN_STRBUF_INIT;
        const char **paths;
        const char **feats;
        char hex[33];

        memset(&basin, 0, sizeof(basin));
        basin.type = strcmp(mj_get(js, "type")->str, "internal") == 0
                             ? DCN_WBASIN_INTERNAL
                             : DCN_WBASIN_FILE;
        basin.name = mj_get(js, "name")->str;
        basin.description = mj_get(js, "description")->str;
        paths = string_list(mj_get(js, "paths"), &basin.npaths);
        feats = string_list(mj_get(js, "features"), &basin.nfeatures);
        basin.paths = paths;
        basin.features = feats;
        basin.identifier =
                ident != NULL && ident->kind == MJ_STR ? ident->str : NULL;
        basin.mapping = mapping != NULL ? mapping->str : NULL;
        CHECK_EQ(dcn__basin_json(&sb, &basin), 0);
        CHECK_STR_EQ(dcn__strbuf_str(&sb), mj_get(b, "text")->str);
        /* the key is the md5 of the text; meta.json anonymises absolute
         * paths in file basins, so only internal keys can be compared */
        dcn__md5_hex(hex, sb.buf, sb.len);
        if (basin.type == DCN_WBASIN_INTERNAL)
            CHECK_STR_EQ(hex, mj_get(b, "key")->str);
        dcn__strbuf_release(&sb);
        free(paths);
        free(feats);
        nb++;
    }
    mj_free(m);
    return nb;
}

static struct dirent *
next_entry(DIR *d)
{
    return readdir(d); // NOLINT(concurrency-mt-unsafe): one thread, own DIR
}

struct basin_tally {
    int nbasins;
    int nfiles;
};

/* Every <sub>/<name>/meta.json of one folder of the references. */
static void
check_reference_folder(const char *sub, struct basin_tally *t)
{
    DIR *d = opendir(sub);
    struct dirent *e;

    while (d != NULL && (e = next_entry(d)) != NULL) {
        char meta[2 * PATH_MAX];
        int n;

        if (e->d_name[0] == '.')
            continue;
        n = snprintf(meta, sizeof(meta), "%s/%s/meta.json", sub, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(meta)) {
            CHECK(n >= 0 && (size_t)n < sizeof(meta));
            continue;
        }
        t->nbasins += check_meta_basins(meta);
        t->nfiles++;
    }
    if (d != NULL)
        (void)closedir(d); /* a read-only stream */
}

static void
test_reference_basins(void)
{
    char refdir[PATH_MAX];
    DIR *d;
    struct dirent *e;
    struct basin_tally t = {0, 0};

    td_path(refdir, "reference");
    d = opendir(refdir);
    CHECK(d != NULL);
    while (d != NULL && (e = next_entry(d)) != NULL) {
        char sub[PATH_MAX + 256];
        int n;

        if (e->d_name[0] == '.')
            continue;
        n = snprintf(sub, sizeof(sub), "%s/%s", refdir, e->d_name);
        if (n >= 0 && (size_t)n < sizeof(sub))
            check_reference_folder(sub, &t);
        else
            CHECK(n >= 0 && (size_t)n < sizeof(sub));
    }
    if (d != NULL)
        (void)closedir(d); /* a read-only stream */
    (void)printf("basins reproduced: %d from %d meta.json files\n", t.nbasins,
                 t.nfiles);
    CHECK(t.nfiles >= 17);
    CHECK_EQ(t.nbasins, 16); /* 12 internal + 2 x (1 internal, 2 file) */
}

/* The verified example of format.md §2.5 (feature order kept for file
 * basins; internal basins sort). */
static void
test_basin_examples(void)
{
    static const char *const paths[2] = {"/data/run/input.rtdc", "input.rtdc"};
    static const char *const feats[1] = {"image"};
    static const char *const bgfeats[1] = {"image_bg"};
    struct dcn_basin b = {DCN_WBASIN_FILE,
                          "dcnum basin",
                          "Created with dcnum 0.31.0.dev0",
                          paths,
                          2,
                          "d5a40aed-0b6c-0412-e87c-59789fdd28d0",
                          feats,
                          1,
                          "basinmap0"};
    struct dcn_basin nb = {
            DCN_WBASIN_FILE, "x.rtdc", "d", paths, 1, NULL, NULL, 0, NULL};
    struct dcn_basin ib = {DCN_WBASIN_INTERNAL,
                           "background images",
                           "Pipeline identifier: "
                           "sparsemed:k=150^s=1^t=0^f=0.8^o=1",
                           NULL,
                           0,
                           NULL,
                           bgfeats,
                           1,
                           "basinmap0"};
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    char hex[33];

    CHECK_EQ(dcn__basin_json(&sb, &b), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb),
                 "{\n  \"description\": \"Created with dcnum 0.31.0.dev0\",\n"
                 "  \"name\": \"dcnum basin\",\n  \"format\": \"hdf5\",\n"
                 "  \"paths\": [\n    \"/data/run/input.rtdc\",\n"
                 "    \"input.rtdc\"\n  ],\n  \"type\": \"file\",\n"
                 "  \"identifier\": \"d5a40aed-0b6c-0412-e87c-59789fdd28d0\",\n"
                 "  \"features\": [\n    \"image\"\n  ],\n"
                 "  \"mapping\": \"basinmap0\"\n}");
    dcn__strbuf_reset(&sb);
    /* identifier null is kept; empty features and no mapping omitted */
    CHECK_EQ(dcn__basin_json(&sb, &nb), 0);
    CHECK_STR_EQ(dcn__strbuf_str(&sb),
                 "{\n  \"description\": \"d\",\n  \"name\": \"x.rtdc\",\n"
                 "  \"format\": \"hdf5\",\n  \"paths\": [\n"
                 "    \"/data/run/input.rtdc\"\n  ],\n  \"type\": \"file\",\n"
                 "  \"identifier\": null\n}");
    dcn__strbuf_reset(&sb);
    CHECK_EQ(dcn__basin_json(&sb, &ib), 0);
    dcn__md5_hex(hex, sb.buf, sb.len);
    CHECK_STR_EQ(hex, "0faa05d403e3ddff6b9006aeaee344de");
    dcn__strbuf_release(&sb);
}

int
main(void)
{
    test_strbuf();
    test_json_python_format();
    test_basin_examples();
    test_reference_basins();
    return check_report();
}
