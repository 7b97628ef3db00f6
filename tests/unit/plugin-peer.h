/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * For the network carrier tests: a one-shot HTTP peer on 127.0.0.1 in a thread, and a
 * stand-in for the host that sets up the easy handle the way the dispatcher does, calls
 * prepare(), runs the transfer and hands the result to finish(). That tests the request
 * the plugin builds and its classification end to end, without the dispatcher.
 */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curl-easy.h"
#include "dunnd-carrier.h"

enum peer_mode {
        PEER_ANSWER,            /* read the request, send `response`, close */
        PEER_CLOSE,             /* read the request, close without a word */
        PEER_HOLD,              /* read the request, say nothing until the client gives up */
};

struct peer {
        int fd;
        int port;
        enum peer_mode mode;
        pthread_t thread;
        bool started;
        char response[16384];
        size_t response_len;
        char request[65536];
        size_t request_len;
};

/* Reads one request: headers, then Content-Length bytes of body. */
static inline void peer_read_request(struct peer *p, int c) {
        size_t want = 0;
        bool have_headers = false;

        for (;;) {
                struct pollfd pfd = { .fd = c, .events = POLLIN };
                ssize_t n;
                char *eoh;

                if (have_headers && p->request_len >= want)
                        return;
                if (poll(&pfd, 1, 5000) <= 0)
                        return;
                n = read(c, p->request + p->request_len, sizeof(p->request) - 1 - p->request_len);
                if (n <= 0)
                        return;
                p->request_len += (size_t) n;
                p->request[p->request_len] = 0;
                if (!have_headers && (eoh = strstr(p->request, "\r\n\r\n"))) {
                        const char *cl = strcasestr(p->request, "\r\nContent-Length:");

                        have_headers = true;
                        want = (size_t) (eoh + 4 - p->request);
                        if (cl && cl < eoh)
                                want += strtoul(cl + 17, NULL, 10);
                }
        }
}

static inline void *peer_main(void *arg) {
        struct peer *p = arg;
        struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
        int c;

        if (poll(&pfd, 1, 5000) <= 0)
                return NULL;
        c = accept(p->fd, NULL, NULL);
        if (c < 0)
                return NULL;
        peer_read_request(p, c);
        if (p->mode == PEER_ANSWER) {
                size_t off = 0;

                while (off < p->response_len) {
                        ssize_t n = write(c, p->response + off, p->response_len - off);

                        if (n <= 0)
                                break;
                        off += (size_t) n;
                }
        } else if (p->mode == PEER_HOLD) {
                /* until the client hangs up (its timeout) */
                char b[256];
                struct pollfd cp = { .fd = c, .events = POLLIN };

                while (poll(&cp, 1, 5000) > 0 && read(c, b, sizeof(b)) > 0)
                        ;
        }
        close(c);
        return NULL;
}

static inline int listen_loopback(int *ret_port) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &al) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret_port = ntohs(a.sin_port);
        return fd;
}

/* A port nothing listens on: bound, then closed (connect gets ECONNREFUSED). */
static inline int dead_port(void) {
        int port = 0, fd = listen_loopback(&port);

        if (fd >= 0)
                close(fd);
        return port;
}

/* `response` is sent as is: the status line, headers and body, CRLFs included. */
static inline struct peer *peer_start(enum peer_mode mode, const char *response) {
        struct peer *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->mode = mode;
        if (response) {
                p->response_len = strlen(response);
                if (p->response_len >= sizeof(p->response)) {
                        free(p);
                        return NULL;
                }
                memcpy(p->response, response, p->response_len);
        }
        p->fd = listen_loopback(&p->port);
        if (p->fd < 0 || pthread_create(&p->thread, NULL, peer_main, p) != 0) {
                if (p->fd >= 0)
                        close(p->fd);
                free(p);
                return NULL;
        }
        p->started = true;
        return p;
}

/* "HTTP/1.1 <status>\r\n<headers>Content-Length: n\r\nConnection: close\r\n\r\n<body>" */
static inline struct peer *peer_answer(const char *status_line, const char *headers,
                                       const char *body) {
        char r[16384];

        snprintf(r, sizeof(r), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 status_line, headers ? headers : "", strlen(body), body);
        return peer_start(PEER_ANSWER, r);
}

/* Waits for the peer to finish its one exchange; the request stays readable. */
static inline void peer_join(struct peer *p) {
        if (p && p->started) {
                pthread_join(p->thread, NULL);
                p->started = false;
        }
}

