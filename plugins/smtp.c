/* SPDX-License-Identifier: MIT */

/*
 * The `smtp` carrier: one e-mail per message, submitted over SMTP through libcurl, one
 * recipient per transaction so that a refused RCPT maps to exactly one household.
 *
 * Options (all strings):
 *   url               = "smtp://mail.example.com:587";   required; or "smtps://host:465"
 *                                                        (implicit TLS). A path is the
 *                                                        EHLO domain (libcurl). No
 *                                                        user:password@ in the URL.
 *   tls               = "required";     default: STARTTLS is mandatory on smtp:// (never a
 *                                       silent fallback to plain text). "none" sends in
 *                                       clear text and is refused unless the URL's host is
 *                                       127.0.0.1, ::1 or localhost (a local relay).
 *   username          = "wuye";         AUTH, with password (the host reads
 *   password          = "...";          password_credential into password); both or neither
 *   from              = "noreply@wuye.example.com";   required: envelope sender and From:
 *   from_name         = "阳光花园物业";  display name of From:, RFC 2047 encoded
 *   reply_to          = "service@wuye.example.com";   optional Reply-To:
 *   ca_file           = "/etc/dunnd/smtp-ca.pem";     CURLOPT_CAINFO (default: system CAs)
 *   message_id_domain = "wuye.example.com";           right side of Message-ID (default:
 *                                                     the domain of `from`)
 *
 * The message is text/plain UTF-8 in base64 with RFC 2047 encoded Subject and display
 * names, CRLF throughout; Chinese text never travels as 8-bit, so any relay takes it.
 *
 * Classification. An SMTP server takes responsibility for a message only with its reply
 * to the end-of-data marker, so "may have been delivered" starts when the read callback has
 * handed the last byte of the message to libcurl, not when the first command went out:
 * CURLINFO_REQUEST_SIZE (request_sent) is meaningless here and not used. To know which
 * command a refusal answered (a 550 to MAIL FROM is our sender, to RCPT TO the household's
 * address) the plugin follows the dialogue through CURLOPT_DEBUGFUNCTION (commands out,
 * replies in); nothing of it is logged, and the AUTH lines are never even copied. That
 * means prepare() turns CURLOPT_VERBOSE on with our own debug function (replacing any the
 * host set) and finish() turns both off again before it frees what they point to.
 * (Checked with libcurl 7.88.1: CURLINFO_REQUEST_SIZE stays 0 for SMTP even after a
 * delivered message; with CURLOPT_INFILESIZE set the read callback is never asked for EOF.)
 *
 *   transfer OK                                          sent (Message-ID as message_id,
 *                                                        out->error left empty)
 *   whole message handed over, then a reply:
 *     2xx                                                sent
 *     4xx                                                transient
 *     5xx                                                rejected
 *   whole message handed over, no reply (timeout, lost)  unknown
 *   4xx reply before that (421, 450, 451, 452, 454)      transient
 *   530/534/535/538 anywhere, 5xx to greeting, EHLO,
 *     STARTTLS or AUTH, 5xx to MAIL FROM but 552         carrier_failure (sender or
 *                                                        account: every message would fail)
 *   550/551/553 to RCPT TO                               invalid_recipient (but 5.7.x:
 *                                                        policy -> rejected)
 *   other 5xx to RCPT TO, 5xx to DATA, 552 to MAIL       rejected
 *   STARTTLS not offered, login denied, certificate
 *     problems, bad URL or protocol                      carrier_failure
 *   resolve/connect failures and any other error
 *     before the message was handed over                 transient
 *
 * Reply texts go into out->error with e-mail addresses masked (z***@example.com).
 */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "curl-easy.h"
#include "dunnd-carrier.h"
#include "macro.h"
#include "options.h"
#include "utf8.h"

#define EXPORT __attribute__((visibility("default")))

/* RFC 2047 §2: an encoded-word is at most 75 characters, a header line holding one at
 * most 76. */
#define EW_MAX 75
#define EW_LINE_MAX 76
#define EW_OVERHEAD 12     /* "=?UTF-8?B?" and "?=" */

/* RFC 2045 §6.8: encoded lines at most 76 characters; 57 bytes make 76 base64 chars. */
#define B64_LINE_BYTES 57

#define DEFAULT_SUBJECT "物业费缴费提醒"
#define REPLY_MAX 200

enum tls_mode {
        TLS_REQUIRED,           /* CURLUSESSL_ALL: STARTTLS or smtps://, the default */
        TLS_NONE,               /* clear text, to a relay on this machine only */
};

