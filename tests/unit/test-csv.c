/* SPDX-License-Identifier: MIT */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "macro.h"

static CsvReader *reader_new(const char *data, size_t len, CsvEncoding e) {
        CsvReader *r = NULL;
        CsvError err = {};

        assert_int_equal(csv_reader_new(data, len, e, &r, &err), 0);
        assert_non_null(r);
        return r;
}

#define READER(s) reader_new((s), sizeof(s) - 1, CSV_ENCODING_UTF8)

/* Expects the next record to start on 'line' and consist of exactly the given fields. */
_sentinel_
static void expect_record(CsvReader *r, unsigned line, ...) {
        const CsvRecord *rec = NULL;
        CsvError err = {};
        const char *want;
        size_t i = 0;
        va_list ap;

        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_non_null(rec);
        assert_int_equal(rec->line, line);

        va_start(ap, line);
        while ((want = va_arg(ap, const char *))) {
                assert_true(i < rec->n_fields);
                assert_string_equal(rec->fields[i], want);
                i++;
        }
        va_end(ap);
        assert_int_equal(rec->n_fields, i);
}

static void expect_eof(CsvReader *r) {
        const CsvRecord *rec = NULL;
        CsvError err = {};

        assert_int_equal(csv_reader_next(r, &rec, &err), 0);
        /* and it stays at the end */
        assert_int_equal(csv_reader_next(r, &rec, &err), 0);
}

/* Reads records until the malformed one and checks the error. */
static void expect_bad(const char *data, unsigned line, unsigned column, const char *msg_part) {
        _cleanup_(csv_reader_freep) CsvReader *r = reader_new(data, strlen(data), CSV_ENCODING_UTF8);
        const CsvRecord *rec = NULL;
        CsvError err = {};
        int k;

        while ((k = csv_reader_next(r, &rec, &err)) > 0)
                ;
        assert_int_equal(k, -EBADMSG);
        assert_int_equal(err.line, line);
        assert_int_equal(err.column, column);
        assert_non_null(strstr(err.message, msg_part));

        /* The failure is sticky and reported the same way again. */
        memset(&err, 0, sizeof(err));
        assert_int_equal(csv_reader_next(r, &rec, &err), -EBADMSG);
        assert_int_equal(err.line, line);
        assert_int_equal(err.column, column);
}

static void expect_bad_encoding(const char *data, size_t len, CsvEncoding e, unsigned line,
                                unsigned column, const char *msg_part) {
        CsvReader *r = NULL;
        CsvError err = {};

        assert_int_equal(csv_reader_new(data, len, e, &r, &err), -EILSEQ);
        assert_null(r);
        assert_int_equal(err.line, line);
        assert_int_equal(err.column, column);
        assert_non_null(strstr(err.message, msg_part));
}

static void test_simple(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("room,name,amount\n1-101,Zhang,120.50\n");

        expect_record(r, 1, "room", "name", "amount", NULL);
        expect_record(r, 2, "1-101", "Zhang", "120.50", NULL);
        expect_eof(r);
}

static void test_crlf(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("a,b\r\nc,d\r\n\r\ne,f\r\n");

        expect_record(r, 1, "a", "b", NULL);
        expect_record(r, 2, "c", "d", NULL);
        expect_record(r, 4, "e", "f", NULL);
        expect_eof(r);
}

static void test_mixed_line_endings(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("a\r\nb\nc\r\n");

        expect_record(r, 1, "a", NULL);
        expect_record(r, 2, "b", NULL);
        expect_record(r, 3, "c", NULL);
        expect_eof(r);
}

static void test_no_trailing_newline(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *a = READER("a,b\nc,d");
        _cleanup_(csv_reader_freep) CsvReader *b = READER("a,b\r\nc,\"d\"");
        _cleanup_(csv_reader_freep) CsvReader *c = READER("x,y\r");

        expect_record(a, 1, "a", "b", NULL);
        expect_record(a, 2, "c", "d", NULL);
        expect_eof(a);

        expect_record(b, 1, "a", "b", NULL);
        expect_record(b, 2, "c", "d", NULL);
        expect_eof(b);

        /* a CR cut off from its LF by the end of input still ends the record */
        expect_record(c, 1, "x", "y", NULL);
        expect_eof(c);
}

