/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "curl-easy.h"
#include "curl-glue.h"
#include "dispatch.h"
#include "log.h"
#include "mask.h"
#include "outbox.h"
#include "ratelimit.h"

/* Rows a local carrier handles per loop iteration before yielding to other sources. */
#define LOCAL_BATCH 8
#define BODY_MAX (1024 * 1024)

struct DispatchRun {
        DispatchRun *next;
        Dispatcher *dispatcher;
        CarrierSet *carriers;
        int64_t occurrence_id;
        char *key;
        DispatchHooks hooks;
        unsigned total, done, in_flight;
        uint64_t hold_until;            /* µs: quiet hours or waits; 0 = go */
        bool empty;                     /* nothing left to claim (last time we looked) */
        DispatchStats stats;
};

/* One request in flight. */
typedef struct Transfer {
        struct Transfer *next, *prev;
        DispatchRun *run;
        Carrier *carrier;
        OutboxRow row;
        CURL *easy;
        void *req;                      /* the plugin's */
        char *body;
        size_t body_len;
        bool body_truncated;
} Transfer;

struct Dispatcher {
        sd_event *event;
        Store *store;
        CurlGlue *glue;
        DispatchRun *runs;
        Transfer *transfers;            /* in flight */
        sd_event_source *pump;          /* defer, idle priority */
        sd_event_source *wake;          /* realtime, µs accuracy: rate limits, retries, holds */
        bool stopping;
};

/* ---- carriers: capacity, rate, breaker -------------------------------------------- */

typedef struct AcceptContext {
        DispatchRun *run;
        Carrier *carrier;
} AcceptContext;

static uint64_t accept_row(const OutboxRow *row, void *userdata, const char **ret_carrier) {
        AcceptContext *ctx = userdata;
        uint64_t now = now_realtime_usec(), wait;
        Carrier *c;

        c = carrier_set_find_channel(ctx->run->carriers, row->channel);
        if (!c) {
                /* planned under a config that had one; check again in a minute */
                log_error("%s: no carrier serves channel '%s' any more; unit %s waits",
                          ctx->run->key, row->channel, row->unit);
                ctx->run->stats.carrier_paused = true;
                return now + 60 * 1000000ULL;
        }
        if (c->paused_until > now)
                return c->paused_until;
        /* half-open after a pause: one request tests the carrier, the rest wait for it */
        if (c->probing || c->in_flight >= (c->config->concurrency ? c->config->concurrency : 1))
                return OUTBOX_BLOCKED;
        wait = token_bucket_take(&c->bucket, now);
        if (wait > 0)
                return now + wait;
        if (c->paused_until)
                c->probing = true;
        ctx->carrier = c;
        *ret_carrier = c->name;
        return 0;
}

static void breaker_account(DispatchRun *run, Carrier *c, const struct dunnd_outcome *o) {
        const ConfigCarrier *cc = c->config;
        uint64_t now = now_realtime_usec();

        c->probing = false;
        switch (o->klass) {
        case DUNND_OUTCOME_TRANSIENT:
                if (++c->consecutive_failures < cc->failure_threshold)
                        return;
                c->paused_until = now + cc->pause_sec * 1000000ULL;
                run->stats.carrier_paused = true;
                log_warning("carrier '%s': %u transient failures in a row (last: %s); pausing it "
                            "for %llus", c->name, c->consecutive_failures, o->error,
                            (unsigned long long) cc->pause_sec);
                return;
        case DUNND_OUTCOME_CARRIER_FAILURE:
                c->paused_until = now + cc->pause_sec * 1000000ULL;
                run->stats.carrier_paused = true;
                run->stats.carrier_refused = true;
                /* an alert: someone has to fix credentials, balance or the signature */
                log_error("ALERT carrier '%s' refuses to send: %s; pausing it for %llus, the "
                          "messages stay queued", c->name, o->error, (unsigned long long) cc->pause_sec);
                return;
        case DUNND_OUTCOME_THROTTLED:
                return;
        default:
                if (c->paused_until)
                        log_notice("carrier '%s' works again", c->name);
                c->consecutive_failures = 0;
                c->paused_until = 0;
                return;
        }
}

