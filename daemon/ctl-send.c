/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl-send.h"
#include "store-occurrence.h"
#include "quiet.h"
#include "sms-cost.h"
#include "store-cost.h"
#include "timeutil.h"

static void progress_line(unsigned done, unsigned total, void *userdata) {
        CtlSend *send = userdata;
        struct timeval now;
        double elapsed, rate;

        if (!send->tty)
                return;
        gettimeofday(&now, NULL);
        elapsed = (double) (now.tv_sec - send->start.tv_sec) +
                  (now.tv_usec - send->start.tv_usec) / 1e6;
        rate = elapsed > 0 ? done / elapsed : 0;
        fprintf(stderr, "\r\033[K  sent %u/%u  %.1f/s  ETA %.0fs", done, total, rate,
                rate > 0 ? (total - done) / rate : 0.0);
        if (done == total)
                fputc('\n', stderr);
}

int ctl_send_prepare(Ctl *ctl, bool simulated, bool ignore_quiet_hours, bool no_wait,
                     const char *nothing_done, CtlSend *ret) {
        ConfigErrors errors = {};
        time_t quiet_end;
        int r;

        *ret = (CtlSend) { .tty = isatty(STDERR_FILENO), .simulated = simulated };
        ret->hooks = (CampaignRunHooks) { .progress = progress_line, .userdata = ret };
        /* a simulation's clock is --at: the real night does not hold it */
        quiet_end = simulated || ignore_quiet_hours ? 0 : quiet_hours_end(ctl->config, time(NULL));
        if (quiet_end && no_wait) {
                char when[32];

                localtime_format(quiet_end, ctl->config->timezone, "%H:%M", when, sizeof(when));
                ctl_error("inside quiet hours until %s; %s (--ignore-quiet-hours sends now)", when,
                          nothing_done);
                return EX_TEMPFAIL;
        }
        /* held now, and paused should the run reach their start, like the daemon's */
        ret->hooks.quiet_hours = !simulated && !ignore_quiet_hours;
        if (simulated)
                r = carrier_set_open_simulated(ctl->config, &ret->carriers);
        else
                r = carrier_set_open(ctl->config, &ret->carriers, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0) {
                ctl_error("cannot load the carriers; %s", nothing_done);
                return EXIT_USAGE;
        }
        return 0;
}

void ctl_send_done(CtlSend *send) {
        send->carriers = carrier_set_free(send->carriers);
}

void ctl_send_begin(CtlSend *send) {
        gettimeofday(&send->start, NULL);
}

/* The per-category summary, aligned by display width (the Chinese names are wide). */
int ctl_print_summary(const CampaignResult *res) {
        static const char *const columns[] = { "category", "", "selected", "sent", "skipped",
                                               "failed", "unknown", "cancelled", "pending", NULL };
        _cleanup_(table_freep) Table *t = table_new(columns);

        if (!t)
                return -ENOMEM;
        for (size_t i = 2; i < 9; i++)
                (void) table_set_numeric(t, i);
        for (int k = 0; k <= _CATEGORY_MAX; k++) {
                const CampaignCounts *c = k < _CATEGORY_MAX ? &res->by_category[k] : &res->total;
                unsigned v[7] = { c->selected, c->sent, c->skipped, c->failed, c->unknown,
                                  c->cancelled, c->pending };
                char num[7][16];
                const char *cells[9];

                if (k < _CATEGORY_MAX && !c->selected)
                        continue;
                cells[0] = k < _CATEGORY_MAX ? category_to_string((Category) k) : "total";
                cells[1] = k < _CATEGORY_MAX ? category_to_chinese((Category) k) : "";
                for (int i = 0; i < 7; i++) {
                        snprintf(num[i], sizeof(num[i]), "%u", v[i]);
                        cells[i + 2] = num[i];
                }
                if (table_add_row(t, cells, 9) < 0)
                        return -ENOMEM;
        }
        return table_print(t, TABLE_FORMAT_TABLE, stdout);
}

/* What the SMS sent by this occurrence (this run and earlier ones) are billed as. */
static void print_sms_cost(const Config *c, Store *s, int64_t occurrence_id) {
        char tally_s[SMS_TALLY_BUFSZ];
        SmsTally tally = {};
        unsigned messages;
        uint64_t parts;

        if (store_occurrence_sms_sent(s, occurrence_id, &messages, &parts) < 0)
                return;
        sms_tally_add_parts(&tally, messages, parts, c->sms_price_fen);
        printf("sent by SMS: %s\n", sms_tally_format(&tally, c->sms_price_fen, tally_s, sizeof(tally_s)));
}

/* The households that went with another unit's message of their owner. */
static void print_merged(Store *s, int64_t occurrence_id) {
        unsigned owners, units;

        if (store_occurrence_merged_sent(s, occurrence_id, &owners, &units) < 0 || owners == 0)
                return;
        printf("one message per owner: %u owner(s) got one message for %u units\n", owners, units);
}

int ctl_send_report(const Ctl *ctl, Store *s, const CtlSend *send, const CampaignResult *res,
                    bool quiet, const char *heading) {
        if (send->tty && res->total.pending)
                fputc('\n', stderr);
        if (!quiet) {
                printf("%s\n", heading);
                (void) ctl_print_summary(res);
                print_merged(s, res->occurrence_id);
                print_sms_cost(ctl->config, s, res->occurrence_id);
        }
        if (res->total.unknown)
                fprintf(stderr, "dunnctl: %u message(s) in an unknown state (may or may not have "
                        "reached the carrier; not re-sent): dunnctl log --occurrence '%s' --status unknown\n",
                        res->total.unknown, res->key);
        if (res->stopped) {
                ctl_error("stopped; %u message(s) left pending, run the same command again to finish",
                          res->total.pending);
                return EXIT_RUNTIME;
        }
        if (res->carrier_paused) {
                ctl_error("a carrier refused to send; %u message(s) left pending", res->total.pending);
                return EXIT_RUNTIME;
        }
        return 0;
}
