/* SPDX-License-Identifier: MIT */
#pragma once

/* Who owes what. Payments are applied to the oldest charges first, so "days overdue"
 * counts from the oldest charge not fully paid. A household whose payments cover its
 * charges is never a debtor. The arithmetic here is pure; store-debtor.c feeds it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "category.h"
#include "money.h"
#include "store.h"

typedef struct Debtor {
        int64_t household_id;
        /* Strings: borrowed from the store for the length of a debtors_each() callback. */
        const char *unit;
        const char *building;
        const char *property_type;
        const char *owner;              /* primary owner's name, "" if none */
        const char *staff;
        const char *periods;            /* unpaid periods, "2026-10、2026-11" */
        Category category;              /* effective: a broken promise counts as unclear */
        Category stored_category;
        int64_t promise_day;            /* day number, -1 if none */
        const char *visit_since;        /* a door visit is owed since (store timestamp), or NULL */
        const char *visit_reason;       /* and why ("所有手机号无效 …"), or NULL */
        bool prepaid;
        bool vacant;
        int64_t prepaid_balance;        /* fen */
        int64_t owed;                   /* fen, > 0 */
        int64_t overdue;                /* fen of charges already past their due date */
        int64_t late_fee;               /* fen accrued on overdue charges */
        int64_t earliest_due_day;       /* due date of the oldest unpaid charge */
        int days_overdue;               /* today - earliest_due_day; negative = not yet due */
        char *owned;                    /* the strings' memory when a caller keeps a copy */
} Debtor;

typedef struct DebtorQuery {
        int64_t today;                  /* day number of "now" in the estate's zone */
        unsigned categories;            /* bit set of Category; 0 = every category */
        const char *unit;               /* NULL = all */
        char *const *buildings;         /* NULL-terminated; NULL = all */
        int min_overdue_days;           /* INT_MIN = no limit */
        bool promise_eve;               /* promised, with the promise date tomorrow */
        LateFeeRule late_fee;           /* 滞纳金 as the config sets it (zero: none) */
} DebtorQuery;

/* One charge of a household, in the order payments settle them (due date, then period). */
typedef struct DebtorCharge {
        const char *period;
        int64_t amount;                 /* fen */
        int64_t due_day;                /* -1 if unknown */
} DebtorCharge;

/* A prepaid payer whose advance (prepaid_balance) is used up: `dunnctl bill` draws the
 * advance down, and the owner reads the prepaid text only once it is gone. */
bool debtor_prepaid_used_up(const Debtor *d);

/* The effective category: promised with a promise date already past is unclear. */
Category debtor_effective_category(Category stored, int64_t promise_day, int64_t today);

/* Applies paid (fen) to the charges oldest first and fills in d's debt figures (the late
 * fee by money_late_fee() per unpaid charge, summed); the unpaid periods are written to
 * periods and d->periods points there. Returns false when nothing
 * is owed (an overpayment does not make a debtor). */
bool debtor_settle(Debtor *d, const DebtorCharge *charges, size_t n, int64_t paid,
                   int64_t today, const LateFeeRule *late_fee, Buf *periods);

/* Whether a settled debtor passes the query's filters (categories, buildings, overdue
 * days, promise eve; the unit filter is the store's). */
bool debtor_matches(const Debtor *d, const DebtorQuery *q);

/* Called once per debtor, in unit order (numbers in unit codes compare as numbers: 3-2-1201
 * before 10-1-101). Return 0 to go on, or a negative errno to stop with it. */
typedef int (*debtor_each_t)(const Debtor *d, void *userdata);

/* Every debtor matching q, streamed: memory does not grow with the estate. */
int debtors_each(Store *s, const DebtorQuery *q, debtor_each_t each, void *userdata);

