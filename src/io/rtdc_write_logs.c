/* SPDX-License-Identifier: MIT */
/*
 * rtdc_write_logs.c - logs and tables (format.md §2.6, §2.7, D3): a log
 * is /logs/<name>, its lines as fixed-length S<longest line> (UTF-8
 * bytes kept), shape (lines,), with h5py's auto chunks and the writer's
 * filters.  Copying an input's metadata takes its root attributes, then
 * every non-empty /logs and /tables member not yet in the output
 * (zstd-5 + Fletcher32; variable-length string logs become S<max>), with
 * its attributes and a "software" attribute that names this program.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "rtdc_write_internal.h"

#define META_LEVEL 5 /* logs/tables copied from the input */

/* ---- fixed datasets with h5py's auto chunks (§2.7) ------------------- */

/* h5py's guess_chunk (format.md §2.7). */
static void
guess_chunk(hsize_t *chunks, int rank, const hsize_t *shape, size_t typesize)
{
    const double base = 16 * 1024.0;
    const double cmin = 8 * 1024.0;
    const double cmax = 1024 * 1024.0;
    double c[8] = {0};
    double prod = 1.0;
    double target;
    int idx = 0;
    int k;

    for (k = 0; k < rank; k++) {
        c[k] = shape[k] != 0 ? (double)shape[k] : 1024.0;
        prod *= c[k];
    }
    target = base * pow(2.0, log10(prod * (double)typesize / (1024.0 * 1024)));
    if (target > cmax)
        target = cmax;
    else if (target < cmin)
        target = cmin;
    for (;;) {
        double bytes;

        prod = 1.0;
        for (k = 0; k < rank; k++)
            prod *= c[k];
        bytes = prod * (double)typesize;
        if ((bytes < target || fabs(bytes - target) / target < 0.5) &&
            bytes < cmax)
            break;
        if (prod == 1.0)
            break;
        c[idx % rank] = ceil(c[idx % rank] / 2.0);
        idx++;
    }
    for (k = 0; k < rank; k++)
        chunks[k] = (hsize_t)c[k];
}

/* A fixed-shape dataset to create (logs, basins, tables). */
struct fixed_ds {
    const char *path;
    hid_t ftype; /* in the file */
    hid_t mtype; /* of the data in memory */
    int rank;    /* 1..8 */
    const hsize_t *dims;
    int level; /* filters: zstd level or 0, then Fletcher32 */
};

/* Write d with h5py's auto chunks; the open dataset goes to *out_dset
 * unless that is NULL. */
