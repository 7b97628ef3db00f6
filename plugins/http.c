/* SPDX-License-Identifier: MIT */

/*
 * The `http` carrier: one HTTP(S) request per message to a generic SMS gateway or webhook,
 * described entirely by options, for the many domestic gateways that have no plugin of
 * their own. See etc/carrier-http-form.conf.example and etc/carrier-http-json.conf.example.
 *
 * Options (values are strings; libconfig numbers and booleans arrive as their text):
 *
 *   Request
 *   url = "https://gw.example.cn/sms/send";   required; a template whose variables are
 *                                  always URL-escaped (RFC 3986), so they fit in a query
 *   method = "POST";               GET or POST (default POST); GET sends no body
 *   body = "mobile={{recipient}}&content={{text}}";   template (POST only)
 *   body_type = "form";            how variables are escaped in `body`: form (URL-escaped,
 *                                  RFC 3986, default), json (JSON-string-escaped: write the
 *                                  quotes in the template, "{{text}}"), raw (as is)
 *   content_type = "...";          default by body_type: application/x-www-form-urlencoded,
 *                                  application/json; charset=utf-8, text/plain; charset=utf-8
 *   header = "Name: value";        one request header, a template; header2 ... header9 add
 *                                  more (one option each, no "\n" lists). Control characters
 *                                  in a variable become spaces, so no value can add a header.
 *   username = "...";              HTTP basic auth when set (with `password`)
 *   password = "...";              usually `password_credential = "name"` (the host reads it
 *                                  from $CREDENTIALS_DIRECTORY); also the {{password}} variable
 *   idempotency_header = "Idempotency-Key";   send "<name>: dunnd-<dispatch_id>" and tell the
 *                                  host the carrier honours it: libcurl may then re-send a
 *                                  request a dead kept-alive connection swallowed
 *
 *   Connections (http_properties): a POST body goes through a reader libcurl cannot rewind,
 *   so POST carriers keep their connections alive and a request that dies on a reused one
 *   is UNKNOWN, never sent twice; a GET is kept alive only with idempotency_header.
 *   ca_file = "/etc/dunnd/gw-ca.pem";   CA bundle for the gateway's certificate
 *   require_tls = true;            refuse anything but https:// (default false)
 *
 *   Reading the answer (with jansson, lib/json.h). A "json rule" is `path=value`, or
 *   `path=v1|v2` for several values; the path walks object keys and array indexes
 *   ("data.0.sid", "data[0].sid"); the value found (string, number, true/false/null) is
 *   compared as text (json_text_at()), so code=0 matches 0 and "0" but not 0.0.
 *   success_status = "200-299";    codes and ranges, e.g. "200,201,202"
 *   success_json = "code=0";       a success status counts only if this matches
 *   success_substring = "OK";      a success status counts only if the body contains this
 *   message_id_json = "msgid";     where the carrier's message id is
 *   error_json = "msg";            where the carrier's error text is (default: the first of
 *                                  message, msg, errmsg, error_msg, error.message)
 *   transient_status = "429,503";  provably not taken: retry later (honours Retry-After)
 *   transient_json = "code=105";
 *   carrier_failure_status = "401,403";   account-wide (credentials, balance): pause carrier
 *   carrier_failure_json = "code=101|102";
 *   invalid_status = "";           the number is wrong (default none)
 *   invalid_json = "code=INVALID_NUMBER";
 *   A list option set to "" switches that list off.
 *
 * Template variables, in url, body and headers (http-template.h: the variables and how
 * each place escapes them): {{recipient}} {{text}} {{subject}} {{name}} {{unit}}
 * {{occurrence}} {{channel}} {{dispatch_id}} {{username}} {{password}}. An unknown
 * variable or an unclosed "{{" fails open(); a json body must be valid JSON once filled in.
 *
 * Classification in finish(), first match wins:
 *   1. transfer failed, nothing sent (resolve, connect, TLS)      -> TRANSIENT
 *      transfer failed after the request went out (timeout, reset,
 *      empty reply, truncated answer)                              -> UNKNOWN
 *   2. status in transient_status or transient_json matches        -> TRANSIENT (Retry-After)
 *   3. status in carrier_failure_status or carrier_failure_json    -> CARRIER_FAILURE
 *   4. status in invalid_status or invalid_json matches            -> INVALID_RECIPIENT
 *   5. status in success_status:
 *        success_json set, body empty or not JSON                  -> UNKNOWN (it reached the
 *                                                                     carrier, we can't tell)
 *        success_json/success_substring set and not matching       -> REJECTED (code in error)
 *        otherwise                                                 -> SENT (message_id_json)
 *   6. other 4xx -> REJECTED; other 5xx, 3xx, 1xx -> UNKNOWN (the gateway may have taken it).
 */

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "answer.h"
#include "carrier-net.h"
#include "dunnd-carrier.h"
#include "http-template.h"
#include "json.h"
#include "macro.h"
#include "options.h"

