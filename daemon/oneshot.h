/* SPDX-License-Identifier: MIT */
#pragma once

/* `dunnctl run`'s own event loop around the dispatcher, until the occurrence is drained.
 * SIGINT/SIGTERM stop it after the requests in flight are answered and recorded; a carrier
 * that refuses everything stops it too (cron should not wait for someone to fix the
 * credentials), leaving the rest pending. */

#include "carrier.h"
#include "dispatch.h"
#include "store.h"

typedef struct OneShotHooks {
        dispatch_progress_t progress;   /* NULL: none */
        void *userdata;
        /* non-NULL: sends wait while this config's quiet hours last */
        const Config *quiet_hours;
        OutboxRefresh refresh;          /* renders a row again after a partial payment */
} OneShotHooks;

int oneshot_dispatch(Store *s, CarrierSet *carriers, int64_t occurrence_id,
                     const char *occurrence_key, const OneShotHooks *hooks, DispatchStats *ret);
