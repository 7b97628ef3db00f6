/* SPDX-License-Identifier: MIT */

/* A valid, minimal local carrier for SMS. It knows one option, `greeting`, and its open()
 * rejects any other key, naming it, the way real plugins must. deliver() answers SENT with
 * "strict-<dispatch_id>", except for the recipient 10000000000 (INVALID_RECIPIENT). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

struct strict_state {
        const struct dunnd_host *host;
        unsigned delivered;
};

static int strict_open(const struct dunnd_option *options, size_t n_options,
                       const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct strict_state *s;

        for (size_t i = 0; i < n_options; i++)
                if (strcmp(options[i].key, "greeting") != 0) {
                        snprintf(err, errlen, "unknown option '%s' for the strict carrier "
                                 "(it knows 'greeting')", options[i].key);
                        return -EINVAL;
                }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->host = host;
        *ret_state = s;
        return 0;
}

static void strict_deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        struct strict_state *s = state;

        if (m->recipient && strcmp(m->recipient, "10000000000") == 0) {
                out->klass = DUNND_OUTCOME_INVALID_RECIPIENT;
                snprintf(out->error, sizeof(out->error), "no such number");
                return;
        }
        s->delivered++;
        out->klass = DUNND_OUTCOME_SENT;
        snprintf(out->message_id, sizeof(out->message_id), "strict-%llu",
                 (unsigned long long) m->dispatch_id);
}

static void strict_close(void *state) {
        free(state);
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "strict",
        .channel = "sms",
        .open = strict_open,
        .deliver = strict_deliver,
        .close = strict_close,
};
