/* SPDX-License-Identifier: MIT */

/*
 * The `kannel` carrier: Kannel's smsbox sendsms interface (checked against Kannel 1.4.5).
 *
 * Options (values are strings; libconfig numbers and booleans arrive as their text):
 *   url = "http://127.0.0.1:13013/cgi-bin/sendsms";   required
 *   username = "dunn";              required: the sendsms-user
 *   password = "...";               required; usually password_credential = "kannel"
 *   from = "10690000";              sender (default: Kannel's global-sender)
 *   smsc = "fake";                  force an smsc-id (default: Kannel routes)
 *   dlr_mask = 31;                  delivery reports wanted (1 delivered, 2 undelivered,
 *   dlr_url = "http://127.0.0.1:8080/dlr?id={{dispatch_id}}&status=%d";
 *                                   4 buffered, 8 SMSC ack, 16 SMSC nack); both or neither.
 *                                   {{dispatch_id}} is ours, Kannel fills in its %-escapes.
 *   validity = 1440;                minutes the SMSC (and bearerbox's queue) may hold the
 *                                   message: a reminder delivered days late does harm
 *   ca_file = "/etc/dunnd/kannel-ca.pem";   CA for an https:// smsbox
 *   require_tls = false;            refuse anything but https://
 *
 * The request is a POST with the text as a text/plain UTF-8 body and the parameters in
 * X-Kannel-* headers (user guide, "sendsms POST"). Kannel 1.4.5 answers a form POST with
 * 400 "Invalid content-type"; a GET would put the password in the URL, and smsbox logs the
 * CGI variables of a GET, password included, at log-level 0. Text that is printable ASCII
 * (GSM 7-bit safe) goes as coding 0; anything else, Chinese in particular, as coding 2
 * (UCS-2), which Kannel converts from the UTF-8 charset. The body goes through a reader
 * libcurl cannot rewind, so connections to smsbox stay alive (kannel_properties) and a
 * message whose kept-alive connection dies under it is UNKNOWN, not sent twice.
 *
 * What Kannel 1.4.5 (smsbox + bearerbox + fakesmsc) answered, and the class we give it:
 *   202 "0: Accepted for delivery"                          SENT
 *   202 "3: Queued for later delivery" (no SMSC online)      SENT (stored by bearerbox;
 *                                                            logged when it starts and ends)
 *   403 "Authorization failed for sendsms"                   CARRIER_FAILURE
 *   400 "Missing receiver(s) number(s), rejected",
 *       "Empty receiver number not allowed, rejected",
 *       "Number(s) has/have been denied by white- and/or black-lists."   INVALID_RECIPIENT
 *   400 "Sender missing and no global set, rejected"         CARRIER_FAILURE (config)
 *   400 other ("Coding field misformed, rejected", "Charset or body misformed, rejected")
 *                                                            REJECTED
 *   403 "Not routable. Do not try again." (no SMSC accepts the number or the smsc-id)
 *                                                            REJECTED: the same answer for a
 *        number one SMSC's denied-prefix refuses and for a wrong `smsc`, so it neither marks
 *        the contact invalid nor pauses the carrier
 *   503 "Temporal failure, try again later." (bearerbox queue limit)   TRANSIENT
 *   404 "Unknown request." (wrong url path), 401, 405           CARRIER_FAILURE
 *   500 "Sending failed.", other 5xx                         UNKNOWN
 *   connection refused (smsbox down)                         TRANSIENT
 *   no answer after the request went out (bearerbox stalled) UNKNOWN
 */

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "carrier-net.h"
#include "dunnd-carrier.h"
#include "macro.h"
#include "options.h"

#define EXPORT __attribute__((visibility("default")))

#ifndef DUNND_VERSION
#define DUNND_VERSION "0"
#endif

/* The one variable of dlr_url: Kannel fills in its own %-escapes, we our dispatch id. */
#define DLR_VAR "{{dispatch_id}}"

struct kannel_state {
        const struct dunnd_host *host;
        char *url, *username, *password, *from, *smsc, *dlr_url, *ca_file;
        long dlr_mask;          /* -1: none */
        long validity;          /* minutes; 0: none */
        bool require_tls;
        bool queueing;          /* the last answer was "3: Queued for later delivery" */
};

