/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>

#include "campaign.h"
#include "log.h"
#include "oneshot.h"
#include "plan.h"
#include "store-household.h"
#include "store-merge.h"
#include "store-occurrence.h"
#include "store-outbox.h"
#include "timeutil.h"

/* The outbox writer: every planned household gets its row, a skipped one too (on the
 * schedule's first channel), so the log says why nobody was reminded. */
typedef struct PlanWriter {
        Store *store;
        const ConfigSchedule *schedule;
        int64_t occurrence_id;
        const char *now;
        unsigned n;
} PlanWriter;

static int write_item(const PlanItem *item, void *userdata) {
        PlanWriter *w = userdata;
        const Debtor *d = item->debtor;

        w->n++;
        return store_outbox_add(w->store, &(OutboxPlanned) {
                                        .occurrence_id = w->occurrence_id,
                                        .household_id = d->household_id,
                                        .contact_id = item->contact_id,
                                        .channel = item->channel ? item->channel
                                                                 : w->schedule->channels[0],
                                        .recipient = item->recipient,
                                        .recipient_name = d->owner,
                                        .category = category_to_string(d->category),
                                        .template_name = item->template_name,
                                        .subject = item->subject,
                                        .text = item->text,
                                        .parts = (unsigned) item->sms.parts,
                                        .amount = d->owed,
                                        .skip_reason = item->skip_reason,
                                }, w->now);
}

static void join_channels(char *const *channels, char *buf, size_t len) {
        buf[0] = 0;
        for (char *const *ch = channels; *ch; ch++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "", *ch);
}

/* Plans the occurrence unless it already exists. BEGIN IMMEDIATE serializes two planners of
 * the same occurrence: the second one finds the row the first committed. */
static int plan_once(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                     const char *origin, CampaignResult *res) {
        _cleanup_rollback_ Store *tx = NULL;
        char now[STORE_TIMESTAMP_BUFSZ], local[32], channels[64],
                expires_at[STORE_TIMESTAMP_BUFSZ];
        PlanWriter w = { .store = s, .schedule = sc, .now = now };
        unsigned kept, broken;
        int r;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_occurrence_find(s, res->key, &res->occurrence_id);
        if (r < 0)
                return r;
        if (r > 0) {
                res->already_planned = true;
                store_rollback(s);
                return 0;
        }
        store_now(now, sizeof(now));
        /* a promise whose day passed with the money still owed is broken, one paid is
         * kept; the moves and the occurrence they affect commit together */
        r = store_household_close_promises(s, local_day(at, c->timezone), now, &kept, &broken);
        if (r < 0)
                return r;
        occurrence_local_time(at, c->timezone, local, sizeof(local));
        join_channels(sc->channels, channels, sizeof(channels));
        /* prepared and waiting from the first moment it exists: no sender ever sees it
         * otherwise */
        store_timestamp(time(NULL) + (time_t) sc->approval_expires_sec, expires_at,
                        sizeof(expires_at));
        r = store_occurrence_insert(s, &(OccurrenceRecord) {
                                            .key = res->key, .schedule = sc->name, .at = local,
                                            .origin = origin, .channels = channels,
                                            .approval = sc->approval ? "waiting" : NULL,
                                            .expires_at = sc->approval ? expires_at : NULL,
                                    }, now, &res->occurrence_id);
        if (r < 0)
                return r;
        w.occurrence_id = res->occurrence_id;
        r = plan_each(c, s, sc, at, write_item, &w);
        if (r < 0)
                return r;
        /* one message per owner: a second pass over what the plan wrote, so the plan
         * streams; the households keep their rows (and their caps and skips) */
        r = store_merge_owners(s, res->occurrence_id, now);
        if (r < 0)
                return r;
        if (r > 0) {
                PlanRefresh group = { .config = c, .store = s, .schedule = sc, .at = at };

                r = store_outbox_render_merged(s, res->occurrence_id, plan_refresh_render, &group,
                                               now);
                if (r < 0)
                        return r;
        }
        r = store_occurrence_set_selected(s, res->occurrence_id, w.n);
        if (r < 0)
                return r;
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return 0;
}

