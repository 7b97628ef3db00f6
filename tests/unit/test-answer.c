/* SPDX-License-Identifier: MIT */

/* lib/answer: what of a carrier's answer may go into the log. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "answer.h"

static void test_excerpt(void **state) {
        char d[32];

        (void) state;
        answer_excerpt(d, sizeof(d), " \r\n\tOK: 12345 ", 14, 100);
        assert_string_equal(d, "OK: 12345");
        /* control characters are spaces; exactly len bytes are read */
        answer_excerpt(d, sizeof(d), "a\x01" "b\x7f" "cXXXX", 5, 100);
        assert_string_equal(d, "a b c");
        /* cut at max, never inside a UTF-8 sequence: 余额 is 6 bytes */
        answer_excerpt(d, sizeof(d), "余额不足", strlen("余额不足"), 7);
        assert_string_equal(d, "余额");
        answer_excerpt(d, 4, "abcdef", 6, 100);
        assert_string_equal(d, "abc");
        answer_excerpt(d, sizeof(d), NULL, 5, 10);
        assert_string_equal(d, "");
}

static void test_mask(void **state) {
        char s[128];

        (void) state;
        snprintf(s, sizeof(s), "invalid number 13912345678 (13912345678)");
        answer_mask_recipient(s, sizeof(s), "13912345678");
        assert_string_equal(s, "invalid number 139****5678 (139****5678)");
        snprintf(s, sizeof(s), "<zhang.san@example.com>: unknown");
        answer_mask_recipient(s, sizeof(s), "zhang.san@example.com");
        assert_string_equal(s, "<z***@example.com>: unknown");
        /* too short to be worth masking, and not there */
        snprintf(s, sizeof(s), "code 123");
        answer_mask_recipient(s, sizeof(s), "123");
        assert_string_equal(s, "code 123");
        answer_mask_recipient(s, sizeof(s), NULL);
        assert_string_equal(s, "code 123");
}

/* A cut through the number must not leave its hidden digits readable. */
static void test_excerpt_masked(void **state) {
        static const char body[] = "error: mobile=13912345678&content=x";
        char d[64];

        (void) state;
        answer_excerpt_masked(d, sizeof(d), body, strlen(body), 100, "13912345678");
        assert_string_equal(d, "error: mobile=139****5678&content=x");
        /* cut inside the masked form, not inside the number */
        answer_excerpt_masked(d, sizeof(d), body, strlen(body), 20, "13912345678");
        assert_string_equal(d, "error: mobile=139***");
        assert_null(strstr(d, "1391234"));
        answer_excerpt_masked(d, sizeof(d), body, strlen(body), 100, NULL);
        assert_string_equal(d, body);
}

static void test_contains(void **state) {
        (void) state;
        assert_true(answer_contains("0: Accepted", 11, "Accepted"));
        /* only within len */
        assert_false(answer_contains("0: Accepted", 5, "Accepted"));
        assert_false(answer_contains(NULL, 0, "x"));
        assert_false(answer_contains("abc", 0, "a"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_excerpt),
                cmocka_unit_test(test_mask),
                cmocka_unit_test(test_excerpt_masked),
                cmocka_unit_test(test_contains),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
