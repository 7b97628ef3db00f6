/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "holiday.h"
#include "log.h"
#include "timeutil.h"
#include "variant.h"

#define DEFAULT_DATABASE "/var/lib/dunnd/dunnd.db"
#define DEFAULT_TIMEZONE "Asia/Shanghai"
#define DEFAULT_CATCH_UP_SEC 86400
/* long enough for a weekend between the preparation and the staff member who approves */
#define DEFAULT_APPROVAL_EXPIRES_SEC (3 * 86400)

void config_errors_clear(ConfigErrors *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->lines[i]);
        free(e->lines);
        *e = (ConfigErrors) {};
}

static int errors_vadd(ConfigErrors *e, const char *file, int line, unsigned column,
                       const char *fmt, va_list ap) {
        char msg[512], *l, **n;
        int r;

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (column > 0)
                r = asprintf(&l, "%s:%d:%u: %s", strempty(file), line, column, msg);
        else
                r = asprintf(&l, "%s:%d: %s", strempty(file), line, msg);
        if (r < 0)
                return -ENOMEM;
        n = realloc(e->lines, (e->n + 1) * sizeof(char *));
        if (!n) {
                free(l);
                return -ENOMEM;
        }
        e->lines = n;
        e->lines[e->n++] = l;
        return 0;
}

int config_errors_add(ConfigErrors *e, const char *file, int line, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = errors_vadd(e, file, line, 0, fmt, ap);
        va_end(ap);
        return r;
}

int config_errors_add_at(ConfigErrors *e, const char *file, int line, unsigned column,
                         const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = errors_vadd(e, file, line, column, fmt, ap);
        va_end(ap);
        return r;
}

/* The loading context: the file being read and where errors go. */
typedef struct Loader {
        const char *path;
        const char *dir;        /* the main file's directory: relative @includes are in it */
        ConfigErrors *errors;
        Config *config;
        char file_buf[PATH_MAX];
} Loader;

/* The file a setting came from, as the user can open it: an @include named relative to the
 * main file's directory is shown with that directory. Valid until the next call. */
static const char *loader_file(Loader *l, const char *f) {
        if (!f)
                return l->path;
        if (f[0] == '/' || !l->dir || streq(l->dir, "."))
                return f;
        snprintf(l->file_buf, sizeof(l->file_buf), "%s/%s", l->dir, f);
        return l->file_buf;
}

static const char *setting_file(Loader *l, const config_setting_t *s) {
        return loader_file(l, config_setting_source_file(s));
}

_printf_(3, 4) static void bad(Loader *l, const config_setting_t *s, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        (void) config_errors_add(l->errors, setting_file(l, s), (int) config_setting_source_line(s),
                                 "%s", msg);
}

static bool name_in(const char *name, const char *const *names) {
        for (; *names; names++)
                if (streq(name, *names))
                        return true;
        return false;
}

/* Unknown keys are errors: a misspelled key silently ignored is a reminder sent wrong. */
static void check_known_keys(Loader *l, const config_setting_t *group, const char *what,
                             const char *const *known) {
        int n = config_setting_length(group);

        for (int i = 0; i < n; i++) {
                config_setting_t *s = config_setting_get_elem(group, (unsigned) i);
                const char *name = config_setting_name(s);

                if (name && !name_in(name, known))
                        bad(l, s, "unknown key '%s' in %s", name, what);
        }
}

/* Reads an optional string member into *ret (strdup). Returns true if present and valid. */
static bool get_string(Loader *l, const config_setting_t *group, const char *key, char **ret) {
        config_setting_t *s = config_setting_get_member(group, key);

        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                bad(l, s, "'%s' must be a string", key);
                return false;
        }
        free(*ret);
        *ret = strdup(config_setting_get_string(s));
        return *ret != NULL;
}

static bool get_int(Loader *l, const config_setting_t *group, const char *key, long long min,
                    long long max, long long *ret) {
        config_setting_t *s = config_setting_get_member(group, key);
        long long v;

        if (!s)
                return false;
        if (config_setting_type(s) == CONFIG_TYPE_INT)
                v = config_setting_get_int(s);
        else if (config_setting_type(s) == CONFIG_TYPE_INT64)
                v = config_setting_get_int64(s);
        else {
                bad(l, s, "'%s' must be an integer", key);
                return false;
        }
        if (v < min || v > max) {
                bad(l, s, "'%s' must be between %lld and %lld", key, min, max);
                return false;
        }
        *ret = v;
        return true;
}

static bool get_bool(Loader *l, const config_setting_t *group, const char *key, bool *ret) {
        config_setting_t *s = config_setting_get_member(group, key);

        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                bad(l, s, "'%s' must be true or false", key);
                return false;
        }
        *ret = config_setting_get_bool(s);
        return true;
}

static bool get_duration(Loader *l, const config_setting_t *group, const char *key,
                         uint64_t *ret) {
        config_setting_t *s = config_setting_get_member(group, key);

        if (!s)
                return false;
        if (config_setting_type(s) == CONFIG_TYPE_INT && config_setting_get_int(s) >= 0) {
                *ret = (uint64_t) config_setting_get_int(s);
                return true;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING ||
            duration_parse(config_setting_get_string(s), ret) < 0) {
                bad(l, s, "'%s' must be a duration like \"90s\", \"15min\", \"2h\" or \"1d\"", key);
                return false;
        }
        return true;
}

