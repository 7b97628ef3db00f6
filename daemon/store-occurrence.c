/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store-occurrence.h"

int store_occurrence_find(Store *s, const char *key, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT id FROM occurrences WHERE key = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, key);
        r = bind_step(&b);
        if (r > 0)
                *ret_id = sqlite3_column_int64(st, 0);
        return r;
}

int store_occurrence_insert(Store *s, const OccurrenceRecord *o, const char *now, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "INSERT INTO occurrences (key, schedule, at, origin, created_at, channels,"
                        "                         approval, expires_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, o->key);
        bind_text(&b, o->schedule);
        bind_text(&b, o->at);
        bind_text(&b, o->origin);
        bind_text(&b, now);
        bind_text(&b, o->channels);
        bind_text(&b, o->approval);
        bind_text(&b, o->expires_at);
        r = bind_exec(&b);
        if (r >= 0)
                *ret_id = store_last_id(s);
        return r;
}

int store_occurrence_set_selected(Store *s, int64_t id, unsigned selected) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "UPDATE occurrences SET selected = ?2 WHERE id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_int64(&b, selected);
        return bind_exec(&b);
}

static int dup_column(sqlite3_stmt *st, int i, char **ret) {
        const char *t = column_text_or_null(st, i);

        *ret = NULL;
        if (!t)
                return 0;
        *ret = strdup(t);
        return *ret ? 0 : -ENOMEM;
}

/* The string members of an occurrence, in the order store_occurrence_get selects them. */
#define OCCURRENCE_INFO_STRINGS 11
static void info_strings(OccurrenceInfo *o, char **ret[static OCCURRENCE_INFO_STRINGS]) {
        char **strings[OCCURRENCE_INFO_STRINGS] = {
                &o->key, &o->schedule, &o->at, &o->origin, &o->state, &o->created_at,
                &o->finished_at, &o->approval, &o->approval_by, &o->approval_at, &o->expires_at,
        };

        memcpy(ret, strings, sizeof(strings));
}

void occurrence_info_done(OccurrenceInfo *o) {
        char **strings[OCCURRENCE_INFO_STRINGS];

        info_strings(o, strings);
        for (size_t i = 0; i < OCCURRENCE_INFO_STRINGS; i++) {
                free(*strings[i]);
                *strings[i] = NULL;
        }
}

int store_occurrence_get(Store *s, int64_t id, OccurrenceInfo *ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        char **strings[OCCURRENCE_INFO_STRINGS];
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT key, schedule, at, origin, state, created_at, finished_at,"
                        "       approval, approval_by, approval_at, expires_at, selected"
                        "  FROM occurrences WHERE id = ?1",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = (OccurrenceInfo) { .id = id, .selected = (unsigned) sqlite3_column_int64(st, 11) };
        info_strings(ret, strings);
        for (size_t i = 0; r >= 0 && i < OCCURRENCE_INFO_STRINGS; i++)
                r = dup_column(st, (int) i, strings[i]);
        if (r < 0)
                occurrence_info_done(ret);
        return r;
}

int store_occurrence_channels(Store *s, int64_t id, char **ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT channels FROM occurrences WHERE id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = strdup(column_text(st, 0));
        return *ret ? 0 : -ENOMEM;
}

int store_occurrence_finish_if_drained(Store *s, int64_t id, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE occurrences SET state = 'done', finished_at = ?2"
                        " WHERE id = ?1 AND state != 'done'"
                        "   AND NOT EXISTS (SELECT 1 FROM dispatches WHERE status IN ('pending', 'retry')"
                        "                      AND occurrence_id = ?1)"
                        /* the few rows being sent, not the occurrence's thousands */
                        "   AND NOT EXISTS (SELECT 1 FROM dispatches INDEXED BY dispatches_sending"
                        "                    WHERE status = 'sending' AND occurrence_id = ?1)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, now);
        return bind_exec(&b);
}

int store_occurrence_counts(Store *s, int64_t id, occurrence_count_t each, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        /* a household merged into another's message is not skipped: it
                         * waits for that message (pending), then has its outcome */
                        "SELECT category, CASE WHEN status = 'skipped' AND merged_into IS NOT NULL"
                        "                      THEN 'pending' ELSE status END AS st, COUNT(*)"
                        "  FROM dispatches WHERE occurrence_id = ?1 GROUP BY category, st",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0)
                r = each(column_text(st, 0), column_text(st, 1),
                         (unsigned) sqlite3_column_int64(st, 2), userdata);
        return r;
}

int store_occurrence_merged_sent(Store *s, int64_t id, unsigned *ret_owners, unsigned *ret_units) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT COUNT(DISTINCT merged_into), COUNT(*) FROM dispatches"
                        " WHERE occurrence_id = ?1 AND merged_into IS NOT NULL AND status = 'sent'",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        *ret_owners = r > 0 ? (unsigned) sqlite3_column_int64(st, 0) : 0;
        /* the carrier rows' own units beside the merged ones */
        *ret_units = r > 0 ? *ret_owners + (unsigned) sqlite3_column_int64(st, 1) : 0;
        return 0;
}

int store_occurrences_unfinished(Store *s, const char *since, occurrence_each_t each,
                                 void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT id, key, schedule, at FROM occurrences"
                        " WHERE state != 'done' AND created_at >= ?1"
                        "   AND (approval IS NULL OR approval = 'approved') ORDER BY id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, since);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0)
                r = each(&(OccurrenceRef) {
                                 .id = sqlite3_column_int64(st, 0),
                                 .key = column_text(st, 1),
                                 .schedule = column_text(st, 2),
                                 .at = column_text(st, 3),
                         }, userdata);
        return r;
}
