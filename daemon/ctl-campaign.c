/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands that run campaigns: preview (plan only, writes nothing), run (what
 * cron calls), schedules (what is configured and when it elapses next). */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign.h"
#include "carrier.h"
#include "ctl.h"
#include "ctl-approval.h"
#include "ctl-send.h"
#include "mask.h"
#include "plan.h"
#include "money.h"
#include "owner-set.h"
#include "sms-cost.h"
#include "store-cost.h"
#include "store-occurrence.h"
#include "timeutil.h"

/* The schedule a command names and the time its occurrence stands for: --at, or the
 * schedule's latest elapse within its catch-up window, or the current minute. */
static int schedule_and_time(Ctl *ctl, const char *name, const char *at_s,
                             const ConfigSchedule **ret_schedule, time_t *ret_at) {
        const ConfigSchedule *sc;
        time_t at;
        int r;

        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        sc = config_find_schedule(ctl->config, name);
        if (!sc) {
                ctl_error("no schedule named '%s' in %s (see 'dunnctl schedules')", name,
                          ctl->config->path);
                return EXIT_USAGE;
        }
        r = ctl_parse_time(ctl, at_s, &at);
        if (r != 0)
                return r;
        *ret_schedule = sc;
        *ret_at = at_s ? at : schedule_occurrence_time(ctl->config, sc, at);
        return 0;
}

static void preview_help(void) {
        printf("dunnctl preview SCHEDULE [--at 'YYYY-MM-DD HH:MM'] [--format table|csv|json] [--reveal]\n\n"
               "Who the schedule would select at that time (default: now), each rendered message,\n"
               "its SMS parts and their cost (sms_price_fen per part), and totals. Only messages\n"
               "that go out by SMS count towards parts and cost. Sends nothing and writes nothing.\n"
               "The households of one owner (the same recipient on the same channel) get one\n"
               "message when the schedule runs: each is shown with its own text, the later ones\n"
               "marked 'MERGED with UNIT' (column merged_with) and not counted as messages; the\n"
               "one message names every unit and the sum (the run renders it).\n");
}

/* What preview prints as the plan streams by: a block per household on a terminal table,
 * rows for csv/json, and the totals. */
typedef struct Preview {
        const ConfigSchedule *schedule;
        TableFormat format;
        Table *table;
        bool reveal;
        int price_fen;
        size_t selected;
        unsigned skipped, by_category[_CATEGORY_MAX];
        SmsTally sms;
        OwnerSet *owners;
} Preview;

static int preview_item(const PlanItem *it, void *userdata) {
        Preview *pv = userdata;
        const Debtor *d = it->debtor;
        char owner[MASK_BUFSZ], recipient[MASK_BUFSZ], amount[MONEY_BUFSZ], nparts[16],
                cost[MONEY_BUFSZ], parts_cost[64];
        const char *cells[12], *merged_with = NULL;
        bool by_sms;
        int r;

        pv->selected++;
        pv->by_category[d->category]++;
        if (!it->skip_reason) {
                r = owner_set_add(pv->owners, it->channel, it->recipient, d->unit, &merged_with);
                if (r < 0)
                        return r;
        }
        /* a merged household is no message of its own */
        by_sms = !it->skip_reason && !merged_with && streq_ptr(it->channel, "sms");
        if (it->skip_reason)
                pv->skipped++;
        else if (!merged_with)
                sms_tally_add(&pv->sms, it->channel, &it->sms, pv->price_fen);
        snprintf(nparts, sizeof(nparts), "%zu", it->sms.parts);
        cells[0] = d->unit;
        cells[1] = pv->reveal ? d->owner : mask_name(d->owner, owner, sizeof(owner));
        cells[2] = category_to_string(d->category);
        cells[3] = money_format_plain(d->owed, amount, sizeof(amount));
        cells[4] = it->channel;
        cells[5] = !it->recipient ? NULL : pv->reveal ? it->recipient
                                          : mask_recipient(it->channel, it->recipient, recipient,
                                                           sizeof(recipient));
        cells[6] = it->template_name;
        cells[7] = nparts;
        /* what this message costs: nothing unless it goes out by SMS */
        cells[8] = by_sms && pv->price_fen > 0
                ? money_format_plain(sms_cost_fen(it->sms.parts, pv->price_fen), cost, sizeof(cost))
                : NULL;
        cells[9] = it->skip_reason;
        cells[10] = it->text;
        cells[11] = merged_with;
        if (pv->format != TABLE_FORMAT_TABLE)
                return table_add_row(pv->table, cells, 12);
        /* a message is easier to proofread as a block than as a table cell */
        printf("%s  %s  %s  %s %s  %s yuan  %s  %s%s%s%s%s\n  %s\n", cells[0], cells[1], cells[2],
               strempty(cells[4]), strempty(cells[5]), cells[3], it->template_name,
               sms_parts_format(it->sms.parts, by_sms ? pv->price_fen : 0, parts_cost,
                                sizeof(parts_cost)),
               it->skip_reason ? "  SKIPPED: " : "", strempty(it->skip_reason),
               merged_with ? "  MERGED with " : "", strempty(merged_with), it->text);
        return 0;
}