#define EXPORT __attribute__((visibility("default")))

#ifndef DUNND_VERSION
#define DUNND_VERSION "0"
#endif

#define MAX_HEADERS 9
#define JSON_VALUE_MAX 256

enum method {
        METHOD_POST,            /* the default */
        METHOD_GET,
};

enum body_type {
        BODY_FORM,              /* the default */
        BODY_JSON,
        BODY_RAW,
};

/* options_parse() writes an OPTION_ENUM as int */
_Static_assert(sizeof(enum method) == sizeof(int) && sizeof(enum body_type) == sizeof(int),
               "enum fields are ints");

/* "path=v1|v2": values[] point into `buf`. */
struct json_rule {
        char *buf;
        const char *path;
        const char **values;
        size_t n_values;
};

/* HTTP status codes 0..999 as a bitmap. */
struct status_set {
        uint64_t bits[16];
};

struct http_state {
        const struct dunnd_host *host;
        char *url, *body, *content_type, *username, *password, *idempotency_header, *ca_file;
        char *headers[MAX_HEADERS];
        size_t n_headers;
        bool require_tls, header_sets_content_type;
        enum method method;
        enum body_type body_type;
        struct status_set success_status, transient_status, carrier_failure_status,
                invalid_status;
        struct json_rule success_json, transient_json, carrier_failure_json, invalid_json;
        char *success_substring, *message_id_json, *error_json;
};

/* ---- status lists ---- */

static bool status_in(const struct status_set *s, long code) {
        return code >= 0 && code < 1000 && (s->bits[code / 64] >> (code % 64)) & 1;
}

/* "200-299", "200,201,202", "429, 503", "" (empty set). */
static int status_parse(const char *v, struct status_set *ret) {
        struct status_set s = {};
        const char *p = v;

        for (;;) {
                long a, b;
                char *e;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                a = strtol(p, &e, 10);
                if (e == p || a < 100 || a > 599)
                        return -EINVAL;
                b = a;
                p = e;
                while (*p == ' ')
                        p++;
                if (*p == '-') {
                        p++;
                        b = strtol(p, &e, 10);
                        if (e == p || b < a || b > 599)
                                return -EINVAL;
                        p = e;
                }
                for (long c = a; c <= b; c++)
                        s.bits[c / 64] |= UINT64_C(1) << (c % 64);
                while (*p == ' ')
                        p++;
                if (*p == ',')
                        p++;
                else if (*p)
                        return -EINVAL;
        }
        *ret = s;
        return 0;
}

/* ---- json rules ---- */

/* The rule's path holds one of its values, compared as text (json_text_at()). */
static bool rule_matches(const struct json_rule *r, const json_t *answer) {
        char v[JSON_VALUE_MAX];
        int n;

        if (!r->path || !answer)
                return false;
        n = json_text_at(answer, r->path, v, sizeof(v));
        if (n < 0 || strlen(v) != (size_t) n)   /* an embedded NUL never matches */
                return false;
        for (size_t i = 0; i < r->n_values; i++)
                if (strcmp(v, r->values[i]) == 0)
                        return true;
        return false;
}

