/* SPDX-License-Identifier: MIT */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

static bool buf_reserve(Buf *b, size_t extra) {
        size_t need, cap;
        char *d;

        if (b->oom)
                return false;
        if (extra > SIZE_MAX - b->len - 1) {
                b->oom = true;
                return false;
        }
        need = b->len + extra + 1;
        if (need <= b->cap)
                return true;
        cap = b->cap ? b->cap : 256;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        d = realloc(b->data, cap);
        if (!d) {
                b->oom = true;
                return false;
        }
        b->data = d;
        b->cap = cap;
        return true;
}

void buf_add(Buf *b, const void *s, size_t n) {
        if (!buf_reserve(b, n))
                return;
        if (n)
                memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = 0;
}

void buf_puts(Buf *b, const char *s) {
        buf_add(b, s, strlen(s));
}

void buf_printf(Buf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        if (b->oom)
                return;
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if (!buf_reserve(b, (size_t) n))
                return;
        va_start(ap, fmt);
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
}

void buf_put_json_escaped(Buf *b, const char *s) {
        size_t len, i = 0, run = 0;

        if (!s)
                return;
        len = strlen(s);
        while (i < len) {
                unsigned char c = (unsigned char) s[i];
                const char *esc = NULL;
                char u[8];
                int n;

                switch (c) {
                case '"': esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\b': esc = "\\b"; break;
                case '\f': esc = "\\f"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                default:
                        if (c < 0x20) {
                                snprintf(u, sizeof(u), "\\u%04x", c);
                                esc = u;
                        }
                }
                if (!esc && c < 0x80) {
                        run++;
                        i++;
                        continue;
                }
                /* flush the plain bytes before this one in one go */
                buf_add(b, s + i - run, run);
                run = 0;
                if (esc) {
                        buf_puts(b, esc);
                        i++;
                        continue;
                }
                n = utf8_decode(s + i, len - i, NULL);
                if (n < 0) {
                        buf_puts(b, "\\ufffd");
                        i++;
                        continue;
                }
                buf_add(b, s + i, (size_t) n);
                i += (size_t) n;
        }
        buf_add(b, s + i - run, run);
}

void buf_put_json_string(Buf *b, const char *s) {
        if (!s) {
                buf_puts(b, "null");
                return;
        }
        buf_add(b, "\"", 1);
        buf_put_json_escaped(b, s);
        buf_add(b, "\"", 1);
}

void buf_clear(Buf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = 0;
}

char *buf_steal(Buf *b) {
        char *s;

        if (b->oom) {
                buf_free(b);
                return NULL;
        }
        s = b->data ? b->data : strdup("");
        *b = (Buf) {};
        return s;
}

void buf_free(Buf *b) {
        free(b->data);
        *b = (Buf) {};
}

void buf_wipe(Buf *b) {
        if (b->data)
                explicit_bzero(b->data, b->cap);
        buf_free(b);
}
