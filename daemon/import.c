/* SPDX-License-Identifier: MIT */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "category.h"
#include "import.h"
#include "money.h"
#include "phone.h"
#include "store-household.h"
#include "store-ledger.h"
#include "timeutil.h"

/* ---- column specs ------------------------------------------------------------------ */

enum {
        F_UNIT, F_BUILDING, F_FLOOR, F_ROOM, F_PROPERTY_TYPE, F_AREA, F_OWNER, F_PHONE, F_EMAIL,
        F_WECHAT, F_PAYER_TYPE, F_STAFF, F_VACANT, F_PREPAID_BALANCE,
        F_PERIOD, F_AMOUNT, F_DUE_DATE, F_PAID_AT, F_METHOD, F_REFERENCE,
        F_CATEGORY, F_PROMISE_DATE, F_NOTE,
        _F_MAX,
};

typedef struct ColumnSpec {
        int field;
        bool required;
        const char *names[6];   /* the English key first, then the Chinese headers seen */
} ColumnSpec;

static const ColumnSpec household_columns[] = {
        { F_UNIT, true, { "unit", "房号", "房屋编号", "户号", NULL } },
        { F_BUILDING, true, { "building", "楼栋", "楼号", "栋", NULL } },
        { F_FLOOR, false, { "floor", "楼层", NULL } },
        { F_ROOM, false, { "room", "房间", "房间号", NULL } },
        { F_PROPERTY_TYPE, true, { "property_type", "物业类型", "房屋类型", NULL } },
        { F_AREA, false, { "area_m2", "面积", "建筑面积", "area", NULL } },
        { F_OWNER, true, { "owner", "业主姓名", "业主", "姓名", NULL } },
        { F_PHONE, false, { "phone", "手机", "手机号", "联系电话", "电话", NULL } },
        { F_EMAIL, false, { "email", "邮箱", "电子邮箱", NULL } },
        { F_WECHAT, false, { "wechat_openid", "微信", "openid", NULL } },
        { F_PAYER_TYPE, false, { "payer_type", "缴费方式", "付费方式", NULL } },
        { F_STAFF, false, { "staff", "负责人", "管家", NULL } },
        { F_VACANT, false, { "vacant", "空置", "是否空置", NULL } },
        { F_PREPAID_BALANCE, false, { "prepaid_balance", "预付余额", "预存余额", NULL } },
        { -1, false, { NULL } },
};

static const ColumnSpec charge_columns[] = {
        { F_UNIT, true, { "unit", "房号", "房屋编号", "户号", NULL } },
        { F_PERIOD, true, { "period", "账期", "期间", "所属期", NULL } },
        { F_AMOUNT, true, { "amount", "应收金额", "金额", NULL } },
        { F_DUE_DATE, true, { "due_date", "截止日期", "缴费截止日期", "到期日", NULL } },
        { -1, false, { NULL } },
};

static const ColumnSpec payment_columns[] = {
        { F_UNIT, true, { "unit", "房号", "房屋编号", "户号", NULL } },
        { F_AMOUNT, true, { "amount", "实收金额", "金额", "缴费金额", NULL } },
        { F_PAID_AT, true, { "paid_at", "缴费日期", "收款日期", NULL } },
        { F_METHOD, false, { "method", "缴费渠道", "支付方式", "收款方式", NULL } },
        { F_REFERENCE, false, { "reference", "流水号", "单号", "票据号", NULL } },
        { -1, false, { NULL } },
};

static const ColumnSpec category_columns[] = {
        { F_UNIT, true, { "unit", "房号", "房屋编号", "户号", NULL } },
        { F_CATEGORY, true, { "category", "分类", "类别", NULL } },
        { F_PROMISE_DATE, false, { "promise_date", "承诺日期", "承诺缴费日期", NULL } },
        { F_NOTE, false, { "note", "备注", "说明", NULL } },
        { -1, false, { NULL } },
};

static const ColumnSpec *const kind_columns[_IMPORT_KIND_MAX] = {
        [IMPORT_HOUSEHOLDS] = household_columns,
        [IMPORT_CHARGES] = charge_columns,
        [IMPORT_PAYMENTS] = payment_columns,
        [IMPORT_CATEGORIES] = category_columns,
};

