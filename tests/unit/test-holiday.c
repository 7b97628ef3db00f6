/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "holiday.h"
#include "macro.h"
#include "timeutil.h"

static int64_t D(const char *s) {
        int64_t d;

        assert_int_equal(date_parse(s, &d), 0);
        return d;
}

static void add(HolidayCalendar *cal, const char *range, bool working, const char *name) {
        int64_t first, last;
        char err[256];

        assert_int_equal(holiday_parse_entry(range, &first, &last, err, sizeof(err)), 0);
        assert_int_equal(holiday_calendar_add(cal, first, last, working, name, NULL), 0);
}

/* The State Council's 2026 元旦, 春节 and 国庆 (published 2025-11-04). */
static HolidayCalendar *calendar_2026(void) {
        HolidayCalendar *cal = holiday_calendar_new();

        assert_non_null(cal);
        add(cal, "2026-02-15..2026-02-23", false, "春节");
        add(cal, "2026-01-01..2026-01-03", false, "元旦");
        add(cal, "2026-01-04", true, "元旦");
        add(cal, "2026-02-14", true, "春节");
        add(cal, "2026-02-28", true, "春节");
        add(cal, "2026-10-01..2026-10-07", false, "国庆节");
        add(cal, "2026-09-20", true, "国庆节");
        add(cal, "2026-10-10", true, "国庆节");
        assert_int_equal(holiday_calendar_add_year(cal, 2026), 0);
        return cal;
}

static void test_weekday(void **state) {
        (void) state;
        assert_int_equal(holiday_weekday(0), 4);                        /* 1970-01-01 Thursday */
        assert_int_equal(holiday_weekday(D("2026-01-01")), 4);
        assert_int_equal(holiday_weekday(D("2026-02-14")), 6);          /* Saturday */
        assert_int_equal(holiday_weekday(D("2026-01-04")), 0);          /* Sunday */
        assert_int_equal(holiday_weekday(D("1969-12-31")), 3);          /* before the epoch */
}

static void test_plain_weekends_without_calendar(void **state) {
        (void) state;
        /* NULL and an empty calendar know weekends only */
        _cleanup_(holiday_calendar_freep) HolidayCalendar *empty = holiday_calendar_new();

        for (int64_t d = D("2028-03-06"); d < D("2028-03-13"); d++) {       /* Monday .. Sunday */
                bool weekday = d < D("2028-03-11");
                assert_int_equal(holiday_is_working_day(NULL, d), weekday);
                assert_int_equal(holiday_is_working_day(empty, d), weekday);
        }
        assert_int_equal(holiday_next_working_day(NULL, D("2028-03-11")), D("2028-03-13"));
        assert_false(holiday_covers_year(empty, 2028));
}

static void test_days_off_and_make_up_days(void **state) {
        _cleanup_(holiday_calendar_freep) HolidayCalendar *cal = calendar_2026();

        (void) state;
        assert_false(holiday_is_working_day(cal, D("2026-01-01")));     /* Thursday, 元旦 */
        assert_false(holiday_is_working_day(cal, D("2026-01-02")));     /* Friday, 元旦 */
        assert_false(holiday_is_working_day(cal, D("2026-01-03")));     /* Saturday, 元旦 */
        assert_true(holiday_is_working_day(cal, D("2026-01-04")));      /* Sunday, worked */
        assert_true(holiday_is_working_day(cal, D("2026-01-05")));      /* ordinary Monday */
        assert_false(holiday_is_working_day(cal, D("2026-01-10")));     /* ordinary Saturday */
        assert_true(holiday_is_working_day(cal, D("2026-02-14")));      /* Saturday, worked */
        assert_false(holiday_is_working_day(cal, D("2026-02-16")));     /* Monday, 春节 */
        assert_false(holiday_is_working_day(cal, D("2026-02-23")));     /* last day of 春节 */
        assert_true(holiday_is_working_day(cal, D("2026-02-24")));
        assert_string_equal(holiday_lookup(cal, D("2026-02-18"))->name, "春节");
        assert_true(holiday_lookup(cal, D("2026-10-10"))->working);
        assert_null(holiday_lookup(cal, D("2026-03-02")));
        assert_true(holiday_covers_year(cal, 2026));
        assert_false(holiday_covers_year(cal, 2027));
        /* kept sorted whatever the order they were added in */
        for (size_t i = 1; i < cal->n_days; i++)
                assert_true(cal->days[i - 1].day < cal->days[i].day);
        assert_int_equal(cal->n_days, 3 + 1 + 9 + 2 + 7 + 2);
}

