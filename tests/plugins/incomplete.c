/* SPDX-License-Identifier: MIT */

/* A carrier of the right ABI that can neither deliver() nor prepare(): it could never send
 * anything, so the loader must refuse it. */

#include <stddef.h>

#include "dunnd-carrier.h"

#define EXPORT __attribute__((visibility("default")))

static int incomplete_open(const struct dunnd_option *options, size_t n_options,
                           const struct dunnd_host *host, void **ret_state, char *err,
                           size_t errlen) {
        (void) options, (void) n_options, (void) host, (void) err, (void) errlen;
        *ret_state = NULL;
        return 0;
}

static void incomplete_close(void *state) {
        (void) state;
}

EXPORT const struct dunnd_carrier dunnd_carrier = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "incomplete",
        .channel = "sms",
        .open = incomplete_open,
        .close = incomplete_close,
};
