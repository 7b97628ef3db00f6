/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>

#include "store-debtor.h"
#include "store-internal.h"
#include "timeutil.h"

/* A household's charges, read into reusable memory: the periods' text goes into one
 * arena, since SQLite's column text lives only until the next step. */
typedef struct ChargeScratch {
        DebtorCharge *items;
        size_t *period_at;              /* offsets into arena */
        size_t n, cap;
        Buf arena, periods;
} ChargeScratch;

static void scratch_done(ChargeScratch *c) {
        free(c->items);
        free(c->period_at);
        buf_free(&c->arena);
        buf_free(&c->periods);
}

/* Payments settle the charge due first; on the same day, the earlier period. */
static int charge_cmp(const void *a, const void *b) {
        const DebtorCharge *x = a, *y = b;

        if (x->due_day != y->due_day)
                return x->due_day < y->due_day ? -1 : 1;
        return strcmp(x->period, y->period);
}

static int read_charges(Store *s, int64_t household_id, ChargeScratch *c, int64_t *ret_total) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        c->n = 0;
        buf_clear(&c->arena);
        *ret_total = 0;
        /* the UNIQUE (household_id, period) index finds them; the settling order (due date,
         * then period) is made here, for a household's few rows, rather than by another index
         * every import would have to write */
        r = store_query(s, "SELECT period, amount, due_date FROM charges WHERE household_id = ?1",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, household_id);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0) {
                int64_t due = -1;

                if (c->n == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 16;
                        DebtorCharge *ni = realloc(c->items, cap * sizeof(*ni));
                        size_t *np;

                        if (!ni)
                                return -ENOMEM;
                        c->items = ni;
                        np = realloc(c->period_at, cap * sizeof(*np));
                        if (!np)
                                return -ENOMEM;
                        c->period_at = np;
                        c->cap = cap;
                }
                (void) date_parse(column_text(st, 2), &due);
                c->period_at[c->n] = c->arena.len;
                buf_add(&c->arena, column_text(st, 0), strlen(column_text(st, 0)) + 1);
                c->items[c->n] = (DebtorCharge) { .amount = sqlite3_column_int64(st, 1), .due_day = due };
                *ret_total += c->items[c->n].amount;
                c->n++;
        }
        if (r < 0)
                return r;
        if (c->arena.oom)
                return -ENOMEM;
        /* the arena may have moved while it grew: point into it only now */
        for (size_t i = 0; i < c->n; i++)
                c->items[i].period = c->arena.data + c->period_at[i];
        if (c->n > 1)
                qsort(c->items, c->n, sizeof(DebtorCharge), charge_cmp);
        return 0;
}

/* The primary owner's name (an import makes one owner primary), else any owner's. Without
 * an ORDER BY: that made SQLite build a temporary b-tree for every household. */
#define OWNER_NAME                                                                       \
        "COALESCE((SELECT o.name FROM owners o WHERE o.household_id = h.id AND o.is_primary" \
        "          LIMIT 1),"                                                              \
        "         (SELECT o.name FROM owners o WHERE o.household_id = h.id LIMIT 1))"

int store_debtors_each(Store *s, const DebtorQuery *q, debtor_each_t each, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *hh = NULL;
        _cleanup_(scratch_done) ChargeScratch charges = {};
        Binder b;
        int r;

        /* `unit` is a collation the store registers (natural order); balance > 0 walks the
         * partial index households_owing */
        if (q->unit)
                r = store_query(s,
                                "SELECT h.id, h.unit, h.building, h.property_type, h.staff, h.category,"
                                "       h.promise_date, h.payer_type, h.vacant, h.prepaid_balance,"
                                "       h.balance, " OWNER_NAME ", h.visit_since, h.visit_reason"
                                "  FROM households h WHERE h.unit = ?1 AND h.balance > 0",
                                &hh, &b);
        else
                r = store_query(s,
                                "SELECT h.id, h.unit, h.building, h.property_type, h.staff, h.category,"
                                "       h.promise_date, h.payer_type, h.vacant, h.prepaid_balance,"
                                "       h.balance, " OWNER_NAME ", h.visit_since, h.visit_reason"
                                "  FROM households h WHERE h.balance > 0"
                                " ORDER BY h.unit COLLATE unit, h.id",
                                &hh, &b);
        if (r < 0)
                return r;
        if (q->unit)
                bind_text(&b, q->unit);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(hh)) > 0) {
                const char *promise_s = column_text_or_null(hh, 6);
                int64_t total, balance = sqlite3_column_int64(hh, 10), promise = -1;
                Debtor d = {
                        .household_id = sqlite3_column_int64(hh, 0),
                        .unit = column_text(hh, 1),
                        .building = column_text(hh, 2),
                        .property_type = column_text(hh, 3),
                        .staff = column_text(hh, 4),
                        .prepaid = streq(column_text(hh, 7), "prepaid"),
                        .vacant = sqlite3_column_int(hh, 8) != 0,
                        .prepaid_balance = sqlite3_column_int64(hh, 9),
                        .owner = column_text(hh, 11),
                        .visit_since = column_text_or_null(hh, 12),
                        .visit_reason = column_text_or_null(hh, 13),
                };

                r = read_charges(s, d.household_id, &charges, &total);
                if (r < 0)
                        return r;
                /* what was paid: balance = charges − payments */
                if (!debtor_settle(&d, charges.items, charges.n, total - balance, q->today,
                                   &q->late_fee, &charges.periods))
                        continue;
                if (charges.periods.oom)
                        return -ENOMEM;
                if (promise_s)
                        (void) date_parse(promise_s, &promise);
                d.promise_day = promise;
                d.stored_category = category_from_string(column_text(hh, 5));
                if (d.stored_category < 0)
                        d.stored_category = CATEGORY_NEW;
                d.category = debtor_effective_category(d.stored_category, promise, q->today);
                if (!debtor_matches(&d, q))
                        continue;
                r = each(&d, userdata);
                if (r < 0)
                        return r;
                r = 0;
        }
        return r;
}
