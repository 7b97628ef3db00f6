/* SPDX-License-Identifier: MIT */

/* The outbox: what an outcome makes of a row (outbox.c, pure), and the transitions in the
 * store (store-outbox.c) on an in-memory database — claim, cancel, record, failover,
 * recovery, and the bounds of a claim. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "outbox.h"
#include "store-household.h"
#include "store-internal.h"
#include "store-peer.h"
#include "store-ledger.h"
#include "store-merge.h"
#include "store-occurrence.h"
#include "store-optout.h"
#include "store-outbox.h"

#define SEC 1000000ULL
#define T0 (1765600000ULL * SEC)
#define NOW "2026-12-14T01:30:00Z"

/* ---- outbox_decide --------------------------------------------------------------------- */

static const OutboxPolicy policy = { .max_attempts = 3, .max_age_usec = 3600 * SEC,
                                     .retry_base_usec = 5 * SEC };

static OutboxDecision decide(int attempts, enum dunnd_outcome_class k, int64_t retry_after_ms,
                             bool paused, double jitter) {
        OutboxRow row = { .attempts = attempts, .created_usec = T0 };
        struct dunnd_outcome o = { .klass = k, .retry_after_ms = retry_after_ms };

        return outbox_decide(&row, &policy, &o, T0 + 60 * SEC, paused, T0 + 120 * SEC, jitter);
}

static void test_decide_classes(void **state) {
        OutboxDecision d;

        (void) state;
        d = decide(1, DUNND_OUTCOME_SENT, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_SENT);
        assert_int_equal(d.attempts_delta, 0);
        d = decide(1, DUNND_OUTCOME_UNKNOWN, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_UNKNOWN);
        d = decide(1, DUNND_OUTCOME_REJECTED, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_FAILED);
        d = decide(1, DUNND_OUTCOME_INVALID_RECIPIENT, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_FAILED);
        /* a class no plugin should send is treated as "may have gone out" */
        d = decide(1, (enum dunnd_outcome_class) 99, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_UNKNOWN);
        /* carrier-wide refusal: nothing went out, not an attempt, pending again */
        d = decide(2, DUNND_OUTCOME_CARRIER_FAILURE, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_REQUEUED);
        assert_int_equal(d.attempts_delta, -1);
        assert_string_equal(outbox_status_to_string(d.status), "pending");
        /* a per-recipient cap: not an attempt, back at the end of its window */
        d = decide(3, DUNND_OUTCOME_THROTTLED, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_RETRY);
        assert_int_equal(d.attempts_delta, -1);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + OUTBOX_THROTTLE_DEFAULT_USEC);
}

static void test_decide_backoff(void **state) {
        OutboxDecision d;

        (void) state;
        /* 5 s, doubled per attempt; jitter adds up to a quarter */
        d = decide(1, DUNND_OUTCOME_TRANSIENT, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_RETRY);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + 5 * SEC);
        d = decide(2, DUNND_OUTCOME_TRANSIENT, 0, false, 0);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + 10 * SEC);
        d = decide(2, DUNND_OUTCOME_TRANSIENT, 0, false, 0.99);
        assert_true(d.next_attempt_usec > T0 + 60 * SEC + 12 * SEC &&
                    d.next_attempt_usec <= T0 + 60 * SEC + 12500000ULL);
        /* out of attempts */
        d = decide(3, DUNND_OUTCOME_TRANSIENT, 0, false, 0);
        assert_int_equal(d.status, OUTBOX_FAILED);
}

/* Retry-After is honoured to the microsecond, never rounded down to the second. */
static void test_decide_retry_after_exact(void **state) {
        OutboxDecision d;

        (void) state;
        d = decide(1, DUNND_OUTCOME_TRANSIENT, 1000, false, 0.99);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + SEC);
        d = decide(1, DUNND_OUTCOME_TRANSIENT, 1500, false, 0);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + 1500000ULL);
        d = decide(1, DUNND_OUTCOME_THROTTLED, 250, false, 0);
        assert_int_equal(d.next_attempt_usec, T0 + 60 * SEC + 250000ULL);
}

/* An outage is not the household's fault: with the breaker open a transient failure
 * counts no attempt and waits for the pause — until max_age ends it. */
