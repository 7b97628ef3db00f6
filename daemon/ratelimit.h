/* SPDX-License-Identifier: MIT */
#pragma once

/* A token bucket per carrier: `rate` messages per second on average, at most `burst` at
 * once. Times are µs of CLOCK_REALTIME, the clock the event loop's wake-up timer uses. */

#include <stdint.h>

typedef struct TokenBucket {
        double rate;            /* tokens per second; 0 = unlimited */
        double burst;           /* bucket size, at least 1 */
        double tokens;
        uint64_t last_usec;
} TokenBucket;

void token_bucket_init(TokenBucket *b, double rate, unsigned burst);

/* Takes a token if one is there: returns 0. Otherwise takes nothing and returns how many µs
 * until one will be. */
uint64_t token_bucket_take(TokenBucket *b, uint64_t now_usec);

uint64_t now_realtime_usec(void);