static const char *const kind_names[_IMPORT_KIND_MAX] = {
        [IMPORT_HOUSEHOLDS] = "households",
        [IMPORT_CHARGES] = "charges",
        [IMPORT_PAYMENTS] = "payments",
        [IMPORT_CATEGORIES] = "categories",
};

ImportKind import_kind_from_string(const char *s) {
        for (int k = 0; k < _IMPORT_KIND_MAX; k++)
                if (streq(s, kind_names[k]))
                        return (ImportKind) k;
        return _IMPORT_KIND_INVALID;
}

const char *import_kind_to_string(ImportKind k) {
        return k >= 0 && k < _IMPORT_KIND_MAX ? kind_names[k] : NULL;
}

const char *import_columns_help(ImportKind kind) {
        static char buf[_IMPORT_KIND_MAX][1024];
        const ColumnSpec *c;
        size_t len = 0;

        if (kind < 0 || kind >= _IMPORT_KIND_MAX)
                return "";
        if (buf[kind][0])
                return buf[kind];
        for (c = kind_columns[kind]; c->field >= 0; c++)
                len += (size_t) snprintf(buf[kind] + len, sizeof(buf[kind]) - len, "%s%s (%s)%s",
                                         len ? ", " : "", c->names[0], c->names[1],
                                         c->required ? "" : " optional");
        return buf[kind];
}

/* ---- one parsed row ---------------------------------------------------------------- */

typedef struct Row {
        unsigned line;
        char *value[_F_MAX];            /* trimmed copies; NULL when the column is absent */
        unsigned column[_F_MAX];        /* 1-based field number, for errors */
        /* typed values */
        int64_t fen, fen2, area_centi, day, day2, floor;
        char phone[PHONE_BUFSZ];
        int payer_prepaid, vacant;
        Category category;
        char *dedup_key;
} Row;

typedef struct Importer {
        Store *store;
        ImportKind kind;
        const char *name;
        bool strict_columns;
        int64_t today;
        ConfigErrors *errors;
        ConfigErrors *warnings;         /* may be NULL */
        Row *rows;
        size_t n_rows;
        int col_of[_F_MAX];             /* CSV field index of each field, -1 if absent */
} Importer;

_printf_(4, 5) static void row_error(Importer *im, unsigned line, unsigned column,
                                      const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (im->errors->n >= IMPORT_MAX_ERRORS)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        (void) config_errors_add_at(im->errors, im->name, (int) line, column, "%s", msg);
        if (im->errors->n == IMPORT_MAX_ERRORS)
                (void) config_errors_add(im->errors, im->name, (int) line,
                                         "too many errors, stopping here");
}

_printf_(4, 5) static void row_warning(Importer *im, unsigned line, unsigned column,
                                        const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (!im->warnings || im->warnings->n >= IMPORT_MAX_ERRORS)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        (void) config_errors_add_at(im->warnings, im->name, (int) line, column, "%s", msg);
}

static void row_done(Row *r) {
        for (int f = 0; f < _F_MAX; f++)
                free(r->value[f]);
        free(r->dedup_key);
}

static char *trim_dup(const char *s) {
        const char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
        return strndup(s, (size_t) (e - s));
}

typedef enum HeaderMatch {
        HEADER_UNKNOWN,
        HEADER_KNOWN,
        HEADER_LOOKALIKE,       /* a known name with something added */
} HeaderMatch;

/* What may follow a known name in a header that is that column with a unit, a number or a
 * remark added: "应收金额(元)", "面积（㎡）" (full-width brackets are folded to ASCII), "手机2",
 * "phone_2", "金额【元】". */
static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_decoration(const char *rest) {
        if (rest[0] == 0)
                return false;
        return strchr("([{</-_.:#", rest[0]) || (rest[0] >= '0' && rest[0] <= '9') ||
               starts_with(rest, "【") || starts_with(rest, "〔");
}

/* folded: a header cell after csv_header_fold(). *ret_spec and *ret_name: the column and the
 * name it matched. */