static int rule_parse(const char *v, struct json_rule *ret) {
        struct json_rule r = {};
        char *eq, *p;
        size_t n = 1;

        r.buf = strdup(v);
        if (!r.buf)
                return -ENOMEM;
        eq = strchr(r.buf, '=');
        if (!eq)
                goto bad;
        *eq = 0;
        r.path = r.buf;
        if (!json_path_is_valid(r.path))
                goto bad;
        for (p = eq + 1; *p; p++)
                if (*p == '|')
                        n++;
        r.values = calloc(n, sizeof(char *));
        if (!r.values) {
                free(r.buf);
                return -ENOMEM;
        }
        for (p = eq + 1;;) {
                char *bar = strchr(p, '|');

                r.values[r.n_values++] = p;
                if (!bar)
                        break;
                *bar = 0;
                p = bar + 1;
        }
        *ret = r;
        return 0;
bad:
        free(r.buf);
        return -EINVAL;
}

static void rule_free(struct json_rule *r) {
        free(r->buf);
        free(r->values);
        *r = (struct json_rule) {};
}

static HttpEscape body_escape(enum body_type t) {
        return t == BODY_FORM ? HTTP_ESCAPE_URL : t == BODY_JSON ? HTTP_ESCAPE_JSON :
                                                  HTTP_ESCAPE_RAW;
}

