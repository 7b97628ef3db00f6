/* SPDX-License-Identifier: MIT */
#pragma once

/* What the host sets on every easy handle before a network plugin's prepare() sees it, and
 * the one way a plugin hands libcurl a request body. Both live here so that the daemon, the
 * plugins and their unit tests use the same code, not copies that drift.
 *
 * Why bodies go through a reader that cannot rewind: libcurl 7.88 re-sends a request on a
 * fresh connection by itself when a reused keep-alive connection turns out dead after the
 * request was written (Curl_retry_request). For an SMS API that is a second message the
 * program never hears of. To re-send a body libcurl must rewind it; the seek callback here
 * refuses, so libcurl fails that transfer with CURLE_SEND_FAIL_REWIND instead. The transfer
 * may have reached the carrier, so the host records it `unknown` — reported, never re-sent.
 * Connections can then stay alive, which saves a TCP (and TLS) handshake per message.
 *
 * Requests without a body (GET) give libcurl nothing to rewind: a carrier that sends them
 * must not declare DUNND_CARRIER_REUSE_SAFE, and the host forbids reuse for it. */

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct EasyDefaults {
        long connect_timeout_ms;
        long timeout_ms;
        bool keep_alive;        /* false: CURLOPT_FORBID_REUSE */
} EasyDefaults;

/* NOSIGNAL, the timeouts, TLS peer and host verification, https as the only protocol until
 * the plugin allows another, TCP_NODELAY, and FORBID_REUSE unless keep_alive. Returns 0 or
 * -ENOMEM/-EINVAL. */
int easy_apply_defaults(CURL *easy, const EasyDefaults *d);

typedef struct RequestBody {
        const char *data;       /* owned by the caller; must outlive the transfer */
        size_t len, pos;
        bool rewindable;        /* the request carries an idempotency key the carrier honours */
        bool rewind_refused;    /* set when libcurl asked to rewind and was refused: it wanted
                                 * to send this request again, so the first one left */
} RequestBody;

/* Makes the transfer a POST of data (len bytes) read through a reader that refuses to
 * rewind — unless rewindable: a carrier that drops a repeated idempotency key may get
 * libcurl's re-send, which then ends `sent` instead of `unknown`. b must outlive the
 * transfer (keep it in the plugin's request). Returns 0 or -ENOMEM/-EINVAL. */
int request_body_attach(CURL *easy, RequestBody *b, const char *data, size_t len,
                        bool rewindable);

/* The read and seek callbacks themselves, for uploads that set their own options (SMTP):
 * CURLOPT_READDATA and CURLOPT_SEEKDATA are the RequestBody. */
size_t request_body_read(char *ptr, size_t size, size_t nmemb, void *userdata);
int request_body_seek(void *userdata, curl_off_t offset, int origin);