static HeaderMatch match_header(const ColumnSpec *specs, const char *folded,
                                const ColumnSpec **ret_spec, const char **ret_name) {
        for (const ColumnSpec *c = specs; c->field >= 0; c++)
                for (int i = 0; c->names[i]; i++)
                        if (streq(folded, c->names[i])) {
                                *ret_spec = c;
                                *ret_name = c->names[i];
                                return HEADER_KNOWN;
                        }
        for (const ColumnSpec *c = specs; c->field >= 0; c++)
                for (int i = 0; c->names[i]; i++)
                        if (starts_with(folded, c->names[i]) &&
                            is_decoration(folded + strlen(c->names[i]))) {
                                *ret_spec = c;
                                *ret_name = c->names[i];
                                return HEADER_LOOKALIKE;
                        }
        return HEADER_UNKNOWN;
}

static void unknown_column(Importer *im, const CsvRecord *h, size_t i, bool unnamed) {
        unsigned column = (unsigned) i + 1;

        if (im->strict_columns && unnamed)
                row_error(im, h->line, column, "column without a header (--strict-columns)");
        else if (im->strict_columns)
                row_error(im, h->line, column, "unknown column '%s' for a %s file (expected: %s)",
                          h->fields[i], kind_names[im->kind], import_columns_help(im->kind));
        else if (unnamed)
                row_warning(im, h->line, column, "ignoring a column without a header");
        else
                row_warning(im, h->line, column, "ignoring unknown column \"%s\"", h->fields[i]);
}

static int map_header(Importer *im, const CsvRecord *h) {
        const ColumnSpec *specs = kind_columns[im->kind];
        size_t errors_before = im->errors->n;

        for (int f = 0; f < _F_MAX; f++)
                im->col_of[f] = -1;
        for (size_t i = 0; i < h->n_fields; i++) {
                _cleanup_free_ char *folded = csv_header_fold(h->fields[i]);
                const ColumnSpec *c = NULL;
                const char *name = NULL;
                unsigned column = (unsigned) i + 1;
                int first;

                if (!folded)
                        return -ENOMEM;
                switch (match_header(specs, folded, &c, &name)) {
                case HEADER_UNKNOWN:
                        unknown_column(im, h, i, folded[0] == 0);
                        break;
                case HEADER_LOOKALIKE:
                        row_error(im, h->line, column, "column \"%s\" looks like %s (%s) with "
                                  "something added: if it is that column, name it %s or %s; "
                                  "otherwise rename or remove it", h->fields[i], c->names[0],
                                  name, c->names[0], c->names[1]);
                        break;
                case HEADER_KNOWN:
                        first = im->col_of[c->field];
                        if (first >= 0) {
                                row_error(im, h->line, column, "column \"%s\" is %s again (as "
                                          "column %d \"%s\"): keep one of them", h->fields[i],
                                          c->names[0], first + 1, h->fields[first]);
                                break;
                        }
                        im->col_of[c->field] = (int) i;
                        break;
                }
        }
        for (const ColumnSpec *c = specs; c->field >= 0; c++)
                if (c->required && im->col_of[c->field] < 0)
                        row_error(im, h->line, 0, "missing required column '%s' (%s)", c->names[0],
                                  c->names[1]);
        return im->errors->n > errors_before ? -EINVAL : 0;
}

static bool has(const Row *r, int f) {
        return r->value[f] && r->value[f][0];
}

/* ---- value checks ------------------------------------------------------------------ */

static void check_amount(Importer *im, Row *r, int f, int64_t *ret, bool zero_ok) {
        int e;

        e = money_parse_yuan(r->value[f], false, ret);
        if (e < 0)
                row_error(im, r->line, r->column[f], "amount '%s' is not a yuan amount with at most "
                          "2 decimals (like 1280.50)", r->value[f]);
        else if (*ret == 0 && !zero_ok)
                row_error(im, r->line, r->column[f], "amount must be greater than 0");
}

static void check_date(Importer *im, Row *r, int f, int64_t *ret) {
        if (date_parse(r->value[f], ret) < 0)
                row_error(im, r->line, r->column[f], "'%s' is not a date (YYYY-MM-DD)", r->value[f]);
}

