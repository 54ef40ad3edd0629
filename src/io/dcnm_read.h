/* SPDX-License-Identifier: MIT */
/*
 * dcnm_read.h - what dcnumc reads of a dcnum model file (.dcnm) without
 * libtorch: its format version, its MD5 name check and its metadata
 * (dcnum_meta.json).  The run reads these in the main process, so that
 * libtorch (and its OpenMP pool) starts only in the workers, after any
 * fork().
 */
#ifndef DCN_IO_DCNM_READ_H
#define DCN_IO_DCNM_READ_H

#include <stddef.h>

#include "dcnumc/status.h"

/*
 * Read path: a format-1 model (a TorchScript zip archive) gives DCN_OK
 * and *json (owned, NUL-terminated, free with dcn__free) of *len bytes,
 * the archive's extra file dcnum_meta.json.  Errors, each naming path:
 * DCN_ENOTFOUND (no such file), DCN_EIO, DCN_EINVAL for format 2 (the
 * "DCNM" magic: torch.export programs, which libtorch 1.13 cannot load)
 * and for a name whose last "_" part is not the first five hex digits of
 * the file's MD5 (dcnum's check_md5sum), DCN_EFORMAT (not a zip archive,
 * no dcnum_meta.json), DCN_ENOMEM.
 */
int dcn_dcnm_read_meta(char **json, size_t *len, const char *path,
                       struct dcn_error *err);

#endif /* DCN_IO_DCNM_READ_H */
