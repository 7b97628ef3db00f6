/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "dispatch.h"
#include "log.h"
#include "mask.h"
#include "store-occurrence.h"
#include "store-outbox.h"
#include "transfer.h"

/* An answered outcome waits at most this long for others to share its commit. */
#define COMMIT_DELAY_USEC 2000ULL
/* After a transaction that did not commit (database locked, disk full): try again then. */
#define STORE_RETRY_USEC 1000000ULL
/* A channel without a carrier (planned under a config that had one): look again then. */
#define NO_CARRIER_RETRY_USEC (60 * 1000000ULL)

/* A claimed row: its request in flight, or answered and its outcome not yet recorded. */
typedef struct Sent {
        struct Sent *next;
        DispatchRun *run;
        Carrier *carrier;
        OutboxRow row;
        struct dunnd_outcome outcome;
        bool carrier_paused;            /* the breaker was open when the answer came */
        uint64_t paused_until;
} Sent;

/* What the transaction made of an answered row, applied once it committed. */
typedef struct Recorded {
        int status;                     /* an OutboxStatus, or -ESTALE: not ours any more */
        bool failed_over;
} Recorded;

typedef struct RunChannel {
        char *name;
        uint64_t next_look;             /* µs: nothing due before (retries, no carrier) */
        bool warned;                    /* "no carrier serves it" said once */
} RunChannel;

struct DispatchRun {
        DispatchRun *next;
        Dispatcher *dispatcher;
        CarrierSet *carriers;
        int64_t occurrence_id;
        char *key;
        RunChannel *channels;
        size_t n_channels;
        DispatchHooks hooks;
        unsigned total, done;
        unsigned outstanding;           /* its Sent rows */
        uint64_t hold_until;            /* µs: quiet hours; 0 = go */
        bool empty;                     /* nothing left to claim (last time we looked) */
        bool progressed;                /* outcomes recorded in the last commit */
        DispatchStats stats;
};

struct Dispatcher {
        sd_event *event;
        Store *store;
        TransferPool *pool;
        DispatchRun *runs;
        Sent *answered, **answered_tail;        /* waiting for the group commit, in order */
        size_t n_answered;
        uint64_t oldest_answer;
        unsigned sending;               /* every Sent: rows `sending` in the store */
        sd_event_source *pump;          /* defer, idle priority */
        sd_event_source *wake;          /* realtime, µs accuracy: rates, retries, commit delay */
        uint64_t store_retry_at;
        bool store_failing;             /* said once per outage */
        bool stopping;
        DispatchCommits commits;
};

static void schedule_pump(Dispatcher *d) {
        (void) sd_event_source_set_enabled(d->pump, SD_EVENT_ON);
}

static unsigned carrier_concurrency(const Carrier *c) {
        return c->config->concurrency ? c->config->concurrency : 1;
}

/* ---- outcomes ---------------------------------------------------------------------- */

static void log_outcome(const Sent *s) {
        const struct dunnd_outcome *o = &s->outcome;
        char masked[MASK_BUFSZ], f_occ[200], f_unit[96], f_outcome[64], f_carrier[96];
        const char *fields[] = { f_occ, f_unit, f_outcome, f_carrier, NULL };
        int level = o->klass == DUNND_OUTCOME_SENT ? LOG_DEBUG :
                    o->klass == DUNND_OUTCOME_TRANSIENT || o->klass == DUNND_OUTCOME_THROTTLED ? LOG_INFO
                                                                                             : LOG_WARNING;

        if (level > log_get_max_level())
                return;
        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", s->run->key);
        snprintf(f_unit, sizeof(f_unit), "DUNND_UNIT=%s", s->row.unit);
        snprintf(f_outcome, sizeof(f_outcome), "DUNND_OUTCOME=%s", outcome_class_to_string(o->klass));
        snprintf(f_carrier, sizeof(f_carrier), "DUNND_CARRIER=%s", s->carrier->name);
        mask_recipient(s->row.channel, s->row.recipient, masked, sizeof(masked));
        (void) log_full(level, 0, fields, "%s: %s %s via '%s': %s%s%s", s->run->key, s->row.unit,
                        masked, s->carrier->name, outcome_class_to_string(o->klass),
                        o->error[0] ? ": " : "", o->error);
}

/* The breaker's transitions, each said once: not once per request that was in flight when
 * the carrier went down. */
