/* SPDX-License-Identifier: MIT */

/* A local SMS carrier for the tests whose numbers may be dead: option `dead` lists them
 * ("13900000001,13900000002"), and a message to one of them is answered
 * INVALID_RECIPIENT "空号" as an operator's gateway would; every other one is SENT
 * ("dead-numbers-<dispatch_id>"). Nothing leaves the process. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

struct dead_state {
        char *dead;                     /* ",13900000001,13900000002," */
};

static int dead_open(const struct dunnd_option *options, size_t n_options,
                     const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        struct dead_state *s;
        const char *dead = "";

        (void) host;
        for (size_t i = 0; i < n_options; i++) {
                if (strcmp(options[i].key, "dead") != 0) {
                        snprintf(err, errlen, "unknown option '%s' for the dead-numbers carrier "
                                 "(it knows 'dead')", options[i].key);
                        return -EINVAL;
                }
                dead = options[i].value;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if (asprintf(&s->dead, ",%s,", dead) < 0) {
                free(s);
                return -ENOMEM;
        }
        *ret_state = s;
        return 0;
}

static void dead_deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        struct dead_state *s = state;
        char key[32];

        snprintf(key, sizeof(key), ",%s,", m->recipient ? m->recipient : "");
        if (strstr(s->dead, key)) {
                out->klass = DUNND_OUTCOME_INVALID_RECIPIENT;
                snprintf(out->error, sizeof(out->error), "空号");
                return;
        }
        out->klass = DUNND_OUTCOME_SENT;
        snprintf(out->message_id, sizeof(out->message_id), "dead-numbers-%llu",
                 (unsigned long long) m->dispatch_id);
}

static void dead_close(void *state) {
        struct dead_state *s = state;

        if (s)
                free(s->dead);
        free(s);
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "dead-numbers",
        .channel = "sms",
        .open = dead_open,
        .deliver = dead_deliver,
        .close = dead_close,
};