/* Every string ends up in a header line: none may hold a control character. */
static const OptionSpec kannel_options[] = {
        { .key = "url", .kind = OPTION_STRING, .offset = offsetof(struct kannel_state, url),
          .flags = OPTION_REQUIRED | OPTION_NO_CONTROL },
        { .key = "username", .kind = OPTION_STRING,
          .offset = offsetof(struct kannel_state, username),
          .flags = OPTION_REQUIRED | OPTION_NO_CONTROL },
        { .key = "password", .kind = OPTION_SECRET,
          .offset = offsetof(struct kannel_state, password),
          .flags = OPTION_REQUIRED | OPTION_NO_CONTROL, .missing = "(or password_credential)" },
        { .key = "from", .kind = OPTION_STRING, .offset = offsetof(struct kannel_state, from),
          .flags = OPTION_NO_CONTROL },
        { .key = "smsc", .kind = OPTION_STRING, .offset = offsetof(struct kannel_state, smsc),
          .flags = OPTION_NO_CONTROL },
        { .key = "dlr_mask", .kind = OPTION_LONG, .offset = offsetof(struct kannel_state, dlr_mask),
          .min = 1, .max = 31,
          .help = "1-31 (1 delivered, 2 undelivered, 4 buffered, 8 SMSC ack, 16 SMSC nack)" },
        { .key = "dlr_url", .kind = OPTION_STRING,
          .offset = offsetof(struct kannel_state, dlr_url), .flags = OPTION_NO_CONTROL },
        { .key = "validity", .kind = OPTION_LONG, .offset = offsetof(struct kannel_state, validity),
          .min = 1, .max = 7 * 24 * 60, .help = "minutes, 1-10080" },
        { .key = "ca_file", .kind = OPTION_FILE, .offset = offsetof(struct kannel_state, ca_file),
          .flags = OPTION_NO_CONTROL },
        { .key = "require_tls", .kind = OPTION_BOOL,
          .offset = offsetof(struct kannel_state, require_tls) },
};

static void kannel_close(void *state) {
        struct kannel_state *s = state;

        if (!s)
                return;
        options_free(kannel_options, ELEMENTSOF(kannel_options), s);
        free(s);
}

/* The checks that involve several options. */
static int kannel_check(const struct kannel_state *s, char *err, size_t errlen) {
        int r;

        r = net_check_url(s->url, s->require_tls, err, errlen);
        if (r < 0)
                return r;
        if ((s->dlr_mask >= 0) != (s->dlr_url != NULL)) {
                snprintf(err, errlen, "options 'dlr_mask' and 'dlr_url' go together: Kannel "
                         "sends reports only with both");
                return -EINVAL;
        }
        /* the only variable: anything else in {{ }} is a typo */
        for (const char *p = s->dlr_url; p && (p = strstr(p, "{{")); p += strlen(DLR_VAR))
                if (strncmp(p, DLR_VAR, strlen(DLR_VAR)) != 0) {
                        snprintf(err, errlen, "option 'dlr_url': the only variable is "
                                 "{{dispatch_id}}");
                        return -EINVAL;
                }
        return 0;
}

static int kannel_open(const struct dunnd_option *options, size_t n_options,
                       const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct kannel_state *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->host = host;
        s->dlr_mask = -1;
        err[0] = 0;
        r = options_parse(kannel_options, ELEMENTSOF(kannel_options), "kannel", options,
                          n_options, s, err, errlen);
        if (r >= 0)
                r = kannel_check(s, err, errlen);
        if (r < 0) {
                if (r == -ENOMEM && !err[0])
                        snprintf(err, errlen, "out of memory");
                kannel_close(s);
                return r;
        }
        *ret_state = s;
        return 0;
}

/* GSM 03.38 covers printable ASCII except the backtick (and Kannel maps the extension
 * characters itself); anything else needs UCS-2, or Kannel sends "?". */
static bool gsm_safe(const char *t) {
        for (const unsigned char *p = (const unsigned char *) t; *p; p++)
                if (!((*p >= 0x20 && *p < 0x7f && *p != '`') || *p == '\n' || *p == '\r'))
                        return false;
        return true;
}

