/* SPDX-License-Identifier: MIT */
#pragma once

/* Time zones by IANA name ("Asia/Shanghai"), the one place that validates a name and that
 * switches the process's zone.
 *
 * glibc converts local time only in the zone named by $TZ, so a computation in another
 * zone points $TZ at it, calls tzset(), and puts the previous value back afterwards. That
 * is not thread-safe; dunnd and dunnctl convert times from one thread. */

#include <stdbool.h>

/* True when name is a plain relative path below /usr/share/zoneinfo naming a TZif file
 * (what systemd accepts too), or "UTC". Anything else — "zone.tab", a directory like
 * "Asia", "../etc/passwd" — would make glibc fall back to UTC without a word, the worst
 * failure for a reminder schedule. */
bool tz_name_is_valid(const char *name);

typedef struct TzSwitch {
        bool switched;
        bool had_tz;
        char *saved;
} TzSwitch;

/* Points $TZ at zone (NULL: leaves it) and runs tzset(). Returns 0 or -ENOMEM/-errno; on
 * failure nothing changed. Every tz_enter() is followed by tz_leave(). */
int tz_enter(TzSwitch *z, const char *zone);
/* Restores $TZ exactly as tz_enter() found it. Safe on a zeroed or already left TzSwitch. */
void tz_leave(TzSwitch *z);
