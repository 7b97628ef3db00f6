/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "utf8.h"

static void assert_decodes(const char *s, size_t len, int expected_len, uint32_t expected_cp) {
        uint32_t cp = 0xDEADBEEF;

        assert_int_equal(utf8_decode(s, len, &cp), expected_len);
        assert_int_equal(cp, expected_cp);
}

static void assert_rejects(const char *s, size_t len) {
        uint32_t cp = 0xDEADBEEF;

        assert_int_equal(utf8_decode(s, len, &cp), -EILSEQ);
        /* The output must not be touched on failure. */
        assert_int_equal(cp, 0xDEADBEEF);
        assert_false(utf8_is_valid(s, len));
}

static void test_decode_valid(void **state) {
        (void) state;

        assert_decodes("A", 1, 1, 'A');
        assert_decodes("\x7f", 1, 1, 0x7F);
        assert_decodes("\xc2\x80", 2, 2, 0x80);                 /* smallest 2-byte */
        assert_decodes("\xc3\xa9", 2, 2, 0xE9);                 /* é */
        assert_decodes("\xdf\xbf", 2, 2, 0x7FF);
        assert_decodes("\xe0\xa0\x80", 3, 3, 0x800);            /* smallest 3-byte */
        assert_decodes("张", 3, 3, 0x5F20);
        assert_decodes("【", 3, 3, 0x3010);
        assert_decodes("\xed\x9f\xbf", 3, 3, 0xD7FF);           /* just below surrogates */
        assert_decodes("\xee\x80\x80", 3, 3, 0xE000);           /* just above surrogates */
        assert_decodes("\xef\xbf\xbf", 3, 3, 0xFFFF);
        assert_decodes("\xf0\x90\x80\x80", 4, 4, 0x10000);      /* smallest 4-byte */
        assert_decodes("😀", 4, 4, 0x1F600);
        assert_decodes("\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF);     /* largest code point */

        /* Only the first code point is decoded; trailing bytes do not matter. */
        assert_decodes("张三", 6, 3, 0x5F20);
        assert_decodes("a\xff", 2, 1, 'a');

        /* ret_cp may be NULL. */
        assert_int_equal(utf8_decode("张", 3, NULL), 3);
}

static void test_decode_invalid(void **state) {
        (void) state;

        assert_int_equal(utf8_decode("", 0, NULL), -EILSEQ);
        assert_rejects("\x80", 1);                      /* lone continuation byte */
        assert_rejects("\xbf", 1);
        assert_rejects("\xc0\x80", 2);                  /* overlong NUL */
        assert_rejects("\xc0\xaf", 2);                  /* overlong '/' */
        assert_rejects("\xc1\xbf", 2);                  /* overlong 0x7F */
        assert_rejects("\xe0\x80\x80", 3);              /* overlong 3-byte */
        assert_rejects("\xe0\x9f\xbf", 3);              /* overlong 0x7FF */
        assert_rejects("\xf0\x80\x80\x80", 4);          /* overlong 4-byte */
        assert_rejects("\xf0\x8f\xbf\xbf", 4);          /* overlong 0xFFFF */
        assert_rejects("\xed\xa0\x80", 3);              /* U+D800, high surrogate */
        assert_rejects("\xed\xbf\xbf", 3);              /* U+DFFF, low surrogate */
        assert_rejects("\xed\xa0\xbd\xed\xb8\x80", 6);  /* CESU-8 style surrogate pair */
        assert_rejects("\xf4\x90\x80\x80", 4);          /* U+110000 */
        assert_rejects("\xf5\x80\x80\x80", 4);          /* F5..FF never start a sequence */
        assert_rejects("\xf7\xbf\xbf\xbf", 4);
        assert_rejects("\xf8\x88\x80\x80\x80", 5);      /* old 5-byte form */
        assert_rejects("\xfe", 1);
        assert_rejects("\xff", 1);
        assert_rejects("\xe5\xbc", 2);                  /* "张" truncated */
        assert_rejects("\xe5\xbc\xa0", 2);              /* ... by the length, not the data */
        assert_rejects("\xf0\x9f\x98", 3);              /* "😀" truncated */
        assert_rejects("\xe5\x41\xa0", 3);              /* ASCII where a continuation belongs */
        assert_rejects("\xc3\xc3", 2);
}

static void test_valid_and_length(void **state) {
        (void) state;

        assert_true(utf8_is_valid("", 0));
        assert_true(utf8_is_valid("张三 3-2-1201 😀", strlen("张三 3-2-1201 😀")));
        assert_false(utf8_is_valid("张三\xff", 7));
        assert_false(utf8_is_valid("张三\xed\xa0\x80", 9));
        /* The length bounds the check: a valid prefix is valid. */
        assert_true(utf8_is_valid("ab\xff", 2));

        assert_int_equal(utf8_length(""), 0);
        assert_int_equal(utf8_length("abc"), 3);
        assert_int_equal(utf8_length("张三abc"), 5);
        assert_int_equal(utf8_length("【阳光花园物业】"), 8);
        assert_int_equal(utf8_length("😀x"), 2);
        assert_int_equal(utf8_length("e\xcc\x81"), 2);          /* e + combining acute */
        assert_int_equal(utf8_length("ab\xc0\x80"), -EILSEQ);
        assert_int_equal(utf8_length("\xe5\xbc"), -EILSEQ);
}

static void test_codepoint_width(void **state) {
        static const struct {
                uint32_t cp;
                int width;
        } cases[] = {
                { 'A', 1 },      { ' ', 1 },      { '~', 1 },
                { 0x00, 0 },     { '\n', 0 },     { 0x1F, 0 },    { 0x7F, 0 },
                { 0x80, 0 },     { 0x9F, 0 },     { 0xA0, 1 },    { 0xE9, 1 },
                { 0x2FF, 1 },    { 0x300, 0 },    { 0x36F, 0 },   { 0x370, 1 },
                { 0x10FF, 1 },   { 0x1100, 2 },   { 0x115F, 2 },  { 0x1160, 1 },
                { 0x200A, 1 },   { 0x200B, 0 },   { 0x200F, 0 },  { 0x2010, 1 },
                { 0x2026, 1 },   /* … */
                { 0x2E7F, 1 },   { 0x2E80, 2 },   { 0x3000, 2 },  { 0x3002, 2 },
                { 0x3010, 2 },   { 0x3011, 2 },   { 0x303E, 2 },  { 0x303F, 1 },
                { 0x3040, 1 },   { 0x3041, 2 },   { 0x33FF, 2 },  { 0x3400, 2 },
                { 0x4DBF, 2 },   { 0x4DC0, 1 },   { 0x4E00, 2 },  { 0x5F20, 2 },
                { 0x9FFF, 2 },   { 0xA000, 2 },   { 0xA4CF, 2 },  { 0xA4D0, 1 },
                { 0xABFF, 1 },   { 0xAC00, 2 },   { 0xD7A3, 2 },  { 0xD7A4, 1 },
                { 0xF8FF, 1 },   { 0xF900, 2 },   { 0xFAFF, 2 },  { 0xFB00, 1 },
                { 0xFE2F, 1 },   { 0xFE30, 2 },   { 0xFE4F, 2 },  { 0xFE50, 1 },
                { 0xFEFF, 1 },   { 0xFF00, 2 },   { 0xFF0C, 2 },  { 0xFF60, 2 },
                { 0xFF61, 1 },   { 0xFF71, 1 },   /* halfwidth katakana */
                { 0xFFDF, 1 },   { 0xFFE0, 2 },   { 0xFFE5, 2 },  { 0xFFE6, 2 },
                { 0xFFE7, 1 },
                { 0x1F2FF, 1 },  { 0x1F300, 2 },  { 0x1F600, 2 }, { 0x1F64F, 2 },
                { 0x1F650, 1 },  { 0x1F8FF, 1 },  { 0x1F900, 2 }, { 0x1F9FF, 2 },
                { 0x1FA00, 1 },
                { 0x1FFFF, 1 },  { 0x20000, 2 },  { 0x2FFFD, 2 }, { 0x2FFFE, 1 },
                { 0x30000, 2 },  { 0x3FFFD, 2 },  { 0x3FFFE, 1 }, { 0x10FFFF, 1 },
        };

        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (utf8_codepoint_width(cases[i].cp) != cases[i].width)
                        fail_msg("U+%04X: width %d, expected %d", (unsigned) cases[i].cp,
                                 utf8_codepoint_width(cases[i].cp), cases[i].width);
        }
}