static void test_decide_paused_carrier(void **state) {
        OutboxRow old = { .attempts = 1, .created_usec = T0 - 2 * 3600 * SEC };
        struct dunnd_outcome o = { .klass = DUNND_OUTCOME_TRANSIENT };
        OutboxDecision d;

        (void) state;
        d = decide(3, DUNND_OUTCOME_TRANSIENT, 0, true, 0);
        assert_int_equal(d.status, OUTBOX_RETRY);
        assert_int_equal(d.attempts_delta, -1);
        assert_int_equal(d.next_attempt_usec, T0 + 120 * SEC);
        d = outbox_decide(&old, &policy, &o, T0, true, T0 + 60 * SEC, 0);
        assert_int_equal(d.status, OUTBOX_FAILED);
}

/* ---- the store ------------------------------------------------------------------------- */

typedef struct Fixture {
        Store *store;
        int64_t occurrence;
        int64_t household[8];
        OutboxRefresh refresh;
} Fixture;

static int64_t add_household(Store *s, const char *unit, const char *phone, const char *email,
                             int64_t owed) {
        HouseholdRecord h = { .unit = unit, .building = "9", .property_type = "多层",
                              .owner = "王一", .phone = phone, .email = email };
        StoreChange c;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, unit, &id), 0);
        if (owed > 0)
                assert_int_equal(store_charges_upsert(s, id, &(ChargeRecord) { "2026-11", owed, 20407 }, 1, &c), 0);
        return id;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        char err[256];

        if (!f || store_open(":memory:", STORE_OPEN_CREATE, &f->store, err, sizeof(err)) < 0)
                return -1;
        for (int i = 0; i < 8; i++) {
                char unit[32], phone[32], email[48];

                snprintf(unit, sizeof(unit), "9-1-%d", i + 1);
                snprintf(phone, sizeof(phone), "1390000%04d", i + 1);
                snprintf(email, sizeof(email), "o%d@example.com", i + 1);
                f->household[i] = add_household(f->store, unit, phone, email, 10000);
        }
        assert_int_equal(store_occurrence_insert(f->store, &(OccurrenceRecord) {
                                 .key = "s@2026-12-14T09:30", .schedule = "s",
                                 .at = "2026-12-14T09:30", .origin = "test", .channels = "sms,email",
                         }, NOW, &f->occurrence), 0);
        for (int i = 0; i < 8; i++) {
                char phone[32];

                snprintf(phone, sizeof(phone), "1390000%04d", i + 1);
                assert_int_equal(store_outbox_add(f->store, &(OutboxPlanned) {
                                         .occurrence_id = f->occurrence,
                                         .household_id = f->household[i], .channel = "sms",
                                         .contact_id = 0, .recipient = phone,
                                         .recipient_name = "王一", .category = "new",
                                         .template_name = "t/text", .text = "尊敬的业主…",
                                         .parts = 1, .amount = 10000,
                                 }, NOW), 0);
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        store_close(f->store);
        free(f);
        return 0;
}

static size_t claim(Fixture *f, const char *channel, uint64_t now, size_t max, OutboxRow *rows,
                    unsigned *cancelled) {
        size_t n = SIZE_MAX;

        assert_int_equal(store_begin(f->store), 0);
        assert_int_equal(store_outbox_claim(f->store, f->occurrence, channel, now, "c1",
                                            &f->refresh, max, rows, &n, cancelled), 0);
        assert_int_equal(store_commit(f->store), 0);
        return n;
}

static int record(Fixture *f, const OutboxRow *row, OutboxStatus st, int delta, uint64_t next,
                  enum dunnd_outcome_class k, bool *failover) {
        OutboxDecision d = { .status = st, .attempts_delta = delta, .next_attempt_usec = next };
        struct dunnd_outcome o = { .klass = k };
        int r;

        snprintf(o.message_id, sizeof(o.message_id), "m-%lld", (long long) row->id);
        assert_int_equal(store_begin(f->store), 0);
        r = store_outbox_record(f->store, row, &d, &o, failover);
        assert_int_equal(store_commit(f->store), 0);
        return r;
}

static void free_rows(OutboxRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                outbox_row_done(&rows[i]);
}

