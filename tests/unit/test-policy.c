/* SPDX-License-Identifier: MIT */

/* The playbook's category policies in the store: a dead number makes a household
 * unreachable (with its reason and a door visit), a complaint resolved, opt-outs and
 * opt-ins, and a household's history as one timeline. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store-history.h"
#include "store-household.h"
#include "store-ledger.h"
#include "store-occurrence.h"
#include "store-optout.h"
#include "store-outbox.h"
#include "store-peer.h"
#include "timeutil.h"

#define NOW "2026-12-10T01:00:00Z"
#define LATER "2026-12-11T02:00:00Z"

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

static int64_t household(Store *s, const char *unit, const char *phone, const char *email) {
        HouseholdRecord h = { .unit = unit, .building = "1", .property_type = "多层",
                              .owner = "张三", .phone = phone, .email = email };
        StoreChange c;
        int64_t id;

        assert_int_equal(store_household_upsert(s, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(s, unit, &id), 0);
        return id;
}

static int64_t contact(Store *s, int64_t household_id, const char *address) {
        char sql[256];

        snprintf(sql, sizeof(sql), "SELECT id FROM contacts WHERE household_id = %lld AND address = '%s'",
                 (long long) household_id, address);
        return store_peer_int(s, sql);
}

static const char *household_text(Store *s, int64_t id, const char *column) {
        char sql[256];

        snprintf(sql, sizeof(sql), "SELECT COALESCE(%s, '(null)') FROM households WHERE id = %lld",
                 column, (long long) id);
        return store_peer_text(s, sql);
}

/* Every phone of a household marked invalid → unreachable, once, with the numbers masked
 * in the reason and a door visit owed; a dead e-mail moves nothing; a disputed household
 * stays disputed. */
static void test_every_phone_invalid(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", "a@example.com"), b;

        household(s, "1-1-101", "13900000002", NULL);  /* a second phone */
        assert_int_equal(store_contact_mark_invalid(s, contact(s, a, "a@example.com"), "no such mailbox", NOW), 0);
        assert_int_equal(store_contact_mark_invalid(s, contact(s, a, "13900000001"), "空号", NOW), 0);
        assert_string_equal(household_text(s, a, "category"), "new");
        assert_string_equal(household_text(s, a, "visit_since"), "(null)");
        /* the last one */
        assert_int_equal(store_contact_mark_invalid(s, contact(s, a, "13900000002"), "停机", LATER), 1);
        assert_string_equal(household_text(s, a, "category"), "unreachable");
        assert_string_equal(household_text(s, a, "visit_reason"),
                            "所有手机号无效 (every phone number invalid: 139****0002 停机, 139****0001 空号)");
        assert_string_equal(household_text(s, a, "visit_since"), LATER);
        assert_string_equal(store_peer_text(s, "SELECT category || '|' || note || '|' || source || '|' ||"
                                               " changed_at FROM category_history ORDER BY id DESC LIMIT 1"),
                            "unreachable|所有手机号无效 (every phone number invalid: 139****0002 停机, "
                            "139****0001 空号)|carrier|" LATER);
        /* marked again (a second run): no second move, no second history line */
        assert_int_equal(store_contact_mark_invalid(s, contact(s, a, "13900000002"), "停机", LATER), 0);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history"), 1);

        b = household(s, "1-1-102", "13900000003", NULL);
        assert_int_equal(store_household_set_category(s, b, CATEGORY_DISPUTED, -1, "漏水", "dunnctl", NOW,
                                                      CATEGORY_SET_ALWAYS, NULL), 0);
        assert_int_equal(store_contact_mark_invalid(s, contact(s, b, "13900000003"), "空号", NOW), 0);
        assert_string_equal(household_text(s, b, "category"), "disputed");
}

/* A door visit is owed while a household is unreachable, from the first day, and no longer
 * once it leaves; staff's reason is their note, or the default. */
