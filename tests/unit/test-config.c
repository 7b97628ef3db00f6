/* SPDX-License-Identifier: MIT */

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

#include "config.h"
#include "holiday.h"
#include "timeutil.h"
#include "variant.h"
#include "macro.h"

/* A config file in /tmp, removed by the teardown. */
typedef struct Fixture {
        char path[64];
        char include[64];
        Config *config;
        ConfigErrors errors;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        config_free(f->config);
        config_errors_clear(&f->errors);
        if (f->path[0])
                unlink(f->path);
        if (f->include[0])
                unlink(f->include);
        free(f);
        return 0;
}

static void write_temp(char path[static 64], const char *text) {
        int fd;

        strcpy(path, "/tmp/dunnd-test-config.XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
}

/* Writes text to a fresh file and loads it. Returns config_load's result. */
static int load(Fixture *f, const char *text) {
        config_free(f->config);
        f->config = NULL;
        config_errors_clear(&f->errors);
        if (f->path[0])
                unlink(f->path);
        write_temp(f->path, text);
        return config_load(f->path, &f->config, &f->errors);
}

static void dump_errors(const Fixture *f) {
        for (size_t i = 0; i < f->errors.n; i++)
                print_message("  error: %s\n", f->errors.lines[i]);
}

static void load_ok(Fixture *f, const char *text) {
        int r = load(f, text);

        if (r != 0 || f->errors.n != 0) {
                dump_errors(f);
                fail_msg("config_load failed: %d", r);
        }
        assert_non_null(f->config);
}

/* Asserts that exactly this line ("PATH:LINE: message", PATH replaced by the temp file) is
 * among the errors. With prefix_only, the error need only start with it. */
static void expect_error_full(const Fixture *f, const char *path, int line, const char *message,
                              bool prefix_only) {
        char *want = NULL;

        assert_true(asprintf(&want, "%s:%d: %s", path, line, message) >= 0);
        for (size_t i = 0; i < f->errors.n; i++)
                if (prefix_only ? strncmp(f->errors.lines[i], want, strlen(want)) == 0
                                : streq(f->errors.lines[i], want)) {
                        free(want);
                        return;
                }
        dump_errors(f);
        fail_msg("expected error not reported: %s", want);
}

static void expect_error(const Fixture *f, int line, const char *message) {
        expect_error_full(f, f->path, line, message, false);
}

static void expect_error_prefix(const Fixture *f, int line, const char *message) {
        expect_error_full(f, f->path, line, message, true);
}

/* Loads text expecting exactly one error: "PATH:LINE: message". */
static void expect_only_error(Fixture *f, const char *text, int line, const char *message) {
        Config *sentinel = (Config *) 0x1;

        config_free(f->config);
        f->config = NULL;
        config_errors_clear(&f->errors);
        if (f->path[0])
                unlink(f->path);
        write_temp(f->path, text);
        f->config = sentinel;
        assert_int_equal(config_load(f->path, &f->config, &f->errors), -EINVAL);
        /* nothing is returned: a reload keeps the old Config */
        assert_ptr_equal(f->config, sentinel);
        f->config = NULL;
        if (f->errors.n != 1) {
                dump_errors(f);
                fail_msg("expected exactly 1 error, got %zu", f->errors.n);
        }
        expect_error(f, line, message);
}

/* The pieces every valid config below is built from. */
#define CARRIER_SMS \
        "  { name = \"local\"; plugin = \"file\"; channel = \"sms\"; path = \"/tmp/x.jsonl\"; }\n"
#define CARRIER_EMAIL \
        "  ,{ name = \"mail\"; plugin = \"file\"; channel = \"email\"; path = \"/tmp/y.jsonl\"; }\n"

static void test_minimal_and_defaults(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *s;
        Config *c;

        load_ok(f,
                "carriers = (\n"
                CARRIER_SMS
                ");\n"
                "templates = { t = \"{{owner}}您好，欠费{{amount}}元\"; };\n"
                "schedules = ( { name = \"s\"; template = \"t\"; } );\n");
        c = f->config;
        assert_string_equal(c->path, f->path);
        assert_string_equal(c->database, "/var/lib/dunnd/dunnd.db");
        assert_string_equal(c->timezone, "Asia/Shanghai");
        assert_string_equal(c->plugin_dir, DUNND_PLUGIN_DIR);
        assert_string_equal(c->estate, "");
        assert_string_equal(c->signature, "");
        assert_string_equal(c->office_phone, "");
        assert_string_equal(c->bank_account, "");
        assert_int_equal(c->deadline_day, 15);
        assert_int_equal(c->late_fee.daily_permyriad, 0);
        assert_int_equal(c->late_fee.cap_percent, 0);
        assert_int_equal(c->fees.vacant_percent, 100);
        assert_int_equal(c->sms_price_fen, 0);
        assert_int_equal(c->quiet_start_min, 21 * 60);
        assert_int_equal(c->quiet_end_min, 8 * 60);

        assert_int_equal(c->n_carriers, 1);
        assert_string_equal(c->carriers[0].name, "local");
        assert_string_equal(c->carriers[0].plugin, "file");
        assert_string_equal(c->carriers[0].channel, "sms");
        assert_int_equal(c->carriers[0].line, 2);
        assert_int_equal(c->carriers[0].concurrency, 4);
        assert_int_equal(c->carriers[0].max_attempts, 5);
        assert_int_equal(c->carriers[0].max_age_sec, 6 * 3600);
        assert_true(c->carriers[0].rate == 0.0);

        assert_int_equal(c->n_templates, 1);
        assert_string_equal(c->templates[0].name, "t");
        assert_string_equal(c->templates[0].source[TEMPLATE_TEXT], "{{owner}}您好，欠费{{amount}}元");
        assert_non_null(c->templates[0].variant[TEMPLATE_TEXT]);
        assert_null(c->templates[0].variant[TEMPLATE_AWAY]);
        assert_null(c->templates[0].subject);
        assert_ptr_equal(config_find_template(c, "t"), &c->templates[0]);
        assert_null(config_find_template(c, "u"));

        assert_int_equal(c->n_schedules, 1);
        s = config_find_schedule(c, "s");
        assert_ptr_equal(s, &c->schedules[0]);
        assert_null(config_find_schedule(c, "S"));
        assert_int_equal(s->line, 5);
        assert_null(s->when);
        assert_null(s->spec);
        /* everyone but the disputed, by SMS, with a day of catch-up */
        assert_int_equal(s->categories, CATEGORY_ALL & ~(1u << CATEGORY_DISPUTED));
        assert_int_equal(s->n_channels, 1);
        assert_string_equal(s->channels[0], "sms");
        assert_null(s->channels[1]);
        assert_ptr_equal(s->template, &c->templates[0]);
        assert_int_equal(s->min_overdue_days, 0);
        assert_false(s->promise_eve);
        assert_null(s->buildings);
        assert_int_equal(s->catch_up_sec, 86400);
}

static void test_everything_set(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *s;
        Config *c;

        load_ok(f,
                "database = \"/srv/dunnd.db\";\n"
                "timezone = \"UTC\";\n"
                "plugin_dir = \"/opt/dunnd/plugins\";\n"
                "estate = \"阳光花园\";\n"
                "signature = \"【阳光花园物业】\";\n"
                "office_phone = \"0571-88886666\";\n"
                "bank_account = \"工商银行 1202\";\n"
                "late_fee_daily_permyriad = 5;\n"
                "deadline_day = 31;\n"
                "log_level = \"debug\";\n"
                "quiet_hours = { start = \"22:30\"; end = \"07:15\"; };\n"
                "caps = { per_day = 2; per_week = 5; };\n"
                "carriers = (\n"
                CARRIER_SMS
                CARRIER_EMAIL
                ");\n"
                "templates = {\n"
                "  t = { text = \"{{owner}}\"; subject = \"{{estate}}提醒\"; };\n"
                "};\n"
                "schedules = (\n"
                "  { name = \"s\"; when = \"*-*-14,15 09:30\"; categories = [\"unclear\", \"暂未明确类\","
                " \"away\"];\n"
                "    channels = [\"email\", \"sms\"]; template = \"t\"; min_overdue_days = 3;\n"
                "    buildings = [\"1\", \"3\"]; catch_up = \"2h\"; }\n"
                ");\n");
        c = f->config;
        assert_string_equal(c->database, "/srv/dunnd.db");
        assert_string_equal(c->timezone, "UTC");
        assert_string_equal(c->plugin_dir, "/opt/dunnd/plugins");
        assert_string_equal(c->estate, "阳光花园");
        assert_string_equal(c->signature, "【阳光花园物业】");
        assert_string_equal(c->office_phone, "0571-88886666");
        assert_string_equal(c->bank_account, "工商银行 1202");
        assert_int_equal(c->late_fee.daily_permyriad, 5);   /* the key before the late_fee group */
        assert_int_equal(c->late_fee.grace_days, 0);
        assert_int_equal(c->deadline_day, 31);
        assert_int_equal(c->log_level, 7);
        assert_int_equal(c->quiet_start_min, 22 * 60 + 30);
        assert_int_equal(c->quiet_end_min, 7 * 60 + 15);
        assert_int_equal(c->caps_per_day, 2);
        assert_int_equal(c->caps_per_week, 5);
        assert_int_equal(c->n_carriers, 2);
        assert_string_equal(c->carriers[1].channel, "email");
        assert_int_equal(c->carriers[1].line, 15);
        assert_non_null(c->templates[0].subject);
        assert_string_equal(c->templates[0].subject_source, "{{estate}}提醒");

        s = &c->schedules[0];
        assert_string_equal(s->when, "*-*-14,15 09:30");
        assert_non_null(s->spec);
        assert_int_equal(s->categories, (1u << CATEGORY_UNCLEAR) | (1u << CATEGORY_AWAY));
        assert_int_equal(s->n_channels, 2);
        assert_string_equal(s->channels[0], "email");
        assert_string_equal(s->channels[1], "sms");
        assert_null(s->channels[2]);
        assert_int_equal(s->min_overdue_days, 3);
        assert_non_null(s->buildings);
        assert_string_equal(s->buildings[0], "1");
        assert_string_equal(s->buildings[1], "3");
        assert_null(s->buildings[2]);
        assert_int_equal(s->catch_up_sec, 7200);
        assert_int_equal(s->line, 21);

        /* the parsed calendar spec is usable: the 14th at 09:30 UTC follows the 1st */
        {
                usec_t next = 0;
                usec_t after = (usec_t) 1796083200 * USEC_PER_SEC;      /* 2026-12-01 00:00 UTC */

                assert_int_equal(calendar_spec_next_usec(s->spec, after, c->timezone, &next), 0);
                assert_true(next == (usec_t) (1796083200 + 13 * 86400 + 9 * 3600 + 30 * 60) *
                                            USEC_PER_SEC);
        }
}

/* The playbook as shipped in etc/dunnd.conf (copied here so the test does not depend on
 * the file's place; test_shipped_config loads the real file when the tree has it). */
static const char playbook[] =
        "database = \"/var/lib/dunnd/dunnd.db\";\n"
        "timezone = \"Asia/Shanghai\";\n"
        "estate = \"阳光花园\";\n"
        "signature = \"【阳光花园物业】\";\n"
        "office_phone = \"0571-88886666\";\n"
        "bank_account = \"户名:杭州阳光物业服务有限公司 开户行:工商银行文三路支行 账号:1202 0212 0900 1234 567\";\n"
        "deadline_day = 15;\n"
        "late_fee_daily_permyriad = 5;\n"
        "quiet_hours = { start = \"21:00\"; end = \"08:00\"; };\n"
        "carriers = (\n"
        "  { name = \"local-sms\"; plugin = \"file\"; channel = \"sms\"; path = \"/var/lib/dunnd/outbox-sms.jsonl\"; },\n"
        "  { name = \"local-email\"; plugin = \"file\"; channel = \"email\"; path = \"/var/lib/dunnd/outbox-email.jsonl\"; }\n"
        ");\n"
        "templates = {\n"
        "  deadline = {\n"
        "    monthly = \"{{signature}}尊敬的{{owner}}业主您好，您的{{unit}}物业费{{amount}}元尚未缴纳，{{deadline}}起将按合同计收滞纳金。\";\n"
        "    prepaid = \"{{signature}}尊敬的{{owner}}业主您好，您{{unit}}的预付物业费已用完，目前待缴{{amount}}元，请于{{deadline}}前续缴。\";\n"
        "    away = \"{{signature}}尊敬的{{owner}}业主您好，您的{{unit}}物业费{{amount}}元尚未缴纳。您在外地可银行转账：{{bank_account}}。\";\n"
        "    subject = \"{{estate}}物业费缴费提醒（{{unit}}）\";\n"
        "  };\n"
        "  promise = {\n"
        "    text = \"{{signature}}尊敬的{{owner}}业主您好，感谢您约定于{{promise_date}}缴纳{{unit}}物业费{{amount}}元，特此提醒。\";\n"
        "    subject = \"{{estate}}物业费缴费提醒（{{unit}}）\";\n"
        "  };\n"
        "  daily = {\n"
        "    text = \"{{signature}}尊敬的{{owner}}业主您好，您的{{unit}}物业费{{amount}}元（{{periods}}）尚未缴纳。\";\n"
        "    away = \"{{signature}}您在外地可银行转账：{{bank_account}}，待缴{{total}}元（含滞纳金{{late_fee}}元）。\";\n"
        "    subject = \"{{estate}}物业费缴费提醒（{{unit}}）\";\n"
        "  };\n"
        "};\n"
        "schedules = (\n"
        "  { name = \"deadline\"; when = \"*-*-14,15 09:30\";\n"
        "    categories = [\"new\", \"promised\", \"unclear\", \"unreachable\", \"away\"];\n"
        "    channels = [\"sms\", \"email\"]; template = \"deadline\"; },\n"
        "  { name = \"promise-eve\"; when = \"*-*-* 10:00\"; promise_eve = true;\n"
        "    channels = [\"sms\", \"email\"]; template = \"promise\"; },\n"
        "  { name = \"unclear-daily\"; when = \"*-*-* 10:30\"; categories = [\"unclear\"];\n"
        "    min_overdue_days = 1; channels = [\"sms\", \"email\"]; template = \"daily\"; },\n"
        "  { name = \"reminder\"; categories = [\"new\", \"unclear\", \"away\"];\n"
        "    channels = [\"sms\", \"email\"]; template = \"daily\"; }\n"
        ");\n";

static void test_playbook(void **state) {
        Fixture *f = *state;
        const ConfigSchedule *s;
        Config *c;

        load_ok(f, playbook);
        c = f->config;
        assert_int_equal(c->n_carriers, 2);
        assert_int_equal(c->n_templates, 3);
        assert_int_equal(c->n_schedules, 4);

        s = config_find_schedule(c, "deadline");
        assert_non_null(s);
        assert_int_equal(s->categories, CATEGORY_ALL & ~(1u << CATEGORY_DISPUTED));
        assert_ptr_equal(s->template, config_find_template(c, "deadline"));

        s = config_find_schedule(c, "promise-eve");
        assert_non_null(s);
        assert_true(s->promise_eve);
        assert_int_equal(s->categories, 1u << CATEGORY_PROMISED);

        s = config_find_schedule(c, "unclear-daily");
        assert_int_equal(s->categories, 1u << CATEGORY_UNCLEAR);
        assert_int_equal(s->min_overdue_days, 1);

        s = config_find_schedule(c, "reminder");
        assert_null(s->when);
        assert_null(s->spec);
}

static void test_shipped_config(void **state) {
        Fixture *f = *state;
        const char *top = getenv("TOP");
        char path[4096];
        int r;

        snprintf(path, sizeof(path), "%s/etc/dunnd.conf", top ? top : ".");
        if (access(path, R_OK) < 0) {
                print_message("%s not in this tree; test_playbook covers a copy\n", path);
                skip();
        }
        r = config_load(path, &f->config, &f->errors);
        if (r < 0)
                dump_errors(f);
        assert_int_equal(r, 0);
        assert_int_equal(f->errors.n, 0);
        assert_true(f->config->n_schedules > 0);
        assert_true(f->config->n_carriers > 0);
        assert_true(f->config->n_templates > 0);
        /* the shipped playbook never reminds the disputed */
        for (size_t i = 0; i < f->config->n_schedules; i++)
                assert_false(f->config->schedules[i].categories & (1u << CATEGORY_DISPUTED));
        /* its holidays.conf came in through the @include, from whatever directory we run in */
        assert_true(config_find_schedule(f->config, "collection")->working_days_only);
        assert_true(config_find_schedule(f->config, "deadline")->working_days_only);
        assert_false(config_find_schedule(f->config, "promise-eve")->working_days_only);
        assert_true(holiday_covers_year(f->config->holidays, 2026));
        assert_false(holiday_is_working_day(f->config->holidays, days_from_civil(2027, 1, 1)));
        assert_true(holiday_is_working_day(f->config->holidays, days_from_civil(2026, 2, 28)));
}

static void test_unknown_keys(void **state) {
        Fixture *f = *state;

        expect_only_error(f,
                          "colour = \"red\";\n"                                          /* 1 */
                          "carriers = (\n"
                          CARRIER_SMS
                          ");\n"
                          "templates = { t = \"{{owner}}\"; };\n"
                          "schedules = ( { name = \"s\"; template = \"t\"; } );\n",
                          1, "unknown key 'colour' in the top level");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          CARRIER_SMS                                                    /* 2 */
                          ");\n"                                                         /* 3 */
                          "templates = { t = \"{{owner}}\"; };\n"                         /* 4 */
                          "schedules = (\n"                                              /* 5 */
                          "  {\n"                                                        /* 6 */
                          "    name = \"s\";\n"                                          /* 7 */
                          "    template = \"t\";\n"                                      /* 8 */
                          "    categorie = [\"new\"];\n"                                 /* 9 */
                          "  }\n"
                          ");\n",
                          9, "unknown key 'categorie' in a schedule");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          CARRIER_SMS                                                    /* 2 */
                          ");\n"                                                         /* 3 */
                          "templates = {\n"                                              /* 4 */
                          "  t = {\n"                                                    /* 5 */
                          "    text = \"{{owner}}\";\n"                                  /* 6 */
                          "    monthy = \"{{owner}}\";\n"                                /* 7 */
                          "  };\n"
                          "};\n"
                          "schedules = ( { name = \"s\"; template = \"t\"; } );\n",
                          7, "unknown key 'monthy' in a template");

        expect_only_error(f,
                          "quiet_hours = { start = \"21:00\"; end = \"08:00\";\n"        /* 1 */
                          "  ende = \"09:00\"; };\n",                                    /* 2 */
                          2, "unknown key 'ende' in quiet_hours");
}

