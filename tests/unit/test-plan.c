/* SPDX-License-Identifier: MIT */

/* The planner: which households a schedule selects at a moment, on which channel, with
 * which variant and text — streamed one at a time, in unit order, writing nothing. */

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

#include "plan.h"
#include "store-household.h"
#include "campaign.h"
#include "store-internal.h"
#include "store-ledger.h"
#include "store-optout.h"
#include "store-peer.h"
#include "timeutil.h"

#define NOW "2026-12-10T01:00:00Z"

static const char conf[] =
        "timezone = \"Asia/Shanghai\";\n"
        "signature = \"【阳光】\";\n"
        "bank_account = \"工行 1202\";\n"
        "late_fee_daily_permyriad = 5;\n"
        "carriers = ( { name = \"s\"; plugin = \"file\"; channel = \"sms\"; path = \"/dev/null\"; },\n"
        "             { name = \"e\"; plugin = \"file\"; channel = \"email\"; path = \"/dev/null\"; } );\n"
        "templates = {\n"
        "  t = { monthly = \"M {{unit}} {{amount}}\"; prepaid = \"P {{unit}} {{amount}}\";\n"
        "        away = \"A {{unit}} {{bank_account}}\"; subject = \"S {{unit}}\"; };\n"
        "  p = { text = \"承诺 {{promise_date}} {{amount}}\"; };\n"
        "};\n"
        "schedules = (\n"
        "  { name = \"all\"; categories = [\"new\", \"unclear\", \"unreachable\", \"away\", \"promised\"];\n"
        "    channels = [\"sms\", \"email\"]; template = \"t\"; },\n"
        "  { name = \"eve\"; promise_eve = true; channels = [\"sms\"]; template = \"p\"; },\n"
        "  { name = \"late\"; categories = [\"new\"]; min_overdue_days = 30; channels = [\"sms\"];\n"
        "    template = \"t\"; }\n"
        ");\n";

typedef struct Seen {
        char unit[32], channel[16], recipient[64], template_name[64], text[256], skip[160];
        int category;
        size_t parts;
} Seen;

typedef struct Fixture {
        char dir[64];
        Config *config;
        Store *store;
        Seen seen[16];
        size_t n;
} Fixture;

static void household(Fixture *f, const char *unit, const char *phone, const char *email,
                      bool prepaid, int64_t owed, const char *due) {
        HouseholdRecord h = { .unit = unit, .building = "1", .property_type = "多层", .owner = "张三",
                              .phone = phone, .email = email, .prepaid = prepaid };
        StoreChange c;
        int64_t id, day;

        assert_int_equal(store_household_upsert(f->store, &h, NOW, &c), 0);
        assert_int_equal(store_household_find(f->store, unit, &id), 0);
        assert_int_equal(date_parse(due, &day), 0);
        if (owed)
                assert_int_equal(store_charges_upsert(f->store, id, &(ChargeRecord) { "2026-11", owed, day }, 1, &c), 0);
}

static void categorize(Fixture *f, const char *unit, Category c, const char *promise) {
        int64_t id, day = -1;

        assert_int_equal(store_household_find(f->store, unit, &id), 0);
        if (promise)
                assert_int_equal(date_parse(promise, &day), 0);
        assert_int_equal(store_household_set_category(f->store, id, c, day, NULL, "test", NOW,
                                                      CATEGORY_SET_ALWAYS, NULL), 0);
}

