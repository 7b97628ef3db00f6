/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "campaign.h"
#include "log.h"
#include "render.h"
#include "timeutil.h"

/* Minutes are what schedules are written in ("deadline@2026-12-14T09:30"); an elapse with
 * seconds ("*:*:0/5") keeps them, or two elapses in one minute would be one occurrence. */
static const char *occurrence_time_format(time_t at) {
        return at % 60 ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%dT%H:%M";
}

void occurrence_key(const char *schedule, time_t at, const char *tz, char *buf, size_t len) {
        char stamp[32];

        localtime_format(at, tz, occurrence_time_format(at), stamp, sizeof(stamp));
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

static void plan_item_done(PlanItem *i) {
        free(i->recipient);
        free(i->text);
        free(i->subject);
}

Plan *plan_free(Plan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; p->items && i < p->n; i++)
                plan_item_done(&p->items[i]);
        free(p->items);
        debtors_free(p->debtors, p->n);
        free(p);
        return NULL;
}

/* The first usable contact on the schedule's channels, in their order. Households that
 * are unreachable by phone are not texted: their other contacts are tried. */
static int pick_contact(sqlite3_stmt *contact, const ConfigSchedule *sc, PlanItem *item) {
        for (char **ch = sc->channels; *ch; ch++) {
                int rc;

                if (item->debtor->category == CATEGORY_UNREACHABLE && streq(*ch, "sms"))
                        continue;
                sqlite3_bind_int64(contact, 1, item->debtor->household_id);
                sqlite3_bind_text(contact, 2, *ch, -1, SQLITE_STATIC);
                rc = sqlite3_step(contact);
                if (rc == SQLITE_ROW) {
                        item->contact_id = sqlite3_column_int64(contact, 0);
                        item->recipient = strdup((const char *) sqlite3_column_text(contact, 1));
                        item->channel = *ch;
                        sqlite3_reset(contact);
                        return item->recipient ? 1 : -ENOMEM;
                }
                sqlite3_reset(contact);
                if (rc != SQLITE_DONE)
                        return store_errno(rc);
        }
        return 0;
}

static int render_item(const Config *c, const ConfigSchedule *sc, int64_t today, PlanItem *item) {
        RenderContext ctx;
        const Template *t;
        int r;

        render_context_init(&ctx, c, item->debtor, today);
        item->variant = config_template_pick_variant(sc->template, item->debtor->category,
                                                     item->debtor->prepaid);
        t = sc->template->variant[item->variant];
        r = template_render(t, render_lookup, &ctx, &item->text);
        if (r < 0)
                return r;
        /* rendered for every row: a row that fails over to e-mail needs it */
        if (sc->template->subject) {
                r = template_render(sc->template->subject, render_lookup, &ctx, &item->subject);
                if (r < 0)
                        return r;
        }
        sms_count(item->text, &item->sms);
        return 0;
}