static void test_template_errors(void **state) {
        Fixture *f = *state;

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          CARRIER_SMS                                                    /* 2 */
                          ");\n"                                                         /* 3 */
                          "templates = {\n"                                              /* 4 */
                          "  ok = \"{{owner}}\";\n"                                      /* 5 */
                          "  t = \"您好{{x}}，欠费{{amount}}元\";\n"                      /* 6 */
                          "};\n"
                          "schedules = ( { name = \"s\"; template = \"ok\"; } );\n",
                          6, "template 't' (text): unknown variable '{{x}}' at character 3");

        /* in a variant, the line of that variant */
        expect_only_error(f,
                          "templates = {\n"                                              /* 1 */
                          "  t = {\n"                                                    /* 2 */
                          "    text = \"{{owner}}\";\n"                                  /* 3 */
                          "    away = \"{{bank_acount}}\";\n"                            /* 4 */
                          "  };\n"
                          "};\n",
                          4, "template 't' (away): unknown variable '{{bank_acount}}' at character 1");

        expect_only_error(f,
                          "templates = {\n"                                              /* 1 */
                          "  t = {\n"                                                    /* 2 */
                          "    text = \"{{owner}}\";\n"                                  /* 3 */
                          "    subject = \"{{owner\";\n"                                 /* 4 */
                          "  };\n"
                          "};\n",
                          4, "template 't' (subject): unterminated '{{' at character 1");

        /* every household needs some text */
        expect_only_error(f,
                          "templates = {\n"                                              /* 1 */
                          "  t = {\n"                                                    /* 2 */
                          "    monthly = \"{{owner}}\";\n"
                          "    away = \"{{owner}}\";\n"
                          "  };\n"
                          "};\n",
                          2, "template 't' needs 'text', or both 'monthly' and 'prepaid'");

        expect_only_error(f,
                          "templates = {\n"
                          "  t = 42;\n"                                                  /* 2 */
                          "};\n",
                          2, "template 't' must be a string or a group { text = \"...\"; "
                             "prepaid = \"...\"; ... }");
}

