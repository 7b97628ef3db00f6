/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "outcome.h"
#include "store-household.h"
#include "store-internal.h"
#include "store-merge.h"
#include "store-outbox.h"

int store_outbox_add(Store *s, const OutboxPlanned *p, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "INSERT INTO dispatches (occurrence_id, household_id, channel, contact_id,"
                        "  recipient, recipient_name, category, template, subject, text, parts,"
                        "  amount, status, error, created_at, updated_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                        "         ?15, ?15)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, p->occurrence_id);
        bind_int64(&b, p->household_id);
        bind_text(&b, p->channel);
        bind_int64_or_null(&b, p->contact_id, p->contact_id > 0);
        bind_text(&b, strempty(p->recipient));
        bind_text(&b, strempty(p->recipient_name));
        bind_text(&b, p->category);
        bind_text(&b, p->template_name);
        bind_text(&b, p->subject);
        bind_text(&b, p->text);
        bind_int(&b, (int) p->parts);
        bind_int64(&b, p->amount);
        bind_text(&b, p->skip_reason ? "skipped" : "pending");
        bind_text(&b, p->skip_reason);
        bind_text(&b, now);
        return bind_exec(&b);
}

static int dup_text(sqlite3_stmt *st, int i, char **ret) {
        const char *t = column_text_or_null(st, i);

        *ret = NULL;
        if (!t)
                return 0;
        *ret = strdup(t);
        return *ret ? 0 : -ENOMEM;
}

/* What the claim reads of a row beside the row itself: the household's balance now, and
 * the amount its text names. */
typedef struct Owing {
        int64_t balance;
        int64_t planned;
        bool disputed;                  /* a complaint was filed since the plan */
        bool opted_out;                 /* the contact opted out since the plan */
        bool carries;                   /* other households wait in its message */
} Owing;

static int read_candidate(sqlite3_stmt *st, int64_t occurrence_id, const char *channel,
                          OutboxRow *row, Owing *ret_owing) {
        int r = 0;

        *row = (OutboxRow) {
                .id = sqlite3_column_int64(st, 0),
                .occurrence_id = occurrence_id,
                .household_id = sqlite3_column_int64(st, 1),
                .contact_id = sqlite3_column_int64(st, 2),
                .attempts = sqlite3_column_int(st, 3),
                .created_usec = (uint64_t) sqlite3_column_int64(st, 4) * 1000000ULL,
        };
        *ret_owing = (Owing) {
                .balance = sqlite3_column_int64(st, 10),
                .planned = sqlite3_column_int64(st, 11),
                .disputed = streq(column_text(st, 12), "disputed"),
                .opted_out = sqlite3_column_int(st, 13) != 0,
                .carries = sqlite3_column_int(st, 14) != 0,
        };
        row->channel = strdup(channel);
        if (!row->channel)
                r = -ENOMEM;
        if (r >= 0)
                r = dup_text(st, 5, &row->unit);
        if (r >= 0)
                r = dup_text(st, 6, &row->recipient);
        if (r >= 0)
                r = dup_text(st, 7, &row->name);
        if (r >= 0)
                r = dup_text(st, 8, &row->subject);
        if (r >= 0)
                r = dup_text(st, 9, &row->text);
        if (r >= 0 && (!row->unit || !row->recipient || !row->text))
                r = -EBADMSG;
        if (r < 0)
                outbox_row_done(row);
        return r;
}

static int cancel_claimed(Store *s, int64_t id, const char *why, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches SET status = 'cancelled', error = ?3,"
                        "  claimed_by = NULL, attempts = attempts - 1, updated_at = ?2"
                        " WHERE id = ?1 AND status = 'sending'",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, id);
        bind_text(&b, now);
        bind_text(&b, why);
        return bind_exec(&b);
}

