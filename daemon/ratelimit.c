/* SPDX-License-Identifier: MIT */

#include <time.h>

#include "ratelimit.h"

uint64_t now_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

void token_bucket_init(TokenBucket *b, double rate, unsigned burst) {
        *b = (TokenBucket) {
                .rate = rate > 0 ? rate : 0,
                .burst = burst > 0 ? burst : 1,
        };
        /* a fresh bucket is full: the first `burst` messages go at once */
        b->tokens = b->burst;
}

uint64_t token_bucket_take(TokenBucket *b, uint64_t now_usec) {
        if (b->rate <= 0)
                return 0;
        if (b->last_usec && now_usec > b->last_usec) {
                b->tokens += (double) (now_usec - b->last_usec) * b->rate / 1e6;
                if (b->tokens > b->burst)
                        b->tokens = b->burst;
        }
        b->last_usec = now_usec;
        if (b->tokens >= 1.0) {
                b->tokens -= 1.0;
                return 0;
        }
        /* round up: waking a microsecond early would find no token again */
        return (uint64_t) ((1.0 - b->tokens) * 1e6 / b->rate) + 1;
}