static void test_schedule_errors(void **state) {
        Fixture *f = *state;

#define HEAD                                                                              \
        "carriers = (\n"                                                  /* 1 */         \
        CARRIER_SMS                                                       /* 2 */         \
        ");\n"                                                            /* 3 */         \
        "templates = { t = \"{{owner}}\"; p = \"{{promise_date}}\"; };\n" /* 4 */         \
        "schedules = (\n"                                                 /* 5 */

        expect_only_error(f,
                          HEAD
                          "  {\n"                                                        /* 6 */
                          "    name = \"s\";\n"                                          /* 7 */
                          "    template = \"nope\";\n"                                   /* 8 */
                          "  }\n"
                          ");\n",
                          8, "schedule 's': no template named 'nope' in 'templates'");

        expect_only_error(f,
                          HEAD
                          "  {\n"                                                        /* 6 */
                          "    name = \"s\";\n"                                          /* 7 */
                          "  }\n"
                          ");\n",
                          6, "schedule 's' without a 'template'");

        expect_only_error(f,
                          HEAD
                          "  {\n"                                                        /* 6 */
                          "    name = \"s\";\n"                                          /* 7 */
                          "    template = \"t\";\n"                                      /* 8 */
                          "    categories = [\"new\", \"disputed\"];\n"                  /* 9 */
                          "  }\n"
                          ");\n",
                          9, "schedule 's': 'disputed' households never get automatic reminders; "
                             "escalate them to the project manager instead");

        /* the Chinese name is the same category */
        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\"; categories = [\"特殊拒交类\"]; }\n" /* 6 */
                          ");\n",
                          6, "schedule 's': 'disputed' households never get automatic reminders; "
                             "escalate them to the project manager instead");

        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\"; categories = [\"rich\"]; }\n" /* 6 */
                          ");\n",
                          6, "schedule 's': unknown category 'rich' (use new, promised, unclear, "
                             "unreachable, away)");

        expect_only_error(f,
                          HEAD
                          "  {\n"                                                        /* 6 */
                          "    name = \"eve\";\n"                                        /* 7 */
                          "    template = \"p\";\n"                                      /* 8 */
                          "    promise_eve = true;\n"                                    /* 9 */
                          "    categories = [\"promised\", \"unclear\"];\n"              /* 10 */
                          "  }\n"
                          ");\n",
                          6, "schedule 'eve': 'promise_eve' selects promised households only; "
                             "set categories = [\"promised\"]");

        expect_only_error(f,
                          HEAD
                          "  {\n"                                                        /* 6 */
                          "    name = \"s\";\n"                                          /* 7 */
                          "    template = \"t\";\n"                                      /* 8 */
                          "    channels = [\"sms\", \"email\"];\n"                       /* 9 */
                          "  }\n"
                          ");\n",
                          6, "schedule 's': no carrier serves channel 'email'");

        assert_int_equal(load(f,
                              HEAD
                              "  { name = \"s\"; template = \"t\"; channels = [\"fax\"]; }\n" /* 6 */
                              ");\n"),
                         -EINVAL);
        expect_error(f, 6, "schedule 's': unknown channel 'fax'");
        expect_error(f, 6, "schedule 's': no carrier serves channel 'fax'");
        assert_int_equal(f->errors.n, 2);

        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\";\n"                        /* 6 */
                          "    channels = []; }\n"                                       /* 7 */
                          ");\n",
                          7, "schedule 's': 'channels' is empty");

        expect_only_error(f,
                          HEAD
                          "  { name = \"s@2\"; template = \"t\"; }\n"                    /* 6 */
                          ");\n",
                          6, "schedule name 's@2' must not contain '@', '/' or blanks");

        expect_only_error(f,
                          HEAD
                          "  { template = \"t\"; }\n"                                    /* 6 */
                          ");\n",
                          6, "schedule without a 'name'");

        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\"; min_overdue_days = -1; }\n" /* 6 */
                          ");\n",
                          6, "'min_overdue_days' must be between 0 and 36500");

        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\";\n"                        /* 6 */
                          "    catch_up = \"soon\"; }\n"                                 /* 7 */
                          ");\n",
                          7, "'catch_up' must be a duration like \"90s\", \"15min\", \"2h\" or \"1d\"");

        expect_only_error(f,
                          HEAD
                          "  { name = \"s\"; template = \"t\"; }\n"                      /* 6 */
                          "  ,{ name = \"s\"; template = \"t\"; }\n"                     /* 7 */
                          ");\n",
                          7, "schedule 's' is defined twice");

