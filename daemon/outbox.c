/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "debtor.h"
#include "log.h"
#include "outbox.h"

#define RETRY_MAX_SEC 3600
#define THROTTLE_DEFAULT_SEC 3600

void outbox_row_done(OutboxRow *r) {
        free(r->unit);
        free(r->channel);
        free(r->recipient);
        free(r->name);
        free(r->subject);
        free(r->text);
        *r = (OutboxRow) {};
}

static char *dup_col(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *) t) : NULL;
}

static bool pid_alive(int64_t pid) {
        if (pid <= 0 || pid > INT32_MAX)
                return false;
        return kill((pid_t) pid, 0) >= 0 || errno != ESRCH;
}

int outbox_recover_interrupted(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *list = NULL, *mark = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        char now[32];
        int r, rc, marked = 0;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_prepare(s, "SELECT DISTINCT claimed_by FROM dispatches WHERE status = 'sending'",
                          &list);
        if (r < 0)
                return r;
        r = store_prepare(s,
                          "UPDATE dispatches SET status = 'unknown', outcome = 'unknown',"
                          "  error = 'interrupted while sending (process ' || ?1 || ' ended); it may"
                          " have reached the carrier, so it is not re-sent', claimed_by = NULL,"
                          "  updated_at = ?2"
                          " WHERE status = 'sending' AND claimed_by IS ?1",
                          &mark);
        if (r < 0)
                return r;
        store_now(now, sizeof(now));
        while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
                int64_t pid = sqlite3_column_int64(list, 0);

                /* a live process other than us is still sending its rows */
                if (pid != getpid() && pid_alive(pid))
                        continue;
                /* our own pid: rows of ours in flight are never recovered while we run;
                 * callers only recover before they start sending */
                sqlite3_bind_int64(mark, 1, pid);
                sqlite3_bind_text(mark, 2, now, -1, SQLITE_STATIC);
                r = store_step_done(mark);
                if (r < 0)
                        return r;
                marked += sqlite3_changes(s->db);
        }
        if (rc != SQLITE_DONE)
                return store_errno(rc);
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        if (marked > 0)
                log_warning("%d message(s) were interrupted mid-send by a crash or kill; they are "
                            "marked 'unknown' and will not be re-sent (see 'dunnctl log --status "
                            "unknown')", marked);
        return marked;
}

static int set_cancelled(Store *s, int64_t id) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        char now[32];
        int r;

        r = store_prepare(s,
                          "UPDATE dispatches SET status = 'cancelled', error = 'paid before the send',"
                          "  updated_at = ?2 WHERE id = ?1",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, store_now(now, sizeof(now)), -1, SQLITE_STATIC);
        return store_step_done(st);
}

