/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render.h"
#include "template.h"
#include "timeutil.h"

static Config make_config(int deadline_day) {
        return (Config) {
                .estate = (char *) "阳光花园",
                .signature = (char *) "【阳光花园物业】",
                .office_phone = (char *) "0571-88886666",
                .bank_account = (char *) "户名:杭州阳光物业服务有限公司 账号:1202 0212",
                .deadline_day = deadline_day,
                .late_fee = { .daily_permyriad = 5 },
        };
}

static Debtor make_debtor(void) {
        return (Debtor) {
                .household_id = 7,
                .unit = (char *) "3-2-1201",
                .building = (char *) "3",
                .property_type = (char *) "小高层",
                .owner = (char *) "张三",
                .staff = (char *) "王管家",
                .category = CATEGORY_PROMISED,
                .stored_category = CATEGORY_PROMISED,
                .promise_day = days_from_civil(2026, 12, 18),
                .prepaid = false,
                .prepaid_balance = 0,
                .owed = 123456,
                .overdue = 100000,
                .late_fee = 789,
                .earliest_due_day = days_from_civil(2026, 10, 15),
                .days_overdue = 56,
                .periods = (char *) "2026-10、2026-11",
        };
}

static const char *deadline_for(int deadline_day, int y, unsigned m, unsigned d) {
        static char buf[32];
        Config c = make_config(deadline_day);
        Debtor dd = make_debtor();
        RenderContext ctx;

        render_context_init(&ctx, &c, &dd, days_from_civil(y, m, d));
        strcpy(buf, ctx.deadline);
        return buf;
}

/* One message for an owner's households: {{units}} (and {{unit}}) name them all, the money
 * is the sum; alone, {{units}} is the unit, so one template serves both. */
static void test_group(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderGroup g = { .units = "3-2-1201、3-2-1202、P-101", .owed = 200000, .late_fee = 1000 };
        RenderContext ctx;

        (void) state;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("units", &ctx), "3-2-1201");
        assert_string_equal(render_lookup("total", &ctx), "1,242.45");
        render_context_set_group(&ctx, &g);
        assert_string_equal(render_lookup("units", &ctx), "3-2-1201、3-2-1202、P-101");
        assert_string_equal(render_lookup("unit", &ctx), "3-2-1201、3-2-1202、P-101");
        assert_string_equal(render_lookup("amount", &ctx), "2,000.00");
        assert_string_equal(render_lookup("late_fee", &ctx), "10.00");
        assert_string_equal(render_lookup("total", &ctx), "2,010.00");
        /* the rest is the first household's */
        assert_string_equal(render_lookup("owner", &ctx), "张三");
        assert_string_equal(render_lookup("building", &ctx), "3");
}

static void test_values(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;

        (void) state;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_ptr_equal(ctx.config, &c);
        assert_ptr_equal(ctx.debtor, &d);
        assert_int_equal(ctx.today, days_from_civil(2026, 12, 10));

        assert_string_equal(render_lookup("amount", &ctx), "1,234.56");
        assert_string_equal(render_lookup("late_fee", &ctx), "7.89");
        assert_string_equal(render_lookup("total", &ctx), "1,242.45");
        assert_string_equal(render_lookup("prepaid_balance", &ctx), "0.00");
        assert_string_equal(render_lookup("deadline", &ctx), "12月15日");
        assert_string_equal(render_lookup("promise_date", &ctx), "12月18日");
        assert_string_equal(render_lookup("days_overdue", &ctx), "56");
        assert_string_equal(render_lookup("periods", &ctx), "2026-10、2026-11");
        assert_string_equal(render_lookup("owner", &ctx), "张三");
        assert_string_equal(render_lookup("unit", &ctx), "3-2-1201");
        assert_string_equal(render_lookup("building", &ctx), "3");
        assert_string_equal(render_lookup("staff", &ctx), "王管家");
        assert_string_equal(render_lookup("estate", &ctx), "阳光花园");
        assert_string_equal(render_lookup("signature", &ctx), "【阳光花园物业】");
        assert_string_equal(render_lookup("office_phone", &ctx), "0571-88886666");
        assert_string_equal(render_lookup("bank_account", &ctx),
                            "户名:杭州阳光物业服务有限公司 账号:1202 0212");
        assert_string_equal(render_lookup("category", &ctx), "近期交纳类");

        assert_null(render_lookup("ownr", &ctx));
        assert_null(render_lookup("", &ctx));
        assert_null(render_lookup("Amount", &ctx));
}

static void test_every_variable_has_a_value(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;

        (void) state;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        /* a variable the config accepts but render does not know would print as nothing */
        for (size_t i = 0; template_variables[i]; i++) {
                const char *v = render_lookup(template_variables[i], &ctx);

                if (!v)
                        fail_msg("render_lookup has no value for {{%s}}", template_variables[i]);
                assert_true(v[0] != 0);
        }
}

static void test_amounts(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;

        (void) state;
        d.owed = 5;
        d.late_fee = 0;
        d.prepaid_balance = 1234567890;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(ctx.amount, "0.05");
        assert_string_equal(ctx.late_fee, "0.00");
        assert_string_equal(ctx.total, "0.05");
        assert_string_equal(ctx.prepaid_balance, "12,345,678.90");

        d.owed = 99999999;      /* 999,999.99 + 0.01 */
        d.late_fee = 1;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(ctx.total, "1,000,000.00");
}

