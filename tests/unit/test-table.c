/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "table.h"

#define ROW(...) ((const char *const[]) { __VA_ARGS__ }), \
        ELEMENTSOF(((const char *const[]) { __VA_ARGS__ }))

static char *print_to_string(const Table *t, TableFormat format) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        assert_int_equal(table_print(t, format, f), 0);
        assert_int_equal(fclose(f), 0);
        assert_non_null(buf);
        return buf;
}

static void assert_prints(const Table *t, TableFormat format, const char *expected) {
        _cleanup_free_ char *s = print_to_string(t, format);

        assert_string_equal(s, expected);
}

/* Households as dunnctl lists them: unit, owner, amount owed (numeric). */
static Table *households(void) {
        Table *t = table_new((const char *const[]) { "户号", "业主", "欠费", NULL });

        assert_non_null(t);
        assert_int_equal(table_set_numeric(t, 2), 0);
        assert_int_equal(table_add_row(t, ROW("3-2-1201", "张三", "1280.00")), 0);
        assert_int_equal(table_add_row(t, ROW("1-1-101", "欧阳娜娜", "35.5")), 0);
        assert_int_equal(table_add_row(t, ROW("12-3-2", "Li Lei", "0")), 0);
        return t;
}

static void test_format_from_string(void **state) {
        (void) state;

        assert_int_equal(table_format_from_string("table"), TABLE_FORMAT_TABLE);
        assert_int_equal(table_format_from_string("csv"), TABLE_FORMAT_CSV);
        assert_int_equal(table_format_from_string("json"), TABLE_FORMAT_JSON);
        assert_int_equal(table_format_from_string("JSON"), -EINVAL);
        assert_int_equal(table_format_from_string("xml"), -EINVAL);
        assert_int_equal(table_format_from_string(""), -EINVAL);
        assert_int_equal(table_format_from_string(NULL), -EINVAL);
}

static void test_table_cjk_alignment(void **state) {
        _cleanup_(table_freep) Table *t = households();

        (void) state;

        /* Widths are display columns: 张三 is 4 wide like "Li L", not 6 bytes. The numeric
         * column (header included) is right-aligned. */
        assert_prints(t, TABLE_FORMAT_TABLE,
                      "户号      业主         欠费\n"
                      "--------  --------  -------\n"
                      "3-2-1201  张三      1280.00\n"
                      "1-1-101   欧阳娜娜     35.5\n"
                      "12-3-2    Li Lei          0\n");
}

static void test_table_no_trailing_whitespace(void **state) {
        _cleanup_(table_freep) Table *t = NULL;

        (void) state;

        t = table_new((const char *const[]) { "a", "b", NULL });
        assert_non_null(t);
        assert_int_equal(table_add_row(t, ROW("x", NULL)), 0);
        assert_int_equal(table_add_row(t, ROW("y", "z  ")), 0);
        assert_int_equal(table_add_row(t, ROW("", "")), 0);
        assert_int_equal(table_add_row(t, ROW("long cell", "w")), 0);

        assert_prints(t, TABLE_FORMAT_TABLE,
                      "a          b\n"
                      "---------  ---\n"
                      "x\n"
                      "y          z\n"
                      "\n"
                      "long cell  w\n");
}

static void test_table_trailing_blank_in_middle(void **state) {
        _cleanup_(table_freep) Table *t = NULL;

        (void) state;

        /* A cell's own trailing blanks are padding, not lost alignment. */
        t = table_new((const char *const[]) { "k", "v", "n", NULL });
        assert_non_null(t);
        assert_int_equal(table_set_numeric(t, 2), 0);
        assert_int_equal(table_add_row(t, ROW("a ", "楼", "7")), 0);
        assert_int_equal(table_add_row(t, ROW("b", NULL, NULL)), 0);

        assert_prints(t, TABLE_FORMAT_TABLE,
                      "k   v   n\n"
                      "--  --  -\n"
                      "a   楼  7\n"
                      "b\n");
}

static void test_table_empty(void **state) {
        _cleanup_(table_freep) Table *t = NULL;

        (void) state;

        t = table_new((const char *const[]) { "户号", "amount", NULL });
        assert_non_null(t);
        assert_int_equal(table_rows(t), 0);

        assert_prints(t, TABLE_FORMAT_TABLE, "户号  amount\n----  ------\n");
        assert_prints(t, TABLE_FORMAT_CSV, "户号,amount\n");
        assert_prints(t, TABLE_FORMAT_JSON, "[]\n");
}

