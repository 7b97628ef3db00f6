/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "template.h"

typedef struct Vars {
        const char *const *pairs;       /* name, value, name, value, ..., NULL */
        unsigned calls;
} Vars;

static const char *lookup(const char *name, void *userdata) {
        Vars *v = userdata;

        v->calls++;
        for (const char *const *p = v->pairs; *p; p += 2)
                if (streq(p[0], name))
                        return p[1];
        return NULL;
}

static const char *const household[] = {
        "owner",     "张三",
        "unit",      "3-2-1201",
        "amount",    "1280.00",
        "deadline",  "2024年6月30日",
        "signature", "【阳光花园物业】",
        NULL,
};

/* Parses and renders text with the household values; fails the test on a parse error. */
static char *render(const char *text, const char *const *pairs) {
        _cleanup_(template_freep) Template *t = NULL;
        char err[256] = "";
        Vars v = { .pairs = pairs };
        char *s = NULL;
        int r;

        r = template_parse(text, template_variables, &t, err, sizeof(err), NULL);
        if (r < 0)
                fail_msg("parse of \"%s\" failed: %s", text, err);
        assert_non_null(t);

        assert_int_equal(template_render(t, lookup, &v, &s), 0);
        assert_non_null(s);
        return s;
}

static void assert_renders(const char *text, const char *expected) {
        _cleanup_free_ char *s = render(text, household);

        assert_string_equal(s, expected);
}

static void assert_parse_error(const char *text, const char *expected_err, size_t expected_offset) {
        Template *t = NULL;
        char err[256] = "";
        size_t offset = 12345;

        assert_int_equal(template_parse(text, template_variables, &t, err, sizeof(err), &offset),
                         -EINVAL);
        assert_null(t);
        assert_string_equal(err, expected_err);
        assert_int_equal(offset, expected_offset);
}

static void test_variables_list(void **state) {
        size_t n = 0;

        (void) state;

        while (template_variables[n])
                n++;
        assert_int_equal(n, 18);
        assert_string_equal(template_variables[0], "owner");
        assert_string_equal(template_variables[15], "prepaid_balance");
        assert_string_equal(template_variables[16], "category");
        assert_string_equal(template_variables[17], "units");

        /* Every listed variable is accepted in a template. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_(template_freep) Template *t = NULL;
                char text[64];

                snprintf(text, sizeof(text), "x{{ %s }}y", template_variables[i]);
                assert_int_equal(template_parse(text, template_variables, &t, NULL, 0, NULL), 0);
                assert_true(template_uses(t, template_variables[i]));
        }
}

static void test_render_chinese(void **state) {
        (void) state;

        assert_renders("尊敬的{{owner}}业主，您的{{unit}}物业费{{amount}}元，请于{{deadline}}前缴纳。"
                       "{{signature}}",
                       "尊敬的张三业主，您的3-2-1201物业费1280.00元，请于2024年6月30日前缴纳。"
                       "【阳光花园物业】");
        assert_renders("", "");
        assert_renders("没有变量的短信。", "没有变量的短信。");
        assert_renders("{{owner}}", "张三");
        assert_renders("{{owner}}{{owner}}", "张三张三");
        assert_renders("{{unit}}{{owner}}", "3-2-1201张三");
}

static void test_render_missing_values(void **state) {
        (void) state;

        /* known to the parser but no value at render time: the empty string */
        assert_renders("滞纳金{{late_fee}}元", "滞纳金元");
        assert_renders("{{staff}}", "");
        assert_renders("{{owner}}/{{estate}}/{{unit}}", "张三//3-2-1201");
}

static void test_render_whitespace_in_braces(void **state) {
        (void) state;

        assert_renders("{{ owner }}", "张三");
        assert_renders("{{owner }}", "张三");
        assert_renders("{{  owner}}", "张三");
        assert_renders("{{\towner\t}}", "张三");
        assert_renders("a {{ unit }} b", "a 3-2-1201 b");
}

static void test_render_escapes(void **state) {
        (void) state;

        /* \{{ is a literal {{, even when it looks like a variable or is never closed */
        assert_renders("\\{{owner}}", "{{owner}}");
        assert_renders("\\{{ownr}}", "{{ownr}}");
        assert_renders("用 \\{{ 开头", "用 {{ 开头");
        assert_renders("\\{{{{owner}}", "{{张三");
        /* \\ before {{ is one literal backslash, and the variable still expands */
        assert_renders("\\\\{{owner}}", "\\张三");
        /* odd runs: pairs become backslashes, the last one escapes */
        assert_renders("\\\\\\{{owner}}", "\\{{owner}}");
        assert_renders("\\\\\\\\{{owner}}", "\\\\张三");
        /* backslashes elsewhere are literal, one or more */
        assert_renders("C:\\dir\\file", "C:\\dir\\file");
        assert_renders("a\\\\b", "a\\\\b");
        assert_renders("结尾\\", "结尾\\");
        assert_renders("\\{x} \\}}", "\\{x} \\}}");
        /* single braces and lone closers are plain text */
        assert_renders("{a} }} {{owner}} {", "{a} }} 张三 {");
        assert_renders("{", "{");
        assert_renders("}}", "}}");
}