static void test_lone_cr_is_data(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("a\rb,c\n");

        expect_record(r, 1, "a\rb", "c", NULL);
        expect_eof(r);
}

static void test_quoted(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER(
                "\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
                "\"\"\"\",\"x\"\n");

        expect_record(r, 1, "a,b", "say \"hi\"", "", NULL);
        expect_record(r, 2, "\"", "x", NULL);
        expect_eof(r);
}

static void test_quoted_newlines(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER(
                "id,note\n"
                "1,\"line one\nline two\nline three\"\n"
                "2,\"crlf\r\ninside\"\r\n"
                "\n"
                "3,plain\n");

        expect_record(r, 1, "id", "note", NULL);
        /* starts on line 2 although it spans lines 2-4 */
        expect_record(r, 2, "1", "line one\nline two\nline three", NULL);
        /* so the next one starts on line 5; the CRLF inside the quotes is kept as-is */
        expect_record(r, 5, "2", "crlf\r\ninside", NULL);
        /* line 7 is blank */
        expect_record(r, 8, "3", "plain", NULL);
        expect_eof(r);
}

static void test_empty_fields(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER(",,\na,,b\nc,\n,d\n\"\"\n");

        expect_record(r, 1, "", "", "", NULL);
        expect_record(r, 2, "a", "", "b", NULL);
        expect_record(r, 3, "c", "", NULL);
        expect_record(r, 4, "", "d", NULL);
        /* an empty quoted field is a record with one empty field, not a blank line */
        expect_record(r, 5, "", NULL);
        expect_eof(r);

        _cleanup_(csv_reader_freep) CsvReader *t = READER("a,");
        expect_record(t, 1, "a", "", NULL);
        expect_eof(t);
}

static void test_blank_lines(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("\n\r\na\n\n\nb\n\n");
        _cleanup_(csv_reader_freep) CsvReader *only = READER("\n\r\n\n");
        _cleanup_(csv_reader_freep) CsvReader *empty = reader_new("", 0, CSV_ENCODING_UTF8);
        _cleanup_(csv_reader_freep) CsvReader *null = reader_new(NULL, 0, CSV_ENCODING_GBK);

        expect_record(r, 3, "a", NULL);
        expect_record(r, 6, "b", NULL);
        expect_eof(r);
        expect_eof(only);
        expect_eof(empty);
        expect_eof(null);
}

static void test_whitespace_preserved(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER(" a , b\t,\" c \"\n   \n");

        expect_record(r, 1, " a ", " b\t", " c ", NULL);
        /* a line of spaces is not blank: it has characters on it */
        expect_record(r, 2, "   ", NULL);
        expect_eof(r);
}

static void test_bom(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER("\xef\xbb\xbf房号,金额\n1-101,\"100\"\n");
        _cleanup_(csv_reader_freep) CsvReader *q = READER("\xef\xbb\xbf\"a\",b\n");
        _cleanup_(csv_reader_freep) CsvReader *only = READER("\xef\xbb\xbf");
        /* U+FEFF in GB18030 is 84 31 95 33; it is dropped after conversion */
        _cleanup_(csv_reader_freep) CsvReader *g = reader_new("\x84\x31\x95\x33" "a,b\n", 8,
                                                              CSV_ENCODING_GB18030);

        expect_record(r, 1, "房号", "金额", NULL);
        expect_record(r, 2, "1-101", "100", NULL);
        expect_eof(r);
        /* without stripping, the quote would not be at the start of the field */
        expect_record(q, 1, "a", "b", NULL);
        expect_eof(q);
        expect_eof(only);
        expect_record(g, 1, "a", "b", NULL);
        expect_eof(g);
}

static void test_utf8_chinese(_unused_ void **state) {
        _cleanup_(csv_reader_freep) CsvReader *r = READER(
                "房号,业主,金额,备注\n"
                "3栋-1201,张三,\"1,280.00\",\"物业费，\n二〇二四年\"\n"
                "3栋-1202,李四,0,😀\n");

        expect_record(r, 1, "房号", "业主", "金额", "备注", NULL);
        expect_record(r, 2, "3栋-1201", "张三", "1,280.00", "物业费，\n二〇二四年", NULL);
        expect_record(r, 4, "3栋-1202", "李四", "0", "😀", NULL);
        expect_eof(r);
}

