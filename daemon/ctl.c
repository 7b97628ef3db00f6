/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "timeutil.h"

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

int ctl_parse_format(const char *s, TableFormat *ret) {
        TableFormat f = table_format_from_string(s);

        if (f < 0) {
                ctl_error("unknown format '%s' (use table, csv or json)", s);
                return EXIT_USAGE;
        }
        *ret = f;
        return 0;
}
