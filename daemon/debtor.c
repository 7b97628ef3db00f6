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

bool debtor_prepaid_used_up(const Debtor *d) {
        return d->prepaid && d->prepaid_balance <= 0;
}

bool debtor_settle(Debtor *d, const DebtorCharge *charges, size_t n, int64_t paid,
                   int64_t today, const LateFeeRule *late_fee, Buf *periods) {
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
                if (c->due_day >= 0 && c->due_day < today)
                        d->overdue += unpaid;
                d->late_fee += money_late_fee(late_fee, unpaid, c->due_day, today);
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