static int row_cmp(const void *a, const void *b) {
        const OutboxRow *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

/* One statement claims the batch: the due rows of the channel, oldest first (two walks of
 * the partial index of open rows — an OR of the two made SQLite scan the whole occurrence;
 * "status IN (...)" repeats the index's condition so SQLite may use it), become `sending`,
 * and come back with what the send needs. */
static int claim_batch(Store *s, int64_t occurrence_id, const char *channel, uint64_t now_usec,
                       const char *carrier, const char *now, size_t max, OutboxRow *rows,
                       Owing *owing, size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        size_t n = 0;
        Binder b;
        int r;

        r = store_query(s,
                        "UPDATE dispatches SET status = 'sending', attempts = attempts + 1,"
                        "  claimed_by = ?5, carrier = ?6, updated_at = ?7"
                        " WHERE id IN ("
                        "   SELECT id FROM (SELECT id FROM dispatches WHERE status IN ('pending', 'retry')"
                        "                      AND status = 'pending' AND occurrence_id = ?1"
                        "                      AND channel = ?2 ORDER BY id LIMIT ?4)"
                        "   UNION ALL"
                        "   SELECT id FROM (SELECT id FROM dispatches WHERE status IN ('pending', 'retry')"
                        "                      AND status = 'retry' AND occurrence_id = ?1 AND channel = ?2"
                        "                      AND next_attempt_usec <= ?3 ORDER BY id LIMIT ?4)"
                        "   ORDER BY 1 LIMIT ?4)"
                        " RETURNING id, household_id, contact_id, attempts,"
                        "   CAST(strftime('%s', created_at) AS INTEGER),"
                        "   (SELECT unit FROM households WHERE id = household_id), recipient,"
                        "   recipient_name, subject, text,"
                        "   (SELECT balance FROM households WHERE id = household_id), amount,"
                        "   (SELECT category FROM households WHERE id = household_id),"
                        "   (SELECT opted_out_at IS NOT NULL FROM contacts WHERE id = contact_id),"
                        "   EXISTS (SELECT 1 FROM dispatches m WHERE m.merged_into = dispatches.id"
                        "             AND m.status = 'skipped')",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        bind_text(&b, channel);
        bind_int64(&b, (int64_t) now_usec);
        bind_int64(&b, (int64_t) max);
        bind_int64(&b, (int64_t) getpid());
        bind_text(&b, carrier);
        bind_text(&b, now);
        r = bind_end(&b);
        /* every RETURNING row is read: the update completes only when the statement does */
        while (r >= 0 && (r = store_step(st)) > 0) {
                if (n >= max) {
                        r = -EOVERFLOW;
                        break;
                }
                r = read_candidate(st, occurrence_id, channel, &rows[n], &owing[n]);
                if (r >= 0)
                        n++;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        outbox_row_done(&rows[i]);
                return r;
        }
        *ret_n = n;
        return 0;
}

/* The row goes out naming what its households owe now; at the claim (keep_planned) it keeps
 * what was planned beside it. */
static int refresh_text(Store *s, outbox_refresh_t render, void *userdata, OutboxRow *row,
                        const OutboxGroup *g, bool keep_planned, const char *now) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        OutboxText t = {};
        Binder b;
        int r;

        r = render(row, g, &t, userdata);
        if (r < 0 || !t.text)
                goto finish;
        r = store_query(s,
                        "UPDATE dispatches SET"
                        "  planned_text = CASE WHEN ?7 THEN COALESCE(planned_text, text) ELSE planned_text END,"
                        "  planned_amount = CASE WHEN ?7 THEN COALESCE(planned_amount, amount) ELSE planned_amount END,"
                        "  text = ?2, subject = ?3, parts = ?4, amount = ?5, updated_at = ?6"
                        " WHERE id = ?1",
                        &st, &b);
        if (r < 0)
                goto finish;
        bind_int64(&b, row->id);
        bind_text(&b, t.text);
        bind_text_or_null(&b, t.subject);
        bind_int(&b, (int) t.parts);
        bind_int64(&b, g->balance);
        bind_text(&b, now);
        bind_int(&b, keep_planned);
        r = bind_exec(&b);
        if (r < 0)
                goto finish;
        free(row->text);
        free(row->subject);
        row->text = TAKE_PTR(t.text);
        row->subject = TAKE_PTR(t.subject);
finish:
        free(t.text);
        free(t.subject);
        return r;
}

/* A claimed row that will not go out, and the households waiting in its message. */
static int cancel_with_members(Store *s, int64_t id, const char *why, const char *now) {
        MergedHousehold *m = NULL;
        size_t n = 0;
        int r;

        r = cancel_claimed(s, id, why, now);
        if (r >= 0)
                r = store_merge_members(s, id, &m, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = store_merge_cancel(s, m[i].dispatch_id, why, now);
        merged_households_free(m, n);
        return r;
}

static bool owes(int64_t balance, bool disputed) {
        return balance > 0 && !disputed;
}

static const char *why_not(bool disputed) {
        return disputed ? "disputed before the send" : "paid before the send";
}

/* A claimed row that carries the message of several households of one owner: those that
 * paid (or filed a complaint) since the plan drop out; if its own household did, it is
 * cancelled (*ret_cancelled) and the first household still owing carries the message
 * instead, to be claimed next; otherwise the text names the households still owing when
 * anything changed. */
static int claim_group(Store *s, const OutboxRefresh *refresh, OutboxRow *row, const Owing *own,
                       const char *now, bool *ret_cancelled) {
        MergedHousehold *m = NULL;
        _cleanup_free_ const char **units = NULL;
        bool own_owes = owes(own->balance, own->disputed), changed = !own_owes;
        int64_t balance = own_owes ? own->balance : 0, carrier = 0;
        size_t n = 0, n_units = 0;
        int r;

        *ret_cancelled = false;
        r = store_merge_members(s, row->id, &m, &n);
        if (r < 0)
                return r;
        units = calloc(n + 1, sizeof(*units));
        if (!units) {
                r = -ENOMEM;
                goto finish;
        }
        if (own_owes)
                units[n_units++] = row->unit;
        for (size_t i = 0; i < n; i++) {
                if (!owes(m[i].balance, m[i].disputed)) {
                        r = store_merge_cancel(s, m[i].dispatch_id, why_not(m[i].disputed), now);
                        if (r < 0)
                                goto finish;
                        changed = true;
                        continue;
                }
                if (!own_owes) {
                        if (!carrier)
                                carrier = m[i].dispatch_id;
                        continue;
                }
                units[n_units++] = m[i].unit;
                balance += m[i].balance;
        }
        if (!own_owes) {
                if (carrier) {
                        r = store_merge_promote(s, row->id, carrier, now);
                        if (r < 0)
                                goto finish;
                }
                r = cancel_claimed(s, row->id, why_not(own->disputed), now);
                *ret_cancelled = r >= 0;
                goto finish;
        }
        if ((changed || balance != own->planned) && refresh && refresh->render)
                r = refresh_text(s, refresh->render, refresh->userdata, row,
                                 &(OutboxGroup) { .units = units, .n_units = n_units,
                                                  .balance = balance }, true, now);
finish:
        merged_households_free(m, n);
        return r;
}

/* Whether the occurrence may send: not while it waits for approval, nor once rejected or
 * expired, whoever claims (every path checks before, this holds if one forgets). */
static int occurrence_sendable(Store *s, int64_t occurrence_id) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT approval IS NULL OR approval = 'approved' FROM occurrences WHERE id = ?1",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        return sqlite3_column_int(st, 0) != 0;
}

int store_outbox_claim(Store *s, int64_t occurrence_id, const char *channel, uint64_t now_usec,
                       const char *carrier, const OutboxRefresh *refresh, size_t max,
                       OutboxRow *rows, size_t *ret_n, unsigned *cancelled) {
        _cleanup_free_ Owing *owing = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        size_t n = 0;
        int r = 0;

        *ret_n = 0;
        if (max == 0)
                return 0;
        r = occurrence_sendable(s, occurrence_id);
        if (r <= 0)
                return r;
        owing = calloc(max, sizeof(*owing));
        if (!owing)
                return -ENOMEM;
        store_now(now, sizeof(now));
        /* rows cancelled because the household paid leave room: look again, a few times */
        for (int round = 0; round < 4 && n < max; round++) {
                unsigned cancelled_now = 0;
                size_t got = 0, kept = n;

                r = claim_batch(s, occurrence_id, channel, now_usec, carrier, now, max - n, rows + n,
                                owing, &got);
                if (r < 0)
                        break;
                for (size_t i = 0; i < got; i++) {
                        OutboxRow *row = &rows[n + i];

                        /* the contact opted out since the plan: never used, for any of the
                         * households that would have gone with it */
                        if (r >= 0 && owing[i].opted_out) {
                                r = cancel_with_members(s, row->id, "opted out before the send", now);
                                cancelled_now += r >= 0;
                                outbox_row_done(row);
                                continue;
                        }
                        /* one owner's households: the group decides */
                        if (r >= 0 && owing[i].carries) {
                                bool gone;

                                r = claim_group(s, refresh, row, &owing[i], now, &gone);
                                if (r >= 0 && gone) {
                                        cancelled_now++;
                                        outbox_row_done(row);
                                        continue;
                                }
                        /* a payment recorded before the send means no send; a complaint
                         * filed since the plan stops every automatic reminder */
                        } else if (r >= 0 && !owes(owing[i].balance, owing[i].disputed)) {
                                r = cancel_claimed(s, row->id, why_not(owing[i].disputed), now);
                                cancelled_now += r >= 0;
                                outbox_row_done(row);
                                continue;
                        /* part of it: the text names what is owed now */
                        } else if (r >= 0 && owing[i].balance != owing[i].planned && refresh &&
                                   refresh->render) {
                                const char *unit = row->unit;

                                r = refresh_text(s, refresh->render, refresh->userdata, row,
                                                 &(OutboxGroup) { .units = &unit, .n_units = 1,
                                                                  .balance = owing[i].balance },
                                                 true, now);
                        }
                        if (r < 0) {
                                outbox_row_done(row);
                                continue;
                        }
                        if (&rows[kept] != row) {
                                rows[kept] = *row;
                                *row = (OutboxRow) {};
                        }
                        kept++;
                }
                n = kept;
                *cancelled += cancelled_now;
                if (r < 0 || cancelled_now == 0)
                        break;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        outbox_row_done(&rows[i]);
                return r;
        }
        /* RETURNING comes in the order SQLite updated them: send oldest first */
        qsort(rows, n, sizeof(OutboxRow), row_cmp);
        *ret_n = n;
        return 0;
}

int store_outbox_next_retry(Store *s, int64_t occurrence_id, const char *channel,
                            uint64_t *ret_usec) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT MIN(next_attempt_usec) FROM dispatches"
                        " WHERE status IN ('pending', 'retry') AND status = 'retry'"
                        "   AND occurrence_id = ?1 AND channel = ?2",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        bind_text(&b, channel);
        r = bind_step(&b);
        if (r < 0)
                return r;
        *ret_usec = r > 0 ? (uint64_t) sqlite3_column_int64(st, 0) : 0;
        return 0;
}

