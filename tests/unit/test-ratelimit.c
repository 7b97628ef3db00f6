/* SPDX-License-Identifier: MIT */

/* The token bucket: rate on average, never more than burst at once, however long it was
 * idle — the property that keeps a carrier's limit when the daemon wakes after a night. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "macro.h"
#include "ratelimit.h"

#define SEC 1000000ULL
#define T0 (1765600000ULL * SEC)

/* The most sends (times in order) in any one-second window. */
static size_t busiest_second(const uint64_t *t, size_t n) {
        size_t most = 0;

        for (size_t i = 0, j = 0; i < n; i++) {
                while (j < n && t[j] < t[i] + SEC)
                        j++;
                if (j - i > most)
                        most = j - i;
        }
        return most;
}

static void test_fresh_bucket_holds_burst(void **state) {
        TokenBucket b;

        (void) state;
        token_bucket_init(&b, 20, 5);
        assert_int_equal(token_bucket_available(&b, T0), 5);
        token_bucket_consume(&b, 5);
        assert_int_equal(token_bucket_available(&b, T0), 0);
        /* the next token after 1/20 s, not a microsecond earlier */
        assert_int_equal(token_bucket_wait(&b, T0), SEC / 20 + 1);
        assert_int_equal(token_bucket_available(&b, T0 + SEC / 20 - 1), 0);
        assert_int_equal(token_bucket_available(&b, T0 + SEC / 20 + 1), 1);
}

static void test_idle_does_not_save_up(void **state) {
        TokenBucket b;

        (void) state;
        token_bucket_init(&b, 20, 5);
        token_bucket_consume(&b, token_bucket_available(&b, T0));
        /* a night idle: still only burst at once */
        assert_int_equal(token_bucket_available(&b, T0 + 8 * 3600 * SEC), 5);
        token_bucket_consume(&b, 5);
        assert_int_equal(token_bucket_available(&b, T0 + 8 * 3600 * SEC), 0);
        /* burst 0 means 1: a token at a time */
        token_bucket_init(&b, 1, 0);
        assert_int_equal(token_bucket_available(&b, T0 + 100 * SEC), 1);
}

static void test_wait(void **state) {
        TokenBucket b;

        (void) state;
        token_bucket_init(&b, 2, 1);
        assert_int_equal(token_bucket_wait(&b, T0), 0);
        token_bucket_consume(&b, 1);
        assert_int_equal(token_bucket_wait(&b, T0), SEC / 2 + 1);
        /* asking takes nothing */
        assert_int_equal(token_bucket_wait(&b, T0 + SEC / 4), SEC / 4 + 1);
        assert_int_equal(token_bucket_available(&b, T0 + SEC / 2 + 1), 1);
}

static void test_unlimited(void **state) {
        TokenBucket b;

        (void) state;
        token_bucket_init(&b, 0, 0);
        assert_int_equal(token_bucket_available(&b, T0), SIZE_MAX);
        token_bucket_consume(&b, 1000000);
        assert_int_equal(token_bucket_available(&b, T0), SIZE_MAX);
        assert_int_equal(token_bucket_wait(&b, T0), 0);
}

/* A sender that takes every token the moment it is there, for 30 simulated seconds after
 * an idle hour: no one-second window holds more than rate + burst, and the average is the
 * rate. */
static void test_no_window_above_rate_plus_burst(void **state) {
        enum { RATE = 50, BURST = 10, SECONDS = 30 };
        static uint64_t sent_at[RATE * SECONDS + BURST + 100];
        TokenBucket b;
        uint64_t t = T0 + 3600 * SEC, end = t + SECONDS * SEC;
        size_t n = 0, max_window = 0;

        (void) state;
        token_bucket_init(&b, RATE, BURST);
        (void) token_bucket_available(&b, T0);
        while (t < end) {
                size_t k = token_bucket_available(&b, t);

                if (k > 0) {
                        token_bucket_consume(&b, k);
                        for (size_t i = 0; i < k; i++)
                                sent_at[n++] = t;
                }
                t += token_bucket_wait(&b, t);
        }
        max_window = busiest_second(sent_at, n);
        assert_true(max_window <= RATE + BURST);
        assert_true(max_window >= RATE);
        /* the average: burst at the start, then the rate */
        assert_true(n >= (size_t) RATE * SECONDS && n <= (size_t) RATE * SECONDS + BURST + 1);
}

/* The same sender, but every wake-up is late by up to most of an interval (a busy loop, a
 * commit): the rate is still met, and still no window above rate + burst. */
