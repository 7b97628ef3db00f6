/* SPDX-License-Identifier: MIT */
#pragma once

/* Importing what the billing system exports: households, charges, payments, categories.
 * All or nothing: every row is checked (CSV shape, header, values, duplicates inside the
 * file, units that do not exist) before anything is kept, and one bad row leaves the
 * database exactly as it was, with every problem reported as FILE:LINE:COLUMN: message.
 * Importing the same file again changes nothing. */

#include <stdbool.h>
#include <stddef.h>

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

/* Imports data (the file's bytes) named `name` in messages. Problems go to errors
 * (ConfigErrors is just a list of lines) and the result is -EINVAL; nothing is kept then.
 * With dry_run, everything is checked and counted, then rolled back. */
int import_data(Store *s, ImportKind kind, const char *name, const char *data, size_t len,
                CsvEncoding encoding, bool dry_run, ImportReport *ret, ConfigErrors *errors);

/* The header names a kind accepts, for --help and errors: "unit (房号), building (楼栋), …" */
const char *import_columns_help(ImportKind kind);