/* ---- outcomes ---------------------------------------------------------------------- */

static void log_outcome(const DispatchRun *run, const Carrier *carrier, const OutboxRow *row,
                        const struct dunnd_outcome *o) {
        char masked[MASK_BUFSZ], f_occ[200], f_unit[96], f_outcome[64], f_carrier[96];
        const char *fields[] = { f_occ, f_unit, f_outcome, f_carrier, NULL };
        int level = o->klass == DUNND_OUTCOME_SENT ? LOG_DEBUG :
                    o->klass == DUNND_OUTCOME_TRANSIENT || o->klass == DUNND_OUTCOME_THROTTLED ? LOG_INFO
                                                                                             : LOG_WARNING;

        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", run->key);
        snprintf(f_unit, sizeof(f_unit), "DUNND_UNIT=%s", row->unit);
        snprintf(f_outcome, sizeof(f_outcome), "DUNND_OUTCOME=%s", outcome_class_to_string(o->klass));
        snprintf(f_carrier, sizeof(f_carrier), "DUNND_CARRIER=%s", carrier->name);
        mask_recipient(row->channel, row->recipient, masked, sizeof(masked));
        (void) log_full(level, 0, fields, "%s: %s %s via '%s': %s%s%s", run->key, row->unit, masked,
                        carrier->name, outcome_class_to_string(o->klass), o->error[0] ? ": " : "",
                        o->error);
}

static void schedule_pump(Dispatcher *d) {
        (void) sd_event_source_set_enabled(d->pump, SD_EVENT_ON);
}

/* A carrier's id and error text end up in the log and on staff terminals: no control
 * characters (terminal escapes) from whatever the carrier answered, from any plugin. */
static void sanitize_outcome(struct dunnd_outcome *o) {
        o->message_id[sizeof(o->message_id) - 1] = 0;
        o->error[sizeof(o->error) - 1] = 0;
        for (char *p = o->message_id; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        for (char *p = o->error; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
}

/* Records a row's outcome and everything that follows from it. */
static void finish_row(DispatchRun *run, Carrier *carrier, OutboxRow *row, struct dunnd_outcome *o) {
        Dispatcher *d = run->dispatcher;
        OutboxPolicy policy = { .max_attempts = carrier->config->max_attempts,
                                .max_age_sec = carrier->config->max_age_sec,
                                .retry_base_sec = carrier->config->retry_base_sec };
        bool failed_over = false;
        int r;

        sanitize_outcome(o);
        run->stats.attempted++;
        log_outcome(run, carrier, row, o);
        breaker_account(run, carrier, o);
        r = outbox_record(d->store, row, &policy, o, &failed_over);
        if (r < 0) {
                /* the row stays `sending`: the next start reports it unknown, never re-sends */
                log_error_errno(r, "%s: cannot record the outcome for %s (%s)", run->key, row->unit,
                                store_errmsg(d->store));
                run->stats.unknown++;
        } else {
                switch ((OutboxStatus) r) {
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
                }
        }
        if (failed_over) {
                run->stats.failovers++;
                run->total++;
                log_info("%s: %s fails over from %s to the next channel", run->key, row->unit, row->channel);
        }
        if (run->hooks.progress)
                run->hooks.progress(run, run->done, run->total, run->hooks.userdata);
        outbox_row_done(row);
        schedule_pump(d);
}

/* ---- transfers --------------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;
        char *b;

        if (t->body_len + n > BODY_MAX) {
                t->body_truncated = true;
                return 0;       /* CURLE_WRITE_ERROR: the answer is too big to be an SMS API's */
        }
        b = realloc(t->body, t->body_len + n + 1);
        if (!b)
                return 0;
        t->body = b;
        memcpy(t->body + t->body_len, ptr, n);
        t->body_len += n;
        t->body[t->body_len] = 0;
        return n;
}

static void transfer_unlink(Dispatcher *d, Transfer *t) {
        if (t->prev)
                t->prev->next = t->next;
        else
                d->transfers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->next = t->prev = NULL;
}

static void transfer_free(Transfer *t) {
        if (t->easy)
                curl_easy_cleanup(t->easy);
        outbox_row_done(&t->row);
        free(t->body);
        free(t);
}

