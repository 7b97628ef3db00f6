/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "template.h"
#include "utf8.h"

const char *const template_variables[] = {
        "owner",
        "unit",
        "building",
        "amount",
        "late_fee",
        "total",
        "deadline",
        "periods",
        "days_overdue",
        "promise_date",
        "bank_account",
        "signature",
        "estate",
        "office_phone",
        "staff",
        "prepaid_balance",
        "category",
        "units",                        /* one message per owner: every unit it names */
        NULL,
};

typedef struct Segment {
        bool variable;
        size_t offset;          /* into Template.data */
        size_t length;          /* bytes; a variable name is also NUL-terminated in data */
} Segment;

struct Template {
        /* Literal text (escapes already resolved) and variable names, back to back. Never
         * longer than the source text, since every construct shrinks or keeps its size. */
        char *data;
        size_t data_len;

        Segment *segments;
        size_t n_segments, n_allocated;
};

Template *template_free(Template *t) {
        if (!t)
                return NULL;

        free(t->data);
        free(t->segments);
        free(t);
        return NULL;
}

static int template_add_segment(Template *t, bool variable, size_t offset, size_t length) {
        assert(t);

        if (length == 0 && !variable)
                return 0;

        /* Merge adjacent literal pieces ("\{{" splits them) so rendering stays one memcpy each. */
        if (!variable && t->n_segments > 0) {
                Segment *last = &t->segments[t->n_segments - 1];

                if (!last->variable && last->offset + last->length == offset) {
                        last->length += length;
                        return 0;
                }
        }

        if (t->n_segments == t->n_allocated) {
                size_t n = t->n_allocated > 0 ? t->n_allocated * 2 : 8;
                Segment *s;

                s = reallocarray(t->segments, n, sizeof(Segment));
                if (!s)
                        return -ENOMEM;
                t->segments = s;
                t->n_allocated = n;
        }

        t->segments[t->n_segments++] = (Segment) {
                .variable = variable,
                .offset = offset,
                .length = length,
        };
        return 0;
}

/* Appends literal bytes to data and to the current literal segment. */
static int template_add_literal(Template *t, const char *s, size_t n) {
        size_t offset = t->data_len;

        memcpy(t->data + t->data_len, s, n);
        t->data_len += n;
        return template_add_segment(t, false, offset, n);
}

_printf_(5, 6)
static int parse_error(char *err, size_t errlen, size_t *ret_error_offset, size_t offset,
                       const char *format, ...) {
        if (err && errlen > 0) {
                va_list ap;

                va_start(ap, format);
                (void) vsnprintf(err, errlen, format, ap);
                va_end(ap);
        }

        if (ret_error_offset)
                *ret_error_offset = offset;

        return -EINVAL;
}

/* 1-based character (code point) position of byte offset in already validated text: what an
 * editor shows as the column, which for Chinese text is not the byte offset. */
static size_t char_position(const char *text, size_t offset) {
        size_t n = 1;

        for (size_t i = 0; i < offset; i++)
                if (((unsigned char) text[i] & 0xC0) != 0x80)
                        n++;

        return n;
}

static size_t first_invalid_utf8(const char *text, size_t len) {
        size_t i = 0;

        while (i < len) {
                int r = utf8_decode(text + i, len - i, NULL);
                if (r < 0)
                        return i;
                i += (size_t) r;
        }

        return len;
}

static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool strv_contains_n(const char *const *l, const char *s, size_t n) {
        for (; *l; l++)
                if (strlen(*l) == n && memcmp(*l, s, n) == 0)
                        return true;
        return false;
}

/* Parses "{{ name }}" at text + start. On success adds the variable and returns the offset just
 * past the closing braces. */