static void invalidate_first_phone(Fixture *f, const char *unit) {
        int64_t id;

        assert_int_equal(store_household_find(f->store, unit, &id), 0);
        assert_int_equal(store_contact_invalidate(f->store, id, "sms", NULL, "空号", NOW), 1);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        ConfigErrors errors = {};
        char path[128], err[256];
        FILE *fp;

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-plan.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(path, sizeof(path), "%s/dunnd.conf", f->dir);
        fp = fopen(path, "w");
        if (!fp || fputs(conf, fp) < 0 || fclose(fp) != 0)
                return -1;
        if (config_load(path, &f->config, &errors) < 0) {
                for (size_t i = 0; i < errors.n; i++)
                        fprintf(stderr, "%s\n", errors.lines[i]);
                return -1;
        }
        if (store_open(":memory:", STORE_OPEN_CREATE, &f->store, err, sizeof(err)) < 0)
                return -1;
        /* inserted out of order: the plan comes in unit order */
        household(f, "10-1-101", "13900000010", NULL, false, 12000, "2026-11-15");
        household(f, "3-2-1201", "13900000003", "c@example.com", true, 8000, "2026-11-15");
        household(f, "3-2-1202", NULL, NULL, false, 8000, "2026-11-15");      /* no contact */
        household(f, "3-2-1203", "13900000005", "u@example.com", false, 8000, "2026-11-15");
        household(f, "3-2-1204", "13900000006", NULL, false, 8000, "2026-11-15");
        household(f, "3-2-1205", "13900000007", NULL, false, 0, "2026-11-15");  /* paid up */
        household(f, "3-2-1206", "13900000008", NULL, false, 8000, "2026-11-15");
        household(f, "3-2-1207", "13900000009", NULL, false, 8000, "2026-10-01");
        categorize(f, "3-2-1203", CATEGORY_UNREACHABLE, NULL);
        invalidate_first_phone(f, "3-2-1203");     /* as `categorize … unreachable` does */
        categorize(f, "3-2-1204", CATEGORY_AWAY, NULL);
        categorize(f, "3-2-1206", CATEGORY_DISPUTED, NULL);
        categorize(f, "3-2-1207", CATEGORY_PROMISED, "2026-12-11");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];

        store_close(f->store);
        config_free(f->config);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static int collect(const PlanItem *it, void *userdata) {
        Fixture *f = userdata;
        Seen *s;

        assert_true(f->n < ELEMENTSOF(f->seen));
        s = &f->seen[f->n++];
        snprintf(s->unit, sizeof(s->unit), "%s", it->debtor->unit);
        snprintf(s->channel, sizeof(s->channel), "%s", strempty(it->channel));
        snprintf(s->recipient, sizeof(s->recipient), "%s", strempty(it->recipient));
        snprintf(s->template_name, sizeof(s->template_name), "%s", it->template_name);
        snprintf(s->text, sizeof(s->text), "%s", it->text);
        snprintf(s->skip, sizeof(s->skip), "%s", strempty(it->skip_reason));
        s->category = it->debtor->category;
        s->parts = it->sms.parts;
        return 0;
}

static time_t at(const char *when) {
        time_t t;

        assert_int_equal(localtime_parse(when, "Asia/Shanghai", &t), 0);
        return t;
}

static void test_selection_channels_variants(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *sc = config_find_schedule(f->config, "all");

        assert_int_equal(plan_each(f->config, f->store, sc, at("2026-12-10 09:30"), collect, f), 0);
        /* the paid-up and the disputed household are not selected; the promise of 12-11 is
         * still ahead, so 3-2-1207 is promised, not broken */
        assert_int_equal(f->n, 6);
        assert_string_equal(f->seen[0].unit, "3-2-1201");
        assert_string_equal(f->seen[0].template_name, "t/prepaid");
        assert_string_equal(f->seen[0].text, "P 3-2-1201 80.00");
        assert_string_equal(f->seen[0].channel, "sms");
        assert_string_equal(f->seen[0].recipient, "13900000003");
        assert_int_equal(f->seen[0].parts, 1);
        /* no usable contact: planned with the reason, no channel */
        assert_string_equal(f->seen[1].unit, "3-2-1202");
        assert_string_equal(f->seen[1].channel, "");
        assert_non_null(strstr(f->seen[1].skip, "no usable contact"));
        /* unreachable, its only phone dead: e-mail */
        assert_string_equal(f->seen[2].unit, "3-2-1203");
        assert_string_equal(f->seen[2].channel, "email");
        assert_string_equal(f->seen[2].recipient, "u@example.com");
        /* away: the bank details */
        assert_string_equal(f->seen[3].unit, "3-2-1204");
        assert_string_equal(f->seen[3].template_name, "t/away");
        assert_string_equal(f->seen[3].text, "A 3-2-1204 工行 1202");
        assert_string_equal(f->seen[4].unit, "3-2-1207");
        assert_int_equal(f->seen[4].category, CATEGORY_PROMISED);
        /* 10 after 3: numbers in unit codes compare as numbers */
        assert_string_equal(f->seen[5].unit, "10-1-101");
        assert_string_equal(f->seen[5].text, "M 10-1-101 120.00");
}

/* The day before the promise: only that household; the day after: it counts as unclear. */
static void test_promise_eve(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *eve = config_find_schedule(f->config, "eve");
        const ConfigSchedule *all = config_find_schedule(f->config, "all");

        assert_int_equal(plan_each(f->config, f->store, eve, at("2026-12-10 09:30"), collect, f), 0);
        assert_int_equal(f->n, 1);
        assert_string_equal(f->seen[0].unit, "3-2-1207");
        assert_string_equal(f->seen[0].text, "承诺 12月11日 80.00");
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, eve, at("2026-12-11 09:30"), collect, f), 0);
        assert_int_equal(f->n, 0);
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, all, at("2026-12-12 09:30"), collect, f), 0);
        assert_string_equal(f->seen[4].unit, "3-2-1207");
        assert_int_equal(f->seen[4].category, CATEGORY_UNCLEAR);
}

