/* SPDX-License-Identifier: MIT */
#pragma once

/* Who owes what: households with unpaid charges, computed from the store. Payments are
 * applied to the oldest charges first, so "days overdue" counts from the oldest charge not
 * fully paid. A household whose payments cover its charges is never a debtor. */

#include <stdbool.h>
#include <stdint.h>

#include "category.h"
#include "store.h"

typedef struct Debtor {
        int64_t household_id;
        char *unit;
        char *building;
        char *property_type;
        char *owner;                    /* primary owner's name, "" if none */
        char *staff;
        Category category;              /* effective: a broken promise counts as unclear */
        Category stored_category;
        int64_t promise_day;            /* day number, -1 if none */
        bool prepaid;
        bool vacant;
        int64_t prepaid_balance;        /* fen */
        int64_t owed;                   /* fen, > 0 */
        int64_t overdue;                /* fen of charges already past their due date */
        int64_t late_fee;               /* fen accrued on overdue charges */
        int64_t earliest_due_day;       /* due date of the oldest unpaid charge */
        int days_overdue;               /* today - earliest_due_day; negative = not yet due */
        char *periods;                  /* unpaid periods, "2026-10、2026-11" */
} Debtor;

typedef struct DebtorQuery {
        int64_t today;                  /* day number of "now" in the estate's zone */
        unsigned categories;            /* bit set of Category; 0 = every category */
        const char *unit;               /* NULL = all */
        char *const *buildings;         /* NULL-terminated; NULL = all */
        int min_overdue_days;           /* INT_MIN = no limit */
        bool promise_eve;               /* promised, with the promise date tomorrow */
        int late_fee_daily_permyriad;
} DebtorQuery;

/* The effective category: promised with a promise date already past is unclear. */
Category debtor_effective_category(Category stored, int64_t promise_day, int64_t today);

/* Selects the debtors matching q, ordered by unit (numbers in unit codes compare as
 * numbers: 3-2-1201 before 10-1-101). Returns 0 or a negative errno. */
int debtors_select(Store *s, const DebtorQuery *q, Debtor **ret, size_t *ret_n);
void debtors_free(Debtor *d, size_t n);

/* The amount a household still owes right now (charges - payments, fen; may be <= 0). */
int household_balance(Store *s, int64_t household_id, int64_t *ret_owed);
