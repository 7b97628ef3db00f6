/* SPDX-License-Identifier: MIT */

#include "store-internal.h"
#include "store-log.h"

/* the schema's CHECK on dispatches.status, in the order a row goes through them */
const char *const store_log_statuses[] = { "pending", "sending", "retry", "sent", "failed",
                                           "unknown", "cancelled", "skipped", NULL };

bool store_log_status_is_valid(const char *status) {
        for (size_t i = 0; store_log_statuses[i]; i++)
                if (streq_ptr(status, store_log_statuses[i]))
                        return true;
        return false;
}

int store_log_each(Store *s, const LogQuery *q, log_row_t each, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT d.id, o.key, h.unit, d.recipient_name, d.category, d.channel,"
                        "       d.recipient, d.status, d.receipt, d.attempts, d.carrier,"
                        "       d.updated_at, d.merged_into, d.error, d.text, d.planned_text, d.amount, d.parts"
                        "  FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id"
                        "  JOIN households h ON h.id = d.household_id"
                        " WHERE (?1 IS NULL OR o.key = ?1 OR (substr(?1, -1) = '@' AND"
                        "        substr(o.key, 1, length(?1)) = ?1))"
                        "   AND (?2 IS NULL OR d.status = ?2)"
                        "   AND (?3 IS NULL OR h.unit = ?3)"
                        "   AND (?4 IS NULL OR d.updated_at >= ?4)"
                        " ORDER BY d.id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, q->occurrence);
        bind_text(&b, q->status);
        bind_text(&b, q->unit);
        bind_text(&b, q->since);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                const char *cells[_LOG_COLUMN_MAX];

                for (int i = 0; i < _LOG_COLUMN_MAX; i++)
                        cells[i] = column_text_or_null(st, i);
                r = each(cells, userdata);
        }
        return r;
}
