/* SPDX-License-Identifier: MIT */

/* Calendar expressions in systemd's OnCalendar= syntax. Our own implementation, written against
 * systemd.time(7) and checked against the output of `systemd-analyze calendar`: parsing,
 * normalization and validity rules, the normalized text form and the next-elapse search follow what
 * systemd does, so that an expression an operator has tried with systemd-analyze behaves the same
 * here. See calendar.h for the API. */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "calendar.h"
#include "macro.h"
#include "tz.h"

/* systemd's limits: years outside this range are rejected, and the search for the next elapse
 * gives up once it passes MAX_YEAR, which bounds the search for impossible dates like *-02-30. */
#define MIN_YEAR 1970
#define MAX_YEAR 2199
/* Upper bound on the elements of one list ("1,2,3,..."), as systemd has, so a hostile input cannot
 * make us allocate without limit. */
#define COMPONENTS_MAX 240
#define WEEKDAYS_ALL 0x7f

typedef struct CalendarComponent {
        int start;
        int stop;       /* -1: no range */
        int repeat;     /* 0: no repetition */
} CalendarComponent;

/* An empty chain is '*'. The seconds chain counts in µs. */
typedef struct Chain {
        CalendarComponent *items;
        size_t n;
} Chain;

struct CalendarSpec {
        int weekdays_bits;      /* bit 0 = Monday; -1 = any day */
        bool end_of_month;      /* the day chain counts from the end of the month ('~') */
        bool utc;
        char *timezone;
        Chain year, month, day, hour, minute, usec;
};

typedef struct Parser {
        char *err;
        size_t errlen;
        bool failed;
} Parser;