int outbox_claim(Store *s, int64_t occurrence_id, outbox_accept_t accept, void *userdata,
                 OutboxRow *row, uint64_t *ret_wait_until, unsigned *cancelled) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *pick = NULL, *upd = NULL, *next = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        const char *carrier = NULL;
        time_t now = time(NULL);
        char stamp[32];
        uint64_t verdict;
        int r, rc;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_prepare(s,
                          /* two picks, each a walk of the (status, occurrence_id, id) index:
                           * an OR of the two made SQLite scan the whole occurrence per claim */
                          "WITH p AS (SELECT id FROM dispatches WHERE status = 'pending'"
                          "             AND occurrence_id = ?1 ORDER BY id LIMIT 1),"
                          "     r AS (SELECT id FROM dispatches WHERE status = 'retry'"
                          "             AND occurrence_id = ?1 AND next_attempt_at <= ?2"
                          "           ORDER BY id LIMIT 1)"
                          "SELECT d.id, d.household_id, d.contact_id, d.attempts,"
                          "       CAST(strftime('%s', d.created_at) AS INTEGER), h.unit, d.channel,"
                          "       d.recipient, d.recipient_name, d.subject, d.text"
                          "  FROM dispatches d JOIN households h ON h.id = d.household_id"
                          " WHERE d.id = (SELECT MIN(id) FROM (SELECT id FROM p UNION ALL SELECT id FROM r))",
                          &pick);
        if (r < 0)
                return r;
        sqlite3_bind_int64(pick, 1, occurrence_id);
        sqlite3_bind_int64(pick, 2, (int64_t) now);
        for (;;) {
                int64_t owed;

                rc = sqlite3_step(pick);
                if (rc != SQLITE_ROW)
                        break;
                *row = (OutboxRow) {
                        .id = sqlite3_column_int64(pick, 0),
                        .occurrence_id = occurrence_id,
                        .household_id = sqlite3_column_int64(pick, 1),
                        .contact_id = sqlite3_column_int64(pick, 2),
                        .attempts = sqlite3_column_int(pick, 3),
                        .created = (time_t) sqlite3_column_int64(pick, 4),
                        .unit = dup_col(pick, 5),
                        .channel = dup_col(pick, 6),
                        .recipient = dup_col(pick, 7),
                        .name = dup_col(pick, 8),
                        .subject = dup_col(pick, 9),
                        .text = dup_col(pick, 10),
                };
                if (!row->unit || !row->channel || !row->recipient || !row->text) {
                        outbox_row_done(row);
                        return -ENOMEM;
                }
                /* a payment recorded before the send means no send */
                r = household_balance(s, row->household_id, &owed);
                if (r < 0)
                        goto fail;
                if (owed > 0)
                        break;
                r = set_cancelled(s, row->id);
                if (r < 0)
                        goto fail;
                (*cancelled)++;
                outbox_row_done(row);
                sqlite3_reset(pick);
        }
        if (rc == SQLITE_DONE) {
                /* nothing due now: when is the next retry? */
                r = store_prepare(s,
                                  "SELECT MIN(next_attempt_at) FROM dispatches"
                                  " WHERE occurrence_id = ?1 AND status = 'retry'",
                                  &next);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(next, 1, occurrence_id);
                *ret_wait_until = sqlite3_step(next) == SQLITE_ROW
                                          ? (uint64_t) sqlite3_column_int64(next, 0) * 1000000ULL : 0;
                r = store_commit(s);
                tx = NULL;
                if (r < 0)
                        return r;
                return *ret_wait_until ? OUTBOX_WAIT : OUTBOX_EMPTY;
        }
        if (rc != SQLITE_ROW)
                return store_errno(rc);

        verdict = accept(row, userdata, &carrier);
        if (verdict != 0) {
                outbox_row_done(row);
                store_rollback(s);
                tx = NULL;
                if (verdict == OUTBOX_BLOCKED)
                        return OUTBOX_BUSY;
                *ret_wait_until = verdict;
                return OUTBOX_WAIT;
        }
        r = store_prepare(s,
                          "UPDATE dispatches SET status = 'sending', attempts = attempts + 1,"
                          "  claimed_by = ?2, carrier = ?3, updated_at = ?4 WHERE id = ?1",
                          &upd);
        if (r < 0)
                goto fail;
        sqlite3_bind_int64(upd, 1, row->id);
        sqlite3_bind_int64(upd, 2, (int64_t) getpid());
        sqlite3_bind_text(upd, 3, carrier, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 4, store_now(stamp, sizeof(stamp)), -1, SQLITE_STATIC);
        r = store_step_done(upd);
        if (r < 0)
                goto fail;
        /* durable (synchronous=FULL) before the request goes out */
        r = store_commit(s);
        tx = NULL;
        if (r < 0)
                goto fail;
        row->attempts++;
        return OUTBOX_CLAIMED;
fail:
        outbox_row_done(row);
        return r;
}

