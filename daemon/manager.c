/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "manager.h"
#include "plan.h"
#include "quiet.h"
#include "receipt-server.h"
#include "store-approval.h"
#include "store-occurrence.h"
#include "timeutil.h"

/* How often STATUS= may change during a run: often enough to watch, not a datagram per SMS. */
#define STATUS_INTERVAL_USEC (500 * 1000ULL)
/* How long SIGTERM waits for requests in flight (the unit's TimeoutStopSec is 45 s). */
#define STOP_TIMEOUT_USEC (30 * 1000000ULL)
/* Unfinished occurrences younger than this are resumed on start. */
#define RESUME_WINDOW_SEC (7 * 86400)
/* How often occurrences waiting for approval are checked for expiry. */
#define EXPIRY_INTERVAL_USEC (60 * 1000000ULL)

typedef struct Generation {
        unsigned n_ref;
        Config *config;
        CarrierSet *carriers;
} Generation;

typedef struct Run {
        struct Run *next;
        Manager *manager;
        Generation *gen;                /* the config and carriers the run started with */
        CampaignResult res;
        DispatchRun *dispatch;          /* the dispatcher's; valid until its done hook */
        PlanRefresh refresh;            /* renders a row again after a partial payment */
} Run;

typedef struct ScheduleTimer {
        Manager *manager;
        const ConfigSchedule *schedule;
        sd_event_source *source;
        usec_t next;
} ScheduleTimer;

struct Manager {
        sd_event *event;
        Store *store;
        Generation *gen;
        char *config_path;
        char *db_path;                  /* as opened; a reload cannot move it */
        bool db_from_cli;               /* --db: the config's database is not used */
        bool log_level_from_cli;        /* -v/--log-level: the config's log_level is not used */
        ScheduleTimer *timers;
        size_t n_timers;
        Run *runs;
        Dispatcher *dispatcher;
        ReceiptServer *receipts;        /* delivery receipts, when configured */
        bool stopping;
        sd_event_source *stop_timer;    /* bounds the wait for requests in flight */
        sd_event_source *watchdog_source;       /* monotonic: WATCHDOG=1 every half period */
        sd_event_source *midnight;      /* closes the promises of the day before */
        sd_event_source *expiry_timer;  /* monotonic: expires unapproved occurrences */
        uint64_t watchdog_usec;
        usec_t last_status;
};

/* ---- generations -------------------------------------------------------------------- */

static Generation *generation_unref(Generation *g) {
        if (!g || --g->n_ref > 0)
                return NULL;
        carrier_set_free(g->carriers);
        config_free(g->config);
        free(g);
        return NULL;
}

static Generation *generation_ref(Generation *g) {
        g->n_ref++;
        return g;
}

static void log_errors(ConfigErrors *errors) {
        for (size_t i = 0; i < errors->n; i++)
                log_error("%s", errors->lines[i]);
        config_errors_clear(errors);
}

/* Loads config and carriers; logs every problem as FILE:LINE. */
static int generation_load(const char *path, Generation **ret) {
        Generation *g;
        ConfigErrors errors = {};
        int r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->n_ref = 1;
        r = config_load(path, &g->config, &errors);
        if (r >= 0)
                r = carrier_set_open(g->config, &g->carriers, &errors);
        log_errors(&errors);
        if (r < 0) {
                generation_unref(g);
                return r;
        }
        *ret = g;
        return 0;
}

/* ---- status ------------------------------------------------------------------------- */

static void notify_idle_status(Manager *m) {
        const ScheduleTimer *first = NULL;
        char when[64], status[256];

        for (size_t i = 0; i < m->n_timers; i++)
                if (m->timers[i].next && (!first || m->timers[i].next < first->next))
                        first = &m->timers[i];
        if (!first) {
                (void) sd_notify(false, "STATUS=Idle; no schedule elapses");
                return;
        }
        localtime_format((time_t) (first->next / USEC_PER_SEC), m->gen->config->timezone,
                         "%Y-%m-%d %H:%M:%S %Z", when, sizeof(when));
        snprintf(status, sizeof(status), "STATUS=Idle; next: %s at %s", first->schedule->name, when);
        (void) sd_notify(false, status);
}

