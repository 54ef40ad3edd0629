/* SPDX-License-Identifier: MIT */
/*
 * status.c - status codes to text, and the first-error-wins error record.
 *
 * A message is recorded where a failure is detected and nowhere else
 * (style.md rule 11); callers only propagate the code.  dcn_error_set()
 * keeps the first message, so a cascade of failures still reports its
 * root cause.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dcnumc/status.h"

const char *
dcn_strerror(int code)
{
    switch (code) {
    case DCN_OK:
        return "success";
    case DCN_ENOMEM:
        return "out of memory";
    case DCN_EINVAL:
        return "invalid argument";
    case DCN_EIO:
        return "input/output error";
    case DCN_EFORMAT:
        return "malformed .rtdc file";
    case DCN_EWORKER:
        return "worker failure";
    case DCN_ERANGE:
        return "value out of range";
    case DCN_ECANCELED:
        return "run stopped";
    case DCN_ENOTFOUND:
        return "not found";
    case DCN_EEXIST:
        return "output exists";
    case DCN_EFILTER:
        return "unsupported filter";
    case DCN_ECORRUPT:
        return "corrupt data";
    default:
        return "unknown error";
    }
}

void
dcn_error_clear(struct dcn_error *err)
{
    if (err == NULL)
        return;
    err->code = DCN_OK;
    err->msg[0] = '\0';
}

int
dcn_error_set(struct dcn_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err->code != DCN_OK)
        return code;
    err->code = code;
    va_start(ap, fmt);
    /* A message longer than the record is truncated, never overflowed. */
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}
