/* SPDX-License-Identifier: MIT */

/* dunnctl bill: a period's charges from the fee standards (billing.h). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "billing.h"
#include "ctl.h"
#include "money.h"
#include "store-ledger.h"
#include "timeutil.h"

static void bill_help(void) {
        printf("dunnctl bill --period YYYY-MM [--months N] [--dry-run] [--format table|csv|json]\n\n"
               "Create the period's charges (物业费) from the config's fee standards: yuan per m²\n"
               "per month of the household's property type × area × N months (default 1), ×\n"
               "fees.vacant_percent for a vacant home, rounded half up to the fen; due on\n"
               "fees.due_day of the period's month. A prepaid household's advance pays what it\n"
               "can (a payment '" PREPAID_DRAW_METHOD "'); once it is used up the owner reads the\n"
               "prepaid text. A household that already has a charge for the period is left as it\n"
               "is, so billing a period again changes nothing. A bill for N months is recorded\n"
               "under its first month: bill the next one from the month after.\n"
               "--dry-run prints the same totals per property type and writes nothing.\n"
               "Exit status 2 when a property type has no fee standard (nothing written).\n");
}

static int print_totals(const BillResult *res, TableFormat format) {
        static const char *const columns[] = { "property_type", "households", "area_m2",
                                               "amount", "vacant", NULL };
        _cleanup_(table_freep) Table *t = table_new(columns);

        if (!t)
                return -ENOMEM;
        for (size_t i = 1; i < 5; i++)
                (void) table_set_numeric(t, i);
        for (int k = 0; k <= _PROPERTY_TYPE_MAX; k++) {
                const BillTotals *bt = k < _PROPERTY_TYPE_MAX ? &res->by_type[k] : &res->total;
                char households[16], area[MONEY_BUFSZ], amount[MONEY_BUFSZ], vacant[16];
                const char *cells[5];

                if (k < _PROPERTY_TYPE_MAX && bt->households == 0)
                        continue;
                snprintf(households, sizeof(households), "%u", bt->households);
                snprintf(vacant, sizeof(vacant), "%u", bt->vacant);
                /* area is hundredths of m²: the same two decimals as money */
                cells[0] = k < _PROPERTY_TYPE_MAX ? property_type_to_string((PropertyType) k) : "total";
                cells[1] = households;
                cells[2] = money_format_plain(bt->area_centi, area, sizeof(area));
                cells[3] = money_format_plain(bt->fen, amount, sizeof(amount));
                cells[4] = vacant;
                if (table_add_row(t, cells, 5) < 0)
                        return -ENOMEM;
        }
        return table_print(t, format, stdout);
}

static void print_outcome(const BillResult *res, const char *period, bool dry_run) {
        char fen[MONEY_BUFSZ];
        const char *verb = dry_run ? "would be" : "were";

        if (res->total.households == 0 && res->already_billed > 0)
                printf("%s is already billed for all %u household(s) with a fee: nothing %s changed\n",
                       period, res->already_billed, dry_run ? "would be" : "was");
        else
                printf("%u charge(s) for %s %s added, %s yuan; %u household(s) already billed, unchanged\n",
                       res->total.households, period, verb,
                       money_format(res->total.fen, fen, sizeof(fen)), res->already_billed);
        if (res->no_area)
                printf("%u household(s) without an area: nothing to charge\n", res->no_area);
        if (res->prepaid_drawn)
                printf("prepaid: %u advance(s) %s drawn down by %s yuan; %u of them used up with money "
                       "still owed (they now read the prepaid text)\n",
                       res->prepaid_drawn, verb, money_format(res->prepaid_fen, fen, sizeof(fen)),
                       res->prepaid_used_up);
        if (dry_run)
                printf("dry run: nothing was written.\n");
}

int verb_bill(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "period", required_argument, NULL, 'p' },
                { "months", required_argument, NULL, 'm' },
                { "dry-run", no_argument, NULL, 'n' },
                { "format", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        const char *period = NULL;
        bool dry_run = false;
        long months = 1;
        BillResult res;
        int64_t due;
        char *end;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        period = optarg;
                        break;
                case 'm':
                        months = strtol(optarg, &end, 10);
                        if (end == optarg || *end || months < 1 || months > BILL_MONTHS_MAX) {
                                ctl_error("invalid --months '%s' (1-%d)", optarg, BILL_MONTHS_MAX);
                                return EXIT_USAGE;
                        }
                        break;
                case 'n':
                        dry_run = true;
                        break;
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'h':
                        bill_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (!period) {
                ctl_error("usage: dunnctl bill --period YYYY-MM [--months N] [--dry-run]");
                return EXIT_USAGE;
        }
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        if (billing_due_day(&ctl->config->fees, period, &due) < 0) {
                ctl_error("invalid --period '%s' (YYYY-MM, e.g. 2026-12)", period);
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, dry_run ? STORE_OPEN_READONLY : STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = billing_run(ctl->config, s, period, (int) months, dry_run,
                        local_day(time(NULL), ctl_timezone(ctl)), &res);
        if (r == -ENOENT) {
                ctl_error("%s: no fee standard for property type '%s' in fees.standards "
                          "(%u household(s) of types without one); add { type = \"%s\"; "
                          "yuan_per_m2 = \"...\"; }; nothing %s", ctl->config->path,
                          property_type_to_string(res.missing_standard), res.no_standard,
                          property_type_to_string(res.missing_standard),
                          dry_run ? "to write" : "was written");
                return EXIT_USAGE;
        }
        if (r < 0) {
                ctl_error("cannot bill %s: %s", period, r == -ENOMEM ? "out of memory" : store_errmsg(s));
                return EXIT_RUNTIME;
        }
        if (print_totals(&res, format) < 0)
                return EXIT_RUNTIME;
        if (format == TABLE_FORMAT_TABLE)
                print_outcome(&res, period, dry_run);
        return 0;
}