static void on_transfer_done(CurlGlue *g, CURL *easy, CURLcode result, void *userdata) {
        Transfer *t = NULL;
        struct dunnd_outcome o = { .klass = DUNND_OUTCOME_UNKNOWN };
        long status = 0, request_size = 0;

        (void) g;
        (void) userdata;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &t);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
        t->carrier->api->finish(t->carrier->state, t->req, (int) result, request_size > 0, status,
                                t->body ? t->body : "", t->body_len, &o);
        t->req = NULL;
        t->carrier->in_flight--;
        t->run->in_flight--;
        transfer_unlink(t->run->dispatcher, t);
        finish_row(t->run, t->carrier, &t->row, &o);
        transfer_free(t);
}

/* What the host promises every network plugin (see dunnd-carrier.h). Connections stay
 * alive for carriers whose requests libcurl cannot silently re-send (curl-easy.h). */
static int easy_defaults(const Carrier *c, Transfer *t) {
        const ConfigCarrier *cc = c->config;
        EasyDefaults d = {
                .connect_timeout_ms = (long) cc->connect_timeout_ms,
                .timeout_ms = (long) cc->timeout_ms,
                .keep_alive = c->properties & (DUNND_CARRIER_IDEMPOTENT | DUNND_CARRIER_REUSE_SAFE),
        };
        int r;

        r = easy_apply_defaults(t->easy, &d);
        if (r < 0)
                return r;
        if (curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
            curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t) != CURLE_OK ||
            curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t) != CURLE_OK)
                return -EINVAL;
        return 0;
}

int dispatch_send_one(Carrier *c, const struct dunnd_message *m, struct dunnd_outcome *o) {
        Transfer t = {};
        long status = 0, request_size = 0;
        CURLcode rc;
        int r;

        *o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
        if (c->api->deliver) {
                c->api->deliver(c->state, m, o);
                sanitize_outcome(o);
                return 0;
        }
        t.easy = curl_easy_init();
        if (!t.easy)
                return -ENOMEM;
        r = easy_defaults(c, &t);
        if (r >= 0)
                r = c->api->prepare(c->state, m, t.easy, &t.req);
        if (r < 0) {
                curl_easy_cleanup(t.easy);
                return r;
        }
        rc = curl_easy_perform(t.easy);
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(t.easy, CURLINFO_REQUEST_SIZE, &request_size);
        c->api->finish(c->state, t.req, (int) rc, request_size > 0, status, t.body ? t.body : "",
                       t.body_len, o);
        sanitize_outcome(o);
        curl_easy_cleanup(t.easy);
        free(t.body);
        return 0;
}

static int start_transfer(DispatchRun *run, Carrier *c, OutboxRow *row) {
        Dispatcher *d = run->dispatcher;
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
        Transfer *t;
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->run = run;
        t->carrier = c;
        t->easy = curl_easy_init();
        if (!t->easy) {
                free(t);
                return -ENOMEM;
        }
        r = easy_defaults(c, t);
        if (r >= 0)
                r = c->api->prepare(c->state, &m, t->easy, &t->req);
        if (r < 0)
                goto fail;
        r = curl_glue_add(d->glue, t->easy);
        if (r < 0) {
                /* nothing went out: let the plugin free its request */
                struct dunnd_outcome ignored = {};
                c->api->finish(c->state, t->req, CURLE_FAILED_INIT, 0, 0, "", 0, &ignored);
                goto fail;
        }
        t->row = *row;          /* the transfer owns the row now */
        *row = (OutboxRow) {};
        c->in_flight++;
        run->in_flight++;
        t->next = d->transfers;
        if (t->next)
                t->next->prev = t;
        d->transfers = t;
        return 0;
fail:
        curl_easy_cleanup(t->easy);
        free(t);
        return r;
}

