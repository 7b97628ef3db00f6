/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "macro.h"
#include "options.h"

bool option_value_has_control(const char *v) {
        for (const unsigned char *p = (const unsigned char *) v; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

static bool is_string_kind(OptionKind k) {
        return k == OPTION_STRING || k == OPTION_SECRET || k == OPTION_FILE;
}

static void *field_of(const OptionSpec *spec, void *state) {
        return (char *) state + spec->offset;
}

static void string_free(char *s) {
        /* wiped whatever the kind: a cheap habit beats a forgotten secret */
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

/* key itself, or keyN of a numbered family ("header2".."header9"). */
static bool spec_matches(const OptionSpec *spec, const char *key) {
        size_t n = strlen(spec->key);

        if (streq(key, spec->key))
                return true;
        return spec->numbered >= 2 && spec->numbered <= 9 && strncmp(key, spec->key, n) == 0 &&
               key[n] >= '2' && key[n] <= (char) ('0' + spec->numbered) && !key[n + 1];
}

/* "'a', 'b', 'c2'..'c9' and 'd'" */
static void put_known_keys(Buf *b, const OptionSpec *table, size_t n_table) {
        size_t items = 0, done = 0;

        for (size_t i = 0; i < n_table; i++)
                items += table[i].numbered >= 2 ? 2 : 1;
        for (size_t i = 0; i < n_table; i++) {
                for (int family = 0; family < (table[i].numbered >= 2 ? 2 : 1); family++) {
                        if (done > 0)
                                buf_puts(b, done + 1 == items ? " and " : ", ");
                        if (family)
                                buf_printf(b, "'%s2'..'%s%u'", table[i].key, table[i].key,
                                           table[i].numbered);
                        else
                                buf_printf(b, "'%s'", table[i].key);
                        done++;
                }
        }
}

static int unknown_key(const OptionSpec *table, size_t n_table, const char *carrier,
                       const char *key, char *err, size_t errlen) {
        _cleanup_(buf_freep) Buf known = {};

        put_known_keys(&known, table, n_table);
        if (known.oom)
                return -ENOMEM;
        snprintf(err, errlen, "unknown option '%s' for the %s carrier (it knows %s)", key,
                 carrier, known.data ? known.data : "nothing");
        return -EINVAL;
}

/* "a, b or c" */
static void put_choices(Buf *b, const char *const *values) {
        for (size_t i = 0; values[i]; i++) {
                if (i > 0)
                        buf_puts(b, values[i + 1] ? ", " : " or ");
                buf_puts(b, values[i]);
        }
}

static int bad_value(const OptionSpec *spec, const char *key, char *err, size_t errlen) {
        _cleanup_(buf_freep) Buf what = {};

        switch (spec->kind) {
        case OPTION_BOOL:
                buf_puts(&what, "true or false");
                break;
        case OPTION_ENUM:
                put_choices(&what, spec->values);
                break;
        case OPTION_LONG:
                if (!spec->help)
                        buf_printf(&what, "a whole number from %ld to %ld", spec->min, spec->max);
                break;
        default:
                break;
        }
        if (what.oom)
                return -ENOMEM;
        snprintf(err, errlen, "option '%s' must be %s", key,
                 what.data ? what.data : spec->help ? spec->help : "something else");
        return -EINVAL;
}

static int set_string(const OptionSpec *spec, const char *key, const char *value, void *state,
                      char *err, size_t errlen) {
        char **field = field_of(spec, state), *copy;

        if ((spec->flags & OPTION_NO_CONTROL) && option_value_has_control(value)) {
                snprintf(err, errlen, "option '%s' has a control character", key);
                return -EINVAL;
        }
        if (spec->valid && !spec->valid(value))
                return bad_value(spec, key, err, errlen);
        if (spec->kind == OPTION_FILE && access(value, R_OK) < 0) {
                snprintf(err, errlen, "option '%s': cannot read '%s': %s", key, value,
                         strerror(errno));
                return -EINVAL;
        }
        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        string_free(*field);
        *field = copy;
        return 0;
}

static int parse_long(const char *v, long min, long max, long *ret) {
        char *e;
        long n;

        errno = 0;
        n = strtol(v, &e, 10);
        if (errno || e == v || *e || n < min || n > max)
                return -EINVAL;
        *ret = n;
        return 0;
}

static int option_set(const OptionSpec *spec, const char *key, const char *value, void *state,
                      char *err, size_t errlen) {
        void *field = field_of(spec, state);
        int r;

        switch (spec->kind) {
        case OPTION_STRING:
        case OPTION_SECRET:
        case OPTION_FILE:
                return set_string(spec, key, value, state, err, errlen);
        case OPTION_BOOL:
                if (!streq(value, "true") && !streq(value, "false"))
                        return bad_value(spec, key, err, errlen);
                *(bool *) field = streq(value, "true");
                return 0;
        case OPTION_LONG:
                if (parse_long(value, spec->min, spec->max, field) < 0)
                        return bad_value(spec, key, err, errlen);
                return 0;
        case OPTION_ENUM:
                for (int i = 0; spec->values[i]; i++)
                        if (streq(value, spec->values[i])) {
                                *(int *) field = i;
                                return 0;
                        }
                return bad_value(spec, key, err, errlen);
        case OPTION_CUSTOM:
                err[0] = 0;
                r = spec->parse(state, spec, key, value, err, errlen);
                if (r == -EINVAL && !err[0])
                        return bad_value(spec, key, err, errlen);
                return r;
        }
        return -EINVAL;
}

int options_parse(const OptionSpec *table, size_t n_table, const char *carrier,
                  const struct dunnd_option *options, size_t n_options, void *state,
                  char *err, size_t errlen) {
        int r;

        for (size_t i = 0; i < n_options; i++) {
                const OptionSpec *spec = NULL;

                for (size_t k = 0; k < n_table && !spec; k++)
                        if (spec_matches(&table[k], options[i].key))
                                spec = &table[k];
                if (!spec)
                        return unknown_key(table, n_table, carrier, options[i].key, err, errlen);
                r = option_set(spec, options[i].key, options[i].value, state, err, errlen);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < n_table; k++) {
                const char *const *field;

                if (!(table[k].flags & OPTION_REQUIRED) || !is_string_kind(table[k].kind))
                        continue;
                field = field_of(&table[k], state);
                if (isempty(*field)) {
                        snprintf(err, errlen, "the %s carrier needs '%s'%s%s", carrier,
                                 table[k].key, table[k].missing ? " " : "",
                                 strempty(table[k].missing));
                        return -EINVAL;
                }
        }
        return 0;
}

void options_free(const OptionSpec *table, size_t n_table, void *state) {
        for (size_t k = 0; k < n_table; k++)
                if (is_string_kind(table[k].kind)) {
                        char **field = field_of(&table[k], state);

                        string_free(*field);
                        *field = NULL;
                }
}