static void test_deadline(void **state) {
        (void) state;
        /* the next deadline_day on or after today */
        assert_string_equal(deadline_for(15, 2026, 12, 10), "12月15日");
        assert_string_equal(deadline_for(15, 2026, 12, 15), "12月15日");
        assert_string_equal(deadline_for(15, 2026, 12, 16), "1月15日");
        assert_string_equal(deadline_for(15, 2026, 12, 20), "1月15日");
        assert_string_equal(deadline_for(15, 2026, 12, 1), "12月15日");
        assert_string_equal(deadline_for(1, 2026, 11, 2), "12月1日");
        /* 0 (unset) means the default, 15 */
        assert_string_equal(deadline_for(0, 2026, 12, 10), "12月15日");

        /* a day the month does not have falls on its last day */
        assert_string_equal(deadline_for(31, 2026, 11, 5), "11月30日");
        assert_string_equal(deadline_for(31, 2026, 4, 30), "4月30日");
        assert_string_equal(deadline_for(31, 2026, 12, 5), "12月31日");
        assert_string_equal(deadline_for(31, 2027, 2, 10), "2月28日");
        assert_string_equal(deadline_for(31, 2028, 2, 10), "2月29日");
        assert_string_equal(deadline_for(30, 2027, 2, 1), "2月28日");
        assert_string_equal(deadline_for(29, 2027, 2, 1), "2月28日");
        assert_string_equal(deadline_for(30, 2027, 1, 31), "2月28日");
        assert_string_equal(deadline_for(31, 2027, 1, 31), "1月31日");

        /* the day number itself */
        {
                Config c = make_config(31);

                assert_int_equal(render_deadline_day(&c, days_from_civil(2026, 11, 5)),
                                 days_from_civil(2026, 11, 30));
                c.deadline_day = 15;
                assert_int_equal(render_deadline_day(&c, days_from_civil(2026, 12, 20)),
                                 days_from_civil(2027, 1, 15));
        }
}

static void test_promise_date_and_days(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;

        (void) state;
        d.promise_day = days_from_civil(2027, 1, 5);
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("promise_date", &ctx), "1月5日");

        /* no promise: the empty string, not garbage from an earlier render */
        d.promise_day = -1;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("promise_date", &ctx), "");

        /* charges not yet due: never a negative number of days */
        d.days_overdue = -5;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("days_overdue", &ctx), "0");
        d.days_overdue = 0;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("days_overdue", &ctx), "0");
        d.days_overdue = 400;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("days_overdue", &ctx), "400");
}

static void test_category_names(void **state) {
        static const struct {
                Category c;
                const char *name;
        } table[] = {
                { CATEGORY_NEW, "未分类" },
                { CATEGORY_PROMISED, "近期交纳类" },
                { CATEGORY_UNCLEAR, "暂未明确类" },
                { CATEGORY_UNREACHABLE, "无法联系类" },
                { CATEGORY_AWAY, "异地出差类" },
                { CATEGORY_DISPUTED, "特殊拒交类" },
        };
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;

        (void) state;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                d.category = table[i].c;
                render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
                assert_string_equal(render_lookup("category", &ctx), table[i].name);
        }
        /* the effective category is what the owner is told, not the stored one */
        d.stored_category = CATEGORY_PROMISED;
        d.category = CATEGORY_UNCLEAR;
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 10));
        assert_string_equal(render_lookup("category", &ctx), "暂未明确类");
}

static void test_render_through_template(void **state) {
        Config c = make_config(15);
        Debtor d = make_debtor();
        RenderContext ctx;
        Template *t = NULL;
        char err[256], *out = NULL;

        (void) state;
        assert_int_equal(template_parse("{{signature}}尊敬的{{owner}}业主，您的{{unit}}物业费"
                                        "{{amount}}元（{{periods}}）尚未缴纳，{{deadline}}起计收"
                                        "滞纳金。{{ghost}}",
                                        template_variables, &t, err, sizeof(err), NULL),
                         -EINVAL);
        assert_null(t);
        assert_int_equal(template_parse("{{signature}}尊敬的{{owner}}业主，您的{{unit}}物业费"
                                        "{{amount}}元（{{periods}}）尚未缴纳，{{deadline}}起计收"
                                        "滞纳金。",
                                        template_variables, &t, err, sizeof(err), NULL),
                         0);
        render_context_init(&ctx, &c, &d, days_from_civil(2026, 12, 20));
        assert_int_equal(template_render(t, render_lookup, &ctx, &out), 0);
        assert_string_equal(out, "【阳光花园物业】尊敬的张三业主，您的3-2-1201物业费1,234.56元"
                                 "（2026-10、2026-11）尚未缴纳，1月15日起计收滞纳金。");
        free(out);
        template_free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_every_variable_has_a_value),
                cmocka_unit_test(test_amounts),
                cmocka_unit_test(test_deadline),
                cmocka_unit_test(test_promise_date_and_days),
                cmocka_unit_test(test_category_names),
                cmocka_unit_test(test_render_through_template),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
