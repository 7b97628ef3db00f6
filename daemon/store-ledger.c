/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "store-internal.h"
#include "store-ledger.h"
#include "timeutil.h"

int store_charge_upsert(Store *s, int64_t household_id, const char *period, int64_t fen,
                        int64_t due_day, StoreChange *ret) {
        _cleanup_reset_ sqlite3_stmt *exists = NULL, *upsert = NULL;
        char due[DATE_BUFSZ];
        bool existed;
        Binder b;
        int r;

        r = store_query(s, "SELECT 1 FROM charges WHERE household_id = ?1 AND period = ?2", &exists, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, period);
        r = bind_step(&b);
        if (r < 0)
                return r;
        existed = r > 0;

        r = store_query(s,
                        "INSERT INTO charges (household_id, period, amount, due_date) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT (household_id, period) DO UPDATE SET amount = ?3, due_date = ?4"
                        " WHERE (amount, due_date) IS NOT (?3, ?4)",
                        &upsert, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, period);
        bind_int64(&b, fen);
        bind_text(&b, date_format(due_day, due));
        r = bind_exec(&b);
        if (r < 0)
                return r;
        *ret = !existed ? STORE_ADDED : store_changes(s) > 0 ? STORE_UPDATED : STORE_UNCHANGED;
        return 0;
}

int store_payment_add(Store *s, const PaymentRecord *p, const char *now, bool *ret_added) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        char day[DATE_BUFSZ];
        Binder b;
        int r;

        if (p->fen <= 0)
                return -EINVAL;
        r = store_query(s,
                        "INSERT OR IGNORE INTO payments (household_id, amount, paid_at, method,"
                        "  reference, dedup_key, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, p->household_id);
        bind_int64(&b, p->fen);
        bind_text(&b, date_format(p->paid_day, day));
        bind_text(&b, strempty(p->method));
        bind_text(&b, strempty(p->reference));
        bind_text(&b, p->dedup_key);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r >= 0)
                *ret_added = store_changes(s) > 0;
        return r;
}

int store_payment_find(Store *s, int64_t household_id, const char *dedup_key, int64_t *ret_fen,
                       int64_t *ret_paid_day) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT amount, paid_at FROM payments WHERE household_id = ?1"
                        "   AND dedup_key = ?2", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, dedup_key);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        *ret_fen = sqlite3_column_int64(st, 0);
        if (date_parse(column_text(st, 1), ret_paid_day) < 0)
                *ret_paid_day = -1;
        return 1;
}

int store_household_balance(Store *s, int64_t household_id, int64_t *ret_owed) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT balance FROM households WHERE id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_step(&b);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret_owed = sqlite3_column_int64(st, 0);
        return 0;
}
