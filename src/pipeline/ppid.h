/* SPDX-License-Identifier: MIT */
/*
 * ppid.h - internals of the pipeline identifiers (numerics.md §6): the
 * keyword tables of every component in dcnum's declaration order, the
 * abbreviation algorithm, dcnum's value formatting and parsing.  The
 * public side is in include/dcnumc/job.h.
 */
#ifndef DCN_PIPELINE_PPID_H
#define DCN_PIPELINE_PPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcnumc/job.h"

enum dcn__kw_type {
    DCN__KW_BOOL,
    DCN__KW_INT,
    DCN__KW_FLOAT,
    DCN__KW_STRING /* an owned char * (model_file) */
};

#define DCN__KW_NOT_NULLABLE ((size_t)-1)

/* One keyword-only argument of a dcnum method. */
struct dcn__kw_desc {
    const char *name;
    enum dcn__kw_type type;
    size_t offset; /* of the bool/int64_t/double/char * in struct dcn_job */
    size_t none_offset; /* of the "is None" bool, or DCN__KW_NOT_NULLABLE */
};

/* The keyword-only arguments of one method, in declaration order. */
struct dcn__kw_table {
    const char *option; /* "background_kwargs", ... (for messages) */
    const struct dcn__kw_desc *kw;
    size_t n;
};

/*
 * The PPID table of a group for the codes of job (the background and
 * segmenter groups depend on them).  The data group has no PPID table
 * (its id is custom) and returns NULL.  Static storage.
 */
const struct dcn__kw_table *dcn__kw_table(enum dcn_kw_group group,
                                          const struct dcn_job *job);

/* The segmenter code's name ("thresh", "torchmpo", ...); static. */
const char *dcn__segmenter_name(enum dcn_segmenter_code code);

/* The background code's name ("sparsemed", ...); static storage. */
const char *dcn__background_name(enum dcn_background_code bg);

/*
 * dcnum's get_unique_prefix: lens[i] receives the abbreviation length of
 * names[i] (the abbreviation is the name cut to that length; it may
 * exceed strlen when a name is a prefix of another).  names borrowed.
 */
void dcn__unique_prefix(size_t *lens, const char *const *names, size_t n);

/* Python's repr(float) (shortest round trip, "1e-05", "0.8", "1.0",
 * "nan", "inf").  DCN_ERANGE if it does not fit in len. */
int dcn__repr_double(char *buf, size_t len, double x);

/* A float as kwargs_to_ppid prints it: integral values as integers
 * ("-6"), others as repr ("0.8", "1e-05"). */
int dcn__ppid_float(char *buf, size_t len, double x);

/* "%.8f" formatting with the trailing zeros removed ("0.34", "1.", "0."). */
int dcn__ppid_pixel_size(char *buf, size_t len, double ps);

/* The mapping id: "0", "N", "start-stop-step" ('n' for None), or "h-" +
 * the first 8 hex of md5(indices as uint32 LE). */
int dcn__ppid_mapping(char *buf, size_t len, const struct dcn_index_mapping *m);

/* "abbr=value^abbr=value..." of table t with the values in job. */
int dcn__kwargs_to_ppid(char *buf, size_t len, const struct dcn__kw_table *t,
                        const struct dcn_job *job);

/*
 * Parse value text for key k of table t into job, as dcnum converts it
 * (bools: true/yes/false/no or a number; ints; floats; "None" if
 * nullable).  Returns 0 or -1 (the caller words the error); job is
 * unchanged on failure.
 */
int dcn__kw_parse_value(struct dcn_job *job, const struct dcn__kw_desc *k,
                        const char *text);

/* Whole-string number parsers (C locale, no hex, no inf/nan). */
int dcn__parse_int64(int64_t *out, const char *text);
int dcn__parse_double(double *out, const char *text);
/* true/false/yes/no (any case) or a number; -1 if neither. */
int dcn__parse_bool(bool *out, const char *text);

#endif /* DCN_PIPELINE_PPID_H */