/* options_parse() writes an OPTION_ENUM as int */
_Static_assert(sizeof(enum tls_mode) == sizeof(int), "enum fields are ints");

struct smtp_state {
        const struct dunnd_host *host;
        char *url;
        enum tls_mode tls_mode;
        char *username;
        char *password;
        char *from;             /* bare address */
        char *from_name;
        char *from_header;      /* "From: =?UTF-8?B?...?= <from>\r\n", folded */
        char *reply_to;
        char *ca_file;
        char *msgid_domain;     /* default: the domain of from */
};

enum phase {
        PHASE_GREETING,
        PHASE_EHLO,
        PHASE_STARTTLS,
        PHASE_AUTH,
        PHASE_MAIL,
        PHASE_RCPT,
        PHASE_DATA,
        PHASE_BODY,             /* the reply to the end of data */
        PHASE_QUIT,
        PHASE_OTHER,
};

struct smtp_req {
        CURL *easy;
        struct curl_slist *rcpt;
        Buf msg;                /* the whole message as it goes out after DATA */
        RequestBody body;       /* libcurl reads msg through it, and may not rewind it */
        bool body_started;      /* the server said 354 and libcurl pulled message bytes */
        bool body_done;         /* the read callback handed over the whole message */
        enum phase phase;       /* what the next reply answers */
        enum phase before_quit; /* phase again once QUIT is answered (see debug_cb) */
        bool saw_reply;         /* the debug callback saw the dialogue */
        int reply_code;         /* the reply to the last command, 0 = none yet... */
        enum phase reply_phase; /* ...what it answered... */
        char reply[REPLY_MAX];  /* ...and its text (addresses masked) */
        char message_id[128];
};

static void base64_encode(Buf *b, const unsigned char *in, size_t n) {
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char out[4];

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t) in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                out[0] = tab[(v >> 18) & 63];
                out[1] = tab[(v >> 12) & 63];
                out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
                out[3] = i + 2 < n ? tab[v & 63] : '=';
                buf_add(b, out, 4);
        }
}

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *p, size_t n) {
        int l = utf8_decode((const char *) p, n, NULL);

        return l < 0 ? 0 : (size_t) l;
}

/* A header value made safe: well-formed UTF-8 (bad bytes become U+FFFD) without control
 * characters (they become spaces), so that a decoded Subject cannot carry line breaks. */
static char *header_text_clean(const char *s) {
        Buf b = {};
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);

        buf_add(&b, "", 0);
        while (n > 0) {
                size_t l = utf8_seq_len(p, n);

                if (l == 0) {
                        buf_puts(&b, "\xef\xbf\xbd");
                        l = 1;
                } else if (l == 1 && (*p < 0x20 || *p == 0x7f))
                        buf_puts(&b, " ");
                else
                        buf_add(&b, (const char *) p, l);
                p += l;
                n -= l;
        }
        return buf_steal(&b);
}

/*
 * Appends `text` (well-formed UTF-8) as RFC 2047 B encoded-words, folded with CRLF SP so
 * that every line holding one is at most 76 characters: `col` is the length of the line
 * so far ("Subject: " = 9). Words are cut only between characters, so every word decodes
 * on its own, as RFC 2047 §5 requires. Returns the column after the last word.
 */
static size_t rfc2047_encode(Buf *b, const char *text, size_t col) {
        const unsigned char *p = (const unsigned char *) text;
        size_t n = strlen(text);
        bool first = true;

        if (n == 0)
                return col;
        do {
                size_t room, chunk = 0;

                if (!first || col + EW_OVERHEAD + 4 > EW_LINE_MAX) {
                        buf_puts(b, "\r\n ");
                        col = 1;
                }
                /* base64 characters that fit on the line and in the word, in whole quads */
                room = EW_LINE_MAX - col - EW_OVERHEAD;
                if (room > EW_MAX - EW_OVERHEAD)
                        room = EW_MAX - EW_OVERHEAD;
                room = room / 4 * 3;
                while (chunk < n) {
                        size_t l = utf8_seq_len(p + chunk, n - chunk);

                        if (l == 0)
                                l = 1;  /* callers clean their text; never loop forever */
                        if (chunk + l > room)
                                break;
                        chunk += l;
                }
                buf_puts(b, "=?UTF-8?B?");
                base64_encode(b, p, chunk);
                buf_puts(b, "?=");
                col += EW_OVERHEAD + (chunk + 2) / 3 * 4;
                p += chunk;
                n -= chunk;
                first = false;
        } while (n > 0);
        return col;
}

