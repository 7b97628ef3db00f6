/* SPDX-License-Identifier: MIT */

/* The input is a dunnd.conf. It is written to one memfd per process (truncated and
 * rewritten each iteration) and loaded through config_load() by its /proc/self/fd path,
 * exactly as dunnctl and dunnd load /etc/dunnd/dunnd.conf. Besides the sanitizers, checks
 * the loader's contract (config.h):
 *   - failure returns a negative errno, no Config, and at least one error line, each of
 *     them "PATH:LINE: problem" with PATH the file that was loaded;
 *   - success returns a Config and adds no error line, and its lookups work.
 *
 * Inputs containing "@include" are skipped: libconfig would open whatever path they name
 * (/dev/zero, a FIFO, the fuzzer's own corpus), which tests the machine, not the loader, and
 * errors found in an included file rightly name that file instead of PATH. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "variant.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5 (Debian 12) itself leaks its scanner's string buffers when a string literal
 * stands where no value can: the 2-byte file `""` leaks 1 byte from libconfig_yylex, longer
 * ones leak from strbuf_append — a plain config_init + config_read_file + config_destroy
 * shows it (tests/fuzz/crashes/libconfig-leak-empty-string). Not dunnd's leak, and it stops
 * every run within seconds. Only the scanner's frames are suppressed: a Config or config_t
 * that dunnd forgot to free is still reported. */
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

static int fd = -1;
static char path[64];

static void setup(void) {
        if (fd >= 0)
                return;
        fd = memfd_create("fuzz-config.conf", MFD_CLOEXEC);
        if (fd < 0) {
                perror("memfd_create");
                abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
}

static bool contains_include(const uint8_t *data, size_t size) {
        static const char needle[] = "@include";
        const size_t n = sizeof(needle) - 1;

        for (size_t i = 0; i + n <= size; i++)
                if (data[i] == '@' && strncasecmp((const char *) data + i, needle, n) == 0)
                        return true;
        return false;
}

static void check_error_line(const char *line) {
        size_t l = strlen(path);
        const char *p;

        if (strncmp(line, path, l) != 0 || line[l] != ':') {
                fprintf(stderr, "error line does not start with '%s:': %s\n", path, line);
                abort();
        }
        /* then the line number and ": " */
        p = line + l + 1;
        if (*p == '-')
                p++;
        if (*p < '0' || *p > '9') {
                fprintf(stderr, "error line without a line number: %s\n", line);
                abort();
        }
        while (*p >= '0' && *p <= '9')
                p++;
        if (p[0] != ':' || p[1] != ' ') {
                fprintf(stderr, "error line without ': ' after the line number: %s\n", line);
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfigErrors errors = {};
        Config *c = NULL;
        int r;

        if (contains_include(data, size))
                return 0;
        setup();
        if (ftruncate(fd, 0) < 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t) size)) {
                perror("writing the memfd");
                abort();
        }

        r = config_load(path, &c, &errors);
        if (r < 0) {
                if (c) {
                        fprintf(stderr, "config_load failed (%d) but returned a Config\n", r);
                        abort();
                }
                if (r != -ENOMEM) {
                        if (errors.n == 0) {
                                fprintf(stderr, "config_load failed (%d) without an error line\n", r);
                                abort();
                        }
                        for (size_t i = 0; i < errors.n; i++)
                                check_error_line(errors.lines[i]);
                }
        } else {
                if (r != 0 || !c || errors.n != 0) {
                        fprintf(stderr, "config_load returned %d, Config %p, %zu error lines\n",
                                r, (void *) c, errors.n);
                        for (size_t i = 0; i < errors.n; i++)
                                fprintf(stderr, "  %s\n", errors.lines[i]);
                        abort();
                }
                if (!c->path || !c->database || !c->timezone || !c->plugin_dir)
                        abort();
                for (size_t i = 0; i < c->n_schedules; i++) {
                        const ConfigSchedule *s = &c->schedules[i];

                        if (!s->name || config_find_schedule(c, s->name) == NULL || !s->template)
                                abort();
                        /* a loaded config always has a variant to fall back to */
                        for (int cat = 0; cat < _CATEGORY_MAX; cat++)
                                for (int prepaid = 0; prepaid < 2; prepaid++)
                                        if (!variant_template(s->template, (Category) cat,
                                                              prepaid))
                                                abort();
                }
                for (size_t i = 0; i < c->n_templates; i++)
                        if (config_find_template(c, c->templates[i].name) == NULL)
                                abort();
        }

        config_free(c);
        config_errors_clear(&errors);
        return 0;
}
