/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "mask.h"
#include "promise.h"
#include "store-household.h"
#include "store-internal.h"
#include "timeutil.h"

int store_household_find(Store *s, const char *unit, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT id FROM households WHERE unit = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, unit);
        r = bind_end(&b);
        if (r < 0)
                return r;
        r = store_step(st);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret_id = sqlite3_column_int64(st, 0);
        return 0;
}

/* Runs a bound statement and adds the rows it changed to *changed. */
static int step_count(Store *s, sqlite3_stmt *st, Binder *b, int *changed) {
        int r = bind_end(b);

        if (r >= 0)
                r = store_step_done(st);
        if (r >= 0)
                *changed += store_changes(s);
        return r;
}

static int upsert_contact(Store *s, int64_t id, const char *channel, const char *address,
                          const char *owner, int *changed) {
        _cleanup_reset_ sqlite3_stmt *add = NULL, *demote = NULL;
        Binder b;
        int r;

        /* the file's contact becomes the first tried on its channel */
        r = store_query(s,
                        "INSERT INTO contacts (household_id, owner_id, channel, address, priority)"
                        " VALUES (?1, (SELECT id FROM owners WHERE household_id = ?1 AND name = ?4),"
                        "         ?2, ?3, 0)"
                        " ON CONFLICT (household_id, channel, address) DO UPDATE SET priority = 0"
                        " WHERE priority != 0",
                        &add, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, channel);
        bind_text(&b, address);
        bind_text(&b, owner);
        r = step_count(s, add, &b, changed);
        if (r < 0)
                return r;
        r = store_query(s,
                        "UPDATE contacts SET priority = 1 WHERE household_id = ?1 AND channel = ?2"
                        "   AND address != ?3 AND priority = 0",
                        &demote, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, channel);
        bind_text(&b, address);
        return step_count(s, demote, &b, changed);
}

