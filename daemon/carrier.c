/* SPDX-License-Identifier: MIT */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "carrier.h"
#include "log.h"

int carrier_plugin_load(const char *dir, const char *plugin, void **ret_dl,
                        const struct dunnd_carrier **ret_api, char **ret_path, char *err,
                        size_t errlen) {
        const struct dunnd_carrier *api;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        void *dl;

        if (asprintf(&path, "%s/%s.so", dir, plugin) < 0)
                return -ENOMEM;
        /* lstat: a symlink in the plugin directory could point anywhere */
        if (lstat(path, &st) < 0) {
                int r = -errno;
                snprintf(err, errlen, "carrier plugin '%s': %s", path,
                         r == -ENOENT ? "no such file (is plugin_dir right?)" : strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, errlen, "carrier plugin '%s' is not a regular file", path);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(err, errlen, "carrier plugin '%s' is writable by group or others; "
                         "refusing to load it", path);
                return -EPERM;
        }
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                snprintf(err, errlen, "carrier plugin '%s' cannot be loaded: %s", path, dlerror());
                return -ELIBBAD;
        }
        api = dlsym(dl, DUNND_CARRIER_SYMBOL);
        if (!api) {
                snprintf(err, errlen, "'%s' is not a dunnd carrier (no '%s' symbol)", path,
                         DUNND_CARRIER_SYMBOL);
                dlclose(dl);
                return -ELIBBAD;
        }
        if (api->abi != DUNND_CARRIER_ABI) {
                snprintf(err, errlen, "carrier plugin '%s' was built for carrier ABI %u, this "
                         "dunnd speaks ABI %u; rebuild it", path, api->abi, DUNND_CARRIER_ABI);
                dlclose(dl);
                return -ELIBBAD;
        }
        /* The struct is append-only: a shorter one is an older plugin of this ABI, but it
         * must at least cover the members ABI 1 defines. */
        if (api->size < DUNND_CARRIER_MIN_SIZE || !api->name || !api->open || !api->close ||
            (!api->deliver && !(api->prepare && api->finish))) {
                snprintf(err, errlen, "carrier plugin '%s' is incomplete: it needs open, close "
                         "and either deliver or prepare+finish", path);
                dlclose(dl);
                return -ELIBBAD;
        }
        *ret_dl = dl;
        *ret_api = api;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

static void host_log(void *host_data, enum dunnd_log_level level, const char *fmt, ...) {
        const Carrier *c = host_data;
        char msg[1024], field[160];
        const char *fields[2] = { field, NULL };
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(field, sizeof(field), "DUNND_CARRIER=%s", c ? c->name : "?");
        (void) log_full((int) level, 0, fields, "carrier '%s': %s", c ? c->name : "?", msg);
}

/* Options as the plugin sees them: `X_credential = "name"` becomes `X` with the contents of
 * $CREDENTIALS_DIRECTORY/name (one trailing newline dropped), so secrets can live in systemd
 * credentials instead of the config. */
static int resolve_options(const ConfigCarrier *cc, struct dunnd_option **ret, char *err,
                           size_t errlen) {
        static const char suffix[] = "_credential";
        struct dunnd_option *o;
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        o = calloc(cc->n_options + 1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < cc->n_options; i++) {
                const char *k = cc->options[i].key, *v = cc->options[i].value;
                size_t kl = strlen(k);
                _cleanup_free_ char *path = NULL, *secret = NULL;
                FILE *f;
                size_t n = 0;

                if (kl <= sizeof(suffix) - 1 || !streq(k + kl - (sizeof(suffix) - 1), suffix)) {
                        o[i] = (struct dunnd_option) { .key = strdup(k), .value = strdup(v) };
                        goto check;
                }
                if (!dir || strchr(v, '/')) {
                        snprintf(err, errlen, "option '%s': %s", k, !dir ? "no $CREDENTIALS_DIRECTORY "
                                 "(use LoadCredential= in the unit)" : "a credential is a plain name");
                        goto fail;
                }
                if (asprintf(&path, "%s/%s", dir, v) < 0)
                        goto oom;
                f = fopen(path, "re");
                if (!f) {
                        snprintf(err, errlen, "option '%s': cannot read credential '%s': %s", k, v,
                                 strerror(errno));
                        goto fail;
                }
                secret = calloc(1, 4097);
                if (secret)
                        n = fread(secret, 1, 4096, f);
                fclose(f);
                if (!secret)
                        goto oom;
                if (n > 0 && secret[n - 1] == '\n')
                        secret[--n] = 0;
                o[i] = (struct dunnd_option) { .key = strndup(k, kl - (sizeof(suffix) - 1)),
                                               .value = TAKE_PTR(secret) };
        check:
                if (!o[i].key || !o[i].value)
                        goto oom;
        }
        *ret = o;
        return 0;
oom:
        snprintf(err, errlen, "out of memory");
fail:
        for (size_t i = 0; i < cc->n_options; i++) {
                free((char *) o[i].key);
                free((char *) o[i].value);
        }
        free(o);
        return -EINVAL;
}

static void free_options(struct dunnd_option *o, size_t n) {
        for (size_t i = 0; o && i < n; i++) {
                free((char *) o[i].key);
                if (o[i].value)
                        explicit_bzero((char *) o[i].value, strlen(o[i].value));
                free((char *) o[i].value);
        }
        free(o);
}

static void carrier_done(Carrier *c) {
        if (c->api && c->state)
                c->api->close(c->state);
        if (c->dl)
                dlclose(c->dl);
        window_guard_done(&c->window);
        free(c->name);
        free(c->channel);
        free(c->path);
}

