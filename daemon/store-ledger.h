/* SPDX-License-Identifier: MIT */
#pragma once

/* Money the store holds: charges (what a household owes per period) and payments, in
 * integer fen. This module is their one writer, and keeps households.balance (charges −
 * payments), which the debtor selection walks, in step with every write. */

#include <stdbool.h>
#include <stdint.h>

#include "store-household.h"

typedef struct ChargeRecord {
        const char *period;             /* "2026-11" */
        int64_t fen;                    /* > 0 */
        int64_t due_day;
} ChargeRecord;

/* Adds the charges of a household's periods, or updates their amounts and due dates;
 * ret[i] tells what happened to rows[i]. Inside a transaction. */
int store_charges_upsert(Store *s, int64_t household_id, const ChargeRecord *rows, size_t n,
                         StoreChange *ret);

typedef struct PaymentRecord {
        int64_t household_id;
        int64_t fen;                    /* > 0 */
        int64_t paid_day;
        const char *method;             /* "" when unknown */
        const char *reference;          /* the payment's reference number, "" when none */
        /* what makes a repeated row the same payment: the reference when there is one */
        const char *dedup_key;
} PaymentRecord;

/* The one way payments are recorded (dunnctl pay and imports): rows[0..n) of one
 * household; ret_added[i] is false when a payment with rows[i]'s dedup key is already there
 * (nothing is written for it then). */
int store_payments_add(Store *s, const PaymentRecord *rows, size_t n, const char *now,
                       bool *ret_added);
/* The same for one payment. */
int store_payment_add(Store *s, const PaymentRecord *p, const char *now, bool *ret_added);

/* The recorded payment with this dedup key: 1 with its amount and day, 0 when there is
 * none, or a negative errno. */
int store_payment_find(Store *s, int64_t household_id, const char *dedup_key, int64_t *ret_fen,
                       int64_t *ret_paid_day);

/* Recomputes every household's balance from its charges and payments (after writes that
 * did not come through this module). Returns how many were wrong, or a negative errno. */
int store_ledger_recount(Store *s);

/* What the household owes right now (charges − payments, fen; <= 0 when nothing). */
int store_household_balance(Store *s, int64_t household_id, int64_t *ret_owed);

/* A billed period's charge (dunnctl bill): added only when the household has no charge for
 * that period yet (*ret_added false otherwise, and nothing is written), so billing a period
 * twice changes nothing. Inside a transaction. */
int store_charge_add_new(Store *s, int64_t household_id, const ChargeRecord *c, bool *ret_added);

/* Pays fen of a household's charge from its advance (预付款): a payment with method
 * PREPAID_DRAW_METHOD and the given dedup key, and prepaid_balance lowered by as much.
 * -ERANGE when the advance holds less; *ret_added false when a payment with that key is
 * there already (nothing written). Inside a transaction. */
#define PREPAID_DRAW_METHOD "预付款抵扣"
int store_prepaid_draw(Store *s, int64_t household_id, int64_t fen, int64_t day,
                       const char *dedup_key, const char *now, bool *ret_added);
