/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The dunnd carrier plugin ABI.
 *
 * A carrier is a shared object in the plugin directory that exports exactly one symbol,
 * `dunnd_carrier`, a `const struct dunnd_carrier`. The host dlopen()s it with
 * RTLD_NOW|RTLD_LOCAL, refuses it unless `abi == DUNND_CARRIER_ABI`, and reads a member
 * only when `size` covers it: the struct is append-only, new members go at the end.
 *
 * The host owns concurrency, retries, rate limits and the outbox. A plugin only turns one
 * message into one request and one response into one classified outcome, so it can be
 * unit-tested without a network and without the host:
 *
 *   network carriers  implement prepare() (fill in the curl easy handle the host created,
 *                     with safe defaults already set) and finish() (classify the answer);
 *   local carriers    implement deliver() (do the whole send synchronously) instead.
 *
 * Plugins never see libconfig: their config section arrives as key/value strings, and
 * open() names any key it does not know in `err`. A key ending in "_credential" never
 * reaches the plugin: the host replaces `password_credential = "kannel"` by `password` with
 * the contents of $CREDENTIALS_DIRECTORY/kannel (systemd LoadCredential=). The keys the host
 * itself reads (name, plugin, channel, concurrency, rate, burst, max_attempts, max_age,
 * timeout, connect_timeout, failure_threshold, pause) are not passed either. Plugins log only
 * through host->log, and never log secrets or unmasked recipients.
 *
 * Network carriers: the host creates the easy handle with NOSIGNAL, connect and total
 * timeouts, TLS peer and host verification on, TCP_NODELAY, a write callback that collects
 * the response body (at most 1 MiB) and CURLOPT_PRIVATE (do not touch) — the code is
 * easy_apply_defaults() in lib/curl-easy.h, which the plugins' tests use too. libcurl
 * silently re-sends a request on a fresh connection when a reused keep-alive connection
 * turns out dead, which for an SMS API is a duplicate message; so the host keeps a
 * carrier's connections alive only when its properties() say that cannot happen:
 * DUNND_CARRIER_REUSE_SAFE (every request body goes through request_body_attach(), a reader
 * libcurl cannot rewind, so the re-send fails with CURLE_SEND_FAIL_REWIND instead and the
 * row is recorded `unknown`; or the transfer is an upload libcurl never retries, as SMTP)
 * or DUNND_CARRIER_IDEMPOTENT; otherwise it sets CURLOPT_FORBID_REUSE. prepare() sets the
 * URL, the allowed protocols (CURLOPT_PROTOCOLS_STR), method, headers and body, keeping
 * whatever must outlive the call (header lists, bodies) in its *ret_req. The easy handle
 * stays valid until finish() returns, so finish() may query it (curl_easy_header for
 * Retry-After, CURLINFO_*). finish() frees the request.
 */

#include <stddef.h>
#include <stdint.h>

#define DUNND_CARRIER_ABI 1u
#define DUNND_CARRIER_SYMBOL "dunnd_carrier"

/* Avoid a hard dependency on curl.h for local carriers: the host passes CURL* as void*. */
typedef void dunnd_curl_easy;

enum dunnd_outcome_class {
        DUNND_OUTCOME_SENT = 0,          /* carrier accepted it (not necessarily delivered) */
        DUNND_OUTCOME_TRANSIENT,         /* provably not taken: retry later (retry_after_ms) */
        DUNND_OUTCOME_THROTTLED,         /* per-recipient cap: defer to the end of its window */
        DUNND_OUTCOME_INVALID_RECIPIENT, /* permanent: the contact is wrong; fail over */
        DUNND_OUTCOME_REJECTED,          /* permanent for this message (content refused) */
        DUNND_OUTCOME_UNKNOWN,           /* may have gone out: never re-send blindly */
        DUNND_OUTCOME_CARRIER_FAILURE,   /* credentials, balance, signature: pause carrier */
        _DUNND_OUTCOME_MAX,
};

