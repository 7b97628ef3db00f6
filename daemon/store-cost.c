/* SPDX-License-Identifier: MIT */

#include "store-cost.h"
#include "store-internal.h"

static int sms_count(Store *s, const char *sql, int64_t occurrence_id, unsigned *ret_messages,
                     uint64_t *ret_parts) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, sql, &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        *ret_messages = r > 0 ? (unsigned) sqlite3_column_int64(st, 0) : 0;
        *ret_parts = r > 0 ? (uint64_t) sqlite3_column_int64(st, 1) : 0;
        return 0;
}

int store_occurrence_sms_sent(Store *s, int64_t occurrence_id, unsigned *ret_messages,
                              uint64_t *ret_parts) {
        /* 'unknown' rows may have gone out and been billed too; they are reported apart by
         * the run, and counted here only once settled as sent. A household merged into
         * another's message went with that one: one message, billed once. */
        return sms_count(s, "SELECT COUNT(*), COALESCE(SUM(parts), 0) FROM dispatches"
                         " WHERE occurrence_id = ?1 AND channel = 'sms' AND status = 'sent'"
                         "   AND merged_into IS NULL",
                         occurrence_id, ret_messages, ret_parts);
}

int store_occurrence_sms_to_send(Store *s, int64_t occurrence_id, unsigned *ret_messages,
                                 uint64_t *ret_parts) {
        return sms_count(s, "SELECT COUNT(*), COALESCE(SUM(parts), 0) FROM dispatches"
                         " WHERE occurrence_id = ?1 AND channel = 'sms'"
                         "   AND status IN ('pending', 'retry', 'sending')",
                         occurrence_id, ret_messages, ret_parts);
}