int verb_preview(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "at", required_argument, NULL, 'a' },
                { "format", required_argument, NULL, 'f' },
                { "reveal", no_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "unit", "owner", "category", "amount", "channel",
                                               "recipient", "template", "parts", "cost", "skip",
                                               "text", "merged_with", NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(owner_set_freep) OwnerSet *owners = NULL;
        const ConfigSchedule *sc;
        Preview pv = { .format = TABLE_FORMAT_TABLE };
        char key[OCCURRENCE_KEY_MAX], tally[SMS_TALLY_BUFSZ];
        const char *at_s = NULL;
        time_t at;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        at_s = optarg;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &pv.format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'R':
                        pv.reveal = true;
                        break;
                case 'h':
                        preview_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: dunnctl preview SCHEDULE [--at 'YYYY-MM-DD HH:MM']");
                return EXIT_USAGE;
        }
        r = schedule_and_time(ctl, argv[optind], at_s, &sc, &at);
        if (r != 0)
                return r;
        r = ctl_open_store(ctl, STORE_OPEN_READONLY, &s);
        if (r != 0)
                return r;
        t = table_new(columns);
        if (!t)
                return EXIT_RUNTIME;
        (void) table_set_numeric(t, 3);
        (void) table_set_numeric(t, 7);
        (void) table_set_numeric(t, 8);
        /* a million households are a million rows: csv/json go out as they come */
        if (table_stream(t, pv.format, stdout) < 0)
                return EXIT_RUNTIME;
        owners = owner_set_new();
        if (!owners)
                return EXIT_RUNTIME;
        pv.schedule = sc;
        pv.table = t;
        pv.owners = owners;
        pv.price_fen = ctl->config->sms_price_fen;
        r = plan_each(ctl->config, s, sc, at, preview_item, &pv);
        if (r < 0) {
                ctl_error("cannot plan '%s': %s", sc->name, r == -ENOMEM ? "out of memory" : store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (pv.format != TABLE_FORMAT_TABLE)
                return table_print(t, pv.format, stdout) < 0 ? EXIT_RUNTIME : 0;

        occurrence_key(sc->name, at, ctl->config->timezone, key, sizeof(key));
        printf("\n%s: %zu selected, %zu to send, %u skipped (no usable contact)\n", key,
               pv.selected, pv.selected - pv.skipped, pv.skipped);
        {
                unsigned merged_owners, merged_units;

                owner_set_merged(owners, &merged_owners, &merged_units);
                if (merged_owners)
                        printf("one message per owner: %u owner(s) get one message for %u units "
                               "(%zu message(s) to send)\n", merged_owners, merged_units,
                               pv.selected - pv.skipped - (merged_units - merged_owners));
        }
        printf("SMS: %s%s\n", sms_tally_format(&pv.sms, pv.price_fen, tally, sizeof(tally)),
               pv.sms.messages && !pv.sms.multipart ? "; every one fits one part" : "");
        if (pv.sms.multipart)
                printf("  %u message(s) take more than one part (billed per part)\n", pv.sms.multipart);
        for (int k = 0; k < _CATEGORY_MAX; k++)
                if (pv.by_category[k])
                        printf("  %-12s %s  %u\n", category_to_string((Category) k),
                               category_to_chinese((Category) k), pv.by_category[k]);
        printf("nothing was sent or written.\n");
        return 0;
}

/* ---- run --------------------------------------------------------------------------- */

#define RUN_USAGE "dunnctl run SCHEDULE [--at 'YYYY-MM-DD HH:MM'] [--simulate FILE]\n" \
                  "                   [--ignore-quiet-hours|--no-wait] [--ignore-holidays] [-q|--quiet]"

/* Where a run for `at` may happen: on the live database only at a time that has come (a
 * run for the 8th on the 1st would send now, and move categories as if it were the 8th);
 * on a simulation copy, any time. */
static int run_target(Ctl *ctl, const char *name, const char *at_s, const char *simulate,
                      bool *ret_simulated) {
        _cleanup_(store_closep) Store *live = NULL;
        char err[512];
        time_t at;
        int r;

        *ret_simulated = false;
        if (simulate) {
                struct stat st;

                if (stat(simulate, &st) < 0) {
                        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &live);
                        if (r != 0)
                                return r;
                        r = store_copy_for_simulation(live, simulate, err, sizeof(err));
                        if (r < 0) {
                                ctl_error("%s", err);
                                return EXIT_RUNTIME;
                        }
                        fprintf(stderr, "dunnctl: simulating on a copy of %s in %s "
                                "(nothing is sent; run again with the same --simulate to go on)\n",
                                store_path(live), simulate);
                        live = store_close(live);
                }
                /* the copy from now on, whatever --db or the config say */
                ctl->db_path = simulate;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &live);
        if (r != 0)
                return r;
        if (store_is_simulation(live)) {
                *ret_simulated = true;
                return 0;
        }
        if (simulate) {
                ctl_error("'%s' is not a simulation copy made by --simulate; refusing to use it",
                          simulate);
                return EXIT_USAGE;
        }
        r = ctl_parse_time(ctl, at_s, &at);
        if (r != 0)
                return r;
        /* a minute's grace: cron's "--at $(date)" must not race the clock */
        if (at_s && at > time(NULL) + 60) {
                ctl_error("--at %s is in the future: a run sends now, and would change the "
                          "database as if it were then. See what it would send with "
                          "'dunnctl preview %s --at \"%s\"', or try it on a copy with "
                          "'--simulate FILE'", at_s, name, at_s);
                return EXIT_USAGE;
        }
        return 0;
}