/* A claim takes at most what it is asked for, oldest first, and marks exactly those. */
static void test_claim_bounds(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0;
        size_t n;

        n = claim(f, "sms", T0, 3, rows, &cancelled);
        assert_int_equal(n, 3);
        assert_int_equal(cancelled, 0);
        assert_true(rows[0].id < rows[1].id && rows[1].id < rows[2].id);
        assert_int_equal(rows[0].attempts, 1);
        assert_string_equal(rows[0].unit, "9-1-1");
        assert_string_equal(rows[0].channel, "sms");
        assert_string_equal(rows[0].recipient, "13900000001");
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'"), 3);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'"
                                             " AND carrier = 'c1' AND attempts = 1 AND claimed_by IS NOT NULL"), 3);
        free_rows(rows, n);
        /* the next claim goes on where that one stopped; an e-mail claim finds nothing */
        n = claim(f, "email", T0, 8, rows, &cancelled);
        assert_int_equal(n, 0);
        n = claim(f, "sms", T0, 8, rows, &cancelled);
        assert_int_equal(n, 5);
        assert_string_equal(rows[0].unit, "9-1-4");
        free_rows(rows, n);
        assert_int_equal(claim(f, "sms", T0, 8, rows, &cancelled), 0);
        assert_int_equal(claim(f, "sms", T0, 0, rows, &cancelled), 0);
}

/* A household that paid before the send is cancelled, and the claim fills up past it. */
static void test_claim_cancels_paid(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0;
        bool added;
        size_t n;

        assert_int_equal(store_payment_add(f->store, &(PaymentRecord) {
                                 .household_id = f->household[0], .fen = 10000, .paid_day = 20435,
                                 .dedup_key = "r1" }, NOW, &added), 0);
        assert_true(added);
        assert_int_equal(store_payment_add(f->store, &(PaymentRecord) {
                                 .household_id = f->household[1], .fen = 10000, .paid_day = 20435,
                                 .dedup_key = "r2" }, NOW, &added), 0);
        n = claim(f, "sms", T0, 2, rows, &cancelled);
        assert_int_equal(cancelled, 2);
        assert_int_equal(n, 2);
        assert_string_equal(rows[0].unit, "9-1-3");
        assert_string_equal(rows[1].unit, "9-1-4");
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'cancelled'"
                                             " AND error = 'paid before the send'"), 2);
        free_rows(rows, n);
}

/* The renderer the dispatcher would hand in: names the balance, counts its calls. */
static int render_balance(const OutboxRow *row, const OutboxGroup *g, OutboxText *ret,
                          void *userdata) {
        unsigned *calls = userdata;

        (*calls)++;
        assert_int_equal(g->n_units, 1);
        assert_string_equal(g->units[0], row->unit);
        if (asprintf(&ret->text, "%s 尚欠 %lld 分", row->unit, (long long) g->balance) < 0)
                return -ENOMEM;
        ret->parts = 1;
        return 0;
}

/* Part paid between plan and send: the text that goes out names what is owed now, the
 * planned one is kept beside it; rows whose amount did not move are not rendered again. */
static void test_claim_renders_a_partial_payment_again(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0, calls = 0;
        bool added;
        size_t n;

        f->refresh = (OutboxRefresh) { .render = render_balance, .userdata = &calls };
        assert_int_equal(store_payment_add(f->store, &(PaymentRecord) {
                                 .household_id = f->household[1], .fen = 2500, .paid_day = 20435,
                                 .dedup_key = "r1" }, NOW, &added), 0);
        n = claim(f, "sms", T0, 3, rows, &cancelled);
        assert_int_equal(n, 3);
        assert_int_equal(cancelled, 0);
        assert_int_equal(calls, 1);
        assert_string_equal(rows[0].text, "尊敬的业主…");
        assert_string_equal(rows[1].text, "9-1-2 尚欠 7500 分");
        assert_string_equal(rows[2].text, "尊敬的业主…");
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE"
                                             " text = '9-1-2 尚欠 7500 分' AND amount = 7500"
                                             " AND planned_text = '尊敬的业主…' AND planned_amount = 10000"), 1);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE"
                                             " planned_text IS NOT NULL"), 1);
        free_rows(rows, n);
}

/* Without a renderer (or when it has nothing to say) the row goes out as planned. */
static void test_claim_without_renderer_sends_as_planned(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0;
        bool added;
        size_t n;

        assert_int_equal(store_payment_add(f->store, &(PaymentRecord) {
                                 .household_id = f->household[0], .fen = 2500, .paid_day = 20435,
                                 .dedup_key = "r1" }, NOW, &added), 0);
        n = claim(f, "sms", T0, 1, rows, &cancelled);
        assert_int_equal(n, 1);
        assert_string_equal(rows[0].text, "尊敬的业主…");
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE"
                                             " planned_text IS NOT NULL OR amount != 10000"), 0);
        free_rows(rows, n);
}

