/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holiday.h"
#include "macro.h"
#include "timeutil.h"

/* A longer range is a typo ("2026-10-01..2027-10-07"): the longest holiday is 春节, 9 days. */
#define HOLIDAY_RANGE_MAX_DAYS 31

HolidayCalendar *holiday_calendar_new(void) {
        return calloc(1, sizeof(HolidayCalendar));
}

HolidayCalendar *holiday_calendar_free(HolidayCalendar *cal) {
        if (!cal)
                return NULL;
        for (size_t i = 0; i < cal->n_days; i++)
                free(cal->days[i].name);
        free(cal->days);
        free(cal->years);
        free(cal);
        return NULL;
}

int holiday_weekday(int64_t day) {
        /* 1970-01-01 was a Thursday */
        return (int) (((day + 4) % 7 + 7) % 7);
}

static bool is_weekend(int64_t day) {
        int w = holiday_weekday(day);
        return w == 0 || w == 6;
}

/* The index of day in cal->days, or where it would go (with *ret_found false). */
static size_t find(const HolidayCalendar *cal, int64_t day, bool *ret_found) {
        size_t lo = 0, hi = cal->n_days;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cal->days[mid].day < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = lo < cal->n_days && cal->days[lo].day == day;
        return lo;
}

int holiday_calendar_add(HolidayCalendar *cal, int64_t first, int64_t last, bool working,
                         const char *name, int64_t *ret_conflict) {
        size_t n = (size_t) (last - first + 1);
        HolidayDay *days;
        bool found;

        if (last < first)
                return -EINVAL;
        /* check everything first: an entry is added whole or not at all */
        for (int64_t d = first; d <= last; d++) {
                (void) find(cal, d, &found);
                if (found || (working && !is_weekend(d))) {
                        if (ret_conflict)
                                *ret_conflict = d;
                        return found ? -EEXIST : -EINVAL;
                }
        }
        days = realloc(cal->days, (cal->n_days + n) * sizeof(HolidayDay));
        if (!days)
                return -ENOMEM;
        cal->days = days;
        for (int64_t d = first; d <= last; d++) {
                size_t i = find(cal, d, &found);
                char *copy = NULL;

                if (name && !(copy = strdup(name)))
                        return -ENOMEM;
                memmove(&cal->days[i + 1], &cal->days[i], (cal->n_days - i) * sizeof(HolidayDay));
                cal->days[i] = (HolidayDay) { .day = d, .working = working, .name = copy };
                cal->n_days++;
        }
        return 0;
}

int holiday_calendar_add_year(HolidayCalendar *cal, int year) {
        int *years;

        if (holiday_covers_year(cal, year))
                return 0;
        years = realloc(cal->years, (cal->n_years + 1) * sizeof(int));
        if (!years)
                return -ENOMEM;
        cal->years = years;
        cal->years[cal->n_years++] = year;
        return 0;
}

#define ENTRY_FORMAT "a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"

int holiday_parse_entry(const char *s, int64_t *ret_first, int64_t *ret_last, char *err,
                        size_t errlen) {
        const char *dots = strstr(s, "..");
        char a[DATE_BUFSZ + 1];
        int64_t first, last;

        /* date_parse wants the date alone */
        snprintf(a, sizeof(a), "%.*s", dots ? (int) (dots - s) : (int) sizeof(a) - 1, s);
        if ((size_t) (dots ? dots - s : (ptrdiff_t) strlen(s)) >= sizeof(a) ||
            date_parse(a, &first) < 0 || (dots && date_parse(dots + 2, &last) < 0)) {
                snprintf(err, errlen, "'%s' is not %s", s, ENTRY_FORMAT);
                return -EINVAL;
        }
        if (!dots)
                last = first;
        if (last < first) {
                snprintf(err, errlen, "range '%s' ends before it starts", s);
                return -EINVAL;
        }
        if (last - first >= HOLIDAY_RANGE_MAX_DAYS) {
                snprintf(err, errlen, "range '%s' is longer than %d days", s, HOLIDAY_RANGE_MAX_DAYS);
                return -EINVAL;
        }
        *ret_first = first;
        *ret_last = last;
        return 0;
}

const HolidayDay *holiday_lookup(const HolidayCalendar *cal, int64_t day) {
        bool found;
        size_t i;

        if (!cal)
                return NULL;
        i = find(cal, day, &found);
        return found ? &cal->days[i] : NULL;
}

bool holiday_is_working_day(const HolidayCalendar *cal, int64_t day) {
        const HolidayDay *h = holiday_lookup(cal, day);

        return h ? h->working : !is_weekend(day);
}

int64_t holiday_next_working_day(const HolidayCalendar *cal, int64_t day) {
        /* ends: only finitely many days are listed, and an unlisted weekday is worked */
        while (!holiday_is_working_day(cal, day))
                day++;
        return day;
}

bool holiday_covers_year(const HolidayCalendar *cal, int year) {
        for (size_t i = 0; cal && i < cal->n_years; i++)
                if (cal->years[i] == year)
                        return true;
        return false;
}