#undef HEAD
}

/* expect_only_error cannot know calendar.c's wording: checked by prefix here. */
static void test_invalid_calendar(void **state) {
        Fixture *f = *state;

        assert_int_equal(load(f,
                              "carriers = (\n"                                           /* 1 */
                              CARRIER_SMS                                                /* 2 */
                              ");\n"                                                     /* 3 */
                              "templates = { t = \"{{owner}}\"; };\n"                     /* 4 */
                              "schedules = (\n"                                          /* 5 */
                              "  { name = \"s\"; template = \"t\";\n"                    /* 6 */
                              "    when = \"Mnd *-*-* 10:00\"; }\n"                      /* 7 */
                              ");\n"),
                         -EINVAL);
        assert_null(f->config);
        assert_int_equal(f->errors.n, 1);
        expect_error_prefix(f, 7, "schedule 's': invalid calendar expression 'Mnd *-*-* 10:00': ");
        assert_non_null(strstr(f->errors.lines[0], "Mnd"));

        assert_int_equal(load(f,
                              "carriers = (\n"                                           /* 1 */
                              CARRIER_SMS                                                /* 2 */
                              ");\n"                                                     /* 3 */
                              "templates = { t = \"{{owner}}\"; };\n"                     /* 4 */
                              "schedules = (\n"                                          /* 5 */
                              "  { name = \"s\"; template = \"t\"; when = \"*-*-32 10:00\"; }\n" /* 6 */
                              ");\n"),
                         -EINVAL);
        assert_int_equal(f->errors.n, 1);
        expect_error_prefix(f, 6, "schedule 's': invalid calendar expression '*-*-32 10:00': ");
}

static void test_carrier_errors(void **state) {
        Fixture *f = *state;

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          CARRIER_SMS                                                    /* 2 */
                          "  ,{ name = \"local\"; plugin = \"file\"; channel = \"sms\"; }\n" /* 3 */
                          ");\n",
                          3, "carrier 'local' is defined twice");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"../evil\"; channel = \"sms\"; }\n" /* 2 */
                          ");\n",
                          2, "plugin '../evil' must be a plain name like \"file\" (it is looked "
                             "up in plugin_dir)");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"file\";\n"                       /* 2 */
                          "    channel = \"pager\"; }\n"                                 /* 3 */
                          ");\n",
                          3, "unknown channel 'pager' (use \"sms\", \"email\" or \"wechat\")");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"file\"; }\n"                     /* 2 */
                          ");\n",
                          2, "carrier 'c' without a 'channel' (\"sms\", \"email\" or \"wechat\")");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { plugin = \"file\"; channel = \"sms\"; }\n"                /* 2 */
                          ");\n",
                          2, "carrier without a 'name'");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"file\"; channel = \"sms\";\n"    /* 2 */
                          "    concurrency = 0; }\n"                                     /* 3 */
                          ");\n",
                          3, "'concurrency' must be between 1 and 1024");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"file\"; channel = \"sms\";\n"    /* 2 */
                          "    headers = [\"a\", \"b\"]; }\n"                            /* 3 */
                          ");\n",
                          3, "carrier option 'headers' must be a string, number or boolean");

        expect_only_error(f,
                          "carriers = (\n"                                               /* 1 */
                          "  { name = \"c\"; plugin = \"file\"; channel = \"sms\";\n"    /* 2 */
                          "    rate = -1.5; }\n"                                         /* 3 */
                          ");\n",
                          3, "'rate' must not be negative");
}

static void test_top_level_errors(void **state) {
        Fixture *f = *state;

        expect_only_error(f,
                          "estate = \"阳光花园\";\n"                                      /* 1 */
                          "timezone = \"Mars/Olympus_Mons\";\n",                         /* 2 */
                          2, "unknown time zone 'Mars/Olympus_Mons' (not in /usr/share/zoneinfo)");

        expect_only_error(f,
                          "estate = \"阳光花园\";\n"                                      /* 1 */
                          "\n"                                                           /* 2 */
                          "quiet_hours = { start = \"25:00\"; end = \"08:00\"; };\n",    /* 3 */
                          3, "quiet_hours: start '25:00' is not HH:MM");

        expect_only_error(f,
                          "estate = \"阳光花园\";\n"                                      /* 1 */
                          "caps = { per_day = 2; per_week = 1; };\n",                    /* 2 */
                          2, "caps: per_week (1) is below per_day (2)");

        expect_only_error(f,
                          "caps = { per_day = 1;\n"                                      /* 1 */
                          "  per_month = 9; };\n",                                      /* 2 */
                          2, "unknown key 'per_month' in caps");

        expect_only_error(f,
                          "quiet_hours = {\n"                                            /* 1 */
                          "  start = \"21:00\";\n"
                          "  end = \"8h\";\n"
                          "};\n",
                          1, "quiet_hours: end '8h' is not HH:MM");

        expect_only_error(f, "quiet_hours = { start = \"21:00:00\"; end = \"08:00\"; };\n",
                          1, "quiet_hours: start '21:00:00' is not HH:MM");
        expect_only_error(f, "quiet_hours = { start = \"21:60\"; end = \"08:00\"; };\n",
                          1, "quiet_hours: start '21:60' is not HH:MM");
        expect_only_error(f, "quiet_hours = { start = \"24:01\"; end = \"08:00\"; };\n",
                          1, "quiet_hours: start '24:01' is not HH:MM");

        expect_only_error(f, "deadline_day = 32;\n", 1, "'deadline_day' must be between 1 and 31");
        expect_only_error(f, "deadline_day = \"15\";\n", 1, "'deadline_day' must be an integer");
        expect_only_error(f, "late_fee_daily_permyriad = 10001;\n", 1,
                          "'late_fee_daily_permyriad' must be between 0 and 10000");
        expect_only_error(f, "estate = 5;\n", 1, "'estate' must be a string");
        expect_only_error(f, "log_level = \"loud\";\n", 1,
                          "unknown log_level 'loud' (err, warning, notice, info, debug)");
        expect_only_error(f, "schedules = { a = 1; };\n", 1,
                          "'schedules' must be a list: ( { ... }, { ... } )");
        expect_only_error(f, "carriers = \"file\";\n", 1,
                          "'carriers' must be a list: ( { ... }, { ... } )");
        expect_only_error(f, "templates = ( \"x\" );\n", 1,
                          "'templates' must be a group: { name = \"text\"; ... }");
}

