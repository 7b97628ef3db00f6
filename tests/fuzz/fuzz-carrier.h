/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the carrier harnesses (fuzz-http-response.c, fuzz-kannel-response.c,
 * fuzz-smtp-dialogue.c) share: a silent host, the NUL check, and for the two HTTP carriers
 * the reading of a fuzz input as an answer and the part of finish()'s contract they have in
 * common. Included after the plugin's source, which the harness includes so that its
 * static functions are reachable (its exported dunnd_carrier is harmless here).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dunnd-carrier.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_quiet(void *host_data, enum dunnd_log_level level, const char *fmt, ...) {
        (void) host_data;
        (void) level;
        (void) fmt;
}

static const struct dunnd_host fuzz_host = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_host),
        .log = fuzz_quiet,
};

static inline void fuzz_curl_init(void) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                abort();
}

static inline bool fuzz_terminated(const char *a, size_t n) {
        return memchr(a, 0, n) != NULL;
}

/* ---- the HTTP carriers: an answer, and what finish() must make of it ---- */

#define FUZZ_RCPT "13912345678"
#define FUZZ_RCPT_HIDDEN "1391234"      /* more digits than the 139****5678 mask shows */

/* The transfer errors an input picks from; CURLE_SEND_FAIL_REWIND is libcurl's refused
 * silent re-send on a reused connection. */
static const int fuzz_transfer_errors[] = {
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
        CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_SSL_CONNECT_ERROR,
        CURLE_PARTIAL_FILE, CURLE_SEND_FAIL_REWIND,
};

#define FUZZ_N_ERRORS (sizeof(fuzz_transfer_errors) / sizeof(fuzz_transfer_errors[0]))

typedef struct FuzzAnswer {
        long status;
        int request_sent;
        int curl_code;
        bool flag;              /* bit 15: for the harness (the http one picks a config) */
        char *body;             /* a heap copy of exactly len bytes, not NUL-terminated */
        size_t len;
} FuzzAnswer;

/* Input: bytes 0-1 (little endian) = status (bits 0-8: 100 + v % 500), request_sent (bit
 * 9), curl code (bits 10-14: below 32 - FUZZ_N_ERRORS CURLE_OK, else a transfer error) and
 * the flag (bit 15); the rest is the body, in a heap copy of exactly its size so that ASan
 * sees any over-read. Returns false for an input too short or too long. */
static inline bool fuzz_answer_read(const uint8_t *data, size_t size, FuzzAnswer *a) {
        unsigned v, idx;

        if (size < 2 || size > 65536)
                return false;
        v = data[0] | (unsigned) data[1] << 8;
        idx = (v >> 10) & 0x1f;
        *a = (FuzzAnswer) {
                .status = 100 + (long) ((v & 0x1ff) % 500),
                .request_sent = (v >> 9) & 1,
                .curl_code = idx < 32 - FUZZ_N_ERRORS ? CURLE_OK :
                             fuzz_transfer_errors[idx - (32 - FUZZ_N_ERRORS)],
                .flag = v >> 15,
                .len = size - 2,
        };
        a->body = malloc(a->len ? a->len : 1);
        if (!a->body)
                return false;
        memcpy(a->body, data + 2, a->len);
        return true;
}

static inline size_t fuzz_count(const char *h, size_t n, const char *needle) {
        size_t c = 0, l = strlen(needle);

        for (const char *p = h; n >= l && (p = memmem(p, n - (size_t) (p - h), needle, l)); p++)
                c++;
        return c;
}

/* A cut through the recipient left its hidden digits readable: they are in the error,
 * and the answer has them only as part of the whole number (which had to be masked). */
static inline bool fuzz_partial_leak(const char *error, const char *body, size_t len) {
        return strstr(error, FUZZ_RCPT_HIDDEN) &&
               fuzz_count(body, len, FUZZ_RCPT_HIDDEN) == fuzz_count(body, len, FUZZ_RCPT);
}

/*
 * What finish() must make of any answer:
 *   - out->klass is a valid class, retry_after_ms is not negative;
 *   - out->error and out->message_id are NUL-terminated inside their arrays;
 *   - the recipient never appears unmasked in out->error, nor cut short unless the harness
 *     knows why it may (check_partial false);
 *   - a message id only comes with SENT;
 *   - a failed transfer is UNKNOWN when the request went out or libcurl's re-send was
 *     refused, else TRANSIENT.
 */
static inline void fuzz_check_outcome(const struct dunnd_outcome *out, const FuzzAnswer *a,
                                      bool check_partial) {
        if ((int) out->klass < 0 || out->klass >= _DUNND_OUTCOME_MAX || out->retry_after_ms < 0)
                abort();
        if (!fuzz_terminated(out->error, sizeof(out->error)) ||
            !fuzz_terminated(out->message_id, sizeof(out->message_id)))
                abort();
        if (strstr(out->error, FUZZ_RCPT) ||
            (check_partial && fuzz_partial_leak(out->error, a->body, a->len))) {
                fprintf(stderr, "unmasked recipient in \"%s\"\n", out->error);
                abort();
        }
        if (out->message_id[0] && out->klass != DUNND_OUTCOME_SENT)
                abort();
        if (a->curl_code != CURLE_OK &&
            out->klass != (a->request_sent || a->curl_code == CURLE_SEND_FAIL_REWIND ?
                           DUNND_OUTCOME_UNKNOWN : DUNND_OUTCOME_TRANSIENT))
                abort();
}