int store_household_upsert(Store *s, const HouseholdRecord *h, const char *now, StoreChange *ret) {
        _cleanup_reset_ sqlite3_stmt *row = NULL, *owner = NULL, *primary = NULL;
        const struct {
                const char *channel, *address;
        } contacts[] = {
                { "sms", h->phone },
                { "email", h->email },
                { "wechat", h->wechat_openid },
        };
        int64_t id;
        int changed = 0, r;
        bool existed;
        Binder b;

        r = store_household_find(s, h->unit, &id);
        if (r < 0 && r != -ENOENT)
                return r;
        existed = r >= 0;

        /* the WHERE keeps an identical row untouched: a re-import changes nothing */
        r = store_query(s,
                        "INSERT INTO households (unit, building, floor, room, property_type, area_centi,"
                        "  vacant, payer_type, prepaid_balance, staff, created_at, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
                        " ON CONFLICT (unit) DO UPDATE SET building = ?2, floor = ?3, room = ?4,"
                        "  property_type = ?5, area_centi = ?6, vacant = ?7, payer_type = ?8,"
                        "  prepaid_balance = ?9, staff = ?10, updated_at = ?11"
                        " WHERE (building, floor, room, property_type, area_centi, vacant, payer_type,"
                        "        prepaid_balance, staff) IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        &row, &b);
        if (r < 0)
                return r;
        bind_text(&b, h->unit);
        bind_text(&b, h->building);
        bind_int64_or_null(&b, h->floor, h->has_floor);
        bind_text(&b, strempty(h->room));
        bind_text(&b, h->property_type);
        bind_int64(&b, h->area_centi);
        bind_int(&b, h->vacant);
        bind_text(&b, h->prepaid ? "prepaid" : "monthly");
        bind_int64(&b, h->prepaid_balance);
        bind_text(&b, strempty(h->staff));
        bind_text(&b, now);
        r = step_count(s, row, &b, &changed);
        if (r < 0)
                return r;
        if (!existed)
                id = store_last_id(s);

        r = store_query(s, "INSERT OR IGNORE INTO owners (household_id, name, is_primary)"
                        " VALUES (?1, ?2, 1)", &owner, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, h->owner);
        r = step_count(s, owner, &b, &changed);
        if (r < 0)
                return r;
        /* other owners of the household are no longer the primary one */
        r = store_query(s, "UPDATE owners SET is_primary = (name = ?2) WHERE household_id = ?1"
                        "   AND is_primary != (name = ?2)", &primary, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, h->owner);
        r = step_count(s, primary, &b, &changed);
        if (r < 0)
                return r;

        for (size_t k = 0; k < ELEMENTSOF(contacts); k++) {
                if (isempty(contacts[k].address))
                        continue;
                r = upsert_contact(s, id, contacts[k].channel, contacts[k].address, h->owner,
                                   &changed);
                if (r < 0)
                        return r;
        }
        *ret = !existed ? STORE_ADDED : changed ? STORE_UPDATED : STORE_UNCHANGED;
        return 0;
}

int store_household_set_category(Store *s, int64_t id, Category category, int64_t promise_day,
                                 const char *note, const char *source, const char *now,
                                 CategorySet how, bool *ret_changed) {
        _cleanup_reset_ sqlite3_stmt *upd = NULL, *hist = NULL;
        char promise[DATE_BUFSZ];
        const char *promise_s = promise_day >= 0 ? date_format(promise_day, promise) : NULL;
        Binder b;
        int r;

        if (ret_changed)
                *ret_changed = false;
        r = store_query(s,
                        "UPDATE households SET category = ?2, promise_date = ?3, updated_at = ?4,"
                        /* a promise is of what is owed the moment it is made (nothing owed
                         * yet: the balance decides when its day has passed) */
                        "  promise_owed = CASE WHEN ?2 = 'promised' AND balance > 0 THEN balance END,"
                        /* a visit is owed to a household no one can reach, and only then;
                         * it keeps the reason and day it first became owed */
                        "  visit_reason = CASE WHEN ?2 = 'unreachable' THEN COALESCE(visit_reason, ?6) END,"
                        "  visit_since = CASE WHEN ?2 = 'unreachable' THEN COALESCE(visit_since, ?4) END"
                        " WHERE id = ?1 AND (?5 OR (category, promise_date) IS NOT (?2, ?3))",
                        &upd, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, category_to_string(category));
        bind_text(&b, promise_s);
        bind_text(&b, now);
        bind_int(&b, how == CATEGORY_SET_ALWAYS);
        bind_text(&b, !isempty(note) ? note : VISIT_REASON_STAFF);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        if (store_changes(s) == 0)
                return 0;

        r = store_query(s,
                        "INSERT INTO category_history (household_id, category, promise_date, note,"
                        "  source, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        &hist, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, category_to_string(category));
        bind_text(&b, promise_s);
        bind_text_or_null(&b, note);
        bind_text(&b, source);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r >= 0 && ret_changed)
                *ret_changed = true;
        return r;
}

int store_household_add_note(Store *s, int64_t id, const char *text, const char *source,
                             const char *now, bool skip_duplicate, bool *ret_added) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "INSERT INTO notes (household_id, text, source, created_at)"
                        " SELECT ?1, ?2, ?3, ?4 WHERE NOT ?5 OR NOT EXISTS"
                        "  (SELECT 1 FROM notes WHERE household_id = ?1 AND text = ?2)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, text);
        bind_text(&b, source);
        bind_text(&b, now);
        bind_int(&b, skip_duplicate);
        r = bind_exec(&b);
        if (r >= 0 && ret_added)
                *ret_added = store_changes(s) > 0;
        return r;
}

typedef struct DuePromise {
        int64_t id, promise_day, balance, promise_owed;
} DuePromise;

static int promise_close(Store *s, const DuePromise *p, PromiseVerdict v, const char *now,
                         bool *ret_changed) {
        char note[160];

        /* kept: the household is settled, and leaves the promise for the general
         * reminders; broken: it is reminded every day until it promises again */
        return store_household_set_category(s, p->id, v == PROMISE_KEPT ? CATEGORY_NEW
                                                                          : CATEGORY_UNCLEAR,
                                            -1, promise_note(v, p->promise_day, note, sizeof(note)),
                                            v == PROMISE_KEPT ? "payment" : "campaign", now,
                                            CATEGORY_SET_IF_CHANGED, ret_changed);
}