static bool header_name_valid(const char *h, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                /* RFC 9110 token characters */
                if (!((h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z') ||
                      (h[i] >= '0' && h[i] <= '9') || strchr("!#$%&'*+-.^_`|~", h[i])))
                        return false;
        return true;
}

/* ---- options ---- */

static int parse_header(void *state, const OptionSpec *spec, const char *key, const char *v,
                        char *err, size_t errlen) {
        struct http_state *s = state;
        const char *colon = strchr(v, ':');

        (void) spec;
        (void) key;
        if (!colon || !header_name_valid(v, (size_t) (colon - v)) || option_value_has_control(v))
                return -EINVAL;
        if (s->n_headers >= MAX_HEADERS) {
                snprintf(err, errlen, "at most %d headers", MAX_HEADERS);
                return -EINVAL;
        }
        s->headers[s->n_headers] = strdup(v);
        if (!s->headers[s->n_headers])
                return -ENOMEM;
        s->n_headers++;
        if (colon - v == 12 && strncasecmp(v, "Content-Type", 12) == 0)
                s->header_sets_content_type = true;
        return 0;
}

static int parse_status_set(void *state, const OptionSpec *spec, const char *key,
                            const char *v, char *err, size_t errlen) {
        (void) key;
        (void) err;
        (void) errlen;
        return status_parse(v, (struct status_set *) ((char *) state + spec->offset));
}

static int parse_rule(void *state, const OptionSpec *spec, const char *key, const char *v,
                      char *err, size_t errlen) {
        struct json_rule *rule = (struct json_rule *) ((char *) state + spec->offset);

        (void) key;
        (void) err;
        (void) errlen;
        rule_free(rule);
        return rule_parse(v, rule);
}

static bool is_header_name(const char *v) {
        return header_name_valid(v, strlen(v));
}

#define STATUS_HELP "HTTP status codes 100-599 and ranges, like \"200-299\" or \"429,503\""
#define RULE_HELP "path=value, like \"code=0\" or \"result.status=OK|QUEUED\""
#define PATH_HELP "a path like \"data.msgid\" or \"data[0].sid\""
#define FIELD(f) .offset = offsetof(struct http_state, f)

static const char *const methods[] = { "POST", "GET", NULL };
static const char *const body_types[] = { [BODY_FORM] = "form", [BODY_JSON] = "json",
                                          [BODY_RAW] = "raw", NULL };

static const OptionSpec http_options[] = {
        { .key = "url", .kind = OPTION_STRING, FIELD(url), .flags = OPTION_REQUIRED },
        { .key = "method", .kind = OPTION_ENUM, FIELD(method), .values = methods },
        { .key = "body", .kind = OPTION_SECRET, FIELD(body) },
        { .key = "body_type", .kind = OPTION_ENUM, FIELD(body_type), .values = body_types },
        { .key = "content_type", .kind = OPTION_STRING, FIELD(content_type),
          .flags = OPTION_NO_CONTROL },
        { .key = "header", .kind = OPTION_CUSTOM, .numbered = MAX_HEADERS, .parse = parse_header,
          .help = "one 'Name: value' header line" },
        { .key = "username", .kind = OPTION_STRING, FIELD(username) },
        { .key = "password", .kind = OPTION_SECRET, FIELD(password) },
        { .key = "idempotency_header", .kind = OPTION_STRING, FIELD(idempotency_header),
          .valid = is_header_name, .help = "a header name like \"Idempotency-Key\"" },
        { .key = "ca_file", .kind = OPTION_FILE, FIELD(ca_file) },
        { .key = "require_tls", .kind = OPTION_BOOL, FIELD(require_tls) },
        { .key = "success_status", .kind = OPTION_CUSTOM, FIELD(success_status),
          .parse = parse_status_set, .help = STATUS_HELP },
        { .key = "success_json", .kind = OPTION_CUSTOM, FIELD(success_json), .parse = parse_rule,
          .help = RULE_HELP },
        { .key = "success_substring", .kind = OPTION_STRING, FIELD(success_substring) },
        { .key = "message_id_json", .kind = OPTION_STRING, FIELD(message_id_json),
          .valid = json_path_is_valid, .help = PATH_HELP },
        { .key = "error_json", .kind = OPTION_STRING, FIELD(error_json),
          .valid = json_path_is_valid, .help = PATH_HELP },
        { .key = "transient_status", .kind = OPTION_CUSTOM, FIELD(transient_status),
          .parse = parse_status_set, .help = STATUS_HELP },
        { .key = "transient_json", .kind = OPTION_CUSTOM, FIELD(transient_json),
          .parse = parse_rule, .help = RULE_HELP },
        { .key = "carrier_failure_status", .kind = OPTION_CUSTOM, FIELD(carrier_failure_status),
          .parse = parse_status_set, .help = STATUS_HELP },
        { .key = "carrier_failure_json", .kind = OPTION_CUSTOM, FIELD(carrier_failure_json),
          .parse = parse_rule, .help = RULE_HELP },
        { .key = "invalid_status", .kind = OPTION_CUSTOM, FIELD(invalid_status),
          .parse = parse_status_set, .help = STATUS_HELP },
        { .key = "invalid_json", .kind = OPTION_CUSTOM, FIELD(invalid_json), .parse = parse_rule,
          .help = RULE_HELP },
};

/* ---- open/close ---- */

static void http_close(void *state) {
        struct http_state *s = state;

        if (!s)
                return;
        options_free(http_options, ELEMENTSOF(http_options), s);
        for (size_t i = 0; i < s->n_headers; i++)
                net_free_secret(s->headers[i]);
        rule_free(&s->success_json);
        rule_free(&s->transient_json);
        rule_free(&s->carrier_failure_json);
        rule_free(&s->invalid_json);
        free(s);
}

static int check_templates(struct http_state *s, char *err, size_t errlen) {
        static const struct dunnd_message sample = {
                .dispatch_id = 1, .occurrence = "deadline@2026-12-14T09:30", .channel = "sms",
                .recipient = "13800000000", .recipient_name = "张三", .unit = "1-1-101",
                .subject = "s", .text = "\"x\"\n",
        };
        _cleanup_(json_decrefp) json_t *doc = NULL;
        _cleanup_(buf_wipep) Buf b = {};
        HttpTemplateVars v;
        int r;

        r = http_template_check(s->url, "url", err, errlen);
        for (size_t i = 0; r >= 0 && i < s->n_headers; i++)
                r = http_template_check(s->headers[i], "header", err, errlen);
        if (r >= 0 && s->body)
                r = http_template_check(s->body, "body", err, errlen);
        if (r < 0 || !s->body || s->body_type != BODY_JSON)
                return r;
        http_template_vars_init(&v, &sample, s->username, s->password);
        http_template_render(s->body, &v, HTTP_ESCAPE_JSON, &b);
        if (b.oom)
                return -ENOMEM;
        if (json_read(b.data, b.len, &doc) == -EBADMSG) {
                snprintf(err, errlen, "option 'body': body_type is json but the body is not "
                         "valid JSON once the variables are filled in (are string variables "
                         "inside quotes, \"{{text}}\"?)");
                return -EINVAL;
        }
        return 0;
}

static int default_content_type(struct http_state *s) {
        static const char *const types[] = {
                [BODY_FORM] = "application/x-www-form-urlencoded",
                [BODY_JSON] = "application/json; charset=utf-8",
                [BODY_RAW] = "text/plain; charset=utf-8",
        };

        if (s->content_type || s->header_sets_content_type || s->method != METHOD_POST)
                return 0;
        s->content_type = strdup(types[s->body_type]);
        return s->content_type ? 0 : -ENOMEM;
}

/* The checks that involve several options. */
static int http_check(const struct http_state *s, char *err, size_t errlen) {
        int r;

        r = net_check_url(s->url, s->require_tls, err, errlen);
        if (r < 0)
                return r;
        if (s->method == METHOD_GET && s->body) {
                snprintf(err, errlen, "option 'body' needs method POST (a GET sends no body; put "
                         "the parameters into 'url')");
                return -EINVAL;
        }
        return 0;
}

static int http_open(const struct dunnd_option *options, size_t n_options,
                     const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct http_state *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->host = host;
        err[0] = 0;
        /* the defaults; an option replaces a whole list ("" empties it) */
        (void) status_parse("200-299", &s->success_status);
        (void) status_parse("429,503", &s->transient_status);
        (void) status_parse("401,403", &s->carrier_failure_status);
        r = options_parse(http_options, ELEMENTSOF(http_options), "http", options, n_options, s,
                          err, errlen);
        if (r >= 0)
                r = http_check(s, err, errlen);
        if (r >= 0)
                r = default_content_type(s);
        if (r >= 0)
                r = check_templates(s, err, errlen);
        if (r < 0) {
                if (r == -ENOMEM && !err[0])
                        snprintf(err, errlen, "out of memory");
                http_close(s);
                return r;
        }
        if (s->username && strncasecmp(s->url, "http://", 7) == 0 && host && host->log)
                host->log(host->host_data, DUNND_LOG_WARNING, "basic auth over plain http:// "
                          "sends the password readable on the wire; use https://");
        *ret_state = s;
        return 0;
}

/* Connections may be kept alive (dunnd-carrier.h) for a POST, whose body goes through a
 * reader libcurl cannot rewind for its silent re-send (net_request_attach_body), and for a
 * request with an idempotency key, whose re-send the carrier drops. A GET has no body to
 * refuse: libcurl re-sends it freely, so it must not claim REUSE_SAFE. */
static uint32_t http_properties(void *state) {
        const struct http_state *s = state;

        if (!s)
                return 0;
        if (s->idempotency_header)
                return DUNND_CARRIER_IDEMPOTENT;
        return s->method == METHOD_POST ? DUNND_CARRIER_REUSE_SAFE : 0;
}

/* ---- prepare/finish ---- */

static int add_headers(NetRequest *q, const struct http_state *s, const HttpTemplateVars *v) {
        _cleanup_(buf_wipep) Buf line = {};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < s->n_headers; i++) {
                buf_clear(&line);
                http_template_render(s->headers[i], v, HTTP_ESCAPE_HEADER, &line);
                r = line.oom ? -ENOMEM : net_request_add_header(q, line.data);
        }
        if (r >= 0 && s->idempotency_header) {
                buf_clear(&line);
                buf_printf(&line, "%s: dunnd-%s", s->idempotency_header, v->dispatch_id);
                r = line.oom ? -ENOMEM : net_request_add_header(q, line.data);
        }
        if (r < 0 || s->method != METHOD_POST)
                return r;
        if (s->content_type) {
                buf_clear(&line);
                buf_printf(&line, "Content-Type: %s", s->content_type);
                r = line.oom ? -ENOMEM : net_request_add_header(q, line.data);
        }
        /* libcurl would wait up to a second for "100 Continue" before sending a larger
         * body; many gateways never send it */
        if (r >= 0)
                r = net_request_add_header(q, "Expect:");
        return r;
}

