/* SPDX-License-Identifier: MIT */

/* Schedule arithmetic with working days: when an elapse on a day off fires, what a cron run
 * and the daemon's catch-up stand for, and that deferred elapses meeting at one moment are
 * one occurrence. All in Asia/Shanghai against the State Council's 2026 calendar. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "macro.h"
#include "schedule.h"
#include "timeutil.h"

#define TZ_ESTATE "Asia/Shanghai"

static const char config_text[] =
        "timezone = \"" TZ_ESTATE "\";\n"
        "holidays = {\n"
        "  years = [ 2026 ];\n"
        "  periods = (\n"
        "    { name = \"元旦\"; off = \"2026-01-01..2026-01-03\"; work = \"2026-01-04\"; },\n"
        "    { name = \"春节\"; off = \"2026-02-15..2026-02-23\"; work = [ \"2026-02-14\", \"2026-02-28\" ]; },\n"
        "    { name = \"国庆节\"; off = \"2026-10-01..2026-10-07\"; work = [ \"2026-09-20\", \"2026-10-10\" ]; }\n"
        "  );\n"
        "};\n"
        "carriers = ( { name = \"f\"; plugin = \"file\"; channel = \"sms\"; path = \"/dev/null\"; } );\n"
        "templates = { t = \"{{owner}}\"; };\n"
        "schedules = (\n"
        "  { name = \"deadline\"; when = \"*-*-14,15 09:30\"; template = \"t\"; working_days_only = true; },\n"
        "  { name = \"collection\"; when = \"*-01,07-01 10:00\"; template = \"t\"; working_days_only = true; },\n"
        "  { name = \"plain\"; when = \"*-*-14,15 09:30\"; template = \"t\"; },\n"
        "  { name = \"daily\"; when = \"*-*-* 10:30\"; template = \"t\"; working_days_only = true; }\n"
        ");\n";

static int setup(void **state) {
        char path[] = "/tmp/dunnd-test-schedule.XXXXXX";
        ConfigErrors errors = {};
        Config *c = NULL;
        int fd = mkstemp(path), r;

        if (fd < 0 || write(fd, config_text, strlen(config_text)) != (ssize_t) strlen(config_text))
                return -1;
        close(fd);
        r = config_load(path, &c, &errors);
        for (size_t i = 0; i < errors.n; i++)
                print_message("  error: %s\n", errors.lines[i]);
        config_errors_clear(&errors);
        unlink(path);
        *state = c;
        return r < 0 ? -1 : 0;
}

static int teardown(void **state) {
        config_free(*state);
        return 0;
}

static time_t T(const char *s) {
        time_t t;

        assert_int_equal(localtime_parse(s, TZ_ESTATE, &t), 0);
        return t;
}

/* The first firing after `after` and what it stands for, as "FIRE<NOMINAL" or "FIRE". */
static void expect_next(const Config *c, const char *schedule, const char *after, const char *fire,
                        const char *nominal) {
        const ConfigSchedule *sc = config_find_schedule(c, schedule);
        usec_t f, n;

        assert_non_null(sc);
        assert_int_equal(schedule_next_fire(c, sc, (usec_t) T(after) * USEC_PER_SEC, &f, &n), 0);
        assert_int_equal(f, (usec_t) T(fire) * USEC_PER_SEC);
        assert_int_equal(n, (usec_t) T(nominal ? nominal : fire) * USEC_PER_SEC);
}

static void test_defer_over_holiday(void **state) {
        const Config *c = *state;

        /* 春节: the 15th (Sunday, and a holiday) fires on the first working day, the 24th */
        expect_next(c, "deadline", "2026-02-14 10:00", "2026-02-24 09:30", "2026-02-15 09:30");
        /* without working_days_only it elapses as written */
        expect_next(c, "plain", "2026-02-14 10:00", "2026-02-15 09:30", NULL);
        /* 国庆 does not touch the 14th/15th: as written */
        expect_next(c, "deadline", "2026-10-13 12:00", "2026-10-14 09:30", NULL);
        /* asked from inside the holiday, the deferred firing is still ahead */
        expect_next(c, "deadline", "2026-02-20 12:00", "2026-02-24 09:30", "2026-02-15 09:30");
        /* and once it fired, the next is March's */
        expect_next(c, "deadline", "2026-02-24 09:30", "2026-03-16 09:30", "2026-03-14 09:30");
}

static void test_make_up_saturday_fires(void **state) {
        const Config *c = *state;

        /* 2026-02-14 is a Saturday worked before 春节: the 14th fires on it */
        expect_next(c, "deadline", "2026-02-01 00:00", "2026-02-14 09:30", NULL);
        /* the daily schedule fires on the make-up Sunday 01-04, not on 元旦 */
        expect_next(c, "daily", "2025-12-31 11:00", "2026-01-04 10:30", "2026-01-01 10:30");
        /* an ordinary Saturday is off: 03-07 and 03-08 go to Monday 03-09 */
        expect_next(c, "daily", "2026-03-06 11:00", "2026-03-09 10:30", "2026-03-07 10:30");
}

