/* SPDX-License-Identifier: MIT */
#pragma once

/* Schedule arithmetic: which occurrence a moment stands for. An occurrence is named after
 * its schedule and the local time it stands for ("deadline@2026-12-14T09:30"); the name is
 * unique in the store, so the same occurrence started twice — by cron and the daemon, or by
 * two cron jobs — is planned once. */

#include <stdint.h>
#include <time.h>

#include "config.h"

#define OCCURRENCE_KEY_MAX 160

/* "NAME@YYYY-MM-DDTHH:MM" with the time in tz ("...:SS" when at has seconds). */
void occurrence_key(const char *schedule, time_t at, const char *tz, char *buf, size_t len);

/* The local time an occurrence stands for, as the store keeps it ("2026-12-14T09:30"). */
void occurrence_local_time(time_t at, const char *tz, char *buf, size_t len);

/* The latest elapse of the schedule's calendar expression in (now - window, now], or 0 when
 * there is none (or the schedule has no `when`). This is what a cron run and the daemon's
 * catch-up both stand for, so they name the same occurrence. */
time_t schedule_latest_elapse(const Config *c, const ConfigSchedule *sc, time_t now,
                              uint64_t window_sec);

/* The time a `dunnctl run` without --at stands for: the latest elapse within the schedule's
 * catch_up window, else the current minute. */
time_t schedule_occurrence_time(const Config *c, const ConfigSchedule *sc, time_t now);
