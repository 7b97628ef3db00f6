/* SPDX-License-Identifier: MIT */
#pragma once

/* The rule for a promise to pay (承诺缴费): it is kept once what was owed when it was made
 * is paid, or nothing is owed any more; it is broken only when its day has passed with
 * that money still owed. Pure: the store applies it (store-household.c at planning time,
 * store-ledger.c when a payment comes in) and writes the history lines this makes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PromiseVerdict {
        PROMISE_OPEN,           /* its day has not passed, and money is still owed */
        PROMISE_KEPT,
        PROMISE_BROKEN,
} PromiseVerdict;

/* promise_owed: fen still owed against the promise, or -1 when the store did not record
 * it (a promise made before schema 4): the balance then decides alone. */
PromiseVerdict promise_verdict(int64_t promise_day, int64_t balance, int64_t promise_owed,
                               int64_t today);

/* The category history's reason, naming the promise's day: "承诺 2026-12-08 缴费，已兑现
 * (promise of 2026-12-08 kept)". */
const char *promise_note(PromiseVerdict v, int64_t promise_day, char *buf, size_t len);
