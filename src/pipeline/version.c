/* SPDX-License-Identifier: MIT */
/*
 * version.c - the library version, from the CMake project version.
 */
#include "dcnumc/dcnumc.h"

#ifndef DCN_VERSION_STRING
#error "DCN_VERSION_STRING is set by CMake"
#endif

const char *
dcn_version(void)
{
    return DCN_VERSION_STRING;
}