/* "Name: =?UTF-8?B?..?= <addr>\r\n", or "Name: <addr>\r\n" without a display name. */
static void address_header(Buf *b, const char *field, const char *display,
                           const char *addr) {
        size_t col;

        buf_printf(b, "%s:", field);
        col = strlen(field) + 1;
        if (display && *display) {
                char *clean = header_text_clean(display);

                if (!clean) {
                        b->oom = true;
                        return;
                }
                buf_puts(b, " ");
                col = rfc2047_encode(b, clean, col + 1);
                free(clean);
                /* the address may go on a line of its own: it holds no encoded-word */
                if (col + 3 + strlen(addr) > EW_LINE_MAX)
                        buf_puts(b, "\r\n");
        }
        buf_puts(b, " <");
        buf_puts(b, addr);
        buf_puts(b, ">\r\n");
}

/* RFC 5322 §3.3 date in local time with its numeric zone; English names whatever the
 * locale, so not strftime's %a/%b. */
static void rfc5322_date(char *out, size_t len, time_t t) {
        static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        struct tm tm;
        long off;

        if (!localtime_r(&t, &tm))
                gmtime_r(&t, &tm);
        off = tm.tm_gmtoff / 60;
        snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
                 labs(off) % 60);
}

/* An addr-spec we are willing to put between angle brackets in a header and on the
 * envelope: one '@', no spaces, controls or specials that could break out of <...>. UTF-8
 * is let through (SMTPUTF8). */
static bool address_valid(const char *a) {
        const char *at = strchr(a, '@');
        size_t n = strlen(a);

        if (n < 3 || n > 254 || !at || at == a || !at[1] || strchr(at + 1, '@'))
                return false;
        for (const unsigned char *p = (const unsigned char *) a; *p; p++)
                if (*p <= 0x20 || *p == 0x7f || strchr("<>()[]\\,;:\"", *p))
                        return false;
        return true;
}

/* A domain usable in a Message-ID: dot-atom of letters, digits and hyphens. */
static bool msgid_domain_valid(const char *d) {
        size_t n = strlen(d);

        if (n == 0 || n > 64 || d[0] == '.' || d[n - 1] == '.' || strstr(d, ".."))
                return false;
        for (const char *p = d; *p; p++)
                if (!isascii((unsigned char) *p) ||
                    !(isalnum((unsigned char) *p) || *p == '-' || *p == '.'))
                        return false;
        return true;
}

/* z***@example.com: logs and out->error never carry whole addresses. */
static void mask_address(const char *a, char *out, size_t len) {
        const char *at = strchr(a, '@');

        if (!at || at == a)
                snprintf(out, len, "***");
        else
                snprintf(out, len, "%c***%s", a[0], at);
}

#define ADDR_SEPARATORS " <>\"'():;,[]="

/* out[0..o) ends with the local part of an address (or a cut piece of it): keeps its first
 * character and puts "***" after it, leaving room for one more character and the NUL.
 * Returns the new length. */
static size_t mask_local_part(char *out, size_t o, size_t len) {
        size_t start = o;

        while (start > 0 && !strchr(ADDR_SEPARATORS, out[start - 1]))
                start--;
        if (start < o) {
                o = start + 1;
                for (int k = 0; k < 3 && o + 2 < len; k++)
                        out[o++] = '*';
        }
        return o;
}

/* Copies a server reply, masking the local part of anything that looks like an address:
 * servers like to quote the recipient ("550 5.1.1 <zhang@example.com>: User unknown"). A
 * reply cut short inside a local part is masked too when its '@' follows the cut. */
static void scrub_reply(const char *in, size_t n, char *out, size_t len) {
        size_t o = 0, i;

        if (len == 0)
                return;
        for (i = 0; i < n && o + 1 < len; i++) {
                unsigned char c = (unsigned char) in[i];

                if (c == '\r' || c == '\n')
                        break;
                /* o <= len - 2 here, and mask_local_part() keeps it so: '@' fits */
                if (c == '@')
                        o = mask_local_part(out, o, len);
                out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        }
        /* out is full: does the word it ends with continue into an address? */
        for (; i < n; i++) {
                unsigned char c = (unsigned char) in[i];

                if (c == '@') {
                        o = mask_local_part(out, o, len);
                        break;
                }
                if (c < 0x20 || c == 0x7f || strchr(ADDR_SEPARATORS, c))
                        break;
        }
        out[o] = 0;
}