/* An occurrence waiting for approval, rejected or expired sends nothing, whoever claims. */
static void test_claim_refuses_unapproved(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0;
        static const char *const states[] = { "waiting", "rejected", "expired" };

        for (size_t i = 0; i < ELEMENTSOF(states); i++) {
                char sql[128];

                snprintf(sql, sizeof(sql), "UPDATE occurrences SET approval = '%s'", states[i]);
                assert_int_equal(store_exec(f->store, sql), 0);
                assert_int_equal(claim(f, "sms", T0, 8, rows, &cancelled), 0);
        }
        assert_int_equal(store_exec(f->store, "UPDATE occurrences SET approval = 'approved'"), 0);
        free_rows(rows, claim(f, "sms", T0, 8, rows, &cancelled));
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'"), 8);
}

static void test_record_transitions(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0;
        bool failover;
        size_t n;

        n = claim(f, "sms", T0, 4, rows, &cancelled);
        assert_int_equal(n, 4);
        assert_int_equal(record(f, &rows[0], OUTBOX_SENT, 0, 0, DUNND_OUTCOME_SENT, &failover), 0);
        assert_false(failover);
        assert_int_equal(record(f, &rows[1], OUTBOX_RETRY, 0, T0 + 1500000ULL, DUNND_OUTCOME_TRANSIENT,
                                &failover), 0);
        assert_int_equal(record(f, &rows[2], OUTBOX_REQUEUED, -1, 0, DUNND_OUTCOME_CARRIER_FAILURE,
                                &failover), 0);
        assert_int_equal(record(f, &rows[3], OUTBOX_UNKNOWN, 0, 0, DUNND_OUTCOME_UNKNOWN, &failover), 0);
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || outcome || '|' || carrier_message_id"
                                                 " || '|' || (sent_at IS NOT NULL) FROM dispatches"
                                                 " WHERE id = (SELECT MIN(id) FROM dispatches)"),
                            "sent|sent|m-1|1");
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || attempts || '|' || next_attempt_usec"
                                                 " FROM dispatches WHERE id = 2"),
                            "retry|1|1765600001500000");
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || attempts FROM dispatches WHERE id = 3"),
                            "pending|0");
        assert_string_equal(store_peer_text(f->store, "SELECT status FROM dispatches WHERE id = 4"), "unknown");
        /* recording a row twice: it is not `sending` any more */
        assert_int_equal(record(f, &rows[0], OUTBOX_SENT, 0, 0, DUNND_OUTCOME_SENT, &failover), -ESTALE);
        free_rows(rows, n);

        /* the retry is not due 1 µs early, and is at its time; the requeued row is due */
        n = claim(f, "sms", T0 + 1499999ULL, 8, rows, &cancelled);
        for (size_t i = 0; i < n; i++)
                assert_true(rows[i].id != 2);
        free_rows(rows, n);
        {
                uint64_t next = 0;

                assert_int_equal(store_outbox_next_retry(f->store, f->occurrence, "sms", &next), 0);
                assert_int_equal(next, T0 + 1500000ULL);
        }
        n = claim(f, "sms", T0 + 1500000ULL, 8, rows, &cancelled);
        assert_int_equal(n, 1);
        assert_int_equal(rows[0].id, 2);
        assert_int_equal(rows[0].attempts, 2);
        free_rows(rows, n);
}

/* A wrong number: the contact is marked invalid and the text goes to the household's next
 * channel, once. */