static void breaker_account(Sent *s, uint64_t now) {
        Carrier *c = s->carrier;
        const struct dunnd_outcome *o = &s->outcome;
        DispatchStats *stats = &s->run->stats;

        switch (breaker_record(&c->breaker, o->klass, now)) {
        case BREAKER_TRIPPED:
                stats->carrier_paused = true;
                log_warning("carrier '%s': %u transient failures in a row (last: %s); pausing it "
                            "for %llus", c->name, c->breaker.failures, o->error,
                            (unsigned long long) c->config->pause_sec);
                break;
        case BREAKER_REFUSED:
                stats->carrier_paused = stats->carrier_refused = true;
                /* an alert: someone has to fix credentials, balance or the signature */
                log_error("ALERT carrier '%s' refuses to send: %s; pausing it for %llus, the "
                          "messages stay queued", c->name, o->error,
                          (unsigned long long) c->config->pause_sec);
                break;
        case BREAKER_RECOVERED:
                log_notice("carrier '%s' works again", c->name);
                break;
        case BREAKER_NONE:
                if (o->klass == DUNND_OUTCOME_CARRIER_FAILURE)
                        stats->carrier_refused = true;
                break;
        }
        s->carrier_paused = breaker_is_open(&c->breaker, now);
        s->paused_until = c->breaker.paused_until;
}

/* A claimed row's answer is in: it waits for the next group commit. */
static void answer(Dispatcher *d, Sent *s, uint64_t now) {
        Carrier *c = s->carrier;

        s->run->stats.attempted++;
        log_outcome(s);
        breaker_account(s, now);
        c->answered++;
        if (!d->answered)
                d->oldest_answer = now;
        s->next = NULL;
        *d->answered_tail = s;
        d->answered_tail = &s->next;
        d->n_answered++;
        schedule_pump(d);
}

/* A carrier whose kept-alive connections keep dying under requests (a gateway that closes
 * idle connections at the wrong moment) leaves an `unknown` each time; after this many it
 * gets a fresh connection per message instead, which costs a handshake, not a message. */
#define REUSE_DEATHS_MAX 3

static void on_transfer_done(Carrier *c, void *tag, struct dunnd_outcome *o, bool reuse_died,
                             void *userdata) {
        Dispatcher *d = userdata;
        Sent *s = tag;

        c->in_flight--;
        s->outcome = *o;
        if (reuse_died && ++c->reuse_deaths == REUSE_DEATHS_MAX &&
            (c->properties & DUNND_CARRIER_REUSE_SAFE)) {
                c->properties &= ~DUNND_CARRIER_REUSE_SAFE;
                log_warning("carrier '%s': %u kept-alive connections died under a request (each "
                            "left 'unknown'); it gets a fresh connection per message from now on",
                            c->name, c->reuse_deaths);
        }
        answer(d, s, now_realtime_usec());
}

static void sent_free(Sent *s) {
        outbox_row_done(&s->row);
        free(s);
}

/* After the commit: what the recorded outcomes mean for the runs. */
static void apply_recorded(Dispatcher *d, Sent *s, const Recorded *rec) {
        DispatchRun *run = s->run;

        switch (rec->status) {
        case OUTBOX_SENT:
                run->stats.sent++;
                run->done++;
                break;
        case OUTBOX_FAILED:
                run->stats.failed++;
                run->done++;
                break;
        case OUTBOX_UNKNOWN:
                run->stats.unknown++;
                run->done++;
                break;
        case OUTBOX_RETRY:
                run->stats.retried++;
                break;
        case OUTBOX_REQUEUED:
                break;
        default:
                /* not ours any more (-ESTALE): another process settled it; count it as
                 * unknown, it is not sent again */
                run->stats.unknown++;
                run->done++;
                break;
        }
        if (rec->failed_over) {
                run->stats.failovers++;
                run->total++;
                run->empty = false;
                for (size_t i = 0; i < run->n_channels; i++)
                        run->channels[i].next_look = 0;
                log_info("%s: %s fails over from %s to the next channel", run->key, s->row.unit,
                         s->row.channel);
        }
        if (rec->status == OUTBOX_RETRY || rec->status == OUTBOX_REQUEUED) {
                /* it comes back on its channel: look there again */
                for (size_t i = 0; i < run->n_channels; i++)
                        if (streq(run->channels[i].name, s->row.channel))
                                run->channels[i].next_look = 0;
                run->empty = false;
        }
        run->progressed = true;
        run->outstanding--;
        s->carrier->answered--;
        d->sending--;
}