/* The message into `b`: headers, a blank line, the text (line ends made CRLF, then a final
 * CRLF) in base64. Returns 0 or -ENOMEM. */
static int build_message(const struct smtp_state *s, const struct dunnd_message *m,
                         const char *message_id, time_t now, Buf *b) {
        _cleanup_(buf_wipep) Buf body = {};
        const char *subject = m->subject && *m->subject ? m->subject : DEFAULT_SUBJECT;
        _cleanup_free_ char *clean = NULL;
        char date[64];

        rfc5322_date(date, sizeof(date), now);
        buf_printf(b, "Date: %s\r\n", date);
        buf_puts(b, s->from_header);
        if (s->reply_to)
                address_header(b, "Reply-To", NULL, s->reply_to);
        address_header(b, "To", m->recipient_name, m->recipient);
        clean = header_text_clean(subject);
        if (!clean)
                return -ENOMEM;
        buf_puts(b, "Subject: ");
        rfc2047_encode(b, clean, strlen("Subject: "));
        buf_puts(b, "\r\n");
        buf_printf(b, "Message-ID: %s\r\n", message_id);
        buf_puts(b, "MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n"
                    /* RFC 3834: no vacation replies or bounces to auto-replies */
                    "Auto-Submitted: auto-generated\r\n");
        buf_printf(b, "X-Dunnd-Dispatch: %llu\r\n\r\n", (unsigned long long) m->dispatch_id);

        /* text/plain in canonical form (RFC 2045 §6.8): CRLF line ends before base64 */
        for (const char *p = m->text ? m->text : ""; *p; p++) {
                if (*p == '\r') {
                        buf_puts(&body, "\r\n");
                        if (p[1] == '\n')
                                p++;
                } else if (*p == '\n')
                        buf_puts(&body, "\r\n");
                else
                        buf_add(&body, p, 1);
        }
        buf_puts(&body, "\r\n");
        if (body.oom)
                return -ENOMEM;
        for (size_t i = 0; i < body.len; i += B64_LINE_BYTES) {
                size_t k = body.len - i < B64_LINE_BYTES ? body.len - i : B64_LINE_BYTES;

                base64_encode(b, (const unsigned char *) body.data + i, k);
                buf_puts(b, "\r\n");
        }
        return b->oom ? -ENOMEM : 0;
}

static void make_message_id(const struct smtp_state *s, uint64_t dispatch_id, time_t now,
                            char *out, size_t len) {
        static uint32_t counter;
        uint64_t rnd;

        /* unique even if the same dispatch is tried twice in one second */
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd))
                rnd = ((uint64_t) getpid() << 32) ^ ((uint64_t) now << 8) ^ ++counter;
        snprintf(out, len, "<dunnd.%llu.%llx.%016llx@%s>", (unsigned long long) dispatch_id,
                 (unsigned long long) now, (unsigned long long) rnd, s->msgid_domain);
}

static bool host_is_loopback(const char *h) {
        return strcmp(h, "127.0.0.1") == 0 || strcmp(h, "[::1]") == 0 ||
               strcmp(h, "::1") == 0 || strcasecmp(h, "localhost") == 0;
}

/* Checks url against the TLS setting. Returns 0 or -EINVAL with err filled. */
static int check_url(const char *url, bool tls, char *err, size_t errlen) {
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *user = NULL;
        int r = -EINVAL;

        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                snprintf(err, errlen, "option 'url' of the smtp carrier is not a valid URL: '%s'",
                         url);
                goto out;
        }
        if (strcasecmp(scheme, "smtp") != 0 && strcasecmp(scheme, "smtps") != 0) {
                snprintf(err, errlen, "option 'url' of the smtp carrier must start with "
                         "smtp:// (STARTTLS, port 587) or smtps:// (port 465), not '%s://'",
                         scheme);
                goto out;
        }
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
                snprintf(err, errlen, "option 'url' of the smtp carrier must not carry a user "
                         "name or password: use 'username' and 'password_credential'");
                goto out;
        }
        if (!tls && strcasecmp(scheme, "smtps") == 0) {
                snprintf(err, errlen, "tls = \"none\" contradicts the smtps:// URL of the smtp "
                         "carrier (smtps is always TLS)");
                goto out;
        }
        if (!tls && !host_is_loopback(host)) {
                snprintf(err, errlen, "tls = \"none\" would send the password and the "
                         "households' data in clear text to '%s'; it is allowed only for "
                         "127.0.0.1, ::1 and localhost", host);
                goto out;
        }
        r = 0;
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(user);
        curl_url_cleanup(u);
        return r;
}

