/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "buf.h"
#include "table.h"
#include "utf8.h"

struct Table {
        char **columns;
        size_t n_columns;
        bool *numeric;

        /* n_rows * n_columns cells, row by row; NULL for a NULL cell. */
        char **cells;
        size_t n_rows, n_allocated_rows;

        /* table_stream(): CSV and JSON rows go out as they are added */
        FILE *stream;
        TableFormat stream_format;
        size_t n_streamed;
};

static const char *const table_format_table[_TABLE_FORMAT_MAX] = {
        [TABLE_FORMAT_TABLE] = "table",
        [TABLE_FORMAT_CSV]   = "csv",
        [TABLE_FORMAT_JSON]  = "json",
};

TableFormat table_format_from_string(const char *s) {
        if (!s)
                return -EINVAL;

        for (size_t i = 0; i < _TABLE_FORMAT_MAX; i++)
                if (streq(table_format_table[i], s))
                        return (TableFormat) i;

        return -EINVAL;
}

const char *table_format_to_string(TableFormat f) {
        return f >= 0 && f < _TABLE_FORMAT_MAX ? table_format_table[f] : NULL;
}

Table *table_new(const char *const *columns) {
        _cleanup_(table_freep) Table *t = NULL;
        size_t n = 0;

        assert(columns);

        while (columns[n])
                n++;

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;

        /* One extra slot each so that a table without columns still gets non-NULL arrays. */
        t->columns = calloc(n + 1, sizeof(char *));
        t->numeric = calloc(n + 1, sizeof(bool));
        if (!t->columns || !t->numeric)
                return NULL;

        for (size_t i = 0; i < n; i++) {
                t->columns[i] = strdup(columns[i]);
                if (!t->columns[i])
                        return NULL;
                t->n_columns++;
        }

        return TAKE_PTR(t);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;

        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);

        for (size_t i = 0; i < t->n_columns; i++)
                free(t->columns[i]);
        free(t->columns);
        free(t->numeric);
        free(t);
        return NULL;
}

int table_set_numeric(Table *t, size_t column) {
        assert(t);

        if (column >= t->n_columns)
                return -EINVAL;

        t->numeric[column] = true;
        return 0;
}

static void stream_row(Table *t, const char *const *cells);

int table_add_row(Table *t, const char *const *cells, size_t n_cells) {
        char **row;

        assert(t);
        assert(cells || n_cells == 0);

        if (n_cells != t->n_columns)
                return -EINVAL;
        if (t->stream) {
                stream_row(t, cells);
                return 0;
        }

        if (t->n_rows == t->n_allocated_rows) {
                size_t n = t->n_allocated_rows > 0 ? t->n_allocated_rows * 2 : 16, total;
                char **c;

                if (__builtin_mul_overflow(n, t->n_columns, &total))
                        return -ENOMEM;

                c = reallocarray(t->cells, total > 0 ? total : 1, sizeof(char *));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->n_allocated_rows = n;
        }

        row = t->cells + t->n_rows * t->n_columns;
        for (size_t i = 0; i < n_cells; i++) {
                if (!cells[i]) {
                        row[i] = NULL;
                        continue;
                }

                row[i] = strdup(cells[i]);
                if (!row[i]) {
                        /* Leave the table as it was: the row is only counted once complete. */
                        for (size_t j = 0; j < i; j++)
                                free(row[j]);
                        return -ENOMEM;
                }
        }

        t->n_rows++;
        return 0;
}

size_t table_rows(const Table *t) {
        assert(t);

        return t->n_rows + t->n_streamed;
}

static const char *table_cell(const Table *t, size_t row, size_t column) {
        return t->cells[row * t->n_columns + column];
}

static void put_spaces(FILE *f, size_t n) {
        while (n-- > 0)
                fputc(' ', f);
}

/* Writes one aligned cell. Padding is not written right away but accumulated in *pending and
 * only emitted before the next visible text, so no line ever ends in blanks, whatever the
 * last cells contain. */
static void print_cell(FILE *f, const char *s, size_t width, bool right, size_t *pending) {
        size_t len, core, w;

        s = strempty(s);
        len = strlen(s);
        core = len;
        while (core > 0 && s[core - 1] == ' ')
                core--;

        w = utf8_width(s);
        if (w > width)
                w = width;      /* cannot happen, widths are the maxima */

        if (right)
                *pending += width - w;

        if (core > 0) {
                put_spaces(f, *pending);
                fwrite(s, 1, core, f);
                *pending = 0;
        }

        *pending += len - core;         /* the cell's own trailing blanks */
        if (!right)
                *pending += width - w;
}

static void print_rule_and_lines(const Table *t, const size_t *widths, FILE *f) {
        size_t pending = 0;

        for (size_t c = 0; c < t->n_columns; c++) {
                if (c > 0)
                        pending += 2;
                print_cell(f, t->columns[c], widths[c], t->numeric[c], &pending);
        }
        fputc('\n', f);

        pending = 0;
        for (size_t c = 0; c < t->n_columns; c++) {
                if (c > 0)
                        pending += 2;
                if (widths[c] == 0)
                        continue;
                put_spaces(f, pending);
                pending = 0;
                for (size_t i = 0; i < widths[c]; i++)
                        fputc('-', f);
        }
        fputc('\n', f);

        for (size_t r = 0; r < t->n_rows; r++) {
                pending = 0;
                for (size_t c = 0; c < t->n_columns; c++) {
                        if (c > 0)
                                pending += 2;
                        print_cell(f, table_cell(t, r, c), widths[c], t->numeric[c], &pending);
                }
                fputc('\n', f);
        }
}

