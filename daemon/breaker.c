/* SPDX-License-Identifier: MIT */

#include "breaker.h"

void breaker_init(Breaker *b, unsigned threshold, uint64_t pause_usec) {
        *b = (Breaker) { .threshold = threshold ? threshold : 1, .pause_usec = pause_usec };
}

size_t breaker_allowance(const Breaker *b, uint64_t now, uint64_t *ret_until) {
        *ret_until = 0;
        if (b->paused_until == 0)
                return SIZE_MAX;
        if (b->paused_until > now) {
                *ret_until = b->paused_until;
                return 0;
        }
        return b->probing ? 0 : 1;
}

void breaker_started(Breaker *b, size_t n, uint64_t now) {
        if (n > 0 && b->paused_until != 0 && b->paused_until <= now)
                b->probing = true;
}

static BreakerEvent open_for(Breaker *b, uint64_t now, BreakerEvent ev) {
        b->paused_until = now + b->pause_usec;
        if (b->paused_until == 0)
                b->paused_until = 1;
        b->probing = false;
        return ev;
}

BreakerEvent breaker_record(Breaker *b, enum dunnd_outcome_class k, uint64_t now) {
        bool open = b->paused_until > now, probe = b->probing;

        switch (k) {
        case DUNND_OUTCOME_TRANSIENT:
                b->failures++;
                /* the test request failed: another pause */
                if (probe)
                        return open_for(b, now, BREAKER_TRIPPED);
                /* already open: a request that was in flight when it opened */
                if (open || b->paused_until)
                        return BREAKER_NONE;
                if (b->failures >= b->threshold)
                        return open_for(b, now, BREAKER_TRIPPED);
                return BREAKER_NONE;
        case DUNND_OUTCOME_CARRIER_FAILURE:
                if (open && !probe)
                        return BREAKER_NONE;
                return open_for(b, now, BREAKER_REFUSED);
        case DUNND_OUTCOME_THROTTLED:
                /* a per-recipient cap says nothing about the carrier */
                return BREAKER_NONE;
        default:
                /* the carrier answered: it works */
                b->failures = 0;
                b->probing = false;
                if (b->paused_until) {
                        b->paused_until = 0;
                        return BREAKER_RECOVERED;
                }
                return BREAKER_NONE;
        }
}

bool breaker_is_open(const Breaker *b, uint64_t now) {
        return b->paused_until != 0 && (b->paused_until > now || b->probing);
}
