/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write.c - the writer's life cycle (format.md §2.1, §3.2): the
 * temporary file next to the target, created with libver latest and no
 * time stamps, renamed into place at commit or removed on abort; names
 * in the output (exists, hard link, delete: §3.6); and the helpers the
 * writer's files share (messages, closing handles, groups, paths).
 *
 * Each part of the format has its file: rtdc_write_meta.c (root
 * attributes), rtdc_write_events.c (feature datasets),
 * rtdc_write_chunks.c (pre-encoded chunks), rtdc_write_logs.c (logs,
 * copied logs and tables), rtdc_write_copy.c (features copied from an
 * input), rtdc_write_basins.c (basin definitions, basinmapN).  Every
 * function runs on the writer thread; see rtdc_write.h.  The types and
 * dcn__wr_* functions the files share are in rtdc_write_internal.h.
 */
#include "rtdc_write.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "rtdc_write_internal.h"
#include "zstd_filter.h"

/* ---- errors, handles, groups (shared by the writer's files) ---------- */

void
dcn__wr_quiet(void)
{
    /* per thread in a thread-safe HDF5 build: repeat on every entry */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void
dcn__wr_set_error(struct dcn_error *err, int code, const char *fmt, ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)dcn_error_set(err, code, "%s", msg);
}

void
dcn__wr_fail(struct dcn_writer *w, struct dcn_error *err, int code,
             const char *fmt, ...)
{
    char msg[DCN_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)dcn_error_set(err, code, "%s: %s", w != NULL ? w->temp : "?", msg);
}

void
dcn__wr_close_id(hid_t id)
{
    if (id < 0)
        return;
    switch (H5Iget_type(id)) {
    case H5I_FILE:
        H5Fclose(id);
        break;
    case H5I_GROUP:
        H5Gclose(id);
        break;
    case H5I_DATASET:
        H5Dclose(id);
        break;
    case H5I_DATASPACE:
        H5Sclose(id);
        break;
    case H5I_DATATYPE:
        H5Tclose(id);
        break;
    case H5I_ATTR:
        H5Aclose(id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
    default:
        break;
    }
}

/* Group creation properties: no time stamps (determinism, rule 38). */
static hid_t
group_cpl(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);

    if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) < 0) {
        H5Pclose(gcpl);
        return H5I_INVALID_HID;
    }
    return gcpl;
}

/* Create the group prefix (NUL-terminated copy) unless it exists; an
 * empty prefix is the root.  0 or -1. */