static bool one_of(const char *v, const char *const *list) {
        for (; *list; list++)
                if (strcasecmp(v, *list) == 0)
                        return true;
        return false;
}

static void check_household(Importer *im, Row *r) {
        static const char *const types[] = { "多层", "小高层", "联排别墅", "独立别墅", "商业", NULL };
        static const char *const prepaid[] = { "prepaid", "预付", "预交", "预存", NULL };
        static const char *const monthly[] = { "monthly", "按月", "月缴", "月付", NULL };
        static const char *const yes[] = { "1", "yes", "true", "是", "空置", NULL };
        static const char *const no[] = { "0", "no", "false", "否", "", NULL };

        if (!has(r, F_UNIT))
                row_error(im, r->line, r->column[F_UNIT], "empty unit");
        if (!has(r, F_BUILDING))
                row_error(im, r->line, r->column[F_BUILDING], "empty building");
        if (!has(r, F_OWNER))
                row_error(im, r->line, r->column[F_OWNER], "empty owner name");
        if (!r->value[F_PROPERTY_TYPE] || !one_of(r->value[F_PROPERTY_TYPE], types))
                row_error(im, r->line, r->column[F_PROPERTY_TYPE],
                          "property type '%s' is not one of 多层, 小高层, 联排别墅, 独立别墅, 商业",
                          strempty(r->value[F_PROPERTY_TYPE]));
        if (has(r, F_FLOOR)) {
                char *end;
                long v = strtol(r->value[F_FLOOR], &end, 10);
                if (*end || v < -10 || v > 300)
                        row_error(im, r->line, r->column[F_FLOOR], "floor '%s' is not a whole number",
                                  r->value[F_FLOOR]);
                r->floor = v;
        } else
                r->floor = INT64_MIN;
        if (has(r, F_AREA) && money_parse_yuan(r->value[F_AREA], false, &r->area_centi) < 0)
                row_error(im, r->line, r->column[F_AREA], "area '%s' is not a number of square metres "
                          "with at most 2 decimals", r->value[F_AREA]);
        if (has(r, F_PHONE) && phone_normalize(r->value[F_PHONE], r->phone) < 0)
                row_error(im, r->line, r->column[F_PHONE], "'%s' is not a valid mainland mobile number "
                          "(11 digits, 1[3-9]xxxxxxxxx, optional +86)", r->value[F_PHONE]);
        if (has(r, F_EMAIL) && email_validate(r->value[F_EMAIL]) < 0)
                row_error(im, r->line, r->column[F_EMAIL], "'%s' is not an e-mail address",
                          r->value[F_EMAIL]);
        r->payer_prepaid = 0;
        if (has(r, F_PAYER_TYPE)) {
                if (one_of(r->value[F_PAYER_TYPE], prepaid))
                        r->payer_prepaid = 1;
                else if (!one_of(r->value[F_PAYER_TYPE], monthly))
                        row_error(im, r->line, r->column[F_PAYER_TYPE],
                                  "payer type '%s' is not prepaid (预付) or monthly (按月)",
                                  r->value[F_PAYER_TYPE]);
        }
        r->vacant = 0;
        if (r->value[F_VACANT]) {
                if (one_of(r->value[F_VACANT], yes))
                        r->vacant = 1;
                else if (!one_of(r->value[F_VACANT], no))
                        row_error(im, r->line, r->column[F_VACANT], "vacant '%s' is not 1/0 (是/否)",
                                  r->value[F_VACANT]);
        }
        r->fen = 0;
        if (has(r, F_PREPAID_BALANCE))
                check_amount(im, r, F_PREPAID_BALANCE, &r->fen, true);
}

/* Exactly YYYY-MM: 4 digits, '-', 2 digits, a real month. */
static bool period_is_valid(const char *p) {
        int m;

        if (!p || strlen(p) != 7 || p[4] != '-')
                return false;
        for (int i = 0; i < 7; i++)
                if (i != 4 && !isdigit((unsigned char) p[i]))
                        return false;
        m = (p[5] - '0') * 10 + (p[6] - '0');
        return p[0] != '0' && m >= 1 && m <= 12;
}