static inline void peer_free(struct peer *p) {
        if (!p)
                return;
        peer_join(p);
        close(p->fd);
        free(p);
}

/* The request body (after the blank line), or "". */
static inline const char *peer_body(const struct peer *p) {
        const char *e = strstr(p->request, "\r\n\r\n");

        return e ? e + 4 : "";
}

/* The value of request header `name` (first one), copied into a static buffer, or NULL. */
static inline const char *peer_header(const struct peer *p, const char *name) {
        static char v[1024];
        const char *eoh = strstr(p->request, "\r\n\r\n"), *l = strstr(p->request, "\r\n");
        size_t nl = strlen(name);

        while (l && l < eoh) {
                l += 2;
                if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
                        const char *s = l + nl + 1, *e = strstr(s, "\r\n");

                        while (*s == ' ')
                                s++;
                        snprintf(v, sizeof(v), "%.*s", (int) (e - s), s);
                        return v;
                }
                l = strstr(l, "\r\n");
        }
        return NULL;
}

static inline int peer_header_count(const struct peer *p, const char *name) {
        const char *eoh = strstr(p->request, "\r\n\r\n"), *l = p->request;
        size_t nl = strlen(name);
        int n = 0;

        while ((l = strstr(l, "\r\n")) && l < eoh) {
                l += 2;
                if (strncasecmp(l, name, nl) == 0 && l[nl] == ':')
                        n++;
        }
        return n;
}

/* ---- a keep-alive peer: requests over connections that stay open ----
 *
 * Answers every request with a 200 keep-alive answer (`body`), except, unless the mode is
 * REUSE_ANSWER, a request that is not the first on its connection: that one is read and
 * then the connection is closed (REUSE_CLOSE: FIN) or reset (REUSE_RESET: RST) without an
 * answer, which is what a client sees when a kept-alive connection dies under its request.
 * Every request is recorded with its connection; it runs until ka_peer_stop(). */

enum reuse_mode {
        REUSE_ANSWER,
        REUSE_CLOSE,
        REUSE_RESET,
};

#define KA_MAX_REQUESTS 16
#define KA_MAX_CONNS 8

struct ka_request {
        int conn;               /* 1, 2, ... in the order accepted */
        int on_conn;            /* the n-th request on its connection */
        bool dropped;           /* read, then the connection died without an answer */
        char text[4096];        /* headers and body */
};

struct ka_conn {
        int fd, id, n;
        char buf[8192];
        size_t len;
};

struct ka_peer {
        int fd, port;
        enum reuse_mode mode;
        char answer[1024];
        pthread_t thread;
        atomic_bool stop;
        int n_conns, n_requests;
        struct ka_request requests[KA_MAX_REQUESTS];
        struct ka_conn conns[KA_MAX_CONNS];
        size_t n_open;
};

/* The length of the complete request at the start of buf, or 0. */
static inline size_t ka_request_length(const char *buf, size_t len) {
        const char *eoh = memmem(buf, len, "\r\n\r\n", 4), *cl;
        size_t n;

        if (!eoh)
                return 0;
        n = (size_t) (eoh + 4 - buf);
        cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < eoh)
                n += strtoul(cl + 17, NULL, 10);
        return n <= len ? n : 0;
}