static void test_visit_follows_the_category(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", NULL);
        int64_t b = household(s, "1-1-102", "13900000002", NULL);

        assert_int_equal(store_household_set_category(s, a, CATEGORY_UNREACHABLE, -1, "电话空号", "dunnctl",
                                                      NOW, CATEGORY_SET_ALWAYS, NULL), 0);
        assert_string_equal(household_text(s, a, "visit_reason"), "电话空号");
        assert_string_equal(household_text(s, a, "visit_since"), NOW);
        /* a second call keeps the day it became owed */
        assert_int_equal(store_household_set_category(s, a, CATEGORY_UNREACHABLE, -1, "还是空号", "dunnctl",
                                                      LATER, CATEGORY_SET_ALWAYS, NULL), 0);
        assert_string_equal(household_text(s, a, "visit_since"), NOW);
        assert_string_equal(household_text(s, a, "visit_reason"), "电话空号");
        assert_int_equal(store_household_set_category(s, a, CATEGORY_UNCLEAR, -1, NULL, "dunnctl", LATER,
                                                      CATEGORY_SET_ALWAYS, NULL), 0);
        assert_string_equal(household_text(s, a, "visit_reason"), "(null)");
        assert_string_equal(household_text(s, a, "visit_since"), "(null)");

        assert_int_equal(store_household_set_category(s, b, CATEGORY_UNREACHABLE, -1, NULL, "import", NOW,
                                                      CATEGORY_SET_IF_CHANGED, NULL), 0);
        assert_string_equal(household_text(s, b, "visit_reason"), VISIT_REASON_STAFF);
}

/* Staff name the dead number, or it is the one tried first (and then the next). */
static void test_invalidate(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", NULL);

        household(s, "1-1-101", "13900000002", NULL);  /* now tried first */
        assert_int_equal(store_contact_invalidate(s, a, "sms", "13900000009", "x", NOW), 0);
        assert_int_equal(store_contact_invalidate(s, a, "sms", NULL, "空号", NOW), 1);
        assert_string_equal(store_peer_text(s, "SELECT group_concat(address || ' ' || state, ', ')"
                                               " FROM (SELECT * FROM contacts ORDER BY id)"),
                            "13900000001 unknown, 13900000002 invalid");
        assert_int_equal(store_contact_invalidate(s, a, "sms", NULL, "空号", NOW), 1);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM contacts WHERE state = 'invalid'"), 2);
        assert_int_equal(store_contact_invalidate(s, a, "sms", NULL, "空号", NOW), 0);
        assert_int_equal(store_contact_invalidate(s, a, "sms", "13900000001", "停机", NOW), 1);
        assert_string_equal(store_peer_text(s, "SELECT state_reason FROM contacts WHERE address = '13900000001'"),
                            "停机");
}

static void test_resolve_dispute(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", NULL);
        Category c = _CATEGORY_INVALID;

        assert_int_equal(store_household_resolve_dispute(s, a, "已修好", NOW, &c), 0);
        assert_int_equal(c, CATEGORY_NEW);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM category_history"), 0);
        assert_int_equal(store_household_set_category(s, a, CATEGORY_DISPUTED, -1, "楼上漏水", "dunnctl", NOW,
                                                      CATEGORY_SET_ALWAYS, NULL), 0);
        assert_int_equal(store_household_resolve_dispute(s, a, "漏水已修好", LATER, &c), 1);
        assert_int_equal(c, CATEGORY_UNCLEAR);
        assert_string_equal(household_text(s, a, "category"), "unclear");
        assert_string_equal(store_peer_text(s, "SELECT category || '|' || note || '|' || source FROM"
                                               " category_history ORDER BY id DESC LIMIT 1"),
                            "unclear|投诉已解决 (complaint resolved): 漏水已修好|dunnctl");
        assert_int_equal(store_household_category(s, 999, &c), -ENOENT);
}

/* By household (all channels, or one), by address in every household; each change noted
 * (masked) with who; nothing twice; opt-in undoes it; a re-import keeps it. */
