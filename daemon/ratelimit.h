/* SPDX-License-Identifier: MIT */
#pragma once

/* A token bucket per carrier: `rate` messages per second on average, at most `burst` at
 * once — so no one-second window holds more than rate + burst. Times are µs of the
 * caller's clock (the dispatcher's CLOCK_REALTIME). */

#include <stddef.h>
#include <stdint.h>

typedef struct TokenBucket {
        double rate;            /* tokens per second; 0 = unlimited */
        double burst;           /* bucket size, at least 1 */
        double tokens;
        uint64_t last_usec;
} TokenBucket;

void token_bucket_init(TokenBucket *b, double rate, unsigned burst);

/* Whole tokens there are at now (SIZE_MAX when unlimited): never more than burst, however
 * long the bucket was idle. */
size_t token_bucket_available(TokenBucket *b, uint64_t now_usec);
/* Takes n tokens; the caller asked token_bucket_available() first. */
void token_bucket_consume(TokenBucket *b, size_t n);
/* µs until the next whole token (0 when one is there). */
uint64_t token_bucket_wait(TokenBucket *b, uint64_t now_usec);

/* Takes a token if one is there: returns 0. Otherwise takes nothing and returns how many µs
 * until one will be. */
uint64_t token_bucket_take(TokenBucket *b, uint64_t now_usec);
