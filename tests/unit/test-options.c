/* SPDX-License-Identifier: MIT */

/* lib/options: a carrier's options by table, and the words its errors use. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "options.h"

struct state {
        char *url, *password, *ca, *id;
        bool tls;
        long validity;
        int mode;
        int n_extra;
};

static const char *const modes[] = { "fast", "slow", "off", NULL };

static bool no_spaces(const char *v) {
        return !strchr(v, ' ');
}

static int parse_extra(void *state, const OptionSpec *spec, const char *key, const char *value,
                       char *err, size_t errlen) {
        struct state *s = state;

        (void) spec;
        if (streq(value, "full")) {
                snprintf(err, errlen, "'%s' is full", key);
                return -EINVAL;
        }
        if (!streq(value, "ok"))
                return -EINVAL;
        s->n_extra++;
        return 0;
}

#define FIELD(f) .offset = offsetof(struct state, f)

static const OptionSpec table[] = {
        { .key = "url", .kind = OPTION_STRING, FIELD(url), .flags = OPTION_REQUIRED },
        { .key = "password", .kind = OPTION_SECRET, FIELD(password),
          .flags = OPTION_REQUIRED | OPTION_NO_CONTROL, .missing = "(or password_credential)" },
        { .key = "ca_file", .kind = OPTION_FILE, FIELD(ca) },
        { .key = "id", .kind = OPTION_STRING, FIELD(id), .valid = no_spaces,
          .help = "a word without spaces" },
        { .key = "tls", .kind = OPTION_BOOL, FIELD(tls) },
        { .key = "validity", .kind = OPTION_LONG, FIELD(validity), .min = 1, .max = 10080,
          .help = "minutes, 1-10080" },
        { .key = "retries", .kind = OPTION_LONG, FIELD(validity), .min = 0, .max = 9 },
        { .key = "mode", .kind = OPTION_ENUM, FIELD(mode), .values = modes },
        { .key = "extra", .kind = OPTION_CUSTOM, .numbered = 3, .parse = parse_extra,
          .help = "ok" },
};

/* Parses key, value, ... NULL into a fresh state with defaults; returns the error text. */
static int parse(struct state *s, char err[512], ...) {
        struct dunnd_option o[16];
        size_t n = 0;
        va_list ap;

        *s = (struct state) { .validity = 60, .mode = 1 };
        va_start(ap, err);
        for (const char *k; (k = va_arg(ap, const char *)) && n < 16; n++)
                o[n] = (struct dunnd_option) { k, va_arg(ap, const char *) };
        va_end(ap);
        err[0] = 0;
        return options_parse(table, ELEMENTSOF(table), "test", o, n, s, err, 512);
}

#define BASE "url", "https://x", "password", "pw"

static void test_values(void **state) {
        struct state s;
        char err[512];

        (void) state;
        assert_int_equal(parse(&s, err, BASE, "ca_file", "/dev/null", "id", "a-1", "tls", "true",
                               "validity", "1440", "mode", "off", "extra", "ok", "extra3", "ok",
                               NULL), 0);
        assert_string_equal(s.url, "https://x");
        assert_string_equal(s.password, "pw");
        assert_string_equal(s.ca, "/dev/null");
        assert_string_equal(s.id, "a-1");
        assert_true(s.tls);
        assert_int_equal(s.validity, 1440);
        assert_int_equal(s.mode, 2);
        assert_int_equal(s.n_extra, 2);
        options_free(table, ELEMENTSOF(table), &s);
        assert_null(s.url);
        assert_null(s.password);

        /* defaults stay; a repeated key replaces the value */
        assert_int_equal(parse(&s, err, BASE, "url", "https://y", NULL), 0);
        assert_string_equal(s.url, "https://y");
        assert_int_equal(s.validity, 60);
        assert_int_equal(s.mode, 1);
        assert_false(s.tls);
        options_free(table, ELEMENTSOF(table), &s);

        /* no options at all */
        s = (struct state) {};
        assert_int_equal(options_parse(table, ELEMENTSOF(table), "test", NULL, 0, &s, err, 512),
                         -EINVAL);
        assert_string_equal(err, "the test carrier needs 'url'");
}

static void expect(int r, const char *err, const char *want, struct state *s) {
        assert_int_equal(r, -EINVAL);
        assert_string_equal(err, want);
        options_free(table, ELEMENTSOF(table), s);
}

static void test_errors(void **state) {
        struct state s;
        char err[512];

        (void) state;
        expect(parse(&s, err, BASE, "colour", "red", NULL), err,
               "unknown option 'colour' for the test carrier (it knows 'url', 'password', "
               "'ca_file', 'id', 'tls', 'validity', 'retries', 'mode', 'extra' and "
               "'extra2'..'extra3')", &s);
        /* a family has no member beyond its last, nor a first with a number */
        expect(parse(&s, err, BASE, "extra4", "ok", NULL), err,
               "unknown option 'extra4' for the test carrier (it knows 'url', 'password', "
               "'ca_file', 'id', 'tls', 'validity', 'retries', 'mode', 'extra' and "
               "'extra2'..'extra3')", &s);
        assert_int_equal(parse(&s, err, BASE, "extra1", "ok", NULL), -EINVAL);
        options_free(table, ELEMENTSOF(table), &s);
        expect(parse(&s, err, "url", "https://x", NULL), err,
               "the test carrier needs 'password' (or password_credential)", &s);
        expect(parse(&s, err, "url", "", "password", "pw", NULL), err,
               "the test carrier needs 'url'", &s);
        /* a secret's value is never quoted */
        expect(parse(&s, err, "url", "https://x", "password", "s3cret\r\n", NULL), err,
               "option 'password' has a control character", &s);
        expect(parse(&s, err, BASE, "ca_file", "/nonexistent/ca.pem", NULL), err,
               "option 'ca_file': cannot read '/nonexistent/ca.pem': No such file or directory",
               &s);
        expect(parse(&s, err, BASE, "id", "a b", NULL), err,
               "option 'id' must be a word without spaces", &s);
        expect(parse(&s, err, BASE, "tls", "yes", NULL), err,
               "option 'tls' must be true or false", &s);
        expect(parse(&s, err, BASE, "validity", "0", NULL), err,
               "option 'validity' must be minutes, 1-10080", &s);
        expect(parse(&s, err, BASE, "validity", "12x", NULL), err,
               "option 'validity' must be minutes, 1-10080", &s);
        expect(parse(&s, err, BASE, "retries", "99999999999999999999", NULL), err,
               "option 'retries' must be a whole number from 0 to 9", &s);
        expect(parse(&s, err, BASE, "mode", "Fast", NULL), err,
               "option 'mode' must be fast, slow or off", &s);
        /* a custom parser's own words, else the help */
        expect(parse(&s, err, BASE, "extra2", "full", NULL), err, "'extra2' is full", &s);
        expect(parse(&s, err, BASE, "extra", "bad", NULL), err, "option 'extra' must be ok", &s);
}

static void test_has_control(void **state) {
        (void) state;
        assert_false(option_value_has_control("X-A: 1 尊敬的"));
        assert_true(option_value_has_control("1\r\nX-B: 2"));
        assert_true(option_value_has_control("\t"));
        assert_true(option_value_has_control("\x7f"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_has_control),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
