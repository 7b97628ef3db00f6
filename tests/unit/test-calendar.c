/* SPDX-License-Identifier: MIT */
/* Unit tests for daemon/calendar.c. Every expected elapse below was taken from
 * `systemd-analyze calendar --base-time=...` (systemd 252) under the zone noted. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "macro.h"

#define S(x) ((usec_t) (x) * USEC_PER_SEC)

static void check_normalized(const char *in, const char *expected) {
        _cleanup_(calendar_spec_freep) CalendarSpec *c = NULL, *again = NULL;
        _cleanup_free_ char *s = NULL, *s2 = NULL;
        char err[128];

        if (calendar_spec_from_string(in, &c, err, sizeof(err)) < 0)
                fail_msg("'%s' rejected: %s", in, err);
        s = calendar_spec_to_string(c);
        assert_non_null(s);
        assert_string_equal(s, expected);

        /* The normalized form parses to itself. */
        assert_int_equal(calendar_spec_from_string(s, &again, err, sizeof(err)), 0);
        s2 = calendar_spec_to_string(again);
        assert_non_null(s2);
        assert_string_equal(s2, s);
}

static void test_normalize(void **state) {
        (void) state;
        check_normalized("Mon..Fri 09:30", "Mon..Fri *-*-* 09:30:00");
        check_normalized("Monday,Tuesday,Wednesday 10:00", "Mon..Wed *-*-* 10:00:00");
        check_normalized("Sat,Sun", "Sat,Sun *-*-* 00:00:00");
        check_normalized("Mon-Wed,Fri", "Mon..Wed,Fri *-*-* 00:00:00");
        check_normalized("Mon..Sun 8:00", "*-*-* 08:00:00");
        check_normalized("*-*-15,14 9:30", "*-*-14,15 09:30:00");
        check_normalized("*-*-1/7", "*-*-01/7 00:00:00");
        check_normalized("2027-*-1/7", "2027-*-01/7 00:00:00");
        check_normalized("*:0/15", "*-*-* *:00/15:00");
        check_normalized("08,14:00", "*-*-* 08,14:00:00");
        check_normalized("*-*~01", "*-*~01 00:00:00");
        check_normalized("*-02~03", "*-02~03 00:00:00");
        check_normalized("*-*~07/1", "*-*~07/1 00:00:00");
        check_normalized("12-25", "*-12-25 00:00:00");
        check_normalized("*-*-1..11/3", "*-*-01..10/3 00:00:00");
        check_normalized("10:00:01.1234567", "*-*-* 10:00:01.123457");
        check_normalized("*:*:1.5..3", "*-*-* *:*:01.500000..02.500000");
        check_normalized("*:*:*", "*-*-* *:*:*");
        check_normalized("26-01-01", "2026-01-01 00:00:00");
        check_normalized("99-01-01", "1999-01-01 00:00:00");
        check_normalized("00..69-01-01", "2000..2069-01-01 00:00:00");
        check_normalized("minutely", "*-*-* *:*:00");
        check_normalized("hourly", "*-*-* *:00:00");
        check_normalized("daily", "*-*-* 00:00:00");
        check_normalized("weekly", "Mon *-*-* 00:00:00");
        check_normalized("monthly", "*-*-01 00:00:00");
        check_normalized("yearly", "*-01-01 00:00:00");
        check_normalized("annually", "*-01-01 00:00:00");
        check_normalized("quarterly", "*-01,04,07,10-01 00:00:00");
        check_normalized("semiannually", "*-01,07-01 00:00:00");
        check_normalized("daily Asia/Shanghai", "*-*-* 00:00:00 Asia/Shanghai");
        check_normalized("*-*-* 10:00 utc", "*-*-* 10:00:00 UTC");
        check_normalized("@1700000000", "2023-11-14 22:13:20 UTC");
        check_normalized("*:5..6/5", "*-*-* *:05:00");
}

static void check_invalid(const char *in, const char *msg) {
        CalendarSpec *c = NULL;
        char err[128] = "";

        assert_int_equal(calendar_spec_from_string(in, &c, err, sizeof(err)), -EINVAL);
        assert_null(c);
        if (!strstr(err, msg))
                fail_msg("'%s': message '%s' lacks '%s'", in, err, msg);
}

