/* SPDX-License-Identifier: MIT */

/* The circuit breaker: when it opens, how it tests the carrier again, and that it reports
 * each transition once — not once per request that was in flight when a carrier went down. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "breaker.h"

#define SEC 1000000ULL
#define T0 (1765600000ULL * SEC)

static void test_trips_after_threshold(void **state) {
        Breaker b;
        uint64_t until;

        (void) state;
        breaker_init(&b, 3, 60 * SEC);
        assert_int_equal(breaker_allowance(&b, T0, &until), SIZE_MAX);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0), BREAKER_NONE);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0), BREAKER_NONE);
        assert_false(breaker_is_open(&b, T0));
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0 + 1), BREAKER_TRIPPED);
        assert_true(breaker_is_open(&b, T0 + 1));
        assert_int_equal(breaker_allowance(&b, T0 + 2, &until), 0);
        assert_int_equal(until, T0 + 1 + 60 * SEC);
        /* the requests that were in flight fail too: no second trip, no longer pause */
        for (int i = 0; i < 10; i++)
                assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0 + 5), BREAKER_NONE);
        assert_int_equal(breaker_allowance(&b, T0 + 5, &until), 0);
        assert_int_equal(until, T0 + 1 + 60 * SEC);
}

static void test_success_resets_the_count(void **state) {
        Breaker b;

        (void) state;
        breaker_init(&b, 3, 60 * SEC);
        (void) breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0);
        (void) breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_SENT, T0), BREAKER_NONE);
        (void) breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0);
        (void) breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0);
        assert_false(breaker_is_open(&b, T0));
        /* a per-recipient cap, a wrong number or a refused text are answers, not outages */
        (void) breaker_record(&b, DUNND_OUTCOME_THROTTLED, T0);
        assert_int_equal(b.failures, 2);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_INVALID_RECIPIENT, T0), BREAKER_NONE);
        assert_int_equal(b.failures, 0);
}

static void test_half_open_probe(void **state) {
        Breaker b;
        uint64_t until, t;

        (void) state;
        breaker_init(&b, 1, 60 * SEC);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, T0), BREAKER_TRIPPED);
        t = T0 + 60 * SEC;
        /* the pause is over: one request tests the carrier, the rest wait for its answer */
        assert_int_equal(breaker_allowance(&b, t, &until), 1);
        breaker_started(&b, 1, t);
        assert_int_equal(breaker_allowance(&b, t, &until), 0);
        assert_int_equal(until, 0);
        assert_true(breaker_is_open(&b, t));
        /* it fails: another pause, reported again */
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_TRANSIENT, t + 10), BREAKER_TRIPPED);
        assert_int_equal(breaker_allowance(&b, t + 20, &until), 0);
        assert_int_equal(until, t + 10 + 60 * SEC);
        /* the next probe works: closed, everything may go */
        t = t + 10 + 60 * SEC;
        assert_int_equal(breaker_allowance(&b, t, &until), 1);
        breaker_started(&b, 1, t);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_SENT, t + 5), BREAKER_RECOVERED);
        assert_int_equal(breaker_allowance(&b, t + 5, &until), SIZE_MAX);
        assert_false(breaker_is_open(&b, t + 5));
}

static void test_refusal_alerts_once(void **state) {
        Breaker b;
        uint64_t until;

        (void) state;
        breaker_init(&b, 5, 30 * SEC);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_CARRIER_FAILURE, T0), BREAKER_REFUSED);
        /* eight more requests were out when the balance ran out: one alert, not nine */
        for (int i = 0; i < 8; i++)
                assert_int_equal(breaker_record(&b, DUNND_OUTCOME_CARRIER_FAILURE, T0 + 1), BREAKER_NONE);
        assert_int_equal(breaker_allowance(&b, T0 + 2, &until), 0);
        assert_int_equal(until, T0 + 30 * SEC);
        /* the probe after the pause is refused too: that is a new pause, a new alert */
        assert_int_equal(breaker_allowance(&b, T0 + 30 * SEC, &until), 1);
        breaker_started(&b, 1, T0 + 30 * SEC);
        assert_int_equal(breaker_record(&b, DUNND_OUTCOME_CARRIER_FAILURE, T0 + 31 * SEC),
                         BREAKER_REFUSED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trips_after_threshold),
                cmocka_unit_test(test_success_resets_the_count),
                cmocka_unit_test(test_half_open_probe),
                cmocka_unit_test(test_refusal_alerts_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