static void test_csv(void **state) {
        _cleanup_(table_freep) Table *t = NULL;

        (void) state;

        t = table_new((const char *const[]) { "name", "note, remarks", "amount", NULL });
        assert_non_null(t);
        assert_int_equal(table_set_numeric(t, 2), 0);
        assert_int_equal(table_add_row(t, ROW("张三", "says \"hi\", ok", "12")), 0);
        assert_int_equal(table_add_row(t, ROW(" lead", "line\nbreak", NULL)), 0);
        assert_int_equal(table_add_row(t, ROW("trail ", "cr\r", "plain")), 0);
        assert_int_equal(table_add_row(t, ROW("in side", "\"", "")), 0);

        assert_prints(t, TABLE_FORMAT_CSV,
                      "name,\"note, remarks\",amount\n"
                      "张三,\"says \"\"hi\"\", ok\",12\n"
                      "\" lead\",\"line\nbreak\",\n"
                      "\"trail \",\"cr\r\",plain\n"
                      "in side,\"\"\"\",\n");
}

static void test_json(void **state) {
        _cleanup_(table_freep) Table *t = NULL;

        (void) state;

        t = table_new((const char *const[]) { "unit", "owner", "amount", "count", NULL });
        assert_non_null(t);
        assert_int_equal(table_set_numeric(t, 2), 0);
        assert_int_equal(table_set_numeric(t, 3), 0);
        assert_int_equal(table_add_row(t, ROW("3-2-1201", "张\"三\\\n", "1280.50", "12")), 0);
        assert_int_equal(table_add_row(t, ROW("1", NULL, "-12", "007")), 0);
        assert_int_equal(table_add_row(t, ROW("\t\x01\x1f", "😀", "1.", "abc")), 0);
        assert_int_equal(table_add_row(t, ROW("", "", "", "0")), 0);
        assert_int_equal(table_add_row(t, ROW("x", "y", NULL, "-0.5")), 0);
        assert_int_equal(table_add_row(t, ROW("x", "y", "+1", "1e5")), 0);

        /* Numbers only in numeric columns ("1" in unit stays a string), only when they are
         * valid JSON numbers ("007", "1.", "+1", "1e5" stay strings); NULL is null. */
        assert_prints(t, TABLE_FORMAT_JSON,
                      "[\n"
                      "  {\"unit\": \"3-2-1201\", \"owner\": \"张\\\"三\\\\\\n\", "
                      "\"amount\": 1280.50, \"count\": 12},\n"
                      "  {\"unit\": \"1\", \"owner\": null, \"amount\": -12, \"count\": \"007\"},\n"
                      "  {\"unit\": \"\\t\\u0001\\u001f\", \"owner\": \"😀\", "
                      "\"amount\": \"1.\", \"count\": \"abc\"},\n"
                      "  {\"unit\": \"\", \"owner\": \"\", \"amount\": \"\", \"count\": 0},\n"
                      "  {\"unit\": \"x\", \"owner\": \"y\", \"amount\": null, \"count\": -0.5},\n"
                      "  {\"unit\": \"x\", \"owner\": \"y\", \"amount\": \"+1\", \"count\": \"1e5\"}\n"
                      "]\n");
}

static void assert_json_string(const char *in, const char *expected) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        assert_non_null(f);
        json_write_string(f, in);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(buf, expected);
        free(buf);
}

