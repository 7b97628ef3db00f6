/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "timeutil.h"

/* the subcommand running, for messages that name it ("dunnctl log: ...") */
static const char *current_verb;

void ctl_set_verb(const char *verb) {
        current_verb = verb;
}

void ctl_error(const char *fmt, ...) {
        va_list ap;

        fputs("dunnctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void ctl_reset_getopt(void) {
        optind = 0;     /* 0, not 1: makes GNU getopt re-initialize */
        opterr = 1;
}

int ctl_load_config(Ctl *ctl, bool required) {
        ConfigErrors errors = {};
        int r;

        if (ctl->config || ctl->config_missing)
                return ctl->config || !required ? 0 : EXIT_USAGE;
        if (!ctl->config_given && access(ctl->config_path, F_OK) < 0 && errno == ENOENT &&
            (!required)) {
                ctl->config_missing = true;
                return 0;
        }
        r = config_load(ctl->config_path, &ctl->config, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0) {
                ctl_error("configuration '%s' is not usable%s", ctl->config_path,
                          r == -EINVAL ? "" : " (use -c FILE to name another)");
                return EXIT_USAGE;
        }
        return 0;
}

const char *ctl_timezone(const Ctl *ctl) {
        return ctl->config ? ctl->config->timezone : "Asia/Shanghai";
}

int ctl_open_store(Ctl *ctl, StoreOpenMode mode, Store **ret) {
        const char *path;
        char err[512];
        int r;

        /* also with --db: the config's timezone and late-fee rate apply when there is one */
        r = ctl_load_config(ctl, false);
        if (r != 0)
                return r;
        path = ctl->db_path ? ctl->db_path : ctl->config ? ctl->config->database : NULL;
        if (!path) {
                ctl_error("no database: no config at '%s' and no --db FILE", ctl->config_path);
                return EXIT_USAGE;
        }
        r = store_open(path, mode, ret, err, sizeof(err));
        if (r < 0) {
                ctl_error("%s", err);
                return r == -ENOENT || r == -EPROTO ? EXIT_USAGE : EXIT_RUNTIME;
        }
        return 0;
}

int ctl_parse_time(const Ctl *ctl, const char *s, time_t *ret) {
        if (!s) {
                *ret = time(NULL);
                return 0;
        }
        if (localtime_parse(s, ctl_timezone(ctl), ret) < 0) {
                ctl_error("invalid time '%s' (use 'YYYY-MM-DD HH:MM', in %s)", s, ctl_timezone(ctl));
                return EXIT_USAGE;
        }
        return 0;
}

int ctl_unknown_value(const char *what, const char *value, const char *const *choices) {
        fprintf(stderr, "dunnctl%s%s: unknown %s \"%s\" (one of: ", current_verb ? " " : "",
                strempty(current_verb), what, value);
        for (size_t i = 0; choices[i]; i++)
                fprintf(stderr, "%s%s", i > 0 ? ", " : "", choices[i]);
        fputs(")\n", stderr);
        return EXIT_USAGE;
}

int ctl_parse_today(const Ctl *ctl, const char *at, int64_t *ret) {
        time_t t;

        if (at && date_parse(at, ret) == 0)
                return 0;
        if (ctl_parse_time(ctl, at, &t) != 0)
                return EXIT_USAGE;
        *ret = local_day(t, ctl_timezone(ctl));
        return 0;
}

int ctl_parse_format(const char *s, TableFormat *ret) {
        const char *names[_TABLE_FORMAT_MAX + 1] = {};
        TableFormat f = table_format_from_string(s);

        if (f < 0) {
                for (int i = 0; i < _TABLE_FORMAT_MAX; i++)
                        names[i] = table_format_to_string(i);
                return ctl_unknown_value("format", s, names);
        }
        *ret = f;
        return 0;
}

int ctl_parse_category(const char *s, Category *ret) {
        char labels[_CATEGORY_MAX][64];
        const char *names[_CATEGORY_MAX + 1] = {};
        Category c = category_from_string(s);

        if (c < 0) {
                /* staff know the categories by their Chinese names */
                for (int i = 0; i < _CATEGORY_MAX; i++) {
                        snprintf(labels[i], sizeof(labels[i]), "%s (%s)", category_to_string(i),
                                 category_to_chinese(i));
                        names[i] = labels[i];
                }
                return ctl_unknown_value("category", s, names);
        }
        *ret = c;
        return 0;
}

const char *ctl_local_time(const Ctl *ctl, const char *stamp, const char *fmt, char *buf,
                           size_t len) {
        struct tm tm = {};
        const char *end = strptime(stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);

        if (!end || *end)
                return stamp;
        return localtime_format(timegm(&tm), ctl_timezone(ctl), fmt, buf, len);
}
