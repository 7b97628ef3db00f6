/* SPDX-License-Identifier: MIT */

/* The dispatcher's group commit, driven on a real sd-event loop with a local carrier whose
 * deliver() looks into the store at the moment of each send: a carrier never has more rows
 * `sending` than its concurrency (the bound on `unknown` after kill -9), answers share
 * commits, an outcome the store cannot take is kept and written later, nothing is sent
 * twice, and a paused carrier's rows count no attempts. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "dispatch.h"
#include "store-household.h"
#include "store-peer.h"
#include "store-ledger.h"
#include "store-occurrence.h"
#include "store-outbox.h"

#define NOW "2026-12-14T01:30:00Z"
#define N_ROWS 60

typedef struct Fixture {
        char dir[64], path[128];
        Store *store;
        sqlite3 *other;                 /* a second connection: an ops person's sqlite3 */
        int64_t occurrence;
        /* what the carrier saw */
        unsigned delivered[N_ROWS + 1]; /* per dispatch id */
        unsigned max_sending;
        unsigned n_delivered;
        uint64_t at[N_ROWS * 2];
        enum dunnd_outcome_class answer;
        unsigned lock_after;            /* take the write lock after this many sends */
        bool locked;
        /* the loop */
        sd_event *event;
        Dispatcher *dispatcher;
        DispatchStats stats;
        unsigned progress_calls;
} Fixture;

static Fixture *fixture;

static int count_sending(Fixture *f) {
        sqlite3_stmt *st = NULL;
        int n = -1;

        assert_int_equal(sqlite3_prepare_v2(f->store->db, "SELECT COUNT(*) FROM dispatches WHERE"
                                            " status = 'sending'", -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return n;
}

/* The carrier: each send checks the store's `sending` rows at that moment. */
static void deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        Fixture *f = state;
        unsigned sending = (unsigned) count_sending(f);

        assert_true(m->dispatch_id >= 1 && m->dispatch_id <= N_ROWS);
        f->delivered[m->dispatch_id]++;
        f->at[f->n_delivered++] = now_realtime_usec();
        if (sending > f->max_sending)
                f->max_sending = sending;
        *out = (struct dunnd_outcome) { .klass = f->answer };
        snprintf(out->message_id, sizeof(out->message_id), "id-%llu", (unsigned long long) m->dispatch_id);
        if (f->answer == DUNND_OUTCOME_TRANSIENT)
                snprintf(out->error, sizeof(out->error), "503 busy");
        if (f->lock_after && f->n_delivered == f->lock_after) {
                /* someone holds the database: the next commits fail */
                assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
                f->locked = true;
        }
}

static const struct dunnd_carrier test_api = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "test",
        .deliver = deliver,
};

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        char err[256];

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-dispatch.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
        if (store_open(f->path, STORE_OPEN_CREATE, &f->store, err, sizeof(err)) < 0)
                return -1;
        /* a locked database fails fast here, not after the real 10 s */
        sqlite3_busy_timeout(f->store->db, 20);
        if (sqlite3_open(f->path, &f->other) != SQLITE_OK)
                return -1;
        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(store_occurrence_insert(f->store, &(OccurrenceRecord) {
                                 .key = "s@2026-12-14T09:30", .schedule = "s", .at = "x",
                                 .origin = "test", .channels = "sms",
                         }, NOW, &f->occurrence), 0);
        for (int i = 1; i <= N_ROWS; i++) {
                char unit[32], phone[32];
                HouseholdRecord h = { .unit = unit, .building = "9", .property_type = "多层",
                                      .owner = "王", .phone = phone };
                StoreChange c;
                int64_t id;

                snprintf(unit, sizeof(unit), "9-1-%d", i);
                snprintf(phone, sizeof(phone), "1390000%04d", i);
                assert_int_equal(store_household_upsert(f->store, &h, NOW, &c), 0);
                assert_int_equal(store_household_find(f->store, unit, &id), 0);
                assert_int_equal(store_charges_upsert(f->store, id, &(ChargeRecord) { "2026-11", 10620, 20407 }, 1, &c), 0);
                assert_int_equal(store_outbox_add(f->store, &(OutboxPlanned) {
                                         .occurrence_id = f->occurrence, .household_id = id,
                                         .channel = "sms", .recipient = phone, .recipient_name = "王",
                                         .category = "new", .template_name = "t/text",
                                         .text = "您的物业费账单…", .parts = 1, .amount = 10620,
                                 }, NOW), 0);
        }
        assert_int_equal(store_commit(f->store), 0);
        f->answer = DUNND_OUTCOME_SENT;
        fixture = f;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];

        sqlite3_close(f->other);
        store_close(f->store);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static void on_progress(DispatchRun *run, unsigned done, unsigned total, void *userdata) {
        Fixture *f = userdata;

        (void) run;
        assert_true(done <= total);
        f->progress_calls++;
}

