/* SPDX-License-Identifier: MIT */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "tz.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"

bool tz_name_is_valid(const char *name) {
        char path[sizeof(ZONEINFO_DIR) + 256];
        char magic[4];
        struct stat st;
        bool slash = true;
        ssize_t n;
        int fd;

        if (isempty(name) || strlen(name) > 255)
                return false;
        if (streq(name, "UTC"))
                return true;
        for (const char *p = name; *p; p++) {
                if (*p == '/') {
                        if (slash)      /* leading or doubled slash */
                                return false;
                        slash = true;
                        continue;
                }
                /* no '.': neither ".." nor "zone.tab"-like data files */
                if (!isalnum((unsigned char) *p) && !strchr("-_+", *p))
                        return false;
                slash = false;
        }
        if (slash)
                return false;

        (void) snprintf(path, sizeof(path), ZONEINFO_DIR "/%s", name);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return false;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return false;
        }
        n = read(fd, magic, sizeof(magic));
        close(fd);
        return n == (ssize_t) sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

int tz_enter(TzSwitch *z, const char *zone) {
        const char *cur = getenv("TZ");

        *z = (TzSwitch) {};
        if (!zone || streq_ptr(cur, zone)) {
                tzset();
                return 0;
        }
        if (cur) {
                z->saved = strdup(cur);
                if (!z->saved)
                        return -ENOMEM;
                z->had_tz = true;
        }
        if (setenv("TZ", zone, 1) < 0) {
                int r = -errno;

                free(z->saved);
                *z = (TzSwitch) {};
                return r;
        }
        z->switched = true;
        tzset();
        return 0;
}

void tz_leave(TzSwitch *z) {
        if (z->switched) {
                if (z->had_tz)
                        (void) setenv("TZ", z->saved, 1);
                else
                        (void) unsetenv("TZ");
                tzset();
        }
        free(z->saved);
        *z = (TzSwitch) {};
}