static const char *const tls_modes[] = { [TLS_REQUIRED] = "required", [TLS_NONE] = "none",
                                         NULL };

#define FIELD(f) .offset = offsetof(struct smtp_state, f)

static const OptionSpec smtp_options[] = {
        { .key = "url", .kind = OPTION_STRING, FIELD(url), .flags = OPTION_REQUIRED,
          .missing = "(smtp://host:587 or smtps://host:465)" },
        { .key = "tls", .kind = OPTION_ENUM, FIELD(tls_mode), .values = tls_modes },
        { .key = "username", .kind = OPTION_STRING, FIELD(username) },
        { .key = "password", .kind = OPTION_SECRET, FIELD(password) },
        { .key = "from", .kind = OPTION_STRING, FIELD(from), .flags = OPTION_REQUIRED,
          .valid = address_valid, .help = "an e-mail address", .missing = "(the sender address)" },
        { .key = "from_name", .kind = OPTION_STRING, FIELD(from_name) },
        { .key = "reply_to", .kind = OPTION_STRING, FIELD(reply_to), .valid = address_valid,
          .help = "an e-mail address" },
        { .key = "ca_file", .kind = OPTION_FILE, FIELD(ca_file) },
        { .key = "message_id_domain", .kind = OPTION_STRING, FIELD(msgid_domain) },
};

static void smtp_close(void *state) {
        struct smtp_state *s = state;

        if (!s)
                return;
        options_free(smtp_options, ELEMENTSOF(smtp_options), s);
        free(s->from_header);
        free(s);
}

/* The checks that involve several options, and the From: header. */
static int smtp_check(struct smtp_state *s, char *err, size_t errlen) {
        _cleanup_(buf_freep) Buf b = {};
        int r;

        r = check_url(s->url, s->tls_mode == TLS_REQUIRED, err, errlen);
        if (r < 0)
                return r;
        if (!s->username != !s->password) {
                snprintf(err, errlen, "the smtp carrier needs both 'username' and a password "
                         "(password_credential), or neither");
                return -EINVAL;
        }
        if (!s->msgid_domain) {
                s->msgid_domain = strdup(strchr(s->from, '@') + 1);
                if (!s->msgid_domain)
                        return -ENOMEM;
        }
        if (!msgid_domain_valid(s->msgid_domain)) {
                snprintf(err, errlen, "'%s' cannot be the domain of a Message-ID (letters, "
                         "digits, '-' and '.', at most 64 characters): set "
                         "message_id_domain", s->msgid_domain);
                return -EINVAL;
        }
        address_header(&b, "From", s->from_name, s->from);
        s->from_header = buf_steal(&b);
        return s->from_header ? 0 : -ENOMEM;
}

static int smtp_open(const struct dunnd_option *options, size_t n_options,
                     const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct smtp_state *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->host = host;
        err[0] = 0;
        r = options_parse(smtp_options, ELEMENTSOF(smtp_options), "smtp", options, n_options, s,
                          err, errlen);
        if (r >= 0)
                r = smtp_check(s, err, errlen);
        if (r < 0) {
                if (r == -ENOMEM && !err[0])
                        snprintf(err, errlen, "out of memory");
                smtp_close(s);
                return r;
        }
        *ret_state = s;
        return 0;
}

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct smtp_req *q = userdata;
        size_t n;

        /* libcurl asks for message bytes only after the server's 354 to DATA */
        q->body_started = true;
        n = request_body_read(ptr, size, nmemb, &q->body);
        /* With CURLOPT_INFILESIZE set, libcurl 7.88 stops calling once it has that many
         * bytes and never asks for the EOF: the last byte handed over is the moment. From
         * here libcurl sends CRLF.CRLF and the server may take the message. */
        if (q->body.pos == q->body.len) {
                q->body_done = true;
                q->phase = PHASE_BODY;
        }
        return n;
}

static bool cmd_is(const char *p, size_t n, const char *verb) {
        size_t l = strlen(verb);

        /* "MAIL FROM:", "DATA\r\n"; SASL continuation lines are base64 and have no space */
        return n > l && strncasecmp(p, verb, l) == 0 && (p[l] == ' ' || p[l] == '\r');
}

