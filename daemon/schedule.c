/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>

#include "holiday.h"
#include "schedule.h"
#include "timeutil.h"

/* Minutes are what schedules are written in ("deadline@2026-12-14T09:30"); an elapse with
 * seconds ("*:*:0/5") keeps them, or two elapses in one minute would be one occurrence. */
static const char *occurrence_time_format(time_t at) {
        return at % 60 ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%dT%H:%M";
}

void occurrence_local_time(time_t at, const char *tz, char *buf, size_t len) {
        localtime_format(at, tz, occurrence_time_format(at), buf, len);
}

void occurrence_key(const char *schedule, time_t at, const char *tz, char *buf, size_t len) {
        char stamp[32];

        occurrence_local_time(at, tz, stamp, sizeof(stamp));
        snprintf(buf, len, "%s@%s", schedule, stamp);
}

/* Elapses are looked at in a bounded loop: a window of days holds at most a few thousand
 * minutely elapses, a deferral over 春节 a few ten thousand. */
#define ELAPSES_MAX 1000000
/* How far back a run of days off is followed (a whole year off is a broken calendar). */
#define DAYS_OFF_RUN_MAX 366

static bool is_working_day(const Config *c, int64_t day) {
        return holiday_is_working_day(c->holidays, day);
}

/* Local midnight at the start of day in tz. */
static time_t day_start(int64_t day, const char *tz) {
        char s[DATE_BUFSZ + 8], d[DATE_BUFSZ];
        time_t t;

        snprintf(s, sizeof(s), "%s 00:00", date_format(day, d));
        return localtime_parse(s, tz, &t) < 0 ? (time_t) day * 86400 : t;
}

/* Where to start looking for elapses that may fire after `after`: an elapse before it on a
 * day off can be deferred past it, so the run of days off that ends at or right before
 * after's day is looked at too. Returns a time in seconds, at most after. */
static time_t search_start(const Config *c, const ConfigSchedule *sc, time_t after) {
        int64_t day = local_day(after, c->timezone), start = day;

        if (!sc->working_days_only)
                return after;
        while (day - start < DAYS_OFF_RUN_MAX && !is_working_day(c, start - 1))
                start--;
        if (start == day && is_working_day(c, day))
                return after;
        return day_start(start, c->timezone) - 1;
}

time_t schedule_defer(const Config *c, const ConfigSchedule *sc, time_t nominal) {
        char s[DATE_BUFSZ + 16], d[DATE_BUFSZ];
        int64_t day, fire_day;
        struct tm tm;
        time_t t;

        if (!sc->working_days_only)
                return nominal;
        day = local_day(nominal, c->timezone);
        if (is_working_day(c, day))
                return nominal;
        fire_day = holiday_next_working_day(c->holidays, day);
        if (localtime_in_zone(nominal, c->timezone, &tm) < 0)
                return nominal + (time_t) (fire_day - day) * 86400;
        snprintf(s, sizeof(s), "%s %02d:%02d:%02d", date_format(fire_day, d), tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        /* a time of day that does not exist that day (DST) comes out shifted by mktime */
        return localtime_parse(s, c->timezone, &t) < 0 ? nominal + (time_t) (fire_day - day) * 86400
                                                     : t;
}

/* schedule_defer in µs: the fraction of a second stays. */
static usec_t defer_usec(const Config *c, const ConfigSchedule *sc, usec_t nominal) {
        time_t sec = (time_t) (nominal / USEC_PER_SEC);

        return (usec_t) schedule_defer(c, sc, sec) * USEC_PER_SEC + nominal % USEC_PER_SEC;
}

int schedule_next_fire(const Config *c, const ConfigSchedule *sc, usec_t after, usec_t *ret_fire,
                       usec_t *ret_nominal) {
        usec_t t, n, f, best = 0, best_nominal = 0;
        bool found = false;
        int r;

        if (!sc->spec)
                return -ENOENT;
        t = (usec_t) search_start(c, sc, (time_t) (after / USEC_PER_SEC)) * USEC_PER_SEC;
        if (t > after)
                t = after;
        for (int i = 0; i < ELAPSES_MAX; i++) {
                r = calendar_spec_next_usec(sc->spec, t, c->timezone, &n);
                if (r == -ENOENT)
                        break;
                if (r < 0)
                        return r;
                /* a later elapse fires no earlier than it elapses: nothing after n can beat best */
                if (found && n >= best)
                        break;
                f = defer_usec(c, sc, n);
                /* the first elapse that fires at best names it ("deferred from") */
                if (f > after && (!found || f < best)) {
                        best = f;
                        best_nominal = n;
                        found = true;
                }
                t = n;
        }
        if (!found)
                return -ENOENT;
        *ret_fire = best;
        if (ret_nominal)
                *ret_nominal = best_nominal;
        return 0;
}

time_t schedule_latest_elapse(const Config *c, const ConfigSchedule *sc, time_t now,
                              uint64_t window_sec) {
        usec_t t, n, f, last = 0, lo, limit = (usec_t) now * USEC_PER_SEC;

        if (!sc->spec || (uint64_t) now <= window_sec)
                return 0;
        lo = ((usec_t) now - window_sec) * USEC_PER_SEC;
        t = (usec_t) search_start(c, sc, (time_t) (lo / USEC_PER_SEC)) * USEC_PER_SEC;
        if (t > lo)
                t = lo;
        for (int i = 0; i < ELAPSES_MAX; i++) {
                if (calendar_spec_next_usec(sc->spec, t, c->timezone, &n) < 0 || n > limit)
                        break;
                f = defer_usec(c, sc, n);
                if (f > lo && f <= limit && f > last)
                        last = f;
                t = n;
        }
        return (time_t) (last / USEC_PER_SEC);
}

time_t schedule_occurrence_time(const Config *c, const ConfigSchedule *sc, time_t now) {
        time_t t = schedule_latest_elapse(c, sc, now, sc->catch_up_sec ? sc->catch_up_sec : 60);

        return t ? t : now - now % 60;
}

bool schedule_day_off(const Config *c, const ConfigSchedule *sc, time_t t) {
        return sc->working_days_only && !is_working_day(c, local_day(t, c->timezone));
}

int schedule_uncovered_year(const Config *c, const ConfigSchedule *sc, time_t now) {
        usec_t next;
        int64_t day;
        unsigned m, d;
        int y;

        if (!sc->working_days_only || !sc->spec ||
            calendar_spec_next_usec(sc->spec, (usec_t) now * USEC_PER_SEC, c->timezone, &next) < 0)
                return 0;
        day = local_day((time_t) (next / USEC_PER_SEC), c->timezone);
        civil_from_days(day, &y, &m, &d);
        return holiday_covers_year(c->holidays, y) ? 0 : y;
}
