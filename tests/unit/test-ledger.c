/* SPDX-License-Identifier: MIT */

/* The household and ledger modules of the store: one way to change a category (with its
 * history), one way to record a payment, and the balance the debtor selection walks kept
 * in step with every charge and payment. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store-household.h"
#include "store-peer.h"
#include "store-ledger.h"
#include "timeutil.h"

#define NOW "2026-12-10T01:00:00Z"

static int setup(void **state) {
        Store *s = NULL;
        char err[256];

        if (store_open(":memory:", STORE_OPEN_CREATE, &s, err, sizeof(err)) < 0)
                return -1;
        *state = s;
        return 0;
}

static int teardown(void **state) {
        store_close(*state);
        return 0;
}

static int64_t day(const char *s) {
        int64_t d;

        assert_int_equal(date_parse(s, &d), 0);
        return d;
}

static void test_household_upsert(void **state) {
        Store *s = *state;
        HouseholdRecord h = { .unit = "1-1-101", .building = "1", .property_type = "多层",
                              .owner = "张三", .phone = "13900000001", .area_centi = 8850 };
        StoreChange c;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(c, STORE_ADDED);
        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(c, STORE_UNCHANGED);
        h.area_centi = 9000;
        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(c, STORE_UPDATED);
        /* a new number becomes the first tried; the old one stays, second */
        h.phone = "13900000002";
        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(c, STORE_UPDATED);
        assert_int_equal(store_household_find(s, "1-1-101", &id), 0);
        {
                char *sms[] = { (char *) "sms" }, *email[] = { (char *) "email" };
                int64_t contact;
                char *address = NULL;
                size_t k;

                assert_int_equal(store_contact_pick(s, id, sms, 1, &k, &contact, &address), 1);
                assert_string_equal(address, "13900000002");
                free(address);
                assert_int_equal(store_contact_mark_invalid(s, contact, "空号", NOW), 0);
                assert_int_equal(store_contact_pick(s, id, sms, 1, &k, &contact, &address), 1);
                assert_string_equal(address, "13900000001");
                free(address);
                assert_int_equal(store_contact_pick(s, id, email, 1, &k, &contact, &address), 0);
        }
        assert_int_equal(store_household_find(s, "9-9-999", &id), -ENOENT);
}

static void test_category_changes_with_history(void **state) {
        Store *s = *state;
        HouseholdRecord h = { .unit = "1-1-101", .building = "1", .property_type = "多层", .owner = "张三" };
        StoreChange c;
        bool changed;
        unsigned kept, broken;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, "1-1-101", &id), 0);
        assert_int_equal(store_household_set_category(s, id, CATEGORY_PROMISED, day("2026-12-08"),
                                                      "电话: 8号交", "dunnctl", NOW,
                                                      CATEGORY_SET_ALWAYS, &changed), 0);
        assert_true(changed);
        /* the same again from an import: nothing, no history */
        assert_int_equal(store_household_set_category(s, id, CATEGORY_PROMISED, day("2026-12-08"),
                                                      NULL, "import", NOW, CATEGORY_SET_IF_CHANGED,
                                                      &changed), 0);
        assert_false(changed);
        /* staff record the same call again: history, because a call happened */
        assert_int_equal(store_household_set_category(s, id, CATEGORY_PROMISED, day("2026-12-08"),
                                                      "又打了一次", "dunnctl", NOW,
                                                      CATEGORY_SET_ALWAYS, &changed), 0);
        assert_true(changed);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history"), 2);
        /* the 8th passed: nothing was owed when it was made, so nothing is broken */
        assert_int_equal(store_household_close_promises(s, day("2026-12-09"), NOW, &kept, &broken), 0);
        assert_int_equal(kept, 1);
        assert_int_equal(broken, 0);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM households WHERE category = 'new'"
                                      " AND promise_date IS NULL AND promise_owed IS NULL"), 1);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history WHERE category = 'new'"
                                      " AND source = 'payment' AND note LIKE '%promise of 2026-12-08 kept%'"), 1);
        /* notes: an import's duplicate is skipped, staff notes are not */
        bool added;

        assert_int_equal(store_household_add_note(s, id, "电梯故障", "import", NOW, true, &added), 0);
        assert_true(added);
        assert_int_equal(store_household_add_note(s, id, "电梯故障", "import", NOW, true, &added), 0);
        assert_false(added);
        assert_int_equal(store_household_add_note(s, id, "电梯故障", "dunnctl", NOW, false, &added), 0);
        assert_true(added);
}

/* A promise made before anything was owed (categories imported before charges) is not kept
 * by the first payment: when its day has passed the balance decides. */