static time_t retry_delay(const OutboxRow *row, const OutboxPolicy *p, const struct dunnd_outcome *o) {
        time_t d;

        /* the carrier said when: honour it */
        if (o->retry_after_ms > 0)
                return (time_t) ((o->retry_after_ms + 999) / 1000);
        d = (time_t) (p->retry_base_sec ? p->retry_base_sec : 1) << (row->attempts > 10 ? 10 : row->attempts - 1);
        if (d > RETRY_MAX_SEC)
                d = RETRY_MAX_SEC;
        /* jitter of up to a quarter, so a crowd of retries does not arrive at once */
        return d + (time_t) (random() % (d / 4 + 1));
}

/* The household's next channel after the failed one, in the schedule's order, that has a
 * usable contact and no row yet in this occurrence: queue the same text there, once. */
static int failover(Store *s, const OutboxRow *row, const char *now, bool *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(s,
                          "WITH RECURSIVE split(ch, rest, pos) AS ("
                          "   SELECT '', (SELECT channels FROM occurrences WHERE id = ?2) || ',', 0"
                          "   UNION ALL SELECT substr(rest, 1, instr(rest, ',') - 1),"
                          "                    substr(rest, instr(rest, ',') + 1), pos + 1"
                          "     FROM split WHERE rest != ''),"
                          " failed AS (SELECT pos FROM split WHERE ch = ?3),"
                          " nextc AS ("
                          "   SELECT c.id AS contact_id, c.channel, c.address, split.pos"
                          "     FROM split JOIN contacts c ON c.channel = split.ch"
                          "    WHERE c.household_id = ?4 AND c.state != 'invalid'"
                          "      AND split.pos > (SELECT pos FROM failed)"
                          "      AND NOT (c.channel = 'sms' AND (SELECT category FROM dispatches"
                          "                                       WHERE id = ?1) = 'unreachable')"
                          "      AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.occurrence_id = ?2"
                          "                         AND d.household_id = ?4 AND d.channel = c.channel)"
                          "    ORDER BY split.pos, c.priority, c.id LIMIT 1)"
                          " INSERT INTO dispatches (occurrence_id, household_id, channel, contact_id,"
                          "   recipient, recipient_name, category, template, subject, text, parts, amount,"
                          "   status, created_at, updated_at)"
                          " SELECT d.occurrence_id, d.household_id, nextc.channel, nextc.contact_id,"
                          "        nextc.address, d.recipient_name, d.category, d.template, d.subject,"
                          "        d.text, d.parts, d.amount, 'pending', ?5, ?5"
                          "   FROM dispatches d, nextc WHERE d.id = ?1",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, row->id);
        sqlite3_bind_int64(st, 2, row->occurrence_id);
        sqlite3_bind_text(st, 3, row->channel, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, row->household_id);
        sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
        r = store_step_done(st);
        if (r < 0)
                return r;
        *ret = sqlite3_changes(s->db) > 0;
        return 0;
}

static int mark_contact_invalid(Store *s, const OutboxRow *row, const char *reason,
                                const char *now) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        if (row->contact_id <= 0)
                return 0;
        r = store_prepare(s,
                          "UPDATE contacts SET state = 'invalid', state_reason = ?2,"
                          "  state_changed_at = ?3 WHERE id = ?1",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, row->contact_id);
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
        return store_step_done(st);
}