_printf_(2, 3)
static int fail(Parser *P, const char *fmt, ...) {
        va_list ap;

        /* The first, innermost failure is the most precise one; keep it. */
        if (P->failed)
                return -EINVAL;
        P->failed = true;
        if (P->err && P->errlen > 0) {
                va_start(ap, fmt);
                (void) vsnprintf(P->err, P->errlen, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* The token at p for error messages: up to the next separator, at most 32 characters. */
static const char *token(const char *p, char buf[static 40]) {
        size_t n = strcspn(p, " ,:~");

        if (n == 0)
                n = strlen(p);
        if (n > 32)
                n = 32;
        memcpy(buf, p, n);
        buf[n] = 0;
        if (n == 0)
                strcpy(buf, "(end)");
        return buf;
}

static void chain_done(Chain *c) {
        free(c->items);
        *c = (Chain) {};
}

static int chain_add(Chain *c, int start, int stop, int repeat) {
        CalendarComponent *n;

        n = reallocarray(c->items, c->n + 1, sizeof(CalendarComponent));
        if (!n)
                return -ENOMEM;
        c->items = n;
        c->items[c->n++] = (CalendarComponent) { .start = start, .stop = stop, .repeat = repeat };
        return 0;
}

CalendarSpec *calendar_spec_free(CalendarSpec *c) {
        if (!c)
                return NULL;
        chain_done(&c->year);
        chain_done(&c->month);
        chain_done(&c->day);
        chain_done(&c->hour);
        chain_done(&c->minute);
        chain_done(&c->usec);
        free(c->timezone);
        free(c);
        return NULL;
}

const char *calendar_spec_timezone(const CalendarSpec *c) {
        if (!c)
                return NULL;
        return c->utc ? "UTC" : c->timezone;
}

/* A decimal number; for the seconds field (usec) it may have a fraction of up to 6 digits (more are
 * rounded) and is returned in µs. ".." after the integer part is a range, not a fraction. */
static int parse_number(Parser *P, const char **p, bool usec, const char *what, int *ret) {
        unsigned long long v;
        const char *e = *p;
        char buf[40];

        if (*e == 0)
                return fail(P, "expected a number for the %s at the end", what);
        if (!isdigit((unsigned char) *e))
                return fail(P, "expected a number for the %s at '%s'", what, token(e, buf));

        v = 0;
        for (; isdigit((unsigned char) *e); e++) {
                v = v * 10 + (unsigned) (*e - '0');
                if (v > INT_MAX)
                        return fail(P, "%s value '%s' too large", what, token(*p, buf));
        }

        if (usec) {
                v *= USEC_PER_SEC;

                if (e[0] == '.' && e[1] != '.') {
                        unsigned frac = 0;
                        size_t i;

                        e++;
                        if (!isdigit((unsigned char) *e))
                                return fail(P, "expected digits after the decimal point in '%s'",
                                            token(*p, buf));
                        for (i = 0; i < 6; i++) {
                                frac *= 10;
                                if (isdigit((unsigned char) *e))
                                        frac += (unsigned) (*e++ - '0');
                        }
                        if (*e >= '5' && *e <= '9')
                                frac++;
                        while (isdigit((unsigned char) *e))
                                e++;
                        v += frac;
                }

                if (v > INT_MAX)
                        return fail(P, "%s value '%s' too large", what, token(*p, buf));
        }

        *p = e;
        *ret = (int) v;
        return 0;
}

/* One list element: VALUE, VALUE..VALUE, either optionally followed by /REPEAT. */
static int parse_component(Parser *P, const char **p, bool usec, const char *what, Chain *c) {
        int start, stop = -1, repeat = 0, r;
        const char *e = *p;
        char buf[40];

        r = parse_number(P, &e, usec, what, &start);
        if (r < 0)
                return r;

        if (e[0] == '.' && e[1] == '.') {
                e += 2;
                r = parse_number(P, &e, usec, what, &stop);
                if (r < 0)
                        return r;
                repeat = usec ? (int) USEC_PER_SEC : 1;
        }

        if (*e == '/') {
                e++;
                r = parse_number(P, &e, usec, what, &repeat);
                if (r < 0)
                        return r;
                if (repeat == 0)
                        return fail(P, "%s repetition must not be zero", what);
        } else {
                if (start > INT_MAX - repeat)
                        return fail(P, "%s value too large", what);
                /* A seconds range without explicit step repeats every second, so it must span one. */
                if (usec && stop >= 0 && start + repeat > stop)
                        return fail(P, "%s range '%.*s' is shorter than one second",
                                    what, (int) (e - *p), *p);
        }

        if (!strchr(" ,-~:", *e))     /* also matches the terminating NUL */
                return fail(P, "unexpected '%s' in the %s", token(e, buf), what);

        if (c->n >= COMPONENTS_MAX)
                return fail(P, "too many %s values", what);
        r = chain_add(c, start, stop, repeat);
        if (r < 0)
                return r;

        *p = e;
        return 0;
}

static int parse_chain(Parser *P, const char **p, bool usec, const char *what, Chain *c) {
        int r;

        if (**p == '*') {
                (*p)++;
                /* '*' for the seconds means every full second. */
                return usec ? chain_add(c, 0, -1, (int) USEC_PER_SEC) : 0;
        }

        for (;;) {
                r = parse_component(P, p, usec, what, c);
                if (r < 0)
                        return r;
                if (**p != ',')
                        return 0;
                (*p)++;
        }
}

static int parse_weekdays(Parser *P, const char **p, CalendarSpec *c) {
        static const struct {
                const char *name;
                int nr;
        } days[] = {
                /* Long names first, so that "Monday" is not taken as "Mon" followed by "day". */
                { "Monday", 0 }, { "Mon", 0 },
                { "Tuesday", 1 }, { "Tue", 1 },
                { "Wednesday", 2 }, { "Wed", 2 },
                { "Thursday", 3 }, { "Thu", 3 },
                { "Friday", 4 }, { "Fri", 4 },
                { "Saturday", 5 }, { "Sat", 5 },
                { "Sunday", 6 }, { "Sun", 6 },
        };
        bool first = true;
        int range_from = -1;
        char buf[40];

        for (;;) {
                size_t i, len = 0;

                for (i = 0; i < ELEMENTSOF(days); i++) {
                        len = strlen(days[i].name);
                        if (strncasecmp(*p, days[i].name, len) == 0)
                                break;
                }
                if (i >= ELEMENTSOF(days)) {
                        /* No weekday at all: the expression starts with the date. */
                        if (first)
                                return 0;
                        return fail(P, "invalid weekday '%s'", token(*p, buf));
                }
                if (!strchr("-., ", (*p)[len]))
                        return fail(P, "invalid weekday '%s'", token(*p, buf));

                c->weekdays_bits |= 1 << days[i].nr;
                if (range_from >= 0) {
                        if (range_from > days[i].nr)
                                return fail(P, "weekday range ends before it starts at '%s'",
                                            token(*p, buf));
                        for (int j = range_from + 1; j < days[i].nr; j++)
                                c->weekdays_bits |= 1 << j;
                }
                *p += len;

                if (**p == 0)
                        return 0;
                if (**p == ' ') {
                        *p += strspn(*p, " ");
                        return 0;
                }

                if (**p == '.') {
                        if (range_from >= 0 || (*p)[1] != '.')
                                return fail(P, "invalid weekday range at '%s'", token(*p, buf));
                        range_from = days[i].nr;
                        *p += 2;
                } else if (**p == '-') {
                        /* "Mon-Fri" is the old spelling of "Mon..Fri". */
                        if (range_from >= 0)
                                return fail(P, "invalid weekday range at '%s'", token(*p, buf));
                        range_from = days[i].nr;
                        *p += 1;
                } else if (**p == ',') {
                        range_from = -1;
                        *p += 1;
                }

                /* A trailing comma is fine, an open range is not. */
                if (**p == 0 || **p == ' ') {
                        *p += strspn(*p, " ");
                        if (range_from >= 0)
                                return fail(P, "weekday range without end");
                        return 0;
                }

                first = false;
        }
}

static int spec_from_time(Parser *P, CalendarSpec *c, unsigned long long secs) {
        struct tm tm;
        time_t t;
        int r;

        if (secs > (unsigned long long) INT64_MAX / 2)
                return fail(P, "timestamp out of range");
        t = (time_t) secs;
        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > MAX_YEAR)
                return fail(P, "timestamp out of range");

        if ((r = chain_add(&c->year, tm.tm_year + 1900, -1, 0)) < 0 ||
            (r = chain_add(&c->month, tm.tm_mon + 1, -1, 0)) < 0 ||
            (r = chain_add(&c->day, tm.tm_mday, -1, 0)) < 0 ||
            (r = chain_add(&c->hour, tm.tm_hour, -1, 0)) < 0 ||
            (r = chain_add(&c->minute, tm.tm_min, -1, 0)) < 0 ||
            (r = chain_add(&c->usec, tm.tm_sec * (int) USEC_PER_SEC, -1, 0)) < 0)
                return r;
        c->utc = true;
        return 0;
}

/* Returns 1 when the date was an @TIMESTAMP that also fixes the time, 0 otherwise. */
static int parse_date(Parser *P, const char **p, CalendarSpec *c) {
        Chain first = {}, second = {}, third = {};
        const char *t = *p;
        char buf[40];
        int r;

        if (*t == 0)
                return 0;

        if (*t == '@') {
                unsigned long long v = 0;

                t++;
                if (!isdigit((unsigned char) *t))
                        return fail(P, "expected seconds after '@'");
                for (; isdigit((unsigned char) *t); t++) {
                        if (v > (ULLONG_MAX - 9) / 10)
                                return fail(P, "timestamp out of range");
                        v = v * 10 + (unsigned) (*t - '0');
                }
                r = spec_from_time(P, c, v);
                if (r < 0)
                        return r;
                *p = t;
                return 1;
        }

        r = parse_chain(P, &t, false, "year or month", &first);
        if (r < 0)
                goto finish;

        /* A single field followed by ':' or nothing was the hour: there is no date. */
        if (*t == 0 || *t == ':') {
                r = 0;
                goto finish;
        }

        if (*t == '~')
                c->end_of_month = true;
        else if (*t != '-') {
                r = fail(P, "unexpected '%s' in the date", token(t, buf));
                goto finish;
        }
        t++;

        r = parse_chain(P, &t, false, "month or day", &second);
        if (r < 0)
                goto finish;

        if (*t == 0 || *t == ' ') {
                /* MONTH-DAY */
                *p = t + strspn(t, " ");
                c->month = first;
                c->day = second;
                return 0;
        }
        if (c->end_of_month) {
                r = fail(P, "'~' must separate month and day");
                goto finish;
        }

        if (*t == '~')
                c->end_of_month = true;
        else if (*t != '-') {
                r = fail(P, "unexpected '%s' in the date", token(t, buf));
                goto finish;
        }
        t++;

        r = parse_chain(P, &t, false, "day", &third);
        if (r < 0)
                goto finish;
        if (*t != 0 && *t != ' ') {
                r = fail(P, "unexpected '%s' after the date", token(t, buf));
                goto finish;
        }

        *p = t + strspn(t, " ");
        c->year = first;
        c->month = second;
        c->day = third;
        return 0;

finish:
        chain_done(&first);
        chain_done(&second);
        chain_done(&third);
        return r;
}

static int parse_time(Parser *P, const char **p, CalendarSpec *c) {
        const char *t = *p;
        char buf[40];
        int r;

        /* No time at all means midnight. */
        if (*t == 0) {
                if ((r = chain_add(&c->hour, 0, -1, 0)) < 0 ||
                    (r = chain_add(&c->minute, 0, -1, 0)) < 0 ||
                    (r = chain_add(&c->usec, 0, -1, 0)) < 0)
                        return r;
                return 0;
        }

        r = parse_chain(P, &t, false, "hour", &c->hour);
        if (r < 0)
                return r;
        if (*t != ':')
                return fail(P, "expected ':' after the hour at '%s'", token(t, buf));
        t++;

        r = parse_chain(P, &t, false, "minute", &c->minute);
        if (r < 0)
                return r;
        if (*t == 0) {
                /* HH:MM means second 0. */
                *p = t;
                return chain_add(&c->usec, 0, -1, 0);
        }
        if (*t != ':')
                return fail(P, "unexpected '%s' after the minute", token(t, buf));
        t++;

        r = parse_chain(P, &t, true, "second", &c->usec);
        if (r < 0)
                return r;
        if (*t != 0)
                return fail(P, "unexpected '%s' after the time", token(t, buf));

        *p = t;
        return 0;
}

static const char *shorthand_expansion(const char *p) {
        static const struct {
                const char *name;
                const char *expansion;
        } table[] = {
                { "minutely", "*-*-* *:*:00" },
                { "hourly", "*-*-* *:00:00" },
                { "daily", "*-*-* 00:00:00" },
                { "monthly", "*-*-01 00:00:00" },
                { "weekly", "Mon *-*-* 00:00:00" },
                { "yearly", "*-01-01 00:00:00" },
                { "annually", "*-01-01 00:00:00" },
                { "quarterly", "*-01,04,07,10-01 00:00:00" },
                { "semiannually", "*-01,07-01 00:00:00" },
                { "semi-annually", "*-01,07-01 00:00:00" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(p, table[i].name) == 0)
                        return table[i].expansion;
        return NULL;
}

/* Returns 1 when p was a shorthand ("daily") and c is filled in, 0 when it is none. */
static int parse_shorthand(const char *p, CalendarSpec *c) {
        const char *e = shorthand_expansion(p);
        Parser Q = {};
        int r;

        if (!e)
                return 0;

        /* The expansions are ordinary expressions; parse them like one. */
        r = parse_weekdays(&Q, &e, c);
        if (r >= 0)
                r = parse_date(&Q, &e, c);
        if (r >= 0)
                r = parse_time(&Q, &e, c);
        return r < 0 ? r : 1;
}

static int component_compare(const void *a, const void *b) {
        const CalendarComponent *x = a, *y = b;

        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->stop != y->stop)
                return x->stop < y->stop ? -1 : 1;
        if (x->repeat != y->repeat)
                return x->repeat < y->repeat ? -1 : 1;
        return 0;
}

static void normalize_chain(Chain *c) {
        size_t i, k;

        for (i = 0; i < c->n; i++) {
                CalendarComponent *x = c->items + i;

                /* Trim the range to the last value the repetition actually hits. */
                if (x->stop > x->start && x->repeat > 0)
                        x->stop -= (x->stop - x->start) % x->repeat;

                /* A range or repetition that cannot trigger a second time is a single value. */
                if ((x->stop > x->start && x->start + x->repeat > x->stop) || x->start == x->stop) {
                        x->repeat = 0;
                        x->stop = -1;
                }
        }

        if (c->n <= 1)
                return;

        qsort(c->items, c->n, sizeof(CalendarComponent), component_compare);
        for (i = 1, k = 1; i < c->n; i++)
                if (component_compare(c->items + i, c->items + k - 1) != 0)
                        c->items[k++] = c->items[i];
        c->n = k;
}

static void fix_year(Chain *c) {
        /* Two-digit years: 00..69 are 2000..2069, 70..99 are 1970..1999. */
        for (size_t i = 0; i < c->n; i++) {
                int *v[2] = { &c->items[i].start, &c->items[i].stop };

                for (size_t j = 0; j < 2; j++) {
                        if (*v[j] >= 0 && *v[j] < 70)
                                *v[j] += 2000;
                        else if (*v[j] >= 70 && *v[j] < 100)
                                *v[j] += 1900;
                }
        }
}

static int chain_validate(Parser *P, const Chain *c, const char *what, int from, int to, bool eom) {
        int d = streq(what, "second") ? (int) USEC_PER_SEC : 1;

        for (size_t i = 0; i < c->n; i++) {
                const CalendarComponent *x = c->items + i;
                int lim = to;

                /* systemd narrows the permitted range of counted-from-the-end days by 3 for every
                 * further list element (~3,25 is accepted, ~3,26 and ~1,2,23 are not); mirror it so
                 * that we accept exactly what it accepts. */
                if (eom)
                        lim = 28 - 3 * (int) (i < 10 ? i : 10);

                if (x->start < from || x->start > lim)
                        return fail(P, "%s %d out of range", what, x->start / d);
                if (x->stop >= 0 && (x->stop < from || x->stop > lim))
                        return fail(P, "%s %d out of range", what, x->stop / d);
                if (x->stop >= 0 && x->stop < x->start)
                        return fail(P, "%s range %d..%d ends before it starts", what,
                                    x->start / d, x->stop / d);
                if (x->repeat > lim - from ||
                    (x->repeat > 0 && !eom && x->start + x->repeat > lim) ||
                    (x->repeat > 0 && eom && x->stop < 0 && x->start - x->repeat < from))
                        return fail(P, "%s repetition %d/%d never repeats", what,
                                    x->start / d, x->repeat / d);
        }
        return 0;
}

static int spec_validate(Parser *P, const CalendarSpec *c) {
        int r;

        if ((r = chain_validate(P, &c->year, "year", MIN_YEAR, MAX_YEAR, false)) < 0 ||
            (r = chain_validate(P, &c->month, "month", 1, 12, false)) < 0 ||
            (r = chain_validate(P, &c->day, "day", 1, 31, c->end_of_month)) < 0 ||
            (r = chain_validate(P, &c->hour, "hour", 0, 23, false)) < 0 ||
            (r = chain_validate(P, &c->minute, "minute", 0, 59, false)) < 0 ||
            (r = chain_validate(P, &c->usec, "second", 0, 60 * (int) USEC_PER_SEC - 1, false)) < 0)
                return r;
        return 0;
}

static int spec_parse(Parser *P, const char *input, CalendarSpec *c) {
        _cleanup_free_ char *buf = NULL;
        const char *p, *last_space;
        char tok[40];
        size_t n;
        int r;

        if (!input || !*input)
                return fail(P, "empty expression");

        buf = strdup(input);
        if (!buf)
                return -ENOMEM;
        n = strlen(buf);

        /* The zone comes last: " UTC" in any case, or an IANA name. */
        if (n >= 4 && strcasecmp(buf + n - 4, " UTC") == 0) {
                c->utc = true;
                buf[n - 4] = 0;
        } else {
                last_space = strrchr(buf, ' ');
                if (last_space && tz_name_is_valid(last_space + 1)) {
                        c->timezone = strdup(last_space + 1);
                        if (!c->timezone)
                                return -ENOMEM;
                        buf[last_space - buf] = 0;
                } else if (last_space && isalpha((unsigned char) last_space[1]) &&
                           strchr(last_space + 1, '/'))
                        /* Looks like a zone name (unlike "*:0/15"), but is none we know. */
                        return fail(P, "unknown time zone '%s'", last_space + 1);
        }

        if (!*buf)
                return fail(P, "no date or time before the time zone");

        r = parse_shorthand(buf, c);
        if (r < 0)
                return r;
        if (r > 0)
                return 0;

        p = buf;
        r = parse_weekdays(P, &p, c);
        if (r < 0)
                return r;
        if (p == buf && isalpha((unsigned char) *p)) {
                _cleanup_free_ char *word = strndup(p, strcspn(p, " "));

                if (!word)
                        return -ENOMEM;
                if (shorthand_expansion(word))
                        return fail(P, "'%s' must stand alone (only a time zone may follow)", word);
                return fail(P, "invalid weekday '%s'", token(p, tok));
        }

        r = parse_date(P, &p, c);
        if (r < 0)
                return r;
        if (r == 0) {
                r = parse_time(P, &p, c);
                if (r < 0)
                        return r;
        }
        if (*p != 0)
                return fail(P, "unexpected '%s' at the end", token(p, tok));
        return 0;
}

int calendar_spec_from_string(const char *p, CalendarSpec **ret, char *err, size_t errlen) {
        Parser P = { .err = err, .errlen = errlen };
        CalendarSpec *c;
        int r;

        if (err && errlen > 0)
                *err = 0;
        if (!ret)
                return -EINVAL;

        c = calloc(1, sizeof(CalendarSpec));
        if (!c)
                return -ENOMEM;

        r = spec_parse(&P, p, c);
        if (r < 0)
                goto fail;

        if (c->weekdays_bits <= 0 || c->weekdays_bits >= WEEKDAYS_ALL)
                c->weekdays_bits = -1;
        if (c->end_of_month && c->day.n == 0)
                c->end_of_month = false;
        fix_year(&c->year);
        normalize_chain(&c->year);
        normalize_chain(&c->month);
        normalize_chain(&c->day);
        normalize_chain(&c->hour);
        normalize_chain(&c->minute);
        normalize_chain(&c->usec);

        r = spec_validate(&P, c);
        if (r < 0)
                goto fail;

        *ret = c;
        return 0;

fail:
        if (r == -ENOMEM && err && errlen > 0)
                (void) snprintf(err, errlen, "out of memory");
        calendar_spec_free(c);
        return r == -ENOMEM ? r : -EINVAL;
}

static void format_weekdays(FILE *f, int bits) {
        static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
        bool comma = false;
        int x = 0;

        /* Runs of three or more days are written as ranges, pairs as lists. */
        while (x < 7) {
                int y;

                if (!(bits & (1 << x))) {
                        x++;
                        continue;
                }
                for (y = x; y + 1 < 7 && (bits & (1 << (y + 1))); y++)
                        ;
                fprintf(f, "%s%s", comma ? "," : "", days[x]);
                if (y == x + 1)
                        fprintf(f, ",%s", days[y]);
                else if (y > x + 1)
                        fprintf(f, "..%s", days[y]);
                comma = true;
                x = y + 1;
        }
}

static void format_chain(FILE *f, int width, const Chain *c, bool usec) {
        int d = usec ? (int) USEC_PER_SEC : 1;

        if (c->n == 0 ||
            (usec && c->n == 1 && c->items[0].start == 0 && c->items[0].stop < 0 &&
             c->items[0].repeat == (int) USEC_PER_SEC)) {
                fputc('*', f);
                return;
        }

        for (size_t i = 0; i < c->n; i++) {
                const CalendarComponent *x = c->items + i;

                if (i > 0)
                        fputc(',', f);
                fprintf(f, "%0*d", width, x->start / d);
                if (x->start % d > 0)
                        fprintf(f, ".%06d", x->start % d);
                if (x->stop > 0) {
                        fprintf(f, "..%0*d", width, x->stop / d);
                        if (x->stop % d > 0)
                                fprintf(f, ".%06d", x->stop % d);
                }
                /* A plain range implies a step of one unit; only other steps are written. */
                if (x->repeat > 0 && !(x->stop > 0 && x->repeat == d)) {
                        fprintf(f, "/%d", x->repeat / d);
                        if (x->repeat % d > 0)
                                fprintf(f, ".%06d", x->repeat % d);
                }
        }
}

char *calendar_spec_to_string(const CalendarSpec *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!c)
                return NULL;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;

        if (c->weekdays_bits > 0 && c->weekdays_bits < WEEKDAYS_ALL) {
                format_weekdays(f, c->weekdays_bits);
                fputc(' ', f);
        }
        format_chain(f, 4, &c->year, false);
        fputc('-', f);
        format_chain(f, 2, &c->month, false);
        fputc(c->end_of_month ? '~' : '-', f);
        format_chain(f, 2, &c->day, false);
        fputc(' ', f);
        format_chain(f, 2, &c->hour, false);
        fputc(':', f);
        format_chain(f, 2, &c->minute, false);
        fputc(':', f);
        format_chain(f, 2, &c->usec, true);
        if (c->utc)
                fputs(" UTC", f);
        else if (c->timezone)
                fprintf(f, " %s", c->timezone);

        if (ferror(f)) {
                fclose(f);
                free(buf);
                return NULL;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* --- Time zone handling ---------------------------------------------------------------------------
 *
 * The search runs on broken-down local time of the spec's zone. glibc only converts in the zone
 * named by $TZ, so we point $TZ at that zone for the duration of one computation and put the
 * previous value back afterwards (and re-run tzset(), since localtime_r() does not notice a changed
 * $TZ by itself). This makes calls with different zones in one process independent of each other,
 * but it is not thread-safe: dunnd computes schedules from one thread. */

/* --- Wall-clock arithmetic ------------------------------------------------------------------------
 *
 * Rather than trusting mktime() to pick an instant for a local time that occurs twice or not at
 * all (glibc's choice depends on earlier calls), the instants are worked out explicitly from the
 * UTC offsets around that time. */

static bool to_wall(time_t t, bool utc, struct tm *ret) {
        return utc ? !!gmtime_r(&t, ret) : !!localtime_r(&t, ret);
}

static bool same_wall(const struct tm *a, const struct tm *b) {
        return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
                a->tm_hour == b->tm_hour && a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* Normalizes the fields of *w (mday 32 → next month etc.) and returns them as seconds as if the
 * wall clock were UTC. */
static time_t wall_seconds(struct tm *w) {
        w->tm_isdst = 0;
        return timegm(w);
}

/* The instants at which the wall clock shows w (already normalized, as seconds w0), earliest first:
 * none in a spring-forward gap, two in a fall-back overlap. */
static size_t wall_instants(const struct tm *w, time_t w0, bool utc, time_t out[3]) {
        static const time_t probes[] = { -2 * 86400, 0, 2 * 86400 };
        size_t n = 0;

        if (utc) {
                out[0] = w0;
                return 1;
        }

        /* Offsets are less than a day, so the ones in effect two days around w0 cover every
         * transition near it (zones do not change offset twice within a few days). */
        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                struct tm probe, check;
                time_t cand;
                size_t j;

                if (!localtime_r(&(time_t) { w0 + probes[i] }, &probe))
                        continue;
                cand = w0 - probe.tm_gmtoff;
                if (!localtime_r(&cand, &check) || !same_wall(&check, w))
                        continue;
                for (j = 0; j < n && out[j] != cand; j++)
                        ;
                if (j < n)
                        continue;
                /* Insert sorted. */
                for (j = n; j > 0 && out[j - 1] > cand; j--)
                        out[j] = out[j - 1];
                out[j] = cand;
                n++;
        }
        return n;
}

/* Whether the fields of t are in range and name a local time that exists. */
static bool wall_exists(const struct tm *t, bool utc) {
        struct tm w = *t;
        time_t w0, inst[3];

        if (t->tm_year + 1900 > MAX_YEAR)
                return false;
        w0 = wall_seconds(&w);
        if (!same_wall(&w, t))
                return false;
        return wall_instants(&w, w0, utc, inst) > 0;
}

/* Brings the fields of *t into range; a local time inside a gap moves forward by the gap's length
 * (02:30 on a spring-forward night becomes 03:30), as the clocks skip it. */
static void wall_normalize(struct tm *t, bool utc) {
        struct tm w = *t, before;
        time_t w0, inst[3];

        w0 = wall_seconds(&w);
        if (utc || wall_instants(&w, w0, utc, inst) > 0) {
                *t = w;
                return;
        }
        if (localtime_r(&(time_t) { w0 - 2 * 86400 }, &before) &&
            to_wall(w0 - before.tm_gmtoff, utc, t))
                return;
        *t = w;
}

static int days_in_month(int year, int mon0) {
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

        return mon0 == 1 && leap ? 29 : days[mon0];
}

/* Monday = 0. */
static int weekday(int year, int mon0, int mday) {
        static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
        int y = year - (mon0 < 2);
        int sunday0 = (y + y / 4 - y / 100 + y / 400 + t[mon0] + mday) % 7;

        return (sunday0 + 6) % 7;
}

/* The day of the month that '~day' names in the month of t, or -1 for none. */
static int end_of_month_day(const struct tm *t, int day) {
        int last = days_in_month(t->tm_year + 1900, t->tm_mon);

        if (day < 0 || day > last)
                return -1;
        return last + 1 - day;
}

/* Finds the earliest value >= *val that the chain matches. Returns 1 when *val changed, 0 when it
 * already matched, -ENOENT when nothing >= *val matches. */
static int chain_next(const Chain *c, bool eom, const struct tm *t, int *val) {
        bool found = false;
        int best = 0;

        if (c->n == 0)
                return 0;

        for (size_t i = 0; i < c->n; i++) {
                const CalendarComponent *x = c->items + i;
                int start = x->start, stop = x->stop;

                if (eom) {
                        /* Counted from the end, a range runs backwards: ~1..5 is last-4 .. last. */
                        start = end_of_month_day(t, x->start);
                        stop = end_of_month_day(t, x->stop);
                        if (stop > 0) {
                                int s = start;

                                start = stop;
                                stop = s;
                        }
                }

                if (start >= *val) {
                        if (!found || start < best) {
                                best = start;
                                found = true;
                        }
                } else if (x->repeat > 0) {
                        long long k = start + (long long) x->repeat *
                                ((*val - start + x->repeat - 1) / x->repeat);

                        if (k <= INT_MAX && (stop < 0 || k <= stop) && (!found || k < best)) {
                                best = (int) k;
                                found = true;
                        }
                }
        }

        if (!found)
                return -ENOENT;
        if (best == *val)
                return 0;
        *val = best;
        return 1;
}

/* Searches forward from the wall-clock time *t + *usec for the first time the spec matches, on
 * local time: a field that does not match moves to the next value that does and resets all finer
 * fields; a field without a further match carries into the next coarser one. Times that do not
 * exist locally are passed over.
 *
 * One quirk is reproduced on purpose, because systemd has it and schedules must agree with
 * `systemd-analyze calendar`: when a repetition steps a field past its range (minute 75 from
 * "*:0/25" at 23:50) and the next coarser field is at its own end too (hour 23, the last day of
 * the month, December), systemd does not restart the finer fields at their first value but lets
 * the overflow carry over (23:75 becomes 00:15 of the next day, so 00:00 is skipped and 00:25 is
 * next). Where only one field rolls over, the search restarts normally (22:75 → 23:00). */
static int find_next(const CalendarSpec *c, bool utc, struct tm *ret, int *ret_usec) {
        struct tm t = *ret;
        int usec = *ret_usec, v, r;

        for (;;) {
                wall_normalize(&t, utc);
                if (t.tm_year + 1900 > MAX_YEAR)
                        return -ENOENT;

                v = t.tm_year + 1900;
                r = chain_next(&c->year, false, &t, &v);
                if (r < 0)
                        return -ENOENT;
                if (r > 0) {
                        t.tm_year = v - 1900;
                        t.tm_mon = 0;
                        t.tm_mday = 1;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                }
                if (!wall_exists(&t, utc))
                        return -ENOENT;

                v = t.tm_mon + 1;
                r = chain_next(&c->month, false, &t, &v);
                if (r > 0) {
                        t.tm_mon = v - 1;
                        t.tm_mday = 1;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                }
                if (r < 0 || !wall_exists(&t, utc)) {
                        t.tm_year++;
                        t.tm_mon = 0;
                        t.tm_mday = 1;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                        continue;
                }

                v = t.tm_mday;
                r = chain_next(&c->day, c->end_of_month, &t, &v);
                if (r > 0) {
                        t.tm_mday = v;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                        if (v > days_in_month(t.tm_year + 1900, t.tm_mon) && t.tm_mon == 11)
                                continue; /* carry, see below */
                }
                if (r < 0 || !wall_exists(&t, utc)) {
                        t.tm_mon++;
                        t.tm_mday = 1;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                        continue;
                }

                if (c->weekdays_bits > 0 &&
                    !(c->weekdays_bits & (1 << weekday(t.tm_year + 1900, t.tm_mon, t.tm_mday)))) {
                        t.tm_mday++;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                        continue;
                }

                v = t.tm_hour;
                r = chain_next(&c->hour, false, &t, &v);
                if (r > 0) {
                        t.tm_hour = v;
                        t.tm_min = t.tm_sec = usec = 0;
                        if (v > 23 && t.tm_mday >= days_in_month(t.tm_year + 1900, t.tm_mon))
                                continue;
                        /* An hour inside a spring-forward gap: like systemd, go on from the end of
                         * the gap on the same day (02:00 → 03:00, so "2/10:11" elapses at 12:11),
                         * rather than giving up on the day. */
                        if (v <= 23 && !wall_exists(&t, utc))
                                continue;
                }
                if (r < 0 || !wall_exists(&t, utc)) {
                        t.tm_mday++;
                        t.tm_hour = t.tm_min = t.tm_sec = usec = 0;
                        continue;
                }

                v = t.tm_min;
                r = chain_next(&c->minute, false, &t, &v);
                if (r > 0) {
                        t.tm_min = v;
                        t.tm_sec = usec = 0;
                        if (v > 59 && t.tm_hour >= 23)
                                continue;
                }
                if (r < 0 || !wall_exists(&t, utc)) {
                        t.tm_hour++;
                        t.tm_min = t.tm_sec = usec = 0;
                        continue;
                }

                v = t.tm_sec * (int) USEC_PER_SEC + usec;
                r = chain_next(&c->usec, false, &t, &v);
                if (r >= 0) {
                        t.tm_sec = v / (int) USEC_PER_SEC;
                        usec = v % (int) USEC_PER_SEC;
                        if (t.tm_sec > 59 && t.tm_min >= 59)
                                continue;
                }
                if (r < 0 || !wall_exists(&t, utc)) {
                        t.tm_min++;
                        t.tm_sec = usec = 0;
                        continue;
                }

                *ret = t;
                *ret_usec = usec;
                return 0;
        }
}

/* Anything after this cannot match: the latest possible elapse is in MAX_YEAR, and no zone is more
 * than a day away from UTC. Also keeps the arithmetic below far from overflow. */
#define AFTER_MAX ((usec_t) 7258204800ULL * USEC_PER_SEC) /* 2200-01-02 00:00:00 UTC */

static int next_in_zone(const CalendarSpec *c, usec_t after, usec_t *ret) {
        usec_t from = after + 1;
        struct tm t;
        int usec, r;

        if (!to_wall((time_t) (from / USEC_PER_SEC), c->utc, &t))
                return -ENOENT;
        usec = (int) (from % USEC_PER_SEC);

        for (;;) {
                struct tm w;
                time_t w0, inst[3];
                size_t n;

                t.tm_isdst = -1;
                r = find_next(c, c->utc, &t, &usec);
                if (r < 0)
                        return r;

                /* A time that occurs twice elapses at the first instant after `after`: normally the
                 * first of the two, the second one only when we start in between. Since the search
                 * moves forward on the wall clock, the repeated hour is not visited again. */
                w = t;
                w0 = wall_seconds(&w);
                n = wall_instants(&w, w0, c->utc, inst);
                for (size_t i = 0; i < n; i++) {
                        usec_t u;

                        if (inst[i] < 0)
                                continue;
                        u = (usec_t) inst[i] * USEC_PER_SEC + (usec_t) usec;
                        if (u > after) {
                                *ret = u;
                                return 0;
                        }
                }

                /* Only reachable around odd offset changes; continue after this wall time. */
                t.tm_sec++;
                usec = 0;
        }
}

int calendar_spec_next_usec(const CalendarSpec *c, usec_t after, const char *default_tz,
                            usec_t *ret_next) {
        const char *zone;
        TzSwitch z;
        usec_t next = 0;
        int r;

        if (!c)
                return -EINVAL;
        if (after >= AFTER_MAX)
                return -ENOENT;

        zone = c->utc ? NULL : c->timezone ? c->timezone : default_tz;
        if (zone && !c->timezone && !tz_name_is_valid(zone))
                return -EINVAL;

        r = tz_enter(&z, zone);
        if (r < 0)
                return r;
        r = next_in_zone(c, after, &next);
        tz_leave(&z);
        if (r < 0)
                return r;

        if (ret_next)
                *ret_next = next;
        return 0;
}