static void test_invalid(void **state) {
        (void) state;
        check_invalid("Mnd 10:00", "invalid weekday 'Mnd'");
        check_invalid("*-13-01", "month 13 out of range");
        check_invalid("*-*-32", "day 32 out of range");
        check_invalid("25:00", "hour 25 out of range");
        check_invalid("*:61", "minute 61 out of range");
        check_invalid("*-*-* *:*:60", "second 60 out of range");
        check_invalid("1969-01-01", "year 1969 out of range");
        check_invalid("1..", "expected a number");
        check_invalid("Mon..", "weekday range");
        check_invalid("Fri..Mon", "weekday range");
        check_invalid("*-*-* 10:00 Nowhere/Zone", "unknown time zone 'Nowhere/Zone'");
        check_invalid("", "empty");
        check_invalid("*:0/60", "repetition");
        check_invalid("*-*-5..3", "ends before it starts");
        check_invalid("*-*~29", "day 29 out of range");
        check_invalid("10:00  UTC", "unexpected");
        check_invalid("*/5", "");
        check_invalid("daily 10:00", "");
        check_invalid("4294967296:00", "too large");
}

typedef struct Case {
        const char *expr;
        const char *tz;         /* default_tz */
        int64_t after;          /* seconds */
        int64_t next;           /* seconds; -1: never */
        unsigned frac;          /* µs part of next */
} Case;

static void check_case(const Case *t) {
        _cleanup_(calendar_spec_freep) CalendarSpec *c = NULL;
        usec_t next = 0;
        char err[128];
        int r;

        if (calendar_spec_from_string(t->expr, &c, err, sizeof(err)) < 0)
                fail_msg("'%s' rejected: %s", t->expr, err);
        r = calendar_spec_next_usec(c, S(t->after), t->tz, &next);
        if (t->next < 0) {
                assert_int_equal(r, -ENOENT);
                return;
        }
        if (r < 0)
                fail_msg("'%s' in %s: %s", t->expr, t->tz, strerror(-r));
        if (next != S(t->next) + t->frac)
                fail_msg("'%s' in %s after %lld: got %llu, expected %lld.%06u", t->expr, t->tz,
                         (long long) t->after, (unsigned long long) next, (long long) t->next, t->frac);
}

static const Case cases[] = {
        /* Base 2026-02-27 10:15:00 CST. */
        { "Mon..Fri 09:30",       "Asia/Shanghai", 1772158500, 1772415000, 0 },
        { "*-*-14,15 09:30",      "Asia/Shanghai", 1772158500, 1773451800, 0 },
        { "*-02-29",              "Asia/Shanghai", 1772158500, 1835366400, 0 },
        { "*-*~01 17:00",         "Asia/Shanghai", 1772158500, 1772269200, 0 },
        { "*-02~03",              "Asia/Shanghai", 1772158500, 1803571200, 0 },
        { "*:0/15",               "Asia/Shanghai", 1772158500, 1772159400, 0 },
        { "2027-*-1/7",           "Asia/Shanghai", 1772158500, 1798732800, 0 },
        { "quarterly",            "Asia/Shanghai", 1772158500, 1774972800, 0 },
        { "Sat,Sun 08,14:00",     "Asia/Shanghai", 1772158500, 1772236800, 0 },
        { "*-*-* 10:00:00.5",     "Asia/Shanghai", 1772158500, 1772244000, 500000 },
        /* The expression's zone wins over the default. */
        { "*-*-* 09:30 Asia/Shanghai", "Europe/Berlin", 1772187300, 1772242200, 0 },
        { "0/5:00 UTC",           "Asia/Shanghai", 1801432800, 1801458000, 0 },
        { "2199-12-31 23:59:59",  "UTC",           1772187300, 7258118399, 0 },
        { "2020-01-01",           "Asia/Shanghai", 1772158500, -1, 0 },
        { "*-02-30",              "Asia/Shanghai", 1772158500, -1, 0 },
        { "2026-02-27 10:15",     "Asia/Shanghai", 1772158500, -1, 0 },
};

static void test_next(void **state) {
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_case(cases + i);
}