static void notify_run_status(Manager *m, const Run *run, bool force) {
        char status[OCCURRENCE_KEY_MAX + 96];
        usec_t now;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (!force && now - m->last_status < STATUS_INTERVAL_USEC)
                return;
        m->last_status = now;
        snprintf(status, sizeof(status), "STATUS=%s: %u/%u sent", run->res.key,
                 dispatch_run_stats(run->dispatch)->sent, dispatch_run_total(run->dispatch));
        (void) sd_notify(false, status);
}

/* ---- runs --------------------------------------------------------------------------- */

static void run_free(Run *run) {
        generation_unref(run->gen);
        free(run);
}

static bool run_active(Manager *m, const char *key) {
        for (Run *r = m->runs; r; r = r->next)
                if (streq(r->res.key, key))
                        return true;
        return false;
}

static uint64_t run_hold(DispatchRun *d, void *userdata) {
        Run *run = userdata;
        time_t end = quiet_hours_end(run->gen->config, time(NULL));
        char when[64];

        (void) d;
        if (!end)
                return 0;
        localtime_format(end, run->gen->config->timezone, "%H:%M", when, sizeof(when));
        log_info("%s: inside quiet hours; sending resumes at %s", run->res.key, when);
        notify_run_status(run->manager, run, true);
        return (uint64_t) end * USEC_PER_SEC;
}

static void run_progress(DispatchRun *d, unsigned done, unsigned total, void *userdata) {
        Run *run = userdata;

        (void) d;
        (void) done;
        (void) total;
        notify_run_status(run->manager, run, false);
}

static void run_done(DispatchRun *d, void *userdata) {
        Run *run = userdata;
        Manager *m = run->manager;
        char f_occ[OCCURRENCE_KEY_MAX + 32];
        const char *fields[] = { f_occ, NULL };
        Run **p;
        int r;

        (void) d;
        r = campaign_finish(m->store, &run->res);
        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", run->res.key);
        if (r < 0)
                (void) log_full(LOG_ERR, r, fields, "%s: cannot finish", run->res.key);
        else
                (void) log_full(run->res.total.unknown || run->res.total.failed ? LOG_WARNING : LOG_INFO, 0,
                                fields, "%s: %s: %u sent, %u failed, %u unknown, %u skipped, "
                                "%u cancelled (paid), %u pending", run->res.key,
                                run->res.total.pending ? "stopped" : "done", run->res.total.sent,
                                run->res.total.failed, run->res.total.unknown, run->res.total.skipped,
                                run->res.total.cancelled, run->res.total.pending);
        for (p = &m->runs; *p; p = &(*p)->next)
                if (*p == run) {
                        *p = run->next;
                        break;
                }
        run_free(run);
        if (m->stopping && !m->runs)
                (void) sd_event_exit(m->event, 0);
        else if (!m->runs)
                notify_idle_status(m);
}

/* Adds a run of an occurrence already planned (or planned now by campaign_start) of
 * schedule sc (NULL when the config no longer has it) standing for `at`. */
static int run_add(Manager *m, const CampaignResult *res, const ConfigSchedule *sc, time_t at) {
        Run *run, **tail;
        DispatchHooks hooks = { .progress = run_progress, .hold = run_hold, .done = run_done };
        int r;

        if (run_active(m, res->key))
                return 0;
        run = calloc(1, sizeof(*run));
        if (!run)
                return -ENOMEM;
        run->manager = m;
        run->res = *res;
        run->gen = generation_ref(m->gen);
        hooks.userdata = run;
        run->refresh = (PlanRefresh) {
                .config = run->gen->config, .store = m->store, .schedule = sc, .at = at,
        };
        hooks.refresh = (OutboxRefresh) { .render = plan_refresh_render, .userdata = &run->refresh };
        for (tail = &m->runs; *tail; tail = &(*tail)->next)
                ;
        *tail = run;
        r = dispatcher_start(m->dispatcher, run->gen->carriers, res->occurrence_id, res->key, &hooks,
                             &run->dispatch);
        if (r < 0) {
                *tail = NULL;
                run_free(run);
                return r;
        }
        return 0;
}

/* A store timestamp as local time in the config's zone, "2026-01-23 10:00 CST". */
static const char *local_stamp(const Manager *m, const char *stamp, char *buf, size_t len) {
        time_t t;

        if (store_timestamp_parse(stamp, &t) < 0)
                return stamp;
        return localtime_format(t, m->gen->config->timezone, "%Y-%m-%d %H:%M %Z", buf, len);
}

