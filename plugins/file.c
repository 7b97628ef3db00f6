/* SPDX-License-Identifier: MIT */

/*
 * The `file` carrier: appends each message as one JSON line to a file. It is the embedded
 * default for the demo and the tests, and it goes through the same ABI, dispatcher and
 * outcome recording as the network carriers.
 *
 * Options:
 *   path = "/var/lib/dunnd/outbox.jsonl";   required
 *   sync = true;                            fdatasync() after each line (default true), so
 *                                           a line reported "sent" survives a power loss
 *
 * Each line is written with a single write() on an O_APPEND descriptor, so lines from
 * concurrent processes never interleave.
 */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dunnd-carrier.h"
#include "macro.h"
#include "options.h"

#define EXPORT __attribute__((visibility("default")))

struct file_state {
        int fd;
        bool sync;
        char *path;
        const struct dunnd_host *host;
};

static const OptionSpec file_options[] = {
        { .key = "path", .kind = OPTION_STRING, .offset = offsetof(struct file_state, path),
          .flags = OPTION_REQUIRED },
        { .key = "sync", .kind = OPTION_BOOL, .offset = offsetof(struct file_state, sync) },
};

static void file_close(void *state) {
        struct file_state *s = state;

        if (!s)
                return;
        if (s->fd >= 0)
                close(s->fd);
        options_free(file_options, ELEMENTSOF(file_options), s);
        free(s);
}

static int file_open(const struct dunnd_option *options, size_t n_options,
                     const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct file_state *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->fd = -1;
        s->sync = true;
        s->host = host;
        r = options_parse(file_options, ELEMENTSOF(file_options), "file", options, n_options, s,
                          err, errlen);
        if (r < 0)
                goto fail;
        /* 0600: the lines hold phone numbers and names */
        s->fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->fd < 0) {
                snprintf(err, errlen, "cannot open '%s': %s", s->path, strerror(errno));
                r = -EINVAL;
                goto fail;
        }
        *ret_state = s;
        return 0;
fail:
        file_close(s);
        return r;
}

static void file_deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        struct file_state *s = state;
        _cleanup_(buf_wipep) Buf b = {};
        char num[32], stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        ssize_t n;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(num, sizeof(num), "%llu", (unsigned long long) m->dispatch_id);
        buf_puts(&b, "{\"dispatch_id\":");
        buf_puts(&b, num);
        buf_puts(&b, ",\"occurrence\":");
        buf_put_json_string(&b, m->occurrence);
        buf_puts(&b, ",\"channel\":");
        buf_put_json_string(&b, m->channel);
        buf_puts(&b, ",\"recipient\":");
        buf_put_json_string(&b, m->recipient);
        buf_puts(&b, ",\"name\":");
        buf_put_json_string(&b, m->recipient_name);
        buf_puts(&b, ",\"unit\":");
        buf_put_json_string(&b, m->unit);
        buf_puts(&b, ",\"subject\":");
        buf_put_json_string(&b, m->subject);
        buf_puts(&b, ",\"text\":");
        buf_put_json_string(&b, m->text);
        buf_puts(&b, ",\"time\":");
        buf_put_json_string(&b, stamp);
        buf_puts(&b, "}\n");
        if (b.oom) {
                /* nothing was written: safe to try again */
                out->klass = DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "out of memory");
                return;
        }

        n = write(s->fd, b.data, b.len);
        if (n < 0) {
                int e = errno;
                out->klass = DUNND_OUTCOME_TRANSIENT;
                snprintf(out->error, sizeof(out->error), "write to '%s': %s", s->path, strerror(e));
        } else if ((size_t) n != b.len) {
                /* part of the line is in the file: it may count as delivered */
                out->klass = DUNND_OUTCOME_UNKNOWN;
                snprintf(out->error, sizeof(out->error), "short write to '%s' (%zd of %zu bytes)",
                         s->path, n, b.len);
        } else if (s->sync && fdatasync(s->fd) < 0) {
                int e = errno;
                out->klass = DUNND_OUTCOME_UNKNOWN;
                snprintf(out->error, sizeof(out->error), "fdatasync '%s': %s", s->path, strerror(e));
        } else {
                out->klass = DUNND_OUTCOME_SENT;
                snprintf(out->message_id, sizeof(out->message_id), "file-%s", num);
        }
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "file",
        .channel = NULL,
        .open = file_open,
        .deliver = file_deliver,
        .close = file_close,
};
