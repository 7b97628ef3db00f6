/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "import.h"
#include "store-internal.h"
#include "timeutil.h"

typedef struct Fixture {
        char dir[64];
        char path[128];
        Store *store;
        ConfigErrors errors;
        ConfigErrors warnings;
        ImportReport report;
        bool strict_columns;            /* for the next imports */
        int64_t today;                  /* for the next imports; 0 checks no promise date */
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        char err[512];

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/dunnd-test-import.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
        if (store_open(f->path, STORE_OPEN_CREATE, &f->store, err, sizeof(err)) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];

        store_close(f->store);
        config_errors_clear(&f->errors);
        config_errors_clear(&f->warnings);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static void dump_errors(const Fixture *f) {
        for (size_t i = 0; i < f->errors.n; i++)
                print_message("  error: %s\n", f->errors.lines[i]);
        for (size_t i = 0; i < f->warnings.n; i++)
                print_message("  warning: %s\n", f->warnings.lines[i]);
}

/* Runs one import of csv (UTF-8 unless told) with a fresh error list. The report is filled
 * with 0xff bytes first, so a report left untouched on failure can be told apart. */
static int import_enc(Fixture *f, ImportKind kind, const char *name, const char *csv, size_t len,
                      CsvEncoding enc, bool dry_run) {
        config_errors_clear(&f->errors);
        config_errors_clear(&f->warnings);
        memset(&f->report, 0xff, sizeof(f->report));
        return import_data(f->store, kind, name, csv, len,
                           &(ImportOptions) { .encoding = enc, .dry_run = dry_run,
                                              .strict_columns = f->strict_columns,
                                              .today = f->today },
                           &f->report, &f->errors, &f->warnings);
}

static int import(Fixture *f, ImportKind kind, const char *name, const char *csv, bool dry_run) {
        return import_enc(f, kind, name, csv, strlen(csv), CSV_ENCODING_UTF8, dry_run);
}

/* Expects the import to succeed with exactly the given warnings (NULL-terminated). */
static void import_warns_v(Fixture *f, ImportKind kind, const char *name, const char *csv,
                           const char *const *warnings) {
        int r = import(f, kind, name, csv, false);
        size_t n = 0;

        if (r != 0 || f->errors.n) {
                dump_errors(f);
                fail_msg("import of %s failed: %d", name, r);
        }
        for (; warnings[n]; n++)
                if (n >= f->warnings.n || strcmp(f->warnings.lines[n], warnings[n]) != 0) {
                        dump_errors(f);
                        fail_msg("warning %zu: expected '%s'", n, warnings[n]);
                }
        if (f->warnings.n != n) {
                dump_errors(f);
                fail_msg("%zu warnings, expected %zu", f->warnings.n, n);
        }
}

#define import_warns(f, kind, name, csv, ...) \
        import_warns_v(f, kind, name, csv, (const char *const[]) { __VA_ARGS__, NULL })

/* Expects the import to succeed without a warning. */
static void import_ok(Fixture *f, ImportKind kind, const char *name, const char *csv) {
        import_warns_v(f, kind, name, csv, (const char *const[]) { NULL });
}

static void expect_report(const Fixture *f, size_t rows, size_t added, size_t updated,
                          size_t unchanged) {
        if (f->report.rows != rows || f->report.added != added || f->report.updated != updated ||
            f->report.unchanged != unchanged)
                fail_msg("report rows=%zu added=%zu updated=%zu unchanged=%zu, expected %zu/%zu/%zu/%zu",
                         f->report.rows, f->report.added, f->report.updated, f->report.unchanged,
                         rows, added, updated, unchanged);
}

static const char *query_text(Fixture *f, const char *sql) {
        static char buf[512];
        sqlite3_stmt *st = NULL;
        const char *r = NULL;

        if (sqlite3_prepare_v2(f->store->db, sql, -1, &st, NULL) != SQLITE_OK)
                fail_msg("%s: %s", sql, sqlite3_errmsg(f->store->db));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
                snprintf(buf, sizeof(buf), "%s", (const char *) sqlite3_column_text(st, 0));
                r = buf;
        }
        sqlite3_finalize(st);
        return r;
}

static long long query_int(Fixture *f, const char *sql) {
        const char *t = query_text(f, sql);

        if (!t)
                fail_msg("no result: %s", sql);
        return strtoll(t, NULL, 10);
}

/* Everything an import can touch, to prove a failed one touched nothing. */
typedef struct Counts {
        long long v[8];
} Counts;

static Counts counts(Fixture *f) {
        static const char *const tables[] = { "households", "owners", "contacts", "charges",
                                              "payments", "category_history", "notes", NULL };
        Counts c = {};
        char sql[128];

        for (size_t i = 0; tables[i]; i++) {
                snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
                c.v[i] = query_int(f, sql);
        }
        /* and what an update would change */
        c.v[7] = query_int(f, "SELECT COALESCE(sum(area_centi), 0) + COALESCE(sum(prepaid_balance), 0)"
                              " + (SELECT COALESCE(sum(amount), 0) FROM charges) FROM households");
        return c;
}

/* Expects import to fail with exactly the given error lines (NULL-terminated), leaving the
 * store exactly as it was and the report untouched. */
