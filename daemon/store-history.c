/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "store-history.h"
#include "store-internal.h"

static const char *const history_kinds[_HISTORY_KIND_MAX] = {
        [HISTORY_CATEGORY] = "category",
        [HISTORY_NOTE] = "note",
        [HISTORY_OPT_OUT] = "opt-out",
        [HISTORY_OPT_IN] = "opt-in",
        [HISTORY_PAYMENT] = "payment",
        [HISTORY_MESSAGE] = "message",
};

const char *history_kind_to_string(HistoryKind k) {
        return k >= 0 && k < _HISTORY_KIND_MAX ? history_kinds[k] : NULL;
}

int store_history_each(Store *s, int64_t household_id, history_each_t each, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* columns: time, kind, source, a, b, c, d, e, f, amount, id, rank — a..f mean what
         * the kind says (see the mapping below); rank orders the entries of one second */
        r = store_query(s,
                        "SELECT changed_at, 0, source, category, promise_date, note, NULL, NULL,"
                        "       NULL, NULL, id, 1"
                        "  FROM category_history WHERE household_id = ?1"
                        " UNION ALL"
                        " SELECT n.created_at, CASE n.source WHEN 'optout' THEN 2 WHEN 'optin' THEN 3"
                        "        ELSE 1 END, n.source, n.text, NULL, NULL, NULL, NULL, NULL, NULL, n.id, 2"
                        "  FROM notes n WHERE n.household_id = ?1"
                        "   AND NOT EXISTS (SELECT 1 FROM category_history c"
                        "                    WHERE c.household_id = ?1 AND c.changed_at = n.created_at"
                        "                      AND c.note = n.text)"
                        " UNION ALL"
                        " SELECT recorded_at, 4, 'payment', paid_at, method, reference, NULL, NULL,"
                        "        NULL, amount, id, 3"
                        "  FROM payments WHERE household_id = ?1"
                        " UNION ALL"
                        " SELECT COALESCE(d.sent_at, d.updated_at), 5, COALESCE(d.carrier, ''), o.key,"
                        "        d.channel, d.status, d.recipient, d.error, d.text, d.amount, d.id, 0"
                        "  FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id"
                        " WHERE d.household_id = ?1"
                        /* timestamps are seconds: within one, a message comes before the
                         * category move its outcome caused */
                        " ORDER BY 1, 12, 11",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                HistoryEntry e = {
                        .time = column_text(st, 0),
                        .kind = (HistoryKind) sqlite3_column_int(st, 1),
                        .source = column_text(st, 2),
                        .amount = sqlite3_column_int64(st, 9),
                };

                switch (e.kind) {
                case HISTORY_CATEGORY:
                        e.category = column_text_or_null(st, 3);
                        e.promise_date = column_text_or_null(st, 4);
                        e.text = column_text_or_null(st, 5);
                        break;
                case HISTORY_NOTE:
                case HISTORY_OPT_OUT:
                case HISTORY_OPT_IN:
                        e.text = column_text_or_null(st, 3);
                        break;
                case HISTORY_PAYMENT:
                        e.paid_at = column_text_or_null(st, 3);
                        e.method = column_text_or_null(st, 4);
                        e.reference = column_text_or_null(st, 5);
                        break;
                case HISTORY_MESSAGE:
                        e.occurrence = column_text_or_null(st, 3);
                        e.channel = column_text_or_null(st, 4);
                        e.status = column_text_or_null(st, 5);
                        e.recipient = column_text_or_null(st, 6);
                        e.error = column_text_or_null(st, 7);
                        e.message = column_text_or_null(st, 8);
                        break;
                default:
                        return -EBADMSG;
                }
                r = each(&e, userdata);
        }
        return r;
}