/* The household's next channel after the failed one, in the schedule's order, that has a
 * usable contact and no row yet in this occurrence: queue the same text there, once. */
static int failover(Store *s, const OutboxRow *row, const char *now, int64_t *ret_id) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
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
                        "      AND c.opted_out_at IS NULL"
                        "      AND split.pos > (SELECT pos FROM failed)"
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
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, row->id);
        bind_int64(&b, row->occurrence_id);
        bind_text(&b, row->channel);
        bind_int64(&b, row->household_id);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r >= 0)
                *ret_id = store_changes(s) > 0 ? store_last_id(s) : 0;
        return r;
}

int store_outbox_record(Store *s, const OutboxRow *row, const OutboxDecision *d,
                        const struct dunnd_outcome *o, bool *ret_failover) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        Binder b;
        int r;

        *ret_failover = false;
        r = store_query(s,
                        /* a delivery receipt that came before the outcome was recorded
                         * has the last word: delivered or accepted means sent (never sent
                         * again), undelivered means failed */
                        "UPDATE dispatches SET"
                        "  status = CASE WHEN receipt IN ('delivered', 'accepted') THEN 'sent'"
                        "                WHEN receipt = 'undelivered' AND ?2 IN ('sent', 'unknown')"
                        "                  THEN 'failed'"
                        "                ELSE ?2 END,"
                        "  outcome = ?3, error = ?4,"
                        "  carrier_message_id = ?5, attempts = attempts + ?6, claimed_by = NULL,"
                        "  next_attempt_usec = ?7, updated_at = ?8,"
                        "  sent_at = CASE WHEN ?2 = 'sent' OR receipt IN ('delivered', 'accepted')"
                        "                 THEN ?8 ELSE sent_at END"
                        " WHERE id = ?1 AND status = 'sending'",
                        &st, &b);
        if (r < 0)
                return r;
        store_now(now, sizeof(now));
        bind_int64(&b, row->id);
        bind_text(&b, outbox_status_to_string(d->status));
        bind_text(&b, outcome_class_to_string(o->klass));
        bind_text_or_null(&b, o->error);
        bind_text_or_null(&b, o->message_id);
        bind_int(&b, d->attempts_delta);
        bind_int64_or_null(&b, (int64_t) d->next_attempt_usec, d->next_attempt_usec > 0);
        bind_text(&b, now);
        r = bind_exec(&b);
        if (r < 0)
                return r;
        /* a row that is not ours any more (recovered as interrupted by another process
         * that thought we were gone) keeps what it says */
        if (store_changes(s) != 1)
                return -ESTALE;
        if (o->klass == DUNND_OUTCOME_INVALID_RECIPIENT) {
                int64_t next = 0;

                if (row->contact_id > 0) {
                        r = store_contact_mark_invalid(s, row->contact_id,
                                                       o->error[0] ? o->error : "invalid recipient", now);
                        if (r < 0)
                                return r;
                }
                r = failover(s, row, now, &next);
                if (r < 0)
                        return r;
                /* the same text, naming the same units, goes on by the next channel: the
                 * households merged into this one wait for that */
                if (next > 0) {
                        *ret_failover = true;
                        return store_merge_repoint(s, row->id, next, now);
                }
        }
        return store_merge_follow(s, row->id, now);
}

