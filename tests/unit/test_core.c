/* SPDX-License-Identifier: MIT */
/* test_core.c - status/error record, allocator, MD5. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "check.h"
#include "dcnumc/status.h"
#include "md5.h"

static void
test_first_error_wins(void)
{
    struct dcn_error err = DCN_ERROR_INIT;

    CHECK_EQ(dcn_error_set(&err, DCN_EIO, "%s: cannot open", "a.rtdc"),
             DCN_EIO);
    CHECK_EQ(dcn_error_set(&err, DCN_EFORMAT, "second"), DCN_EFORMAT);
    CHECK_EQ(err.code, DCN_EIO);
    CHECK_STR_EQ(err.msg, "a.rtdc: cannot open");
}

static void
test_clear_resets_and_null_record_is_allowed(void)
{
    struct dcn_error err = DCN_ERROR_INIT;

    CHECK_EQ(dcn_error_set(&err, DCN_EIO, "%s: cannot open", "a.rtdc"),
             DCN_EIO);
    dcn_error_clear(&err);
    CHECK_EQ(err.code, DCN_OK);
    CHECK_EQ(dcn_error_set(NULL, DCN_EINVAL, "ignored"), DCN_EINVAL);
    CHECK_STR_EQ(dcn_strerror(DCN_ENOMEM), "out of memory");
}

static void
test_long_message_is_truncated(void)
{
    struct dcn_error err = DCN_ERROR_INIT;
    char big[2 * DCN_ERROR_MSG_MAX];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    dcn_error_set(&err, DCN_EIO, "%s", big);
    CHECK_EQ(strlen(err.msg), DCN_ERROR_MSG_MAX - 1);
}

static void
test_alloc_overflow_and_injection(void)
{
    void *p;

    CHECK(dcn__calloc(SIZE_MAX / 2, 4) == NULL);
    CHECK(dcn__mallocarray(SIZE_MAX / 2, 4) == NULL);
    dcn__alloc_fail_nth(2);
    p = dcn__malloc(8);
    CHECK(p != NULL);
    CHECK(dcn__malloc(8) == NULL); /* the 2nd one fails */
    dcn__free(p);
    p = dcn__malloc(8); /* injection is over */
    CHECK(p != NULL);
    dcn__free(p);
    dcn__free(NULL);
}

static void
test_md5_vectors(void)
{
    /* RFC 1321's last vector is "1234567890" eight times. */
    static const char digits80[] = "1234567890123456789012345678901234567890"
                                   "1234567890123456789012345678901234567890";
    static const char *const in[] = {"", "a", "abc", "message digest",
                                     digits80};
    static const char *const out[] = {"d41d8cd98f00b204e9800998ecf8427e",
                                      "0cc175b9c0f1b6a831c399e269772661",
                                      "900150983cd24fb0d6963f7d28e17f72",
                                      "f96b697d7cb7938d525a2f31aaf161d0",
                                      "57edf4a22be3c955ac49da2e2107b67a"};
    char hex[33];

    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        dcn__md5_hex(hex, in[i], strlen(in[i]));
        CHECK_STR_EQ(hex, out[i]);
    }
}

static void
test_md5_incremental_equals_one_shot(void)
{
    unsigned char buf[1000];
    struct dcn_md5 ctx;
    uint8_t digest[16];
    char a[33], b[33];

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    dcn__md5_hex(a, buf, sizeof(buf));
    dcn__md5_init(&ctx);
    for (size_t i = 0; i < sizeof(buf);) {
        size_t n =
                (i % 13) + 1 < sizeof(buf) - i ? (i % 13) + 1 : sizeof(buf) - i;

        dcn__md5_update(&ctx, buf + i, n);
        i += n;
    }
    dcn__md5_final(&ctx, digest);
    dcn__md5_digest_hex(b, digest);
    CHECK_STR_EQ(a, b);
}

/* numerics.md §6.4: the PPID hash of the default job at ps 0.2645. */
static void
test_md5_of_default_ppid(void)
{
    const char *ppid = "13|hdf:p=0.2645^i=0|sparsemed:k=200^s=1^t=0^f=0.8^o=1"
                       "|thresh:t=-6:cle=1^f=1^clo=2|legacy:b=1^h=1^v=1"
                       "|norm:o=0^s=10";
    char hex[33];

    dcn__md5_hex(hex, ppid, strlen(ppid));
    CHECK_STR_EQ(hex, "a35bcc0252de9f083de5746cf547117d");
}

int
main(void)
{
    test_first_error_wins();
    test_clear_resets_and_null_record_is_allowed();
    test_long_message_is_truncated();
    test_alloc_overflow_and_injection();
    test_md5_vectors();
    test_md5_incremental_equals_one_shot();
    test_md5_of_default_ppid();
    return check_report();
}