/* One receiver: Kannel splits `to` on spaces and would send to each. */
static bool recipient_valid(const char *r) {
        if (!r || !*r)
                return false;
        if (*r == '+')
                r++;
        if (!*r || strlen(r) > 20)
                return false;
        for (; *r; r++)
                if (*r < '0' || *r > '9')
                        return false;
        return true;
}

static int add_header(NetRequest *q, const char *name, const char *value) {
        _cleanup_(buf_wipep) Buf b = {};

        /* "Name:" with nothing after it tells libcurl to drop its own header of that name */
        buf_puts(&b, name);
        buf_puts(&b, *value ? ": " : ":");
        buf_puts(&b, value);
        return b.oom ? -ENOMEM : net_request_add_header(q, b.data);
}

/* X-Kannel-DLR-Url: the configured URL with our dispatch id in it. */
static int add_dlr_url(NetRequest *q, const char *dlr_url, uint64_t dispatch_id) {
        _cleanup_(buf_wipep) Buf u = {};
        const char *p = dlr_url, *v;
        char id[24];

        /* the id is digits: nothing to escape, in a header or in the URL */
        snprintf(id, sizeof(id), "%llu", (unsigned long long) dispatch_id);
        while ((v = strstr(p, DLR_VAR))) {
                buf_add(&u, p, (size_t) (v - p));
                buf_puts(&u, id);
                p = v + strlen(DLR_VAR);
        }
        buf_puts(&u, p);
        return u.oom ? -ENOMEM : add_header(q, "X-Kannel-DLR-Url", u.data);
}

static int add_headers(NetRequest *q, const struct kannel_state *s,
                       const struct dunnd_message *m) {
        char num[24];
        int r;

        r = add_header(q, "Content-Type", "text/plain; charset=UTF-8");
        if (r >= 0)
                r = add_header(q, "X-Kannel-Username", s->username);
        if (r >= 0)
                r = add_header(q, "X-Kannel-Password", s->password);
        if (r >= 0)
                r = add_header(q, "X-Kannel-To", m->recipient);
        if (r >= 0 && s->from)
                r = add_header(q, "X-Kannel-From", s->from);
        if (r >= 0 && s->smsc)
                r = add_header(q, "X-Kannel-SMSC", s->smsc);
        if (r >= 0)
                r = add_header(q, "X-Kannel-Coding", gsm_safe(q->body.data) ? "0" : "2");
        if (r >= 0 && s->validity > 0) {
                snprintf(num, sizeof(num), "%ld", s->validity);
                r = add_header(q, "X-Kannel-Validity", num);
        }
        if (r >= 0 && s->dlr_mask >= 0) {
                snprintf(num, sizeof(num), "%ld", s->dlr_mask);
                r = add_header(q, "X-Kannel-DLR-Mask", num);
                if (r >= 0)
                        r = add_dlr_url(q, s->dlr_url, m->dispatch_id);
        }
        /* smsbox does not send "100 Continue"; don't let libcurl wait for it */
        if (r >= 0)
                r = add_header(q, "Expect", "");
        return r;
}

static int kannel_prepare(void *state, const struct dunnd_message *m, dunnd_curl_easy *easy,
                          void **ret_req) {
        struct kannel_state *s = state;
        NetRequest *q;
        CURLcode cc;
        int r;

        if (!recipient_valid(m->recipient)) {
                /* nothing goes out; the host treats a failed prepare as not sent */
                if (s->host && s->host->log)
                        s->host->log(s->host->host_data, DUNND_LOG_WARNING, "dispatch %llu: the "
                                     "recipient is not one phone number; not sent",
                                     (unsigned long long) m->dispatch_id);
                return -EINVAL;
        }
        r = net_request_new(easy, m->recipient, &q);
        if (r < 0)
                return r;
        buf_puts(&q->body, strempty(m->text));
        r = q->body.oom ? -ENOMEM : add_headers(q, s, m);
        /* sendsms has no idempotency key: libcurl must not re-send the text by itself */
        if (r >= 0)
                r = net_request_attach_body(q, /* rewindable= */ false);
        if (r < 0)
                goto fail;

        cc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, s->require_tls ? "https" : "http,https");
        if (cc == CURLE_OK)
                cc = curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR,
                                      s->require_tls ? "https" : "http,https");
        if (cc == CURLE_OK)
                cc = curl_easy_setopt(easy, CURLOPT_URL, s->url);
        if (cc == CURLE_OK)
                cc = curl_easy_setopt(easy, CURLOPT_USERAGENT, "dunnd/" DUNND_VERSION);
        if (cc == CURLE_OK)
                cc = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, q->headers);
        if (cc == CURLE_OK && s->ca_file)
                cc = curl_easy_setopt(easy, CURLOPT_CAINFO, s->ca_file);
        if (cc != CURLE_OK) {
                if (s->host && s->host->log)
                        s->host->log(s->host->host_data, DUNND_LOG_ERR, "cannot set up the request: %s",
                                     curl_easy_strerror(cc));
                r = cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
                goto fail;
        }
        *ret_req = q;
        return 0;