static void test_gbk(_unused_ void **state) {
        /* 房号,金额\r\n"张三",120\r\n in GBK */
        static const char gbk[] = "\xb7\xbf\xba\xc5,\xbd\xf0\xb6\xee\r\n\"\xd5\xc5\xc8\xfd\",120\r\n";
        _cleanup_(csv_reader_freep) CsvReader *r = reader_new(gbk, sizeof(gbk) - 1, CSV_ENCODING_GBK);
        /* GBK lead bytes followed by trail bytes that look like ASCII letters (0x40-0x7e):
         * 丂 is 81 40, and 0x80 is the euro sign in GBK */
        _cleanup_(csv_reader_freep) CsvReader *t = reader_new("\x81\x40,\x80\n", 5, CSV_ENCODING_GBK);

        expect_record(r, 1, "房号", "金额", NULL);
        expect_record(r, 2, "张三", "120", NULL);
        expect_eof(r);

        expect_record(t, 1, "丂", "€", NULL);
        expect_eof(t);
}

static void test_gb18030(_unused_ void **state) {
        /* 房号 (two-byte, same as GBK), 😀 (four-byte 94 39 fc 36), € (a2 e3) */
        static const char gb[] = "\xb7\xbf\xba\xc5,\x94\x39\xfc\x36\n\xa2\xe3\n";
        _cleanup_(csv_reader_freep) CsvReader *r = reader_new(gb, sizeof(gb) - 1, CSV_ENCODING_GB18030);

        expect_record(r, 1, "房号", "😀", NULL);
        expect_record(r, 2, "€", NULL);
        expect_eof(r);

        /* The four-byte sequence is not GBK. */
        expect_bad_encoding(gb, sizeof(gb) - 1, CSV_ENCODING_GBK, 1, 2, "invalid GBK byte sequence");
}

static void test_invalid_utf8(_unused_ void **state) {
        /* stray continuation byte in field 3 of line 2 */
        static const char a[] = "a,b,c\n1,2,x\x80y\n";
        /* GBK bytes read as UTF-8, in field 2 after a quoted field with a newline */
        static const char b[] = "\"x\ny\",\xb7\xbf\n";
        /* overlong '/' */
        static const char c[] = "\xc0\xaf";
        /* UTF-16 surrogate U+D800 */
        static const char d[] = "a,\xed\xa0\x80";
        /* above U+10FFFF */
        static const char e[] = "\xf4\x90\x80\x80";
        /* truncated at the end of input (first two bytes of 房) */
        static const char f[] = "a\nb,c,\xe6\x88";
        /* a quoted comma does not start a new field */
        static const char g[] = "\"a,b\",\xff";

        expect_bad_encoding(a, sizeof(a) - 1, CSV_ENCODING_UTF8, 2, 3, "invalid UTF-8 byte sequence");
        expect_bad_encoding(b, sizeof(b) - 1, CSV_ENCODING_UTF8, 2, 2, "invalid UTF-8");
        expect_bad_encoding(c, sizeof(c) - 1, CSV_ENCODING_UTF8, 1, 1, "invalid UTF-8");
        expect_bad_encoding(d, sizeof(d) - 1, CSV_ENCODING_UTF8, 1, 2, "invalid UTF-8");
        expect_bad_encoding(e, sizeof(e) - 1, CSV_ENCODING_UTF8, 1, 1, "invalid UTF-8");
        expect_bad_encoding(f, sizeof(f) - 1, CSV_ENCODING_UTF8, 2, 3, "invalid UTF-8");
        expect_bad_encoding(g, sizeof(g) - 1, CSV_ENCODING_UTF8, 1, 2, "invalid UTF-8");
}

