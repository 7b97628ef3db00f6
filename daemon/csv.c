/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "macro.h"
#include "utf8.h"

/* Limits against hostile or broken input: a real household list has a dozen columns and
 * short fields, so anything near these is garbage rather than data, and without them one
 * crafted file could make the daemon allocate without bound. */
#define CSV_FIELDS_MAX 1024U
#define CSV_FIELD_SIZE_MAX (1024U * 1024U)

struct CsvReader {
        char *buf;              /* UTF-8 text plus one spare byte: fields are unescaped and
                                 * NUL-terminated in place, so there is no per-field
                                 * allocation and a field never outlives the reader */
        size_t len;
        size_t pos;
        unsigned line;          /* physical line of buf[pos] */

        char **fields;
        size_t n_fields_allocated;
        CsvRecord record;

        /* Sticky: fields were unescaped in place up to the error, so the rest of the buffer
         * cannot be parsed meaningfully any more. */
        int error;
        CsvError saved_error;
};

static const char *const encoding_table[_CSV_ENCODING_MAX] = {
        [CSV_ENCODING_UTF8] = "utf-8",
        [CSV_ENCODING_GBK] = "gbk",
        [CSV_ENCODING_GB18030] = "gb18030",
};

/* Names for glibc's iconv_open() and for messages; UTF-8 input never goes through iconv. */
static const char *const encoding_iconv_names[_CSV_ENCODING_MAX] = {
        [CSV_ENCODING_UTF8] = "UTF-8",
        [CSV_ENCODING_GBK] = "GBK",
        [CSV_ENCODING_GB18030] = "GB18030",
};

static bool strcaseeq(const char *a, const char *b) {
        return strcasecmp(a, b) == 0;
}

CsvEncoding csv_encoding_from_string(const char *s) {
        if (!s)
                return _CSV_ENCODING_INVALID;

        if (strcaseeq(s, "utf-8") || strcaseeq(s, "utf8"))
                return CSV_ENCODING_UTF8;
        /* GBK is a superset of GB2312, and files labelled GB2312 by Windows tools routinely
         * contain GBK-only characters (rare surnames in owner names), so decode them as GBK. */
        if (strcaseeq(s, "gbk") || strcaseeq(s, "gb2312"))
                return CSV_ENCODING_GBK;
        if (strcaseeq(s, "gb18030"))
                return CSV_ENCODING_GB18030;

        return _CSV_ENCODING_INVALID;
}

const char *csv_encoding_to_string(CsvEncoding e) {
        if (e < 0 || e >= _CSV_ENCODING_MAX)
                return NULL;
        return encoding_table[e];
}

_printf_(4, 5)
static void csv_error(CsvError *err, unsigned line, unsigned column, const char *format, ...) {
        va_list ap;

        if (!err)
                return;

        err->line = line;
        err->column = column;
        va_start(ap, format);
        (void) vsnprintf(err->message, sizeof(err->message), format, ap);
        va_end(ap);
}

/* Where is offset 'end' of the raw input, as line and field number? Used only to report an
 * encoding error, before any parsing happened. It works on the undecoded bytes because in
 * UTF-8, GBK and GB18030 the bytes '"', ',', '\n' never occur inside a multi-byte sequence
 * (GBK trail bytes are >= 0x40, GB18030 four-byte sequences use digits), and it tolerates
 * malformed quoting since the real parse has not had a chance to complain about it yet. */
static void locate(const char *data, size_t end, unsigned *ret_line, unsigned *ret_column) {
        enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } state = FIELD_START;
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < end; i++) {
                char c = data[i];

                if (c == '\n')
                        line++;

                switch (state) {
                case FIELD_START:
                case UNQUOTED:
                        if (c == '"' && state == FIELD_START)
                                state = QUOTED;
                        else if (c == ',') {
                                column++;
                                state = FIELD_START;
                        } else if (c == '\n') {
                                column = 1;
                                state = FIELD_START;
                        } else
                                state = UNQUOTED;
                        break;
                case QUOTED:
                        if (c == '"')
                                state = QUOTE_IN_QUOTED;
                        break;
                case QUOTE_IN_QUOTED:
                        if (c == '"')
                                state = QUOTED;
                        else if (c == ',') {
                                column++;
                                state = FIELD_START;
                        } else if (c == '\n') {
                                column = 1;
                                state = FIELD_START;
                        } else
                                state = UNQUOTED;
                        break;
                }
        }

        *ret_line = line;
        *ret_column = column;
}

