/* SPDX-License-Identifier: MIT */

/* SMS cost: the tally preview, run and show share, and the shipped playbook's texts, each
 * rendered for a typical household, in one part (the away texts, which carry the bank
 * details, in two). */

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
#include "render.h"
#include "sms-cost.h"
#include "timeutil.h"
#include "variant.h"

static void test_tally(void **state) {
        SmsTally t = {};
        SmsCount one = { .encoding = SMS_ENCODING_UCS2, .units = 70, .parts = 1 };
        SmsCount three = { .encoding = SMS_ENCODING_UCS2, .units = 140, .parts = 3 };
        char buf[SMS_TALLY_BUFSZ];
        (void) state;

        assert_int_equal(sms_cost_fen(7, 5), 35);
        assert_int_equal(sms_cost_fen(7, 0), 0);
        sms_tally_add(&t, "sms", &one, 5);
        sms_tally_add(&t, "sms", &three, 5);
        sms_tally_add(&t, "email", &three, 5);  /* e-mail costs no SMS */
        sms_tally_add(&t, NULL, &one, 5);       /* skipped */
        assert_int_equal(t.messages, 2);
        assert_int_equal(t.parts, 4);
        assert_int_equal(t.multipart, 1);
        assert_int_equal(t.cost_fen, 20);
        assert_string_equal(sms_tally_format(&t, 5, buf, sizeof(buf)),
                            "2 SMS, 4 parts, 0.20 yuan (5 fen a part)");
        assert_string_equal(sms_tally_format(&t, 0, buf, sizeof(buf)),
                            "2 SMS, 4 parts (no sms_price_fen configured)");
        sms_tally_add_parts(&t, 10, 12, 5);
        assert_int_equal(t.messages, 12);
        assert_int_equal(t.cost_fen, 80);
        assert_string_equal(sms_parts_format(1, 5, buf, sizeof(buf)), "1 part, 0.05 yuan");
        assert_string_equal(sms_parts_format(2, 8, buf, sizeof(buf)), "2 parts, 0.16 yuan");
        assert_string_equal(sms_parts_format(2, 0, buf, sizeof(buf)), "2 parts");
}

/* A typical household: a three-character name, a unit like 3-2-1201, four-figure arrears
 * and a late fee. */
static Debtor typical(void) {
        return (Debtor) {
                .household_id = 1,
                .unit = "3-2-1201",
                .building = "3",
                .property_type = "小高层",
                .owner = "张建国",
                .staff = "周晓梅",
                .periods = "2026-11、2026-12",
                .category = CATEGORY_NEW,
                .promise_day = days_from_civil(2026, 12, 18),
                .owed = 123456,
                .overdue = 123456,
                .late_fee = 1234,
                .days_overdue = 29,
        };
}

static void test_shipped_texts_fit(void **state) {
        const char *top = getenv("TOP");
        ConfigErrors errors = {};
        Config *c = NULL;
        char path[4096];
        Debtor d = typical();
        RenderContext ctx;
        unsigned checked = 0;
        (void) state;

        snprintf(path, sizeof(path), "%s/etc/dunnd.conf", top ? top : ".");
        if (access(path, R_OK) < 0) {
                print_message("%s not in this tree\n", path);
                skip();
        }
        assert_int_equal(config_load(path, &c, &errors), 0);
        render_context_init(&ctx, c, &d, days_from_civil(2026, 12, 14));
        for (size_t i = 0; i < c->n_templates; i++)
                for (int v = 0; v < _TEMPLATE_VARIANT_MAX; v++) {
                        const Template *t = c->templates[i].variant[v];
                        char *text = NULL;
                        SmsCount n;

                        if (!t)
                                continue;
                        assert_int_equal(template_render(t, render_lookup, &ctx, &text), 0);
                        sms_count(text, &n);
                        print_message("%s/%s: %zu units, %zu part(s)\n", c->templates[i].name,
                                      variant_to_string((TemplateVariant) v), n.units, n.parts);
                        /* polite to the end, whatever the length */
                        assert_non_null(strstr(text, "如已缴纳，请忽略本信息"));
                        /* the bank details alone are 50 characters: two parts, never three */
                        if (v == TEMPLATE_AWAY)
                                assert_int_equal(n.parts, 2);
                        else
                                assert_int_equal(n.parts, 1);
                        if (streq(c->templates[i].name, "deadline"))
                                assert_non_null(strstr(text, "滞纳金12.34元"));
                        free(text);
                        checked++;
                }
        assert_true(checked >= 10);
        config_free(c);
}

/* One message for an owner of three units (two flats and a parking space): every shipped
 * text names the three units and the sums, in two parts (three with the bank details),
 * where three messages would be three parts or more. */
static void test_shipped_texts_for_three_units(void **state) {
        const char *top = getenv("TOP");
        RenderGroup g = { .units = "2-1-1501、2-1-1502、P-101", .owed = 195000, .late_fee = 2345 };
        ConfigErrors errors = {};
        Config *c = NULL;
        char path[4096];
        Debtor d = typical();
        RenderContext ctx;
        unsigned checked = 0;
        (void) state;

        snprintf(path, sizeof(path), "%s/etc/dunnd.conf", top ? top : ".");
        if (access(path, R_OK) < 0)
                skip();
        assert_int_equal(config_load(path, &c, &errors), 0);
        d.unit = "2-1-1501";
        render_context_init(&ctx, c, &d, days_from_civil(2026, 12, 14));
        render_context_set_group(&ctx, &g);
        for (size_t i = 0; i < c->n_templates; i++)
                for (int v = 0; v < _TEMPLATE_VARIANT_MAX; v++) {
                        const Template *t = c->templates[i].variant[v];
                        char *text = NULL;
                        SmsCount n;

                        if (!t)
                                continue;
                        assert_int_equal(template_render(t, render_lookup, &ctx, &text), 0);
                        sms_count(text, &n);
                        print_message("%s/%s for 3 units: %zu units, %zu part(s)\n",
                                      c->templates[i].name, variant_to_string((TemplateVariant) v),
                                      n.units, n.parts);
                        assert_non_null(strstr(text, "2-1-1501、2-1-1502、P-101"));
                        assert_non_null(strstr(text, "1,950.00元"));
                        assert_int_equal(n.parts, v == TEMPLATE_AWAY ? 3 : 2);
                        if (streq(c->templates[i].name, "deadline"))
                                assert_non_null(strstr(text, "滞纳金23.45元"));
                        free(text);
                        checked++;
                }
        assert_true(checked >= 10);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tally),
                cmocka_unit_test(test_shipped_texts_fit),
                cmocka_unit_test(test_shipped_texts_for_three_units),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