int outbox_record(Store *s, const OutboxRow *row, const OutboxPolicy *policy,
                  const struct dunnd_outcome *o, bool *ret_failover) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        static const char *const status_names[] = {
                [OUTBOX_SENT] = "sent", [OUTBOX_RETRY] = "retry", [OUTBOX_FAILED] = "failed",
                [OUTBOX_UNKNOWN] = "unknown", [OUTBOX_REQUEUED] = "pending",
        };
        static const char *const outcome_names[_DUNND_OUTCOME_MAX] = {
                [DUNND_OUTCOME_SENT] = "sent", [DUNND_OUTCOME_TRANSIENT] = "transient",
                [DUNND_OUTCOME_THROTTLED] = "throttled",
                [DUNND_OUTCOME_INVALID_RECIPIENT] = "invalid_recipient",
                [DUNND_OUTCOME_REJECTED] = "rejected", [DUNND_OUTCOME_UNKNOWN] = "unknown",
                [DUNND_OUTCOME_CARRIER_FAILURE] = "carrier_failure",
        };
        OutboxStatus status;
        char now[32];
        time_t next = 0, t = time(NULL);
        int r, attempts_delta = 0;

        *ret_failover = false;
        switch (o->klass) {
        case DUNND_OUTCOME_SENT:
                status = OUTBOX_SENT;
                break;
        case DUNND_OUTCOME_TRANSIENT:
                if (row->attempts >= (int) policy->max_attempts ||
                    t - row->created >= (time_t) policy->max_age_sec)
                        status = OUTBOX_FAILED;
                else {
                        status = OUTBOX_RETRY;
                        next = t + retry_delay(row, policy, o);
                }
                break;
        case DUNND_OUTCOME_THROTTLED:
                /* a per-recipient cap is not the message's fault: not an attempt */
                status = OUTBOX_RETRY;
                attempts_delta = -1;
                next = t + (o->retry_after_ms > 0 ? (time_t) ((o->retry_after_ms + 999) / 1000)
                                                  : THROTTLE_DEFAULT_SEC);
                break;
        case DUNND_OUTCOME_INVALID_RECIPIENT:
        case DUNND_OUTCOME_REJECTED:
                status = OUTBOX_FAILED;
                break;
        case DUNND_OUTCOME_CARRIER_FAILURE:
                /* the carrier refused everything (credentials, balance): nothing went out,
                 * the row waits for the carrier to recover */
                status = OUTBOX_REQUEUED;
                attempts_delta = -1;
                break;
        case DUNND_OUTCOME_UNKNOWN:
        default:
                status = OUTBOX_UNKNOWN;
                break;
        }

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_prepare(s,
                          "UPDATE dispatches SET status = ?2, outcome = ?3, error = ?4,"
                          "  carrier_message_id = ?5, attempts = attempts + ?6, claimed_by = NULL,"
                          "  next_attempt_at = ?7, updated_at = ?8,"
                          "  sent_at = CASE WHEN ?2 = 'sent' THEN ?8 ELSE sent_at END"
                          " WHERE id = ?1",
                          &st);
        if (r < 0)
                return r;
        store_now(now, sizeof(now));
        sqlite3_bind_int64(st, 1, row->id);
        sqlite3_bind_text(st, 2, status_names[status], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, (unsigned) o->klass < _DUNND_OUTCOME_MAX ? outcome_names[o->klass]
                                                                          : "unknown", -1, SQLITE_STATIC);
        if (o->error[0])
                sqlite3_bind_text(st, 4, o->error, -1, SQLITE_STATIC);
        if (o->message_id[0])
                sqlite3_bind_text(st, 5, o->message_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, attempts_delta);
        if (next)
                sqlite3_bind_int64(st, 7, (int64_t) next);
        sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
        r = store_step_done(st);
        if (r < 0)
                return r;
        if (o->klass == DUNND_OUTCOME_INVALID_RECIPIENT) {
                r = mark_contact_invalid(s, row, o->error[0] ? o->error : "invalid recipient", now);
                if (r < 0)
                        return r;
                r = failover(s, row, now, ret_failover);
                if (r < 0)
                        return r;
        }
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return status;
}

int outbox_count_open(Store *s, int64_t occurrence_id, unsigned *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = store_prepare(s,
                          "SELECT COUNT(*) FROM dispatches WHERE occurrence_id = ?1"
                          "   AND status IN ('pending', 'retry')",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, occurrence_id);
        if (sqlite3_step(st) != SQLITE_ROW)
                return store_errno(sqlite3_errcode(s->db));
        *ret = (unsigned) sqlite3_column_int(st, 0);
        return 0;
}
