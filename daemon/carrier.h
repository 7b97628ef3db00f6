/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading carrier plugins: dlopen(RTLD_NOW|RTLD_LOCAL) of PLUGIN_DIR/NAME.so, only regular
 * files that are not group- or world-writable, one exported `dunnd_carrier` whose ABI must
 * match ours. Every failure names the file. */

#include <stdbool.h>

#include "config.h"
#include "dunnd-carrier.h"
#include "outcome.h"
#include "breaker.h"
#include "ratelimit.h"

/* What the window guard adds to a second for the time between a send and its arrival. */
#define CARRIER_WINDOW_MARGIN_USEC 10000ULL

typedef struct Carrier {
        char *name;                     /* the config's name for it: "local" */
        char *channel;
        char *path;                     /* the .so it came from */
        void *dl;
        const struct dunnd_carrier *api;
        void *state;                    /* from api->open() */
        const ConfigCarrier *config;    /* valid as long as the Config it was opened from */
        struct dunnd_host host;         /* handed to the plugin; lives as long as it does */
        TokenBucket bucket;             /* the config's rate and burst */
        WindowGuard window;             /* ... and never more than that in one second */
        Breaker breaker;                /* the config's failure_threshold and pause */
        uint32_t properties;            /* DUNND_CARRIER_IDEMPOTENT, ... */
        /* the dispatcher's view of it */
        unsigned in_flight;             /* requests out, not answered yet */
        unsigned answered;              /* answered, outcome not recorded yet */
        unsigned reuse_deaths;          /* kept-alive connections that died under a request */
        size_t budget;                  /* rows it may still take in the claim being built */
} Carrier;

typedef struct CarrierSet {
        Carrier *carriers;
        size_t n;
} CarrierSet;

/* Loads one plugin file without opening it. Returns 0, or a negative errno with err naming
 * the file and what is wrong with it. */
int carrier_plugin_load(const char *dir, const char *plugin, void **ret_dl,
                        const struct dunnd_carrier **ret_api, char **ret_path, char *err,
                        size_t errlen);

/* Loads and opens every carrier of the config. Problems are added to errors as
 * "FILE:LINE: ..." with the carrier's place in the config; returns -EINVAL then. */
int carrier_set_open(const Config *c, CarrierSet **ret, ConfigErrors *errors);
/* The config's carriers, each answering every message as sent without sending anything
 * (dunnctl run --simulate). */
int carrier_set_open_simulated(const Config *c, CarrierSet **ret);
CarrierSet *carrier_set_free(CarrierSet *s);

/* The carriers serving channel, in config order (the first is the primary). */
Carrier *carrier_set_find_channel(CarrierSet *s, const char *channel);
Carrier *carrier_set_find(CarrierSet *s, const char *name);

static inline void carrier_set_freep(CarrierSet **s) {
        if (*s)
                carrier_set_free(*s);
}