/* ---- the group commit -------------------------------------------------------------- */

typedef struct Claim {
        DispatchRun *run;
        RunChannel *channel;
        Carrier *carrier;
        size_t asked;                   /* the carrier's budget when it claimed; 0 = did not */
        size_t n;                       /* claimed */
        OutboxRow *rows;
        unsigned cancelled;
} Claim;

typedef struct Cycle {
        Claim *claims;
        size_t n_claims, cap;
        uint64_t wake;                  /* earliest µs something wants a look; 0 = none */
} Cycle;

static void cycle_wake_at(Cycle *c, uint64_t t) {
        if (t && t != UINT64_MAX && (!c->wake || t < c->wake))
                c->wake = t;
}

static void claims_free(Cycle *c, bool rows_too) {
        for (size_t i = 0; i < c->n_claims; i++) {
                if (rows_too)
                        for (size_t k = 0; k < c->claims[i].n; k++)
                                outbox_row_done(&c->claims[i].rows[k]);
                free(c->claims[i].rows);
        }
        free(c->claims);
        *c = (Cycle) {};
}

/* How many rows carrier c may take now: free slots, its breaker, its tokens. An answered
 * outcome frees its slot in the transaction that records it (with_answered); until that
 * commit is due, its slot stays taken, so answers share a commit instead of each paying
 * one. */
static size_t carrier_budget(Carrier *c, uint64_t now, bool with_answered, Cycle *cy) {
        unsigned conc = carrier_concurrency(c), busy = c->in_flight + (with_answered ? 0 : c->answered);
        uint64_t until;
        size_t b, tokens;

        if (busy >= conc)
                return 0;       /* an answer, or the commit of one, will wake the pump */
        b = conc - busy;
        tokens = breaker_allowance(&c->breaker, now, &until);
        if (tokens == 0) {
                cycle_wake_at(cy, until);
                return 0;
        }
        if (tokens < b)
                b = tokens;
        tokens = token_bucket_available(&c->bucket, now);
        if (tokens == 0) {
                cycle_wake_at(cy, now + token_bucket_wait(&c->bucket, now));
                return 0;
        }
        if (tokens < b)
                b = tokens;
        tokens = window_guard_room(&c->window, now, &until);
        if (tokens == 0) {
                cycle_wake_at(cy, until);
                return 0;
        }
        return tokens < b ? tokens : b;
}

static void budgets_reset(Dispatcher *d) {
        for (DispatchRun *run = d->runs; run; run = run->next)
                for (size_t i = 0; i < run->carriers->n; i++)
                        run->carriers->carriers[i].budget = SIZE_MAX;
}

/* The (run, channel) pairs that may claim now, each with room for the budget of its
 * carrier; a carrier serving several runs shares its budget out in run order. */
static int plan_claims(Dispatcher *d, uint64_t now, bool with_answered, Cycle *cy) {
        if (d->stopping)
                return 0;
        budgets_reset(d);
        for (DispatchRun *run = d->runs; run; run = run->next) {
                if (run->empty)
                        continue;
                if (run->hold_until > now) {
                        cycle_wake_at(cy, run->hold_until);
                        continue;
                }
                run->hold_until = 0;
                if (run->hooks.hold) {
                        uint64_t h = run->hooks.hold(run, run->hooks.userdata);

                        if (h > now) {
                                run->hold_until = h;
                                cycle_wake_at(cy, h);
                                continue;
                        }
                }
                for (size_t i = 0; i < run->n_channels; i++) {
                        RunChannel *ch = &run->channels[i];
                        Carrier *c;
                        size_t budget;

                        if (ch->next_look > now) {
                                cycle_wake_at(cy, ch->next_look);
                                continue;
                        }
                        c = carrier_set_find_channel(run->carriers, ch->name);
                        if (!c)
                                continue;       /* checked after the commit */
                        if (c->budget == SIZE_MAX)
                                c->budget = carrier_budget(c, now, with_answered, cy);
                        budget = c->budget;
                        if (budget == 0)
                                continue;
                        if (cy->n_claims == cy->cap) {
                                size_t cap = cy->cap ? cy->cap * 2 : 8;
                                Claim *n = realloc(cy->claims, cap * sizeof(Claim));

                                if (!n)
                                        return -ENOMEM;
                                cy->claims = n;
                                cy->cap = cap;
                        }
                        cy->claims[cy->n_claims] = (Claim) { .run = run, .channel = ch, .carrier = c };
                        cy->claims[cy->n_claims].rows = calloc(budget, sizeof(OutboxRow));
                        if (!cy->claims[cy->n_claims].rows)
                                return -ENOMEM;
                        cy->n_claims++;
                }
        }
        return 0;
}