static void test_invalid_gbk(_unused_ void **state) {
        /* 0xff is never valid in GBK; line 3, field 2 */
        static const char a[] = "\xb7\xbf,x\n1,2\n3,\xff\n";
        /* a lead byte followed by ',' */
        static const char b[] = "a,b,\xb7,c\n";
        /* truncated: a lead byte at the end of input */
        static const char c[] = "a\n\xb7\xbf\xba";

        expect_bad_encoding(a, sizeof(a) - 1, CSV_ENCODING_GBK, 3, 2, "invalid GBK byte sequence");
        expect_bad_encoding(b, sizeof(b) - 1, CSV_ENCODING_GBK, 1, 3, "invalid GBK byte sequence");
        expect_bad_encoding(c, sizeof(c) - 1, CSV_ENCODING_GBK, 2, 1, "invalid GBK byte sequence");
        expect_bad_encoding("x,\x81\x30", 4, CSV_ENCODING_GB18030, 1, 2, "invalid GB18030 byte sequence");
}

static void test_nul(_unused_ void **state) {
        expect_bad_encoding("a,b\nc,d\0e\n", 10, CSV_ENCODING_UTF8, 2, 2, "NUL byte");
        expect_bad_encoding("a,b\nc,d\0e\n", 10, CSV_ENCODING_GBK, 2, 2, "NUL byte");
        /* an encoding error before the NUL is the one reported */
        expect_bad_encoding("\xff,\0", 3, CSV_ENCODING_UTF8, 1, 1, "invalid UTF-8");
}

static void test_stray_quote(_unused_ void **state) {
        expect_bad("a,b\nc,d\"e,f\n", 2, 2, "unexpected '\"' inside an unquoted field");
        expect_bad("x\"", 1, 1, "unexpected '\"' inside an unquoted field");
        /* the line of the quote counts the newlines inside an earlier quoted field */
        expect_bad("1,\"a\nb\nc\"\n2,3,4\"\n", 4, 3, "unexpected '\"'");
        /* the record before the error was handed out normally */
        expect_bad("ok,1\n\nbad,  \"x\"\n", 3, 2, "unexpected '\"'");
}

static void test_after_closing_quote(_unused_ void **state) {
        expect_bad("\"a\"b,c\n", 1, 1, "after the closing quote");
        expect_bad("a,b\nc,\"d\" ,e\n", 2, 2, "after the closing quote");
        /* found on line 3, the field's second line */
        expect_bad("h\nx,y,\"multi\nline\"x\n", 3, 3, "after the closing quote");
        /* a lone CR is data, which is not allowed after a closing quote either */
        expect_bad("\"a\"\rb\n", 1, 1, "after the closing quote");
}

static void test_unterminated(_unused_ void **state) {
        /* reported at the last line, naming the line the quote opened on */
        expect_bad("a\n1,2,\"open\nmore\nmore\n", 4, 3, "unterminated quoted field (opened on line 2)");
        expect_bad("\"", 1, 1, "unterminated quoted field (opened on line 1)");
        expect_bad("a,\"b\"\"", 1, 2, "unterminated quoted field (opened on line 1)");
        expect_bad("a,\"b\nc", 2, 2, "unterminated quoted field (opened on line 1)");
}

static void test_field_limit(_unused_ void **state) {
        const size_t max = 1024 * 1024;
        _cleanup_free_ char *buf = malloc(max + 16);
        const CsvRecord *rec;
        CsvError err = {};
        size_t n;

        assert_non_null(buf);

        /* exactly 1 MiB is fine */
        memset(buf, 'x', max);
        memcpy(buf + max, ",y\n", 3);
        {
                _cleanup_(csv_reader_freep) CsvReader *r = reader_new(buf, max + 3, CSV_ENCODING_UTF8);

                assert_int_equal(csv_reader_next(r, &rec, &err), 1);
                assert_int_equal(rec->n_fields, 2);
                assert_int_equal(strlen(rec->fields[0]), max);
                assert_string_equal(rec->fields[1], "y");
        }

        /* one byte more is not, unquoted (line 2, field 2) */
        memcpy(buf, "a\nb,", 4);
        memset(buf + 4, 'x', max + 1);
        n = 4 + max + 1;
        {
                _cleanup_(csv_reader_freep) CsvReader *r = reader_new(buf, n, CSV_ENCODING_UTF8);

                assert_int_equal(csv_reader_next(r, &rec, &err), 1);
                assert_int_equal(csv_reader_next(r, &rec, &err), -EBADMSG);
                assert_int_equal(err.line, 2);
                assert_int_equal(err.column, 2);
                assert_non_null(strstr(err.message, "field longer than 1048576 bytes"));
        }

        /* ...nor quoted; escaped quotes count once, so 1 MiB of "" is fine */
        buf[0] = '"';
        memset(buf + 1, '"', 2 * (max / 2));
        memcpy(buf + 1 + 2 * (max / 2), "\"\n", 2);
        {
                _cleanup_(csv_reader_freep) CsvReader *r = reader_new(buf, 3 + 2 * (max / 2),
                                                                      CSV_ENCODING_UTF8);

                assert_int_equal(csv_reader_next(r, &rec, &err), 1);
                assert_int_equal(strlen(rec->fields[0]), max / 2);
                assert_true(strspn(rec->fields[0], "\"") == max / 2);
        }
        buf[0] = '"';
        memset(buf + 1, 'x', max + 1);
        buf[max + 2] = '"';
        {
                _cleanup_(csv_reader_freep) CsvReader *r = reader_new(buf, max + 3, CSV_ENCODING_UTF8);

                assert_int_equal(csv_reader_next(r, &rec, &err), -EBADMSG);
                assert_int_equal(err.line, 1);
                assert_int_equal(err.column, 1);
                assert_non_null(strstr(err.message, "field longer than"));
        }
}

