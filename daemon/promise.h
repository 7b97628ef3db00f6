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

/* A promise whose day has come or passed, as planning finds it: kept when nothing is owed
 * any more, broken from the day after its day with money still owed. (A promise paid
 * before its day was closed by that payment: promise_paid().) */
PromiseVerdict promise_verdict(int64_t promise_day, int64_t balance, int64_t today);

/* After a payment: whether it kept the promise. promise_owed is what is still owed against
 * it (fen; the store draws it down with every payment), balance what the household owes. */
bool promise_paid(int64_t promise_owed, int64_t balance);

/* The category history's reason, naming the promise's day: "承诺 2026-12-08 缴费，已兑现
 * (promise of 2026-12-08 kept)". */
const char *promise_note(PromiseVerdict v, int64_t promise_day, char *buf, size_t len);