static void check_charge(Importer *im, Row *r) {
        if (!has(r, F_UNIT))
                row_error(im, r->line, r->column[F_UNIT], "empty unit");
        if (!period_is_valid(r->value[F_PERIOD]))
                row_error(im, r->line, r->column[F_PERIOD], "period '%s' is not a month (YYYY-MM)",
                          strempty(r->value[F_PERIOD]));
        check_amount(im, r, F_AMOUNT, &r->fen, false);
        check_date(im, r, F_DUE_DATE, &r->day);
}

static void check_payment(Importer *im, Row *r) {
        char date[DATE_BUFSZ], amount[MONEY_BUFSZ];

        if (!has(r, F_UNIT))
                row_error(im, r->line, r->column[F_UNIT], "empty unit");
        check_amount(im, r, F_AMOUNT, &r->fen, false);
        check_date(im, r, F_PAID_AT, &r->day);
        /* the same payment imported twice must be recognised: by its reference, or by what
         * it is when the billing system gave none */
        if (has(r, F_REFERENCE))
                r->dedup_key = strdup(r->value[F_REFERENCE]);
        else if (asprintf(&r->dedup_key, "%s|%s|%s", date_format(r->day, date),
                          money_format_plain(r->fen, amount, sizeof(amount)),
                          strempty(r->value[F_METHOD])) < 0)
                r->dedup_key = NULL;
}

static void check_category(Importer *im, Row *r) {
        if (!has(r, F_UNIT))
                row_error(im, r->line, r->column[F_UNIT], "empty unit");
        r->category = category_from_string(strempty(r->value[F_CATEGORY]));
        if (r->category < 0)
                row_error(im, r->line, r->column[F_CATEGORY], "category '%s' is not one of new, "
                          "promised, unclear, unreachable, away, disputed (or 近期交纳类, "
                          "暂未明确类, 无法联系类, 异地出差类, 特殊拒交类)",
                          strempty(r->value[F_CATEGORY]));
        r->day = -1;
        if (has(r, F_PROMISE_DATE))
                check_date(im, r, F_PROMISE_DATE, &r->day);
        else if (r->category == CATEGORY_PROMISED)
                row_error(im, r->line, r->column[F_PROMISE_DATE] ? r->column[F_PROMISE_DATE] : 0,
                          "category 'promised' needs a promise_date");
}

/* Duplicate keys inside one file: the second row names the first. */
static const char *row_key(const Importer *im, const Row *r, char *buf, size_t len) {
        switch (im->kind) {
        case IMPORT_HOUSEHOLDS:
        case IMPORT_CATEGORIES:
                snprintf(buf, len, "%s", strempty(r->value[F_UNIT]));
                break;
        case IMPORT_CHARGES:
                snprintf(buf, len, "%s|%s", strempty(r->value[F_UNIT]), strempty(r->value[F_PERIOD]));
                break;
        case IMPORT_PAYMENTS:
                snprintf(buf, len, "%s|%s", strempty(r->value[F_UNIT]), strempty(r->dedup_key));
                break;
        default:
                buf[0] = 0;
        }
        return buf;
}

static int cmp_key(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int check_duplicates(Importer *im) {
        char **keys, buf[512];
        size_t errors_before = im->errors->n;

        keys = calloc(im->n_rows + 1, sizeof(char *));
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < im->n_rows; i++) {
                /* "key\0index" so equal keys sort together and stay findable */
                row_key(im, &im->rows[i], buf, sizeof(buf));
                if (asprintf(&keys[i], "%s%c%08zu", buf, 1, i) < 0) {
                        strv_free(keys);
                        return -ENOMEM;
                }
        }
        qsort(keys, im->n_rows, sizeof(char *), cmp_key);
        for (size_t i = 1; i < im->n_rows; i++) {
                char *a = keys[i - 1], *b = keys[i];
                size_t la = strcspn(a, "\1"), lb = strcspn(b, "\1");

                if (la == lb && strncmp(a, b, la) == 0) {
                        const Row *first = &im->rows[strtoul(a + la + 1, NULL, 10)];
                        const Row *dup = &im->rows[strtoul(b + lb + 1, NULL, 10)];
                        row_error(im, dup->line, dup->column[F_UNIT],
                                  "duplicate: the same %s as line %u",
                                  im->kind == IMPORT_CHARGES ? "unit and period" :
                                  im->kind == IMPORT_PAYMENTS ? "payment" : "unit", first->line);
                }
        }
        strv_free(keys);
        return im->errors->n > errors_before ? -EINVAL : 0;
}