static void expect_errors_v(Fixture *f, ImportKind kind, const char *name, const char *csv,
                            const char *const *lines) {
        Counts before = counts(f), after;
        size_t n = 0;
        int r;

        r = import(f, kind, name, csv, false);
        if (r != -EINVAL)
                fail_msg("import returned %d, expected -EINVAL", r);
        for (; lines[n]; n++)
                if (n >= f->errors.n || strcmp(f->errors.lines[n], lines[n]) != 0) {
                        dump_errors(f);
                        fail_msg("error %zu: expected '%s'", n, lines[n]);
                }
        if (f->errors.n != n) {
                dump_errors(f);
                fail_msg("%zu errors, expected %zu", f->errors.n, n);
        }
        assert_int_equal(f->report.rows, SIZE_MAX);     /* untouched */
        after = counts(f);
        assert_memory_equal(&before, &after, sizeof(before));
        /* and a dry run says the same */
        assert_int_equal(import(f, kind, name, csv, true), -EINVAL);
        assert_int_equal(f->errors.n, n);
        assert_int_equal(f->store->in_transaction, 0);
}

#define expect_errors(f, kind, name, csv, ...) \
        expect_errors_v(f, kind, name, csv, (const char *const[]) { __VA_ARGS__, NULL })

static const char households_en[] =
        "unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff\n"
        "1-1-101,1,1,101,多层,89.50,张三,138 0013 8000,zhang@example.com,monthly,王管家\n"
        "1-1-102,1,1,102,小高层,120,李四,+86 139-0013-9000,,预付,王管家\n"
        "2-1-201,2,2,201,联排别墅,210.25,王五,,wang@example.com,,\n";

static const char households_cn[] =
        "房号,楼栋,楼层,房间,物业类型,面积,业主姓名,手机,邮箱,缴费方式,负责人\n"
        "3-2-1201,3,12,1201,小高层,98.6,赵六,13700137000,,按月,李管家\n"
        "3-2-1202,3,12,1202,小高层,98.6,钱七,0086 15000150000,qian@example.com,预存,李管家\n";

static void test_kinds(void **state) {
        (void) state;
        assert_int_equal(import_kind_from_string("households"), IMPORT_HOUSEHOLDS);
        assert_int_equal(import_kind_from_string("charges"), IMPORT_CHARGES);
        assert_int_equal(import_kind_from_string("payments"), IMPORT_PAYMENTS);
        assert_int_equal(import_kind_from_string("categories"), IMPORT_CATEGORIES);
        assert_int_equal(import_kind_from_string("household"), _IMPORT_KIND_INVALID);
        assert_string_equal(import_kind_to_string(IMPORT_PAYMENTS), "payments");
        assert_null(import_kind_to_string(_IMPORT_KIND_MAX));
        assert_string_equal(import_columns_help(IMPORT_CHARGES),
                            "unit (房号), period (账期), amount (应收金额), due_date (截止日期)");
        assert_string_equal(import_columns_help(IMPORT_CATEGORIES),
                            "unit (房号), category (分类), promise_date (承诺日期) optional, "
                            "note (备注) optional");
        assert_string_equal(import_columns_help(_IMPORT_KIND_INVALID), "");
}

static void test_households(void **state) {
        Fixture *f = *state;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_report(f, 3, 3, 0, 0);
        assert_int_equal(query_int(f, "SELECT count(*) FROM households"), 3);
        assert_int_equal(query_int(f, "SELECT area_centi FROM households WHERE unit = '1-1-101'"), 8950);
        assert_int_equal(query_int(f, "SELECT area_centi FROM households WHERE unit = '1-1-102'"), 12000);
        assert_int_equal(query_int(f, "SELECT area_centi FROM households WHERE unit = '2-1-201'"), 21025);
        assert_int_equal(query_int(f, "SELECT floor FROM households WHERE unit = '2-1-201'"), 2);
        assert_string_equal(query_text(f, "SELECT building || '|' || room || '|' || property_type ||"
                                          " '|' || payer_type || '|' || staff || '|' || category"
                                          " FROM households WHERE unit = '1-1-101'"),
                            "1|101|多层|monthly|王管家|new");
        assert_string_equal(query_text(f, "SELECT payer_type FROM households WHERE unit = '1-1-102'"),
                            "prepaid");
        assert_string_equal(query_text(f, "SELECT payer_type || '|' || staff FROM households"
                                          " WHERE unit = '2-1-201'"), "monthly|");
        /* owners, primary */
        assert_string_equal(query_text(f, "SELECT group_concat(o.name || o.is_primary, ',') FROM"
                                          " (SELECT o.name, o.is_primary FROM owners o"
                                          "  JOIN households h ON h.id = o.household_id"
                                          "  ORDER BY h.unit) o"), "张三1,李四1,王五1");
        /* contacts: phones normalized, linked to the owner, empty cells make none */
        assert_string_equal(query_text(f, "SELECT group_concat(x, ',') FROM (SELECT h.unit || ':' ||"
                                          " c.channel || ':' || c.address || ':' || o.name AS x"
                                          " FROM contacts c JOIN households h ON h.id = c.household_id"
                                          " JOIN owners o ON o.id = c.owner_id"
                                          " ORDER BY h.unit, c.channel)"),
                            "1-1-101:email:zhang@example.com:张三,1-1-101:sms:13800138000:张三,"
                            "1-1-102:sms:13900139000:李四,2-1-201:email:wang@example.com:王五");

        /* Chinese headers, as the billing systems export them */
        import_ok(f, IMPORT_HOUSEHOLDS, "住户.csv", households_cn);
        expect_report(f, 2, 2, 0, 0);
        assert_string_equal(query_text(f, "SELECT building || '|' || floor || '|' || room || '|' ||"
                                          " property_type || '|' || area_centi || '|' || payer_type"
                                          " || '|' || staff FROM households WHERE unit = '3-2-1202'"),
                            "3|12|1202|小高层|9860|prepaid|李管家");
        assert_string_equal(query_text(f, "SELECT c.address FROM contacts c JOIN households h ON"
                                          " h.id = c.household_id WHERE h.unit = '3-2-1202' AND"
                                          " c.channel = 'sms'"), "15000150000");
        assert_int_equal(query_int(f, "SELECT count(*) FROM households"), 5);
}