static int
write_fixed_dataset(struct dcn_writer *w, const struct fixed_ds *d,
                    const void *data, hid_t *out_dset, struct dcn_error *err)
{
    const char *path = d->path;
    int rank = d->rank;
    hid_t space = H5I_INVALID_HID;
    hid_t dcpl = H5I_INVALID_HID;
    hid_t dset = H5I_INVALID_HID;
    hsize_t chunks[8];
    int rc;

    rc = dcn__wr_ensure_parent(w, path, err);
    if (rc < 0)
        return rc;
    if (rank > 8)
        return FAIL(w, err, DCN_EINVAL, "%s: rank %d too high", path, rank);
    space = H5Screate_simple(rank, d->dims, d->dims);
    if (rank > 0)
        guess_chunk(chunks, rank, d->dims, H5Tget_size(d->ftype));
    dcpl = dcn__wr_dataset_cpl(rank, rank > 0 ? chunks : NULL, d->level);
    if (space < 0 || dcpl < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot set up dataset", path);
        goto out;
    }
    dset = H5Dcreate2(w->file, path, d->ftype, space, H5P_DEFAULT, dcpl,
                      H5P_DEFAULT);
    if (dset < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot create dataset", path);
        goto out;
    }
    if (H5Dwrite(dset, d->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        rc = FAIL(w, err, DCN_EIO, "%s: cannot write dataset", path);
        goto out;
    }
    rc = DCN_OK;
    if (out_dset != NULL) {
        *out_dset = dset;
        dset = H5I_INVALID_HID;
    }
out:
    dcn__wr_close_id(dset);
    dcn__wr_close_id(dcpl);
    dcn__wr_close_id(space);
    return rc;
}

/* ---- logs ------------------------------------------------------------ */

/* The lines into one S<max> dataset at path (open dataset to *out_dset
 * unless NULL). */
int
dcn__wr_write_string_lines(struct dcn_writer *w, const char *path,
                           const struct str_lines *sl, int level,
                           hid_t *out_dset, struct dcn_error *err)
{
    const char *const *lines = sl->s;
    const size_t *lens = sl->lens;
    size_t n = sl->n;
    size_t maxlen = 1;
    size_t k;
    char *buf;
    hid_t t;
    hsize_t dims[1] = {n};
    int rc;

    for (k = 0; k < n; k++) {
        size_t l = lens != NULL ? lens[k] : strlen(lines[k]);

        if (l > maxlen)
            maxlen = l;
    }
    buf = dcn__calloc(n, maxlen);
    if (buf == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", path);
    for (k = 0; k < n; k++)
        memcpy(buf + k * maxlen, lines[k],
               lens != NULL ? lens[k] : strlen(lines[k]));
    t = dcn__wr_fixed_str_type(maxlen);
    if (t < 0) {
        dcn__free(buf);
        return FAIL(w, err, DCN_EIO, "%s: cannot make string type", path);
    }
    {
        struct fixed_ds d = {path, t, t, 1, dims, level};

        rc = write_fixed_dataset(w, &d, buf, out_dset, err);
    }
    H5Tclose(t);
    dcn__free(buf);
    return rc;
}

int
dcn__writer_log(struct dcn_writer *w, const char *name,
                const char *const *lines, size_t n, bool replace,
                struct dcn_error *err)
{
    char path[512];
    int ex;

    dcn__wr_quiet();
    if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
        (size_t)snprintf(path, sizeof(path), "logs/%s", name) >= sizeof(path))
        return FAIL(w, err, DCN_EINVAL, "bad log name \"%s\"",
                    name != NULL ? name : "(null)");
    if (n == 0)
        return DCN_OK; /* D3 */
    ex = dcn__wr_path_exists(w->file, path);
    if (ex < 0)
        return FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
    if (ex > 0) {
        if (!replace)
            return FAIL(w, err, DCN_EEXIST, "%s: log exists", path);
        if (H5Ldelete(w->file, path, H5P_DEFAULT) < 0)
            return FAIL(w, err, DCN_EIO, "%s: cannot delete", path);
    }
    {
        struct str_lines sl = {lines, NULL, n};

        return dcn__wr_write_string_lines(w, path, &sl, w->level, NULL, err);
    }
}

/* ---- copying logs and tables from an input --------------------------- */

/* Append the string attribute name of obj (vlen or fixed) to sb; nothing
 * if it is absent or not a string.  0 or DCN_ENOMEM. */
static int
add_str_attr(struct dcn_strbuf *sb, hid_t obj, const char *name)
{
    hid_t attr = H5I_INVALID_HID;
    hid_t type = H5I_INVALID_HID;
    hid_t mt = H5I_INVALID_HID;
    char *s = NULL;
    int rc = DCN_OK;

    if (H5Aexists(obj, name) <= 0)
        return DCN_OK;
    attr = H5Aopen(obj, name, H5P_DEFAULT);
    type = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
    if (type < 0 || H5Tget_class(type) != H5T_STRING)
        goto out;
    if (H5Tis_variable_str(type) > 0) {
        mt = dcn__wr_vlen_str_type();
        if (mt >= 0 && H5Aread(attr, mt, &s) >= 0 && s != NULL)
            rc = dcn__strbuf_adds(sb, s);
        H5free_memory(s);
    } else {
        s = dcn__calloc(1, H5Tget_size(type) + 1);
        if (s == NULL)
            rc = DCN_ENOMEM;
        else if (H5Aread(attr, type, s) >= 0)
            rc = dcn__strbuf_adds(sb, s);
        dcn__free(s);
    }
out:
    dcn__wr_close_id(mt);
    dcn__wr_close_id(type);
    dcn__wr_close_id(attr);
    return rc;
}

/* software attr of a copied log/table: "<old> | <software>" or
 * "<software>". */
static int
set_software_attr(struct dcn_writer *w, hid_t dst, hid_t src)
{
    struct dcn_strbuf sb = DCN_STRBUF_INIT;
    int rc = add_str_attr(&sb, src, "software");

    if (rc == DCN_OK && sb.len > 0)
        rc = dcn__strbuf_adds(&sb, " | ");
    if (rc == DCN_OK)
        rc = dcn__strbuf_adds(&sb, w->software);
    if (rc == DCN_OK &&
        dcn__wr_write_str_attr(dst, "software", dcn__strbuf_str(&sb)) < 0)
        rc = DCN_EIO;
    dcn__strbuf_release(&sb);
    return rc;
}

/* An opened /logs or /tables member of the input. */
struct meta_src {
    const char *src_path; /* input file */
    const char *path;     /* "logs/x", same in the output */
    hid_t sd;
    hid_t space;
    hid_t ftype;
    hsize_t dims[8];
    int rank;
    hssize_t npts;
};

/* Variable-length strings -> S<max bytes> 1-D dataset *dd. */
static int
copy_vlen_lines(struct dcn_writer *w, const struct meta_src *m, hid_t *dd,
                struct dcn_error *err)
{
    size_t n = (size_t)m->npts;
    char **strs = dcn__calloc(n, sizeof(char *));
    size_t *lens = dcn__calloc(n, sizeof(size_t));
    const char **lines = dcn__calloc(n, sizeof(char *));
    hid_t mtype = dcn__wr_vlen_str_type();
    bool read = false;
    size_t k;
    int rc;

    if (strs == NULL || lens == NULL || lines == NULL || mtype < 0) {
        rc = FAIL(w, err, DCN_ENOMEM, "%s: out of memory", m->path);
        goto out;
    }
    if (H5Dread(m->sd, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs) < 0) {
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read strings", m->src_path,
                     m->path);
        goto out;
    }
    read = true;
    for (k = 0; k < n; k++) {
        lines[k] = strs[k] != NULL ? strs[k] : "";
        lens[k] = strlen(lines[k]);
    }
    /* a multi-dimensional vlen log is flattened to 1-D */
    {
        struct str_lines sl = {lines, lens, n};

        rc = dcn__wr_write_string_lines(w, m->path, &sl, META_LEVEL, dd, err);
    }
out:
    if (read)
        H5Dvlen_reclaim(mtype, m->space, H5P_DEFAULT, strs);
    dcn__wr_close_id(mtype);
    dcn__free(lines);
    dcn__free(lens);
    dcn__free(strs);
    return rc;
}

