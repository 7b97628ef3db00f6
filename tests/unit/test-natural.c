/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natural.h"

static int cmp(const char *a, const char *b) {
        int r = natural_compare(a, strlen(a), b, strlen(b));
        return r < 0 ? -1 : r > 0;
}

static void test_units_in_reading_order(void **state) {
        (void) state;
        assert_int_equal(cmp("3-2-1201", "10-1-101"), -1);
        assert_int_equal(cmp("10-1-101", "3-2-1201"), 1);
        assert_int_equal(cmp("1-1-101", "1-1-1001"), -1);
        assert_int_equal(cmp("1-1-102", "1-1-1001"), -1);
        assert_int_equal(cmp("9-1-2", "9-1-10"), -1);
        assert_int_equal(cmp("A栋-101", "A栋-99"), 1);
        assert_int_equal(cmp("3-2-1201", "3-2-1201"), 0);
        assert_int_equal(cmp("", ""), 0);
        assert_int_equal(cmp("", "1"), -1);
        /* a prefix first */
        assert_int_equal(cmp("3-2", "3-2-1"), -1);
        /* digits before letters, as in ASCII */
        assert_int_equal(cmp("1a", "aa"), -1);
        /* equal numbers: more leading zeros first, so the order is total */
        assert_int_equal(cmp("01", "1"), -1);
        assert_int_equal(cmp("1", "01"), 1);
        assert_int_equal(cmp("007-2", "7-1"), 1);       /* the later difference decides */
        /* long numbers do not overflow anything */
        assert_int_equal(cmp("123456789012345678901234567890", "123456789012345678901234567891"), -1);
}

static void test_lengths_not_nul(void **state) {
        (void) state;
        /* SQLite hands over lengths; bytes past them are not part of the string */
        assert_int_equal(natural_compare("12x", 2, "12y", 2), 0);
        assert_true(natural_compare("9", 1, "10", 2) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units_in_reading_order),
                cmocka_unit_test(test_lengths_not_nul),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