static void test_min_overdue_days(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *late = config_find_schedule(f->config, "late");

        /* due 11-15: 25 days overdue on 12-10, 30 on 12-15 */
        assert_int_equal(plan_each(f->config, f->store, late, at("2026-12-10 09:30"), collect, f), 0);
        assert_int_equal(f->n, 0);
        assert_int_equal(plan_each(f->config, f->store, late, at("2026-12-15 09:30"), collect, f), 0);
        assert_int_equal(f->n, 3);     /* the `new` ones: 3-2-1201, 3-2-1202, 10-1-101 */
}

static int stop_at_two(const PlanItem *it, void *userdata) {
        Fixture *f = userdata;

        (void) it;
        return ++f->n == 2 ? -ECANCELED : 0;
}

/* A callback's error stops the plan and comes back; the plan wrote nothing. */
static void test_stops_and_writes_nothing(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *sc = config_find_schedule(f->config, "all");
        sqlite3_stmt *st = NULL;

        assert_int_equal(plan_each(f->config, f->store, sc, at("2026-12-10 09:30"), stop_at_two, f),
                         -ECANCELED);
        assert_int_equal(f->n, 2);
        assert_int_equal(sqlite3_prepare_v2(f->store->db, "SELECT COUNT(*) FROM dispatches", -1, &st,
                                            NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 0);
        sqlite3_finalize(st);
}

static size_t count_capped(Fixture *f, const char *prefix) {
        size_t n = 0;

        for (size_t i = 0; i < f->n; i++)
                if (strncmp(f->seen[i].skip, prefix, strlen(prefix)) == 0)
                        n++;
        return n;
}

/* At most one reminder a day and four in any 7 days, over every schedule: a later
 * occurrence skips the households an earlier one reached, with the reason. */
static void test_frequency_caps(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *all = config_find_schedule(f->config, "all");
        static const char *const days[] = { "2026-12-14 09:30", "2026-12-15 09:30",
                                            "2026-12-16 09:30", "2026-12-17 09:30" };
        CampaignResult res;
        char when[32];

        assert_int_equal(campaign_start(f->config, f->store, all, at(days[0]), "test", &res), 0);
        assert_int_equal(res.total.selected, 0);        /* campaign_start counts nothing */
        /* the same day, later: every household the morning reached is capped */
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, all, at("2026-12-14 11:00"), collect, f), 0);
        assert_true(f->n > 0);
        assert_int_equal(count_capped(f, "capped: 1 reminder(s) on 2026-12-14 already (caps.per_day = 1)"),
                         f->n - 1);     /* all but 3-2-1202, which has no contact */
        /* the next day: free again */
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, all, at(days[1]), collect, f), 0);
        assert_int_equal(count_capped(f, "capped"), 0);
        for (size_t i = 1; i < ELEMENTSOF(days); i++)
                assert_int_equal(campaign_start(f->config, f->store, all, at(days[i]), "test", &res), 0);
        /* four in 12-12..12-18: the fifth day is capped by the week */
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, all, at("2026-12-18 09:30"), collect, f), 0);
        assert_int_equal(count_capped(f, "capped: 4 reminder(s) in the 7 days to 2026-12-18"), f->n - 1);
        /* 12-15..12-21 holds three of them */
        f->n = 0;
        snprintf(when, sizeof(when), "2026-12-21 09:30");
        assert_int_equal(plan_each(f->config, f->store, all, at(when), collect, f), 0);
        assert_int_equal(count_capped(f, "capped"), 0);
        /* caps off: nothing is capped */
        f->config->caps_per_day = f->config->caps_per_week = 0;
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, all, at("2026-12-17 18:00"), collect, f), 0);
        assert_int_equal(count_capped(f, "capped"), 0);
}

/* An unreachable household is texted on a phone still alive, never on the dead one; a
 * household whose every live contact opted out is skipped, saying so. */