static int print_table(const Table *t, FILE *f) {
        _cleanup_free_ size_t *widths = NULL;

        widths = calloc(t->n_columns + 1, sizeof(size_t));
        if (!widths)
                return -ENOMEM;

        for (size_t c = 0; c < t->n_columns; c++) {
                widths[c] = utf8_width(t->columns[c]);

                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = utf8_width(strempty(table_cell(t, r, c)));
                        if (w > widths[c])
                                widths[c] = w;
                }
        }

        print_rule_and_lines(t, widths, f);
        return 0;
}

static void print_csv_field(FILE *f, const char *s) {
        size_t len;

        s = strempty(s);
        len = strlen(s);

        /* RFC 4180 needs quotes for separators, quotes and line breaks; leading and trailing
         * blanks are quoted too since spreadsheets and many parsers strip them otherwise. */
        if (!strpbrk(s, ",\"\r\n") &&
            !(len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t'))) {
                fputs(s, f);
                return;
        }

        fputc('"', f);
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        fputc('"', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

static void print_csv_line(FILE *f, const char *const *cells, size_t n) {
        for (size_t c = 0; c < n; c++) {
                if (c > 0)
                        fputc(',', f);
                print_csv_field(f, cells[c]);
        }
        fputc('\n', f);
}

static void print_csv(const Table *t, FILE *f) {
        print_csv_line(f, (const char *const *) t->columns, t->n_columns);
        for (size_t r = 0; r < t->n_rows; r++)
                print_csv_line(f, (const char *const *) t->cells + r * t->n_columns, t->n_columns);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)? — the subset of JSON number syntax we emit bare. Leading zeros
 * ("007") are not valid JSON, so such cells stay strings. */
static bool is_json_number(const char *s) {
        if (*s == '-')
                s++;

        if (*s == '0')
                s++;
        else if (*s >= '1' && *s <= '9')
                while (*s >= '0' && *s <= '9')
                        s++;
        else
                return false;

        if (*s == '.') {
                s++;
                if (!(*s >= '0' && *s <= '9'))
                        return false;
                while (*s >= '0' && *s <= '9')
                        s++;
        }

        return *s == '\0';
}

void json_write_string(FILE *f, const char *s) {
        Buf b = {};

        assert(f);
        buf_put_json_string(&b, s);
        if (b.oom)
                fputs("null", f);       /* out of memory: still a valid document */
        else
                fwrite(b.data, 1, b.len, f);
        buf_free(&b);
}

static void print_json_object(const Table *t, FILE *f, const char *const *cells) {
        fputs("  {", f);
        for (size_t c = 0; c < t->n_columns; c++) {
                const char *v = cells[c];

                if (c > 0)
                        fputs(", ", f);
                json_write_string(f, t->columns[c]);
                fputs(": ", f);

                if (v && t->numeric[c] && is_json_number(v))
                        fputs(v, f);
                else
                        json_write_string(f, v);
        }
        fputc('}', f);
}

static void print_json(const Table *t, FILE *f) {
        if (t->n_rows == 0) {
                fputs("[]\n", f);
                return;
        }

        fputs("[\n", f);
        for (size_t r = 0; r < t->n_rows; r++) {
                print_json_object(t, f, (const char *const *) t->cells + r * t->n_columns);
                fputs(r + 1 < t->n_rows ? ",\n" : "\n", f);
        }
        fputs("]\n", f);
}

/* A streamed table writes the very bytes table_print() would have: the header (CSV) or
 * the opening bracket (JSON) with the first row, separators before the rows after it, the
 * rest when it is printed. */
static void stream_row(Table *t, const char *const *cells) {
        FILE *f = t->stream;

        if (t->stream_format == TABLE_FORMAT_CSV) {
                if (t->n_streamed == 0)
                        print_csv_line(f, (const char *const *) t->columns, t->n_columns);
                print_csv_line(f, cells, t->n_columns);
        } else {
                fputs(t->n_streamed == 0 ? "[\n" : ",\n", f);
                print_json_object(t, f, cells);
        }
        t->n_streamed++;
}

int table_stream(Table *t, TableFormat format, FILE *f) {
        assert(t);
        assert(f);

        if (format != TABLE_FORMAT_CSV && format != TABLE_FORMAT_JSON)
                return 0;       /* an aligned table needs every row first */
        if (t->n_rows > 0 || t->stream)
                return -EBUSY;
        t->stream = f;
        t->stream_format = format;
        return 1;
}

static void stream_end(const Table *t, FILE *f) {
        if (t->stream_format == TABLE_FORMAT_CSV) {
                if (t->n_streamed == 0)
                        print_csv_line(f, (const char *const *) t->columns, t->n_columns);
        } else
                fputs(t->n_streamed == 0 ? "[]\n" : "\n]\n", f);
}

int table_print(const Table *t, TableFormat format, FILE *f) {
        int r = 0;

        assert(t);
        assert(f);

        errno = 0;
        if (t->stream) {
                if (format != t->stream_format || f != t->stream)
                        return -EINVAL;
                stream_end(t, f);
        } else switch (format) {
        case TABLE_FORMAT_TABLE:
                r = print_table(t, f);
                break;
        case TABLE_FORMAT_CSV:
                print_csv(t, f);
                break;
        case TABLE_FORMAT_JSON:
                print_json(t, f);
                break;
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;

        /* The stdio calls above are unchecked on purpose: the error flag is sticky, so one check
         * after flushing catches a full disk or a closed pipe anywhere in the output. */
        if (fflush(f) != 0 || ferror(f))
                return errno > 0 ? -errno : -EIO;

        return 0;
}