/* Returns the offset of the first byte that does not start a valid UTF-8 sequence, or len.
 * Strict like RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, since such
 * bytes would otherwise reach the database and the SMS carrier. */
static size_t utf8_invalid_offset(const char *s, size_t len) {
        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0;

        while (i < len) {
                uint8_t c = p[i];
                size_t n;
                uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */

                if (c < 0x80) {
                        i++;
                        continue;
                } else if (c >= 0xC2 && c <= 0xDF)
                        n = 2;
                else if (c >= 0xE0 && c <= 0xEF) {
                        n = 3;
                        if (c == 0xE0)
                                lo = 0xA0;      /* overlong */
                        else if (c == 0xED)
                                hi = 0x9F;      /* surrogates */
                } else if (c >= 0xF0 && c <= 0xF4) {
                        n = 4;
                        if (c == 0xF0)
                                lo = 0x90;      /* overlong */
                        else if (c == 0xF4)
                                hi = 0x8F;      /* above U+10FFFF */
                } else
                        return i;

                if (len - i < n)
                        return i;
                if (p[i + 1] < lo || p[i + 1] > hi)
                        return i;
                for (size_t k = 2; k < n; k++)
                        if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                                return i;
                i += n;
        }

        return len;
}

static void iconv_closep(iconv_t *cd) {
        if (*cd != (iconv_t) -1)
                (void) iconv_close(*cd);
}

/* Converts len bytes to UTF-8 into a new buffer with one spare byte at the end. On -EILSEQ
 * *ret_bad is the offset of the offending input byte (also for a sequence truncated by the
 * end of input). */
static int convert_to_utf8(
                const char *charset,
                const char *data,
                size_t len,
                char **ret,
                size_t *ret_len,
                size_t *ret_bad) {

        _cleanup_(iconv_closep) iconv_t cd = (iconv_t) -1;
        _cleanup_free_ char *out = NULL;
        size_t out_size, in_left = len;
        char *in = (char *) data;       /* iconv() does not take const, but only reads */
        size_t done = 0;

        cd = iconv_open("UTF-8", charset);
        if (cd == (iconv_t) -1)
                return -errno;

        /* A two-byte GBK character becomes at most three bytes of UTF-8, a four-byte GB18030
         * one at most four, so this is nearly always enough; grow if not. */
        if (len > (SIZE_MAX - 16) / 2)
                return -ENOMEM;
        out_size = len + len / 2 + 16;
        out = malloc(out_size);
        if (!out)
                return -ENOMEM;

        for (;;) {
                char *o = out + done;
                size_t out_left = out_size - done - 1;  /* keep the spare byte */
                size_t k;

                k = iconv(cd, &in, &in_left, &o, &out_left);
                done = o - out;
                if (k != (size_t) -1)
                        break;

                if (errno == E2BIG) {
                        char *n;

                        if (out_size > SIZE_MAX / 2)
                                return -ENOMEM;
                        n = realloc(out, out_size * 2);
                        if (!n)
                                return -ENOMEM;
                        out = n;
                        out_size *= 2;
                        continue;
                }
                if (errno == EILSEQ || errno == EINVAL) {
                        /* EINVAL: incomplete sequence at the end of input, which is just
                         * as invalid for us since we hand over all input at once. */
                        *ret_bad = in - data;
                        return -EILSEQ;
                }
                return -errno;
        }

        *ret_len = done;
        *ret = TAKE_PTR(out);
        return 0;
}