static void test_promise_made_owing_nothing(void **state) {
        Store *s = *state;
        HouseholdRecord h = { .unit = "1-1-109", .building = "1", .property_type = "多层", .owner = "张三" };
        ChargeRecord nov = { .period = "2026-11", .fen = 30000, .due_day = day("2026-11-15") };
        StoreChange c;
        unsigned kept, broken;
        bool changed, added;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, "1-1-109", &id), 0);
        assert_int_equal(store_household_set_category(s, id, CATEGORY_PROMISED, day("2026-12-08"),
                                                      NULL, "import", NOW, CATEGORY_SET_ALWAYS,
                                                      &changed), 0);
        assert_int_equal(store_peer_int(s, "SELECT promise_owed IS NULL FROM households"), 1);
        assert_int_equal(store_charges_upsert(s, id, &nov, 1, &c), 0);
        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = id, .fen = 10000,
                                                                 .paid_day = day("2026-12-01"),
                                                                 .dedup_key = "W1" }, NOW, &added), 0);
        assert_int_equal(store_peer_int(s, "SELECT category = 'promised' FROM households"), 1);
        assert_int_equal(store_household_close_promises(s, day("2026-12-09"), NOW, &kept, &broken), 0);
        assert_int_equal(broken, 1);
        assert_int_equal(store_peer_int(s, "SELECT category = 'unclear' FROM households"), 1);
}

/* Every charge and payment the ledger writes moves the household's balance. */
static void test_balance_follows_the_ledger(void **state) {
        Store *s = *state;
        HouseholdRecord h = { .unit = "1-1-101", .building = "1", .property_type = "多层", .owner = "张三" };
        ChargeRecord rows[] = {
                { .period = "2026-10", .fen = 10000, .due_day = day("2026-10-15") },
                { .period = "2026-11", .fen = 20000, .due_day = day("2026-11-15") },
        };
        StoreChange c, changes[2];
        int64_t id, owed, fen, paid;
        bool added;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, "1-1-101", &id), 0);
        assert_int_equal(store_charges_upsert(s, id, rows, 2, changes), 0);
        assert_int_equal(changes[0], STORE_ADDED);
        assert_int_equal(changes[1], STORE_ADDED);
        assert_int_equal(store_household_balance(s, id, &owed), 0);
        assert_int_equal(owed, 30000);
        /* the billing system corrected November */
        rows[1].fen = 18000;
        assert_int_equal(store_charges_upsert(s, id, rows, 2, changes), 0);
        assert_int_equal(changes[0], STORE_UNCHANGED);
        assert_int_equal(changes[1], STORE_UPDATED);
        assert_int_equal(store_household_balance(s, id, &owed), 0);
        assert_int_equal(owed, 28000);
        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = id, .fen = 10000,
                                                                 .paid_day = day("2026-11-20"),
                                                                 .reference = "W1", .dedup_key = "W1" },
                                           NOW, &added), 0);
        assert_true(added);
        /* the same reference again: nothing, the balance as it was */
        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = id, .fen = 10000,
                                                                 .paid_day = day("2026-11-20"),
                                                                 .reference = "W1", .dedup_key = "W1" },
                                           NOW, &added), 0);
        assert_false(added);
        assert_int_equal(store_household_balance(s, id, &owed), 0);
        assert_int_equal(owed, 18000);
        assert_int_equal(store_payment_find(s, id, "W1", &fen, &paid), 1);
        assert_int_equal(fen, 10000);
        assert_int_equal(paid, day("2026-11-20"));
        assert_int_equal(store_payment_find(s, id, "nope", &fen, &paid), 0);
        /* a payment is never zero or negative */
        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = id, .fen = 0,
                                                                 .dedup_key = "z" }, NOW, &added),
                         -EINVAL);
        /* and the balance agrees with a recount */
        assert_int_equal(store_ledger_recount(s), 0);     /* nothing was off */
        assert_int_equal(store_household_balance(s, id, &owed), 0);
        assert_int_equal(owed, 18000);
}

/* A household of 1-1-101 owing 300.00 that promises to pay by the 8th. */
static int64_t promising_household(Store *s, const char *unit) {
        HouseholdRecord h = { .unit = unit, .building = "1", .property_type = "多层", .owner = "张三" };
        ChargeRecord rows[] = {
                { .period = "2026-10", .fen = 10000, .due_day = day("2026-10-15") },
                { .period = "2026-11", .fen = 20000, .due_day = day("2026-11-15") },
        };
        StoreChange c, changes[2];
        bool changed;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, unit, &id), 0);
        assert_int_equal(store_charges_upsert(s, id, rows, 2, changes), 0);
        assert_int_equal(store_household_set_category(s, id, CATEGORY_PROMISED, day("2026-12-08"),
                                                      "电话: 8号交", "dunnctl", NOW,
                                                      CATEGORY_SET_ALWAYS, &changed), 0);
        assert_true(changed);
        return id;
}

