/* SPDX-License-Identifier: MIT */

#include <stdlib.h>

#include "macro.h"
#include "outbox.h"

void outbox_row_done(OutboxRow *r) {
        free(r->unit);
        free(r->channel);
        free(r->recipient);
        free(r->name);
        free(r->subject);
        free(r->text);
        *r = (OutboxRow) {};
}

const char *outbox_status_to_string(OutboxStatus s) {
        static const char *const names[_OUTBOX_STATUS_MAX] = {
                [OUTBOX_SENT] = "sent", [OUTBOX_RETRY] = "retry", [OUTBOX_FAILED] = "failed",
                [OUTBOX_UNKNOWN] = "unknown", [OUTBOX_REQUEUED] = "pending",
        };
        return (unsigned) s < _OUTBOX_STATUS_MAX ? names[s] : "unknown";
}

static uint64_t backoff_usec(const OutboxRow *row, const OutboxPolicy *p, double jitter) {
        uint64_t base = p->retry_base_usec ? p->retry_base_usec : 1000000ULL, d;
        int shift = row->attempts > 11 ? 10 : row->attempts > 1 ? row->attempts - 1 : 0;

        d = base > OUTBOX_RETRY_MAX_USEC >> shift ? OUTBOX_RETRY_MAX_USEC : base << shift;
        if (d > OUTBOX_RETRY_MAX_USEC)
                d = OUTBOX_RETRY_MAX_USEC;
        if (jitter < 0 || jitter >= 1)
                jitter = 0;
        /* a crowd of retries must not come back at once */
        return d + (uint64_t) ((double) (d / 4) * jitter);
}

OutboxDecision outbox_decide(const OutboxRow *row, const OutboxPolicy *p,
                             const struct dunnd_outcome *o, uint64_t now_usec,
                             bool carrier_paused, uint64_t paused_until_usec, double jitter) {
        uint64_t retry_after = o->retry_after_ms > 0 ? (uint64_t) o->retry_after_ms * 1000ULL : 0;
        bool too_old = now_usec > row->created_usec && now_usec - row->created_usec >= p->max_age_usec;

        switch (o->klass) {
        case DUNND_OUTCOME_SENT:
                return (OutboxDecision) { .status = OUTBOX_SENT };
        case DUNND_OUTCOME_TRANSIENT:
                if (carrier_paused) {
                        uint64_t next = paused_until_usec > now_usec ? paused_until_usec : now_usec;

                        if (too_old)
                                return (OutboxDecision) { .status = OUTBOX_FAILED };
                        if (retry_after && now_usec + retry_after > next)
                                next = now_usec + retry_after;
                        return (OutboxDecision) { .status = OUTBOX_RETRY, .attempts_delta = -1,
                                                  .next_attempt_usec = next };
                }
                if (row->attempts >= (int) p->max_attempts || too_old)
                        return (OutboxDecision) { .status = OUTBOX_FAILED };
                return (OutboxDecision) {
                        .status = OUTBOX_RETRY,
                        .next_attempt_usec = now_usec + (retry_after ? retry_after
                                                                     : backoff_usec(row, p, jitter)),
                };
        case DUNND_OUTCOME_THROTTLED:
                /* a per-recipient cap is not the message's fault: not an attempt */
                return (OutboxDecision) {
                        .status = OUTBOX_RETRY, .attempts_delta = -1,
                        .next_attempt_usec = now_usec + (retry_after ? retry_after
                                                                     : OUTBOX_THROTTLE_DEFAULT_USEC),
                };
        case DUNND_OUTCOME_INVALID_RECIPIENT:
        case DUNND_OUTCOME_REJECTED:
                return (OutboxDecision) { .status = OUTBOX_FAILED };
        case DUNND_OUTCOME_CARRIER_FAILURE:
                /* the carrier refused everything (credentials, balance): nothing went out,
                 * the row waits for the carrier to recover */
                return (OutboxDecision) { .status = OUTBOX_REQUEUED, .attempts_delta = -1 };
        case DUNND_OUTCOME_UNKNOWN:
        default:
                return (OutboxDecision) { .status = OUTBOX_UNKNOWN };
        }
}
