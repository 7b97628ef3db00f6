/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"

typedef char *(*mask_func)(const char *, char *, size_t);

/* Runs f with a buffer of exactly buflen bytes inside a larger canary-filled one, checks
 * nothing beyond buflen was touched, and returns the (copied) result. */
static const char *run_sized(mask_func f, const char *in, size_t buflen) {
        static char result[MASK_BUFSZ * 2];
        char area[MASK_BUFSZ * 2 + 16];

        assert_true(buflen + 16 <= sizeof(area));
        memset(area, '#', sizeof(area));
        assert_ptr_equal(f(in, area, buflen), area);
        for (size_t i = buflen; i < sizeof(area); i++)
                assert_int_equal(area[i], '#');
        if (buflen == 0) {
                assert_int_equal(area[0], '#');
                return "";
        }
        assert_true(strlen(area) < buflen);
        strcpy(result, area);
        return result;
}

static const char *run(mask_func f, const char *in) {
        return run_sized(f, in, MASK_BUFSZ);
}

static void test_phone(void **state) {
        (void) state;
        assert_string_equal(run(mask_phone, "13800138000"), "138****8000");
        assert_string_equal(run(mask_phone, "19212345678"), "192****5678");
        /* not an 11-digit mobile: 2 + 2 */
        assert_string_equal(run(mask_phone, "057188886666"), "05********66");
        assert_string_equal(run(mask_phone, "+86 138-0013-8000"), "+8*************00");
        assert_string_equal(run(mask_phone, "1234567"), "12***67");
        assert_string_equal(run(mask_phone, "1380013800a"), "13*******0a");
        /* shorter than 7: everything hidden */
        assert_string_equal(run(mask_phone, "123456"), "******");
        assert_string_equal(run(mask_phone, "110"), "***");
        assert_string_equal(run(mask_phone, ""), "");
        assert_string_equal(run(mask_phone, NULL), "");
}

static void test_name(void **state) {
        (void) state;
        assert_string_equal(run(mask_name, "张三"), "张*");
        assert_string_equal(run(mask_name, "欧阳娜娜"), "欧***");
        assert_string_equal(run(mask_name, "司马光"), "司**");
        assert_string_equal(run(mask_name, "李"), "李");
        assert_string_equal(run(mask_name, "Li Lei"), "L*****");
        assert_string_equal(run(mask_name, "𠀀𠀁"), "𠀀*");   /* 4-byte code points */
        assert_string_equal(run(mask_name, "É"), "É");
        assert_string_equal(run(mask_name, ""), "");
        assert_string_equal(run(mask_name, NULL), "");
}

static void test_name_invalid_utf8(void **state) {
        (void) state;
        /* Invalid bytes never reach the output: a kept one becomes '?', others '*'. */
        assert_string_equal(run(mask_name, "\xff\xfe"), "?*");
        assert_string_equal(run(mask_name, "张\xe4\xb8"), "张**");     /* truncated sequence */
        assert_string_equal(run(mask_name, "\xc0\xaf" "a"), "?**");   /* overlong '/' */
        assert_string_equal(run(mask_name, "\xed\xa0\x80"), "?**");   /* surrogate */
        assert_string_equal(run(mask_name, "\xf4\x90\x80\x80"), "?***"); /* > U+10FFFF */
}

static void test_email(void **state) {
        (void) state;
        assert_string_equal(run(mask_email, "zhang@example.com"), "z***@example.com");
        assert_string_equal(run(mask_email, "a@example.com"), "a***@example.com");
        assert_string_equal(run(mask_email, "王小明@例子.中国"), "王***@例子.中国");
        assert_string_equal(run(mask_email, "@example.com"), "***@example.com");
        assert_string_equal(run(mask_email, "a\"@\"b@example.com"), "a***@example.com");
        assert_string_equal(run(mask_email, "not-an-address"), "n*************");
        assert_string_equal(run(mask_email, ""), "");
        assert_string_equal(run(mask_email, NULL), "");
}

