/* SPDX-License-Identifier: MIT */
#pragma once

/* One campaign occurrence: plan it into the outbox once, dispatch, read its counts. The
 * same code serves `dunnctl run` and the daemon (which only adds the clock); `dunnctl
 * preview` uses the planner alone (plan.h). */

#include <stdbool.h>
#include <time.h>

#include "approval.h"
#include "carrier.h"
#include "category.h"
#include "config.h"
#include "dispatch.h"
#include "schedule.h"
#include "store.h"

typedef struct CampaignCounts {
        unsigned selected, sent, skipped, failed, unknown, cancelled, pending;
} CampaignCounts;

typedef struct CampaignResult {
        char key[OCCURRENCE_KEY_MAX];
        int64_t occurrence_id;
        bool already_planned;           /* an earlier run planned it: nothing new selected */
        bool carrier_paused;
        bool stopped;                   /* interrupted (SIGINT/SIGTERM) with rows left */
        Approval approval;              /* none, or where its approval stands */
        char expires_at[STORE_TIMESTAMP_BUFSZ]; /* a waiting one's expiry (store timestamp) */
        CampaignCounts total;
        CampaignCounts by_category[_CATEGORY_MAX];
} CampaignResult;

/* The two halves of a run, for the daemon's event loop: start plans the occurrence unless
 * it exists (filling key, occurrence_id, already_planned, approval). An occurrence of a
 * schedule with approval is planned waiting, with its expiry, in the same transaction: the
 * caller sends it only when approval_allows_sending(res->approval). finish marks the occurrence done
 * when nothing is left to send and reads its counts. Rows interrupted by a dead process
 * are recovered by the caller, once, before it sends anything (dispatch.h): a daemon that
 * starts an occurrence while another's requests are in flight must not recover then. */
int campaign_start(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                   const char *origin, CampaignResult *ret);
int campaign_finish(Store *s, CampaignResult *res);

/* start + recover interrupted rows + dispatch everything on dunnctl's own loop + finish
 * (dunnctl run): rows go out rendered for what the household owes at the send; with
 * quiet_hours the sends wait for the end of the config's quiet hours. An occurrence that
 * waits for approval (or was rejected or expired) is only planned and counted: nothing is
 * sent. Returns 0 or a negative errno. */
typedef struct CampaignRunHooks {
        dispatch_progress_t progress;
        void *userdata;
        bool quiet_hours;
} CampaignRunHooks;

int campaign_run(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                 time_t at, const char *origin, const CampaignRunHooks *hooks,
                 CampaignResult *ret);

/* Closes the promises whose day passed before at's local day, in a transaction of its own
 * (the daemon does it just after midnight, so a broken promise moves to `unclear` the day
 * after even when nothing is planned that day; planning an occurrence does it too). */
int campaign_close_promises(const Config *c, Store *s, time_t at, unsigned *ret_kept,
                            unsigned *ret_broken);

/* recover + dispatch + finish of an occurrence already planned (res->key, occurrence_id),
 * of schedule sc standing for at (sc NULL: its rows go out as planned): dunnctl approve.
 * Returns 0 or a negative errno. */
int campaign_dispatch(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                      time_t at, const CampaignRunHooks *hooks, CampaignResult *res);

/* Reads the counts of an occurrence from the store. */
int campaign_counts(Store *s, int64_t occurrence_id, CampaignResult *ret);