static void test_collection_not_on_new_year(void **state) {
        const Config *c = *state;

        expect_next(c, "collection", "2025-12-20 12:00", "2026-01-04 10:00", "2026-01-01 10:00");
        /* July 1st 2026 is a Wednesday */
        expect_next(c, "collection", "2026-01-04 10:00", "2026-07-01 10:00", NULL);
}

static void test_coalescing(void **state) {
        const Config *c = *state;
        const ConfigSchedule *sc = config_find_schedule(c, "deadline");
        char k1[OCCURRENCE_KEY_MAX], k2[OCCURRENCE_KEY_MAX];

        /* 2026-03-14/15 are a Saturday and Sunday: both go to Monday 09:30, the 14th names it */
        expect_next(c, "deadline", "2026-03-01 00:00", "2026-03-16 09:30", "2026-03-14 09:30");
        occurrence_key(sc->name, schedule_defer(c, sc, T("2026-03-14 09:30")), c->timezone, k1, sizeof(k1));
        occurrence_key(sc->name, schedule_defer(c, sc, T("2026-03-15 09:30")), c->timezone, k2, sizeof(k2));
        assert_string_equal(k1, "deadline@2026-03-16T09:30");
        assert_string_equal(k1, k2);
        /* after it, nothing until April: no second firing on the 16th */
        expect_next(c, "deadline", "2026-03-16 09:30", "2026-04-14 09:30", NULL);
        /* the daily schedule over 春节: nine days' elapses and the 24th's own are one firing */
        expect_next(c, "daily", "2026-02-14 10:30", "2026-02-24 10:30", "2026-02-15 10:30");
        expect_next(c, "daily", "2026-02-24 10:30", "2026-02-25 10:30", NULL);
}

static void test_latest_elapse_catch_up(void **state) {
        const Config *c = *state;
        const ConfigSchedule *sc = config_find_schedule(c, "deadline");
        const ConfigSchedule *plain = config_find_schedule(c, "plain");

        /* a cron run or catch-up on 02-24 at 10:00 stands for the deferred 09:30 */
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-02-24 10:00"), 3600), T("2026-02-24 09:30"));
        assert_int_equal(schedule_occurrence_time(c, sc, T("2026-02-24 10:00")), T("2026-02-24 09:30"));
        /* before it fires there is nothing to catch up, though the 15th is long past */
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-02-24 09:00"), 86400), 0);
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-02-20 12:00"), 3 * 86400), 0);
        /* a week back reaches the make-up Saturday's firing: the 15th's is still ahead */
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-02-20 12:00"), 7 * 86400),
                         T("2026-02-14 09:30"));
        /* without working_days_only the 15th itself */
        assert_int_equal(schedule_latest_elapse(c, plain, T("2026-02-20 12:00"), 7 * 86400),
                         T("2026-02-15 09:30"));
        /* a window that ends before the deferred firing leaves it out */
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-02-24 09:29"), 86400), 0);
        /* the coalesced Monday, once */
        assert_int_equal(schedule_latest_elapse(c, sc, T("2026-03-16 12:00"), 86400), T("2026-03-16 09:30"));
}

static void test_day_off_and_coverage(void **state) {
        const Config *c = *state;
        const ConfigSchedule *sc = config_find_schedule(c, "deadline");
        const ConfigSchedule *plain = config_find_schedule(c, "plain");

        assert_true(schedule_day_off(c, sc, T("2026-02-15 09:30")));
        assert_true(schedule_day_off(c, sc, T("2026-03-14 09:30")));
        assert_false(schedule_day_off(c, sc, T("2026-02-14 09:30")));
        assert_false(schedule_day_off(c, plain, T("2026-02-15 09:30")));
        /* the next elapse after 2026-12-20 is in 2027, which the calendar does not hold */
        assert_int_equal(schedule_uncovered_year(c, sc, T("2026-12-10 12:00")), 0);
        assert_int_equal(schedule_uncovered_year(c, sc, T("2026-12-20 12:00")), 2027);
        assert_int_equal(schedule_uncovered_year(c, plain, T("2026-12-20 12:00")), 0);
        /* and in 2027, weekends still defer */
        expect_next(c, "deadline", "2027-08-01 00:00", "2027-08-16 09:30", "2027-08-14 09:30");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defer_over_holiday),
                cmocka_unit_test(test_make_up_saturday_fires),
                cmocka_unit_test(test_collection_not_on_new_year),
                cmocka_unit_test(test_coalescing),
                cmocka_unit_test(test_latest_elapse_catch_up),
                cmocka_unit_test(test_day_off_and_coverage),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