/* A list or array of strings -> NULL-terminated strv. */
static bool get_strv(Loader *l, const config_setting_t *group, const char *key, char ***ret,
                     size_t *ret_n) {
        config_setting_t *s = config_setting_get_member(group, key);
        char **v;
        int n;

        if (!s)
                return false;
        if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
                bad(l, s, "'%s' must be a list of strings like [\"a\", \"b\"]", key);
                return false;
        }
        n = config_setting_length(s);
        v = calloc((size_t) n + 1, sizeof(char *));
        if (!v)
                return false;
        for (int i = 0; i < n; i++) {
                const char *e = config_setting_get_string_elem(s, i);
                if (!e) {
                        bad(l, s, "'%s' must be a list of strings", key);
                        strv_free(v);
                        return false;
                }
                v[i] = strdup(e);
                if (!v[i]) {
                        strv_free(v);
                        return false;
                }
        }
        strv_free(*ret);
        *ret = v;
        if (ret_n)
                *ret_n = (size_t) n;
        return true;
}

static int parse_hhmm(const char *s, int *ret_min) {
        unsigned h, m;
        char tail;

        if (sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 24 || m > 59 || (h == 24 && m))
                return -EINVAL;
        *ret_min = (int) (h * 60 + m);
        return 0;
}

static bool channel_is_valid(const char *c) {
        return streq(c, "sms") || streq(c, "email") || streq(c, "wechat");
}

/* ---- carriers ---------------------------------------------------------------------- */

/* Keys the host reads itself; everything else in a carrier section goes to the plugin. */
static const char *const carrier_host_keys[] = {
        "name", "plugin", "channel", "concurrency", "rate", "burst", "max_attempts", "max_age",
        "timeout", "connect_timeout", "failure_threshold", "pause", "retry_base", NULL
};

static int option_value(const config_setting_t *s, char **ret) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_STRING:
                *ret = strdup(config_setting_get_string(s));
                break;
        case CONFIG_TYPE_INT:
                return asprintf(ret, "%d", config_setting_get_int(s)) < 0 ? -ENOMEM : 0;
        case CONFIG_TYPE_INT64:
                return asprintf(ret, "%lld", config_setting_get_int64(s)) < 0 ? -ENOMEM : 0;
        case CONFIG_TYPE_FLOAT:
                return asprintf(ret, "%g", config_setting_get_float(s)) < 0 ? -ENOMEM : 0;
        case CONFIG_TYPE_BOOL:
                *ret = strdup(config_setting_get_bool(s) ? "true" : "false");
                break;
        default:
                return -EINVAL;
        }
        return *ret ? 0 : -ENOMEM;
}

static void load_carrier(Loader *l, const config_setting_t *s, ConfigCarrier *c) {
        uint64_t sec;
        long long v;
        double rate;
        int n;

        /* a copy: libconfig's strings go away with the config_t */
        c->file = strdup(setting_file(l, s));
        c->line = (int) config_setting_source_line(s);
        c->concurrency = 4;
        c->max_attempts = 5;
        c->max_age_sec = 6 * 3600;
        c->timeout_ms = 15000;
        c->connect_timeout_ms = 5000;
        c->failure_threshold = 5;
        c->pause_sec = 60;
        c->retry_base_sec = 5;

        if (!config_setting_is_group(s)) {
                bad(l, s, "each carrier must be a group { name = ...; plugin = ...; }");
                return;
        }
        if (!get_string(l, s, "name", &c->name))
                bad(l, s, "carrier without a 'name'");
        if (!get_string(l, s, "plugin", &c->plugin))
                bad(l, s, "carrier '%s' without a 'plugin'", strempty(c->name));
        else if (strchr(c->plugin, '/') || c->plugin[0] == '.')
                bad(l, s, "plugin '%s' must be a plain name like \"file\" (it is looked up in "
                    "plugin_dir)", c->plugin);
        if (!get_string(l, s, "channel", &c->channel))
                bad(l, s, "carrier '%s' without a 'channel' (\"sms\", \"email\" or \"wechat\")",
                    strempty(c->name));
        else if (!channel_is_valid(c->channel))
                bad(l, config_setting_get_member(s, "channel"),
                    "unknown channel '%s' (use \"sms\", \"email\" or \"wechat\")", c->channel);
        if (get_int(l, s, "concurrency", 1, 1024, &v))
                c->concurrency = (unsigned) v;
        if (get_int(l, s, "burst", 0, 100000, &v))
                c->burst = (unsigned) v;
        if (get_int(l, s, "max_attempts", 1, 100, &v))
                c->max_attempts = (unsigned) v;
        (void) get_duration(l, s, "max_age", &c->max_age_sec);
        if (get_duration(l, s, "timeout", &sec))
                c->timeout_ms = sec * 1000;
        if (get_duration(l, s, "connect_timeout", &sec))
                c->connect_timeout_ms = sec * 1000;
        if (get_int(l, s, "failure_threshold", 1, 1000, &v))
                c->failure_threshold = (unsigned) v;
        (void) get_duration(l, s, "pause", &c->pause_sec);
        (void) get_duration(l, s, "retry_base", &c->retry_base_sec);
        if (config_setting_lookup_float(s, "rate", &rate) == CONFIG_TRUE) {
                if (rate < 0)
                        bad(l, config_setting_get_member(s, "rate"), "'rate' must not be negative");
                else
                        c->rate = rate;
        } else if (get_int(l, s, "rate", 0, 1000000, &v))
                c->rate = (double) v;

        n = config_setting_length(s);
        c->options = calloc((size_t) n, sizeof(struct dunnd_option));
        if (!c->options)
                return;
        for (int i = 0; i < n; i++) {
                config_setting_t *o = config_setting_get_elem(s, (unsigned) i);
                const char *key = config_setting_name(o);
                char *value = NULL;

                if (!key || name_in(key, carrier_host_keys))
                        continue;
                if (option_value(o, &value) < 0) {
                        bad(l, o, "carrier option '%s' must be a string, number or boolean", key);
                        continue;
                }
                c->options[c->n_options++] = (struct dunnd_option) {
                        .key = strdup(key), .value = value,
                };
        }
}

