/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands that read the store: debtors, log. Names and phone numbers are
 * masked unless --reveal. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "ctl.h"
#include "ctl-approval.h"
#include "ctl-report.h"
#include "debtor.h"
#include "mask.h"
#include "money.h"
#include "store-log.h"
#include "timeutil.h"

typedef struct DebtorRows {
        const Ctl *ctl;
        Table *table;
        bool reveal;
        size_t n;
        int64_t total, late_fees;
} DebtorRows;

static int add_debtor_row(const Debtor *d, void *userdata) {
        DebtorRows *rows = userdata;
        char owner[MASK_BUFSZ], amount[MONEY_BUFSZ], late_fee[MONEY_BUFSZ], days[16],
                promise[DATE_BUFSZ], visit[32];
        const char *cells[11];

        snprintf(days, sizeof(days), "%d", d->days_overdue);
        cells[0] = d->unit;
        cells[1] = d->building;
        cells[2] = rows->reveal ? d->owner : mask_name(d->owner, owner, sizeof(owner));
        cells[3] = category_to_string(d->category);
        cells[4] = money_format_plain(d->owed, amount, sizeof(amount));
        cells[5] = money_format_plain(d->late_fee, late_fee, sizeof(late_fee));
        cells[6] = days;
        cells[7] = d->periods;
        cells[8] = d->staff;
        cells[9] = d->promise_day >= 0 ? date_format(d->promise_day, promise) : NULL;
        /* the day a door visit became owed (unreachable): the staff's task */
        cells[10] = d->visit_since ? ctl_local_time(rows->ctl, d->visit_since, "%Y-%m-%d", visit,
                                                    sizeof(visit))
                                   : NULL;
        rows->n++;
        rows->total += d->owed;
        rows->late_fees += d->late_fee;
        return table_add_row(rows->table, cells, 11);
}

