/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "debtor.h"
#include "dispatch.h"
#include "log.h"
#include "mask.h"

volatile int dispatch_stop_requested;

#define RETRY_BASE_SEC 5
#define RETRY_MAX_SEC 3600
#define THROTTLE_DEFAULT_SEC 3600

/* One claimed row, with everything the carrier needs. */
typedef struct Claim {
        int64_t id;
        int64_t household_id;
        int64_t contact_id;
        int attempts;
        time_t created;
        char *unit, *channel, *recipient, *name, *subject, *text;
} Claim;

static void claim_done(Claim *c) {
        free(c->unit);
        free(c->channel);
        free(c->recipient);
        free(c->name);
        free(c->subject);
        free(c->text);
        *c = (Claim) {};
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

int dispatch_recover_interrupted(Store *s) {
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

                /* our own pid: a row of ours cannot be in flight while we are here */
                if (pid != getpid() && pid_alive(pid))
                        continue;
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

static int set_status(Store *s, int64_t id, const char *status, const char *outcome,
                      const char *error, int attempts_delta) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        char now[32];
        int r;

        r = store_prepare(s,
                          "UPDATE dispatches SET status = ?2, outcome = ?3, error = ?4,"
                          "  attempts = attempts + ?5, claimed_by = NULL, updated_at = ?6"
                          " WHERE id = ?1",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, attempts_delta);
        sqlite3_bind_text(st, 6, store_now(now, sizeof(now)), -1, SQLITE_STATIC);
        return store_step_done(st);
}

/* Claims the next row that is due. Returns 1 with *claim filled, 0 when nothing is due now
 * (*ret_next_due = µs when something will be: the earliest retry or the carrier's next
 * token; 0 if nothing is left), or a negative errno. */
static int claim_next(Store *s, CarrierSet *carriers, int64_t occurrence_id, Claim *claim,
                      Carrier **ret_carrier, uint64_t *ret_next_due, unsigned *cancelled) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *pick = NULL, *upd = NULL, *next = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        time_t now = time(NULL);
        char stamp[32];
        int r, rc;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_prepare(s,
                          "SELECT d.id, d.household_id, d.contact_id, d.attempts,"
                          "       CAST(strftime('%s', d.created_at) AS INTEGER), h.unit, d.channel,"
                          "       d.recipient, d.recipient_name, d.subject, d.text"
                          "  FROM dispatches d JOIN households h ON h.id = d.household_id"
                          " WHERE d.occurrence_id = ?1"
                          "   AND (d.status = 'pending' OR (d.status = 'retry' AND d.next_attempt_at <= ?2))"
                          " ORDER BY d.id LIMIT 1",
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
                *claim = (Claim) {
                        .id = sqlite3_column_int64(pick, 0),
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
                if (!claim->unit || !claim->channel || !claim->recipient || !claim->text) {
                        claim_done(claim);
                        return -ENOMEM;
                }
                /* a payment recorded before the send means no send */
                r = household_balance(s, claim->household_id, &owed);
                if (r < 0)
                        return r;
                if (owed > 0)
                        break;
                r = set_status(s, claim->id, "cancelled", NULL, "paid before the send", 0);
                if (r < 0)
                        return r;
                (*cancelled)++;
                claim_done(claim);
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
                *ret_next_due = sqlite3_step(next) == SQLITE_ROW
                                        ? (uint64_t) sqlite3_column_int64(next, 0) * 1000000ULL : 0;
                r = store_commit(s);
                tx = NULL;
                return r < 0 ? r : 0;
        }
        if (rc != SQLITE_ROW)
                return store_errno(rc);

        /* the carrier is chosen per row: rows of one occurrence may differ in channel */
        *ret_carrier = carrier_set_find_channel(carriers, claim->channel);
        if (!*ret_carrier) {
                log_error("no carrier serves channel '%s' (unit %s); the rest of the run waits "
                          "until one is configured", claim->channel, claim->unit);
                r = -ENOMEDIUM;
                goto fail;
        }
        /* rate limit: leave the row pending until the carrier has a token */
        uint64_t now_usec = now_realtime_usec(), wait = token_bucket_take(&(*ret_carrier)->bucket, now_usec);
        if (wait > 0) {
                claim_done(claim);
                *ret_next_due = now_usec + wait;
                return 0;
        }
        r = store_prepare(s,
                          "UPDATE dispatches SET status = 'sending', attempts = attempts + 1,"
                          "  claimed_by = ?2, carrier = ?3, updated_at = ?4 WHERE id = ?1",
                          &upd);
        if (r < 0)
                goto fail;
        sqlite3_bind_int64(upd, 1, claim->id);
        sqlite3_bind_int64(upd, 2, (int64_t) getpid());
        sqlite3_bind_text(upd, 3, (*ret_carrier)->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 4, store_now(stamp, sizeof(stamp)), -1, SQLITE_STATIC);
        r = store_step_done(upd);
        if (r < 0)
                goto fail;
        /* durable (synchronous=FULL) before the request goes out */
        r = store_commit(s);
        if (r < 0)
                goto fail;
        tx = NULL;
        claim->attempts++;
        return 1;
fail:
        claim_done(claim);
        return r;
}

static time_t retry_delay(const Claim *c, const struct dunnd_outcome *o) {
        time_t d;

        if (o->retry_after_ms > 0)
                return (time_t) ((o->retry_after_ms + 999) / 1000);
        d = RETRY_BASE_SEC << (c->attempts > 10 ? 10 : c->attempts - 1);
        if (d > RETRY_MAX_SEC)
                d = RETRY_MAX_SEC;
        /* jitter of up to a quarter, so a crowd of retries does not arrive at once */
        return d + (time_t) (random() % (d / 4 + 1));
}

static int record_outcome(Store *s, const Carrier *carrier, const Claim *c,
                          const struct dunnd_outcome *o, DispatchStats *stats) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL, *contact = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        const ConfigCarrier *cc = carrier->config;
        const char *status;
        char now[32];
        time_t next = 0;
        int r, attempts_delta = 0;

        switch (o->klass) {
        case DUNND_OUTCOME_SENT:
                status = "sent";
                stats->sent++;
                break;
        case DUNND_OUTCOME_TRANSIENT:
                if (c->attempts >= (int) cc->max_attempts ||
                    time(NULL) - c->created >= (time_t) cc->max_age_sec) {
                        status = "failed";
                        stats->failed++;
                } else {
                        status = "retry";
                        next = time(NULL) + retry_delay(c, o);
                        stats->retried++;
                }
                break;
        case DUNND_OUTCOME_THROTTLED:
                /* a per-recipient cap is not the message's fault: not an attempt */
                status = "retry";
                attempts_delta = -1;
                next = time(NULL) + (o->retry_after_ms > 0 ? (time_t) (o->retry_after_ms / 1000)
                                                           : THROTTLE_DEFAULT_SEC);
                stats->retried++;
                break;
        case DUNND_OUTCOME_INVALID_RECIPIENT:
        case DUNND_OUTCOME_REJECTED:
                status = "failed";
                stats->failed++;
                break;
        case DUNND_OUTCOME_CARRIER_FAILURE:
                /* the carrier refused everything (credentials, balance): nothing went out,
                 * the row waits for the carrier to be fixed */
                status = "pending";
                attempts_delta = -1;
                stats->carrier_paused = true;
                break;
        case DUNND_OUTCOME_UNKNOWN:
        default:
                status = "unknown";
                stats->unknown++;
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
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, outcome_class_to_string(o->klass), -1, SQLITE_STATIC);
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

        if (o->klass == DUNND_OUTCOME_INVALID_RECIPIENT && c->contact_id > 0) {
                r = store_prepare(s,
                                  "UPDATE contacts SET state = 'invalid', state_reason = ?2,"
                                  "  state_changed_at = ?3 WHERE id = ?1",
                                  &contact);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(contact, 1, c->contact_id);
                sqlite3_bind_text(contact, 2, o->error, -1, SQLITE_STATIC);
                sqlite3_bind_text(contact, 3, now, -1, SQLITE_STATIC);
                r = store_step_done(contact);
                if (r < 0)
                        return r;
        }
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return 0;
}

