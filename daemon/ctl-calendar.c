/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "calendar.h"
#include "macro.h"

static void help(void) {
        printf("Usage: dunnctl calendar EXPR [OPTIONS]\n\n"
               "Show the normalized form of a calendar expression (systemd OnCalendar= syntax)\n"
               "and when it elapses next.\n\n"
               "  --base-time='YYYY-MM-DD HH:MM:SS'  compute elapses after this time instead of now\n"
               "                                     (local time: $TZ, else the machine's zone)\n"
               "  --iterations=N                     show N elapses (default 1)\n"
               "  --help                             show this help\n\n"
               "Like systemd-analyze calendar, the base time is read and the elapses are printed in\n"
               "the local zone, whatever zone the expression names; an expression that names none\n"
               "elapses in the configured timezone (without a configuration, the local zone).\n");
}

/* Reads "YYYY-MM-DD[ HH:MM[:SS]]" as local time, or "@SECONDS". A local time that occurs twice is
 * taken at its first instance. */
static int parse_base_time(const char *s, usec_t *ret) {
        int Y, M, D, h = 0, m = 0, sec = 0, n = 0;
        struct tm tm;
        time_t best = -1;

        if (s[0] == '@') {
                char *e;
                unsigned long long v;

                errno = 0;
                v = strtoull(s + 1, &e, 10);
                if (errno != 0 || e == s + 1 || *e || s[1] == '-' || v > (unsigned long long) INT64_MAX / USEC_PER_SEC)
                        return -EINVAL;
                *ret = (usec_t) v * USEC_PER_SEC;
                return 0;
        }

        if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) == 6 && s[n] == 0)
                ;
        else if (h = m = sec = 0, sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &Y, &M, &D, &h, &m, &n) == 5 && s[n] == 0)
                ;
        else if (h = m = sec = 0, sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3 && s[n] == 0)
                ;
        else
                return -EINVAL;

        if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 ||
            h < 0 || m < 0 || sec < 0)
                return -EINVAL;

        for (int isdst = -1; isdst <= 1; isdst++) {
                struct tm check;
                time_t t;

                tm = (struct tm) { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                                   .tm_hour = h, .tm_min = m, .tm_sec = sec, .tm_isdst = isdst };
                t = mktime(&tm);
                if (t == (time_t) -1 || !localtime_r(&t, &check))
                        continue;
                if (isdst >= 0 && (check.tm_hour != h || check.tm_min != m || check.tm_mday != D))
                        continue;
                if (best < 0 || t < best)
                        best = t;
        }
        if (best < 0)
                return -EINVAL;

        *ret = (usec_t) best * USEC_PER_SEC;
        return 0;
}

/* `dunnctl calendar EXPR [--base-time 'YYYY-MM-DD HH:MM:SS'] [--iterations N]`: prints the
 * normalized form of a calendar expression and its next elapses, like `systemd-analyze
 * calendar`. The expression elapses in the zone it names, else the config's timezone, else
 * the local one; the base time and the output are always local time, as in
 * systemd-analyze, so the two can be compared line by line. Reading the base time in the
 * expression's zone instead made '*-*-14 09:30 America/New_York' from a Shanghai base time
 * disagree with systemd-analyze by the zones' offset. */
int verb_calendar(Ctl *ctl, int argc, char *argv[]) {
        enum { ARG_BASE_TIME = 0x100, ARG_ITERATIONS };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "base-time",  required_argument, NULL, ARG_BASE_TIME  },
                { "iterations", required_argument, NULL, ARG_ITERATIONS },
                {}
        };
        _cleanup_(calendar_spec_freep) CalendarSpec *spec = NULL;
        _cleanup_free_ char *normalized = NULL;
        const char *base_time = NULL, *expr;
        unsigned long iterations = 1;
        char err[256];
        usec_t next;
        const char *default_tz;
        int c, r;

        /* the estate's zone applies to expressions that name none; without a config, $TZ */
        if (ctl_load_config(ctl, false) != 0)
                return EXIT_USAGE;
        default_tz = ctl->config ? ctl->config->timezone : NULL;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_BASE_TIME:
                        base_time = optarg;
                        break;
                case ARG_ITERATIONS: {
                        char *e;

                        errno = 0;
                        iterations = strtoul(optarg, &e, 10);
                        if (errno != 0 || e == optarg || *e || optarg[0] == '-' ||
                            iterations < 1 || iterations > 100000) {
                                fprintf(stderr, "dunnctl: calendar: invalid --iterations '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                case '?':
                default:
                        if (optopt && optopt < 0x100 && optopt != '?')
                                fprintf(stderr, "dunnctl: calendar: unknown option '-%c'\n", optopt);
                        else
                                fprintf(stderr, "dunnctl: calendar: invalid option or missing argument '%s'\n",
                                        argv[optind - 1]);
                        return EXIT_USAGE;
                }

        if (argc - optind != 1) {
                fprintf(stderr, "dunnctl: calendar: expected exactly one expression "
                        "(quote it: dunnctl calendar 'Mon..Fri 09:30')\n");
                return EXIT_USAGE;
        }
        expr = argv[optind];

        r = calendar_spec_from_string(expr, &spec, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "dunnctl: invalid calendar expression '%s': %s\n", expr,
                        r == -ENOMEM ? "out of memory" : err[0] ? err : "invalid");
                return EXIT_USAGE;
        }

        normalized = calendar_spec_to_string(spec);
        if (!normalized) {
                fprintf(stderr, "dunnctl: out of memory\n");
                return 1;
        }

        if (base_time) {
                r = parse_base_time(base_time, &next);
                if (r < 0) {
                        fprintf(stderr, "dunnctl: calendar: invalid --base-time '%s' "
                                "(expected 'YYYY-MM-DD HH:MM:SS')\n", base_time);
                        return EXIT_USAGE;
                }
        } else {
                struct timespec ts;

                (void) clock_gettime(CLOCK_REALTIME, &ts);
                next = (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
        }

        printf("Normalized form: %s\n", normalized);
        for (unsigned long i = 0; i < iterations; i++) {
                char buf[128];
                struct tm tm;
                time_t t;

                r = calendar_spec_next_usec(spec, next, default_tz, &next);
                if (r == -ENOENT)
                        break;
                if (r < 0) {
                        fprintf(stderr, "dunnctl: calendar: cannot compute the next elapse: %s\n",
                                strerror(-r));
                        return 1;
                }

                t = (time_t) (next / USEC_PER_SEC);
                if (!localtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                        continue;
                printf("%s\n", buf);
        }

        return fflush(stdout) == 0 ? 0 : 1;
}