int store_household_close_promises(Store *s, int64_t today, const char *now, unsigned *ret_kept,
                                   unsigned *ret_broken) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        _cleanup_free_ DuePromise *due = NULL;
        char day[DATE_BUFSZ];
        size_t n = 0, cap = 0;
        Binder b;
        int r;

        *ret_kept = *ret_broken = 0;
        /* collected first: the moves write the rows this walks. A promise whose day has
         * not passed is settled by the payment that keeps it (store-ledger.c) */
        r = store_query(s,
                        "SELECT id, promise_date, balance FROM households"
                        " WHERE category = 'promised' AND promise_date IS NOT NULL"
                        "   AND promise_date < ?1 ORDER BY id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, date_format(today, day));
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                if (n == cap) {
                        DuePromise *nd = realloc(due, (cap = cap ? cap * 2 : 16) * sizeof(*due));
                        if (!nd)
                                return -ENOMEM;
                        due = nd;
                }
                due[n] = (DuePromise) {
                        .id = sqlite3_column_int64(st, 0),
                        .balance = sqlite3_column_int64(st, 2),
                };
                if (date_parse(column_text(st, 1), &due[n].promise_day) < 0)
                        due[n].promise_day = -1;
                n++;
        }
        if (r < 0)
                return r;
        store_stmt_resetp(&st);
        for (size_t i = 0; i < n; i++) {
                PromiseVerdict v = promise_verdict(due[i].promise_day, due[i].balance, today);
                bool changed;

                if (v == PROMISE_OPEN)
                        continue;
                r = promise_close(s, &due[i], v, now, &changed);
                if (r < 0)
                        return r;
                if (changed)
                        (*(v == PROMISE_KEPT ? ret_kept : ret_broken))++;
        }
        return 0;
}

int store_household_settle_promise(Store *s, int64_t id, int64_t paid, const char *now,
                                   bool *ret_kept) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        DuePromise p = { .id = id };
        const char *promise_date = NULL;
        Binder b;
        int r;

        *ret_kept = false;
        r = store_query(s,
                        "UPDATE households SET promise_owed = MAX(promise_owed - ?2, 0)"
                        " WHERE id = ?1 AND category = 'promised' AND promise_owed IS NOT NULL"
                        " RETURNING promise_date, balance, promise_owed",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_int64(&b, paid);
        r = bind_end(&b);
        if (r >= 0)
                r = store_step(st);
        if (r <= 0)
                return r;
        promise_date = column_text_or_null(st, 0);
        if (!promise_date || date_parse(promise_date, &p.promise_day) < 0)
                p.promise_day = -1;
        p.balance = sqlite3_column_int64(st, 1);
        p.promise_owed = sqlite3_column_int64(st, 2);
        /* every RETURNING row is read before the statement is done with */
        r = store_step(st);
        if (r < 0)
                return r;
        store_stmt_resetp(&st);
        /* only a kept promise is decided here: a broken one waits for the day after */
        if (!promise_paid(p.promise_owed, p.balance))
                return 0;
        return promise_close(s, &p, PROMISE_KEPT, now, ret_kept);
}

int store_contact_pick(Store *s, int64_t household_id, char *const *channels, size_t n,
                       size_t *ret_channel, int64_t *ret_contact_id, char **ret_address) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        size_t best_ch = SIZE_MAX;
        int64_t best_prio = 0, best_id = 0;
        char *best = NULL;
        Binder b;
        int r;

        /* all of the household's usable contacts (a handful), chosen here: an ORDER BY would
         * make SQLite build a sorter for every household. Invalid ones are dead; opted-out
         * ones asked for no more reminders. */
        r = store_query(s,
                        "SELECT id, channel, address, priority FROM contacts"
                        " WHERE household_id = ?1 AND state != 'invalid' AND opted_out_at IS NULL",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                const char *ch = column_text(st, 1);
                int64_t prio = sqlite3_column_int64(st, 3), id = sqlite3_column_int64(st, 0);
                size_t k;

                for (k = 0; k < n && k <= best_ch; k++)
                        if (streq(channels[k], ch))
                                break;
                if (k >= n || k > best_ch)
                        continue;
                if (k == best_ch && (prio > best_prio || (prio == best_prio && id > best_id)))
                        continue;
                free(best);
                best = strdup(column_text(st, 2));
                if (!best)
                        return -ENOMEM;
                best_ch = k;
                best_prio = prio;
                best_id = id;
        }
        if (r < 0 || !best) {
                free(best);
                return r;
        }
        *ret_channel = best_ch;
        *ret_contact_id = best_id;
        *ret_address = best;
        return 1;
}

