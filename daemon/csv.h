/* SPDX-License-Identifier: MIT */
#pragma once

/* RFC 4180 CSV reader. The whole input is converted to UTF-8 first (GBK and GB18030 via
 * iconv, since Excel in China writes GBK), a UTF-8 BOM is dropped, and records are handed
 * out one at a time with the physical line each starts on, so import errors can name
 * FILE:LINE:COLUMN. Columns are 1-based field numbers (what a spreadsheet user counts). */

#include <stddef.h>

typedef enum CsvEncoding {
        CSV_ENCODING_UTF8,
        CSV_ENCODING_GBK,
        CSV_ENCODING_GB18030,
        _CSV_ENCODING_MAX,
        _CSV_ENCODING_INVALID = -22, /* -EINVAL */
} CsvEncoding;

typedef struct CsvError {
        unsigned line;          /* 1-based physical line; 0 if not about a place */
        unsigned column;        /* 1-based field number; 0 if not about one field */
        char message[256];
} CsvError;

typedef struct CsvRecord {
        unsigned line;          /* physical line the record starts on */
        size_t n_fields;
        char **fields;          /* n_fields UTF-8 strings, owned by the reader; valid until
                                 * the next csv_reader_next() or csv_reader_free() */
} CsvRecord;

typedef struct CsvReader CsvReader;

/* "utf-8"/"utf8", "gbk", "gb18030" (case-insensitive) -> encoding, or -EINVAL. */
CsvEncoding csv_encoding_from_string(const char *s);
const char *csv_encoding_to_string(CsvEncoding e);

/* Takes a copy of data. Fails with -EILSEQ (err names line:column of the bad byte) when the
 * input is not valid in the given encoding, -ENOMEM on allocation failure. */
int csv_reader_new(const char *data, size_t len, CsvEncoding encoding, CsvReader **ret,
                   CsvError *err);
CsvReader *csv_reader_free(CsvReader *r);

/* Returns 1 with *ret_record filled, 0 at end of input, or a negative errno (-EBADMSG for
 * malformed CSV: a stray quote, an unterminated quoted field) with err filled. Blank lines
 * (no characters at all) are skipped. */
int csv_reader_next(CsvReader *r, const CsvRecord **ret_record, CsvError *err);

/* A header cell in the form import compares it in, so that what Excel and billing
 * systems make of a header still names its column: every space-like code point (ASCII
 * white space, U+00A0, U+3000 ideographic space, U+2000..U+200A, ...) and every invisible
 * one (a BOM left inside the file, U+200B..U+200D, U+2060) dropped wherever it is,
 * full-width ASCII (U+FF01..U+FF5E: "ｐｈｏｎｅ", "（") made ASCII, ASCII letters lower case.
 * "　手机 " -> "手机", "\uFEFFUnit" -> "unit". Returns a new string, NULL on OOM. */
char *csv_header_fold(const char *cell);

static inline void csv_reader_freep(CsvReader **r) {
        if (*r)
                csv_reader_free(*r);
}
