/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

static int64_t parse_ok(const char *s, int allow_negative) {
        int64_t v = INT64_C(-999999);

        assert_int_equal(money_parse_yuan(s, allow_negative, &v), 0);
        return v;
}

static void test_parse_basic(void **state) {
        (void) state;
        assert_int_equal(parse_ok("0", 0), 0);
        assert_int_equal(parse_ok("0.5", 0), 50);
        assert_int_equal(parse_ok("0.05", 0), 5);
        assert_int_equal(parse_ok("12", 0), 1200);
        assert_int_equal(parse_ok("12.34", 0), 1234);
        assert_int_equal(parse_ok("12.3", 0), 1230);
        assert_int_equal(parse_ok("100.00", 0), 10000);
        assert_int_equal(parse_ok("007.10", 0), 710);
}

static void test_parse_separators(void **state) {
        (void) state;
        assert_int_equal(parse_ok("1,234.56", 0), 123456);
        assert_int_equal(parse_ok("1,234.5", 0), 123450);
        assert_int_equal(parse_ok("1,234", 0), 123400);
        assert_int_equal(parse_ok("12,345,678.90", 0), 1234567890);
        assert_int_equal(parse_ok("999,999", 0), 99999900);

        assert_int_equal(money_parse_yuan("12,34", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1,2345", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1234,567", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("0,123", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan(",123", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1,", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1,,234", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1,234,", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1,234.", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1.234,56", 0, NULL), -EINVAL);
}

static void test_parse_currency_and_blanks(void **state) {
        (void) state;
        assert_int_equal(parse_ok("¥12", 0), 1200);            /* U+00A5 */
        assert_int_equal(parse_ok("\xEF\xBF\xA5" "12.50", 0), 1250); /* U+FFE5 */
        assert_int_equal(parse_ok("￥1,234.56", 0), 123456);
        assert_int_equal(parse_ok("  3.00 ", 0), 300);
        assert_int_equal(parse_ok("\t3.00\t", 0), 300);
        assert_int_equal(parse_ok(" ¥3 ", 0), 300);
        assert_int_equal(parse_ok("-¥12.30", 1), -1230);
        assert_int_equal(parse_ok("¥-12.30", 1), -1230);

        assert_int_equal(money_parse_yuan("¥", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("¥¥1", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("¥ 12", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("12¥", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("\xEF\xBF", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("1 2", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("   ", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("12\n", 0, NULL), -EINVAL);
}

static void test_parse_negative(void **state) {
        (void) state;
        assert_int_equal(parse_ok("-12.34", 1), -1234);
        assert_int_equal(parse_ok("-0.5", 1), -50);
        assert_int_equal(parse_ok("-1,234.56", 1), -123456);
        assert_int_equal(parse_ok("-0", 1), 0);

        assert_int_equal(money_parse_yuan("-12.34", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("-0", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("--1", 1, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("-", 1, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("+1", 1, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("- 1", 1, NULL), -EINVAL);
}

static void test_parse_invalid(void **state) {
        static const char *const bad[] = {
                "1.234", "1.", ".5", "1e3", "", "abc", "--1", "1..2", "1.2.3",
                "0x10", "1.a", "12abc", "NaN", "inf", "１２", "1.-5", "1,234.567",
        };
        int64_t v = 42;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(money_parse_yuan(bad[i], 1, &v), -EINVAL);
                assert_int_equal(v, 42); /* untouched on failure */
        }
        assert_int_equal(money_parse_yuan(NULL, 1, &v), -EINVAL);
}

static void test_parse_range(void **state) {
        (void) state;
        /* 10^15 fen = 10^13 yuan is the last accepted magnitude. */
        assert_int_equal(parse_ok("10000000000000", 0), INT64_C(1000000000000000));
        assert_int_equal(parse_ok("-10,000,000,000,000.00", 1), -INT64_C(1000000000000000));
        assert_int_equal(parse_ok("9999999999999.99", 0), INT64_C(999999999999999));

        assert_int_equal(money_parse_yuan("10000000000000.01", 0, NULL), -ERANGE);
        assert_int_equal(money_parse_yuan("-10000000000000.01", 1, NULL), -ERANGE);
        assert_int_equal(money_parse_yuan("10000000000001", 0, NULL), -ERANGE);
        assert_int_equal(money_parse_yuan("99999999999999999999999999999", 0, NULL), -ERANGE);
        assert_int_equal(money_parse_yuan("999,999,999,999,999,999.99", 0, NULL), -ERANGE);
        /* Syntax errors win over size. */
        assert_int_equal(money_parse_yuan("99999999999999999999999x", 0, NULL), -EINVAL);
        assert_int_equal(money_parse_yuan("99999999999999999999999.999", 0, NULL), -EINVAL);
}

static void test_format(void **state) {
        char buf[MONEY_BUFSZ];

        (void) state;
        assert_string_equal(money_format(0, buf, sizeof(buf)), "0.00");
        assert_string_equal(money_format(5, buf, sizeof(buf)), "0.05");
        assert_string_equal(money_format(50, buf, sizeof(buf)), "0.50");
        assert_string_equal(money_format(-5, buf, sizeof(buf)), "-0.05");
        assert_string_equal(money_format(99999, buf, sizeof(buf)), "999.99");
        assert_string_equal(money_format(100000, buf, sizeof(buf)), "1,000.00");
        assert_string_equal(money_format(123456, buf, sizeof(buf)), "1,234.56");
        assert_string_equal(money_format(-1230, buf, sizeof(buf)), "-12.30");
        assert_string_equal(money_format(-123456789, buf, sizeof(buf)), "-1,234,567.89");
        assert_string_equal(money_format(INT64_C(100000000000), buf, sizeof(buf)), "1,000,000,000.00");
        assert_string_equal(money_format(INT64_MAX, buf, sizeof(buf)), "92,233,720,368,547,758.07");
        assert_string_equal(money_format(INT64_MIN, buf, sizeof(buf)), "-92,233,720,368,547,758.08");
        assert_ptr_equal(money_format(1, buf, sizeof(buf)), buf);
}

static void test_format_plain(void **state) {
        char buf[MONEY_BUFSZ];

        (void) state;
        assert_string_equal(money_format_plain(0, buf, sizeof(buf)), "0.00");
        assert_string_equal(money_format_plain(123456, buf, sizeof(buf)), "1234.56");
        assert_string_equal(money_format_plain(-1230, buf, sizeof(buf)), "-12.30");
        assert_string_equal(money_format_plain(INT64_C(100000000000), buf, sizeof(buf)), "1000000000.00");
        assert_string_equal(money_format_plain(INT64_MAX, buf, sizeof(buf)), "92233720368547758.07");
        assert_string_equal(money_format_plain(INT64_MIN, buf, sizeof(buf)), "-92233720368547758.08");
}

static void test_format_small_buffer(void **state) {
        char buf[12];

        (void) state;
        memset(buf, 'x', sizeof(buf));
        assert_string_equal(money_format(123456, buf, 5), "1,23");
        assert_int_equal(buf[5], 'x');
        assert_string_equal(money_format(123456, buf, 1), "");
        buf[0] = 'y';
        money_format(123456, buf, 0); /* must not write at all */
        assert_int_equal(buf[0], 'y');
        assert_null(money_format(1, NULL, 0));
        assert_string_equal(money_format(123456, buf, 9), "1,234.56");
}

static void test_round_trip(void **state) {
        static const int64_t values[] = {
                0, 1, -1, 9, 10, 99, 100, 101, 99999, 100000, 123456, -123456,
                INT64_C(1000000000000000), -INT64_C(1000000000000000), INT64_C(999999999999999),
        };
        char buf[MONEY_BUFSZ];
        int64_t v;

        (void) state;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                assert_int_equal(money_parse_yuan(money_format(values[i], buf, sizeof(buf)), 1, &v), 0);
                assert_int_equal(v, values[i]);
                assert_int_equal(money_parse_yuan(money_format_plain(values[i], buf, sizeof(buf)), 1, &v), 0);
                assert_int_equal(v, values[i]);
        }
}

static void test_scale(void **state) {
        (void) state;
        /* 万分之五 per day on 1,000.00 for 30 days = 15.00 */
        assert_int_equal(money_scale(100000 * 30, 5, 10000), 1500);
        assert_int_equal(money_scale(1000, 1, 3), 333);         /* 333.33 */
        assert_int_equal(money_scale(2000, 1, 3), 667);         /* 666.67 */
        assert_int_equal(money_scale(1, 1, 2), 1);              /* 0.5 -> 1 */
        assert_int_equal(money_scale(3, 1, 2), 2);              /* 1.5 -> 2 */
        assert_int_equal(money_scale(5, 1, 2), 3);              /* 2.5 -> 3, not banker's 2 */
        assert_int_equal(money_scale(149, 1, 100), 1);          /* 1.49 -> 1 */
        assert_int_equal(money_scale(150, 1, 100), 2);          /* 1.50 -> 2 */
        assert_int_equal(money_scale(-1, 1, 2), -1);            /* -0.5 -> -1 */
        assert_int_equal(money_scale(-5, 1, 2), -3);            /* -2.5 -> -3 */
        assert_int_equal(money_scale(-149, 1, 100), -1);
        assert_int_equal(money_scale(-150, 1, 100), -2);
        assert_int_equal(money_scale(5, -1, 2), -3);
        assert_int_equal(money_scale(5, 1, -2), -3);
        assert_int_equal(money_scale(-5, 1, -2), 3);
        assert_int_equal(money_scale(0, 5, 10000), 0);
        assert_int_equal(money_scale(12345, 0, 7), 0);
        assert_int_equal(money_scale(12345, 1, 1), 12345);
        assert_int_equal(money_scale(7, 7, 7), 7);
        assert_int_equal(money_scale(1, 1, 0), 0);              /* defined, not SIGFPE */
}

static void test_scale_no_overflow(void **state) {
        (void) state;
        /* amount × rate exceeds int64 here, the result does not. */
        assert_int_equal(money_scale(INT64_C(999999999999999), 999999, 999999), INT64_C(999999999999999));
        assert_int_equal(money_scale(INT64_C(999999999999999), 999999, 1000000), INT64_C(999998999999999));
        assert_int_equal(money_scale(-INT64_C(999999999999999), 999999, 1000000), -INT64_C(999998999999999));
        /* 10^15 × 5 / 10000 = 5 × 10^11 */
        assert_int_equal(money_scale(INT64_C(1000000000000000), 5, 10000), INT64_C(500000000000));
        /* Out of the documented range: saturates instead of wrapping. */
        assert_true(money_scale(INT64_MAX, INT64_MAX, 1) == INT64_MAX);
        assert_true(money_scale(INT64_MIN, INT64_MAX, 1) == INT64_MIN);
        assert_true(money_scale(INT64_MIN, -1, 1) == INT64_MAX);
        assert_true(money_scale(INT64_MIN, 1, -1) == INT64_MAX);
        assert_true(money_scale(INT64_MIN, 1, 1) == INT64_MIN);
}

/* Hand-computed: unpaid fen × days × permyriad / 10000, per charge. Day numbers are
 * relative; only the difference to the due date matters. */
static void test_late_fee_days(void **state) {
        LateFeeRule r = { .daily_permyriad = 5 };
        (void) state;

        /* 100.00 yuan, 10 days at 万分之五: 10000 × 10 × 5 / 10000 = 50 fen */
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1010), 50);
        /* the due date itself and any day before it cost nothing; the next day one day */
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1000), 0);
        assert_int_equal(money_late_fee(&r, 10000, 1000, 990), 0);
        assert_int_equal(money_late_fee(&r, 100000, 1000, 1001), 50);
        /* unknown due date, nothing unpaid, no rate: no fee */
        assert_int_equal(money_late_fee(&r, 10000, -1, 1010), 0);
        assert_int_equal(money_late_fee(&r, 0, 1000, 1010), 0);
        assert_int_equal(money_late_fee(NULL, 10000, 1000, 1010), 0);
        r.daily_permyriad = 0;
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1010), 0);
        /* 千分之三 = 30 permyriad: 1,234.56 yuan for 31 days = 123456 × 31 × 30 / 10000
         * = 11481.408 -> 11481 */
        r.daily_permyriad = 30;
        assert_int_equal(money_late_fee(&r, 123456, 1000, 1031), 11481);
}

static void test_late_fee_grace(void **state) {
        LateFeeRule r = { .daily_permyriad = 5, .grace_days = 5 };
        (void) state;

        /* the last grace day is free, the day after counts as the first */
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1005), 0);
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1006), 5);
        /* 30 days after the due date: 25 counted, 10000 × 25 × 5 / 10000 = 125 */
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1030), 125);
}

static void test_late_fee_rounding(void **state) {
        LateFeeRule r = { .daily_permyriad = 5 };
        (void) state;

        /* 123.45 yuan, 3 days: 12345 × 3 × 5 / 10000 = 18.5175 fen */
        assert_int_equal(money_late_fee(&r, 12345, 1000, 1003), 19);
        r.rounding = MONEY_ROUND_DOWN;
        assert_int_equal(money_late_fee(&r, 12345, 1000, 1003), 18);
        r.rounding = MONEY_ROUND_UP;
        assert_int_equal(money_late_fee(&r, 12345, 1000, 1003), 19);

        /* exactly half a fen: 10.00 yuan, 1 day = 0.5 fen */
        r.rounding = MONEY_ROUND_HALF_UP;
        assert_int_equal(money_late_fee(&r, 1000, 1000, 1001), 1);
        r.rounding = MONEY_ROUND_DOWN;
        assert_int_equal(money_late_fee(&r, 1000, 1000, 1001), 0);
        r.rounding = MONEY_ROUND_UP;
        assert_int_equal(money_late_fee(&r, 1000, 1000, 1001), 1);

        /* a hair above a whole fen: 100.01 yuan, 1 day = 5.0005 fen */
        r.rounding = MONEY_ROUND_HALF_UP;
        assert_int_equal(money_late_fee(&r, 10001, 1000, 1001), 5);
        r.rounding = MONEY_ROUND_DOWN;
        assert_int_equal(money_late_fee(&r, 10001, 1000, 1001), 5);
        r.rounding = MONEY_ROUND_UP;
        assert_int_equal(money_late_fee(&r, 10001, 1000, 1001), 6);
        /* either side of half a fen, half-up */
        r.rounding = MONEY_ROUND_HALF_UP;
        assert_int_equal(money_late_fee(&r, 9998, 1000, 1001), 5);      /* 4.999 -> 5 */
        assert_int_equal(money_late_fee(&r, 999, 1000, 1001), 0);       /* 0.4995 -> 0 */
}

static void test_late_fee_cap(void **state) {
        LateFeeRule r = { .daily_permyriad = 5, .cap_percent = 10 };
        (void) state;

        /* 100.00 yuan capped at 10.00: 199 days = 995 fen is below, 300 days = 1500 is not */
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1199), 995);
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1200), 1000);
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1300), 1000);
        /* the cap is rounded down: 10 % of 123.45 yuan = 1234.5 fen -> 1234, although
         * 1000 days are 6172.5 -> 6173 fen */
        assert_int_equal(money_late_fee(&r, 12345, 1000, 2000), 1234);
        /* 100 %: the fee never exceeds the amount owed */
        r.cap_percent = 100;
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1000 + 5000), 10000);
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1000 + 1999), 9995);
        /* no cap */
        r.cap_percent = 0;
        assert_int_equal(money_late_fee(&r, 10000, 1000, 1000 + 5000), 25000);
}

