/* SPDX-License-Identifier: MIT */
#pragma once

/* One campaign occurrence: select -> render -> write outbox rows -> dispatch -> outcomes.
 * The same code serves `dunnctl run`, `dunnctl preview` (plan only, writes nothing) and the
 * daemon. An occurrence is named after its schedule and the local time it stands for
 * ("deadline@2026-12-14T09:30"); the name is unique in the store, so the same occurrence
 * started twice — by cron and the daemon, or by two cron jobs — is planned once, and its
 * outbox rows (unique per occurrence × household × channel) are each sent at most once. */

#include <stdbool.h>
#include <time.h>

#include "carrier.h"
#include "config.h"
#include "debtor.h"
#include "dispatch.h"
#include "store.h"
#include "template.h"

#define OCCURRENCE_KEY_MAX 160

typedef struct PlanItem {
        Debtor *debtor;
        const char *channel;            /* NULL when skipped */
        int64_t contact_id;
        char *recipient;
        TemplateVariant variant;
        char *text;
        char *subject;
        SmsCount sms;
        const char *skip_reason;        /* why nothing goes out, or NULL */
} PlanItem;

typedef struct Plan {
        const ConfigSchedule *schedule;
        time_t at;
        int64_t today;
        char key[OCCURRENCE_KEY_MAX];
        Debtor *debtors;
        PlanItem *items;
        size_t n;
} Plan;

/* "NAME@YYYY-MM-DDTHH:MM" with the time in tz ("...:SS" when at has seconds). */
void occurrence_key(const char *schedule, time_t at, const char *tz, char *buf, size_t len);

/* The latest elapse of the schedule's calendar expression in (now - window, now], or 0 when
 * there is none (or the schedule has no `when`). This is what a cron run and the daemon's
 * catch-up both stand for, so they name the same occurrence. */
time_t schedule_latest_elapse(const Config *c, const ConfigSchedule *sc, time_t now,
                              uint64_t window_sec);

/* The time a `dunnctl run` without --at stands for: the latest elapse within the schedule's
 * catch_up window, else the current minute. */
time_t schedule_occurrence_time(const Config *c, const ConfigSchedule *sc, time_t now);

/* Selects and renders; reads the store, writes nothing. */
int campaign_plan(const Config *c, Store *s, const ConfigSchedule *sc, time_t at, Plan **ret);
Plan *plan_free(Plan *p);

typedef struct CampaignCounts {
        unsigned selected, sent, skipped, failed, unknown, cancelled, pending;
} CampaignCounts;

typedef struct CampaignResult {
        char key[OCCURRENCE_KEY_MAX];
        int64_t occurrence_id;
        bool already_planned;           /* an earlier run planned it: nothing new selected */
        bool carrier_paused;
        bool stopped;                   /* interrupted (SIGINT/SIGTERM) with rows left */
        CampaignCounts total;
        CampaignCounts by_category[_CATEGORY_MAX];
} CampaignResult;

/* The two halves of a run, for the daemon's event loop: start plans the occurrence unless
 * it exists (filling key, occurrence_id, already_planned) and marks rows interrupted by a
 * dead process unknown; finish marks the occurrence done when nothing is left to send and
 * reads its counts. */
int campaign_start(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                   const char *origin, CampaignResult *ret);
int campaign_finish(Store *s, CampaignResult *res);

/* start + dispatch everything + finish (dunnctl run). Returns 0 or a negative errno. */
int campaign_run(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                 time_t at, const char *origin, dispatch_progress_t progress, void *userdata,
                 CampaignResult *ret);

/* Reads the counts of an occurrence from the store. */
int campaign_counts(Store *s, int64_t occurrence_id, CampaignResult *ret);

static inline void plan_freep(Plan **p) {
        if (*p)
                plan_free(*p);
}