static void test_households_optional_columns(void **state) {
        Fixture *f = *state;

        import_ok(f, IMPORT_HOUSEHOLDS, "h.csv",
                  "unit,building,property_type,owner,vacant,prepaid_balance,wechat_openid\n"
                  "9-1-1,9,独立别墅,孙八,是,\"¥1,000.50\",oXYZ123\n"
                  "9-1-2,9,商业,周九,0,,\n");
        expect_report(f, 2, 2, 0, 0);
        assert_string_equal(query_text(f, "SELECT vacant || '|' || prepaid_balance || '|' ||"
                                          " area_centi || '|' || typeof(floor) || '|' || room"
                                          " FROM households WHERE unit = '9-1-1'"), "1|100050|0|null|");
        assert_string_equal(query_text(f, "SELECT vacant FROM households WHERE unit = '9-1-2'"), "0");
        assert_string_equal(query_text(f, "SELECT channel || ':' || address FROM contacts"),
                            "wechat:oXYZ123");
}

static void test_households_reimport(void **state) {
        Fixture *f = *state;
        Counts before, after;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        before = counts(f);

        /* the same file again: nothing changes, and the report says so */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_report(f, 3, 0, 0, 3);
        after = counts(f);
        assert_memory_equal(&before, &after, sizeof(before));

        /* one area changed, one new phone: two updated */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv",
                  "unit,building,floor,room,property_type,area_m2,owner,phone,email,payer_type,staff\n"
                  "1-1-101,1,1,101,多层,90,张三,138 0013 8000,zhang@example.com,monthly,王管家\n"
                  "1-1-102,1,1,102,小高层,120,李四,13911112222,,预付,王管家\n"
                  "2-1-201,2,2,201,联排别墅,210.25,王五,,wang@example.com,,\n");
        expect_report(f, 3, 0, 2, 1);
        assert_int_equal(query_int(f, "SELECT area_centi FROM households WHERE unit = '1-1-101'"), 9000);
        /* the file's number is tried first, the old one kept as a fallback */
        assert_string_equal(query_text(f, "SELECT group_concat(address || ':' || priority, ',') FROM"
                                          " (SELECT c.address, c.priority FROM contacts c JOIN"
                                          " households h ON h.id = c.household_id WHERE"
                                          " h.unit = '1-1-102' ORDER BY c.priority)"),
                            "13911112222:0,13900139000:1");

        /* a new owner becomes the primary one */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv",
                  "unit,building,property_type,owner\n"
                  "2-1-201,2,联排别墅,王小五\n");
        expect_report(f, 1, 0, 1, 0);
        assert_string_equal(query_text(f, "SELECT group_concat(name || is_primary, ',') FROM"
                                          " (SELECT o.name, o.is_primary FROM owners o JOIN"
                                          " households h ON h.id = o.household_id"
                                          " WHERE h.unit = '2-1-201' ORDER BY o.id)"),
                            "王五0,王小五1");
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv",
                  "unit,building,property_type,owner\n"
                  "2-1-201,2,联排别墅,王小五\n");
        expect_report(f, 1, 0, 0, 1);
}

static const char charges_csv[] =
        "unit,period,amount,due_date\n"
        "1-1-101,2026-10,\"1,280.50\",2026-10-15\n"
        "1-1-101,2026-11,1280.50,2026/11/15\n"
        "1-1-102,2026-11,99,2026-11-15\n";

static const char payments_csv[] =
        "unit,amount,paid_at,method,reference\n"
        "1-1-101,1280.50,2026-10-20,微信,WX001\n"
        "1-1-101,100,2026/11/20,现金,\n"
        "1-1-102,99,2026-11-21,,\n";

static void test_charges_and_payments(void **state) {
        Fixture *f = *state;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);

        import_ok(f, IMPORT_CHARGES, "charges.csv", charges_csv);
        expect_report(f, 3, 3, 0, 0);
        assert_string_equal(query_text(f, "SELECT group_concat(x, ',') FROM (SELECT h.unit || '|' ||"
                                          " c.period || '|' || c.amount || '|' || c.due_date AS x"
                                          " FROM charges c JOIN households h ON h.id = c.household_id"
                                          " ORDER BY h.unit, c.period)"),
                            "1-1-101|2026-10|128050|2026-10-15,1-1-101|2026-11|128050|2026-11-15,"
                            "1-1-102|2026-11|9900|2026-11-15");
        import_ok(f, IMPORT_CHARGES, "charges.csv", charges_csv);
        expect_report(f, 3, 0, 0, 3);
        /* a corrected amount and a new period */
        import_ok(f, IMPORT_CHARGES, "账单.csv",
                  "房号,账期,应收金额,截止日期\n"
                  "1-1-102,2026-11,100,2026-11-15\n"
                  "1-1-102,2026-12,100,2026-12-15\n"
                  "1-1-101,2026-10,1280.5,2026-10-15\n");
        expect_report(f, 3, 1, 1, 1);
        assert_int_equal(query_int(f, "SELECT sum(amount) FROM charges"), 128050 * 2 + 20000);

        import_ok(f, IMPORT_PAYMENTS, "payments.csv", payments_csv);
        expect_report(f, 3, 3, 0, 0);
        assert_string_equal(query_text(f, "SELECT group_concat(x, ',') FROM (SELECT h.unit || '|' ||"
                                          " p.amount || '|' || p.paid_at || '|' || p.method || '|' ||"
                                          " p.reference || '|' || p.dedup_key AS x FROM payments p"
                                          " JOIN households h ON h.id = p.household_id ORDER BY p.id)"),
                            "1-1-101|128050|2026-10-20|微信|WX001|WX001,"
                            "1-1-101|10000|2026-11-20|现金||2026-11-20|100.00|现金,"
                            "1-1-102|9900|2026-11-21|||2026-11-21|99.00|");
        /* the same payments again, in another column order and with Chinese headers */
        import_ok(f, IMPORT_PAYMENTS, "收款.csv",
                  "流水号,房号,缴费日期,实收金额,支付方式\n"
                  "WX001,1-1-101,2026-10-20,1280.50,微信\n"
                  ",1-1-101,2026-11-20,100.00,现金\n"
                  ",1-1-102,2026-11-21,99,\n"
                  ",1-1-102,2026-11-22,1,\n");
        expect_report(f, 4, 1, 0, 3);
        assert_int_equal(query_int(f, "SELECT count(*) FROM payments"), 4);
}

