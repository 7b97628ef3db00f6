/* SPDX-License-Identifier: MIT */
#pragma once

/* The dispatcher: drains occurrences' outboxes through the carriers on an sd-event loop,
 * used by both dunnd and `dunnctl run`.
 *
 *   - one libcurl multi handle (curl-glue.c): many requests in flight at once;
 *   - per carrier: `concurrency` requests in flight, a token bucket (`rate`, `burst`), and a
 *     circuit breaker: `failure_threshold` consecutive transient failures, or one
 *     carrier-wide refusal (credentials, balance), pause it for `pause`; it then lets one
 *     request through and recovers on success;
 *   - every row goes claim -> request -> record (outbox.c), each step committed before the
 *     next acts on it, so a crash leaves at most the rows in flight, which become `unknown`;
 *   - local carriers (deliver()) are called inline, a few rows per loop iteration, so the
 *     loop stays responsive.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "carrier.h"
#include "store.h"

typedef struct Dispatcher Dispatcher;
typedef struct DispatchRun DispatchRun;

typedef struct DispatchStats {
        unsigned attempted;
        unsigned sent;
        unsigned failed;
        unsigned unknown;
        unsigned cancelled;             /* paid before the send */
        unsigned retried;
        unsigned failovers;
        bool carrier_paused;            /* some carrier refused or tripped its breaker */
        bool carrier_refused;           /* some carrier refused everything (credentials, ...) */
        bool stopped;                   /* ended by dispatcher_stop() with rows left */
} DispatchStats;

typedef struct DispatchHooks {
        /* after each finished row: done of total rows that were open at the start */
        void (*progress)(DispatchRun *run, unsigned done, unsigned total, void *userdata);
        /* before claiming: µs (CLOCK_REALTIME) until which the run must not send (quiet
         * hours), or 0 */
        uint64_t (*hold)(DispatchRun *run, void *userdata);
        /* the run ended (drained, or stopped); the run is freed after this returns */
        void (*done)(DispatchRun *run, void *userdata);
        void *userdata;
} DispatchHooks;

int dispatcher_new(sd_event *event, Store *store, Dispatcher **ret);
/* Aborts requests still in flight (their rows become `unknown`: they may have arrived). */
Dispatcher *dispatcher_free(Dispatcher *d);

/* Starts draining an occurrence through carriers (which must outlive the run). */
int dispatcher_start(Dispatcher *d, CarrierSet *carriers, int64_t occurrence_id,
                     const char *occurrence_key, const DispatchHooks *hooks, DispatchRun **ret);

/* Claims nothing more; each run ends (done hook) once its requests in flight are answered. */
void dispatcher_stop(Dispatcher *d);
unsigned dispatcher_in_flight(const Dispatcher *d);
bool dispatcher_has_runs(const Dispatcher *d);

const DispatchStats *dispatch_run_stats(const DispatchRun *r);
unsigned dispatch_run_done(const DispatchRun *r);
unsigned dispatch_run_total(const DispatchRun *r);
const char *dispatch_run_key(const DispatchRun *r);

/* Marks rows left `sending` by dead processes `unknown` (outbox_recover_interrupted). */
int dispatch_recover_interrupted(Store *s);

/* One message, blocking, outside any outbox (dunnctl test-carrier): the same request the
 * dispatcher would make. Returns 0 with *o filled, or a negative errno. */
int dispatch_send_one(Carrier *c, const struct dunnd_message *m, struct dunnd_outcome *o);

typedef void (*dispatch_progress_t)(unsigned done, unsigned total, void *userdata);

/* dunnctl: its own loop until the occurrence is drained; SIGINT/SIGTERM stop it after the
 * requests in flight. Returns 0 or a negative errno. */
int dispatch_occurrence(Store *s, CarrierSet *carriers, int64_t occurrence_id,
                        const char *occurrence_key, dispatch_progress_t progress, void *userdata,
                        DispatchStats *ret);
