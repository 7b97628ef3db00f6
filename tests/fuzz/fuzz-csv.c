/* SPDX-License-Identifier: MIT */

/* The first byte picks the encoding, the rest is the file. Besides the sanitizers, checks
 * that whatever the reader accepts is self-consistent: records come in line order, fields
 * are within the limits, and re-serializing the records (every field quoted) and reading
 * that back yields the same fields. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Buffer {
        char *data;
        size_t len, allocated;
} Buffer;

static void buffer_put(Buffer *b, const char *s, size_t n) {
        if (b->len + n > b->allocated) {
                size_t a = (b->len + n) * 2 + 64;

                b->data = realloc(b->data, a);
                if (!b->data)
                        abort();
                b->allocated = a;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
}

/* Appends a record with every field quoted. */
static void serialize(Buffer *b, const CsvRecord *rec) {
        for (size_t i = 0; i < rec->n_fields; i++) {
                if (i > 0)
                        buffer_put(b, ",", 1);
                buffer_put(b, "\"", 1);
                for (const char *p = rec->fields[i]; *p; p++) {
                        buffer_put(b, p, 1);
                        if (*p == '"')
                                buffer_put(b, "\"", 1);
                }
                buffer_put(b, "\"", 1);
        }
        buffer_put(b, "\n", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(csv_reader_freep) CsvReader *r = NULL, *again = NULL;
        _cleanup_free_ char *copy = NULL;
        const CsvRecord *rec;
        Buffer b = {};
        CsvError err = {};
        unsigned last_line = 0;
        size_t n_records = 0;
        CsvEncoding e;
        int k;

        if (size < 1)
                return 0;
        e = data[0] % _CSV_ENCODING_MAX;

        /* Give the reader an allocation of exactly the right size, so ASan sees overreads. */
        copy = malloc(size - 1 + 1);
        if (!copy)
                abort();
        memcpy(copy, data + 1, size - 1);

        k = csv_reader_new(copy, size - 1, e, &r, &err);
        if (k < 0) {
                if (k != -EILSEQ && k != -ENOMEM)
                        abort();
                if (k == -EILSEQ && (err.line == 0 || err.column == 0 ||
                                     !memchr(err.message, 0, sizeof(err.message))))
                        abort();
                return 0;
        }

        while ((k = csv_reader_next(r, &rec, &err)) > 0) {
                if (rec->line <= last_line || rec->n_fields < 1 || rec->n_fields > 1024)
                        abort();
                last_line = rec->line;
                for (size_t i = 0; i < rec->n_fields; i++)
                        if (strlen(rec->fields[i]) > 1024 * 1024)
                                abort();
                serialize(&b, rec);
                n_records++;
        }
        if (k < 0) {
                if (k != -EBADMSG || err.line == 0 || err.column == 0)
                        abort();
                /* sticky */
                if (csv_reader_next(r, &rec, &err) != k)
                        abort();
                free(b.data);
                return 0;
        }

        /* Everything was read: the quoted re-serialization must read back identically. Read
         * the original again alongside, since its fields are only valid until the next call. */
        r = csv_reader_free(r);
        if (csv_reader_new(copy, size - 1, e, &r, &err) < 0)
                abort();
        if (csv_reader_new(b.data, b.len, CSV_ENCODING_UTF8, &again, &err) < 0)
                abort();
        for (size_t n = 0;; n++) {
                const CsvRecord *x, *y;
                int kx, ky;

                kx = csv_reader_next(r, &x, &err);
                ky = csv_reader_next(again, &y, &err);
                if (kx != ky || kx < 0)
                        abort();
                if (kx == 0) {
                        if (n != n_records)
                                abort();
                        break;
                }
                if (x->n_fields != y->n_fields)
                        abort();
                for (size_t i = 0; i < x->n_fields; i++)
                        if (strcmp(x->fields[i], y->fields[i]) != 0)
                                abort();
        }

        free(b.data);
        return 0;
}