static void test_opt_out_and_in(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", "a@example.com");
        int64_t b = household(s, "1-1-102", "13900000001", NULL);       /* the same owner's phone */
        char *sms_email[] = { (char *) "sms", (char *) "email" };
        HouseholdRecord again = { .unit = "1-1-101", .building = "1", .property_type = "多层",
                                  .owner = "张三", .phone = "13900000001", .email = "a@example.com" };
        StoreChange ch;
        unsigned changed;
        int64_t id;
        char *address = NULL;
        size_t k;

        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .household_id = a, .channel = "email" },
                                                    true, "alice", "不要邮件", NOW, &changed), 1);
        assert_int_equal(changed, 1);
        assert_string_equal(store_peer_text(s, "SELECT opted_out_at || '|' || opted_out_by || '|' ||"
                                               " opted_out_note FROM contacts WHERE address = 'a@example.com'"),
                            NOW "|alice|不要邮件");
        assert_int_equal(store_contact_pick(s, a, sms_email + 1, 1, &k, &id, &address), 0);
        assert_int_equal(store_contact_opted_out_only(s, a, sms_email + 1, 1), 1);
        assert_int_equal(store_contact_opted_out_only(s, b, sms_email + 1, 1), 0);

        /* the phone, wherever it is */
        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .address = "13900000001" },
                                                    true, "bob", NULL, NOW, &changed), 2);
        assert_int_equal(changed, 2);
        assert_int_equal(store_contact_pick(s, a, sms_email, 2, &k, &id, &address), 0);
        assert_int_equal(store_contact_pick(s, b, sms_email, 2, &k, &id, &address), 0);
        assert_int_equal(store_contact_opted_out_only(s, a, sms_email, 2), 1);
        /* again: matched, nothing changed, no second note */
        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .household_id = a },
                                                    true, "bob", NULL, NOW, &changed), 2);
        assert_int_equal(changed, 0);
        assert_string_equal(store_peer_text(s, "SELECT group_concat(household_id || ' ' || source || ' ' || text,"
                                               " ' / ') FROM (SELECT * FROM notes ORDER BY id)"),
                            "1 optout 退订 (opted out): email a***@example.com; by alice: 不要邮件 / "
                            "1 optout 退订 (opted out): sms 139****0001; by bob / "
                            "2 optout 退订 (opted out): sms 139****0001; by bob");
        /* nothing of that name */
        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .address = "13900000099" },
                                                    true, "bob", NULL, NOW, &changed), 0);
        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) {}, true, "bob", NULL, NOW, &changed),
                         -EINVAL);

        /* the billing system's file again: the opt-out stays */
        assert_int_equal(store_household_upsert(s, &again, LATER, &ch), 0);
        assert_int_equal(ch, STORE_UNCHANGED);
        assert_int_equal(store_peer_int(s, "SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL"), 3);

        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .household_id = a, .channel = "sms" },
                                                    false, "carol", "业主来电恢复", LATER, &changed), 1);
        assert_int_equal(changed, 1);
        assert_int_equal(store_contact_pick(s, a, sms_email, 2, &k, &id, &address), 1);
        assert_string_equal(address, "13900000001");
        free(address);
        assert_string_equal(store_peer_text(s, "SELECT COALESCE(opted_out_by, '(null)') FROM contacts"
                                               " WHERE household_id = 1 AND channel = 'sms'"), "(null)");
        assert_string_equal(store_peer_text(s, "SELECT source || ' ' || text FROM notes ORDER BY id DESC LIMIT 1"),
                            "optin 恢复提醒 (opted in): sms 139****0001; by carol: 业主来电恢复");
        /* 1-1-102 keeps its own */
        assert_int_equal(store_contact_pick(s, b, sms_email, 2, &k, &id, &address), 0);
}

typedef struct Timeline {
        char line[16][256];
        size_t n;
} Timeline;

static int collect(const HistoryEntry *e, void *userdata) {
        Timeline *t = userdata;

        assert_true(t->n < 16);
        switch (e->kind) {
        case HISTORY_CATEGORY:
                snprintf(t->line[t->n], 256, "%s %s %s %s %s", e->time, history_kind_to_string(e->kind),
                         e->category, e->promise_date ? e->promise_date : "-", e->text ? e->text : "-");
                break;
        case HISTORY_PAYMENT:
                snprintf(t->line[t->n], 256, "%s %s %lld %s %s", e->time, history_kind_to_string(e->kind),
                         (long long) e->amount, e->paid_at, e->reference);
                break;
        case HISTORY_MESSAGE:
                snprintf(t->line[t->n], 256, "%s %s %s %s %s %s %lld %s", e->time,
                         history_kind_to_string(e->kind), e->occurrence, e->channel, e->status,
                         e->recipient, (long long) e->amount, e->message);
                break;
        default:
                snprintf(t->line[t->n], 256, "%s %s %s %s", e->time, history_kind_to_string(e->kind),
                         e->source, e->text);
        }
        t->n++;
        return 0;
}