/* Records every answered outcome, claims what the budgets allow, commits. On failure the
 * transaction is rolled back: the outcomes stay in memory for the next try and the claimed
 * rows were never ours. */
static int commit_cycle(Dispatcher *d, uint64_t now, Cycle *cy, Recorded *ret) {
        _cleanup_rollback_ Store *tx = NULL;
        int r;

        r = store_begin(d->store);
        if (r < 0)
                return r;
        tx = d->store;
        for (Sent *s = d->answered; s; s = s->next) {
                const ConfigCarrier *cc = s->carrier->config;
                OutboxPolicy policy = {
                        .max_attempts = cc->max_attempts,
                        .max_age_usec = cc->max_age_sec * 1000000ULL,
                        .retry_base_usec = cc->retry_base_sec * 1000000ULL,
                };
                OutboxDecision dec = outbox_decide(&s->row, &policy, &s->outcome, now,
                                                   s->carrier_paused, s->paused_until,
                                                   (double) random() / ((double) RAND_MAX + 1));
                bool failed_over = false;

                r = store_outbox_record(d->store, &s->row, &dec, &s->outcome, &failed_over);
                if (r == -ESTALE) {
                        log_warning("%s: the row for %s was settled by another process meanwhile; "
                                    "its outcome here (%s) is not recorded", s->run->key, s->row.unit,
                                    outcome_class_to_string(s->outcome.klass));
                        *ret++ = (Recorded) { .status = -ESTALE };
                        continue;
                }
                if (r < 0)
                        return r;
                *ret++ = (Recorded) { .status = (int) dec.status, .failed_over = failed_over };
        }
        for (size_t i = 0; i < cy->n_claims; i++) {
                Claim *cl = &cy->claims[i];
                size_t budget = cl->carrier->budget;

                if (budget == 0)
                        continue;
                cl->asked = budget;
                r = store_outbox_claim(d->store, cl->run->occurrence_id, cl->channel->name, now,
                                       cl->carrier->name, &cl->run->hooks.refresh, budget, cl->rows,
                                       &cl->n, &cl->cancelled);
                if (r < 0)
                        return r;
                /* what this claim did not use, the next one of the same carrier may */
                cl->carrier->budget -= cl->n;
        }
        r = store_commit(d->store);
        tx = NULL;
        return r;
}

/* A claimed row goes out: inline for a local carrier, as a transfer for a network one. */
static void send_claimed(Dispatcher *d, DispatchRun *run, Carrier *c, OutboxRow *row, uint64_t now) {
        struct dunnd_message m = {
                .dispatch_id = (uint64_t) row->id,
                .occurrence = run->key,
                .channel = row->channel,
                .recipient = row->recipient,
                .recipient_name = strempty(row->name),
                .unit = row->unit,
                .subject = row->subject,
                .text = row->text,
        };
        Sent *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s) {
                /* the row is `sending` and nothing went out; the next start reports it
                 * unknown — rather that than a send we cannot record */
                log_error("%s: out of memory; %s stays 'sending'", run->key, row->unit);
                outbox_row_done(row);
                return;
        }
        *s = (Sent) { .run = run, .carrier = c, .row = *row };
        *row = (OutboxRow) {};
        run->outstanding++;
        d->sending++;
        if (c->api->deliver) {
                window_guard_note(&c->window, now_realtime_usec());
                c->api->deliver(c->state, &m, &s->outcome);
                outcome_sanitize(&s->outcome);
                answer(d, s, now_realtime_usec());
                return;
        }
        c->in_flight++;
        window_guard_note(&c->window, now_realtime_usec());
        r = transfer_start(d->pool, c, &m, s);
        if (r < 0) {
                /* the request was never made: nothing reached the carrier. -EINVAL: the
                 * plugin cannot express this message (e.g. not one recipient) — permanent */
                c->in_flight--;
                s->outcome = (struct dunnd_outcome) {
                        .klass = r == -EINVAL ? DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_TRANSIENT,
                };
                snprintf(s->outcome.error, sizeof(s->outcome.error), "not sent: the carrier plugin "
                         "could not build the request (%s)", strerror(-r));
                answer(d, s, now);
        }
}

