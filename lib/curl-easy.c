/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "curl-easy.h"

static int curl_errno(CURLcode c) {
        return c == CURLE_OK ? 0 : c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

int easy_apply_defaults(CURL *e, const EasyDefaults *d) {
        CURLcode c = CURLE_OK;

#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(e, opt, val); } while (0)
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_CONNECTTIMEOUT_MS, d->connect_timeout_ms);
        SET(CURLOPT_TIMEOUT_MS, d->timeout_ms);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        SET(CURLOPT_PROTOCOLS_STR, "https");
        SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
        /* a small request must not wait for Nagle on a kept-alive connection */
        SET(CURLOPT_TCP_NODELAY, 1L);
        if (!d->keep_alive)
                SET(CURLOPT_FORBID_REUSE, 1L);
#undef SET
        return curl_errno(c);
}

size_t request_body_read(char *ptr, size_t size, size_t nmemb, void *userdata) {
        RequestBody *b = userdata;
        size_t n = size * nmemb;

        if (n > b->len - b->pos)
                n = b->len - b->pos;
        memcpy(ptr, b->data + b->pos, n);
        b->pos += n;
        return n;
}

int request_body_seek(void *userdata, curl_off_t offset, int origin) {
        RequestBody *b = userdata;

        /* the one rewind libcurl wants of a POST body is the silent re-send */
        if (!b->rewindable || origin != SEEK_SET || offset < 0 || (size_t) offset > b->len) {
                b->rewind_refused = true;
                return CURL_SEEKFUNC_FAIL;
        }
        b->pos = (size_t) offset;
        return CURL_SEEKFUNC_OK;
}

int request_body_attach(CURL *e, RequestBody *b, const char *data, size_t len,
                        bool rewindable) {
        CURLcode c = CURLE_OK;

        *b = (RequestBody) { .data = data ? data : "", .len = data ? len : 0,
                             .rewindable = rewindable };
#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(e, opt, val); } while (0)
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) b->len);
        SET(CURLOPT_READFUNCTION, request_body_read);
        SET(CURLOPT_READDATA, b);
        SET(CURLOPT_SEEKFUNCTION, request_body_seek);
        SET(CURLOPT_SEEKDATA, b);
#undef SET
        return curl_errno(c);
}
