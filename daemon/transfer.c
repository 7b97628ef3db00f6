/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "curl-easy.h"
#include "curl-glue.h"
#include "transfer.h"

/* An answer bigger than this is not an SMS API's: the transfer fails (CURLE_WRITE_ERROR). */
#define BODY_MAX (1024 * 1024)

typedef struct Transfer {
        struct Transfer *next, *prev;
        TransferPool *pool;
        Carrier *carrier;
        CURL *easy;
        void *req;                      /* the plugin's */
        void *tag;
        Buf body;
} Transfer;

struct TransferPool {
        CurlGlue *glue;
        Transfer *active;               /* in flight */
        Transfer *idle;                 /* done, easy handles kept for reuse */
        unsigned n_active, n_idle;
        transfer_done_t done;
        void *userdata;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;

        if (t->body.len + n > BODY_MAX)
                return 0;
        buf_add(&t->body, ptr, n);
        return t->body.oom ? 0 : n;
}

/* What the host promises every network plugin (see dunnd-carrier.h). Connections stay
 * alive for carriers whose requests libcurl cannot silently re-send (curl-easy.h). */
static int easy_setup(const Carrier *c, Transfer *t) {
        const ConfigCarrier *cc = c->config;
        EasyDefaults d = {
                .connect_timeout_ms = (long) cc->connect_timeout_ms,
                .timeout_ms = (long) cc->timeout_ms,
                .keep_alive = c->properties & (DUNND_CARRIER_IDEMPOTENT | DUNND_CARRIER_REUSE_SAFE),
        };
        int r;

        r = easy_apply_defaults(t->easy, &d);
        if (r < 0)
                return r;
        if (curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
            curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t) != CURLE_OK ||
            curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t) != CURLE_OK)
                return -EINVAL;
        return 0;
}

static void finish(Transfer *t, CURLcode result, struct dunnd_outcome *o) {
        long status = 0;
        long request_size = 0;

        *o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
        (void) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        (void) curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
        t->carrier->api->finish(t->carrier->state, t->req, (int) result, request_size > 0, status,
                                t->body.data ? t->body.data : "", t->body.len, o);
        t->req = NULL;
        outcome_sanitize(o);
        /* The host's own guard, whatever a plugin says: libcurl wanted to send this request
         * again because the connection died after it went out. It may have arrived. */
        if (result == CURLE_SEND_FAIL_REWIND && o->klass != DUNND_OUTCOME_UNKNOWN) {
                o->klass = DUNND_OUTCOME_UNKNOWN;
                o->retry_after_ms = 0;
                snprintf(o->error, sizeof(o->error), "may have been sent: the kept-alive connection "
                         "died after the request went out, and a silent re-send was refused");
        }
}

static void unlink_active(TransferPool *p, Transfer *t) {
        if (t->prev)
                t->prev->next = t->next;
        else
                p->active = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->next = t->prev = NULL;
        p->n_active--;
}

static void transfer_free(Transfer *t) {
        if (t->easy)
                curl_easy_cleanup(t->easy);
        buf_wipe(&t->body);
        free(t);
}

/* The handle goes back for the next request (its connection stays in the multi handle's
 * pool); the answer is wiped, it may quote the message. */
static void recycle(TransferPool *p, Transfer *t) {
        curl_easy_reset(t->easy);
        buf_wipe(&t->body);
        t->carrier = NULL;
        t->tag = NULL;
        t->next = p->idle;
        p->idle = t;
        p->n_idle++;
}

static void on_done(CurlGlue *g, CURL *easy, CURLcode result, void *userdata) {
        TransferPool *p = userdata;
        struct dunnd_outcome o;
        Transfer *t = NULL;
        Carrier *c;
        void *tag;

        (void) g;
        (void) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &t);
        unlink_active(p, t);
        finish(t, result, &o);
        c = t->carrier;
        tag = t->tag;
        recycle(p, t);
        p->done(c, tag, &o, result == CURLE_SEND_FAIL_REWIND, p->userdata);
}

int transfer_pool_new(sd_event *event, transfer_done_t done, void *userdata, TransferPool **ret) {
        TransferPool *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->done = done;
        p->userdata = userdata;
        r = curl_glue_new(event, on_done, p, &p->glue);
        if (r < 0) {
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

void transfer_pool_abort_all(TransferPool *p) {
        while (p->active) {
                Transfer *t = p->active;
                struct dunnd_outcome o;
                Carrier *c = t->carrier;
                void *tag = t->tag;

                unlink_active(p, t);
                curl_glue_remove(p->glue, t->easy);
                /* let the plugin free its request; no answer came */
                finish(t, CURLE_ABORTED_BY_CALLBACK, &o);
                o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
                snprintf(o.error, sizeof(o.error), "aborted at shutdown while in flight; it may "
                         "have reached the carrier, so it is not re-sent");
                recycle(p, t);
                p->done(c, tag, &o, false, p->userdata);
        }
}

TransferPool *transfer_pool_free(TransferPool *p) {
        if (!p)
                return NULL;
        transfer_pool_abort_all(p);
        while (p->idle) {
                Transfer *t = p->idle;

                p->idle = t->next;
                transfer_free(t);
        }
        curl_glue_free(p->glue);
        free(p);
        return NULL;
}

int transfer_start(TransferPool *p, Carrier *c, const struct dunnd_message *m, void *tag) {
        Transfer *t;
        int r;

        if (p->idle) {
                t = p->idle;
                p->idle = t->next;
                p->n_idle--;
                t->next = NULL;
        } else {
                t = calloc(1, sizeof(*t));
                if (!t)
                        return -ENOMEM;
                t->pool = p;
                t->easy = curl_easy_init();
                if (!t->easy) {
                        free(t);
                        return -ENOMEM;
                }
        }
        t->carrier = c;
        t->tag = tag;
        r = easy_setup(c, t);
        if (r >= 0)
                r = c->api->prepare(c->state, m, t->easy, &t->req);
        if (r < 0)
                goto fail;
        r = curl_glue_add(p->glue, t->easy);
        if (r < 0) {
                /* nothing went out: let the plugin free its request */
                struct dunnd_outcome ignored = {};

                c->api->finish(c->state, t->req, CURLE_FAILED_INIT, 0, 0, "", 0, &ignored);
                t->req = NULL;
                goto fail;
        }
        t->next = p->active;
        if (t->next)
                t->next->prev = t;
        p->active = t;
        p->n_active++;
        return 0;
fail:
        recycle(p, t);
        return r;
}

unsigned transfer_pool_in_flight(const TransferPool *p) {
        return p->n_active;
}

int transfer_send_blocking(Carrier *c, const struct dunnd_message *m, struct dunnd_outcome *o) {
        Transfer t = { .carrier = c };
        CURLcode rc;
        int r;

        *o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
        if (c->api->deliver) {
                c->api->deliver(c->state, m, o);
                outcome_sanitize(o);
                return 0;
        }
        t.easy = curl_easy_init();
        if (!t.easy)
                return -ENOMEM;
        r = easy_setup(c, &t);
        if (r >= 0)
                r = c->api->prepare(c->state, m, t.easy, &t.req);
        if (r < 0) {
                curl_easy_cleanup(t.easy);
                return r;
        }
        rc = curl_easy_perform(t.easy);
        finish(&t, rc, o);
        curl_easy_cleanup(t.easy);
        buf_wipe(&t.body);
        return 0;
}
