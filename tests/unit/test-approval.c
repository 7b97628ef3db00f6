/* SPDX-License-Identifier: MIT */

/* The approval of an occurrence in the store (store-approval.c) on an in-memory database:
 * approve, reject and expire each hold only for an occurrence still waiting and not yet
 * expired; rejection and expiry cancel the rows still to send, saying why, and close the
 * occurrence; the daemon does not resume an occurrence that waits. Also approval.c's names. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "approval.h"
#include "store-approval.h"
#include "store-household.h"
#include "store-ledger.h"
#include "store-occurrence.h"
#include "store-outbox.h"
#include "store-peer.h"

#define CREATED "2026-12-14T01:30:00Z"
#define EXPIRES "2026-12-17T01:30:00Z"
#define BEFORE "2026-12-15T08:00:00Z"   /* while it waits */
#define AFTER "2026-12-17T01:30:00Z"    /* the moment it expires: no longer approvable */

typedef struct Fixture {
        Store *store;
        int64_t waiting, plain;         /* an occurrence that waits, one that needs nothing */
} Fixture;

static int64_t add_occurrence(Store *s, const char *key, const char *approval, const char *expires_at) {
        int64_t id;

        assert_int_equal(store_occurrence_insert(s, &(OccurrenceRecord) {
                                 .key = key, .schedule = "festival", .at = "2026-12-14T09:30",
                                 .origin = "test", .channels = "sms",
                                 .approval = approval, .expires_at = expires_at,
                         }, CREATED, &id), 0);
        return id;
}

/* Three rows: two pending, one skipped (no contact), which no transition touches. */
static void add_rows(Store *s, int64_t occurrence, const int64_t household[3]) {
        for (int i = 0; i < 3; i++)
                assert_int_equal(store_outbox_add(s, &(OutboxPlanned) {
                                         .occurrence_id = occurrence, .household_id = household[i],
                                         .channel = "sms", .recipient = i < 2 ? "13900000001" : "",
                                         .recipient_name = "王一", .category = "new",
                                         .template_name = "t/text", .text = "春节将至…",
                                         .parts = 1, .amount = 10000,
                                         .skip_reason = i < 2 ? NULL : "no usable contact",
                                 }, CREATED), 0);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        int64_t household[3];
        char err[256];

        if (!f || store_open(":memory:", STORE_OPEN_CREATE, &f->store, err, sizeof(err)) < 0)
                return -1;
        for (int i = 0; i < 3; i++) {
                char unit[16];
                StoreChange c;

                snprintf(unit, sizeof(unit), "9-1-%d", i + 1);
                assert_int_equal(store_household_upsert(f->store, &(HouseholdRecord) {
                                         .unit = unit, .building = "9", .property_type = "多层",
                                         .owner = "王一", .phone = "13900000001",
                                 }, CREATED, &c), 0);
                assert_int_equal(store_household_find(f->store, unit, &household[i]), 0);
        }
        f->waiting = add_occurrence(f->store, "festival@2026-12-14T09:30", "waiting", EXPIRES);
        f->plain = add_occurrence(f->store, "deadline@2026-12-14T09:30", NULL, NULL);
        add_rows(f->store, f->waiting, household);
        add_rows(f->store, f->plain, household);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        store_close(f->store);
        free(f);
        return 0;
}

static int count(Fixture *f, int64_t occurrence, const char *status) {
        char sql[160];

        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM dispatches WHERE occurrence_id = %lld"
                 " AND status = '%s'", (long long) occurrence, status);
        return store_peer_int(f->store, sql);
}

static void expect_info(Fixture *f, int64_t id, const char *approval, const char *by,
                        const char *at, const char *state) {
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};

        assert_int_equal(store_occurrence_get(f->store, id, &o), 0);
        if (approval)
                assert_string_equal(o.approval, approval);
        else
                assert_null(o.approval);
        if (by)
                assert_string_equal(o.approval_by, by);
        else
                assert_null(o.approval_by);
        if (at)
                assert_string_equal(o.approval_at, at);
        else
                assert_null(o.approval_at);
        assert_string_equal(o.state, state);
}

