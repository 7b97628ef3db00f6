/* SPDX-License-Identifier: MIT */
#pragma once

/* Working days and days off (mainland China): Monday to Friday are working days and Saturday
 * and Sunday are not, except where the calendar says otherwise — a public holiday (法定节假日)
 * is a day off, and a make-up working day (调休上班) is a weekend day that is worked. The
 * State Council publishes the next year's list each November; the config hands it to this
 * module as civil day numbers (see timeutil.h). Pure: no I/O, no clock, no zone. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HolidayDay {
        int64_t day;            /* days since 1970-01-01 */
        bool working;           /* a make-up working day; else a day off */
        char *name;             /* "春节", or NULL */
} HolidayDay;

typedef struct HolidayCalendar {
        HolidayDay *days;       /* sorted by day, each day at most once */
        size_t n_days;
        int *years;             /* years entered in full (the State Council's notice) */
        size_t n_years;
} HolidayCalendar;

HolidayCalendar *holiday_calendar_new(void);
HolidayCalendar *holiday_calendar_free(HolidayCalendar *cal);

/* Lists first..last (inclusive) as days off, or as make-up working days. Returns 0,
 * -EEXIST when one of the days is listed already (*ret_conflict says which; nothing is
 * added), -EINVAL when a make-up working day is not a Saturday or Sunday (*ret_conflict
 * names it), or -ENOMEM. */
int holiday_calendar_add(HolidayCalendar *cal, int64_t first, int64_t last, bool working,
                         const char *name, int64_t *ret_conflict);
int holiday_calendar_add_year(HolidayCalendar *cal, int year);

/* Parses one entry of a period's off or work: "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD"
 * (inclusive, at most 31 days). On error returns -EINVAL and says why in err. */
int holiday_parse_entry(const char *s, int64_t *ret_first, int64_t *ret_last, char *err,
                        size_t errlen);

/* 0 = Sunday ... 6 = Saturday. */
int holiday_weekday(int64_t day);

/* The listed entry for day, or NULL when it is an ordinary day. cal may be NULL. */
const HolidayDay *holiday_lookup(const HolidayCalendar *cal, int64_t day);

/* Monday to Friday unless listed as a day off; Saturday and Sunday only when listed as a
 * make-up working day. A NULL cal knows weekends only. */
bool holiday_is_working_day(const HolidayCalendar *cal, int64_t day);

/* day itself when it is a working day, else the first working day after it. */
int64_t holiday_next_working_day(const HolidayCalendar *cal, int64_t day);

/* Whether the calendar says it holds the whole of year (holidays.years). */
bool holiday_covers_year(const HolidayCalendar *cal, int year);

static inline void holiday_calendar_freep(HolidayCalendar **cal) {
        if (*cal)
                holiday_calendar_free(*cal);
}