static void test_dst(void **state) {
        static const Case dst[] = {
                /* 2026-03-29 02:30 does not exist in Berlin: skipped. */
                { "*-*-* 02:30", "Europe/Berlin", 1774695600, 1774830600, 0 },
                /* 2026-10-25 02:30 exists twice: the first (CEST) instance ... */
                { "*-*-* 02:30", "Europe/Berlin", 1792836000, 1792888200, 0 },
                /* ... and only once: from just after it, the next is a day later. */
                { "*-*-* 02:30", "Europe/Berlin", 1792888200, 1792978200, 0 },
                { "*-*-* 02:30", "Europe/Berlin", 1792892400, 1792978200, 0 },
                /* New York: 2026-03-08 02:30 does not exist, 2026-11-01 01:30 twice. */
                { "*-*-* 02:30", "America/New_York", 1772902800, 1773037800, 0 },
                { "*-*-* 01:30", "America/New_York", 1793462400, 1793511000, 0 },
                { "*-*-* 01:30", "America/New_York", 1793511000, 1793601000, 0 },
        };

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(dst); i++)
                check_case(dst + i);
}

static void test_zone_sequence(void **state) {
        _cleanup_(calendar_spec_freep) CalendarSpec *c = NULL, *z = NULL;
        const char *saved = getenv("TZ");
        _cleanup_free_ char *saved_copy = saved ? strdup(saved) : NULL;
        usec_t a, b, d;

        (void) state;
        assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
        tzset();

        assert_int_equal(calendar_spec_from_string("*-*-* 09:30", &c, NULL, 0), 0);
        assert_int_equal(calendar_spec_from_string("*-*-* 09:30 Europe/Berlin", &z, NULL, 0), 0);
        assert_string_equal(calendar_spec_timezone(z), "Europe/Berlin");
        assert_null(calendar_spec_timezone(c));

        /* Alternate zones: each answer must depend only on its own zone. */
        for (int i = 0; i < 3; i++) {
                assert_int_equal(calendar_spec_next_usec(c, S(1772158500), "Asia/Shanghai", &a), 0);
                assert_true(a == S(1772242200));        /* 2026-02-28 09:30 CST */
                assert_int_equal(calendar_spec_next_usec(c, S(1772158500), "UTC", &b), 0);
                assert_true(b == S(1772184600));        /* 2026-02-27 09:30 UTC */
                assert_int_equal(calendar_spec_next_usec(z, S(1772158500), "Asia/Shanghai", &d), 0);
                assert_true(d == S(1772181000));        /* 2026-02-27 09:30 CET */
                assert_int_equal(calendar_spec_next_usec(c, S(1772158500), NULL, &a), 0);
                assert_true(a == S(1772202600));        /* 2026-02-27 09:30 EST, the process zone */
        }

        /* $TZ is left as it was. */
        assert_string_equal(getenv("TZ"), "America/New_York");
        assert_int_equal(calendar_spec_next_usec(c, S(1772158500), "No/Such_Zone", &a), -EINVAL);

        if (saved_copy)
                setenv("TZ", saved_copy, 1);
        else
                unsetenv("TZ");
        tzset();
}

static void test_iterate(void **state) {
        _cleanup_(calendar_spec_freep) CalendarSpec *c = NULL;
        usec_t t;
        /* *:0/20 in Berlin across the 2026-10-25 fall-back: 02:xx CEST once, then 03:00 CET. */
        static const int64_t expected[] = { 1792885200, 1792886400, 1792887600, 1792888800,
                                            1792893600, 1792894800, 1792896000 };

        (void) state;
        assert_int_equal(calendar_spec_from_string("*:0/20 Europe/Berlin", &c, NULL, 0), 0);
        t = S(1792884000);      /* 2026-10-25 01:20 CEST */
        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                assert_int_equal(calendar_spec_next_usec(c, t, NULL, &t), 0);
                if (t != S(expected[i]))
                        fail_msg("step %zu: %llu != %lld", i, (unsigned long long) t, (long long) expected[i]);
        }

        /* Past the end of the search range. */
        assert_int_equal(calendar_spec_next_usec(c, USEC_INFINITY - 1, NULL, &t), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_next),
                cmocka_unit_test(test_dst),
                cmocka_unit_test(test_zone_sequence),
                cmocka_unit_test(test_iterate),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
