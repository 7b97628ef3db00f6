/* SPDX-License-Identifier: MIT */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "timeutil.h"
#include "tz.h"

/* Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms). */
int64_t days_from_civil(int y, unsigned m, unsigned d) {
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d) {
        int64_t era, doe, yoe, y, doy, mp;
        unsigned d, m;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
        m = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
        *ret_y = (int) (y + (m <= 2));
        *ret_m = m;
        *ret_d = d;
}

static unsigned days_in_month(int y, unsigned m) {
        static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dim[m - 1];
}

/* Reads 1..max digits; returns the number of digits read or 0. */
static int read_digits(const char **p, int max, unsigned *ret) {
        unsigned v = 0;
        int n = 0;

        while (n < max && isdigit((unsigned char) **p)) {
                v = v * 10 + (unsigned) (**p - '0');
                (*p)++;
                n++;
        }
        *ret = v;
        return n;
}

int date_parse(const char *s, int64_t *ret_days) {
        unsigned y, m, d;
        const char *p = s;
        char sep;

        if (read_digits(&p, 4, &y) != 4)
                return -EINVAL;
        sep = *p;
        if (sep != '-' && sep != '/')
                return -EINVAL;
        p++;
        if (read_digits(&p, 2, &m) < (sep == '-' ? 2 : 1) || *p != sep)
                return -EINVAL;
        p++;
        if (read_digits(&p, 2, &d) < (sep == '-' ? 2 : 1) || *p != 0)
                return -EINVAL;
        if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month((int) y, m))
                return -EINVAL;
        *ret_days = days_from_civil((int) y, m, d);
        return 0;
}

char *date_format(int64_t days, char buf[static DATE_BUFSZ]) {
        unsigned m, d;
        int y;

        civil_from_days(days, &y, &m, &d);
        if (y < 0 || y > 9999)
                y = 0;
        /* m <= 12 and d <= 31 always; the masks tell the compiler so */
        snprintf(buf, DATE_BUFSZ, "%04d-%02u-%02u", y, m & 0xf, d & 0x1f);
        return buf;
}

char *date_format_chinese(int64_t days, char *buf, size_t len) {
        unsigned m, d;
        int y;

        civil_from_days(days, &y, &m, &d);
        snprintf(buf, len, "%d年%u月%u日", y, m, d);
        return buf;
}

int localtime_parse(const char *s, const char *tz, time_t *ret) {
        TzSwitch saved;
        struct tm tm = {};
        char date[DATE_BUFSZ];
        unsigned hh, mm, ss = 0;
        const char *p;
        int64_t days;
        int y, r;
        unsigned mo, d;
        time_t t;

        if (strlen(s) < 16 || (s[10] != ' ' && s[10] != 'T'))
                return -EINVAL;
        memcpy(date, s, 10);
        date[10] = 0;
        r = date_parse(date, &days);
        if (r < 0)
                return r;
        p = s + 11;
        if (read_digits(&p, 2, &hh) != 2 || *p++ != ':' || read_digits(&p, 2, &mm) != 2)
                return -EINVAL;
        if (*p == ':') {
                p++;
                if (read_digits(&p, 2, &ss) != 2)
                        return -EINVAL;
        }
        if (*p != 0 || hh > 23 || mm > 59 || ss > 59)
                return -EINVAL;

        civil_from_days(days, &y, &mo, &d);
        tm = (struct tm) { .tm_year = y - 1900, .tm_mon = (int) mo - 1, .tm_mday = (int) d,
                           .tm_hour = (int) hh, .tm_min = (int) mm, .tm_sec = (int) ss,
                           .tm_isdst = -1 };
        r = tz_enter(&saved, tz);
        if (r < 0)
                return r;
        t = mktime(&tm);
        tz_leave(&saved);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = t;
        return 0;
}

int localtime_in_zone(time_t t, const char *tz, struct tm *ret) {
        TzSwitch saved;
        int r;

        r = tz_enter(&saved, tz);
        if (r < 0)
                return r;
        r = localtime_r(&t, ret) ? 0 : -EINVAL;
        tz_leave(&saved);
        return r;
}

int64_t local_day(time_t t, const char *tz) {
        struct tm tm;

        if (localtime_in_zone(t, tz, &tm) < 0)
                return t / 86400;
        return days_from_civil(tm.tm_year + 1900, (unsigned) tm.tm_mon + 1, (unsigned) tm.tm_mday);
}

char *localtime_format(time_t t, const char *tz, const char *fmt, char *buf, size_t len) {
        TzSwitch saved;
        struct tm tm;

        buf[0] = 0;
        if (tz_enter(&saved, tz) < 0)
                return buf;
        if (localtime_r(&t, &tm)) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                strftime(buf, len, fmt, &tm);
#pragma GCC diagnostic pop
        }
        tz_leave(&saved);
        return buf;
}

bool timezone_is_valid(const char *tz) {
        return tz_name_is_valid(tz);
}

int duration_parse(const char *s, uint64_t *ret_seconds) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } units[] = {
                { "", 1 },        { "s", 1 },      { "sec", 1 },       { "min", 60 },
                { "m", 60 },      { "h", 3600 },   { "hour", 3600 },   { "d", 86400 },
                { "day", 86400 }, { "days", 86400 }, { "w", 604800 }, { "week", 604800 },
        };
        char *end;
        unsigned long long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -EINVAL;
        while (*end == ' ')
                end++;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(end, units[i].suffix)) {
                        if (v > UINT64_MAX / units[i].factor)
                                return -ERANGE;
                        *ret_seconds = v * units[i].factor;
                        return 0;
                }
        return -EINVAL;
}