static void test_next_working_day(void **state) {
        _cleanup_(holiday_calendar_freep) HolidayCalendar *cal = calendar_2026();

        (void) state;
        /* across 春节: every day off from the 15th to the 23rd goes to Tuesday the 24th */
        for (int64_t d = D("2026-02-15"); d <= D("2026-02-23"); d++)
                assert_int_equal(holiday_next_working_day(cal, d), D("2026-02-24"));
        /* a working day is its own next working day, a make-up Saturday too */
        assert_int_equal(holiday_next_working_day(cal, D("2026-02-14")), D("2026-02-14"));
        assert_int_equal(holiday_next_working_day(cal, D("2026-02-24")), D("2026-02-24"));
        /* 元旦 ends on a Saturday; the Sunday after is worked */
        assert_int_equal(holiday_next_working_day(cal, D("2026-01-01")), D("2026-01-04"));
        /* 国庆 ends on a Wednesday; the 8th (Thursday) is an ordinary working day */
        assert_int_equal(holiday_next_working_day(cal, D("2026-10-03")), D("2026-10-08"));
        /* the weekend before the make-up Saturday 10-10: Sunday 10-11 stays off */
        assert_int_equal(holiday_next_working_day(cal, D("2026-10-11")), D("2026-10-12"));
}

static void test_parse_entry(void **state) {
        int64_t first = 0, last = 0;
        char err[256];

        (void) state;
        assert_int_equal(holiday_parse_entry("2026-10-01..2026-10-07", &first, &last, err, sizeof(err)), 0);
        assert_int_equal(first, D("2026-10-01"));
        assert_int_equal(last, D("2026-10-07"));
        assert_int_equal(holiday_parse_entry("2026-01-04", &first, &last, err, sizeof(err)), 0);
        assert_int_equal(first, last);
        assert_int_equal(holiday_parse_entry("2026-01-01..2026-01-01", &first, &last, err, sizeof(err)), 0);
        assert_int_equal(first, last);

        assert_int_equal(holiday_parse_entry("2026-02-30", &first, &last, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "'2026-02-30' is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD");
        assert_int_equal(holiday_parse_entry("2026-10-07..2026-10-01", &first, &last, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "range '2026-10-07..2026-10-01' ends before it starts");
        assert_int_equal(holiday_parse_entry("2026-10-01..2027-10-07", &first, &last, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "range '2026-10-01..2027-10-07' is longer than 31 days");
        assert_int_equal(holiday_parse_entry("2026-10-01..", &first, &last, err, sizeof(err)), -EINVAL);
        assert_int_equal(holiday_parse_entry("2026-10-01 国庆", &first, &last, err, sizeof(err)), -EINVAL);
        assert_int_equal(holiday_parse_entry("2026-10-01...2026-10-02", &first, &last, err, sizeof(err)), -EINVAL);
        assert_int_equal(holiday_parse_entry("", &first, &last, err, sizeof(err)), -EINVAL);
        assert_int_equal(holiday_parse_entry("2026-10-012026-10-01", &first, &last, err, sizeof(err)), -EINVAL);
}

static void test_add_refuses_conflicts_whole(void **state) {
        _cleanup_(holiday_calendar_freep) HolidayCalendar *cal = calendar_2026();
        size_t n = cal->n_days;
        int64_t conflict = 0;

        (void) state;
        /* overlapping 春节 at its end: nothing of the range is added */
        assert_int_equal(holiday_calendar_add(cal, D("2026-02-22"), D("2026-02-26"), false, "x", &conflict),
                         -EEXIST);
        assert_int_equal(conflict, D("2026-02-22"));
        assert_int_equal(cal->n_days, n);
        assert_null(holiday_lookup(cal, D("2026-02-25")));
        /* a day both off and worked */
        assert_int_equal(holiday_calendar_add(cal, D("2026-01-03"), D("2026-01-03"), true, NULL, &conflict),
                         -EEXIST);
        assert_int_equal(conflict, D("2026-01-03"));
        /* a make-up working day on a weekday is a typo */
        assert_int_equal(holiday_calendar_add(cal, D("2026-03-02"), D("2026-03-02"), true, NULL, &conflict),
                         -EINVAL);
        assert_int_equal(conflict, D("2026-03-02"));
        assert_int_equal(cal->n_days, n);
        /* a day off on a weekend is fine (元旦 2026 ends on a Saturday) */
        assert_int_equal(holiday_calendar_add(cal, D("2026-03-07"), D("2026-03-08"), false, NULL, NULL), 0);
        assert_int_equal(cal->n_days, n + 2);
        assert_null(holiday_lookup(cal, D("2026-03-07"))->name);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_weekday),
                cmocka_unit_test(test_plain_weekends_without_calendar),
                cmocka_unit_test(test_days_off_and_make_up_days),
                cmocka_unit_test(test_next_working_day),
                cmocka_unit_test(test_parse_entry),
                cmocka_unit_test(test_add_refuses_conflicts_whole),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