static bool pid_alive(int64_t pid) {
        if (pid <= 0 || pid > INT32_MAX)
                return false;
        return kill((pid_t) pid, 0) >= 0 || errno != ESRCH;
}

int store_outbox_recover_interrupted(Store *s) {
        _cleanup_reset_ sqlite3_stmt *list = NULL, *mark = NULL;
        _cleanup_rollback_ Store *tx = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        _cleanup_free_ int64_t *dead = NULL;
        size_t n_dead = 0, cap = 0;
        int r, marked = 0;

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = store_stmt(s, "SELECT DISTINCT claimed_by FROM dispatches WHERE status = 'sending'",
                       &list);
        if (r < 0)
                return r;
        while ((r = store_step(list)) > 0) {
                int64_t pid = sqlite3_column_int64(list, 0);

                /* a live process other than us is still sending its rows; our own pid:
                 * callers only recover before they start sending */
                if (pid != getpid() && pid_alive(pid))
                        continue;
                if (n_dead == cap) {
                        int64_t *nd = realloc(dead, (cap = cap ? cap * 2 : 8) * sizeof(*dead));
                        if (!nd)
                                return -ENOMEM;
                        dead = nd;
                }
                dead[n_dead++] = pid;
        }
        if (r < 0)
                return r;
        store_stmt_resetp(&list);
        r = store_stmt(s,
                       "UPDATE dispatches SET status = 'unknown', outcome = 'unknown',"
                       "  error = 'interrupted while sending (process ' || ?1 || ' ended); it may"
                       " have reached the carrier, so it is not re-sent', claimed_by = NULL,"
                       "  updated_at = ?2"
                       " WHERE status = 'sending' AND claimed_by IS ?1",
                       &mark);
        if (r < 0)
                return r;
        store_now(now, sizeof(now));
        for (size_t i = 0; i < n_dead; i++) {
                Binder b = bind_begin(mark);

                /* first the households merged into its rows, found by their `sending` */
                r = store_merge_interrupted(s, dead[i], now);
                if (r < 0)
                        return r;
                bind_int64(&b, dead[i]);
                bind_text(&b, now);
                r = bind_exec(&b);
                if (r < 0)
                        return r;
                marked += store_changes(s);
        }
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return marked;
}