static int
create_level(hid_t file, const char *prefix, hid_t gcpl)
{
    htri_t ex;
    hid_t g;

    if (prefix[0] == '\0')
        return 0;
    ex = H5Lexists(file, prefix, H5P_DEFAULT);
    if (ex != 0)
        return ex < 0 ? -1 : 0;
    g = H5Gcreate2(file, prefix, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (g < 0)
        return -1;
    H5Gclose(g);
    return 0;
}

/* Open or create the group at path, creating each missing level (without
 * time stamps). */
static hid_t
require_group(struct dcn_writer *w, const char *path, struct dcn_error *err)
{
    char buf[512];
    size_t len = strlen(path);
    hid_t gcpl;
    hid_t g;
    size_t k;
    int rc = 0;

    if (len >= sizeof(buf)) {
        dcn__wr_fail(w, err, DCN_EINVAL, "%s: group path too long", path);
        return H5I_INVALID_HID;
    }
    gcpl = group_cpl();
    rc = gcpl < 0 ? -1 : 0;
    /* every prefix ending before a '/', then the whole path */
    for (k = 0; k <= len && rc == 0; k++) {
        if (path[k] != '/' && path[k] != '\0')
            continue;
        memcpy(buf, path, k);
        buf[k] = '\0';
        rc = create_level(w->file, buf, gcpl);
    }
    dcn__wr_close_id(gcpl);
    if (rc < 0) {
        dcn__wr_fail(w, err, DCN_EIO, "%s: cannot create group", path);
        return H5I_INVALID_HID;
    }
    g = H5Gopen2(w->file, len > 0 ? path : "/", H5P_DEFAULT);
    if (g < 0)
        dcn__wr_fail(w, err, DCN_EIO, "%s: cannot open group", path);
    return g;
}

/* Parent group part of "a/b/c" into buf ("a/b"), "" if none. */
static void
parent_of(char *buf, size_t cap, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash != NULL ? (size_t)(slash - path) : 0;

    if (n >= cap)
        n = cap - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
}

int
dcn__wr_ensure_parent(struct dcn_writer *w, const char *path,
                      struct dcn_error *err)
{
    char parent[512];
    hid_t g;

    parent_of(parent, sizeof(parent), path);
    if (parent[0] == '\0')
        return DCN_OK;
    g = require_group(w, parent, err);
    if (g < 0)
        return err != NULL && err->code < 0 ? err->code : DCN_EIO;
    H5Gclose(g);
    return DCN_OK;
}

/* Does path exist (all its levels)? -1 on HDF5 error. */
int
dcn__wr_path_exists(hid_t loc, const char *path)
{
    char buf[512];
    char *p;

    if (strlen(path) >= sizeof(buf))
        return -1;
    memcpy(buf, path, strlen(path) + 1);
    p = buf;
    for (;;) {
        char *slash = strchr(p, '/');
        htri_t ex;

        if (slash != NULL)
            *slash = '\0';
        ex = H5Lexists(loc, buf, H5P_DEFAULT);
        if (ex <= 0)
            return ex < 0 ? -1 : 0;
        if (slash == NULL)
            return 1;
        *slash = '/';
        p = slash + 1;
    }
}

/* ---- life cycle ------------------------------------------------------ */

void
dcn__writer_opts_init(struct dcn_writer_opts *o)
{
    o->level = 5;
    o->flags = 0;
    o->suffix = NULL;
    o->tag = NULL;
    o->software = "dcnumc";
}

static char *
make_temp_path(const char *target, const char *tag, const char *suffix,
               long pid)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    const char *slash = strrchr(target, '/');
    const char *base = slash != NULL ? slash + 1 : target;
    const char *dot = strrchr(base, '.');
    size_t stem_len =
            dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    char host[64];
    int rc = 0;

    rc |= dcn__strbuf_add(&sb, target, (size_t)(base - target));
    rc |= dcn__strbuf_add(&sb, base, stem_len);
    rc |= dcn__strbuf_addf(&sb, "_%s_", tag != NULL ? tag : "output");
    if (suffix != NULL) {
        rc |= dcn__strbuf_adds(&sb, suffix);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            (void)snprintf(host, sizeof(host), "host");
        host[sizeof(host) - 1] = '\0';
        rc |= dcn__strbuf_addf(&sb, "%s_%05lx", host,
                               (unsigned long)pid & 0xfffffUL);
    }
    rc |= dcn__strbuf_adds(&sb, ".rtdc~");
    if (rc != 0) {
        dcn__strbuf_release(&sb);
        return NULL;
    }
    return dcn__strbuf_detach(&sb, NULL);
}

char *
dcn__writer_temp_path_for(const char *path_out,
                          const struct dcn_writer_opts *opts, long pid)
{
    if (path_out == NULL || (opts->flags & DCN_WRITER_DIRECT) != 0)
        return NULL;
    return make_temp_path(path_out, opts->tag, opts->suffix, pid);
}

