/* SPDX-License-Identifier: MIT */
#pragma once

/* A token bucket per carrier: `rate` messages per second on average, at most `burst` at
 * once — so no one-second window holds more than rate + burst. Times are µs of the
 * caller's clock (the dispatcher's CLOCK_REALTIME). */

#include <errno.h>
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


/* The bucket paces when sends may be claimed; a request leaves after the claim's commit,
 * a little later by a varying amount, which can push more than rate + burst sends into
 * one second as the carrier counts them. The window guard keeps the send times of the
 * last rate + burst messages and allows a new one only when the oldest of them left more
 * than a second (plus a margin for that delay) ago. */
typedef struct WindowGuard {
        uint64_t *at;           /* a ring of the last `limit` send times, µs */
        size_t limit, n, head;
        uint64_t window_usec;
} WindowGuard;

/* limit 0 (or beyond WINDOW_GUARD_MAX): no guard. Returns 0 or -ENOMEM. */
#define WINDOW_GUARD_MAX 100000
int window_guard_init(WindowGuard *g, size_t limit, uint64_t window_usec);
void window_guard_done(WindowGuard *g);
/* How many sends the window allows at now (SIZE_MAX without a guard); when none, *ret_until
 * is when one will be. */
size_t window_guard_room(const WindowGuard *g, uint64_t now, uint64_t *ret_until);
/* A message left at `at`. */
void window_guard_note(WindowGuard *g, uint64_t at);