int store_contact_opted_out_only(Store *s, int64_t household_id, char *const *channels,
                                 size_t n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        bool opted_out = false;
        Binder b;
        int r;

        /* asked only for a household store_contact_pick() found nothing for: is that
         * because of opt-outs, or because it has no live contact at all? */
        r = store_query(s,
                        "SELECT channel FROM contacts WHERE household_id = ?1"
                        "   AND state != 'invalid' AND opted_out_at IS NOT NULL",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_end(&b);
        while (r >= 0 && !opted_out && (r = store_step(st)) > 0)
                for (size_t k = 0; k < n; k++)
                        if (streq(channels[k], column_text(st, 0)))
                                opted_out = true;
        return r < 0 ? r : opted_out;
}

/* "139****0001 空号, 138****0002 停机": the household's dead phones for the history line,
 * masked (the history is shown to staff and ends up in reports). */
static int dead_phones(Store *s, int64_t household_id, Buf *out) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* nothing when one phone still lives, or the household is not to be moved:
         * a complaint is not lost to a dead number */
        r = store_query(s,
                        "SELECT address, COALESCE(state_reason, '') FROM contacts"
                        " WHERE household_id = ?1 AND channel = 'sms' AND state = 'invalid'"
                        "   AND NOT EXISTS (SELECT 1 FROM contacts WHERE household_id = ?1"
                        "                      AND channel = 'sms' AND state != 'invalid')"
                        "   AND (SELECT category FROM households WHERE id = ?1)"
                        "       NOT IN ('disputed', 'unreachable')"
                        " ORDER BY priority, id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                char masked[MASK_BUFSZ];
                const char *why = column_text(st, 1);

                buf_printf(out, "%s%s%s%s", out->len > 0 ? ", " : "",
                           mask_phone(column_text(st, 0), masked, sizeof(masked)),
                           *why ? " " : "", why);
        }
        if (r >= 0 && out->oom)
                r = -ENOMEM;
        return r;
}

int store_contact_mark_invalid(Store *s, int64_t contact_id, const char *reason, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        _cleanup_(buf_freep) Buf phones = {};
        _cleanup_free_ char *note = NULL;
        int64_t household_id;
        bool sms, moved = false;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE contacts SET state = 'invalid', state_reason = ?2,"
                        "  state_changed_at = ?3 WHERE id = ?1 RETURNING household_id, channel",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, contact_id);
        bind_text(&b, reason);
        bind_text(&b, now);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        household_id = sqlite3_column_int64(st, 0);
        sms = streq(column_text(st, 1), "sms");
        /* every RETURNING row is read before the statement is done with */
        r = store_step(st);
        if (r < 0)
                return r;
        store_stmt_resetp(&st);
        if (!sms)
                return 0;

        /* its last live phone: no one can text the household any more, staff must go */
        r = dead_phones(s, household_id, &phones);
        if (r < 0 || phones.len == 0)
                return r;
        if (asprintf(&note, "所有手机号无效 (every phone number invalid: %s)", phones.data) < 0)
                return -ENOMEM;
        r = store_household_set_category(s, household_id, CATEGORY_UNREACHABLE, -1, note,
                                         "carrier", now, CATEGORY_SET_IF_CHANGED, &moved);
        return r < 0 ? r : moved;
}

int store_contact_invalidate(Store *s, int64_t household_id, const char *channel,
                             const char *address, const char *reason, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int64_t contact_id;
        Binder b;
        int r;

        /* the named address, or the one tried first: the number staff called */
        r = store_query(s,
                        "SELECT id FROM contacts WHERE household_id = ?1 AND channel = ?2"
                        "   AND (?3 IS NULL OR address = ?3) AND (?3 IS NOT NULL OR state != 'invalid')"
                        " ORDER BY priority, id LIMIT 1",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, channel);
        bind_text(&b, address);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        contact_id = sqlite3_column_int64(st, 0);
        store_stmt_resetp(&st);
        r = store_contact_mark_invalid(s, contact_id, reason, now);
        return r < 0 ? r : 1;
}

int store_household_category(Store *s, int64_t id, Category *ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT category FROM households WHERE id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = category_from_string(column_text(st, 0));
        return *ret < 0 ? -EBADMSG : 0;
}

int store_household_resolve_dispute(Store *s, int64_t id, const char *note, const char *now,
                                    Category *ret_current) {
        _cleanup_free_ char *line = NULL;
        int r;

        r = store_household_category(s, id, ret_current);
        if (r < 0)
                return r;
        if (*ret_current != CATEGORY_DISPUTED)
                return 0;
        if (asprintf(&line, "投诉已解决 (complaint resolved): %s", note) < 0)
                return -ENOMEM;
        /* the complaint closed, the household is reminded again until it promises */
        r = store_household_set_category(s, id, CATEGORY_UNCLEAR, -1, line, "dunnctl", now,
                                         CATEGORY_SET_ALWAYS, NULL);
        if (r < 0)
                return r;
        *ret_current = CATEGORY_UNCLEAR;
        return 1;
}
