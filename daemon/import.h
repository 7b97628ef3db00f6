/* SPDX-License-Identifier: MIT */
#pragma once

/* Importing what the billing system exports: households, charges, payments, categories.
 * All or nothing: every row is checked (CSV shape, header, values, duplicates inside the
 * file, units that do not exist) before anything is kept, and one bad row leaves the
 * database exactly as it was, with every problem reported as FILE:LINE:COLUMN: message.
 * Importing the same file again changes nothing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "csv.h"
#include "store.h"

typedef enum ImportKind {
        IMPORT_HOUSEHOLDS,
        IMPORT_CHARGES,
        IMPORT_PAYMENTS,
        IMPORT_CATEGORIES,
        _IMPORT_KIND_MAX,
        _IMPORT_KIND_INVALID = -22,
} ImportKind;

ImportKind import_kind_from_string(const char *s);
const char *import_kind_to_string(ImportKind k);

typedef struct ImportReport {
        size_t rows;            /* data rows read */
        size_t added;           /* rows that created something new */
        size_t updated;         /* rows that changed something existing */
        size_t unchanged;       /* rows already in the store as they are */
} ImportReport;

#define IMPORT_MAX_ERRORS 50

typedef struct ImportOptions {
        CsvEncoding encoding;
        bool dry_run;           /* check and count everything, then roll back */
        bool strict_columns;    /* a column the kind does not know is an error, not ignored */
        int64_t today;          /* the office's day number: a promise date before it is an
                                 * error, unless the household has exactly that promise
                                 * already (re-importing an old file changes nothing, so it
                                 * stays no error); 0 (1970-01-01) lets every date through */
} ImportOptions;

/* Imports data (the file's bytes) named `name` in messages. Problems go to errors
 * (ConfigErrors is just a list of lines) and the result is -EINVAL; nothing is kept then.
 * What is imported anyway but worth saying (a column ignored) goes to warnings, which may
 * be NULL.
 *
 * Header cells are compared after csv_header_fold() (stray spaces, a BOM, full-width
 * letters do not hide a known name). A column the kind does not know is ignored with a
 * warning, or refused with strict_columns; a known column given twice (手机 and phone), or
 * a known name with something added ("应收金额(元)", "手机2"), is always an error: reading
 * it could misread it, ignoring it would drop it. */
int import_data(Store *s, ImportKind kind, const char *name, const char *data, size_t len,
                const ImportOptions *opts, ImportReport *ret, ConfigErrors *errors,
                ConfigErrors *warnings);

/* The header names a kind accepts, for --help and errors: "unit (房号), building (楼栋), …" */
const char *import_columns_help(ImportKind kind);
