/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands around an occurrence: show (any occurrence), and approve and reject
 * (an occurrence of a schedule with approval = true, prepared and waiting). */

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "campaign.h"
#include "ctl.h"
#include "ctl-approval.h"
#include "ctl-report.h"
#include "ctl-send.h"
#include "money.h"
#include "sms-cost.h"
#include "store-approval.h"
#include "store-cost.h"
#include "store-occurrence.h"
#include "timeutil.h"

#define STAFF_NAME_MAX 64

/* A store timestamp (UTC) as the office reads it: "2026-01-23 10:00 CST". */
static const char *local_stamp(const Ctl *ctl, const char *stamp, char *buf, size_t len) {
        time_t t;

        if (store_timestamp_parse(stamp, &t) < 0)
                return strempty(stamp);
        return localtime_format(t, ctl_timezone(ctl), "%Y-%m-%d %H:%M %Z", buf, len);
}

static void print_expired(const char *key, const char *expires_at, unsigned cancelled,
                          void *userdata) {
        const Ctl *ctl = userdata;
        char when[64];

        fprintf(stderr, "dunnctl: %s was not approved by %s: expired, %u message(s) cancelled\n",
                key, local_stamp(ctl, expires_at, when, sizeof(when)), cancelled);
}

int ctl_expire_approvals(Ctl *ctl, Store *s) {
        char now[STORE_TIMESTAMP_BUFSZ];
        int r;

        r = store_approval_expire(s, store_now(now, sizeof(now)), print_expired, ctl);
        if (r < 0) {
                ctl_error("cannot expire occurrences waiting for approval: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        return 0;
}

/* "approved by alice at 2026-01-20 10:05 CST" and the like. */
static char *describe_approval(const Ctl *ctl, const OccurrenceInfo *o, char *buf, size_t len) {
        char at[64], expires[64];

        local_stamp(ctl, o->approval_at, at, sizeof(at));
        local_stamp(ctl, o->expires_at, expires, sizeof(expires));
        switch (approval_from_string(o->approval)) {
        case APPROVAL_NONE:
                snprintf(buf, len, "none (schedule '%s' has no approval = true)", o->schedule);
                break;
        case APPROVAL_WAITING:
                snprintf(buf, len, "waiting for approval until %s", expires);
                break;
        case APPROVAL_APPROVED:
                snprintf(buf, len, "approved by %s at %s", strempty(o->approval_by), at);
                break;
        case APPROVAL_REJECTED:
                snprintf(buf, len, "rejected by %s at %s", strempty(o->approval_by), at);
                break;
        case APPROVAL_EXPIRED:
                snprintf(buf, len, "expired at %s, not approved in time", expires);
                break;
        default:
                snprintf(buf, len, "'%s' (unknown)", o->approval);
        }
        return buf;
}

int ctl_report_unapproved(Ctl *ctl, Store *s, const CampaignResult *res) {
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};
        char what[256], expires[64];
        int r;

        r = store_occurrence_get(s, res->occurrence_id, &o);
        if (r < 0) {
                ctl_error("cannot read '%s': %s", res->key, store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (res->approval != APPROVAL_WAITING) {
                printf("%s: %s; nothing sent\n", res->key, describe_approval(ctl, &o, what, sizeof(what)));
                return 0;
        }
        printf("%s: prepared, %u messages wait for approval: dunnctl show %s, then dunnctl approve %s\n",
               res->key, res->total.pending, res->key, res->key);
        printf("%sunless approved by %s it expires unsent; dunnctl reject %s cancels it now\n",
               res->already_planned ? "(already planned by an earlier run: nothing new selected) " : "",
               local_stamp(ctl, o.expires_at, expires, sizeof(expires)), res->key);
        return 0;
}

/* The occurrence KEY names, after expiring what is due. Returns 0 or an exit code. */
static int open_occurrence(Ctl *ctl, const char *key, Store **ret_store, OccurrenceInfo *ret) {
        _cleanup_(store_closep) Store *s = NULL;
        int64_t id;
        int r;

        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = ctl_expire_approvals(ctl, s);
        if (r != 0)
                return r;
        r = store_occurrence_find(s, key, &id);
        if (r == 0) {
                ctl_error("no occurrence '%s' (occurrence keys look like 'deadline@2026-12-14T09:30'; "
                          "see 'dunnctl log')", key);
                return EXIT_USAGE;
        }
        if (r > 0)
                r = store_occurrence_get(s, id, ret);
        if (r < 0) {
                ctl_error("cannot read '%s': %s", key, store_errmsg(s));
                return EXIT_RUNTIME;
        }
        *ret_store = TAKE_PTR(s);
        return 0;
}

/* Who approves or rejects: --by, else the staff member behind sudo, else the user. */
static int staff_name(const char *by, const char **ret) {
        const char *n = by;
        struct passwd *pw;

        if (by) {
                bool control = false;

                for (const char *p = by; *p; p++)
                        control = control || (unsigned char) *p < 0x20 || *p == 0x7f;
                if (isempty(by) || control || strlen(by) > STAFF_NAME_MAX) {
                        ctl_error("--by '%s': a name of 1 to %d bytes without control characters",
                                  by, STAFF_NAME_MAX);
                        return EXIT_USAGE;
                }
        }
        if (isempty(n))
                n = getenv("SUDO_USER");
        if (isempty(n))
                n = getenv("USER");
        if (isempty(n)) {
                pw = getpwuid(getuid());
                n = pw ? pw->pw_name : "unknown";
        }
        *ret = n;
        return 0;
}

/* An occurrence that is not waiting cannot be approved or rejected: says why. */
static int refuse_decided(const Ctl *ctl, const OccurrenceInfo *o, const char *verb) {
        char what[256];
        Approval a = approval_from_string(o->approval);

        describe_approval(ctl, o, what, sizeof(what));
        if (a == APPROVAL_NONE)
                ctl_error("'%s' needs no approval: schedule '%s' has no approval = true "
                          "(dunnctl run sends it); nothing changed", o->key, o->schedule);
        else if (a == APPROVAL_APPROVED && !streq_ptr(o->state, "done"))
                ctl_error("'%s' was already %s; to finish sending what is pending: dunnctl run "
                          "%s --at '%s'", o->key, what, o->schedule, strempty(o->at));
        else
                ctl_error("cannot %s '%s': it was already %s; nothing changed", verb, o->key, what);
        return EXIT_USAGE;
}

/* ---- approve ------------------------------------------------------------------------- */

#define APPROVE_USAGE "dunnctl approve OCCURRENCE [--by NAME] [--ignore-quiet-hours|--no-wait] [-q|--quiet]"

static void approve_help(void) {
        printf(APPROVE_USAGE "\n\n"
               "Approve an occurrence that a schedule with approval = true prepared, and send it\n"
               "now as 'dunnctl run' does (read it first with 'dunnctl show OCCURRENCE'). Each\n"
               "message names what the household owes at the send: one that paid since the\n"
               "preparation is not sent, one that paid part is sent the new amount. Refused\n"
               "(exit 2, nothing changed) unless the occurrence waits for approval: already\n"
               "approved, rejected, or expired (not approved within approval_expires).\n\n"
               "  --by NAME             who approves (default: $SUDO_USER, else $USER)\n"
               "  --ignore-quiet-hours  send now even inside quiet hours\n"
               "  --no-wait             inside quiet hours, exit 75 without approving\n"
               "  -q, --quiet           print no summary\n\n"
               "Inside quiet hours the sends wait for their end, as for 'dunnctl run'.\n"
               "Exit status 1 when stopped or when a carrier refused to send (the occurrence\n"
               "stays approved: 'dunnctl run SCHEDULE --at TIME' or the daemon finishes it).\n");
}

int verb_approve(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "by", required_argument, NULL, 'b' },
                { "ignore-quiet-hours", no_argument, NULL, 'Q' },
                { "no-wait", no_argument, NULL, 'W' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};
        _cleanup_(ctl_send_done) CtlSend send = {};
        const ConfigSchedule *sc;
        CampaignResult res = {};
        char now[STORE_TIMESTAMP_BUFSZ], heading[OCCURRENCE_KEY_MAX + 128], when[64];
        const char *by = NULL;
        bool quiet = false, ignore_quiet_hours = false, no_wait = false;
        time_t at = 0;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "q", options, NULL)) >= 0)
                switch (c) {
                case 'b':
                        by = optarg;
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
                case 'h':
                        approve_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: " APPROVE_USAGE);
                return EXIT_USAGE;
        }
        if (ignore_quiet_hours && no_wait) {
                ctl_error("--ignore-quiet-hours and --no-wait contradict each other");
                return EXIT_USAGE;
        }
        r = staff_name(by, &by);
        if (r != 0)
                return r;
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        r = open_occurrence(ctl, argv[optind], &s, &o);
        if (r != 0)
                return r;
        if (approval_from_string(o.approval) != APPROVAL_WAITING)
                return refuse_decided(ctl, &o, "approve");
        /* the carriers load, and quiet hours allow it, before anything is recorded */
        r = ctl_send_prepare(ctl, store_is_simulation(s), ignore_quiet_hours, no_wait,
                             "nothing approved or sent", &send);
        if (r != 0)
                return r;
        r = store_approval_approve(s, o.id, by, store_now(now, sizeof(now)));
        if (r < 0) {
                ctl_error("cannot record the approval of '%s': %s", o.key, store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (r == 0) {
                /* decided (or expired) since we read it */
                int64_t id = o.id;

                occurrence_info_done(&o);
                if (store_occurrence_get(s, id, &o) < 0)
                        return EXIT_RUNTIME;
                return refuse_decided(ctl, &o, "approve");
        }

        /* the rows are rendered again for what is owed at the send, as the schedule says;
         * a schedule gone from the config sends them as prepared */
        sc = config_find_schedule(ctl->config, o.schedule);
        if (sc && localtime_parse(o.at, ctl->config->timezone, &at) < 0)
                sc = NULL;
        snprintf(res.key, sizeof(res.key), "%s", o.key);
        res.occurrence_id = o.id;
        res.already_planned = true;
        res.approval = APPROVAL_APPROVED;
        ctl_send_begin(&send);
        r = campaign_dispatch(ctl->config, s, send.carriers, sc, at, &send.hooks, &res);
        if (r < 0)
                return EXIT_RUNTIME;
        snprintf(heading, sizeof(heading), "%s: approved by %s at %s%s", o.key, by,
                 local_stamp(ctl, now, when, sizeof(when)),
                 send.simulated ? " (simulated: nothing was sent)" : "");
        return ctl_send_report(ctl, s, &send, &res, quiet, heading);
}

/* ---- reject -------------------------------------------------------------------------- */

#define REJECT_USAGE "dunnctl reject OCCURRENCE [--note TEXT] [--by NAME]"

int verb_reject(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "note", required_argument, NULL, 'n' },
                { "by", required_argument, NULL, 'b' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};
        _cleanup_free_ char *why = NULL;
        char now[STORE_TIMESTAMP_BUFSZ];
        const char *by = NULL, *note = NULL;
        unsigned cancelled = 0;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        note = optarg;
                        break;
                case 'b':
                        by = optarg;
                        break;
                case 'h':
                        printf(REJECT_USAGE "\n\n"
                               "Reject an occurrence that a schedule with approval = true prepared:\n"
                               "nothing of it is ever sent. Its messages become 'cancelled' with the\n"
                               "error \"rejected by NAME: TEXT\" (see 'dunnctl log' and 'dunnctl show'),\n"
                               "and the occurrence is done. Refused (exit 2, nothing changed) unless it\n"
                               "waits for approval.\n\n"
                               "  --note TEXT   why (kept in each message's error)\n"
                               "  --by NAME     who rejects (default: $SUDO_USER, else $USER)\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: " REJECT_USAGE);
                return EXIT_USAGE;
        }
        r = staff_name(by, &by);
        if (r != 0)
                return r;
        r = open_occurrence(ctl, argv[optind], &s, &o);
        if (r != 0)
                return r;
        if (approval_from_string(o.approval) != APPROVAL_WAITING)
                return refuse_decided(ctl, &o, "reject");
        if (asprintf(&why, "rejected by %s%s%s", by, isempty(note) ? "" : ": ", strempty(note)) < 0)
                return EXIT_RUNTIME;
        r = store_approval_reject(s, o.id, by, why, store_now(now, sizeof(now)), &cancelled);
        if (r < 0) {
                ctl_error("cannot record the rejection of '%s': %s", o.key, store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (r == 0) {
                int64_t id = o.id;

                occurrence_info_done(&o);
                if (store_occurrence_get(s, id, &o) < 0)
                        return EXIT_RUNTIME;
                return refuse_decided(ctl, &o, "reject");
        }
        printf("%s: %s; %u message(s) cancelled, nothing sent\n", o.key, why, cancelled);
        return 0;
}

/* ---- show ---------------------------------------------------------------------------- */

typedef struct ShowRows {
        Table *table;
        bool reveal, with_text;
} ShowRows;

static int add_show_row(const char *const cells_in[_LOG_COLUMN_MAX], void *userdata) {
        ShowRows *rows = userdata;
        const char *cells[_LOG_COLUMN_MAX], *out[10];
        char amount[MONEY_BUFSZ];
        LogRowMask mask;

        memcpy(cells, cells_in, sizeof(cells));
        ctl_log_row_mask(cells, rows->reveal, &mask);
        out[0] = cells[LOG_UNIT];
        out[1] = cells[LOG_OWNER];
        out[2] = cells[LOG_CATEGORY];
        out[3] = cells[LOG_CHANNEL];
        out[4] = cells[LOG_RECIPIENT];
        out[5] = money_format_plain(strtoll(strempty(cells[LOG_AMOUNT]), NULL, 10), amount, sizeof(amount));
        out[6] = cells[LOG_PARTS];
        out[7] = cells[LOG_STATUS];
        out[8] = cells[LOG_ERROR];
        out[9] = cells[LOG_TEXT];
        return table_add_row(rows->table, out, rows->with_text ? 10 : 9);
}

/* The SMS of the occurrence still to send and sent: parts and what they cost. */
static void print_sms(const Ctl *ctl, Store *s, int64_t id) {
        int price = ctl->config ? ctl->config->sms_price_fen : 0;
        char buf[SMS_TALLY_BUFSZ];
        SmsTally to_send = {}, sent = {};
        unsigned messages;
        uint64_t parts;

        if (store_occurrence_sms_to_send(s, id, &messages, &parts) >= 0)
                sms_tally_add_parts(&to_send, messages, parts, price);
        printf("  SMS to send  %s\n", sms_tally_format(&to_send, price, buf, sizeof(buf)));
        if (store_occurrence_sms_sent(s, id, &messages, &parts) >= 0)
                sms_tally_add_parts(&sent, messages, parts, price);
        printf("  SMS sent     %s\n", sms_tally_format(&sent, price, buf, sizeof(buf)));
}

static void print_occurrence(const Ctl *ctl, const OccurrenceInfo *o) {
        char created[64], finished[64], what[256];

        printf("%s\n", o->key);
        printf("  schedule     %s (started by %s)\n", o->schedule, o->origin);
        printf("  stands for   %s\n", o->at);
        printf("  planned      %s, %u household(s) selected\n",
               local_stamp(ctl, o->created_at, created, sizeof(created)), o->selected);
        if (streq_ptr(o->state, "done"))
                printf("  state        done at %s\n", local_stamp(ctl, o->finished_at, finished, sizeof(finished)));
        else
                printf("  state        %s\n", o->state);
        printf("  approval     %s\n", describe_approval(ctl, o, what, sizeof(what)));
}

#define SHOW_USAGE "dunnctl show OCCURRENCE [--text] [--reveal] [--format table|csv|json]"

int verb_show(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "text", no_argument, NULL, 't' },
                { "reveal", no_argument, NULL, 'R' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "unit", "owner", "category", "channel", "recipient",
                                               "amount", "parts", "status", "error", "text", NULL };
        static const char *const columns_no_text[] = { "unit", "owner", "category", "channel",
                                                       "recipient", "amount", "parts", "status",
                                                       "error", NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(occurrence_info_done) OccurrenceInfo o = {};
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        bool reveal = false, with_text = false;
        CampaignResult res = {};
        ShowRows rows;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        with_text = true;
                        break;
                case 'R':
                        reveal = true;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        printf(SHOW_USAGE "\n\n"
                               "One occurrence (a key like deadline@2026-12-14T09:30, as 'dunnctl run'\n"
                               "prints it): its schedule, time, origin and approval (who and when, or\n"
                               "until when it waits), its counts per status and category, its SMS parts\n"
                               "and their cost (sms_price_fen per part) still to send and sent, then its\n"
                               "rows: unit, owner, category, channel, recipient, amount (yuan), parts,\n"
                               "status and error (why a row was cancelled, failed or skipped). Read it\n"
                               "before 'dunnctl approve'. csv and json print the rows alone, with text.\n\n"
                               "  --text    include each message's text\n"
                               "  --reveal  show names and recipients unmasked\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: " SHOW_USAGE);
                return EXIT_USAGE;
        }
        r = open_occurrence(ctl, argv[optind], &s, &o);
        if (r != 0)
                return r;
        with_text = with_text || format != TABLE_FORMAT_TABLE;
        t = table_new(with_text ? columns : columns_no_text);
        if (!t)
                return EXIT_RUNTIME;
        (void) table_set_numeric(t, 5);
        (void) table_set_numeric(t, 6);
        if (format == TABLE_FORMAT_TABLE) {
                snprintf(res.key, sizeof(res.key), "%s", o.key);
                if (campaign_counts(s, o.id, &res) < 0) {
                        ctl_error("cannot count '%s': %s", o.key, store_errmsg(s));
                        return EXIT_RUNTIME;
                }
                print_occurrence(ctl, &o);
                print_sms(ctl, s, o.id);
                printf("\n");
                (void) ctl_print_summary(&res);
                printf("\n");
        } else if (table_stream(t, format, stdout) < 0)
                return EXIT_RUNTIME;
        rows = (ShowRows) { .table = t, .reveal = reveal, .with_text = with_text };
        r = store_log_each(s, &(LogQuery) { .occurrence = o.key }, add_show_row, &rows);
        if (r < 0) {
                ctl_error("cannot read the rows of '%s': %s", o.key, r == -ENOMEM ? "out of memory" : store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (table_print(t, format, stdout) < 0)
                return EXIT_RUNTIME;
        if (format == TABLE_FORMAT_TABLE && approval_from_string(o.approval) == APPROVAL_WAITING)
                printf("\ndunnctl approve %s sends it; dunnctl reject %s [--note TEXT] cancels it\n",
                       o.key, o.key);
        return 0;
}