/* Sends one claimed row: inline for local carriers, as a transfer for network ones. */
static void send_row(DispatchRun *run, Carrier *c, OutboxRow *row) {
        struct dunnd_outcome o = { .klass = DUNND_OUTCOME_UNKNOWN };
        int r;

        if (c->api->deliver) {
                struct dunnd_message m = {
                        .dispatch_id = (uint64_t) row->id, .occurrence = run->key,
                        .channel = row->channel, .recipient = row->recipient,
                        .recipient_name = strempty(row->name), .unit = row->unit,
                        .subject = row->subject, .text = row->text,
                };
                c->api->deliver(c->state, &m, &o);
                finish_row(run, c, row, &o);
                return;
        }
        r = start_transfer(run, c, row);
        if (r < 0) {
                /* the request was never made: nothing reached the carrier. -EINVAL: the
                 * plugin cannot express this message (e.g. not one recipient) — permanent */
                o.klass = r == -EINVAL ? DUNND_OUTCOME_REJECTED : DUNND_OUTCOME_TRANSIENT;
                snprintf(o.error, sizeof(o.error), "not sent: the carrier plugin could not build "
                         "the request (%s)", strerror(-r));
                if (c->probing)
                        c->probing = false;
                finish_row(run, c, row, &o);
        }
}

/* ---- the pump ---------------------------------------------------------------------- */

static void run_free(DispatchRun *run) {
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

/* Claims and sends what one run can send now. Returns the µs it next wants a look (0 =
 * only a completion will help), and sets *progressed when it did something. */
static uint64_t pump_run(Dispatcher *d, DispatchRun *run, bool *progressed) {
        uint64_t now = now_realtime_usec(), h;

        if (run->hold_until > now)
                return run->hold_until;
        run->hold_until = 0;
        if (run->hooks.hold) {
                h = run->hooks.hold(run, run->hooks.userdata);
                if (h > now) {
                        run->hold_until = h;
                        return h;
                }
        }
        for (unsigned i = 0; i < LOCAL_BATCH; i++) {
                AcceptContext ctx = { .run = run };
                OutboxRow row = {};
                uint64_t wait = 0;
                int r;

                r = outbox_claim(d->store, run->occurrence_id, accept_row, &ctx, &row, &wait,
                                 &run->stats.cancelled);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot claim the next message (%s); retrying shortly",
                                        run->key, store_errmsg(d->store));
                        return now + 1000000;
                }
                run->empty = r == OUTBOX_EMPTY;
                if (r == OUTBOX_EMPTY || r == OUTBOX_BUSY)
                        return 0;
                if (r == OUTBOX_WAIT)
                        return wait;
                *progressed = true;
                send_row(run, ctx.carrier, &row);
                /* a network request is on its way: claim the next one in this pass too, up to
                 * the carrier's concurrency (accept_row says when it is full) */
        }
        return now;     /* more to do: come back in the next iteration */
}

static int on_pump(sd_event_source *s, void *userdata) {
        Dispatcher *d = userdata;
        uint64_t next_wake = 0, now = now_realtime_usec();
        bool progressed = false;
        DispatchRun *run, *next;

        (void) s;
        for (run = d->runs; run; run = next) {
                next = run->next;
                if (!d->stopping) {
                        uint64_t w = pump_run(d, run, &progressed);
                        if (w && (!next_wake || w < next_wake))
                                next_wake = w;
                }
                if (run->in_flight == 0 && (run->empty || d->stopping))
                        run_end(d, run);
        }
        if (!progressed || (next_wake && next_wake > now))
                (void) sd_event_source_set_enabled(d->pump, SD_EVENT_OFF);
        if (next_wake > now) {
                (void) sd_event_source_set_time(d->wake, next_wake);
                (void) sd_event_source_set_enabled(d->wake, SD_EVENT_ONESHOT);
        } else if (next_wake)
                schedule_pump(d);
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
        r = curl_glue_new(event, on_transfer_done, d, &d->glue);
        if (r < 0)
                goto fail;
        r = sd_event_add_defer(event, &d->pump, on_pump, d);
        if (r < 0)
                goto fail;
        /* below timers, signals and curl's sockets: a long campaign starves none of them */
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

/* Requests still in flight when we must go: they may have reached the carrier, so their
 * rows are recorded `unknown` (reported, never re-sent). */
static void abort_transfers(Dispatcher *d) {
        while (d->transfers) {
                Transfer *t = d->transfers;
                struct dunnd_outcome o = { .klass = DUNND_OUTCOME_UNKNOWN };
                OutboxPolicy policy = { .max_attempts = 1 };
                bool failed_over;

                transfer_unlink(d, t);
                curl_glue_remove(d->glue, t->easy);
                t->carrier->api->finish(t->carrier->state, t->req, CURLE_ABORTED_BY_CALLBACK, 1, 0,
                                        "", 0, &o);
                o = (struct dunnd_outcome) { .klass = DUNND_OUTCOME_UNKNOWN };
                snprintf(o.error, sizeof(o.error), "aborted at shutdown while in flight; it may "
                         "have reached the carrier, so it is not re-sent");
                if (outbox_record(d->store, &t->row, &policy, &o, &failed_over) < 0)
                        log_error("%s: cannot record the aborted request for %s; it stays "
                                  "'sending' and becomes 'unknown' at the next start",
                                  t->run->key, t->row.unit);
                transfer_free(t);
        }
}

Dispatcher *dispatcher_free(Dispatcher *d) {
        if (!d)
                return NULL;
        abort_transfers(d);
        while (d->runs) {
                DispatchRun *next = d->runs->next;
                run_free(d->runs);
                d->runs = next;
        }
        curl_glue_free(d->glue);
        sd_event_source_disable_unref(d->pump);
        sd_event_source_disable_unref(d->wake);
        sd_event_unref(d->event);
        free(d);
        return NULL;
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
                free(run);
                return -ENOMEM;
        }
        r = outbox_count_open(d->store, occurrence_id, &run->total);
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
        return curl_glue_in_flight(d->glue);
}