static void test_parse_errors(void **state) {
        (void) state;

        /* Unknown names are named, with the 1-based character position and byte offset. */
        assert_parse_error("{{ownr}}", "unknown variable '{{ownr}}' at character 1", 0);
        assert_parse_error("尊敬的{{ownr}}业主", "unknown variable '{{ownr}}' at character 4", 9);
        assert_parse_error("{{owner}} {{ amout }}", "unknown variable '{{amout}}' at character 11",
                           10);

        assert_parse_error("您好{{owner", "unterminated '{{' at character 3", 6);
        assert_parse_error("{{owner}", "unterminated '{{' at character 1", 0);
        assert_parse_error("{{", "unterminated '{{' at character 1", 0);
        assert_parse_error("abc {{ ", "unterminated '{{' at character 5", 4);
        assert_parse_error("{{owner}} {{unit", "unterminated '{{' at character 11", 10);

        assert_parse_error("{{}}", "empty variable '{{}}' at character 1", 0);
        assert_parse_error("费用{{ }}", "empty variable '{{}}' at character 3", 6);

        assert_parse_error("{{Owner}}",
                           "invalid variable '{{Owner}}' at character 1 (names use a-z, 0-9 and _)", 0);
        assert_parse_error("x{{own-er}}",
                           "invalid variable '{{own-er}}' at character 2 (names use a-z, 0-9 and _)", 1);
        assert_parse_error("{{owner unit}}",
                           "invalid variable '{{owner unit}}' at character 1 (names use a-z, 0-9 and _)",
                           0);
        assert_parse_error("{{{owner}}}",
                           "invalid variable '{{{owner}}' at character 1 (names use a-z, 0-9 and _)", 0);
        assert_parse_error("{{业主}}",
                           "invalid variable '{{业主}}' at character 1 (names use a-z, 0-9 and _)", 0);
        /* an unclosed variable followed by a later one: quoted, but shortened */
        assert_parse_error("{{owner 尊敬的业主，您的物业费已经逾期很久了 {{unit}}",
                           "invalid variable '{{owner 尊敬的业主，您的物业费…' at character 1 "
                           "(names use a-z, 0-9 and _)", 0);

        /* The first error wins. */
        assert_parse_error("{{a}} {{b", "unknown variable '{{a}}' at character 1", 0);

        /* Not UTF-8. */
        assert_parse_error("ab\xff" "cd", "invalid UTF-8 at byte 2", 2);
        assert_parse_error("张\xe5\xbc", "invalid UTF-8 at byte 3", 3);
}

static void test_parse_error_optional_outputs(void **state) {
        Template *t = NULL;
        char err[16];

        (void) state;

        assert_int_equal(template_parse("{{nope}}", template_variables, &t, NULL, 0, NULL), -EINVAL);
        assert_null(t);

        /* A short buffer is truncated but still terminated. */
        assert_int_equal(template_parse("{{nope}}", template_variables, &t, err, sizeof(err), NULL),
                         -EINVAL);
        assert_string_equal(err, "unknown variabl");
}

static void test_custom_known_list(void **state) {
        static const char *const known[] = { "a", "b_2", NULL };
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *s = NULL;
        const char *const pairs[] = { "a", "1", "b_2", "22", NULL };
        Vars v = { .pairs = pairs };
        size_t offset = 0;
        char err[128];

        (void) state;

        assert_int_equal(template_parse("{{a}}-{{b_2}}", known, &t, err, sizeof(err), NULL), 0);
        assert_int_equal(template_render(t, lookup, &v, &s), 0);
        assert_string_equal(s, "1-22");

        /* "owner" is a real variable but not in this list; prefixes do not match either. */
        assert_int_equal(template_parse("{{owner}}", known, &t, err, sizeof(err), &offset), -EINVAL);
        assert_string_equal(err, "unknown variable '{{owner}}' at character 1");
        assert_int_equal(template_parse("{{b}}", known, &t, err, sizeof(err), &offset), -EINVAL);
        assert_int_equal(template_parse("{{b_22}}", known, &t, err, sizeof(err), &offset), -EINVAL);
}

