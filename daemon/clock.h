/* SPDX-License-Identifier: MIT */
#pragma once

/* The wall clock in µs, the one the dispatcher's wake-up timer, retry times and rate
 * limits share. The pure modules (ratelimit, breaker, outbox) take `now` as an argument
 * instead, so their tests inject time. */

#include <stdint.h>
#include <time.h>

static inline uint64_t now_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}