int campaign_plan(const Config *c, Store *s, const ConfigSchedule *sc, time_t at, Plan **ret) {
        _cleanup_(plan_freep) Plan *p = NULL;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *contact = NULL;
        DebtorQuery q;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->schedule = sc;
        p->at = at;
        p->today = local_day(at, c->timezone);
        occurrence_key(sc->name, at, c->timezone, p->key, sizeof(p->key));

        /* disputed households never get an automatic reminder, whatever the schedule says */
        q = (DebtorQuery) {
                .today = p->today,
                .categories = sc->categories & ~(1u << CATEGORY_DISPUTED),
                .buildings = sc->buildings,
                .min_overdue_days = sc->min_overdue_days > 0 ? sc->min_overdue_days : INT_MIN,
                .promise_eve = sc->promise_eve,
                .late_fee_daily_permyriad = c->late_fee_daily_permyriad,
        };
        if (q.categories == 0)
                return -EINVAL;
        r = debtors_select(s, &q, &p->debtors, &p->n);
        if (r < 0)
                return r;
        p->items = calloc(p->n + 1, sizeof(PlanItem));
        if (!p->items)
                return -ENOMEM;

        r = store_prepare(s,
                          "SELECT id, address FROM contacts"
                          " WHERE household_id = ?1 AND channel = ?2 AND state != 'invalid'"
                          " ORDER BY priority, id LIMIT 1",
                          &contact);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n; i++) {
                PlanItem *item = &p->items[i];

                item->debtor = &p->debtors[i];
                r = pick_contact(contact, sc, item);
                if (r < 0)
                        return r;
                if (r == 0)
                        item->skip_reason = "no usable contact on the schedule's channels";
                r = render_item(c, sc, p->today, item);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* A promise whose date has passed without payment is a broken promise: the household moves
 * to `unclear` and the move is recorded in its history. Runs inside the planning
 * transaction, so the category change and the occurrence it affects commit together. */
static int record_broken_promises(Store *s, int64_t today, const char *now) {
        char day[DATE_BUFSZ];
        int r;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *hist = NULL, *upd = NULL;

        date_format(today, day);
        r = store_prepare(s,
                          "INSERT INTO category_history (household_id, category, promise_date, note,"
                          "                              source, changed_at)"
                          " SELECT id, 'unclear', promise_date, '承诺日期已过，未缴费 (broken promise)',"
                          "        'campaign', ?2"
                          "   FROM households"
                          "  WHERE category = 'promised' AND promise_date IS NOT NULL"
                          "    AND promise_date < ?1",
                          &hist);
        if (r < 0)
                return r;
        sqlite3_bind_text(hist, 1, day, -1, SQLITE_STATIC);
        sqlite3_bind_text(hist, 2, now, -1, SQLITE_STATIC);
        r = store_step_done(hist);
        if (r < 0)
                return r;
        r = store_prepare(s,
                          "UPDATE households SET category = 'unclear', updated_at = ?2"
                          " WHERE category = 'promised' AND promise_date IS NOT NULL"
                          "   AND promise_date < ?1",
                          &upd);
        if (r < 0)
                return r;
        sqlite3_bind_text(upd, 1, day, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 2, now, -1, SQLITE_STATIC);
        return store_step_done(upd);
}

static int insert_plan(Store *s, const Plan *p, const char *origin, const char *tz,
                       int64_t *ret_id) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *occ = NULL, *row = NULL;
        char now[32], at[32];
        int r;

        store_now(now, sizeof(now));
        localtime_format(p->at, tz, occurrence_time_format(p->at), at, sizeof(at));
        r = store_prepare(s,
                          "INSERT INTO occurrences (key, schedule, at, origin, selected, created_at,"
                          "  channels) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          &occ);
        if (r < 0)
                return r;
        sqlite3_bind_text(occ, 1, p->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(occ, 2, p->schedule->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(occ, 3, at, -1, SQLITE_STATIC);
        sqlite3_bind_text(occ, 4, origin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(occ, 5, (int64_t) p->n);
        sqlite3_bind_text(occ, 6, now, -1, SQLITE_STATIC);
        {
                char channels[64] = "";
                for (char **ch = p->schedule->channels; *ch; ch++)
                        snprintf(channels + strlen(channels), sizeof(channels) - strlen(channels), "%s%s",
                                 channels[0] ? "," : "", *ch);
                sqlite3_bind_text(occ, 7, channels, -1, SQLITE_TRANSIENT);
        }
        r = store_step_done(occ);
        if (r < 0)
                return r;
        *ret_id = sqlite3_last_insert_rowid(s->db);

        r = store_prepare(s,
                          "INSERT INTO dispatches (occurrence_id, household_id, channel, contact_id,"
                          "  recipient, recipient_name, category, template, subject, text, parts,"
                          "  amount, status, error, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          "         ?15, ?15)",
                          &row);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n; i++) {
                const PlanItem *item = &p->items[i];
                char tname[160];

                snprintf(tname, sizeof(tname), "%s/%s", p->schedule->template->name,
                         template_variant_to_string(item->variant));
                sqlite3_bind_int64(row, 1, *ret_id);
                sqlite3_bind_int64(row, 2, item->debtor->household_id);
                /* a skipped household still gets its row, on the first channel, so the log
                 * says why nobody was reminded */
                sqlite3_bind_text(row, 3, item->channel ? item->channel : p->schedule->channels[0],
                                  -1, SQLITE_STATIC);
                if (item->contact_id > 0)
                        sqlite3_bind_int64(row, 4, item->contact_id);
                else
                        sqlite3_bind_null(row, 4);
                sqlite3_bind_text(row, 5, strempty(item->recipient), -1, SQLITE_STATIC);
                sqlite3_bind_text(row, 6, item->debtor->owner, -1, SQLITE_STATIC);
                sqlite3_bind_text(row, 7, category_to_string(item->debtor->category), -1,
                                  SQLITE_STATIC);
                sqlite3_bind_text(row, 8, tname, -1, SQLITE_TRANSIENT);
                if (item->subject)
                        sqlite3_bind_text(row, 9, item->subject, -1, SQLITE_STATIC);
                else
                        sqlite3_bind_null(row, 9);
                sqlite3_bind_text(row, 10, item->text, -1, SQLITE_STATIC);
                sqlite3_bind_int(row, 11, (int) item->sms.parts);
                sqlite3_bind_int64(row, 12, item->debtor->owed);
                sqlite3_bind_text(row, 13, item->skip_reason ? "skipped" : "pending", -1,
                                  SQLITE_STATIC);
                if (item->skip_reason)
                        sqlite3_bind_text(row, 14, item->skip_reason, -1, SQLITE_STATIC);
                else
                        sqlite3_bind_null(row, 14);
                sqlite3_bind_text(row, 15, now, -1, SQLITE_STATIC);
                r = store_step_done(row);
                if (r < 0)
                        return r;
                sqlite3_clear_bindings(row);
        }
        return 0;
}

static int find_occurrence(Store *s, const char *key, int64_t *ret_id) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = store_prepare(s, "SELECT id FROM occurrences WHERE key = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return store_errno(rc);
        *ret_id = sqlite3_column_int64(st, 0);
        return 1;
}

/* Plans the occurrence unless it already exists. BEGIN IMMEDIATE serializes two planners of
 * the same occurrence: the second one finds the row the first committed. */
static int plan_once(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                     const char *origin, CampaignResult *res) {
        _cleanup_rollback_ Store *tx = NULL;
        _cleanup_(plan_freep) Plan *p = NULL;
        char now[32];
        int r;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = find_occurrence(s, res->key, &res->occurrence_id);
        if (r < 0)
                return r;
        if (r > 0) {
                res->already_planned = true;
                store_rollback(s);
                return 0;
        }
        r = record_broken_promises(s, local_day(at, c->timezone), store_now(now, sizeof(now)));
        if (r < 0)
                return r;
        r = campaign_plan(c, s, sc, at, &p);
        if (r < 0)
                return r;
        r = insert_plan(s, p, origin, c->timezone, &res->occurrence_id);
        if (r < 0)
                return r;
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return 0;
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

int campaign_counts(Store *s, int64_t occurrence_id, CampaignResult *res) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        memset(&res->total, 0, sizeof(res->total));
        memset(res->by_category, 0, sizeof(res->by_category));
        r = store_prepare(s,
                          "SELECT category, status, COUNT(*) FROM dispatches"
                          " WHERE occurrence_id = ?1 GROUP BY category, status",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, occurrence_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                Category cat = category_from_string((const char *) sqlite3_column_text(st, 0));
                const char *status = (const char *) sqlite3_column_text(st, 1);
                unsigned n = (unsigned) sqlite3_column_int(st, 2);

                count_status(&res->total, status, n);
                if (cat >= 0)
                        count_status(&res->by_category[cat], status, n);
        }
        return rc == SQLITE_DONE ? 0 : store_errno(rc);
}

static int mark_done_if_drained(Store *s, int64_t occurrence_id) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        char now[32];
        int r;

        r = store_prepare(s,
                          "UPDATE occurrences SET state = 'done', finished_at = ?2"
                          " WHERE id = ?1 AND state != 'done' AND NOT EXISTS ("
                          "   SELECT 1 FROM dispatches WHERE occurrence_id = ?1"
                          "      AND status IN ('pending', 'sending', 'retry'))",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, occurrence_id);
        sqlite3_bind_text(st, 2, store_now(now, sizeof(now)), -1, SQLITE_STATIC);
        return store_step_done(st);
}

int campaign_start(const Config *c, Store *s, const ConfigSchedule *sc, time_t at,
                   const char *origin, CampaignResult *res) {
        int r;

        *res = (CampaignResult) {};
        occurrence_key(sc->name, at, c->timezone, res->key, sizeof(res->key));
        r = plan_once(c, s, sc, at, origin, res);
        if (r < 0)
                return log_error_errno(r, "%s: cannot plan: %s", res->key, store_errmsg(s));
        r = dispatch_recover_interrupted(s);
        if (r < 0)
                return log_error_errno(r, "%s: cannot recover interrupted sends: %s", res->key,
                                       store_errmsg(s));
        return 0;
}

int campaign_finish(Store *s, CampaignResult *res) {
        int r;

        r = mark_done_if_drained(s, res->occurrence_id);
        if (r < 0)
                return r;
        return campaign_counts(s, res->occurrence_id, res);
}

int campaign_run(const Config *c, Store *s, CarrierSet *carriers, const ConfigSchedule *sc,
                 time_t at, const char *origin, dispatch_progress_t progress, void *userdata,
                 CampaignResult *res) {
        DispatchStats stats = {};
        int r;

        r = campaign_start(c, s, sc, at, origin, res);
        if (r < 0)
                return r;
        r = dispatch_occurrence(s, carriers, res->occurrence_id, res->key, progress, userdata,
                                &stats);
        if (r < 0)
                return log_error_errno(r, "%s: dispatch failed: %s", res->key, store_errmsg(s));
        res->carrier_paused = stats.carrier_refused;
        res->stopped = stats.stopped && !stats.carrier_refused;
        return campaign_finish(s, res);
}