int verb_debtors(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "category", required_argument, NULL, 'c' },
                { "building", required_argument, NULL, 'b' },
                { "min-overdue-days", required_argument, NULL, 'm' },
                { "at", required_argument, NULL, 'a' },
                { "format", required_argument, NULL, 'f' },
                { "reveal", no_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "unit", "building", "owner", "category", "amount",
                                               "late_fee", "days_overdue", "periods", "staff", "promise_date",
                                               "visit", NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        char *buildings[2] = {};
        const char *at_s = NULL;
        bool reveal = false;
        time_t at;
        DebtorQuery q = { .min_overdue_days = INT_MIN };
        DebtorRows rows;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'c': {
                        Category cat;

                        if (ctl_parse_category(optarg, &cat) != 0)
                                return EXIT_USAGE;
                        q.categories |= 1u << cat;
                        break;
                }
                case 'b':
                        buildings[0] = optarg;
                        q.buildings = buildings;
                        break;
                case 'm': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < -36500 || v > 36500) {
                                ctl_error("invalid --min-overdue-days '%s'", optarg);
                                return EXIT_USAGE;
                        }
                        q.min_overdue_days = (int) v;
                        break;
                }
                case 'a':
                        at_s = optarg;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'R':
                        reveal = true;
                        break;
                case 'h':
                        printf("dunnctl debtors [--category C] [--building B] [--min-overdue-days N]\n"
                               "                [--at 'YYYY-MM-DD HH:MM'] [--format table|csv|json] [--reveal]\n\n"
                               "Households that owe, with amount (yuan), late fee (滞纳金, yuan, as the\n"
                               "config's late_fee rule computes it for today; not part of amount), days\n"
                               "overdue (since the oldest unpaid charge fell due; negative = not yet due)\n"
                               "and category, as of now or --at (read only: any time may be given).\n"
                               "--category may be given several times. Owner names are masked unless\n"
                               "--reveal. visit: the day a door visit became owed (an unreachable\n"
                               "household; dunnctl history says why).\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = ctl_parse_time(ctl, at_s, &at);
        if (r != 0)
                return r;
        q.today = local_day(at, ctl_timezone(ctl));
        if (ctl->config)
                q.late_fee = ctl->config->late_fee;
        t = table_new(columns);
        if (!t)
                goto oom;
        (void) table_set_numeric(t, 4);
        (void) table_set_numeric(t, 5);
        (void) table_set_numeric(t, 6);
        /* csv/json stream; the aligned table keeps its rows to measure the columns */
        if (table_stream(t, format, stdout) < 0)
                goto oom;
        rows = (DebtorRows) { .ctl = ctl, .table = t, .reveal = reveal };
        r = debtors_each(s, &q, add_debtor_row, &rows);
        if (r == -ENOMEM)
                goto oom;
        if (r < 0) {
                ctl_error("cannot list debtors: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        r = table_print(t, format, stdout);
        if (r >= 0 && format == TABLE_FORMAT_TABLE) {
                char amount[MONEY_BUFSZ], late_fees[MONEY_BUFSZ];
                printf("%zu households owe %s yuan, and %s yuan of late fees\n", rows.n,
                       money_format(rows.total, amount, sizeof(amount)),
                       money_format(rows.late_fees, late_fees, sizeof(late_fees)));
        }
        return r < 0 ? EXIT_RUNTIME : 0;
oom:
        ctl_error("out of memory");
        return EXIT_RUNTIME;
}

typedef struct LogRows {
        Table *table;
        bool reveal, with_text;
} LogRows;

void ctl_log_row_mask(const char *cells[_LOG_COLUMN_MAX], bool reveal, LogRowMask *buf) {
        if (reveal)
                return;
        cells[LOG_OWNER] = mask_name(strempty(cells[LOG_OWNER]), buf->owner, sizeof(buf->owner));
        cells[LOG_RECIPIENT] = mask_recipient(cells[LOG_CHANNEL], strempty(cells[LOG_RECIPIENT]),
                                              buf->recipient, sizeof(buf->recipient));
}

static int add_log_row(const char *const cells_in[_LOG_COLUMN_MAX], void *userdata) {
        LogRows *rows = userdata;
        const char *cells[_LOG_COLUMN_MAX];
        LogRowMask mask;

        memcpy(cells, cells_in, sizeof(cells));
        ctl_log_row_mask(cells, rows->reveal, &mask);
        return table_add_row(rows->table, cells, rows->with_text ? LOG_PLANNED_TEXT + 1 : LOG_TEXT);
}

int verb_log(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "occurrence", required_argument, NULL, 'o' },
                { "status", required_argument, NULL, 's' },
                { "unit", required_argument, NULL, 'u' },
                { "since", required_argument, NULL, 'S' },
                { "format", required_argument, NULL, 'f' },
                { "reveal", no_argument, NULL, 'R' },
                { "text", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "id", "occurrence", "unit", "owner", "category",
                                               "channel", "recipient", "status", "receipt",
                                               "attempts", "carrier", "updated", "merged_into",
                                               "error", "text", "planned_text", NULL };
        /* the same without the texts */
        static const char *const columns_no_text[] = { "id", "occurrence", "unit", "owner",
                                                       "category", "channel", "recipient", "status",
                                                       "receipt", "attempts", "carrier", "updated",
                                                       "merged_into", "error", NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        const char *occurrence = NULL, *status = NULL, *unit = NULL, *since = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        char since_utc[32] = "";
        bool reveal = false, with_text = false;
        LogRows rows;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'o':
                        occurrence = optarg;
                        break;
                case 's':
                        if (!store_log_status_is_valid(optarg))
                                return ctl_unknown_value("status", optarg, store_log_statuses);
                        status = optarg;
                        break;
                case 'u':
                        unit = optarg;
                        break;
                case 'S':
                        since = optarg;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'R':
                        reveal = true;
                        break;
                case 't':
                        with_text = true;
                        break;
                case 'h':
                        printf("dunnctl log [--occurrence ID] [--status S] [--unit U] [--since T]\n"
                               "            [--format table|csv|json] [--reveal] [--text]\n\n"
                               "The dispatch log: one row per occurrence, household and channel.\n"
                               "The households of one owner get one message: the others' rows name the\n"
                               "row that carried it (merged_into, and 'merged into the message to UNIT')\n"
                               "and take its status: sent when it was sent.\n"
                               "  --occurrence  a key like deadline@2026-12-14T09:30, or a prefix 'deadline@'\n"
                               "  --status      one of:");
                        for (size_t i = 0; store_log_statuses[i]; i++)
                                printf(" %s", store_log_statuses[i]);
                        printf("\n"
                               "  --since       'YYYY-MM-DD[ HH:MM]' (local time): rows changed since then\n"
                               "  --reveal      show names and recipients unmasked\n"
                               "  --text        include the message, and the planned one when a payment\n"
                               "                since the plan changed it (always in csv/json)\n"
                               "An unknown --status or --format is an error (exit 2), not an empty table.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        /* rows of an occurrence nobody approved in time say so, even if no daemon runs */
        r = ctl_expire_approvals(ctl, s);
        if (r != 0)
                return r;
        if (since) {
                _cleanup_free_ char *full = NULL;
                time_t t0;

                if (strlen(since) == 10 && asprintf(&full, "%s 00:00", since) < 0)
                        return EXIT_RUNTIME;
                if (ctl_parse_time(ctl, full ? full : since, &t0) != 0)
                        return EXIT_USAGE;
                struct tm tm;
                gmtime_r(&t0, &tm);
                strftime(since_utc, sizeof(since_utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        with_text = with_text || format != TABLE_FORMAT_TABLE;
        t = table_new(with_text ? columns : columns_no_text);
        if (!t)
                return EXIT_RUNTIME;
        (void) table_set_numeric(t, LOG_ID);
        (void) table_set_numeric(t, LOG_ATTEMPTS);
        (void) table_set_numeric(t, LOG_MERGED_INTO);
        if (table_stream(t, format, stdout) < 0)
                return EXIT_RUNTIME;
        rows = (LogRows) { .table = t, .reveal = reveal, .with_text = with_text };
        r = store_log_each(s, &(LogQuery) { .occurrence = occurrence, .status = status,
                                            .unit = unit, .since = since ? since_utc : NULL },
                           add_log_row, &rows);
        if (r == -ENOMEM)
                return EXIT_RUNTIME;
        if (r < 0) {
                ctl_error("cannot read the log: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        r = table_print(t, format, stdout);
        return r < 0 ? EXIT_RUNTIME : 0;
}