static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata) {
        struct smtp_req *q = userdata;

        (void) easy;
        if (type == CURLINFO_HEADER_OUT) {
                /* a new command: an earlier reply does not explain what happens next
                 * (libcurl follows a refused EHLO with HELO) */
                if (!cmd_is(data, size, "QUIT")) {
                        q->reply_code = 0;
                        q->reply[0] = 0;
                }
                if (cmd_is(data, size, "EHLO") || cmd_is(data, size, "HELO"))
                        q->phase = PHASE_EHLO;
                else if (cmd_is(data, size, "STARTTLS"))
                        q->phase = PHASE_STARTTLS;
                else if (cmd_is(data, size, "AUTH"))
                        q->phase = PHASE_AUTH;
                else if (cmd_is(data, size, "MAIL"))
                        q->phase = PHASE_MAIL;
                else if (cmd_is(data, size, "RCPT"))
                        q->phase = PHASE_RCPT;
                else if (cmd_is(data, size, "DATA"))
                        q->phase = PHASE_DATA;
                else if (cmd_is(data, size, "QUIT")) {
                        q->before_quit = q->phase;
                        q->phase = PHASE_QUIT;
                }
                else if (q->phase != PHASE_AUTH)
                        q->phase = PHASE_OTHER;
        } else if (type == CURLINFO_HEADER_IN) {
                /* one reply line per call; "250-" continues, "250 " or "250" ends a reply */
                bool last_line = size >= 3 && isdigit((unsigned char) data[0]) &&
                                 isdigit((unsigned char) data[1]) &&
                                 isdigit((unsigned char) data[2]) && (size == 3 || data[3] != '-');

                /* The reply to QUIT (libcurl sends it when it closes a connection, also
                 * after a refusal) says nothing about the message. With connections kept
                 * alive the QUIT may even close another, cached connection, through this
                 * handle before its own dialogue starts: once it is answered, the next
                 * reply answers what came before (the greeting). */
                if (q->phase == PHASE_QUIT) {
                        if (last_line)
                                q->phase = q->before_quit;
                } else if (last_line) {
                        q->reply_code = (data[0] - '0') * 100 + (data[1] - '0') * 10 +
                                        (data[2] - '0');
                        q->reply_phase = q->phase;
                        q->saw_reply = true;
                        scrub_reply(data, size, q->reply, sizeof(q->reply));
                }
        }
        return 0;
}

static void req_free(struct smtp_req *q) {
        if (!q)
                return;
        if (q->easy) {
                /* the host cleans the handle up after us: nothing may call back into q */
                curl_easy_setopt(q->easy, CURLOPT_VERBOSE, 0L);
                curl_easy_setopt(q->easy, CURLOPT_DEBUGFUNCTION, NULL);
                curl_easy_setopt(q->easy, CURLOPT_DEBUGDATA, NULL);
                curl_easy_setopt(q->easy, CURLOPT_READFUNCTION, NULL);
                curl_easy_setopt(q->easy, CURLOPT_READDATA, NULL);
                curl_easy_setopt(q->easy, CURLOPT_SEEKFUNCTION, NULL);
                curl_easy_setopt(q->easy, CURLOPT_SEEKDATA, NULL);
                curl_easy_setopt(q->easy, CURLOPT_MAIL_RCPT, NULL);
        }
        curl_slist_free_all(q->rcpt);
        buf_wipe(&q->msg);
        free(q);
}

static int smtp_prepare(void *state, const struct dunnd_message *m, dunnd_curl_easy *easy,
                        void **ret_req) {
        struct smtp_state *s = state;
        struct smtp_req *q;
        char *rcpt = NULL, *from = NULL;
        time_t now = time(NULL);
        CURLcode c = CURLE_OK;

        if (!m->recipient || !address_valid(m->recipient)) {
                char masked[64];

                mask_address(m->recipient ? m->recipient : "", masked, sizeof(masked));
                if (s->host && s->host->log)
                        s->host->log(s->host->host_data, DUNND_LOG_WARNING,
                                     "dispatch %llu: '%s' is not a usable e-mail address",
                                     (unsigned long long) m->dispatch_id, masked);
                return -EINVAL;
        }
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->phase = PHASE_GREETING;
        make_message_id(s, m->dispatch_id, now, q->message_id, sizeof(q->message_id));
        if (build_message(s, m, q->message_id, now, &q->msg) < 0 || asprintf(&rcpt, "<%s>", m->recipient) < 0 ||
            asprintf(&from, "<%s>", s->from) < 0) {
                rcpt = NULL;
                goto oom;
        }
        q->rcpt = curl_slist_append(NULL, rcpt);
        if (!q->rcpt)
                goto oom;
        q->easy = easy;
        q->body = (RequestBody) { .data = q->msg.data, .len = q->msg.len };

#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(easy, opt, val); } while (0)
        SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        SET(CURLOPT_URL, s->url);
        SET(CURLOPT_USE_SSL, (long) (s->tls_mode == TLS_REQUIRED ? CURLUSESSL_ALL : CURLUSESSL_NONE));
        if (s->username) {
                SET(CURLOPT_USERNAME, s->username);
                SET(CURLOPT_PASSWORD, s->password);
        }
        if (s->ca_file)
                SET(CURLOPT_CAINFO, s->ca_file);
        SET(CURLOPT_MAIL_FROM, from);
        SET(CURLOPT_MAIL_RCPT, q->rcpt);
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, read_cb);
        SET(CURLOPT_READDATA, q);
        /* never a second copy of the message: see smtp_properties() */
        SET(CURLOPT_SEEKFUNCTION, request_body_seek);
        SET(CURLOPT_SEEKDATA, &q->body);
        /* lets libcurl announce SIZE= so an oversized message is refused at MAIL FROM */
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->body.len);
        /* the only way to see which command a reply answered; goes nowhere but debug_cb */
        SET(CURLOPT_DEBUGFUNCTION, debug_cb);
        SET(CURLOPT_DEBUGDATA, q);
        SET(CURLOPT_VERBOSE, 1L);