static int start_occurrence(Manager *m, const ConfigSchedule *sc, time_t at, const char *origin) {
        char f_sched[128], f_occ[OCCURRENCE_KEY_MAX + 32], expires[64];
        const char *fields[] = { f_sched, f_occ, NULL };
        CampaignResult res;
        int r;

        r = campaign_start(m->gen->config, m->store, sc, at, origin, &res);
        if (r < 0)
                return r;
        r = campaign_counts(m->store, res.occurrence_id, &res);
        if (r < 0)
                return r;
        snprintf(f_sched, sizeof(f_sched), "DUNND_SCHEDULE=%s", sc->name);
        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", res.key);
        if (res.approval == APPROVAL_WAITING) {
                (void) log_full(LOG_NOTICE, 0, fields, "%s: %s%s: prepared, %u messages wait for "
                                "approval until %s: dunnctl show %s, then dunnctl approve %s",
                                res.key, origin, res.already_planned ? " (already planned earlier)" : "",
                                res.total.pending,
                                local_stamp(m, res.expires_at, expires, sizeof(expires)),
                                res.key, res.key);
                return 0;
        }
        (void) log_full(LOG_INFO, 0, fields, "%s: %s%s: %u households selected, %u to send, %u skipped",
                        res.key, origin, res.already_planned ? " (already planned earlier)" : "",
                        res.total.selected, res.total.pending, res.total.skipped);
        /* an approved one is sent by the `dunnctl approve` that approved it (or resumed at
         * start, when that was interrupted); a rejected or expired one never */
        if (res.approval != APPROVAL_NONE)
                return 0;
        return run_add(m, &res, sc, at);
}

/* ---- approval expiry ---------------------------------------------------------------- */

static void log_expired(const char *key, const char *expires_at, unsigned cancelled, void *userdata) {
        Manager *m = userdata;
        char f_occ[OCCURRENCE_KEY_MAX + 32], when[64];
        const char *fields[] = { f_occ, NULL };

        snprintf(f_occ, sizeof(f_occ), "DUNND_OCCURRENCE=%s", key);
        (void) log_full(LOG_NOTICE, 0, fields, "%s: not approved by %s: expired, %u message(s) "
                        "cancelled", key, local_stamp(m, expires_at, when, sizeof(when)), cancelled);
}

static void expire_approvals(Manager *m) {
        char now[STORE_TIMESTAMP_BUFSZ];
        int r;

        r = store_approval_expire(m->store, store_now(now, sizeof(now)), log_expired, m);
        if (r < 0)
                log_error_errno(r, "cannot expire occurrences waiting for approval: %s",
                                store_errmsg(m->store));
}

