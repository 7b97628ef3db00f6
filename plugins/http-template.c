/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http-template.h"

typedef enum HttpVar {
        VAR_RECIPIENT,
        VAR_TEXT,
        VAR_SUBJECT,
        VAR_NAME,
        VAR_UNIT,
        VAR_OCCURRENCE,
        VAR_CHANNEL,
        VAR_DISPATCH_ID,
        VAR_USERNAME,
        VAR_PASSWORD,
        _VAR_MAX,
} HttpVar;

static const char *const var_names[_VAR_MAX] = {
        [VAR_RECIPIENT] = "recipient",
        [VAR_TEXT] = "text",
        [VAR_SUBJECT] = "subject",
        [VAR_NAME] = "name",
        [VAR_UNIT] = "unit",
        [VAR_OCCURRENCE] = "occurrence",
        [VAR_CHANNEL] = "channel",
        [VAR_DISPATCH_ID] = "dispatch_id",
        [VAR_USERNAME] = "username",
        [VAR_PASSWORD] = "password",
};

void http_template_vars_init(HttpTemplateVars *v, const struct dunnd_message *m,
                             const char *username, const char *password) {
        *v = (HttpTemplateVars) { .message = m, .username = username, .password = password };
        snprintf(v->dispatch_id, sizeof(v->dispatch_id), "%llu",
                 (unsigned long long) m->dispatch_id);
}

static const char *var_value(const HttpTemplateVars *v, HttpVar var) {
        const struct dunnd_message *m = v->message;

        switch (var) {
        case VAR_RECIPIENT: return m->recipient;
        case VAR_TEXT: return m->text;
        case VAR_SUBJECT: return m->subject;
        case VAR_NAME: return m->recipient_name;
        case VAR_UNIT: return m->unit;
        case VAR_OCCURRENCE: return m->occurrence;
        case VAR_CHANNEL: return m->channel;
        case VAR_DISPATCH_ID: return v->dispatch_id;
        case VAR_USERNAME: return v->username;
        case VAR_PASSWORD: return v->password;
        case _VAR_MAX: break;
        }
        return NULL;
}

static bool url_unreserved(unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_escaped(Buf *b, const char *s, HttpEscape e) {
        static const char hex[] = "0123456789ABCDEF";

        if (!s)
                return;
        switch (e) {
        case HTTP_ESCAPE_RAW:
                buf_puts(b, s);
                return;
        case HTTP_ESCAPE_JSON:
                buf_put_json_escaped(b, s);
                return;
        case HTTP_ESCAPE_URL:
                for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                        char t[3] = { '%', hex[*p >> 4], hex[*p & 15] };

                        if (url_unreserved(*p))
                                buf_add(b, p, 1);
                        else
                                buf_add(b, t, 3);
                }
                return;
        case HTTP_ESCAPE_HEADER:
                for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                        buf_add(b, (*p < 0x20 || *p == 0x7f) ? " " : (const char *) p, 1);
                return;
        }
}

/* The variable named between open ("{{") and close ("}}"), spaces trimmed, or _VAR_MAX. */
static HttpVar var_lookup(const char *open, const char *close) {
        const char *n = open + 2, *ne = close;

        while (*n == ' ')
                n++;
        while (ne > n && ne[-1] == ' ')
                ne--;
        for (HttpVar i = 0; i < _VAR_MAX; i++)
                if (strlen(var_names[i]) == (size_t) (ne - n) &&
                    memcmp(var_names[i], n, (size_t) (ne - n)) == 0)
                        return i;
        return _VAR_MAX;
}

/* One pass over tpl for both jobs: with b (and v) NULL it only checks. */
static int expand(const char *tpl, const HttpTemplateVars *v, HttpEscape e, Buf *b,
                  const char *option, char *err, size_t errlen) {
        const char *p = tpl;

        for (;;) {
                const char *open = strstr(p, "{{"), *close;
                HttpVar var;

                if (!open) {
                        if (b)
                                buf_puts(b, p);
                        return 0;
                }
                if (b)
                        buf_add(b, p, (size_t) (open - p));
                close = strstr(open + 2, "}}");
                if (!close) {
                        snprintf(err, errlen, "option '%s': unclosed '{{'", option);
                        return -EINVAL;
                }
                var = var_lookup(open, close);
                if (var == _VAR_MAX) {
                        snprintf(err, errlen, "option '%s': unknown variable '{{%.*s}}' (known: "
                                 "recipient text subject name unit occurrence channel "
                                 "dispatch_id username password)", option,
                                 (int) (close - open - 2 > 40 ? 40 : close - open - 2), open + 2);
                        return -EINVAL;
                }
                if (b && v)
                        put_escaped(b, var_value(v, var), e);
                p = close + 2;
        }
}

int http_template_check(const char *tpl, const char *option, char *err, size_t errlen) {
        return expand(tpl, NULL, HTTP_ESCAPE_RAW, NULL, option, err, errlen);
}

void http_template_render(const char *tpl, const HttpTemplateVars *v, HttpEscape e, Buf *b) {
        char err[8];

        /* checked in open(): nothing left to fail but memory, which b->oom records */
        (void) expand(tpl, v, e, b, "", err, sizeof(err));
}
