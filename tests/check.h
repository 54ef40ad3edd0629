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

/*
 * The checks are plain function calls: every argument is evaluated once,
 * and no branch of a check lands in the test function that uses it (so
 * that clang-tidy's cognitive complexity counts the test's own logic).
 */
#define CHECK(cond) check_result_(!!(cond), __FILE__, __LINE__, #cond)

static inline void
check_eq_(long long a, long long b, const char *file, int line,
          const char *what)
{
    if (!check_result_(a == b, file, line, what))
        (void)fprintf(stderr, "    %lld != %lld\n", a, b);
}

#define CHECK_EQ(a, b) \
    check_eq_((long long)(a), (long long)(b), __FILE__, __LINE__, #a " == " #b)

static inline void
check_str_eq_(const char *a, const char *b, const char *file, int line,
              const char *what)
{
    int ok = a != NULL && b != NULL && strcmp(a, b) == 0;

    if (!check_result_(ok, file, line, what))
        (void)fprintf(stderr, "    \"%s\" != \"%s\"\n", a ? a : "(null)",
                      b ? b : "(null)");
}

#define CHECK_STR_EQ(a, b) \
    check_str_eq_((a), (b), __FILE__, __LINE__, #a " == " #b)

/* Bit-identical doubles: +0 and -0 differ, NaN equals only NaN. */
static inline void
check_dbl_ident_(double a, double b, const char *file, int line,
                 const char *what)
{
    uint64_t ua;
    uint64_t ub;

    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    if (!check_result_(ua == ub || (isnan(a) && isnan(b)), file, line, what))
        (void)fprintf(stderr, "    %.17g != %.17g\n", a, b);
}

#define CHECK_DBL_IDENT(a, b) \
    check_dbl_ident_((a), (b), __FILE__, __LINE__, #a " === " #b)

/* |a - b| <= atol + rtol * |b| */
struct check_tol_ {
    double rtol;
    double atol;
};

static inline void
check_dbl_near_(double a, double b, struct check_tol_ tol, const char *file,
                int line, const char *what)
{
    if (!check_result_(fabs(a - b) <= tol.atol + tol.rtol * fabs(b), file, line,
                       what))
        (void)fprintf(stderr, "    %.17g !~ %.17g\n", a, b);
}

#define CHECK_DBL_NEAR(a, b, rtol, atol)                                     \
    check_dbl_near_((a), (b), (struct check_tol_){(rtol), (atol)}, __FILE__, \
                    __LINE__, #a " ~= " #b)

/* Print the tally; the exit status is 0 only when nothing failed. */
static inline int
check_report(void)
{
    (void)printf("%ld passed, %ld failed\n", check_passed_, check_failed_);
    return check_failed_ == 0 && check_passed_ > 0 ? 0 : 1;
}

#endif /* DCN_TESTS_CHECK_H */