static void pay(Store *s, int64_t id, int64_t fen, const char *when, const char *ref) {
        bool added;

        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = id, .fen = fen,
                                                                 .paid_day = day(when),
                                                                 .reference = ref, .dedup_key = ref },
                                           NOW, &added), 0);
        assert_true(added);
}

static int category_is(Store *s, int64_t id, const char *category) {
        char sql[160];

        snprintf(sql, sizeof(sql), "SELECT category = '%s' FROM households WHERE id = %lld",
                 category, (long long) id);
        return store_peer_int(s, sql);
}

/* Paid in full before the day: kept at once, with a history line, never broken later. */
static void test_promise_kept_early(void **state) {
        Store *s = *state;
        int64_t id = promising_household(s, "1-1-102");
        unsigned kept, broken;

        assert_int_equal(store_peer_int(s, "SELECT promise_owed FROM households"), 30000);
        pay(s, id, 30000, "2026-12-05", "W1");
        assert_true(category_is(s, id, "new"));
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history WHERE category = 'new'"
                                      " AND source = 'payment'"
                                      " AND note = '承诺 2026-12-08 缴费，已兑现 (promise of 2026-12-08 kept)'"), 1);
        assert_int_equal(store_household_close_promises(s, day("2026-12-09"), NOW, &kept, &broken), 0);
        assert_int_equal(kept + broken, 0);
        assert_true(category_is(s, id, "new"));
}

/* Part paid, then the rest on the day itself: open after the first, kept after the second. */
static void test_promise_kept_on_the_day(void **state) {
        Store *s = *state;
        int64_t id = promising_household(s, "1-1-103");
        unsigned kept, broken;

        pay(s, id, 10000, "2026-12-03", "W1");
        assert_true(category_is(s, id, "promised"));
        assert_int_equal(store_peer_int(s, "SELECT promise_owed FROM households"), 20000);
        assert_int_equal(store_household_close_promises(s, day("2026-12-08"), NOW, &kept, &broken), 0);
        assert_int_equal(kept + broken, 0);     /* the 8th itself: still open */
        pay(s, id, 20000, "2026-12-08", "W2");
        assert_true(category_is(s, id, "new"));
}

/* A new bill after the promise does not break it: what was promised was paid. */
static void test_promise_kept_despite_a_new_charge(void **state) {
        Store *s = *state;
        int64_t id = promising_household(s, "1-1-104");
        ChargeRecord dec = { .period = "2026-12", .fen = 5000, .due_day = day("2026-12-15") };
        StoreChange c;

        assert_int_equal(store_charges_upsert(s, id, &dec, 1, &c), 0);
        pay(s, id, 30000, "2026-12-07", "W1");
        assert_true(category_is(s, id, "new"));
        assert_int_equal(store_peer_int(s, "SELECT balance FROM households"), 5000);
}

/* The day after, with money still owed: broken, to unclear, with the day in the reason. */
static void test_promise_broken(void **state) {
        Store *s = *state;
        int64_t id = promising_household(s, "1-1-105");
        unsigned kept, broken;

        pay(s, id, 10000, "2026-12-03", "W1");
        assert_int_equal(store_household_close_promises(s, day("2026-12-09"), NOW, &kept, &broken), 0);
        assert_int_equal(kept, 0);
        assert_int_equal(broken, 1);
        assert_true(category_is(s, id, "unclear"));
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history WHERE category = 'unclear'"
                                      " AND source = 'campaign'"
                                      " AND note = '承诺 2026-12-08 缴费，未兑现 (promise of 2026-12-08 not kept)'"), 1);
        /* a late payment no longer touches the category */
        pay(s, id, 20000, "2026-12-10", "W2");
        assert_true(category_is(s, id, "unclear"));
        assert_int_equal(store_household_close_promises(s, day("2026-12-10"), NOW, &kept, &broken), 0);
        assert_int_equal(kept + broken, 0);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_household_upsert),
                T(test_category_changes_with_history),
                T(test_balance_follows_the_ledger),
                T(test_promise_kept_early),
                T(test_promise_kept_on_the_day),
                T(test_promise_kept_despite_a_new_charge),
                T(test_promise_broken),
                T(test_promise_made_owing_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
