/* SPDX-License-Identifier: MIT */
#pragma once

/* Money the store holds: charges (what a household owes per period) and payments, in
 * integer fen. households.balance (charges − payments) follows from them by triggers. */

#include <stdbool.h>
#include <stdint.h>

#include "store-household.h"

/* Adds the charge of a period or updates its amount and due date. Inside a transaction. */
int store_charge_upsert(Store *s, int64_t household_id, const char *period, int64_t fen,
                        int64_t due_day, StoreChange *ret);

typedef struct PaymentRecord {
        int64_t household_id;
        int64_t fen;                    /* > 0 */
        int64_t paid_day;
        const char *method;             /* "" when unknown */
        const char *reference;          /* the payment's reference number, "" when none */
        /* what makes a repeated row the same payment: the reference when there is one */
        const char *dedup_key;
} PaymentRecord;

/* The one way a payment is recorded (dunnctl pay and imports). *ret_added is false when a
 * payment with the same dedup key is already there (nothing is written then). */
int store_payment_add(Store *s, const PaymentRecord *p, const char *now, bool *ret_added);

/* The recorded payment with this dedup key: 1 with its amount and day, 0 when there is
 * none, or a negative errno. */
int store_payment_find(Store *s, int64_t household_id, const char *dedup_key, int64_t *ret_fen,
                       int64_t *ret_paid_day);

/* What the household owes right now (charges − payments, fen; <= 0 when nothing). */
int store_household_balance(Store *s, int64_t household_id, int64_t *ret_owed);