static void log_outcome(const char *key, const Carrier *carrier, const Claim *c,
                        const struct dunnd_outcome *o) {
        char masked[MASK_BUFSZ], f_occ[200], f_unit[96], f_outcome[64], f_carrier[96];
        const char *fields[] = { f_occ, f_unit, f_outcome, f_carrier, NULL };
        int level = o->klass == DUNND_OUTCOME_SENT ? LOG_DEBUG :
                    o->klass == DUNND_OUTCOME_TRANSIENT || o->klass == DUNND_OUTCOME_THROTTLED ? LOG_INFO
                                                                                             : LOG_WARNING;

        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", key);
        snprintf(f_unit, sizeof(f_unit), "DUNND_UNIT=%s", c->unit);
        snprintf(f_outcome, sizeof(f_outcome), "DUNND_OUTCOME=%s", outcome_class_to_string(o->klass));
        snprintf(f_carrier, sizeof(f_carrier), "DUNND_CARRIER=%s", carrier->name);
        mask_recipient(c->channel, c->recipient, masked, sizeof(masked));
        (void) log_full(level, 0, fields, "%s: %s %s via '%s': %s%s%s", key, c->unit, masked,
                        carrier->name, outcome_class_to_string(o->klass), o->error[0] ? ": " : "",
                        o->error);
}

