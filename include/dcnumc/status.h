/* SPDX-License-Identifier: MIT */
/*
 * status.h - status codes and the error record of dcnumc.
 *
 * Every fallible function returns 0 (DCN_OK) or a negative enum dcn_status
 * and, where the failure is detected, records one message in a struct
 * dcn_error owned by the caller (style.md §3).  The first failure wins:
 * later messages are ignored, so the user sees the root cause.
 */
#ifndef DCNUMC_STATUS_H
#define DCNUMC_STATUS_H

#include <stddef.h>

#if defined(__GNUC__)
#define DCN_API          __attribute__((visibility("default")))
#define DCN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DCN_API
#define DCN_PRINTF(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum dcn_status {
    DCN_OK = 0,
    DCN_ENOMEM = -1,    /* an allocation failed */
    DCN_EINVAL = -2,    /* a bad argument or option value */
    DCN_EIO = -3,       /* a file could not be opened, read or written */
    DCN_EFORMAT = -4,   /* the file is not what a .rtdc file must be */
    DCN_EWORKER = -5,   /* a worker died or a shared lock was abandoned */
    DCN_ERANGE = -6,    /* a value does not fit (e.g. > 65535 labels) */
    DCN_ECANCELED = -7, /* the run was stopped (Ctrl-C, another error) */
    DCN_ENOTFOUND = -8, /* a file, dataset, attribute or feature is missing */
    DCN_EEXIST = -9,    /* the output exists already */
    DCN_EFILTER = -10,  /* a chunk uses a filter dcnumc cannot decode */
    DCN_ECORRUPT = -11, /* stored data fail a checksum or do not decode */
};

#define DCN_ERROR_MSG_MAX 512

/*
 * One error record.  Caller storage; initialise with DCN_ERROR_INIT or
 * dcn_error_clear().  code is 0 while no error was recorded.
 */
struct dcn_error {
    int code;
    char msg[DCN_ERROR_MSG_MAX];
};

#define DCN_ERROR_INIT \
    {                  \
        0,             \
        {              \
            0          \
        }              \
    }

/* Short text for a status code ("out of memory", ...); never NULL. */
DCN_API const char *dcn_strerror(int code);

/* Forget a recorded error. */
DCN_API void dcn_error_clear(struct dcn_error *err);

/*
 * Record code and a printf-style message in err unless err already holds
 * an error or is NULL.  Returns code, so detecting, recording and
 * returning fit in one statement: return dcn_error_set(err, DCN_EIO, ...).
 */
DCN_API int dcn_error_set(struct dcn_error *err, int code, const char *fmt, ...)
        DCN_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* DCNUMC_STATUS_H */