static int on_expiry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        expire_approvals(m);
        (void) sd_event_source_set_time(s, usec + EXPIRY_INTERVAL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int expiry_setup(Manager *m) {
        uint64_t now;
        int r;

        expire_approvals(m);
        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        /* a second of accuracy is plenty for an expiry counted in hours */
        return sd_event_add_time(m->event, &m->expiry_timer, CLOCK_MONOTONIC,
                                 now + EXPIRY_INTERVAL_USEC, USEC_PER_SEC, on_expiry_timer, m);
}

/* ---- schedules ---------------------------------------------------------------------- */

static int timer_arm(ScheduleTimer *t, usec_t after) {
        Manager *m = t->manager;

        const Config *c = m->gen->config;
        usec_t nominal;
        int r;

        r = schedule_next_fire(c, t->schedule, after, &t->next, &nominal);
        if (r == 0 && nominal != t->next) {
                const HolidayDay *h = holiday_lookup(c->holidays,
                                                     local_day((time_t) (nominal / USEC_PER_SEC), c->timezone));
                char from[64], to[64];

                localtime_format((time_t) (nominal / USEC_PER_SEC), c->timezone, "%Y-%m-%d %H:%M", from,
                                 sizeof(from));
                localtime_format((time_t) (t->next / USEC_PER_SEC), c->timezone, "%Y-%m-%d %H:%M", to,
                                 sizeof(to));
                log_info("schedule '%s': the elapse of %s falls on a day off%s%s%s; deferred to %s",
                         t->schedule->name, from, h && h->name ? " (" : "", h && h->name ? h->name : "",
                         h && h->name ? ")" : "", to);
        }
        if (r == -ENOENT) {
                t->next = 0;
                log_notice("schedule '%s' (%s) never elapses again", t->schedule->name, t->schedule->when);
                return sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
        }
        if (r < 0)
                return r;
        r = sd_event_source_set_time(t->source, t->next);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(t->source, SD_EVENT_ONESHOT);
}

static int on_schedule(sd_event_source *s, uint64_t usec, void *userdata) {
        ScheduleTimer *t = userdata;
        Manager *m = t->manager;
        usec_t elapse = t->next;
        int r;

        (void) s;
        (void) usec;
        /* the occurrence stands for the elapse it was armed for, not for when we woke */
        r = start_occurrence(m, t->schedule, (time_t) (elapse / USEC_PER_SEC), "dunnd");
        if (r < 0)
                log_error_errno(r, "schedule '%s': cannot start its occurrence", t->schedule->name);
        r = timer_arm(t, elapse);
        if (r < 0)
                log_error_errno(r, "schedule '%s': cannot re-arm", t->schedule->name);
        if (!m->runs)
                notify_idle_status(m);
        return 0;
}

/* A year the holiday calendar does not hold in full: its holidays are not known, so only the
 * days listed and weekends are off. Said at start and reload, until ops add the year. */
static void warn_uncovered_year(const Config *c, const ConfigSchedule *sc, time_t now) {
        int year = schedule_uncovered_year(c, sc, now);

        if (year)
                log_warning("schedule '%s' is working_days_only, but the holiday calendar does not "
                            "hold %d (holidays.years): its elapses in %d are deferred over weekends "
                            "and the days listed only; add the State Council's %d calendar "
                            "(dunnd.conf(5))", sc->name, year, year, year);
}

static void timers_free(Manager *m) {
        for (size_t i = 0; i < m->n_timers; i++)
                sd_event_source_disable_unref(m->timers[i].source);
        free(m->timers);
        m->timers = NULL;
        m->n_timers = 0;
}

static int timers_setup(Manager *m) {
        const Config *c = m->gen->config;
        usec_t now = (usec_t) time(NULL) * USEC_PER_SEC;
        int r;

        timers_free(m);
        m->timers = calloc(c->n_schedules + 1, sizeof(ScheduleTimer));
        if (!m->timers)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_schedules; i++) {
                ScheduleTimer *t;

                if (!c->schedules[i].spec)
                        continue;
                t = &m->timers[m->n_timers++];
                *t = (ScheduleTimer) { .manager = m, .schedule = &c->schedules[i] };
                /* accuracy 100 ms: a reminder named 09:30 goes at 09:30, not "around" it */
                r = sd_event_add_time(m->event, &t->source, CLOCK_REALTIME, USEC_INFINITY,
                                      100 * 1000, on_schedule, t);
                if (r < 0)
                        return r;
                r = timer_arm(t, now);
                if (r < 0)
                        return r;
                warn_uncovered_year(c, &c->schedules[i], (time_t) (now / USEC_PER_SEC));
        }
        return 0;
}

/* Missed occurrences: the latest elapse within the schedule's catch-up window runs once
 * (the occurrence key makes it a no-op if it ran already, like Persistent=true). */
static void catch_up(Manager *m) {
        const Config *c = m->gen->config;
        time_t now = time(NULL);

        for (size_t i = 0; i < c->n_schedules; i++) {
                const ConfigSchedule *sc = &c->schedules[i];
                time_t at;

                if (!sc->spec || sc->catch_up_sec == 0)
                        continue;
                at = schedule_latest_elapse(c, sc, now, sc->catch_up_sec);
                if (at && start_occurrence(m, sc, at, "catch-up") < 0)
                        log_error("schedule '%s': cannot catch up", sc->name);
        }
}

/* Occurrences a stop or crash left unfinished: their pending rows are sent now. */
static int resume_one(const OccurrenceRef *o, void *userdata) {
        Manager *m = userdata;
        CampaignResult res = { .occurrence_id = o->id, .already_planned = true };
        const Config *c = m->gen->config;
        const ConfigSchedule *sc = config_find_schedule(c, o->schedule);
        time_t at = 0;

        snprintf(res.key, sizeof(res.key), "%s", o->key);
        log_info("%s: resuming an unfinished occurrence", res.key);
        /* without its schedule (gone from the config) or its time, rows go as planned */
        if (sc && localtime_parse(o->at, c->timezone, &at) < 0)
                sc = NULL;
        return run_add(m, &res, sc, at);
}

