/* SPDX-License-Identifier: MIT */
#pragma once

/* Dates and local times. Civil dates ('YYYY-MM-DD') are day numbers, zone-free. Local
 * times are read and written in a named IANA zone (the config's timezone), switching TZ
 * around the libc call and restoring it, which is fine for our single-threaded programs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DATE_BUFSZ 11   /* "YYYY-MM-DD" */

/* Days since 1970-01-01 for a valid proleptic Gregorian date. */
int64_t days_from_civil(int y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d);

/* Parses a strict 'YYYY-MM-DD' (also accepts 'YYYY/MM/DD' and 'YYYY/M/D', which Excel
 * writes) into a day number. Returns 0 or -EINVAL. */
int date_parse(const char *s, int64_t *ret_days);
char *date_format(int64_t days, char buf[static DATE_BUFSZ]);
/* "2026年12月15日" */
char *date_format_chinese(int64_t days, char *buf, size_t len);

/* Parses "YYYY-MM-DD HH:MM[:SS]" or with 'T' as local time in tz (NULL = process zone).
 * Returns 0 or -EINVAL. */
int localtime_parse(const char *s, const char *tz, time_t *ret);

/* Breaks t down in tz. */
int localtime_in_zone(time_t t, const char *tz, struct tm *ret);

/* The day number of t's local date in tz. */
int64_t local_day(time_t t, const char *tz);

/* strftime of t in tz. */
char *localtime_format(time_t t, const char *tz, const char *fmt, char *buf, size_t len);

/* True when tz names a zone the system knows ("UTC", "Asia/Shanghai"). */
bool timezone_is_valid(const char *tz);

/* Parses a duration: "90s", "15min", "2h", "1d", "1w", or plain seconds. Returns 0 or -EINVAL. */
int duration_parse(const char *s, uint64_t *ret_seconds);