static void test_money_keys(void **state) {
        Fixture *f = *state;
        const Config *c;

        load_ok(f,
                "late_fee = { daily_permyriad = 30; grace_days = 10; cap_percent = 100;\n"
                "             rounding = \"down\"; };\n"
                "sms_price_fen = 5;\n"
                "fees = {\n"
                "  due_day = 31;\n"
                "  vacant_percent = 50;\n"
                "  standards = (\n"
                "    { type = \"多层\"; yuan_per_m2 = \"1.20\"; },\n"
                "    { type = \"小高层\"; yuan_per_m2 = \"1.8\"; },\n"
                "    { type = \"商业\"; yuan_per_m2 = \"5\"; }\n"
                "  );\n"
                "};\n");
        c = f->config;
        assert_int_equal(c->late_fee.daily_permyriad, 30);
        assert_int_equal(c->late_fee.grace_days, 10);
        assert_int_equal(c->late_fee.cap_percent, 100);
        assert_int_equal(c->late_fee.rounding, MONEY_ROUND_DOWN);
        assert_int_equal(c->sms_price_fen, 5);
        assert_int_equal(c->fees.due_day, 31);
        assert_int_equal(c->fees.vacant_percent, 50);
        assert_int_equal(c->fees.fen_per_m2[PROPERTY_MULTI_STOREY], 120);
        assert_int_equal(c->fees.fen_per_m2[PROPERTY_MID_RISE], 180);
        assert_int_equal(c->fees.fen_per_m2[PROPERTY_COMMERCIAL], 500);
        assert_int_equal(c->fees.fen_per_m2[PROPERTY_VILLA], 0);       /* not configured */

        /* the defaults: half-up, no grace, no cap */
        load_ok(f, "late_fee = { daily_permyriad = 5; };\n");
        assert_int_equal(f->config->late_fee.daily_permyriad, 5);
        assert_int_equal(f->config->late_fee.rounding, MONEY_ROUND_HALF_UP);
        assert_int_equal(f->config->late_fee.grace_days, 0);
        assert_int_equal(f->config->late_fee.cap_percent, 0);
        assert_int_equal(f->config->fees.due_day, 15);
}

static void test_money_errors(void **state) {
        Fixture *f = *state;

        expect_only_error(f, "late_fee = { grace_days = 3; };\n", 1,
                          "late_fee: 'daily_permyriad' is required (5 = 万分之五 per day; 0 = none)");
        expect_only_error(f, "late_fee = {\n daily_permyriad = 5;\n rounding = \"bankers\";\n};\n", 3,
                          "late_fee: unknown rounding 'bankers' (half-up, down or up)");
        expect_only_error(f, "late_fee = { daily_permyriad = 5; cap = 100; };\n", 1,
                          "unknown key 'cap' in late_fee");
        expect_only_error(f, "late_fee = { daily_permyriad = 5; cap_percent = 1001; };\n", 1,
                          "'cap_percent' must be between 0 and 1000");
        expect_only_error(f, "late_fee = 5;\n", 1,
                          "'late_fee' must be a group { daily_permyriad = 5; grace_days = 0; }");
        expect_only_error(f, "late_fee = { daily_permyriad = 5; };\nlate_fee_daily_permyriad = 5;\n", 2,
                          "'late_fee_daily_permyriad' and 'late_fee' both given; keep late_fee = { "
                          "daily_permyriad = 5; }");
        expect_only_error(f, "sms_price_fen = -1;\n", 1, "'sms_price_fen' must be between 0 and 10000");
        expect_only_error(f, "fees = { due_day = 15; };\n", 1,
                          "fees: 'standards' is required: ( { type = \"多层\"; yuan_per_m2 = \"1.20\"; }, ... )");
        expect_only_error(f,
                          "fees = {\n"                                                   /* 1 */
                          "  standards = (\n"                                            /* 2 */
                          "    { type = \"高层\"; yuan_per_m2 = \"2.00\"; }\n"            /* 3 */
                          "  );\n};\n",
                          3, "fee standard: unknown property type '高层' (多层, 小高层, 联排别墅, 独立别墅, 商业)");
        expect_only_error(f,
                          "fees = {\n"
                          "  standards = (\n"
                          "    { type = \"多层\";\n"                                       /* 3 */
                          "      yuan_per_m2 = \"1.205\"; }\n"                           /* 4 */
                          "  );\n};\n",
                          4, "fee standard '多层': yuan_per_m2 '1.205' is not an amount from 0.01 to "
                          "1000.00 yuan (at most 2 decimals)");
        expect_only_error(f,
                          "fees = { standards = ( { type = \"多层\"; yuan_per_m2 = 1.20; } ); };\n", 1,
                          "'yuan_per_m2' must be a string");
        expect_only_error(f,
                          "fees = { standards = (\n"
                          "  { type = \"多层\"; yuan_per_m2 = \"1.20\"; },\n"
                          "  { type = \"多层\"; yuan_per_m2 = \"1.30\"; }\n"                 /* 3 */
                          "); };\n", 3,
                          "fee standard for '多层' is given twice");
        expect_only_error(f, "fees = { vacant_percent = 150; standards = (); };\n", 1,
                          "'vacant_percent' must be between 0 and 100");
}

static void test_quiet_hours_forms(void **state) {
        Fixture *f = *state;

        load_ok(f, "quiet_hours = { start = \"0:00\"; end = \"24:00\"; };\n");
        assert_int_equal(f->config->quiet_start_min, 0);
        assert_int_equal(f->config->quiet_end_min, 24 * 60);
        load_ok(f, "quiet_hours = { start = \"9:05\"; end = \"9:05\"; };\n");
        assert_int_equal(f->config->quiet_start_min, 9 * 60 + 5);
        assert_int_equal(f->config->quiet_end_min, 9 * 60 + 5);
        /* only one end given: the other keeps its default */
        load_ok(f, "quiet_hours = { start = \"22:00\"; };\n");
        assert_int_equal(f->config->quiet_start_min, 22 * 60);
        assert_int_equal(f->config->quiet_end_min, 8 * 60);
}

static void test_syntax_error(void **state) {
        Fixture *f = *state;

        expect_only_error(f,
                          "estate = \"阳光花园\";\n"                                      /* 1 */
                          "timezone = \"Asia/Shanghai\";\n"                              /* 2 */
                          "database = = \"x\";\n"                                        /* 3 */
                          "colour = \"red\";\n",                                         /* 4 */
                          3, "syntax error");

        expect_only_error(f,
                          "templates = {\n"                                              /* 1 */
                          "  t = \"{{owner}}\";\n"                                       /* 2 */
                          "};\n"                                                         /* 3 */
                          "schedules = (\n"                                              /* 4 */
                          "  { name = \"s\"; template = ; }\n"                           /* 5 */
                          ");\n",                                                        /* 6 */
                          5, "syntax error");
}

static void test_missing_file(void **state) {
        Fixture *f = *state;

        f->config = (Config *) 0x1;
        assert_int_equal(config_load("/nonexistent-dunnd/dunnd.conf", &f->config, &f->errors),
                         -ENOENT);
        assert_ptr_equal(f->config, (Config *) 0x1);
        f->config = NULL;
        assert_int_equal(f->errors.n, 1);
        assert_string_equal(f->errors.lines[0],
                            "/nonexistent-dunnd/dunnd.conf:0: cannot read: No such file or directory");
}