static void test_uses(void **state) {
        _cleanup_(template_freep) Template *t = NULL;

        (void) state;

        assert_int_equal(template_parse("{{owner}}：{{ amount }}元 \\{{unit}}", template_variables,
                                        &t, NULL, 0, NULL), 0);
        assert_true(template_uses(t, "owner"));
        assert_true(template_uses(t, "amount"));
        assert_false(template_uses(t, "unit"));          /* escaped, so literal text */
        assert_false(template_uses(t, "own"));
        assert_false(template_uses(t, "owners"));
        assert_false(template_uses(t, ""));
        assert_false(template_uses(t, NULL));
}

static void test_render_lookup_once_per_use(void **state) {
        _cleanup_(template_freep) Template *t = NULL;
        _cleanup_free_ char *s = NULL;
        Vars v = { .pairs = household };

        (void) state;

        assert_int_equal(template_parse("{{owner}}{{unit}}{{owner}}", template_variables, &t, NULL, 0,
                                        NULL), 0);
        assert_int_equal(template_render(t, lookup, &v, &s), 0);
        assert_string_equal(s, "张三3-2-1201张三");
        assert_int_equal(v.calls, 3);
}

static void test_render_many_segments(void **state) {
        char text[4096] = "", expected[4096] = "";
        _cleanup_free_ char *s = NULL;

        (void) state;

        /* more segments than the initial allocation, alternating literal and variable */
        for (unsigned i = 0; i < 50; i++) {
                char piece[32];

                snprintf(piece, sizeof(piece), "第%u户{{owner}}", i);
                strcat(text, piece);
                snprintf(piece, sizeof(piece), "第%u户张三", i);
                strcat(expected, piece);
        }

        s = render(text, household);
        assert_string_equal(s, expected);
}

/* Builds a string of n copies of unit. */
static char *repeat(const char *unit, size_t n) {
        size_t l = strlen(unit);
        char *s = malloc(l * n + 1);

        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * l, unit, l);
        s[l * n] = '\0';
        return s;
}

static void assert_sms(const char *text, SmsEncoding encoding, size_t units, size_t parts) {
        SmsCount c;

        memset(&c, 0xff, sizeof(c));
        sms_count(text, &c);
        assert_int_equal(c.encoding, encoding);
        assert_int_equal(c.units, units);
        assert_int_equal(c.parts, parts);
}

static void assert_sms_repeat(const char *unit, size_t n, SmsEncoding encoding, size_t units,
                              size_t parts) {
        _cleanup_free_ char *s = repeat(unit, n);

        assert_sms(s, encoding, units, parts);
}

static void test_sms_empty(void **state) {
        (void) state;

        assert_sms("", SMS_ENCODING_GSM7, 0, 0);
        assert_sms(NULL, SMS_ENCODING_GSM7, 0, 0);
}

static void test_sms_ucs2_boundaries(void **state) {
        (void) state;

        assert_sms_repeat("张", 1, SMS_ENCODING_UCS2, 1, 1);
        assert_sms_repeat("张", 70, SMS_ENCODING_UCS2, 70, 1);
        assert_sms_repeat("张", 71, SMS_ENCODING_UCS2, 71, 2);
        assert_sms_repeat("张", 134, SMS_ENCODING_UCS2, 134, 2);
        assert_sms_repeat("张", 135, SMS_ENCODING_UCS2, 135, 3);
        assert_sms_repeat("张", 201, SMS_ENCODING_UCS2, 201, 3);
        assert_sms_repeat("张", 202, SMS_ENCODING_UCS2, 202, 4);
}

static void test_sms_signature(void **state) {
        _cleanup_free_ char *body62 = repeat("费", 62), *body63 = repeat("费", 63);
        char text[512];

        (void) state;

        /* 【阳光花园物业】 is 8 characters and counts like any other text. */
        assert_sms("【阳光花园物业】", SMS_ENCODING_UCS2, 8, 1);

        snprintf(text, sizeof(text), "%s【阳光花园物业】", body62);
        assert_sms(text, SMS_ENCODING_UCS2, 70, 1);
        snprintf(text, sizeof(text), "%s【阳光花园物业】", body63);
        assert_sms(text, SMS_ENCODING_UCS2, 71, 2);

        assert_sms("尊敬的张三业主，您的3-2-1201物业费1280.00元已逾期，请于2024年6月30日前缴纳。"
                   "【阳光花园物业】", SMS_ENCODING_UCS2, 57, 1);
}

static void test_sms_gsm_boundaries(void **state) {
        (void) state;

        assert_sms_repeat("a", 1, SMS_ENCODING_GSM7, 1, 1);
        assert_sms_repeat("a", 160, SMS_ENCODING_GSM7, 160, 1);
        assert_sms_repeat("a", 161, SMS_ENCODING_GSM7, 161, 2);
        assert_sms_repeat("a", 306, SMS_ENCODING_GSM7, 306, 2);
        assert_sms_repeat("a", 307, SMS_ENCODING_GSM7, 307, 3);
        assert_sms_repeat("a", 459, SMS_ENCODING_GSM7, 459, 3);
        assert_sms_repeat("a", 460, SMS_ENCODING_GSM7, 460, 4);

        assert_sms("Dear owner of 3-2-1201: CNY 1280.00 is due by 2024-06-30. Thank you!",
                   SMS_ENCODING_GSM7, 68, 1);
}