static void after_commit(Dispatcher *d, Cycle *cy, const Recorded *rec, uint64_t now) {
        Sent *s = d->answered;

        d->commits.transactions++;
        d->commits.outcomes += d->n_answered;
        d->answered = NULL;
        d->answered_tail = &d->answered;
        d->n_answered = 0;
        for (; s; rec++) {
                Sent *next = s->next;

                apply_recorded(d, s, rec);
                sent_free(s);
                s = next;
        }
        for (DispatchRun *run = d->runs; run; run = run->next)
                if (run->progressed) {
                        run->progressed = false;
                        if (run->hooks.progress)
                                run->hooks.progress(run, run->done, run->total, run->hooks.userdata);
                }
        for (size_t i = 0; i < cy->n_claims; i++) {
                Claim *cl = &cy->claims[i];

                cl->run->stats.cancelled += cl->cancelled;
                d->commits.claims += cl->n;
                if (cl->n == 0)
                        continue;
                token_bucket_consume(&cl->carrier->bucket, cl->n);
                breaker_started(&cl->carrier->breaker, cl->n, now);
                for (size_t k = 0; k < cl->n; k++)
                        send_claimed(d, cl->run, cl->carrier, &cl->rows[k], now);
        }
        if (d->sending > d->commits.max_sending)
                d->commits.max_sending = d->sending;
}

/* A channel that claimed less than it could has nothing due now: when will it? Is the run
 * empty? Read outside the transaction. */
static int look_ahead(Dispatcher *d, Cycle *cy, uint64_t now) {
        int r;

        for (size_t i = 0; i < cy->n_claims; i++) {
                Claim *cl = &cy->claims[i];
                uint64_t next = 0;

                /* it got all it asked for: more may be due; it did not ask: no conclusion */
                if (cl->asked == 0 || cl->n >= cl->asked)
                        continue;
                r = store_outbox_next_retry(d->store, cl->run->occurrence_id, cl->channel->name, &next);
                if (r < 0)
                        return r;
                if (next > now) {
                        cl->channel->next_look = next;
                        cycle_wake_at(cy, next);
                } else if (next == 0)
                        cl->channel->next_look = UINT64_MAX;    /* nothing waits on it */
        }
        for (DispatchRun *run = d->runs; run; run = run->next) {
                bool all_done = !run->empty;
                unsigned open;

                if (run->empty || run->hold_until > now)
                        continue;
                for (size_t i = 0; i < run->n_channels && all_done; i++) {
                        RunChannel *ch = &run->channels[i];
                        Carrier *c = carrier_set_find_channel(run->carriers, ch->name);

                        if (!c && ch->next_look > now && ch->next_look != UINT64_MAX) {
                                all_done = false;       /* it looks again then */
                                continue;
                        }
                        if (!c) {
                                r = store_outbox_count_open(d->store, run->occurrence_id, ch->name, &open);
                                if (r < 0)
                                        return r;
                                if (open == 0) {
                                        ch->next_look = UINT64_MAX;
                                        continue;
                                }
                                if (!ch->warned)
                                        log_error("%s: no carrier serves channel '%s' any more; %u "
                                                  "message(s) wait", run->key, ch->name, open);
                                ch->warned = true;
                                run->stats.carrier_paused = true;
                                ch->next_look = now + NO_CARRIER_RETRY_USEC;
                                cycle_wake_at(cy, ch->next_look);
                                all_done = false;
                                continue;
                        }
                        if (ch->next_look != UINT64_MAX)
                                all_done = false;
                }
                if (!all_done)
                        continue;
                /* every channel says nothing waits: make sure (failovers add rows) */
                r = store_outbox_count_open(d->store, run->occurrence_id, NULL, &open);
                if (r < 0)
                        return r;
                if (open == 0)
                        run->empty = true;
                else
                        for (size_t i = 0; i < run->n_channels; i++)
                                run->channels[i].next_look = 0;
        }
        return 0;
}

/* ---- the pump ---------------------------------------------------------------------- */