static void test_unreachable_and_opted_out(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *sc = config_find_schedule(f->config, "all");
        unsigned changed;
        int64_t id;

        /* a second import brings a second phone: it becomes the first tried */
        household(f, "3-2-1208", "13900000011", NULL, false, 8000, "2026-11-15");
        household(f, "3-2-1208", "13900000012", "w@example.com", false, 8000, "2026-11-15");
        categorize(f, "3-2-1208", CATEGORY_UNREACHABLE, NULL);
        invalidate_first_phone(f, "3-2-1208");  /* 13900000012, the one staff called */
        household(f, "3-2-1209", "13900000013", "o@example.com", false, 8000, "2026-11-15");
        assert_int_equal(store_household_find(f->store, "3-2-1209", &id), 0);
        assert_int_equal(store_contacts_set_opt_out(f->store, &(OptoutTarget) { .household_id = id },
                                                    true, "alice", NULL, NOW, &changed), 2);

        assert_int_equal(plan_each(f->config, f->store, sc, at("2026-12-10 09:30"), collect, f), 0);
        assert_int_equal(f->n, 8);
        assert_string_equal(f->seen[5].unit, "3-2-1208");
        assert_string_equal(f->seen[5].channel, "sms");
        assert_string_equal(f->seen[5].recipient, "13900000011");
        assert_string_equal(f->seen[6].unit, "3-2-1209");
        assert_string_equal(f->seen[6].channel, "");
        assert_string_equal(f->seen[6].skip, "opted out: every usable contact on the schedule's channels opted out");
        /* the household without any contact keeps its own reason */
        assert_string_equal(f->seen[1].skip, "no usable contact on the schedule's channels");

        /* the second phone dies too: e-mail, never a dead number */
        invalidate_first_phone(f, "3-2-1208");
        f->n = 0;
        assert_int_equal(plan_each(f->config, f->store, sc, at("2026-12-10 09:30"), collect, f), 0);
        assert_string_equal(f->seen[5].unit, "3-2-1208");
        assert_string_equal(f->seen[5].channel, "email");
        assert_string_equal(f->seen[5].recipient, "w@example.com");
}

/* An owner of three units (two flats and a parking space, one phone) gets one message:
 * the run's plan writes a row per household, the first carries the text for all three and
 * their total, the others wait in it. A capped household is not merged. */
static void test_one_message_per_owner(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *all = config_find_schedule(f->config, "all");
        CampaignResult res;

        household(f, "2-1-1501", "13900000020", NULL, false, 100000, "2026-11-15");
        household(f, "2-1-1502", "13900000020", NULL, false, 80000, "2026-11-15");
        household(f, "P-101", "13900000020", NULL, false, 15000, "2026-11-15");
        assert_int_equal(campaign_start(f->config, f->store, all, at("2026-12-10 09:30"), "test", &res), 0);
        assert_string_equal(store_peer_text(f->store,
                "SELECT d.status || '|' || d.amount || '|' || d.text FROM dispatches d"
                " JOIN households h ON h.id = d.household_id WHERE h.unit = '2-1-1501'"),
                "pending|195000|M 2-1-1501、2-1-1502、P-101 1,950.00");
        assert_string_equal(store_peer_text(f->store,
                "SELECT group_concat(h.unit || ':' || d.status || ':' || d.amount || ':' || d.error, ',')"
                "  FROM dispatches d JOIN households h ON h.id = d.household_id"
                " WHERE d.merged_into = (SELECT d2.id FROM dispatches d2 JOIN households h2"
                "                         ON h2.id = d2.household_id WHERE h2.unit = '2-1-1501')"),
                "2-1-1502:skipped:80000:merged into the message to 2-1-1501,"
                "P-101:skipped:15000:merged into the message to 2-1-1501");
        /* the households of everyone else: one message each */
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches WHERE merged_into IS NOT NULL"), 2);
        /* counted as waiting, not skipped */
        assert_int_equal(campaign_counts(f->store, res.occurrence_id, &res), 0);
        assert_int_equal(res.total.skipped, 1);         /* 3-2-1202: no contact */
        assert_int_equal(res.total.pending, res.total.selected - 1);

        /* later that day the caps skip every household reminded, the merged three too (each
         * had its reminder): a capped household is not merged */
        assert_int_equal(store_exec(f->store, "UPDATE occurrences SET key = 'x'"), 0);
        assert_int_equal(campaign_start(f->config, f->store, all, at("2026-12-10 11:00"), "test", &res), 0);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches d JOIN occurrences o"
                                              " ON o.id = d.occurrence_id WHERE o.key != 'x'"
                                              " AND d.error LIKE 'capped%'"), 8);
        assert_int_equal(store_peer_int(f->store, "SELECT COUNT(*) FROM dispatches d JOIN occurrences o"
                                              " ON o.id = d.occurrence_id WHERE o.key != 'x'"
                                              " AND d.merged_into IS NOT NULL"), 0);
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_selection_channels_variants),
                T(test_promise_eve),
                T(test_min_overdue_days),
                T(test_stops_and_writes_nothing),
                T(test_frequency_caps),
                T(test_unreachable_and_opted_out),
                T(test_one_message_per_owner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