static int count_open(Store *s, int64_t occurrence_id, unsigned *ret) {
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

static void deliver(Carrier *carrier, const char *key, const Claim *c, struct dunnd_outcome *o) {
        struct dunnd_message m = {
                .dispatch_id = (uint64_t) c->id,
                .occurrence = key,
                .channel = c->channel,
                .recipient = c->recipient,
                .recipient_name = strempty(c->name),
                .unit = c->unit,
                .subject = c->subject,
                .text = c->text,
        };

        *o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
        if (carrier->api->deliver)
                carrier->api->deliver(carrier->state, &m, o);
        else {
                /* network carriers need the curl dispatcher; without it nothing was sent */
                o->klass = DUNND_OUTCOME_CARRIER_FAILURE;
                snprintf(o->error, sizeof(o->error), "carrier plugin '%s' needs the network "
                         "dispatcher, which this build does not have", carrier->api->name);
        }
}

struct DispatchRun {
        Store *store;
        CarrierSet *carriers;
        int64_t occurrence_id;
        char *key;
        unsigned total, done;
        DispatchStats stats;
};

int dispatch_run_new(Store *s, CarrierSet *carriers, int64_t occurrence_id, const char *key,
                     DispatchRun **ret) {
        DispatchRun *run;
        int r;

        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        *run = (DispatchRun) { .store = s, .carriers = carriers, .occurrence_id = occurrence_id,
                               .key = strdup(key) };
        if (!run->key) {
                free(run);
                return -ENOMEM;
        }
        r = count_open(s, occurrence_id, &run->total);
        if (r < 0) {
                dispatch_run_free(run);
                return r;
        }
        *ret = run;
        return 0;
}

DispatchRun *dispatch_run_free(DispatchRun *r) {
        if (!r)
                return NULL;
        free(r->key);
        free(r);
        return NULL;
}

const DispatchStats *dispatch_run_stats(const DispatchRun *r) {
        return &r->stats;
}

unsigned dispatch_run_done(const DispatchRun *r) {
        return r->done;
}

unsigned dispatch_run_total(const DispatchRun *r) {
        return r->total;
}

const char *dispatch_run_key(const DispatchRun *r) {
        return r->key;
}

int64_t dispatch_run_occurrence(const DispatchRun *r) {
        return r->occurrence_id;
}

int dispatch_run_step(DispatchRun *run, uint64_t *ret_wait_until) {
        struct dunnd_outcome o;
        Claim c = {};
        Carrier *carrier = NULL;
        uint64_t next_due = 0;
        int r;

        if (run->stats.carrier_paused)
                return DISPATCH_STEP_DONE;
        r = claim_next(run->store, run->carriers, run->occurrence_id, &c, &carrier, &next_due,
                       &run->stats.cancelled);
        if (r == -ENOMEDIUM) {
                run->stats.carrier_paused = true;
                return DISPATCH_STEP_DONE;
        }
        if (r < 0)
                return r;
        if (r == 0) {
                if (next_due == 0)
                        return DISPATCH_STEP_DONE;
                *ret_wait_until = next_due;
                return DISPATCH_STEP_WAIT;
        }
        deliver(carrier, run->key, &c, &o);
        run->stats.attempted++;
        log_outcome(run->key, carrier, &c, &o);
        if (o.klass == DUNND_OUTCOME_CARRIER_FAILURE)
                log_error("%s: carrier '%s' refuses to send (%s); pausing it, the remaining "
                          "messages stay queued", run->key, carrier->name, o.error);
        r = record_outcome(run->store, carrier, &c, &o, &run->stats);
        claim_done(&c);
        if (r < 0)
                return r;
        if (o.klass != DUNND_OUTCOME_TRANSIENT && o.klass != DUNND_OUTCOME_THROTTLED &&
            o.klass != DUNND_OUTCOME_CARRIER_FAILURE)
                run->done++;
        return DISPATCH_STEP_SENT;
}

int dispatch_occurrence(Store *s, CarrierSet *carriers, int64_t occurrence_id,
                        const char *key, dispatch_progress_t progress, void *userdata,
                        DispatchStats *ret) {
        _cleanup_(dispatch_run_freep) DispatchRun *run = NULL;
        int r;

        r = dispatch_run_new(s, carriers, occurrence_id, key, &run);
        if (r < 0)
                return r;
        if (progress)
                progress(0, run->total, userdata);
        while (!dispatch_stop_requested) {
                uint64_t until = 0, now;

                r = dispatch_run_step(run, &until);
                if (r < 0)
                        return r;
                if (r == DISPATCH_STEP_DONE)
                        break;
                if (r == DISPATCH_STEP_WAIT) {
                        /* nothing due yet (retries, rate limit): wait, a second at most, so a
                         * stop request is noticed */
                        now = now_realtime_usec();
                        if (until > now)
                                usleep((useconds_t) (until - now > 1000000 ? 1000000 : until - now));
                        continue;
                }
                if (progress)
                        progress(run->done, run->total, userdata);
        }
        if (ret)
                *ret = run->stats;
        return 0;
}
