/* SPDX-License-Identifier: MIT */
#pragma once

/* The outbox rows of the store and the transitions a send makes them go through:
 *
 *   claim   BEGIN IMMEDIATE; the next due row (pending, or retry whose time came); a row of
 *           a household that no longer owes is cancelled instead (a payment recorded before
 *           the send means no send); the dispatcher accepts it or not (capacity, rate,
 *           circuit breaker); pending -> sending, attempts+1, claimed_by = our pid; COMMIT.
 *           synchronous=FULL: the mark is durable before the request exists.
 *   record  sending -> sent | retry | failed | unknown (or back to pending when the carrier
 *           refused everything), in one transaction with what follows from it: an invalid
 *           contact is marked invalid and the household fails over to the schedule's next
 *           channel, once (the row is unique per occurrence × household × channel).
 *
 * A row found in `sending` whose claiming process is gone was interrupted mid-send: it may
 * have reached the carrier, so it becomes `unknown` and is reported, never re-sent. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dunnd-carrier.h"
#include "store.h"

typedef struct OutboxRow {
        int64_t id;
        int64_t occurrence_id;
        int64_t household_id;
        int64_t contact_id;
        int attempts;                   /* including the claim that produced this row */
        time_t created;
        char *unit, *channel, *recipient, *name, *subject, *text;
} OutboxRow;

void outbox_row_done(OutboxRow *r);

/* The dispatcher's say on a row about to be claimed: 0 = take it (and *ret_carrier names
 * the carrier it goes to), OUTBOX_BLOCKED = not now (the carrier is busy; a completion will
 * free it), or a positive µs wall-clock time before which it cannot go (rate limit, paused
 * carrier, no carrier for its channel yet). */
#define OUTBOX_BLOCKED UINT64_MAX
typedef uint64_t (*outbox_accept_t)(const OutboxRow *row, void *userdata, const char **ret_carrier);

typedef enum OutboxClaim {
        OUTBOX_CLAIMED,                 /* *ret_row is ours, in `sending` */
        OUTBOX_EMPTY,                   /* nothing pending or to retry */
        OUTBOX_WAIT,                    /* something later: at *ret_wait_until (µs) */
        OUTBOX_BUSY,                    /* the next row's carrier is busy */
} OutboxClaim;

/* Claims the next due row of an occurrence. *cancelled counts rows cancelled because the
 * household paid. Returns an OutboxClaim or a negative errno. */
int outbox_claim(Store *s, int64_t occurrence_id, outbox_accept_t accept, void *userdata,
                 OutboxRow *ret_row, uint64_t *ret_wait_until, unsigned *cancelled);

typedef struct OutboxPolicy {
        unsigned max_attempts;
        uint64_t max_age_sec;
        uint64_t retry_base_sec;        /* doubled per attempt, capped at an hour, jittered */
} OutboxPolicy;

/* What record made of an outcome. */
typedef enum OutboxStatus {
        OUTBOX_SENT,
        OUTBOX_RETRY,
        OUTBOX_FAILED,
        OUTBOX_UNKNOWN,
        OUTBOX_REQUEUED,                /* carrier-wide refusal: pending again, not an attempt */
} OutboxStatus;

/* Records the outcome of a claimed row. *ret_failover is set when a row on another channel
 * was queued for the household. Returns an OutboxStatus or a negative errno. */
int outbox_record(Store *s, const OutboxRow *row, const OutboxPolicy *policy,
                  const struct dunnd_outcome *o, bool *ret_failover);

/* Marks rows left in `sending` by processes that no longer exist as `unknown`. Returns the
 * number of rows marked, or a negative errno. */
int outbox_recover_interrupted(Store *s);

/* Rows of the occurrence still to send (pending or retry). */
int outbox_count_open(Store *s, int64_t occurrence_id, unsigned *ret);
