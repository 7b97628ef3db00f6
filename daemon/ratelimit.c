/* SPDX-License-Identifier: MIT */

#include "ratelimit.h"

void token_bucket_init(TokenBucket *b, double rate, unsigned burst) {
        *b = (TokenBucket) {
                .rate = rate > 0 ? rate : 0,
                .burst = burst > 0 ? burst : 1,
        };
        /* a fresh bucket is full: the first `burst` messages go at once */
        b->tokens = b->burst;
}

static void refill(TokenBucket *b, uint64_t now_usec) {
        uint64_t from = now_usec;

        if (b->last_usec && now_usec > b->last_usec) {
                double over;

                b->tokens += (double) (now_usec - b->last_usec) * b->rate / 1e6;
                /* the cap: a bucket idle all night must not send a night's worth at once */
                over = b->tokens - b->burst;
                if (over > 0) {
                        b->tokens = b->burst;
                        /* A wake-up a little late (less than one token's time) keeps the
                         * schedule: the refill clock stays that much behind, so the next token
                         * is not late too. Without this, every late wake-up is lost and a
                         * bucket of burst 1 delivers ~8% under its rate. A window still never
                         * holds more than rate + burst: each token still comes one interval
                         * after the one before it. */
                        if (over < 1.0)
                                from = now_usec - (uint64_t) (over * 1e6 / b->rate);
                }
        }
        if (from > b->last_usec)
                b->last_usec = from;
}

size_t token_bucket_available(TokenBucket *b, uint64_t now_usec) {
        if (b->rate <= 0)
                return SIZE_MAX;
        refill(b, now_usec);
        return b->tokens >= 1.0 ? (size_t) b->tokens : 0;
}

void token_bucket_consume(TokenBucket *b, size_t n) {
        if (b->rate <= 0)
                return;
        b->tokens -= (double) n;
}

uint64_t token_bucket_wait(TokenBucket *b, uint64_t now_usec) {
        if (b->rate <= 0)
                return 0;
        refill(b, now_usec);
        if (b->tokens >= 1.0)
                return 0;
        /* round up: waking a microsecond early would find no token again */
        return (uint64_t) ((1.0 - b->tokens) * 1e6 / b->rate) + 1;
}

uint64_t token_bucket_take(TokenBucket *b, uint64_t now_usec) {
        uint64_t wait = token_bucket_wait(b, now_usec);

        if (wait == 0)
                token_bucket_consume(b, b->rate > 0 ? 1 : 0);
        return wait;
}
