/* SPDX-License-Identifier: MIT */

#include <stdio.h>

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

time_t schedule_latest_elapse(const Config *c, const ConfigSchedule *sc, time_t now,
                              uint64_t window_sec) {
        usec_t t, next, last = 0, limit = (usec_t) now * USEC_PER_SEC;

        if (!sc->spec || (uint64_t) now <= window_sec)
                return 0;
        t = ((usec_t) now - window_sec) * USEC_PER_SEC;
        /* bounded: a window of days holds at most a few thousand minutely elapses */
        for (int i = 0; i < 1000000; i++) {
                if (calendar_spec_next_usec(sc->spec, t, c->timezone, &next) < 0 || next > limit)
                        break;
                last = next;
                t = next;
        }
        return (time_t) (last / USEC_PER_SEC);
}

time_t schedule_occurrence_time(const Config *c, const ConfigSchedule *sc, time_t now) {
        time_t t = schedule_latest_elapse(c, sc, now, sc->catch_up_sec ? sc->catch_up_sec : 60);

        return t ? t : now - now % 60;
}