static void test_late_wakeups_keep_the_rate(void **state) {
        enum { RATE = 200, BURST = 1, SECONDS = 20 };
        static uint64_t sent_at[RATE * SECONDS + 100];
        TokenBucket b;
        uint64_t t = T0, end = T0 + SECONDS * SEC, lcg = 12345;
        size_t n = 0, max_window = 0;

        (void) state;
        token_bucket_init(&b, RATE, BURST);
        while (t < end) {
                size_t k = token_bucket_available(&b, t);

                if (k > 0) {
                        token_bucket_consume(&b, k);
                        for (size_t i = 0; i < k && n < ELEMENTSOF(sent_at); i++)
                                sent_at[n++] = t;
                }
                lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
                /* 0 to 90 % of an interval (5 ms) late */
                t += token_bucket_wait(&b, t) + (lcg >> 33) % (SEC / RATE * 9 / 10);
        }
        max_window = busiest_second(sent_at, n);
        assert_true(max_window <= RATE + BURST);
        /* within 2 % of the rate (it was 8 % under before the refill kept the schedule) */
        assert_true(n >= (size_t) (RATE * SECONDS * 0.98));
}

/* The bucket paces the claims; each request then leaves after its claim's commit, 0 to 9 ms
 * later. The guard keeps what the carrier sees within rate + burst per second anyway. */
static void test_guard_absorbs_send_jitter(void **state) {
        enum { RATE = 200, BURST = 1, SECONDS = 20 };
        static uint64_t sent_at[RATE * SECONDS + 100];
        TokenBucket b;
        WindowGuard g;
        uint64_t t = T0, end = T0 + SECONDS * SEC, lcg = 99, until;
        size_t n = 0, max_window = 0;

        (void) state;
        token_bucket_init(&b, RATE, BURST);
        assert_int_equal(window_guard_init(&g, RATE + BURST, SEC + 10000), 0);
        while (t < end && n < ELEMENTSOF(sent_at)) {
                size_t k = token_bucket_available(&b, t), room = window_guard_room(&g, t, &until);

                if (k > 0 && room > 0) {
                        token_bucket_consume(&b, 1);
                        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
                        sent_at[n] = t + (lcg >> 33) % 9000;
                        window_guard_note(&g, sent_at[n]);
                        n++;
                        continue;
                }
                t += k == 0 ? token_bucket_wait(&b, t) : until - t;
        }
        /* send times are not in order any more: sort them as the carrier sees them */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && sent_at[j - 1] > sent_at[j]; j--) {
                        uint64_t x = sent_at[j];
                        sent_at[j] = sent_at[j - 1];
                        sent_at[j - 1] = x;
                }
        max_window = busiest_second(sent_at, n);
        assert_true(max_window <= RATE + BURST);
        assert_true(n >= (size_t) (RATE * SECONDS * 0.98));
        window_guard_done(&g);
}

static void test_guard_room(void **state) {
        WindowGuard g;
        uint64_t until;

        (void) state;
        assert_int_equal(window_guard_init(&g, 3, SEC), 0);
        assert_int_equal(window_guard_room(&g, T0, &until), 3);
        window_guard_note(&g, T0);
        window_guard_note(&g, T0 + 100);
        assert_int_equal(window_guard_room(&g, T0 + 200, &until), 1);
        window_guard_note(&g, T0 + 200);
        assert_int_equal(window_guard_room(&g, T0 + 300, &until), 0);
        assert_int_equal(until, T0 + SEC + 1);
        assert_int_equal(window_guard_room(&g, T0 + SEC + 1, &until), 1);
        assert_int_equal(window_guard_room(&g, T0 + SEC + 201, &until), 3);
        window_guard_done(&g);
        /* no limit: no guard */
        assert_int_equal(window_guard_init(&g, 0, SEC), 0);
        assert_int_equal(window_guard_room(&g, T0, &until), SIZE_MAX);
        window_guard_note(&g, T0);
        window_guard_done(&g);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fresh_bucket_holds_burst),
                cmocka_unit_test(test_idle_does_not_save_up),
                cmocka_unit_test(test_wait),
                cmocka_unit_test(test_unlimited),
                cmocka_unit_test(test_no_window_above_rate_plus_burst),
                cmocka_unit_test(test_late_wakeups_keep_the_rate),
                cmocka_unit_test(test_guard_room),
                cmocka_unit_test(test_guard_absorbs_send_jitter),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