static void test_failover_once(void **state) {
        Fixture *f = *state;
        OutboxRow rows[1], more[1];
        unsigned cancelled = 0, open;
        char *sms[] = { (char *) "sms" };
        int64_t contact;
        size_t k;
        char *address = NULL;
        bool failover;

        assert_int_equal(store_contact_pick(f->store, f->household[0], sms, 1, &k, &contact, &address), 1);
        free(address);
        assert_int_equal(claim(f, "sms", T0, 1, rows, &cancelled), 1);
        rows[0].contact_id = contact;
        assert_int_equal(record(f, &rows[0], OUTBOX_FAILED, 0, 0, DUNND_OUTCOME_INVALID_RECIPIENT,
                                &failover), 0);
        assert_true(failover);
        assert_string_equal(store_peer_text(f->store, "SELECT state FROM contacts WHERE channel = 'sms'"
                                                 " AND household_id = 1"), "invalid");
        /* its only phone: no one can text it, staff must go; the reason names the number */
        assert_string_equal(store_peer_text(f->store, "SELECT category FROM households WHERE id = 1"),
                            "unreachable");
        assert_string_equal(store_peer_text(f->store, "SELECT note || ' | ' || source FROM category_history"
                                                 " WHERE household_id = 1 ORDER BY id DESC LIMIT 1"),
                            "所有手机号无效 (every phone number invalid: 139****0001 invalid recipient) | carrier");
        assert_int_equal(store_peer_int(f->store, "SELECT visit_since = (SELECT state_changed_at FROM"
                                             " contacts WHERE id = 1) FROM households WHERE id = 1"), 1);
        assert_int_equal(store_outbox_count_open(f->store, f->occurrence, "email", &open), 0);
        assert_int_equal(open, 1);
        assert_int_equal(claim(f, "email", T0, 1, more, &cancelled), 1);
        assert_string_equal(more[0].recipient, "o1@example.com");
        assert_string_equal(more[0].text, "尊敬的业主…");
        /* the e-mail address is wrong too: nothing left to fail over to */
        assert_int_equal(record(f, &more[0], OUTBOX_FAILED, 0, 0, DUNND_OUTCOME_INVALID_RECIPIENT,
                                &failover), 0);
        assert_false(failover);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE household_id = 1"), 2);
        free_rows(rows, 1);
        free_rows(more, 1);
}

/* An opt-out between the plan and the send cancels the queued row; failover never goes to
 * an opted-out contact. */
