/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "oneshot.h"
#include "store-outbox.h"

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
        if (dispatch_run_stats(run)->carrier_refused)
                dispatcher_stop(o->dispatcher);
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

                        (void) store_outbox_count_open(s, occurrence_id, NULL, &total);
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
