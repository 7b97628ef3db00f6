/* SPDX-License-Identifier: MIT */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "consttime.h"
#include "log.h"
#include "receipt-server.h"
#include "receipt.h"

#define REQUEST_MAX 4096
#define CLIENT_TIMEOUT_USEC (5 * 1000000ULL)
#define CLIENTS_MAX 64

typedef struct Client {
        struct Client *next, *prev;
        ReceiptServer *server;
        int fd;
        sd_event_source *io;
        sd_event_source *timeout;
        char buf[REQUEST_MAX + 1];
        size_t len;
} Client;

struct ReceiptServer {
        sd_event *event;
        Store *store;
        int fd;
        int port;
        char *token;
        sd_event_source *accept_source;
        Client *clients;
        unsigned n_clients;
};

static void client_free(Client *c) {
        ReceiptServer *s = c->server;

        if (c->prev)
                c->prev->next = c->next;
        else
                s->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_clients--;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timeout);
        close(c->fd);
        free(c);
}

/* The reason phrase of the status line: the body explains, the phrase only names the code
 * (it once carried the body's text and newline, which put every header into the body). */
static const char *reason_phrase(int code) {
        switch (code) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 413: return "Payload Too Large";
        case 503: return "Service Unavailable";
        default: return code < 500 ? "Bad Request" : "Internal Server Error";
        }
}

static void reply(Client *c, int code, const char *text) {
        char out[256];
        int n = snprintf(out, sizeof(out), "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", code,
                         reason_phrase(code), strlen(text), text);

        /* snprintf returns what it would have written: never send past what it did write */
        if (n < 0)
                return;
        if ((size_t) n >= sizeof(out))
                n = (int) sizeof(out) - 1;
        /* best effort: the socket is fresh and the answer tiny */
        (void) !write(c->fd, out, (size_t) n);
}

static int hex_digit(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Percent-decodes n bytes of a query value into buf ('+' is a space, as forms send it);
 * NULL for a bad escape, an encoded NUL, or a value that does not fit. */
static const char *query_decode(const char *p, size_t n, char *buf, size_t len) {
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                char ch = p[i];

                if (ch == '%') {
                        int hi, lo;

                        if (i + 2 >= n)
                                return NULL;
                        hi = hex_digit(p[i + 1]);
                        lo = hex_digit(p[i + 2]);
                        if (hi < 0 || lo < 0 || (hi | lo) == 0)
                                return NULL;
                        ch = (char) (hi << 4 | lo);
                        i += 2;
                } else if (ch == '+')
                        ch = ' ';
                if (o + 1 >= len)
                        return NULL;
                buf[o++] = ch;
        }
        buf[o] = 0;
        return buf;
}

static const char *query_get(const char *q, const char *key, char *buf, size_t len) {
        size_t kl = strlen(key);

        for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
                const char *end = strchr(p, '&');
                size_t n;

                if (strncmp(p, key, kl) != 0 || p[kl] != '=')
                        continue;
                p += kl + 1;
                n = end ? (size_t) (end - p) : strlen(p);
                return query_decode(p, n, buf, len);
        }
        return NULL;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *ret) {
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == '+')
                return false;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
                return false;
        *ret = v;
        return true;
}

static void handle_request(Client *c) {
        ReceiptServer *s = c->server;
        char *line_end, *path, *query, id_s[32], status_s[16], token[256];
        unsigned long long id, status;
        ReceiptKind kind;
        int r;

        line_end = strpbrk(c->buf, "\r\n");
        if (line_end)
                *line_end = 0;
        if (strncmp(c->buf, "GET ", 4) != 0) {
                reply(c, 400, "only GET\n");
                return;
        }
        path = c->buf + 4;
        *strchrnul(path, ' ') = 0;
        query = strchr(path, '?');
        if (!query) {
                reply(c, 400, "missing id and status\n");
                return;
        }
        query++;
        /* in constant time: how long a refusal takes says nothing of how much was right */
        if (s->token && !consttime_streq(query_get(query, "token", token, sizeof(token)), s->token)) {
                reply(c, 403, "bad token\n");
                log_warning("receipt refused: wrong or missing token");
                return;
        }
        if (!parse_uint(query_get(query, "id", id_s, sizeof(id_s)), INT64_MAX, &id) ||
            !parse_uint(query_get(query, "status", status_s, sizeof(status_s)), 1u << 20, &status)) {
                reply(c, 400, "id and status must be numbers\n");
                return;
        }
        kind = receipt_kind_from_kannel((unsigned) status);
        if (kind < 0) {
                reply(c, 400, "unknown status\n");
                return;
        }
        r = receipt_apply(s->store, (int64_t) id, kind);
        if (r < 0) {
                /* the carrier retries a callback that did not get 200 */
                reply(c, 503, "try again\n");
                log_error_errno(r, "receipt for dispatch %llu: cannot record (%s)", id,
                                store_errmsg(s->store));
                return;
        }
        log_debug("receipt for dispatch %llu: %s%s", id, receipt_kind_to_string(kind),
                  r > 0 ? "" : " (nothing to change)");
        reply(c, 200, "OK\n");
}

