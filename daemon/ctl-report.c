/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands that read: debtors, log, check-config. Names and phone numbers are
 * masked unless --reveal. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "carrier.h"
#include "ctl.h"
#include "debtor.h"
#include "mask.h"
#include "money.h"
#include "timeutil.h"

int verb_debtors(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "category", required_argument, NULL, 'c' },
                { "building", required_argument, NULL, 'b' },
                { "min-overdue-days", required_argument, NULL, 'm' },
                { "format", required_argument, NULL, 'f' },
                { "reveal", no_argument, NULL, 'R' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "unit", "building", "owner", "category", "amount",
                                               "days_overdue", "periods", "staff", "promise_date",
                                               NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        char *buildings[2] = {};
        Debtor *d = NULL;
        size_t n = 0;
        bool reveal = false;
        DebtorQuery q = { .min_overdue_days = INT_MIN };
        int64_t total = 0;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'c': {
                        Category cat = category_from_string(optarg);
                        if (cat < 0) {
                                ctl_error("unknown category '%s'", optarg);
                                return EXIT_USAGE;
                        }
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
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'R':
                        reveal = true;
                        break;
                case 'h':
                        printf("dunnctl debtors [--category C] [--building B] [--min-overdue-days N]\n"
                               "                [--format table|csv|json] [--reveal]\n\n"
                               "Households that owe, with amount (yuan), days overdue (since the oldest\n"
                               "unpaid charge fell due; negative = not yet due) and category. --category\n"
                               "may be given several times. Owner names are masked unless --reveal.\n");
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
        q.today = local_day(time(NULL), ctl_timezone(ctl));
        q.late_fee_daily_permyriad = ctl->config ? ctl->config->late_fee_daily_permyriad : 0;
        r = debtors_select(s, &q, &d, &n);
        if (r < 0) {
                ctl_error("cannot list debtors: %s", store_errmsg(s));
                return EXIT_RUNTIME;
        }
        t = table_new(columns);
        if (!t)
                goto oom;
        (void) table_set_numeric(t, 4);
        (void) table_set_numeric(t, 5);
        for (size_t i = 0; i < n; i++) {
                char owner[MASK_BUFSZ], amount[MONEY_BUFSZ], days[16], promise[DATE_BUFSZ];
                const char *cells[9];

                snprintf(days, sizeof(days), "%d", d[i].days_overdue);
                cells[0] = d[i].unit;
                cells[1] = d[i].building;
                cells[2] = reveal ? d[i].owner : mask_name(d[i].owner, owner, sizeof(owner));
                cells[3] = category_to_string(d[i].category);
                cells[4] = money_format_plain(d[i].owed, amount, sizeof(amount));
                cells[5] = days;
                cells[6] = d[i].periods;
                cells[7] = d[i].staff;
                cells[8] = d[i].promise_day >= 0 ? date_format(d[i].promise_day, promise) : NULL;
                if (table_add_row(t, cells, 9) < 0)
                        goto oom;
                total += d[i].owed;
        }
        r = table_print(t, format, stdout);
        if (r >= 0 && format == TABLE_FORMAT_TABLE) {
                char amount[MONEY_BUFSZ];
                printf("%zu households owe %s yuan\n", n, money_format(total, amount, sizeof(amount)));
        }
        debtors_free(d, n);
        return r < 0 ? EXIT_RUNTIME : 0;
oom:
        debtors_free(d, n);
        ctl_error("out of memory");
        return EXIT_RUNTIME;
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
                                               "attempts", "carrier", "updated", "error", "text",
                                               NULL };
        /* the same without the last column */
        static const char *const columns_no_text[] = { "id", "occurrence", "unit", "owner",
                                                       "category", "channel", "recipient", "status",
                                                       "receipt", "attempts", "carrier", "updated",
                                                       "error", NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        const char *occurrence = NULL, *status = NULL, *unit = NULL, *since = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        char since_utc[32] = "";
        bool reveal = false, with_text = false;
        int c, r, rc;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'o':
                        occurrence = optarg;
                        break;
                case 's':
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
                               "  --occurrence  a key like deadline@2026-12-14T09:30, or a prefix 'deadline@'\n"
                               "  --status      pending sending retry sent failed unknown cancelled skipped\n"
                               "  --since       'YYYY-MM-DD[ HH:MM]' (local time): rows changed since then\n"
                               "  --reveal      show names and recipients unmasked\n"
                               "  --text        include the rendered message (always in csv/json)\n");
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
        r = store_prepare(s,
                          "SELECT d.id, o.key, h.unit, d.recipient_name, d.category, d.channel,"
                          "       d.recipient, d.status, d.receipt, d.attempts, d.carrier,"
                          "       d.updated_at, d.error, d.text"
                          "  FROM dispatches d JOIN occurrences o ON o.id = d.occurrence_id"
                          "  JOIN households h ON h.id = d.household_id"
                          " WHERE (?1 IS NULL OR o.key = ?1 OR (substr(?1, -1) = '@' AND"
                          "        substr(o.key, 1, length(?1)) = ?1))"
                          "   AND (?2 IS NULL OR d.status = ?2)"
                          "   AND (?3 IS NULL OR h.unit = ?3)"
                          "   AND (?4 IS NULL OR d.updated_at >= ?4)"
                          " ORDER BY d.id",
                          &st);
        if (r < 0)
                goto fail;
        if (occurrence)
                sqlite3_bind_text(st, 1, occurrence, -1, SQLITE_STATIC);
        if (status)
                sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
        if (unit)
                sqlite3_bind_text(st, 3, unit, -1, SQLITE_STATIC);
        if (since)
                sqlite3_bind_text(st, 4, since_utc, -1, SQLITE_STATIC);

        with_text = with_text || format != TABLE_FORMAT_TABLE;
        t = table_new(with_text ? columns : columns_no_text);
        if (!t)
                return EXIT_RUNTIME;
        (void) table_set_numeric(t, 0);
        (void) table_set_numeric(t, 9);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                char name[MASK_BUFSZ], recipient[MASK_BUFSZ];
                const char *cells[14];

                for (int i = 0; i < 14; i++)
                        cells[i] = (const char *) sqlite3_column_text(st, i);
                if (!reveal) {
                        cells[3] = mask_name(strempty(cells[3]), name, sizeof(name));
                        cells[6] = mask_recipient(cells[5], strempty(cells[6]), recipient,
                                                  sizeof(recipient));
                }
                if (table_add_row(t, cells, with_text ? 14 : 13) < 0)
                        return EXIT_RUNTIME;
        }
        if (rc != SQLITE_DONE)
                goto fail;
        r = table_print(t, format, stdout);
        return r < 0 ? EXIT_RUNTIME : 0;
fail:
        ctl_error("cannot read the log: %s", store_errmsg(s));
        return EXIT_RUNTIME;
}

int verb_check_config(Ctl *ctl, int argc, char *argv[]) {
        _cleanup_(carrier_set_freep) CarrierSet *carriers = NULL;
        ConfigErrors errors = {};
        Config *c;
        int r;

        if (argc > 1 && streq(argv[1], "--help")) {
                printf("dunnctl check-config\n\nValidate the configuration and load its carrier "
                       "plugins, like nginx -t: each\nproblem is printed as FILE:LINE: problem and the "
                       "exit status is 2 if there is any.\n");
                return 0;
        }
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        c = ctl->config;
        r = carrier_set_open(c, &carriers, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0) {
                ctl_error("configuration '%s' is not usable", c->path);
                return EXIT_USAGE;
        }
        printf("%s: ok: %zu schedules, %zu templates, %zu carriers (%s), time zone %s\n", c->path,
               c->n_schedules, c->n_templates, c->n_carriers, c->plugin_dir, c->timezone);
        return 0;
}
