/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "debtor.h"
#include "money.h"
#include "timeutil.h"

Category debtor_effective_category(Category stored, int64_t promise_day, int64_t today) {
        if (stored == CATEGORY_PROMISED && promise_day >= 0 && promise_day < today)
                return CATEGORY_UNCLEAR;
        return stored;
}

static void debtor_done(Debtor *d) {
        free(d->unit);
        free(d->building);
        free(d->property_type);
        free(d->owner);
        free(d->staff);
        free(d->periods);
}

void debtors_free(Debtor *d, size_t n) {
        for (size_t i = 0; d && i < n; i++)
                debtor_done(&d[i]);
        free(d);
}

static char *col_strdup(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strdup(t ? (const char *) t : "");
}

static bool in_list(const char *s, char *const *list) {
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

/* Applies the payments to the charges (oldest first) of one household and fills in the
 * debt figures. Returns false when nothing is owed. */
static bool settle(Debtor *d, sqlite3_stmt *charges, int64_t household_id, int64_t paid,
                   int64_t today, int late_fee_permyriad, int *step_rc) {
        int64_t credit = paid;
        size_t periods_len = 0;
        bool any = false;

        d->owed = d->overdue = d->late_fee = 0;
        d->earliest_due_day = -1;
        /* charges is positioned on this household's first row, or past it */
        while (*step_rc == SQLITE_ROW && sqlite3_column_int64(charges, 0) == household_id) {
                int64_t amount = sqlite3_column_int64(charges, 2), due = -1, unpaid;
                const char *period = (const char *) sqlite3_column_text(charges, 1);
                const char *due_s = (const char *) sqlite3_column_text(charges, 3);

                (void) date_parse(due_s ? due_s : "", &due);
                unpaid = amount - (credit < amount ? credit : amount);
                credit = credit > amount ? credit - amount : 0;
                if (unpaid > 0) {
                        size_t pl = strlen(period ? period : "");
                        char *np = realloc(d->periods, periods_len + pl + 4);

                        if (np) {
                                d->periods = np;
                                if (periods_len > 0) {
                                        memcpy(np + periods_len, "、", 3);
                                        periods_len += 3;
                                }
                                memcpy(np + periods_len, period ? period : "", pl);
                                periods_len += pl;
                                np[periods_len] = 0;
                        }
                        if (!any)
                                d->earliest_due_day = due;
                        any = true;
                        d->owed += unpaid;
                        if (due >= 0 && due < today) {
                                d->overdue += unpaid;
                                d->late_fee += money_scale(unpaid * (today - due),
                                                           late_fee_permyriad, 10000);
                        }
                }
                *step_rc = sqlite3_step(charges);
        }
        /* an overpayment (credit left) does not make a debtor */
        if (!any || d->owed <= 0)
                return false;
        d->days_overdue = d->earliest_due_day >= 0 ? (int) (today - d->earliest_due_day) : 0;
        return true;
}

/* "3-2-1201" before "10-1-101": numbers inside unit codes compare as numbers. */
static int debtor_cmp_unit(const void *a, const void *b) {
        return strverscmp(((const Debtor *) a)->unit, ((const Debtor *) b)->unit);
}

int debtors_select(Store *s, const DebtorQuery *q, Debtor **ret, size_t *ret_n) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *hh = NULL, *charges = NULL;
        Debtor *list = NULL;
        size_t n = 0, cap = 0;
        int rc_h, rc_c, r;

        /* Two ordered scans merged in C: one pass over each table whatever the size. */
        r = store_prepare(s,
                          "SELECT h.id, h.unit, h.building, h.property_type, h.staff, h.category,"
                          "       h.promise_date, h.payer_type, h.vacant, h.prepaid_balance,"
                          "       (SELECT o.name FROM owners o WHERE o.household_id = h.id"
                          "         ORDER BY o.is_primary DESC, o.id LIMIT 1),"
                          "       COALESCE((SELECT SUM(p.amount) FROM payments p"
                          "                  WHERE p.household_id = h.id), 0)"
                          "  FROM households h"
                          " WHERE (?1 IS NULL OR h.unit = ?1)"
                          " ORDER BY h.id",
                          &hh);
        if (r < 0)
                return r;
        r = store_prepare(s,
                          "SELECT c.household_id, c.period, c.amount, c.due_date FROM charges c"
                          " WHERE (?1 IS NULL OR c.household_id = (SELECT id FROM households"
                          "                                        WHERE unit = ?1))"
                          " ORDER BY c.household_id, c.due_date, c.period",
                          &charges);
        if (r < 0)
                return r;
        if (q->unit) {
                sqlite3_bind_text(hh, 1, q->unit, -1, SQLITE_STATIC);
                sqlite3_bind_text(charges, 1, q->unit, -1, SQLITE_STATIC);
        }

        rc_c = sqlite3_step(charges);
        while ((rc_h = sqlite3_step(hh)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(hh, 0), promise = -1;
                const char *cat_s = (const char *) sqlite3_column_text(hh, 5);
                const char *promise_s = (const char *) sqlite3_column_text(hh, 6);
                const char *building = (const char *) sqlite3_column_text(hh, 2);
                Debtor d = {};

                /* skip charges of households the query did not return */
                while (rc_c == SQLITE_ROW && sqlite3_column_int64(charges, 0) < id)
                        rc_c = sqlite3_step(charges);
                if (!settle(&d, charges, id, sqlite3_column_int64(hh, 11), q->today,
                            q->late_fee_daily_permyriad, &rc_c)) {
                        free(d.periods);
                        continue;
                }
                if (promise_s)
                        (void) date_parse(promise_s, &promise);
                d.household_id = id;
                d.stored_category = category_from_string(cat_s);
                if (d.stored_category < 0)
                        d.stored_category = CATEGORY_NEW;
                d.promise_day = promise;
                d.category = debtor_effective_category(d.stored_category, promise, q->today);

                if (q->categories && !(q->categories & (1u << d.category)))
                        goto skip;
                if (q->buildings && !in_list(building ? building : "", q->buildings))
                        goto skip;
                if (q->min_overdue_days != INT_MIN && d.days_overdue < q->min_overdue_days)
                        goto skip;
                if (q->promise_eve && !(d.category == CATEGORY_PROMISED && promise == q->today + 1))
                        goto skip;

                d.unit = col_strdup(hh, 1);
                d.building = col_strdup(hh, 2);
                d.property_type = col_strdup(hh, 3);
                d.staff = col_strdup(hh, 4);
                d.owner = col_strdup(hh, 10);
                d.prepaid = streq_ptr((const char *) sqlite3_column_text(hh, 7), "prepaid");
                d.vacant = sqlite3_column_int(hh, 8) != 0;
                d.prepaid_balance = sqlite3_column_int64(hh, 9);
                if (!d.unit || !d.building || !d.property_type || !d.staff || !d.owner || !d.periods) {
                        debtor_done(&d);
                        r = -ENOMEM;
                        goto fail;
                }
                if (n == cap) {
                        Debtor *nl = realloc(list, (cap = cap ? cap * 2 : 64) * sizeof(Debtor));
                        if (!nl) {
                                debtor_done(&d);
                                r = -ENOMEM;
                                goto fail;
                        }
                        list = nl;
                }
                list[n++] = d;
                continue;
        skip:
                debtor_done(&d);
        }
        if (rc_h != SQLITE_DONE) {
                r = store_errno(rc_h);
                goto fail;
        }
        if (n > 1)
                qsort(list, n, sizeof(Debtor), debtor_cmp_unit);
        *ret = list;
        *ret_n = n;
        return 0;
fail:
        debtors_free(list, n);
        return r;
}

int household_balance(Store *s, int64_t household_id, int64_t *ret_owed) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(s,
                          "SELECT COALESCE((SELECT SUM(amount) FROM charges WHERE household_id = ?1), 0)"
                          "     - COALESCE((SELECT SUM(amount) FROM payments WHERE household_id = ?1), 0)",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, household_id);
        if (sqlite3_step(st) != SQLITE_ROW)
                return store_errno(sqlite3_errcode(sqlite3_db_handle(st)));
        *ret_owed = sqlite3_column_int64(st, 0);
        return 0;
}
