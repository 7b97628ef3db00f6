/* SPDX-License-Identifier: MIT */
#pragma once

/* Draining an occurrence's outbox through the carriers, one row at a time:
 *
 *   claim   BEGIN IMMEDIATE; re-check the household still owes (a payment recorded before
 *           the send means no send); status pending/retry -> sending, attempts+1,
 *           claimed_by = our pid; COMMIT (synchronous=FULL: durable before the request)
 *   send    the carrier
 *   record  sending -> sent | retry | failed | unknown, in its own transaction
 *
 * A row found in `sending` whose claiming process is gone was interrupted mid-send: it may
 * have reached the carrier, so it becomes `unknown` and is reported, never re-sent. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "carrier.h"
#include "store.h"

typedef void (*dispatch_progress_t)(unsigned done, unsigned total, void *userdata);

typedef struct DispatchStats {
        unsigned attempted;
        unsigned sent;
        unsigned failed;
        unsigned unknown;
        unsigned cancelled;             /* paid before the send */
        unsigned retried;
        bool carrier_paused;            /* a carrier-wide failure stopped the run */
} DispatchStats;

/* Marks rows left in `sending` by processes that no longer exist as `unknown`. Returns the
 * number of rows marked, or a negative errno. */
int dispatch_recover_interrupted(Store *s);

/* One occurrence's outbox being drained, a row per step, so that an event loop can serve
 * signals, the watchdog and reloads between rows. */
typedef struct DispatchRun DispatchRun;

int dispatch_run_new(Store *s, CarrierSet *carriers, int64_t occurrence_id,
                     const char *occurrence_key, DispatchRun **ret);
DispatchRun *dispatch_run_free(DispatchRun *r);

typedef enum DispatchStep {
        DISPATCH_STEP_DONE,             /* nothing left to send (or the carrier paused) */
        DISPATCH_STEP_SENT,             /* one row handled; call again */
        DISPATCH_STEP_WAIT,             /* nothing due (retries, rate limit): call again at
                                         * *ret_wait_until (µs, CLOCK_REALTIME) */
} DispatchStep;

/* Handles the next due row. Returns a DispatchStep or a negative errno (store errors;
 * carrier faults are outcomes, not errors). */
int dispatch_run_step(DispatchRun *r, uint64_t *ret_wait_until);

/* Counters so far; total = rows open when the run started. */
const DispatchStats *dispatch_run_stats(const DispatchRun *r);
unsigned dispatch_run_done(const DispatchRun *r);
unsigned dispatch_run_total(const DispatchRun *r);
const char *dispatch_run_key(const DispatchRun *r);
int64_t dispatch_run_occurrence(const DispatchRun *r);

/* Sends every pending row of the occurrence, sleeping for retries (dunnctl). Returns 0 or a
 * negative errno. */
int dispatch_occurrence(Store *s, CarrierSet *carriers, int64_t occurrence_id,
                        const char *occurrence_key, dispatch_progress_t progress, void *userdata,
                        DispatchStats *ret);

static inline void dispatch_run_freep(DispatchRun **r) {
        if (*r)
                dispatch_run_free(*r);
}

/* Stops dispatch_occurrence() after the row in hand (set from a signal handler). */
extern volatile int dispatch_stop_requested;
