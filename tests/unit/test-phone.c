/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "phone.h"

static void check_normalizes(const char *in, const char *expected) {
        char out[PHONE_BUFSZ];

        memset(out, 'x', sizeof(out));
        assert_int_equal(phone_normalize(in, out), 0);
        assert_string_equal(out, expected);
        assert_true(phone_is_valid(in));
}

static void check_invalid(const char *in) {
        char out[PHONE_BUFSZ];

        assert_int_equal(phone_normalize(in, out), -EINVAL);
        assert_false(phone_is_valid(in));
}

static void test_valid(void **state) {
        (void) state;
        check_normalizes("13800138000", "13800138000");
        check_normalizes("+86 138-0013-8000", "13800138000");
        check_normalizes("+8613800138000", "13800138000");
        check_normalizes("008613800138000", "13800138000");
        check_normalizes("0086 138 0013 8000", "13800138000");
        check_normalizes("8613800138000", "13800138000");
        check_normalizes("86 138 0013 8000", "13800138000");
        check_normalizes("138 0013 8000", "13800138000");
        check_normalizes("138-0013-8000", "13800138000");
        check_normalizes(" 13800138000 ", "13800138000");
        check_normalizes("+86-138-0013-8000", "13800138000");
}

static void test_prefixes_1x(void **state) {
        (void) state;
        /* every second digit 3..9 is a mobile range, including 192 (China Broadnet),
         * 166/167 and 199 */
        check_normalizes("13912345678", "13912345678");
        check_normalizes("14512345678", "14512345678");
        check_normalizes("15012345678", "15012345678");
        check_normalizes("16612345678", "16612345678");
        check_normalizes("17012345678", "17012345678");
        check_normalizes("18612345678", "18612345678");
        check_normalizes("19212345678", "19212345678");
        check_normalizes("19912345678", "19912345678");
        check_normalizes("+86 192 0000 1234", "19200001234");

        check_invalid("12345678901");  /* second digit 2 */
        check_invalid("11012345678");  /* second digit 1 */
        check_invalid("10012345678");  /* second digit 0 */
        check_invalid("23800138000");  /* does not start with 1 */
}

static void test_invalid(void **state) {
        (void) state;
        check_invalid("1380013800");      /* 10 digits */
        check_invalid("138001380001");    /* 12 digits */
        check_invalid("057188886666");    /* Hangzhou landline */
        check_invalid("0571-8888-6666");
        check_invalid("+86 571 8888 6666");
        check_invalid("1380013800a");
        check_invalid("abcdefghijk");
        check_invalid("138.0013.8000");
        check_invalid("(138)00138000");
        check_invalid("13800138000\t");   /* only spaces and dashes are dropped */
        check_invalid("１３８００１３８０００"); /* fullwidth digits */
}

static void test_prefix_rules(void **state) {
        (void) state;
        check_invalid("+13800138000");      /* '+' needs the country code */
        check_invalid("+1 380 013 8000");
        check_invalid("+0086 13800138000"); /* "+" and "00" together */
        check_invalid("+85213800138000");   /* Hong Kong country code */
        check_invalid("138+00138000");      /* '+' in the middle */
        check_invalid("++8613800138000");
        check_invalid("0086138001380");     /* 0086 + 9 digits */
        check_invalid("86138001380");       /* 86 only when 13 digits in all */
        check_invalid("861380013800");
        check_invalid("86123456789012");
        check_invalid("8612345678901");     /* 86 + non-mobile */
        check_invalid("0013800138000");
        check_invalid("0000000000000000000000000000013800138000");
        check_invalid("");
        check_invalid("   ");
        check_invalid("+");
        check_invalid("+86");
        check_invalid(NULL);
}

static void test_email(void **state) {
        static const char *const good[] = {
                "zhang@example.com", "zhang.san+fees@mail.example.com", "a@b.cn",
                "li_lei-2@example.com.cn", "王@例子.中国",
        };
        static const char *const bad[] = {
                "", "zhang", "@example.com", "zhang@", "zhang@example", "zhang@@example.com",
                "zh@ng@example.com", "zhang @example.com", "zhang@exa mple.com",
                "zhang@.example.com", "zhang@example..com", "zhang@example.com.",
                "zhang@example.com\n", "zh\tang@example.com", "zhang@exam\x01ple.com",
                "zh\x7fng@example.com", ".", "@", "a@.", "a@b.",
        };

        (void) state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(email_validate(good[i]), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(email_validate(bad[i]), -EINVAL);
        assert_int_equal(email_validate(NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_prefixes_1x),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_prefix_rules),
                cmocka_unit_test(test_email),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