static void test_sms_gsm_extension(void **state) {
        (void) state;

        assert_sms_repeat("{", 80, SMS_ENCODING_GSM7, 160, 1);
        assert_sms_repeat("{", 81, SMS_ENCODING_GSM7, 162, 2);
        assert_sms_repeat("€", 80, SMS_ENCODING_GSM7, 160, 1);
        assert_sms_repeat("€", 81, SMS_ENCODING_GSM7, 162, 2);
        assert_sms("^{}\\[~]|€", SMS_ENCODING_GSM7, 18, 1);
        assert_sms("\f", SMS_ENCODING_GSM7, 2, 1);
        assert_sms("a{b", SMS_ENCODING_GSM7, 4, 1);
}

static void test_sms_gsm_alphabet(void **state) {
        static const char basic[] =
                "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

        (void) state;

        /* The whole basic table except ESC: one septet per character. */
        assert_sms(basic, SMS_ENCODING_GSM7, 127, 1);

        /* Look-alikes and gaps of the table switch the whole text to UCS-2. */
        assert_sms("a`b", SMS_ENCODING_UCS2, 3, 1);
        assert_sms("ç", SMS_ENCODING_UCS2, 1, 1);        /* only Ç is GSM */
        assert_sms("á", SMS_ENCODING_UCS2, 1, 1);
        assert_sms("a\tb", SMS_ENCODING_UCS2, 3, 1);
        assert_sms("￥", SMS_ENCODING_UCS2, 1, 1);       /* fullwidth yen, not ¥ */
        assert_sms("a\xc2\xa0" "b", SMS_ENCODING_UCS2, 3, 1);  /* no-break space */
}

static void test_sms_switch_to_ucs2(void **state) {
        _cleanup_free_ char *ascii = repeat("a", 159);
        char text[512];

        (void) state;

        /* 160 septets would be one GSM part; one Chinese character makes it 160 UCS-2 units. */
        snprintf(text, sizeof(text), "%s张", ascii);
        assert_sms(text, SMS_ENCODING_UCS2, 160, 3);
        snprintf(text, sizeof(text), "张%s", ascii);
        assert_sms(text, SMS_ENCODING_UCS2, 160, 3);

        /* Extension characters are single UTF-16 units once the text is UCS-2. */
        assert_sms("{张}", SMS_ENCODING_UCS2, 3, 1);
}

static void test_sms_emoji(void **state) {
        (void) state;

        assert_sms("😀", SMS_ENCODING_UCS2, 2, 1);
        assert_sms("好😀", SMS_ENCODING_UCS2, 3, 1);
        assert_sms_repeat("😀", 35, SMS_ENCODING_UCS2, 70, 1);
        assert_sms_repeat("😀", 36, SMS_ENCODING_UCS2, 72, 2);
        assert_sms("\xf0\xa0\x80\x80", SMS_ENCODING_UCS2, 2, 1);        /* U+20000 */
}

static void test_sms_invalid_utf8(void **state) {
        (void) state;

        /* Each bad byte is one unit; the valid characters count as usual. */
        assert_sms("ab\xff", SMS_ENCODING_UCS2, 3, 1);
        assert_sms("\xe5\xbc", SMS_ENCODING_UCS2, 2, 1);
        assert_sms("\xed\xa0\x80张", SMS_ENCODING_UCS2, 4, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_variables_list),
                cmocka_unit_test(test_render_chinese),
                cmocka_unit_test(test_render_missing_values),
                cmocka_unit_test(test_render_whitespace_in_braces),
                cmocka_unit_test(test_render_escapes),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_error_optional_outputs),
                cmocka_unit_test(test_custom_known_list),
                cmocka_unit_test(test_uses),
                cmocka_unit_test(test_render_lookup_once_per_use),
                cmocka_unit_test(test_render_many_segments),
                cmocka_unit_test(test_sms_empty),
                cmocka_unit_test(test_sms_ucs2_boundaries),
                cmocka_unit_test(test_sms_signature),
                cmocka_unit_test(test_sms_gsm_boundaries),
                cmocka_unit_test(test_sms_gsm_extension),
                cmocka_unit_test(test_sms_gsm_alphabet),
                cmocka_unit_test(test_sms_switch_to_ucs2),
                cmocka_unit_test(test_sms_emoji),
                cmocka_unit_test(test_sms_invalid_utf8),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