/* Argument checks and the existing-target rule of dcn__writer_new(). */
static int
check_new(const char *path_out, const struct dcn_writer_opts *opts,
          struct dcn_error *err)
{
    if (path_out == NULL || path_out[0] == '\0')
        return ERR_SET(err, DCN_EINVAL, "writer: no output path");
    if (opts->level < 0 || opts->level > DCN_CHUNK_LEVEL_MAX)
        return ERR_SET(err, DCN_EINVAL, "%s: compression level %d not in 0..9",
                       path_out, opts->level);
    if (!(opts->flags & DCN_WRITER_OVERWRITE) && access(path_out, F_OK) == 0)
        return ERR_SET(err, DCN_EEXIST, "%s: output file exists", path_out);
    if (dcn__zstd_filter_register() < 0)
        return ERR_SET(err, DCN_EIO, "%s: cannot register the zstd filter",
                       path_out);
    return DCN_OK;
}

/* Create w->temp: libver latest (superblock v3), no time stamps. */
static int
create_file(struct dcn_writer *w, struct dcn_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    int rc = DCN_OK;

    if (fapl < 0 || fcpl < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_obj_track_times(fcpl, 0) < 0)
        rc = FAIL(w, err, DCN_EIO, "cannot set up file properties");
    if (rc == DCN_OK) {
        w->file = H5Fcreate(w->temp, H5F_ACC_TRUNC, fcpl, fapl);
        if (w->file < 0)
            rc = FAIL(w, err, DCN_EIO, "cannot create file");
    }
    dcn__wr_close_id(fcpl);
    dcn__wr_close_id(fapl);
    return rc;
}

int
dcn__writer_new(struct dcn_writer **wp, const char *path_out,
                const struct dcn_writer_opts *opts, struct dcn_error *err)
{
    struct dcn_writer_opts defaults;
    struct dcn_writer *w;
    int rc;

    dcn__wr_quiet();
    *wp = NULL;
    if (opts == NULL) {
        dcn__writer_opts_init(&defaults);
        opts = &defaults;
    }
    rc = check_new(path_out, opts, err);
    if (rc < 0)
        return rc;
    w = dcn__calloc(1, sizeof(*w));
    if (w == NULL)
        return ERR_SET(err, DCN_ENOMEM, "%s: out of memory", path_out);
    w->file = H5I_INVALID_HID;
    w->level = opts->level;
    w->flags = opts->flags;
    w->target = dcn__strdup(path_out);
    w->software =
            dcn__strdup(opts->software != NULL ? opts->software : "dcnumc");
    if (opts->flags & DCN_WRITER_DIRECT)
        w->temp = dcn__strdup(path_out);
    else
        w->temp = make_temp_path(path_out, opts->tag, opts->suffix,
                                 (long)getpid());
    if (w->target == NULL || w->temp == NULL || w->software == NULL)
        rc = ERR_SET(err, DCN_ENOMEM, "%s: out of memory", path_out);
    else
        rc = create_file(w, err);
    if (rc < 0)
        dcn__writer_abort(w);
    else
        *wp = w;
    return rc;
}

const char *
dcn__writer_temp_path(const struct dcn_writer *w)
{
    return w->temp;
}

void
dcn__writer_set_level(struct dcn_writer *w, int level)
{
    if (level >= 0 && level <= DCN_CHUNK_LEVEL_MAX)
        w->level = level;
}

int
dcn__writer_flush(struct dcn_writer *w, struct dcn_error *err)
{
    dcn__wr_quiet();
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        return FAIL(w, err, DCN_EIO, "cannot flush file");
    return DCN_OK;
}

/* Close everything; returns <0 if any dataset failed to finish. */
static int
writer_close(struct dcn_writer *w, bool finish, struct dcn_error *err)
{
    int rc = DCN_OK;

    while (w->dsets != NULL) {
        struct dcn_wdset *ds = w->dsets;

        if (finish && ds->dset >= 0) {
            int r = dcn__wdset_close(ds, err);

            if (r < 0 && rc == DCN_OK)
                rc = r;
        }
        w->dsets = ds->next;
        dcn__wr_wdset_free(ds);
    }
    if (w->file >= 0) {
        if (finish && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0 && rc == 0)
            rc = FAIL(w, err, DCN_EIO, "cannot flush file");
        if (H5Fclose(w->file) < 0 && finish && rc == 0)
            rc = FAIL(w, err, DCN_EIO, "cannot close file");
        w->file = H5I_INVALID_HID;
    }
    return rc;
}

