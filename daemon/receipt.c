/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "receipt.h"

ReceiptKind receipt_kind_from_kannel(unsigned status) {
        if (status & 1)
                return RECEIPT_DELIVERED;
        if (status & (2 | 16))
                return RECEIPT_UNDELIVERED;
        if (status & 8)
                return RECEIPT_ACCEPTED;
        if (status & 4)
                return RECEIPT_QUEUED;
        return _RECEIPT_KIND_INVALID;
}

const char *receipt_kind_to_string(ReceiptKind k) {
        static const char *const names[_RECEIPT_KIND_MAX] = {
                [RECEIPT_DELIVERED] = "delivered",
                [RECEIPT_UNDELIVERED] = "undelivered",
                [RECEIPT_ACCEPTED] = "accepted",
                [RECEIPT_QUEUED] = "queued",
        };
        return k >= 0 && k < _RECEIPT_KIND_MAX ? names[k] : NULL;
}

int receipt_apply(Store *s, int64_t dispatch_id, ReceiptKind kind) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        char now[32];
        int r;

        if (kind < 0 || kind >= _RECEIPT_KIND_MAX)
                return -EINVAL;
        /* Only rows that went to a carrier take receipts. An unknown row is settled: any
         * receipt proves the request arrived; "undelivered" makes it failed (final, not
         * re-sent: the carrier had it). A later, weaker receipt never overrides
         * "delivered". */
        r = store_prepare(s,
                          "UPDATE dispatches SET"
                          "  receipt = CASE WHEN receipt = 'delivered' THEN receipt ELSE ?2 END,"
                          "  receipt_at = ?3, updated_at = ?3,"
                          "  status = CASE"
                          "    WHEN status = 'unknown' AND ?2 = 'undelivered' THEN 'failed'"
                          "    WHEN status = 'unknown' AND ?2 != 'queued' THEN 'sent'"
                          "    WHEN status = 'sent' AND ?2 = 'undelivered' AND receipt IS NOT 'delivered'"
                          "      THEN 'failed'"
                          "    ELSE status END,"
                          "  sent_at = CASE WHEN status = 'unknown' AND ?2 NOT IN ('undelivered', 'queued')"
                          "    THEN ?3 ELSE sent_at END,"
                          "  error = CASE WHEN status = 'unknown' OR ?2 = 'undelivered'"
                          "    THEN 'delivery receipt: ' || ?2 ELSE error END"
                          " WHERE id = ?1 AND status IN ('sent', 'unknown')",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, dispatch_id);
        sqlite3_bind_text(st, 2, receipt_kind_to_string(kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, store_now(now, sizeof(now)), -1, SQLITE_STATIC);
        r = store_step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0;
}