static CURLcode set_request(CURL *easy, const struct http_state *s, const char *url,
                            const NetRequest *q) {
        const char *protocols = s->require_tls ? "https" : "http,https";
        CURLcode c = CURLE_OK;

#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(easy, opt, val); } while (0)
        SET(CURLOPT_PROTOCOLS_STR, protocols);
        SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
        SET(CURLOPT_URL, url);                  /* copied by libcurl */
        SET(CURLOPT_USERAGENT, "dunnd/" DUNND_VERSION);
        if (s->method == METHOD_GET)
                SET(CURLOPT_HTTPGET, 1L);
        if (q->headers)
                SET(CURLOPT_HTTPHEADER, q->headers);
        if (s->username) {
                SET(CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                SET(CURLOPT_USERNAME, s->username);
                SET(CURLOPT_PASSWORD, strempty(s->password));
        }
        if (s->ca_file)
                SET(CURLOPT_CAINFO, s->ca_file);
#undef SET
        return c;
}

static int http_prepare(void *state, const struct dunnd_message *m, dunnd_curl_easy *easy,
                        void **ret_req) {
        struct http_state *s = state;
        _cleanup_(buf_wipep) Buf url = {};
        HttpTemplateVars v;
        NetRequest *q;
        CURLcode cc;
        int r;

        r = net_request_new(easy, m->recipient, &q);
        if (r < 0)
                return r;
        http_template_vars_init(&v, m, s->username, s->password);
        http_template_render(s->url, &v, HTTP_ESCAPE_URL, &url);
        r = url.oom ? -ENOMEM : add_headers(q, s, &v);
        if (r >= 0 && s->method == METHOD_POST) {
                if (s->body)
                        http_template_render(s->body, &v, body_escape(s->body_type), &q->body);
                else
                        buf_add(&q->body, "", 0);
                /* the idempotency key makes libcurl's re-send harmless: let it rewind */
                r = q->body.oom ? -ENOMEM : net_request_attach_body(q, s->idempotency_header != NULL);
        }
        if (r < 0)
                goto fail;
        cc = set_request(easy, s, url.data, q);
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

/* The text at path in the answer, or NULL. */
static const char *answer_text(const json_t *answer, const char *path, char buf[JSON_VALUE_MAX]) {
        return json_text_at(answer, path, buf, JSON_VALUE_MAX) >= 0 ? buf : NULL;
}

/* The carrier's own words for the log: "code=1001: 余额不足", else the start of the body. */
static void describe_answer(const struct http_state *s, const char *recipient, long status,
                            const json_t *answer, const char *body, size_t len, char *dst,
                            size_t size) {
        static const char *const error_paths[] = {
                "message", "msg", "errmsg", "error_msg", "error.message", "description", NULL,
        };
        char code[96] = "", text[160] = "", buf[JSON_VALUE_MAX];
        const struct json_rule *code_rules[] = {
                &s->success_json, &s->invalid_json, &s->carrier_failure_json, &s->transient_json,
        };
        const char *v = NULL;

        if (!answer) {
                answer_excerpt_masked(text, sizeof(text), body, len, 120, recipient);
                snprintf(dst, size, "HTTP %ld%s%s", status, text[0] ? ": " : "", text);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(code_rules) && !code[0]; i++)
                if (code_rules[i]->path && (v = answer_text(answer, code_rules[i]->path, buf))) {
                        answer_excerpt_masked(text, sizeof(text), v, strlen(v), 48, recipient);
                        snprintf(code, sizeof(code), "%.40s=%.52s", code_rules[i]->path, text);
                }
        if (!code[0] && (v = answer_text(answer, "code", buf))) {
                answer_excerpt_masked(text, sizeof(text), v, strlen(v), 48, recipient);
                snprintf(code, sizeof(code), "code=%.88s", text);
        }
        text[0] = 0;
        if (s->error_json)
                v = answer_text(answer, s->error_json, buf);
        else
                for (size_t i = 0; error_paths[i]; i++)
                        if ((v = answer_text(answer, error_paths[i], buf)))
                                break;
        if (v)
                answer_excerpt_masked(text, sizeof(text), v, strlen(v), 120, recipient);
        if (!code[0] && !text[0])
                answer_excerpt_masked(text, sizeof(text), body, len, 120, recipient);
        snprintf(dst, size, "HTTP %ld%s%s%s%s", status, code[0] || text[0] ? ": " : "", code,
                 code[0] && text[0] ? " " : "", text);
}

/* SENT, with the carrier's message id when message_id_json finds one that fits. */
static void answer_sent(const struct http_state *s, const json_t *answer,
                        struct dunnd_outcome *out) {
        char id[JSON_VALUE_MAX];
        int n;

        out->klass = DUNND_OUTCOME_SENT;
        if (!s->message_id_json)
                return;
        n = json_text_at(answer, s->message_id_json, id, sizeof(id));
        /* a cut id would match nothing when reports come back */
        if (n >= 0 && strlen(id) < sizeof(out->message_id))
                memcpy(out->message_id, id, strlen(id) + 1);
        else if (n >= 0 || n == -ENOBUFS)
                snprintf(out->error, sizeof(out->error), "message id longer than %zu bytes, "
                         "not kept", sizeof(out->message_id) - 1);
}

/* The answer of a completed transfer; finish() in net_request_finish() has dealt with a
 * failed one. */
static void classify_answer(void *state, const NetRequest *q, long status, const char *body,
                            size_t len, struct dunnd_outcome *out) {
        const struct http_state *s = state;
        const char *rcpt = q ? q->recipient : NULL;
        _cleanup_(json_decrefp) json_t *answer = NULL;
        int r;

        /* once, for every rule below; not JSON (or too big for memory) leaves it NULL */
        r = json_read(body, len, &answer);
        if (r < 0)
                answer = NULL;
        if (status_in(&s->transient_status, status) || rule_matches(&s->transient_json, answer)) {
                out->klass = DUNND_OUTCOME_TRANSIENT;
                out->retry_after_ms = net_retry_after_ms(q ? q->easy : NULL);
                describe_answer(s, rcpt, status, answer, body, len, out->error, sizeof(out->error));
                return;
        }
        if (status_in(&s->carrier_failure_status, status) ||
            rule_matches(&s->carrier_failure_json, answer)) {
                out->klass = DUNND_OUTCOME_CARRIER_FAILURE;
                describe_answer(s, rcpt, status, answer, body, len, out->error, sizeof(out->error));
                return;
        }
        if (status_in(&s->invalid_status, status) || rule_matches(&s->invalid_json, answer)) {
                out->klass = DUNND_OUTCOME_INVALID_RECIPIENT;
                describe_answer(s, rcpt, status, answer, body, len, out->error, sizeof(out->error));
                return;
        }
        if (status_in(&s->success_status, status)) {
                if (s->success_json.path) {
                        if (!answer) {
                                /* it reached the carrier; a garbled answer may still mean sent */
                                char text[96];

                                out->klass = DUNND_OUTCOME_UNKNOWN;
                                answer_excerpt_masked(text, sizeof(text), body, len, 80, rcpt);
                                snprintf(out->error, sizeof(out->error), "HTTP %ld with %s: %s",
                                         status, len ? "an answer that is not JSON" :
                                         "an empty answer", text);
                                return;
                        }
                        if (!rule_matches(&s->success_json, answer)) {
                                out->klass = DUNND_OUTCOME_REJECTED;
                                describe_answer(s, rcpt, status, answer, body, len, out->error,
                                                sizeof(out->error));
                                return;
                        }
                }
                if (s->success_substring) {
                        if (len == 0) {
                                out->klass = DUNND_OUTCOME_UNKNOWN;
                                snprintf(out->error, sizeof(out->error), "HTTP %ld with an empty "
                                         "answer", status);
                                return;
                        }
                        if (!answer_contains(body, len, s->success_substring)) {
                                out->klass = DUNND_OUTCOME_REJECTED;
                                describe_answer(s, rcpt, status, answer, body, len, out->error,
                                                sizeof(out->error));
                                return;
                        }
                }
                answer_sent(s, answer, out);
                return;
        }
        out->klass = status >= 400 && status < 500 ? DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_UNKNOWN;
        describe_answer(s, rcpt, status, answer, body, len, out->error, sizeof(out->error));
}

static void http_finish(void *state, void *req, int curl_code, int request_sent, long status,
                        const char *body, size_t len, struct dunnd_outcome *out) {
        net_request_finish(req, state, curl_code, request_sent, status, body, len, out,
                           classify_answer);
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "http",
        .channel = NULL,
        .open = http_open,
        .prepare = http_prepare,
        .finish = http_finish,
        .close = http_close,
        .properties = http_properties,
};