static void test_opted_out_never_used(void **state) {
        Fixture *f = *state;
        OutboxRow rows[2];
        unsigned cancelled = 0, changed, open;
        char *sms[] = { (char *) "sms" };
        int64_t contact;
        char *address = NULL;
        bool failover;
        size_t k;

        /* the planner names the contact of each row */
        assert_int_equal(sqlite3_exec(f->store->db, "UPDATE dispatches SET contact_id = (SELECT id"
                                      " FROM contacts c WHERE c.household_id = dispatches.household_id"
                                      " AND c.channel = 'sms')", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(store_contacts_set_opt_out(f->store, &(OptoutTarget) {
                                 .household_id = f->household[0], .channel = "sms" },
                                 true, "alice", NULL, NOW, &changed), 1);
        assert_int_equal(store_contacts_set_opt_out(f->store, &(OptoutTarget) {
                                 .household_id = f->household[1], .channel = "email" },
                                 true, "alice", NULL, NOW, &changed), 1);
        assert_int_equal(claim(f, "sms", T0, 2, rows, &cancelled), 2);
        assert_int_equal(cancelled, 1);
        assert_string_equal(rows[0].unit, "9-1-2");
        assert_string_equal(store_peer_text(f->store, "SELECT status || ' ' || error FROM dispatches"
                                                 " WHERE household_id = 1"),
                            "cancelled opted out before the send");
        /* 9-1-2's phone is wrong and its e-mail opted out: nowhere to fail over to */
        assert_int_equal(store_contact_pick(f->store, f->household[1], sms, 1, &k, &contact, &address), 1);
        free(address);
        rows[0].contact_id = contact;
        assert_int_equal(record(f, &rows[0], OUTBOX_FAILED, 0, 0, DUNND_OUTCOME_INVALID_RECIPIENT,
                                &failover), 0);
        assert_false(failover);
        assert_int_equal(store_outbox_count_open(f->store, f->occurrence, "email", &open), 0);
        assert_int_equal(open, 0);
        free_rows(rows, 2);
}

/* Rows a dead process left `sending` become unknown; a live one's stay. */
static void test_recover_interrupted(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0, open;
        size_t n;

        n = claim(f, "sms", T0, 3, rows, &cancelled);
        assert_int_equal(n, 3);
        free_rows(rows, n);
        /* one row claimed by a pid that is surely gone, one by a live other process (1) */
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET claimed_by = 2147483000 WHERE id = 1"), 0);
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET claimed_by = 1 WHERE id = 2"), 0);
        assert_int_equal(store_outbox_recover_interrupted(f->store), 2);
        assert_string_equal(store_peer_text(f->store, "SELECT status FROM dispatches WHERE id = 1"), "unknown");
        assert_string_equal(store_peer_text(f->store, "SELECT status FROM dispatches WHERE id = 2"), "sending");
        /* our own pid: callers recover only before they send, so it is ours from a crash */
        assert_string_equal(store_peer_text(f->store, "SELECT status FROM dispatches WHERE id = 3"), "unknown");
        assert_non_null(strstr(store_peer_text(f->store, "SELECT error FROM dispatches WHERE id = 1"),
                               "not re-sent"));
        assert_int_equal(store_outbox_recover_interrupted(f->store), 0);
        assert_int_equal(store_outbox_count_open(f->store, f->occurrence, NULL, &open), 0);
        assert_int_equal(open, 5);
}

/* A receipt can come before the outcome is committed (the answer waits for company in the
 * group commit): it is kept, and then has the last word — a delivered message is never
 * retried. */
static void test_receipt_before_the_outcome(void **state) {
        Fixture *f = *state;
        OutboxRow rows[3];
        unsigned cancelled = 0;
        bool failover;

        assert_int_equal(claim(f, "sms", T0, 3, rows, &cancelled), 3);
        assert_int_equal(store_outbox_apply_receipt(f->store, rows[0].id, "delivered"), 1);
        assert_int_equal(store_outbox_apply_receipt(f->store, rows[1].id, "undelivered"), 1);
        assert_int_equal(store_outbox_apply_receipt(f->store, rows[2].id, "queued"), 1);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'sending'"), 3);
        /* the carrier answered 503 for the first: it was delivered all the same */
        assert_int_equal(record(f, &rows[0], OUTBOX_RETRY, 0, T0 + SEC, DUNND_OUTCOME_TRANSIENT,
                                &failover), 0);
        assert_int_equal(record(f, &rows[1], OUTBOX_UNKNOWN, 0, 0, DUNND_OUTCOME_UNKNOWN, &failover), 0);
        assert_int_equal(record(f, &rows[2], OUTBOX_UNKNOWN, 0, 0, DUNND_OUTCOME_UNKNOWN, &failover), 0);
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || receipt || '|' || (sent_at IS NOT NULL)"
                                                 " FROM dispatches WHERE id = 1"), "sent|delivered|1");
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || receipt FROM dispatches WHERE id = 2"),
                            "failed|undelivered");
        assert_string_equal(store_peer_text(f->store, "SELECT status || '|' || receipt FROM dispatches WHERE id = 3"),
                            "unknown|queued");
        free_rows(rows, 3);
}

/* ---- one message per owner -------------------------------------------------------------- */

/* Rows 1, 2 and 3 (9-1-1..9-1-3) go to one phone: one owner's households. */
static void merge_three(Fixture *f) {
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET recipient = '13900000001'"
                                              " WHERE id IN (2, 3)"), 0);
        assert_int_equal(store_merge_owners(f->store, f->occurrence, NOW), 2);
}

/* The group's renderer: names the units and the sum it is given. */
static int render_group(const OutboxRow *row, const OutboxGroup *g, OutboxText *ret,
                        void *userdata) {
        unsigned *calls = userdata;
        char units[128] = "";

        (*calls)++;
        assert_string_equal(g->units[0], row->unit);
        for (size_t i = 0; i < g->n_units; i++)
                snprintf(units + strlen(units), sizeof(units) - strlen(units), "%s%s",
                         i ? "、" : "", g->units[i]);
        if (asprintf(&ret->text, "%s 共 %lld 分", units, (long long) g->balance) < 0)
                return -ENOMEM;
        ret->parts = 1;
        return 0;
}

static void pay(Fixture *f, int i, int64_t fen, const char *key) {
        bool added;

        assert_int_equal(store_payment_add(f->store, &(PaymentRecord) {
                                 .household_id = f->household[i], .fen = fen, .paid_day = 20435,
                                 .dedup_key = key }, NOW, &added), 0);
        assert_true(added);
}

/* The same recipient on the same channel: the first row carries the message, the others
 * wait in it (never claimed) and take its outcome, message id and all. */