static void test_categories(void **state) {
        Fixture *f = *state;
        static const char csv[] =
                "unit,category,promise_date,note\n"
                "1-1-101,promised,2026-12-20,说月底发工资\n"
                "1-1-102,异地出差类,,在深圳\n"
                "2-1-201,unclear,,\n";

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        import_ok(f, IMPORT_CATEGORIES, "categories.csv", csv);
        expect_report(f, 3, 0, 3, 0);
        assert_string_equal(query_text(f, "SELECT group_concat(x, ',') FROM (SELECT unit || '|' ||"
                                          " category || '|' || COALESCE(promise_date, '-') AS x"
                                          " FROM households ORDER BY unit)"),
                            "1-1-101|promised|2026-12-20,1-1-102|away|-,2-1-201|unclear|-");
        assert_int_equal(query_int(f, "SELECT count(*) FROM category_history WHERE source = 'import'"), 3);
        assert_string_equal(query_text(f, "SELECT note FROM category_history WHERE category = 'promised'"),
                            "说月底发工资");
        assert_string_equal(query_text(f, "SELECT group_concat(text, ',') FROM (SELECT text FROM notes"
                                          " ORDER BY id)"), "说月底发工资,在深圳");

        /* again: no new history, no duplicate notes */
        import_ok(f, IMPORT_CATEGORIES, "categories.csv", csv);
        expect_report(f, 3, 0, 0, 3);
        assert_int_equal(query_int(f, "SELECT count(*) FROM category_history"), 3);
        assert_int_equal(query_int(f, "SELECT count(*) FROM notes"), 2);

        /* Chinese headers and names; a kept promise changes date */
        import_ok(f, IMPORT_CATEGORIES, "分类.csv",
                  "房号,分类,承诺日期,备注\n"
                  "1-1-101,近期交纳类,2026/12/25,改到25号\n"
                  "2-1-201,无法联系类,,\n");
        expect_report(f, 2, 0, 2, 0);
        assert_string_equal(query_text(f, "SELECT promise_date FROM households WHERE unit = '1-1-101'"),
                            "2026-12-25");
        assert_string_equal(query_text(f, "SELECT category FROM households WHERE unit = '2-1-201'"),
                            "unreachable");
        assert_int_equal(query_int(f, "SELECT count(*) FROM category_history"), 5);
}

static void test_value_errors(void **state) {
        Fixture *f = *state;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        import_ok(f, IMPORT_CHARGES, "charges.csv", charges_csv);

        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-102,2026-12,100,2026-12-15\n"
                      "1-1-101,2026-12,12.345,2026-12-15\n",
                      "charges.csv:3:3: amount '12.345' is not a yuan amount with at most 2 decimals "
                      "(like 1280.50)");
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-12,100,2026-02-30\n",
                      "charges.csv:2:4: '2026-02-30' is not a date (YYYY-MM-DD)");
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-12,0,2026-12-15\n"
                      "1-1-101,2026-13,5,2026-12-15\n",
                      "charges.csv:2:3: amount must be greater than 0",
                      "charges.csv:3:2: period '2026-13' is not a month (YYYY-MM)");
        expect_errors(f, IMPORT_HOUSEHOLDS, "households.csv",
                      "unit,building,floor,room,property_type,area_m2,owner,phone\n"
                      "4-1-101,4,1,101,多层,80,孙八,1380013800\n",
                      "households.csv:2:8: '1380013800' is not a valid mainland mobile number "
                      "(11 digits, 1[3-9]xxxxxxxxx, optional +86)");
        expect_errors(f, IMPORT_HOUSEHOLDS, "households.csv",
                      "unit,building,floor,room,property_type,area_m2,owner\n"
                      "4-1-101,4,1,101,别墅,80,孙八\n",
                      "households.csv:2:5: property type '别墅' is not one of 多层, 小高层, "
                      "联排别墅, 独立别墅, 商业");
        expect_errors(f, IMPORT_HOUSEHOLDS, "households.csv",
                      "unit,building,property_type,owner,email,payer_type,floor,vacant\n"
                      "4-1-101,4,多层,,zhang@,季付,3F,maybe\n",
                      "households.csv:2:4: empty owner name",
                      "households.csv:2:7: floor '3F' is not a whole number",
                      "households.csv:2:5: 'zhang@' is not an e-mail address",
                      "households.csv:2:6: payer type '季付' is not prepaid (预付) or monthly (按月)",
                      "households.csv:2:8: vacant 'maybe' is not 1/0 (是/否)");
        expect_errors(f, IMPORT_PAYMENTS, "payments.csv",
                      "unit,amount,paid_at\n"
                      "1-1-101,-5,2026-12-01\n",
                      "payments.csv:2:2: amount '-5' is not a yuan amount with at most 2 decimals "
                      "(like 1280.50)");
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category,promise_date\n"
                      "1-1-101,rich,\n",
                      "categories.csv:2:2: category 'rich' is not one of new, promised, unclear, "
                      "unreachable, away, disputed (or 近期交纳类, 暂未明确类, 无法联系类, "
                      "异地出差类, 特殊拒交类)");
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category,promise_date\n"
                      "1-1-101,promised,\n",
                      "categories.csv:2:3: category 'promised' needs a promise_date");
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category\n"
                      "1-1-101,承诺缴费\n",
                      /* no promise_date column to point at: the line alone */
                      "categories.csv:2: category 'promised' needs a promise_date");
}

