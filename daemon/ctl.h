/* SPDX-License-Identifier: MIT */
#pragma once

/* What every dunnctl subcommand shares: the global options, the config (loaded on demand)
 * and the store. Subcommands return exit codes: 0 success, 1 runtime failure, 2 usage or
 * input error. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "category.h"
#include "config.h"
#include "store.h"
#include "table.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

typedef struct Ctl {
        const char *config_path;
        const char *db_path;            /* --db, overrides the config's database */
        bool config_given;              /* -c was used: the file must exist */
        Config *config;                 /* NULL until ctl_load_config */
        bool config_missing;            /* no config file, running on defaults */
} Ctl;

/* Loads the config. required: the command cannot work without one. Prints every error as
 * FILE:LINE: problem. Returns 0 or an exit code. */
int ctl_load_config(Ctl *ctl, bool required);

/* Opens the store named by --db or the config. */
int ctl_open_store(Ctl *ctl, StoreOpenMode mode, Store **ret);

const char *ctl_timezone(const Ctl *ctl);

/* A store timestamp (UTC, "2026-12-10T01:00:00Z") as the estate's local time in fmt
 * (strftime) into buf; the stamp itself when it does not parse. */
const char *ctl_local_time(const Ctl *ctl, const char *stamp, const char *fmt, char *buf,
                           size_t len);

/* Parses --at: "YYYY-MM-DD HH:MM[:SS]" in the estate's zone; NULL = now. */
int ctl_parse_time(const Ctl *ctl, const char *s, time_t *ret);

/* Names the running subcommand in the messages below. */
void ctl_set_verb(const char *verb);

/* An option or argument that takes one of a fixed set of values got another: prints
 * `dunnctl VERB: unknown WHAT "VALUE" (one of: a, b, c)` (choices NULL-terminated) and
 * returns EXIT_USAGE. */
int ctl_unknown_value(const char *what, const char *value, const char *const *choices);

/* The office's today as a day number: that of --at ("YYYY-MM-DD" or a time as for
 * ctl_parse_time) or of now, in the estate's zone. Load the config first. */
int ctl_parse_today(const Ctl *ctl, const char *at, int64_t *ret);

/* Parses --format. Returns 0 or EXIT_USAGE (after printing why). */
int ctl_parse_format(const char *s, TableFormat *ret);

/* A category key or Chinese name. Returns 0 or EXIT_USAGE (after listing them). */
int ctl_parse_category(const char *s, Category *ret);

/* "FILE:LINE: warning: ..." for each working_days_only schedule whose next elapse after now is
 * in a year the holiday calendar does not hold in full. */
void ctl_warn_uncovered_years(const Config *c, time_t now);

/* Prints "dunnctl: msg" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resets getopt for a subcommand's own options. */
void ctl_reset_getopt(void);

int verb_init(Ctl *ctl, int argc, char *argv[]);
int verb_import(Ctl *ctl, int argc, char *argv[]);
int verb_categorize(Ctl *ctl, int argc, char *argv[]);
int verb_note(Ctl *ctl, int argc, char *argv[]);
int verb_resolve(Ctl *ctl, int argc, char *argv[]);
int verb_history(Ctl *ctl, int argc, char *argv[]);
int verb_optout(Ctl *ctl, int argc, char *argv[]);
int verb_optin(Ctl *ctl, int argc, char *argv[]);
int verb_pay(Ctl *ctl, int argc, char *argv[]);
int verb_bill(Ctl *ctl, int argc, char *argv[]);
int verb_debtors(Ctl *ctl, int argc, char *argv[]);
int verb_log(Ctl *ctl, int argc, char *argv[]);
int verb_check_config(Ctl *ctl, int argc, char *argv[]);
int verb_preview(Ctl *ctl, int argc, char *argv[]);
int verb_run(Ctl *ctl, int argc, char *argv[]);
int verb_schedules(Ctl *ctl, int argc, char *argv[]);
int verb_show(Ctl *ctl, int argc, char *argv[]);
int verb_approve(Ctl *ctl, int argc, char *argv[]);
int verb_reject(Ctl *ctl, int argc, char *argv[]);
int verb_calendar(Ctl *ctl, int argc, char *argv[]);
int verb_carriers(Ctl *ctl, int argc, char *argv[]);
int verb_test_carrier(Ctl *ctl, int argc, char *argv[]);