static void load_carriers(Loader *l, const config_setting_t *list) {
        Config *c = l->config;
        int n;

        if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
                bad(l, list, "'carriers' must be a list: ( { ... }, { ... } )");
                return;
        }
        n = config_setting_length(list);
        c->carriers = calloc((size_t) n + 1, sizeof(ConfigCarrier));
        if (!c->carriers)
                return;
        for (int i = 0; i < n; i++) {
                config_setting_t *s = config_setting_get_elem(list, (unsigned) i);
                ConfigCarrier *cc = &c->carriers[c->n_carriers++];

                load_carrier(l, s, cc);
                for (size_t j = 0; cc->name && j + 1 < c->n_carriers; j++)
                        if (streq_ptr(c->carriers[j].name, cc->name))
                                bad(l, s, "carrier '%s' is defined twice", cc->name);
        }
}

/* ---- templates --------------------------------------------------------------------- */

static Template *parse_template(Loader *l, const config_setting_t *s, const char *tname,
                                const char *what, const char *text) {
        Template *t = NULL;
        char err[256];

        if (template_parse(text, template_variables, &t, err, sizeof(err), NULL) < 0) {
                bad(l, s, "template '%s' (%s): %s", tname, what, err);
                return NULL;
        }
        return t;
}

static void load_template(Loader *l, config_setting_t *s, ConfigTemplate *t) {
        static const char *const known[] = { "text", "monthly", "prepaid", "away", "vacant",
                                             "subject", NULL };

        t->line = (int) config_setting_source_line(s);
        t->name = strdup(config_setting_name(s));
        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                t->source[TEMPLATE_TEXT] = strdup(config_setting_get_string(s));
                t->variant[TEMPLATE_TEXT] = parse_template(l, s, t->name, "text",
                                                           t->source[TEMPLATE_TEXT]);
                return;
        }
        if (!config_setting_is_group(s)) {
                bad(l, s, "template '%s' must be a string or a group { text = \"...\"; "
                    "prepaid = \"...\"; ... }", t->name);
                return;
        }
        check_known_keys(l, s, "a template", known);
        for (int v = 0; v < _TEMPLATE_VARIANT_MAX; v++)
                if (get_string(l, s, variant_to_string(v), &t->source[v]))
                        t->variant[v] = parse_template(l, config_setting_get_member(s, variant_to_string(v)),
                                                       t->name, variant_to_string(v), t->source[v]);
        if (get_string(l, s, "subject", &t->subject_source))
                t->subject = parse_template(l, config_setting_get_member(s, "subject"), t->name,
                                            "subject", t->subject_source);
        /* Every household must get some text: a fallback, or both payer types. */
        if (!t->source[TEMPLATE_TEXT] && !(t->source[TEMPLATE_MONTHLY] && t->source[TEMPLATE_PREPAID]))
                bad(l, s, "template '%s' needs 'text', or both 'monthly' and 'prepaid'", t->name);
}

static void load_templates(Loader *l, const config_setting_t *group) {
        Config *c = l->config;
        int n;

        if (!config_setting_is_group(group)) {
                bad(l, group, "'templates' must be a group: { name = \"text\"; ... }");
                return;
        }
        n = config_setting_length(group);
        c->templates = calloc((size_t) n + 1, sizeof(ConfigTemplate));
        if (!c->templates)
                return;
        for (int i = 0; i < n; i++)
                load_template(l, config_setting_get_elem(group, (unsigned) i),
                              &c->templates[c->n_templates++]);
}

const ConfigTemplate *config_find_template(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_templates; i++)
                if (streq_ptr(c->templates[i].name, name))
                        return &c->templates[i];
        return NULL;
}

/* ---- schedules --------------------------------------------------------------------- */