static void test_shape_errors(void **state) {
        Fixture *f = *state;
        char *want = NULL;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);

        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-12,100,2026-12-15\n"
                      "1-1-101,2027-01,100\n"
                      "1-1-101,2027-02,100,2027-02-15,extra\n",
                      "charges.csv:3:3: 3 columns, but the header has 4",
                      "charges.csv:4:5: 5 columns, but the header has 4");
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount\n"
                      "1-1-101,2026-12,100\n",
                      "charges.csv:1: missing required column 'due_date' (截止日期)");
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "period,amount,截止日期,金额\n"
                      "2026-12,100,2026-12-15,100\n",
                      "charges.csv:1:4: column \"金额\" is amount again (as column 2 \"amount\"): "
                      "keep one of them",
                      "charges.csv:1: missing required column 'unit' (房号)");
        /* an unknown column is refused only with --strict-columns (see test_unknown_columns) */
        assert_true(asprintf(&want, "households.csv:1:5: unknown column 'colour' for a households "
                             "file (expected: %s)", import_columns_help(IMPORT_HOUSEHOLDS)) >= 0);
        assert_non_null(strstr(want, "unit (房号), building (楼栋), floor (楼层) optional"));
        f->strict_columns = true;
        expect_errors(f, IMPORT_HOUSEHOLDS, "households.csv",
                      "unit,building,property_type,owner,colour\n"
                      "4-1-101,4,多层,孙八,red\n",
                      want);
        f->strict_columns = false;
        free(want);
        expect_errors(f, IMPORT_PAYMENTS, "payments.csv", "",
                      "payments.csv:1: empty file: expected a header line (unit (房号), amount "
                      "(实收金额), paid_at (缴费日期), method (缴费渠道) optional, reference "
                      "(流水号) optional)");
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-12,\"100,2026-12-15\n",
                      "charges.csv:2:3: unterminated quoted field (opened on line 2)");
}

static void test_unknown_unit_keeps_nothing(void **state) {
        Fixture *f = *state;

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        /* the good rows before and after are not kept either */
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-12,100,2026-12-15\n"
                      "9-9-999,2026-12,100,2026-12-15\n"
                      "1-1-102,2026-12,100,2026-12-15\n"
                      "9-9-998,2026-12,100,2026-12-15\n",
                      "charges.csv:3:1: unknown unit '9-9-999' (import households first)",
                      "charges.csv:5:1: unknown unit '9-9-998' (import households first)");
        assert_int_equal(query_int(f, "SELECT count(*) FROM charges"), 0);
        expect_errors(f, IMPORT_PAYMENTS, "payments.csv",
                      "amount,unit,paid_at\n"
                      "5,1-1-101,2026-12-01\n"
                      "5,1-1-10,2026-12-01\n",
                      "payments.csv:3:2: unknown unit '1-1-10' (import households first)");
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category\n"
                      "1-1-101,away\n"
                      "1-1-109,away\n",
                      "categories.csv:3:1: unknown unit '1-1-109' (import households first)");
        assert_int_equal(query_int(f, "SELECT count(*) FROM households WHERE category = 'away'"), 0);
        /* the store is still usable for a good import afterwards */
        import_ok(f, IMPORT_CHARGES, "charges.csv", charges_csv);
        expect_report(f, 3, 3, 0, 0);
}

static void test_duplicates(void **state) {
        Fixture *f = *state;

        expect_errors(f, IMPORT_HOUSEHOLDS, "households.csv",
                      "unit,building,property_type,owner\n"
                      "4-1-101,4,多层,孙八\n"
                      "4-1-102,4,多层,周九\n"
                      "4-1-101,4,多层,吴十\n"
                      "4-1-102,4,多层,郑十一\n",
                      "households.csv:4:1: duplicate: the same unit as line 2",
                      "households.csv:5:1: duplicate: the same unit as line 3");
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "period,unit,amount,due_date\n"
                      "2026-12,1-1-101,100,2026-12-15\n"
                      "2026-12,1-1-102,100,2026-12-15\n"
                      "2026-12,1-1-101,200,2026-12-20\n",
                      "charges.csv:4:2: duplicate: the same unit and period as line 2");
        expect_errors(f, IMPORT_PAYMENTS, "payments.csv",
                      "unit,amount,paid_at,method,reference\n"
                      "1-1-101,100,2026-12-01,现金,\n"
                      "1-1-101,100,2026-12-01,微信,\n"
                      "1-1-101,100.00,2026/12/1,现金,\n"
                      "1-1-102,5,2026-12-02,,R1\n"
                      "1-1-102,6,2026-12-03,,R1\n",
                      "payments.csv:4:1: duplicate: the same payment as line 2",
                      "payments.csv:6:1: duplicate: the same payment as line 5");
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category\n"
                      "1-1-101,away\n"
                      "1-1-101,unclear\n",
                      "categories.csv:3:1: duplicate: the same unit as line 2");
}