static int resume_unfinished(Manager *m) {
        time_t since = time(NULL) - RESUME_WINDOW_SEC;
        char stamp[STORE_TIMESTAMP_BUFSZ];
        struct tm tm;
        int r;

        r = dispatch_recover_interrupted(m->store);
        if (r < 0)
                return r;
        gmtime_r(&since, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return store_occurrences_unfinished(m->store, stamp, resume_one, m);
}

/* ---- promises ---------------------------------------------------------------------- */

/* Just after the estate's next midnight (µs, CLOCK_REALTIME). */
static usec_t next_midnight(const Config *c, time_t now) {
        char day[DATE_BUFSZ + 8];
        time_t t;

        date_format(local_day(now, c->timezone) + 1, day);
        strcat(day, " 00:00");
        if (localtime_parse(day, c->timezone, &t) < 0)
                t = now + 86400;
        return ((usec_t) t + 1) * USEC_PER_SEC;
}

static int on_midnight(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        const Config *c = m->gen->config;
        time_t now = time(NULL);
        unsigned kept = 0, broken = 0;
        int r;

        (void) usec;
        r = campaign_close_promises(c, m->store, now, &kept, &broken);
        if (r < 0)
                log_error_errno(r, "cannot close the promises of yesterday: %s", store_errmsg(m->store));
        else if (kept || broken)
                log_info("promises: %u kept, %u broken (moved to unclear)", kept, broken);
        (void) sd_event_source_set_time(s, next_midnight(c, now));
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int midnight_setup(Manager *m) {
        return sd_event_add_time(m->event, &m->midnight, CLOCK_REALTIME,
                                 next_midnight(m->gen->config, time(NULL)), USEC_PER_SEC,
                                 on_midnight, m);
}

/* ---- signals ------------------------------------------------------------------------ */

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        Generation *g = NULL;
        struct timespec ts;
        char msg[64];
        int r;

        (void) s;
        (void) si;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000);
        (void) sd_notify(false, msg);
        log_info("reloading '%s'", m->config_path);
        r = generation_load(m->config_path, &g);
        if (r < 0) {
                log_error("reload failed: the configuration above is not valid; still running the "
                          "previous one");
                (void) sd_notify(false, "READY=1\nSTATUS=Reload failed; running the previous configuration");
                return 0;
        }
        if (!streq_ptr(g->config->receipts_listen, m->gen->config->receipts_listen) ||
            !streq_ptr(g->config->receipts_token, m->gen->config->receipts_token))
                log_warning("'receipts' changed in '%s'; that takes a restart", m->config_path);
        if (!m->db_from_cli && !streq(g->config->database, m->gen->config->database))
                log_warning("'database' changed in '%s'; that takes a restart, still using '%s'",
                            m->config_path, store_path(m->store));
        generation_unref(m->gen);
        m->gen = g;
        r = timers_setup(m);
        if (!m->log_level_from_cli)
                log_set_max_level(g->config->log_level);
        if (r < 0)
                log_error_errno(r, "cannot arm the new schedules");
        log_info("reloaded: %zu schedules, %zu carriers", g->config->n_schedules, g->config->n_carriers);
        (void) sd_notify(false, "READY=1");
        if (!m->runs)
                notify_idle_status(m);
        return 0;
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) s;
        (void) usec;
        log_warning("%u request(s) still unanswered; leaving them 'unknown'",
                    dispatcher_in_flight(m->dispatcher));
        return sd_event_exit(m->event, 0);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        unsigned pending = 0;
        uint64_t now;

        (void) s;
        if (m->stopping)
                return 0;
        m->stopping = true;
        for (Run *r = m->runs; r; r = r->next)
                pending += dispatch_run_total(r->dispatch) - dispatch_run_done(r->dispatch);
        log_info("%s: stopping; %u request(s) in flight are waited for, %u message(s) stay "
                 "queued for the next start", strsignal((int) si->ssi_signo),
                 dispatcher_in_flight(m->dispatcher), pending);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        if (!m->runs)
                return sd_event_exit(m->event, 0);
        /* claim nothing more; the runs end as their requests are answered (run_done exits),
         * within STOP_TIMEOUT at most */
        dispatcher_stop(m->dispatcher);
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        return sd_event_add_time(m->event, &m->stop_timer, CLOCK_MONOTONIC, now + STOP_TIMEOUT_USEC,
                                 0, on_stop_timeout, m);
}

/* ---- watchdog ---------------------------------------------------------------------- */

