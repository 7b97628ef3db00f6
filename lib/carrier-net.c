/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "answer.h"
#include "carrier-net.h"

int net_request_new(CURL *easy, const char *recipient, NetRequest **ret) {
        NetRequest *q = calloc(1, sizeof(*q));

        if (!q)
                return -ENOMEM;
        q->easy = easy;
        q->recipient = strdup(recipient ? recipient : "");
        if (!q->recipient) {
                free(q);
                return -ENOMEM;
        }
        *ret = q;
        return 0;
}

NetRequest *net_request_free(NetRequest *q) {
        if (!q)
                return NULL;
        net_slist_free(q->headers);
        buf_wipe(&q->body);
        free(q->recipient);
        free(q);
        return NULL;
}

int net_request_add_header(NetRequest *q, const char *line) {
        struct curl_slist *l = curl_slist_append(q->headers, line);

        if (!l)
                return -ENOMEM;
        q->headers = l;
        return 0;
}

int net_request_attach_body(NetRequest *q, bool rewindable) {
        return request_body_attach(q->easy, &q->reader, q->body.data, q->body.len, rewindable);
}

void net_request_finish(NetRequest *q, void *state, int curl_code, int request_sent,
                        long status, const char *body, size_t len, struct dunnd_outcome *out,
                        NetAnswerClassify classify) {
        *out = (struct dunnd_outcome) {};
        if (!body)
                len = 0;
        if (!net_classify_transport(curl_code, request_sent, q && q->reader.rewind_refused, out))
                classify(state, q, status, body, len, out);
        if (q)
                answer_mask_recipient(out->error, sizeof(out->error), q->recipient);
        net_request_free(q);
}

bool net_classify_transport(int curl_code, int request_sent, bool rewind_refused,
                            struct dunnd_outcome *out) {
        const char *why = curl_easy_strerror((CURLcode) curl_code);

        if (curl_code == CURLE_OK)
                return false;
        if (rewind_refused || curl_code == CURLE_SEND_FAIL_REWIND) {
                out->klass = DUNND_OUTCOME_UNKNOWN;
                snprintf(out->error, sizeof(out->error), "may have been sent: the kept-alive "
                         "connection died after the request went out, and libcurl's re-send "
                         "was refused (no rewind): %s", why);
        } else if (!request_sent) {
                out->klass = DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "not sent: %s", why);
        } else {
                out->klass = DUNND_OUTCOME_UNKNOWN;
                snprintf(out->error, sizeof(out->error), "may have been sent: %s", why);
        }
        return true;
}

int64_t net_retry_after_ms(CURL *easy) {
        static const int64_t cap_sec = 24 * 3600;
        struct curl_header *h = NULL;
        const char *v;
        int64_t sec = 0;
        time_t t, now;

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
        t = curl_getdate(v, NULL);
        now = time(NULL);
        if (t == (time_t) -1 || t <= now)
                return 0;
        sec = (int64_t) (t - now);
        return (sec > cap_sec ? cap_sec : sec) * 1000;
}

int net_check_url(const char *url, bool require_tls, char *err, size_t errlen) {
        if (strncasecmp(url, "https://", 8) == 0 ||
            (!require_tls && strncasecmp(url, "http://", 7) == 0))
                return 0;
        snprintf(err, errlen, "option 'url' must start with %s",
                 require_tls ? "https:// (require_tls is on)" : "http:// or https://");
        return -EINVAL;
}

void net_free_secret(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

void net_slist_free(struct curl_slist *l) {
        for (struct curl_slist *i = l; i; i = i->next)
                if (i->data)
                        explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}
