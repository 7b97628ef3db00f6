/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "macro.h"
#include "utf8.h"

#define JSON_READ_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* The bytes of text with every one that is not part of a well-formed UTF-8 sequence
 * replaced by U+FFFD. */
static void put_utf8_repaired(Buf *b, const char *text, size_t len) {
        size_t i = 0, run = 0;

        while (i < len) {
                int n = utf8_decode(text + i, len - i, NULL);

                if (n > 0) {
                        run += (size_t) n;
                        i += (size_t) n;
                        continue;
                }
                buf_add(b, text + i - run, run);
                run = 0;
                buf_puts(b, "\xef\xbf\xbd");
                i++;
        }
        buf_add(b, text + i - run, run);
}

static int json_load_errno(const json_error_t *e) {
        return json_error_code(e) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
}

int json_read(const char *text, size_t len, json_t **ret) {
        /* the answer may quote the message: wipe the repaired copy */
        _cleanup_(buf_wipep) Buf repaired = {};
        json_error_t e;
        json_t *j;

        if (!text || len == 0)
                return -ENODATA;
        j = json_loadb(text, len, JSON_READ_FLAGS, &e);
        if (!j && json_error_code(&e) == json_error_invalid_utf8) {
                put_utf8_repaired(&repaired, text, len);
                if (repaired.oom)
                        return -ENOMEM;
                j = json_loadb(repaired.data, repaired.len, JSON_READ_FLAGS, &e);
        }
        if (!j)
                return json_load_errno(&e);
        *ret = j;
        return 0;
}

bool json_path_is_valid(const char *p) {
        if (!p)
                return false;
        for (;;) {
                /* a key; only the whole path may start with an index */
                if (*p != '[') {
                        size_t n = strcspn(p, ".[]");

                        if (n == 0)
                                return false;
                        p += n;
                }
                while (*p == '[') {
                        size_t n = strspn(p + 1, "0123456789");

                        if (n == 0 || p[1 + n] != ']')
                                return false;
                        p += n + 2;
                }
                if (!*p)
                        return true;
                if (*p != '.' || p[1] == '[')
                        return false;
                p++;
        }
}

/* An array index as the path writes it: decimal digits, no leading zero (a key "01" is no
 * index), small enough for any array jansson can hold. */
static bool index_parse(const char *s, size_t n, size_t *ret) {
        size_t v = 0;

        if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (size_t) (s[i] - '0');
        }
        *ret = v;
        return true;
}

/* One segment: a key of an object, or an index of an array. */
static json_t *step(const json_t *v, const char *seg, size_t n) {
        size_t i;

        if (json_is_object(v))
                return json_object_getn(v, seg, n);
        if (json_is_array(v) && index_parse(seg, n, &i))
                return json_array_get(v, i);
        return NULL;
}

json_t *json_at(const json_t *root, const char *path) {
        json_t *v = (json_t *) root;
        const char *p = path;

        if (!root || !json_path_is_valid(path))
                return NULL;
        while (v && *p) {
                size_t n;

                if (*p == '[') {
                        n = strspn(p + 1, "0123456789");
                        v = json_is_array(v) ? step(v, p + 1, n) : NULL;
                        p += n + 2;
                } else {
                        n = strcspn(p, ".[");
                        v = step(v, p, n);
                        p += n;
                }
                if (*p == '.')
                        p++;
        }
        return v;
}

/* A whole number below 1e17 in plain digits with ".0" (1.5e3 is "1500.0", so it does not
 * read like the integer 1500), anything else in the shortest %g form that reads back as the
 * same double (0.1 is "0.1", not "0.10000000000000001"). */
static void real_text(double v, char *out, size_t size) {
        if (v == (double) (long long) v && v > -1e17 && v < 1e17) {
                snprintf(out, size, "%lld.0", (long long) v);
                return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(out, size, "%.*g", prec, v);
                if (strtod(out, NULL) == v)
                        break;
        }
}

int json_text_at(const json_t *root, const char *path, char *buf, size_t size) {
        const json_t *v = json_at(root, path);
        char num[64];
        const char *t;
        size_t n;

        switch (v ? json_typeof(v) : JSON_OBJECT) {
        case JSON_STRING:
                t = json_string_value(v);
                n = json_string_length(v);
                break;
        case JSON_INTEGER:
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                t = num;
                n = strlen(num);
                break;
        case JSON_REAL:
                real_text(json_real_value(v), num, sizeof(num));
                t = num;
                n = strlen(num);
                break;
        case JSON_TRUE:
                t = "true";
                n = 4;
                break;
        case JSON_FALSE:
                t = "false";
                n = 5;
                break;
        case JSON_NULL:
                t = "null";
                n = 4;
                break;
        default:
                return -ENOENT;
        }
        if (n >= size || n > INT_MAX)
                return -ENOBUFS;
        memcpy(buf, t, n);
        buf[n] = 0;
        return (int) n;
}
