/* SPDX-License-Identifier: MIT */

/* dunnd: the reminder daemon. Options and logging here; the work is in manager.c. */

#include <curl/curl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>

#include "carrier.h"
#include "config.h"
#include "log.h"
#include "manager.h"

static void help(void) {
        printf("dunnd [-c FILE] [--db FILE] [--foreground] [--check] [-v] [--log-level LEVEL]\n\n"
               "The property-fee reminder daemon: fires the configured schedules at their\n"
               "calendar times, selects and reminds debtor households, and records every outcome.\n\n"
               "  -c, --config FILE     configuration (default %s)\n"
               "      --db FILE         database (default: the config's 'database')\n"
               "      --foreground      accepted for unit files; dunnd never forks\n"
               "      --check           validate the configuration and load the carriers, then exit\n"
               "  -v, --verbose         log debug messages (one line per message sent)\n"
               "      --log-level L     err, warning, notice, info or debug (default: the\n"
               "                        config's log_level, else info)\n"
               "  -h, --help, --version\n\n"
               "Signals: SIGHUP reloads the configuration (an invalid one is logged and ignored),\n"
               "SIGTERM/SIGINT claim nothing more and wait (30 s at most) for requests in flight;\n"
               "the rest is sent on the next start.\n"
               "Exit status: 0 stopped, 1 runtime failure, 2 usage error, 78 unusable configuration.\n"
               "See dunnd(8), dunnd.conf(5).\n",
               DUNND_DEFAULT_CONFIG);
}

static int check_only(const char *path) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(carrier_set_freep) CarrierSet *carriers = NULL;
        ConfigErrors errors = {};
        int r;

        r = config_load(path, &c, &errors);
        if (r >= 0)
                r = carrier_set_open(c, &carriers, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0)
                return EXIT_CONFIG;
        printf("%s: ok: %zu schedules, %zu carriers\n", path, c->n_schedules, c->n_carriers);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "db", required_argument, NULL, 'd' },
                { "foreground", no_argument, NULL, 'F' },
                { "check", no_argument, NULL, 'C' },
                { "verbose", no_argument, NULL, 'v' },
                { "log-level", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        _cleanup_(manager_freep) Manager *m = NULL;
        ManagerOptions o = { .config_path = DUNND_DEFAULT_CONFIG };
        bool check = false;
        int c, r, level = -1;   /* -1: the config's log_level */

        setlocale(LC_ALL, "C.UTF-8");
        while ((c = getopt_long(argc, argv, "c:vh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o.config_path = optarg;
                        break;
                case 'd':
                        o.db_path = optarg;
                        break;
                case 'F':
                        break;
                case 'C':
                        check = true;
                        break;
                case 'v':
                        level = LOG_DEBUG;
                        break;
                case 'l':
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "dunnd: unknown log level '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("dunnd %s\n", DUNND_VERSION);
                        return 0;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "dunnd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        /* once, before anything could start a thread (libcurl's rule) */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "dunnd: cannot initialize libcurl\n");
                return 1;
        }
        if (check)
                return check_only(o.config_path);

        o.log_level_from_cli = level >= 0;
        log_open("dunnd", LOG_TARGET_AUTO);
        log_set_max_level(level >= 0 ? level : LOG_INFO);
        r = manager_new(&o, &m);
        if (r >= 0 && level < 0)
                log_set_max_level(manager_log_level(m));
        if (r == -EINVAL)
                return EXIT_CONFIG;
        if (r < 0)
                return 1;
        r = manager_run(m);
        if (r < 0) {
                log_error_errno(r, "event loop failed");
                return 1;
        }
        return 0;
}
