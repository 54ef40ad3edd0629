/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - the only allocator of dcnumc (style.md rule 19).
 *
 * Array allocation checks for overflow.  A test hook fails the Nth
 * allocation from now on, so tests can sweep every failure path of run
 * setup (curl's torture mode).
 */
#ifndef DCN_CORE_ALLOC_H
#define DCN_CORE_ALLOC_H

#include <stddef.h>

/* Returns NULL on failure; caller frees with dcn__free(). */
void *dcn__malloc(size_t size);
/* n * size zeroed bytes; NULL on overflow or failure. */
void *dcn__calloc(size_t n, size_t size);
/* n * size bytes, not zeroed; NULL on overflow or failure. */
void *dcn__mallocarray(size_t n, size_t size);
/* Like realloc(); on failure p is untouched and NULL is returned. */
void *dcn__realloc(void *p, size_t size);
/* NULL is a no-op. */
void dcn__free(void *p);
/* Copy of s (caller frees with dcn__free()); NULL on failure. */
char *dcn__strdup(const char *s);

/*
 * Test only: make the nth allocation from now fail (1 = the next one);
 * 0 switches failure injection off.  Thread-safe (atomic counter).
 */
void dcn__alloc_fail_nth(long nth);

#endif /* DCN_CORE_ALLOC_H */