enum dunnd_log_level {
        DUNND_LOG_ERR = 3,
        DUNND_LOG_WARNING = 4,
        DUNND_LOG_NOTICE = 5,
        DUNND_LOG_INFO = 6,
        DUNND_LOG_DEBUG = 7,
};

struct dunnd_option {
        const char *key;
        const char *value;
};

struct dunnd_host {
        uint32_t abi;
        uint32_t size;
        /* Personal data must not be passed here unmasked; the host adds the carrier name. */
        void (*log)(void *host_data, enum dunnd_log_level level, const char *fmt, ...)
                __attribute__((format(printf, 3, 4)));
        void *host_data;
};

struct dunnd_message {
        uint64_t dispatch_id;     /* the outbox row; unique, usable as an idempotency key */
        const char *occurrence;   /* "deadline@2026-12-14T09:30" */
        const char *channel;      /* "sms" | "email" | "wechat" */
        const char *recipient;    /* 11-digit mobile, e-mail address or WeChat openid */
        const char *recipient_name;
        const char *unit;         /* "3-2-1201" */
        const char *subject;      /* e-mail subject, NULL for other channels */
        const char *text;         /* rendered UTF-8 text */
};

struct dunnd_outcome {
        enum dunnd_outcome_class klass;
        int64_t retry_after_ms;   /* for TRANSIENT/THROTTLED; 0 = host decides */
        char message_id[128];     /* carrier's id for the message, if any */
        char error[256];          /* carrier's code and text, for the log */
};

struct dunnd_carrier {
        uint32_t abi;             /* DUNND_CARRIER_ABI */
        uint32_t size;            /* sizeof(struct dunnd_carrier) the plugin was built with */
        const char *name;         /* "file", "kannel", ... */
        const char *channel;      /* the channel it serves: "sms", "email" or "wechat"; NULL = any */

        /* Validate options and set up. Returns 0 or a negative errno with `err` filled. */
        int (*open)(const struct dunnd_option *options, size_t n_options,
                    const struct dunnd_host *host, void **ret_state, char *err, size_t errlen);

        /* Network carriers: fill in `easy` for message `m`; *ret_req is handed to finish(). */
        int (*prepare)(void *state, const struct dunnd_message *m, dunnd_curl_easy *easy,
                       void **ret_req);
        /* curl_code is the CURLcode of the transfer; request_sent tells whether any byte of
         * the request was written to the connection (CURLINFO_REQUEST_SIZE > 0): when it was,
         * a failure without an answer means the carrier may have acted on it -> UNKNOWN, never
         * TRANSIENT. status is CURLINFO_RESPONSE_CODE (HTTP status, or the last SMTP reply). */
        void (*finish)(void *state, void *req, int curl_code, int request_sent, long status,
                       const char *body, size_t len, struct dunnd_outcome *out);

        /* Local carriers: deliver synchronously and classify. */
        void (*deliver)(void *state, const struct dunnd_message *m, struct dunnd_outcome *out);

        void (*close)(void *state);

        /* --- appended in ABI 1: the host reads these only when `size` covers them --- */

        /* DUNND_CARRIER_IDEMPOTENT: this carrier's requests carry an idempotency key the
         * carrier honours, so a silent re-send by libcurl is harmless and connections may be
         * kept alive. NULL or 0 = not idempotent. */
        uint32_t (*properties)(void *state);
};

#define DUNND_CARRIER_IDEMPOTENT (1u << 0)
/* DUNND_CARRIER_REUSE_SAFE: libcurl cannot silently re-send this carrier's requests (bodies
 * through request_body_attach(), or uploads it never retries), so connections may be kept
 * alive. A carrier that sends requests without a body (GET) must not claim it. */
#define DUNND_CARRIER_REUSE_SAFE (1u << 1)

/* The size of the members every ABI-1 plugin has. */
#define DUNND_CARRIER_MIN_SIZE (offsetof(struct dunnd_carrier, close) + sizeof(void (*)(void *)))

/* The one symbol a carrier exports. */
extern const struct dunnd_carrier dunnd_carrier;