static int parse_variable(Template *t, const char *text, size_t len, size_t start,
                          const char *const *known, char *err, size_t errlen,
                          size_t *ret_error_offset, size_t *ret_end) {
        size_t i = start + 2, name_start, name_len, offset;
        int r;

        while (i < len && is_blank(text[i]))
                i++;
        name_start = i;
        while (i < len && is_name_char(text[i]))
                i++;
        name_len = i - name_start;
        while (i < len && is_blank(text[i]))
                i++;

        if (i + 1 >= len || text[i] != '}' || text[i + 1] != '}') {
                const char *close = strstr(text + start + 2, "}}");
                char snippet[64];
                _cleanup_free_ char *s = NULL;

                if (!close)
                        return parse_error(err, errlen, ret_error_offset, start,
                                           "unterminated '{{' at character %zu",
                                           char_position(text, start));

                /* Quote what the user wrote, but keep the message short if "}}" is far away. */
                s = strndup(text + start, (size_t) (close - (text + start)) + 2);
                if (!s)
                        return -ENOMEM;
                utf8_truncate_width(s, 32, snippet, sizeof(snippet));

                return parse_error(err, errlen, ret_error_offset, start,
                                   "invalid variable '%s' at character %zu "
                                   "(names use a-z, 0-9 and _)",
                                   snippet, char_position(text, start));
        }

        if (name_len == 0)
                return parse_error(err, errlen, ret_error_offset, start,
                                   "empty variable '{{}}' at character %zu",
                                   char_position(text, start));

        if (!strv_contains_n(known, text + name_start, name_len))
                return parse_error(err, errlen, ret_error_offset, start,
                                   "unknown variable '{{%.*s}}' at character %zu",
                                   (int) name_len, text + name_start, char_position(text, start));

        offset = t->data_len;
        memcpy(t->data + offset, text + name_start, name_len);
        t->data[offset + name_len] = '\0';
        t->data_len += name_len + 1;

        r = template_add_segment(t, true, offset, name_len);
        if (r < 0)
                return r;

        *ret_end = i + 2;
        return 0;
}

static bool opens_variable(const char *text, size_t len, size_t i) {
        return i + 1 < len && text[i] == '{' && text[i + 1] == '{';
}

int template_parse(const char *text, const char *const *known, Template **ret, char *err,
                   size_t errlen, size_t *ret_error_offset) {
        _cleanup_(template_freep) Template *t = NULL;
        size_t len, i = 0, bad;
        int r;

        assert(text);
        assert(known);
        assert(ret);

        if (err && errlen > 0)
                err[0] = '\0';

        len = strlen(text);

        /* A template that is not UTF-8 would go out as mojibake to every household. */
        bad = first_invalid_utf8(text, len);
        if (bad < len)
                return parse_error(err, errlen, ret_error_offset, bad,
                                   "invalid UTF-8 at byte %zu", bad);

        t = calloc(1, sizeof(Template));
        if (!t)
                return -ENOMEM;
        t->data = malloc(len + 1);
        if (!t->data)
                /* t is freed by its cleanup attribute, which cppcheck does not model. */
                /* cppcheck-suppress memleak */
                return -ENOMEM;

        while (i < len) {
                if (text[i] == '\\') {
                        size_t j = i, n;

                        while (j < len && text[j] == '\\')
                                j++;
                        n = j - i;

                        if (!opens_variable(text, len, j)) {
                                /* Backslashes are only special right before "{{". */
                                r = template_add_literal(t, text + i, n);
                                if (r < 0)
                                        return r;
                                i = j;
                                continue;
                        }

                        /* A run of n backslashes before "{{" stands for n/2 literal backslashes;
                         * an odd one left over escapes the braces. */
                        for (size_t k = 0; k < n / 2; k++) {
                                r = template_add_literal(t, "\\", 1);
                                if (r < 0)
                                        return r;
                        }

                        if (n % 2 == 1) {
                                r = template_add_literal(t, "{{", 2);
                                if (r < 0)
                                        return r;
                                i = j + 2;
                        } else
                                i = j;
                        continue;
                }

                if (opens_variable(text, len, i)) {
                        size_t end = 0;     /* gcc cannot see that r < 0 on every path not setting it */

                        r = parse_variable(t, text, len, i, known, err, errlen, ret_error_offset,
                                           &end);
                        if (r < 0)
                                return r;
                        i = end;
                        continue;
                }

                /* Copy everything up to the next character that could be special in one go. */
                size_t j = i + 1;
                while (j < len && text[j] != '\\' && text[j] != '{')
                        j++;
                r = template_add_literal(t, text + i, j - i);
                if (r < 0)
                        return r;
                i = j;
        }

        assert(t->data_len <= len);
        t->data[t->data_len] = '\0';

        *ret = TAKE_PTR(t);
        return 0;
}

int template_render(const Template *t, template_lookup_t lookup, void *userdata, char **ret) {
        _cleanup_free_ const char **values = NULL;
        size_t total = 0;
        char *buf, *p;

        assert(t);
        assert(lookup);
        assert(ret);

        /* Look every value up exactly once, so that a lookup with side effects or changing
         * answers cannot make the two passes disagree. */
        if (t->n_segments > 0) {
                values = calloc(t->n_segments, sizeof(const char *));
                if (!values)
                        return -ENOMEM;
        }

        for (size_t i = 0; i < t->n_segments; i++) {
                const Segment *s = &t->segments[i];
                size_t n;

                if (s->variable) {
                        values[i] = strempty(lookup(t->data + s->offset, userdata));
                        n = strlen(values[i]);
                } else
                        n = s->length;

                if (__builtin_add_overflow(total, n, &total))
                        return -ENOMEM;
        }

        if (total == SIZE_MAX)
                return -ENOMEM;
        buf = malloc(total + 1);
        if (!buf)
                return -ENOMEM;

        p = buf;
        for (size_t i = 0; i < t->n_segments; i++) {
                const Segment *s = &t->segments[i];

                if (s->variable)
                        p = stpcpy(p, values[i]);
                else
                        p = mempcpy(p, t->data + s->offset, s->length);
        }
        *p = '\0';

        *ret = buf;
        return 0;
}