static void test_dry_run(void **state) {
        Fixture *f = *state;
        Counts empty = counts(f), c;

        assert_int_equal(import(f, IMPORT_HOUSEHOLDS, "households.csv", households_en, true), 0);
        assert_int_equal(f->errors.n, 0);
        expect_report(f, 3, 3, 0, 0);
        c = counts(f);
        assert_memory_equal(&c, &empty, sizeof(c));
        assert_int_equal(f->store->in_transaction, 0);

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_report(f, 3, 3, 0, 0);
        assert_int_equal(import(f, IMPORT_HOUSEHOLDS, "households.csv", households_en, true), 0);
        expect_report(f, 3, 0, 0, 3);

        /* a dry run of charges for units that exist counts them and keeps none */
        assert_int_equal(import(f, IMPORT_CHARGES, "charges.csv", charges_csv, true), 0);
        expect_report(f, 3, 3, 0, 0);
        assert_int_equal(query_int(f, "SELECT count(*) FROM charges"), 0);
        /* nor a dry run of categories */
        assert_int_equal(import(f, IMPORT_CATEGORIES, "c.csv", "unit,category\n1-1-101,away\n", true), 0);
        expect_report(f, 1, 0, 1, 0);
        assert_string_equal(query_text(f, "SELECT category FROM households WHERE unit = '1-1-101'"),
                            "new");
        assert_int_equal(query_int(f, "SELECT count(*) FROM category_history"), 0);
}

/* Converts UTF-8 text to GBK with iconv, as Excel in China would have saved it. */
static char *to_gbk(const char *utf8, size_t *ret_len) {
        size_t inleft = strlen(utf8), outleft = inleft * 2 + 1;
        char *in = (char *) utf8, *out = calloc(1, outleft), *o = out;
        iconv_t cd = iconv_open("GBK", "UTF-8");

        assert_true(cd != (iconv_t) -1);
        assert_non_null(out);
        assert_true(iconv(cd, &in, &inleft, &o, &outleft) != (size_t) -1);
        iconv_close(cd);
        *ret_len = (size_t) (o - out);
        return out;
}

static void test_gbk(void **state) {
        Fixture *f = *state;
        size_t len;
        char *gbk = to_gbk(households_cn, &len);

        /* GBK is not UTF-8: the bytes differ, and reading them as UTF-8 fails loudly */
        assert_true(len < strlen(households_cn));
        assert_int_equal(import_enc(f, IMPORT_HOUSEHOLDS, "住户.csv", gbk, len, CSV_ENCODING_UTF8,
                                    false), -EINVAL);
        assert_int_equal(f->errors.n, 1);
        assert_true(strncmp(f->errors.lines[0], "住户.csv:1:", strlen("住户.csv:1:")) == 0);
        assert_non_null(strstr(f->errors.lines[0], "(is --encoding right? Excel in China usually "
                                                   "writes GBK)"));
        assert_int_equal(query_int(f, "SELECT count(*) FROM households"), 0);

        assert_int_equal(import_enc(f, IMPORT_HOUSEHOLDS, "住户.csv", gbk, len, CSV_ENCODING_GBK,
                                    false), 0);
        expect_report(f, 2, 2, 0, 0);
        /* stored as UTF-8 */
        assert_string_equal(query_text(f, "SELECT group_concat(name, ',') FROM (SELECT name FROM"
                                          " owners ORDER BY id)"), "赵六,钱七");
        assert_string_equal(query_text(f, "SELECT property_type || staff FROM households"
                                          " WHERE unit = '3-2-1201'"), "小高层李管家");
        /* GB18030 is a superset */
        assert_int_equal(import_enc(f, IMPORT_HOUSEHOLDS, "住户.csv", gbk, len,
                                    CSV_ENCODING_GB18030, false), 0);
        expect_report(f, 2, 0, 0, 2);
        free(gbk);
}

static void test_utf8_bom(void **state) {
        Fixture *f = *state;
        char *csv = NULL;

        /* Excel's "CSV UTF-8" starts with a BOM, which must not become part of 房号 */
        assert_true(asprintf(&csv, "\xEF\xBB\xBF%s", households_cn) >= 0);
        import_ok(f, IMPORT_HOUSEHOLDS, "bom.csv", csv);
        expect_report(f, 2, 2, 0, 0);
        free(csv);
}

static void test_too_many_errors(void **state) {
        Fixture *f = *state;
        char *csv = NULL, *p;
        size_t size = 0;
        FILE *m = open_memstream(&csv, &size);

        assert_non_null(m);
        fputs("unit,period,amount,due_date\n", m);
        for (int i = 0; i < 80; i++)
                fprintf(m, "1-1-%03d,2026-12,bad,2026-12-15\n", i);
        fclose(m);
        assert_int_equal(import(f, IMPORT_CHARGES, "big.csv", csv, false), -EINVAL);
        free(csv);
        assert_int_equal(f->errors.n, IMPORT_MAX_ERRORS + 1);
        assert_string_equal(f->errors.lines[0], "big.csv:2:3: amount 'bad' is not a yuan amount "
                                                "with at most 2 decimals (like 1280.50)");
        p = f->errors.lines[IMPORT_MAX_ERRORS];
        assert_string_equal(p, "big.csv:51: too many errors, stopping here");
}

