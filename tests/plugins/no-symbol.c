/* SPDX-License-Identifier: MIT */

/* A shared object that loads fine but exports no `dunnd_carrier`: the struct is there under
 * a misspelt name, which is what a typo in a third-party plugin looks like. */

#include <stddef.h>

#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

static int nosym_open(const struct dunnd_option *options, size_t n_options,
                      const struct dunnd_host *host, void **ret_state, char *err, size_t errlen) {
        (void) options, (void) n_options, (void) host, (void) err, (void) errlen;
        *ret_state = NULL;
        return 0;
}

static void nosym_deliver(void *state, const struct dunnd_message *m, struct dunnd_outcome *out) {
        (void) state, (void) m;
        out->klass = DUNND_OUTCOME_SENT;
}

static void nosym_close(void *state) {
        (void) state;
}

extern const struct dunnd_carrier dunnd_carier;
EXPORT const struct dunnd_carrier dunnd_carier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "no-symbol",
        .open = nosym_open,
        .deliver = nosym_deliver,
        .close = nosym_close,
};