bool dispatcher_has_runs(const Dispatcher *d) {
        return d->runs != NULL;
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
        return outbox_recover_interrupted(s);
}

/* ---- dunnctl's loop ---------------------------------------------------------------- */

typedef struct OneShot {
        sd_event *event;
        Dispatcher *dispatcher;
        dispatch_progress_t progress;
        void *userdata;
        DispatchStats stats;
} OneShot;

static void oneshot_progress(DispatchRun *run, unsigned done, unsigned total, void *userdata) {
        OneShot *o = userdata;

        if (o->progress)
                o->progress(done, total, o->userdata);
        /* a carrier that refuses everything will not be fixed while cron waits: stop, leave
         * the rest pending (the daemon instead pauses it and probes again) */
        if (run->stats.carrier_refused)
                dispatcher_stop(o->dispatcher);
}

static void oneshot_done(DispatchRun *run, void *userdata) {
        OneShot *o = userdata;

        o->stats = run->stats;
        (void) sd_event_exit(o->event, 0);
}

static int oneshot_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        OneShot *o = userdata;

        (void) s;
        (void) si;
        /* finish what is in flight (its outcome is recorded), claim nothing more */
        dispatcher_stop(o->dispatcher);
        return 0;
}

int dispatch_occurrence(Store *s, CarrierSet *carriers, int64_t occurrence_id, const char *key,
                        dispatch_progress_t progress, void *userdata, DispatchStats *ret) {
        OneShot o = { .progress = progress, .userdata = userdata };
        DispatchHooks hooks = { .progress = oneshot_progress, .done = oneshot_done, .userdata = &o };
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return -errno;
        r = sd_event_new(&o.event);
        if (r < 0)
                goto finish;
        r = sd_event_add_signal(o.event, NULL, SIGINT, oneshot_signal, &o);
        if (r >= 0)
                r = sd_event_add_signal(o.event, NULL, SIGTERM, oneshot_signal, &o);
        if (r >= 0)
                r = dispatcher_new(o.event, s, &o.dispatcher);
        if (r >= 0) {
                if (progress) {
                        unsigned total = 0;
                        (void) outbox_count_open(s, occurrence_id, &total);
                        progress(0, total, userdata);
                }
                r = dispatcher_start(o.dispatcher, carriers, occurrence_id, key, &hooks, NULL);
        }
        if (r >= 0)
                r = sd_event_loop(o.event);
        if (r >= 0 && ret)
                *ret = o.stats;
finish:
        dispatcher_free(o.dispatcher);
        sd_event_unref(o.event);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return r < 0 ? r : 0;
}