static char *recipient_sms(const char *s, char *buf, size_t l) {
        return mask_recipient("sms", s, buf, l);
}
static char *recipient_email(const char *s, char *buf, size_t l) {
        return mask_recipient("email", s, buf, l);
}
static char *recipient_other(const char *s, char *buf, size_t l) {
        return mask_recipient("wechat", s, buf, l);
}
static char *recipient_null(const char *s, char *buf, size_t l) {
        return mask_recipient(NULL, s, buf, l);
}

static void test_recipient(void **state) {
        (void) state;
        assert_string_equal(run(recipient_sms, "13800138000"), "138****8000");
        assert_string_equal(run(recipient_email, "zhang@example.com"), "z***@example.com");
        assert_string_equal(run(recipient_other, "oAbCdEfGh123"), "oAb******123");
        assert_string_equal(run(recipient_other, "1234567"), "123*567");
        assert_string_equal(run(recipient_other, "123456"), "******");
        assert_string_equal(run(recipient_other, "微信用户张三丰"), "微信用*张三丰");
        assert_string_equal(run(recipient_null, "13800138000"), "138*****000");
        assert_string_equal(run(recipient_null, NULL), "");
}

static void test_tiny_buffers(void **state) {
        (void) state;
        /* Output is cut at whole pieces: never half a code point, always terminated. */
        assert_string_equal(run_sized(mask_phone, "13800138000", 0), "");
        assert_string_equal(run_sized(mask_phone, "13800138000", 1), "");
        assert_string_equal(run_sized(mask_phone, "13800138000", 2), "1");
        assert_string_equal(run_sized(mask_phone, "13800138000", 5), "138*");
        assert_string_equal(run_sized(mask_phone, "13800138000", 11), "138****800");
        assert_string_equal(run_sized(mask_phone, "13800138000", 12), "138****8000");

        assert_string_equal(run_sized(mask_name, "张三", 1), "");
        assert_string_equal(run_sized(mask_name, "张三", 2), "");
        assert_string_equal(run_sized(mask_name, "张三", 3), "");
        assert_string_equal(run_sized(mask_name, "张三", 4), "张");
        assert_string_equal(run_sized(mask_name, "张三", 5), "张*");
        assert_string_equal(run_sized(mask_name, "𠀀𠀁", 4), "");
        assert_string_equal(run_sized(mask_name, "𠀀𠀁", 5), "𠀀");

        assert_string_equal(run_sized(mask_email, "zhang@example.com", 3), "z");
        assert_string_equal(run_sized(mask_email, "zhang@example.com", 5), "z***");
        assert_string_equal(run_sized(mask_email, "zhang@example.com", 8), "z***@ex");
        assert_string_equal(run_sized(mask_email, "王@例子.中国", 4), "王");
        assert_string_equal(run_sized(mask_email, "王@例子.中国", 10), "王***@");
        assert_string_equal(run_sized(mask_email, "王@例子.中国", 11), "王***@例");
        assert_string_equal(run_sized(mask_email, "王@例子.中国", 12), "王***@例");

        assert_string_equal(run_sized(recipient_other, "微信用户张三丰", 7), "微信");

        assert_null(mask_name("张三", NULL, 10));
}

static void test_long_input(void **state) {
        char in[4096], big[MASK_BUFSZ];
        const char *r;

        (void) state;
        /* 1365 × "张" is far more than MASK_BUFSZ: the output is cut, not overflowed. */
        for (size_t i = 0; i + 3 < sizeof(in); i += 3)
                memcpy(in + i, "张", 3);
        in[sizeof(in) - 1 - (sizeof(in) - 1) % 3] = '\0';
        r = run(mask_name, in);
        assert_int_equal(strncmp(r, "张", 3), 0);
        assert_int_equal(strlen(r), MASK_BUFSZ - 1);
        assert_int_equal(strspn(r + 3, "*"), MASK_BUFSZ - 1 - 3);

        r = run(mask_email, in);
        assert_int_equal(strncmp(r, "张***", 6), 0);

        assert_ptr_equal(mask_phone(in, big, sizeof(big)), big);
        assert_int_equal(strncmp(big, "张张*", 7), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_phone),
                cmocka_unit_test(test_name),
                cmocka_unit_test(test_name_invalid_utf8),
                cmocka_unit_test(test_email),
                cmocka_unit_test(test_recipient),
                cmocka_unit_test(test_tiny_buffers),
                cmocka_unit_test(test_long_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
