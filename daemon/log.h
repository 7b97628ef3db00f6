/* SPDX-License-Identifier: MIT */
#pragma once

/* One logging funnel: structured journald entries when stderr is connected to the journal
 * (systemd sets JOURNAL_STREAM) or when asked to, plain "dunnd: message" lines on stderr
 * otherwise. Library code returns errors; the programs log them once. Callers mask
 * personal data before it gets here (mask.h). */

#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
} LogTarget;

void log_open(const char *ident, LogTarget target);
void log_set_max_level(int level);
int log_get_max_level(void);
/* "err", "warning", "notice", "info", "debug" or 0-7. Returns the level or -EINVAL. */
int log_level_from_string(const char *s);

/* Logs; when error != 0 appends ": strerror(error)". Returns -abs(error) (or -EIO when
 * error is 0) so callers can `return log_error_errno(r, ...)`. fields: NULL or a
 * NULL-terminated list of "DUNND_KEY=value" journal fields. */
int log_full(int level, int error, const char *const *fields, const char *fmt, ...) _printf_(4, 5);

#define log_debug(...)   (void) log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...)    (void) log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...)  (void) log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) (void) log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...)   (void) log_full(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_error_errno(r, ...) log_full(LOG_ERR, (r), NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_WARNING, (r), NULL, __VA_ARGS__)
