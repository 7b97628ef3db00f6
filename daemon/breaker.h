/* SPDX-License-Identifier: MIT */
#pragma once

/* A carrier's circuit breaker. Closed, every request may go. `threshold` transient
 * failures in a row, or one carrier-wide refusal (credentials, balance, signature), open
 * it for `pause`: nothing goes. After the pause it is half-open: one request tests the
 * carrier; success closes it, another failure opens it again. Times are µs of the
 * caller's clock. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dunnd-carrier.h"

typedef struct Breaker {
        unsigned threshold;
        uint64_t pause_usec;
        unsigned failures;              /* transient failures in a row */
        uint64_t paused_until;          /* 0 = closed; in the past = half-open */
        bool probing;                   /* half-open and the test request is out */
} Breaker;

/* What a recorded outcome did to the breaker: the dispatcher logs transitions, once each,
 * not every straggler answered while the breaker is already open. */
typedef enum BreakerEvent {
        BREAKER_NONE,
        BREAKER_TRIPPED,                /* opened by transient failures */
        BREAKER_REFUSED,                /* opened by a carrier-wide refusal: an alert */
        BREAKER_RECOVERED,              /* closed again */
} BreakerEvent;

void breaker_init(Breaker *b, unsigned threshold, uint64_t pause_usec);

/* How many requests may start now: SIZE_MAX (closed), 1 (half-open, the test request) or 0
 * (open until *ret_until, or a test request is out: *ret_until = 0, its answer decides). */
size_t breaker_allowance(const Breaker *b, uint64_t now, uint64_t *ret_until);
/* n requests start now; in half-open that is the test request. */
void breaker_started(Breaker *b, size_t n, uint64_t now);

BreakerEvent breaker_record(Breaker *b, enum dunnd_outcome_class k, uint64_t now);

/* Open right now (an outage: a transient failure then counts no attempt). */
bool breaker_is_open(const Breaker *b, uint64_t now);
