/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "debtor.h"
#include "money.h"
#include "store-debtor.h"

Category debtor_effective_category(Category stored, int64_t promise_day, int64_t today) {
        if (stored == CATEGORY_PROMISED && promise_day >= 0 && promise_day < today)
                return CATEGORY_UNCLEAR;
        return stored;
}

bool debtor_settle(Debtor *d, const DebtorCharge *charges, size_t n, int64_t paid,
                   int64_t today, int late_fee_daily_permyriad, Buf *periods) {
        int64_t credit = paid;
        bool any = false;

        d->owed = d->overdue = d->late_fee = 0;
        d->earliest_due_day = -1;
        d->days_overdue = 0;
        buf_clear(periods);
        for (size_t i = 0; i < n; i++) {
                const DebtorCharge *c = &charges[i];
                int64_t unpaid = c->amount - (credit < c->amount ? credit : c->amount);

                credit = credit > c->amount ? credit - c->amount : 0;
                if (unpaid <= 0)
                        continue;
                if (any)
                        buf_puts(periods, "、");
                buf_puts(periods, strempty(c->period));
                if (!any)
                        d->earliest_due_day = c->due_day;
                any = true;
                d->owed += unpaid;
                if (c->due_day >= 0 && c->due_day < today) {
                        d->overdue += unpaid;
                        d->late_fee += money_scale(unpaid * (today - c->due_day),
                                                   late_fee_daily_permyriad, 10000);
                }
        }
        d->periods = periods->data ? periods->data : "";
        if (!any || d->owed <= 0)
                return false;
        d->days_overdue = d->earliest_due_day >= 0 ? (int) (today - d->earliest_due_day) : 0;
        return true;
}

static bool in_list(const char *s, char *const *list) {
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

bool debtor_matches(const Debtor *d, const DebtorQuery *q) {
        if (q->categories && !(q->categories & (1u << d->category)))
                return false;
        if (q->buildings && !in_list(strempty(d->building), q->buildings))
                return false;
        if (q->min_overdue_days != INT_MIN && d->days_overdue < q->min_overdue_days)
                return false;
        if (q->promise_eve && !(d->category == CATEGORY_PROMISED && d->promise_day == q->today + 1))
                return false;
        return true;
}

int debtors_each(Store *s, const DebtorQuery *q, debtor_each_t each, void *userdata) {
        return store_debtors_each(s, q, each, userdata);
}

/* ---- the collected list ------------------------------------------------------------- */

typedef struct DebtorList {
        Debtor *items;
        size_t n, cap;
} DebtorList;

/* One allocation for a debtor's strings, so freeing the list is one free() per debtor. */
static int debtor_copy(const Debtor *src, Debtor *dst) {
        const char *fields[] = { src->unit, src->building, src->property_type, src->owner,
                                 src->staff, src->periods };
        const char **targets[] = { &dst->unit, &dst->building, &dst->property_type, &dst->owner,
                                   &dst->staff, &dst->periods };
        size_t len = 0, o = 0;

        *dst = *src;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                len += strlen(strempty(fields[i])) + 1;
        dst->owned = malloc(len);
        if (!dst->owned)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                size_t l = strlen(strempty(fields[i])) + 1;

                memcpy(dst->owned + o, strempty(fields[i]), l);
                *targets[i] = dst->owned + o;
                o += l;
        }
        return 0;
}

static int collect(const Debtor *d, void *userdata) {
        DebtorList *l = userdata;

        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                Debtor *n = realloc(l->items, cap * sizeof(Debtor));

                if (!n)
                        return -ENOMEM;
                l->items = n;
                l->cap = cap;
        }
        if (debtor_copy(d, &l->items[l->n]) < 0)
                return -ENOMEM;
        l->n++;
        return 0;
}

int debtors_select(Store *s, const DebtorQuery *q, Debtor **ret, size_t *ret_n) {
        DebtorList l = {};
        int r;

        r = debtors_each(s, q, collect, &l);
        if (r < 0) {
                debtors_free(l.items, l.n);
                return r;
        }
        *ret = l.items;
        *ret_n = l.n;
        return 0;
}

void debtors_free(Debtor *d, size_t n) {
        for (size_t i = 0; d && i < n; i++)
                free(d[i].owned);
        free(d);
}