static void test_merge_owners_and_follow(void **state) {
        Fixture *f = *state;
        OutboxRow rows[8];
        unsigned cancelled = 0, calls = 0;
        bool failover;
        size_t n;

        merge_three(f);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(id || ':' || status || ':' || merged_into"
                                                 " || ':' || error, ',') FROM dispatches WHERE merged_into IS NOT NULL"),
                            "2:skipped:1:merged into the message to 9-1-1,3:skipped:1:merged into the message to 9-1-1");
        /* merging again finds nothing new: the others are no longer pending */
        assert_int_equal(store_merge_owners(f->store, f->occurrence, NOW), 0);
        /* the plan's text for the group */
        assert_int_equal(store_outbox_render_merged(f->store, f->occurrence, render_group, &calls, NOW), 0);
        assert_int_equal(calls, 1);
        assert_string_equal(store_peer_text(f->store, "SELECT text || '|' || amount || '|' ||"
                                                 " (planned_text IS NULL) FROM dispatches WHERE id = 1"),
                            "9-1-1、9-1-2、9-1-3 共 30000 分|30000|1");
        n = claim(f, "sms", T0, 8, rows, &cancelled);
        assert_int_equal(n, 6);
        assert_int_equal(rows[0].id, 1);
        assert_int_equal(rows[1].id, 4);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE status = 'skipped'"), 2);
        /* nothing changed since the plan: the group's text goes as planned */
        assert_string_equal(rows[0].text, "9-1-1、9-1-2、9-1-3 共 30000 分");
        assert_int_equal(record(f, &rows[0], OUTBOX_SENT, 0, 0, DUNND_OUTCOME_SENT, &failover), 0);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(status || ':' || carrier_message_id || ':'"
                                                 " || (sent_at IS NOT NULL), ',') FROM dispatches WHERE id IN (1, 2, 3)"),
                            "sent:m-1:1,sent:m-1:1,sent:m-1:1");
        /* an undelivered receipt for the message: every household it named failed */
        assert_int_equal(store_outbox_apply_receipt(f->store, 1, "undelivered"), 1);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(status || ':' || receipt, ',')"
                                                 " FROM dispatches WHERE id IN (1, 2, 3)"),
                            "failed:undelivered,failed:undelivered,failed:undelivered");
        assert_string_equal(store_peer_text(f->store, "SELECT error FROM dispatches WHERE id = 2"),
                            "merged into the message to 9-1-1: delivery receipt: undelivered");
        free_rows(rows, n);
}

/* At the claim, the group decides: a merged household that paid in full drops out
 * (cancelled), one that paid part counts for what it owes now, and the text is rendered
 * again for those still owing. */
static void test_claim_group_part_paid(void **state) {
        Fixture *f = *state;
        OutboxRow rows[1];
        unsigned cancelled = 0, calls = 0;

        merge_three(f);
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET amount = 30000 WHERE id = 1"), 0);
        f->refresh = (OutboxRefresh) { .render = render_group, .userdata = &calls };
        pay(f, 1, 10000, "r1");
        pay(f, 2, 2500, "r2");
        assert_int_equal(claim(f, "sms", T0, 1, rows, &cancelled), 1);
        assert_int_equal(cancelled, 0);
        assert_int_equal(rows[0].id, 1);
        assert_int_equal(calls, 1);
        assert_string_equal(rows[0].text, "9-1-1、9-1-3 共 17500 分");
        assert_string_equal(store_peer_text(f->store, "SELECT amount || '|' || planned_amount FROM dispatches WHERE id = 1"),
                            "17500|30000");
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(id || ':' || status || ':' || error, ',')"
                                                 " FROM dispatches WHERE id IN (2, 3)"),
                            "2:cancelled:paid before the send,3:skipped:merged into the message to 9-1-1");
        free_rows(rows, 1);
}

/* The carrying household paid: its row is cancelled, and the next household of the owner
 * still owing carries the message instead — claimed at once, for the rest of the group. */