static void test_json_write_string(void **state) {
        (void) state;

        assert_json_string("", "\"\"");
        assert_json_string("plain", "\"plain\"");
        assert_json_string("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
        assert_json_string("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
        assert_json_string("\x01\x1b\x1f\x7f", "\"\\u0001\\u001b\\u001f\x7f\"");
        assert_json_string("尊敬的张三【阳光花园物业】😀", "\"尊敬的张三【阳光花园物业】😀\"");
        /* stray bytes would make the document invalid: replaced */
        assert_json_string("a\xff" "b\xe5\xbc", "\"a\\ufffdb\\ufffd\\ufffd\"");
        assert_json_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
        assert_json_string(NULL, "null");
}

static void test_wrong_cell_count(void **state) {
        _cleanup_(table_freep) Table *t = households();

        (void) state;

        assert_int_equal(table_add_row(t, ROW("a", "b")), -EINVAL);
        assert_int_equal(table_add_row(t, ROW("a", "b", "c", "d")), -EINVAL);
        assert_int_equal(table_add_row(t, NULL, 0), -EINVAL);
        assert_int_equal(table_rows(t), 3);

        assert_int_equal(table_set_numeric(t, 3), -EINVAL);
        assert_int_equal(table_set_numeric(t, SIZE_MAX), -EINVAL);

        /* The failed calls left no trace. */
        assert_prints(t, TABLE_FORMAT_CSV,
                      "户号,业主,欠费\n"
                      "3-2-1201,张三,1280.00\n"
                      "1-1-101,欧阳娜娜,35.5\n"
                      "12-3-2,Li Lei,0\n");
}

static void test_cells_are_copied(void **state) {
        _cleanup_(table_freep) Table *t = NULL;
        char cell[] = "original", header[] = "h";
        const char *columns[] = { header, NULL };

        (void) state;

        t = table_new(columns);
        assert_non_null(t);
        header[0] = 'X';
        assert_int_equal(table_add_row(t, ROW(cell)), 0);
        strcpy(cell, "changed!");

        assert_prints(t, TABLE_FORMAT_CSV, "h\noriginal\n");
}

static void test_many_rows(void **state) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_free_ char *s = NULL;
        size_t lines = 0;

        (void) state;

        t = table_new((const char *const[]) { "n", "sq", NULL });
        assert_non_null(t);
        assert_int_equal(table_set_numeric(t, 0), 0);
        assert_int_equal(table_set_numeric(t, 1), 0);

        for (unsigned i = 0; i < 1000; i++) {
                char a[16], b[16];

                snprintf(a, sizeof(a), "%u", i);
                snprintf(b, sizeof(b), "%u", i * i);
                assert_int_equal(table_add_row(t, ROW(a, b)), 0);
        }
        assert_int_equal(table_rows(t), 1000);

        s = print_to_string(t, TABLE_FORMAT_TABLE);
        for (const char *p = s; *p; p++)
                if (*p == '\n')
                        lines++;
        assert_int_equal(lines, 1002);
        assert_non_null(strstr(s, "\n  0       0\n  1       1\n"));
        assert_non_null(strstr(s, "\n999  998001\n"));
}

static void test_write_error(void **state) {
        _cleanup_(table_freep) Table *t = households();
        FILE *f;

        (void) state;

        f = fopen("/dev/full", "we");
        if (!f)
                skip();

        assert_int_equal(table_print(t, TABLE_FORMAT_JSON, f), -ENOSPC);
        fclose(f);
}

/* A streamed CSV or JSON table writes the same bytes as a kept one, without keeping rows. */
static void test_stream_same_bytes(void **state) {
        static const TableFormat formats[] = { TABLE_FORMAT_CSV, TABLE_FORMAT_JSON };

        (void) state;
        for (size_t k = 0; k < ELEMENTSOF(formats); k++)
                for (size_t rows = 0; rows <= 3; rows++) {
                        static const char *const cells[][3] = {
                                { "3-2-1201", "张三", "1280.00" },
                                { "1-1-101", "欧阳\"娜娜\", \n", "35.5" },
                                { "12-3-2", NULL, "007" },
                        };
                        _cleanup_(table_freep) Table *kept = table_new((const char *const[]) { "户号", "业主", "欠费", NULL });
                        _cleanup_(table_freep) Table *streamed = table_new((const char *const[]) { "户号", "业主", "欠费", NULL });
                        _cleanup_free_ char *want = NULL, *got = NULL;
                        size_t size = 0;
                        FILE *f = open_memstream(&got, &size);

                        assert_non_null(f);
                        assert_int_equal(table_set_numeric(kept, 2), 0);
                        assert_int_equal(table_set_numeric(streamed, 2), 0);
                        assert_int_equal(table_stream(streamed, formats[k], f), 1);
                        for (size_t r = 0; r < rows; r++) {
                                assert_int_equal(table_add_row(kept, cells[r], 3), 0);
                                assert_int_equal(table_add_row(streamed, cells[r], 3), 0);
                        }
                        assert_int_equal(table_rows(streamed), rows);
                        assert_int_equal(table_print(streamed, formats[k], f), 0);
                        assert_int_equal(fclose(f), 0);
                        want = print_to_string(kept, formats[k]);
                        assert_string_equal(got, want);
                }
}

static void test_stream_refusals(void **state) {
        _cleanup_(table_freep) Table *t = households();
        _cleanup_(table_freep) Table *u = table_new((const char *const[]) { "a", NULL });

        (void) state;
        /* rows already kept: too late to stream */
        assert_int_equal(table_stream(t, TABLE_FORMAT_CSV, stdout), -EBUSY);
        /* an aligned table keeps its rows */
        assert_int_equal(table_stream(u, TABLE_FORMAT_TABLE, stdout), 0);
        /* a streamed table ends in the format and file it streams to */
        assert_int_equal(table_stream(u, TABLE_FORMAT_JSON, stdout), 1);
        assert_int_equal(table_print(u, TABLE_FORMAT_CSV, stdout), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_from_string),
                cmocka_unit_test(test_table_cjk_alignment),
                cmocka_unit_test(test_table_no_trailing_whitespace),
                cmocka_unit_test(test_table_trailing_blank_in_middle),
                cmocka_unit_test(test_table_empty),
                cmocka_unit_test(test_csv),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_json_write_string),
                cmocka_unit_test(test_wrong_cell_count),
                cmocka_unit_test(test_cells_are_copied),
                cmocka_unit_test(test_many_rows),
                cmocka_unit_test(test_write_error),
                cmocka_unit_test(test_stream_same_bytes),
                cmocka_unit_test(test_stream_refusals),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
