/* SPDX-License-Identifier: MIT */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "mask.h"

/* Returns the byte length (1-4) of the well-formed UTF-8 sequence at s, or 0 if the byte
 * at s does not start one (stray continuation byte, overlong form, surrogate, beyond
 * U+10FFFF, cut short). s is NUL-terminated, and NUL is never a continuation byte, so
 * looking ahead cannot run past the end. Deliberately local: masking must not depend on
 * anything that could fail or allocate. */
static size_t utf8_seq_len(const char *s) {
        const unsigned char *u = (const unsigned char *) s;
        uint32_t cp, min;
        size_t n;

        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xC2 && u[0] <= 0xDF) {
                n = 2;
                cp = u[0] & 0x1F;
                min = 0x80;
        } else if ((u[0] & 0xF0) == 0xE0) {
                n = 3;
                cp = u[0] & 0x0F;
                min = 0x800;
        } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
                n = 4;
                cp = u[0] & 0x07;
                min = 0x10000;
        } else
                return 0;

        for (size_t i = 1; i < n; i++) {
                if ((u[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (u[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return n;
}

/* One "character" for masking purposes: a well-formed sequence, or a single invalid byte
 * (so that garbage still gets masked, one '*' per byte). */
static size_t char_len(const char *s, bool *ret_valid) {
        size_t n = utf8_seq_len(s);

        *ret_valid = n > 0;
        return n > 0 ? n : 1;
}

static size_t count_chars(const char *s) {
        size_t n = 0;
        bool valid;

        while (*s) {
                s += char_len(s, &valid);
                n++;
        }
        return n;
}

/* Output that only ever takes whole pieces: once a piece does not fit, nothing more is
 * appended, so the result is always NUL-terminated, never longer than buflen and never
 * ends in half a code point. */
typedef struct Out {
        char *buf;
        size_t size;
        size_t pos;
        bool full;
} Out;

static Out out_init(char *buf, size_t buflen) {
        if (buf && buflen > 0)
                buf[0] = '\0';
        return (Out) {
                .buf = buf,
                .size = buf ? buflen : 0,
                .full = !buf || buflen == 0,
        };
}

static void out_put(Out *o, const char *s, size_t n) {
        if (o->full)
                return;
        if (n >= o->size - o->pos) {
                o->full = true;
                return;
        }
        memcpy(o->buf + o->pos, s, n);
        o->pos += n;
        o->buf[o->pos] = '\0';
}

/* Copies one character; an invalid byte is written as '?' so that masked output is always
 * valid UTF-8 (it ends up in the journal and in JSON). */
static void out_put_char(Out *o, const char *s, size_t n, bool valid) {
        if (valid)
                out_put(o, s, n);
        else
                out_put(o, "?", 1);
}

/* Keeps the first `head` and the last `tail` characters, one '*' for each in between. */
static void mask_keep(Out *o, const char *s, size_t head, size_t tail) {
        size_t total = count_chars(s), i = 0;
        bool valid;

        while (*s && !o->full) {
                size_t n = char_len(s, &valid);

                if (i < head || i + tail >= total)
                        out_put_char(o, s, n, valid);
                else
                        out_put(o, "*", 1);
                s += n;
                i++;
        }
}

static bool is_mobile_shaped(const char *s) {
        if (strlen(s) != 11)
                return false;
        for (size_t i = 0; i < 11; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

char *mask_phone(const char *phone, char *buf, size_t buflen) {
        Out o = out_init(buf, buflen);

        phone = strempty(phone);
        if (is_mobile_shaped(phone))
                mask_keep(&o, phone, 3, 4);
        else if (count_chars(phone) >= 7)
                mask_keep(&o, phone, 2, 2);
        else
                mask_keep(&o, phone, 0, 0);
        return buf;
}

char *mask_name(const char *name, char *buf, size_t buflen) {
        Out o = out_init(buf, buflen);

        mask_keep(&o, strempty(name), 1, 0);
        return buf;
}

char *mask_email(const char *email, char *buf, size_t buflen) {
        Out o = out_init(buf, buflen);
        const char *at, *p;
        bool valid;

        email = strempty(email);
        /* The last '@' separates the domain (which cannot contain one). */
        at = strrchr(email, '@');
        if (!at) {
                mask_keep(&o, email, 1, 0);
                return buf;
        }

        /* A fixed "***" rather than one per character: the length of the local part would
         * otherwise give away as much as it hides. */
        if (at > email) {
                size_t n = char_len(email, &valid);

                out_put_char(&o, email, n, valid);
        }
        out_put(&o, "***", 3);

        for (p = at; *p && !o.full;) {
                size_t n = char_len(p, &valid);

                out_put_char(&o, p, n, valid);
                p += n;
        }
        return buf;
}

char *mask_recipient(const char *channel, const char *recipient, char *buf, size_t buflen) {
        Out o;

        if (streq_ptr(channel, "sms"))
                return mask_phone(recipient, buf, buflen);
        if (streq_ptr(channel, "email"))
                return mask_email(recipient, buf, buflen);

        /* Unknown channels (push tokens, WeChat ids, ...): keep 3 + 3 only when that still
         * hides something, like mask_phone() does for short strings. */
        o = out_init(buf, buflen);
        recipient = strempty(recipient);
        if (count_chars(recipient) >= 7)
                mask_keep(&o, recipient, 3, 3);
        else
                mask_keep(&o, recipient, 0, 0);
        return buf;
}
