/* SPDX-License-Identifier: MIT */

/* Billing's period rule: "YYYY-MM" and the day its charge falls due. The amounts are
 * test-money.c's (money_bill_amount); a whole bill runs in tests/integration/test-money.sh. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "billing.h"
#include "timeutil.h"

static void due(int due_day, const char *period, int y, unsigned m, unsigned d) {
        FeeStandards fees = { .due_day = due_day };
        int64_t day = -1;

        assert_int_equal(billing_due_day(&fees, period, &day), 0);
        assert_int_equal(day, days_from_civil(y, m, d));
}

static void test_due_day(void **state) {
        (void) state;
        due(15, "2027-01", 2027, 1, 15);
        due(1, "2026-12", 2026, 12, 1);
        /* the last day of a shorter month */
        due(31, "2027-04", 2027, 4, 30);
        due(31, "2027-02", 2027, 2, 28);
        due(30, "2028-02", 2028, 2, 29);
        due(31, "2027-12", 2027, 12, 31);
}

static void test_bad_period(void **state) {
        FeeStandards fees = { .due_day = 15 };
        static const char *const bad[] = { "2027-13", "2027-00", "2027-1", "202701", "2027-01-01",
                                           "27-01", "2027/01", "", "2027-0a", "abcd-01" };
        int64_t day;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(billing_due_day(&fees, bad[i], &day), -EINVAL);
        assert_int_equal(billing_due_day(&fees, NULL, &day), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_due_day),
                cmocka_unit_test(test_bad_period),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
