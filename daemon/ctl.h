/* SPDX-License-Identifier: MIT */
#pragma once

/* What every dunnctl subcommand shares: the global options, the config (loaded on demand)
 * and the store. Subcommands return exit codes: 0 success, 1 runtime failure, 2 usage or
 * input error. */

#include <stdbool.h>
#include <time.h>

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

/* Parses --at: "YYYY-MM-DD HH:MM[:SS]" in the estate's zone; NULL = now. */
int ctl_parse_time(const Ctl *ctl, const char *s, time_t *ret);

/* Parses --format. Returns 0 or EXIT_USAGE (after printing why). */
int ctl_parse_format(const char *s, TableFormat *ret);

/* Prints "dunnctl: msg" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resets getopt for a subcommand's own options. */
void ctl_reset_getopt(void);

int verb_init(Ctl *ctl, int argc, char *argv[]);
int verb_import(Ctl *ctl, int argc, char *argv[]);
int verb_categorize(Ctl *ctl, int argc, char *argv[]);
int verb_note(Ctl *ctl, int argc, char *argv[]);
int verb_pay(Ctl *ctl, int argc, char *argv[]);
int verb_bill(Ctl *ctl, int argc, char *argv[]);
int verb_debtors(Ctl *ctl, int argc, char *argv[]);
int verb_log(Ctl *ctl, int argc, char *argv[]);
int verb_check_config(Ctl *ctl, int argc, char *argv[]);
int verb_preview(Ctl *ctl, int argc, char *argv[]);
int verb_run(Ctl *ctl, int argc, char *argv[]);
int verb_schedules(Ctl *ctl, int argc, char *argv[]);
int verb_calendar(Ctl *ctl, int argc, char *argv[]);
int verb_carriers(Ctl *ctl, int argc, char *argv[]);
int verb_test_carrier(Ctl *ctl, int argc, char *argv[]);