static int read_rows(Importer *im, CsvReader *reader) {
        const CsvRecord *rec;
        CsvError err = {};
        size_t n_columns, cap = 0;
        int r;

        r = csv_reader_next(reader, &rec, &err);
        if (r == 0) {
                row_error(im, 1, 0, "empty file: expected a header line (%s)",
                          import_columns_help(im->kind));
                return -EINVAL;
        }
        if (r < 0)
                goto csv_fail;
        n_columns = rec->n_fields;
        r = map_header(im, rec);
        if (r < 0)
                return r;

        while ((r = csv_reader_next(reader, &rec, &err)) > 0) {
                Row *row;

                if (rec->n_fields != n_columns) {
                        row_error(im, rec->line, (unsigned) (rec->n_fields < n_columns ? rec->n_fields
                                                                                     : n_columns + 1),
                                  "%zu columns, but the header has %zu", rec->n_fields, n_columns);
                        continue;
                }
                if (im->n_rows == cap) {
                        Row *n = realloc(im->rows, (cap = cap ? cap * 2 : 256) * sizeof(Row));
                        if (!n)
                                return -ENOMEM;
                        im->rows = n;
                }
                row = &im->rows[im->n_rows++];
                *row = (Row) { .line = rec->line };
                for (int f = 0; f < _F_MAX; f++) {
                        int c = im->col_of[f];
                        if (c < 0)
                                continue;
                        row->value[f] = trim_dup(rec->fields[c]);
                        if (!row->value[f])
                                return -ENOMEM;
                        row->column[f] = (unsigned) c + 1;
                }
                switch (im->kind) {
                case IMPORT_HOUSEHOLDS:
                        check_household(im, row);
                        break;
                case IMPORT_CHARGES:
                        check_charge(im, row);
                        break;
                case IMPORT_PAYMENTS:
                        check_payment(im, row);
                        break;
                case IMPORT_CATEGORIES:
                        check_category(im, row);
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (r < 0)
                goto csv_fail;
        return 0;

csv_fail:
        if (r == -ENOMEM)
                return r;
        row_error(im, err.line, err.column, "%s", err.message);
        return -EINVAL;
}

/* ---- writing ----------------------------------------------------------------------- */

/* Returns 1 with the household's id, 0 when the unit does not exist (an error for every kind
 * but households), or a negative errno. */
static int lookup_unit(Importer *im, Row *r, int64_t *ret_id) {
        int k = store_household_find(im->store, r->value[F_UNIT], ret_id);

        if (k == -ENOENT) {
                row_error(im, r->line, r->column[F_UNIT],
                          "unknown unit '%s' (import households first)", r->value[F_UNIT]);
                return 0;
        }
        return k < 0 ? k : 1;
}

static void count_change(ImportReport *rep, StoreChange c) {
        if (c == STORE_ADDED)
                rep->added++;
        else if (c == STORE_UPDATED)
                rep->updated++;
        else
                rep->unchanged++;
}

static int write_households(Importer *im, ImportReport *rep, const char *now) {
        for (size_t i = 0; i < im->n_rows; i++) {
                const Row *row = &im->rows[i];
                HouseholdRecord h = {
                        .unit = row->value[F_UNIT],
                        .building = row->value[F_BUILDING],
                        .room = row->value[F_ROOM],
                        .property_type = row->value[F_PROPERTY_TYPE],
                        .staff = row->value[F_STAFF],
                        .has_floor = row->floor != INT64_MIN,
                        .floor = row->floor,
                        .area_centi = row->area_centi,
                        .vacant = row->vacant,
                        .prepaid = row->payer_prepaid,
                        .prepaid_balance = row->fen,
                        .owner = row->value[F_OWNER],
                        .phone = row->phone,
                        .email = row->value[F_EMAIL],
                        .wechat_openid = row->value[F_WECHAT],
                };
                StoreChange c;
                int r;

                r = store_household_upsert(im->store, &h, now, &c);
                if (r < 0)
                        return r;
                count_change(rep, c);
        }
        return 0;
}

/* Charges come household by household (billing exports list a unit's periods together):
 * each run of rows of one unit is written with one balance update. */
static int write_charges(Importer *im, ImportReport *rep) {
        _cleanup_free_ ChargeRecord *recs = NULL;
        _cleanup_free_ StoreChange *changes = NULL;
        size_t i = 0;

        recs = calloc(im->n_rows + 1, sizeof(*recs));
        changes = calloc(im->n_rows + 1, sizeof(*changes));
        if (!recs || !changes)
                return -ENOMEM;
        while (i < im->n_rows) {
                Row *row = &im->rows[i];
                size_t n = 0;
                int64_t id;
                int r;

                r = lookup_unit(im, row, &id);
                if (r < 0)
                        return r;
                for (; i < im->n_rows && streq(im->rows[i].value[F_UNIT], row->value[F_UNIT]); i++)
                        recs[n++] = (ChargeRecord) { .period = im->rows[i].value[F_PERIOD],
                                                     .fen = im->rows[i].fen,
                                                     .due_day = im->rows[i].day };
                if (r == 0) {
                        /* unknown unit: every row of it is an error (the first one said so) */
                        for (size_t k = i - n + 1; k < i; k++)
                                (void) lookup_unit(im, &im->rows[k], &id);
                        continue;
                }
                r = store_charges_upsert(im->store, id, recs, n, changes);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < n; k++)
                        count_change(rep, changes[k]);
        }
        return 0;
}

/* Already recorded under the same reference: the same payment, or a conflicting one, which
 * an import must not silently keep or silently change. */
static int payment_conflict(Importer *im, Row *row, int64_t id) {
        char day[DATE_BUFSZ], amount[MONEY_BUFSZ];
        int64_t fen, paid_day;
        int r;

        r = store_payment_find(im->store, id, row->dedup_key, &fen, &paid_day);
        if (r <= 0)
                return r;
        if (fen != row->fen || paid_day != row->day)
                row_error(im, row->line, row->column[F_REFERENCE] ? row->column[F_REFERENCE]
                                                                  : row->column[F_AMOUNT],
                          "payment '%s' is already recorded as %s on %s; an import does not "
                          "change a recorded payment", row->value[F_REFERENCE],
                          money_format(fen, amount, sizeof(amount)),
                          paid_day >= 0 ? date_format(paid_day, day) : "?");
        return 0;
}

/* Like charges, a run of one unit's payments is written with one balance update. */
static int write_payments(Importer *im, ImportReport *rep, const char *now) {
        _cleanup_free_ PaymentRecord *recs = NULL;
        _cleanup_free_ bool *added = NULL;
        size_t i = 0;

        recs = calloc(im->n_rows + 1, sizeof(*recs));
        added = calloc(im->n_rows + 1, sizeof(*added));
        if (!recs || !added)
                return -ENOMEM;
        while (i < im->n_rows) {
                Row *first = &im->rows[i];
                size_t n = 0, from = i;
                int64_t id;
                int r;

                r = lookup_unit(im, first, &id);
                if (r < 0)
                        return r;
                for (; i < im->n_rows && streq(im->rows[i].value[F_UNIT], first->value[F_UNIT]); i++)
                        recs[n++] = (PaymentRecord) {
                                .household_id = id,
                                .fen = im->rows[i].fen,
                                .paid_day = im->rows[i].day,
                                .method = im->rows[i].value[F_METHOD],
                                .reference = im->rows[i].value[F_REFERENCE],
                                .dedup_key = im->rows[i].dedup_key,
                        };
                if (r == 0) {
                        /* unknown unit: every row of it is an error (the first one said so) */
                        for (size_t k = from + 1; k < i; k++)
                                (void) lookup_unit(im, &im->rows[k], &id);
                        continue;
                }
                r = store_payments_add(im->store, recs, n, now, added);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < n; k++) {
                        if (added[k]) {
                                rep->added++;
                                continue;
                        }
                        /* already recorded: the same payment, or a conflicting one under its
                         * reference, which an import must not silently keep or change */
                        r = payment_conflict(im, &im->rows[from + k], id);
                        if (r < 0)
                                return r;
                        rep->unchanged++;
                }
        }
        return 0;
}