fail:
        net_request_free(q);
        return r;
}

/* The answer of a completed transfer; net_request_finish() has dealt with a failed one. */
static void classify_answer(void *state, const NetRequest *q, long status, const char *body,
                            size_t len, struct dunnd_outcome *out) {
        struct kannel_state *s = state;
        char text[160];

        answer_excerpt_masked(text, sizeof(text), body, len, 150, q ? q->recipient : NULL);
        if (status >= 200 && status < 300) {
                /* 202 "0: Accepted for delivery" or "3: Queued for later delivery": either
                 * way bearerbox has stored it. Kannel has no message id: reports come back
                 * through dlr_url, keyed by our dispatch id. */
                bool queued = len >= 2 && body[0] == '3' && body[1] == ':';

                out->klass = DUNND_OUTCOME_SENT;
                /* worth knowing, but once per change, not once per message of a batch */
                if (queued != s->queueing && s->host && s->host->log)
                        s->host->log(s->host->host_data, queued ? DUNND_LOG_NOTICE : DUNND_LOG_INFO,
                                     queued ? "Kannel queues messages for later delivery (no "
                                     "SMSC online?)" : "Kannel accepts messages for delivery again");
                s->queueing = queued;
                return;
        }
        snprintf(out->error, sizeof(out->error), "HTTP %ld%s%s", status, text[0] ? ": " : "", text);
        switch (status) {
        case 400:
                if (answer_contains(body, len, "receiver") ||
                    answer_contains(body, len, "denied by white- and/or black-lists"))
                        out->klass = DUNND_OUTCOME_INVALID_RECIPIENT;
                else if (answer_contains(body, len, "Sender missing"))
                        out->klass = DUNND_OUTCOME_CARRIER_FAILURE;
                else
                        out->klass = DUNND_OUTCOME_REJECTED;
                return;
        case 403:
                out->klass = answer_contains(body, len, "Not routable") ?
                        DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_CARRIER_FAILURE;
                return;
        case 401:
        case 404:
        case 405:
        case 407:
                /* wrong url or a proxy's credentials: every message would fail alike */
                out->klass = DUNND_OUTCOME_CARRIER_FAILURE;
                return;
        case 429:
        case 503:
                out->klass = DUNND_OUTCOME_TRANSIENT;
                out->retry_after_ms = net_retry_after_ms(q ? q->easy : NULL);
                return;
        }
        out->klass = status >= 400 && status < 500 ? DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_UNKNOWN;
}

/* Every request is a POST whose body libcurl cannot rewind for a silent re-send, so
 * connections to smsbox may be kept alive (dunnd-carrier.h). */
static uint32_t kannel_properties(void *state) {
        (void) state;
        return DUNND_CARRIER_REUSE_SAFE;
}

static void kannel_finish(void *state, void *req, int curl_code, int request_sent, long status,
                          const char *body, size_t len, struct dunnd_outcome *out) {
        net_request_finish(req, state, curl_code, request_sent, status, body, len, out,
                           classify_answer);
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "kannel",
        .channel = "sms",
        .open = kannel_open,
        .prepare = kannel_prepare,
        .finish = kannel_finish,
        .close = kannel_close,
        .properties = kannel_properties,
};
