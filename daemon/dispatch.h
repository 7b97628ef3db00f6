/* SPDX-License-Identifier: MIT */
#pragma once

/* The dispatcher: drains occurrences' outboxes through the carriers on an sd-event loop,
 * used by both dunnd and `dunnctl run` (oneshot.c).
 *
 *   - per carrier: `concurrency` rows out at once, a token bucket (`rate`, `burst`), and a
 *     circuit breaker (breaker.h);
 *   - a group commit: one transaction records every outcome answered since the last one and
 *     claims the rows that refill the slots those outcomes freed (outbox.h); it commits
 *     (synchronous=FULL) before any claimed request exists. A slot is refilled only by the
 *     transaction that records the outcome which freed it, so a carrier never has more
 *     than `concurrency` rows `sending`: after kill -9 that many are `unknown` at most;
 *   - network carriers run on one libcurl multi handle (transfer.c); a local carrier's
 *     deliver() is called inline for the rows of one claim, so the loop stays responsive;
 *   - an outcome the store cannot take (database locked, disk full) stays in memory and is
 *     written again shortly, never dropped.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "carrier.h"
#include "store.h"
#include "store-outbox.h"

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
        /* after outcomes were committed: done of total rows that were open at the start */
        void (*progress)(DispatchRun *run, unsigned done, unsigned total, void *userdata);
        /* before claiming: µs (CLOCK_REALTIME) until which the run must not send (quiet
         * hours), or 0 */
        uint64_t (*hold)(DispatchRun *run, void *userdata);
        /* the run ended (drained, or stopped); the run is freed after this returns */
        void (*done)(DispatchRun *run, void *userdata);
        void *userdata;
        /* renders a claimed row again when its household paid part since the plan */
        OutboxRefresh refresh;
} DispatchHooks;

/* The group commit's counters, for the benchmark and the tests. */
typedef struct DispatchCommits {
        uint64_t transactions;          /* that committed */
        uint64_t outcomes;              /* recorded in them */
        uint64_t claims;                /* rows claimed in them */
        uint64_t failed;                /* transactions that did not commit */
        unsigned max_sending;           /* the most rows `sending` at once (claimed, not recorded) */
} DispatchCommits;

int dispatcher_new(sd_event *event, Store *store, Dispatcher **ret);
/* Aborts requests still in flight (their rows become `unknown`: they may have arrived) and
 * records every outcome it holds. */
Dispatcher *dispatcher_free(Dispatcher *d);

/* Starts draining an occurrence through carriers (which must outlive the run). */
int dispatcher_start(Dispatcher *d, CarrierSet *carriers, int64_t occurrence_id,
                     const char *occurrence_key, const DispatchHooks *hooks, DispatchRun **ret);

/* Claims nothing more; each run ends (done hook) once its requests in flight are answered
 * and recorded. */
void dispatcher_stop(Dispatcher *d);
unsigned dispatcher_in_flight(const Dispatcher *d);
const DispatchCommits *dispatcher_commits(const Dispatcher *d);

const DispatchStats *dispatch_run_stats(const DispatchRun *r);
unsigned dispatch_run_done(const DispatchRun *r);
unsigned dispatch_run_total(const DispatchRun *r);
const char *dispatch_run_key(const DispatchRun *r);

/* Marks rows left `sending` by dead processes `unknown`, and says so in the log. Rows
 * under this process's own pid count as a dead predecessor's (the pid was reused), so call
 * it only before this process sends anything. Returns the number of rows marked or a
 * negative errno. */
int dispatch_recover_interrupted(Store *s);

typedef void (*dispatch_progress_t)(unsigned done, unsigned total, void *userdata);
