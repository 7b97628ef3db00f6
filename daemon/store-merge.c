/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>

#include "store-internal.h"
#include "store-merge.h"

int store_merge_owners(Store *s, int64_t occurrence_id, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* pending rows only: a household skipped for want of a contact, or capped, is not
         * merged (its cap counts for it alone); "status IN (...)" repeats the condition of
         * the index of open rows so SQLite may use it */
        r = store_query(s,
                        "UPDATE dispatches AS m SET status = 'skipped', merged_into = g.first,"
                        "  error = 'merged into the message to ' || g.unit, updated_at = ?2"
                        "  FROM (SELECT f.channel, f.recipient, f.first, h.unit"
                        "          FROM (SELECT channel, recipient, MIN(id) AS first FROM dispatches"
                        "                 WHERE status IN ('pending', 'retry') AND status = 'pending'"
                        "                   AND occurrence_id = ?1 AND recipient != ''"
                        "                 GROUP BY channel, recipient HAVING COUNT(*) > 1) AS f"
                        "          JOIN dispatches c ON c.id = f.first"
                        "          JOIN households h ON h.id = c.household_id) AS g"
                        " WHERE m.status IN ('pending', 'retry') AND m.status = 'pending'"
                        "   AND m.occurrence_id = ?1 AND m.channel = g.channel"
                        "   AND m.recipient = g.recipient AND m.id != g.first",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        bind_text(&b, now);
        r = bind_exec(&b);
        return r < 0 ? r : store_changes(s);
}

MergedHousehold *merged_households_free(MergedHousehold *h, size_t n) {
        for (size_t i = 0; h && i < n; i++)
                free(h[i].unit);
        free(h);
        return NULL;
}

int store_merge_members(Store *s, int64_t carrier_id, MergedHousehold **ret, size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        MergedHousehold *h = NULL;
        size_t n = 0, cap = 0;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT m.id, m.amount, hh.balance, hh.category = 'disputed', hh.unit"
                        "  FROM dispatches m JOIN households hh ON hh.id = m.household_id"
                        " WHERE m.merged_into = ?1 AND m.status = 'skipped' ORDER BY m.id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, carrier_id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                if (n == cap) {
                        MergedHousehold *nh = realloc(h, (cap = cap ? cap * 2 : 4) * sizeof(*h));

                        if (!nh) {
                                r = -ENOMEM;
                                break;
                        }
                        h = nh;
                }
                h[n] = (MergedHousehold) {
                        .dispatch_id = sqlite3_column_int64(st, 0),
                        .amount = sqlite3_column_int64(st, 1),
                        .balance = sqlite3_column_int64(st, 2),
                        .disputed = sqlite3_column_int(st, 3) != 0,
                        .unit = strdup(column_text(st, 4)),
                };
                if (!h[n++].unit)
                        r = -ENOMEM;
        }
        if (r < 0) {
                merged_households_free(h, n);
                return r;
        }
        *ret = h;
        *ret_n = n;
        return 0;
}

int store_merge_cancel(Store *s, int64_t dispatch_id, const char *why, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* merged_into stays: the log shows which message it was to go with */
        r = store_query(s,
                        "UPDATE dispatches SET status = 'cancelled', error = ?2, updated_at = ?3"
                        " WHERE id = ?1 AND status = 'skipped' AND merged_into IS NOT NULL",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, dispatch_id);
        bind_text(&b, why);
        bind_text(&b, now);
        return bind_exec(&b);
}

int store_merge_repoint(Store *s, int64_t carrier_id, int64_t to_id, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches SET merged_into = ?2, updated_at = ?3,"
                        "  error = 'merged into the message to '"
                        "          || (SELECT h.unit FROM dispatches c JOIN households h"
                        "                ON h.id = c.household_id WHERE c.id = ?2)"
                        " WHERE merged_into = ?1 AND status = 'skipped'",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, carrier_id);
        bind_int64(&b, to_id);
        bind_text(&b, now);
        return bind_exec(&b);
}

int store_merge_promote(Store *s, int64_t carrier_id, int64_t member_id, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches SET status = 'pending', merged_into = NULL, error = NULL,"
                        "  updated_at = ?3"
                        " WHERE id = ?2 AND merged_into = ?1 AND status = 'skipped'",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, carrier_id);
        bind_int64(&b, member_id);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        if (store_changes(s) != 1)
                return -ESTALE;
        return store_merge_repoint(s, carrier_id, member_id, now);
}

int store_merge_follow(Store *s, int64_t carrier_id, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* A member cancelled because it paid keeps that: only one waiting, or one that
         * followed before (sent, then failed by an undelivered receipt), follows. */
        r = store_query(s,
                        "UPDATE dispatches AS m SET status = c.status, outcome = c.outcome,"
                        "  carrier = c.carrier, carrier_message_id = c.carrier_message_id,"
                        "  sent_at = c.sent_at, receipt = c.receipt, receipt_at = c.receipt_at,"
                        "  error = 'merged into the message to ' || h.unit || COALESCE(': ' || c.error, ''),"
                        "  updated_at = ?2"
                        "  FROM dispatches AS c JOIN households AS h ON h.id = c.household_id"
                        " WHERE c.id = ?1 AND m.merged_into = ?1"
                        "   AND c.status IN ('sent', 'failed', 'unknown')"
                        "   AND m.status IN ('skipped', 'sent', 'failed', 'unknown')",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, carrier_id);
        bind_text(&b, now);
        return bind_exec(&b);
}

int store_merge_interrupted(Store *s, int64_t pid, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches AS m SET status = 'unknown', outcome = 'unknown',"
                        "  error = 'merged into the message to ' || h.unit || ': interrupted while"
                        " sending (process ' || ?1 || ' ended); it may have reached the carrier, so it"
                        " is not re-sent', updated_at = ?2"
                        "  FROM dispatches AS c INDEXED BY dispatches_sending"
                        "  JOIN households AS h ON h.id = c.household_id"
                        " WHERE c.status = 'sending' AND c.claimed_by IS ?1"
                        "   AND m.merged_into = c.id AND m.status = 'skipped'",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, pid);
        bind_text(&b, now);
        return bind_exec(&b);
}