/* A working_days_only schedule run by hand (or cron) on a day off: it says when it does fire. */
static void refuse_day_off(const Config *c, const ConfigSchedule *sc, time_t at) {
        int64_t day = local_day(at, c->timezone);
        const HolidayDay *h = holiday_lookup(c->holidays, day);
        char d[DATE_BUFSZ], next[DATE_BUFSZ];

        ctl_error("%s is a day off (%s) and schedule '%s' is working_days_only: nothing sent. "
                  "Its elapses on days off fire on the next working day, %s (see 'dunnctl "
                  "schedules'); --ignore-holidays sends now anyway", date_format(day, d),
                  h && h->name ? h->name : "weekend", sc->name,
                  date_format(holiday_next_working_day(c->holidays, day), next));
}

int verb_run(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "at", required_argument, NULL, 'a' },
                { "simulate", required_argument, NULL, 's' },
                { "ignore-quiet-hours", no_argument, NULL, 'Q' },
                { "no-wait", no_argument, NULL, 'W' },
                { "quiet", no_argument, NULL, 'q' },
                { "ignore-holidays", no_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(ctl_send_done) CtlSend send = {};
        const ConfigSchedule *sc;
        CampaignResult res;
        char heading[OCCURRENCE_KEY_MAX + 96];
        const char *at_s = NULL, *simulate = NULL;
        bool quiet = false, ignore_quiet_hours = false, no_wait = false, ignore_holidays = false;
        bool simulated;
        time_t at;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "q", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        at_s = optarg;
                        break;
                case 's':
                        simulate = optarg;
                        break;
                case 'Q':
                        ignore_quiet_hours = true;
                        break;
                case 'W':
                        no_wait = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'H':
                        ignore_holidays = true;
                        break;
                case 'h':
                        printf(RUN_USAGE "\n\n"
                               "Run one occurrence of SCHEDULE now (what cron calls). The occurrence is\n"
                               "named SCHEDULE@TIME: the schedule's latest firing within its catch_up\n"
                               "window (an elapse on a day off fires on the next working day when the\n"
                               "schedule is working_days_only), or the current minute (or --at, which\n"
                               "may not be in the future: 'dunnctl preview --at' shows a future run).\n"
                               "Running the same occurrence again sends nothing new; it only finishes\n"
                               "what is pending. Each message names what the household owes when it is\n"
                               "sent. A working_days_only schedule is refused on a day off (exit 2,\n"
                               "nothing sent) unless --ignore-holidays. A schedule with approval = true\n"
                               "is only prepared: nothing is sent until 'dunnctl approve KEY' (read it\n"
                               "with 'dunnctl show KEY' first).\n\n"
                               "  --simulate FILE       run on a copy of the database in FILE (made on\n"
                               "                        first use, reused after: drive a month with\n"
                               "                        --at times); nothing is sent, every message\n"
                               "                        is recorded as sent by the simulated carrier\n"
                               "  --ignore-quiet-hours  send now even inside quiet hours\n"
                               "  --no-wait             inside quiet hours, exit 75 instead of waiting\n"
                               "  --ignore-holidays     run a working_days_only schedule on a day off\n\n"
                               "Inside quiet hours (quiet_hours in dunnd.conf) the run is planned at\n"
                               "once and its sends wait for the end of the quiet hours, as the\n"
                               "daemon's do, so a cron line at 03:00 texts owners at 08:00; a run\n"
                               "that reaches their start pauses there.\n"
                               "Shows a progress line on a terminal, nothing under cron.\n"
                               "SIGINT/SIGTERM: claim nothing more, wait for requests in flight.\n"
                               "Exit status 1 when stopped or when a carrier refused to send; 75 for\n"
                               "--no-wait inside quiet hours.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: " RUN_USAGE);
                return EXIT_USAGE;
        }
        if (ignore_quiet_hours && no_wait) {
                ctl_error("--ignore-quiet-hours and --no-wait contradict each other");
                return EXIT_USAGE;
        }
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        r = run_target(ctl, argv[optind], at_s, simulate, &simulated);
        if (r != 0)
                return r;
        r = schedule_and_time(ctl, argv[optind], at_s, &sc, &at);
        if (r != 0)
                return r;
        if (!ignore_holidays && schedule_day_off(ctl->config, sc, at)) {
                refuse_day_off(ctl->config, sc, at);
                return EXIT_USAGE;
        }
        r = ctl_send_prepare(ctl, simulated, ignore_quiet_hours, no_wait, "nothing planned or sent",
                             &send);
        if (r != 0)
                return r;
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        /* an occurrence nobody approved in time is settled before it is looked at */
        r = ctl_expire_approvals(ctl, s);
        if (r != 0)
                return r;

        /* SIGINT/SIGTERM (handled by the dispatcher): the requests in flight are answered and
         * recorded, the rest stays pending for the next run */
        ctl_send_begin(&send);
        r = campaign_run(ctl->config, s, send.carriers, sc, at, simulated ? "simulated" : "dunnctl",
                         &send.hooks, &res);
        if (r < 0)
                return EXIT_RUNTIME;
        if (!approval_allows_sending(res.approval))
                return ctl_report_unapproved(ctl, s, &res);

        snprintf(heading, sizeof(heading), "%s%s%s", res.key,
                 simulated ? " (simulated: nothing was sent)" : "",
                 res.already_planned ? " (already planned by an earlier run: nothing new selected)" : "");
        return ctl_send_report(ctl, s, &send, &res, quiet, heading);
}