static void on_done(DispatchRun *run, void *userdata) {
        Fixture *f = userdata;

        f->stats = *dispatch_run_stats(run);
        (void) sd_event_exit(f->event, 0);
}

/* Releases the lock a while after it was taken. */
static int on_unlock(sd_event_source *s, uint64_t usec, void *userdata) {
        Fixture *f = userdata;

        (void) s;
        (void) usec;
        if (f->locked) {
                assert_int_equal(sqlite3_exec(f->other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
                f->locked = false;
        }
        return 0;
}

static int on_stop(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        dispatcher_stop(((Fixture *) userdata)->dispatcher);
        return 0;
}

/* Runs the occurrence through one carrier to the end (or until stop_after_usec). */
static DispatchCommits run(Fixture *f, ConfigCarrier *cc, uint64_t unlock_after_usec,
                           uint64_t stop_after_usec) {
        Carrier c = { .name = (char *) "test", .channel = (char *) "sms", .api = &test_api,
                      .state = f, .config = cc };
        CarrierSet set = { .carriers = &c, .n = 1 };
        DispatchHooks hooks = { .progress = on_progress, .done = on_done, .userdata = f };
        DispatchCommits commits;
        uint64_t now;

        token_bucket_init(&c.bucket, cc->rate, cc->burst);
        breaker_init(&c.breaker, cc->failure_threshold, cc->pause_sec * 1000000ULL);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(dispatcher_new(f->event, f->store, &f->dispatcher), 0);
        assert_int_equal(dispatcher_start(f->dispatcher, &set, f->occurrence, "s@2026-12-14T09:30",
                                          &hooks, NULL), 0);
        assert_true(sd_event_now(f->event, CLOCK_MONOTONIC, &now) >= 0);
        if (unlock_after_usec)
                assert_int_equal(sd_event_add_time(f->event, NULL, CLOCK_MONOTONIC,
                                                   now + unlock_after_usec, 0, on_unlock, f), 0);
        if (stop_after_usec)
                assert_int_equal(sd_event_add_time(f->event, NULL, CLOCK_MONOTONIC,
                                                   now + stop_after_usec, 0, on_stop, f), 0);
        assert_int_equal(sd_event_loop(f->event), 0);
        commits = *dispatcher_commits(f->dispatcher);
        f->dispatcher = dispatcher_free(f->dispatcher);
        f->event = sd_event_unref(f->event);
        return commits;
}

static ConfigCarrier carrier_config(unsigned concurrency) {
        return (ConfigCarrier) { .concurrency = concurrency, .max_attempts = 5,
                                 .max_age_sec = 3600, .failure_threshold = 5, .pause_sec = 60,
                                 .retry_base_sec = 5 };
}

static void assert_each_sent_once(Fixture *f) {
        for (int i = 1; i <= N_ROWS; i++)
                assert_int_equal(f->delivered[i], 1);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sent'"
                                      " AND carrier_message_id = 'id-' || id"), N_ROWS);
}

/* concurrency 4: never more than 4 rows `sending`, and the answers of a claim share one
 * commit with the next claim — about a quarter as many transactions as messages. */
static void test_bound_and_group_commit(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(4);
        DispatchCommits k = run(f, &cc, 0, 0);

        assert_each_sent_once(f);
        assert_int_equal(f->stats.sent, N_ROWS);
        assert_true(f->max_sending >= 1 && f->max_sending <= 4);
        assert_true(k.max_sending <= 4);
        assert_int_equal(k.outcomes, N_ROWS);
        assert_int_equal(k.claims, N_ROWS);
        assert_int_equal(k.failed, 0);
        /* N_ROWS / 4 claims, the last commit records the last answers */
        assert_true(k.transactions >= N_ROWS / 4 && k.transactions <= N_ROWS / 4 + 2);
        assert_true(f->progress_calls > 0);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM occurrences"), 1);
}

/* concurrency 1: one row at a time, one commit per message (record + next claim). */
static void test_one_at_a_time(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(1);
        DispatchCommits k = run(f, &cc, 0, 0);

        assert_each_sent_once(f);
        assert_int_equal(f->max_sending, 1);
        assert_true(k.transactions >= N_ROWS && k.transactions <= N_ROWS + 1);
}

