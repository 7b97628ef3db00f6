/* SPDX-License-Identifier: MIT */

/* dunnctl: the command line staff and cron use. One function per subcommand, in ctl-*.c;
 * this file only parses the global options and dispatches. */

#include <curl/curl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"

typedef struct Verb {
        const char *name;
        int (*run)(Ctl *ctl, int argc, char *argv[]);
        const char *summary;
} Verb;

static const Verb verbs[] = {
        { "init", verb_init, "create or migrate the database, recount balances" },
        { "import", verb_import, "import households|charges|payments|categories from CSV" },
        { "debtors", verb_debtors, "households that owe, with amount, days overdue, category" },
        { "categorize", verb_categorize, "record a household's category (and promise date)" },
        { "resolve", verb_resolve, "close a disputed household's complaint (back to unclear)" },
        { "note", verb_note, "add a staff note to a household" },
        { "history", verb_history, "a household's category moves, notes, payments, messages" },
        { "optout", verb_optout, "an owner wants no more reminders on a contact (退订)" },
        { "optin", verb_optin, "undo an opt-out" },
        { "pay", verb_pay, "record a payment" },
        { "bill", verb_bill, "create a period's charges from the fee standards" },
        { "preview", verb_preview, "who a schedule would remind and what they would read" },
        { "run", verb_run, "run one occurrence of a schedule now (cron)" },
        { "show", verb_show, "one occurrence: approval, counts, SMS cost, its messages" },
        { "approve", verb_approve, "approve a prepared occurrence and send it" },
        { "reject", verb_reject, "reject a prepared occurrence: nothing is sent" },
        { "log", verb_log, "the dispatch log" },
        { "schedules", verb_schedules, "configured schedules and their next elapse" },
        { "calendar", verb_calendar, "check a calendar expression and its next elapses" },
        { "carriers", verb_carriers, "the loaded carriers: plugin, ABI, channel, rate" },
        { "test-carrier", verb_test_carrier, "send one test message through a carrier" },
        { "check-config", verb_check_config, "validate the configuration and carriers" },
};

static void help(void) {
        printf("dunnctl [-c FILE] [--db FILE] COMMAND [ARGS...]\n\n"
               "Property-fee reminders (物业费催缴): import debtors, record calls and payments,\n"
               "preview and run campaigns, read the dispatch log.\n\n"
               "Options:\n"
               "  -c, --config FILE   configuration (default %s)\n"
               "      --db FILE       database (default: the config's 'database')\n"
               "  -h, --help          this help; 'dunnctl COMMAND --help' for a command\n"
               "      --version       version\n\n"
               "Commands:\n",
               DUNND_DEFAULT_CONFIG);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-13s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nExit status: 0 success, 1 runtime failure, 2 usage or input error.\n"
               "See dunnctl(1), dunnd.conf(5).\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "db", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        Ctl ctl = { .config_path = DUNND_DEFAULT_CONFIG };
        int c, r;

        setlocale(LC_ALL, "C.UTF-8");
        /* once, before anything could start a thread (libcurl's rule) */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                ctl_error("cannot initialize libcurl");
                return EXIT_RUNTIME;
        }
        log_open("dunnctl", LOG_TARGET_STDERR);
        log_set_max_level(LOG_NOTICE);
        /* '+': stop at the command; its own options follow it */
        while ((c = getopt_long(argc, argv, "+c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        ctl.config_path = optarg;
                        ctl.config_given = true;
                        break;
                case 'd':
                        ctl.db_path = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("dunnctl %s\n", DUNND_VERSION);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (optind >= argc) {
                help();
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name)) {
                        ctl_set_verb(verbs[i].name);
                        r = verbs[i].run(&ctl, argc - optind, argv + optind);
                        config_free(ctl.config);
                        return r;
                }
        ctl_error("unknown command '%s' (see dunnctl --help)", argv[optind]);
        return EXIT_USAGE;
}