int store_outbox_count_open(Store *s, int64_t occurrence_id, const char *channel, unsigned *ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT COUNT(*) FROM dispatches WHERE status IN ('pending', 'retry')"
                        "   AND occurrence_id = ?1 AND (?2 IS NULL OR channel = ?2)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        bind_text(&b, channel);
        r = bind_step(&b);
        if (r < 0)
                return r;
        *ret = r > 0 ? (unsigned) sqlite3_column_int64(st, 0) : 0;
        return 0;
}

int store_outbox_apply_receipt(Store *s, int64_t dispatch_id, const char *receipt) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        Binder b;
        int r;

        /* Only rows that went to a carrier take receipts. An unknown row is settled: any
         * receipt proves the request arrived; "undelivered" makes it failed (final, not
         * re-sent: the carrier had it). A later, weaker receipt never overrides
         * "delivered". A row still `sending` (its answer in, its outcome not yet committed)
         * keeps the receipt for store_outbox_record() to weigh. */
        r = store_query(s,
                        "UPDATE dispatches SET"
                        "  receipt = CASE WHEN receipt = 'delivered' THEN receipt ELSE ?2 END,"
                        "  receipt_at = ?3, updated_at = ?3,"
                        "  status = CASE"
                        "    WHEN status = 'unknown' AND ?2 = 'undelivered' THEN 'failed'"
                        "    WHEN status = 'unknown' AND ?2 != 'queued' THEN 'sent'"
                        "    WHEN status = 'sent' AND ?2 = 'undelivered' AND receipt IS NOT 'delivered'"
                        "      THEN 'failed'"
                        "    ELSE status END,"
                        "  sent_at = CASE WHEN status = 'unknown' AND ?2 NOT IN ('undelivered', 'queued')"
                        "    THEN ?3 ELSE sent_at END,"
                        "  error = CASE WHEN status = 'unknown'"
                        "    OR (?2 = 'undelivered' AND receipt IS NOT 'delivered')"
                        "    THEN 'delivery receipt: ' || ?2 ELSE error END"
                        " WHERE id = ?1 AND status IN ('sent', 'unknown', 'sending')",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, dispatch_id);
        bind_text(&b, receipt);
        bind_text(&b, store_now(now, sizeof(now)));
        r = bind_exec(&b);
        if (r < 0 || store_changes(s) == 0)
                return r;
        r = store_merge_follow(s, dispatch_id, now);
        return r < 0 ? r : 1;
}

