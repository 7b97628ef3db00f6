/* SPDX-License-Identifier: MIT */
#pragma once

/* Tabular output for dunnctl: an aligned text table (column widths by display width, so
 * Chinese text lines up), CSV (RFC 4180, quoted when needed) or JSON (an array of objects
 * keyed by column name; cells that are whole integers may be emitted as numbers when the
 * column was declared numeric). */

#include <stdbool.h>
#include <stdio.h>

typedef enum TableFormat {
        TABLE_FORMAT_TABLE,
        TABLE_FORMAT_CSV,
        TABLE_FORMAT_JSON,
        _TABLE_FORMAT_MAX,
        _TABLE_FORMAT_INVALID = -22,
} TableFormat;

typedef struct Table Table;

/* "table", "csv", "json" -> format, or -EINVAL. */
TableFormat table_format_from_string(const char *s);
const char *table_format_to_string(TableFormat f);

/* columns: NULL-terminated list of header names. Returns NULL on OOM. */
Table *table_new(const char *const *columns);
Table *table_free(Table *t);

/* Marks a column numeric: right-aligned in tables, a JSON number when the cell parses as one. */
int table_set_numeric(Table *t, size_t column);

/* Appends one row of n_cells cells (copied; NULL prints as empty / JSON null). n_cells must
 * equal the number of columns: it is passed explicitly because NULL is a valid cell, so the
 * array cannot be NULL-terminated. Returns 0, -EINVAL on a wrong count, -ENOMEM. */
int table_add_row(Table *t, const char *const *cells, size_t n_cells);

size_t table_rows(const Table *t);

/* For CSV and JSON, which need no column widths: rows are written to f as they are added,
 * not kept, so memory does not grow with the output; table_print() with the same format
 * and f then ends the document (the same bytes as without streaming). Returns 1 when
 * streaming, 0 for TABLE_FORMAT_TABLE (rows are kept as usual), -EBUSY when rows were
 * already added. */
int table_stream(Table *t, TableFormat format, FILE *f);

/* Writes the table. For TABLE_FORMAT_TABLE: a header line, a rule of '-', then the rows,
 * columns separated by two spaces, no trailing blanks. Returns 0 or -errno on write error. */
int table_print(const Table *t, TableFormat format, FILE *f);

/* Writes s as a JSON string literal (with quotes), escaping what JSON requires. Shared by
 * the table code and anything else that writes JSON. */
void json_write_string(FILE *f, const char *s);

static inline void table_freep(Table **t) {
        if (*t)
                table_free(*t);
}