static int write_categories(Importer *im, ImportReport *rep, const char *now) {
        for (size_t i = 0; i < im->n_rows; i++) {
                Row *row = &im->rows[i];
                bool changed = false, noted = false;
                int64_t id;
                int r;

                r = lookup_unit(im, row, &id);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                /* only a real change: a re-import adds no history */
                r = store_household_set_category(im->store, id, row->category, row->day,
                                                 row->value[F_NOTE], "import", now,
                                                 CATEGORY_SET_IF_CHANGED, &changed);
                if (r < 0)
                        return r;
                /* A promise for a day already gone is a typo or a stale file, and would be
                 * broken at once. One that is stored as it is changes nothing: an old file
                 * imported again is not an error. The error rolls the write back. */
                if (changed && row->day >= 0 && row->day < im->today) {
                        char day[DATE_BUFSZ], today[DATE_BUFSZ];

                        row_error(im, row->line, row->column[F_PROMISE_DATE],
                                  "promise date %s is before today (%s)",
                                  date_format(row->day, day), date_format(im->today, today));
                        continue;
                }
                /* as by `dunnctl categorize`: the number the office called is dead */
                if (changed && row->category == CATEGORY_UNREACHABLE) {
                        r = store_contact_invalidate(im->store, id, "sms", NULL,
                                                     has(row, F_NOTE) ? row->value[F_NOTE]
                                                                      : VISIT_REASON_STAFF, now);
                        if (r < 0)
                                return r;
                }
                if (has(row, F_NOTE)) {
                        r = store_household_add_note(im->store, id, row->value[F_NOTE], "import",
                                                     now, true, &noted);
                        if (r < 0)
                                return r;
                }
                if (changed || noted)
                        rep->updated++;
                else
                        rep->unchanged++;
        }
        return 0;
}

