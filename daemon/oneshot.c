/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "oneshot.h"
#include "quiet.h"
#include "timeutil.h"
#include "store-outbox.h"

typedef struct OneShot {
        sd_event *event;
        Dispatcher *dispatcher;
        const OneShotHooks *hooks;
        DispatchStats stats;
        time_t announced;               /* the end of quiet hours last announced */
} OneShot;

static void oneshot_progress(DispatchRun *run, unsigned done, unsigned total, void *userdata) {
        OneShot *o = userdata;

        if (o->hooks->progress)
                o->hooks->progress(done, total, o->hooks->userdata);
        /* a carrier that refuses everything will not be fixed while cron waits: stop, leave
         * the rest pending (the daemon instead pauses it and probes again) */
        if (dispatch_run_stats(run)->carrier_refused)
                dispatcher_stop(o->dispatcher);
}

static uint64_t oneshot_hold(DispatchRun *run, void *userdata) {
        OneShot *o = userdata;
        const Config *c = o->hooks->quiet_hours;
        time_t end = c ? quiet_hours_end(c, time(NULL)) : 0;
        char when[32];

        if (!end)
                return 0;
        if (end != o->announced) {
                localtime_format(end, c->timezone, "%Y-%m-%d %H:%M", when, sizeof(when));
                fprintf(stderr, "%s: inside quiet hours; sending starts at %s "
                        "(--ignore-quiet-hours sends now)\n", dispatch_run_key(run), when);
                o->announced = end;
        }
        return (uint64_t) end * 1000000ULL;
}

static void oneshot_done(DispatchRun *run, void *userdata) {
        OneShot *o = userdata;

        o->stats = *dispatch_run_stats(run);
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

int oneshot_dispatch(Store *s, CarrierSet *carriers, int64_t occurrence_id, const char *key,
                     const OneShotHooks *oh, DispatchStats *ret) {
        OneShot o = { .hooks = oh };
        DispatchHooks hooks = { .progress = oneshot_progress, .hold = oneshot_hold,
                                .done = oneshot_done, .userdata = &o, .refresh = oh->refresh };
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
                if (oh->progress) {
                        unsigned total = 0;

                        (void) store_outbox_count_open(s, occurrence_id, NULL, &total);
                        oh->progress(0, total, oh->userdata);
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