static void test_many_errors(void **state) {
        Fixture *f = *state;

        assert_int_equal(load(f,
                              "colour = \"red\";\n"                                      /* 1 */
                              "timezone = \"Asia/Beijing\";\n"                           /* 2 */
                              "carriers = (\n"                                           /* 3 */
                              CARRIER_SMS                                                /* 4 */
                              ");\n"                                                     /* 5 */
                              "templates = {\n"                                          /* 6 */
                              "  t = \"{{x}}\";\n"                                       /* 7 */
                              "  u = \"{{owner}}\";\n"                                   /* 8 */
                              "};\n"                                                     /* 9 */
                              "schedules = (\n"                                          /* 10 */
                              "  { name = \"a\"; template = \"u\";\n"                    /* 11 */
                              "    categories = [\"disputed\"]; },\n"                    /* 12 */
                              "  { name = \"b\"; template = \"missing\"; },\n"           /* 13 */
                              "  { name = \"a\"; template = \"u\"; channels = [\"wechat\"]; }\n" /* 14 */
                              ");\n"),
                         -EINVAL);
        assert_null(f->config);
        expect_error(f, 1, "unknown key 'colour' in the top level");
        expect_error(f, 2, "unknown time zone 'Asia/Beijing' (not in /usr/share/zoneinfo)");
        expect_error(f, 7, "template 't' (text): unknown variable '{{x}}' at character 1");
        expect_error(f, 12, "schedule 'a': 'disputed' households never get automatic reminders; "
                            "escalate them to the project manager instead");
        expect_error(f, 13, "schedule 'b': no template named 'missing' in 'templates'");
        expect_error(f, 14, "schedule 'a' is defined twice");
        expect_error(f, 14, "schedule 'a': no carrier serves channel 'wechat'");
        assert_int_equal(f->errors.n, 7);
}

static void test_errors_accumulate(void **state) {
        Fixture *f = *state;

        /* config_load appends: earlier lines in the list stay */
        assert_int_equal(config_errors_add(&f->errors, "earlier", 3, "from %s", "before"), 0);
        write_temp(f->path, "colour = 1;\n");
        assert_int_equal(config_load(f->path, &f->config, &f->errors), -EINVAL);
        assert_int_equal(f->errors.n, 2);
        assert_string_equal(f->errors.lines[0], "earlier:3: from before");
        expect_error(f, 1, "unknown key 'colour' in the top level");

        assert_int_equal(config_errors_add_at(&f->errors, "x.csv", 4, 2, "bad %d", 7), 0);
        assert_string_equal(f->errors.lines[2], "x.csv:4:2: bad 7");
        assert_int_equal(config_errors_add_at(&f->errors, "x.csv", 4, 0, "whole row"), 0);
        assert_string_equal(f->errors.lines[3], "x.csv:4: whole row");
        assert_int_equal(config_errors_add(&f->errors, NULL, 1, "no file"), 0);
        assert_string_equal(f->errors.lines[4], ":1: no file");

        config_errors_clear(&f->errors);
        assert_int_equal(f->errors.n, 0);
        assert_null(f->errors.lines);
}

static void test_template_variants(void **state) {
        Fixture *f = *state;
        const ConfigTemplate *all, *text, *payers, *text_away;
        static const Category cats[] = { CATEGORY_NEW, CATEGORY_PROMISED, CATEGORY_UNCLEAR,
                                          CATEGORY_UNREACHABLE };

        load_ok(f,
                "templates = {\n"
                "  all = { text = \"T\"; monthly = \"M\"; prepaid = \"P\"; away = \"A{{bank_account}}\"; };\n"
                "  text = \"only text\";\n"
                "  payers = { monthly = \"M\"; prepaid = \"P\"; };\n"
                "  text_away = { text = \"T\"; away = \"A\"; };\n"
                "};\n");
        all = config_find_template(f->config, "all");
        text = config_find_template(f->config, "text");
        payers = config_find_template(f->config, "payers");
        text_away = config_find_template(f->config, "text_away");
        assert_non_null(all);
        assert_non_null(text);
        assert_non_null(payers);
        assert_non_null(text_away);
        assert_string_equal(all->source[TEMPLATE_AWAY], "A{{bank_account}}");
        assert_string_equal(all->source[TEMPLATE_MONTHLY], "M");

        /* away wins over the payer type */
        assert_int_equal(variant_pick(all, CATEGORY_AWAY, true), TEMPLATE_AWAY);
        assert_int_equal(variant_pick(all, CATEGORY_AWAY, false), TEMPLATE_AWAY);
        for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
                assert_int_equal(variant_pick(all, cats[i], true), TEMPLATE_PREPAID);
                assert_int_equal(variant_pick(all, cats[i], false), TEMPLATE_MONTHLY);
                assert_int_equal(variant_pick(text, cats[i], true), TEMPLATE_TEXT);
                assert_int_equal(variant_pick(text, cats[i], false), TEMPLATE_TEXT);
                assert_int_equal(variant_pick(text_away, cats[i], true), TEMPLATE_TEXT);
        }
        /* no away variant: the payer type decides, then the fallback */
        assert_int_equal(variant_pick(text, CATEGORY_AWAY, true), TEMPLATE_TEXT);
        assert_int_equal(variant_pick(payers, CATEGORY_AWAY, true), TEMPLATE_PREPAID);
        assert_int_equal(variant_pick(payers, CATEGORY_AWAY, false), TEMPLATE_MONTHLY);
        assert_int_equal(variant_pick(text_away, CATEGORY_AWAY, false), TEMPLATE_AWAY);

        /* variant_template hands out the picked, parsed variant */
        assert_ptr_equal(variant_template(all, CATEGORY_AWAY, false), all->variant[TEMPLATE_AWAY]);
        assert_ptr_equal(variant_template(all, CATEGORY_NEW, true), all->variant[TEMPLATE_PREPAID]);
        assert_ptr_equal(variant_template(text, CATEGORY_AWAY, true), text->variant[TEMPLATE_TEXT]);
        for (size_t i = 0; i < f->config->n_templates; i++)
                for (int c = 0; c < _CATEGORY_MAX; c++) {
                        assert_non_null(variant_template(&f->config->templates[i], c, true));
                        assert_non_null(variant_template(&f->config->templates[i], c, false));
                }

        assert_string_equal(variant_to_string(TEMPLATE_TEXT), "text");
        assert_string_equal(variant_to_string(TEMPLATE_MONTHLY), "monthly");
        assert_string_equal(variant_to_string(TEMPLATE_PREPAID), "prepaid");
        assert_string_equal(variant_to_string(TEMPLATE_AWAY), "away");
        assert_string_equal(variant_to_string(TEMPLATE_VACANT), "vacant");
        assert_null(variant_to_string(_TEMPLATE_VARIANT_MAX));
}

/* What a debtor reads: the prepaid text only once the advance is used up; a vacant home
 * its own text, unless the owner is away and there is an away text. */
static void test_variant_for_debtor(void **state) {
        Fixture *f = *state;
        const ConfigTemplate *all, *no_vacant;
        Debtor d = { .category = CATEGORY_NEW };

        load_ok(f,
                "templates = {\n"
                "  all = { text = \"T\"; monthly = \"M\"; prepaid = \"P\"; away = \"A\"; vacant = \"V\"; };\n"
                "  no_vacant = { monthly = \"M\"; prepaid = \"P\"; };\n"
                "};\n");
        all = config_find_template(f->config, "all");
        no_vacant = config_find_template(f->config, "no_vacant");
        assert_string_equal(all->source[TEMPLATE_VACANT], "V");

        assert_int_equal(variant_pick_debtor(all, &d), TEMPLATE_MONTHLY);
        d.prepaid = true;
        d.prepaid_balance = 1;          /* advance left: not used up */
        assert_false(debtor_prepaid_used_up(&d));
        assert_int_equal(variant_pick_debtor(all, &d), TEMPLATE_MONTHLY);
        d.prepaid_balance = 0;
        assert_true(debtor_prepaid_used_up(&d));
        assert_int_equal(variant_pick_debtor(all, &d), TEMPLATE_PREPAID);
        d.vacant = true;
        assert_int_equal(variant_pick_debtor(all, &d), TEMPLATE_VACANT);
        assert_int_equal(variant_pick_debtor(no_vacant, &d), TEMPLATE_PREPAID);
        d.category = CATEGORY_AWAY;
        assert_int_equal(variant_pick_debtor(all, &d), TEMPLATE_AWAY);
        assert_int_equal(variant_pick_debtor(no_vacant, &d), TEMPLATE_PREPAID);
}

