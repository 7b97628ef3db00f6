/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A carrier's options, parsed by table. The host hands open() the carrier's config section
 * as key/value strings (struct dunnd_option); a plugin describes what it takes in a table
 * of OptionSpec, and options_parse() fills its state struct from them. So every plugin
 * names an unknown key, a missing one and a bad value in the same words:
 *
 *   unknown option 'colour' for the smtp carrier (it knows 'url', 'tls', ... and 'from')
 *   the kannel carrier needs 'password' (or password_credential)
 *   option 'validity' must be minutes, 1-10080
 *   option 'require_tls' must be true or false
 *
 * Checks that involve several options (a URL's scheme against require_tls, username and
 * password together) stay in the plugin, after options_parse().
 */

#include <stdbool.h>
#include <stddef.h>

#include "dunnd-carrier.h"

typedef enum OptionKind {
        OPTION_STRING,  /* char *, a copy */
        OPTION_SECRET,  /* char *, a copy wiped when replaced or freed (passwords, bodies) */
        OPTION_FILE,    /* char *, a path that must be readable now (a CA bundle) */
        OPTION_BOOL,    /* bool, "true" or "false" */
        OPTION_LONG,    /* long, a whole number from min to max */
        OPTION_ENUM,    /* int, the index of the value in values[] */
        OPTION_CUSTOM,  /* parse() does it */
} OptionKind;

/* The option must be there and not empty (string kinds). */
#define OPTION_REQUIRED (1u << 0)
/* The value may hold no control character: it goes into a header line. */
#define OPTION_NO_CONTROL (1u << 1)

typedef struct OptionSpec OptionSpec;
struct OptionSpec {
        const char *key;
        OptionKind kind;
        size_t offset;                  /* of the field in the state struct (offsetof) */
        unsigned flags;
        long min, max;                  /* OPTION_LONG */
        const char *const *values;      /* OPTION_ENUM, NULL-terminated */
        unsigned numbered;              /* 2-9: key2 .. key<numbered> are this option too */
        /* string kinds: what a value must satisfy */
        bool (*valid)(const char *value);
        /* OPTION_CUSTOM: returns 0, -ENOMEM, or -EINVAL (err may say why, else help does) */
        int (*parse)(void *state, const OptionSpec *spec, const char *key, const char *value,
                     char *err, size_t errlen);
        const char *help;               /* what a value must be: "minutes, 1-10080" */
        const char *missing;            /* after "needs 'key'": "(or password_credential)" */
};

/*
 * Sets the fields of state that options name (the others keep what the caller put there:
 * the defaults). Returns 0, or -EINVAL with err saying which option is wrong and why (a
 * secret's value is never quoted), or -ENOMEM. On failure state may hold some values:
 * options_free() them.
 */
int options_parse(const OptionSpec *table, size_t n_table, const char *carrier,
                  const struct dunnd_option *options, size_t n_options, void *state,
                  char *err, size_t errlen);

/* Frees (secrets wiped) the string fields of the table's options; custom fields are the
 * plugin's. */
void options_free(const OptionSpec *table, size_t n_table, void *state);

/* Whether v holds a control character (a CR or LF in a header value starts another). */
bool option_value_has_control(const char *v);