int store_outbox_reminders_each(Store *s, const char *first_day, const char *day,
                                reminders_each_t each, void *userdata) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        /* the occurrences of the window (a handful), then their rows by the unique index; an
         * occurrence counts once a household, whatever its channels; a reminder still to go
         * out counts (it goes out that day), one cancelled, failed or skipped does not —
         * unless it was merged into the message of another household of the same owner */
        r = store_query(s,
                        "SELECT d.household_id, COUNT(DISTINCT CASE WHEN substr(o.at, 1, 10) = ?2"
                        "                                     THEN o.id END),"
                        "       COUNT(DISTINCT o.id)"
                        "  FROM occurrences o JOIN dispatches d ON d.occurrence_id = o.id"
                        " WHERE substr(o.at, 1, 10) BETWEEN ?1 AND ?2"
                        "   AND (d.status IN ('pending', 'sending', 'retry', 'sent', 'unknown')"
                        "        OR d.merged_into IS NOT NULL)"
                        " GROUP BY d.household_id ORDER BY d.household_id",
                        &st, &b);
        if (r < 0)
                return r;
        bind_text(&b, first_day);
        bind_text(&b, day);
        r = bind_end(&b);
        while (r >= 0 && (r = store_step(st)) > 0)
                r = each(&(ReminderCount) {
                                 .household_id = sqlite3_column_int64(st, 0),
                                 .day = (unsigned) sqlite3_column_int64(st, 1),
                                 .week = (unsigned) sqlite3_column_int64(st, 2),
                         }, userdata);
        return r;
}