static void load_schedule(Loader *l, config_setting_t *s, ConfigSchedule *sc) {
        static const char *const known[] = { "name", "when", "categories", "channels", "template",
                                             "min_overdue_days", "promise_eve", "buildings",
                                             "catch_up", "working_days_only", "approval",
                                             "approval_expires", NULL };
        _cleanup_strv_free_ char **cats = NULL;
        char *tname = NULL, err[256];
        long long v;

        sc->file = strdup(setting_file(l, s));
        sc->line = (int) config_setting_source_line(s);
        sc->catch_up_sec = DEFAULT_CATCH_UP_SEC;
        sc->approval_expires_sec = DEFAULT_APPROVAL_EXPIRES_SEC;
        if (!config_setting_is_group(s)) {
                bad(l, s, "each schedule must be a group { name = ...; ... }");
                return;
        }
        check_known_keys(l, s, "a schedule", known);
        if (!get_string(l, s, "name", &sc->name))
                bad(l, s, "schedule without a 'name'");
        else if (strpbrk(sc->name, "@ \t/"))
                bad(l, s, "schedule name '%s' must not contain '@', '/' or blanks", sc->name);

        if (get_string(l, s, "when", &sc->when) &&
            calendar_spec_from_string(sc->when, &sc->spec, err, sizeof(err)) < 0)
                bad(l, config_setting_get_member(s, "when"), "schedule '%s': invalid calendar "
                    "expression '%s': %s", strempty(sc->name), sc->when, err);

        if (get_strv(l, s, "categories", &cats, NULL)) {
                if (!cats[0])
                        bad(l, config_setting_get_member(s, "categories"),
                            "schedule '%s': 'categories' is empty (leave it out for all but "
                            "disputed)", strempty(sc->name));
                for (char **i = cats; *i; i++) {
                        Category cat = category_from_string(*i);
                        if (cat < 0)
                                bad(l, config_setting_get_member(s, "categories"),
                                    "schedule '%s': unknown category '%s' (use new, promised, "
                                    "unclear, unreachable, away)", strempty(sc->name), *i);
                        else if (cat == CATEGORY_DISPUTED)
                                bad(l, config_setting_get_member(s, "categories"),
                                    "schedule '%s': 'disputed' households never get automatic "
                                    "reminders; escalate them to the project manager instead",
                                    strempty(sc->name));
                        else
                                sc->categories |= 1u << cat;
                }
        } else
                sc->categories = CATEGORY_ALL & ~(1u << CATEGORY_DISPUTED);

        if (get_strv(l, s, "channels", &sc->channels, &sc->n_channels)) {
                if (sc->n_channels == 0)
                        bad(l, config_setting_get_member(s, "channels"),
                            "schedule '%s': 'channels' is empty", strempty(sc->name));
                for (char **i = sc->channels; *i; i++)
                        if (!channel_is_valid(*i))
                                bad(l, config_setting_get_member(s, "channels"),
                                    "schedule '%s': unknown channel '%s'", strempty(sc->name), *i);
        } else {
                sc->channels = calloc(2, sizeof(char *));
                if (sc->channels) {
                        sc->channels[0] = strdup("sms");
                        sc->n_channels = 1;
                }
        }

        if (!get_string(l, s, "template", &tname))
                bad(l, s, "schedule '%s' without a 'template'", strempty(sc->name));
        else {
                sc->template = config_find_template(l->config, tname);
                if (!sc->template)
                        bad(l, config_setting_get_member(s, "template"),
                            "schedule '%s': no template named '%s' in 'templates'",
                            strempty(sc->name), tname);
                free(tname);
        }
        if (get_int(l, s, "min_overdue_days", 0, 36500, &v))
                sc->min_overdue_days = (int) v;
        (void) get_bool(l, s, "promise_eve", &sc->promise_eve);
        if (sc->promise_eve && sc->categories != (1u << CATEGORY_PROMISED) &&
            config_setting_get_member(s, "categories"))
                bad(l, s, "schedule '%s': 'promise_eve' selects promised households only; "
                    "set categories = [\"promised\"]", strempty(sc->name));
        if (sc->promise_eve)
                sc->categories = 1u << CATEGORY_PROMISED;
        (void) get_strv(l, s, "buildings", &sc->buildings, NULL);
        (void) get_duration(l, s, "catch_up", &sc->catch_up_sec);
        (void) get_bool(l, s, "working_days_only", &sc->working_days_only);
        (void) get_bool(l, s, "approval", &sc->approval);
        if (get_duration(l, s, "approval_expires", &sc->approval_expires_sec)) {
                /* 0 would expire every occurrence as it is prepared: nothing could be approved */
                if (sc->approval_expires_sec == 0)
                        bad(l, config_setting_get_member(s, "approval_expires"),
                            "schedule '%s': 'approval_expires' must be more than 0 (like \"2d\")",
                            strempty(sc->name));
                else if (!sc->approval)
                        bad(l, config_setting_get_member(s, "approval_expires"),
                            "schedule '%s': 'approval_expires' without 'approval = true' has no "
                            "effect", strempty(sc->name));
        }
}

static void load_schedules(Loader *l, const config_setting_t *list) {
        Config *c = l->config;
        int n;

        if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
                bad(l, list, "'schedules' must be a list: ( { ... }, { ... } )");
                return;
        }
        n = config_setting_length(list);
        c->schedules = calloc((size_t) n + 1, sizeof(ConfigSchedule));
        if (!c->schedules)
                return;
        for (int i = 0; i < n; i++) {
                config_setting_t *s = config_setting_get_elem(list, (unsigned) i);
                ConfigSchedule *sc = &c->schedules[c->n_schedules++];

                load_schedule(l, s, sc);
                for (size_t j = 0; sc->name && j + 1 < c->n_schedules; j++)
                        if (streq_ptr(c->schedules[j].name, sc->name))
                                bad(l, s, "schedule '%s' is defined twice", sc->name);
        }
}