static void test_width(void **state) {
        (void) state;

        assert_int_equal(utf8_width(""), 0);
        assert_int_equal(utf8_width("张三"), 4);
        assert_int_equal(utf8_width("3-2-1201"), 8);
        assert_int_equal(utf8_width("张三 3-2-1201"), 13);
        assert_int_equal(utf8_width("欧阳娜娜(3-2-1201)"), 18);
        assert_int_equal(utf8_width("【阳光花园物业】"), 16);
        assert_int_equal(utf8_width("您好，请缴费。"), 14);
        assert_int_equal(utf8_width("￥1,280.00"), 10);
        assert_int_equal(utf8_width("한국"), 4);
        assert_int_equal(utf8_width("ｱｲ"), 2);                  /* halfwidth katakana */
        assert_int_equal(utf8_width("😀🤝"), 4);
        assert_int_equal(utf8_width("Jose\xcc\x81"), 4);        /* combining accent */
        assert_int_equal(utf8_width("a\xe2\x80\x8b" "b"), 2);   /* zero-width space */
        assert_int_equal(utf8_width("a\tb\n"), 2);
        assert_int_equal(utf8_width("\xf0\xa0\x80\x80"), 2);    /* U+20000, CJK ext B */

        /* Invalid bytes: one column each, and decoding resynchronizes afterwards. */
        assert_int_equal(utf8_width("\xff"), 1);
        assert_int_equal(utf8_width("a\xff" "b"), 3);
        assert_int_equal(utf8_width("\xe5\xbc" "张"), 4);       /* truncated 张, then 张 */
        assert_int_equal(utf8_width("\xc0\x80"), 2);
}