static void test_carrier_options(void **state) {
        Fixture *f = *state;
        const ConfigCarrier *c;

        load_ok(f,
                "carriers = (\n"
                "  {\n"
                "    name = \"gw\";\n"
                "    plugin = \"kannel\";\n"
                "    channel = \"sms\";\n"
                "    url = \"http://127.0.0.1:13013/cgi-bin/sendsms\";\n"
                "    sync = false;\n"
                "    port = 13013;\n"
                "    big = 5000000000L;\n"
                "    ratio = 0.5;\n"
                "    secure = true;\n"
                "    concurrency = 2;\n"
                "    rate = 1.5;\n"
                "    burst = 10;\n"
                "    max_attempts = 3;\n"
                "    max_age = \"2h\";\n"
                "  },\n"
                "  { name = \"n\"; plugin = \"file\"; channel = \"email\"; rate = 20; max_age = 90; }\n"
                ");\n");
        c = &f->config->carriers[0];
        assert_string_equal(c->name, "gw");
        assert_string_equal(c->plugin, "kannel");
        /* the host's keys are not options; everything else is, as strings, in file order */
        assert_int_equal(c->n_options, 6);
        assert_string_equal(c->options[0].key, "url");
        assert_string_equal(c->options[0].value, "http://127.0.0.1:13013/cgi-bin/sendsms");
        assert_string_equal(c->options[1].key, "sync");
        assert_string_equal(c->options[1].value, "false");
        assert_string_equal(c->options[2].key, "port");
        assert_string_equal(c->options[2].value, "13013");
        assert_string_equal(c->options[3].key, "big");
        assert_string_equal(c->options[3].value, "5000000000");
        assert_string_equal(c->options[4].key, "ratio");
        assert_string_equal(c->options[4].value, "0.5");
        assert_string_equal(c->options[5].key, "secure");
        assert_string_equal(c->options[5].value, "true");
        for (size_t i = 0; i < c->n_options; i++) {
                static const char *const host_keys[] = { "name", "plugin", "channel", "concurrency",
                                                         "rate", "burst", "max_attempts", "max_age" };
                for (size_t k = 0; k < sizeof(host_keys) / sizeof(host_keys[0]); k++)
                        assert_string_not_equal(c->options[i].key, host_keys[k]);
        }
        assert_int_equal(c->concurrency, 2);
        assert_true(c->rate == 1.5);
        assert_int_equal(c->burst, 10);
        assert_int_equal(c->max_attempts, 3);
        assert_int_equal(c->max_age_sec, 7200);

        c = &f->config->carriers[1];
        assert_int_equal(c->n_options, 0);
        assert_true(c->rate == 20.0);   /* an integer rate is fine too */
        assert_int_equal(c->max_age_sec, 90);
}

static void test_include_reports_included_file(void **state) {
        Fixture *f = *state;
        char *text = NULL;

        write_temp(f->include,
                   "templates = {\n"                                                     /* 1 */
                   "  t = \"{{owner}}\";\n"                                              /* 2 */
                   "  u = \"{{ghost}}\";\n"                                              /* 3 */
                   "};\n");
        assert_true(asprintf(&text,
                             "estate = \"x\";\n"                                         /* 1 */
                             "@include \"%s\"\n"                                         /* 2 */
                             "colour = 1;\n", f->include) >= 0);                         /* 3 */
        assert_int_equal(load(f, text), -EINVAL);
        free(text);
        assert_int_equal(f->errors.n, 2);
        expect_error_full(f, f->include, 3,
                          "template 'u' (text): unknown variable '{{ghost}}' at character 1", false);
        expect_error(f, 3, "unknown key 'colour' in the top level");
}

static void test_include_channel_error_names_included_file(void **state) {
        Fixture *f = *state;
        char *text = NULL;

        /* Regression (found by this test, fixed): daemon/config.c load_root() reports "no carrier serves channel" with l->path
         * (the main file) and the schedule's line, which is a line of the *included* file
         * when the schedules come from an @include: "main.conf:3:" points at the wrong
         * place. Fix: remember the schedule's source file (config_setting_source_file, copied)
         * in ConfigSchedule and use it there. */
        write_temp(f->include,
                   "schedules = (\n"                                                     /* 1 */
                   "  { name = \"s\"; template = \"t\";\n"                               /* 2 */
                   "    channels = [\"email\"]; }\n"                                     /* 3 */
                   ");\n");
        assert_true(asprintf(&text,
                             "templates = { t = \"{{owner}}\"; };\n"
                             "@include \"%s\"\n", f->include) >= 0);
        assert_int_equal(load(f, text), -EINVAL);
        free(text);
        assert_int_equal(f->errors.n, 1);
        expect_error_full(f, f->include, 2, "schedule 's': no carrier serves channel 'email'", false);
}

static void test_carrier_file_outlives_load(void **state) {
        Fixture *f = *state;

        /* Regression (found by this test, fixed): daemon/config.c load_carrier() sets ConfigCarrier.file to
         * config_setting_source_file(), a string owned by libconfig's config_t, which
         * config_load() destroys before returning (or to the caller's path argument). The
         * pointer dangles, and carrier_set_open() formats it into every "FILE:LINE: carrier
         * ..." error: heap-use-after-free under ASan, garbage file names otherwise. Fix: make
         * ConfigCarrier.file a strdup()ed copy freed in config_free() (or point it at
         * Config.path when the setting comes from the main file). */
        load_ok(f,
                "carriers = (\n"
                CARRIER_SMS
                ");\n");
        assert_string_equal(f->config->carriers[0].file, f->path);
}

/* ---- holidays ---------------------------------------------------------------------- */

#define HOLIDAY_BASE \
        "carriers = (\n" CARRIER_SMS ");\n"                                     /* 1-3 */ \
        "templates = { t = \"{{owner}}\"; };\n"                                   /* 4 */

static void test_holidays_loaded(void **state) {
        Fixture *f = *state;
        const HolidayCalendar *cal;

        load_ok(f, HOLIDAY_BASE
                "holidays = {\n"
                "  years = [ 2026 ];\n"
                "  periods = (\n"
                "    { name = \"春节\"; off = \"2026-02-15..2026-02-23\"; work = [ \"2026-02-14\", \"2026-02-28\" ]; },\n"
                "    { name = \"元旦\"; off = [ \"2026-01-01\", \"2026-01-02..2026-01-03\" ]; work = \"2026-01-04\"; },\n"
                "    { off = \"2027-01-01\"; }\n"
                "  );\n"
                "};\n"
                "schedules = ( { name = \"s\"; when = \"daily\"; template = \"t\"; working_days_only = true; },\n"
                "              { name = \"p\"; when = \"daily\"; template = \"t\"; } );\n");
        cal = f->config->holidays;
        assert_int_equal(cal->n_days, 9 + 2 + 3 + 1 + 1);
        assert_true(holiday_is_working_day(cal, days_from_civil(2026, 1, 4)));
        assert_false(holiday_is_working_day(cal, days_from_civil(2026, 1, 2)));
        assert_string_equal(holiday_lookup(cal, days_from_civil(2026, 2, 28))->name, "春节");
        assert_null(holiday_lookup(cal, days_from_civil(2027, 1, 1))->name);
        assert_true(holiday_covers_year(cal, 2026));
        assert_false(holiday_covers_year(cal, 2027));
        assert_true(f->config->schedules[0].working_days_only);
        assert_false(f->config->schedules[1].working_days_only);

        /* no holidays group: an empty calendar, weekends only */
        load_ok(f, HOLIDAY_BASE);
        assert_non_null(f->config->holidays);
        assert_int_equal(f->config->holidays->n_days, 0);
}