int import_data(Store *s, ImportKind kind, const char *name, const char *data, size_t len,
                const ImportOptions *opts, ImportReport *ret, ConfigErrors *errors,
                ConfigErrors *warnings) {
        _cleanup_(csv_reader_freep) CsvReader *reader = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        Importer im = { .store = s, .kind = kind, .name = name,
                        .strict_columns = opts->strict_columns, .today = opts->today,
                        .errors = errors,
                        .warnings = warnings };
        ImportReport rep = {};
        size_t errors_before = errors->n;
        CsvError err = {};
        char now[32];
        int r;

        if (kind < 0 || kind >= _IMPORT_KIND_MAX)
                return -EINVAL;
        r = csv_reader_new(data, len, opts->encoding, &reader, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                row_error(&im, err.line, err.column, "%s (is --encoding right? Excel in China "
                          "usually writes GBK)", err.message);
                return -EINVAL;
        }
        r = read_rows(&im, reader);
        if (r >= 0 && errors->n == errors_before)
                r = check_duplicates(&im);
        if (r < 0 || errors->n > errors_before)
                goto done;

        rep.rows = im.n_rows;
        r = store_begin(s);
        if (r < 0)
                goto done;
        tx = s;
        store_now(now, sizeof(now));
        switch (kind) {
        case IMPORT_HOUSEHOLDS:
                r = write_households(&im, &rep, now);
                break;
        case IMPORT_CHARGES:
                r = write_charges(&im, &rep);
                break;
        case IMPORT_PAYMENTS:
                r = write_payments(&im, &rep, now);
                break;
        case IMPORT_CATEGORIES:
                r = write_categories(&im, &rep, now);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0 || errors->n > errors_before || opts->dry_run)
                goto done;      /* the cleanup rolls back */
        r = store_commit(s);
        tx = NULL;
done:
        for (size_t i = 0; i < im.n_rows; i++)
                row_done(&im.rows[i]);
        free(im.rows);
        if (r < 0)
                return r;
        if (errors->n > errors_before)
                return -EINVAL;
        *ret = rep;
        return 0;
}
