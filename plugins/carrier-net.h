/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Helpers shared by the network carriers (http.c, kannel.c). Plugins do not link the host
 * library, so what they have in common lives here as static inline functions: each .so gets
 * its own copy and nothing but `dunnd_carrier` is exported.
 */

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

static inline void net_free_secret(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

/* Header lists can carry Authorization and X-Kannel-Password values. */
static inline void net_slist_free(struct curl_slist *l) {
        for (struct curl_slist *i = l; i; i = i->next)
                if (i->data)
                        explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static inline int net_parse_bool(const char *v, bool *ret) {
        if (strcmp(v, "true") == 0)
                *ret = true;
        else if (strcmp(v, "false") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* Header values come from the config: a CR or LF would start another header. */
static inline bool net_has_ctl(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

/*
 * The transfer failed before an answer was read. Whether the carrier may have acted on the
 * message depends only on whether any byte of the request left: a refused connection, a
 * failed name lookup or TLS handshake cannot have sent anything, a timeout or reset after
 * the request went out can have. Returns true if it classified the outcome.
 */
static inline bool net_classify_transport(int curl_code, int request_sent,
                                          struct dunnd_outcome *out) {
        if (curl_code == CURLE_OK)
                return false;
        if (!request_sent) {
                out->klass = DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "not sent: %s",
                         curl_easy_strerror((CURLcode) curl_code));
        } else {
                out->klass = DUNND_OUTCOME_UNKNOWN;
                snprintf(out->error, sizeof(out->error), "may have been sent: %s",
                         curl_easy_strerror((CURLcode) curl_code));
        }
        return true;
}

/* Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; 0 when absent,
 * unparseable or in the past (the host then uses its own backoff). Capped at a day so a
 * broken gateway cannot park a message forever. */
static inline int64_t net_retry_after_ms(void *easy) {
        static const int64_t cap_sec = 24 * 3600;
        struct curl_header *h = NULL;
        const char *v;
        int64_t sec = 0;

        if (!easy || curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
            !h || !h->value)
                return 0;
        v = h->value;
        while (*v == ' ' || *v == '\t')
                v++;
        if (*v >= '0' && *v <= '9') {
                for (; *v >= '0' && *v <= '9'; v++) {
                        sec = sec * 10 + (*v - '0');
                        if (sec > cap_sec)
                                return cap_sec * 1000;
                }
                while (*v == ' ' || *v == '\t')
                        v++;
                return *v ? 0 : sec * 1000;
        }
        {
                time_t t = curl_getdate(v, NULL), now = time(NULL);

                if (t == (time_t) -1 || t <= now)
                        return 0;
                sec = (int64_t) (t - now);
        }
        return (sec > cap_sec ? cap_sec : sec) * 1000;
}

/* The masked form of a recipient of length rl (>= 4), as net_mask_recipient() writes it. */
static inline void net_recipient_masked(const char *recipient, size_t rl, char masked[64]) {
        const char *at = strchr(recipient, '@');

        if (at)
                snprintf(masked, 64, "%c***%.40s", recipient[0], at);
        else if (rl >= 7)
                snprintf(masked, 64, "%.3s****%.4s", recipient, recipient + rl - 4);
        else
                snprintf(masked, 64, "****");
}

/* Replaces every occurrence of the recipient in `s` (size `size`) by its masked form, so a
 * carrier that echoes the number in its error text does not put it into the log:
 * 13912345678 -> 139****5678, zhang@example.com -> z***@example.com. */
static inline void net_mask_recipient(char *s, size_t size, const char *recipient) {
        char masked[64], out[512];
        size_t rl, ml, o = 0;
        const char *p;

        if (!s || !recipient || (rl = strlen(recipient)) < 4 || size > sizeof(out))
                return;
        net_recipient_masked(recipient, rl, masked);
        ml = strlen(masked);
        if (!strstr(s, recipient))
                return;
        for (p = s; *p && o + 1 < size;) {
                if (strncmp(p, recipient, rl) == 0) {
                        size_t n = ml < size - 1 - o ? ml : size - 1 - o;

                        memcpy(out + o, masked, n);
                        o += n;
                        p += rl;
                } else
                        out[o++] = *p++;
        }
        out[o] = 0;
        memcpy(s, out, o + 1);
}

/* Up to `max` bytes of an answer for the log: control characters become spaces and a cut
 * never splits a UTF-8 sequence. The body need not be NUL-terminated. */
static inline void net_excerpt(char *dst, size_t size, const char *body, size_t len, size_t max) {
        size_t n = 0, i = 0;

        if (size == 0)
                return;
        if (!body)
                len = 0;
        if (max > size - 1)
                max = size - 1;
        while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
                i++;
        for (; i < len && n < max; i++) {
                unsigned char c = (unsigned char) body[i];

                dst[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        }
        /* drop a trailing partial UTF-8 sequence */
        if (n > 0 && i < len) {
                size_t k = n;

                while (k > 0 && ((unsigned char) dst[k - 1] & 0xc0) == 0x80)
                        k--;
                if (k > 0) {
                        unsigned char lead = (unsigned char) dst[k - 1];
                        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;

                        if (n - (k - 1) < need)
                                n = k - 1;
                }
        }
        while (n > 0 && dst[n - 1] == ' ')
                n--;
        dst[n] = 0;
}

/* net_excerpt() of text that may quote the recipient. Masking the excerpt afterwards
 * (net_mask_recipient) misses an occurrence the cut goes through ("mobile=1391234567"), so
 * this masks while it copies and cuts only the masked text. */
static inline void net_excerpt_masked(char *dst, size_t size, const char *body, size_t len,
                                      size_t max, const char *recipient) {
        char masked[64], tmp[512];
        size_t i = 0, o = 0, rl, ml;

        if (size == 0)
                return;
        if (!body)
                len = 0;
        if (!recipient || (rl = strlen(recipient)) < 4) {
                net_excerpt(dst, size, body, len, max);
                return;
        }
        net_recipient_masked(recipient, rl, masked);
        ml = strlen(masked);
        if (max > size - 1)
                max = size - 1;
        if (max > sizeof(tmp) - sizeof(masked) - 1)
                max = sizeof(tmp) - sizeof(masked) - 1;
        while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
                i++;
        /* one byte past max when there is more, so net_excerpt() sees that it cuts */
        while (i < len && o <= max) {
                if (len - i >= rl && memcmp(body + i, recipient, rl) == 0) {
                        memcpy(tmp + o, masked, ml);
                        o += ml;
                        i += rl;
                } else
                        tmp[o++] = body[i++];
        }
        net_excerpt(dst, size, tmp, o, max);
}

static inline bool net_body_has(const char *body, size_t len, const char *needle) {
        return body && len > 0 && memmem(body, len, needle, strlen(needle)) != NULL;
}
