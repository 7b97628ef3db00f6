/* SPDX-License-Identifier: MIT */
#pragma once

/* Calendar expressions in systemd's OnCalendar= syntax (systemd.time(7)):
 *   [WEEKDAYS] [YEAR-MONTH-DAY | YEAR-MONTH~DAY] [HOUR:MINUTE[:SECOND]] [TIMEZONE]
 * with '*', lists ("1,15"), ranges ("Mon..Fri", "01..05") and repetitions ("*:0/15",
 * "2027-*-1/7"), the last-day-of-month form '~', and the shorthands minutely, hourly,
 * daily, weekly, monthly, quarterly, semiannually, yearly (annually). Seconds may have up to
 * 6 decimals. A trailing IANA time zone name ("Asia/Shanghai") or "UTC" applies; otherwise
 * the zone passed in (the config's timezone) does. Elapses are computed in that zone's
 * local time, DST-correct: a local time that does not exist is skipped (as systemd does),
 * an ambiguous one elapses at its first instance. */

#include <stddef.h>
#include <stdint.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_INFINITY ((usec_t) UINT64_MAX)

typedef struct CalendarSpec CalendarSpec;

/* Parses p. On error returns -EINVAL and writes a message naming the offending part
 * ("invalid weekday 'Mnd'", "day 32 out of range") into err. */
int calendar_spec_from_string(const char *p, CalendarSpec **ret, char *err, size_t errlen);
CalendarSpec *calendar_spec_free(CalendarSpec *c);

/* The normalized form, exactly as `systemd-analyze calendar` prints it after
 * "Normalized form: " (e.g. "*-*-14,15 09:30:00", "Mon..Fri *-*-* 10:00:00"). Newly
 * allocated, or NULL on OOM. */
char *calendar_spec_to_string(const CalendarSpec *c);

/* The zone the expression names, or NULL when it names none. */
const char *calendar_spec_timezone(const CalendarSpec *c);

/* Next elapse strictly after `after` (µs since the epoch, UTC). default_tz is used when the
 * spec names no zone (NULL = the process's local zone). Returns 0 with *ret_next set, or
 * -ENOENT when the expression never elapses again (e.g. a past year). */
int calendar_spec_next_usec(const CalendarSpec *c, usec_t after, const char *default_tz,
                            usec_t *ret_next);

static inline void calendar_spec_freep(CalendarSpec **c) {
        if (*c)
                calendar_spec_free(*c);
}