static void test_record_limit(_unused_ void **state) {
        /* 1024 fields: 1023 commas; then a record with 1025 fields on line 3 */
        _cleanup_free_ char *buf = malloc(4096);
        const CsvRecord *rec;
        CsvError err = {};
        size_t n = 0;

        assert_non_null(buf);
        for (unsigned i = 0; i < 1023; i++)
                buf[n++] = ',';
        buf[n++] = '\n';
        buf[n++] = '\n';
        for (unsigned i = 0; i < 1024; i++)
                buf[n++] = ',';
        buf[n++] = '\n';

        _cleanup_(csv_reader_freep) CsvReader *r = reader_new(buf, n, CSV_ENCODING_UTF8);

        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_int_equal(rec->n_fields, 1024);
        assert_int_equal(rec->line, 1);
        for (size_t i = 0; i < rec->n_fields; i++)
                assert_string_equal(rec->fields[i], "");

        assert_int_equal(csv_reader_next(r, &rec, &err), -EBADMSG);
        assert_int_equal(err.line, 3);
        assert_int_equal(err.column, 1025);
        assert_non_null(strstr(err.message, "more than 1024 fields"));
}

static void test_fields_reused_between_records(_unused_ void **state) {
        /* a wide record followed by a narrow one: n_fields must shrink */
        _cleanup_(csv_reader_freep) CsvReader *r = READER(
                "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\nz\n");
        const CsvRecord *rec;
        CsvError err = {};

        assert_int_equal(csv_reader_next(r, &rec, &err), 1);
        assert_int_equal(rec->n_fields, 20);
        assert_string_equal(rec->fields[19], "20");
        expect_record(r, 2, "z", NULL);
        expect_eof(r);
}

static void test_encoding_names(_unused_ void **state) {
        assert_int_equal(csv_encoding_from_string("utf-8"), CSV_ENCODING_UTF8);
        assert_int_equal(csv_encoding_from_string("UTF-8"), CSV_ENCODING_UTF8);
        assert_int_equal(csv_encoding_from_string("Utf8"), CSV_ENCODING_UTF8);
        assert_int_equal(csv_encoding_from_string("gbk"), CSV_ENCODING_GBK);
        assert_int_equal(csv_encoding_from_string("GBK"), CSV_ENCODING_GBK);
        assert_int_equal(csv_encoding_from_string("GB2312"), CSV_ENCODING_GBK);
        assert_int_equal(csv_encoding_from_string("gb18030"), CSV_ENCODING_GB18030);
        assert_int_equal(csv_encoding_from_string("GB18030"), CSV_ENCODING_GB18030);

        assert_int_equal(csv_encoding_from_string(""), _CSV_ENCODING_INVALID);
        assert_int_equal(csv_encoding_from_string("utf-16"), _CSV_ENCODING_INVALID);
        assert_int_equal(csv_encoding_from_string("gbk "), _CSV_ENCODING_INVALID);
        assert_int_equal(csv_encoding_from_string("big5"), _CSV_ENCODING_INVALID);
        assert_int_equal(csv_encoding_from_string(NULL), _CSV_ENCODING_INVALID);
        assert_int_equal(_CSV_ENCODING_INVALID, -EINVAL);

        assert_string_equal(csv_encoding_to_string(CSV_ENCODING_UTF8), "utf-8");
        assert_string_equal(csv_encoding_to_string(CSV_ENCODING_GBK), "gbk");
        assert_string_equal(csv_encoding_to_string(CSV_ENCODING_GB18030), "gb18030");
        assert_null(csv_encoding_to_string(_CSV_ENCODING_MAX));
        assert_null(csv_encoding_to_string(_CSV_ENCODING_INVALID));

        for (CsvEncoding e = 0; e < _CSV_ENCODING_MAX; e++)
                assert_int_equal(csv_encoding_from_string(csv_encoding_to_string(e)), e);
}

