/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's state: one sd-event loop that owns a CLOCK_REALTIME timer per schedule,
 * the campaign runs in progress (one outbox row per loop iteration, so signals, reloads and
 * the watchdog are served mid-run), and the configuration generation in force.
 *
 * A generation is a Config and the carriers opened from it. A reload that succeeds makes a
 * new one; runs already going keep the generation they started with until they finish. A
 * reload that fails changes nothing. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "campaign.h"
#include "carrier.h"
#include "config.h"
#include "store.h"

/* Exit status for an unusable configuration (sysexits EX_CONFIG): the unit does not
 * restart on it (RestartPreventExitStatus=78). */
#define EXIT_CONFIG 78

typedef struct Manager Manager;

typedef struct ManagerOptions {
        const char *config_path;
        const char *db_path;            /* NULL: the config's database */
        bool log_level_from_cli;        /* a reload must not change the level then */
} ManagerOptions;

/* Loads the config, opens the store and the carriers. Returns 0 or a negative errno after
 * logging why; -EINVAL means the configuration is unusable. */
int manager_new(const ManagerOptions *o, Manager **ret);
Manager *manager_free(Manager *m);

/* Arms the schedules, runs missed occurrences within their catch-up window and resumes
 * unfinished ones, sends READY=1 and runs until SIGTERM/SIGINT. Returns 0 or a negative
 * errno. */
int manager_run(Manager *m);

/* The config's log_level (LOG_INFO unless set). */
int manager_log_level(const Manager *m);

static inline void manager_freep(Manager **m) {
        if (*m)
                manager_free(*m);
}