const ConfigSchedule *config_find_schedule(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_schedules; i++)
                if (streq_ptr(c->schedules[i].name, name))
                        return &c->schedules[i];
        return NULL;
}

/* ---- holidays ---------------------------------------------------------------------- */

/* One date or range of a holiday period's `off` or `work` (s is a string setting). */
static void load_holiday_entry(Loader *l, const config_setting_t *s, const char *period,
                               bool working) {
        char err[256], day[DATE_BUFSZ];
        int64_t first, last, conflict = 0;
        const HolidayDay *was;
        int r;

        if (holiday_parse_entry(config_setting_get_string(s), &first, &last, err, sizeof(err)) < 0) {
                bad(l, s, "holidays: %s", err);
                return;
        }
        r = holiday_calendar_add(l->config->holidays, first, last, working, period, &conflict);
        if (r == -EEXIST) {
                was = holiday_lookup(l->config->holidays, conflict);
                bad(l, s, "holidays: %s is listed twice (a %s in '%s', a %s in '%s'); a date is "
                    "either a day off or a make-up working day", date_format(conflict, day),
                    was->working ? "working day" : "day off", strempty(was->name),
                    working ? "working day" : "day off", strempty(period));
        } else if (r == -EINVAL)
                bad(l, s, "holidays: %s is not a Saturday or Sunday, so it is a working day anyway; "
                    "'work' lists the weekend days that are worked (调休上班)",
                    date_format(conflict, day));
}

/* A period's `off` or `work`: one string, or a list of strings. */
static void load_holiday_dates(Loader *l, const config_setting_t *period, const char *key,
                               const char *name, bool working) {
        config_setting_t *s = config_setting_get_member(period, key);

        if (!s)
                return;
        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                load_holiday_entry(l, s, name, working);
                return;
        }
        if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
                bad(l, s, "holidays: '%s' must be a date \"YYYY-MM-DD\", a range "
                    "\"YYYY-MM-DD..YYYY-MM-DD\" or a list of them", key);
                return;
        }
        for (int i = 0; i < config_setting_length(s); i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned) i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                        bad(l, e, "holidays: '%s' must list dates as strings \"YYYY-MM-DD\"", key);
                else
                        load_holiday_entry(l, e, name, working);
        }
}

static void load_holiday_period(Loader *l, const config_setting_t *s) {
        static const char *const known[] = { "name", "off", "work", NULL };
        _cleanup_free_ char *name = NULL;

        if (!config_setting_is_group(s)) {
                bad(l, s, "holidays: each period must be a group { name = \"春节\"; "
                    "off = \"YYYY-MM-DD..YYYY-MM-DD\"; work = [ ... ]; }");
                return;
        }
        check_known_keys(l, s, "a holiday period", known);
        (void) get_string(l, s, "name", &name);
        if (!config_setting_get_member(s, "off"))
                bad(l, s, "holidays: period '%s' without 'off' (its days off)", strempty(name));
        load_holiday_dates(l, s, "off", name, false);
        load_holiday_dates(l, s, "work", name, true);
}

/* Each year in `years` says its State Council notice is entered in full, so it must have days
 * off; a year without any is a typo or a forgotten edit. */
static void check_holiday_years(Loader *l, const config_setting_t *years) {
        const HolidayCalendar *cal = l->config->holidays;

        for (int i = 0; i < config_setting_length(years); i++) {
                config_setting_t *e = config_setting_get_elem(years, (unsigned) i);
                int year = config_setting_get_int(e);
                bool found = false;

                for (size_t j = 0; j < cal->n_days && !found; j++) {
                        int y;
                        unsigned m, d;

                        civil_from_days(cal->days[j].day, &y, &m, &d);
                        found = y == year && !cal->days[j].working;
                }
                if (!found)
                        bad(l, e, "holidays: 'years' lists %d but no day off in %d is entered", year,
                            year);
        }
}

static void load_holidays(Loader *l, const config_setting_t *group) {
        static const char *const known[] = { "years", "periods", NULL };
        config_setting_t *years, *periods;

        if (!config_setting_is_group(group)) {
                bad(l, group, "'holidays' must be a group { years = [ 2026 ]; periods = ( ... ); }");
                return;
        }
        check_known_keys(l, group, "holidays", known);
        periods = config_setting_get_member(group, "periods");
        if (periods && !config_setting_is_list(periods))
                bad(l, periods, "holidays: 'periods' must be a list ( { name = ...; off = ...; }, ... )");
        else
                for (int i = 0; periods && i < config_setting_length(periods); i++)
                        load_holiday_period(l, config_setting_get_elem(periods, (unsigned) i));

        years = config_setting_get_member(group, "years");
        if (!years)
                return;
        if (!config_setting_is_array(years) ||
            (config_setting_length(years) > 0 &&
             config_setting_type(config_setting_get_elem(years, 0)) != CONFIG_TYPE_INT)) {
                bad(l, years, "holidays: 'years' must be a list of years like [ 2026, 2027 ]");
                return;
        }
        for (int i = 0; i < config_setting_length(years); i++) {
                config_setting_t *e = config_setting_get_elem(years, (unsigned) i);
                int y = config_setting_get_int(e);

                if (y < 1970 || y > 9999)
                        bad(l, e, "holidays: year %d is out of range", y);
                else if (holiday_calendar_add_year(l->config->holidays, y) < 0)
                        return;
        }
        check_holiday_years(l, years);
}