static void test_names(void **state) {
        (void) state;
        assert_int_equal(approval_from_string(NULL), APPROVAL_NONE);
        assert_int_equal(approval_from_string(""), APPROVAL_NONE);
        for (int a = APPROVAL_WAITING; a < _APPROVAL_MAX; a++)
                assert_int_equal(approval_from_string(approval_to_string((Approval) a)), a);
        assert_int_equal(approval_from_string("maybe"), _APPROVAL_INVALID);
        assert_null(approval_to_string(APPROVAL_NONE));
        assert_true(approval_allows_sending(APPROVAL_NONE));
        assert_true(approval_allows_sending(APPROVAL_APPROVED));
        assert_false(approval_allows_sending(APPROVAL_WAITING));
        assert_false(approval_allows_sending(APPROVAL_REJECTED));
        assert_false(approval_allows_sending(APPROVAL_EXPIRED));
}

/* Planned waiting: get reads what the planner stored. */
static void test_get(void **state) {
        Fixture *f = *state;
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};

        assert_int_equal(store_occurrence_get(f->store, f->waiting, &o), 0);
        assert_string_equal(o.key, "festival@2026-12-14T09:30");
        assert_string_equal(o.schedule, "festival");
        assert_string_equal(o.origin, "test");
        assert_string_equal(o.state, "planned");
        assert_string_equal(o.approval, "waiting");
        assert_string_equal(o.expires_at, EXPIRES);
        assert_string_equal(o.created_at, CREATED);
        assert_null(o.approval_by);
        assert_null(o.finished_at);
        assert_int_equal(store_occurrence_get(f->store, 999, &o), -ENOENT);
}

/* Approved once, by whom and when; a second approval, or one of an occurrence that needs
 * none, changes nothing. Approval sends nothing by itself: the rows stay pending. */
static void test_approve(void **state) {
        Fixture *f = *state;

        assert_int_equal(store_approval_approve(f->store, f->waiting, "alice", BEFORE), 1);
        expect_info(f, f->waiting, "approved", "alice", BEFORE, "planned");
        assert_int_equal(count(f, f->waiting, "pending"), 2);
        assert_int_equal(store_approval_approve(f->store, f->waiting, "bob", BEFORE), 0);
        expect_info(f, f->waiting, "approved", "alice", BEFORE, "planned");
        assert_int_equal(store_approval_approve(f->store, f->plain, "bob", BEFORE), 0);
        expect_info(f, f->plain, NULL, NULL, NULL, "planned");
        /* approved, it is the daemon's to resume */
        assert_int_equal(store_approval_expire(f->store, AFTER, NULL, NULL), 0);
        expect_info(f, f->waiting, "approved", "alice", BEFORE, "planned");
}

/* At its expiry time it can no longer be approved, nor rejected, even before anything
 * expired it. */
static void test_too_late(void **state) {
        Fixture *f = *state;
        unsigned cancelled = 99;

        assert_int_equal(store_approval_approve(f->store, f->waiting, "alice", AFTER), 0);
        assert_int_equal(store_approval_reject(f->store, f->waiting, "alice", "rejected by alice",
                                               AFTER, &cancelled), 0);
        assert_int_equal(cancelled, 0);
        expect_info(f, f->waiting, "waiting", NULL, NULL, "planned");
        assert_int_equal(count(f, f->waiting, "pending"), 2);
}

