/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the network carriers (http, kannel) share: the request prepare() hands to finish(),
 * the frame of finish() itself (a failed transfer classified by whether the request left,
 * the recipient masked in the error, the request freed), Retry-After, and freeing what held
 * secrets. It lives in lib/ (built -fvisibility=hidden) so every plugin links one copy and
 * still exports nothing but dunnd_carrier.
 */

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "curl-easy.h"
#include "dunnd-carrier.h"

typedef struct NetRequest {
        CURL *easy;                     /* the host's handle: finish() reads Retry-After */
        struct curl_slist *headers;     /* may carry credentials: wiped when freed */
        Buf body;                       /* may carry the message: wiped when freed */
        RequestBody reader;             /* how libcurl reads body (net_request_attach_body) */
        char *recipient;                /* masked wherever the answer quotes it */
} NetRequest;

/* A request for message recipient on easy. Returns 0 or -ENOMEM. */
int net_request_new(CURL *easy, const char *recipient, NetRequest **ret);
/* Wipes and frees; NULL is fine. Returns NULL. */
NetRequest *net_request_free(NetRequest *q);
/* Appends one "Name: value" line (copied) to the request's headers. Returns 0 or -ENOMEM. */
int net_request_add_header(NetRequest *q, const char *line);
/* Makes the transfer a POST of q->body through request_body_attach() (curl-easy.h): a
 * reader libcurl cannot rewind, so a request that died on a reused keep-alive connection
 * is not re-sent behind our back but fails, and is recorded UNKNOWN. rewindable: the
 * request carries an idempotency key the carrier honours, so the re-send is harmless.
 * Returns 0, -ENOMEM or -EINVAL. */
int net_request_attach_body(NetRequest *q, bool rewindable);

/* Classifies the answer of a transfer that completed (curl_code CURLE_OK). */
typedef void (*NetAnswerClassify)(void *state, const NetRequest *q, long status,
                                  const char *body, size_t len, struct dunnd_outcome *out);

/* A network carrier's finish(): fills in *out (a failed transfer by
 * net_classify_transport(), an answer by classify), masks the recipient in out->error and
 * frees q. body may be NULL. */
void net_request_finish(NetRequest *q, void *state, int curl_code, int request_sent,
                        long status, const char *body, size_t len, struct dunnd_outcome *out,
                        NetAnswerClassify classify);

/*
 * The transfer failed before an answer was read. Whether the carrier may have acted on the
 * message depends only on whether any byte of the request left: a refused connection, a
 * failed name lookup or TLS handshake cannot have sent anything (TRANSIENT), a timeout or
 * reset after the request went out can have (UNKNOWN). libcurl asks to rewind a body only
 * to send it again, after it went out once: CURLE_SEND_FAIL_REWIND, or a refused rewind
 * (rewind_refused, whatever error the transfer then ends with), is UNKNOWN even should
 * request_sent say nothing left. Returns true if it classified.
 */
bool net_classify_transport(int curl_code, int request_sent, bool rewind_refused,
                            struct dunnd_outcome *out);

/* Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; 0 when absent,
 * unparseable or in the past (the host then uses its own backoff). Capped at a day so a
 * broken gateway cannot park a message forever. */
int64_t net_retry_after_ms(CURL *easy);

/* Checks option 'url' names http:// or https:// (only https:// when require_tls). Returns 0,
 * or -EINVAL with the reason in err. */
int net_check_url(const char *url, bool require_tls, char *err, size_t errlen);

/* Frees a string after wiping it (passwords, tokens, bodies); NULL is fine. */
void net_free_secret(char *s);
/* Frees a header list after wiping it: lines carry Authorization and X-Kannel-Password. */
void net_slist_free(struct curl_slist *l);