static void test_rounding_names(void **state) {
        (void) state;
        for (int i = 0; i < _MONEY_ROUNDING_MAX; i++)
                assert_int_equal(money_rounding_from_string(money_rounding_to_string((MoneyRounding) i)), i);
        assert_int_equal(money_rounding_from_string("half-up"), MONEY_ROUND_HALF_UP);
        assert_int_equal(money_rounding_from_string("bankers"), -EINVAL);
        assert_int_equal(money_rounding_from_string(NULL), -EINVAL);
        assert_null(money_rounding_to_string(_MONEY_ROUNDING_MAX));
}

/* Hand-computed: yuan/m²/month × m² × months × factor. */
static void test_bill_amount(void **state) {
        (void) state;
        /* 多层 1.20 × 89.35 m² = 107.22 yuan */
        assert_int_equal(money_bill_amount(120, 8935, 1, 100), 10722);
        /* 小高层 1.80 × 120.55 m² × 3 months = 650.97 yuan */
        assert_int_equal(money_bill_amount(180, 12055, 3, 100), 65097);
        /* 独立别墅 4.50 × 310.00 m² × 12 = 16740.00 yuan */
        assert_int_equal(money_bill_amount(450, 31000, 12, 100), 1674000);
        /* vacant at 50 %: 107.22 / 2 = 53.61 */
        assert_int_equal(money_bill_amount(120, 8935, 1, 50), 5361);
        /* rounded once, half up: 1.20 × 89.33 × 50 % = 53.598 -> 53.60 */
        assert_int_equal(money_bill_amount(120, 8933, 1, 50), 5360);
        /* 1.50 × 0.01 m² = 1.5 fen -> 2; 1.20 × 0.01 m² = 1.2 fen -> 1 */
        assert_int_equal(money_bill_amount(150, 1, 1, 100), 2);
        assert_int_equal(money_bill_amount(120, 1, 1, 100), 1);
        /* nothing to bill */
        assert_int_equal(money_bill_amount(120, 0, 1, 100), 0);
        assert_int_equal(money_bill_amount(0, 8935, 1, 100), 0);
        assert_int_equal(money_bill_amount(120, 8935, 1, 0), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_basic),
                cmocka_unit_test(test_parse_separators),
                cmocka_unit_test(test_parse_currency_and_blanks),
                cmocka_unit_test(test_parse_negative),
                cmocka_unit_test(test_parse_invalid),
                cmocka_unit_test(test_parse_range),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_format_plain),
                cmocka_unit_test(test_format_small_buffer),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_scale),
                cmocka_unit_test(test_scale_no_overflow),
                cmocka_unit_test(test_late_fee_days),
                cmocka_unit_test(test_late_fee_grace),
                cmocka_unit_test(test_late_fee_rounding),
                cmocka_unit_test(test_late_fee_cap),
                cmocka_unit_test(test_rounding_names),
                cmocka_unit_test(test_bill_amount),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