static int on_client_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Client *c = userdata;
        ssize_t n;

        (void) src;
        (void) revents;
        n = read(fd, c->buf + c->len, REQUEST_MAX - c->len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n > 0) {
                c->len += (size_t) n;
                c->buf[c->len] = 0;
                /* the request line is all we need */
                if (!strpbrk(c->buf, "\n") && c->len < REQUEST_MAX)
                        return 0;
                if (!strpbrk(c->buf, "\n")) {
                        reply(c, 400, "request too long\n");
                        client_free(c);
                        return 0;
                }
                handle_request(c);
        }
        client_free(c);
        return 0;
}

static int on_client_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        (void) src;
        (void) usec;
        client_free(userdata);
        return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        ReceiptServer *s = userdata;
        Client *c;
        uint64_t now;
        int cfd;

        (void) src;
        (void) revents;
        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (s->n_clients >= CLIENTS_MAX) {
                close(cfd);
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(cfd);
                return 0;
        }
        c->server = s;
        c->fd = cfd;
        c->next = s->clients;
        if (c->next)
                c->next->prev = c;
        s->clients = c;
        s->n_clients++;
        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &now);
        if (sd_event_add_io(s->event, &c->io, cfd, EPOLLIN, on_client_io, c) < 0 ||
            sd_event_add_time(s->event, &c->timeout, CLOCK_MONOTONIC, now + CLIENT_TIMEOUT_USEC, 0,
                              on_client_timeout, c) < 0)
                client_free(c);
        return 0;
}

static int parse_listen(const char *address, struct sockaddr_storage *ss, socklen_t *len) {
        char host[INET6_ADDRSTRLEN + 2];
        const char *colon = strrchr(address, ':');
        unsigned long long port;
        size_t hl;

        if (!colon || !parse_uint(colon + 1, 65535, &port))
                return -EINVAL;
        hl = (size_t) (colon - address);
        if (hl == 0 || hl >= sizeof(host))
                return -EINVAL;
        memcpy(host, address, hl);
        host[hl] = 0;
        memset(ss, 0, sizeof(*ss));
        if (host[0] == '[' && host[hl - 1] == ']') {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) ss;
                host[hl - 1] = 0;
                if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
                        return -EINVAL;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons((uint16_t) port);
                *len = sizeof(*a);
                return 0;
        }
        struct sockaddr_in *a = (struct sockaddr_in *) ss;
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
                return -EINVAL;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t) port);
        *len = sizeof(*a);
        return 0;
}

int receipt_server_new(sd_event *event, Store *store, const char *address, const char *token,
                       ReceiptServer **ret, char *err, size_t errlen) {
        struct sockaddr_storage ss;
        socklen_t len;
        ReceiptServer *s;
        int r, one = 1;

        if (parse_listen(address, &ss, &len) < 0) {
                snprintf(err, errlen, "receipts: listen '%s' is not a numeric ADDRESS:PORT", address);
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->store = store;
        s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(s->fd, (struct sockaddr *) &ss, len) < 0 || listen(s->fd, 16) < 0) {
                r = -errno;
                snprintf(err, errlen, "receipts: cannot listen on '%s': %s", address, strerror(-r));
                goto fail;
        }
        if (getsockname(s->fd, (struct sockaddr *) &ss, &len) >= 0)
                s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                         : ((struct sockaddr_in *) &ss)->sin_port);
        if (token) {
                s->token = strdup(token);
                if (!s->token) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = sd_event_add_io(event, &s->accept_source, s->fd, EPOLLIN, on_accept, s);
        if (r < 0) {
                snprintf(err, errlen, "receipts: %s", strerror(-r));
                goto fail;
        }
        *ret = s;
        return 0;
fail:
        receipt_server_free(s);
        return r;
}

ReceiptServer *receipt_server_free(ReceiptServer *s) {
        if (!s)
                return NULL;
        while (s->clients)
                client_free(s->clients);
        sd_event_source_disable_unref(s->accept_source);
        if (s->fd >= 0)
                close(s->fd);
        free(s->token);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

int receipt_server_port(const ReceiptServer *s) {
        return s->port;
}