/* "2027-01-04 10:00:00 CST", and " (deferred from 2027-01-01, 元旦)" when it was. */
static void format_next_fire(const Config *c, const ConfigSchedule *sc, usec_t after, char *buf,
                             size_t len) {
        usec_t fire, nominal;
        size_t n;

        if (!sc->spec) {
                snprintf(buf, len, "-");
                return;
        }
        if (schedule_next_fire(c, sc, after, &fire, &nominal) < 0) {
                snprintf(buf, len, "never");
                return;
        }
        localtime_format((time_t) (fire / USEC_PER_SEC), c->timezone, "%Y-%m-%d %H:%M:%S %Z", buf, len);
        if (nominal != fire) {
                time_t t = (time_t) (nominal / USEC_PER_SEC);
                const HolidayDay *h = holiday_lookup(c->holidays, local_day(t, c->timezone));
                char day[DATE_BUFSZ];

                n = strlen(buf);
                snprintf(buf + n, len - n, " (deferred from %s, %s)",
                         date_format(local_day(t, c->timezone), day),
                         h && h->name ? h->name : "weekend");
        }
}

void ctl_warn_uncovered_years(const Config *c, time_t now) {
        for (size_t i = 0; i < c->n_schedules; i++) {
                const ConfigSchedule *sc = &c->schedules[i];
                int year = schedule_uncovered_year(c, sc, now);

                if (year)
                        fprintf(stderr, "%s:%d: warning: schedule '%s' is working_days_only, but the "
                                "holiday calendar does not hold %d (holidays.years): only weekends and "
                                "the days listed are off in %d; add the State Council's %d calendar "
                                "(see dunnd.conf(5))\n", sc->file, sc->line, sc->name, year, year, year);
        }
}