static void
writer_destroy(struct dcn_writer *w)
{
    dcn__chunk_encoder_free(w->enc);
    dcn__free(w->target);
    dcn__free(w->temp);
    dcn__free(w->software);
    dcn__free(w);
}

int
dcn__writer_commit(struct dcn_writer *w, struct dcn_error *err)
{
    int rc;

    if (w == NULL)
        return ERR_SET(err, DCN_EINVAL, "writer: NULL");
    dcn__wr_quiet();
    rc = writer_close(w, true, err);
    if (rc == DCN_OK && !(w->flags & DCN_WRITER_DIRECT)) {
        if (!(w->flags & DCN_WRITER_OVERWRITE) && access(w->target, F_OK) == 0)
            rc = ERR_SET(err, DCN_EEXIST, "%s: output file exists", w->target);
        else if (rename(w->temp, w->target) != 0)
            rc = ERR_SET(err, DCN_EIO, "%s: cannot rename to %s (errno %d)",
                         w->temp, w->target, errno);
    }
    if (rc < 0)
        unlink(w->temp);
    writer_destroy(w);
    return rc;
}

void
dcn__writer_abort(struct dcn_writer *w)
{
    if (w == NULL)
        return;
    dcn__wr_quiet();
    writer_close(w, false, NULL);
    if (w->temp != NULL)
        unlink(w->temp);
    writer_destroy(w);
}

void
dcn__writer_free(struct dcn_writer *w)
{
    dcn__writer_abort(w);
}

/* ---- objects --------------------------------------------------------- */

int
dcn__writer_exists(struct dcn_writer *w, const char *path, bool *exists,
                   struct dcn_error *err)
{
    int ex;

    dcn__wr_quiet();
    ex = dcn__wr_path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    *exists = ex > 0;
    return DCN_OK;
}

/* Close our open handle of path, if any (before unlinking it). */
int
dcn__wr_forget_dataset(struct dcn_writer *w, const char *path,
                       struct dcn_error *err)
{
    struct dcn_wdset *ds;

    for (ds = w->dsets; ds != NULL; ds = ds->next)
        if (ds->dset >= 0 && strcmp(ds->path, path) == 0)
            return dcn__wdset_close(ds, err);
    return DCN_OK;
}

int
dcn__writer_link(struct dcn_writer *w, const char *src, const char *dst,
                 struct dcn_error *err)
{
    int rc;

    dcn__wr_quiet();
    rc = dcn__wr_forget_dataset(w, src, err);
    if (rc < 0)
        return rc;
    rc = dcn__wr_ensure_parent(w, dst, err);
    if (rc < 0)
        return rc;
    if (dcn__wr_path_exists(w->file, dst) != 0)
        return FAIL(w, err, DCN_EEXIST, "%s: exists, cannot link %s", dst, src);
    if (H5Lcreate_hard(w->file, src, w->file, dst, H5P_DEFAULT, H5P_DEFAULT) <
        0)
        return FAIL(w, err, DCN_EIO, "%s: cannot link to %s", dst, src);
    return DCN_OK;
}

int
dcn__writer_delete(struct dcn_writer *w, const char *path,
                   struct dcn_error *err)
{
    int rc;

    dcn__wr_quiet();
    rc = dcn__wr_forget_dataset(w, path, err);
    if (rc < 0)
        return rc;
    if (dcn__wr_path_exists(w->file, path) <= 0)
        return FAIL(w, err, DCN_ENOTFOUND, "%s: no such object", path);
    if (H5Ldelete(w->file, path, H5P_DEFAULT) < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot delete", path);
    return DCN_OK;
}