static void run_free(DispatchRun *run) {
        for (size_t i = 0; i < run->n_channels; i++)
                free(run->channels[i].name);
        free(run->channels);
        free(run->key);
        free(run);
}

static void run_end(Dispatcher *d, DispatchRun *run) {
        DispatchRun **p;

        for (p = &d->runs; *p; p = &(*p)->next)
                if (*p == run) {
                        *p = run->next;
                        break;
                }
        run->stats.stopped = d->stopping && !run->empty;
        if (run->hooks.done)
                run->hooks.done(run, run->hooks.userdata);
        run_free(run);
}

/* Whether the answered outcomes should be committed now, or when (*ret_at). */
static bool commit_due(const Dispatcher *d, uint64_t now, uint64_t *ret_at) {
        unsigned in_flight = transfer_pool_in_flight(d->pool);

        *ret_at = 0;
        if (d->n_answered == 0)
                return false;
        /* nothing more will come soon, or half of what is out came back, or it waited enough */
        if (d->stopping || in_flight == 0 || d->n_answered >= in_flight ||
            now >= d->oldest_answer + COMMIT_DELAY_USEC)
                return true;
        *ret_at = d->oldest_answer + COMMIT_DELAY_USEC;
        return false;
}

static int on_pump(sd_event_source *source, void *userdata) {
        _cleanup_free_ Recorded *recorded = NULL;
        Dispatcher *d = userdata;
        uint64_t now = now_realtime_usec(), commit_at = 0;
        Cycle cy = {};
        bool commit;
        int r;

        (void) source;
        (void) sd_event_source_set_enabled(d->pump, SD_EVENT_OFF);
        if (d->store_retry_at > now) {
                cycle_wake_at(&cy, d->store_retry_at);
                goto arrange;
        }
        commit = commit_due(d, now, &commit_at);
        cycle_wake_at(&cy, commit_at);
        r = plan_claims(d, now, commit, &cy);
        if (r < 0)
                goto fail;
        if (!commit && cy.n_claims == 0)
                goto ended;
        /* the claims go with the commit of the outcomes that freed their slots; claims alone
         * when no outcome waits (a fresh run, a rate-limit tick) */
        recorded = calloc(d->n_answered + 1, sizeof(Recorded));
        if (!recorded) {
                r = -ENOMEM;
                goto fail;
        }
        r = commit_cycle(d, now, &cy, recorded);
        if (r < 0)
                goto fail;
        if (d->store_failing)
                log_notice("writing to the database works again; %zu outcome(s) recorded", d->n_answered);
        d->store_failing = false;
        after_commit(d, &cy, recorded, now);
        r = look_ahead(d, &cy, now);
        if (r < 0)
                log_error_errno(r, "cannot read the outbox (%s); looking again shortly",
                                store_errmsg(d->store));
        claims_free(&cy, false);
        schedule_pump(d);       /* answers of local carriers, more rows due */
        goto ended;
fail:
        /* nothing of the transaction happened: the outcomes stay here, the claimed rows were
         * never ours */
        d->commits.failed++;
        if (!d->store_failing)
                log_error_errno(r, "cannot write the outbox (%s); %zu outcome(s) kept in memory, "
                                "trying again every second", store_errmsg(d->store), d->n_answered);
        d->store_failing = true;
        d->store_retry_at = now + STORE_RETRY_USEC;
        claims_free(&cy, true);
        cycle_wake_at(&cy, d->store_retry_at);
        goto arrange;
ended:
        for (DispatchRun *run = d->runs, *next; run; run = next) {
                next = run->next;
                if (run->outstanding == 0 && (run->empty || d->stopping))
                        run_end(d, run);
        }
arrange:
        if (cy.wake) {
                (void) sd_event_source_set_time(d->wake, cy.wake);
                (void) sd_event_source_set_enabled(d->wake, SD_EVENT_ONESHOT);
        }
        claims_free(&cy, true);
        return 0;
}

static int on_wake(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) s;
        (void) usec;
        schedule_pump(userdata);
        return 0;
}