/* WATCHDOG=1 at exactly half of WATCHDOG_USEC, from a timer on the loop: if the loop is
 * stuck (a hung carrier, a locked database) the pings stop and systemd restarts us.
 * sd-event's own watchdog picks a random point between 1/2 and 3/4 of the period. */
static int on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) sd_notify(false, "WATCHDOG=1");
        (void) sd_event_source_set_time(s, usec + m->watchdog_usec / 2);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int watchdog_setup(Manager *m) {
        uint64_t now;
        int r;

        r = sd_watchdog_enabled(false, &m->watchdog_usec);
        if (r <= 0)
                return r;
        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        r = sd_event_add_time(m->event, &m->watchdog_source, CLOCK_MONOTONIC,
                              now + m->watchdog_usec / 2, 0, on_watchdog, m);
        if (r < 0)
                return r;
        /* above everything else: a busy loop must still ping */
        (void) sd_event_source_set_priority(m->watchdog_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_notify(false, "WATCHDOG=1");
        return 1;
}

/* ---- lifetime ----------------------------------------------------------------------- */

int manager_new(const ManagerOptions *o, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        char err[512];
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->config_path = strdup(o->config_path);
        if (!m->config_path)
                return -ENOMEM;
        r = generation_load(o->config_path, &m->gen);
        if (r < 0) {
                log_error("configuration '%s' is not usable", o->config_path);
                return r == -ENOMEM ? r : -EINVAL;
        }
        m->db_from_cli = o->db_path != NULL;
        m->log_level_from_cli = o->log_level_from_cli;
        m->db_path = strdup(o->db_path ? o->db_path : m->gen->config->database);
        if (!m->db_path)
                return -ENOMEM;
        r = store_open(m->db_path, STORE_OPEN_CREATE, &m->store, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "%s", err);
        *ret = TAKE_PTR(m);
        return 0;
}

int manager_log_level(const Manager *m) {
        return m->gen->config->log_level;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        timers_free(m);
        /* requests still in flight are recorded unknown here */
        dispatcher_free(m->dispatcher);
        while (m->runs) {
                Run *next = m->runs->next;
                run_free(m->runs);
                m->runs = next;
        }
        sd_event_source_disable_unref(m->stop_timer);
        receipt_server_free(m->receipts);
        sd_event_source_disable_unref(m->watchdog_source);
        sd_event_source_disable_unref(m->midnight);
        sd_event_source_disable_unref(m->expiry_timer);
        generation_unref(m->gen);
        store_close(m->store);
        sd_event_unref(m->event);
        free(m->config_path);
        free(m->db_path);
        free(m);
        return NULL;
}

int manager_run(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGTERM, on_stop, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_stop, m);
        if (r < 0)
                return r;
        r = watchdog_setup(m);
        if (r < 0)
                return log_error_errno(r, "cannot set up the watchdog");
        r = dispatcher_new(m->event, m->store, &m->dispatcher);
        if (r < 0)
                return r;
        if (m->gen->config->receipts_listen) {
                char err[256];

                r = receipt_server_new(m->event, m->store, m->gen->config->receipts_listen,
                                       m->gen->config->receipts_token, &m->receipts, err, sizeof(err));
                if (r < 0)
                        return log_error_errno(r, "%s", err);
                log_info("taking delivery receipts on %s", m->gen->config->receipts_listen);
        }

        r = timers_setup(m);
        if (r < 0)
                return log_error_errno(r, "cannot arm the schedules");
        r = midnight_setup(m);
        if (r < 0)
                return log_error_errno(r, "cannot arm the midnight timer");
        /* before resuming: an occurrence nobody approved in time is not sent */
        r = expiry_setup(m);
        if (r < 0)
                return log_error_errno(r, "cannot arm the approval expiry");
        r = resume_unfinished(m);
        if (r < 0)
                return log_error_errno(r, "cannot resume unfinished occurrences: %s", store_errmsg(m->store));
        catch_up(m);
        /* a midnight slept through (the daemon was down): the promises it would have closed */
        (void) on_midnight(m->midnight, 0, m);

        log_info("ready: %zu schedules, %zu carriers, database '%s'", m->gen->config->n_schedules,
                 m->gen->config->n_carriers, store_path(m->store));
        (void) sd_notify(false, "READY=1");
        if (!m->runs)
                notify_idle_status(m);
        return sd_event_loop(m->event);
}