/* The next row of the occurrence after `after` that carries others, with what its text
 * needs. 1 = found, 0 = none left. */
static int next_carrier(Store *s, int64_t occurrence_id, int64_t after, OutboxRow *row,
                        int64_t *ret_amount) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s,
                        "SELECT c.id, c.household_id, c.contact_id, h.unit, c.channel, c.recipient,"
                        "       c.recipient_name, c.subject, c.text, c.amount"
                        "  FROM dispatches c JOIN households h ON h.id = c.household_id"
                        " WHERE c.id = (SELECT MIN(merged_into) FROM dispatches"
                        "                WHERE merged_into > ?2 AND occurrence_id = ?1)",
                        &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        bind_int64(&b, after);
        r = bind_step(&b);
        if (r <= 0)
                return r;
        *row = (OutboxRow) {
                .id = sqlite3_column_int64(st, 0),
                .occurrence_id = occurrence_id,
                .household_id = sqlite3_column_int64(st, 1),
                .contact_id = sqlite3_column_int64(st, 2),
        };
        *ret_amount = sqlite3_column_int64(st, 9);
        r = dup_text(st, 3, &row->unit);
        if (r >= 0)
                r = dup_text(st, 4, &row->channel);
        if (r >= 0)
                r = dup_text(st, 5, &row->recipient);
        if (r >= 0)
                r = dup_text(st, 6, &row->name);
        if (r >= 0)
                r = dup_text(st, 7, &row->subject);
        if (r >= 0)
                r = dup_text(st, 8, &row->text);
        if (r < 0) {
                outbox_row_done(row);
                return r;
        }
        return 1;
}

static int first_row_id(Store *s, int64_t occurrence_id, int64_t *ret) {
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        Binder b;
        int r;

        r = store_query(s, "SELECT MIN(id) FROM dispatches WHERE occurrence_id = ?1", &st, &b);
        if (r < 0)
                return r;
        bind_int64(&b, occurrence_id);
        r = bind_step(&b);
        *ret = r > 0 ? sqlite3_column_int64(st, 0) : 0;
        return r < 0 ? r : 0;
}

int store_outbox_render_merged(Store *s, int64_t occurrence_id, outbox_refresh_t render,
                               void *userdata, const char *now) {
        int64_t after;
        int r;

        /* the merged rows of earlier occurrences come before this one's first row */
        r = first_row_id(s, occurrence_id, &after);
        if (r < 0)
                return r;
        for (after--;;) {
                _cleanup_(outbox_row_done) OutboxRow row = {};
                _cleanup_free_ const char **units = NULL;
                MergedHousehold *m = NULL;
                size_t n = 0;
                int64_t amount;

                r = next_carrier(s, occurrence_id, after, &row, &amount);
                if (r <= 0)
                        return r;
                after = row.id;
                r = store_merge_members(s, row.id, &m, &n);
                if (r < 0)
                        return r;
                units = calloc(n + 1, sizeof(*units));
                if (!units) {
                        merged_households_free(m, n);
                        return -ENOMEM;
                }
                units[0] = row.unit;
                for (size_t i = 0; i < n; i++) {
                        units[i + 1] = m[i].unit;
                        amount += m[i].amount;
                }
                r = refresh_text(s, render, userdata, &row,
                                 &(OutboxGroup) { .units = units, .n_units = n + 1, .balance = amount },
                                 false, now);
                merged_households_free(m, n);
                if (r < 0)
                        return r;
        }
}
