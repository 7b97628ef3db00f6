/* SPDX-License-Identifier: MIT */

/* A carrier built against a future ABI: the loader must refuse it before touching any other
 * member. Everything else is valid, so only the ABI number can be the reason. */

#include <errno.h>
#include <stddef.h>

#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

static int wrong_open(const struct dunnd_option *options, size_t n_options,
                      const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        (void) options, (void) n_options, (void) host, (void) err, (void) errlen;
        *ret_state = NULL;
        return 0;
}

static void wrong_deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        (void) state, (void) m;
        out->klass = DUNND_OUTCOME_SENT;
}

static void wrong_close(void *state) {
        (void) state;
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = 99,
        .size = sizeof(struct dunnd_carrier),
        .name = "wrong-abi",
        .open = wrong_open,
        .deliver = wrong_deliver,
        .close = wrong_close,
};
