/* SPDX-License-Identifier: MIT */

#include <stdlib.h>

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

int window_guard_init(WindowGuard *g, size_t limit, uint64_t window_usec) {
        *g = (WindowGuard) { .window_usec = window_usec };
        if (limit == 0 || limit > WINDOW_GUARD_MAX)
                return 0;
        g->at = calloc(limit, sizeof(*g->at));
        if (!g->at)
                return -ENOMEM;
        g->limit = limit;
        return 0;
}

void window_guard_done(WindowGuard *g) {
        free(g->at);
        *g = (WindowGuard) {};
}

/* The i-th most recent send time (0 = the latest). */
static uint64_t guard_recent(const WindowGuard *g, size_t i) {
        return g->at[(g->head + g->limit - 1 - i) % g->limit];
}

size_t window_guard_room(const WindowGuard *g, uint64_t now, uint64_t *ret_until) {
        size_t room = 0;

        *ret_until = 0;
        if (!g->at)
                return SIZE_MAX;
        if (g->n < g->limit)
                room = g->limit - g->n;
        /* the sends older than the window free their places, oldest first */
        for (size_t i = g->n; i > 0; i--) {
                uint64_t t = guard_recent(g, i - 1);

                if (t + g->window_usec > now) {
                        if (room == 0)
                                *ret_until = t + g->window_usec + 1;
                        break;
                }
                room++;
        }
        return room;
}

void window_guard_note(WindowGuard *g, uint64_t at) {
        if (!g->at)
                return;
        g->at[g->head] = at;
        g->head = (g->head + 1) % g->limit;
        if (g->n < g->limit)
                g->n++;
}
