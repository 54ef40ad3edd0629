/* SPDX-License-Identifier: MIT */
/*
 * testdata.h - test-only access to ../shared/data: the sample inputs, the
 * reference outputs of dcnum (features.csv, masks.csv, bg.h5) and whole
 * HDF5 datasets.
 *
 * This reads HDF5 directly (with dcnumc's zstd filter registered) and is
 * deliberately independent of dcnumc's reader: the oracle side of a
 * parity test must not share code with the side under test.  A missing
 * data folder is a loud failure, never a skip.
 */
#ifndef DCN_TESTS_TESTDATA_H
#define DCN_TESTS_TESTDATA_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum td_type {
    TD_U8,
    TD_U16,
    TD_I16,
    TD_I32,
    TD_U32,
    TD_I64,
    TD_U64,
    TD_F64
};

/* A whole dataset in memory, converted to the requested type. */
struct td_array {
    void *data; /* owned; td_array_release() frees it */
    size_t dims[4];
    int rank;
    size_t count; /* product of dims */
};

/* Absolute path of ../shared/data; exits the test with status 1 and a
 * message if the folder is missing. */
const char *td_data_dir(void);

/* td_data_dir() + "/" + rel into buf (PATH_MAX bytes); returns buf.  A
 * path that does not fit exits the test like a missing folder. */
char *td_path(char *buf, const char *rel);

/* Read file:dataset converted to type.  0 on success, -1 (message on
 * stderr) on failure. */
int td_read(struct td_array *out, const char *file, const char *dataset,
            enum td_type type);
void td_array_release(struct td_array *a);

/* Read a numeric root attribute as double; 0 on success, -1 if absent. */
int td_attr_double(double *out, const char *file, const char *name);

/* Names of the members of file:group, sorted; *names is caller-freed
 * with td_names_free().  0, or -1 if the group does not exist. */
int td_list_group(char ***names, size_t *n, const char *file,
                  const char *group);
void td_names_free(char **names, size_t n);

/* Shape and numpy-style dtype ("<f8", "|u1", "<u4", "|S74") of a dataset.
 * 0, or -1 if it does not exist. */
int td_dataset_info(size_t dims[4], int *rank, char dtype[16], const char *file,
                    const char *dataset);

/* A string root attribute (vlen or fixed) into out; 0, or -1 (also when
 * it does not fit in len bytes). */
int td_attr_string(char *out, size_t len, const char *file, const char *name);

/* md5 hex over the stored (still filtered) chunks of a dataset: chunk
 * offsets, filter masks and bytes, in chunk order; contiguous datasets
 * are hashed over their raw data.  0 or -1. */
int td_stored_md5(char hex[33], const char *file, const char *dataset);

/* td_path() of "inputs/<stem>.rtdc" and of
 * "reference/<stem>/<variant>/<file>"; 0, or -1 if the path is too long. */
int td_input_path(char path[PATH_MAX], const char *stem);
int td_reference_path(char path[PATH_MAX], const char *stem,
                      const char *variant, const char *file);

/* md5 hex over every attribute of an object ("/", "/events", a dataset),
 * in name order: name, type class and size, and value (the characters of
 * variable-length strings, the raw bytes otherwise).  0 or -1. */
int td_attrs_md5(char hex[33], const char *file, const char *object);

/* A CSV table of doubles with a header row (features.csv, masks.csv).
 * Non-numeric cells (mask_md5) are kept as text in cells_text. */
struct td_csv {
    char **names; /* ncols column names, owned */
    size_t ncols;
    size_t nrows;
    double *values;    /* nrows * ncols, row-major; NaN for text cells */
    char **cells_text; /* nrows * ncols raw cell strings, owned */
};

int td_csv_load(struct td_csv *t, const char *path);
/* Column index of name, or -1. */
int td_csv_col(const struct td_csv *t, const char *name);
double td_csv_get(const struct td_csv *t, size_t row, int col);
const char *td_csv_text(const struct td_csv *t, size_t row, int col);
void td_csv_release(struct td_csv *t);

/*
 * The tolerance contract for tilt (issue 12): within 2 ulp of dcnum.
 * numpy's SIMD arctan2, which dcnum's tilt goes through, is not correctly
 * rounded; glibc's atan2 is.  With bit-identical arguments the two differ
 * by up to 2 ulp (seen: synth-1000/clo0 event 1097).
 */
#define TD_TILT_MAX_ULP 2

#endif /* DCN_TESTS_TESTDATA_H */