/* ---- top level --------------------------------------------------------------------- */

static void load_quiet_hours(Loader *l, config_setting_t *s) {
        static const char *const known[] = { "start", "end", NULL };
        Config *c = l->config;
        _cleanup_free_ char *start = NULL, *end = NULL;

        if (!config_setting_is_group(s)) {
                bad(l, s, "'quiet_hours' must be a group { start = \"21:00\"; end = \"08:00\"; }");
                return;
        }
        check_known_keys(l, s, "quiet_hours", known);
        if (get_string(l, s, "start", &start) && parse_hhmm(start, &c->quiet_start_min) < 0)
                bad(l, s, "quiet_hours: start '%s' is not HH:MM", start);
        if (get_string(l, s, "end", &end) && parse_hhmm(end, &c->quiet_end_min) < 0)
                bad(l, s, "quiet_hours: end '%s' is not HH:MM", end);
}

static void load_caps(Loader *l, config_setting_t *s) {
        static const char *const known[] = { "per_day", "per_week", NULL };
        Config *c = l->config;
        long long v;

        if (!config_setting_is_group(s)) {
                bad(l, s, "'caps' must be a group { per_day = 1; per_week = 4; }");
                return;
        }
        check_known_keys(l, s, "caps", known);
        if (get_int(l, s, "per_day", 0, 100, &v))
                c->caps_per_day = (int) v;
        if (get_int(l, s, "per_week", 0, 700, &v))
                c->caps_per_week = (int) v;
        if (c->caps_per_day > 0 && c->caps_per_week > 0 && c->caps_per_week < c->caps_per_day)
                bad(l, s, "caps: per_week (%d) is below per_day (%d)", c->caps_per_week,
                    c->caps_per_day);
}

static void load_receipts(Loader *l, config_setting_t *s) {
        static const char *const known[] = { "listen", "token", NULL };
        Config *c = l->config;

        if (!config_setting_is_group(s)) {
                bad(l, s, "'receipts' must be a group { listen = \"127.0.0.1:8091\"; }");
                return;
        }
        check_known_keys(l, s, "receipts", known);
        if (!get_string(l, s, "listen", &c->receipts_listen))
                bad(l, s, "receipts: 'listen' (a numeric ADDRESS:PORT) is required");
        else if (!strchr(c->receipts_listen, ':'))
                bad(l, config_setting_get_member(s, "listen"),
                    "receipts: listen '%s' is not ADDRESS:PORT", c->receipts_listen);
        (void) get_string(l, s, "token", &c->receipts_token);
}

/* ---- money ------------------------------------------------------------------------- */

static void load_late_fee(Loader *l, config_setting_t *s) {
        static const char *const known[] = { "daily_permyriad", "grace_days", "cap_percent",
                                             "rounding", NULL };
        LateFeeRule *rule = &l->config->late_fee;
        _cleanup_free_ char *rounding = NULL;
        long long v;

        if (!config_setting_is_group(s)) {
                bad(l, s, "'late_fee' must be a group { daily_permyriad = 5; grace_days = 0; }");
                return;
        }
        check_known_keys(l, s, "late_fee", known);
        if (!config_setting_get_member(s, "daily_permyriad"))
                bad(l, s, "late_fee: 'daily_permyriad' is required (5 = 万分之五 per day; 0 = none)");
        if (get_int(l, s, "daily_permyriad", 0, 10000, &v))
                rule->daily_permyriad = (int) v;
        if (get_int(l, s, "grace_days", 0, 3650, &v))
                rule->grace_days = (int) v;
        if (get_int(l, s, "cap_percent", 0, 1000, &v))
                rule->cap_percent = (int) v;
        if (get_string(l, s, "rounding", &rounding)) {
                rule->rounding = money_rounding_from_string(rounding);
                if (rule->rounding < 0)
                        bad(l, config_setting_get_member(s, "rounding"),
                            "late_fee: unknown rounding '%s' (half-up, down or up)", rounding);
        }
}

static void load_fee_standard(Loader *l, config_setting_t *s, bool seen[_PROPERTY_TYPE_MAX]) {
        static const char *const known[] = { "type", "yuan_per_m2", NULL };
        _cleanup_free_ char *type = NULL, *price = NULL;
        PropertyType t;
        int64_t fen;

        if (!config_setting_is_group(s)) {
                bad(l, s, "each fee standard must be a group { type = \"多层\"; yuan_per_m2 = \"1.20\"; }");
                return;
        }
        check_known_keys(l, s, "a fee standard", known);
        if (!config_setting_get_member(s, "type")) {
                bad(l, s, "fee standard without a 'type' (多层, 小高层, 联排别墅, 独立别墅, 商业)");
                return;
        }
        if (!get_string(l, s, "type", &type))
                return;
        t = property_type_from_string(type);
        if (t < 0) {
                bad(l, config_setting_get_member(s, "type"),
                    "fee standard: unknown property type '%s' (多层, 小高层, 联排别墅, 独立别墅, 商业)", type);
                return;
        }
        if (seen[t])
                bad(l, s, "fee standard for '%s' is given twice", type);
        seen[t] = true;
        if (!config_setting_get_member(s, "yuan_per_m2")) {
                bad(l, s, "fee standard '%s' without 'yuan_per_m2' (a string like \"1.20\")", type);
                return;
        }
        if (!get_string(l, s, "yuan_per_m2", &price))
                return;
        /* a string, not a float: 1.20 must be 120 fen exactly */
        if (money_parse_yuan(price, false, &fen) < 0 || fen <= 0 || fen > 100000)
                bad(l, config_setting_get_member(s, "yuan_per_m2"),
                    "fee standard '%s': yuan_per_m2 '%s' is not an amount from 0.01 to 1000.00 "
                    "yuan (at most 2 decimals)", type, price);
        else
                l->config->fees.fen_per_m2[t] = fen;
}