int template_uses(const Template *t, const char *name) {
        assert(t);

        if (!name)
                return false;

        for (size_t i = 0; i < t->n_segments; i++)
                if (t->segments[i].variable && streq(t->data + t->segments[i].offset, name))
                        return true;

        return false;
}

/* Septets a code point takes in the GSM 03.38 default alphabet: 1 for the basic table, 2 for
 * the extension table (escape + character), 0 when it cannot be sent as GSM-7 at all. */
static unsigned gsm_septets(uint32_t cp) {
        if (cp < 0x80) {
                if (cp == '\n' || cp == '\r')
                        return 1;
                if (cp == '\f')
                        return 2;
                /* '`' is the one printable ASCII character GSM-7 lacks. */
                if (cp < 0x20 || cp == 0x7F || cp == '`')
                        return 0;
                if (strchr("^{}\\[~]|", (int) cp))
                        return 2;
                return 1;
        }

        switch (cp) {
        case 0x00A1: /* ¡ */
        case 0x00A3: /* £ */
        case 0x00A4: /* ¤ */
        case 0x00A5: /* ¥ */
        case 0x00A7: /* § */
        case 0x00BF: /* ¿ */
        case 0x00C4: /* Ä */
        case 0x00C5: /* Å */
        case 0x00C6: /* Æ */
        case 0x00C7: /* Ç */
        case 0x00C9: /* É */
        case 0x00D1: /* Ñ */
        case 0x00D6: /* Ö */
        case 0x00D8: /* Ø */
        case 0x00DC: /* Ü */
        case 0x00DF: /* ß */
        case 0x00E0: /* à */
        case 0x00E4: /* ä */
        case 0x00E5: /* å */
        case 0x00E6: /* æ */
        case 0x00E8: /* è */
        case 0x00E9: /* é */
        case 0x00EC: /* ì */
        case 0x00F1: /* ñ */
        case 0x00F2: /* ò */
        case 0x00F6: /* ö */
        case 0x00F8: /* ø */
        case 0x00F9: /* ù */
        case 0x00FC: /* ü */
        case 0x0393: /* Γ */
        case 0x0394: /* Δ */
        case 0x0398: /* Θ */
        case 0x039B: /* Λ */
        case 0x039E: /* Ξ */
        case 0x03A0: /* Π */
        case 0x03A3: /* Σ */
        case 0x03A6: /* Φ */
        case 0x03A8: /* Ψ */
        case 0x03A9: /* Ω */
                return 1;
        case 0x20AC: /* € */
                return 2;
        default:
                return 0;
        }
}

static size_t parts_for(size_t units, size_t single, size_t multi) {
        if (units == 0)
                return 0;
        if (units <= single)
                return 1;
        /* Split messages lose room to the concatenation header (UDH) in every part. */
        return (units + multi - 1) / multi;
}

void sms_count(const char *text, SmsCount *ret) {
        size_t len, i = 0, septets = 0, utf16 = 0;
        bool gsm = true;

        assert(ret);

        len = text ? strlen(text) : 0;

        while (i < len) {
                uint32_t cp;
                unsigned n;
                int r;

                r = utf8_decode(text + i, len - i, &cp);
                if (r < 0) {
                        /* Whatever the carrier makes of a bad byte, it is not GSM-7. */
                        gsm = false;
                        utf16++;
                        i++;
                        continue;
                }

                utf16 += cp >= 0x10000 ? 2 : 1;
                if (gsm) {
                        n = gsm_septets(cp);
                        if (n == 0)
                                gsm = false;
                        septets += n;
                }
                i += (size_t) r;
        }

        if (gsm)
                *ret = (SmsCount) {
                        .encoding = SMS_ENCODING_GSM7,
                        .units = septets,
                        .parts = parts_for(septets, 160, 153),
                };
        else
                *ret = (SmsCount) {
                        .encoding = SMS_ENCODING_UCS2,
                        .units = utf16,
                        .parts = parts_for(utf16, 70, 67),
                };
}