static void test_truncate(void **state) {
        char buf[64];

        (void) state;

        /* Fits: copied unchanged, no ellipsis. */
        assert_string_equal(utf8_truncate_width("abc", 3, buf, sizeof(buf)), "abc");
        assert_string_equal(utf8_truncate_width("张三", 4, buf, sizeof(buf)), "张三");
        assert_string_equal(utf8_truncate_width("", 0, buf, sizeof(buf)), "");

        /* Cut: the ellipsis takes one of the columns. */
        assert_string_equal(utf8_truncate_width("abcd", 3, buf, sizeof(buf)), "ab…");
        assert_string_equal(utf8_truncate_width("张三丰", 4, buf, sizeof(buf)), "张…");
        assert_string_equal(utf8_truncate_width("张三丰", 5, buf, sizeof(buf)), "张三…");
        assert_string_equal(utf8_truncate_width("张三丰", 3, buf, sizeof(buf)), "张…");
        /* A wide character never gets split across the limit. */
        assert_string_equal(utf8_truncate_width("张三丰", 2, buf, sizeof(buf)), "…");
        assert_string_equal(utf8_truncate_width("a张三", 3, buf, sizeof(buf)), "a…");
        assert_string_equal(utf8_truncate_width("abc", 0, buf, sizeof(buf)), "");
        assert_string_equal(utf8_truncate_width("abc", 1, buf, sizeof(buf)), "…");
        /* Combining marks stay with their base character. */
        assert_string_equal(utf8_truncate_width("e\xcc\x81xyz", 3, buf, sizeof(buf)),
                            "e\xcc\x81x…");

        /* The return value is buf. */
        assert_ptr_equal(utf8_truncate_width("abc", 10, buf, sizeof(buf)), buf);
}

static void test_truncate_small_buffer(void **state) {
        char buf[16];

        (void) state;

        /* 9 bytes do not fit into 7: cut at a character boundary, room kept for "…". */
        memset(buf, 'X', sizeof(buf));
        assert_string_equal(utf8_truncate_width("张三丰", 100, buf, 7), "张…");

        /* Exactly enough room for the whole string. */
        assert_string_equal(utf8_truncate_width("张三丰", 100, buf, 10), "张三丰");

        /* No room for the ellipsis: cut silently, still no partial code point. */
        assert_string_equal(utf8_truncate_width("张三", 100, buf, 3), "");
        assert_string_equal(utf8_truncate_width("ab张", 100, buf, 3), "ab");
        assert_string_equal(utf8_truncate_width("ab张", 100, buf, 4), "…");
        memset(buf, 'X', sizeof(buf));
        assert_string_equal(utf8_truncate_width("abc", 100, buf, 1), "");

        /* buflen 0: nothing may be written. */
        buf[0] = 'X';
        utf8_truncate_width("abc", 100, buf, 0);
        assert_int_equal(buf[0], 'X');
}

static void test_truncate_exhaustive(void **state) {
        static const char *const inputs[] = {
                "尊敬的张三业主，您的3-2-1201物业费1280.00元已逾期【阳光花园物业】",
                "a😀b🤝c",
                "e\xcc\x81\xe2\x80\x8b张x",
                "bad\xff\xfe张",
        };

        (void) state;

        /* For every width and buffer size: NUL-terminated, within both limits, and (for valid
         * input) still valid UTF-8, i.e. no code point was split. */
        for (size_t k = 0; k < ELEMENTSOF(inputs); k++)
                for (size_t w = 0; w <= 80; w++)
                        for (size_t b = 1; b <= 100; b++) {
                                char buf[100];
                                size_t len;

                                utf8_truncate_width(inputs[k], w, buf, b);
                                len = strnlen(buf, b);
                                assert_true(len < b);
                                assert_true(utf8_width(buf) <= w);
                                if (k != 3)
                                        assert_true(utf8_is_valid(buf, len));
                                if (utf8_width(inputs[k]) <= w && strlen(inputs[k]) < b)
                                        assert_string_equal(buf, inputs[k]);
                                else
                                        assert_true(len < strlen(inputs[k]) ||
                                                    !streq(buf, inputs[k]));
                        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_valid),
                cmocka_unit_test(test_decode_invalid),
                cmocka_unit_test(test_valid_and_length),
                cmocka_unit_test(test_codepoint_width),
                cmocka_unit_test(test_width),
                cmocka_unit_test(test_truncate),
                cmocka_unit_test(test_truncate_small_buffer),
                cmocka_unit_test(test_truncate_exhaustive),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