static void test_reject(void **state) {
        Fixture *f = *state;
        unsigned cancelled = 0;

        assert_int_equal(store_approval_reject(f->store, f->waiting, "alice",
                                               "rejected by alice: 文案有误", BEFORE, &cancelled), 1);
        assert_int_equal(cancelled, 2);
        expect_info(f, f->waiting, "rejected", "alice", BEFORE, "done");
        assert_int_equal(count(f, f->waiting, "cancelled"), 2);
        assert_int_equal(count(f, f->waiting, "skipped"), 1);
        assert_string_equal(store_peer_text(f->store, "SELECT DISTINCT error FROM dispatches"
                                            " WHERE status = 'cancelled'"), "rejected by alice: 文案有误");
        assert_string_equal(store_peer_text(f->store, "SELECT finished_at FROM occurrences"
                                            " WHERE approval = 'rejected'"), BEFORE);
        /* the other occurrence's rows are its own */
        assert_int_equal(count(f, f->plain, "pending"), 2);
        /* once decided, it stays so */
        assert_int_equal(store_approval_reject(f->store, f->waiting, "bob", "x", BEFORE, &cancelled), 0);
        assert_int_equal(store_approval_approve(f->store, f->waiting, "bob", BEFORE), 0);
        assert_int_equal(store_approval_reject(f->store, f->plain, "bob", "x", BEFORE, &cancelled), 0);
        expect_info(f, f->waiting, "rejected", "alice", BEFORE, "done");
}

typedef struct Expired {
        char keys[256];
        unsigned cancelled;
} Expired;

static void on_expired(const char *key, const char *expires_at, unsigned cancelled, void *userdata) {
        Expired *e = userdata;

        assert_string_equal(expires_at, EXPIRES);
        snprintf(e->keys + strlen(e->keys), sizeof(e->keys) - strlen(e->keys), "%s ", key);
        e->cancelled += cancelled;
}

static void test_expire(void **state) {
        Fixture *f = *state;
        Expired e = {};

        /* not yet: nothing changes */
        assert_int_equal(store_approval_expire(f->store, BEFORE, on_expired, &e), 0);
        assert_string_equal(e.keys, "");
        expect_info(f, f->waiting, "waiting", NULL, NULL, "planned");

        assert_int_equal(store_approval_expire(f->store, AFTER, on_expired, &e), 1);
        assert_string_equal(e.keys, "festival@2026-12-14T09:30 ");
        assert_int_equal(e.cancelled, 2);
        expect_info(f, f->waiting, "expired", NULL, AFTER, "done");
        assert_int_equal(count(f, f->waiting, "cancelled"), 2);
        assert_int_equal(count(f, f->waiting, "skipped"), 1);
        assert_string_equal(store_peer_text(f->store, "SELECT DISTINCT error FROM dispatches"
                                            " WHERE status = 'cancelled'"), "not approved in time");
        assert_int_equal(count(f, f->plain, "pending"), 2);
        /* once */
        assert_int_equal(store_approval_expire(f->store, AFTER, on_expired, &e), 0);
        assert_int_equal(store_approval_approve(f->store, f->waiting, "alice", BEFORE), 0);
}

static int resume_seen(const OccurrenceRef *o, void *userdata) {
        char *seen = userdata;

        snprintf(seen + strlen(seen), 256 - strlen(seen), "%s ", o->key);
        return 0;
}

/* What the daemon resumes at start: an occurrence that needs no approval, or an approved
 * one; never one that waits. */
static void test_unfinished_skips_waiting(void **state) {
        Fixture *f = *state;
        char seen[256] = "";

        assert_int_equal(store_occurrences_unfinished(f->store, "2026-01-01T00:00:00Z", resume_seen, seen), 0);
        assert_string_equal(seen, "deadline@2026-12-14T09:30 ");
        assert_int_equal(store_approval_approve(f->store, f->waiting, "alice", BEFORE), 1);
        seen[0] = 0;
        assert_int_equal(store_occurrences_unfinished(f->store, "2026-01-01T00:00:00Z", resume_seen, seen), 0);
        assert_string_equal(seen, "festival@2026-12-14T09:30 deadline@2026-12-14T09:30 ");
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                T(test_get),
                T(test_approve),
                T(test_too_late),
                T(test_reject),
                T(test_expire),
                T(test_unfinished_skips_waiting),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
