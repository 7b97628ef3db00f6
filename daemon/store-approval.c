/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-approval.h"
#include "store-internal.h"

/* What the rows of a rejected or expired occurrence say. */
#define EXPIRED_ERROR "not approved in time"

int store_approval_approve(Store *s, int64_t id, const char *by, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE occurrences SET approval = 'approved', approval_by = ?2,"
                        "  approval_at = ?3"
                        " WHERE id = ?1 AND approval = 'waiting' AND expires_at > ?3",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, by);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        return store_changes(s) > 0;
}

/* The occurrence's rows still to send become cancelled with why, the households waiting in
 * one owner's message too; *ret_n of them. */
static int cancel_open_rows(Store *s, int64_t id, const char *why, const char *now,
                            unsigned *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches SET status = 'cancelled', error = ?2, updated_at = ?3"
                        " WHERE occurrence_id = ?1 AND (status IN ('pending', 'retry')"
                        "   OR (status = 'skipped' AND merged_into IS NOT NULL))",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, why);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        *ret_n = (unsigned) store_changes(s);
        return 0;
}

/* A waiting occurrence becomes rejected or expired, and done. 1 when it changed. */
static int close_waiting(Store *s, int64_t id, const char *approval, const char *by,
                         const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE occurrences SET approval = ?2, approval_by = ?3, approval_at = ?4,"
                        "  state = 'done', finished_at = ?4"
                        " WHERE id = ?1 AND approval = 'waiting'"
                        /* a rejection after the expiry is too late; the expiry is not */
                        "   AND (?2 = 'expired' OR expires_at > ?4)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, approval);
        bind_text(&b, by);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        return store_changes(s) > 0;
}

int store_approval_reject(Store *s, int64_t id, const char *by, const char *why,
                          const char *now, unsigned *ret_cancelled) {
        _cleanup_rollback_ Store *tx = NULL;
        int r;

        *ret_cancelled = 0;
        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = close_waiting(s, id, "rejected", by, now);
        if (r <= 0)
                return r;
        r = cancel_open_rows(s, id, why, now, ret_cancelled);
        if (r < 0)
                return r;
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return 1;
}

/* The oldest waiting occurrence whose time ran out by now: 1 with its id, key and expiry
 * (malloc'd), 0 when there is none. */
static int next_expired(Store *s, const char *now, int64_t *ret_id, char **ret_key,
                        char **ret_expires_at) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT id, key, expires_at FROM occurrences"
                        " WHERE approval = 'waiting' AND expires_at <= ?1 ORDER BY id LIMIT 1",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, now);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        *ret_id = sqlite3_column_int64(st, 0);
        *ret_key = strdup(column_text(st, 1));
        *ret_expires_at = strdup(column_text(st, 2));
        if (!*ret_key || !*ret_expires_at) {
                free(*ret_key);
                free(*ret_expires_at);
                return -ENOMEM;
        }
        return 1;
}

int store_approval_expire(Store *s, const char *now, approval_expired_t each, void *userdata) {
        _cleanup_rollback_ Store *tx = NULL;
        _cleanup_free_ char *first_key = NULL, *first_expires_at = NULL;
        int64_t first_id = 0;
        int r, n = 0;

        /* a read first: the daemon asks every minute, and must not queue for the write
         * lock behind an import when nothing is due */
        r = next_expired(s, now, &first_id, &first_key, &first_expires_at);
        if (r <= 0)
                return r;
        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        for (;;) {
                _cleanup_free_ char *key = NULL, *expires_at = NULL;
                unsigned cancelled = 0;
                int64_t id = 0;

                r = next_expired(s, now, &id, &key, &expires_at);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = cancel_open_rows(s, id, EXPIRED_ERROR, now, &cancelled);
                if (r < 0)
                        return r;
                r = close_waiting(s, id, "expired", NULL, now);
                if (r < 0)
                        return r;
                if (each)
                        each(key, expires_at, cancelled, userdata);
                n++;
        }
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return n;
}