/* Fixed-size data (fixed strings, numbers, compounds) copied as they are
 * into *dd. */
static int
copy_plain_data(struct dcn_writer *w, const struct meta_src *m, hid_t *dd,
                struct dcn_error *err)
{
    size_t bytes = H5Tget_size(m->ftype) * (size_t)m->npts;
    void *buf;
    int rc;

    if (H5Tdetect_class(m->ftype, H5T_VLEN) > 0 ||
        H5Tdetect_class(m->ftype, H5T_REFERENCE) > 0)
        return ERR_SET(err, DCN_EFORMAT,
                       "%s: %s: variable-length or reference data cannot be "
                       "copied",
                       m->src_path, m->path);
    buf = dcn__malloc(bytes > 0 ? bytes : 1);
    if (buf == NULL)
        return FAIL(w, err, DCN_ENOMEM, "%s: out of memory", m->path);
    if (H5Dread(m->sd, m->ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read", m->src_path, m->path);
    else {
        struct fixed_ds d = {m->path, m->ftype, m->ftype,
                             m->rank, m->dims,  META_LEVEL};

        rc = write_fixed_dataset(w, &d, buf, dd, err);
    }
    dcn__free(buf);
    return rc;
}

/* Copy one /logs or /tables member (format.md §2.6). */
static int
copy_meta_dataset(struct dcn_writer *w, hid_t src_file, const char *path,
                  const char *src_path, struct dcn_error *err)
{
    struct meta_src m = {src_path,
                         path,
                         H5I_INVALID_HID,
                         H5I_INVALID_HID,
                         H5I_INVALID_HID,
                         {0},
                         0,
                         0};
    char aname[ATTR_NAME_MAX];
    hid_t dd = H5I_INVALID_HID;
    int rc;

    m.sd = H5Dopen2(src_file, path, H5P_DEFAULT);
    if (m.sd < 0)
        return ERR_SET(err, DCN_EIO, "%s: %s: cannot open dataset", src_path,
                       path);
    m.space = H5Dget_space(m.sd);
    m.ftype = H5Dget_type(m.sd);
    m.rank = m.space >= 0 ? H5Sget_simple_extent_ndims(m.space) : -1;
    m.npts = m.space >= 0 ? H5Sget_simple_extent_npoints(m.space) : -1;
    if (m.ftype < 0 || m.rank < 0 || m.rank > 8 || m.npts < 0 ||
        H5Sget_simple_extent_dims(m.space, m.dims, NULL) < 0) {
        rc = ERR_SET(err, DCN_EIO, "%s: %s: cannot read shape", src_path, path);
        goto out;
    }
    if (m.npts == 0 || m.rank == 0) {
        rc = DCN_OK; /* empty: skipped, as dcnum does */
        goto out;
    }
    if (H5Tget_class(m.ftype) == H5T_STRING && H5Tis_variable_str(m.ftype) > 0)
        rc = copy_vlen_lines(w, &m, &dd, err);
    else
        rc = copy_plain_data(w, &m, &dd, err);
    if (rc < 0)
        goto out;
    rc = dcn__wr_copy_all_attrs(dd, m.sd, "software", aname);
    if (rc < 0) {
        rc = FAIL(w, err, rc, "%s: cannot copy attribute \"%s\" of %s", path,
                  aname, src_path);
        goto out;
    }
    rc = set_software_attr(w, dd, m.sd);
    if (rc < 0)
        rc = FAIL(w, err, rc, "%s: cannot write attribute \"software\"", path);
out:
    dcn__wr_close_id(dd);
    dcn__wr_close_id(m.ftype);
    dcn__wr_close_id(m.space);
    dcn__wr_close_id(m.sd);
    return rc;
}

struct member_list {
    char **names;
    size_t n;
    size_t cap;
    bool oom;
};

static herr_t
member_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    struct member_list *l = data;

    (void)g;
    (void)info;
    if (l->n == l->cap) {
        size_t ncap = l->cap == 0 ? 16 : l->cap * 2;
        char **p = dcn__realloc(l->names, ncap * sizeof(*p));

        if (p == NULL) {
            l->oom = true;
            return -1;
        }
        l->names = p;
        l->cap = ncap;
    }
    l->names[l->n] = dcn__strdup(name);
    if (l->names[l->n] == NULL) {
        l->oom = true;
        return -1;
    }
    l->n++;
    return 0;
}

static void
member_list_release(struct member_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        dcn__free(l->names[k]);
    dcn__free(l->names);
}

/* Copy the members of group (logs or tables) absent from the output. */
static int
copy_meta_group(struct dcn_writer *w, hid_t src, const char *group,
                const char *src_path, struct dcn_error *err)
{
    struct member_list l = {NULL, 0, 0, false};
    hid_t g = H5I_INVALID_HID;
    int rc = DCN_OK;
    size_t k;

    if (H5Lexists(src, group, H5P_DEFAULT) <= 0)
        return DCN_OK;
    g = H5Gopen2(src, group, H5P_DEFAULT);
    if (g < 0 ||
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, member_cb, &l) < 0)
        rc = l.oom ? FAIL(w, err, DCN_ENOMEM, "out of memory")
                   : ERR_SET(err, DCN_EIO, "%s: cannot list group %s", src_path,
                             group);
    for (k = 0; k < l.n && rc == DCN_OK; k++) {
        char path[512];
        H5O_info_t oi;
        int ex;

        (void)snprintf(path, sizeof(path), "%s/%s", group, l.names[k]);
        if (H5Oget_info_by_name(src, path, &oi, H5P_DEFAULT) < 0 ||
            oi.type != H5O_TYPE_DATASET)
            continue;
        ex = dcn__wr_path_exists(w->file, path);
        if (ex < 0)
            rc = FAIL(w, err, DCN_EIO, "%s: cannot look up", path);
        else if (ex == 0)
            rc = copy_meta_dataset(w, src, path, src_path, err);
    }
    member_list_release(&l);
    dcn__wr_close_id(g);
    return rc;
}

int
dcn__writer_copy_metadata(struct dcn_writer *w, const char *src_path,
                          struct dcn_error *err)
{
    hid_t src;
    int rc;

    dcn__wr_quiet();
    src = dcn__wr_open_input(w, src_path, err);
    if (src < 0)
        return DCN_EIO;
    rc = dcn__wr_copy_root_attrs(w, src, src_path, err);
    if (rc == DCN_OK)
        rc = copy_meta_group(w, src, "logs", src_path, err);
    if (rc == DCN_OK)
        rc = copy_meta_group(w, src, "tables", src_path, err);
    H5Fclose(src);
    return rc;
}