static void test_payment_with_known_reference_but_other_amount(void **state) {
        Fixture *f = *state;
        int r;

        /* Regression (found by this test, fixed): daemon/import.c write_payments() uses INSERT OR IGNORE keyed on the dedup key
         * (the reference), so a row whose reference is already stored but whose amount or date
         * differs (a corrected export) is silently dropped and counted as "unchanged", which
         * ImportReport defines as "rows already in the store as they are". The owner's balance
         * stays wrong with no word in the report. Fix: compare the stored amount/paid_at for an
         * existing dedup key and either update it (counting "updated") or report
         * "FILE:LINE:COLUMN: payment 'WX001' is already recorded as 1280.50 on 2026-10-20". */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        import_ok(f, IMPORT_PAYMENTS, "payments.csv", payments_csv);
        r = import(f, IMPORT_PAYMENTS, "payments.csv",
                   "unit,amount,paid_at,method,reference\n"
                   "1-1-101,1208.50,2026-10-20,微信,WX001\n", false);
        if (r == 0) {
                assert_int_equal(f->report.unchanged, 0);
                assert_int_equal(query_int(f, "SELECT amount FROM payments WHERE reference = 'WX001'"),
                                 120850);
        } else
                assert_int_equal(r, -EINVAL);
}

static void test_period_strictness(void **state) {
        Fixture *f = *state;

        /* Regression (found by this test, fixed): daemon/import.c check_charge() validates the period with
         * sscanf("%4u-%2u%c") plus a length check; %u skips blanks and accepts a sign, so
         * "2026- 1" and "2026-+1" pass and are stored verbatim as periods, then sort wrongly and
         * appear as such in {{periods}}. Fix: check the exact shape (4 digits, '-', 2 digits)
         * with isdigit() before converting. */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date\n"
                      "1-1-101,2026-+1,100,2026-12-15\n"
                      "1-1-102,2026- 1,100,2026-12-15\n",
                      "charges.csv:2:2: period '2026-+1' is not a month (YYYY-MM)",
                      "charges.csv:3:2: period '2026- 1' is not a month (YYYY-MM)");
}

static void test_promise_date_error_column(void **state) {
        Fixture *f = *state;

        /* Regression (found by this test, fixed): daemon/import.c check_category() reports a missing promise date at
         * column[F_CATEGORY] + 1, i.e. whatever column follows 分类, instead of the promise_date
         * column when the file has one elsewhere: with "unit,promise_date,category,note" the
         * error points at the note (column 4) instead of the empty promise_date cell (column 2).
         * Fix: use r->column[F_PROMISE_DATE] when that column exists, else column 0. */
        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,promise_date,category,note\n"
                      "1-1-101,,promised,说下周\n",
                      "categories.csv:2:2: category 'promised' needs a promise_date");
}

static void test_unknown_columns(void **state) {
        Fixture *f = *state;

        /* a real export: extra columns between the known ones, warned about once each, not
         * once per row, and the known ones still read from their own cells */
        import_warns(f, IMPORT_HOUSEHOLDS, "export.csv",
                     "房号,楼栋,联系地址,物业类型,业主姓名,备注,手机\n"
                     "1-1-101,1,幸福路1号,多层,张三,老人独居,13800138000\n"
                     "1-1-102,1,幸福路1号,多层,李四,,13900139000\n",
                     "export.csv:1:3: ignoring unknown column \"联系地址\"",
                     "export.csv:1:6: ignoring unknown column \"备注\"");
        expect_report(f, 2, 2, 0, 0);
        assert_string_equal(query_text(f, "SELECT group_concat(x, ',') FROM (SELECT h.unit || ':' ||"
                                          " h.property_type || ':' || o.name || ':' || c.address AS x"
                                          " FROM households h JOIN owners o ON o.household_id = h.id"
                                          " JOIN contacts c ON c.household_id = h.id ORDER BY h.unit)"),
                            "1-1-101:多层:张三:13800138000,1-1-102:多层:李四:13900139000");
        assert_int_equal(query_int(f, "SELECT count(*) FROM notes"), 0);

        /* 备注 is a column of categories, so there it is read, not ignored */
        import_ok(f, IMPORT_CATEGORIES, "分类.csv",
                  "房号,分类,备注\n"
                  "1-1-101,暂未明确类,老人独居\n");
        assert_string_equal(query_text(f, "SELECT text FROM notes"), "老人独居");

        /* Excel's trailing comma: a column without a header */
        import_warns(f, IMPORT_CHARGES, "charges.csv",
                     "unit,period,amount,due_date,\n"
                     "1-1-101,2026-12,100,2026-12-15,\n",
                     "charges.csv:1:5: ignoring a column without a header");
        expect_report(f, 1, 1, 0, 0);

        /* --strict-columns: today's refusal, nothing kept */
        f->strict_columns = true;
        expect_errors(f, IMPORT_CHARGES, "charges.csv",
                      "unit,period,amount,due_date,\n"
                      "1-1-101,2027-01,100,2027-01-15,\n",
                      "charges.csv:1:5: column without a header (--strict-columns)");
        import_ok(f, IMPORT_CHARGES, "charges.csv",
                  "unit,period,amount,due_date\n"
                  "1-1-101,2027-01,100,2027-01-15\n");
}