static void test_claim_group_carrier_paid(void **state) {
        Fixture *f = *state;
        OutboxRow rows[2];
        unsigned cancelled = 0, calls = 0;
        size_t n;

        merge_three(f);
        f->refresh = (OutboxRefresh) { .render = render_group, .userdata = &calls };
        pay(f, 0, 10000, "r1");
        n = claim(f, "sms", T0, 2, rows, &cancelled);
        assert_int_equal(n, 2);
        assert_int_equal(cancelled, 1);
        assert_int_equal(rows[0].id, 2);
        assert_string_equal(rows[0].text, "9-1-2、9-1-3 共 20000 分");
        assert_int_equal(rows[1].id, 4);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(id || ':' || status || ':' ||"
                                                 " COALESCE(merged_into, '-') || ':' || COALESCE(error, ''), ',')"
                                                 " FROM dispatches WHERE id IN (1, 2, 3)"),
                            "1:cancelled:-:paid before the send,2:sending:-:,"
                            "3:skipped:2:merged into the message to 9-1-2");
        free_rows(rows, n);
        /* every household of the group paid: nothing goes out, each row says why */
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET status = 'pending' WHERE id = 2"), 0);
        pay(f, 1, 10000, "r2");
        pay(f, 2, 10000, "r3");
        n = claim(f, "sms", T0, 1, rows, &cancelled);
        assert_int_equal(rows[0].id, 5);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(id || ':' || status || ':' || error, ',')"
                                                 " FROM dispatches WHERE id IN (2, 3)"),
                            "2:cancelled:paid before the send,3:cancelled:paid before the send");
        free_rows(rows, n);
}

/* A send interrupted by a crash: the households merged into it are unknown with it; a
 * wrong number: they wait for the failover row on the next channel. */
static void test_merged_interrupted_and_failover(void **state) {
        Fixture *f = *state;
        OutboxRow rows[1], more[1];
        unsigned cancelled = 0;
        bool failover;

        merge_three(f);
        assert_int_equal(claim(f, "sms", T0, 1, rows, &cancelled), 1);
        free_rows(rows, 1);
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET claimed_by = 2147483000 WHERE id = 1"), 0);
        assert_int_equal(store_outbox_recover_interrupted(f->store), 1);
        assert_string_equal(store_peer_text(f->store, "SELECT group_concat(status, ',') FROM dispatches WHERE id IN (1, 2, 3)"),
                            "unknown,unknown,unknown");
        assert_non_null(strstr(store_peer_text(f->store, "SELECT error FROM dispatches WHERE id = 3"),
                               "merged into the message to 9-1-1: interrupted"));

        /* rows 4, 5: one owner; 4's number is wrong, its e-mail takes the message */
        assert_int_equal(store_exec(f->store, "UPDATE dispatches SET recipient = '13900000004' WHERE id = 5"), 0);
        assert_int_equal(store_merge_owners(f->store, f->occurrence, NOW), 1);
        assert_int_equal(claim(f, "sms", T0, 1, rows, &cancelled), 1);
        assert_int_equal(rows[0].id, 4);
        assert_int_equal(record(f, &rows[0], OUTBOX_FAILED, 0, 0, DUNND_OUTCOME_INVALID_RECIPIENT,
                                &failover), 0);
        assert_true(failover);
        assert_string_equal(store_peer_text(f->store, "SELECT status || ':' || merged_into FROM dispatches WHERE id = 5"),
                            "skipped:9");
        assert_int_equal(claim(f, "email", T0, 1, more, &cancelled), 1);
        assert_int_equal(more[0].id, 9);
        assert_int_equal(record(f, &more[0], OUTBOX_SENT, 0, 0, DUNND_OUTCOME_SENT, &failover), 0);
        assert_string_equal(store_peer_text(f->store, "SELECT status || ':' || carrier_message_id FROM dispatches WHERE id = 5"),
                            "sent:m-9");
        free_rows(rows, 1);
        free_rows(more, 1);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decide_classes),
                cmocka_unit_test(test_decide_backoff),
                cmocka_unit_test(test_decide_retry_after_exact),
                cmocka_unit_test(test_decide_paused_carrier),
                T(test_claim_bounds),
                T(test_claim_cancels_paid),
                T(test_claim_refuses_unapproved),
                T(test_claim_renders_a_partial_payment_again),
                T(test_claim_without_renderer_sends_as_planned),
                T(test_record_transitions),
                T(test_failover_once),
                T(test_opted_out_never_used),
                T(test_recover_interrupted),
                T(test_receipt_before_the_outcome),
                T(test_merge_owners_and_follow),
                T(test_claim_group_part_paid),
                T(test_claim_group_carrier_paid),
                T(test_merged_interrupted_and_failover),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
