/* SPDX-License-Identifier: MIT */
#pragma once

/* The outbox: one row per occurrence × household × channel (store-outbox.c holds them),
 * and the rules a send moves a row by. A row goes
 *
 *   pending | retry(due) --claim--> sending --record--> sent | retry | failed | unknown
 *                                                       | pending (carrier refused all)
 *
 * claim    marks a batch of due rows `sending` in one transaction that commits (durably,
 *          synchronous=FULL) before any of their requests exists; a row whose household
 *          no longer owes is `cancelled` instead (a payment before the send means no send).
 * record   writes an outcome; outcomes are group-committed, together with the next claim.
 *
 * A row found in `sending` whose claiming process is gone was interrupted mid-send: it may
 * have reached the carrier, so it becomes `unknown` and is reported, never re-sent. Since a
 * carrier's slot is refilled only by the transaction that records the outcome which freed
 * it, a carrier's `sending` rows never outnumber its concurrency: after kill -9 at most the
 * sum of the carriers' concurrency is `unknown`, and only requests in flight or answered
 * but not yet recorded.
 *
 * This file is the pure part: what an outcome makes of a row. */

#include <stdbool.h>
#include <stdint.h>

#include "dunnd-carrier.h"

typedef struct OutboxRow {
        int64_t id;
        int64_t occurrence_id;
        int64_t household_id;
        int64_t contact_id;             /* 0 = none */
        int attempts;                   /* including the claim that produced this row */
        uint64_t created_usec;
        char *unit, *channel, *recipient, *name, *subject, *text;
} OutboxRow;

void outbox_row_done(OutboxRow *r);

typedef struct OutboxPolicy {
        unsigned max_attempts;
        uint64_t max_age_usec;
        uint64_t retry_base_usec;       /* doubled per attempt, capped at an hour, jittered */
} OutboxPolicy;

typedef enum OutboxStatus {
        OUTBOX_SENT,
        OUTBOX_RETRY,
        OUTBOX_FAILED,
        OUTBOX_UNKNOWN,
        OUTBOX_REQUEUED,                /* carrier-wide refusal: pending again, not an attempt */
        _OUTBOX_STATUS_MAX,
} OutboxStatus;

/* The status column's value: "sent", "retry", "failed", "unknown", "pending". */
const char *outbox_status_to_string(OutboxStatus s);

typedef struct OutboxDecision {
        OutboxStatus status;
        int attempts_delta;             /* 0, or -1: the claim's attempt does not count */
        uint64_t next_attempt_usec;     /* for OUTBOX_RETRY/REQUEUED, else 0 */
} OutboxDecision;

#define OUTBOX_RETRY_MAX_USEC (3600 * 1000000ULL)
#define OUTBOX_THROTTLE_DEFAULT_USEC (3600 * 1000000ULL)

/* What an outcome makes of a claimed row at now_usec. carrier_paused: the carrier's
 * circuit breaker is open — an outage is not the household's fault, so a transient
 * failure then counts no attempt (max_age still ends it) and waits for paused_until.
 * jitter in [0, 1) spreads retries by up to a quarter of their delay. A carrier's
 * Retry-After is honoured exactly (never earlier). */
OutboxDecision outbox_decide(const OutboxRow *row, const OutboxPolicy *p,
                             const struct dunnd_outcome *o, uint64_t now_usec,
                             bool carrier_paused, uint64_t paused_until_usec, double jitter);