int carrier_set_open(const Config *cfg, CarrierSet **ret, ConfigErrors *errors) {
        _cleanup_(carrier_set_freep) CarrierSet *s = NULL;
        size_t errors_before = errors->n;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->carriers = calloc(cfg->n_carriers + 1, sizeof(Carrier));
        if (!s->carriers)
                return -ENOMEM;

        for (size_t i = 0; i < cfg->n_carriers; i++) {
                const ConfigCarrier *cc = &cfg->carriers[i];
                Carrier *c = &s->carriers[s->n];
                char err[512];
                int r;

                r = carrier_plugin_load(cfg->plugin_dir, cc->plugin, &c->dl, &c->api, &c->path,
                                        err, sizeof(err));
                if (r < 0) {
                        (void) config_errors_add(errors, cc->file, cc->line, "carrier '%s': %s",
                                                 cc->name, err);
                        continue;
                }
                s->n++;
                c->name = strdup(cc->name);
                c->channel = strdup(cc->channel);
                c->config = cc;
                token_bucket_init(&c->bucket, cc->rate, cc->burst);
                breaker_init(&c->breaker, cc->failure_threshold, cc->pause_sec * 1000000ULL);
                if (!c->name || !c->channel)
                        return -ENOMEM;
                /* rate + burst in any second, as the carrier counts them: the margin covers
                 * the varying time between a send and its arrival */
                if (cc->rate > 0 &&
                    window_guard_init(&c->window, (size_t) ceil(cc->rate) + (cc->burst ? cc->burst : 1),
                                      1000000ULL + CARRIER_WINDOW_MARGIN_USEC) < 0)
                        return -ENOMEM;
                if (c->api->channel && !streq(c->api->channel, cc->channel)) {
                        (void) config_errors_add(errors, cc->file, cc->line,
                                                 "carrier '%s': plugin '%s' sends %s, not %s",
                                                 cc->name, cc->plugin, c->api->channel, cc->channel);
                        continue;
                }
                /* each carrier gets its own host struct so its log lines carry its name */
                c->host = (struct dunnd_host) { .abi = DUNND_CARRIER_ABI, .size = sizeof(c->host),
                                                .log = host_log, .host_data = c };
                err[0] = 0;
                struct dunnd_option *options = NULL;
                r = resolve_options(cc, &options, err, sizeof(err));
                if (r >= 0) {
                        r = c->api->open(options, cc->n_options, &c->host, &c->state, err, sizeof(err));
                        free_options(options, cc->n_options);
                }
                if (r >= 0 && c->api->size > offsetof(struct dunnd_carrier, properties) &&
                    c->api->properties)
                        c->properties = c->api->properties(c->state);
                if (r < 0)
                        (void) config_errors_add(errors, cc->file, cc->line, "carrier '%s': %s",
                                                 cc->name, err[0] ? err : strerror(-r));
        }
        if (errors->n > errors_before)
                return -EINVAL;
        *ret = TAKE_PTR(s);
        return 0;
}

/* --simulate: every carrier of the config, answered in-process as sent. Nothing leaves the
 * machine, so a simulated run may name any time. */
static int simulated_open(const struct dunnd_option *options, size_t n_options,
                          const struct dunnd_host *host, void **ret_state, char *err,
                          size_t errlen) {
        (void) options;
        (void) n_options;
        (void) host;
        (void) err;
        (void) errlen;
        *ret_state = NULL;
        return 0;
}

static void simulated_deliver(void *state, const struct dunnd_message *m,
                              struct dunnd_outcome *out) {
        (void) state;
        out->klass = DUNND_OUTCOME_SENT;
        snprintf(out->message_id, sizeof(out->message_id), "simulated-%" PRIu64, m->dispatch_id);
}

static void simulated_close(void *state) {
        (void) state;
}

static const struct dunnd_carrier simulated_api = {
        .abi = DUNND_CARRIER_ABI,
        .size = sizeof(struct dunnd_carrier),
        .name = "simulated",
        .open = simulated_open,
        .deliver = simulated_deliver,
        .close = simulated_close,
};

int carrier_set_open_simulated(const Config *cfg, CarrierSet **ret) {
        _cleanup_(carrier_set_freep) CarrierSet *s = NULL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->carriers = calloc(cfg->n_carriers + 1, sizeof(Carrier));
        if (!s->carriers)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->n_carriers; i++) {
                const ConfigCarrier *cc = &cfg->carriers[i];
                Carrier *c = &s->carriers[s->n++];

                c->name = strdup(cc->name);
                c->channel = strdup(cc->channel);
                c->path = strdup("(simulated)");
                if (!c->name || !c->channel || !c->path)
                        return -ENOMEM;
                c->config = cc;
                c->api = &simulated_api;
                token_bucket_init(&c->bucket, 0, 0);
                breaker_init(&c->breaker, cc->failure_threshold, cc->pause_sec * 1000000ULL);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

CarrierSet *carrier_set_free(CarrierSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                carrier_done(&s->carriers[i]);
        free(s->carriers);
        free(s);
        return NULL;
}

Carrier *carrier_set_find_channel(CarrierSet *s, const char *channel) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->carriers[i].channel, channel))
                        return &s->carriers[i];
        return NULL;
}

Carrier *carrier_set_find(CarrierSet *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->carriers[i].name, name))
                        return &s->carriers[i];
        return NULL;
}