#undef SET
        /* libcurl copied the strings it keeps */
        free(rcpt);
        free(from);
        if (c != CURLE_OK) {
                if (s->host && s->host->log)
                        s->host->log(s->host->host_data, DUNND_LOG_ERR,
                                     "cannot set up the SMTP transfer: %s", curl_easy_strerror(c));
                req_free(q);
                return c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EOPNOTSUPP;
        }
        *ret_req = q;
        return 0;
oom:
        free(rcpt);
        free(from);
        req_free(q);
        return -ENOMEM;
}

static const char *phase_name(enum phase p) {
        static const char *const names[] = {
                [PHASE_GREETING] = "greeting",
                [PHASE_EHLO] = "EHLO",
                [PHASE_STARTTLS] = "STARTTLS",
                [PHASE_AUTH] = "AUTH",
                [PHASE_MAIL] = "MAIL FROM",
                [PHASE_RCPT] = "RCPT TO",
                [PHASE_DATA] = "DATA",
                [PHASE_BODY] = "end of data",
                [PHASE_QUIT] = "QUIT",
                [PHASE_OTHER] = "command",
        };

        return p < sizeof(names) / sizeof(names[0]) ? names[p] : "command";
}

static bool curl_code_is_config(int code) {
        switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_LOGIN_DENIED:
        case CURLE_AUTH_ERROR:
        case CURLE_USE_SSL_FAILED:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CLIENTCERT:
                return true;
        default:
                return false;
        }
}

/* The enhanced status code's subject digit (RFC 3463 "5.7.1" -> 7), or -1. */
static int enhanced_subject(const char *reply) {
        if (strlen(reply) >= 9 && reply[3] == ' ' && isdigit((unsigned char) reply[4]) &&
            reply[5] == '.' && isdigit((unsigned char) reply[6]) && reply[7] == '.')
                return reply[6] - '0';
        return -1;
}

/* A negative reply before the end of data: nothing was accepted. */
static enum dunnd_outcome_class classify_refusal(int code, enum phase phase, const char *reply) {
        if (code / 100 == 4)
                return DUNND_OUTCOME_TRANSIENT;
        /* 530 authentication required, 534/538 mechanism or encryption, 535 bad login */
        if (code == 530 || code == 534 || code == 535 || code == 538)
                return DUNND_OUTCOME_CARRIER_FAILURE;
        switch (phase) {
        case PHASE_RCPT:
                if ((code == 550 || code == 551 || code == 553) && enhanced_subject(reply) != 7)
                        return DUNND_OUTCOME_INVALID_RECIPIENT;
                return DUNND_OUTCOME_REJECTED;
        case PHASE_MAIL:
                /* MAIL FROM carries only our sender and SIZE: unless the size is refused,
                 * every other message would be refused the same way */
                return code == 552 ? DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_CARRIER_FAILURE;
        case PHASE_DATA:
        case PHASE_OTHER:
        case PHASE_QUIT:
        case PHASE_BODY:
                return DUNND_OUTCOME_REJECTED;
        default:
                /* greeting, EHLO, STARTTLS, AUTH: the session itself is refused */
                return DUNND_OUTCOME_CARRIER_FAILURE;
        }
}