/* The database is locked mid-run: the answers stay in memory (nothing claimed meanwhile,
 * so nothing sent without its mark), then are written when it is free; each row once. */
static void test_locked_store_keeps_outcomes(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(4);
        DispatchCommits k;

        f->lock_after = 10;
        k = run(f, &cc, 1500 * 1000ULL, 0);
        assert_false(f->locked);
        assert_true(k.failed >= 1);
        assert_each_sent_once(f);
        assert_true(f->max_sending <= 4);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status != 'sent'"), 0);
}

/* rate 100/s, burst 3: the sends are paced, no one-second window above rate + burst. */
static void test_rate(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(8);
        size_t max_window = 0;
        double took;

        cc.rate = 100;
        cc.burst = 3;
        (void) run(f, &cc, 0, 0);
        assert_each_sent_once(f);
        for (size_t i = 0, j = 0; i < f->n_delivered; i++) {
                while (j < f->n_delivered && f->at[j] < f->at[i] + 1000000ULL)
                        j++;
                if (j - i > max_window)
                        max_window = j - i;
        }
        took = (double) (f->at[f->n_delivered - 1] - f->at[0]) / 1e6;
        assert_true(max_window <= 103);
        /* 60 messages, 3 at once, then 100/s: about 0.57 s */
        assert_true(took > 0.5 && took < 1.5);
}

/* The carrier keeps failing: two failures trip the breaker, and the rows answered while it
 * is open count no attempt. */
static void test_outage_counts_no_attempts(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(1);

        cc.failure_threshold = 2;
        f->answer = DUNND_OUTCOME_TRANSIENT;
        (void) run(f, &cc, 0, 300 * 1000ULL);
        assert_true(f->stats.carrier_paused);
        /* two sends, then the pause: nothing more went out */
        assert_int_equal(f->n_delivered, 2);
        assert_int_equal(store_peer_int(f->store, "SELECT attempts FROM dispatches WHERE id = 1"), 1);
        assert_int_equal(store_peer_int(f->store, "SELECT attempts FROM dispatches WHERE id = 2"), 0);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'retry'"), 2);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'"), N_ROWS - 2);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'"), 0);
        assert_true(f->stats.stopped);
}

/* A refusal (no balance): one request refused, the carrier paused, the rows stay pending
 * and nothing counts as an attempt. */
static void test_refusal_requeues(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(4);

        f->answer = DUNND_OUTCOME_CARRIER_FAILURE;
        (void) run(f, &cc, 0, 300 * 1000ULL);
        assert_true(f->stats.carrier_refused);
        assert_true(f->n_delivered <= 4);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'"
                                      " AND attempts = 0"), N_ROWS);
}

/* The occurrence's channels are sms and email, but the carriers serve only sms (a reload
 * took the e-mail carrier away): the sms rows go, the e-mail rows wait (said once), and the
 * run does not spin. Without e-mail rows the run just ends. */
static void test_channel_without_carrier(void **state) {
        Fixture *f = *state;
        ConfigCarrier cc = carrier_config(4);
        DispatchCommits k;

        assert_int_equal(store_exec(f->store, "UPDATE occurrences SET channels = 'sms,email'"), 0);
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET channel = 'email' WHERE id > 50"), 0);
        k = run(f, &cc, 0, 400 * 1000ULL);
        assert_int_equal(f->n_delivered, 50);
        assert_true(f->stats.carrier_paused);
        assert_true(f->stats.stopped);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'pending'"
                                                  " AND channel = 'email'"), 10);
        /* about 50 / 4 commits, not one per loop iteration while it waited */
        assert_true(k.transactions < 30);
        /* no e-mail rows: the same run simply ends */
        assert_int_equal(store_exec(f->store, "DELETE FROM dispatches WHERE channel = 'email'"), 0);
        f->n_delivered = 0;
        memset(f->delivered, 0, sizeof(f->delivered));
        (void) run(f, &cc, 0, 0);
        assert_int_equal(f->n_delivered, 0);
        assert_false(f->stats.stopped);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_bound_and_group_commit),
                T(test_one_at_a_time),
                T(test_locked_store_keeps_outcomes),
                T(test_rate),
                T(test_outage_counts_no_attempts),
                T(test_refusal_requeues),
                T(test_channel_without_carrier),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