static void test_header_variants(void **state) {
        Fixture *f = *state;

        /* stray spaces (ASCII, ideographic, no-break, inside the name), a BOM left inside a
         * cell, full-width letters, upper case: each still names its column */
        import_ok(f, IMPORT_HOUSEHOLDS, "variants.csv",
                  " 房号 ,楼栋\u3000,\uFEFF物业类型,ＯＷＮＥＲ,\u00A0Phone,邮\u3000箱\n"
                  "1-1-101,1,多层,张三,13800138000,zhang@example.com\n");
        assert_string_equal(query_text(f, "SELECT h.unit || ':' || h.building || ':' ||"
                                          " h.property_type || ':' || o.name FROM households h"
                                          " JOIN owners o ON o.household_id = h.id"), "1-1-101:1:多层:张三");
        assert_string_equal(query_text(f, "SELECT group_concat(channel || ':' || address, ',') FROM"
                                          " (SELECT channel, address FROM contacts ORDER BY channel)"),
                            "email:zhang@example.com,sms:13800138000");

        /* one column given twice, under two names or two spellings: which one is meant? */
        expect_errors(f, IMPORT_HOUSEHOLDS, "h.csv",
                      "unit,building,property_type,owner,phone,手机\n"
                      "1-1-101,1,多层,张三,13800138000,13900139000\n",
                      "h.csv:1:6: column \"手机\" is phone again (as column 5 \"phone\"): keep one "
                      "of them");
        expect_errors(f, IMPORT_HOUSEHOLDS, "h.csv",
                      "unit,building,property_type,owner, 手机,手机\n"
                      "1-1-101,1,多层,张三,13800138000,13900139000\n",
                      "h.csv:1:6: column \"手机\" is phone again (as column 5 \" 手机\"): keep one "
                      "of them");

        /* a known name with something added is neither read (元 or 万元?) nor ignored */
        expect_errors(f, IMPORT_CHARGES, "c.csv",
                      "unit,period,应收金额（元）,due_date\n"
                      "1-1-101,2026-12,100,2026-12-15\n",
                      "c.csv:1:3: column \"应收金额（元）\" looks like amount (应收金额) with something "
                      "added: if it is that column, name it amount or 应收金额; otherwise rename or "
                      "remove it",
                      "c.csv:1: missing required column 'amount' (应收金额)");
        expect_errors(f, IMPORT_HOUSEHOLDS, "h.csv",
                      "unit,building,property_type,owner,手机,手机2,面积(㎡)\n"
                      "1-1-101,1,多层,张三,13800138000,13900139000,90\n",
                      "h.csv:1:6: column \"手机2\" looks like phone (手机) with something added: if "
                      "it is that column, name it phone or 手机; otherwise rename or remove it",
                      "h.csv:1:7: column \"面积(㎡)\" looks like area_m2 (面积) with something "
                      "added: if it is that column, name it area_m2 or 面积; otherwise rename or "
                      "remove it");
        /* and without the decoration it is an unknown column like any other */
        import_warns(f, IMPORT_HOUSEHOLDS, "h.csv",
                     "unit,building,property_type,owner,手机,手机备用\n"
                     "1-1-101,1,多层,张三,13800138000,13900139000\n",
                     "h.csv:1:6: ignoring unknown column \"手机备用\"");
}

static void test_promise_in_the_past(void **state) {
        Fixture *f = *state;
        const int64_t dec1 = days_from_civil(2026, 12, 1);

        import_ok(f, IMPORT_HOUSEHOLDS, "households.csv", households_en);
        f->today = dec1;
        /* one past date spoils the file; the date is named as the office writes it */
        expect_errors(f, IMPORT_CATEGORIES, "categories.csv",
                      "unit,category,promise_date\n"
                      "1-1-101,promised,2026-12-01\n"
                      "1-1-102,promised,2026/11/2\n",
                      "categories.csv:3:3: promise date 2026-11-02 is before today (2026-12-01)");
        /* today itself is a promise the office can still remind about (on the day) */
        import_ok(f, IMPORT_CATEGORIES, "categories.csv",
                  "unit,category,promise_date\n"
                  "1-1-101,promised,2026-12-01\n");
        expect_report(f, 1, 0, 1, 0);

        /* an old file imported again: what it says is stored already, so it changes nothing
         * and is no error; a note it adds is still kept */
        f->today = dec1 - 30;
        import_ok(f, IMPORT_CATEGORIES, "old.csv",
                  "unit,category,promise_date\n"
                  "1-1-102,promised,2026-11-02\n");
        f->today = dec1;
        import_ok(f, IMPORT_CATEGORIES, "old.csv",
                  "unit,category,promise_date\n"
                  "1-1-102,promised,2026-11-02\n");
        expect_report(f, 1, 0, 0, 1);
        import_ok(f, IMPORT_CATEGORIES, "old.csv",
                  "unit,category,promise_date,note\n"
                  "1-1-102,promised,2026-11-02,又打了一次\n");
        expect_report(f, 1, 0, 1, 0);
        assert_int_equal(query_int(f, "SELECT count(*) FROM category_history h JOIN households u"
                                      " ON u.id = h.household_id WHERE u.unit = '1-1-102'"), 1);
        /* but moving a stored promise to another past day is refused, as is a new one */
        expect_errors(f, IMPORT_CATEGORIES, "old.csv",
                      "unit,category,promise_date\n"
                      "1-1-102,promised,2026-11-03\n"
                      "2-1-201,promised,2026-11-30\n",
                      "old.csv:2:3: promise date 2026-11-03 is before today (2026-12-01)",
                      "old.csv:3:3: promise date 2026-11-30 is before today (2026-12-01)");
        assert_string_equal(query_text(f, "SELECT promise_date FROM households WHERE unit = '1-1-102'"),
                            "2026-11-02");
}

#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds),
                T(test_households),
                T(test_households_optional_columns),
                T(test_households_reimport),
                T(test_charges_and_payments),
                T(test_categories),
                T(test_value_errors),
                T(test_shape_errors),
                T(test_unknown_unit_keeps_nothing),
                T(test_duplicates),
                T(test_dry_run),
                T(test_gbk),
                T(test_utf8_bom),
                T(test_too_many_errors),
                T(test_payment_with_known_reference_but_other_amount),
                T(test_period_strictness),
                T(test_promise_date_error_column),
                T(test_unknown_columns),
                T(test_header_variants),
                T(test_promise_in_the_past),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
