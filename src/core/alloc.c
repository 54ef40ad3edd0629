/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - allocation wrappers with overflow checks and failure injection.
 *
 * Every allocation of the library goes through here, so a test can make
 * the Nth one fail and check that the error path releases everything and
 * reports DCN_ENOMEM.  The countdown is the process's only mutable static
 * state; it is atomic and only tests set it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Test hook: allocations left before one fails; 0 = injection off. */
static atomic_long fail_countdown;

static int
should_fail(void)
{
    long left = atomic_load(&fail_countdown);

    while (left > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &left, left - 1))
            return left == 1;
    }
    return 0;
}

void
dcn__alloc_fail_nth(long nth)
{
    atomic_store(&fail_countdown, nth > 0 ? nth : 0);
}

void *
dcn__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size == 0 ? 1 : size);
}

void *
dcn__calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *
dcn__mallocarray(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return dcn__malloc(n * size);
}

void *
dcn__realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size == 0 ? 1 : size);
}

void
dcn__free(void *p)
{
    free(p);
}

char *
dcn__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = dcn__malloc(n);

    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}