int dispatcher_new(sd_event *event, Store *store, Dispatcher **ret) {
        Dispatcher *d;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->store = store;
        d->answered_tail = &d->answered;
        r = transfer_pool_new(event, on_transfer_done, d, &d->pool);
        if (r < 0)
                goto fail;
        r = sd_event_add_defer(event, &d->pump, on_pump, d);
        if (r < 0)
                goto fail;
        /* below timers, signals and curl's sockets: a long campaign starves none of them,
         * and answers that are ready are all in before the commit */
        (void) sd_event_source_set_priority(d->pump, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_enabled(d->pump, SD_EVENT_OFF);
        /* 1 µs accuracy: this timer paces the rate limit */
        r = sd_event_add_time(event, &d->wake, CLOCK_REALTIME, UINT64_MAX, 1, on_wake, d);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(d->wake, SD_EVENT_OFF);
        *ret = d;
        return 0;
fail:
        dispatcher_free(d);
        return r;
}

/* The last commit: requests still in flight are recorded `unknown` (they may have reached
 * the carrier, so they are never re-sent), with every answer not yet recorded. */
static void final_commit(Dispatcher *d) {
        _cleanup_free_ Recorded *recorded = NULL;
        Cycle cy = {};
        int r;

        if (d->pool)
                transfer_pool_abort_all(d->pool);
        if (d->n_answered == 0)
                return;
        d->stopping = true;
        recorded = calloc(d->n_answered + 1, sizeof(Recorded));
        r = recorded ? commit_cycle(d, now_realtime_usec(), &cy, recorded) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "cannot record %zu outcome(s) at exit (%s); their rows stay "
                                "'sending' and become 'unknown' at the next start", d->n_answered,
                                store_errmsg(d->store));
                while (d->answered) {
                        Sent *next = d->answered->next;
                        sent_free(d->answered);
                        d->answered = next;
                }
                d->n_answered = 0;
                return;
        }
        after_commit(d, &cy, recorded, now_realtime_usec());
}

Dispatcher *dispatcher_free(Dispatcher *d) {
        if (!d)
                return NULL;
        final_commit(d);
        transfer_pool_free(d->pool);
        while (d->runs) {
                DispatchRun *next = d->runs->next;
                run_free(d->runs);
                d->runs = next;
        }
        sd_event_source_disable_unref(d->pump);
        sd_event_source_disable_unref(d->wake);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

static int run_channels(Store *s, DispatchRun *run) {
        _cleanup_free_ char *list = NULL;
        char *p, *save = NULL;
        int r;

        r = store_occurrence_channels(s, run->occurrence_id, &list);
        if (r < 0)
                return r;
        for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                RunChannel *n = realloc(run->channels, (run->n_channels + 1) * sizeof(RunChannel));

                if (!n)
                        return -ENOMEM;
                run->channels = n;
                run->channels[run->n_channels] = (RunChannel) { .name = strdup(p) };
                if (!run->channels[run->n_channels].name)
                        return -ENOMEM;
                run->n_channels++;
        }
        return 0;
}

int dispatcher_start(Dispatcher *d, CarrierSet *carriers, int64_t occurrence_id, const char *key,
                     const DispatchHooks *hooks, DispatchRun **ret) {
        DispatchRun *run, **tail;
        int r;

        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        *run = (DispatchRun) { .dispatcher = d, .carriers = carriers, .occurrence_id = occurrence_id,
                               .key = strdup(key), .hooks = *hooks };
        if (!run->key) {
                run_free(run);
                return -ENOMEM;
        }
        r = run_channels(d->store, run);
        if (r >= 0)
                r = store_outbox_count_open(d->store, occurrence_id, NULL, &run->total);
        if (r < 0) {
                run_free(run);
                return r;
        }
        for (tail = &d->runs; *tail; tail = &(*tail)->next)
                ;
        *tail = run;
        schedule_pump(d);
        if (ret)
                *ret = run;
        return 0;
}

void dispatcher_stop(Dispatcher *d) {
        d->stopping = true;
        schedule_pump(d);
}

unsigned dispatcher_in_flight(const Dispatcher *d) {
        return transfer_pool_in_flight(d->pool);
}

const DispatchCommits *dispatcher_commits(const Dispatcher *d) {
        return &d->commits;
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

int dispatch_recover_interrupted(Store *s) {
        int marked = store_outbox_recover_interrupted(s);

        if (marked > 0)
                log_warning("%d message(s) were interrupted mid-send by a crash or kill; they are "
                            "marked 'unknown' and will not be re-sent (see 'dunnctl log --status "
                            "unknown')", marked);
        return marked;
}
