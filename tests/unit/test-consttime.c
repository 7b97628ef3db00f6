/* SPDX-License-Identifier: MIT */

/* consttime_streq(): equal strings only, whatever their lengths; NULL equals nothing. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "consttime.h"

static void test_equal_and_not(void **state) {
        (void) state;
        assert_true(consttime_streq("s3cret", "s3cret"));
        assert_true(consttime_streq("", ""));
        assert_false(consttime_streq("s3cret", "s3creT"));
        assert_false(consttime_streq("s3cret", "s3cre"));      /* a prefix */
        assert_false(consttime_streq("s3cre", "s3cret"));
        assert_false(consttime_streq("", "x"));
        assert_false(consttime_streq("x", ""));
        /* a NUL cannot hide a difference: the strings end there */
        assert_false(consttime_streq("abc", "abd"));
}

static void test_null(void **state) {
        (void) state;
        assert_false(consttime_streq(NULL, "x"));
        assert_false(consttime_streq("x", NULL));
        assert_false(consttime_streq(NULL, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equal_and_not),
                cmocka_unit_test(test_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