/* One timeline, oldest first, each kind with its facts; a category note is not repeated as
 * a note; another household's entries are not in it. */
static void test_history(void **state) {
        Store *s = *state;
        int64_t a = household(s, "1-1-101", "13900000001", NULL), b = household(s, "1-1-102", NULL, NULL);
        int64_t occ;
        Timeline t = {};
        unsigned changed;
        bool added;
        StoreChange ch;

        assert_int_equal(store_charges_upsert(s, a, &(ChargeRecord) { "2026-11", 10000, day("2026-11-15") }, 1, &ch), 0);
        assert_int_equal(store_household_add_note(s, a, "第一次电话", "dunnctl", "2026-12-01T01:00:00Z", false,
                                                  &added), 0);
        assert_int_equal(store_household_set_category(s, a, CATEGORY_PROMISED, day("2026-12-31"), "说月底交", "dunnctl",
                                                      "2026-12-02T01:00:00Z", CATEGORY_SET_ALWAYS, NULL), 0);
        assert_int_equal(store_household_add_note(s, a, "说月底交", "dunnctl", "2026-12-02T01:00:00Z", false,
                                                  &added), 0);
        assert_int_equal(store_occurrence_insert(s, &(OccurrenceRecord) {
                                 .key = "deadline@2026-12-14T09:30", .schedule = "deadline",
                                 .at = "2026-12-14T09:30", .origin = "test", .channels = "sms",
                         }, "2026-12-14T01:30:00Z", &occ), 0);
        assert_int_equal(store_outbox_add(s, &(OutboxPlanned) {
                                 .occurrence_id = occ, .household_id = a, .channel = "sms",
                                 .recipient = "13900000001", .recipient_name = "张三",
                                 .category = "promised", .template_name = "t/text", .text = "请缴费",
                                 .parts = 1, .amount = 10000 }, "2026-12-14T01:30:00Z"), 0);
        assert_int_equal(store_outbox_add(s, &(OutboxPlanned) {
                                 .occurrence_id = occ, .household_id = b, .channel = "sms",
                                 .category = "new", .template_name = "t/text", .text = "x",
                                 .skip_reason = "no usable contact" }, "2026-12-14T01:30:00Z"), 0);
        assert_int_equal(store_contacts_set_opt_out(s, &(OptoutTarget) { .household_id = a }, true, "alice",
                                                    NULL, "2026-12-15T01:00:00Z", &changed), 1);
        assert_int_equal(store_payment_add(s, &(PaymentRecord) { .household_id = a, .fen = 4000,
                                                                 .paid_day = day("2026-12-15"), .reference = "R1",
                                                                 .dedup_key = "R1" },
                                           "2026-12-16T01:00:00Z", &added), 0);

        assert_int_equal(store_history_each(s, a, collect, &t), 0);
        assert_int_equal(t.n, 5);
        assert_string_equal(t.line[0], "2026-12-01T01:00:00Z note dunnctl 第一次电话");
        assert_string_equal(t.line[1], "2026-12-02T01:00:00Z category promised 2026-12-31 说月底交");
        assert_string_equal(t.line[2], "2026-12-14T01:30:00Z message deadline@2026-12-14T09:30 sms pending "
                                       "13900000001 10000 请缴费");
        assert_string_equal(t.line[3], "2026-12-15T01:00:00Z opt-out optout 退订 (opted out): sms 139****0001; "
                                       "by alice");
        assert_string_equal(t.line[4], "2026-12-16T01:00:00Z payment 4000 2026-12-15 R1");
        memset(&t, 0, sizeof(t));
        assert_int_equal(store_history_each(s, b, collect, &t), 0);
        assert_int_equal(t.n, 1);
        assert_string_equal(t.line[0], "2026-12-14T01:30:00Z message deadline@2026-12-14T09:30 sms skipped "
                                       " 0 x");
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_every_phone_invalid),
                T(test_visit_follows_the_category),
                T(test_invalidate),
                T(test_resolve_dispute),
                T(test_opt_out_and_in),
                T(test_history),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