static void test_holiday_errors(void **state) {
        Fixture *f = *state;

        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"春节\"; off = \"2026-02-30\"; }\n"                   /* 6 */
                          "); };\n", 6,
                          "holidays: '2026-02-30' is not a date YYYY-MM-DD or a range "
                          "YYYY-MM-DD..YYYY-MM-DD");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"国庆节\";\n"                                          /* 6 */
                          "    off = \"2026-10-07..2026-10-01\"; }\n"                      /* 7 */
                          "); };\n", 7,
                          "holidays: range '2026-10-07..2026-10-01' ends before it starts");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"元旦\"; off = \"2026-01-01..2026-01-03\"; },\n"    /* 6 */
                          "  { name = \"调休\"; off = \"2026-01-10\";\n"                   /* 7 */
                          "    work = \"2026-01-03\"; }\n"                                  /* 8 */
                          "); };\n", 8,
                          "holidays: 2026-01-03 is listed twice (a day off in '元旦', a working day "
                          "in '调休'); a date is either a day off or a make-up working day");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"元旦\"; off = \"2026-01-01\";\n"                   /* 6 */
                          "    work = [ \"2026-01-05\" ]; }\n"                              /* 7 */
                          "); };\n", 7,
                          "holidays: 2026-01-05 is not a Saturday or Sunday, so it is a working day "
                          "anyway; 'work' lists the weekend days that are worked (调休上班)");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = {\n"                                                 /* 5 */
                          "  years = [ 2026, 2027 ];\n"                                    /* 6 */
                          "  periods = ( { off = \"2026-10-01..2026-10-07\"; } );\n"       /* 7 */
                          "};\n", 6,
                          "holidays: 'years' lists 2027 but no day off in 2027 is entered");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"春节\"; work = \"2026-02-14\"; }\n"                 /* 6 */
                          "); };\n", 6, "holidays: period '春节' without 'off' (its days off)");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { periods = (\n"                                     /* 5 */
                          "  { name = \"春节\"; off = \"2026-02-15\"; days = 9; }\n"        /* 6 */
                          "); };\n", 6, "unknown key 'days' in a holiday period");
        expect_only_error(f, HOLIDAY_BASE
                          "holidays = { days_off = [ \"2026-01-01\" ]; };\n", 5,         /* 5 */
                          "unknown key 'days_off' in holidays");
        expect_only_error(f, HOLIDAY_BASE
                          "schedules = ( { name = \"s\"; template = \"t\";\n"              /* 5 */
                          "                working_days_only = \"yes\"; } );\n", 6,        /* 6 */
                          "'working_days_only' must be true or false");
}

/* libconfig reads a relative @include from the working directory; dunnd reads it beside the
 * main file, and names it so in errors. */
static void test_holidays_relative_include(void **state) {
        Fixture *f = *state;
        char dir[] = "/tmp/dunnd-test-config-dir.XXXXXX", main_conf[128], inc[128], want[160];
        FILE *fp;

        assert_non_null(mkdtemp(dir));
        snprintf(main_conf, sizeof(main_conf), "%s/dunnd.conf", dir);
        snprintf(inc, sizeof(inc), "%s/holidays.conf", dir);
        fp = fopen(inc, "w");
        assert_non_null(fp);
        fputs("holidays = { periods = (\n"                                                 /* 1 */
              "  { name = \"元旦\"; off = \"2026-01-01\"; },\n"                            /* 2 */
              "  { name = \"春节\"; off = \"2026-02-15..2026-02-23\"; }\n"                  /* 3 */
              "); };\n", fp);
        fclose(fp);
        fp = fopen(main_conf, "w");
        assert_non_null(fp);
        fputs(HOLIDAY_BASE "@include \"holidays.conf\"\n", fp);
        fclose(fp);
        /* from another directory, where no holidays.conf is */
        assert_int_equal(chdir("/"), 0);
        assert_int_equal(config_load(main_conf, &f->config, &f->errors), 0);
        assert_false(holiday_is_working_day(f->config->holidays, days_from_civil(2026, 2, 16)));
        config_free(f->config);
        f->config = NULL;

        /* an error in it names the included file by the path that opens it */
        fp = fopen(inc, "w");
        assert_non_null(fp);
        fputs("holidays = { periods = (\n"                                                 /* 1 */
              "  { name = \"春节\"; off = \"2026-02-15..2026-02-32\"; }\n"                  /* 2 */
              "); };\n", fp);
        fclose(fp);
        assert_int_equal(config_load(main_conf, &f->config, &f->errors), -EINVAL);
        snprintf(want, sizeof(want), "%s/holidays.conf:2: holidays: '2026-02-15..2026-02-32' is not", dir);
        assert_int_equal(f->errors.n, 1);
        assert_int_equal(strncmp(f->errors.lines[0], want, strlen(want)), 0);
        /* and the working directory is where it was */
        assert_int_equal(access("tmp", F_OK), 0);
        unlink(inc);
        unlink(main_conf);
        rmdir(dir);
}

/* approval: off unless asked, three days to approve by default, a duration > 0 else */
static void test_approval_keys(void **state) {
        Fixture *f = *state;

#define APPROVAL_HEAD                                                                     \
        "carriers = (\n"                                                  /* 1 */         \
        CARRIER_SMS                                                       /* 2 */         \
        ");\n"                                                            /* 3 */         \
        "templates = { t = \"{{owner}}\"; };\n"                           /* 4 */         \
        "schedules = (\n"                                                 /* 5 */

        load_ok(f, APPROVAL_HEAD
                "  { name = \"plain\"; template = \"t\"; },\n"
                "  { name = \"ask\"; template = \"t\"; approval = true; },\n"
                "  { name = \"quick\"; template = \"t\"; approval = true; approval_expires = \"90min\"; }\n"
                ");\n");
        assert_false(config_find_schedule(f->config, "plain")->approval);
        assert_true(config_find_schedule(f->config, "ask")->approval);
        assert_int_equal(config_find_schedule(f->config, "ask")->approval_expires_sec, 3 * 86400);
        assert_true(config_find_schedule(f->config, "quick")->approval);
        assert_int_equal(config_find_schedule(f->config, "quick")->approval_expires_sec, 90 * 60);

        expect_only_error(f, APPROVAL_HEAD
                          "  { name = \"s\"; template = \"t\";\n"                        /* 6 */
                          "    approval = \"yes\"; }\n"                                    /* 7 */
                          ");\n",
                          7, "'approval' must be true or false");
        expect_only_error(f, APPROVAL_HEAD
                          "  { name = \"s\"; template = \"t\"; approval = true;\n"       /* 6 */
                          "    approval_expires = \"0s\"; }\n"                             /* 7 */
                          ");\n",
                          7, "schedule 's': 'approval_expires' must be more than 0 (like \"2d\")");
        expect_only_error(f, APPROVAL_HEAD
                          "  { name = \"s\"; template = \"t\"; approval = true;\n"       /* 6 */
                          "    approval_expires = \"two days\"; }\n"                       /* 7 */
                          ");\n",
                          7, "'approval_expires' must be a duration like \"90s\", \"15min\", "
                             "\"2h\" or \"1d\"");
        expect_only_error(f, APPROVAL_HEAD
                          "  { name = \"s\"; template = \"t\";\n"                        /* 6 */
                          "    approval_expires = \"2d\"; }\n"                             /* 7 */
                          ");\n",
                          7, "schedule 's': 'approval_expires' without 'approval = true' has no effect");
#undef APPROVAL_HEAD
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_minimal_and_defaults),
                T(test_everything_set),
                T(test_playbook),
                T(test_shipped_config),
                T(test_unknown_keys),
                T(test_template_errors),
                T(test_schedule_errors),
                T(test_approval_keys),
                T(test_invalid_calendar),
                T(test_carrier_errors),
                T(test_top_level_errors),
                T(test_quiet_hours_forms),
                T(test_money_keys),
                T(test_money_errors),
                T(test_syntax_error),
                T(test_missing_file),
                T(test_many_errors),
                T(test_errors_accumulate),
                T(test_template_variants),
                T(test_variant_for_debtor),
                T(test_carrier_options),
                T(test_include_reports_included_file),
                T(test_include_channel_error_names_included_file),
                T(test_carrier_file_outlives_load),
                T(test_holidays_loaded),
                T(test_holiday_errors),
                T(test_holidays_relative_include),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