static inline void ka_conn_close(struct ka_peer *p, size_t i, bool reset) {
        if (reset) {
                struct linger l = { .l_onoff = 1, .l_linger = 0 };

                (void) setsockopt(p->conns[i].fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        close(p->conns[i].fd);
        p->conns[i] = p->conns[--p->n_open];
}

/* Serves what connection i has read so far; false when it was closed. */
static inline bool ka_serve(struct ka_peer *p, size_t i) {
        struct ka_conn *c = &p->conns[i];
        size_t n;

        while ((n = ka_request_length(c->buf, c->len)) > 0) {
                struct ka_request *r = p->n_requests < KA_MAX_REQUESTS ?
                                       &p->requests[p->n_requests++] : NULL;

                c->n++;
                if (r) {
                        *r = (struct ka_request) { .conn = c->id, .on_conn = c->n };
                        snprintf(r->text, sizeof(r->text), "%.*s", (int) n, c->buf);
                }
                if (c->n > 1 && p->mode != REUSE_ANSWER) {
                        if (r)
                                r->dropped = true;
                        ka_conn_close(p, i, p->mode == REUSE_RESET);
                        return false;
                }
                if (write(c->fd, p->answer, strlen(p->answer)) < 0) {
                        ka_conn_close(p, i, false);
                        return false;
                }
                memmove(c->buf, c->buf + n, c->len - n);
                c->len -= n;
        }
        return true;
}

static inline void *ka_peer_main(void *arg) {
        struct ka_peer *p = arg;

        while (!atomic_load(&p->stop)) {
                struct pollfd pfd[KA_MAX_CONNS + 1] = { { .fd = p->fd, .events = POLLIN } };

                for (size_t i = 0; i < p->n_open; i++)
                        pfd[i + 1] = (struct pollfd) { .fd = p->conns[i].fd, .events = POLLIN };
                if (poll(pfd, p->n_open + 1, 50) <= 0)
                        continue;
                for (size_t i = p->n_open; i > 0; i--) {
                        struct ka_conn *c = &p->conns[i - 1];
                        ssize_t n;

                        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
                        if (n <= 0) {
                                ka_conn_close(p, i - 1, false);
                                continue;
                        }
                        c->len += (size_t) n;
                        c->buf[c->len] = 0;
                        (void) ka_serve(p, i - 1);
                }
                if ((pfd[0].revents & POLLIN) && p->n_open < KA_MAX_CONNS) {
                        int fd = accept(p->fd, NULL, NULL);

                        if (fd >= 0)
                                p->conns[p->n_open++] = (struct ka_conn) { .fd = fd,
                                                                           .id = ++p->n_conns };
                }
        }
        while (p->n_open > 0)
                ka_conn_close(p, 0, false);
        return NULL;
}

static inline struct ka_peer *ka_peer_start(enum reuse_mode mode, const char *body) {
        struct ka_peer *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->mode = mode;
        snprintf(p->answer, sizeof(p->answer), "HTTP/1.1 200 OK\r\nContent-Type: application/json"
                 "\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
        p->fd = listen_loopback(&p->port);
        if (p->fd < 0 || pthread_create(&p->thread, NULL, ka_peer_main, p) != 0) {
                if (p->fd >= 0)
                        close(p->fd);
                free(p);
                return NULL;
        }
        return p;
}

/* Stops the peer; its record stays readable until it is free()d. */
static inline void ka_peer_stop(struct ka_peer *p) {
        atomic_store(&p->stop, true);
        pthread_join(p->thread, NULL);
        close(p->fd);
}

/* How many recorded requests contain needle. */
static inline int ka_count(const struct ka_peer *p, const char *needle) {
        int n = 0;

        for (int i = 0; i < p->n_requests && i < KA_MAX_REQUESTS; i++)
                n += strstr(p->requests[i].text, needle) != NULL;
        return n;
}

/* ---- the host's side ---- */

struct host_log {
        int n;
        char last[512];
        int last_level;
};

static inline void test_host_log(void *host_data, enum dunnd_log_level level, const char *fmt, ...) {
        struct host_log *h = host_data;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(h->last, sizeof(h->last), fmt, ap);
        va_end(ap);
        h->last_level = (int) level;
        h->n++;
}

struct plugin {
        void *dl;
        const struct dunnd_carrier *api;
        struct host_log log;
        struct dunnd_host host;
};

static inline void plugin_load(struct plugin *pl, const char *name) {
        const char *dir = getenv("PLUGIN_DIR");
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s.so", dir && *dir ? dir : "build/plugins", name);
        pl->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!pl->dl) {
                fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
                abort();
        }
        pl->api = dlsym(pl->dl, DUNND_CARRIER_SYMBOL);
        if (!pl->api || pl->api->abi != DUNND_CARRIER_ABI)
                abort();
        pl->host = (struct dunnd_host) { .abi = DUNND_CARRIER_ABI, .size = sizeof(pl->host),
                                         .log = test_host_log, .host_data = &pl->log };
}

static inline void plugin_unload(struct plugin *pl) {
        if (pl->dl)
                dlclose(pl->dl);
        pl->dl = NULL;
}

/* open() with NULL-terminated key, value, key, value, ... */
static inline int plugin_open_v(struct plugin *pl, void **state, char *err, size_t errlen,
                                const char *const *kv) {
        struct dunnd_option o[64];
        size_t n = 0;

        for (; kv[0] && n < 64; kv += 2)
                o[n++] = (struct dunnd_option) { .key = kv[0], .value = kv[1] };
        *state = NULL;
        err[0] = 0;
        return pl->api->open(o, n, &pl->host, state, err, errlen);
}

struct body_buf {
        char *data;
        size_t len;
};

static inline size_t collect_body(char *p, size_t size, size_t n, void *userdata) {
        struct body_buf *b = userdata;
        size_t add = size * n;
        char *d;

        if (b->len + add > (1u << 20))
                return 0;       /* like the host: at most 1 MiB */
        d = realloc(b->data, b->len + add + 1);
        if (!d)
                return 0;
        memcpy(d + b->len, p, add);
        b->data = d;
        b->len += add;
        b->data[b->len] = 0;
        return add;
}

struct transfer {
        int prepare_r;
        int curl_code;
        int request_sent;
        long status;
        struct dunnd_outcome out;
};

/* The carrier's properties() as the host reads them (daemon/carrier.c). */
static inline uint32_t carrier_properties(const struct dunnd_carrier *api, void *state) {
        if (api->size > offsetof(struct dunnd_carrier, properties) && api->properties)
                return api->properties(state);
        return 0;
}

/* The host's easy-handle defaults (lib/curl-easy.c, the code daemon/dispatch.c calls), with
 * connections kept alive exactly when the host keeps them alive for this carrier. */
static inline void host_easy_defaults(CURL *e, const struct dunnd_carrier *api, void *state,
                                      long timeout_ms) {
        EasyDefaults d = {
                .connect_timeout_ms = 2000,
                .timeout_ms = timeout_ms,
                .keep_alive = carrier_properties(api, state) &
                              (DUNND_CARRIER_IDEMPOTENT | DUNND_CARRIER_REUSE_SAFE),
        };

        if (easy_apply_defaults(e, &d) < 0)
                abort();
}

/* Runs the transfer like the host: on `multi` when given (its connection cache outlives the
 * easy handle, so a later transfer may reuse the connection), else on its own. */
static inline CURLcode host_perform(CURLM *multi, CURL *e) {
        CURLcode rc = CURLE_OK;
        CURLMsg *msg;
        int running = 1, left;

        if (!multi)
                return curl_easy_perform(e);
        if (curl_multi_add_handle(multi, e) != CURLM_OK)
                abort();
        while (running) {
                if (curl_multi_perform(multi, &running) != CURLM_OK)
                        abort();
                if (running && curl_multi_poll(multi, NULL, 0, 100, NULL) != CURLM_OK)
                        abort();
        }
        while ((msg = curl_multi_info_read(multi, &left)))
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
                        rc = msg->data.result;
        curl_multi_remove_handle(multi, e);
        return rc;
}

/* What the dispatcher does for one message, with short timeouts. */
static inline struct transfer transfer_on(struct plugin *pl, CURLM *multi, void *state,
                                          const struct dunnd_message *m, long timeout_ms) {
        struct transfer t = {};
        struct body_buf b = {};
        CURL *e = curl_easy_init();
        curl_off_t reqsize = 0;
        void *req = NULL;

        if (!e)
                abort();
        host_easy_defaults(e, pl->api, state, timeout_ms);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
        t.prepare_r = pl->api->prepare(state, m, e, &req);
        if (t.prepare_r < 0) {
                curl_easy_cleanup(e);
                return t;
        }
        t.curl_code = (int) host_perform(multi, e);
        curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &reqsize);
        t.request_sent = reqsize > 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t.status);
        memset(&t.out, 0xa5, sizeof(t.out));    /* finish() must fill in every field */
        pl->api->finish(state, req, t.curl_code, t.request_sent, t.status, b.data, b.len, &t.out);
        curl_easy_cleanup(e);
        free(b.data);
        return t;
}

static inline struct transfer transfer_timeout(struct plugin *pl, void *state,
                                               const struct dunnd_message *m, long timeout_ms) {
        return transfer_on(pl, NULL, state, m, timeout_ms);
}

static inline struct transfer transfer(struct plugin *pl, void *state,
                                       const struct dunnd_message *m) {
        return transfer_timeout(pl, state, m, 5000);
}

/* finish() on a canned answer without a transfer: prepare() on a fresh handle first, as the
 * request is what finish() frees. */
static inline struct dunnd_outcome finish_canned(struct plugin *pl, void *state,
                                                 const struct dunnd_message *m, int curl_code,
                                                 int sent, long status, const char *body,
                                                 size_t len) {
        struct dunnd_outcome out;
        CURL *e = curl_easy_init();
        void *req = NULL;

        if (!e || pl->api->prepare(state, m, e, &req) < 0)
                abort();
        memset(&out, 0xa5, sizeof(out));
        pl->api->finish(state, req, curl_code, sent, status, body, len, &out);
        curl_easy_cleanup(e);
        return out;
}
