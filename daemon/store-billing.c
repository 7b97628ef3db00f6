/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>

#include "macro.h"
#include "store-billing.h"
#include "store-internal.h"

int store_billing_households(Store *s, int64_t after_id, BillHousehold *ret, size_t max,
                             size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        size_t n = 0;
        Binder b;
        int r;

        r = store_query(s, "SELECT id, unit, property_type, area_centi, vacant, payer_type,"
                        "       prepaid_balance FROM households WHERE id > ?1 ORDER BY id LIMIT ?2",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, after_id);
        bind_int64(&b, (int64_t) max);
        r = bind_end(&b);
        while (r >= 0 && n < max && (r = store_step(st)) > 0) {
                BillHousehold *h = &ret[n++];

                *h = (BillHousehold) {
                        .id = sqlite3_column_int64(st, 0),
                        .property_type = property_type_from_string(column_text(st, 2)),
                        .area_centi = sqlite3_column_int64(st, 3),
                        .vacant = sqlite3_column_int(st, 4) != 0,
                        .prepaid = streq(column_text(st, 5), "prepaid"),
                        .prepaid_balance = sqlite3_column_int64(st, 6),
                };
                /* unit codes are short ("3-2-1201"); one longer is cut, for display only */
                snprintf(h->unit, sizeof(h->unit), "%s", column_text(st, 1));
        }
        if (r < 0)
                return r;
        *ret_n = n;
        return 0;
}

int store_billing_charge_find(Store *s, int64_t household_id, const char *period,
                              int64_t *ret_fen) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT amount FROM charges WHERE household_id = ?1 AND period = ?2",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, period);
        r = bind_step(&b);
        if (r > 0 && ret_fen)
                *ret_fen = sqlite3_column_int64(st, 0);
        return r;
}