static void smtp_finish(void *state, void *req, int curl_code, int request_sent, long status,
                        const char *body, size_t len, struct dunnd_outcome *out) {
        struct smtp_req *q = req;
        enum phase phase;
        const char *text;
        int code;

        (void) state;
        (void) body;
        (void) len;
        out->retry_after_ms = 0;
        out->message_id[0] = 0;
        out->error[0] = 0;
        if (!q) {
                /* cannot happen with a host that follows the ABI; be safe, not sorry */
                out->klass = request_sent ? DUNND_OUTCOME_UNKNOWN : DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "no request state (curl %d)", curl_code);
                return;
        }
        if (q->saw_reply) {
                /* the same number as the host's status, but we know what it answered */
                code = q->reply_code;
                phase = q->reply_phase;
                text = q->reply;
        } else {
                /* no dialogue seen: cannot happen with our debug callback; the host's word */
                code = (int) status;
                phase = PHASE_OTHER;
                text = "";
        }

        if (curl_code == CURLE_OK) {
                out->klass = DUNND_OUTCOME_SENT;
                snprintf(out->message_id, sizeof(out->message_id), "%s", q->message_id);
        } else if (q->body_done) {
                if (code && phase == PHASE_BODY && code / 100 == 2) {
                        /* the server took it; a hiccup after its 250 does not undo that */
                        out->klass = DUNND_OUTCOME_SENT;
                        snprintf(out->message_id, sizeof(out->message_id), "%s", q->message_id);
                } else if (code && phase == PHASE_BODY) {
                        out->klass = code / 100 == 4 ? DUNND_OUTCOME_TRANSIENT
                                                     : DUNND_OUTCOME_REJECTED;
                        snprintf(out->error, sizeof(out->error), "end of data refused: %s",
                                 text);
                } else {
                        out->klass = DUNND_OUTCOME_UNKNOWN;
                        snprintf(out->error, sizeof(out->error), "no reply to the end of data, "
                                 "the server may have accepted the message: curl %d: %s",
                                 curl_code, curl_easy_strerror((CURLcode) curl_code));
                }
        } else if (code >= 400) {
                out->klass = classify_refusal(code, phase, text);
                if (*text)
                        snprintf(out->error, sizeof(out->error), "%s refused: %s (curl %d)",
                                 phase_name(phase), text, curl_code);
                else
                        snprintf(out->error, sizeof(out->error), "SMTP %d (curl %d: %s)", code,
                                 curl_code, curl_easy_strerror((CURLcode) curl_code));
        } else {
                out->klass = curl_code_is_config(curl_code) ? DUNND_OUTCOME_CARRIER_FAILURE
                                                            : DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "curl %d: %s%s%s", curl_code,
                         curl_easy_strerror((CURLcode) curl_code),
                         curl_code == CURLE_USE_SSL_FAILED ? " (the server offers no STARTTLS)"
                                                           : "",
                         q->body_started ? " (in the middle of the message)" : "");
        }
        req_free(q);
}

/*
 * Whether the host may keep an SMTP session open for the next message. libcurl's silent
 * re-send (Curl_retry_request in lib/transfer.c, the same in 7.88 as today) begins with
 *
 *     if(data->set.upload &&                     (data->state.upload in later versions)
 *        !(conn->handler->protocol&(PROTO_FAMILY_HTTP|CURLPROTO_RTSP)))
 *       return CURLE_OK;
 *
 * and an SMTP message is an upload (CURLOPT_UPLOAD): libcurl never sends it again by
 * itself, whatever happens to a reused connection. Should a later libcurl try, it would
 * have to rewind the message, and the seek callback refuses, as http's does. So a session that died between messages costs the next message a failure before
 * its data went out (transient: retried on a fresh session) or, when it died after the
 * whole message was handed over, an unknown outcome, exactly as on a fresh connection.
 * test-plugin-smtp.c (test_keep_alive_*) and test-smtp-carrier.sh show it with servers
 * that drop a reused session after MAIL FROM, after the data, and between messages.
 * What it saves: the TCP connect, greeting, EHLO, STARTTLS with its TLS handshake, EHLO
 * again and AUTH for every message after the first, and a relay's per-login limits.
 */
static uint32_t smtp_properties(void *state) {
        (void) state;
        return DUNND_CARRIER_REUSE_SAFE;
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "smtp",
        .channel = "email",
        .open = smtp_open,
        .prepare = smtp_prepare,
        .finish = smtp_finish,
        .close = smtp_close,
        .properties = smtp_properties,
};
