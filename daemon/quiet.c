/* SPDX-License-Identifier: MIT */

#include "quiet.h"
#include "timeutil.h"

time_t quiet_hours_end(const Config *c, time_t t) {
        int start = c->quiet_start_min, end = c->quiet_end_min, now_min, wait_min;
        struct tm tm;

        if (start == end || localtime_in_zone(t, c->timezone, &tm) < 0)
                return 0;
        now_min = tm.tm_hour * 60 + tm.tm_min;
        if (start < end ? (now_min < start || now_min >= end)
                        : (now_min < start && now_min >= end))
                return 0;
        wait_min = (end - now_min + 24 * 60) % (24 * 60);
        /* to the minute boundary; a DST shift inside the window only moves it by the shift */
        return t - tm.tm_sec + (time_t) wait_min * 60;
}
