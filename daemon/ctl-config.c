/* SPDX-License-Identifier: MIT */

/* dunnctl check-config: the configuration and its carrier plugins, validated like nginx -t. */

#include <stdio.h>
#include <time.h>

#include "carrier.h"
#include "ctl.h"

int verb_check_config(Ctl *ctl, int argc, char *argv[]) {
        _cleanup_(carrier_set_freep) CarrierSet *carriers = NULL;
        ConfigErrors errors = {};
        Config *c;
        int r;

        if (argc > 1 && streq(argv[1], "--help")) {
                printf("dunnctl check-config\n\nValidate the configuration and load its carrier "
                       "plugins, like nginx -t: each\nproblem is printed as FILE:LINE: problem and the "
                       "exit status is 2 if there is any.\n");
                return 0;
        }
        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        c = ctl->config;
        r = carrier_set_open(c, &carriers, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0) {
                ctl_error("configuration '%s' is not usable", c->path);
                return EXIT_USAGE;
        }
        ctl_warn_uncovered_years(c, time(NULL));
        printf("%s: ok: %zu schedules, %zu templates, %zu carriers (%s), time zone %s\n", c->path,
               c->n_schedules, c->n_templates, c->n_carriers, c->plugin_dir, c->timezone);
        return 0;
}
