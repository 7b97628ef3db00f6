/* SPDX-License-Identifier: MIT */
#pragma once

/* /etc/dunnd/dunnd.conf (libconfig syntax) -> one validated Config. Loading never half
 * succeeds: either every key is known and valid and a Config is returned, or the errors
 * come back as "FILE:LINE: problem" lines and nothing is returned, so a reload can keep
 * the old Config untouched. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "category.h"
#include "dunnd-carrier.h"
#include "holiday.h"
#include "money.h"
#include "property.h"
#include "template.h"

#define DUNND_DEFAULT_CONFIG DUNND_SYSCONFDIR "/dunnd/dunnd.conf"

typedef struct ConfigErrors {
        char **lines;           /* "FILE:LINE: problem" (CSV: "FILE:LINE:COLUMN: problem") */
        size_t n;
} ConfigErrors;

void config_errors_clear(ConfigErrors *e);
int config_errors_add(ConfigErrors *e, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "FILE:LINE:COLUMN: problem" (column 0 = "FILE:LINE: problem"), for CSV rows. */
int config_errors_add_at(ConfigErrors *e, const char *file, int line, unsigned column,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

typedef struct ConfigCarrier {
        char *name;             /* what schedules and the log call it: "local" */
        char *plugin;           /* the plugin file's stem: "file" -> file.so */
        char *channel;          /* "sms" | "email" | "wechat" */
        struct dunnd_option *options;   /* everything else in the section, as strings */
        size_t n_options;
        /* dispatcher settings (see dunnd.conf(5)) */
        unsigned concurrency;
        double rate;            /* messages per second, 0 = unlimited */
        unsigned burst;
        unsigned max_attempts;
        uint64_t max_age_sec;
        uint64_t timeout_ms;            /* a whole request; default 15 s */
        uint64_t connect_timeout_ms;    /* default 5 s */
        unsigned failure_threshold;     /* consecutive transient failures that pause it */
        uint64_t pause_sec;             /* how long the circuit breaker keeps it paused */
        uint64_t retry_base_sec;        /* first retry delay; doubles per attempt */
        char *file;             /* config file and line, for errors found later (plugin open) */
        int line;
} ConfigCarrier;

/* One named template with its variants; text is the fallback for the others. */
typedef enum TemplateVariant {
        TEMPLATE_TEXT,
        TEMPLATE_MONTHLY,       /* monthly payers */
        TEMPLATE_PREPAID,       /* prepaid payers whose advance is used up */
        TEMPLATE_AWAY,          /* owners away: includes the bank-transfer details */
        TEMPLATE_VACANT,        /* vacant homes (空置房), billed at the vacant rate */
        _TEMPLATE_VARIANT_MAX,
} TemplateVariant;

typedef struct ConfigTemplate {
        char *name;
        char *source[_TEMPLATE_VARIANT_MAX];
        Template *variant[_TEMPLATE_VARIANT_MAX];
        char *subject_source;   /* e-mail subject */
        Template *subject;
        int line;
} ConfigTemplate;

typedef struct ConfigSchedule {
        char *name;
        char *when;             /* calendar expression; NULL = started only by `dunnctl run` */
        CalendarSpec *spec;
        unsigned categories;    /* bit set of Category */
        char **channels;        /* in failover order, NULL-terminated */
        size_t n_channels;
        const ConfigTemplate *template;
        int min_overdue_days;
        bool promise_eve;       /* only promised households whose promise date is tomorrow */
        char **buildings;       /* NULL = all */
        uint64_t catch_up_sec;
        bool working_days_only; /* an elapse on a day off fires on the next working day */
        bool approval;          /* an occurrence is prepared, then waits for `dunnctl approve` */
        uint64_t approval_expires_sec;  /* ... this long before it expires unsent */
        char *file;             /* where it was defined (the main file or an @include) */
        int line;
} ConfigSchedule;

/* The fee standards (收费标准) `dunnctl bill` charges by: see dunnd.conf(5). */
typedef struct FeeStandards {
        int64_t fen_per_m2[_PROPERTY_TYPE_MAX];  /* per m² per month; 0 = not configured */
        int vacant_percent;             /* a vacant home pays this % (100 = no reduction) */
        int due_day;                    /* a period's charge falls due on this day of its month */
} FeeStandards;

typedef struct Config {
        char *path;
        char *database;
        char *timezone;
        char *plugin_dir;
        char *estate;
        char *signature;
        char *office_phone;
        char *bank_account;
        LateFeeRule late_fee;           /* 滞纳金: daily rate, grace days, cap, rounding */
        FeeStandards fees;
        int sms_price_fen;              /* what one SMS part costs; 0 = not configured */
        int deadline_day;               /* day of month late fees start: {{deadline}} */
        int quiet_start_min;            /* minutes after midnight; equal = no quiet hours */
        int caps_per_day;               /* reminders a household gets at most a day; 0 = no cap */
        int caps_per_week;              /* ... and in the 7 days ending with that day */
        int quiet_end_min;
        int log_level;
        char *receipts_listen;          /* "127.0.0.1:8091": dunnd takes delivery receipts */
        char *receipts_token;           /* NULL, or what receipt callbacks must carry */
        ConfigCarrier *carriers;
        size_t n_carriers;
        ConfigTemplate *templates;
        size_t n_templates;
        ConfigSchedule *schedules;
        size_t n_schedules;
        HolidayCalendar *holidays;      /* public holidays and make-up working days; never NULL */
} Config;

/* Loads and validates path. Returns 0 with *ret set, or -EINVAL with every problem in
 * errors (-ENOENT/-EACCES when the file cannot be read, also described in errors). */
int config_load(const char *path, Config **ret, ConfigErrors *errors);
Config *config_free(Config *c);

const ConfigSchedule *config_find_schedule(const Config *c, const char *name);
const ConfigTemplate *config_find_template(const Config *c, const char *name);


static inline void config_freep(Config **c) {
        if (*c)
                config_free(*c);
}
