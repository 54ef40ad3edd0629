/* SPDX-License-Identifier: MIT */
/*
 * check.h - the test harness: CHECK macros that print the file, the line,
 * both expressions and both values, and a tally that ends each test
 * program with the line "N passed, N failed" (what CI reads).
 */
#ifndef DCN_TESTS_CHECK_H
#define DCN_TESTS_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static long check_passed_;
static long check_failed_;

static inline int
check_result_(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        check_passed_++;
    } else {
        check_failed_++;
        (void)fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    }
    return ok;
}

#define CHECK(cond) check_result_(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long check_a_ = (long long)(a);                                 \
        long long check_b_ = (long long)(b);                                 \
        if (!check_result_(check_a_ == check_b_, __FILE__, __LINE__,         \
                           #a " == " #b))                                    \
            (void)fprintf(stderr, "    %lld != %lld\n", check_a_, check_b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                               \
    do {                                                                 \
        const char *check_a_ = (a);                                      \
        const char *check_b_ = (b);                                      \
        int check_ok_ = check_a_ != NULL && check_b_ != NULL &&          \
                        strcmp(check_a_, check_b_) == 0;                 \
        if (!check_result_(check_ok_, __FILE__, __LINE__, #a " == " #b)) \
            (void)fprintf(stderr, "    \"%s\" != \"%s\"\n",              \
                          check_a_ ? check_a_ : "(null)",                \
                          check_b_ ? check_b_ : "(null)");               \
    } while (0)

/* Bit-identical doubles: +0 and -0 differ, NaN equals only NaN. */
#define CHECK_DBL_IDENT(a, b)                                                  \
    do {                                                                       \
        double check_a_ = (a);                                                 \
        double check_b_ = (b);                                                 \
        uint64_t check_ua_, check_ub_;                                         \
        memcpy(&check_ua_, &check_a_, sizeof check_ua_);                       \
        memcpy(&check_ub_, &check_b_, sizeof check_ub_);                       \
        int check_ok_ = check_ua_ == check_ub_ ||                              \
                        (isnan(check_a_) && isnan(check_b_));                  \
        if (!check_result_(check_ok_, __FILE__, __LINE__, #a " === " #b))      \
            (void)fprintf(stderr, "    %.17g != %.17g\n", check_a_, check_b_); \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_DBL_NEAR(a, b, rtol, atol)                                       \
    do {                                                                       \
        double check_a_ = (a);                                                 \
        double check_b_ = (b);                                                 \
        int check_ok_ =                                                        \
                fabs(check_a_ - check_b_) <= (atol) + (rtol)*fabs(check_b_);   \
        if (!check_result_(check_ok_, __FILE__, __LINE__, #a " ~= " #b))       \
            (void)fprintf(stderr, "    %.17g !~ %.17g\n", check_a_, check_b_); \
    } while (0)

/* Print the tally; the exit status is 0 only when nothing failed. */
static inline int
check_report(void)
{
    (void)printf("%ld passed, %ld failed\n", check_passed_, check_failed_);
    return check_failed_ == 0 && check_passed_ > 0 ? 0 : 1;
}

#endif /* DCN_TESTS_CHECK_H */
