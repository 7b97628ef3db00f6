/* SPDX-License-Identifier: MIT */

/* lib/tz: the one zone validator (the config's `timezone` and calendar expressions both go
 * through it) and the $TZ switch. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "tz.h"

static void test_tzif_files_only(void **state) {
        (void) state;
        assert_true(tz_name_is_valid("Asia/Shanghai"));
        assert_true(tz_name_is_valid("UTC"));
        /* regression: a regular file below zoneinfo that is not a zone passed check-config,
         * then every schedule's next elapse was "never" */
        assert_false(tz_name_is_valid("zone.tab"));
        assert_false(tz_name_is_valid("tzdata.zi"));
        assert_false(tz_name_is_valid("iso3166.tab"));
        assert_false(tz_name_is_valid("Asia"));
        assert_false(tz_name_is_valid("Asia//Shanghai"));
        assert_false(tz_name_is_valid("/Asia/Shanghai"));
        assert_false(tz_name_is_valid("Asia/Shanghai/"));
        assert_false(tz_name_is_valid("../zoneinfo/UTC"));
        assert_false(tz_name_is_valid(""));
        assert_false(tz_name_is_valid(NULL));
}

/* The validator the config uses and the one calendar expressions use are the same one: an
 * expression naming "zone.tab" is refused too. */
static void test_calendar_agrees(void **state) {
        CalendarSpec *spec = NULL;
        char err[256] = "";

        (void) state;
        assert_int_equal(calendar_spec_from_string("*-*-* 09:30 Asia/Shanghai", &spec, err, sizeof(err)), 0);
        calendar_spec_free(spec);
        spec = NULL;
        assert_true(calendar_spec_from_string("*-*-* 09:30 zone.tab", &spec, err, sizeof(err)) < 0);
        assert_null(spec);
}

static void test_enter_leave_restores(void **state) {
        TzSwitch z;
        struct tm tm;
        time_t t = 1765600200;  /* 2025-12-13 04:30:00 UTC */

        (void) state;
        assert_int_equal(setenv("TZ", "Europe/Berlin", 1), 0);
        assert_int_equal(tz_enter(&z, "Asia/Shanghai"), 0);
        localtime_r(&t, &tm);
        assert_int_equal(tm.tm_hour, 12);
        tz_leave(&z);
        assert_string_equal(getenv("TZ"), "Europe/Berlin");
        localtime_r(&t, &tm);
        assert_int_equal(tm.tm_hour, 5);

        /* no $TZ before: none after */
        assert_int_equal(unsetenv("TZ"), 0);
        assert_int_equal(tz_enter(&z, "UTC"), 0);
        assert_string_equal(getenv("TZ"), "UTC");
        tz_leave(&z);
        assert_null(getenv("TZ"));
        /* leaving twice, or a zeroed switch, changes nothing */
        tz_leave(&z);
        assert_null(getenv("TZ"));

        /* NULL keeps the zone */
        assert_int_equal(setenv("TZ", "UTC", 1), 0);
        assert_int_equal(tz_enter(&z, NULL), 0);
        assert_string_equal(getenv("TZ"), "UTC");
        tz_leave(&z);
        assert_string_equal(getenv("TZ"), "UTC");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tzif_files_only),
                cmocka_unit_test(test_calendar_agrees),
                cmocka_unit_test(test_enter_leave_restores),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