static void test_invalid_encoding_argument(_unused_ void **state) {
        CsvReader *r = NULL;
        CsvError err = {};

        assert_int_equal(csv_reader_new("a", 1, _CSV_ENCODING_INVALID, &r, &err), -EINVAL);
        assert_null(r);
        assert_int_equal(csv_reader_new("a", 1, _CSV_ENCODING_MAX, &r, NULL), -EINVAL);
        assert_null(r);
}

static void test_input_is_copied(_unused_ void **state) {
        char data[] = "a,b\n";
        _cleanup_(csv_reader_freep) CsvReader *r = reader_new(data, strlen(data), CSV_ENCODING_UTF8);

        memset(data, 'z', strlen(data));
        expect_record(r, 1, "a", "b", NULL);
        expect_eof(r);
}

static void expect_fold(const char *cell, const char *want) {
        _cleanup_free_ char *got = csv_header_fold(cell);

        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_header_fold(_unused_ void **state) {
        expect_fold("手机", "手机");
        expect_fold("  手机\t", "手机");
        expect_fold("\u3000手机\u3000", "手机");                /* ideographic space */
        expect_fold("\u00A0phone\u00A0", "phone");              /* no-break space */
        expect_fold("业主 姓名", "业主姓名");
        expect_fold("\xEF\xBB\xBF房号", "房号");                  /* a BOM inside the file */
        expect_fold("房\u200B号\u2060", "房号");                  /* zero-width characters */
        expect_fold("Unit", "unit");
        expect_fold("ＰＨＯＮＥ", "phone");                       /* full-width letters */
        expect_fold("ａｒｅａ＿ｍ２", "area_m2");
        expect_fold("面积（㎡）", "面积(㎡)");                    /* full-width brackets */
        expect_fold("Ｅ-mail", "e-mail");
        expect_fold("", "");
        expect_fold(" \u3000 ", "");
        /* not folded: Chinese text is compared as it is */
        expect_fold("联系地址", "联系地址");
        /* never reads past a truncated sequence */
        expect_fold("\xE6\x89", "\xE6\x89");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_simple),
                cmocka_unit_test(test_crlf),
                cmocka_unit_test(test_mixed_line_endings),
                cmocka_unit_test(test_no_trailing_newline),
                cmocka_unit_test(test_lone_cr_is_data),
                cmocka_unit_test(test_quoted),
                cmocka_unit_test(test_quoted_newlines),
                cmocka_unit_test(test_empty_fields),
                cmocka_unit_test(test_blank_lines),
                cmocka_unit_test(test_whitespace_preserved),
                cmocka_unit_test(test_bom),
                cmocka_unit_test(test_utf8_chinese),
                cmocka_unit_test(test_gbk),
                cmocka_unit_test(test_gb18030),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_invalid_gbk),
                cmocka_unit_test(test_nul),
                cmocka_unit_test(test_stray_quote),
                cmocka_unit_test(test_after_closing_quote),
                cmocka_unit_test(test_unterminated),
                cmocka_unit_test(test_field_limit),
                cmocka_unit_test(test_record_limit),
                cmocka_unit_test(test_fields_reused_between_records),
                cmocka_unit_test(test_encoding_names),
                cmocka_unit_test(test_invalid_encoding_argument),
                cmocka_unit_test(test_input_is_copied),
                cmocka_unit_test(test_header_fold),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