static void load_fees(Loader *l, config_setting_t *s) {
        static const char *const known[] = { "due_day", "vacant_percent", "standards", NULL };
        FeeStandards *fees = &l->config->fees;
        bool seen[_PROPERTY_TYPE_MAX] = {};
        config_setting_t *list;
        long long v;

        if (!config_setting_is_group(s)) {
                bad(l, s, "'fees' must be a group { due_day = 15; standards = ( ... ); }");
                return;
        }
        check_known_keys(l, s, "fees", known);
        if (get_int(l, s, "due_day", 1, 31, &v))
                fees->due_day = (int) v;
        if (get_int(l, s, "vacant_percent", 0, 100, &v))
                fees->vacant_percent = (int) v;
        list = config_setting_get_member(s, "standards");
        if (!list) {
                bad(l, s, "fees: 'standards' is required: ( { type = \"多层\"; yuan_per_m2 = \"1.20\"; }, ... )");
                return;
        }
        if (!config_setting_is_list(list)) {
                bad(l, list, "fees: 'standards' must be a list ( { type = ...; yuan_per_m2 = ...; }, ... )");
                return;
        }
        for (int i = 0; i < config_setting_length(list); i++)
                load_fee_standard(l, config_setting_get_elem(list, (unsigned) i), seen);
}

static void load_root(Loader *l, config_setting_t *root) {
        static const char *const known[] = { "database", "timezone", "plugin_dir", "estate",
                                             "signature", "office_phone", "bank_account",
                                             "late_fee", "late_fee_daily_permyriad", "deadline_day",
                                             "fees", "sms_price_fen", "quiet_hours", "caps",
                                             "log_level", "receipts", "carriers", "templates", "schedules",
                                             "holidays", NULL };
        Config *c = l->config;
        config_setting_t *s;
        _cleanup_free_ char *level = NULL;
        long long v;

        check_known_keys(l, root, "the top level", known);
        (void) get_string(l, root, "database", &c->database);
        if (get_string(l, root, "timezone", &c->timezone) && !timezone_is_valid(c->timezone))
                bad(l, config_setting_get_member(root, "timezone"),
                    "unknown time zone '%s' (not in /usr/share/zoneinfo)", c->timezone);
        (void) get_string(l, root, "plugin_dir", &c->plugin_dir);
        (void) get_string(l, root, "estate", &c->estate);
        (void) get_string(l, root, "signature", &c->signature);
        (void) get_string(l, root, "office_phone", &c->office_phone);
        (void) get_string(l, root, "bank_account", &c->bank_account);
        s = config_setting_get_member(root, "late_fee");
        if (s)
                load_late_fee(l, s);
        /* the key before the late_fee group: a daily rate, no grace days, no cap */
        if (get_int(l, root, "late_fee_daily_permyriad", 0, 10000, &v)) {
                if (s)
                        bad(l, config_setting_get_member(root, "late_fee_daily_permyriad"),
                            "'late_fee_daily_permyriad' and 'late_fee' both given; keep "
                            "late_fee = { daily_permyriad = %lld; }", v);
                else
                        c->late_fee.daily_permyriad = (int) v;
        }
        s = config_setting_get_member(root, "fees");
        if (s)
                load_fees(l, s);
        if (get_int(l, root, "sms_price_fen", 0, 10000, &v))
                c->sms_price_fen = (int) v;
        if (get_int(l, root, "deadline_day", 1, 31, &v))
                c->deadline_day = (int) v;
        if (get_string(l, root, "log_level", &level)) {
                c->log_level = log_level_from_string(level);
                if (c->log_level < 0)
                        bad(l, config_setting_get_member(root, "log_level"),
                            "unknown log_level '%s' (err, warning, notice, info, debug)", level);
        }
        s = config_setting_get_member(root, "quiet_hours");
        if (s)
                load_quiet_hours(l, s);
        s = config_setting_get_member(root, "caps");
        if (s)
                load_caps(l, s);
        s = config_setting_get_member(root, "receipts");
        if (s)
                load_receipts(l, s);
        s = config_setting_get_member(root, "holidays");
        if (s)
                load_holidays(l, s);

        /* templates before schedules: schedules refer to them by name */
        s = config_setting_get_member(root, "templates");
        if (s)
                load_templates(l, s);
        s = config_setting_get_member(root, "carriers");
        if (s)
                load_carriers(l, s);
        s = config_setting_get_member(root, "schedules");
        if (s)
                load_schedules(l, s);

        /* a schedule's channels must be served by some carrier */
        for (size_t i = 0; i < c->n_schedules; i++)
                for (char **ch = c->schedules[i].channels; ch && *ch; ch++) {
                        bool found = false;
                        for (size_t j = 0; j < c->n_carriers && !found; j++)
                                found = streq_ptr(c->carriers[j].channel, *ch);
                        if (!found)
                                (void) config_errors_add(l->errors, c->schedules[i].file,
                                                         c->schedules[i].line,
                                                         "schedule '%s': no carrier serves channel "
                                                         "'%s'", strempty(c->schedules[i].name), *ch);
                }
}

