/* SPDX-License-Identifier: MIT */
#pragma once

/* Billing a period (dunnctl bill): every household's charge from the fee standards,
 *
 *     amount = money_bill_amount(standard of its property type, area, months,
 *                                vacant ? fees.vacant_percent : 100)
 *
 * due on fees.due_day of the period's month, and prepaid households' advance drawn down
 * against it. All in one transaction, and idempotent: a household that already has a
 * charge for the period is left as it is (also its advance). A dry run reads only. */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "property.h"
#include "store.h"

#define BILL_PERIOD_BUFSZ 8     /* "YYYY-MM" */
#define BILL_MONTHS_MAX 24

typedef struct BillTotals {
        unsigned households;            /* billed now (or would be, in a dry run) */
        int64_t area_centi;
        int64_t fen;
        unsigned vacant;
} BillTotals;

typedef struct BillResult {
        BillTotals by_type[_PROPERTY_TYPE_MAX];
        BillTotals total;
        unsigned already_billed;        /* had a charge for the period: unchanged */
        unsigned no_area;               /* area 0: nothing to charge */
        unsigned no_standard;           /* property type without a fee standard */
        PropertyType missing_standard;  /* the first such type */
        unsigned prepaid_drawn;         /* households whose advance paid (part of) it */
        int64_t prepaid_fen;
        unsigned prepaid_used_up;       /* ... and whose advance is now gone with money owed */
} BillResult;

/* Checks "YYYY-MM" (month 01-12) and returns the period's due day for fees (the last day
 * of a shorter month). -EINVAL when period is not a month. */
int billing_due_day(const FeeStandards *fees, const char *period, int64_t *ret_day);

/* Bills period for months months. today: the day drawn advances are paid on. With
 * dry_run nothing is written. Returns 0; -ENOENT when a household's property type has no
 * fee standard (nothing written; ret->missing_standard says which); -EINVAL for a bad
 * period or months; or another negative errno. */
int billing_run(const Config *c, Store *s, const char *period, int months, bool dry_run,
                int64_t today, BillResult *ret);