static void schedules_help(void) {
        printf("dunnctl schedules [--at 'YYYY-MM-DD HH:MM'] [--format table|csv|json]\n\n"
               "Every configured schedule with its calendar expression and next firing after now\n"
               "(or --at), like systemctl list-timers. A working_days_only schedule whose elapse\n"
               "falls on a day off fires on the next working day at the same time, shown as\n"
               "'2027-01-04 10:00:00 CST (deferred from 2027-01-01, 元旦)'. A schedule without\n"
               "'when' runs only by 'dunnctl run'.\n");
}

int verb_schedules(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "at", required_argument, NULL, 'a' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "schedule", "when", "next", "categories", "channels",
                                               "template", NULL };
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        const char *at_s = NULL;
        time_t now;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        at_s = optarg;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        schedules_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc > optind) {
                ctl_error("usage: dunnctl schedules [--at 'YYYY-MM-DD HH:MM'] [--format table|csv|json]");
                return EXIT_USAGE;
        }
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        r = ctl_parse_time(ctl, at_s, &now);
        if (r != 0)
                return r;
        ctl_warn_uncovered_years(ctl->config, now);
        t = table_new(columns);
        if (!t)
                return EXIT_RUNTIME;
        for (size_t i = 0; i < ctl->config->n_schedules; i++) {
                const ConfigSchedule *sc = &ctl->config->schedules[i];
                char next_s[160], cats[256] = "", chans[128] = "", when[256];
                const char *cells[6];

                format_next_fire(ctl->config, sc, (usec_t) now * USEC_PER_SEC, next_s, sizeof(next_s));
                for (int k = 0; k < _CATEGORY_MAX; k++)
                        if (sc->categories & (1u << k))
                                snprintf(cats + strlen(cats), sizeof(cats) - strlen(cats), "%s%s",
                                         cats[0] ? "," : "", category_to_string((Category) k));
                for (char **ch = sc->channels; ch && *ch; ch++)
                        snprintf(chans + strlen(chans), sizeof(chans) - strlen(chans), "%s%s",
                                 chans[0] ? "," : "", *ch);
                snprintf(when, sizeof(when), "%s%s", sc->when ? sc->when : "(dunnctl run only)",
                         sc->when && sc->working_days_only ? " (working days)" : "");
                cells[0] = sc->name;
                cells[1] = when;
                cells[2] = next_s;
                cells[3] = sc->promise_eve ? "promised (eve of promise)" : cats;
                cells[4] = chans;
                cells[5] = sc->template->name;
                if (table_add_row(t, cells, 6) < 0)
                        return EXIT_RUNTIME;
        }
        return table_print(t, format, stdout) < 0 ? EXIT_RUNTIME : 0;
}
