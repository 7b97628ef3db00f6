/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "dunnd";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

/* systemd sets JOURNAL_STREAM=dev:inode for a service whose stderr goes to the journal;
 * only then is stderr really the journal (not a redirect to a file by a test). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_open(const char *ident, LogTarget target) {
        log_ident = ident;
        switch (target) {
        case LOG_TARGET_JOURNAL:
                log_to_journal = true;
                break;
        case LOG_TARGET_STDERR:
                log_to_journal = false;
                break;
        case LOG_TARGET_AUTO:
                log_to_journal = stderr_is_journal();
                break;
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning",
                                             "notice", "info", "debug" };

        for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return i;
        if (streq(s, "error"))
                return LOG_ERR;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        return -EINVAL;
}

static void log_journal(int level, const char *msg, const char *const *fields) {
        char prio[16], ident[64], message[4096 + 16];
        struct iovec iov[32];
        size_t n = 0;

        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
        snprintf(message, sizeof(message), "MESSAGE=%s", msg);
        iov[n++] = (struct iovec) { .iov_base = prio, .iov_len = strlen(prio) };
        iov[n++] = (struct iovec) { .iov_base = ident, .iov_len = strlen(ident) };
        iov[n++] = (struct iovec) { .iov_base = message, .iov_len = strlen(message) };
        for (; fields && *fields && n < ELEMENTSOF(iov); fields++)
                iov[n++] = (struct iovec) { .iov_base = (char *) *fields, .iov_len = strlen(*fields) };
        (void) sd_journal_sendv(iov, (int) n);
}

int log_full(int level, int error, const char *const *fields, const char *fmt, ...) {
        char msg[4096];
        va_list ap;
        int saved = errno;
        size_t len;

        if (error < 0)
                error = -error;
        if (level > log_max_level)
                goto done;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        len = strlen(msg);
        if (error != 0 && len < sizeof(msg) - 1)
                snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(error));

        if (log_to_journal)
                log_journal(level, msg, fields);
        else
                fprintf(stderr, "%s: %s\n", log_ident, msg);
done:
        errno = saved;
        return error != 0 ? -error : -EIO;
}