static int decode_input(
                const char *data,
                size_t len,
                CsvEncoding encoding,
                char **ret,
                size_t *ret_len,
                CsvError *err) {

        _cleanup_free_ char *buf = NULL;
        const char *nul;
        size_t n, bad = 0, buf_len = 0;
        unsigned line, column;
        int r;

        /* A NUL would silently cut a field short once fields are C strings. Everything before
         * it is decoded first so that an earlier encoding error is the one reported. */
        nul = len > 0 ? memchr(data, 0, len) : NULL;
        n = nul ? (size_t) (nul - data) : len;

        if (encoding == CSV_ENCODING_UTF8) {
                bad = utf8_invalid_offset(data, n);
                if (bad < n)
                        r = -EILSEQ;
                else {
                        buf = malloc(n + 1);
                        if (!buf)
                                return -ENOMEM;
                        if (n > 0)
                                memcpy(buf, data, n);
                        buf_len = n;
                        r = 0;
                }
        } else
                r = convert_to_utf8(encoding_iconv_names[encoding], data, n, &buf, &buf_len, &bad);
        if (r == -EILSEQ) {
                locate(data, bad, &line, &column);
                csv_error(err, line, column, "invalid %s byte sequence",
                          encoding_iconv_names[encoding]);
                return r;
        }
        if (r < 0) {
                csv_error(err, 0, 0, "cannot convert from %s: %s",
                          encoding_iconv_names[encoding], strerror(-r));
                return r;
        }

        if (nul) {
                locate(data, n, &line, &column);
                csv_error(err, line, column, "NUL byte");
                return -EILSEQ;
        }

        buf[buf_len] = '\0';
        *ret_len = buf_len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int csv_reader_new(const char *data, size_t len, CsvEncoding encoding, CsvReader **ret,
                   CsvError *err) {
        _cleanup_(csv_reader_freep) CsvReader *r = NULL;
        int k;

        assert(data || len == 0);
        assert(ret);

        if (encoding < 0 || encoding >= _CSV_ENCODING_MAX) {
                csv_error(err, 0, 0, "unknown encoding");
                return -EINVAL;
        }

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->line = 1;

        k = decode_input(data, len, encoding, &r->buf, &r->len, err);
        if (k < 0)
                return k;

        /* Notepad and Excel put a BOM in front of UTF-8; for GBK input one can only appear as
         * U+FEFF after conversion (GB18030 can encode it). Either way it is not data. */
        if (r->len >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
                r->pos = 3;

        *ret = TAKE_PTR(r);
        return 0;
}

CsvReader *csv_reader_free(CsvReader *r) {
        if (!r)
                return NULL;

        free(r->fields);
        free(r->buf);
        free(r);
        return NULL;
}

_printf_(5, 6)
static int reader_fail(CsvReader *r, CsvError *err, unsigned line, unsigned column,
                       const char *format, ...) {
        va_list ap;

        r->error = -EBADMSG;
        r->saved_error.line = line;
        r->saved_error.column = column;
        va_start(ap, format);
        (void) vsnprintf(r->saved_error.message, sizeof(r->saved_error.message), format, ap);
        va_end(ap);

        if (err)
                *err = r->saved_error;
        return -EBADMSG;
}

/* Is there a record terminator at pos? A CR counts only as half of CRLF (or right before the
 * end of input); a lone CR elsewhere is ordinary data, as RFC 4180 knows only CRLF. Returns
 * its length, 0 if none. */
static size_t terminator_at(const CsvReader *r, size_t pos) {
        if (pos >= r->len)
                return 0;
        if (r->buf[pos] == '\n')
                return 1;
        if (r->buf[pos] == '\r') {
                if (pos + 1 == r->len)
                        return 1;
                if (r->buf[pos + 1] == '\n')
                        return 2;
        }
        return 0;
}

/* Parses one field starting at r->pos, unescaping it in place. Sets *ret_end when the field
 * was the last of its record. */
static int parse_field(CsvReader *r, unsigned column, char **ret, bool *ret_end, CsvError *err) {
        char *start = r->buf + r->pos, *w = start;
        unsigned start_line = r->line;
        bool quoted = false;
        size_t t;

        if (r->pos < r->len && r->buf[r->pos] == '"') {
                quoted = true;
                r->pos++;

                for (;;) {
                        char c;

                        if (r->pos >= r->len)
                                /* Reported where the input ends, since that is where the
                                 * parser noticed; the message points back to the opening. */
                                return reader_fail(r, err,
                                                   r->line - (r->len > 0 && r->buf[r->len - 1] == '\n'),
                                                   column,
                                                   "unterminated quoted field (opened on line %u)",
                                                   start_line);

                        c = r->buf[r->pos];
                        if (c == '"') {
                                if (r->pos + 1 < r->len && r->buf[r->pos + 1] == '"')
                                        r->pos++;       /* "" is an escaped quote */
                                else {
                                        r->pos++;
                                        break;
                                }
                        } else if (c == '\n')
                                r->line++;

                        if ((size_t) (w - start) >= CSV_FIELD_SIZE_MAX)
                                return reader_fail(r, err, start_line, column,
                                                   "field longer than %u bytes", CSV_FIELD_SIZE_MAX);
                        *w++ = c;
                        r->pos++;
                }
        } else
                for (;;) {
                        char c;

                        if (r->pos >= r->len || terminator_at(r, r->pos) > 0)
                                break;

                        c = r->buf[r->pos];
                        if (c == ',')
                                break;
                        if (c == '"')
                                return reader_fail(r, err, r->line, column,
                                                   "unexpected '\"' inside an unquoted field "
                                                   "(quote the whole field and double the quote)");

                        if ((size_t) (w - start) >= CSV_FIELD_SIZE_MAX)
                                return reader_fail(r, err, start_line, column,
                                                   "field longer than %u bytes", CSV_FIELD_SIZE_MAX);
                        *w++ = c;
                        r->pos++;
                }

        /* Now at the field's end: a separator, a record terminator or the end of input. The
         * terminator is only looked at here, before *w is overwritten below: w never gets
         * ahead of r->pos, and is at most r->pos when the terminator is at r->pos. */
        if (r->pos >= r->len)
                *ret_end = true;
        else if (r->buf[r->pos] == ',') {
                r->pos++;
                *ret_end = false;
        } else if ((t = terminator_at(r, r->pos)) > 0) {
                if (r->buf[r->pos + t - 1] == '\n')
                        r->line++;
                r->pos += t;
                *ret_end = true;
        } else {
                assert(quoted);
                return reader_fail(r, err, r->line, column,
                                   "unexpected character after the closing quote of a quoted field");
        }

        *w = '\0';
        *ret = start;
        return 0;
}

int csv_reader_next(CsvReader *r, const CsvRecord **ret_record, CsvError *err) {
        size_t n = 0;
        int k;

        assert(r);
        assert(ret_record);

        if (r->error < 0) {
                if (err)
                        *err = r->saved_error;
                return r->error;
        }

        /* Skip blank lines: they are what a trailing Enter in Excel or an editor leaves. */
        for (;;) {
                size_t t;

                if (r->pos >= r->len)
                        return 0;
                t = terminator_at(r, r->pos);
                if (t == 0)
                        break;
                if (r->buf[r->pos + t - 1] == '\n')
                        r->line++;
                r->pos += t;
        }

        r->record.line = r->line;
        for (bool end = false; !end;) {
                char *field = NULL;

                if (n >= CSV_FIELDS_MAX)
                        return reader_fail(r, err, r->line, n + 1,
                                           "record has more than %u fields", CSV_FIELDS_MAX);

                /* Grow before parsing: a failure after the field was consumed would leave
                 * the reader in the middle of a record. */
                if (n >= r->n_fields_allocated) {
                        size_t a = r->n_fields_allocated > 0 ? r->n_fields_allocated * 2 : 16;
                        char **f;

                        f = reallocarray(r->fields, a, sizeof(char *));
                        if (!f) {
                                /* Sticky too, as earlier fields of this record are consumed. */
                                r->error = -ENOMEM;
                                csv_error(&r->saved_error, 0, 0, "out of memory");
                                if (err)
                                        *err = r->saved_error;
                                return r->error;
                        }
                        r->fields = f;
                        r->n_fields_allocated = a;
                }

                k = parse_field(r, n + 1, &field, &end, err);
                if (k < 0)
                        return k;

                r->fields[n++] = field;
        }

        r->record.n_fields = n;
        r->record.fields = r->fields;
        *ret_record = &r->record;
        return 1;
}

/* Space-like and invisible code points: none of them can be what a header means. */
static bool header_ignorable(uint32_t cp) {
        return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\v' || cp == '\f' ||
               cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200D) ||
               cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 ||
               cp == 0x3000 || cp == 0xFEFF;
}

char *csv_header_fold(const char *cell) {
        size_t len = strlen(cell);
        char *out, *o;

        /* never longer: dropped code points shrink it, full-width forms go from 3 bytes to 1 */
        out = o = malloc(len + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                int n = utf8_decode(cell + i, len - i, &cp);

                if (n < 0) {
                        /* the reader hands out valid UTF-8; keep a stray byte as it is anyway */
                        *o++ = cell[i++];
                        continue;
                }
                if (cp >= 0xFF01 && cp <= 0xFF5E)
                        cp -= 0xFEE0;
                if (cp < 0x80 && !header_ignorable(cp))
                        *o++ = (char) (cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
                else if (!header_ignorable(cp)) {
                        memcpy(o, cell + i, (size_t) n);
                        o += n;
                }
                i += (size_t) n;
        }
        *o = 0;
        return out;
}