int campaign_close_promises(const Config *c, Store *s, time_t at, unsigned *ret_kept,
                            unsigned *ret_broken) {
        _cleanup_rollback_ Store *tx = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        int r;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_household_close_promises(s, local_day(at, c->timezone),
                                           store_now(now, sizeof(now)), ret_kept, ret_broken);
        if (r < 0)
                return r;
        r = store_commit(s);
        if (r >= 0)
                tx = NULL;
        return r;
}

static void count_status(CampaignCounts *c, const char *status, unsigned n) {
        c->selected += n;
        if (streq(status, "sent"))
                c->sent += n;
        else if (streq(status, "skipped"))
                c->skipped += n;
        else if (streq(status, "failed"))
                c->failed += n;
        else if (streq(status, "unknown"))
                c->unknown += n;
        else if (streq(status, "cancelled"))
                c->cancelled += n;
        else
                c->pending += n;
}

static int add_count(const char *category, const char *status, unsigned n, void *userdata) {
        CampaignResult *res = userdata;
        Category cat = category_from_string(category);

        count_status(&res->total, status, n);
        if (cat >= 0)
                count_status(&res->by_category[cat], status, n);
        return 0;
}

int campaign_counts(Store *s, int64_t occurrence_id, CampaignResult *res) {
        memset(&res->total, 0, sizeof(res->total));
        memset(res->by_category, 0, sizeof(res->by_category));
        return store_occurrence_counts(s, occurrence_id, add_count, res);
}

/* Where the occurrence's approval stands: an earlier run may have planned it under another
 * config, or staff may have decided on it since. */
static int read_approval(Store *s, CampaignResult *res) {
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};
        int r;

        r = store_occurrence_get(s, res->occurrence_id, &o);
        if (r < 0)
                return r;
        res->approval = approval_from_string(o.approval);
        if (res->approval < 0)
                return -EBADMSG;
        snprintf(res->expires_at, sizeof(res->expires_at), "%s", strempty(o.expires_at));
        return 0;
}

int campaign_start(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                   const char *origin, CampaignResult *res) {
        int r;

        *res = (CampaignResult) {};
        occurrence_key(sc->name, at, c->timezone, res->key, sizeof(res->key));
        r = plan_once(c, s, sc, at, origin, res);
        if (r < 0)
                return log_error_errno(r, "%s: cannot plan: %s", res->key, store_errmsg(s));
        r = read_approval(s, res);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read its approval: %s", res->key,
                                       store_errmsg(s));
        return 0;
}

int campaign_finish(Store *s, CampaignResult *res) {
        char now[STORE_TIMESTAMP_BUFSZ];
        int r;

        r = store_occurrence_finish_if_drained(s, res->occurrence_id, store_now(now, sizeof(now)));
        if (r < 0)
                return r;
        return campaign_counts(s, res->occurrence_id, res);
}

int campaign_dispatch(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                      time_t at, const CampaignRunHooks *hooks, CampaignResult *res) {
        PlanRefresh refresh = { .config = c, .store = s, .schedule = sc, .at = at };
        OneShotHooks oh = {
                .progress = hooks->progress,
                .userdata = hooks->userdata,
                .quiet_hours = hooks->quiet_hours ? c : NULL,
                .refresh = { .render = plan_refresh_render, .userdata = &refresh },
        };
        DispatchStats stats = {};
        int r;

        /* before this process sends anything: rows 'sending' under its own pid are then a
         * dead predecessor's */
        r = dispatch_recover_interrupted(s);
        if (r < 0)
                return log_error_errno(r, "%s: cannot recover interrupted sends: %s", res->key,
                                       store_errmsg(s));
        r = oneshot_dispatch(s, carriers, res->occurrence_id, res->key, &oh, &stats);
        if (r < 0)
                return log_error_errno(r, "%s: dispatch failed: %s", res->key, store_errmsg(s));
        res->carrier_paused = stats.carrier_refused;
        res->stopped = stats.stopped && !stats.carrier_refused;
        return campaign_finish(s, res);
}

int campaign_run(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                 time_t at, const char *origin, const CampaignRunHooks *hooks,
                 CampaignResult *res) {
        int r;

        r = campaign_start(c, s, sc, at, origin, res);
        if (r < 0)
                return r;
        /* prepared for staff: `dunnctl approve` sends it (or nothing ever does) */
        if (!approval_allows_sending(res->approval))
                return campaign_counts(s, res->occurrence_id, res);
        return campaign_dispatch(c, s, carriers, sc, at, hooks, res);
}
