/* SPDX-License-Identifier: MIT */
#pragma once

/* Schedule arithmetic: which occurrence a moment stands for. An occurrence is named after
 * its schedule and the local time it stands for ("deadline@2026-12-14T09:30"); the name is
 * unique in the store, so the same occurrence started twice — by cron and the daemon, or by
 * two cron jobs — is planned once. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

#define OCCURRENCE_KEY_MAX 160

/* "NAME@YYYY-MM-DDTHH:MM" with the time in tz ("...:SS" when at has seconds). */
void occurrence_key(const char *schedule, time_t at, const char *tz, char *buf, size_t len);

/* The local time an occurrence stands for, as the store keeps it ("2026-12-14T09:30"). */
void occurrence_local_time(time_t at, const char *tz, char *buf, size_t len);

/* Working days (a schedule with working_days_only = true): an elapse that falls on a day
 * off (holiday.h, in the config's zone) is deferred to the same local time of day on the
 * next working day, never dropped. The occurrence is named after the time it fires, so
 * elapses deferred to the same moment (the 14th and 15th over a weekend) are one occurrence
 * and one text, not two on the same morning. Without working_days_only an elapse fires as
 * the calendar expression says. */

/* When the elapse at nominal fires: nominal itself, or deferred as above. */
time_t schedule_defer(const Config *c, const ConfigSchedule *sc, time_t nominal);

/* The first firing strictly after `after` (µs), with the earliest elapse it stands for
 * (*ret_nominal == *ret_fire unless it was deferred; may be NULL). Returns 0, or -ENOENT
 * when the schedule never fires again (or has no `when`). */
int schedule_next_fire(const Config *c, const ConfigSchedule *sc, usec_t after, usec_t *ret_fire,
                       usec_t *ret_nominal);

/* The latest firing in (now - window, now], or 0 when there is none (or the schedule has no
 * `when`). This is what a cron run and the daemon's catch-up both stand for, so they name
 * the same occurrence. */
time_t schedule_latest_elapse(const Config *c, const ConfigSchedule *sc, time_t now,
                              uint64_t window_sec);

/* The time a `dunnctl run` without --at stands for: the latest firing within the schedule's
 * catch_up window, else the current minute. */
time_t schedule_occurrence_time(const Config *c, const ConfigSchedule *sc, time_t now);

/* True when a working_days_only schedule would not fire at t: its local day is a day off. */
bool schedule_day_off(const Config *c, const ConfigSchedule *sc, time_t t);

/* The year of the schedule's next elapse after now when that year's holidays are not entered
 * in full (holidays.years), so its days off there are only the ones listed, weekends and
 * whatever else is listed; 0 when covered or not working_days_only. For a warning. */
int schedule_uncovered_year(const Config *c, const ConfigSchedule *sc, time_t now);
