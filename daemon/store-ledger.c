/* SPDX-License-Identifier: MIT */

#include <errno.h>

#include "store-internal.h"
#include "store-ledger.h"
#include "timeutil.h"

/* The household's balance moves with every charge and payment this module writes. */
static int balance_add(Store *s, int64_t household_id, int64_t delta) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        if (delta == 0)
                return 0;
        r = store_query(s, "UPDATE households SET balance = balance + ?2 WHERE id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_int64(&b, delta);
        r = bind_exec(&b);
        if (r >= 0 && store_changes(s) != 1)
                r = -ENOENT;
        return r;
}

static int charge_upsert_one(Store *s, int64_t household_id, const ChargeRecord *c,
                             StoreChange *ret, int64_t *delta) {
        _cleanup_reset_ sqlite3_stmt *exists = NULL, *upsert = NULL;
        char due[DATE_BUFSZ];
        int64_t old = 0;
        bool existed;
        Binder b;
        int r;

        r = store_query(s, "SELECT amount FROM charges WHERE household_id = ?1 AND period = ?2",
                        &exists, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, c->period);
        r = bind_step(&b);
        if (r < 0)
                return r;
        existed = r > 0;
        if (existed)
                old = sqlite3_column_int64(exists, 0);
        store_stmt_resetp(&exists);

        r = store_query(s,
                        "INSERT INTO charges (household_id, period, amount, due_date) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT (household_id, period) DO UPDATE SET amount = ?3, due_date = ?4"
                        " WHERE (amount, due_date) IS NOT (?3, ?4)",
                        &upsert, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, c->period);
        bind_int64(&b, c->fen);
        bind_text(&b, date_format(c->due_day, due));
        r = bind_exec(&b);
        if (r < 0)
                return r;
        *ret = !existed ? STORE_ADDED : store_changes(s) > 0 ? STORE_UPDATED : STORE_UNCHANGED;
        *delta += c->fen - old;
        return 0;
}

int store_charges_upsert(Store *s, int64_t household_id, const ChargeRecord *rows, size_t n,
                         StoreChange *ret) {
        int64_t delta = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = charge_upsert_one(s, household_id, &rows[i], &ret[i], &delta);
                if (r < 0)
                        return r;
        }
        /* one balance update for the household's charges, not one per period */
        return balance_add(s, household_id, delta);
}

static int payment_add_one(Store *s, const PaymentRecord *p, const char *now, bool *ret_added) {
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
        if (r < 0)
                return r;
        *ret_added = store_changes(s) > 0;
        return 0;
}

int store_payments_add(Store *s, const PaymentRecord *rows, size_t n, const char *now,
                       bool *ret_added) {
        int64_t paid = 0;
        bool kept;
        int r;

        for (size_t i = 0; i < n; i++) {
                if (rows[i].household_id != rows[0].household_id)
                        return -EINVAL;
                r = payment_add_one(s, &rows[i], now, &ret_added[i]);
                if (r < 0)
                        return r;
                if (ret_added[i])
                        paid += rows[i].fen;
        }
        if (paid == 0)
                return 0;
        /* one balance update for the household's payments, not one per payment */
        r = balance_add(s, rows[0].household_id, -paid);
        if (r < 0)
                return r;
        /* a payment that pays what was promised keeps the promise, whatever its day */
        return store_household_settle_promise(s, rows[0].household_id, paid, now, &kept);
}

int store_payment_add(Store *s, const PaymentRecord *p, const char *now, bool *ret_added) {
        return store_payments_add(s, p, 1, now, ret_added);
}

int store_ledger_recount(Store *s) {
        int r = store_exec(s,
                           "UPDATE households SET balance ="
                           "  COALESCE((SELECT SUM(amount) FROM charges c WHERE c.household_id = households.id), 0)"
                           "  - COALESCE((SELECT SUM(amount) FROM payments p WHERE p.household_id = households.id), 0)"
                           " WHERE balance IS NOT"
                           "  COALESCE((SELECT SUM(amount) FROM charges c WHERE c.household_id = households.id), 0)"
                           "  - COALESCE((SELECT SUM(amount) FROM payments p WHERE p.household_id = households.id), 0)");

        return r < 0 ? r : store_changes(s);
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

int store_charge_add_new(Store *s, int64_t household_id, const ChargeRecord *c, bool *ret_added) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        char due[DATE_BUFSZ];
        Binder b;
        int r;

        if (c->fen <= 0)
                return -EINVAL;
        r = store_query(s,
                        "INSERT INTO charges (household_id, period, amount, due_date) VALUES (?1, ?2, ?3, ?4)"
                        " ON CONFLICT (household_id, period) DO NOTHING",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_text(&b, c->period);
        bind_int64(&b, c->fen);
        bind_text(&b, date_format(c->due_day, due));
        r = bind_exec(&b);
        if (r < 0)
                return r;
        *ret_added = store_changes(s) > 0;
        return *ret_added ? balance_add(s, household_id, c->fen) : 0;
}

int store_prepaid_draw(Store *s, int64_t household_id, int64_t fen, int64_t day,
                       const char *dedup_key, const char *now, bool *ret_added) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_payments_add(s, &(PaymentRecord) {
                                       .household_id = household_id,
                                       .fen = fen,
                                       .paid_day = day,
                                       .method = PREPAID_DRAW_METHOD,
                                       .dedup_key = dedup_key,
                               }, 1, now, ret_added);
        if (r < 0 || !*ret_added)
                return r;
        r = store_query(s, "UPDATE households SET prepaid_balance = prepaid_balance - ?2"
                        " WHERE id = ?1 AND prepaid_balance >= ?2", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        bind_int64(&b, fen);
        r = bind_exec(&b);
        if (r >= 0 && store_changes(s) != 1)
                r = -ERANGE;
        return r;
}