static int set_default(char **field, const char *value) {
        if (*field)
                return 0;
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

/* libconfig 1.5 opens a relative @include from the working directory, and its include_dir
 * would be put in front of absolute paths too. So the main file's directory is the working
 * directory while it is parsed: `@include "holidays.conf"` in /etc/dunnd/dunnd.conf reads
 * /etc/dunnd/holidays.conf wherever dunnd or dunnctl was started. Returns 1 when parsed, 0 on
 * a syntax or include error (in cfg), or -errno. */
static int read_config(config_t *cfg, const char *path, const char *dir) {
        FILE *f;
        int cwd, r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cwd >= 0 && chdir(dir) < 0) {
                /* unreadable directory: relative includes are looked up where we are */
                close(cwd);
                cwd = -1;
        }
        r = config_read(cfg, f) == CONFIG_TRUE;
        if (cwd >= 0) {
                if (fchdir(cwd) < 0)
                        r = -errno;
                close(cwd);
        }
        fclose(f);
        return r;
}

int config_load(const char *path, Config **ret, ConfigErrors *errors) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = NULL;
        config_t cfg;
        Loader l;
        size_t errors_before = errors->n;
        int r;

        if (access(path, R_OK) < 0) {
                r = -errno;
                (void) config_errors_add(errors, path, 0, "cannot read: %s", strerror(-r));
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(path);
        c->holidays = holiday_calendar_new();
        if (!c->path || !c->holidays)
                return -ENOMEM;
        c->quiet_start_min = 21 * 60;
        c->quiet_end_min = 8 * 60;
        /* the playbook: one reminder a day, four a week, whatever schedules fire */
        c->caps_per_day = 1;
        c->caps_per_week = 4;
        c->deadline_day = 15;
        c->fees.vacant_percent = 100;
        c->fees.due_day = 15;
        c->log_level = LOG_INFO;

        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        l = (Loader) { .path = path, .dir = dirname(dir), .errors = errors, .config = c };
        config_init(&cfg);
        r = read_config(&cfg, path, l.dir);
        if (r < 0) {
                config_destroy(&cfg);
                (void) config_errors_add(errors, path, 0, "cannot read: %s", strerror(-r));
                return r;
        }
        if (r == 0) {
                (void) config_errors_add(errors, loader_file(&l, config_error_file(&cfg)),
                                         config_error_line(&cfg), "%s", config_error_text(&cfg));
                config_destroy(&cfg);
                return -EINVAL;
        }
        load_root(&l, config_root_setting(&cfg));
        config_destroy(&cfg);
        if (errors->n > errors_before)
                return -EINVAL;

        if (set_default(&c->database, DEFAULT_DATABASE) < 0 ||
            set_default(&c->timezone, DEFAULT_TIMEZONE) < 0 ||
            set_default(&c->plugin_dir, DUNND_PLUGIN_DIR) < 0 ||
            set_default(&c->estate, "") < 0 || set_default(&c->signature, "") < 0 ||
            set_default(&c->office_phone, "") < 0 || set_default(&c->bank_account, "") < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_carriers; i++) {
                ConfigCarrier *cc = &c->carriers[i];
                for (size_t j = 0; j < cc->n_options; j++) {
                        free((char *) cc->options[j].key);
                        free((char *) cc->options[j].value);
                }
                free(cc->options);
                free(cc->name);
                free(cc->plugin);
                free(cc->channel);
                free(cc->file);
        }
        free(c->carriers);
        for (size_t i = 0; i < c->n_templates; i++) {
                ConfigTemplate *t = &c->templates[i];
                for (int v = 0; v < _TEMPLATE_VARIANT_MAX; v++) {
                        free(t->source[v]);
                        if (t->variant[v])
                                template_free(t->variant[v]);
                }
                free(t->subject_source);
                if (t->subject)
                        template_free(t->subject);
                free(t->name);
        }
        free(c->templates);
        for (size_t i = 0; i < c->n_schedules; i++) {
                ConfigSchedule *s = &c->schedules[i];
                free(s->name);
                free(s->when);
                if (s->spec)
                        calendar_spec_free(s->spec);
                strv_free(s->channels);
                strv_free(s->buildings);
                free(s->file);
        }
        free(c->schedules);
        holiday_calendar_free(c->holidays);
        free(c->path);
        free(c->database);
        free(c->timezone);
        free(c->plugin_dir);
        free(c->estate);
        free(c->signature);
        free(c->office_phone);
        free(c->bank_account);
        free(c->receipts_listen);
        free(c->receipts_token);
        free(c);
        return NULL;
}
